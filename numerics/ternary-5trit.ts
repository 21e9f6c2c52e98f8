// Five ternary weights in one byte (1.6 bits a weight, against 2 for the 2-bit code): base 3, trit
// t = code + 1, byte = t0 + 3 t1 + 9 t2 + 27 t3 + 81 t4, the first weight least significant; trits past
// the last weight are 1 (code 0). The one byte code of the packed model format's 5-trit encoding
// (model/packed/format.ts) and of the external target's weights in DRAM (accel/external/trit5-matrix.ts,
// decoded in logic by accel/units/trit5-gearbox.ts), so the two cannot drift apart.

export const TRIT5 = {
  /** Weights a byte holds. */
  tritsPerByte: 5,
  /** The largest byte the code uses: 3^5 - 1. Bytes above it are not 5-trit bytes. */
  maxByte: 242,
  /** Five zero weights (every trit 1): padding that still decodes. */
  zeroByte: 121,
} as const;

/** Bytes the codes of n weights take. */
export function trit5Bytes(n: number): number {
  return Math.ceil(n / TRIT5.tritsPerByte);
}

/**
 * Encodes codes[from .. from + n) into trit5Bytes(n) bytes at out[at ..]; weights past n in the last
 * byte are 0. A code outside {-1, 0, +1} throws, naming its index in `codes`.
 */
export function encode5trit(codes: ArrayLike<number>, from: number, n: number, out: Uint8Array, at: number): void {
  const bytes = trit5Bytes(n);
  for (let j = 0; j < bytes; j++) {
    let v = 0;
    for (let k = TRIT5.tritsPerByte - 1; k >= 0; k--) {
      const i = TRIT5.tritsPerByte * j + k;
      const c = i < n ? codes[from + i]! : 0;
      if (c !== 0 && c !== 1 && c !== -1) throw new RangeError(`code ${c} at weight ${from + i} is not in {-1, 0, +1}`);
      v = 3 * v + (c + 1);
    }
    out[at + j] = v;
  }
}

/** Per byte value 0 .. 242: its five codes, weight k at index k. */
export const TRIT5_DECODE: readonly Int8Array[] = Array.from({ length: TRIT5.maxByte + 1 }, (_, b) => {
  const codes = new Int8Array(TRIT5.tritsPerByte);
  for (let k = 0; k < TRIT5.tritsPerByte; k++, b = Math.floor(b / 3)) codes[k] = (b % 3) - 1;
  return codes;
});
