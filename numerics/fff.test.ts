// The FFF tree in integers: the path-only evaluation (D+1 rows of node_in, D+1 columns of node_out)
// against a dense one built from the plain BitLinear (all N outputs, the walk, silu masked to the path,
// node_out over all N entries), on random trees of several depths and widths; and the row/column
// accessors of TernaryMatrix the path reads through, against the codes.
import { describe, expect, it } from 'vitest';
import { TernaryMatrix } from './ternary.ts';
import { BitLinearScratch, bitLinearFixed, sumOfSquares, type FixedBitLinearParams } from './bitlinear.ts';
import { bitLinearOutScale, toFixedVector } from './convert.ts';
import { siluFixed } from './nonlinear.ts';
import { FffScratch, fffChild, fffFixed, fffFixedDense, type FixedFffParams } from './fff.ts';
import { seededRandom } from '../util/prng.ts';

function randomCodes(rnd: () => number, n: number): Int8Array {
  return Int8Array.from({ length: n }, () => (rnd() < 0.35 ? 0 : rnd() < 0.5 ? 1 : -1));
}

function randomBitLinear(rnd: () => number, rows: number, cols: number): FixedBitLinearParams {
  const weights = new TernaryMatrix(rows, cols, randomCodes(rnd, rows * cols), Math.fround(0.5 + 3 * rnd()));
  const norm = toFixedVector(Array.from({ length: cols }, () => 0.2 + 2 * rnd() * (rnd() < 0.1 ? -1 : 1)));
  return { weights, norm, outScale: bitLinearOutScale(cols, weights.scale) };
}

function randomTree(rnd: () => number, depth: number, d: number): FixedFffParams {
  const N = 2 ** (depth + 1) - 1;
  const nodeOut = randomBitLinear(rnd, d, N);
  return { depth, nodeIn: randomBitLinear(rnd, N, d), nodeOut, nodeOutColumns: nodeOut.weights.transposed() };
}

/** The rule written with the GLU's BitLinear: all N outputs (accumulators left in scratch.acc), walk, mask, node_out. */
function oracle(u: Int32Array, prm: FixedFffParams): { y: Int32Array; path: number[] } {
  const N = prm.nodeIn.weights.rows;
  const d = prm.nodeIn.weights.cols;
  const sc = new BitLinearScratch(Math.max(d, N), Math.max(d, N));
  const z = new Int32Array(N);
  bitLinearFixed(u, sumOfSquares(u), prm.nodeIn, z, sc);
  // The sign of the exact z_n is the accumulator's (z rounds to 0 for a small positive one); with
  // no input bitLinearFixed skips the product and every z is 0.
  const exact = z.every((v) => v === 0) ? new Int32Array(N) : sc.acc.slice(0, N);
  const masked = new Int32Array(N);
  const path: number[] = [];
  for (let n = 0; path.length <= prm.depth; n = exact[n]! <= 0 ? 2 * n + 1 : 2 * n + 2) {
    path.push(n);
    masked[n] = siluFixed(z[n]!);
  }
  const y = new Int32Array(d);
  bitLinearFixed(masked, sumOfSquares(masked), prm.nodeOut, y, sc);
  return { y, path };
}

describe('TernaryMatrix row and column access', () => {
  it.each([[1, 1], [3, 17], [9, 33], [40, 64], [17, 100]])('%i x %i: rowDot, addRowTimes and transposed agree with the codes', (rows, cols) => {
    const rnd = seededRandom(rows * 1000 + cols);
    const codes = randomCodes(rnd, rows * cols);
    const m = new TernaryMatrix(rows, cols, codes, 1);
    const q = Int32Array.from({ length: cols }, () => Math.floor(rnd() * 256) - 128);
    const t = m.transposed();
    expect([t.rows, t.cols]).toEqual([cols, rows]);
    const tc = t.codes;
    for (let r = 0; r < rows; r++) {
      let want = 0;
      for (let c = 0; c < cols; c++) {
        want += codes[r * cols + c]! * q[c]!;
        expect(tc[c * rows + r]).toBe(codes[r * cols + c]);
      }
      expect(m.rowDot(r, q)).toBe(want);
      const acc = Int32Array.from({ length: cols }, (_, c) => c);
      m.addRowTimes(r, -7, acc);
      for (let c = 0; c < cols; c++) expect(acc[c]).toBe(c - 7 * codes[r * cols + c]!);
    }
  });
});

describe('FFF in integers: the path alone equals the dense tree', () => {
  const cases: [number, number][] = [[0, 8], [1, 17], [3, 64], [5, 33], [6, 100], [8, 64]];
  it.each(cases)('depth %i, d %i: y and the path, 40 random inputs each', (depth, d) => {
    const rnd = seededRandom(depth * 7919 + d);
    const prm = randomTree(rnd, depth, d);
    const N = 2 ** (depth + 1) - 1;
    const path = new FffScratch(depth, d, N, false);
    const dense = new FffScratch(depth, d, N, true);
    const leaves = new Set<number>();
    for (let k = 0; k < 40; k++) {
      // Wide and narrow magnitudes; every eighth input is zero (no signal: the walk goes left throughout).
      const mag = k % 8 === 7 ? 0 : 2 ** Math.floor(4 + 14 * rnd());
      const u = Int32Array.from({ length: d }, () => Math.round((rnd() * 2 - 1) * mag));
      const want = oracle(u, prm);
      const y1 = new Int32Array(d);
      const y2 = new Int32Array(d);
      fffFixed(u, sumOfSquares(u), prm, y1, path);
      fffFixedDense(u, sumOfSquares(u), prm, y2, dense);
      expect([...path.path]).toEqual(want.path);
      expect([...dense.path]).toEqual(want.path);
      expect(y1).toEqual(want.y);
      expect(y2).toEqual(want.y);
      for (let l = 1; l <= depth; l++) expect(path.path[l]! === 2 * path.path[l - 1]! + 1 || path.path[l]! === 2 * path.path[l - 1]! + 2).toBe(true);
      if (mag === 0) expect(y1.every((v) => v === 0)).toBe(true);
      leaves.add(path.path[depth]!);
    }
    // The inputs reach more than one leaf (the test would not see a wrong branch otherwise).
    if (depth > 0) expect(leaves.size).toBeGreaterThan(1);
  });

  it('fffChild: left on z <= 0, right on z > 0', () => {
    expect([fffChild(0, 0), fffChild(0, -3), fffChild(0, 1), fffChild(5, 0), fffChild(5, 2)]).toEqual([1, 1, 2, 11, 12]);
  });

  it('the dense evaluation needs its buffers', () => {
    const prm = randomTree(seededRandom(1), 2, 8);
    expect(() => fffFixedDense(new Int32Array(8).fill(100), 1, prm, new Int32Array(8), new FffScratch(2, 8, 7, false))).toThrow(/dense buffers/);
  });
});
