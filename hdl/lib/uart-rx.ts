// UART receiver, 8N1. The line is synchronised through two flip-flops, the start bit is confirmed at
// its middle, and each data bit is sampled at the middle of its period. A good byte comes out as a
// one-cycle `out_valid` pulse (a UART cannot wait, so there is no ready); a missing stop bit pulses
// `frame_error` instead, and nothing more is received until the line has returned high. `out_data` is
// the shift register itself: it holds the byte from its `out_valid` until the next byte's first data
// bit, a bit and a half later, and changes meanwhile (read it with `out_valid`).
import { defineModule } from '../core/generator.ts';
import { cat } from '../core/expr.ts';
import { Fsm } from '../core/fsm.ts';
import { Bool, UInt, clog2 } from '../core/types.ts';
import { baudDivisor } from './uart-baud.ts';
import type { UartParams } from './uart-tx.ts';

export const uartRx = defineModule('uart_rx', (m, p: UartParams) => {
  const div = baudDivisor(p.clockHz, p.baud);
  const rx = m.input('rx', Bool);
  const outValid = m.output('out_valid', Bool, { reg: true, reset: 0 });
  const outData = m.output('out_data', UInt(8));
  const frameError = m.output('frame_error', Bool, { reg: true, reset: 0 });

  const sync1 = m.reg('rx_meta', Bool, { reset: 1 });
  const line = m.reg('rx_sync', Bool, { reset: 1 });
  const fsm = new Fsm(m, 'state', ['IDLE', 'START', 'DATA', 'STOP', 'BREAK'] as const);
  const count = m.reg('baud_count', UInt(clog2(div)), { reset: 0 });
  const bitIndex = m.reg('bit_index', UInt(3), { reset: 0 });
  const shift = m.reg('shift', UInt(8));
  m.assign(outData, shift);
  const mid = m.let('at_middle', count.eq(Math.floor((div - 1) / 2)));
  const end = m.let('at_end', count.eq(div - 1));

  m.sync(() => {
    sync1.set(rx);
    line.set(sync1);
    outValid.set(0);
    frameError.set(0);
    count.set(count.add(1).trunc(count.width));
    fsm.switch({
      IDLE: () => {
        count.set(0);
        m.if(line.not(), () => fsm.goto('START'));
      },
      START: () => {
        // Half a bit in: still low means a real start bit, and from here every bit is a whole period.
        m.if(mid, () => {
          count.set(0);
          bitIndex.set(0);
          m.if(line, () => fsm.goto('IDLE')).else(() => fsm.goto('DATA'));
        });
      },
      DATA: () => {
        m.if(end, () => {
          count.set(0);
          shift.set(cat(line, shift.slice(7, 1)));
          bitIndex.set(bitIndex.add(1).trunc(3));
          m.if(bitIndex.eq(7), () => fsm.goto('STOP'));
        });
      },
      STOP: () => {
        m.if(end, () => {
          count.set(0);
          m.if(line, () => {
            outValid.set(1);
            fsm.goto('IDLE');
          }).else(() => {
            frameError.set(1);
            fsm.goto('BREAK');
          });
        });
      },
      // After a missing stop bit the line may be held low (a break): wait for it to go high before
      // looking for the next start bit, so a long low is not read as a stream of 0x00 frames.
      BREAK: () => m.if(line, () => fsm.goto('IDLE')),
    });
  });
});
