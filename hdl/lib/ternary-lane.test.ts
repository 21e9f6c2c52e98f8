// The ternary lane in Verilator against its TypeScript reference: 10,000+ random vectors streamed one
// per cycle through the pipeline, with the extremes (-128 everywhere, all -1 weights) included.
import { describe, expect, it } from 'vitest';
import { ternaryLane, ternaryDotReference, ternaryLaneLatency, ternaryLaneWidth, TERNARY_CODE } from './ternary-lane.ts';
import { buildRtlModel } from '../../sim/rtl-model.ts';
import { StimulusScript, runModel } from '../../flow/verilator.ts';

/** A small deterministic PRNG so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pack(values: number[], bits: number): bigint {
  let v = 0n;
  const mask = (1n << BigInt(bits)) - 1n;
  values.forEach((x, i) => (v |= (BigInt(x) & mask) << BigInt(i * bits)));
  return v;
}

const CODES = [TERNARY_CODE.zero, TERNARY_CODE.plus, TERNARY_CODE.minus];

function vectors(n: number, count: number, seed: number): { acts: number[]; codes: number[] }[] {
  const r = rng(seed);
  const out: { acts: number[]; codes: number[] }[] = [];
  const fill = (a: () => number, c: () => number) => out.push({ acts: Array.from({ length: n }, a), codes: Array.from({ length: n }, c) });
  // The extremes: the largest magnitudes the sum can reach, and the negation of -128.
  fill(() => -128, () => TERNARY_CODE.minus);
  fill(() => -128, () => TERNARY_CODE.plus);
  fill(() => 127, () => TERNARY_CODE.plus);
  fill(() => 127, () => TERNARY_CODE.minus);
  fill(() => 0, () => TERNARY_CODE.minus);
  fill(() => -1, () => TERNARY_CODE.minus);
  fill(() => -128, () => TERNARY_CODE.zero);
  while (out.length < count) {
    const mode = r();
    // Mix uniform values with vectors biased to the rails so saturation-prone sums are common.
    const act = mode < 0.2 ? () => (r() < 0.5 ? -128 : 127) : () => Math.floor(r() * 256) - 128;
    const code = mode > 0.9 ? () => TERNARY_CODE.minus : () => CODES[Math.floor(r() * 3)]!;
    fill(act, code);
  }
  return out;
}

describe('ternary lane (Verilator)', () => {
  for (const p of [
    { n: 64, stages: 3 },
    { n: 13, stages: 0 },
  ]) {
    it(`n=${p.n} stages=${p.stages}: matches the reference on 10,000 vectors`, { timeout: 300_000 }, async () => {
      const { model } = await buildRtlModel(ternaryLane(p));
      const vs = vectors(p.n, 10_000, 42 + p.n);
      const latency = ternaryLaneLatency(p);
      const script = new StimulusScript().set('rst', 1).tick(2).set('rst', 0);
      script.monitor('dot', 'out_valid', 'dot');
      for (const v of vs) script.set('act', pack(v.acts, 8)).set('codes', pack(v.codes, 2)).set('in_valid', 1).tick();
      script.set('in_valid', 0).tick(latency + 2);
      const result = await runModel(model, script);
      const got = result.monitors.get('dot') ?? [];
      expect(got.length).toBe(vs.length);
      const width = ternaryLaneWidth(p.n);
      const toSigned = (x: bigint) => Number(BigInt.asIntN(width, x));
      const mismatches = vs.map((v, i) => ({ i, want: ternaryDotReference(v.acts, v.codes), got: toSigned(got[i]!) })).filter((x) => x.want !== x.got);
      expect(mismatches.slice(0, 5)).toEqual([]);
      // The extremes really were exercised.
      expect(toSigned(got[0]!)).toBe(128 * p.n);
      expect(toSigned(got[1]!)).toBe(-128 * p.n);
    });
  }

  it('reference decodes the reserved code 10 as zero', () => {
    expect(ternaryDotReference([5, 7], [0b10, 0b01])).toBe(7);
  });
});
