// The widths of the per-BitLinear scalars (numerics/bitlinear.ts steps 2, 3 and 6) and of the elementwise
// ops' shift: what the row unit (m, S, shift), the serial scalar unit (E), the row side (mm_exp) and the
// instruction format (c_exp, norm_exp, shift) agree on. Each is derived from numerics' formats, so a
// format change moves them all; each is exactly what its range needs.
import { bitsFor } from '../../hdl/core/types.ts';
import { ACT, MANTISSA, NORM_WEIGHT, RECIP, RSQRT, SUMSQ_SHIFT } from '../../numerics/formats.ts';

/** numerics holds every value below 2^53; wider inputs have no reference to match. */
export const MAX_SCALAR_WIDTH = 53;

/** The signed width that holds every value of [lo, hi]. */
function signedWidth(lo: number, hi: number): number {
  return Math.max(bitsFor(BigInt(lo), true), bitsFor(BigInt(hi), true));
}

// ---- the quantiser's statistics: m = max |p_i|, p_i = u_i b_i, and S = sum shiftRound(u_i, 4)^2 ------

const U_MIN = -(2 ** (ACT.bits - 1));
const U_MAX = 2 ** (ACT.bits - 1) - 1;
const B_MIN = -(2 ** (NORM_WEIGHT.bits - 1));
/** Largest |p| = |u b| over the port ranges: 2^23 2^15 = 2^38. */
const P_MAG_MAX = BigInt(U_MIN) * BigInt(B_MIN);
/** Width of m = max |p|: 39. */
export const QUANT_M_BITS = bitsFor(P_MAG_MAX, false);
/** Largest |shiftRound(u, 4)|: (2^23 - 1 + 8) >> 4 = 2^19 (and -2^19 at the bottom). */
const V_MAG_MAX = Math.max(Math.floor((U_MAX + 2 ** (SUMSQ_SHIFT - 1)) / 2 ** SUMSQ_SHIFT), -Math.floor((U_MIN + 2 ** (SUMSQ_SHIFT - 1)) / 2 ** SUMSQ_SHIFT));

/** Width of S for vectors of up to maxCols elements: exactly maxCols (2^19)^2 (48 bits at 768, 49 at 1024, 53 below 2^15, 54 at 2^15). */
export function quantSumSqWidth(maxCols: number): number {
  return bitsFor(BigInt(maxCols) * BigInt(V_MAG_MAX) ** 2n, false);
}

/** normalize16's exponent is highBit(m) - 15. */
const NORM_EXP_BASE = -(RECIP.mantissaBits - 1);
/** Width of mm_exp = normalize16(m).exp for m below 2^QUANT_M_BITS: SInt(6), exp in [-15, 23]. */
export const QUANT_MM_EXP_BITS = signedWidth(NORM_EXP_BASE, QUANT_M_BITS - 1 + NORM_EXP_BASE);

// ---- the output scale (M, E) of step 6 ----------------------------------------------------------------
//
//   prod = mm_mant t_mant c_mant (exact, < 2^48), sh = highBit(prod) - 15, M = shiftRound(prod, sh) in
//   [2^15, 2^16], E = sh + mm_exp + t_exp + c_exp + norm_exp + SCALE_EXP_CONST.
// M = 2^16 (prod rounds up to the next power of two) is held as M = 2^15 and E + 1, the same value: then
// M fits UInt(16), and E needs room for the + 1.

/** Width of c_exp and norm_exp: SInt(8) (per-tensor exponents of converted models are about -15 .. 5). */
export const SCALE_EXP_BITS = 8;
/** rsqrtFixed(S).exp = -23 - floor((highBit(S) - 14) / 2) for S in [1, 2^53): [-42, -16], SInt(7). */
const RSQRT_EXP = (hb: number) => -RSQRT.frac - Math.floor((hb - (RSQRT.mantissaBits - 2)) / 2);
const SCALE_T_EXP_BITS = signedWidth(RSQRT_EXP(MAX_SCALAR_WIDTH - 1), RSQRT_EXP(0));

const MANT = MANTISSA.bits; // 16: mm_mant, t_mant, c_mant, M
const PROD_BITS = 3 * MANT; // 48
/** The constant of E (numerics/bitlinear.ts step 6): -12 + (12 - 4) + 12 = 8. */
export const SCALE_EXP_CONST = -ACT.frac + (ACT.frac - SUMSQ_SHIFT) + ACT.frac;
/** sh = highBit(prod) - 15 = (PROD_BITS - 1 - k) - (MANT - 1) = SH_BASE - k, k in [0, 47]. */
const SH_BASE = PROD_BITS - MANT; // 32

const sIntMin = (w: number) => -(2 ** (w - 1));
const sIntMax = (w: number) => 2 ** (w - 1) - 1;
/** The range of the four input exponents plus SCALE_EXP_CONST, over their whole widths. */
const EXP_SUM_MIN = sIntMin(QUANT_MM_EXP_BITS) + sIntMin(SCALE_T_EXP_BITS) + 2 * sIntMin(SCALE_EXP_BITS) + SCALE_EXP_CONST;
const EXP_SUM_MAX = sIntMax(QUANT_MM_EXP_BITS) + sIntMax(SCALE_T_EXP_BITS) + 2 * sIntMax(SCALE_EXP_BITS) + SCALE_EXP_CONST;
/** Width of E (plus 1 when M = 2^16 is held as 2^15): SInt(10). */
export const SCALE_E_BITS = signedWidth(SH_BASE - (PROD_BITS - 1) + EXP_SUM_MIN, SH_BASE + EXP_SUM_MAX + 1);

// ---- the elementwise ops ------------------------------------------------------------------------------

/** Width of PRESCALE's shift (the norm weight's -exp): SInt(7), -64 .. 63, all exact (numerics' -exp is typically 13 .. 20; 13 .. 15 in the tiny model). */
export const ELEMENTWISE_SHIFT_BITS = 7;
