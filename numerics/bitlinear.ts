// BitLinear in integers, as the accelerator computes it. Upstream: y = RMSNorm(u) * b,
// q = round(127 y / max|y|), out = (q . t) max|y| / (127 s_w). The RMSNorm's 1/rms is one positive
// scalar per token, so it cancels in q: q depends only on p = u * b, and 1/rms is needed only in the
// output scale. Steps (every rounding is shiftRound, half up):
//   1. p_i = u_i b_i                               exact
//   2. m = max|p_i|; m = 0 gives out = 0            (as upstream)
//   3. e = highBit(m) - 15; p'_i = shiftRound(p_i, e); mm = floor(m / 2^e) in [2^15, 2^16)
//   4. q_i = clamp(shiftRound(p'_i R, 22), -128, 127) with R = RECIP_TABLE[mm >> 6] ~ 127 2^22 / mm
//   5. acc_r = sum_c t_rc q_c                       exact, 8 + clog2(cols) + 1 bits
//   6. P = mm T C with T = rsqrt table of S = sum shiftRound(u_i, 4)^2, C = sqrt(cols) / (127 s_w)
//      normalised to 16 bits, out_r = sat24(shiftRound(acc_r M, -E))
import type { TernaryMatrix } from './ternary.ts';
import { ACT, QACT, RECIP, SUMSQ_SHIFT } from './formats.ts';
import { highBit, saturate, shiftRound } from './integer.ts';
import { normalize16, recip127, rsqrtFixed, type Scalar } from './scalars.ts';

/** A vector of full-precision weights as SInt(16) mantissas with one exponent: w_i = mant_i 2^exp. */
export interface FixedVector {
  mant: Int32Array;
  exp: number;
}

export interface FixedBitLinearParams {
  weights: TernaryMatrix;
  /** The BitLinear's own RMSNorm weight. */
  norm: FixedVector;
  /** sqrt(cols) / (127 s_w) as a 16-bit mantissa and exponent (fixed per tensor). */
  outScale: Scalar;
}

/** S = sum of shiftRound(u_i, 4)^2: the input's energy, shared by every BitLinear that reads u. */
export function sumOfSquares(u: Int32Array): number {
  let s = 0;
  for (let i = 0; i < u.length; i++) {
    const v = shiftRound(u[i]!, SUMSQ_SHIFT);
    s += v * v;
  }
  return s;
}

/** Scratch space so a forward pass allocates nothing. */
export class BitLinearScratch {
  readonly p: Float64Array;
  readonly q: Int32Array;
  readonly acc: Int32Array;
  constructor(maxCols: number, maxRows: number) {
    this.p = new Float64Array(maxCols);
    this.q = new Int32Array(maxCols);
    this.acc = new Int32Array(maxRows);
  }
}

/** What one BitLinear computed for one token (kept for co-simulation dumps). */
export interface BitLinearTrace {
  m: number;
  q: Int32Array;
  acc: Int32Array;
  scale: Scalar;
}

/**
 * out (ACT) = BitLinear(u (ACT)), with S = sumOfSquares(u) given by the caller. `out` may be longer
 * than the matrix has rows only if `rowOffset` selects a slice (gate/up share one matrix).
 */
export function bitLinearFixed(u: Int32Array, s: number, prm: FixedBitLinearParams, out: Int32Array, scratch: BitLinearScratch): void {
  const { weights } = prm;
  const mm = quantizeBitLinearInput(u, prm.norm, weights.cols, scratch);
  if (mm === null || s === 0) {
    out.fill(0, 0, weights.rows);
    return;
  }
  const accv = scratch.acc.subarray(0, weights.rows);
  weights.matvec(scratch.q.subarray(0, weights.cols), accv);
  const k = bitLinearOutputScale(mm, s, prm);
  for (let r2 = 0; r2 < weights.rows; r2++) out[r2] = scaleAccumulator(accv[r2]!, k);
}

/**
 * Steps 1-4: the int8 activations of u (its first n entries) into scratch.q, and the normalised max|p|;
 * null when every p_i is 0 (the output is then 0). Exported for the FFF tree (numerics/fff.ts), which
 * quantises once and multiplies only the rows it visits.
 */
export function quantizeBitLinearInput(u: Int32Array, norm: FixedVector, n: number, scratch: BitLinearScratch): Scalar | null {
  const { p, q } = scratch;
  let m = 0;
  for (let i = 0; i < n; i++) {
    const v = u[i]! * norm.mant[i]!;
    p[i] = v;
    const a = v < 0 ? -v : v;
    if (a > m) m = a;
  }
  if (m === 0) return null;
  const mm = normalize16(m);
  const r = recip127(mm.mant);
  for (let i = 0; i < n; i++) {
    const v = shiftRound(shiftRound(p[i]!, mm.exp) * r, RECIP.frac);
    q[i] = v > QACT.max ? QACT.max : v < QACT.min ? QACT.min : v;
  }
  return mm;
}

/** Step 6: the per-token output scale (mant, exp) from mm, S (> 0) and the tensor's constants. */
export function bitLinearOutputScale(mm: Scalar, s: number, prm: FixedBitLinearParams): Scalar {
  // Output scale: m 2^(norm.exp - 12) * sqrt(cols) 2^(12 - SUMSQ_SHIFT) rsqrt(S) / (127 s_w), into ACT.
  const t = rsqrtFixed(s);
  const prod = mm.mant * t.mant * prm.outScale.mant;
  const sh = highBit(prod) - 15;
  const mant = shiftRound(prod, sh);
  const exp = sh + mm.exp + t.exp + prm.outScale.exp + prm.norm.exp - ACT.frac + (ACT.frac - SUMSQ_SHIFT) + ACT.frac;
  return { mant, exp };
}

/** One output: sat24(shiftRound(acc mant, -exp)). */
export function scaleAccumulator(acc: number, k: Scalar): number {
  return saturate(shiftRound(acc * k.mant, -k.exp), ACT.bits);
}
