// The scalar units in Verilator against numerics, bit for bit: rsqrtUnit against rsqrtFixed, and
// normalizeRecipUnit against normalize16 + recip127. Inputs: every value up to 2^14 (rsqrt) or 2^16
// (normalize), so every negative shift and every small exponent; every power of two with its neighbours
// (2^k - 1, 2^k, 2^k + 1) over the whole range; both sides of every table bucket boundary at every
// exponent; and seeded random values of random magnitude (log-uniform), streamed one per cycle with
// random bubbles (garbage on the input while in_valid is low). Then: the latency of a single input, and
// verilator -Wall lint and yosys synth_ice40 with no warnings.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  rsqrtUnit,
  rsqrtUnitLatency,
  rsqrtExpWidth,
  normalizeRecipUnit,
  normalizeRecipUnitLatency,
  normalizeExpWidth,
  leadingOnePosWidth,
  RSQRT_MANT_BITS,
  RECIP_BITS,
  type ScalarUnitParams,
} from './scalar-unit.ts';
import { rsqrtFixed, normalize16, recip127 } from '../../numerics/scalars.ts';
import { RECIP, RSQRT } from '../../numerics/formats.ts';
import { RECIP_TABLE, RSQRT_TABLE } from '../../numerics/tables.ts';
import type { Module } from '../../hdl/core/module.ts';
import { buildRtlModel } from '../../sim/rtl-model.ts';
import { StimulusScript, runModel } from '../../flow/verilator.ts';
import { prng } from '../../sim/prng.ts';
import { expectCleanLintAndSynth } from '../../test/lint-and-synth.ts';

const TIMEOUT = 600_000;

/** A uniform integer in [0, 2^bits), bits <= 53, from two 32-bit draws. */
function randomBits(r: () => number, bits: number): number {
  const v = Math.floor(r() * 2 ** 21) * 2 ** 32 + Math.floor(r() * 2 ** 32); // 53 random bits
  return v % 2 ** bits;
}

/** Random values of random magnitude: the top bit uniform in [0, width), the bits below it uniform. */
function logUniform(r: () => number, width: number): number {
  const hb = Math.floor(r() * width);
  return 2 ** hb + randomBits(r, hb);
}

/** Every 2^k - 1, 2^k, 2^k + 1 inside [0, 2^width). */
function powersOfTwo(width: number): number[] {
  const out: number[] = [];
  for (let k = 0; k <= width; k++) for (const d of [-1, 0, 1]) out.push(2 ** k + d);
  return out.filter((x) => x >= 0 && x < 2 ** width);
}

/**
 * rsqrt inputs: 0; every s up to 2^14 (hb < 14, the left-shift side, k < 0); powers of two; both sides of
 * every bucket boundary i * 4^k * 2^6 (i = 256 .. 1024) for every k >= 0 that fits; random.
 */
export function rsqrtInputs(width: number, randomCount: number, seed: number): number[] {
  const max = 2 ** width - 1;
  const xs: number[] = [0, max, max - 1];
  for (let s = 1; s <= Math.min(max, 2 ** (RSQRT.mantissaBits - 2)); s++) xs.push(s);
  xs.push(...powersOfTwo(width));
  const bucket = 2 ** (RSQRT.mantissaBits - RSQRT.indexBits);
  for (let k = 0; bucket * 4 ** k * 2 ** (RSQRT.indexBits - 2) <= max; k++) {
    for (let i = 2 ** (RSQRT.indexBits - 2); i <= 2 ** RSQRT.indexBits; i++) {
      const b = i * bucket * 4 ** k;
      for (const x of [b - 1, b]) if (x >= 1 && x <= max) xs.push(x);
    }
  }
  const r = prng(seed);
  for (let n = 0; n < randomCount; n++) xs.push(logUniform(r, width));
  return xs;
}

/**
 * normalize inputs: 0; every m up to 2^16 (hb <= 15: the exact left shift and exp = 0); powers of two;
 * both sides of every reciprocal bucket boundary i * 2^6 * 2^e (i = 512 .. 1024) for every e >= 0; random.
 */
export function normalizeInputs(width: number, randomCount: number, seed: number): number[] {
  const max = 2 ** width - 1;
  const xs: number[] = [0, max, max - 1];
  for (let x = 1; x <= Math.min(max, 2 ** RECIP.mantissaBits); x++) xs.push(x);
  xs.push(...powersOfTwo(width));
  const bucket = 2 ** (RECIP.mantissaBits - RECIP.indexBits);
  for (let e = 0; bucket * 2 ** e * 2 ** (RECIP.indexBits - 1) <= max; e++) {
    for (let i = 2 ** (RECIP.indexBits - 1); i <= 2 ** RECIP.indexBits; i++) {
      const b = i * bucket * 2 ** e;
      for (const x of [b - 1, b]) if (x >= 1 && x <= max) xs.push(x);
    }
  }
  const r = prng(seed);
  for (let n = 0; n < randomCount; n++) xs.push(logUniform(r, width));
  return xs;
}

/**
 * Stream `inputs` into `port` one per cycle with random bubbles (in_valid low and a garbage value on
 * the port), and collect each output named in `outputs` at every out_valid.
 */
