// The row unit: every per-element operation of the fixed-point model, the BitLinear quantiser's two
// passes and the BitLinear output scale, on one shared datapath sized for the iCE40UP5K (eight
// SB_MAC16): one sigmoid/SiLU unit (its 24 x 16 multiplier also forms the products u * b of the
// quantiser) and one 25 x 25 multiplier MB. One element per cycle, fixed latency; an op picks the
// function. The controller runs one pass (one op) at a time, lets it drain before the next, and keeps
// the per-pass inputs steady meanwhile. Formulas are numerics' (model/fixed/fixed-model.ts, numerics/):
//
//   op        operands                  out (SInt(24))                                    also
//   PRESCALE  x = v, w = norm mantissa  sat24(shiftRound(v w, shift))
//   RESIDUAL  x = h, y = delta          sat24(h + delta)
//   STATS     x = u, w = b              -                                                 m = max |u b|, S = sum shiftRound(u, 4)^2
//   QUANT     x = u, w = b              q = clamp(shiftRound(shiftRound(u b, e) R, 22), -128, 127)
//   GATE      x = a, w = lb             f = has_lb ? lb + shiftRound((32768 - lb) sig(a), 15) : sig(a)
//   STATE     x = i, y = s, w = f       s' = sat24(silu(i) + shiftRound(f (s - silu(i)), 15))
//   GATED     x = z, y = c              sat24(shiftRound(c silu(z), 12))
//   SCALE     x = acc                   sat24(shiftRound(acc M, shift))                   (BitLinear output: M = `mult`, shift = -E)
//
// Two ways in. STATS, QUANT, GATE, STATE and GATED need the sigmoid unit: they enter with in_valid,
// op, x (and w, the b of STATS and QUANT), and their y and w arrive `rowUnitLateOffset` (9) cycles
// later at y_late and w_late (registered there, used at the operand stage, cycle 10), where they are used (the controller reads them from memory then, rather
// than this unit carrying them). PRESCALE, RESIDUAL and SCALE need no sigmoid: they enter there, with
// in_valid_late, op_late, x_late, y_late, w_late, and take 9 cycles less.
//
// STATE is numerics' shiftRound(f s + (32768 - f) silu, 15): 32768 silu is a multiple of 2^15, so the
// one rounding is the rounding of f d. GATE with has_lb = 0 runs the same path with lb' = 0 (f = sig).
// STATS takes `first` and `last`: m and S restart at `first`; they are final when m_valid and s_valid
// pulse and hold until the next STATS pass. QUANT reads e + 15 (`qshift`) and R (`recip`) of normalize16
// and 127 / m; PRESCALE and SCALE read `shift` (numerics' -exp of the norm vector; -E of the output
// scale); SCALE reads `mult` (the output scale's mantissa M, 0 for a BitLinear whose output is all
// zero); GATE reads `has_lb`.
//
// Pipeline (cycle k: registered k cycles after in_valid; late entries start at 10):
//   0..8    the sigmoid unit on x (input register, clamp, ROM, interpolation, product): sig and silu
//           at 8; its multiplier computes x * w instead for STATS and QUANT (the product port), at 7
//   7..10   STATS: |shiftRound(x, 4)| from x as the sigmoid unit's delay brings it
//   8..10   QUANT: p' = shiftRound(x w, e) by the barrel shift (p << 16) >>> (e + 15), then +1 >> 1
//   8..10   STATS: |x w|, the running max, the held m (m_valid at 10)
//   11      MB's operands (per op, table below); 12 the product (its DSP register);
//           V = MB + addend 2^amt at 13 (the addend is a multiple of 2^amt: shiftRound(V, amt) =
//           shiftRound(MB, amt) + addend, with no wide adder after the shift)
//   13      STATS: S += MB (held at `last`, s_valid at 14)
//   13..17  the final rounding shift of V = MB by amt (per op): Y = floor(2 V / 2^amt) as the staged
//           shift (V 2^25) >> (amt + 24), kept to 28 bits, and with it the overflow test: Y does not
//           fit 28 bits (a bit a stage drops at the top, or the kept top bit, differs from V's sign);
//           then r = (Y + 1) >> 1
//   18      out = saturate(r) to 24 bits (8 for QUANT), or the saturated sign on overflow
//
//   op        MB = A x B                 amt     addend
//   PRESCALE  v x w                      shift   0
//   RESIDUAL  (h + delta) x 1            0       0
//   STATS     |v| x |v|                  -       -
//   QUANT     p' x R                     22      0        (saturated to 8 bits)
//   GATE      (32768 - lb') x sig        15      lb'
//   STATE     (s - silu) x f             15      silu
//   GATED     c x silu                   12      0
//   SCALE     acc x M                    shift   0
import { defineModule } from '../../hdl/core/generator.ts';
import { cat, lit, mux, type Expr } from '../../hdl/core/expr.ts';
import type { Module } from '../../hdl/core/module.ts';
import { Bool, SInt, UInt, bitsFor } from '../../hdl/core/types.ts';
import { ACT, GATE, NORM_WEIGHT, QACT, RECIP, SUMSQ_SHIFT } from '../../numerics/formats.ts';
import { sigmoidUnit, sigmoidUnitLatency, sigmoidUnitProductLatency, type SigmoidUnitParams } from './sigmoid-unit.ts';
import { RECIP_BITS } from './scalar-tables.ts';
import { QUANT_M_BITS, quantSumSqWidth, ELEMENTWISE_SHIFT_BITS, SCALE_E_BITS } from './scalar-widths.ts';
import { absOf } from './magnitude.ts';
import { gtConst, ltConst } from '../../hdl/lib/compare-const.ts';
import { regOf, delay, delayGroup, stagedShiftRight } from './pipeline.ts';

