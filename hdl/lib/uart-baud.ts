// The clock-cycles-per-bit divisor shared by the UART transmitter and receiver.

/** Max relative baud-rate error accepted: 8N1 tolerates about 5% between both ends together. */
export const MAX_BAUD_ERROR = 0.02;

export function baudDivisor(clockHz: number, baud: number): number {
  const div = Math.round(clockHz / baud);
  if (!(div >= 4)) throw new RangeError(`UART: ${clockHz} Hz gives ${clockHz / baud} cycles per bit at ${baud} baud; need at least 4`);
  const err = Math.abs(clockHz / div - baud) / baud;
  if (err > MAX_BAUD_ERROR) {
    throw new RangeError(`UART: ${clockHz} Hz / ${div} = ${(clockHz / div).toFixed(0)} baud is ${(err * 100).toFixed(1)}% off ${baud} baud`);
  }
  return div;
}
