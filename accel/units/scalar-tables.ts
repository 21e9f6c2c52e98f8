// The rsqrt and reciprocal tables as the accelerator holds them (in the weight memory, laid out by
// accel/config.ts; read by the serial scalar unit, scalar-serial.ts): only the used part of each table
// of numerics/tables.ts, and the widths of their entries.
//
// RSQRT's index is in [256, 1024): rsqrtFixed looks up the mantissa s / 4^k, which is in [2^14, 2^16),
// by its top 10 bits, so entries 0 .. 255 are never read and the stored table is 768 words at idx - 256.
// RECIP's index is in [512, 1024): recip127 looks up normalize16's mantissa, in [2^15, 2^16) (its top
// bit always 1), by its top 10 bits, so the stored table is 512 words at mant[14:6].
import { bitsFor } from '../../hdl/core/types.ts';
import { RECIP, RSQRT } from '../../numerics/formats.ts';
import { RECIP_TABLE, RSQRT_TABLE } from '../../numerics/tables.ts';

const RSQRT_FIRST = 1 << (RSQRT.indexBits - 2); // 256: first used entry
const RECIP_FIRST = 1 << (RECIP.indexBits - 1); // 512: first used entry

/** The part of a table the accelerator reads, from its first used entry (what the weight memory holds of it). */
export function scalarTable(unit: 'rsqrt' | 'recip'): number[] {
  return unit === 'rsqrt' ? Array.from(RSQRT_TABLE.subarray(RSQRT_FIRST)) : Array.from(RECIP_TABLE.subarray(RECIP_FIRST));
}

function tableBits(t: ArrayLike<number>, from: number): number {
  let max = 0;
  for (let i = from; i < t.length; i++) max = Math.max(max, t[i]!);
  return bitsFor(BigInt(max), false);
}

/** Width of the rsqrt mantissa: exactly what RSQRT_TABLE's used entries need (16). */
export const RSQRT_MANT_BITS = tableBits(RSQRT_TABLE, RSQRT_FIRST);
/** Width of the reciprocal: exactly what RECIP_TABLE's used entries need (14). */
export const RECIP_BITS = tableBits(RECIP_TABLE, RECIP_FIRST);