async function stream(module: Module, port: string, width: number, inputs: number[], outputs: string[], latency: number, seed: number) {
  const { model } = await buildRtlModel(module);
  const r = prng(seed);
  const script = new StimulusScript(model.ports).set('in_valid', 0).set('rst', 1).tick(2).set('rst', 0);
  for (const o of outputs) script.monitor(o, 'out_valid', o);
  let valid = 0;
  for (const x of inputs) {
    while (r() < 0.1) {
      if (valid) script.set('in_valid', (valid = 0));
      script.set(port, randomBits(r, width)).tick();
    }
    if (!valid) script.set('in_valid', (valid = 1));
    script.set(port, x).tick();
  }
  script.set('in_valid', 0).tick(latency + 2);
  const result = await runModel(model, script, { timeoutMs: TIMEOUT });
  return { monitors: result.monitors, cycles: result.cycles };
}

/** Cycles from a single in_valid pulse to out_valid, measured. */
async function measuredLatency(module: Module, port: string, wait: number): Promise<number[]> {
  const { model } = await buildRtlModel(module);
  const script = new StimulusScript(model.ports).set('in_valid', 0).set('rst', 1).tick(2).set('rst', 0).tick(3);
  script.set(port, 5).set('in_valid', 1).tick().set('in_valid', 0);
  for (let c = 1; c <= wait; c++) script.get('v', 'out_valid').tick();
  script.get('v', 'out_valid');
  const res = await runModel(model, script);
  // Sample c (0-based) is taken after c + 1 clock edges counted from the input's edge.
  return (res.samples.get('v') ?? []).flatMap((v, c) => (v ? [c + 1] : []));
}

function firstMismatches<T>(expected: T[], got: T[], inputs: number[], n = 5) {
  const out: { input: number; expected: T; got: T | undefined }[] = [];
  for (let i = 0; i < expected.length && out.length < n; i++) {
    if (JSON.stringify(got[i]) !== JSON.stringify(expected[i])) out.push({ input: inputs[i]!, expected: expected[i]!, got: got[i] });
  }
  return out;
}

// ---- rsqrt ----------------------------------------------------------------------------------------

/** What rsqrtUnit must output: rsqrtFixed, and for s = 0 the zero flag with the outputs of s = 1. */
function rsqrtExpected(s: number) {
  const { mant, exp } = rsqrtFixed(Math.max(1, s));
  return { mant, exp, zero: s === 0 ? 1 : 0 };
}

async function checkRsqrt(p: ScalarUnitParams, randomCount: number, seed: number) {
  const inputs = rsqrtInputs(p.width, randomCount, seed);
  const latency = rsqrtUnitLatency(p);
  const { monitors } = await stream(rsqrtUnit(p), 's', p.width, inputs, ['mant', 'exp', 'zero'], latency, seed + 1);
  const expW = rsqrtExpWidth(p.width);
  const mant = monitors.get('mant') ?? [];
  const exp = monitors.get('exp') ?? [];
  const zero = monitors.get('zero') ?? [];
  const got = mant.map((m, i) => ({ mant: Number(m), exp: Number(BigInt.asIntN(expW, exp[i] ?? 0n)), zero: Number(zero[i]) }));
  return { inputs, expected: inputs.map(rsqrtExpected), got };
}

describe('rsqrtUnit (Verilator) against rsqrtFixed', () => {
  it('widths: exp covers -23 - k over the whole range; mant is exactly the table width', () => {
    expect(RSQRT_MANT_BITS).toBe(16);
    expect(rsqrtExpWidth(53)).toBe(7); // exp in [-42, -16]
    expect(rsqrtFixed(2 ** 53 - 1).exp).toBe(-42);
    expect(rsqrtFixed(1).exp).toBe(-16);
    expect(leadingOnePosWidth(53)).toBe(6);
    let max = 0;
    for (let i = 256; i < 1024; i++) max = Math.max(max, RSQRT_TABLE[i]!);
    expect(max).toBeLessThan(2 ** RSQRT_MANT_BITS);
    expect(rsqrtUnitLatency()).toBe(7);
    expect(() => rsqrtUnit({ width: 54 })).toThrow(RangeError); // numerics has no value at 2^53
    expect(() => rsqrtUnit({ width: 0 })).toThrow(RangeError);
  });

  for (const [p, randomCount] of [
    [{ width: 53 }, 20_000],
    [{ width: 20 }, 5_000],
    [{ width: 2 }, 10],
  ] as const) {
    it(`width ${p.width}: bit-exact on every test input`, { timeout: TIMEOUT }, async () => {
      const r = await checkRsqrt(p, randomCount, 1000 + p.width);
      console.log(`rsqrt_unit width ${p.width}: ${r.inputs.length} inputs, ${r.got.length} outputs`);
      if (p.width === 53) expect(r.inputs.length).toBeGreaterThan(10_000);
      expect(r.got.length).toBe(r.inputs.length);
      expect(firstMismatches(r.expected, r.got, r.inputs)).toEqual([]);
      // The extremes really went through: s = 0 (flagged), s = 1 and s = 2^width - 1.
      expect(r.got[0]!.zero).toBe(1);
      expect(r.got[1]!).toEqual(rsqrtExpected(2 ** p.width - 1));
    });
  }

  it('latency: one input gives exactly one out_valid, rsqrtUnitLatency cycles later', { timeout: TIMEOUT }, async () => {
    const p = { width: 53 };
    expect(await measuredLatency(rsqrtUnit(p), 's', rsqrtUnitLatency(p) + 3)).toEqual([rsqrtUnitLatency(p)]);
  });
});

