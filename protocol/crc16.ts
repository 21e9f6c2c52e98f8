// CRC-16/MCRF4XX as protocol/spec.ts defines it, byte-wise and LSB first: the same shift register the
// board's protocol engine runs one bit per clock (board/crc16-serial.ts).
import { CRC16 } from './spec.ts';

/** The CRC register after `bytes`, starting from `crc` (CRC16.init for a new frame). */
export function crc16(bytes: ArrayLike<number>, crc: number = CRC16.init): number {
  let c = crc & 0xffff;
  for (let i = 0; i < bytes.length; i++) {
    c ^= bytes[i]! & 0xff;
    for (let b = 0; b < 8; b++) c = c & 1 ? (c >>> 1) ^ CRC16.poly : c >>> 1;
  }
  return c;
}
