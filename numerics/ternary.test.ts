// The packed ternary matrix against a plain dot product over its codes: every kernel (the 2-column and
// the 4-column tables, column blocks, the table-free path for wide activations), on random shapes whose
// widths are not powers of two, and on the thread pool splitting the same products.
import { afterAll, describe, expect, it } from 'vitest';
import { TernaryMatrix, roundHalfEven, ternarize, ternaryCode, wordsPerRow } from './ternary.ts';
import { BLOCK_WORDS, BYTE_TABLE_MIN_ROWS, TABLE_Q_LIMIT } from './ternary-kernel.ts';
import { matvecThreads, stopMatvecThreads, threadedProducts, useMatvecThreads } from './matvec-pool.ts';
import { seededRandom } from '../util/prng.ts';

function randomCodes(rnd: () => number, n: number, zeros = 0.35): Int8Array {
  return Int8Array.from({ length: n }, () => (rnd() < zeros ? 0 : rnd() < 0.5 ? 1 : -1));
}

/** out[r] = sum_c codes[r][c] q[c], one multiply-add at a time. */
function dotReference(codes: Int8Array, rows: number, cols: number, q: ArrayLike<number>): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let acc = 0;
    for (let c = 0; c < cols; c++) acc += codes[r * cols + c]! * q[c]!;
    out[r] = acc;
  }
  return out;
}

const int8 = (rnd: () => number, n: number) => Int32Array.from({ length: n }, () => Math.floor(rnd() * 256) - 128);

// Rows on both sides of the table switch, columns inside one word, across words, across column blocks.
const SHAPES: [number, number][] = [
  [1, 1],
  [3, 17],
  [7, 33],
  [BYTE_TABLE_MIN_ROWS - 1, 45],
  [BYTE_TABLE_MIN_ROWS, 45],
  [BYTE_TABLE_MIN_ROWS + 77, 250],
  [130, 16 * BLOCK_WORDS + 5],
  [BYTE_TABLE_MIN_ROWS + 3, 2 * 16 * BLOCK_WORDS + 37],
  [900, 333],
];

