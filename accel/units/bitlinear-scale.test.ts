// The BitLinear output scale in Verilator against numerics, bit for bit:
//   - end to end: random BitLinear problems (u, norm weights, ternary weights, the per-tensor constant)
//     computed by bitLinearFixed itself; the unit gets the intermediate values (mm = normalize16(m),
//     t = rsqrtFixed(S), C, norm.exp, and acc_r from TernaryMatrix.matvec of the numerics q) and its
//     outputs must equal bitLinearFixed's out, row by row. The problems include saturated outputs, zero
//     inputs (m = 0, S = 0, m > 0 with S = 0) and single non-zero elements.
//   - direct: random scalars over the whole port ranges (mantissas not normalised too, exponents that put
//     the final shift anywhere from a 60-bit right shift to a 60-bit left shift) and random acc values
//     around every saturation threshold, against a re-statement of step 6 with numerics' shiftRound,
//     saturate and highBit (and BigInt where numerics' shift table ends).
// Elements go in at the earliest cycle the unit allows (the cycle scale_valid is 1), with random
// bubbles, and the next setup comes together with the previous BitLinear's last element.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bitLinearScale,
  bitLinearScaleLatency,
  bitLinearScaleSetupCycles,
  scaleAccWidth,
  scaleProductWidth,
  scaleRowWidth,
  SCALE_E_BITS,
  SCALE_EXP_BITS,
  SCALE_T_EXP_BITS,
} from './bitlinear-scale.ts';
import { QUANT_MM_EXP_BITS } from './bitlinear-quant.ts';
import { bitLinearFixed, BitLinearScratch, sumOfSquares, type FixedBitLinearParams } from '../../numerics/bitlinear.ts';
import { normalize16, recip127, rsqrtFixed, type Scalar } from '../../numerics/scalars.ts';
import { highBit, saturate, shiftRound } from '../../numerics/integer.ts';
import { bitLinearOutScale, toFixedVector } from '../../numerics/convert.ts';
import { TernaryMatrix } from '../../numerics/ternary.ts';
import { ACT, QACT, RECIP, RSQRT, SUMSQ_SHIFT } from '../../numerics/formats.ts';
import { RSQRT_TABLE } from '../../numerics/tables.ts';
import { buildRtlModel } from '../../sim/rtl-model.ts';
import { StimulusScript, runModel } from '../../flow/verilator.ts';
import { prng } from '../../sim/prng.ts';
import { expectCleanLintAndSynth } from '../../test/lint-and-synth.ts';

const TIMEOUT = 600_000;
const MAX_COLS = 1024;
const MAX_ROWS = 1024;
const ACC_W = scaleAccWidth(MAX_COLS);
const W = scaleProductWidth(MAX_COLS);
const ONE = 2 ** ACT.frac;
const OUT_MIN = -(2 ** (ACT.bits - 1));
const OUT_MAX = 2 ** (ACT.bits - 1) - 1;

// ---- the setup scalars and the reference --------------------------------------------------------

interface Setup {
  mm: Scalar;
  t: Scalar;
  c: Scalar;
  normExp: number;
  zero: boolean;
}

/** numerics' (M, E) of step 6 (M may be 2^16), or undefined when the BitLinear's output is 0. */
function scaleOf(s: Setup): { mant: number; exp: number } | undefined {
  if (s.zero) return undefined;
  const prod = s.mm.mant * s.t.mant * s.c.mant;
  const sh = highBit(prod) - 15;
  const mant = shiftRound(prod, sh);
  const exp = sh + s.mm.exp + s.t.exp + s.c.exp + s.normExp - ACT.frac + (ACT.frac - SUMSQ_SHIFT) + ACT.frac;
  return { mant, exp };
}

/** The same (M, E) as the unit holds it: M = 2^16 is 2^15 with E + 1. */
function heldScale(s: Setup): { mant: number; exp: number } | undefined {
  const sc = scaleOf(s);
  if (!sc) return undefined;
  return sc.mant === 2 ** 16 ? { mant: 2 ** 15, exp: sc.exp + 1 } : sc;
}

function shiftRoundBig(x: bigint, s: number): bigint {
  return s <= 0 ? x << BigInt(-s) : (x + (1n << BigInt(s - 1))) >> BigInt(s);
}

