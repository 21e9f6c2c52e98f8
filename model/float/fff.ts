// The Fast FeedForward channel mixer as the upstream float model computes it (reference.json's fff.rule):
//   z = node_in(x); from node 0 go to 2n+1 if z_n <= 0 else 2n+2, depth+1 nodes (the path);
//   y = node_out(silu(z) * mask), node_in / node_out BitLinears (own RMSNorm, int8 activations, ternary W).
// forward() reads only the path: node_in's RMSNorm and int8 scale are over x, shared by every row, so
// its D+1 visited rows are exact; node_out's input is 0 off the path, so its RMSNorm sum and absmax are
// those of the D+1 path entries (summed in index order, as the dense sum adds them: the path's nodes
// grow), while the mean still divides by N. forwardDense() computes all N nodes then masks (the test's
// check, the bench's baseline).
import type { TernaryMatrix } from '../../numerics/ternary.ts';
import { FloatBitLinear, quantizeInt8, rmsNorm } from './bitlinear.ts';

const silu = (x: number): number => x / (1 + Math.exp(-x));

export class FloatFff {
  private readonly nodeOutColumns: TernaryMatrix;
  /** The dense evaluation's BitLinears (N-long buffers: built on forwardDense's first call). */
  private dense: { inLinear: FloatBitLinear; outLinear: FloatBitLinear } | undefined;
  private readonly normed: Float64Array;
  private readonly q: Int32Array;
  /** The nodes visited by the last token, root first. */
  readonly path: Int32Array;
  private readonly v: Float64Array;
  private readonly acc: Float64Array;
  /** node_in's N outputs, for forwardDense only (allocated on its first call). */
  private wide: Float64Array | undefined;

  constructor(
    readonly depth: number,
    readonly nodeIn: TernaryMatrix,
    readonly nodeInNorm: Float32Array,
    readonly nodeOut: TernaryMatrix,
    readonly nodeOutNorm: Float32Array,
    readonly eps: number,
  ) {
    this.nodeOutColumns = nodeOut.transposed();
    const d = nodeIn.cols;
    this.normed = new Float64Array(Math.max(d, depth + 1));
    this.q = new Int32Array(Math.max(d, depth + 1));
    this.path = new Int32Array(depth + 1);
    this.v = new Float64Array(depth + 1);
    this.acc = new Float64Array(d);
  }

  /** y = FFF(x), reading D+1 rows of node_in and D+1 columns of node_out. */
  forward(x: ArrayLike<number>, out: Float64Array): void {
    const { depth, nodeIn, path, v, q, acc } = this;
    const d = nodeIn.cols;
    const N = nodeIn.rows;
    const normed = this.normed.subarray(0, d);
    rmsNorm(x, this.nodeInNorm, this.eps, normed);
    const s = quantizeInt8(normed, q.subarray(0, d));
    const k = 1 / (s * nodeIn.scale);
    let n = 0;
    for (let l = 0; l <= depth; l++) {
      const a = nodeIn.rowDot(n, q);
      path[l] = n;
      v[l] = silu(a * k);
      n = a <= 0 ? 2 * n + 1 : 2 * n + 2; // z_n = a k with k > 0: the sign of z is the sign of a
    }
    // node_out's RMSNorm over N entries, D+1 of them non-zero: rmsNorm's steps with the zeros left out.
    let ss = 0;
    for (let l = 0; l <= depth; l++) ss += v[l]! * v[l]!;
    const rstd = 1 / Math.sqrt(ss / N + this.eps);
    const y = this.normed.subarray(0, depth + 1);
    for (let l = 0; l <= depth; l++) y[l] = v[l]! * rstd * this.nodeOutNorm[path[l]!]!;
    const s2 = quantizeInt8(y, q.subarray(0, depth + 1));
    acc.fill(0);
    for (let l = 0; l <= depth; l++) if (q[l] !== 0) this.nodeOutColumns.addRowTimes(path[l]!, q[l]!, acc);
    const k2 = 1 / (s2 * this.nodeOut.scale);
    for (let j = 0; j < d; j++) out[j] = acc[j]! * k2;
  }

  /** The same y from all N nodes of node_in and node_out, masked after the walk. */
  forwardDense(x: ArrayLike<number>, out: Float64Array): void {
    const { depth, path } = this;
    const wide = (this.wide ??= new Float64Array(this.nodeIn.rows));
    const dense = (this.dense ??= {
      inLinear: new FloatBitLinear(this.nodeIn, this.nodeInNorm, this.eps),
      outLinear: new FloatBitLinear(this.nodeOut, this.nodeOutNorm, this.eps),
    });
    dense.inLinear.forward(x, wide);
    let n = 0;
    for (let l = 0; l <= depth; l++) {
      path[l] = n;
      this.v[l] = silu(wide[n]!);
      n = wide[n]! <= 0 ? 2 * n + 1 : 2 * n + 2;
    }
    wide.fill(0); // the mask: silu(z) on the path, 0 elsewhere
    for (let l = 0; l <= depth; l++) wide[path[l]!] = this.v[l]!;
    dense.outLinear.forward(wide, out);
  }
}
