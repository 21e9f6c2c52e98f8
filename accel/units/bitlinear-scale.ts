// The output scale of one BitLinear: numerics/bitlinear.ts step 6 in RTL, bit for bit.
//
//   per BitLinear (setup):  mm = (mm_mant, mm_exp) = normalize16(max |p|), t = (t_mant, t_exp) = rsqrtFixed(S),
//                           C = (c_mant, c_exp) = the per-tensor constant sqrt(cols) / (127 s_w), norm_exp (the
//                           exponent of the BitLinear's norm weight vector), zero (m = 0 or S = 0):
//                             prod = mm_mant t_mant c_mant (exact, < 2^48)
//                             sh = highBit(prod) - 15, M = shiftRound(prod, sh) in [2^15, 2^16]
//                             E = sh + mm_exp + t_exp + c_exp + norm_exp - ACT.frac + (ACT.frac - SUMSQ_SHIFT) + ACT.frac
//   per element:            out_r = saturate(shiftRound(acc_r M, -E), 24)      (0 for every r when zero)
//
// Interface. `setup` (a pulse, with the scalars on their ports) starts the per-BitLinear computation;
// `busy` is 1 from the next cycle until it is done, and `scale_valid` pulses when it is (scale_mant and
// scale_exp then show M and E). Elements (`in_valid`, `acc` = the matvec unit's exact row sum, `row` =
// any tag, passed through) go in one per cycle from the cycle scale_valid is 1 on, and come out
// `bitLinearScaleLatency` (7) cycles later on out_valid / out / out_row. `setup` may be given together
// with the previous BitLinear's last element or any time after it: the scale the elements use changes
// no earlier than 34 cycles after `setup`. No element may be given while busy.
//
// M = 2^16 (prod rounds up to the next power of two) is held as M = 2^15 and E + 1, the same value: then
// M fits UInt(16), and acc M is a 19 x 17 signed product (two SB_MAC16 with -dsp, not three). scale_mant
// and scale_exp show this form; everything else is numerics' (M, E) exactly.
//
// The setup runs once per BitLinear, so it is serial and small (its latency hides under pass 2 of the
// quantiser and the matrix stream):
//   MUL1   16 cycles: P = mm_mant t_mant, a shift-and-add multiplier (one 33-bit adder, P 48 bits)
//   MUL2   16 cycles: P = (mm_mant t_mant) c_mant on the same adder
//   NORM   shifts P left until P[47] = 1, counting k (0 .. 47; prod in [2^45, 2^48) for normalised
//          inputs, so usually 0 .. 2 cycles): hb = 47 - k, sh = 32 - k
//   FIN    M = (P[47:31] + 1) >> 1 = shiftRound(prod, sh) (for sh < 0 the low bits of P are 0: exact);
//          E = base - k with base = 32 + the exponents + 8 (summed by free-running registers meanwhile)
//   EXP    E + 1 and s - 1 when M = 2^16 (s = -E)
//   CMP, CLAMP  a = clamp(s + 23, 0, W + 23) (compares, then a mux), W the width of acc M: for s >= W
//          every |acc M| < 2^(W-1) rounds to 0, and for s <= -23 every non-zero acc M saturates, so
//          clamping changes no output
//   MASK   a cycles: the mask (bit i set for i >= a) and half = 2^(s-1) (0 for s <= 0) are shifted into
//          place one bit per cycle
// Setup latency: 39 + k + a cycles from `setup` to scale_valid (`bitLinearScaleSetupCycles`; about 66 for typical BitLinears,
// s ~ 4; at most 39 + 47 + W + 23).
//
// The element path (every line ends in a register; `bitLinearScaleLatency` = 7):
//   S0      acc, row (input registers)
//   S1, S2  x = acc M (SInt(W), W = accW + 16: |x| < 2^(accW - 1) 2^16): the product's own register (the
//           SB_MAC16 output register with -dsp), then one after the sum of its partial products
//   S3      z = x + half (SInt(W + 1)): rounding half up for s >= 1, nothing for s <= 0
//   S4      the overflow test, first half: out overflows 24 bits iff z is outside [-2^(23+s), 2^(23+s)), iff
//           some bit of z at a position >= 23 + s (= a) differs from its sign: OR over (z_i xor z_W) and
//           mask_i, in groups of 4; and the shift (z << 23) >>> a (two amount bits per stage, MSB first)
//   S5      the overflow test's OR of the groups; the shift's second stage
//   S6      out = overflow ? (sign ? -2^23 : 2^23 - 1) : the shift's last stage, low 24 bits
// Only the valid bits and the FSM have a reset.
import { defineModule } from '../../hdl/core/generator.ts';
import { lit, mux, cat, repeat, type Expr } from '../../hdl/core/expr.ts';
import type { Module } from '../../hdl/core/module.ts';
import { Fsm } from '../../hdl/core/fsm.ts';
import { Bool, SInt, UInt, bitsFor, clog2 } from '../../hdl/core/types.ts';
import { ACT, MANTISSA, QACT, SUMSQ_SHIFT } from '../../numerics/formats.ts';
import { rsqrtExpWidth, RSQRT_UNIT_DEFAULTS, RSQRT_MANT_BITS } from './scalar-unit.ts';
import { QUANT_MM_EXP_BITS } from './bitlinear-quant.ts';
import { regOf, delay, stagedShiftRight } from './pipeline.ts';

