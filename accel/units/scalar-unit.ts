// The per-token scalar units: numerics' rsqrtFixed and normalize16 + recip127 (numerics/scalars.ts) in
// RTL, bit for bit, one input per cycle, fully pipelined, fixed latency.
//
//   rsqrtUnit          s (UInt(width), default 53)  ->  mant = RSQRT_TABLE[idx], exp = -23 - k, zero
//   normalizeRecipUnit m (UInt(width), default 40)  ->  mant = normalize16(m).mant, exp, recip = RECIP_TABLE[mant >> 6], zero
//
// Both are a leading-one detector, a barrel shift by the detected position and a ROM:
//
//   rsqrt:      hb = highBit(s), j = hb >> 1, k = j - 7 (since floor((hb - 14) / 2) = floor(hb / 2) - 7);
//               s / 4^k in [2^14, 2^16) and its table index (s / 4^k) >> 6 is ((s << 8) >> 2j)[9:0],
//               exp = -23 - k = -16 - j.
//   normalize:  hb = highBit(m), exp = hb - 15, mant = ((m << 15) >> hb)[15:0] (floor(m / 2^exp), or the
//               exact m * 2^-exp below 2^15), recip index mant >> 6.
//
// Padding the input below (<< 8, << 15) turns the two-sided shift of numerics (right for large inputs,
// left for small ones) into one right shift by a non-negative amount, so the barrel shifter is a plain
// `shr` by a signal followed by an explicit truncation to the bits that can still reach the output.
//
// Pipeline (every line ends in a register; `*Latency` counts them). Stages are at most 2 LUT levels deep:
// on the iCE40 routing costs more than logic (2-3 ns per net against 1.2 ns per LUT), and 3-level stages
// measured 63-71 MHz against 78-90 MHz for 2 levels (nextpnr, UP5K, inside hdl/lib/serial-wrapper.ts).
//   LOD     the leading-one tree: 4-bit leaf encoders, then 2-way merges (any = aH | aL,
//           pos = {aH, aH ? posH : posL}), one LUT level each; a register after every 2 levels
//           (`leadingOneStages`: 0 up to width 8, 1 for 9 .. 32, 2 for 33 .. 53), the input word delayed alongside
//   HB      the tree's top: j (rsqrt) or hb (normalize), zero = !any, the input word
//   SH1..n  the barrel shift, 2 amount bits per stage (a 4:1 mux per bit), MSB first, each stage keeping
//           only the bits the later stages can still shift into the output; exp is computed from the HB
//           register (a small constant add) and travels alongside
//   ROM     the last shift stage drives the ROM address; the ROM's registered read port is the last
//           register of normalize (mant is registered in the same cycle; recip comes straight out of
//           two 512 x 8 EBRs)
//   OUT     rsqrt only: its 768-word ROM is three 256 x 16 EBRs with a bank mux (a LUT level) behind
//           them, so mant is registered once more in the fabric
// At the default widths: rsqrt LOD 2 + HB 1 + SH 3 + OUT 1 = 7, normalize LOD 2 + HB 1 + SH 3 = 6.
//
// Zero inputs (numerics never asks: a BitLinear whose max |p| is 0 returns 0 before any scalar is formed):
//   rsqrt:      s = 0 sets `zero`; mant and exp are then those of s = 1 (RSQRT_TABLE[256], -16).
//   normalize:  m = 0 sets `zero`; mant = 0, exp = -15 and recip = RECIP_TABLE[512] (what m = 0 gives
//               through the same shift: the truncated mantissa of 0 is 0, and the ROM index mant[14:6] = 0).
//
// ROMs: only the used part of each table is stored. RSQRT's index is in [256, 1024) (the mantissa is in
// [2^14, 2^16)): a 768 x 16 ROM at idx - 256, where the two top index bits 01/10/11 become 00/01/10 and 00
// (only s = 0) also becomes 00, so the address never leaves the ROM. RECIP's index is in [512, 1024) (the
// mantissa is in [2^15, 2^16), its top bit always 1): a 512 x 14 ROM addressed by mant[14:6].
import { defineModule } from '../../hdl/core/generator.ts';
import { cat, lit, mux, type Expr } from '../../hdl/core/expr.ts';
import type { Module } from '../../hdl/core/module.ts';
import { Bool, SInt, UInt, bitsFor, clog2 } from '../../hdl/core/types.ts';
import { registeredLevels } from '../../hdl/lib/adder-tree.ts';
import { RECIP, RSQRT } from '../../numerics/formats.ts';
import { RECIP_TABLE, RSQRT_TABLE } from '../../numerics/tables.ts';
import { regOf, delay, shiftChunks, stagedShiftRight } from './pipeline.ts';

