// The elementwise unit: the per-channel arithmetic of FixedModel.stepInt (model/fixed/fixed-model.ts)
// in RTL, bit for bit, one channel per cycle, fully pipelined, with an `op` input choosing the function:
//
//   op            ports read                         y (out_valid, latency elementwiseLatency)    s_new (s_valid)
//   0 MLGRU       a, b, c, s, lb, has_lb             c' = sat24(shiftRound(c * silu(s'), 12))     s' (see below)
//   1 GLU         s = gate, c = up                   z  = sat24(shiftRound(silu(gate) * up, 12))  -
//   2 PRESCALE    c = v, w, shift = -exp             u  = sat24(shiftRound(v * w, shift))         -
//   3 RESIDUAL    c = h, s = x                       h' = sat24(h + x)                            -
//
//   MLGRU:  sig = sigmoid(a);  f = has_lb ? lb + shiftRound((32768 - lb) * sig, 15) : sig
//           s'  = sat24(shiftRound(f * s + (32768 - f) * silu(b), 15))
// a, b, c, s, y, s_new are ACT (SInt(24), 12 fraction bits); lb is GATE (UInt(16), 0 .. 32768: values
// above 32768 are outside the format and give unspecified results); w is a SInt(16) norm-weight
// mantissa and shift a SInt(7): every value of it, -64 .. 63, is exact (numerics' -exp is typically
// 13 .. 20; 13 .. 15 in the tiny model). Ports an op does not list are ignored by it.
//
// Outputs. y leaves `elementwiseLatency` cycles after in_valid, with out_valid, for every op, so ops can
// be mixed back to back. s_new (MLGRU's new state) leaves earlier, `elementwiseStateLatency` cycles
// after in_valid, with s_valid, which is 1 only for MLGRU elements: it is ready long before c' (c' needs
// a second sigmoid pass over s'), and holding it back to y's time would cost 24 flip-flops per cycle of
// difference (a dozen cycles). s_new is not meaningful when s_valid is 0.
//
// One datapath serves all four ops. MLGRU is computed as
//     f   = lb' + shiftRound(g * sig, 15)          g = 32768 - lb', lb' = has_lb ? lb : 0
//     s'  = silu(b) + (f == 32768 ? d : shiftRound(f[14:0] * d, 15)),   d = s - silu(b)
//     y   = sat24(shiftRound(c * silu(s'), 12))
// (f s + (32768 - f) silu = 32768 silu + f (s - silu), and 32768 silu is a multiple of 2^15, so the one
// rounding of numerics is one rounding of f d; lb' = 0 gives f = sig exactly, so has_lb = 0 is lb' = 0.
// s' lies between s and silu(b), so numerics' sat24 never clips it.) The other ops reuse it:
//   - every op but MLGRU forces lb' = 32768, so f = 32768 and s' = s exactly: the `s` port arrives at the
//     second sigmoid and the final multiplier unchanged, in the time of an MLGRU state;
//   - GLU is then MLGRU with s = gate and c = up: y = sat24(shiftRound(up * silu(gate), 12));
//   - PRESCALE replaces s by {0, zero, amt, w} (w in bits 15:0, the shift amount in 21:16, a force-zero
//     flag in 22); the final multiplier takes B = w instead of silu(s'), and the final rounding shift is
//     by `shift` instead of 12. `shift` >= 40 gives 0 (|v w| <= 2^38), `shift` <= -24 acts as -24 (any
//     v w != 0 saturates), in between amt = shift + 24 in 0 .. 63;
//   - RESIDUAL adds at the input, c <- sat24(h + x), and runs PRESCALE with w = 4096, shift = 12.
//
// Pipeline (stage k = registered k cycles after in_valid; sA / sC = sigmoid latencies, 8 / 7 with
// siluStages = 1; with the defaults: 12 for s_new, 24 for y):
//   0            op decode, sat24(h + x), g and the s operand chosen (combinational on the ports)
//   1 .. sA      sigmoid(a) and silu(b) in two sigmoid units; g, s, c, flags in delay lines
//                (flip-flops, or block-RAM rings with delayRam = 1)
//   sA+1         pf = g * sig (UInt(16) x UInt(16)), lbK = 32768 - g, d = s - silu(b)
//   sA+2         f = (lbK * 2^15 + pf + 2^14) >> 15                     (one adder)
//   sA+3         f[14:0] * d (SInt(16) x SInt(25))
//   sA+4         s' = silu + (f[15] ? d : (f d + 2^14) >> 15)            s_new / s_valid
//   .. + sC      silu(s') in a third sigmoid unit; s' alongside (the same registers as the unit's own
//                copy of its input, so synthesis merges them)
//   M            P = c * B, B = silu(s') or w (SInt(24) x SInt(24)); amt = 36 (shift 12) or from s
//   SH1 SH2 SH3  the rounding shift T = (P * 2^25) >> amt = floor(P / 2^(shift - 1)), two amount bits
//                per stage (a 4:1 mux per bit), each keeping only the bits that can still reach the 24
//                output bits; the bits dropped above must all equal the sign, else the result saturates
//   OUT          y = sat24((T + 1) >> 1) (the + 1 is shiftRound's half), or 0 for the force-zero flag
// Only the valid bits have a reset. Three sigmoid units are needed for one element per cycle: sig(a),
// silu(b) and silu(s') are three table lookups per element (six EBRs in all).
//
// Resources (yosys 0.23 synth_ice40, siluStages = 1; the unit alone):
//   delayRam 0, -dsp:  1,001 LUT4, 332 carry, 1,902 FF,  6 EBR, 14 SB_MAC16
//   delayRam 1, -dsp:  1,028 LUT4, 340 carry, 1,128 FF, 11 EBR, 14 SB_MAC16
//   delayRam 0, LUTs:  6,985 LUT4, 532 carry, 2,084 FF,  6 EBR
// The 14 SB_MAC16 (an UP5K has 8): c * B 24 x 24 -> 4, f[14:0] * d 16 x 25 -> 2, g * sig 16 x 16 -> 1
// (with the f adder folded in), and the sigmoid units' own: silu(b) and silu(s') 24 x 16 -> 2 each, the
// three table interpolations 10 x 8 -> 1 each. Without -dsp the multipliers alone exceed an UP5K.
import { defineModule } from '../../hdl/core/generator.ts';
import { cat, lit, mux, type Expr } from '../../hdl/core/expr.ts';
import type { Signal } from '../../hdl/core/signal.ts';
import type { Module } from '../../hdl/core/module.ts';
import { Bool, SInt, UInt } from '../../hdl/core/types.ts';
import { ACT, GATE, NORM_WEIGHT } from '../../numerics/formats.ts';
import { sigmoidUnit, sigmoidUnitLatency, type SigmoidUnitParams } from './sigmoid-unit.ts';
import { regOf, delayRing } from './pipeline.ts';
import { hdlHelper } from '../../hdl/core/source.ts';