export interface BitLinearScaleParams {
  [k: string]: number;
  /** Longest BitLinear input (cols): sets acc's width, 8 + clog2(maxCols) + 1 as the matvec unit's. */
  maxCols: number;
  /** Largest number of rows: sets the width of the row tag. */
  maxRows: number;
}

export const BITLINEAR_SCALE_DEFAULTS: BitLinearScaleParams = { maxCols: 1024, maxRows: 1024 };

/** Width of c_exp and norm_exp: SInt(8) (per-tensor exponents of converted models are about -15 .. 5). */
export const SCALE_EXP_BITS = 8;
/** Width of t_exp: rsqrtUnit's at its default width (SInt(7)). */
export const SCALE_T_EXP_BITS = rsqrtExpWidth(RSQRT_UNIT_DEFAULTS.width);

const MANT = MANTISSA.bits; // 16: mm_mant, t_mant, c_mant, M
const PROD_BITS = 3 * MANT; // 48
const OUT_LEFT = ACT.bits - 1; // 23: the largest left shift that still matters
/** E = sh + mm_exp + t_exp + c_exp + norm_exp + EXP_CONST. */
const EXP_CONST = -ACT.frac + (ACT.frac - SUMSQ_SHIFT) + ACT.frac; // 8
/** The constant of E (numerics/bitlinear.ts step 6), for other units that compute it. */
export const SCALE_EXP_CONST = EXP_CONST;
/** sh = highBit(prod) - 15 = (PROD_BITS - 1 - k) - (MANT - 1) = SH_BASE - k. */
const SH_BASE = PROD_BITS - MANT; // 32

/** acc's width: 8 + clog2(maxCols) + 1, as the matvec unit's acc_data (19 for 1024). */
export function scaleAccWidth(maxCols: number): number {
  return QACT.bits + clog2(maxCols) + 1;
}

/** W: the width of acc M. |acc| <= 2^(accW-1) and M < 2^16, so |acc M| < 2^(accW+15): SInt(accW + 16). */
export function scaleProductWidth(maxCols: number): number {
  return scaleAccWidth(maxCols) + MANT;
}

/** Width of out_row: clog2(maxRows), at least 1. */
export function scaleRowWidth(maxRows: number): number {
  return Math.max(1, clog2(maxRows));
}

const signedRange = (lo: number, hi: number) => Math.max(bitsFor(BigInt(lo), true), bitsFor(BigInt(hi), true));
const sIntMin = (w: number) => -(2 ** (w - 1));
const sIntMax = (w: number) => 2 ** (w - 1) - 1;
/** The range of the four input exponents plus EXP_CONST. */
const EXP_SUM_MIN = sIntMin(QUANT_MM_EXP_BITS) + sIntMin(SCALE_T_EXP_BITS) + 2 * sIntMin(SCALE_EXP_BITS) + EXP_CONST;
const EXP_SUM_MAX = sIntMax(QUANT_MM_EXP_BITS) + sIntMax(SCALE_T_EXP_BITS) + 2 * sIntMax(SCALE_EXP_BITS) + EXP_CONST;
/** Width of scale_exp (E, plus 1 when M = 2^16 is held as 2^15): SInt(10). */
export const SCALE_E_BITS = signedRange(SH_BASE - (PROD_BITS - 1) + EXP_SUM_MIN, SH_BASE + EXP_SUM_MAX + 1);