export interface ScalarUnitParams {
  [k: string]: number;
  /** Input width in bits, 1 .. 53 (numerics works on integers below 2^53). */
  width: number;
}

/** The part of a table a unit reads, from its first used entry (also what the weight memory holds of it). */
export function scalarTable(unit: 'rsqrt' | 'recip'): number[] {
  return unit === 'rsqrt' ? Array.from(RSQRT_TABLE.subarray(RSQRT_FIRST)) : Array.from(RECIP_TABLE.subarray(RECIP_FIRST));
}

export const RSQRT_UNIT_DEFAULTS: ScalarUnitParams = { width: 53 }; // S = sum of squares, exact below 2^53
export const NORMALIZE_RECIP_UNIT_DEFAULTS: ScalarUnitParams = { width: 40 }; // m = max |p|, p at most 39 bits signed

/** numerics holds every value below 2^53; wider inputs have no reference to match. */
export const MAX_SCALAR_WIDTH = 53;

// ---- the tables and what the units derive from them ---------------------------------------------

/** Input bits per leaf encoder (any: a 4-input OR; pos: two 4-input functions; one LUT4 each). */
const LEAF_BITS = 4;
/** LUT levels per pipeline stage in the leading-one tree. */
const LEVELS_PER_STAGE = 2;

const RSQRT_PAD = RSQRT.indexBits - 2; // 8: s << 8 >> 2j gives the index directly
const RSQRT_EXP_BASE = -RSQRT.frac + (RSQRT.mantissaBits - 2) / 2; // -16: exp = -16 - j
const RSQRT_FIRST = 1 << (RSQRT.indexBits - 2); // 256: first used entry
const RECIP_PAD = RECIP.mantissaBits - 1; // 15: m << 15 >> hb gives the mantissa
const RECIP_FIRST = 1 << (RECIP.indexBits - 1); // 512: first used entry
const RECIP_DROP = RECIP.mantissaBits - RECIP.indexBits; // 6: index = mant >> 6

function tableBits(t: ArrayLike<number>, from: number): number {
  let max = 0;
  for (let i = from; i < t.length; i++) max = Math.max(max, t[i]!);
  return bitsFor(BigInt(max), false);
}

/** Width of the rsqrt mantissa: exactly what RSQRT_TABLE's entries need (16). */
export const RSQRT_MANT_BITS = tableBits(RSQRT_TABLE, RSQRT_FIRST);
/** Width of the reciprocal: exactly what RECIP_TABLE's entries need (14). */
export const RECIP_BITS = tableBits(RECIP_TABLE, RECIP_FIRST);

function checkParams(p: ScalarUnitParams): void {
  if (!Number.isInteger(p.width) || p.width < 1 || p.width > MAX_SCALAR_WIDTH) {
    throw new RangeError(`scalar unit width must be an integer from 1 to ${MAX_SCALAR_WIDTH}, got ${p.width}`);
  }
  if (RSQRT.mantissaBits % 2 !== 0 || RSQRT.indexBits > RSQRT.mantissaBits || RECIP.indexBits > RECIP.mantissaBits) {
    throw new RangeError('scalar units: unexpected RSQRT/RECIP formats');
  }
}