/** out = saturate(shiftRound(acc M, -E), 24): numerics where its shift table reaches, BigInt beyond (checked equal inside). */
function outOf(s: Setup, acc: number): number {
  const sc = scaleOf(s);
  if (!sc) return 0;
  const big = Number(BigInt(Math.max(OUT_MIN, Math.min(OUT_MAX, Number(shiftRoundBig(BigInt(acc) * BigInt(sc.mant), -sc.exp))))));
  if (Math.abs(sc.exp) <= 60) {
    const num = saturate(shiftRound(acc * sc.mant, -sc.exp), ACT.bits);
    if (num !== big) throw new Error(`reference disagreement at acc ${acc}, M ${sc.mant}, E ${sc.exp}: ${num} vs ${big}`);
    return num;
  }
  return big;
}

/** The unit's setup cycles for these scalars: k normalisation shifts, a = clamp(23 - E, 0, W + 23). */
function setupCycles(s: Setup): number {
  const prod = s.mm.mant * s.t.mant * s.c.mant;
  const k = prod > 0 ? 47 - highBit(prod) : 47;
  const mRound = prod > 0 ? Math.floor((Math.floor((prod * 2 ** k) / 2 ** 31) + 1) / 2) : 0;
  const expSum = s.mm.exp + s.t.exp + s.c.exp + s.normExp + 8;
  const e = 32 - k + expSum + (mRound === 2 ** 16 ? 1 : 0);
  const a = Math.max(0, Math.min(W + ACT.bits - 1, ACT.bits - 1 - e));
  return bitLinearScaleSetupCycles(k, a);
}

// ---- BitLinear problems --------------------------------------------------------------------------

function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

interface Problem {
  name: string;
  setup: Setup;
  acc: number[];
  /** bitLinearFixed's out. */
  out: number[];
}

/** numerics' q (steps 1-4), re-stated with numerics' functions; zeros when m = 0. */
function quantize(u: Int32Array, b: Int32Array): { m: number; q: Int32Array } {
  let m = 0;
  for (let i = 0; i < u.length; i++) m = Math.max(m, Math.abs(u[i]! * b[i]!));
  const q = new Int32Array(u.length);
  if (m === 0) return { m, q };
  const mm = normalize16(m);
  const r = recip127(mm.mant);
  for (let i = 0; i < u.length; i++) q[i] = Math.max(QACT.min, Math.min(QACT.max, shiftRound(shiftRound(u[i]! * b[i]!, mm.exp) * r, RECIP.frac)));
  return { m, q };
}

/** Run bitLinearFixed and collect what the unit is fed: the scalars and acc = matvec(q). */
function makeProblem(name: string, u: Int32Array, normW: Float64Array, w: Float32Array, rows: number): Problem {
  const cols = u.length;
  const weights = TernaryMatrix.fromFloat(w, rows, cols);
  const norm = toFixedVector(normW);
  const prm: FixedBitLinearParams = { weights, norm, outScale: bitLinearOutScale(cols, weights.scale) };
  const s = sumOfSquares(u);
  const out = new Int32Array(rows);
  bitLinearFixed(u, s, prm, out, new BitLinearScratch(cols, rows));
  const { m, q } = quantize(u, norm.mant);
  const acc = new Int32Array(rows);
  weights.matvec(q, acc);
  const zero = m === 0 || s === 0;
  // What the quantiser and rsqrtUnit give for m = 0 and S = 0 (mant 0, exp -15; the table entry of S = 1).
  const mm = m > 0 ? normalize16(m) : { mant: 0, exp: -(RECIP.mantissaBits - 1) };
  const t = rsqrtFixed(Math.max(1, s));
  return { name, setup: { mm, t, c: prm.outScale, normExp: norm.exp, zero }, acc: Array.from(acc), out: Array.from(out) };
}

