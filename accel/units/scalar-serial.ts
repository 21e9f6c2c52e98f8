// The per-BitLinear scalars, computed one at a time in a few cycles, bit for bit: numerics'
// normalize16 + recip127 of m = max |p| and rsqrtFixed of the energy S (numerics/scalars.ts), and the
// output scale (M, E) of numerics/bitlinear.ts step 6. Each runs once per BitLinear, so one serial
// unit does all three (the first datapath had two pipelined scalar units and an output scale unit,
// docs/architecture.md "Why one row unit"; on the UP5K logic cells are the scarce resource): one 53-bit
// register, one adder and one shifter.
//
//   start (a pulse) with mode and its inputs -> done (a pulse) `scalarSerialCycles(mode)` later, with
//     mode 0, normalize:  value = m: mant = normalize16(m).mant, exp = normalize16(m).exp,
//                         table_word = RECIP_TABLE[mant >> 6]
//     mode 1, rsqrt:      value = S: mant = table_word = RSQRT_TABLE[index], exp = rsqrtFixed(S).exp
//     mode 2, scale:      a = mm_mant, b = t_mant, c = C's mantissa, exp_in = the sum of the four exponents
//                         (mm, t, C, norm) + 8: prod = a b c, sh = highBit(prod) - 15,
//                         mant = M = shiftRound(prod, sh), exp = E = sh + exp_in; M = 2^16 comes out as
//                         2^15 with E + 1 (the same value, so M fits UInt(16))
//   and zero = (value == 0) (numerics never asks for modes 0 and 1 then; their results are unspecified).
//
// Mode 2 multiplies on one 16 x 16 multiplier (an SB_MAC16), three products in six cycles:
// ab = a b, lo = ab[15:0] c, hi = ab[31:16] c, then X = hi 2^16 + lo = a b c (lo's high half added
// on the multiplier's adder with hi).
//
// Normalisation in sixteen fixed steps, one per cycle: X = value (53 bits); for a = 4 (13 times), then
// 1, 1, 1, if the top a bits of X are 0, X <<= a and c += a. Then X[52] = 1 and hb = highBit(value) = 52 - c
// (a zero value: c = 63).
//   normalize16: e = hb - 15, mant = floor(value / 2^e) (or value 2^-e, exact, for e < 0): X[52:37]
//   rsqrtFixed:  k = floor((hb - 14) / 2), m' = value / 4^k in [2^14, 2^16), index = m' >> 6:
//                hb - 14 even: m' has its top bit at 14, index = X[52:44]; odd: at 15, index = X[52:43]
// The table word is read from outside (the tables live in the weight memory or a ROM, scalar-tables.ts
// scalarTable): table_addr is driven in the cycle after the last step, with table_rd, and table_data
// is taken the cycle after (a registered read), which is the cycle done pulses.
import { defineModule } from '../../hdl/core/generator.ts';
import { lit, mux, cat } from '../../hdl/core/expr.ts';
import type { Module } from '../../hdl/core/module.ts';
import { Bool, SInt, UInt } from '../../hdl/core/types.ts';
import { Fsm } from '../../hdl/core/fsm.ts';
import { RECIP, RSQRT } from '../../numerics/formats.ts';
import { RECIP_BITS, RSQRT_MANT_BITS } from './scalar-tables.ts';
import { MAX_SCALAR_WIDTH, SCALE_E_BITS } from './scalar-widths.ts';

/** Width of the value register: numerics' integers are below 2^53. */
const W = MAX_SCALAR_WIDTH;
/**
 * The shift amounts of the steps, largest first: thirteen of 4, then three of 1 (greedy: after the 4s fewer
 * than 4 leading zeros are left), so any count up to 52 (a non-zero value's) is found with a 3:1
 * multiplexer per bit (hold, 4, 1). Three 16s in front (16, 16, 16, 4, 4, 4, 1, 1, 1) save 7 cycles per
 * op but take a 4:1 multiplexer per bit of the 53: 71 LUT4 more, and the 32-lane iCEBreaker board
 * (5,249 of the UP5K's 5,280 logic cells with this schedule) no longer fits.
 */
const STEPS = [...Array<number>(13).fill(4), 1, 1, 1];
/**
 * lz for a zero value: X never gets a leading one, and the 16, 4, 1 schedule this one replaced counted
 * 63 (its steps' sum); kept, so that modes 0 and 1 of a zero value give the same (unspecified) words.
 */
