// BitLinear as upstream computes it (fused Triton path): RMSNorm of the input with the layer's own
// weight, per-token int8 activations, ternary weights with one scale per tensor.
//   s = 127 / max(max|y|, 1e-5), q = clamp(round_half_away(y s), -128, 127), out = (q . t) / s / s_w
import type { TernaryMatrix } from '../../numerics/ternary.ts';
import { roundHalfAway } from '../../numerics/integer.ts';

/** y = x / sqrt(mean(x^2) + eps) * weight. */
export function rmsNorm(x: ArrayLike<number>, weight: Float32Array, eps: number, out: Float64Array): void {
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += x[i]! * x[i]!;
  const rstd = 1 / Math.sqrt(ss / x.length + eps);
  for (let i = 0; i < x.length; i++) out[i] = x[i]! * rstd * weight[i]!;
}

/** Per-token absmax int8 quantisation; returns the scale s (q = round(y s)). */
export function quantizeInt8(y: Float64Array, q: Int32Array): number {
  let max = 0;
  for (let i = 0; i < y.length; i++) max = Math.max(max, Math.abs(Math.fround(y[i]!)));
  // The reference computes in float32: rounding y and the products the same way keeps every int8
  // rounding decision on the same side of .5 as upstream's.
  const s = Math.fround(127 / Math.max(max, 1e-5));
  for (let i = 0; i < y.length; i++) {
    const r = roundHalfAway(Math.fround(Math.fround(y[i]!) * s));
    q[i] = r > 127 ? 127 : r < -128 ? -128 : r;
  }
  return s;
}

export class FloatBitLinear {
  private readonly normed: Float64Array;
  private readonly q: Int32Array;
  private readonly acc: Int32Array;

  constructor(
    readonly weights: TernaryMatrix,
    readonly normWeight: Float32Array,
    readonly eps: number,
  ) {
    this.normed = new Float64Array(weights.cols);
    this.q = new Int32Array(weights.cols);
    this.acc = new Int32Array(weights.rows);
  }

  forward(x: ArrayLike<number>, out: Float64Array): void {
    rmsNorm(x, this.normWeight, this.eps, this.normed);
    const s = quantizeInt8(this.normed, this.q);
    this.weights.matvec(this.q, this.acc);
    const k = 1 / (s * this.weights.scale);
    for (let r = 0; r < this.acc.length; r++) out[r] = this.acc[r]! * k;
  }
}