function randomProblems(seed: number, count: number): Problem[] {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const out: Problem[] = [];
  for (let n = 0; n < count; n++) {
    const cols = pick([1, 3, 16, 64, 100, 256, 768] as const);
    const rows = pick([1, 4, 16, 48] as const);
    const uScale = ONE * 2 ** (Math.floor(r() * 13) - 6);
    const normScale = 2 ** (Math.floor(r() * 25) - 12);
    const wScale = 0.02 * 2 ** (Math.floor(r() * 25) - 12);
    const u = Int32Array.from({ length: cols }, () => Math.max(OUT_MIN, Math.min(OUT_MAX, Math.round(gauss(r) * uScale))));
    const normW = Float64Array.from({ length: cols }, () => (1 + 0.3 * gauss(r)) * normScale);
    const w = Float32Array.from({ length: rows * cols }, () => gauss(r) * wScale);
    out.push(makeProblem(`random ${rows}x${cols} u ${uScale / ONE} norm ${normScale} w ${wScale}`, u, normW, w, rows));
  }
  return out;
}

function edgeProblems(seed: number): Problem[] {
  const r = prng(seed);
  const ws = (rows: number, cols: number, scale = 0.02) => Float32Array.from({ length: rows * cols }, () => gauss(r) * scale);
  const gains = (cols: number, scale = 1) => Float64Array.from({ length: cols }, () => (1 + 0.3 * gauss(r)) * scale);
  const out: Problem[] = [];
  out.push(makeProblem('all-zero u (m = 0, S = 0)', new Int32Array(64), gains(64), ws(16, 64), 16));
  out.push(makeProblem('zero norm weights (m = 0, S > 0)', Int32Array.from({ length: 64 }, () => Math.round(gauss(r) * ONE)), new Float64Array(64), ws(16, 64), 16));
  out.push(makeProblem('tiny u (m > 0, S = 0)', Int32Array.from({ length: 64 }, () => Math.floor(r() * 16) - 8), gains(64), ws(16, 64), 16));
  const single = new Int32Array(256);
  single[17] = 3 * ONE;
  out.push(makeProblem('single non-zero element', single, gains(256), ws(32, 256), 32));
  // Huge weights and gains: every output saturates, both signs.
  out.push(makeProblem('saturating', Int32Array.from({ length: 256 }, () => Math.round(gauss(r) * ONE * 8)), gains(256, 2 ** 12), ws(48, 256, 2 ** 8), 48));
  out.push(makeProblem('saturated inputs', Int32Array.from({ length: 768 }, (_, i) => (i % 2 ? OUT_MAX : OUT_MIN)), gains(768, 4), ws(48, 768, 4), 48));
  return out;
}

// ---- direct setups over the whole port ranges -----------------------------------------------------

interface Direct {
  setup: Setup;
  acc: number[];
}

function directSetups(seed: number, count: number): Direct[] {
  const r = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const accMax = 2 ** (ACC_W - 1) - 1;
  const accMin = -(2 ** (ACC_W - 1));
  const out: Direct[] = [];
  for (let n = 0; n < count; n++) {
    const normalised = r() < 0.8;
    const mant = (table?: boolean) => (normalised ? (table ? RSQRT_TABLE[int(2 ** (RSQRT.indexBits - 2), 2 ** RSQRT.indexBits - 1)]! : int(2 ** 15, 2 ** 16 - 1)) : int(1, 2 ** 16 - 1));
    const mm = { mant: mant(), exp: int(-15, 24) };
    const t = { mant: mant(true), exp: int(-42, -16) };
    const c = { mant: mant(), exp: 0 };
    const base: Setup = { mm, t, c, normExp: 0, zero: r() < 0.03 };
    // Choose c_exp + norm_exp for a target E: mostly where outputs are neither all 0 nor all saturated,
    // some far out (the clamps), all inside the SInt(8) ports.
    const e0 = scaleOf({ ...base, zero: false })!.exp;
    const target = r() < 0.8 ? int(-40, 10) : r() < 0.5 ? int(-70, 70) : int(-300, 300);
    let rest = Math.max(-256, Math.min(254, target - e0));
    const cExp = Math.max(-128, Math.min(127, Math.round(rest / 2) + int(-20, 20)));
    rest -= cExp;
    const normExp = Math.max(-128, Math.min(127, rest));
    const setup: Setup = { ...base, c: { mant: c.mant, exp: cExp }, normExp };
    const acc: number[] = [0, 1, -1, accMax, accMin, accMin + 1];
    for (let i = 0; i < 6; i++) acc.push(int(accMin, accMax));
    for (let i = 0; i < 6; i++) acc.push(int(-300, 300));
    // Around the saturation thresholds: acc ~ +-2^23 / (M 2^E).
    const sc = scaleOf({ ...setup, zero: false })!;
    const thr = 2 ** (ACT.bits - 1) / (sc.mant * 2 ** sc.exp);
    if (thr < accMax) for (const sgn of [1, -1]) for (let d = -2; d <= 2; d++) acc.push(Math.max(accMin, Math.min(accMax, Math.round(sgn * thr) + d)));
    out.push({ setup, acc });
  }
  return out;
}

