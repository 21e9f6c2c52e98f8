// The int8 quantiser of one BitLinear: numerics/bitlinear.ts steps 1-4 and 6's sum of squares, in RTL,
// bit for bit, one element per cycle, over two passes of the input vector (the controller streams the
// vector twice; every element goes in with in_valid and the flags below).
//
//   pass = 0 (stats)     u_i (SInt(24), ACT) and b_i (SInt(16), the norm weight mantissa), `first` on
//                        element 0 and `last` on the final element:
//                          p_i = u_i b_i, m = max |p_i| (exact), S = sum shiftRound(u_i, SUMSQ_SHIFT)^2 (exact)
//                        -> m_valid with m, stats_valid with S (each held until the next vector's);
//                        m also goes through normalizeRecipUnit (scalar-unit.ts), whose result is latched as
//                        -> mm_valid with mm_mant, mm_exp (normalize16(m)), recip (R = recip127(mm_mant)) and
//                           zero (m = 0), held until the next mm_valid.
//   pass = 1 (quantize)  the same u_i, b_i again, `first` on element 0 (`last` optional, passed through):
//                          q_i = clamp(shiftRound(shiftRound(p_i, mm_exp) R, RECIP.frac), -128, 127)
//                        -> q_valid with q (SInt(8)), q_idx (i, counted from `first`) and q_last.
//
// m = 0 gives mm_exp = -15 and p_i = 0 for every i, so q_i = 0 with no special case (numerics returns
// before it forms q; the controller also skips the matrix). S = 0 with m > 0 (every |u_i| <= 8) still
// gives the q of numerics' steps 1-4; the output scale unit zeroes that BitLinear's outputs.
//
// Timing (counted as in scalar-unit.ts: an element sampled at edge 0 comes out after edge L - 1, so L
// counts the registers on the way):
//   m_valid       `bitLinearQuantMLatency` (6) after the element flagged `last`
//   stats_valid   `bitLinearQuantStatsLatency` (11) after it
//   mm_valid      `bitLinearQuantMmLatency` (13) after it (normalizeRecipUnit's 6 after m_valid, and the latch)
//   q_valid       `bitLinearQuantLatency` (11) after each pass-2 element
// The first pass-2 element may be sampled `bitLinearQuantPass2Delay` (10) cycles after the last pass-1
// element at the earliest (a controller that waits for mm_valid is 3 cycles late, no more). A pass 1
// may follow a pass 2 (or another pass 1) at once: the held m, S and mm change only with the next
// m_valid, stats_valid and mm_valid (a pass-1-only vector shorter than 6 elements can update m before
// the previous vector's stats_valid: read m at m_valid).
//
// Pipeline (every line ends in a register; one element per cycle; both passes share every stage, so
// elements of both passes may be in flight together). Each product has two registers: its own (with
// synth_ice40 -dsp, the SB_MAC16 output register) and one after the sum of the partial products that
// a product wider than 16 x 16 is split into.
//   S0      u, b, the flags (input registers)
//   S1, S2  p = u b (SInt(40), exact: the first multiplier);  v = shiftRound(u, 4) = (u + 8) >> 4 (SInt(21)),
//           then |v| (UInt(20))
//   m:      S3 |p| (UInt(39)) and its compares with the running max and with the element ahead (the
//           compares are registered: the max loop is only muxes); S4 the running max; on `last` it is
//           copied to the held m (m_valid), which starts normalizeRecipUnit; its result is latched
//           with e + 15 (mm_valid)
//   q:      the rounding shift p' = shiftRound(p, e), e = mm_exp in [-15, 24], done as one right shift:
//           Y = floor(2 p / 2^e) = ((p << 16) >>> (e + 15))[17:0], then p' = (Y + 1) >> 1 = floor(p / 2^e + 1/2)
//           (for e <= 0, Y = 2 p 2^-e is even and p' = p 2^-e exactly: the left shift of numerics).
//           S3, S4 and S5 are the barrel shift, two amount bits per stage (e + 15 is latched, so it is
//           stable during pass 2). |p| <= m < 2^(e+16) puts Y in [-2^17, 2^17): SInt(18).
//   S6      the operands of the second multiplier, shared by the passes: |v| and |v| (pass 1), or |p'| and
//           R (pass 2), with |p'| = ((Y xor sign) + 1) >> 1 <= 2^16 and the sign of p' beside it
//   S7, S8  their product (UInt(39): v^2 <= 2^38, |p'| R < 2^30)
//   S9      pass 1: the low 24 bits of S += v^2, the carry registered; pass 2: the magnitude of
//           shiftRound(p' R, 22): (|p'| R + 2^21) >> 22 for p' >= 0, (|p'| R + 2^21 - 1) >> 22 for p' < 0
//           (-|p'| R rounded half up is minus that), at most 256
//   S10     pass 1: the high bits of S plus the carry, on `last` copied to the held S (stats_valid);
//           pass 2: q = +-magnitude, saturated to [-128, 127] (bit tests, no comparator)
// Only the valid bits and the index counter have a reset.
import { defineModule } from '../../hdl/core/generator.ts';
import { lit, mux, cat, repeat, type Expr } from '../../hdl/core/expr.ts';
import type { Module } from '../../hdl/core/module.ts';
import { Bool, SInt, UInt, bitsFor, clog2 } from '../../hdl/core/types.ts';
import { ACT, NORM_WEIGHT, QACT, RECIP, SUMSQ_SHIFT } from '../../numerics/formats.ts';
import { normalizeRecipUnit, normalizeRecipUnitLatency, normalizeExpWidth, NORMALIZE_RECIP_UNIT_DEFAULTS, RECIP_BITS } from './scalar-unit.ts';
import { regOf, delay, shiftChunks, stagedShiftRight } from './pipeline.ts';

