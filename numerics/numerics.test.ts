// The numerics spec's primitives against exact references: rounding, saturation, the tables'
// accuracy over their whole input range, and the integer BitLinear against the float one.
import { describe, expect, it } from 'vitest';
import { highBit, roundHalfAway, saturate, shiftRound } from './integer.ts';
import { normalize16, recip127, rsqrtFixed } from './scalars.ts';
import { sigmoidFixed, siluFixed } from './nonlinear.ts';
import { ACT, GATE, RECIP } from './formats.ts';
import { BitLinearScratch, bitLinearFixed, sumOfSquares } from './bitlinear.ts';
import { bitLinearOutScale, toFixedVector, quantizeEmbeddings, toScalar } from './convert.ts';
import { TernaryMatrix, ternarize, roundHalfEven } from './ternary.ts';
import { FloatBitLinear } from '../model/float/bitlinear.ts';
import { seededRandom } from '../util/prng.ts';

describe('integer primitives', () => {
  it('shiftRound rounds half up, also for negatives, and scales up for s <= 0', () => {
    expect([shiftRound(3, 1), shiftRound(-3, 1), shiftRound(5, 2), shiftRound(-6, 2), shiftRound(7, 0), shiftRound(3, -4)]).toEqual([2, -1, 1, -1, 7, 48]);
    expect(shiftRound(2 ** 52 + 3, 1)).toBe(2 ** 51 + 2);
  });
  it('saturate clamps to the two-complement range', () => {
    expect([saturate(2 ** 23, 24), saturate(-(2 ** 23) - 1, 24), saturate(5, 24), saturate(-(2 ** 23), 24)]).toEqual([2 ** 23 - 1, -(2 ** 23), 5, -(2 ** 23)]);
  });
  it('highBit is floor(log2) up to 2^53', () => {
    for (const x of [1, 2, 3, 255, 256, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 5, 2 ** 53 - 1]) expect(highBit(x)).toBe(BigInt(x).toString(2).length - 1);
  });
  it('the two rounding rules of upstream', () => {
    expect([roundHalfAway(2.5), roundHalfAway(-2.5), roundHalfAway(0.49)]).toEqual([3, -3, 0]);
    expect([roundHalfEven(2.5), roundHalfEven(3.5), roundHalfEven(-0.5), roundHalfEven(-1.5)].map((v) => v + 0)).toEqual([2, 4, 0, -2]);
  });
});

describe('tables', () => {
  it('rsqrt is within 2^-9 relative over 1 .. 2^52 (half a table bucket)', () => {
    let worst = 0;
    for (let e = 0; e < 52; e += 0.37) {
      const s = Math.floor(2 ** e);
      const r = rsqrtFixed(s);
      worst = Math.max(worst, Math.abs(r.mant * 2 ** r.exp * Math.sqrt(s) - 1));
    }
    expect(worst).toBeLessThan(2 ** -9);
  });
  it('127/m from the reciprocal table is within 2^-9 relative (half a bucket plus truncation)', () => {
    let worst = 0;
    for (let m = 1; m < 2 ** 40; m = Math.floor(m * 1.37) + 1) {
      const n = normalize16(m);
      expect(n.mant).toBeGreaterThanOrEqual(2 ** 15);
      expect(n.mant).toBeLessThan(2 ** 16);
      const v = recip127(n.mant) * 2 ** -RECIP.frac * 2 ** -n.exp;
      worst = Math.max(worst, Math.abs((v * m) / 127 - 1));
    }
    expect(worst).toBeLessThan(2 ** -9);
  });
  it('sigmoid is within 2^-12 of the true value on [-14, 14], monotone, and saturates', () => {
    let worst = 0;
    let prev = -1;
    for (let x = -14 * 4096; x <= 14 * 4096; x += 7) {
      const s = sigmoidFixed(x);
      expect(s).toBeGreaterThanOrEqual(prev);
      prev = s;
      worst = Math.max(worst, Math.abs(s / GATE.one - 1 / (1 + Math.exp(-x / 4096))));
    }
    expect(worst).toBeLessThan(2 ** -12);
    expect(sigmoidFixed(-(2 ** 23))).toBe(sigmoidFixed(-12 * 4096));
    expect(siluFixed(0)).toBe(0);
    expect(Math.abs(siluFixed(3 * 4096) / 4096 - 3 / (1 + Math.exp(-3)))).toBeLessThan(1e-3);
  });
});