// ---- streaming ------------------------------------------------------------------------------------

interface Job {
  setup: Setup;
  acc: number[];
}

/**
 * Each job: setup (with the previous job's last element, or after a gap), elements from the cycle
 * scale_valid is 1 (checked), random bubbles with garbage, a row tag per element.
 */
async function stream(jobs: Job[], seed: number) {
  const { model } = await buildRtlModel(bitLinearScale({ maxCols: MAX_COLS, maxRows: MAX_ROWS }));
  const r = prng(seed);
  const script = new StimulusScript(model.ports).set('in_valid', 0).set('setup', 0).set('rst', 1).tick(2).set('rst', 0).tick();
  script.monitor('out', 'out_valid', 'out').monitor('row', 'out_valid', 'out_row');
  script.monitor('mant', 'scale_valid', 'scale_mant').monitor('exp', 'scale_valid', 'scale_exp');
  const setScalars = (s: Setup) => {
    script.set('mm_mant', s.mm.mant).set('mm_exp', s.mm.exp).set('t_mant', s.t.mant).set('t_exp', s.t.exp);
    script.set('c_mant', s.c.mant).set('c_exp', s.c.exp).set('norm_exp', s.normExp).set('zero', s.zero ? 1 : 0);
  };
  const junkScalars = () => {
    script.set('mm_mant', Math.floor(r() * 2 ** 16)).set('t_mant', Math.floor(r() * 2 ** 16)).set('c_mant', Math.floor(r() * 2 ** 16));
    script.set('mm_exp', Math.floor(r() * 30) - 15).set('c_exp', Math.floor(r() * 200) - 100).set('zero', r() < 0.5 ? 1 : 0);
  };
  const junkElement = () => script.set('in_valid', 0).set('acc', Math.floor(r() * 2 ** ACC_W) - 2 ** (ACC_W - 1)).set('row', Math.floor(r() * MAX_ROWS));
  let given = false; // this job's setup went in with the previous job's last element
  jobs.forEach((job, j) => {
    if (!given) {
      junkElement();
      script.tick(Math.floor(r() * 3));
      setScalars(job.setup);
      script.set('setup', 1).tick();
    }
    script.set('setup', 0);
    junkScalars();
    // The element path may start in the cycle scale_valid is 1: after setupCycles - 1 more edges.
    junkElement();
    script.tick(setupCycles(job.setup) - 1).get('sv', 'scale_valid').get('busy', 'busy');
    given = false;
    job.acc.forEach((a, i) => {
      if (i > 0) while (r() < 0.05) junkElement().tick();
      script.set('in_valid', 1).set('acc', a).set('row', i % MAX_ROWS);
      if (i === job.acc.length - 1 && j + 1 < jobs.length && r() < 0.7) {
        setScalars(jobs[j + 1]!.setup);
        script.set('setup', 1);
        given = true;
      }
      script.tick();
      script.set('setup', 0);
    });
  });
  junkElement();
  script.tick(bitLinearScaleLatency() + 4);
  const res = await runModel(model, script, { timeoutMs: TIMEOUT });
  return {
    out: (res.monitors.get('out') ?? []).map((v) => Number(BigInt.asIntN(ACT.bits, v))),
    row: (res.monitors.get('row') ?? []).map(Number),
    scale: (res.monitors.get('mant') ?? []).map((v, i) => ({ mant: Number(v), exp: Number(BigInt.asIntN(SCALE_E_BITS, res.monitors.get('exp')![i]!)) })),
    scaleValidAtStart: (res.samples.get('sv') ?? []).map(Number),
    busyAtStart: (res.samples.get('busy') ?? []).map(Number),
  };
}