export interface BitLinearQuantParams {
  [k: string]: number;
  /** Longest vector (cols) the unit accepts: sets the width of S and of q_idx. At most 2^15. */
  maxCols: number;
}

export const BITLINEAR_QUANT_DEFAULTS: BitLinearQuantParams = { maxCols: 1024 };

/** numerics' sum of squares is exact for up to 2^15 inputs. */
export const MAX_QUANT_COLS = 2 ** 15;

// ---- widths, all derived from the formats --------------------------------------------------------

const U_MIN = -(2 ** (ACT.bits - 1));
const U_MAX = 2 ** (ACT.bits - 1) - 1;
const B_MIN = -(2 ** (NORM_WEIGHT.bits - 1));
/** Largest |p| = |u b| over the port ranges: 2^23 2^15 = 2^38. */
const P_MAG_MAX = BigInt(U_MIN) * BigInt(B_MIN);
/** Width of m = max |p|: 39. */
export const QUANT_M_BITS = bitsFor(P_MAG_MAX, false);
/** Largest |shiftRound(u, 4)|: (2^23 - 1 + 8) >> 4 = 2^19 (and -2^19 at the bottom). */
const V_MAG_MAX = Math.max(Math.floor((U_MAX + 2 ** (SUMSQ_SHIFT - 1)) / 2 ** SUMSQ_SHIFT), -Math.floor((U_MIN + 2 ** (SUMSQ_SHIFT - 1)) / 2 ** SUMSQ_SHIFT));
const V_MAG_BITS = bitsFor(BigInt(V_MAG_MAX), false); // 20
const SQ_BITS = bitsFor(BigInt(V_MAG_MAX) ** 2n, false); // 39

/** Width of S for vectors of up to maxCols elements: exactly maxCols (2^19)^2 (48 bits at 768, 49 at 1024, 53 below 2^15, 54 at 2^15). */
export function quantSumSqWidth(maxCols: number): number {
  return bitsFor(BigInt(maxCols) * BigInt(V_MAG_MAX) ** 2n, false);
}

/** Width of q_idx: clog2(maxCols), at least 1. */
export function quantIdxWidth(maxCols: number): number {
  return Math.max(1, clog2(maxCols));
}

