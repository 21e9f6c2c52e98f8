// The vector memories (accel/isa.ts: M1 H, G, A; M2 U, S; M3 B), each with one registered read port
// addressed by the stream's index (or its late index) plus the op's region base, and one write port fed
// by the row unit's results in order (vectorWrites).
//
// With a row side of R lanes (AccelGeometry.rowLanes) each memory is R banks, element e in bank e mod R
// at word e / R, and the stream's index counts words: one read gives lane r element R idx + r of every
// region (the regions start at multiples of R: d and I are). An element op writes its R results in one
// word; a BitLinear's rows come one a cycle and go to their own bank. A DUMP streams single elements:
// its index counts elements, and the debug port takes lane idx mod R of word idx / R.
import { lit, mux, type Expr } from '../../hdl/core/expr.ts';
import type { Memory } from '../../hdl/core/memory.ts';
import type { Module } from '../../hdl/core/module.ts';
import type { Signal } from '../../hdl/core/signal.ts';
import { SInt, UInt, clog2 } from '../../hdl/core/types.ts';
import { ACT } from '../../numerics/formats.ts';
import { ROW_LATE_OPS, ROW_OP } from '../units/row-unit.ts';
import { DST, M1REG, M2REG, WSEL, YSEL } from '../isa.ts';
import type { AccelGeometry } from '../config.ts';
import type { Decoded } from '../control/fields.ts';
import type { ElementStream } from '../control/element-stream.ts';

const aw = (depth: number) => Math.max(1, clog2(depth));

export interface VectorMemories {
  /** Per lane: the lane's element of the word read (one registered read port per memory). */
  m1Rd: Expr[];
  m2Rd: Expr[];
  m3Rd: Expr[];
  /** Whether a row op enters the row unit at its late ports (ROW_LATE_OPS) or early. */
  isLateOp: (e: Expr) => Expr;
  /** An element op that enters early and takes y and w late. */
  lateOperands: Signal;
  /** For vectorWrites: the banks of each memory (one when R = 1), their depth in words. */
  M1: Memory[];
  M2: Memory[];
  M3: Memory[];
  m1Depth: number;
  m2Depth: number;
  m3Depth: number;
  /** The layer's state region's first word. */
  sBase: Signal;
  regionAddr: (base: Expr | number, at: Expr, depth: number) => Expr;
}

/** Banks of one memory: `name` itself for one lane, name_l0 .. for R. */
function banked(m: Module, name: string, R: number, depthWords: number): Memory[] {
  const act = SInt(ACT.bits);
  return R === 1 ? [m.memory(name, act, depthWords)] : Array.from({ length: R }, (_, r) => m.memory(`${name}_l${r}`, act, depthWords));
}

function readAll(banks: Memory[], addr: Expr, name: string): Expr[] {
  return banks.map((b, r) => b.read(addr, { name: banks.length === 1 ? name : `${name}_l${r}` }));
}

export function vectorMemories(m: Module, g: AccelGeometry, dec: Decoded, s: ElementStream): VectorMemories {
  const { d, L, V } = g;
  const I = g.inner; // the GLU's I, or an FFF's path of D + 1 (its N nodes never sit in a vector)
  const R = g.rowLanes;
  const r = clog2(R);
  const { f, eq, isOp } = dec;
  const isLateOp = (e: Expr): Expr => [...ROW_LATE_OPS].map((o) => eq(e, ROW_OP[o])).reduce((a, b) => a.or(b));
  // Element ops that enter early take y and w late (instructions never run STATS or QUANT themselves).
  const lateOperands = m.let('late_operands', isOp('element').and(isLateOp(f.rowop).not()));
  const yLateFrom = (sel: number) => lateOperands.and(eq(f.ysel, sel));
  // The word read: the stream's index, or for a DUMP (which counts elements) its word.
  const at = R === 1 ? s.idx : m.let('vec_word', mux(isOp('dump'), s.idx.shr(r).zext(s.idx.width), s.idx));
  const m1Idx = m.let('m1_idx', mux(yLateFrom(YSEL.m1).or(lateOperands.and(eq(f.wsel, WSEL.m1))), s.idxLate, at));
  const m2Idx = m.let('m2_idx', mux(yLateFrom(YSEL.m2), s.idxLate, at));
  const m3Idx = m.let('m3_idx', mux(yLateFrom(YSEL.m3), s.idxLate, at));

  // ---- region base + index (in words) ---------------------------------------------------------------------
  const maxUI = Math.max(d, I);
  const regionAddr = (base: Expr | number, idx: Expr, depth: number): Expr => {
    const w = aw(depth);
    const b = typeof base === 'number' ? lit(base, UInt(Math.max(1, clog2(base + 1)))) : base;
    const sumW = Math.max(b.width, idx.width, w) + 1;
    return b.zext(sumW).add(idx.zext(sumW)).trunc(w);
  };
  const words = (elements: number) => Math.ceil(elements / R);
  // H, G, and A for f, gate and (when kept, config.ts keepLogits) the logits
  const m1Depth = words(2 * d + Math.max(d, I, g.keepLogits ? V : 0));
  const m1Base = (reg: Expr): Expr => mux(eq(reg, M1REG.h), lit(0, UInt(aw(m1Depth))), mux(eq(reg, M1REG.g), lit(d / R, UInt(aw(m1Depth))), lit((2 * d) / R, UInt(aw(m1Depth)))));
  const M1 = banked(m, 'vec_m1', R, m1Depth);
  const m1Rd = readAll(M1, regionAddr(m1Base(f.m1reg), m1Idx, m1Depth), 'm1_rd');
  const m2Depth = words(maxUI + L * d);
  // the layer's state: sbase counts elements, a multiple of d
  const sbaseWords = R === 1 ? f.sbase : f.sbase.shr(r);
  if (R > 1) m.sink(f.sbase.slice(r - 1, 0)); // 0: a multiple of d
  const sBase = m.let('s_base', regionAddr(maxUI / R, sbaseWords, m2Depth));
  const M2 = banked(m, 'vec_m2', R, m2Depth);
  const m2Rd = readAll(M2, regionAddr(mux(eq(f.m2reg, M2REG.s), sBase, lit(0, UInt(aw(m2Depth)))), m2Idx, m2Depth), 'm2_rd');
  const m3Depth = words(maxUI);
  const M3 = banked(m, 'vec_m3', R, m3Depth);
  const m3Rd = readAll(M3, regionAddr(0, m3Idx, m3Depth), 'm3_rd');
  return { m1Rd, m2Rd, m3Rd, isLateOp, lateOperands, M1, M2, M3, m1Depth, m2Depth, m3Depth, sBase, regionAddr };
}