function firstMismatches(jobs: Job[], expected: (job: Job, i: number) => number, got: { out: number[]; row: number[] }, n = 5) {
  const out: unknown[] = [];
  let k = 0;
  jobs.forEach((job, j) => {
    job.acc.forEach((a, i) => {
      const e = expected(job, i);
      if (got.out[k] !== e || got.row[k] !== i % MAX_ROWS) out.push({ job: j, setup: job.setup, scale: scaleOf(job.setup), acc: a, expected: e, got: got.out[k], row: got.row[k] });
      k++;
    });
  });
  return out.slice(0, n);
}

function checkScales(jobs: Job[], scale: { mant: number; exp: number }[]) {
  expect(scale.length).toBe(jobs.length);
  const bad = jobs.flatMap((job, j) => {
    const h = heldScale(job.setup);
    return h && (scale[j]!.mant !== h.mant || scale[j]!.exp !== h.exp) ? [{ job: j, setup: job.setup, expected: h, got: scale[j] }] : [];
  });
  expect(bad.slice(0, 5)).toEqual([]);
}

// ---- the tests --------------------------------------------------------------------------------------

describe('bitLinearScale: widths', () => {
  it('widths and latencies', () => {
    expect(ACC_W).toBe(19);
    expect(W).toBe(35);
    expect(scaleRowWidth(1024)).toBe(10);
    expect(SCALE_E_BITS).toBe(10);
    expect(SCALE_T_EXP_BITS).toBe(7);
    expect(QUANT_MM_EXP_BITS).toBe(6);
    expect(SCALE_EXP_BITS).toBe(8);
    expect(bitLinearScaleLatency()).toBe(7);
    expect(bitLinearScaleSetupCycles(1, 27)).toBe(67);
  });
});

describe('bitLinearScale (Verilator) against bitLinearFixed, end to end', () => {
  it('random BitLinear problems: every output equals bitLinearFixed\'s out', { timeout: TIMEOUT }, async () => {
    const problems = [...randomProblems(31, 220), ...edgeProblems(32)];
    for (const p of problems) {
      // The ports hold every exponent the problems have.
      expect(Math.abs(p.setup.c.exp)).toBeLessThan(128);
      expect(Math.abs(p.setup.normExp)).toBeLessThan(128);
      // The reference restates bitLinearFixed's output exactly.
      p.acc.forEach((a, i) => expect(outOf(p.setup, a)).toBe(p.out[i]));
    }
    const outs = problems.flatMap((p) => p.out);
    const scales = problems.flatMap((p) => (p.setup.zero ? [] : [scaleOf(p.setup)!]));
    console.log(
      `bitlinear_scale end to end: ${problems.length} problems, ${outs.length} outputs, ${outs.filter((o) => o === OUT_MAX || o === OUT_MIN).length} saturated, ` +
        `${problems.filter((p) => p.setup.zero).length} zero problems, E from ${Math.min(...scales.map((s) => s.exp))} to ${Math.max(...scales.map((s) => s.exp))}`,
    );
    expect(problems.length).toBeGreaterThanOrEqual(200);
    expect(outs.filter((o) => o === OUT_MAX).length).toBeGreaterThan(0);
    expect(outs.filter((o) => o === OUT_MIN).length).toBeGreaterThan(0);
    const got = await stream(problems, 33);
    expect(got.out.length).toBe(outs.length);
    expect(firstMismatches(problems, (p, i) => (p as Problem).out[i]!, got)).toEqual([]);
    checkScales(problems, got.scale);
    expect(got.scaleValidAtStart.every((v) => v === 1)).toBe(true);
    expect(got.busyAtStart.every((v) => v === 0)).toBe(true);
  });
});

