// absOf in Verilator: one combinational bench holds absOf for every width of x from 1 to 41 (the row
// unit's product is 40 bits) and every number of result bits it allows near the top (1, w - 1, w, w + 1);
// each x is fed every value (w <= 11) or its extremes (the most negative, -1, 0, 1, the largest, the powers
// of two around them) and seeded random ones, and each output must be the low bits of |x|.
import { describe, expect, it } from 'vitest';
import { absOf } from './magnitude.ts';
import { buildModule } from '../../hdl/core/generator.ts';
import { SInt, UInt } from '../../hdl/core/types.ts';
import { buildRtlModel } from '../../sim/rtl-model.ts';
import { StimulusScript, runModel } from '../../flow/verilator.ts';
import { expectLintClean, haveVerilator, testTempDir } from '../../flow/verilator-test-support.ts';
import { prng } from '../../sim/prng.ts';

const MAX_W = 41;
const EXHAUSTIVE_W = 11;
const STEPS = 1 << EXHAUSTIVE_W;

interface Variant {
  w: number;
  bits: number;
}
const variants: Variant[] = [];
for (let w = 1; w <= MAX_W; w++) {
  for (const bits of new Set([1, w - 1, w, w + 1])) if (bits >= 1) variants.push({ w, bits });
}
const name = (v: Variant) => `a_w${v.w}_b${v.bits}`;

const bench = buildModule('abs_of_bench', (m) => {
  const xs = new Map<number, ReturnType<typeof m.input>>();
  for (let w = 1; w <= MAX_W; w++) xs.set(w, m.input(`x${w}`, SInt(w)));
  for (const v of variants) {
    const out = m.output(name(v), UInt(v.bits));
    const a = absOf(xs.get(v.w)!, v.bits);
    expect(a.type).toEqual(UInt(v.bits));
    m.assign(out, a);
  }
});

/** STEPS values of a w-bit signed x: all of them when they fit, else the extremes and then random ones. */
function values(w: number, seed: number): bigint[] {
  const lo = -(1n << BigInt(w - 1));
  const hi = (1n << BigInt(w - 1)) - 1n;
  if (w <= EXHAUSTIVE_W) return Array.from({ length: STEPS }, (_, i) => lo + (BigInt(i) % (1n << BigInt(w))));
  const xs = [lo, lo + 1n, -1n, 0n, 1n, hi, hi - 1n];
  for (let k = 0; k < w - 1; k++) for (const d of [-1n, 0n, 1n]) xs.push((1n << BigInt(k)) + d, -(1n << BigInt(k)) + d);
  const r = prng(seed);
  while (xs.length < STEPS) {
    let u = 0n;
    for (let b = 0; b < w; b++) if (r() < 0.5) u |= 1n << BigInt(b);
    xs.push(BigInt.asIntN(w, u));
  }
  return xs.filter((x) => x >= lo && x <= hi).slice(0, STEPS);
}

describe('absOf', () => {
  it('refuses an unsigned value and a result wider than |x| can need', () => {
    expect(() => buildModule('abs_bad_u', (m) => void absOf(m.input('x', UInt(8)), 8))).toThrow(/signed/);
    expect(() => buildModule('abs_bad_w', (m) => void absOf(m.input('x', SInt(8)), 10))).toThrow(/1 \.\. 9/);
    expect(() => buildModule('abs_bad_0', (m) => void absOf(m.input('x', SInt(8)), 0))).toThrow(/bits/);
  });

  const dir = testTempDir('abs-of-');
  describe.skipIf(!haveVerilator)('in Verilator', () => {
    it('the bench is lint-clean', { timeout: 120_000 }, () => expectLintClean(bench, dir()));

    it(`${variants.length} variants (x of 1 .. ${MAX_W} bits) give the low bits of |x|, the most negative x included`, { timeout: 300_000 }, async () => {
      const { model } = await buildRtlModel(bench);
      const xs = new Map<number, bigint[]>();
      for (let w = 1; w <= MAX_W; w++) xs.set(w, values(w, 1000 + w));
      const s = new StimulusScript(model.ports);
      for (let i = 0; i < STEPS; i++) {
        for (let w = 1; w <= MAX_W; w++) s.set(`x${w}`, xs.get(w)![i]!);
        s.eval();
        for (const v of variants) s.get(name(v), name(v));
      }
      const res = await runModel(model, s);
      const mismatches: string[] = [];
      for (const v of variants) {
        const got = res.samples.get(name(v)) ?? [];
        expect(got.length).toBe(STEPS);
        for (let i = 0; i < STEPS && mismatches.length < 5; i++) {
          const x = xs.get(v.w)![i]!;
          const want = BigInt.asUintN(v.bits, x < 0n ? -x : x);
          if (BigInt(got[i]!) !== want) mismatches.push(`${name(v)} x=${x}: got ${got[i]}, want ${want}`);
        }
      }
      expect(mismatches).toEqual([]);
    });
  });
});
