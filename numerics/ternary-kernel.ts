// The CPU kernel of a ternary matrix-vector product on packed codes: 2 bits per weight in the
// accelerator's encoding (formats.ts TERNARY_2BIT: 00 zero, 01 +1, 11 -1), weight c of a row in bits
// [2(c mod 16) + 1 : 2(c mod 16)] of the row's word floor(c / 16); every row starts on a word, the
// unused fields of its last word are 00.
//
// Why a table: JavaScript has no SIMD, so the kernel does less work per weight instead. For each group
// of 4 columns the activations are expanded once per product into the 256 signed sums those 4 columns
// can give; a row then costs one look-up per byte of codes, not one add per weight (about 3x faster
// than the index lists this replaced, and 2 bits per weight in memory instead of 1 + 4 per non-zero).
// The columns are taken in blocks whose table (BLOCK_WORDS x 4 x 256 x Int16) stays in a core's L2.
// A matrix of few rows cannot pay for that table: it uses one of pairs of columns (16 entries each).
// Every sum is an integer well inside 2^53: the result is exact in any order, so column blocks and the
// threads that share them (matvec-pool.ts) give the same numbers as a plain dot product.

/** Columns per block: 64 words x 16 codes; its table is 128 KB. */
export const BLOCK_WORDS = 64;
/** Largest |q| the Int16 table holds: 4 x 8191 < 2^15. Engines' activations are int8. */
export const TABLE_Q_LIMIT = 8191;

/** The value of each 2-bit field: 00 -> 0, 01 -> +1, 10 (never stored) -> 0, 11 -> -1. */
const FIELD = Int32Array.of(0, 1, 0, -1);

/** Each thread's tables, reused from product to product. */
export class KernelScratch {
  /** The 4-column table of one column block. */
  readonly bytes = new Int16Array(BLOCK_WORDS * 1024);
  /** The 2-column table (16 entries per pair of columns), grown to the widest product seen. */
  nibbles = new Int32Array(0);
}

/** Below this many rows the 2-column table wins: building it costs 8 entries per column, not 64. */
export const BYTE_TABLE_MIN_ROWS = 512;

/** True when every q fits the table (else the caller uses accumulateWordsDirect). */
export function tableFits(q: ArrayLike<number>, n: number): boolean {
  for (let i = 0; i < n; i++) {
    const v = q[i]!;
    if (v > TABLE_Q_LIMIT || v < -TABLE_Q_LIMIT) return false;
  }
  return true;
}

/**
 * out[r] = sum over the columns of words [w0, w1) of code(r, c) q[c], for r in [0, rows) (added to
 * out[r] when `add`). `q` holds at least wordsPerRow x 16 values, zero past the matrix's columns;
 * every |q| <= TABLE_Q_LIMIT.
 */
export function accumulateWords(
  words: Uint32Array,
  wordsPerRow: number,
  rows: number,
  q: Int32Array,
  w0: number,
  w1: number,
  out: Int32Array,
  scratch: KernelScratch,
  add: boolean,
): void {
  if (w0 >= w1) {
    if (!add) out.fill(0, 0, rows);
  } else if (rows >= BYTE_TABLE_MIN_ROWS) {
    byteTableProduct(words, wordsPerRow, rows, q, w0, w1, out, scratch.bytes, add);
  } else {
    if (scratch.nibbles.length < 128 * (w1 - w0)) scratch.nibbles = new Int32Array(128 * (w1 - w0));
    nibbleTableProduct(words, wordsPerRow, rows, q, w0, w1, out, scratch.nibbles, add);
  }
}

/** The 2-column table: entry (pair p, nibble) is the sum of the nibble's 2 codes times q of pair p. */
function nibbleTableProduct(words: Uint32Array, wordsPerRow: number, rows: number, q: Int32Array, w0: number, w1: number, out: Int32Array, table: Int32Array, add: boolean): void {
  for (let p = 8 * w0, t = 0; p < 8 * w1; p++, t += 16) {
    const q0 = q[2 * p]!;
    const q1 = q[2 * p + 1]!;
    for (let n = 0; n < 16; n++) table[t + n] = FIELD[n & 3]! * q0 + FIELD[n >> 2]! * q1;
  }
  const n = w1 - w0;
  for (let r = 0, o = w0; r < rows; r++, o += wordsPerRow) {
    let acc = 0;
    for (let k = 0, t = 0; k < n; k++, t += 128) {
      const w = words[o + k]!;
      if (w === 0) continue;
      acc +=
        table[t | (w & 15)]! + table[t | 16 | ((w >>> 4) & 15)]! + table[t | 32 | ((w >>> 8) & 15)]! + table[t | 48 | ((w >>> 12) & 15)]! +
        table[t | 64 | ((w >>> 16) & 15)]! + table[t | 80 | ((w >>> 20) & 15)]! + table[t | 96 | ((w >>> 24) & 15)]! + table[t | 112 | (w >>> 28)]!;
    }
    out[r] = add ? out[r]! + acc : acc;
  }
}

function byteTableProduct(words: Uint32Array, wordsPerRow: number, rows: number, q: Int32Array, w0: number, w1: number, out: Int32Array, table: Int16Array, add: boolean): void {
  const lo = new Int32Array(16);
  const hi = new Int32Array(16);
  for (let b0 = w0; b0 < w1; b0 += BLOCK_WORDS) {
    const b1 = Math.min(w1, b0 + BLOCK_WORDS);
    // The table of this block: entry (g, byte) is the sum of the 4 codes in `byte` times q of group g.
    for (let g = 4 * b0, t = 0; g < 4 * b1; g++, t += 256) {
      const c = 4 * g;
      const q0 = q[c]!;
      const q1 = q[c + 1]!;
      const q2 = q[c + 2]!;
      const q3 = q[c + 3]!;
      for (let n = 0; n < 16; n++) {
        lo[n] = FIELD[n & 3]! * q0 + FIELD[n >> 2]! * q1;
        hi[n] = FIELD[n & 3]! * q2 + FIELD[n >> 2]! * q3;
      }
      for (let h = 0; h < 16; h++) {
        const hv = hi[h]!;
        const base = t | (h << 4);
        for (let l = 0; l < 16; l++) table[base | l] = lo[l]! + hv;
      }
    }
    const n = b1 - b0;
    const first = !add && b0 === w0;
    for (let r = 0, o = b0; r < rows; r++, o += wordsPerRow) {
      let acc = 0;
      for (let k = 0, t = 0; k < n; k++, t += 1024) {
        const w = words[o + k]!;
        acc += table[t | (w & 255)]! + table[t | 256 | ((w >>> 8) & 255)]! + table[t | 512 | ((w >>> 16) & 255)]! + table[t | 768 | (w >>> 24)]!;
      }
      out[r] = first ? acc : out[r]! + acc;
    }
  }
}

/** The same product without the table, for activations outside TABLE_Q_LIMIT (no engine gives any). */
export function accumulateWordsDirect(
  words: Uint32Array,
  wordsPerRow: number,
  rows: number,
  q: ArrayLike<number>,
  w0: number,
  w1: number,
  out: Int32Array,
  add: boolean,
): void {
  for (let r = 0; r < rows; r++) {
    let acc = 0;
    for (let k = w0; k < w1; k++) {
      const w = words[r * wordsPerRow + k]!;
      if (w === 0) continue;
      for (let f = 0; f < 16; f++) {
        const v = FIELD[(w >>> (2 * f)) & 3]!;
        if (v !== 0) acc += v * q[16 * k + f]!;
      }
    }
    out[r] = add ? out[r]! + acc : acc;
  }
}
