// The units' wiring shared by the accelerator's tops: the row unit and its operands, the BitLinear's
// scalars (m -> normalize16 and 127 / m, S -> rsqrt, then the output scale) in the serial scalar unit,
// q into the matvec unit, the results back into the vector memories, the argmax, the debug read-out.
// The tops differ in where weights, parameter words and embedding codes come from (on-chip memory or a
// DRAM stream) and in their controllers; they hand those in here.
import { lit, mux, type Expr } from '../../hdl/core/expr.ts';
import type { Instance } from '../../hdl/core/instance.ts';
import type { Module } from '../../hdl/core/module.ts';
import type { Signal } from '../../hdl/core/signal.ts';
import { Bool, SInt, UInt, clog2 } from '../../hdl/core/types.ts';
import { ACT, NORM_WEIGHT, QACT } from '../../numerics/formats.ts';
import { regOf } from '../units/pipeline.ts';
import { matvecUnit, matvecAccWidth } from '../units/matvec-unit.ts';
import { RECIP_BITS, MAX_SCALAR_WIDTH } from '../units/scalar-unit.ts';
import { scalarSerial, SCALAR_MODE, SCALAR_SERIAL_EXP_BITS } from '../units/scalar-serial.ts';
import { SCALE_EXP_CONST } from '../units/bitlinear-scale.ts';
import { QUANT_MM_EXP_BITS } from '../units/bitlinear-quant.ts';
import { rowUnit, ROW_OP, ROW_OP_BITS, ROW_SHIFT_BITS } from '../units/row-unit.ts';
import { DST, XSEL, YSEL, WSEL } from '../isa.ts';
import { MATVEC_STAGES, ROW_RINGS_MAX_LANES, type AccelGeometry } from '../config.ts';
import type { Decoded } from '../control/fields.ts';
import type { ElementStream } from '../control/element-stream.ts';
import { vectorWrites, type VectorMemories } from './vector-memories.ts';

/** The controller's phases the datapath acts on; a top's phase machine has these and its own. */
export type DatapathPhase = 'decode' | 'el_stream' | 'el_drain' | 'bl_p1' | 'bl_stats' | 'bl_norm' | 'bl_rsqrt' | 'bl_p2' | 'bl_qwait' | 'bl_mv' | 'dump';

/** The serial scalar unit as the top placed it (its table data comes from the top's memory) and the wires feeding it. */
export interface ScalarWiring {
  inst: Instance;
  start: Signal;
  mode: Signal;
  value: Signal;
  a: Signal;
  b: Signal;
  expIn: Signal;
}

/**
 * Places the serial scalar unit with the wires rowSide drives; `tableData` is its table word, read by the
 * top from wherever it keeps the tables (the weight memory on the UP5K, a ROM on the external target).
 */
export function placeScalarUnit(m: Module, c: Expr, tableData: Expr): ScalarWiring {
  const start = m.wire('scalar_start', Bool);
  const mode = m.wire('scalar_mode', UInt(2));
  const value = m.wire('scalar_value', UInt(MAX_SCALAR_WIDTH));
  const a = m.wire('scalar_a', UInt(16));
  const b = m.wire('scalar_b', UInt(16));
  const expIn = m.wire('scalar_exp_in', SInt(SCALAR_SERIAL_EXP_BITS));
  const inst = m.instance('u_scalar', scalarSerial(), { start, mode, value, a, b, c, exp_in: expIn, table_data: tableData });
  return { inst, start, mode, value, a, b, expIn };
}

export interface RowSideInputs {
  phase: { is(s: DatapathPhase): Expr };
  /** The parameter word of the element at the row unit's operand stage (early or late, as the op takes w). */
  paramWord: Expr;
  /** The embedding code of the element at the operand stage. */
  embByte: Expr;
  scalar: ScalarWiring;
  /** The matvec unit's start (driven here) and its weight words: valid and data from the top, ready back. */
  mvStart: Signal;
  matrix: { valid: Expr; data: Expr; ready: Signal };
  ports: { tokOutData: Signal; dbgValid: Signal; dbgData: Signal };
}

