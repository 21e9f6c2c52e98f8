// Test bench wrapper: a UART transmitter wired straight into a receiver with the same parameters.
// Bytes go in as a valid/ready stream, come back out of the receiver as `out_valid` pulses, and the
// serial line between the two is brought out as `line` so a test can watch it idle high.
import { defineModule } from '../core/generator.ts';
import { Bool, UInt } from '../core/types.ts';
import { flip } from '../core/signature.ts';
import { byteStream, uartTx, type UartParams } from './uart-tx.ts';
import { uartRx } from './uart-rx.ts';

export const uartLoopback = defineModule('uart_loopback', (m, p: UartParams) => {
  const input = m.port(flip(byteStream), 'in');
  const outValid = m.output('out_valid', Bool);
  const outData = m.output('out_data', UInt(8));
  const frameError = m.output('frame_error', Bool);
  const line = m.output('line', Bool);

  const tx = m.instance('u_tx', uartTx(p), { in: input });
  const rx = m.instance('u_rx', uartRx(p), { rx: tx.out('tx') });

  m.assign(line, tx.out('tx'));
  m.assign(outValid, rx.out('out_valid'));
  m.assign(outData, rx.out('out_data'));
  m.assign(frameError, rx.out('frame_error'));
});