describe('conversion', () => {
  it('norm weights keep 15 bits of precision; scalars are normalised 16-bit mantissas', () => {
    const w = Float32Array.from([0.5, -1.25, 2.999, 1e-3]);
    const f = toFixedVector(w);
    for (let i = 0; i < w.length; i++) expect(Math.abs(f.mant[i]! * 2 ** f.exp - w[i]!)).toBeLessThanOrEqual(2 ** (f.exp - 1));
    expect(Math.max(...Array.from(f.mant, Math.abs))).toBeLessThan(2 ** 15);
    const s = toScalar(Math.PI);
    expect(s.mant).toBeGreaterThanOrEqual(2 ** 15);
    expect(Math.abs(s.mant * 2 ** s.exp - Math.PI)).toBeLessThan(Math.PI * 2 ** -15);
  });
  it('embeddings: int8 per row, the row absmax maps to +-127', () => {
    const e = Float32Array.from([0.1, -0.2, 0.05, 0, 0, 0]);
    const q = quantizeEmbeddings(e, 2, 3);
    expect(Array.from(q.codes)).toEqual([64, -127, 32, 0, 0, 0]);
    expect(q.rowScale[1]).toBe(0);
  });
});

describe('BitLinear: integers vs float', () => {
  const rnd = seededRandom(9);
  const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const rows = 48;
  const cols = 96;
  const w = Float32Array.from({ length: rows * cols }, () => gauss() * 0.05);
  const norm = Float32Array.from({ length: cols }, () => 0.5 + rnd());
  const matrix = TernaryMatrix.fromFloat(w, rows, cols);
  const fixed = { weights: matrix, norm: toFixedVector(norm), outScale: bitLinearOutScale(cols, matrix.scale) };
  const float = new FloatBitLinear(matrix, norm, 1e-6);
  const scratch = new BitLinearScratch(cols, rows);

  it('agrees with the float BitLinear to within 1% of the output range on random inputs', () => {
    let worst = 0;
    for (let trial = 0; trial < 200; trial++) {
      const scale = 2 ** (rnd() * 10 - 5);
      const x = Float64Array.from({ length: cols }, () => gauss() * scale);
      const u = Int32Array.from(x, (v) => Math.round(v * 2 ** ACT.frac));
      const xr = Float64Array.from(u, (v) => v / 2 ** ACT.frac);
      const want = new Float64Array(rows);
      float.forward(xr, want);
      const got = new Int32Array(rows);
      bitLinearFixed(u, sumOfSquares(u), fixed, got, scratch);
      const range = Math.max(...Array.from(want, Math.abs));
      for (let r = 0; r < rows; r++) worst = Math.max(worst, Math.abs(got[r]! / 2 ** ACT.frac - want[r]!) / range);
    }
    expect(worst).toBeLessThan(0.01);
  });

  it('an all-zero input gives all-zero output; a saturating input stays finite and in range', () => {
    const out = new Int32Array(rows).fill(7);
    const zero = new Int32Array(cols);
    bitLinearFixed(zero, sumOfSquares(zero), fixed, out, scratch);
    expect(Array.from(out)).toEqual(new Array(rows).fill(0));
    const big = Int32Array.from({ length: cols }, (_, i) => (i % 2 ? 2 ** 23 - 1 : -(2 ** 23)));
    bitLinearFixed(big, sumOfSquares(big), fixed, out, scratch);
    for (const v of out) {
      expect(Number.isInteger(v)).toBe(true);
      expect(Math.abs(v)).toBeLessThanOrEqual(2 ** 23);
    }
  });

  it('ternarize follows upstream: absmean scale, round half to even, clamp to +-1', () => {
    const t = ternarize(Float32Array.from([1, -1, 0.5, -3, 0]));
    expect(t.scale).toBeCloseTo(1 / 1.1, 6);
    expect(Array.from(t.codes)).toEqual([1, -1, 0, -1, 0]);
  });
});