export interface RowSide {
  embScale: Signal;
  normGo: Signal;
  scaleSetup: Signal;
  scalarDone: Expr;
  outIdx: Signal;
  anyWrite: Signal;
}

/** An unsigned value brought to exactly w bits (its range is known to fit). */
export const fit = (e: Expr, w: number): Expr => (e.width > w ? e.trunc(w) : e.zext(w));

export function rowSide(m: Module, g: AccelGeometry, dec: Decoded, s: ElementStream, vm: VectorMemories, i: RowSideInputs): RowSide {
  const { f, eq } = dec;
  const { phase, paramWord, embByte, scalar } = i;
  const nW = f.n.width;
  const act = SInt(ACT.bits);

  // ---- the row unit -------------------------------------------------------------------------------------
  const inP1 = phase.is('bl_p1');
  const inP2 = phase.is('bl_p2');
  const inEl = phase.is('el_stream');
  // The op of the elements on their way in (one cycle behind the index).
  const inMv = phase.is('bl_mv');
  const rowOpNow = m.wire('row_op_now', UInt(ROW_OP_BITS));
  m.comb(() => {
    rowOpNow.set(f.rowop);
    m.if(inP1, () => rowOpNow.set(lit(ROW_OP.stats, UInt(ROW_OP_BITS))));
    m.if(inP2, () => rowOpNow.set(lit(ROW_OP.quant, UInt(ROW_OP_BITS))));
    m.if(inMv, () => rowOpNow.set(lit(ROW_OP.scale, UInt(ROW_OP_BITS))));
  });
  const rowOp = regOf(m, 'row_op', rowOpNow);
  const rowIn = regOf(m, 'row_in', inP1.or(inP2).or(inEl), 0);
  const embScale = m.reg('emb_scale', UInt(NORM_WEIGHT.bits));
  const xOperand = m.wire('row_x', act);
  const yOperand = m.wire('row_y', act);
  const wOperand = m.wire('row_w', UInt(NORM_WEIGHT.bits));
  m.comb(() => {
    xOperand.set(vm.m1Rd);
    m.if(eq(f.xsel, XSEL.m2), () => xOperand.set(vm.m2Rd));
    m.if(eq(f.xsel, XSEL.m3), () => xOperand.set(vm.m3Rd));
    m.if(eq(f.xsel, XSEL.emb), () => xOperand.set(embByte.asSigned().ext(ACT.bits)));
    yOperand.set(vm.m1Rd);
    m.if(eq(f.ysel, YSEL.m2), () => yOperand.set(vm.m2Rd));
    m.if(eq(f.ysel, YSEL.m3), () => yOperand.set(vm.m3Rd));
    wOperand.set(paramWord);
    m.if(eq(f.wsel, WSEL.m1), () => wOperand.set(vm.m1Rd.asUnsigned().trunc(NORM_WEIGHT.bits)));
    m.if(eq(f.wsel, WSEL.emb), () => wOperand.set(embScale));
  });
  const mmMant = m.reg('mm_mant', UInt(16));
  const mmExp = m.reg('mm_exp', SInt(QUANT_MM_EXP_BITS));
  const mmZero = m.reg('mm_zero', Bool);
  const recip = m.reg('recip', UInt(RECIP_BITS));
  // The output scale of the BitLinear running (its setup in u_scale): M (0 when the output is all zero), -E.
  const scaleM = m.reg('scale_m', UInt(16));
  const scaleShift = m.reg('scale_shift', SInt(ROW_SHIFT_BITS));
  const scaleZero = m.reg('scale_zero', Bool);
  const accValid = m.wire('acc_valid', Bool);
  const accData = m.wire('acc_data', SInt(matvecAccWidth(g.maxCols)));
  const rowLate = m.let('row_late', vm.isLateOp(rowOp));
  const row = m.instance('u_row', rowUnit({ maxCols: g.maxCols, rings: g.lanes <= ROW_RINGS_MAX_LANES ? 1 : 0 }), {
    op: rowOp,
    in_valid: s.rdValid.and(rowIn).and(rowLate.not()),
    first: s.rdFirst,
    last: s.rdLast,
    x: xOperand,
    w: paramWord,
    in_valid_late: mux(inMv, accValid, s.rdValid.and(rowIn).and(rowLate)),
    op_late: rowOp,
    x_late: mux(inMv, accData.ext(ACT.bits), xOperand),
    y_late: yOperand,
    w_late: wOperand,
    shift: mux(inMv, scaleShift, f.shift.ext(ROW_SHIFT_BITS)),
    qshift: mmExp.add(15).trunc(6).asUnsigned(),
    recip,
    has_lb: f.haslb.bit(0),
    mult: mux(scaleZero, lit(0, UInt(16)), scaleM),
  });
  const rowOut = row.out('out');
  const rowValid = row.out('out_valid');

  // ---- the BitLinear's scalars: m -> normalize16 and 127 / m, S -> rsqrt, then the output scale's setup
  const scalarDone = scalar.inst.out('done');
  const mSeen = m.reg('m_seen', Bool, { reset: 0 });
  const sSeen = m.reg('s_seen', Bool, { reset: 0 });
  const normGo = m.let('norm_go', phase.is('bl_stats').and(mSeen).and(sSeen));
  const rsqrtGo = m.let('rsqrt_go', phase.is('bl_norm').and(scalarDone));
  // m, then S, as the row unit holds them from m_valid and s_valid on
  m.assign(scalar.value, mux(rsqrtGo, fit(row.out('s'), MAX_SCALAR_WIDTH), fit(row.out('m'), MAX_SCALAR_WIDTH)));
  const qDone = m.reg('q_done', Bool, { reset: 0 });
  const scaleReady = m.reg('scale_ready', Bool, { reset: 0 });
  // With rsqrt done, the same unit computes the output scale (M, E) from mm, t and C while pass 2 runs.
  const scaleSetup = m.let('scale_setup', phase.is('bl_rsqrt').and(scalarDone));
  const scalePending = m.reg('scale_pending', Bool, { reset: 0 });
  m.assign(scalar.start, normGo.or(rsqrtGo).or(scaleSetup));
  m.assign(scalar.mode, mux(normGo, lit(SCALAR_MODE.normalize, UInt(2)), mux(rsqrtGo, lit(SCALAR_MODE.rsqrt, UInt(2)), lit(SCALAR_MODE.scale, UInt(2)))));
  m.assign(scalar.a, mmMant);
  m.assign(scalar.b, scalar.inst.out('mant')); // rsqrt's t, in the cycle it is done
  // exp_in = mm_exp + t_exp + C's exp + the norm's exp + 8 (numerics/bitlinear.ts step 6)
  const eW = SCALAR_SERIAL_EXP_BITS + 2;
  m.assign(scalar.expIn, mmExp.ext(eW).add(scalar.inst.out('exp').ext(eW)).add(f.cexp.ext(eW)).add(f.nexp.ext(eW)).add(SCALE_EXP_CONST).trunc(SCALAR_SERIAL_EXP_BITS));
  m.sync(() => {
    m.if(row.out('m_valid'), () => mSeen.set(1));
    m.if(row.out('s_valid'), () => sSeen.set(1));
    m.if(rsqrtGo, () => {
      mmMant.set(scalar.inst.out('mant'));
      mmExp.set(scalar.inst.out('exp').trunc(QUANT_MM_EXP_BITS));
      mmZero.set(scalar.inst.out('zero'));
      recip.set(scalar.inst.out('table_word').trunc(RECIP_BITS));
    });
    m.if(scaleSetup, () => {
      scaleZero.set(mmZero.or(scalar.inst.out('zero')));
      scalePending.set(1);
    });
    m.if(scalePending.and(scalarDone), () => {
      scalePending.set(0);
      scaleReady.set(1);
      scaleM.set(scalar.inst.out('mant'));
      scaleShift.set(scalar.inst.out('exp').neg().ext(ROW_SHIFT_BITS));
    });
    m.if(phase.is('decode'), () => {
      mSeen.set(0);
      sSeen.set(0);
      scaleReady.set(0);
    });
  });

  // q into the matvec unit: the QUANT pass's outputs, in order.
  const qIdx = m.reg('q_idx', UInt(nW), { reset: 0 });
  const qWrite = m.let('q_write', rowValid.and(phase.is('bl_p2').or(phase.is('bl_qwait'))));
  m.sync(() => {
    m.if(qWrite, () => {
      qIdx.set(qIdx.add(1).trunc(nW));
      m.if(qIdx.eq(f.n.sub(1).trunc(nW)), () => qDone.set(1));
    });
    m.if(phase.is('decode'), () => {
      qIdx.set(0);
      qDone.set(0);
    });
  });
  const qAw = Math.max(1, clog2(g.maxCols));
  const matvec = m.instance('u_matvec', matvecUnit({ lanes: g.lanes, maxRows: g.maxRows, maxCols: g.maxCols, stages: MATVEC_STAGES }), {
    q_wr_en: qWrite,
    q_wr_addr: qIdx.zext(qAw + nW).trunc(qAw),
    q_wr_data: rowOut.trunc(QACT.bits),
    start: i.mvStart,
    rows: f.rows.zext(clog2(g.maxRows + 1) + f.rows.width).trunc(clog2(g.maxRows + 1)),
    cols: f.n.zext(clog2(g.maxCols + 1) + nW).trunc(clog2(g.maxCols + 1)),
    w_valid: i.matrix.valid,
    w_data: i.matrix.data,
  });
  m.assign(i.matrix.ready, matvec.out('w_ready'));
  m.sink(matvec.out('busy'), matvec.out('done'));
  m.assign(accValid, matvec.out('acc_valid'));
  m.assign(accData, matvec.out('acc_data'));
  m.sink(matvec.out('acc_row'));
  m.assign(i.mvStart, phase.is('bl_qwait').and(qDone).and(scaleReady));

  // ---- writes into the vector memories --------------------------------------------------------------------
  const idxW = Math.max(nW, f.rows.width);
  const outIdx = m.reg('out_idx', UInt(idxW), { reset: 0 });
  const anyWrite = m.let('wr_any', rowValid.and(phase.is('el_stream').or(phase.is('el_drain')).or(inMv)));
  m.sync(() => {
    m.if(anyWrite, () => outIdx.set(outIdx.add(1).trunc(idxW)));
    m.if(phase.is('decode'), () => outIdx.set(0));
  });
  const blOut = m.let('bl_out', rowValid.and(inMv));
  vectorWrites(m, g, dec, vm, { rowOut, anyWrite, outIdx, idxW });

  // Argmax over the logits, first maximum wins (as model/engine.ts argmax).
  const best = m.reg('best', act);
  m.sync(() => {
    m.if(blOut.and(eq(f.dst, DST.logits)).and(outIdx.eq(0).or(rowOut.gt(best))), () => {
      best.set(rowOut);
      i.ports.tokOutData.set(fit(outIdx, g.tokenBits));
    });
  });

  // ---- debug read-out --------------------------------------------------------------------------------------
  m.sync(() => {
    i.ports.dbgValid.set(s.rdValid.and(phase.is('dump')));
    i.ports.dbgData.set(xOperand); // the x operand's multiplexer already picks the memory a DUMP names
  });
  return { embScale, normGo, scaleSetup, scalarDone, outIdx, anyWrite };
}
