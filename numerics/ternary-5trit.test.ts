// The 5-trit byte code: a bijection between the 243 bytes 0..242 and the 3^5 groups of five weights,
// base 3 with the first weight least significant, trit = code + 1.
import { describe, expect, it } from 'vitest';
import { TRIT5, TRIT5_DECODE, encode5trit, trit5Bytes } from './ternary-5trit.ts';

describe('5-trit byte code', () => {
  it('every byte 0..242 decodes to five codes that encode back to it, and no two bytes share a group', () => {
    const seen = new Set<string>();
    for (let b = 0; b <= TRIT5.maxByte; b++) {
      const codes = TRIT5_DECODE[b]!;
      expect(codes.length).toBe(TRIT5.tritsPerByte);
      expect(codes.reduce((v, c, k) => v + (c + 1) * 3 ** k, 0)).toBe(b);
      const out = new Uint8Array(1);
      encode5trit(codes, 0, 5, out, 0);
      expect(out[0]).toBe(b);
      seen.add(codes.join(','));
    }
    expect(seen.size).toBe(3 ** 5);
    expect(TRIT5_DECODE.length).toBe(TRIT5.maxByte + 1);
  });

  it('zeroByte is five zeros, 0 five -1s, maxByte five +1s', () => {
    expect([...TRIT5_DECODE[TRIT5.zeroByte]!]).toEqual([0, 0, 0, 0, 0]);
    expect([...TRIT5_DECODE[0]!]).toEqual([-1, -1, -1, -1, -1]);
    expect([...TRIT5_DECODE[TRIT5.maxByte]!]).toEqual([1, 1, 1, 1, 1]);
  });

  it('encodes a slice into ceil(n / 5) bytes at an offset, the weights past n as zeros', () => {
    for (const n of [1, 4, 5, 6, 11, 64]) {
      const codes = Int8Array.from({ length: n + 3 }, (_, i) => ((i * 7) % 3) - 1);
      const out = new Uint8Array(trit5Bytes(n) + 2).fill(0xff);
      encode5trit(codes, 3, n, out, 2);
      expect([...out.subarray(0, 2)]).toEqual([0xff, 0xff]);
      const back = [...out.subarray(2)].flatMap((b) => [...TRIT5_DECODE[b]!]);
      expect(back.slice(0, n)).toEqual([...codes.subarray(3)]);
      expect(back.slice(n).every((c) => c === 0)).toBe(true);
      expect(trit5Bytes(n)).toBe(Math.ceil(n / 5));
    }
  });

  it('refuses a code outside {-1, 0, +1}, naming its index', () => {
    expect(() => encode5trit(Int8Array.of(0, 1, 0, 2), 1, 3, new Uint8Array(1), 0)).toThrow('code 2 at weight 3 is not in {-1, 0, +1}');
  });
});
