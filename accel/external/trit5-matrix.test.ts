// The 5-trit DRAM layout of a matrix: sizes, the round trip, that the run decodes (through the
// numerics byte table, independently of the packer) to exactly the matvec unit's words, chunk after
// chunk, and the errors for bad input. Sweeps lanes 4 .. 1024 and port words of 8, 16, 24 and 64 bytes.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../util/prng.ts';
import { TRIT5, TRIT5_DECODE, encode5trit } from '../../numerics/ternary-5trit.ts';
import { TERNARY_2BIT } from '../../numerics/formats.ts';
import { packWeightWords } from '../units/matvec-unit.ts';
import { packTrit5Matrix, trit5MatrixChunks, trit5MatrixWords, trit5RunBytes, trit5RunWords, unpackTrit5Matrix } from './trit5-matrix.ts';

const LANES = [4, 8, 16, 32, 64, 128, 256, 1024];
const WORD_BYTES = [8, 16, 24, 64];

function randomCodes(r: () => number, n: number): Int8Array {
  return Int8Array.from({ length: n }, () => Math.floor(r() * 3) - 1);
}

/** The matvec words the run decodes to: five 2-bit codes a byte, P codes a word. */
function decodeToMatvecWords(bytes: Uint8Array, chunks: number, lanes: number): bigint[] {
  const two = { [-1]: TERNARY_2BIT.minus, [0]: TERNARY_2BIT.zero, [1]: TERNARY_2BIT.plus } as Record<number, number>;
  const codes = [...bytes].flatMap((b) => [...TRIT5_DECODE[b]!]);
  return Array.from({ length: chunks }, (_, k) => codes.slice(k * lanes, (k + 1) * lanes).reduce((w, c, i) => w | (BigInt(two[c]!) << BigInt(2 * i)), 0n));
}