/** The signed width that holds every value of [lo, hi]. */
function signedWidth(lo: number, hi: number): number {
  return Math.max(bitsFor(BigInt(lo), true), bitsFor(BigInt(hi), true));
}

/** exp of rsqrtUnit: -23 - k for k = floor((hb - 14) / 2), hb in [0, width - 1]: SInt(7) at width 53. */
export function rsqrtExpWidth(width: number): number {
  return signedWidth(RSQRT_EXP_BASE - Math.floor((width - 1) / 2), RSQRT_EXP_BASE);
}

/** exp of normalizeRecipUnit: hb - 15 for hb in [0, width - 1]: SInt(6) at width 40. */
export function normalizeExpWidth(width: number): number {
  return signedWidth(-RECIP_PAD, width - 1 - RECIP_PAD);
}

// ---- the leading-one detector -------------------------------------------------------------------

/** Leaves of the tree for an n-bit input. */
function leafCount(width: number): number {
  return Math.ceil(width / LEAF_BITS);
}

/** LUT levels of the tree: the leaf encoders and clog2(leaves) merge levels. */
export function leadingOneLevels(width: number): number {
  return 1 + clog2(leafCount(width));
}

/** Width of the detected position: 2 bits per leaf plus one per merge level. */
export function leadingOnePosWidth(width: number): number {
  return clog2(LEAF_BITS) + clog2(leafCount(width));
}

/** Registers inside the tree, at most LEVELS_PER_STAGE LUT levels apart (the caller registers the top). */
export function leadingOneStages(width: number): number {
  return Math.ceil(leadingOneLevels(width) / LEVELS_PER_STAGE) - 1;
}

export interface LeadingOne {
  /** 1 when some bit of x is set. Combinational, `stages` cycles behind x. */
  any: Expr;
  /** The position of the highest set bit of x (0 when x = 0), UInt(leadingOnePosWidth). Combinational. */
  pos: Expr;
  /** Registers inside the tree: `any` and `pos` describe the x of `stages` cycles ago. */
  stages: number;
}

interface LodNode {
  any: Expr;
  pos: Expr;
}

function orAll(bits: (Expr | undefined)[]): Expr {
  const present = bits.filter((b): b is Expr => b !== undefined);
  return present.length === 0 ? lit(0, Bool) : present.reduce((a, b) => a.or(b));
}

/** Priority encoder of up to 4 bits (b[0] the lowest): any, and the 2-bit position of the highest one. */
function leafEncoder(b: (Expr | undefined)[]): LodNode {
  const [b0, b1, b2, b3] = b;
  const pos1 = orAll([b3, b2]);
  // pos0: b3, or b1 when b2 is clear.
  const b1NotB2 = b1 === undefined ? undefined : b2 === undefined ? b1 : b1.and(b2.not());
  const pos0 = orAll([b3, b1NotB2]);
  return { any: orAll([b0, b1, b2, b3]), pos: cat(pos1, pos0) };
}

/**
 * A leading-one detector (priority encoder) over x, as a tree: 4-bit leaf encoders (one LUT level),
 * then clog2(leaves) levels of two-way merges, each one LUT level:
 *   any = any_hi | any_lo,   pos = {any_hi, any_hi ? pos_hi : pos_lo}
 * (a node without a partner has an all-zero upper half: {0, pos_lo}). `stages` registers are spread
 * over the levels as evenly as possible, never after the last one: the caller registers the top.
 */