describe('bitLinearScale (Verilator), direct: the whole range of scalars and accumulators', () => {
  it('random scalars (E from a 300-bit right shift to a 300-bit left shift), acc around the saturation thresholds', { timeout: TIMEOUT }, async () => {
    const jobs = directSetups(41, 400);
    // M = 2^16 (held as 2^15, E + 1) must occur: add setups whose product rounds up to 2^16.
    let bumps = 0;
    for (let mm = 2 ** 16 - 1; bumps < 4 && mm > 2 ** 15; mm--) {
      for (const t of [2 ** 16 - 1, 2 ** 16 - 3, 65473]) {
        const s: Setup = { mm: { mant: mm, exp: 3 }, t: { mant: t, exp: -30 }, c: { mant: 2 ** 16 - 1, exp: -10 }, normExp: -12, zero: false };
        if (scaleOf(s)!.mant === 2 ** 16) {
          jobs.push({ setup: s, acc: [1, -1, 12345, -54321, 2 ** 17, -(2 ** 18)] });
          bumps++;
        }
      }
    }
    expect(bumps).toBeGreaterThan(0);
    const expected = jobs.flatMap((j) => j.acc.map((a) => outOf(j.setup, a)));
    const es = jobs.flatMap((j) => (j.setup.zero ? [] : [scaleOf(j.setup)!.exp]));
    console.log(
      `bitlinear_scale direct: ${jobs.length} setups, ${expected.length} elements, ${expected.filter((o) => o === OUT_MAX || o === OUT_MIN).length} saturated, ` +
        `${expected.filter((o) => o === 0).length} zero, E from ${Math.min(...es)} to ${Math.max(...es)}, ${es.filter((e) => e > 0).length} setups with a left shift`,
    );
    expect(es.some((e) => e > 30) && es.some((e) => e < -60)).toBe(true);
    const got = await stream(jobs, 42);
    expect(got.out.length).toBe(expected.length);
    expect(firstMismatches(jobs, (j, i) => outOf(j.setup, j.acc[i]!), got)).toEqual([]);
    checkScales(jobs, got.scale);
    expect(got.scaleValidAtStart.every((v) => v === 1)).toBe(true);
  });

  it('latency: one element gives one out_valid, bitLinearScaleLatency cycles later', { timeout: TIMEOUT }, async () => {
    const { model } = await buildRtlModel(bitLinearScale({ maxCols: MAX_COLS, maxRows: MAX_ROWS }));
    const s: Setup = { mm: { mant: 40000, exp: 10 }, t: { mant: 50000, exp: -30 }, c: { mant: 45000, exp: -8 }, normExp: -14, zero: false };
    const script = new StimulusScript(model.ports).set('in_valid', 0).set('setup', 0).set('rst', 1).tick(2).set('rst', 0).tick(3);
    script.set('mm_mant', s.mm.mant).set('mm_exp', s.mm.exp).set('t_mant', s.t.mant).set('t_exp', s.t.exp);
    script.set('c_mant', s.c.mant).set('c_exp', s.c.exp).set('norm_exp', s.normExp).set('zero', 0).set('setup', 1).tick().set('setup', 0);
    script.waitFor('scale_valid', 200).tick(2);
    script.set('acc', 1000).set('row', 3).set('in_valid', 1).tick().set('in_valid', 0);
    for (let c = 1; c <= 12; c++) script.get('v', 'out_valid').tick();
    const res = await runModel(model, script);
    expect((res.samples.get('v') ?? []).flatMap((v, c) => (v ? [c + 1] : []))).toEqual([bitLinearScaleLatency()]);
  });
});

// ---- lint and synthesis -------------------------------------------------------------------------

describe('bitLinearScale: verilator -Wall and yosys synth_ice40', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bitlinear-scale-'));
  for (const [maxCols, maxRows, dsp] of [
    [1024, 1024, false],
    [1024, 1024, true],
    [64, 16, false],
  ] as const) {
    it(`maxCols ${maxCols}, maxRows ${maxRows}${dsp ? ', -dsp' : ''}: lint and synthesis are clean`, { timeout: TIMEOUT }, async () => {
      const m = bitLinearScale({ maxCols, maxRows });
      const synth = await expectCleanLintAndSynth(m, path.join(root, `${m.name}-${dsp}`), { dsp });
      const c = synth.cells;
      expect(c.ebr).toBe(0);
      expect(Object.keys(c.other)).toEqual([]);
      if (!dsp) expect(c.dsp).toBe(0);
      console.log(`${m.name}${dsp ? ' (-dsp)' : ''}: ${c.lut4} LUT4, ${c.carry} carry, ${c.ff} FF, ${c.dsp} DSP`);
    });
  }
});
