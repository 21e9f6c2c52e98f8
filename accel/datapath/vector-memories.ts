// The vector memories (accel/isa.ts: M1 H, G, A; M2 U, S; M3 B), each with one registered read port
// addressed by the stream's index (or its late index) plus the op's region base, and one write port fed
// by the row unit's results in order (vectorWrites).
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
  m1Rd: Expr;
  m2Rd: Expr;
  m3Rd: Expr;
  /** Whether a row op enters the row unit at its late ports (ROW_LATE_OPS) or early. */
  isLateOp: (e: Expr) => Expr;
  /** An element op that enters early and takes y and w late. */
  lateOperands: Signal;
  /** For vectorWrites. */
  M1: Memory;
  M2: Memory;
  M3: Memory;
  m1Depth: number;
  m2Depth: number;
  m3Depth: number;
  sBase: Signal;
  regionAddr: (base: Expr | number, at: Expr, depth: number) => Expr;
}

export function vectorMemories(m: Module, g: AccelGeometry, dec: Decoded, s: ElementStream): VectorMemories {
  const { d, I, L, V } = g;
  const { f, eq, isOp } = dec;
  const act = SInt(ACT.bits);
  const isLateOp = (e: Expr): Expr => [...ROW_LATE_OPS].map((o) => eq(e, ROW_OP[o])).reduce((a, b) => a.or(b));
  // Element ops that enter early take y and w late (instructions never run STATS or QUANT themselves).
  const lateOperands = m.let('late_operands', isOp('element').and(isLateOp(f.rowop).not()));
  const yLateFrom = (sel: number) => lateOperands.and(eq(f.ysel, sel));
  const m1Idx = m.let('m1_idx', mux(yLateFrom(YSEL.m1).or(lateOperands.and(eq(f.wsel, WSEL.m1))), s.idxLate, s.idx));
  const m2Idx = m.let('m2_idx', mux(yLateFrom(YSEL.m2), s.idxLate, s.idx));
  const m3Idx = m.let('m3_idx', mux(yLateFrom(YSEL.m3), s.idxLate, s.idx));

  // ---- region base + index ------------------------------------------------------------------------------
  const maxUI = Math.max(d, I);
  const regionAddr = (base: Expr | number, at: Expr, depth: number): Expr => {
    const w = aw(depth);
    const b = typeof base === 'number' ? lit(base, UInt(Math.max(1, clog2(base + 1)))) : base;
    const sumW = Math.max(b.width, at.width, w) + 1;
    return b.zext(sumW).add(at.zext(sumW)).trunc(w);
  };
  // H, G, and A for f, gate and (when kept, config.ts keepLogits) the logits
  const m1Depth = 2 * d + Math.max(d, I, g.keepLogits ? V : 0);
  const m1Base = (reg: Expr): Expr => mux(eq(reg, M1REG.h), lit(0, UInt(aw(m1Depth))), mux(eq(reg, M1REG.g), lit(d, UInt(aw(m1Depth))), lit(2 * d, UInt(aw(m1Depth)))));
  const M1 = m.memory('vec_m1', act, m1Depth);
  const m1Rd = M1.read(regionAddr(m1Base(f.m1reg), m1Idx, m1Depth), { name: 'm1_rd' });
  const m2Depth = maxUI + L * d;
  const sBase = m.let('s_base', regionAddr(maxUI, f.sbase, m2Depth)); // the layer's state
  const M2 = m.memory('vec_m2', act, m2Depth);
  const m2Rd = M2.read(regionAddr(mux(eq(f.m2reg, M2REG.s), sBase, lit(0, UInt(aw(m2Depth)))), m2Idx, m2Depth), { name: 'm2_rd' });
  const m3Depth = maxUI;
  const M3 = m.memory('vec_m3', act, m3Depth);
  const m3Rd = M3.read(regionAddr(0, m3Idx, m3Depth), { name: 'm3_rd' });
  return { m1Rd, m2Rd, m3Rd, isLateOp, lateOperands, M1, M2, M3, m1Depth, m2Depth, m3Depth, sBase, regionAddr };
}

/**
 * Results of element ops and BitLinear rows alike come out of the row unit in order: `outIdx` counts
 * them, and the op's destination picks the memory and region (a split's rows < I to A, the rest to B).
 */
export function vectorWrites(m: Module, g: AccelGeometry, dec: Decoded, vm: VectorMemories, w: { rowOut: Expr; anyWrite: Expr; outIdx: Signal; idxW: number }): void {
  const { d, I } = g;
  const { f, eq } = dec;
  const { rowOut, anyWrite, outIdx, idxW } = w;
  const { M1, M2, M3, m1Depth, m2Depth, m3Depth, sBase, regionAddr } = vm;
  const dstIs = (x: number) => eq(f.dst, x);
  const rowHigh = m.let('row_high', outIdx.zext(idxW + 1).ge(I));
  const rowLow = m.let('row_minus_i', outIdx.zext(idxW + 1).sub(I).trunc(idxW));
  // M1: H, G, A (A also takes the gate rows of a split and the logits, when kept).
  const m1WBase = mux(dstIs(DST.h), lit(0, UInt(aw(m1Depth))), mux(dstIs(DST.g), lit(d, UInt(aw(m1Depth))), lit(2 * d, UInt(aw(m1Depth)))));
  const toM1 = dstIs(DST.h).or(dstIs(DST.g)).or(dstIs(DST.a)).or(g.keepLogits ? dstIs(DST.logits) : lit(0, UInt(1))).or(dstIs(DST.split).and(rowHigh.not()));
  M1.write(regionAddr(m1WBase, outIdx, m1Depth), rowOut, anyWrite.and(toM1));
  const toM2 = dstIs(DST.u).or(dstIs(DST.s));
  M2.write(regionAddr(mux(dstIs(DST.s), sBase, lit(0, UInt(aw(m2Depth)))), outIdx, m2Depth), rowOut, anyWrite.and(toM2));
  const toM3 = dstIs(DST.b).or(dstIs(DST.split).and(rowHigh));
  M3.write(regionAddr(0, mux(dstIs(DST.split), rowLow.zext(idxW), outIdx), m3Depth), rowOut, anyWrite.and(toM3));
}
