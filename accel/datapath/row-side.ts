// The units' wiring shared by the accelerator's tops: the row unit and its operands, the BitLinear's
// scalars (m -> normalize16 and 127 / m, S -> rsqrt, then the output scale) in the serial scalar unit,
// q into the matvec unit, the results back into the vector memories, the argmax, the debug read-out.
// The tops differ in where weights, parameter words and embedding codes come from (on-chip memory or a
// DRAM stream) and in their controllers; they hand those in here.
//
// R lanes (AccelGeometry.rowLanes): R row units side by side, lane r taking element R idx + r of each
// word the vector memories read (vector-memories.ts), with its own parameter word and embedding code.
// A STATS pass leaves a partial m and S in each lane: m is their maximum, S their sum (registered, one
// cycle later than a single lane's). A QUANT pass writes R q's a cycle into the matvec unit (qLanes). A
// BitLinear's output rows come one at a time, so their SCALE runs in lane 0 alone.
import { cat, lit, mux, type Expr } from '../../hdl/core/expr.ts';
import type { Instance } from '../../hdl/core/instance.ts';
import type { Module } from '../../hdl/core/module.ts';
import type { Signal } from '../../hdl/core/signal.ts';
import { Bool, SInt, UInt, clog2 } from '../../hdl/core/types.ts';
import { ACT, NORM_WEIGHT, QACT } from '../../numerics/formats.ts';
import { delay, regOf } from '../units/pipeline.ts';
import { matvecUnit, matvecAccWidth, type MatvecUnitOptions } from '../units/matvec-unit.ts';
import { RECIP_BITS } from '../units/scalar-tables.ts';
import { MAX_SCALAR_WIDTH, SCALE_EXP_CONST, QUANT_MM_EXP_BITS } from '../units/scalar-widths.ts';
import { scalarSerial, SCALAR_MODE, SCALAR_SERIAL_EXP_BITS } from '../units/scalar-serial.ts';
import { rowUnit, rowUnitLatency, rowUnitLateOffset, ROW_OP, ROW_OP_BITS, ROW_SHIFT_BITS } from '../units/row-unit.ts';
import { DST, XSEL, YSEL, WSEL, WALK } from '../isa.ts';
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
  /** The R parameter words (lane r in bits [16 r + 15 : 16 r]) at the row units' operand stage (early or late, as the op takes w). */
  paramWord: Expr;
  /** The R embedding codes (lane r in bits [8 r + 7 : 8 r]) at the operand stage. */
  embByte: Expr;
  scalar: ScalarWiring;
  /** The matvec unit's start (driven here) and its weight words: valid and data from the top, ready back. */
  mvStart: Signal;
  matrix: { valid: Expr; data: Expr; ready: Signal };
  ports: { tokOutData: Signal; dbgValid: Signal; dbgData: Signal };
  /**
   * The matrix runs beside the controller (accel/top.ts with `overlap`): from mvStart until its last row is
   * written it keeps its own rows and destination (its output scale stays: the next one waits for that
   * row), and its SCALEs enter lane 0 whatever the controller's phase, so the instructions after it can
   * run meanwhile (accel/overlap.ts says which); its rows leave the row unit among their results, told
   * apart by scale_tag.
   */
  overlap?: boolean;
}

export interface RowSide {
  embScale: Signal;
  normGo: Signal;
  scaleSetup: Signal;
  scalarDone: Expr;
  outIdx: Signal;
  anyWrite: Signal;
  /** With `overlap`: 1 from the cycle after mvStart until the matrix's last row is written. */
  mvActive?: Signal;
  /** With `overlap`: the matrix's last row is written in this cycle. */
  rowsDone?: Expr;
  /** With `overlap`: the matrix has words still to take (its q is still read: the next pass 2 waits). */
  mvFeeding?: Expr;
  /**
   * A row of the matrix running, before its output scale: an FFF's node_in takes its branch from the
   * sign (accel/control/tree-walk.ts). `live` is 0 when the BitLinear's output is all zero (no input,
   * or S = 0): numerics/fff.ts then branches as for a zero sum.
   */
  row: { valid: Expr; data: Expr; live: Expr };
}

