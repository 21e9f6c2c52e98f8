// The sigmoid / SiLU unit in Verilator against numerics' sigmoidFixed and siluFixed, bit for bit:
// every input in [-12.5, 12.5) (the whole table range and both clamp points), the 24-bit extremes,
// every table boundary of the 385 entries with a band of offsets around it, and seeded random inputs
// (uniform over 24 bits, and concentrated in [-16, 16]), streamed one per cycle with random bubbles.
// Then the Verilog is linted (verilator -Wall) and synthesised for the iCE40 (yosys, no warnings).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sigmoidUnit, sigmoidUnitLatency, sigmoidGeometry, type SigmoidUnitParams } from './sigmoid-unit.ts';
import { sigmoidFixed, siluFixed } from '../../numerics/nonlinear.ts';
import { ACT, GATE, SIGMOID } from '../../numerics/formats.ts';
import { buildRtlModel, type RtlModel } from '../../sim/rtl-model.ts';
import { StimulusScript, runModel } from '../../flow/verilator.ts';
import { lintVerilator } from '../../flow/verilator-lint.ts';
import { synthIce40 } from '../../flow/yosys.ts';
import { prng } from '../../sim/prng.ts';

const ACT_MIN = -(2 ** (ACT.bits - 1));
const ACT_MAX = 2 ** (ACT.bits - 1) - 1;
const ONE = 2 ** ACT.frac;
const CLAMP = SIGMOID.range * ONE; // 49152

/** The test inputs: deterministic edges and sweeps first, then seeded random values. */
function sigmoidInputs(seed: number): number[] {
  const xs: number[] = [];
  const add = (x: number) => xs.push(Math.min(ACT_MAX, Math.max(ACT_MIN, x)));
  // The extremes of ACT and the middle.
  for (const x of [ACT_MIN, ACT_MIN + 1, ACT_MAX, ACT_MAX - 1, 0, 1, -1, 2, -2]) add(x);
  // Both clamp points with a band around them (HIGH = CLAMP - 1 is the last unclamped input).
  for (const c of [-CLAMP, CLAMP]) for (let d = -600; d <= 600; d++) add(c + d);
  // Every table boundary, its rounding tie (frac = 128) and the last fraction before the next entry.
  const step = 2 ** (ACT.frac - Math.log2(SIGMOID.stepsPerUnit));
  for (let i = 0; i <= 2 * SIGMOID.range * SIGMOID.stepsPerUnit; i++) {
    const b = -CLAMP + i * step;
    for (const d of [-3, -2, -1, 0, 1, 2, 3, step / 2 - 1, step / 2, step / 2 + 1, step - 1]) add(b + d);
  }
  // Every input of the table range and a little beyond.
  for (let x = -12.5 * ONE; x < 12.5 * ONE; x++) add(x);
  const r = prng(seed);
  for (let i = 0; i < 10_000; i++) add(Math.floor(r() * 2 ** ACT.bits) + ACT_MIN);
  for (let i = 0; i < 10_000; i++) add(Math.floor(r() * 32 * ONE) - 16 * ONE);
  return xs;
}

interface Run {
  xs: number[];
  sig: number[];
  silu: number[];
}

async function stream(rtl: RtlModel, xs: number[], seed: number): Promise<Run> {
  const script = new StimulusScript(rtl.model.ports).set('x', 0).set('in_valid', 0).set('rst', 1).tick(2).set('rst', 0);
  script.monitor('sig', 'out_valid', 'sig').monitor('silu', 'out_valid', 'silu');
  const r = prng(seed);
  for (const x of xs) {
    // Now and then a bubble: in_valid low, with a junk x that must not come out.
    if (r() < 0.05) script.set('x', -1).set('in_valid', 0).tick();
    script.set('x', x).set('in_valid', 1).tick();
  }
  script.set('in_valid', 0).tick(20);
  const res = await runModel(rtl.model, script);
  return {
    xs,
    sig: (res.monitors.get('sig') ?? []).map((v) => Number(v)),
    silu: (res.monitors.get('silu') ?? []).map((v) => Number(BigInt.asIntN(ACT.bits, v))),
  };
}

