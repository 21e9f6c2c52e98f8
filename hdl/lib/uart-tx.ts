// UART transmitter, 8N1: one start bit (0), eight data bits LSB first, one stop bit (1). Takes one byte
// per transfer from a valid/ready stream; `tx` idles high.
import { defineModule } from '../core/generator.ts';
import { cat, lit } from '../core/expr.ts';
import { Bool, UInt, clog2 } from '../core/types.ts';
import { flip, stream } from '../core/signature.ts';
import { fire } from './stream.ts';
import { baudDivisor } from './uart-baud.ts';

export interface UartParams {
  [k: string]: number;
  clockHz: number;
  baud: number;
}

/** What the transmitter takes: one byte per transfer. */
export const byteStream = stream(UInt(8));

export const uartTx = defineModule('uart_tx', (m, p: UartParams) => {
  const div = baudDivisor(p.clockHz, p.baud);
  const input = m.port(flip(byteStream), 'in');
  const tx = m.output('tx', Bool);

  // The frame shifts out LSB first behind a marker 1 with zeros after it, so bit 0 is the line level at
  // all times (idle: the marker alone, high) and the frame is sent when only the marker is left.
  const frame = m.reg('frame', UInt(11), { reset: 1 });
  const baudCount = m.reg('baud_count', UInt(clog2(div)), { reset: 0 });
  const idle = m.let('idle', frame.slice(10, 1).eq(0));
  const bitDone = m.let('bit_done', baudCount.eq(div - 1));

  m.assign(input.ready, idle);
  m.assign(tx, frame.bit(0));

  m.sync(() => {
    m.if(fire(input), () => {
      frame.set(cat(lit(3, UInt(2)), input.data, lit(0, Bool)));
      baudCount.set(0);
    }).elif(idle.not(), () => {
      m.if(bitDone, () => {
        frame.set(frame.shr(1).zext(11));
        baudCount.set(0);
      }).else(() => baudCount.set(baudCount.add(1).trunc(baudCount.width)));
    });
  });
});
