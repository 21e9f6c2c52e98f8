// From full-precision parameters to the integers the accelerator stores. This runs once, when a model
// is converted; nothing here is on the per-token path.
import { EMBED, GATE, NORM_WEIGHT, MANTISSA, QACT } from './formats.ts';
import { roundHalfAway } from './integer.ts';
import { EXP_FLOOR } from './ranges.ts';
import type { FixedVector } from './bitlinear.ts';
import type { Scalar } from './scalars.ts';

/**
 * The exponent that puts max|w| just below 2^(bits-1) in mantissa units, floored at EXP_FLOOR
 * (numerics/ranges.ts): a vector of tiny values keeps an exponent the RTL's fields hold, and rounds to 0.
 */
function exponentFor(maxAbs: number, bits: number): number {
  return maxAbs === 0 ? 0 : Math.max(EXP_FLOOR, Math.floor(Math.log2(maxAbs)) + 1 - (bits - 1));
}

/** A weight vector as SInt(16) mantissas with one exponent (round half away from zero). */
export function toFixedVector(w: ArrayLike<number>): FixedVector {
  let max = 0;
  for (let i = 0; i < w.length; i++) max = Math.max(max, Math.abs(w[i]!));
  const exp = exponentFor(max, NORM_WEIGHT.bits);
  const lim = 2 ** (NORM_WEIGHT.bits - 1) - 1;
  const mant = new Int32Array(w.length);
  for (let i = 0; i < w.length; i++) mant[i] = Math.max(-lim, Math.min(lim, roundHalfAway(w[i]! * 2 ** -exp)));
  return { mant, exp };
}

/** A positive constant as a 16-bit mantissa in [2^15, 2^16) and an exponent. */
export function toScalar(v: number): Scalar {
  if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`scalar must be positive and finite, got ${v}`);
  let exp = Math.floor(Math.log2(v)) - (MANTISSA.bits - 1);
  let mant = Math.round(v * 2 ** -exp);
  if (mant >= 2 ** MANTISSA.bits) {
    mant = Math.round(mant / 2);
    exp += 1;
  }
  return { mant, exp };
}

/** The BitLinear output constant sqrt(cols) / (127 s_w). */
export function bitLinearOutScale(cols: number, weightScale: number): Scalar {
  return toScalar(Math.sqrt(cols) / (QACT.scale * weightScale));
}

/** Lower bounds of the forget gates in GATE format. */
export function toGate(v: ArrayLike<number>): Int32Array {
  const out = new Int32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = Math.max(0, Math.min(GATE.one, Math.round(v[i]! * GATE.one)));
  return out;
}

export interface FixedEmbeddings {
  /** int8 codes, row-major [vocab, d]. */
  codes: Int8Array;
  /** Per row: the UInt(16) scale mantissa; value = code * rowScale * 2^exp. */
  rowScale: Int32Array;
  exp: number;
}

/**
 * Embeddings as int8 per row with an absmax scale per row. `e` is the row-major table, or a function
 * that puts row v's values into `out` (a large model's table is read row by row, never whole as float32).
 */
export function quantizeEmbeddings(e: Float32Array | ((v: number, out: Float32Array) => void), vocab: number, d: number): FixedEmbeddings {
  const codes = new Int8Array(vocab * d);
  const scales = new Float64Array(vocab);
  const row = new Float32Array(d);
  const readRow = typeof e === 'function' ? e : (v: number, out: Float32Array) => out.set(e.subarray(v * d, (v + 1) * d));
  for (let v = 0; v < vocab; v++) {
    readRow(v, row);
    let max = 0;
    for (let j = 0; j < d; j++) max = Math.max(max, Math.abs(row[j]!));
    scales[v] = max / QACT.scale;
    for (let j = 0; j < d; j++) codes[v * d + j] = max === 0 ? 0 : roundHalfAway((row[j]! * QACT.scale) / max);
  }
  let maxScale = 0;
  for (const s of scales) maxScale = Math.max(maxScale, s);
  const exp = maxScale === 0 ? 0 : Math.max(EXP_FLOOR, Math.floor(Math.log2(maxScale)) + 1 - EMBED.scaleBits);
  const rowScale = new Int32Array(vocab);
  for (let v = 0; v < vocab; v++) rowScale[v] = Math.min(2 ** EMBED.scaleBits - 1, Math.round(scales[v]! * 2 ** -exp));
  return { codes, rowScale, exp };
}