export function leadingOne(m: Module, prefix: string, x: Expr, stages = leadingOneStages(x.width)): LeadingOne {
  const levels = leadingOneLevels(x.width);
  if (!Number.isInteger(stages) || stages < 0 || stages >= levels) throw new RangeError(`leadingOne: stages must be 0..${levels - 1}, got ${stages}`);
  // registeredLevels(levels, stages + 1) always registers the last level; that register is the caller's.
  const regAfter = registeredLevels(levels, stages + 1);
  const register = (level: number, nodes: LodNode[]): LodNode[] =>
    nodes.map((n, i) => ({
      any: regOf(m, `${prefix}_any_l${level}_${i}`, n.any),
      pos: regOf(m, `${prefix}_pos_l${level}_${i}`, n.pos),
    }));

  let nodes: LodNode[] = [];
  for (let g = 0; g < leafCount(x.width); g++) {
    nodes.push(leafEncoder(Array.from({ length: LEAF_BITS }, (_, i) => (g * LEAF_BITS + i < x.width ? x.bit(g * LEAF_BITS + i) : undefined))));
  }
  if (regAfter[0] && levels > 1) nodes = register(0, nodes);
  for (let level = 1; level < levels; level++) {
    const next: LodNode[] = [];
    for (let i = 0; i < nodes.length; i += 2) {
      const lo = nodes[i]!;
      const hi = nodes[i + 1];
      next.push(hi ? { any: hi.any.or(lo.any), pos: cat(hi.any, mux(hi.any, hi.pos, lo.pos)) } : { any: lo.any, pos: cat(lit(0, Bool), lo.pos) });
    }
    nodes = regAfter[level] && level < levels - 1 ? register(level, next) : next;
  }
  return { any: nodes[0]!.any, pos: nodes[0]!.pos, stages };
}

// ---- pipeline helpers ---------------------------------------------------------------------------

/** A signed value whose range is known to fit `w` bits, brought to exactly w bits. */
function fitSigned(v: Expr, w: number): Expr {
  return v.width > w ? v.trunc(w) : v.ext(w);
}

/** The registered read at addr of a ROM holding the used part of a table. */
function tableRead(m: Module, addr: Expr, table: number[], bits: number, romName: string, dataName: string): Expr {
  return m.memory(romName, UInt(bits), table.length, { init: table }).read(addr, { name: dataName });
}

// ---- rsqrt --------------------------------------------------------------------------------------

/** Bits of j = hb >> 1, the shift amount of rsqrtUnit. */
function rsqrtAmountBits(width: number): number {
  return leadingOnePosWidth(width) - 1;
}

/** Cycles from in_valid to out_valid (one input per cycle, no stalls): 7 at width 53. */
export function rsqrtUnitLatency(p: ScalarUnitParams = RSQRT_UNIT_DEFAULTS): number {
  return leadingOneStages(p.width) + 1 + shiftChunks(rsqrtAmountBits(p.width)).length + 1;
}

const rsqrtUnitGen = defineModule('rsqrt_unit', (m, p: ScalarUnitParams) => {
  checkParams(p);
  const s = m.input('s', UInt(p.width));
  const inValid = m.input('in_valid', Bool);
  const mant = m.output('mant', UInt(RSQRT_MANT_BITS));
  const exp = m.output('exp', SInt(rsqrtExpWidth(p.width)));
  const zero = m.output('zero', Bool);
  const outValid = m.output('out_valid', Bool);

  // LOD, then HB: j = hb >> 1 (hb's low bit only decides the rounding of k, which j already has).
  const lod = leadingOne(m, 'lod', s);
  const pw = lod.pos.width;
  const j = regOf(m, 'j', lod.pos.slice(pw - 1, 1));
  const zeroHb = regOf(m, 'zero_hb', lod.any.not());
  const sHb = delay(m, 's', s, lod.stages + 1);

  // SH: idx = ((s << 8) >> 2j)[9:0].
  const sh = stagedShiftRight(m, 'idx', cat(sHb, lit(0, UInt(RSQRT_PAD))), j, RSQRT.indexBits, { scaleLog: 1, delayAmount: true });
  const idx = m.let('idx', sh.value);
  // ROM: entries 256 .. 1023 at idx - 256. Top index bits 01, 10, 11 -> 00, 01, 10; 00 (s = 0 only) -> 00.
  const i9 = idx.bit(RSQRT.indexBits - 1);
  const i8 = idx.bit(RSQRT.indexBits - 2);
  const addr = cat(i9.and(i8), i9.and(i8.not()), idx.slice(RSQRT.indexBits - 3, 0));
  // OUT: the bank mux of the three EBRs (or the external memory's word) ends in a fabric register.
  m.assign(mant, regOf(m, 'mant_q', tableRead(m, addr, scalarTable('rsqrt'), RSQRT_MANT_BITS, 'rsqrt_rom', 'rom_q')));

  // exp = -23 - k = -16 - j, computed after HB and carried through the shift, ROM and OUT stages.
  const expHb = fitSigned(lit(RSQRT_EXP_BASE).sub(j.toSigned()), exp.width);
  const after = sh.stages + 2;
  m.assign(exp, delay(m, 'exp', expHb, after));
  m.assign(zero, delay(m, 'zero', zeroHb, after));
  m.assign(outValid, delay(m, 'valid', inValid, rsqrtUnitLatency(p), 0));
});

