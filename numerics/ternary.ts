// Ternary weights (upstream's absmean quantisation) and the matrix the CPU engines multiply with.
// A ternary weight matrix as the hardware sees it: one absmean scale per tensor and a code in
// {-1, 0, +1} per weight. For the CPU kernel each row keeps the column indices of its +1s and of its
// -1s, so a row's dot product with int8 activations is adds and subtracts only.

/** Upstream weight quantisation: s_w = 1 / max(mean|W|, 1e-5), t = clamp(round_half_even(W s_w), -1, 1). */
export function ternarize(w: Float32Array): { codes: Int8Array; scale: number } {
  // torch computes the mean and the products in float32; Math.fround reproduces its rounding so a weight
  // sitting exactly on a .5 boundary lands on the same side.
  let sum = 0;
  for (let i = 0; i < w.length; i++) sum += Math.abs(w[i]!);
  const mean = Math.fround(sum / w.length);
  const scale = Math.fround(1 / Math.max(mean, 1e-5));
  const codes = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const r = roundHalfEven(Math.fround(w[i]! * scale));
    codes[i] = r > 1 ? 1 : r < -1 ? -1 : r;
  }
  return { codes, scale };
}

export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

export class TernaryMatrix {
  /** Row r's +1 columns are plusCols[plusStart[r] .. plusStart[r+1]); likewise for -1. */
  private readonly plusStart: Uint32Array;
  private readonly plusCols: Uint32Array;
  private readonly minusStart: Uint32Array;
  private readonly minusCols: Uint32Array;

  constructor(
    readonly rows: number,
    readonly cols: number,
    /** Row-major codes in {-1, 0, +1}. */
    readonly codes: Int8Array,
    /** s_w: weights are codes / scale. */
    readonly scale: number,
  ) {
    if (codes.length !== rows * cols) throw new Error(`ternary matrix ${rows}x${cols} given ${codes.length} codes`);
    this.plusStart = new Uint32Array(rows + 1);
    this.minusStart = new Uint32Array(rows + 1);
    let np = 0;
    let nm = 0;
    for (const c of codes) {
      if (c === 1) np++;
      else if (c === -1) nm++;
    }
    this.plusCols = new Uint32Array(np);
    this.minusCols = new Uint32Array(nm);
    np = 0;
    nm = 0;
    for (let r = 0; r < rows; r++) {
      this.plusStart[r] = np;
      this.minusStart[r] = nm;
      for (let c = 0; c < cols; c++) {
        const v = codes[r * cols + c]!;
        if (v === 1) this.plusCols[np++] = c;
        else if (v === -1) this.minusCols[nm++] = c;
      }
    }
    this.plusStart[rows] = np;
    this.minusStart[rows] = nm;
  }

  static fromFloat(w: Float32Array, rows: number, cols: number): TernaryMatrix {
    const { codes, scale } = ternarize(w);
    return new TernaryMatrix(rows, cols, codes, scale);
  }

  /** The rows [from, to) as a matrix of their own, sharing this tensor's scale (gate/up split). */
  rowRange(from: number, to: number): TernaryMatrix {
    return new TernaryMatrix(to - from, this.cols, this.codes.slice(from * this.cols, to * this.cols), this.scale);
  }

  /** out[r] = sum_c codes[r][c] * q[c], exactly, for integer activations q. */
  matvec(q: Int32Array | Int8Array, out: Int32Array): void {
    const { plusStart, plusCols, minusStart, minusCols } = this;
    for (let r = 0; r < this.rows; r++) {
      let acc = 0;
      for (let k = plusStart[r]!, end = plusStart[r + 1]!; k < end; k++) acc += q[plusCols[k]!]!;
      for (let k = minusStart[r]!, end = minusStart[r + 1]!; k < end; k++) acc -= q[minusCols[k]!]!;
      out[r] = acc;
    }
  }
}