/** Width of the normalizeRecipUnit inside: its default (40), or more if m needs it. */
const NORM_WIDTH = Math.max(NORMALIZE_RECIP_UNIT_DEFAULTS.width, QUANT_M_BITS);
/** Width of mm_exp: SInt(6), exp in [-15, 24]. */
export const QUANT_MM_EXP_BITS = normalizeExpWidth(NORM_WIDTH);
/** The shift of numerics step 3 runs from -(RECIP.mantissaBits - 1) = -15 (the left-shift side) up. */
const E_BIAS = RECIP.mantissaBits - 1; // 15
/** Bits of the shift amount e + 15: UInt(6), 0 .. 39. */
const SHAMT_BITS = bitsFor(BigInt(NORM_WIDTH - 1), false);
/** Y = floor(2p / 2^e): SInt(18), since |p| <= m < 2^(hb+1) = 2^(e+16). */
const Y_BITS = RECIP.mantissaBits + 2;
/** |p'| = |shiftRound(p, e)| <= 2^16: UInt(17). */
const PP_MAG_BITS = RECIP.mantissaBits + 1;
/** |p'| R <= 2^16 (2^14 - 1) < 2^30: UInt(30). */
const PR_MAG_BITS = PP_MAG_BITS + RECIP_BITS - 1;
/** (|p'| R + 2^21) >> 22 <= 256: UInt(9). */
const Q_MAG_BITS = PR_MAG_BITS + 1 - RECIP.frac;

// ---- stages and latencies -------------------------------------------------------------------------

/**
 * The pipeline, by stage (the registers loaded at an element's edge 0 are S0). Each product has two
 * stages: its own register (which synth_ice40 -dsp folds into the SB_MAC16 output register) and one
 * after the sum of the partial products of a product wider than 16 x 16.
 */
const ST = (() => {
  const p = 1; // u b
  const pSum = 2; // u b settled; v = shiftRound(u, 4) and |v|
  const shiftEnd = pSum + shiftChunks(SHAMT_BITS).length; // 5: Y (the shift's registers are S3, S4)
  return {
    p,
    pSum,
    abs: pSum + 1, // 3: |p|, and its compares with M and with the element ahead
    max: pSum + 2, // 4: the running max M
    mHeld: pSum + 3, // 5: the held m, m_valid
    shiftEnd,
    operands: shiftEnd + 1, // 6
    prod: shiftEnd + 2, // 7
    prodSum: shiftEnd + 3, // 8
    low: shiftEnd + 4, // 9: the low half of S; the magnitude of q
    out: shiftEnd + 5, // 10: S and stats_valid; q
  };
})();
/** The low bits of S added first (the carry into the high bits waits in a register). */
const SUM_SPLIT = 24;

/** Cycles from the `last` pass-1 element to m_valid: 6. */
export function bitLinearQuantMLatency(): number {
  return ST.mHeld + 1;
}

/** Cycles from the `last` pass-1 element to stats_valid (S is ready): 11. */
export function bitLinearQuantStatsLatency(): number {
  return ST.out + 1;
}

/** Cycles from the `last` pass-1 element to mm_valid: 13 (m_valid, normalizeRecipUnit's 6, the latch). */
export function bitLinearQuantMmLatency(): number {
  return ST.mHeld + 1 + normalizeRecipUnitLatency({ width: NORM_WIDTH }) + 1;
}

/** Cycles from a pass-2 element to its q_valid: 11. */
export function bitLinearQuantLatency(): number {
  return ST.out + 1;
}

/**
 * The smallest gap, in cycles, from the last pass-1 element to the first pass-2 element: 10. The latch
 * is loaded at edge Lmm - 1 (counted from the last element's edge 0); a pass-2 element sampled at edge
 * t reads e + 15 first when its first shift register loads (S3: edge t + 3), and R later (S6).
 */
export function bitLinearQuantPass2Delay(): number {
  return bitLinearQuantMmLatency() - 1 - (ST.pSum + 1) + 1;
}

// ---- helpers (absOf is shared with row-unit.ts) ------------------------------------------------------

/** |x| of a signed value known to satisfy |x| < 2^bits, as UInt(bits). */
export function absOf(x: Expr, bits: number): Expr {
  return mux(x.msb(), x.neg(), x.ext(x.width + 1)).slice(bits - 1, 0);
}

// ---- the unit -----------------------------------------------------------------------------------

