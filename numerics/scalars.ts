// Per-token scalars as mantissa x 2^exponent: the reciprocal square root of a sum of squares and the
// reciprocal 127 / max|p| that sets the int8 scale.
import { RECIP, RSQRT } from './formats.ts';
import { RECIP_TABLE, RSQRT_TABLE } from './tables.ts';
import { highBit } from './integer.ts';

export interface Scalar {
  mant: number;
  exp: number;
}

/** 1/sqrt(s) for an integer s >= 1. The mantissa is normalised into [2^14, 2^16) by an even shift. */
export function rsqrtFixed(s: number): Scalar {
  const k = Math.floor((highBit(s) - (RSQRT.mantissaBits - 2)) / 2);
  const m = k >= 0 ? Math.floor(s / 4 ** k) : s * 4 ** -k;
  return { mant: RSQRT_TABLE[m >> (RSQRT.mantissaBits - RSQRT.indexBits)]!, exp: -RSQRT.frac - k };
}

/** The 16-bit mantissa and exponent of a positive integer m (m ~ mant x 2^exp, mant in [2^15, 2^16)), truncated. */
export function normalize16(m: number): Scalar {
  const e = highBit(m) - (RECIP.mantissaBits - 1);
  return { mant: e >= 0 ? Math.floor(m / 2 ** e) : m * 2 ** -e, exp: e };
}

/** 127 / mant for a mantissa in [2^15, 2^16), with RECIP.frac fraction bits. */
export function recip127(mant: number): number {
  return RECIP_TABLE[mant >> (RECIP.mantissaBits - RECIP.indexBits)]!;
}