describe('trit5 matrix layout', () => {
  it('sizes: ceil(chunks x P / 5) bytes, rows x ceil(cols / P) chunks, whole port words', () => {
    for (const lanes of LANES) {
      for (const wordBytes of WORD_BYTES) {
        for (const [rows, cols] of [[1, 1], [3, lanes], [7, lanes + 1], [2, 5 * lanes - 1]] as const) {
          const chunks = rows * Math.ceil(cols / lanes);
          expect(trit5MatrixChunks(rows, cols, lanes)).toBe(chunks);
          expect(trit5RunBytes(chunks, lanes)).toBe(Math.ceil((chunks * lanes) / 5));
          expect(trit5RunWords(chunks, lanes, wordBytes)).toBe(Math.ceil(Math.ceil((chunks * lanes) / 5) / wordBytes));
          expect(trit5MatrixWords(rows, cols, lanes, wordBytes)).toBe(trit5RunWords(chunks, lanes, wordBytes));
        }
      }
    }
    // 1.6 bits a weight at any P: a 1024 x 1024 matrix at 64-bit words is 26,215 words against 32,768 at 2 bits.
    for (const lanes of [16, 32, 64, 256]) expect(trit5MatrixWords(1024, 1024, lanes, 8)).toBe(26_215);
  });

  it('round trip, and every chunk decodes to the matvec unit\'s word for it', () => {
    const r = seededRandom(5);
    for (const lanes of LANES) {
      for (const wordBytes of WORD_BYTES) {
        const rows = 1 + Math.floor(r() * 5);
        const cols = 1 + Math.floor(r() * 3 * lanes);
        const codes = randomCodes(r, rows * cols);
        const run = packTrit5Matrix(codes, rows, cols, lanes, wordBytes);
        expect(run.words).toBe(trit5MatrixWords(rows, cols, lanes, wordBytes));
        expect(run.bytes.length).toBe(run.words * wordBytes);
        expect(run.chunks).toBe(trit5MatrixChunks(rows, cols, lanes));
        expect(unpackTrit5Matrix(run.bytes, rows, cols, lanes, wordBytes)).toEqual(codes);
        expect(decodeToMatvecWords(run.bytes, run.chunks, lanes)).toEqual(packWeightWords(codes, rows, cols, lanes));
        // The tail after the last chunk is zero-weight bytes up to the word boundary.
        const used = trit5RunBytes(run.chunks, lanes);
        expect(run.bytes.length - used).toBeLessThan(wordBytes);
        expect(run.bytes.subarray(used).every((b) => b === TRIT5.zeroByte)).toBe(true);
      }
    }
  });

  it('with cols a multiple of P the run is the packed file\'s 5-trit payload of the matrix (encode5trit, what pack5trit does) padded to whole words', () => {
    const r = seededRandom(9);
    for (const lanes of [16, 32, 64, 256]) {
      const rows = 3;
      const cols = 2 * lanes;
      const codes = randomCodes(r, rows * cols);
      const payload = new Uint8Array(Math.ceil((rows * cols) / 5));
      encode5trit(codes, 0, codes.length, payload, 0);
      const run = packTrit5Matrix(codes, rows, cols, lanes, 8);
      expect(run.bytes.subarray(0, payload.length)).toEqual(payload);
    }
  });

  it('chunks follow one another across bytes, rows and words (32 codes: 6.4 bytes, in 8-byte words)', () => {
    // Row 1's first weight (code 32 of the run) is +1: trit 2 of byte 6, in word 0; row 1's last weight
    // (code 63) is -1: trit 3 of byte 12, in word 1.
    const codes = Int8Array.from({ length: 2 * 32 }, (_, i) => (i === 32 ? 1 : i === 63 ? -1 : 0));
    const run = packTrit5Matrix(codes, 2, 32, 32, 8);
    expect(run.words).toBe(2); // 13 bytes in 16
    expect(run.bytes[6]).toBe(TRIT5.zeroByte + 9);
    expect(run.bytes[12]).toBe(TRIT5.zeroByte - 27);
    expect([...run.bytes].filter((_, i) => i !== 6 && i !== 12).every((b) => b === TRIT5.zeroByte)).toBe(true);
  });

  it('refuses bad input with one line naming what is wrong', () => {
    const ok = new Int8Array(6);
    expect(() => packTrit5Matrix(ok, 2, 4, 16, 8)).toThrow('trit5 matrix: a 2 x 4 matrix needs 8 codes, got 6');
    expect(() => packTrit5Matrix(Int8Array.of(0, 0, 0, 0, 3, 0), 2, 3, 16, 8)).toThrow('trit5 matrix: weight 3 at (1, 1) is not in {-1, 0, +1}');
    expect(() => packTrit5Matrix(ok, 2, 3, 48, 8)).toThrow('trit5 matrix: lanes must be a power of two from 4 to 1024, got 48');
    expect(() => packTrit5Matrix(ok, 0, 3, 16, 8)).toThrow('trit5 matrix: rows must be a positive integer, got 0');
    expect(() => packTrit5Matrix(ok, 2, 3, 16, 0)).toThrow('trit5 matrix: wordBytes must be a positive integer, got 0');
    // Sizes are refused before anything is allocated.
    expect(() => trit5MatrixWords(1.5, 3, 16, 8)).toThrow('trit5 matrix: rows must be a positive integer, got 1.5');
    expect(() => packTrit5Matrix(ok, 2 ** 30, 2 ** 30, 16, 8)).toThrow('trit5 matrix: 1073741824 x 1073741824 is more than 2^40 weights');
    const run = packTrit5Matrix(Int8Array.of(1, -1, 0), 1, 3, 16, 8);
    expect(() => unpackTrit5Matrix(run.bytes.subarray(1), 1, 3, 16, 8)).toThrow('trit5 matrix: a 1 x 3 matrix at 16 lanes takes 8 bytes, got 7');
    const bad = (at: number, v: number) => Uint8Array.from(run.bytes, (b, i) => (i === at ? v : b));
    expect(() => unpackTrit5Matrix(bad(5, 243), 1, 3, 16, 8)).toThrow('trit5 matrix: byte 5 is 243, above 242');
    expect(() => unpackTrit5Matrix(bad(5, 0), 1, 3, 16, 8)).toThrow('trit5 matrix: padding byte 5 is 0, not 121');
    expect(() => unpackTrit5Matrix(bad(0, 0), 1, 3, 16, 8)).toThrow('trit5 matrix: byte 0 has a non-zero padding weight');
  });
});