/** The rsqrt unit: rsqrtUnit() is the default width 53 (`rsqrt_unit_width53`). */
export function rsqrtUnit(p: Partial<ScalarUnitParams> = {}): Module {
  return rsqrtUnitGen({ width: p.width ?? RSQRT_UNIT_DEFAULTS.width });
}

// ---- normalize16 + recip127 ---------------------------------------------------------------------

/** Cycles from in_valid to out_valid (one input per cycle, no stalls): 6 at width 40. */
export function normalizeRecipUnitLatency(p: ScalarUnitParams = NORMALIZE_RECIP_UNIT_DEFAULTS): number {
  return leadingOneStages(p.width) + 1 + shiftChunks(leadingOnePosWidth(p.width)).length;
}

const normalizeRecipUnitGen = defineModule('normalize_recip_unit', (m, p: ScalarUnitParams) => {
  checkParams(p);
  const x = m.input('m', UInt(p.width));
  const inValid = m.input('in_valid', Bool);
  const mant = m.output('mant', UInt(RECIP.mantissaBits));
  const exp = m.output('exp', SInt(normalizeExpWidth(p.width)));
  const recip = m.output('recip', UInt(RECIP_BITS));
  const zero = m.output('zero', Bool);
  const outValid = m.output('out_valid', Bool);

  const lod = leadingOne(m, 'lod', x);
  const hb = regOf(m, 'hb', lod.pos);
  const zeroHb = regOf(m, 'zero_hb', lod.any.not());
  const xHb = delay(m, 'm', x, lod.stages + 1);

  // SH: mant = ((m << 15) >> hb)[15:0], registered; the same value addresses the ROM.
  const sh = stagedShiftRight(m, 'mant', cat(xHb, lit(0, UInt(RECIP_PAD))), hb, RECIP.mantissaBits, { delayAmount: true });
  const mantNext = m.let('mant_next', sh.value);
  m.assign(mant, regOf(m, 'mant_q', mantNext));
  // ROM: entries 512 .. 1023 at mant[14:6] (mant[15] is 1 for every m > 0).
  m.assign(recip, tableRead(m, mantNext.slice(RECIP.mantissaBits - 2, RECIP_DROP), scalarTable('recip'), RECIP_BITS, 'recip_rom', 'recip_q'));

  // exp = hb - 15.
  const expHb = fitSigned(hb.toSigned().sub(RECIP_PAD), exp.width);
  const after = sh.stages + 1;
  m.assign(exp, delay(m, 'exp', expHb, after));
  m.assign(zero, delay(m, 'zero', zeroHb, after));
  m.assign(outValid, delay(m, 'valid', inValid, normalizeRecipUnitLatency(p), 0));
});

/** The normalize + reciprocal unit: normalizeRecipUnit() is the default width 40 (`normalize_recip_unit_width40`). */
export function normalizeRecipUnit(p: Partial<ScalarUnitParams> = {}): Module {
  return normalizeRecipUnitGen({ width: p.width ?? NORMALIZE_RECIP_UNIT_DEFAULTS.width });
}