function checkParams(p: BitLinearQuantParams): void {
  if (!Number.isInteger(p.maxCols) || p.maxCols < 1 || p.maxCols > MAX_QUANT_COLS) {
    throw new RangeError(`bitlinear quant unit: maxCols must be an integer from 1 to ${MAX_QUANT_COLS}, got ${p.maxCols}`);
  }
  // The quantize path's widths rest on these (numerics' formats as of writing).
  if (RECIP.frac < 2 || Q_MAG_BITS !== QACT.bits + 1 || QUANT_M_BITS > NORM_WIDTH || 2 ** SHAMT_BITS < NORM_WIDTH) {
    throw new RangeError('bitlinear quant unit: unexpected ACT/NORM_WEIGHT/RECIP formats');
  }
}

const bitLinearQuantGen = defineModule('bitlinear_quant', (m, p: BitLinearQuantParams) => {
  checkParams(p);
  const sBits = quantSumSqWidth(p.maxCols);
  const idxBits = quantIdxWidth(p.maxCols);

  const uIn = m.input('u', SInt(ACT.bits));
  const bIn = m.input('b', SInt(NORM_WEIGHT.bits));
  const inValid = m.input('in_valid', Bool);
  const passIn = m.input('pass', Bool);
  const firstIn = m.input('first', Bool);
  const lastIn = m.input('last', Bool);

  const mValid = m.output('m_valid', Bool, { reg: true, reset: 0 }); // with the held m
  const mOut = m.output('m', UInt(QUANT_M_BITS), { reg: true });
  const statsValid = m.output('stats_valid', Bool, { reg: true, reset: 0 });
  const sOut = m.output('s', UInt(sBits), { reg: true });
  const mmValid = m.output('mm_valid', Bool, { reg: true, reset: 0 });
  const mmMant = m.output('mm_mant', UInt(RECIP.mantissaBits), { reg: true });
  const mmExp = m.output('mm_exp', SInt(QUANT_MM_EXP_BITS), { reg: true });
  const recip = m.output('recip', UInt(RECIP_BITS), { reg: true });
  const zero = m.output('zero', Bool, { reg: true });
  const qValid = m.output('q_valid', Bool, { reg: true, reset: 0 });
  const q = m.output('q', SInt(QACT.bits), { reg: true });
  const qIdx = m.output('q_idx', UInt(idxBits), { reg: true, reset: 0 });
  const qLast = m.output('q_last', Bool, { reg: true });

  // The valid bit of an element at stage i is valid[i]; the flags travel beside it.
  const valid: Expr[] = [];
  const pass: Expr[] = [];
  const first: Expr[] = [];
  const last: Expr[] = [];
  const flags = (i: number, v: Expr, ps: Expr, f: Expr, l: Expr) => {
    valid[i] = regOf(m, `valid_${i}`, v, 0);
    pass[i] = regOf(m, `pass_${i}`, ps);
    first[i] = regOf(m, `first_${i}`, f);
    last[i] = regOf(m, `last_${i}`, l);
  };

  // ---- S0: input registers ---------------------------------------------------------------------
  const u0 = regOf(m, 'u_0', uIn);
  const b0 = regOf(m, 'b_0', bIn);
  flags(0, inValid, passIn, firstIn, lastIn);
  for (let i = 1; i < ST.out; i++) flags(i, valid[i - 1]!, pass[i - 1]!, first[i - 1]!, last[i - 1]!);

  // ---- S1, S2: p = u b (SInt(40), exact: the first multiplier); v = shiftRound(u, 4), |v| -------
  const pSum = regOf(m, `p_${ST.pSum}`, regOf(m, `p_${ST.p}`, u0.mul(b0)));
  const v1 = regOf(m, 'v_1', u0.add(2 ** (SUMSQ_SHIFT - 1)).shr(SUMSQ_SHIFT)); // SInt(21)
  const vAbs = regOf(m, `v_abs_${ST.pSum}`, absOf(v1, V_MAG_BITS));

  // ---- m: S3 |p| and its compares; S4 the running max; S5 the held m -----------------------------
  // The compares leave the max loop: element x (at S3) is compared with both the running max M and the
  // element y one stage ahead (at S4, folded into M at this edge), and both results are registered.
  // max(M, y) < x iff M < x and y < x, so at S4 "x beats M" is (y replaced M) ? x > y : x > M: the loop
  // is a 2:1 mux of two flags and the 39-bit mux of M.
  const pAbs = regOf(m, `p_abs_${ST.abs}`, absOf(pSum, QUANT_M_BITS));
  const pAbsMax = regOf(m, `p_abs_${ST.max}`, pAbs);
  const mAcc = m.reg('m_acc', UInt(QUANT_M_BITS));
  const gtY = regOf(m, `m_gt_y_${ST.max}`, pAbs.gt(pAbsMax));
  const gtM = regOf(m, `m_gt_m_${ST.max}`, pAbs.gt(mAcc));
  const statsMax = valid[ST.max]!.and(pass[ST.max]!.not());
  const tookY = m.reg('m_took', Bool, { reset: 0 }); // the element ahead replaced M at the last edge
  const take = m.let('m_take', statsMax.and(first[ST.max]!.or(mux(tookY, gtY, gtM)))); // this one replaces M
  const mNext = m.let('m_next', mux(take, pAbsMax, mAcc));
  m.sync(() => {
    tookY.set(take);
    mAcc.set(mNext);
    m.if(statsMax.and(last[ST.max]!), () => mOut.set(mNext));
    mValid.set(statsMax.and(last[ST.max]!));
  });

  // ---- mm: normalize16(m) and recip127, latched for pass 2 -------------------------------------
  const norm = m.instance('u_norm', normalizeRecipUnit({ width: NORM_WIDTH }), { m: mOut.ext(NORM_WIDTH), in_valid: mValid });
  const normValid = norm.out('out_valid');
  // e + 15 in [0, NORM_WIDTH - 1]: the right shift that turns p << 16 into Y.
  const shamt = m.reg('shamt', UInt(SHAMT_BITS));
  const shamtNext = norm.out('exp').add(E_BIAS).trunc(SHAMT_BITS).asUnsigned();
  m.sync(() => {
    m.if(normValid, () => {
      mmMant.set(norm.out('mant'));
      mmExp.set(norm.out('exp'));
      recip.set(norm.out('recip'));
      zero.set(norm.out('zero'));
      shamt.set(shamtNext);
    });
    mmValid.set(normValid);
  });

  // ---- q: S3 .. S5 Y = ((p << 16) >>> (e + 15))[17:0] --------------------------------------------
  const x = cat(pSum, lit(0, UInt(RECIP.mantissaBits))).asSigned(); // p 2^16: SInt(56)
  const sh = stagedShiftRight(m, 'y', x, shamt, Y_BITS);
  if (ST.pSum + sh.stages + 1 !== ST.shiftEnd) throw new Error('bitlinear quant unit: shift stages do not match the pipeline');
  const y = regOf(m, `y_${ST.shiftEnd}`, sh.value);
  const vAbsEnd = delay(m, 'v_abs', vAbs, ST.shiftEnd - ST.pSum);

  // ---- S6: the shared multiplier's operands ----------------------------------------------------
  // pass 2: |p'| and R, where p' = (Y + 1) >> 1 and |p'| = ((Y xor sign) + 1) >> 1 (for Y < 0:
  // -floor((Y + 1) / 2) = floor(-Y / 2) = (~Y + 1) >> 1); pass 1: |v| twice.
  const ySign = y.msb();
  const ppAbs = y.asUnsigned().xor(repeat(ySign, Y_BITS)).add(1).shr(1).trunc(PP_MAG_BITS); // <= 2^16
  const q2 = pass[ST.shiftEnd]!;
  const opA = regOf(m, `op_a_${ST.operands}`, mux(q2, ppAbs.ext(V_MAG_BITS), vAbsEnd));
  const opB = regOf(m, `op_b_${ST.operands}`, mux(q2, recip.ext(V_MAG_BITS), vAbsEnd));
  const neg = delay(m, 'neg', ySign, ST.prodSum - ST.shiftEnd); // the sign of p', beside the product

  // ---- S7, S8: the product: v^2 (pass 1, <= 2^38) or |p'| R (pass 2, < 2^30) --------------------
  const prod = regOf(m, `prod_${ST.prodSum}`, regOf(m, `prod_${ST.prod}`, opA.mul(opB).trunc(SQ_BITS)));

  // ---- S9, S10, stats: S += v^2 with the carry chain cut in two ----------------------------------
  // S9 adds the low SUM_SPLIT bits and registers the carry; S10 adds the high bits, the carry and the
  // product's high bits (registered at S9). The held S is {high sum, low register} at S10: the low
  // register still holds this element's low bits then (a following element updates it at the same edge).
  // A vector of at most maxCols elements sums to at most maxCols 2^38: sBits by construction.
  const statsSum = valid[ST.prodSum]!.and(pass[ST.prodSum]!.not());
  const sLo = m.reg('s_lo', UInt(SUM_SPLIT));
  const loSum = mux(first[ST.prodSum]!, lit(0, UInt(SUM_SPLIT)), sLo).add(prod.slice(SUM_SPLIT - 1, 0)); // SUM_SPLIT + 1 bits
  const carry = m.reg('s_carry', Bool);
  const prodHi = regOf(m, `prod_hi_${ST.low}`, prod.slice(SQ_BITS - 1, SUM_SPLIT));
  m.sync(() => {
    m.if(statsSum, () => {
      sLo.set(loSum.trunc(SUM_SPLIT));
      carry.set(loSum.bit(SUM_SPLIT));
    });
  });
  const statsLow = valid[ST.low]!.and(pass[ST.low]!.not());
  const sHi = m.reg('s_hi', UInt(sBits - SUM_SPLIT));
  const hiNext = m.let('s_hi_next', mux(first[ST.low]!, lit(0, UInt(sBits - SUM_SPLIT)), sHi).add(prodHi).add(carry).trunc(sBits - SUM_SPLIT));
  m.sync(() => {
    m.if(statsLow, () => {
      sHi.set(hiNext);
      m.if(last[ST.low]!, () => sOut.set(cat(hiNext, sLo)));
    });
    statsValid.set(statsLow.and(last[ST.low]!));
  });

  // ---- S9, S10, q = clamp(shiftRound(p' R, 22), -128, 127) ----------------------------------------
  // p' R >= 0: (x + 2^21) >> 22. p' R = -x < 0: floor((-x + 2^21) / 2^22) = -((x + 2^21 - 1) >> 22).
  // S9: the magnitude, with the addend {!neg, neg x 21}; it is at most (2^30 + 2^21) >> 22 = 256.
  const half = cat(neg.not(), repeat(neg, RECIP.frac - 1));
  const mag = regOf(m, `mag_${ST.low}`, prod.slice(PR_MAG_BITS - 1, 0).add(half).shr(RECIP.frac).trunc(Q_MAG_BITS));
  const negLow = regOf(m, `neg_${ST.low}`, neg);
  // S10: the clamp as bit tests (no comparator): mag > 127 iff mag[8] | mag[7]; mag > 128 iff also mag[6:0] != 0.
  const over127 = mag.bit(8).or(mag.bit(7));
  const over128 = mag.bit(8).or(mag.bit(7).and(mag.slice(6, 0).orR()));
  const qPos = mux(over127, lit(QACT.max, SInt(QACT.bits)), mag.slice(QACT.bits - 2, 0).toSigned());
  const qNeg = mux(over128, lit(QACT.min, SInt(QACT.bits)), mag.slice(QACT.bits - 1, 0).toSigned().neg().trunc(QACT.bits));
  const quantLow = valid[ST.low]!.and(pass[ST.low]!);
  m.sync(() => {
    q.set(mux(negLow, qNeg, qPos));
    qValid.set(quantLow);
    qLast.set(last[ST.low]!);
    m.if(quantLow, () => qIdx.set(mux(first[ST.low]!, lit(0, UInt(idxBits)), qIdx.add(1).trunc(idxBits))));
  });
});

/** The BitLinear quantiser: bitLinearQuant() is maxCols 1024 (`bitlinear_quant_maxCols1024`). */
export function bitLinearQuant(p: Partial<BitLinearQuantParams> = {}): Module {
  return bitLinearQuantGen({ maxCols: p.maxCols ?? BITLINEAR_QUANT_DEFAULTS.maxCols });
}
