// Ternary weights (upstream's absmean quantisation) and the matrix the CPU engines multiply with.
// A ternary weight matrix as the hardware sees it: one absmean scale per tensor and a code in
// {-1, 0, +1} per weight, kept packed at 2 bits per weight in the accelerator's encoding
// (ternary-kernel.ts describes the layout and the kernel). The words live in a SharedArrayBuffer so
// that worker threads can share the product without copying the weights (matvec-pool.ts).
import { TERNARY_2BIT } from './formats.ts';
import { KernelScratch, accumulateWords, accumulateWordsDirect, tableFits } from './ternary-kernel.ts';

/** s_w = 1 / max(mean|W|, 1e-5) from sum|W| accumulated in element order (float64, as ternarize does). */
export function absmeanScale(sumAbs: number, count: number): number {
  // torch computes the mean and the products in float32; Math.fround reproduces its rounding so a weight
  // sitting exactly on a .5 boundary lands on the same side.
  const mean = Math.fround(sumAbs / count);
  return Math.fround(1 / Math.max(mean, 1e-5));
}

/**
 * One weight's code: clamp(round_half_even(w s_w), -1, 1), the product rounded to float32 first. Written
 * as two comparisons, which is the same function: round_half_even sends (-0.5, 0.5) and both ties +-0.5
 * to 0 (0 is even), everything above 0.5 to 1 or more and everything below -0.5 to -1 or less; NaN gives 0.
 */
export function ternaryCode(w: number, scale: number): -1 | 0 | 1 {
  const x = Math.fround(w * scale);
  return x > 0.5 ? 1 : x < -0.5 ? -1 : 0;
}

/** Upstream weight quantisation: s_w = 1 / max(mean|W|, 1e-5), t = clamp(round_half_even(W s_w), -1, 1). */
export function ternarize(w: Float32Array): { codes: Int8Array; scale: number } {
  let sum = 0;
  for (let i = 0; i < w.length; i++) sum += Math.abs(w[i]!);
  const scale = absmeanScale(sum, w.length);
  const codes = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) codes[i] = ternaryCode(w[i]!, scale);
  return { codes, scale };
}

export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** 32-bit words per packed row of `cols` codes. */
export function wordsPerRow(cols: number): number {
  return Math.ceil(cols / 16);
}

/** Zeroed words for a rows x cols matrix, in shared memory (worker threads read them in place). */
export function allocateTernaryWords(rows: number, cols: number): Uint32Array {
  return new Uint32Array(new SharedArrayBuffer(4 * rows * wordsPerRow(cols)));
}

/** A 2-bit field's weight (TERNARY_2BIT; the reserved 10 is never stored). */
const FIELD_VALUE = Int8Array.of(0, 1, 0, -1);

/** Row-major codes in {-1, 0, +1} packed into fresh shared words; any other code is a RangeError. */
export function packTernaryCodes(codes: Int8Array, rows: number, cols: number): Uint32Array {
  const wpr = wordsPerRow(cols);
  const words = allocateTernaryWords(rows, cols);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < wpr; k++) {
      const c0 = r * cols + 16 * k;
      const n = Math.min(16, cols - 16 * k);
      let w = 0;
      for (let f = 0; f < n; f++) {
        const v = codes[c0 + f]!;
        if (v === 1) w |= TERNARY_2BIT.plus << (2 * f);
        else if (v === -1) w |= TERNARY_2BIT.minus << (2 * f);
        else if (v !== 0) throw new RangeError(`code ${v} at weight ${c0 + f} is not in {-1, 0, +1}`);
      }
      words[r * wpr + k] = w;
    }
  }
  return words;
}

/** Writes one code into packed words (the fields start at 00, so OR is enough). */
export function setTernaryCode(words: Uint32Array, wpr: number, row: number, col: number, code: -1 | 0 | 1): void {
  if (code === 0) return;
  const field = code === 1 ? TERNARY_2BIT.plus : TERNARY_2BIT.minus;
  words[row * wpr + (col >> 4)]! |= field << (2 * (col & 15));
}

/** Runs products on several threads when it chooses to (matvec-pool.ts); false: do it here. */
export interface MatvecExecutor {
  run(m: TernaryMatrix, q: Int32Array | Int8Array, out: Int32Array): boolean;
}
let executor: MatvecExecutor | undefined;
/** Installed by the thread pool; undefined puts every product back on the calling thread. */
export function setMatvecExecutor(e: MatvecExecutor | undefined): void {
  executor = e;
}

// The calling thread's scratch: the zero-padded activations and the kernel's table.
let qScratch = new Int32Array(0);
let kernelScratch: KernelScratch | undefined;

export class TernaryMatrix {
  /** Packed codes, row r in words [r wordsPerRow, (r + 1) wordsPerRow). */
  readonly words: Uint32Array;
  readonly wordsPerRow: number;