/**
 * Results of element ops and BitLinear rows alike come out of the row unit in order: `outIdx` counts
 * them (words of R results for an element op, `wide`; single rows of lane 0 for a BitLinear), and the
 * op's destination picks the memory and region (a split's rows < I to A, the rest to B).
 */
export function vectorWrites(m: Module, g: AccelGeometry, dec: Decoded, vm: VectorMemories, w: { rowOut: Expr[]; anyWrite: Expr; wide: Expr; outIdx: Signal; idxW: number }): void {
  const { d, I } = g;
  const R = g.rowLanes;
  const r = clog2(R);
  const { f, eq } = dec;
  const { rowOut, anyWrite, wide, outIdx, idxW } = w;
  const { M1, M2, M3, m1Depth, m2Depth, m3Depth, sBase, regionAddr } = vm;
  const dstIs = (x: number) => eq(f.dst, x);
  // A split (the GLU's gate_up) sends rows < I to A and the rest to B; an FFF model has none.
  const split = g.fff
    ? undefined
    : { is: dstIs(DST.split), high: m.let('row_high', outIdx.zext(idxW + 1).ge(I)), low: m.let('row_minus_i', outIdx.zext(idxW + 1).sub(I).trunc(idxW)) };
  // Writes `at` (a word index for a wide write, an element index otherwise) from the region's first word.
  const write = (banks: Memory[], base: Expr | number, at: Expr, depth: number, en: Expr) => {
    if (R === 1) return banks[0]!.write(regionAddr(base, at, depth), rowOut[0]!, en);
    const addr = regionAddr(base, mux(wide, at, at.shr(r).zext(at.width)), depth);
    const lane = at.slice(r - 1, 0);
    banks.forEach((b, k) => b.write(addr, mux(wide, rowOut[k]!, rowOut[0]!), en.and(wide.or(lane.eq(k)))));
  };
  // M1: H, G, A (A also takes the gate rows of a split and the logits, when kept).
  const m1WBase = mux(dstIs(DST.h), lit(0, UInt(aw(m1Depth))), mux(dstIs(DST.g), lit(d / R, UInt(aw(m1Depth))), lit((2 * d) / R, UInt(aw(m1Depth)))));
  const toM1 = dstIs(DST.h).or(dstIs(DST.g)).or(dstIs(DST.a)).or(g.keepLogits ? dstIs(DST.logits) : lit(0, UInt(1))).or(split ? split.is.and(split.high.not()) : lit(0, UInt(1)));
  write(M1, m1WBase, outIdx, m1Depth, anyWrite.and(toM1));
  const toM2 = dstIs(DST.u).or(dstIs(DST.s));
  write(M2, mux(dstIs(DST.s), sBase, lit(0, UInt(aw(m2Depth)))), outIdx, m2Depth, anyWrite.and(toM2));
  const toM3 = split ? dstIs(DST.b).or(split.is.and(split.high)) : dstIs(DST.b);
  write(M3, 0, split ? mux(split.is, split.low.zext(idxW), outIdx) : outIdx, m3Depth, anyWrite.and(toM3));
}