export const ROW_OP = { prescale: 0, residual: 1, stats: 2, quant: 3, gate: 4, state: 5, gated: 6, scale: 7 } as const;
export type RowOp = keyof typeof ROW_OP;
/** The ops that need no sigmoid: they enter at the late ports (in_valid_late), LATE cycles later in the pipeline. */
export const ROW_LATE_OPS: ReadonlySet<RowOp> = new Set<RowOp>(['prescale', 'residual', 'scale']);
export const ROW_OP_BITS = 3;
/** Width of `shift`: PRESCALE's -exp (SInt(7) in the instruction) and SCALE's -E (SCALE_E_BITS), plus a sign. */
export const ROW_SHIFT_BITS = Math.max(ELEMENTWISE_SHIFT_BITS, SCALE_E_BITS + 1);
/** Width of `qshift` (QUANT): e + 15 in 0 .. 39. */
export const ROW_QSHIFT_BITS = 6;

export interface RowUnitParams {
  [k: string]: number;
  /** Longest STATS pass: sets the width of S. */
  maxCols: number;
  /**
   * 1: the longer delay lines (|v|, sig and silu, the addend, the early op)
   * ride block-RAM rings, five EBRs for about 100 flip-flops; 0: flip-flop chains.
   */
  rings: number;
}

// The interpolation's 10 x 8 product goes on an SB_MAC16: the row unit leaves one of the UP5K's eight free.
const SIG: SigmoidUnitParams = { inputReg: 1, siluStages: 1, productPort: 1, xRing: 1 };
/** Cycles of the shared schedule (see the header). */
const T = {
  prod: sigmoidUnitProductLatency(SIG), // 7: x w
  sig: sigmoidUnitLatency(SIG), // 8: sig, silu
  operands: 11,
  product: 12,
  /** out_valid: after the final shift (3 registered stages from cycle 13), its result register, and out. */
  final: 18,
};
const MB_BITS = 25;
const V_BITS = 2 * MB_BITS;
/** The final shift's amount is clamped to [AMT_MIN, AMT_MAX]: beyond them the result no longer changes. */
const AMT_MIN = -(ACT.bits); // every non-zero V saturates
const AMT_MAX = V_BITS; // |V| < 2^49 rounds to 0
/** A PRESCALE `shift` that rounds every product to 0: the program's CLEAR writes zeros with it. */
export const ROW_ZERO_SHIFT = AMT_MAX;
const K_BITS = bitsFor(BigInt(AMT_MAX - AMT_MIN), false); // 7
/** Bits of Y kept: enough for r + addend and the saturation test when hb(V) < amt + 26. */
const Y_KEEP = 28;

/** The operand stage: late operands come this many cycles after in_valid; late entries start here. */
const LATE = T.operands - 1;
/** The late ports are registered on the way in (the controller drives them from memory read data through
 * its operand multiplexers: that path and the operand stage's adders would not fit one cycle), so they
 * are sampled one cycle before the operand stage. */