/** The `op` input's codes. */
export const ELEMENTWISE_OP = { mlgru: 0, glu: 1, prescale: 2, residual: 3 } as const;
export type ElementwiseOp = (typeof ELEMENTWISE_OP)[keyof typeof ELEMENTWISE_OP];
export const ELEMENTWISE_OP_BITS = 2;

/** Width of the `shift` port (PRESCALE's -exp): SInt(7), -64 .. 63, all exact. */
export const ELEMENTWISE_SHIFT_BITS = 7;

export interface ElementwiseUnitParams {
  [k: string]: number;
  /** Forwarded to the three sigmoid units (1: one SiLU product stage, what -dsp maps; 2: split for LUTs). */
  siluStages: number;
  /**
   * Where the two long delay lines live (c and a flag for 19 cycles, s, g and a flag for 8, with
   * siluStages = 1; 66 bits wide in all): 0 = flip-flops (about 770), 1 = two rings in block RAM
   * (5 EBRs: 2 for the 25-bit c line, 3 for the 41-bit s line, and a 5-bit pointer). Same latency.
   */
  delayRam: number;
}

export const ELEMENTWISE_UNIT_DEFAULTS: ElementwiseUnitParams = { siluStages: 1, delayRam: 0 };


/** The sigmoid units' parameters: the first two are fed by the ports (registered), the third by s'. */
function sigmoidParams(p: ElementwiseUnitParams): { first: SigmoidUnitParams; second: SigmoidUnitParams } {
  return { first: { inputReg: 1, siluStages: p.siluStages }, second: { inputReg: 0, siluStages: p.siluStages } };
}

