// The scalar widths against numerics: each holds the extreme values numerics can produce for it, and the
// ones derived from a range are tight (one bit less would not hold them).
import { describe, expect, it } from 'vitest';
import {
  MAX_SCALAR_WIDTH,
  QUANT_M_BITS,
  quantSumSqWidth,
  QUANT_MM_EXP_BITS,
  SCALE_EXP_BITS,
  SCALE_EXP_CONST,
  SCALE_E_BITS,
  ELEMENTWISE_SHIFT_BITS,
} from './scalar-widths.ts';
import { bitLinearOutputScale, sumOfSquares, type FixedBitLinearParams } from '../../numerics/bitlinear.ts';
import { normalize16, rsqrtFixed, type Scalar } from '../../numerics/scalars.ts';
import { highBit } from '../../numerics/integer.ts';
import { ACT, MANTISSA, NORM_WEIGHT } from '../../numerics/formats.ts';
import { TernaryMatrix } from '../../numerics/ternary.ts';
import { prng } from '../../sim/prng.ts';

const fitsSigned = (v: number, bits: number) => v >= -(2 ** (bits - 1)) && v < 2 ** (bits - 1);
const sMin = (bits: number) => -(2 ** (bits - 1));
const sMax = (bits: number) => 2 ** (bits - 1) - 1;
const ACT_MIN = sMin(ACT.bits);
const ACT_MAX = sMax(ACT.bits);

/** Step 6 for a BitLinear whose norm exponent is nExp and whose constant C is c. */
function outputScale(mm: Scalar, s: number, c: Scalar, nExp: number): Scalar {
  const prm: FixedBitLinearParams = { weights: new TernaryMatrix(1, 1, new Int8Array(1), 1), norm: { mant: new Int32Array(1), exp: nExp }, outScale: c };
  return bitLinearOutputScale(mm, s, prm);
}

describe('scalar widths', () => {
  it('MAX_SCALAR_WIDTH: numerics\' integers are exact below 2^53', () => {
    expect(Number.isSafeInteger(2 ** MAX_SCALAR_WIDTH - 1)).toBe(true);
    expect(Number.isSafeInteger(2 ** MAX_SCALAR_WIDTH)).toBe(false);
  });

  it('QUANT_M_BITS holds the largest |u b| exactly (39)', () => {
    const pMax = Math.abs(ACT_MIN * sMin(NORM_WEIGHT.bits));
    expect(highBit(pMax) + 1).toBe(QUANT_M_BITS);
    expect(Math.abs(ACT_MAX * sMax(NORM_WEIGHT.bits))).toBeLessThan(pMax);
    expect(QUANT_M_BITS).toBe(39);
  });

  it('quantSumSqWidth(n) is exactly the width of numerics\' largest sum of squares over n elements', () => {
    for (const n of [1, 2, 3, 255, 256, 768, 1024, 4096, 2 ** 15 - 1, 2 ** 15]) {
      for (const u of [ACT_MIN, ACT_MAX]) {
        const s = sumOfSquares(new Int32Array(n).fill(u));
        expect(highBit(s) + 1, `n = ${n}, u = ${u}`).toBeLessThanOrEqual(quantSumSqWidth(n));
      }
      expect(highBit(sumOfSquares(new Int32Array(n).fill(ACT_MIN))) + 1, `n = ${n}`).toBe(quantSumSqWidth(n));
    }
    expect([quantSumSqWidth(768), quantSumSqWidth(2 ** 15 - 1)]).toEqual([48, 53]);
  });

  it('QUANT_MM_EXP_BITS holds normalize16(m).exp for every m below 2^QUANT_M_BITS, and no fewer bits do', () => {
    const lo = normalize16(1).exp;
    const hi = normalize16(2 ** QUANT_M_BITS - 1).exp;
    expect(fitsSigned(lo, QUANT_MM_EXP_BITS) && fitsSigned(hi, QUANT_MM_EXP_BITS)).toBe(true);
    expect(fitsSigned(lo, QUANT_MM_EXP_BITS - 1) && fitsSigned(hi, QUANT_MM_EXP_BITS - 1)).toBe(false);
    expect(QUANT_MM_EXP_BITS).toBe(6);
  });

  it('SCALE_EXP_CONST is the constant of numerics\' E: E - sh - the four exponents', () => {
    const r = prng(11);
    for (let i = 0; i < 2000; i++) {
      const mm = normalize16(1 + Math.floor(r() * 2 ** Math.floor(r() * QUANT_M_BITS)));
      const s = 1 + Math.floor(r() * 2 ** Math.floor(r() * MAX_SCALAR_WIDTH));
      const c = { mant: 2 ** 15 + Math.floor(r() * 2 ** 15), exp: sMin(SCALE_EXP_BITS) + Math.floor(r() * 2 ** SCALE_EXP_BITS) };
      const nExp = sMin(SCALE_EXP_BITS) + Math.floor(r() * 2 ** SCALE_EXP_BITS);
      const t = rsqrtFixed(s);
      const sh = highBit(mm.mant * t.mant * c.mant) - (MANTISSA.bits - 1);
      expect(outputScale(mm, s, c, nExp).exp - (sh + mm.exp + t.exp + c.exp + nExp)).toBe(SCALE_EXP_CONST);
    }
  });

  it('SCALE_E_BITS holds E and E + 1 at every extreme of the inputs', () => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const m of [1, 2 ** 15, 2 ** QUANT_M_BITS - 1]) {
      for (const s of [1, 2 ** 14, 2 ** MAX_SCALAR_WIDTH - 1]) {
        for (const cMant of [2 ** 15, 2 ** 16 - 1]) {
          for (const e of [sMin(SCALE_EXP_BITS), sMax(SCALE_EXP_BITS)]) {
            const { exp } = outputScale(normalize16(m), s, { mant: cMant, exp: e }, e);
            lo = Math.min(lo, exp);
            hi = Math.max(hi, exp + 1);
          }
        }
      }
    }
    expect(fitsSigned(lo, SCALE_E_BITS) && fitsSigned(hi, SCALE_E_BITS)).toBe(true);
    expect(SCALE_E_BITS).toBe(10);
  });

  it('the instruction fields: c_exp and norm_exp SInt(8), PRESCALE\'s shift SInt(7)', () => {
    expect([SCALE_EXP_BITS, ELEMENTWISE_SHIFT_BITS]).toEqual([8, 7]);
  });
});
