// The one-cycle CRC's matrices against protocol/crc16.ts (the byte-wise reference the host uses): words of
// 16 to 128 bits (every byte count) from random registers, and the undo of trailing zero bytes that a
// partial last word needs. The emitted logic runs in fpga/ecp5/dram-verify-reader.test.ts.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../util/prng.ts';
import { crc16 } from '../protocol/crc16.ts';
import { crc16Apply, crc16ApplyUndo, crc16Matrix, crc16UndoZeros } from './crc16-parallel.ts';

const randomBytes = (r: () => number, n: number) => Array.from({ length: n }, () => Math.floor(r() * 256));
const asWord = (bytes: number[]) => bytes.reduceRight((v, b) => (v << 8n) | BigInt(b), 0n);

describe('CRC-16 over a word in one step', () => {
  it('equals crc16() over the word\'s bytes (little endian) for widths 16 .. 128 and random registers', () => {
    const r = seededRandom(16);
    for (let width = 16; width <= 128; width += 8) {
      const mx = crc16Matrix(width);
      for (let t = 0; t < 50; t++) {
        const bytes = randomBytes(r, width / 8);
        const reg = Math.floor(r() * 65536);
        expect(crc16Apply(mx, reg, asWord(bytes)), `width ${width}`).toBe(crc16(bytes, reg));
      }
      // Every bit of the word and of the register matters (no column of the matrix is empty).
      for (let j = 0; j < width; j++) expect(mx.data.some((row) => (row >> BigInt(j)) & 1n), `word bit ${j}`).toBe(true);
      for (let k = 0; k < 16; k++) expect(mx.crc.some((row) => (row >>> k) & 1), `register bit ${k}`).toBe(true);
    }
  });

  it('chains: an image in 128-bit words gives the image\'s CRC', () => {
    const r = seededRandom(3);
    const bytes = randomBytes(r, 16 * 20);
    const mx = crc16Matrix(128);
    let c = 0xffff;
    for (let w = 0; w < 20; w++) c = crc16Apply(mx, c, asWord(bytes.slice(16 * w, 16 * w + 16)));
    expect(c).toBe(crc16(bytes));
  });

  it('undoes trailing zero bytes: a partial last word zero-filled, then undone, is the CRC of its valid bytes', () => {
    const r = seededRandom(9);
    const mx = crc16Matrix(128);
    for (let valid = 1; valid < 16; valid++) {
      const undo = crc16UndoZeros(8 * (16 - valid));
      for (let t = 0; t < 20; t++) {
        const bytes = randomBytes(r, valid);
        const reg = Math.floor(r() * 65536);
        const filled = crc16Apply(mx, reg, asWord([...bytes, ...new Array<number>(16 - valid).fill(0)]));
        expect(crc16ApplyUndo(undo, filled), `${valid} valid bytes`).toBe(crc16(bytes, reg));
      }
    }
  });

  it('refuses a width out of range', () => {
    expect(() => crc16Matrix(0)).toThrow(/width 0: 1 .. 4096 bits/);
  });
});