/** Stages from sigmoid(a), silu(b) to s' (pf, f, f d, s'). */
const STATE_STAGES = 4;
/** Stages from silu(s') to y (product, three shift stages, rounding and saturation). */
const OUT_STAGES = 5;

/** Cycles from in_valid to s_valid (MLGRU's new state): 12 with the defaults. */
export function elementwiseStateLatency(p: ElementwiseUnitParams = ELEMENTWISE_UNIT_DEFAULTS): number {
  return sigmoidUnitLatency(sigmoidParams(p).first) + STATE_STAGES;
}

/** Cycles from in_valid to out_valid (y), the same for every op: 24 with the defaults. */
export function elementwiseLatency(p: ElementwiseUnitParams = ELEMENTWISE_UNIT_DEFAULTS): number {
  return elementwiseStateLatency(p) + sigmoidUnitLatency(sigmoidParams(p).second) + OUT_STAGES;
}

// The final rounding shift: T = (P << PRE) >> amt with amt in [0, 2^AMT_BITS); PRE = 24 (the largest
// left shift that can leave a non-saturated result other than 0) + 1 (shiftRound's half bit).
const PRE = 25;
const AMT_BITS = 6;
const MIN_SHIFT = 1 - PRE; // -24: amt 0
const ZERO_SHIFT = (1 << AMT_BITS) - PRE + 1; // 40: amt would be 64; |v w| <= 2^38 rounds to 0 from here on
const FIXED_SHIFT = ACT.frac; // 12: MLGRU's c * silu(s') and GLU's silu(gate) * up
/** Amount bits per shift stage, MSB first. */
const SHIFT_CHUNKS = [2, 2, 2];

/** The s operand of PRESCALE / RESIDUAL: {0, zero, amt, w}. */
const PACK_W_BITS = NORM_WEIGHT.bits; // 16
const PACK_AMT_LO = PACK_W_BITS; // amt in bits 21:16
const PACK_ZERO_BIT = PACK_AMT_LO + AMT_BITS; // 22