  /**
   * From row-major codes in {-1, 0, +1} (packed here), or from words already packed in this layout
   * (taken as they are, not copied: the checkpoint loader and row ranges build them).
   */
  constructor(
    readonly rows: number,
    readonly cols: number,
    codes: Int8Array | { words: Uint32Array },
    /** s_w: weights are codes / scale. */
    readonly scale: number,
  ) {
    this.wordsPerRow = wordsPerRow(cols);
    if (codes instanceof Int8Array) {
      if (codes.length !== rows * cols) throw new Error(`ternary matrix ${rows}x${cols} given ${codes.length} codes`);
      this.words = packTernaryCodes(codes, rows, cols);
    } else {
      if (codes.words.length !== rows * this.wordsPerRow) throw new Error(`ternary matrix ${rows}x${cols} needs ${rows * this.wordsPerRow} words, given ${codes.words.length}`);
      this.words = codes.words;
    }
  }

  static fromFloat(w: Float32Array, rows: number, cols: number): TernaryMatrix {
    const { codes, scale } = ternarize(w);
    return new TernaryMatrix(rows, cols, codes, scale);
  }

  /** Row-major codes in {-1, 0, +1}: a new array on every call (writers and tests; 1 byte per weight). */
  get codes(): Int8Array {
    const { rows, cols, words, wordsPerRow: wpr } = this;
    const out = new Int8Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < wpr; k++) {
        const w = words[r * wpr + k]!;
        if (w === 0) continue;
        const c0 = 16 * k;
        const n = Math.min(16, cols - c0);
        for (let f = 0; f < n; f++) out[r * cols + c0 + f] = FIELD_VALUE[(w >>> (2 * f)) & 3]!;
      }
    }
    return out;
  }

  /** The rows [from, to) as a matrix of their own, sharing this tensor's words and scale (gate/up split). */
  rowRange(from: number, to: number): TernaryMatrix {
    if (!(Number.isInteger(from) && Number.isInteger(to) && 0 <= from && from <= to && to <= this.rows)) {
      throw new RangeError(`rows [${from}, ${to}) outside a ${this.rows}-row matrix`);
    }
    return new TernaryMatrix(to - from, this.cols, { words: this.words.subarray(from * this.wordsPerRow, to * this.wordsPerRow) }, this.scale);
  }

  /** The matrix with rows and columns swapped, same scale (the FFF tree's node_out read by column). */
  transposed(): TernaryMatrix {
    const { rows, cols } = this;
    const codes = this.codes;
    const t = new Int8Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = codes[r * cols + c]!;
    return new TernaryMatrix(cols, rows, t, this.scale);
  }

  /** sum_c codes[r][c] * q[c] for one row r, exactly (the FFF tree visits one node at a time). */
  rowDot(r: number, q: ArrayLike<number>): number {
    const { words, wordsPerRow: wpr } = this;
    let acc = 0;
    for (let k = 0, at = r * wpr; k < wpr; k++) {
      let c = 16 * k;
      for (let w = words[at + k]!; w !== 0; w >>>= 2, c++) {
        const f = w & 3;
        if (f === TERNARY_2BIT.plus) acc += q[c]!;
        else if (f === TERNARY_2BIT.minus) acc -= q[c]!;
      }
    }
    return acc;
  }

  /** out[c] += codes[r][c] * k for every column c (a column of the untransposed matrix, times k). */
  addRowTimes(r: number, k: number, out: Int32Array | Float64Array): void {
    const { words, wordsPerRow: wpr } = this;
    for (let j = 0, at = r * wpr; j < wpr; j++) {
      let c = 16 * j;
      for (let w = words[at + j]!; w !== 0; w >>>= 2, c++) {
        const f = w & 3;
        if (f === TERNARY_2BIT.plus) out[c] = out[c]! + k;
        else if (f === TERNARY_2BIT.minus) out[c] = out[c]! - k;
      }
    }
  }

  /** out[r] = sum_c codes[r][c] * q[c], exactly, for integer activations q (on several threads when a pool runs). */
  matvec(q: Int32Array | Int8Array, out: Int32Array): void {
    if (q.length < this.cols) throw new RangeError(`matvec of a ${this.rows}x${this.cols} matrix given ${q.length} activations`);
    if (executor?.run(this, q, out)) return;
    const { words, wordsPerRow: wpr, rows, cols } = this;
    if (!tableFits(q, cols)) {
      accumulateWordsDirect(words, wpr, rows, q, 0, wpr, out, false);
      return;
    }
    if (qScratch.length < 16 * wpr) qScratch = new Int32Array(16 * wpr);
    qScratch.set(q.subarray(0, cols));
    qScratch.fill(0, cols, 16 * wpr);
    kernelScratch ??= new KernelScratch();
    accumulateWords(words, wpr, rows, qScratch, 0, wpr, out, kernelScratch, false);
  }
}