function mismatches(run: Run): { x: number; sig: [number, number]; silu: [number, number] }[] {
  const out = [];
  for (let i = 0; i < run.xs.length; i++) {
    const x = run.xs[i]!;
    const es = sigmoidFixed(x);
    const el = siluFixed(x);
    if (run.sig[i] !== es || run.silu[i] !== el) out.push({ x, sig: [es, run.sig[i] ?? NaN] as [number, number], silu: [el, run.silu[i] ?? NaN] as [number, number] });
  }
  return out;
}

async function measureLatency(rtl: RtlModel, max: number): Promise<number> {
  const script = new StimulusScript(rtl.model.ports).set('x', 0).set('in_valid', 0).set('rst', 1).tick(2).set('rst', 0);
  script.set('x', 4096).set('in_valid', 1).tick().set('in_valid', 0);
  script.get('v1', 'out_valid');
  for (let c = 2; c <= max; c++) script.tick().get(`v${c}`, 'out_valid');
  const res = await runModel(rtl.model, script);
  for (let c = 1; c <= max; c++) if (res.samples.get(`v${c}`)?.[0] === 1n) return c;
  return -1;
}

const VARIANTS: SigmoidUnitParams[] = [
  { inputReg: 1, siluStages: 1 },
  { inputReg: 0, siluStages: 2 },
];

describe('sigmoid unit (Verilator, bit-exact against numerics)', () => {
  const xs = sigmoidInputs(7);

  it('the inputs cover what they claim', () => {
    expect(xs.length).toBeGreaterThanOrEqual(20_000);
    for (const x of [ACT_MIN, ACT_MAX, 0, 1, -1, -CLAMP, CLAMP, -CLAMP - 1, CLAMP - 1, CLAMP + 1]) expect(xs).toContain(x);
    // Both outputs' extremes are reached: sig 0 and 32768, silu = x at the top, silu < 0 for x < 0.
    expect(xs.some((x) => sigmoidFixed(x) === 0)).toBe(true);
    expect(xs.some((x) => sigmoidFixed(x) === GATE.one)).toBe(true);
  });

  it('the geometry matches the numerics spec', () => {
    const g = sigmoidGeometry();
    expect(g).toMatchObject({ stepShift: 8, low: -49152, high: 49151, offBits: 17, idxBits: 9, entries: 385 });
    expect(g.even.length).toBe(193);
    expect(g.odd.length).toBe(192);
    expect(g.stepBits).toBe(10);
  });

  for (const p of VARIANTS) {
    it(`inputReg=${p.inputReg} siluStages=${p.siluStages}: ${xs.length} inputs bit-exact, latency ${sigmoidUnitLatency(p)}`, { timeout: 600_000 }, async () => {
      const rtl = await buildRtlModel(sigmoidUnit(p));
      expect(await measureLatency(rtl, 20)).toBe(sigmoidUnitLatency(p));
      const run = await stream(rtl, xs, 11);
      expect(run.sig.length).toBe(xs.length);
      expect(run.silu.length).toBe(xs.length);
      expect(mismatches(run).slice(0, 5)).toEqual([]);
    });
  }
});

describe('sigmoid unit: lint and iCE40 synthesis', () => {
  for (const p of VARIANTS) {
    it(`inputReg=${p.inputReg} siluStages=${p.siluStages}: verilator --lint-only -Wall is clean`, { timeout: 120_000 }, async () => {
      const rtl = await buildRtlModel(sigmoidUnit(p));
      const lint = lintVerilator(rtl.sources, sigmoidUnit(p).name);
      expect(lint.messages).toEqual([]);
      expect(lint.ok).toBe(true);
    });
  }

  for (const dsp of [false, true]) {
    it(`yosys synth_ice40${dsp ? ' -dsp' : ''}: no warnings, the table in two EBRs`, { timeout: 600_000 }, async () => {
      const top = sigmoidUnit({ inputReg: 1, siluStages: 1 });
      const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sigmoid-unit-synth-'));
      try {
        const rtl = await buildRtlModel(top, { dir: path.join(work, 'rtl') });
        const r = await synthIce40({ top: top.name, sources: rtl.sources, workDir: path.join(work, 'synth'), dsp });
        expect(r.warnings).toEqual([]);
        expect(r.cells.ebr).toBe(2);
        if (dsp) expect(r.cells.dsp).toBeGreaterThan(0);
        else expect(r.cells.dsp).toBe(0);
      } finally {
        fs.rmSync(work, { recursive: true, force: true });
      }
    });
  }
});