const ZERO_LZ = 63;
/** Width of exp: E of the output scale (SCALE_E_BITS); rsqrt's and normalize's exponents fit it too. */
export const SCALAR_SERIAL_EXP_BITS = SCALE_E_BITS;
/** Cycles of mode 2's three products. */
const MUL_CYCLES = 6;
/** Modes. */
export const SCALAR_MODE = { normalize: 0, rsqrt: 1, scale: 2 } as const;
/** mm_exp, t_exp, C's and the norm's exponent of the output scale, summed with the constant of numerics step 6. */
const EXP_IN_BITS = SCALE_E_BITS;
/** Width of table_addr: the rsqrt table's 768 words. */
export const SCALAR_SERIAL_ADDR_BITS = 10;

/**
 * Cycles from the cycle start is 1 to the cycle done is 1: the start, the steps, then the table address
 * and word (modes 0, 1) or the two 16-cycle multiplications before the steps and the rounding (mode 2).
 */
export function scalarSerialCycles(mode: keyof typeof SCALAR_MODE = 'normalize'): number {
  return mode === 'scale' ? 1 + MUL_CYCLES + STEPS.length + 1 : STEPS.length + 3;
}

export const scalarSerialUnit = defineModule('scalar_serial', (m: Module, _p: Record<string, never>) => {
  if (RECIP.mantissaBits !== 16 || RSQRT.mantissaBits !== 16 || RECIP.indexBits !== 10 || RSQRT.indexBits !== 10) throw new RangeError('scalar serial unit: unexpected RECIP/RSQRT formats');
  const start = m.input('start', Bool);
  const mode = m.input('mode', UInt(2));
  const value = m.input('value', UInt(W));
  const aIn = m.input('a', UInt(16));
  const bIn = m.input('b', UInt(16));
  const cIn = m.input('c', UInt(16));
  const expIn = m.input('exp_in', SInt(EXP_IN_BITS));
  const tableData = m.input('table_data', UInt(Math.max(RECIP_BITS, RSQRT_MANT_BITS)));
  const tableAddr = m.output('table_addr', UInt(SCALAR_SERIAL_ADDR_BITS));
  const tableRd = m.output('table_rd', Bool);
  const done = m.output('done', Bool, { reg: true, reset: 0 });
  const mant = m.output('mant', UInt(16), { reg: true });
  const exp = m.output('exp', SInt(SCALAR_SERIAL_EXP_BITS), { reg: true });
  const table = m.output('table_word', UInt(tableData.width), { reg: true });
  const zero = m.output('zero', Bool, { reg: true });

  const fsm = new Fsm(m, 'state', ['idle', 'mul', 'step', 'addr', 'data', 'round'] as const);
  const x = m.reg('x', UInt(W));
  // mode 2: the multiplier's operands and registered product, a b's high half, the low partial product
  const opA = m.reg('mul_a', UInt(16));
  const opB = m.reg('mul_b', UInt(16));
  const pr = m.reg('mul_p', UInt(32));
  const abHigh = m.reg('ab_high', UInt(16));
  const lo = m.reg('mul_lo', UInt(32));
  const cKeep = m.reg('c_keep', UInt(16));
  const expKeep = m.reg('exp_keep', SInt(EXP_IN_BITS));
  const mulCount = m.reg('mul_count', UInt(3));
  const scaleMode = m.reg('scale_mode', Bool);
  const c = m.reg('lz', UInt(6)); // leading zeros found so far
  const step = m.reg('step', UInt(4));
  const rsqrtMode = m.reg('rsqrt_mode', Bool);

  // One step: the amount of step i, whether the top `a` bits are zero, and X shifted by it.
  const amount = m.wire('amount', UInt(6));
  const topZero = m.wire('top_zero', Bool);
  const shifted = m.wire('shifted', UInt(W));
  const stepAt = (a: number) => {
    amount.set(lit(a, UInt(6)));
    topZero.set(x.slice(W - 1, W - a).eq(0));
    shifted.set(cat(x.slice(W - 1 - a, 0), lit(0, UInt(a))));
  };
  m.comb(() => {
    // the steps of one amount are consecutive, largest first: the last amount's are the default, and each
    // larger amount takes the steps up to its last index (the smaller amounts' conditions come first)
    const amounts = [...new Set(STEPS)];
    stepAt(amounts[amounts.length - 1]!);
    for (const a of amounts.slice(0, -1).reverse()) m.if(step.le(STEPS.lastIndexOf(a)), () => stepAt(a));
  });

  // hb = 52 - c; rsqrt: k = floor((hb - 14) / 2), exp = -23 - k; normalize: exp = hb - 15.
  const hb = m.let('hb', lit(W - 1, SInt(8)).sub(c.zext(7).asSigned()).trunc(8));
  const odd = hb.sub(14).bit(0); // hb - 14 odd: m' has its top bit at 15
  const k = hb.sub(14).trunc(8).shr(1); // arithmetic: floor((hb - 14) / 2)
  const idx = m.let('rsqrt_index', mux(odd, x.slice(W - 1, W - 10), cat(lit(0, Bool), x.slice(W - 1, W - 9))));
  const RSQRT_FIRST = 1 << (RSQRT.indexBits - 2); // 256: table_addr = index - 256
  m.assign(tableAddr, mux(rsqrtMode, idx.sub(RSQRT_FIRST).trunc(SCALAR_SERIAL_ADDR_BITS), x.slice(W - 2, W - 10).zext(SCALAR_SERIAL_ADDR_BITS)));
  m.assign(tableRd, fsm.is('addr'));

  m.sync(() => {
    done.set(0);
    fsm.switch({
      idle: () => {
        m.if(start, () => {
          x.set(mux(mode.eq(SCALAR_MODE.scale), lit(0, UInt(W)), value));
          c.set(0);
          step.set(0);
          rsqrtMode.set(mode.eq(SCALAR_MODE.rsqrt));
          scaleMode.set(mode.eq(SCALAR_MODE.scale));
          zero.set(value.eq(0));
          opA.set(aIn);
          opB.set(bIn);
          cKeep.set(cIn);
          expKeep.set(expIn);
          mulCount.set(0);
          m.if(mode.eq(SCALAR_MODE.scale), () => fsm.goto('mul')).else(() => fsm.goto('step'));
        });
      },
      mul: () => {
        // 0: p = a b   1: ab_high, (a b)[15:0] x c   2: p = lo   3: lo, ab_high x c   4: p = hi + lo[31:16]
        // 5: X = p 2^16 + lo[15:0] = hi 2^16 + lo. lo's high half is added in the product's own
        // expression, which the SB_MAC16's adder takes, instead of a 53-bit adder in logic cells
        // (hi + lo[31:16] <= (2^16 - 1)^2 + 2^16 - 1 < 2^32: p does not overflow)
        const loHigh = mux(mulCount.bit(2), lo.slice(31, 16), lit(0, UInt(16)));
        pr.set(opA.mul(opB).add(loHigh.zext(32)).trunc(32));
        mulCount.set(mulCount.add(1).trunc(3));
        m.if(mulCount.eq(1), () => {
          abHigh.set(pr.slice(31, 16));
          opA.set(pr.slice(15, 0));
          opB.set(cKeep);
        });
        m.if(mulCount.eq(3), () => {
          lo.set(pr);
          opA.set(abHigh);
        });
        m.if(mulCount.eq(5), () => {
          x.set(cat(pr, lo.slice(15, 0)).zext(W));
          fsm.goto('step');
        });
      },
      step: () => {
        m.if(topZero, () => {
          x.set(shifted);
          c.set(c.add(amount).trunc(6));
        });
        step.set(step.add(1).trunc(4));
        m.if(step.eq(STEPS.length - 1), () => {
          // a non-zero value has at most one leading zero left before the last 1-step: X[52:51] = 0 means zero
          m.if(x.slice(W - 1, W - 2).eq(0), () => c.set(ZERO_LZ));
          m.if(scaleMode, () => fsm.goto('round')).else(() => fsm.goto('addr'));
        });
      },
      round: () => {
        // M = shiftRound(prod, sh) = (floor(prod / 2^(sh - 1)) + 1) >> 1 = (X[52:36] + 1) >> 1; sh = hb - 15
        const m17 = x.slice(W - 1, W - 17).add(1).shr(1).trunc(17);
        const wraps = m17.bit(16); // M = 2^16: held as 2^15 with E + 1
        mant.set(mux(wraps, lit(1 << 15, UInt(16)), m17.trunc(16)));
        exp.set(hb.sub(RECIP.mantissaBits - 1).ext(EXP_IN_BITS + 1).add(expKeep).add(wraps.zext(2).asSigned()).trunc(SCALAR_SERIAL_EXP_BITS));
        done.set(1);
        fsm.goto('idle');
      },
      addr: () => {
        mant.set(x.slice(W - 1, W - 16)); // normalize16's mantissa (the rsqrt result replaces it)
        exp.set(mux(rsqrtMode, lit(-RSQRT.frac, SInt(8)).sub(k), hb.sub(RECIP.mantissaBits - 1)).ext(SCALAR_SERIAL_EXP_BITS));
        fsm.goto('data');
      },
      data: () => {
        table.set(tableData);
        m.if(rsqrtMode, () => mant.set(tableData.zext(16 + tableData.width).trunc(16)));
        done.set(1);
        fsm.goto('idle');
      },
    });
  });
});

export function scalarSerial(): Module {
  return scalarSerialUnit({});
}