/** Cycles from in_valid to out_valid: 7. */
export function bitLinearScaleLatency(): number {
  return 7;
}

/**
 * Cycles from `setup` (sampled at edge 0) to scale_valid, for a normalisation of k shifts and a clamped
 * shift a = clamp(-E + 23, 0, W + 23): 1 + 16 + 16 + (k + 1) + 4 (FIN, EXP, CMP, CLAMP) + (a + 1).
 */
export function bitLinearScaleSetupCycles(k: number, a: number): number {
  return 1 + 2 * MANT + (k + 1) + 4 + (a + 1);
}

function checkParams(p: BitLinearScaleParams): void {
  if (!Number.isInteger(p.maxCols) || p.maxCols < 1 || p.maxCols > 2 ** 15) throw new RangeError(`bitlinear scale unit: maxCols must be an integer from 1 to 2^15, got ${p.maxCols}`);
  if (!Number.isInteger(p.maxRows) || p.maxRows < 1) throw new RangeError(`bitlinear scale unit: maxRows must be a positive integer, got ${p.maxRows}`);
  if (RSQRT_MANT_BITS !== MANT || scaleProductWidth(p.maxCols) + OUT_LEFT > 63) throw new RangeError('bitlinear scale unit: unexpected formats');
}

const bitLinearScaleGen = defineModule('bitlinear_scale', (m, p: BitLinearScaleParams) => {
  checkParams(p);
  const accW = scaleAccWidth(p.maxCols);
  const W = scaleProductWidth(p.maxCols);
  const rowW = scaleRowWidth(p.maxRows);
  const aMax = W + OUT_LEFT; // a = s + 23 in [0, W + 23]
  const aBits = bitsFor(BigInt(aMax), false); // 6
  const kBits = Math.max(aBits, bitsFor(BigInt(PROD_BITS - 1), false)); // counts 0 .. 47 and 0 .. a

  // ---- ports ------------------------------------------------------------------------------------
  const setup = m.input('setup', Bool);
  const mmMant = m.input('mm_mant', UInt(MANT));
  const mmExp = m.input('mm_exp', SInt(QUANT_MM_EXP_BITS));
  const tMant = m.input('t_mant', UInt(MANT));
  const tExp = m.input('t_exp', SInt(SCALE_T_EXP_BITS));
  const cMant = m.input('c_mant', UInt(MANT));
  const cExp = m.input('c_exp', SInt(SCALE_EXP_BITS));
  const normExp = m.input('norm_exp', SInt(SCALE_EXP_BITS));
  const zeroIn = m.input('zero', Bool);
  const inValid = m.input('in_valid', Bool);
  const acc = m.input('acc', SInt(accW));
  const row = m.input('row', UInt(rowW));

  const busy = m.output('busy', Bool);
  const scaleValid = m.output('scale_valid', Bool, { reg: true, reset: 0 });
  const scaleMant = m.output('scale_mant', UInt(MANT), { reg: true });
  const scaleExp = m.output('scale_exp', SInt(SCALE_E_BITS), { reg: true });
  const outValid = m.output('out_valid', Bool, { reg: true, reset: 0 });
  const out = m.output('out', SInt(ACT.bits), { reg: true });
  const outRow = m.output('out_row', UInt(rowW), { reg: true });

  // ---- setup: registers ---------------------------------------------------------------------------
  const fsm = new Fsm(m, 'state', ['idle', 'mul1', 'mul2', 'norm', 'fin', 'exp', 'cmp', 'clamp', 'mask'] as const);
  const k = m.reg('k', UInt(kBits));
  const P = m.reg('prod', UInt(PROD_BITS));
  const mc = m.reg('mc', UInt(2 * MANT)); // the multiplicand: mm_mant, then mm_mant t_mant
  const cReg = m.reg('c_mant_q', UInt(MANT));
  const zero = m.reg('zero_q', Bool);
  const mmExpQ = m.reg('mm_exp_q', mmExp.type);
  const tExpQ = m.reg('t_exp_q', tExp.type);
  const cExpQ = m.reg('c_exp_q', cExp.type);
  const normExpQ = m.reg('norm_exp_q', normExp.type);
  const eK = m.reg('e_k', SInt(SCALE_E_BITS)); // E without the M = 2^16 correction
  const aK = m.reg('a_k', SInt(SCALE_E_BITS + 1)); // s + 23 without it
  const bumpQ = m.reg('bump', Bool);
  const aRaw = m.reg('a_raw', SInt(SCALE_E_BITS + 1)); // s + 23 before the clamp
  const aLow = m.reg('a_low', Bool);
  const aHigh = m.reg('a_high', Bool);
  const aReg = m.reg('a', UInt(aBits));
  const mReg = m.reg('m_scale', UInt(MANT)); // M (2^16 held as 2^15), 0 when zero
  const mask = m.reg('mask', UInt(W)); // bit i: i >= a
  const half = m.reg('half', UInt(W)); // 2^(s-1) for s >= 1

  // The exponent sums run free on the held inputs (constant from setup on; ready long before FIN):
  // base = SH_BASE + mm_exp + t_exp + c_exp + norm_exp + EXP_CONST, so E = base - k (+ 1 for M = 2^16)
  // and s + 23 = (23 - base) + k (- 1).
  const expAB = regOf(m, 'exp_ab', mmExpQ.add(tExpQ));
  const expCD = regOf(m, 'exp_cd', cExpQ.add(normExpQ));
  const base = regOf(m, 'exp_base', expAB.add(expCD).add(SH_BASE + EXP_CONST).trunc(SCALE_E_BITS + 1));
  const negBase = regOf(m, 'exp_neg_base', lit(OUT_LEFT, SInt(6)).sub(base).trunc(SCALE_E_BITS + 2));

  // One shift-and-add step: the high 32 bits plus (P[0] ? mc : 0), then everything one bit right.
  const addend = mux(P.bit(0), mc, lit(0, UInt(2 * MANT)));
  const step = m.let('mul_step', cat(P.slice(PROD_BITS - 1, MANT).add(addend), P.slice(MANT - 1, 1))); // 33 + 15 = 48 bits
  const kNext = k.add(1).trunc(kBits);
  const lastStep = k.eq(MANT - 1);
  // FIN: M = (P[47:31] + 1) >> 1 in [2^15, 2^16]; bit 16 set means 2^16, held as 2^15 with E + 1.
  const mRound = P.slice(PROD_BITS - 1, PROD_BITS - MANT - 1).add(1).shr(1).trunc(MANT + 1);
  const bump = mRound.bit(MANT);
  const mFin = mux(zero, lit(0, UInt(MANT)), mux(bump, lit(2 ** (MANT - 1), UInt(MANT)), mRound.trunc(MANT)));
  const aClamped = mux(aLow, lit(0, UInt(aBits)), mux(aHigh, lit(aMax, UInt(aBits)), aRaw.trunc(aBits).asUnsigned()));

  m.assign(busy, fsm.is('idle').not());
  m.sync(() => {
    scaleValid.set(lit(0, Bool));
    fsm.switch({
      idle: () => {
        m.if(setup, () => {
          mc.set(mmMant);
          P.set(tMant);
          cReg.set(cMant);
          zero.set(zeroIn);
          mmExpQ.set(mmExp);
          tExpQ.set(tExp);
          cExpQ.set(cExp);
          normExpQ.set(normExp);
          k.set(lit(0, UInt(kBits)));
          fsm.goto('mul1');
        });
      },
      mul1: () => {
        k.set(kNext);
        P.set(step);
        m.if(lastStep, () => {
          mc.set(step.slice(2 * MANT - 1, 0)); // mm_mant t_mant < 2^32
          P.set(cReg);
          k.set(lit(0, UInt(kBits)));
          fsm.goto('mul2');
        });
      },
      mul2: () => {
        k.set(kNext);
        P.set(step);
        m.if(lastStep, () => {
          k.set(lit(0, UInt(kBits)));
          fsm.goto('norm');
        });
      },
      norm: () => {
        m.if(P.bit(PROD_BITS - 1).or(k.eq(PROD_BITS - 1)), () => fsm.goto('fin')).else(() => {
          P.set(P.slice(PROD_BITS - 2, 0).shl(1));
          k.set(kNext);
        });
      },
      fin: () => {
        mReg.set(mFin);
        scaleMant.set(mFin);
        bumpQ.set(bump);
        eK.set(base.sub(k.toSigned()).trunc(SCALE_E_BITS));
        aK.set(negBase.add(k.toSigned()).trunc(SCALE_E_BITS + 1));
        fsm.goto('exp');
      },
      exp: () => {
        scaleExp.set(eK.add(bumpQ.toSigned()).trunc(SCALE_E_BITS));
        aRaw.set(aK.sub(bumpQ.toSigned()).trunc(SCALE_E_BITS + 1));
        fsm.goto('cmp');
      },
      cmp: () => {
        aLow.set(aRaw.msb());
        aHigh.set(aRaw.gt(aMax));
        fsm.goto('clamp');
      },
      clamp: () => {
        aReg.set(aClamped);
        k.set(lit(0, UInt(kBits)));
        mask.set(lit(2n ** BigInt(W) - 1n, UInt(W)));
        half.set(lit(0, UInt(W)));
        fsm.goto('mask');
      },
      mask: () => {
        m.if(k.eq(aReg), () => {
          scaleValid.set(lit(1, Bool));
          fsm.goto('idle');
        }).else(() => {
          mask.set(cat(mask.slice(W - 2, 0), lit(0, Bool)));
          half.set(cat(half.slice(W - 2, 0), k.eq(OUT_LEFT)));
          k.set(kNext);
        });
      },
    });
  });

  // ---- the element path -------------------------------------------------------------------------
  const acc0 = regOf(m, 'acc_0', acc);
  const valid0 = regOf(m, 'valid_0', inValid, 0);
  // S1, S2: x = acc M, its own register (the SB_MAC16 output register with -dsp), then the partial products' sum.
  const x = regOf(m, 'x_2', regOf(m, 'x_1', acc0.mul(mReg.toSigned()).trunc(W)));
  const z = regOf(m, 'z_3', x.add(half.toSigned()).trunc(W + 1));
  const sign = z.msb();
  // Overflow: some bit i >= a of z differs from the sign; groups of 4 bits per LUT level.
  const diff = z.slice(W - 1, 0).xor(repeat(sign, W)).and(mask);
  const groups: Expr[] = [];
  for (let i = 0; i < W; i += 4) groups.push(diff.slice(Math.min(W, i + 4) - 1, i).orR());
  const ovfGroups = regOf(m, 'ovf_groups_4', cat(...groups.reverse()));
  const ovf = regOf(m, 'ovf_5', ovfGroups.orR());
  const signLast = delay(m, 'sign', sign, 2);
  // (z << 23) >>> a: the low 24 bits are shiftRound(x, s) for s >= 1 (z carries the half) and x 2^-s for s <= 0.
  const sh = stagedShiftRight(m, 'out', cat(z, lit(0, UInt(OUT_LEFT))).asSigned(), aReg, ACT.bits);
  if (sh.stages !== 2) throw new Error('bitlinear scale unit: the shift needs exactly 3 stages');
  const validLast = delay(m, 'valid', valid0, bitLinearScaleLatency() - 2, 0);
  const rowLast = delay(m, 'row', regOf(m, 'row_0', row), bitLinearScaleLatency() - 2);
  const sat = mux(signLast, lit(-(2 ** (ACT.bits - 1)), SInt(ACT.bits)), lit(2 ** (ACT.bits - 1) - 1, SInt(ACT.bits)));
  m.sync(() => {
    out.set(mux(ovf, sat, sh.value));
    outValid.set(validLast);
    outRow.set(rowLast);
  });
});

/** The BitLinear output scale: bitLinearScale() is maxCols 1024, maxRows 1024. */
export function bitLinearScale(p: Partial<BitLinearScaleParams> = {}): Module {
  return bitLinearScaleGen({ maxCols: p.maxCols ?? BITLINEAR_SCALE_DEFAULTS.maxCols, maxRows: p.maxRows ?? BITLINEAR_SCALE_DEFAULTS.maxRows });
}