const LATE_IN = LATE - 1;

/** Cycles from an element to its out_valid (from in_valid; from in_valid_late, rowUnitLateOffset less). */
export function rowUnitLatency(): number {
  return T.final;
}

/** Cycles from in_valid to the late ports (y_late, w_late) of the same element: 9. */
export function rowUnitLateOffset(): number {
  return LATE_IN;
}
/** Cycles from the `last` STATS element to m_valid, and to s_valid. */
export function rowUnitStatsLatency(): { m: number; s: number } {
  return { m: T.prod + 3, s: T.product + 2 };
}

export function rowSumSqWidth(maxCols: number): number {
  return quantSumSqWidth(maxCols);
}

const rowUnitGen = defineModule('row_unit', (m: Module, p: RowUnitParams) => {
  if (SIG.inputReg !== 1 || T.sig >= T.operands || T.prod + 3 >= T.operands) throw new RangeError('row unit: the sigmoid unit does not fit the schedule');
  const act = SInt(ACT.bits);
  const sW = rowSumSqWidth(p.maxCols);

  const op = m.input('op', UInt(ROW_OP_BITS));
  const inValid = m.input('in_valid', Bool);
  const first = m.input('first', Bool);
  const last = m.input('last', Bool);
  const x = m.input('x', act);
  const w = m.input('w', UInt(NORM_WEIGHT.bits));
  // The late ports: operands for the operand stage, LATE_IN cycles after the element's in_valid (for ops that
  // enter early), or with in_valid_late and op_late for ops that need no sigmoid and enter there.
  const inValidLate = regOf(m, 'in_valid_late_q', m.input('in_valid_late', Bool), 0);
  const opLate = regOf(m, 'op_late_q', m.input('op_late', UInt(ROW_OP_BITS)));
  const xLate = regOf(m, 'x_late_q', m.input('x_late', act));
  const yLate = regOf(m, 'y_late_q', m.input('y_late', act));
  const wLate = regOf(m, 'w_late_q', m.input('w_late', UInt(NORM_WEIGHT.bits)));
  const shift = m.input('shift', SInt(ROW_SHIFT_BITS));
  const qshift = m.input('qshift', UInt(ROW_QSHIFT_BITS));
  const recip = m.input('recip', UInt(RECIP_BITS));
  const hasLb = m.input('has_lb', Bool);
  const mult = m.input('mult', UInt(16));
  const outValid = m.output('out_valid', Bool, { reg: true, reset: 0 });
  const out = m.output('out', act, { reg: true });
  const mValid = m.output('m_valid', Bool, { reg: true, reset: 0 });
  const mOut = m.output('m', UInt(QUANT_M_BITS));
  const sValid = m.output('s_valid', Bool, { reg: true, reset: 0 });
  const sOut = m.output('s', UInt(sW));

  const is = (o: RowOp, e: Expr) => e.eq(lit(ROW_OP[o], UInt(ROW_OP_BITS)));
  // The valid bit and the op: early entries travel LATE registers, late entries join at the operand stage.
  const tapped = (name: string, v: Expr, from: number, to: number, reset?: number): Expr[] => {
    const line: Expr[] = [];
    line[from] = v;
    for (let k = from + 1; k <= to; k++) line[k] = regOf(m, `${name}_d${k}`, line[k - 1]!, reset);
    return line;
  };
  const validEarly = tapped('valid', inValid, 0, LATE, 0);
  // The op of an early entry rides a ring to the sigmoid unit's outputs (its valid bit, which must reset,
  // does not), where it picks the one of them the element uses, then registers to the late stage.
  const opEarly: Expr[] = [];
  opEarly[T.sig] = delayGroup(m, 'op_ring', { op }, T.sig, p.rings === 1).op!;
  for (let k = T.sig + 1; k <= LATE; k++) opEarly[k] = regOf(m, `op_early_d${k}`, opEarly[k - 1]!);
  const valid10 = m.let('valid_late', validEarly[LATE]!.or(inValidLate));
  const op10 = m.let('op_at_late', mux(inValidLate, opLate, opEarly[LATE]!));
  const validLine = tapped('valid', valid10, LATE, T.final - 1, 0);
  // The op travels to the final shift's amount (T.product); after that only "QUANT?" and "STATS?" matter.
  const opLine = tapped('op', op10, LATE, T.product);
  const valid = (k: number) => validLine[k]!;
  const opAt = (k: number) => opLine[k]!;
  const quantLine = tapped('is_quant', is('quant', opAt(T.product)), T.product, T.final - 1);
  const statsLine = tapped('is_stats', is('stats', opAt(T.product)), T.product, T.final - 1);

  // ---- the sigmoid unit (and its multiplier, borrowed for x w) --------------------------------------
  const useB = is('stats', op).or(is('quant', op));
  const sig = m.instance('u_sigmoid', sigmoidUnit(SIG), { x, in_valid: inValid, b: w.asSigned(), use_b: useB });
  m.sink(sig.out('out_valid'));
  const prod = sig.out('prod'); // cycle 7: x w

  // ---- the operands at the operand stage -----------------------------------------------------------------
  // STATS: |shiftRound(x, 4)|, from x as the sigmoid unit's own delay line brings it (cycle 7)
  const v = sig.out('x_out').add(1 << (SUMSQ_SHIFT - 1)).shr(SUMSQ_SHIFT); // SInt(21)
  const vAbs8 = regOf(m, 'v_abs_d1', absOf(v, ACT.bits - SUMSQ_SHIFT)); // |v| <= 2^19: UInt(20), cycle 8
  // Each op uses one of |v| (STATS), sig (GATE) and silu (STATE, GATED): the element's op picks it here,
  // and only that one waits the two cycles to the operand stage, 24 bits instead of 60 (in a block-RAM
  // ring, where flip-flops with nothing to pack with are dearer than a share of two EBRs).
  if (T.prod + 1 !== T.sig) throw new RangeError('row unit: |v| and the sigmoid outputs no longer meet at one cycle');
  const op8 = opEarly[T.sig]!;
  const pick = m.let(
    'late_pick',
    mux(is('stats', op8), vAbs8.zext(ACT.bits), mux(is('gate', op8), sig.out('sig').zext(ACT.bits), sig.out('silu').asUnsigned())),
  );
  const late = delayGroup(m, 'late_ring', { v: pick } /* cycle 8 */, LATE - T.sig, p.rings === 1).v!;
  const vAbs = late.trunc(vAbs8.width); // cycle 10
  const opnd1 = m.wire('opnd1', SInt(MB_BITS));
  m.comb(() => {
    opnd1.set(xLate.ext(MB_BITS));
    m.if(is('residual', op10), () => opnd1.set(xLate.add(yLate)));
    m.if(is('stats', op10), () => opnd1.set(vAbs.zext(MB_BITS).asSigned()));
    m.if(is('state', op10).or(is('gated', op10)), () => opnd1.set(yLate.ext(MB_BITS)));
  });
  const wAt10 = wLate;
  const sigAt10 = late.trunc(GATE.bits);
  const siluAt10 = late.asSigned();

  // ---- STATS: m = max |x w| ------------------------------------------------------------------------
  const absP = regOf(m, 'abs_p', absOf(prod, QUANT_M_BITS)); // cycle 8
  const statsAt8 = m.let('stats_at8', validEarly[T.sig]!.and(is('stats', opEarly[T.sig]!))); // T.prod + 1
  const firstAt8 = delay(m, 'first', first, T.prod + 1);
  const lastAt8 = delay(m, 'last', last, T.prod + 1);
  // The running max is held inverted (~m): |p| > m is then the carry out of |p| + ~m, one carry chain
  // with no inverter in front of it; the inversion folds into the register's load multiplexer.
  const mRunN = m.reg('m_run_n', UInt(QUANT_M_BITS));
  const above = absP.add(mRunN).msb(); // |p| + ~m >= 2^W <=> |p| > m
  const mLast = m.reg('m_last', Bool, { reset: 0 });
  m.sync(() => {
    m.if(statsAt8, () => mRunN.set(mux(firstAt8.or(above), absP.not(), mRunN)));
    mLast.set(statsAt8.and(lastAt8));
    mValid.set(mLast);
  });
  m.assign(mOut, mRunN.not()); // final from m_valid on, until the next STATS pass

  // ---- QUANT: p' = shiftRound(x w, e) = (floor(2 p / 2^e) + 1) >> 1, floor(2 p / 2^e) = (p 2^16) >> (e + 15)
  const pWide = cat(prod, lit(0, UInt(RECIP.mantissaBits))).asSigned();
  const ysh = stagedShiftRight(m, 'qsh', pWide, qshift, RECIP.mantissaBits + 2); // from cycle 7
  const yq = regOf(m, 'y_q', ysh.value); // cycle 7 + stages + 1 = 10 (two registered stages)
  if (T.prod + ysh.stages + 1 !== T.operands - 1) throw new RangeError('row unit: the quantiser shift does not fit the schedule');
  const pPrime = yq.add(1).shr(1).trunc(RECIP.mantissaBits + 2); // SInt(18): |p'| <= 2^16

  // ---- MB's operands (cycle 11), product (12) ------------------------------------------------------------
  const lbP = m.let('lb_eff', mux(hasLb, wAt10, lit(0, UInt(GATE.bits))));
  const g = lit(GATE.one, UInt(GATE.bits + 1)).sub(lbP).trunc(GATE.bits + 1); // 0 .. 32768
  const d = opnd1.sub(siluAt10).trunc(MB_BITS); // s - silu: |d| < 2^24
  const aIn = m.wire('mb_a_in', SInt(MB_BITS));
  const bIn = m.wire('mb_b_in', SInt(MB_BITS));
  m.comb(() => {
    aIn.set(opnd1);
    bIn.set(wAt10.asSigned().ext(MB_BITS));
    m.if(is('residual', op10), () => bIn.set(lit(1, SInt(MB_BITS))));
    m.if(is('stats', op10), () => bIn.set(opnd1));
    m.if(is('quant', op10), () => {
      aIn.set(pPrime.ext(MB_BITS));
      bIn.set(recip.zext(MB_BITS).asSigned());
    });
    m.if(is('gate', op10), () => {
      aIn.set(g.zext(MB_BITS).asSigned());
      bIn.set(sigAt10.zext(MB_BITS).asSigned());
    });
    m.if(is('state', op10), () => {
      aIn.set(d);
      bIn.set(wAt10.zext(MB_BITS).asSigned());
    });
    m.if(is('gated', op10), () => bIn.set(siluAt10.ext(MB_BITS)));
    m.if(is('scale', op10), () => bIn.set(mult.zext(MB_BITS).asSigned()));
  });
  const mbA = regOf(m, 'mb_a', aIn);
  const mbB = regOf(m, 'mb_b', bIn);
  // One register after the product (the DSP's own output register): a second one would only add latency
  // and 50 flip-flops with no logic to pack with.
  const mb = regOf(m, 'mb_q', mbA.mul(mbB)); // cycle 12: SInt(50)

  // ---- STATS: S = sum v^2 ----------------------------------------------------------------------------
  const statsAtP = m.let('stats_at_p', valid(T.product).and(statsLine[T.product]!));
  const firstAtP = delay(m, 'first_p', firstAt8, T.product - 8);
  const lastAtP = delay(m, 'last_p', lastAt8, T.product - 8);
  const sRun = m.reg('s_run', UInt(sW));
  const sLast = m.reg('s_last', Bool, { reset: 0 });
  const sq = mb.trunc(sW).asUnsigned();
  m.sync(() => {
    m.if(statsAtP, () => sRun.set(mux(firstAtP, sq, sRun.add(sq).trunc(sW))));
    sLast.set(statsAtP.and(lastAtP));
    sValid.set(sLast);
  });
  m.assign(sOut, sRun); // final from s_valid on, until the next STATS pass

  // ---- the final rounding shift of V = MB -----------------------------------------------------------------
  const opP = opAt(T.product);
  const tV = T.product + 1; // V, k: registered one cycle after the product
  const amtIn = m.wire('amt', SInt(8));
  m.comb(() => {
    amtIn.set(lit(0, SInt(8)));
    m.if(is('prescale', opP).or(is('scale', opP)), () => amtIn.set(mux(ltConst(shift, AMT_MIN), lit(AMT_MIN, SInt(8)), mux(gtConst(shift, AMT_MAX), lit(AMT_MAX, SInt(8)), shift.trunc(8)))));
    m.if(is('quant', opP), () => amtIn.set(lit(RECIP.frac, SInt(8))));
    m.if(is('gate', opP).or(is('state', opP)), () => amtIn.set(lit(GATE.frac, SInt(8))));
    m.if(is('gated', opP), () => amtIn.set(lit(ACT.frac, SInt(8))));
  });
  const k = m.let('k', amtIn.sub(AMT_MIN).trunc(K_BITS + 1).asUnsigned().trunc(K_BITS)); // amt + 24 in 0 .. 74
  const kReg = regOf(m, 'k_q', k); // cycle 13: the shift amount, held for the element's stages
  // The addend (GATE: lb', STATE: silu), 2^15 times, joins V here (amt is 15 for both).
  const addendIn = m.wire('addend', SInt(ACT.bits + 1));
  m.comb(() => {
    addendIn.set(lit(0, SInt(ACT.bits + 1)));
    m.if(is('gate', op10), () => addendIn.set(lbP.zext(ACT.bits + 1).asSigned()));
    m.if(is('state', op10), () => addendIn.set(siluAt10.ext(ACT.bits + 1)));
  });
  // The addend waits for the product in a ring too (25 bits, two cycles).
  const addend = delayGroup(m, 'addend_ring', { addend: addendIn }, T.product - (T.operands - 1), p.rings === 1).addend!;
  const vSum = mb.add(cat(addend, lit(0, UInt(GATE.frac))).asSigned()).trunc(V_BITS); // |V| < 2^41 for GATE, STATE
  const vReg = regOf(m, 'v_q', vSum); // cycle 13
  // Y = floor(2 V / 2^amt) = (V 2^25) >> (amt + 24), low Y_KEEP bits exact.
  // The amount travels with its element through the stages: the elements behind the last one of a pass
  // (idle cycles with any op on the port) must not change the shift of those still in flight.
  // Overflow (|V / 2^amt| >= 2^25, saturated for every op) is Y not fitting Y_KEEP bits: a bit the shift
  // drops at the top, or Y's kept top bit, differs from V's sign.
  const yFin = stagedShiftRight(m, 'fsh', cat(vReg, lit(0, UInt(ACT.bits + 1))).asSigned(), kReg, Y_KEEP, { delayAmount: true, sign: vReg.msb() });
  const yReg = regOf(m, 'y_fin', yFin.value);
  const yAt = tV + yFin.stages + 1;
  const ovf = regOf(m, 'ovf_q', yFin.lost!.or(yFin.value.msb().xor(yFin.sign!)));
  const signAtY = regOf(m, 'v_sign', yFin.sign!);
  if (yAt > T.final - 1) throw new RangeError('row unit: the final shift does not fit the schedule');

  // ---- out = saturate(r) ------------------------------------------------------------------------------

  const r = yReg.add(1).shr(1).trunc(Y_KEEP); // (Y + 1) >> 1
  const sum = r;
  const qOp = quantLine[yAt]!;
  const hiLim = mux(qOp, lit(QACT.max, SInt(Y_KEEP)), lit(2 ** (ACT.bits - 1) - 1, SInt(Y_KEEP)));
  const loLim = mux(qOp, lit(QACT.min, SInt(Y_KEEP)), lit(-(2 ** (ACT.bits - 1)), SInt(Y_KEEP)));
  // sum > hiLim / sum < loLim as a sign-extension test: the bits above the output's own sign bit (bit 23,
  // 7 for QUANT) are not all copies of sum's sign.
  const upper = (bits: number) => sum.slice(Y_KEEP - 2, bits - 1);
  const anyOne = mux(qOp, upper(QACT.bits).orR(), upper(ACT.bits).orR());
  const anyZero = mux(qOp, upper(QACT.bits).andR().not(), upper(ACT.bits).andR().not());
  const high = mux(ovf, signAtY.not(), sum.msb().not().and(anyOne));
  const low = mux(ovf, signAtY, sum.msb().and(anyZero));
  m.sync(() => {
    out.set(mux(high, hiLim.trunc(ACT.bits), mux(low, loLim.trunc(ACT.bits), sum.trunc(ACT.bits))));
    outValid.set(valid(yAt).and(statsLine[yAt]!.not()));
  });
  if (yAt + 1 !== T.final) throw new RangeError(`row unit: latency ${yAt + 1}, schedule says ${T.final}`);
});

/** The row unit for vectors of up to maxCols elements. */
export function rowUnit(p: RowUnitParams): Module {
  return rowUnitGen({ maxCols: p.maxCols, rings: p.rings });
}
