// CRC-16/MCRF4XX (protocol/spec.ts) one bit per clock: a byte taken with in_valid is shifted through the
// reflected register LSB first in the next 8 cycles (busy meanwhile). Bytes on a UART come at least
// 40 cycles apart (4 cycles per bit at the fastest), so one bit per clock keeps up with 16 flip-flops
// and three XORs where a byte-parallel update would take a LUT tree per bit. `preset` loads any value
// (CRC16.init to start a frame, or a saved register to continue one).
import { defineModule } from '../hdl/core/generator.ts';
import { lit, mux, type Expr } from '../hdl/core/expr.ts';
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

/**
 * Two CRC-16 registers fed from one bit shifter: every byte taken with in_valid enters `crc_a`, and
 * `crc_b` too when in_b is 1 with it (the receiver's frame CRC and a LOAD's chunk CRC of its words alone,
 * whose bytes arrive together). `init_a` and `init_b` set a register to CRC16.init (its flip-flops' own
 * synchronous set, no multiplexer), `load_b` loads `load_value_b` into b; either wins over a shift.
 */
export const crc16SerialPair = defineModule('crc16_serial_pair', (m) => {
  const initA = m.input('init_a', Bool);
  const initB = m.input('init_b', Bool);
  const loadB = m.input('load_b', Bool);
  const loadValueB = m.input('load_value_b', UInt(16));
  const inValid = m.input('in_valid', Bool);
  const inB = m.input('in_b', Bool);
  const inByte = m.input('in_byte', UInt(8));
  const crcA = m.output('crc_a', UInt(16), { reg: true, reset: CRC16.init });
  const crcB = m.output('crc_b', UInt(16), { reg: true, reset: CRC16.init });
  const busy = m.output('busy', Bool);
  const bits = m.reg('bits', UInt(8));
  const left = m.reg('left', UInt(4), { reset: 0 });
  const takeB = m.reg('take_b', Bool, { reset: 0 });
  m.assign(busy, left.ne(0));
  const step = (crc: Expr) => mux(crc.bit(0).xor(bits.bit(0)), crc.shr(1).zext(16).xor(lit(CRC16.poly, UInt(16))), crc.shr(1).zext(16));
  const init = lit(CRC16.init, UInt(16));
  m.sync(() => {
    m.if(inValid, () => {
      bits.set(inByte);
      left.set(8);
      takeB.set(inB);
    }).elif(busy, () => {
      crcA.set(step(crcA));
      m.if(takeB, () => crcB.set(step(crcB)));
      bits.set(bits.shr(1).zext(8));
      left.set(left.sub(1).trunc(4));
    });
    m.if(loadB, () => crcB.set(loadValueB));
    m.if(initA, () => crcA.set(init));
    m.if(initB, () => crcB.set(init));
  });
});
