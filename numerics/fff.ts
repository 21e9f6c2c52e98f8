// The Fast FeedForward channel mixer in the accelerator's integers (docs/numerics.md, "FFF"). A tree of
// N = 2^(D+1) - 1 nodes, node_in [N, d] and node_out [d, N] both BitLinears:
//   z = node_in(u); from node 0 go to 2n+1 if z_n <= 0 else 2n+2, D+1 nodes (the path);
//   y = node_out(silu(z) * mask), mask 1 on the path, 0 elsewhere.
// Only the path is computed: node_in's RMSNorm and int8 quantisation are over u, shared by every row,
// so D+1 rows of it give exactly those rows of the full product; node_out's input has D+1 non-zero
// entries, whose max and sum of squares are those of the full N-vector (the zeros add nothing), and
// whose mean over N lives in node_out's output constant sqrt(N) / (127 s_w) as for any BitLinear. The
// branch is taken on the sign of node_in's integer accumulator: z_n = acc_n times a positive scale, so
// this is the sign of the exact z_n (the rounded ACT value can be 0 for a small positive acc).
import type { TernaryMatrix } from './ternary.ts';
import { siluFixed } from './nonlinear.ts';
import {
  BitLinearScratch,
  bitLinearOutputScale,
  quantizeBitLinearInput,
  scaleAccumulator,
  sumOfSquares,
  type FixedBitLinearParams,
  type FixedVector,
} from './bitlinear.ts';

export interface FixedFffParams {
  depth: number;
  /** [N, d]: row n is node n's weights. */
  nodeIn: FixedBitLinearParams;
  /** [d, N]: column n is node n's output weights. */
  nodeOut: FixedBitLinearParams;
  /** node_out transposed, [N, d]: node n's column as a contiguous row (the path reads D+1 of them). */
  nodeOutColumns: TernaryMatrix;
}

/** The child the walk takes from node n, given the sign of its accumulator: left (2n+1) when z_n <= 0. */
export function fffChild(n: number, acc: number): number {
  return acc <= 0 ? 2 * n + 1 : 2 * n + 2;
}

/** Scratch for one token of the tree, sized by the depth and the widths. */
export class FffScratch {
  /** The nodes visited, root first. */
  readonly path: Int32Array;
  /** silu(z) at each visited node (ACT). */
  readonly v: Int32Array;
  readonly norm: FixedVector;
  readonly acc: Int32Array;
  readonly bit: BitLinearScratch;
  /** Dense evaluation only: node_in's N outputs and node_out's N-long input. */
  readonly wide: Int32Array;
  readonly masked: Int32Array;
  constructor(depth: number, d: number, nodes: number, dense: boolean) {
    this.path = new Int32Array(depth + 1);
    this.v = new Int32Array(depth + 1);
    this.norm = { mant: new Int32Array(depth + 1), exp: 0 };
    this.acc = new Int32Array(Math.max(d, dense ? nodes : 0));
    this.bit = new BitLinearScratch(Math.max(d, dense ? nodes : depth + 1), Math.max(d, dense ? nodes : 0));
    this.wide = new Int32Array(dense ? nodes : 0);
    this.masked = new Int32Array(dense ? nodes : 0);
  }
}

/**
 * y (ACT, d) = FFF(u) reading only the path: D+1 rows of node_in, D+1 columns of node_out. `s` is
 * sumOfSquares(u). scratch.path holds the nodes visited afterwards.
 */
export function fffFixed(u: Int32Array, s: number, prm: FixedFffParams, out: Int32Array, scratch: FffScratch): void {
  const { depth, nodeIn, nodeOut, nodeOutColumns } = prm;
  const d = nodeIn.weights.cols;
  const { path, v, norm, acc, bit } = scratch;
  // node_in: quantise u once, then one row per level; with no input (m or S zero) every z is 0.
  const mm = quantizeBitLinearInput(u, nodeIn.norm, d, bit);
  const live = mm !== null && s !== 0;
  const k = live ? bitLinearOutputScale(mm, s, nodeIn) : undefined;
  let n = 0;
  for (let l = 0; l <= depth; l++) {
    const a = k ? nodeIn.weights.rowDot(n, bit.q) : 0;
    path[l] = n;
    v[l] = siluFixed(k ? scaleAccumulator(a, k) : 0);
    n = fffChild(n, a);
  }
  // node_out over the path's entries: its norm weights gathered, the same quantisation steps.
  norm.exp = nodeOut.norm.exp;
  for (let l = 0; l <= depth; l++) norm.mant[l] = nodeOut.norm.mant[path[l]!]!;
  const s2 = sumOfSquares(v); // the masked entries are 0: the sum over the path is the sum over N
  const mm2 = quantizeBitLinearInput(v, norm, depth + 1, bit);
  if (mm2 === null || s2 === 0) {
    out.fill(0, 0, d);
    return;
  }
  const accOut = acc.subarray(0, d);
  accOut.fill(0);
  for (let l = 0; l <= depth; l++) if (bit.q[l] !== 0) nodeOutColumns.addRowTimes(path[l]!, bit.q[l]!, accOut);
  const k2 = bitLinearOutputScale(mm2, s2, nodeOut);
  for (let j = 0; j < d; j++) out[j] = scaleAccumulator(accOut[j]!, k2);
}

/**
 * The same y computed densely: all N rows of node_in, the walk, silu(z) masked to the path, then all
 * of node_out over the N-long input. For tests (it must equal fffFixed) and the bench's comparison.
 */
export function fffFixedDense(u: Int32Array, s: number, prm: FixedFffParams, out: Int32Array, scratch: FffScratch): void {
  const { depth, nodeIn, nodeOut } = prm;
  const N = nodeIn.weights.rows;
  const d = nodeIn.weights.cols;
  const { path, acc, bit, wide, masked } = scratch;
  if (wide.length < N) throw new RangeError('fffFixedDense: scratch built without dense buffers');
  const mm = quantizeBitLinearInput(u, nodeIn.norm, d, bit);
  const live = mm !== null && s !== 0;
  const accIn = acc.subarray(0, N);
  if (live) {
    nodeIn.weights.matvec(bit.q.subarray(0, d), accIn);
    const k = bitLinearOutputScale(mm, s, nodeIn);
    for (let r = 0; r < N; r++) wide[r] = scaleAccumulator(accIn[r]!, k);
  } else {
    accIn.fill(0);
    wide.fill(0, 0, N);
  }
  masked.fill(0, 0, N);
  let n = 0;
  for (let l = 0; l <= depth; l++) {
    path[l] = n;
    masked[n] = siluFixed(wide[n]!);
    n = fffChild(n, accIn[n]!);
  }
  const s2 = sumOfSquares(masked.subarray(0, N));
  const mm2 = quantizeBitLinearInput(masked, nodeOut.norm, N, bit);
  if (mm2 === null || s2 === 0) {
    out.fill(0, 0, d);
    return;
  }
  const accOut = acc.subarray(0, d);
  nodeOut.weights.matvec(bit.q.subarray(0, N), accOut);
  const k2 = bitLinearOutputScale(mm2, s2, nodeOut);
  for (let j = 0; j < d; j++) out[j] = scaleAccumulator(accOut[j]!, k2);
}