// ---- normalize16 + recip127 ---------------------------------------------------------------------

/** What normalizeRecipUnit must output; for m = 0: zero, mant 0, exp -15, recip = RECIP_TABLE[512]. */
function normalizeExpected(m: number) {
  if (m === 0) return { mant: 0, exp: -(RECIP.mantissaBits - 1), recip: RECIP_TABLE[2 ** (RECIP.indexBits - 1)]!, zero: 1 };
  const { mant, exp } = normalize16(m);
  return { mant, exp, recip: recip127(mant), zero: 0 };
}

async function checkNormalize(p: ScalarUnitParams, randomCount: number, seed: number) {
  const inputs = normalizeInputs(p.width, randomCount, seed);
  const latency = normalizeRecipUnitLatency(p);
  const { monitors } = await stream(normalizeRecipUnit(p), 'm', p.width, inputs, ['mant', 'exp', 'recip', 'zero'], latency, seed + 1);
  const expW = normalizeExpWidth(p.width);
  const mant = monitors.get('mant') ?? [];
  const exp = monitors.get('exp') ?? [];
  const recip = monitors.get('recip') ?? [];
  const zero = monitors.get('zero') ?? [];
  const got = mant.map((m, i) => ({
    mant: Number(m),
    exp: Number(BigInt.asIntN(expW, exp[i] ?? 0n)),
    recip: Number(recip[i]),
    zero: Number(zero[i]),
  }));
  return { inputs, expected: inputs.map(normalizeExpected), got };
}

describe('normalizeRecipUnit (Verilator) against normalize16 + recip127', () => {
  it('widths: exp covers hb - 15 over the whole range; recip is exactly the table width', () => {
    expect(RECIP_BITS).toBe(14);
    expect(normalizeExpWidth(40)).toBe(6); // exp in [-15, 24]
    expect(normalize16(2 ** 40 - 1).exp).toBe(24);
    let max = 0;
    for (let i = 512; i < 1024; i++) max = Math.max(max, RECIP_TABLE[i]!);
    expect(max).toBeLessThan(2 ** RECIP_BITS);
    expect(normalizeRecipUnitLatency()).toBe(6);
  });

  for (const [p, randomCount] of [
    [{ width: 40 }, 20_000],
    [{ width: 53 }, 5_000],
    [{ width: 12 }, 10],
    [{ width: 1 }, 10],
  ] as const) {
    it(`width ${p.width}: bit-exact on every test input`, { timeout: TIMEOUT }, async () => {
      const r = await checkNormalize(p, randomCount, 2000 + p.width);
      console.log(`normalize_recip_unit width ${p.width}: ${r.inputs.length} inputs, ${r.got.length} outputs`);
      if (p.width === 40) expect(r.inputs.length).toBeGreaterThan(10_000);
      expect(r.got.length).toBe(r.inputs.length);
      expect(firstMismatches(r.expected, r.got, r.inputs)).toEqual([]);
      expect(r.got[0]!.zero).toBe(1);
      expect(r.got[1]!).toEqual(normalizeExpected(2 ** p.width - 1));
    });
  }

  it('latency: one input gives exactly one out_valid, normalizeRecipUnitLatency cycles later', { timeout: TIMEOUT }, async () => {
    const p = { width: 40 };
    expect(await measuredLatency(normalizeRecipUnit(p), 'm', normalizeRecipUnitLatency(p) + 3)).toEqual([normalizeRecipUnitLatency(p)]);
  });
});

// ---- lint and synthesis -------------------------------------------------------------------------

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'scalar-units-'));

describe('scalar units: verilator -Wall and yosys synth_ice40', () => {
  for (const [m, ebr] of [
    [rsqrtUnit(), 3], // 768 x 16: three 256 x 16 EBRs
    [normalizeRecipUnit(), 2], // 512 x 14: two 512 x 8 EBRs
    [rsqrtUnit({ width: 20 }), 3],
    [normalizeRecipUnit({ width: 12 }), 2],
  ] as const) {
    it(`${m.name}: lint and synthesis are clean`, { timeout: TIMEOUT }, async () => {
      const synth = await expectCleanLintAndSynth(m, path.join(root, m.name));
      const c = synth.cells;
      expect(c.ebr).toBe(ebr);
      expect(c.dsp).toBe(0);
      expect(Object.keys(c.other)).toEqual([]);
      console.log(`${m.name}: ${c.lut4} LUT4, ${c.carry} carry, ${c.ff} FF, ${c.ebr} EBR`);
    });
  }
});