describe('TernaryMatrix on packed codes', () => {
  const rnd = seededRandom(41);

  it.each(SHAPES)('%i x %i: matvec equals the dot product over the codes, for int8 and extreme activations', (rows, cols) => {
    const codes = randomCodes(rnd, rows * cols);
    const m = new TernaryMatrix(rows, cols, codes, 1);
    expect(m.words.length).toBe(rows * wordsPerRow(cols));
    expect(Buffer.from(m.codes.buffer).equals(Buffer.from(codes.buffer))).toBe(true);
    const qs = [int8(rnd, cols), new Int32Array(cols).fill(-128), new Int32Array(cols).fill(127), Int32Array.from({ length: cols }, (_, i) => (i % 2 ? TABLE_Q_LIMIT : -TABLE_Q_LIMIT))];
    for (const q of qs) {
      const out = new Int32Array(rows).fill(12345);
      m.matvec(q, out);
      expect(Array.from(out)).toEqual(Array.from(dotReference(codes, rows, cols, q)));
    }
    // Activations past the table's range take the table-free path; an Int8Array works as well.
    const wide = Int32Array.from({ length: cols }, () => Math.floor(rnd() * 2 ** 20) - 2 ** 19);
    const out = new Int32Array(rows);
    m.matvec(wide, out);
    expect(Array.from(out)).toEqual(Array.from(dotReference(codes, rows, cols, wide)));
    const q8 = Int8Array.from(int8(rnd, cols));
    m.matvec(q8, out);
    expect(Array.from(out)).toEqual(Array.from(dotReference(codes, rows, cols, q8)));
  });

  it('rowRange views the same words and multiplies like the rows it names', () => {
    const rows = 2 * 301;
    const cols = 203;
    const codes = randomCodes(rnd, rows * cols);
    const m = new TernaryMatrix(rows, cols, codes, 0.5);
    const q = int8(rnd, cols);
    for (const [a, b] of [[0, 301], [301, 602], [5, 6], [7, 7]] as const) {
      const part = m.rowRange(a, b);
      expect(part.words.buffer).toBe(m.words.buffer);
      expect(part.scale).toBe(0.5);
      const out = new Int32Array(b - a);
      part.matvec(q, out);
      expect(Array.from(out)).toEqual(Array.from(dotReference(codes.subarray(a * cols, b * cols), b - a, cols, q)));
    }
    expect(() => m.rowRange(300, 603)).toThrow(/outside a 602-row matrix/);
  });

  it('ternaryCode is clamp(round_half_even(fround(w s)), -1, 1), ties and non-finite values included', () => {
    const ties = [0, -0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999997, 0.50000006, -0.50000006, 1, -1, NaN, Infinity, -Infinity, 3e38];
    const values = [...ties, ...Array.from({ length: 20000 }, () => (rnd() * 2 - 1) * 4)];
    for (const scale of [1, 0.5, 3, Math.fround(1 / 0.37)]) {
      for (const w of values) {
        const r = roundHalfEven(Math.fround(w * scale));
        const want = r > 1 ? 1 : r < -1 ? -1 : Number.isNaN(r) ? 0 : r === 0 ? 0 : r;
        expect(ternaryCode(w, scale)).toBe(want);
      }
    }
  });

  it('fromFloat packs ternarize codes and keeps its scale; bad codes and sizes are refused', () => {
    const w = Float32Array.from({ length: 37 * 19 }, () => rnd() * 2 - 1);
    const { codes, scale } = ternarize(w);
    const m = TernaryMatrix.fromFloat(w, 37, 19);
    expect(m.scale).toBe(scale);
    expect(Array.from(m.codes)).toEqual(Array.from(codes));
    expect(() => new TernaryMatrix(2, 2, Int8Array.of(0, 1, 2, -1), 1)).toThrow(/code 2 at weight 2/);
    expect(() => new TernaryMatrix(2, 3, new Int8Array(5), 1)).toThrow(/given 5 codes/);
    expect(() => new TernaryMatrix(2, 3, { words: new Uint32Array(3) }, 1)).toThrow(/needs 2 words, given 3/);
    expect(() => m.matvec(new Int32Array(18), new Int32Array(37))).toThrow(/given 18 activations/);
  });
});

describe('matvec on worker threads', () => {
  afterAll(() => stopMatvecThreads());

  it('splits every product over the threads and gives the single-thread numbers', { timeout: 120_000 }, async () => {
    const rnd = seededRandom(77);
    const mats = SHAPES.filter(([, cols]) => cols >= 33).map(([rows, cols]) => {
      const codes = randomCodes(rnd, rows * cols, rnd());
      return { rows, cols, codes, m: new TernaryMatrix(rows, cols, codes, 1) };
    });
    const q = mats.map(({ cols }) => int8(rnd, cols));
    const single = mats.map(({ m, rows }, k) => {
      const out = new Int32Array(rows);
      m.matvec(q[k]!, out);
      return out;
    });
    for (const threads of [2, 3]) {
      await useMatvecThreads(threads, 1);
      expect(matvecThreads()).toBe(threads);
      for (let round = 0; round < 2; round++) {
        mats.forEach(({ m, rows, cols, codes }, k) => {
          const out = new Int32Array(rows).fill(-1);
          m.matvec(q[k]!, out);
          expect(Array.from(out)).toEqual(Array.from(single[k]!));
          expect(Array.from(out)).toEqual(Array.from(dotReference(codes, rows, cols, q[k]!)));
          // A view of some rows is a matrix of its own to the workers.
          const half = m.rowRange(rows >> 1, rows);
          const part = new Int32Array(half.rows);
          half.matvec(q[k]!, part);
          expect(Array.from(part)).toEqual(Array.from(single[k]!.subarray(rows >> 1)));
        });
      }
      // Every product went to the threads (each of this pool: two rounds of a matrix and its view).
      expect(threadedProducts()).toBe(2 * 2 * mats.length);
    }
    await stopMatvecThreads();
    expect(matvecThreads()).toBe(1);
  });
});