/**
 * The matvec unit as the row side places it, for the geometry (accel/timing.ts reads its timing from the
 * same options): an FFF model's adds the column mode, node_out's D + 1 levels against d outputs.
 */
export function matvecUnitOptions(g: AccelGeometry): MatvecUnitOptions {
  return { lanes: g.lanes, maxRows: g.maxRows, maxCols: g.maxCols, stages: MATVEC_STAGES, qLanes: g.rowLanes, ...(g.fff ? { columns: g.fff.levels, columnLanes: g.fff.columnLanes } : {}) };
}

/** An unsigned value brought to exactly w bits (its range is known to fit). */
export const fit = (e: Expr, w: number): Expr => (e.width > w ? e.trunc(w) : e.zext(w));

export function rowSide(m: Module, g: AccelGeometry, dec: Decoded, s: ElementStream, vm: VectorMemories, i: RowSideInputs): RowSide {
  const { f, eq } = dec;
  const { phase, paramWord, embByte, scalar } = i;
  const nW = f.n.width;
  const act = SInt(ACT.bits);
  const R = g.rowLanes;
  const log2R = clog2(R);
  const lanes = Array.from({ length: R }, (_, k) => k);
  const sfx = (k: number) => (R === 1 ? '' : `_l${k}`);
  const part = (e: Expr, bits: number, k: number): Expr => (R === 1 ? e : e.slice(bits * k + bits - 1, bits * k));

  // ---- the row units --------------------------------------------------------------------------------------
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
  const mmMant = m.reg('mm_mant', UInt(16));
  const mmExp = m.reg('mm_exp', SInt(QUANT_MM_EXP_BITS));
  const mmZero = m.reg('mm_zero', Bool);
  const recip = m.reg('recip', UInt(RECIP_BITS));
  // The output scale of the BitLinear running (its setup in u_scale): M (0 when the output is all zero), -E.
  const scaleM = m.reg('scale_m', UInt(16));
  const scaleShift = m.reg('scale_shift', SInt(ROW_SHIFT_BITS));
  const scaleZero = m.reg('scale_zero', Bool);
  // With overlap, the matrix in flight keeps its own copy of what its rows need (the controller's
  // instruction register moves on to the next instructions meanwhile); the next BITLINEAR's output scale
  // waits in the scalar unit's result registers until the matrix's last row (scale_done, below).
  const ovl = i.overlap === true;
  const mvActive = ovl ? m.reg('mv_active', Bool, { reset: 0 }) : undefined;
  const mvRows = ovl ? m.reg('mv_rows', UInt(f.rows.width)) : undefined;
  const mvDst = ovl ? m.reg('mv_dst', UInt(f.dst.width)) : undefined;
  const mvSel = mvActive ?? inMv; // SCALEs enter lane 0 and rows are written while this is 1
  const accValid = m.wire('acc_valid', Bool);
  const accData = m.wire('acc_data', SInt(matvecAccWidth(g.maxCols)));
  const rowLate = m.let('row_late', vm.isLateOp(rowOp));
  const xOperands: Signal[] = [];
  const rows = lanes.map((k) => {
    const xOperand = m.wire(`row_x${sfx(k)}`, act);
    const yOperand = m.wire(`row_y${sfx(k)}`, act);
    const wOperand = m.wire(`row_w${sfx(k)}`, UInt(NORM_WEIGHT.bits));
    const wParam = part(paramWord, 16, k);
    m.comb(() => {
      xOperand.set(vm.m1Rd[k]!);
      m.if(eq(f.xsel, XSEL.m2), () => xOperand.set(vm.m2Rd[k]!));
      m.if(eq(f.xsel, XSEL.m3), () => xOperand.set(vm.m3Rd[k]!));
      m.if(eq(f.xsel, XSEL.emb), () => xOperand.set(part(embByte, 8, k).asSigned().ext(ACT.bits)));
      yOperand.set(vm.m1Rd[k]!);
      m.if(eq(f.ysel, YSEL.m2), () => yOperand.set(vm.m2Rd[k]!));
      m.if(eq(f.ysel, YSEL.m3), () => yOperand.set(vm.m3Rd[k]!));
      wOperand.set(wParam);
      m.if(eq(f.wsel, WSEL.m1), () => wOperand.set(vm.m1Rd[k]!.asUnsigned().trunc(NORM_WEIGHT.bits)));
      m.if(eq(f.wsel, WSEL.emb), () => wOperand.set(embScale));
    });
    xOperands.push(xOperand);
    // Lane 0 also takes the matvec unit's rows for their SCALE (the other lanes are idle then: no pass runs).
    const lateIn = s.rdValid.and(rowIn).and(rowLate);
    return m.instance(`u_row${sfx(k)}`, rowUnit({ maxCols: g.maxCols, rings: g.lanes <= ROW_RINGS_MAX_LANES ? 1 : 0 }), {
      op: rowOp,
      in_valid: s.rdValid.and(rowIn).and(rowLate.not()),
      first: s.rdFirst,
      last: s.rdLast,
      x: xOperand,
      w: wParam,
      in_valid_late: k === 0 ? mux(mvSel, accValid, lateIn) : lateIn,
      op_late: k === 0 && ovl ? mux(mvSel, lit(ROW_OP.scale, UInt(ROW_OP_BITS)), rowOp) : rowOp,
      x_late: k === 0 ? mux(mvSel, accData.ext(ACT.bits), xOperand) : xOperand,
      y_late: yOperand,
      w_late: wOperand,
      shift: mux(mvSel, scaleShift, f.shift.ext(ROW_SHIFT_BITS)),
      qshift: mmExp.add(15).trunc(6).asUnsigned(),
      recip,
      has_lb: f.haslb.bit(0),
      mult: mux(scaleZero, lit(0, UInt(16)), scaleM),
    });
  });
  const rowOuts = rows.map((row) => row.out('out'));
  const rowOut = rowOuts[0]!;
  const rowValid = rows[0]!.out('out_valid'); // every lane's results come in the same cycles
  rows.slice(1).forEach((row) => m.sink(row.out('out_valid')));

  // ---- the BitLinear's scalars: m -> normalize16 and 127 / m, S -> rsqrt, then the output scale's setup
  // With R lanes, m is the lanes' maximum and S their sum, registered (the units hold theirs until the
  // next STATS pass), so they are seen after the lanes' m_valid and s_valid: S a cycle after, m log2(R).
  // `staged` registers every level of the tree, not only its root: the max tree's levels are a compare's
  // carry chain and a mux each, and three of them in one cycle (R = 8) were the ECPIX-5's critical path
  // (74.2 MHz against its 75). Its valid is delayed to match; m is final four cycles before S is
  // (row-unit.ts), so the extra log2(R) - 1 cycles (4 at R = 32, the most a 512-bit port allows) never
  // delay the normalisation that waits for both.
  const combined = (name: string, out: string, join: (a: Expr, b: Expr) => Expr, staged: boolean): { value: Expr; latency: number } => {
    if (R === 1) return { value: rows[0]!.out(out), latency: 0 };
    // a balanced tree, each node named (a max uses its operands twice: unnamed, the expression doubles a level)
    let level: Expr[] = rows.map((row) => row.out(out));
    let depth = 0;
    for (; level.length > 1; depth++) {
      const d = depth;
      const last = level.length <= 2;
      const node = (k: string, v: Expr): Expr => (last ? v : staged ? regOf(m, k, v) : m.let(k, v));
      level = Array.from({ length: Math.ceil(level.length / 2) }, (_, k) => (2 * k + 1 < level.length ? node(`${name}_t${d}_${k}`, join(level[2 * k]!, level[2 * k + 1]!)) : level[2 * k]!));
    }
    return { value: regOf(m, name, level[0]!), latency: staged ? depth : 1 };
  };
  const statM = combined('stat_m', 'm', (a, b) => mux(a.gt(b), a, b), true);
  const statS = combined('stat_s', 's', (a, b) => a.add(b).trunc(a.width), false);
  const statValid = (out: string, latency: number) => {
    rows.slice(1).forEach((row) => m.sink(row.out(out)));
    return R === 1 ? rows[0]!.out(out) : delay(m, `stat_${out}`, rows[0]!.out(out), latency, 0);
  };
  const mValid = statValid('m_valid', statM.latency);
  const sValid = statValid('s_valid', statS.latency);
  const scalarDone = scalar.inst.out('done');
  const mSeen = m.reg('m_seen', Bool, { reset: 0 });
  const sSeen = m.reg('s_seen', Bool, { reset: 0 });
  const normGo = m.let('norm_go', phase.is('bl_stats').and(mSeen).and(sSeen));
  const rsqrtGo = m.let('rsqrt_go', phase.is('bl_norm').and(scalarDone));
  // m, then S, as the row unit holds them from m_valid and s_valid on
  m.assign(scalar.value, mux(rsqrtGo, fit(statS.value, MAX_SCALAR_WIDTH), fit(statM.value, MAX_SCALAR_WIDTH)));
  const qDone = m.reg('q_done', Bool, { reset: 0 });
  const scaleReady = m.reg('scale_ready', Bool, { reset: 0 });
  // With rsqrt done, the same unit computes the output scale (M, E) from mm, t and C while pass 2 runs.
  const scaleSetup = m.let('scale_setup', phase.is('bl_rsqrt').and(scalarDone));
  const scalePending = m.reg('scale_pending', Bool, { reset: 0 });
  // With overlap: the output scale is computed (held by the scalar unit, which starts nothing before the
  // matvec does) but the matrix in flight still scales its rows with the one before.
  const scaleZeroNext = ovl ? m.reg('scale_zero_next', Bool) : undefined;
  const scaleDone = ovl ? m.reg('scale_done', Bool, { reset: 0 }) : undefined;
  const scaleFree = ovl ? m.wire('scale_free', Bool) : undefined;
  m.assign(scalar.start, normGo.or(rsqrtGo).or(scaleSetup));
  m.assign(scalar.mode, mux(normGo, lit(SCALAR_MODE.normalize, UInt(2)), mux(rsqrtGo, lit(SCALAR_MODE.rsqrt, UInt(2)), lit(SCALAR_MODE.scale, UInt(2)))));
  m.assign(scalar.a, mmMant);
  m.assign(scalar.b, scalar.inst.out('mant')); // rsqrt's t, in the cycle it is done
  // exp_in = mm_exp + t_exp + C's exp + the norm's exp + 8 (numerics/bitlinear.ts step 6; the program
  // sums the two exponents it knows into sexp)
  const eW = SCALAR_SERIAL_EXP_BITS + 2;
  m.assign(scalar.expIn, mmExp.ext(eW).add(scalar.inst.out('exp').ext(eW)).add(f.sexp.ext(eW)).add(SCALE_EXP_CONST).trunc(SCALAR_SERIAL_EXP_BITS));
  m.sync(() => {
    m.if(mValid, () => mSeen.set(1));
    m.if(sValid, () => sSeen.set(1));
    m.if(rsqrtGo, () => {
      mmMant.set(scalar.inst.out('mant'));
      mmExp.set(scalar.inst.out('exp').trunc(QUANT_MM_EXP_BITS));
      mmZero.set(scalar.inst.out('zero'));
      recip.set(scalar.inst.out('table_word').trunc(RECIP_BITS));
    });
    m.if(scaleSetup, () => {
      (scaleZeroNext ?? scaleZero).set(mmZero.or(scalar.inst.out('zero')));
      scalePending.set(1);
    });
    if (scaleZeroNext && scaleDone && scaleFree) {
      const computed = scalePending.and(scalarDone).or(scaleDone);
      m.if(scalePending.and(scalarDone), () => {
        scalePending.set(0);
        scaleDone.set(1);
      });
      m.if(computed.and(scaleFree), () => {
        scaleDone.set(0);
        scaleReady.set(1);
        scaleZero.set(scaleZeroNext);
        scaleM.set(scalar.inst.out('mant'));
        scaleShift.set(scalar.inst.out('exp').neg().ext(ROW_SHIFT_BITS));
      });
    } else {
      m.if(scalePending.and(scalarDone), () => {
        scalePending.set(0);
        scaleReady.set(1);
        scaleM.set(scalar.inst.out('mant'));
        scaleShift.set(scalar.inst.out('exp').neg().ext(ROW_SHIFT_BITS));
      });
    }
    m.if(phase.is('decode'), () => {
      mSeen.set(0);
      sSeen.set(0);
      scaleReady.set(0);
    });
  });

  // q into the matvec unit: the QUANT pass's outputs, in order, R a cycle (one word of the q store's groups).
  const qIdx = m.reg('q_idx', UInt(nW), { reset: 0 });
  // With overlap a row unit output is a matrix row when it entered lane 0's late port as acc_valid (that
  // entry's latency before): pass 2 may run while the last rows of the matrix before it are on their way.
  const scaleTag = ovl ? delay(m, 'scale_tag', accValid, rowUnitLatency() - rowUnitLateOffset(), 0) : undefined;
  const qWrite = m.let('q_write', scaleTag ? rowValid.and(scaleTag.not()).and(phase.is('bl_p2').or(phase.is('bl_qwait'))) : rowValid.and(phase.is('bl_p2').or(phase.is('bl_qwait'))));
  const qWords = R === 1 ? f.n : f.n.shr(log2R).zext(nW);
  m.sync(() => {
    m.if(qWrite, () => {
      qIdx.set(qIdx.add(1).trunc(nW));
      m.if(qIdx.eq(qWords.sub(1).trunc(nW)), () => qDone.set(1));
    });
    m.if(phase.is('decode'), () => {
      qIdx.set(0);
      qDone.set(0);
    });
  });
  const qAw = Math.max(1, clog2(Math.ceil(g.maxCols / R)));
  const qData = R === 1 ? rowOut.trunc(QACT.bits) : cat(...rowOuts.map((o) => o.trunc(QACT.bits)).reverse());
  const matvec = m.instance('u_matvec', matvecUnit(matvecUnitOptions(g)), {
    q_wr_en: qWrite,
    q_wr_addr: qIdx.zext(qAw + nW).trunc(qAw),
    q_wr_data: qData,
    start: i.mvStart,
    rows: f.rows.zext(clog2(g.maxRows + 1) + f.rows.width).trunc(clog2(g.maxRows + 1)),
    cols: f.n.zext(clog2(g.maxCols + 1) + nW).trunc(clog2(g.maxCols + 1)),
    w_valid: i.matrix.valid,
    w_data: i.matrix.data,
    ...(g.fff ? { columns: eq(f.walk, WALK.columns) } : {}),
  });
  m.assign(i.matrix.ready, matvec.out('w_ready'));
  m.sink(...(ovl ? [] : [matvec.out('busy')]), matvec.out('done'));
  m.assign(accValid, matvec.out('acc_valid'));
  m.assign(accData, matvec.out('acc_data'));
  m.sink(matvec.out('acc_row'));
  m.assign(i.mvStart, phase.is('bl_qwait').and(qDone).and(scaleReady));

  // ---- writes into the vector memories --------------------------------------------------------------------
  const idxW = Math.max(nW, f.rows.width);
  const outIdx = m.reg('out_idx', UInt(idxW), { reset: 0 });
  let anyWrite: Signal;
  let blOut: Signal;
  let rowIdx: Expr = outIdx; // the row a BitLinear's output is
  let dstW: Expr = f.dst;
  let rowsDone: Expr | undefined;
  if (mvActive && mvRows && mvDst && scaleTag && scaleFree) {
    // With overlap an element op's results and the matrix's rows leave the row unit in the same stream: a
    // row (scale_tag) is written with the matrix's own row count and destination; the rest are the op's.
    const mvIdx = m.reg('mv_idx', UInt(idxW), { reset: 0 });
    blOut = m.let('bl_out', rowValid.and(scaleTag));
    anyWrite = m.let('wr_any', rowValid.and(scaleTag.not()).and(phase.is('el_stream').or(phase.is('el_drain'))));
    rowIdx = mvIdx;
    dstW = m.let('wr_dst', mux(scaleTag, mvDst, f.dst));
    const wrIdx = m.wire('wr_idx', UInt(idxW));
    m.assign(wrIdx, mux(scaleTag, mvIdx, outIdx));
    vectorWrites(m, g, { ...dec, f: { ...f, dst: dstW } }, vm, { rowOut: rowOuts, anyWrite: blOut.or(anyWrite), wide: scaleTag.not(), outIdx: wrIdx, idxW });
    rowsDone = m.let('mv_rows_done', mvActive.and(mvIdx.eq(mvRows)).and(blOut.not()));
    m.assign(scaleFree, mvActive.not().or(rowsDone));
    m.sync(() => {
      m.if(anyWrite, () => outIdx.set(outIdx.add(1).trunc(idxW)));
      m.if(phase.is('decode'), () => outIdx.set(0));
      m.if(blOut, () => mvIdx.set(mvIdx.add(1).trunc(idxW)));
      m.if(rowsDone!, () => mvActive.set(0));
      m.if(i.mvStart, () => {
        mvIdx.set(0);
        mvActive.set(1);
        mvRows.set(f.rows);
        mvDst.set(f.dst);
      });
    });
  } else {
    anyWrite = m.let('wr_any', rowValid.and(phase.is('el_stream').or(phase.is('el_drain')).or(inMv)));
    m.sync(() => {
      m.if(anyWrite, () => outIdx.set(outIdx.add(1).trunc(idxW)));
      m.if(phase.is('decode'), () => outIdx.set(0));
    });
    blOut = m.let('bl_out', rowValid.and(inMv));
    vectorWrites(m, g, dec, vm, { rowOut: rowOuts, anyWrite, wide: inMv.not(), outIdx, idxW });
  }

  // Argmax over the logits, first maximum wins (as model/engine.ts argmax).
  const best = m.reg('best', act);
  m.sync(() => {
    m.if(blOut.and(eq(dstW, DST.logits)).and(rowIdx.eq(0).or(rowOut.gt(best))), () => {
      best.set(rowOut);
      i.ports.tokOutData.set(fit(rowIdx, g.tokenBits));
    });
  });

  // ---- debug read-out --------------------------------------------------------------------------------------
  // The x operands' multiplexers already pick the memory a DUMP names; with R lanes a DUMP's index counts
  // elements, and the element is lane idx mod R of the word read (registered with the read).
  const dumpX = R === 1 ? xOperands[0]! : (() => {
    const lane = regOf(m, 'dump_lane', s.idx.slice(log2R - 1, 0));
    const x = m.wire('dump_x', act);
    m.comb(() => {
      x.set(xOperands[0]!);
      const sw = m.switch(lane);
      for (let k = 1; k < R; k++) sw.case(k, () => x.set(xOperands[k]!));
      sw.default(() => {});
    });
    return x;
  })();
  m.sync(() => {
    i.ports.dbgValid.set(s.rdValid.and(phase.is('dump')));
    i.ports.dbgData.set(dumpX);
  });
  const mvFeeding = mvActive ? m.let('mv_feeding', mvActive.and(matvec.out('busy'))) : undefined;
  const row = { valid: accValid, data: accData, live: scaleZero.not() };
  return { embScale, normGo, scaleSetup, scalarDone, outIdx, anyWrite, row, ...(mvActive ? { mvActive, rowsDone, mvFeeding } : {}) };
}
