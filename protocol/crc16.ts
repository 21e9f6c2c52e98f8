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

/** The register's next value after each byte value, from a register of 0 (the CRC is linear: a byte-wise table). */
const TABLE = Uint16Array.from({ length: 256 }, (_, b) => crc16([b], 0));

/**
 * The same CRC over 16-bit words [from, to), each word's low byte first (the host's image CRC), a table
 * lookup a byte and no copy of the words: a 370M model's image is 51 M words.
 */
export function crc16Words(words: ArrayLike<number>, from = 0, to = words.length, crc: number = CRC16.init): number {
  let c = crc & 0xffff;
  for (let i = from; i < to; i++) {
    const w = words[i]!;
    c = (c >>> 8) ^ TABLE[(c ^ w) & 0xff]!;
    c = (c >>> 8) ^ TABLE[(c ^ (w >>> 8)) & 0xff]!;
  }
  return c;
}
