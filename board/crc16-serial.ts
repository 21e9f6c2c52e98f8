// CRC-16/MCRF4XX (protocol/spec.ts) one bit per clock: a byte taken with in_valid is shifted through the
// reflected register LSB first in the next 8 cycles (busy meanwhile). Bytes on a UART come at least
// 40 cycles apart (4 cycles per bit at the fastest), so one bit per clock keeps up with 16 flip-flops
// and three XORs where a byte-parallel update would take a LUT tree per bit. `preset` loads any value
// (CRC16.init to start a frame, or a saved register to continue one).
import { defineModule } from '../hdl/core/generator.ts';
import { lit, mux } from '../hdl/core/expr.ts';
import { Bool, UInt } from '../hdl/core/types.ts';
import { CRC16 } from '../protocol/spec.ts';

export const crc16Serial = defineModule('crc16_serial', (m) => {
  const preset = m.input('preset', Bool);
  const presetValue = m.input('preset_value', UInt(16));
  const inValid = m.input('in_valid', Bool);
  const inByte = m.input('in_byte', UInt(8));
  const crc = m.output('crc', UInt(16), { reg: true, reset: CRC16.init });
  const busy = m.output('busy', Bool);
  const bits = m.reg('bits', UInt(8));
  const left = m.reg('left', UInt(4), { reset: 0 });
  m.assign(busy, left.ne(0));
  const shifted = crc.shr(1).zext(16);
  const feedback = crc.bit(0).xor(bits.bit(0));
  m.sync(() => {
    m.if(inValid, () => {
      bits.set(inByte);
      left.set(8);
    }).elif(busy, () => {
      crc.set(mux(feedback, shifted.xor(lit(CRC16.poly, UInt(16))), shifted));
      bits.set(bits.shr(1).zext(8));
      left.set(left.sub(1).trunc(4));
    });
    m.if(preset, () => crc.set(presetValue));
  });
});