export const elementwiseUnit = defineModule('elementwise_unit', (m: Module, p: ElementwiseUnitParams) => {
  if (p.siluStages !== 1 && p.siluStages !== 2) throw new RangeError(`siluStages must be 1 or 2, got ${p.siluStages}`);
  if (p.delayRam !== 0 && p.delayRam !== 1) throw new RangeError(`delayRam must be 0 or 1, got ${p.delayRam}`);
  if (PACK_ZERO_BIT >= ACT.bits - 1) throw new RangeError('elementwise unit: the PRESCALE operand does not fit the s path');
  if (GATE.one !== 1 << GATE.frac) throw new RangeError('elementwise unit: GATE.one must be 2^GATE.frac');
  const sp = sigmoidParams(p);
  const sA = sigmoidUnitLatency(sp.first);
  const sC = sigmoidUnitLatency(sp.second);
  const act = SInt(ACT.bits);
  const actMax = 2 ** (ACT.bits - 1) - 1;
  const actMin = -(2 ** (ACT.bits - 1));

  const op = m.input('op', UInt(ELEMENTWISE_OP_BITS));
  const a = m.input('a', act);
  const b = m.input('b', act);
  const c = m.input('c', act);
  const s = m.input('s', act);
  const lb = m.input('lb', UInt(GATE.bits));
  const hasLb = m.input('has_lb', Bool);
  const w = m.input('w', SInt(NORM_WEIGHT.bits));
  const shift = m.input('shift', SInt(ELEMENTWISE_SHIFT_BITS));
  const inValid = m.input('in_valid', Bool);
  const y = m.output('y', act, { reg: true });
  const outValid = m.output('out_valid', Bool, { reg: true, reset: 0 });
  const sNew = m.output('s_new', act);
  const sValid = m.output('s_valid', Bool);

  // A register per pipeline stage; only valid bits have a reset.
  const stage = hdlHelper((name: string, value: Expr): Signal => regOf(m, name, value));
  const validStage = hdlHelper((name: string, value: Expr): Signal => regOf(m, name, value, 0));
  /** value delayed from stage `from` to stage `to`: registers name_<from+1> .. name_<to>. */
  const delay = (name: string, value: Expr, from: number, to: number, valid = false): Expr => {
    let v = value;
    for (let k = from + 1; k <= to; k++) v = valid ? validStage(`${name}_${k}`, v) : stage(`${name}_${k}`, v);
    return v;
  };
  /**
   * Several values delayed from stage 0 to stage n together: registers name_<part>_1 .. _n, or (delayRam)
   * one block-RAM ring written every cycle at `ptr` and read at ptr - (n - 1): its registered read
   * port gives the word written n cycles before.
   */
  const delayLine = (name: string, parts: Record<string, Expr>, n: number): Record<string, Expr> => {
    const out: Record<string, Expr> = {};
    if (p.delayRam) return delayRing(m, name, parts, n);
    for (const [k, v] of Object.entries(parts)) out[k] = delay(`${name}_${k}`, v, 0, n);
    return out;
  };
  /** sat24 of a signed value one bit wider than ACT. */
  const sat1 = (v: Expr): Expr => {
    const top = v.width - 1;
    return mux(v.bit(top).ne(v.bit(top - 1)), mux(v.bit(top), lit(actMin, act), lit(actMax, act)), v.trunc(ACT.bits));
  };

  // ---- stage 0: decode (combinational on the ports) ---------------------------------------------
  const isMlgru = op.eq(ELEMENTWISE_OP.mlgru);
  const isPrescale = op.eq(ELEMENTWISE_OP.prescale);
  const isResidual = op.eq(ELEMENTWISE_OP.residual);
  const direct = isPrescale.or(isResidual); // the final product takes w from the s path, not silu(s')
  // g = 32768 - lb': lb' = has_lb ? lb : 0 for MLGRU, 32768 (f = 1) for the others.
  const one = lit(GATE.one, UInt(GATE.bits));
  const g = mux(isMlgru, mux(hasLb, one.sub(lb).trunc(GATE.bits), one), lit(0, UInt(GATE.bits)));
  // PRESCALE's shift: >= 40 -> force 0, <= -24 -> amt 0, else amt = shift + 24.
  const shiftZero = shift.ge(ZERO_SHIFT);
  const shiftLow = shift.le(MIN_SHIFT);
  const amtIn = mux(shiftLow, lit(0, UInt(AMT_BITS)), shift.add(PRE - 1).slice(AMT_BITS - 1, 0));
  const packed = (zero: Expr, amt: Expr, wBits: Expr): Expr => cat(lit(0, Bool), zero, amt, wBits).asSigned();
  const prescaleS = packed(shiftZero, amtIn, w.asUnsigned());
  const residualS = packed(lit(0, Bool), lit(FIXED_SHIFT + PRE - 1, UInt(AMT_BITS)), lit(1 << ACT.frac, UInt(PACK_W_BITS)));
  const sIn = mux(isPrescale, prescaleS, mux(isResidual, residualS, s));
  const cIn = mux(isResidual, sat1(c.add(s)), c);

  // ---- stages 1 .. sA: sigmoid(a), silu(b); the other operands wait -----------------------------
  const uA = m.instance('u_sig_a', sigmoidUnit(sp.first), { x: a, in_valid: inValid });
  const uB = m.instance('u_silu_b', sigmoidUnit(sp.first), { x: b, in_valid: inValid });
  m.sink(uA.out('silu'), uB.out('sig'), uB.out('out_valid')); // uB's valid chain is uA's (merged in synthesis)
  const sigA = uA.out('sig');
  const siluB = uB.out('silu');
  const vA = uA.out('out_valid');
  const lS = elementwiseStateLatency(p); // sA + 4
  const lY = elementwiseLatency(p);
  const mStage = lS + sC + 1; // the final product
  const early = delayLine('sl', { s: sIn, g, mlgru: isMlgru }, sA);
  const late = delayLine('cl', { c: cIn, direct }, mStage - 1);
  const gA = early.g!;
  const sAval = early.s!;
  const mlgruS = delay('mlgru', early.mlgru!, sA, lS);
  const cM = late.c!;
  const directM = late.direct!;

  // ---- sA+1: pf = g * sig, lbK = 32768 - g, d = s - silu(b) --------------------------------------
  const pf1 = stage(`pf_${sA + 1}`, gA.mul(sigA)); // UInt(32), <= 2^30
  const lbK1 = stage(`lb_${sA + 1}`, one.sub(gA).trunc(GATE.bits));
  const d1 = stage(`d_${sA + 1}`, sAval.sub(siluB)); // SInt(25)
  const silu1 = stage(`silu_b_${sA + 1}`, siluB);
  const v1 = validStage(`valid_${sA + 1}`, vA);

  // ---- sA+2: f = lbK + shiftRound(pf, 15), one adder: (lbK * 2^15 + 2^14 + pf) >> 15 <= 32768 ------
  const fSum = cat(lbK1, lit(1 << (GATE.frac - 1), UInt(GATE.frac))).add(pf1);
  const f2 = stage(`f_${sA + 2}`, fSum.shr(GATE.frac).trunc(GATE.bits));
  const d2 = stage(`d_${sA + 2}`, d1);
  const silu2 = stage(`silu_b_${sA + 2}`, silu1);
  const v2 = validStage(`valid_${sA + 2}`, v1);

  // ---- sA+3: f[14:0] * d (f[15] set means f = 32768 exactly) ------------------------------------
  const fd3 = stage(`fd_${sA + 3}`, f2.slice(GATE.frac - 1, 0).toSigned().mul(d2)); // SInt(41)
  const fOne3 = stage(`f_one_${sA + 3}`, f2.bit(GATE.frac));
  const d3 = stage(`d_${sA + 3}`, d2);
  const silu3 = stage(`silu_b_${sA + 3}`, silu2);
  const v3 = validStage(`valid_${sA + 3}`, v2);

  // ---- sA+4 = lS: s' = silu + (f == 1 ? d : shiftRound(f d, 15)), always within [min(s, silu), max] ---
  const rounded = fd3.add(1 << (GATE.frac - 1)).shr(GATE.frac); // SInt(27)
  const sPrime = stage(`s_new_${lS}`, silu3.add(mux(fOne3, d3.ext(rounded.width), rounded)).trunc(ACT.bits));
  const vS = validStage(`valid_${lS}`, v3);
  m.assign(sNew, sPrime);
  m.assign(sValid, vS.and(mlgruS));

  // ---- lS+1 .. lS+sC: silu(s'); s' (or PRESCALE's packed operand) alongside ---------------------
  const uC = m.instance('u_silu_s', sigmoidUnit(sp.second), { x: sPrime, in_valid: vS });
  m.sink(uC.out('sig'));
  const siluS = uC.out('silu');
  const vC = uC.out('out_valid');
  // Full width up to the unit's last copy of its input (so synthesis merges the two), then only what the
  // M stage reads (PRESCALE's packed bits; y never needs s' itself).
  const sBeside = delay('s_new', sPrime, lS, lS + sC - 1);
  m.sink(sBeside.msb());
  const sDelayed = stage(`s_new_${lS + sC}`, sBeside.slice(PACK_ZERO_BIT, 0));

  // ---- M: P = c * B -------------------------------------------------------------------------------
  const wM = sDelayed.slice(PACK_W_BITS - 1, 0).asSigned();
  const bM = mux(directM, wM.ext(ACT.bits), siluS);
  const pM = stage(`p_${mStage}`, cM.mul(bM)); // SInt(48)
  const amtM = stage(`amt_${mStage}`, mux(directM, sDelayed.slice(PACK_ZERO_BIT - 1, PACK_AMT_LO), lit(FIXED_SHIFT + PRE - 1, UInt(AMT_BITS))));
  const zeroM = stage(`zero_${mStage}`, directM.and(sDelayed.bit(PACK_ZERO_BIT)));
  const vM = validStage(`valid_${mStage}`, vC);

  // ---- SH1..SH3: T = (P << 25) >> amt, keeping 24 bits and the sign ------------------------------
  // Each stage's value is {sign, kept bits}: the sign (P's) sits above the kept bits, so arithmetic
  // shifts fill with it. ok stays 1 while every bit dropped above the kept ones equals the sign.
  let v: Expr = cat(pM, lit(0, UInt(PRE))).asSigned(); // SInt(48 + 25), top bit = P's sign
  let ok: Expr = lit(1, Bool);
  let amt: Expr = amtM;
  let zero: Expr = zeroM;
  let valid: Expr = vM;
  let lo = AMT_BITS;
  let k = mStage;
  for (const size of SHIFT_CHUNKS) {
    lo -= size;
    k++;
    const unit = 2 ** lo;
    const keep = ACT.bits + (2 ** lo - 1); // what the later stages (amounts < 2^lo) can still bring down
    const bits = amt.slice(lo + size - 1, lo);
    const sign = v.msb();
    const shifted = v.shr(lo > 0 ? cat(bits, lit(0, UInt(lo))) : bits);
    const kept = cat(sign, shifted.slice(keep - 1, 0)).asSigned();
    // anyFrom[q]: some bit of v from keep + q * unit up to below the sign differs from the sign, i.e. a
    // shift by q units would drop a significant bit. The suffixes nest, so each ORs one more segment.
    const diff = v.asUnsigned().xor(sign.asSigned().ext(v.width).asUnsigned()); // bit i: v[i] != sign
    const top = v.width - 1; // the sign's own position
    const anyFrom: Expr[] = [];
    let above: Expr = lit(0, Bool);
    for (let q = 2 ** size - 1; q >= 0; q--) {
      const from = keep + q * unit;
      const to = q === 2 ** size - 1 ? top : Math.min(top, keep + (q + 1) * unit);
      if (from < to) above = diff.slice(to - 1, from).orR().or(above);
      anyFrom[q] = above;
    }
    const okHere = selectBy(bits, anyFrom).not();
    const nextV = stage(`t_${k}`, kept);
    ok = stage(`ok_${k}`, ok.and(okHere));
    if (lo > 0) amt = stage(`amt_${k}`, amt.slice(lo - 1, 0));
    zero = stage(`zero_${k}`, zero);
    valid = validStage(`valid_${k}`, valid);
    v = nextV;
  }
  if (k !== lY - 1) throw new Error(`elementwise unit: pipeline bookkeeping (${k} != ${lY - 1})`);

  // ---- OUT: y = sat24((T + 1) >> 1); T = {sign, 24 bits} when ok, else beyond +-2^24 -----------------
  const sign = v.msb();
  const half = v.add(1).shr(1); // SInt(25): >= -2^23, = 2^23 only when T >= 2^24 - 1
  const over = ok.not().or(half.bit(ACT.bits - 1).and(half.msb().not()));
  m.sync(() => {
    y.set(mux(zero, lit(0, act), mux(over, mux(sign, lit(actMin, act), lit(actMax, act)), half.trunc(ACT.bits))));
    outValid.set(valid);
  });
});

/** options[sel] as a tree of 2:1 multiplexers (sel unsigned, options.length = 2^width). */
function selectBy(sel: Expr, options: Expr[]): Expr {
  if (options.length !== 2 ** sel.width) throw new RangeError(`selectBy: ${options.length} options for a ${sel.width}-bit select`);
  let level = options;
  for (let i = 0; i < sel.width; i++) {
    const next: Expr[] = [];
    for (let j = 0; j < level.length; j += 2) next.push(mux(sel.bit(i), level[j + 1]!, level[j]!));
    level = next;
  }
  return level[0]!;
}
