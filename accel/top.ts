// The accelerator's top level: weight memory, vector memories, the datapath units and the controller
// that runs the per-token program of accel/program.ts. docs/architecture.md has the block diagram.
//
// Ports
//   load_valid / load_ready / load_data   the weight-load stream: the image's 16-bit words in order, from
//                                         reset; `loaded` rises after the last one (load_ready falls)
//   load_seek, load_seek_addr             a pulse moves the stream to word load_seek_addr and clears
//                                         `loaded` (a host reloading, or sending a chunk again)
//   load_index                            the word the next load_valid writes
//   tok_in_valid / tok_in_ready / tok_in_data     one token id per step (accepted once loaded and idle)
//   tok_in_clear                          with the token: run the CLEAR routine instead (every recurrent
//                                         state to 0; the token is ignored, and tok_out repeats the last argmax)
//   tok_out_valid / tok_out_ready / tok_out_data  the argmax of the step's logits
//   debug_en, dbg_valid, dbg_data          with debug_en = 1 the program's DUMP ops stream vectors (layer
//                                         inputs, states, logits; accel/program.ts dumpSlots) out here,
//                                         one 24-bit word per cycle, no back-pressure
//   step_cycles                            cycles of the last step from token in to token out, DUMPs excluded
//
// Units: the matvec unit (P lanes), the row unit (every per-element op, and the BitLinear quantiser's two
// passes), the output scale unit, and the two scalar units whose tables live in the weight memory.
// The controller runs one instruction at a time, and one unit pass at a time (the row unit needs that):
// fetch, then a phase machine per op class. Each vector memory (isa.ts: M1, M2, M3) has one registered
// read port addressed by the stream index plus the op's region base, so an element's operands arrive
// together one cycle after its index; results are written back by counters that advance with the
// units' valid outputs, in order.
import { buildModule, type Module } from '../hdl/index.ts';
import { cat, lit, mux, type Expr } from '../hdl/core/expr.ts';
import type { Signal } from '../hdl/core/signal.ts';
import { Fsm } from '../hdl/core/fsm.ts';
import { Bool, SInt, UInt, clog2 } from '../hdl/core/types.ts';
import { singlePortRam } from '../hdl/lib/memories.ts';
import { ACT, NORM_WEIGHT, QACT } from '../numerics/formats.ts';
import { regOf } from './units/pipeline.ts';
import { matvecUnit, matvecAccWidth } from './units/matvec-unit.ts';
import { RECIP_BITS, MAX_SCALAR_WIDTH } from './units/scalar-unit.ts';
import { scalarSerial, SCALAR_MODE, SCALAR_SERIAL_EXP_BITS } from './units/scalar-serial.ts';
import { SCALE_EXP_CONST } from './units/bitlinear-scale.ts';
import { QUANT_MM_EXP_BITS } from './units/bitlinear-quant.ts';
import { rowUnit, rowUnitLateOffset, ROW_OP, ROW_OP_BITS, ROW_SHIFT_BITS, ROW_LATE_OPS } from './units/row-unit.ts';
import { OP, XSEL, YSEL, WSEL, M1REG, M2REG, DST, type FieldName } from './isa.ts';
import type { AccelProgram } from './program.ts';
import { MATVEC_STAGES, ROW_RINGS_MAX_LANES } from './config.ts';
import { predictCycles } from './timing.ts';

/**
 * Width of the step_cycles counter: four times the predicted cycles per token fit (a counter that
 * wraps would be a wrong number, not a late one); at least 16 bits. Every bit is two flip-flops of an
 * UP5K that has none to spare.
 */
export function stepCyclesBits(prog: AccelProgram): number {
  return Math.max(16, clog2(4 * predictCycles(prog).total));
}

const aw = (depth: number) => Math.max(1, clog2(depth));

/** Width of the weight-load index (load_seek_addr): every word of the image, and one past the last. */
export function loadIndexBits(prog: AccelProgram): number {
  return Math.max(1, clog2(prog.image.length + 1));
}
/** An unsigned value brought to exactly w bits (its range is known to fit). */
const fit = (e: Expr, w: number): Expr => (e.width > w ? e.trunc(w) : e.zext(w));

export function accelTop(prog: AccelProgram, name = 'mmf_accel'): Module {
  return buildModule(name, (m) => {
    const g = prog.geometry;
    const { d, I, L, V, banks: B } = g;
    const log2B = clog2(B);
    const act = SInt(ACT.bits);
    const layout = prog.layout;
    const nW = layout.fields.n.width;

    // ---- ports ------------------------------------------------------------------------------------
    const loadValid = m.input('load_valid', Bool);
    const loadReady = m.output('load_ready', Bool);
    const loadData = m.input('load_data', UInt(16));
    const loaded = m.output('loaded', Bool, { reg: true, reset: 0 });
    const tokInValid = m.input('tok_in_valid', Bool);
    const tokInReady = m.output('tok_in_ready', Bool);
    const tokInData = m.input('tok_in_data', UInt(g.tokenBits));
    const tokInClear = m.input('tok_in_clear', Bool);
    const tokOutValid = m.output('tok_out_valid', Bool);
    const tokOutReady = m.input('tok_out_ready', Bool);
    const tokOutData = m.output('tok_out_data', UInt(g.tokenBits), { reg: true, reset: 0 });
    const debugEn = m.input('debug_en', Bool);
    const dbgValid = m.output('dbg_valid', Bool, { reg: true, reset: 0 });
    const dbgData = m.output('dbg_data', act, { reg: true });
    const cyclesBits = stepCyclesBits(prog);
    const stepCycles = m.output('step_cycles', UInt(cyclesBits), { reg: true, reset: 0 });

    // ---- the program: fetched from the weight memory, instructionWideWords wide words per instruction -----
    const iw = prog.instructionWideWords;
    const irBits = iw * 16 * B;
    const ir = m.reg('ir', UInt(irBits), { reset: 0 });
    const fetchK = m.reg('fetch_k', UInt(Math.max(1, clog2(iw))), { reset: 0 });
    const field = (f: FieldName): Expr => {
      const x = layout.fields[f];
      const e = ir.slice(x.lo + x.width - 1, x.lo);
      return m.let(`ir_${f}`, x.signed ? e.asSigned() : e);
    };
    const op = field('op');
    const fRowop = field('rowop');
    const fN = field('n');
    const fRows = field('rows');
    const fParam = field('param');
    const fSbase = field('sbase');
    const fWbase = field('wbase');
    const fShift = field('shift');
    const fXsel = field('xsel');
    const fYsel = field('ysel');
    const fWsel = field('wsel');
    const fM1reg = field('m1reg');
    const fM2reg = field('m2reg');
    const fDst = field('dst');
    const fHasLb = field('haslb');
    const fCmant = field('cmant');
    const fCexp = field('cexp');
    const fNexp = field('nexp');
    const eq = (e: Expr, v: number) => e.eq(lit(v, UInt(e.width)));
    const isOp = (o: keyof typeof OP) => eq(op, OP[o]);

    m.sink(irBits > layout.width ? ir.slice(irBits - 1, layout.width) : lit(0, Bool));
    const fsm = new Fsm(m, 'phase', [
      'idle', 'fetch', 'fetch_wait', 'decode', 'emb_scale', 'emb_scale_wait', 'el_stream', 'el_drain',
      'bl_p1', 'bl_stats', 'bl_norm', 'bl_rsqrt', 'bl_p2', 'bl_qwait', 'bl_mv', 'dump', 'out', 'next',
    ] as const);

    // ---- the element stream: index j over n elements, operands one cycle later ---------------------
    const streaming = m.reg('streaming', Bool, { reset: 0 });
    const idx = m.reg('idx', UInt(nW), { reset: 0 });
    const idxLast = m.let('idx_last', idx.eq(fN.sub(1).trunc(nW)));
    const rdValid = m.reg('rd_valid', Bool, { reset: 0 });
    const rdFirst = m.reg('rd_first', Bool, { reset: 0 });
    const rdLast = m.reg('rd_last', Bool, { reset: 0 });
    const startStream = m.wire('start_stream', Bool);
    m.sync(() => {
      rdValid.set(streaming);
      rdFirst.set(streaming.and(idx.eq(0)));
      rdLast.set(streaming.and(idxLast));
      m.if(streaming, () => {
        idx.set(idx.add(1).trunc(nW));
        m.if(idxLast, () => streaming.set(0));
      });
      m.if(startStream, () => {
        streaming.set(1);
        idx.set(0);
      });
    });

    // The late index: the stream's index LATE cycles later. Ops that go through the sigmoid enter the row
    // unit with x and take y and w at its late ports (row-unit.ts): those two are read at idx_late.
    // The stream issues one element per cycle without stalls, so idx_late is the cycles since the stream
    // started less LATE (a count restarted by every stream, which no earlier stream's tail can disturb).
    const LATE = rowUnitLateOffset();
    const sinceStart = m.reg('since_start', UInt(nW + 1), { reset: 0 });
    m.sync(() => {
      sinceStart.set(sinceStart.add(1).trunc(nW + 1));
      m.if(startStream, () => sinceStart.set(0));
    });
    const idxLate = m.let('idx_late', sinceStart.sub(LATE).trunc(nW));
    // Whether an op enters the row unit at its late ports (ROW_LATE_OPS) or early.
    const isLateOp = (e: Expr): Expr => [...ROW_LATE_OPS].map((o) => eq(e, ROW_OP[o])).reduce((a, b) => a.or(b));
    // Element ops that enter early take y and w late (instructions never run STATS or QUANT themselves).
    const lateOperands = m.let('late_operands', isOp('element').and(isLateOp(fRowop).not()));
    const yLateFrom = (sel: number) => lateOperands.and(eq(fYsel, sel));
    const m1Idx = m.let('m1_idx', mux(yLateFrom(YSEL.m1).or(lateOperands.and(eq(fWsel, WSEL.m1))), idxLate, idx));
    const m2Idx = m.let('m2_idx', mux(yLateFrom(YSEL.m2), idxLate, idx));
    const m3Idx = m.let('m3_idx', mux(yLateFrom(YSEL.m3), idxLate, idx));

    // ---- vector memories: region base + index ---------------------------------------------------------
    const maxUI = Math.max(d, I);
    const regionAddr = (base: Expr | number, at: Expr, depth: number): Expr => {
      const w = aw(depth);
      const b = typeof base === 'number' ? lit(base, UInt(Math.max(1, clog2(base + 1)))) : base;
      const sumW = Math.max(b.width, at.width, w) + 1;
      return b.zext(sumW).add(at.zext(sumW)).trunc(w);
    };
    const m1Depth = 2 * d + Math.max(d, I, V);
    const m1Base = (reg: Expr): Expr => mux(eq(reg, M1REG.h), lit(0, UInt(aw(m1Depth))), mux(eq(reg, M1REG.g), lit(d, UInt(aw(m1Depth))), lit(2 * d, UInt(aw(m1Depth)))));
    const M1 = m.memory('vec_m1', act, m1Depth);
    const m1Rd = M1.read(regionAddr(m1Base(fM1reg), m1Idx, m1Depth), { name: 'm1_rd' });
    const m2Depth = maxUI + L * d;
    const sBase = m.let('s_base', regionAddr(maxUI, fSbase, m2Depth)); // the layer's state
    const M2 = m.memory('vec_m2', act, m2Depth);
    const m2Rd = M2.read(regionAddr(mux(eq(fM2reg, M2REG.s), sBase, lit(0, UInt(aw(m2Depth)))), m2Idx, m2Depth), { name: 'm2_rd' });
    const m3Depth = maxUI;
    const M3 = m.memory('vec_m3', act, m3Depth);
    const m3Rd = M3.read(regionAddr(0, m3Idx, m3Depth), { name: 'm3_rd' });

    // ---- the weight memory: B banks of 16 bits (SPRAM on the UP5K) ------------------------------------
    const imageWords = prog.image.length;
    const loadIdxW = loadIndexBits(prog);
    const loadIdx = m.reg('load_idx', UInt(loadIdxW), { reset: 0 });
    m.assign(loadReady, loaded.not());
    const loadFire = m.let('load_fire', loadValid.and(loaded.not()));
    const loadSeek = m.input('load_seek', Bool);
    const loadSeekAddr = m.input('load_seek_addr', UInt(loadIdxW));
    m.assign(m.output('load_index', UInt(loadIdxW)), loadIdx);
    m.sync(() => {
      m.if(loadFire, () => {
        loadIdx.set(loadIdx.add(1).trunc(loadIdxW));
        m.if(loadIdx.eq(imageWords - 1), () => loaded.set(1));
      });
      m.if(loadSeek, () => {
        loadIdx.set(loadSeekAddr);
        loaded.set(0);
      });
    });
    const wAw = aw(g.weightWords);
    const wRaddr = m.wire('w_raddr', UInt(wAw));
    const loadWide = m.let('load_wide', loadIdxW > log2B ? loadIdx.slice(loadIdxW - 1, log2B).zext(wAw + loadIdxW).trunc(wAw) : lit(0, UInt(wAw)));
    const bankData: Signal[] = [];
    for (let b = 0; b < B; b++) {
      const sel = B === 1 ? lit(1, Bool) : loadIdx.slice(log2B - 1, 0).eq(b);
      const we = m.let(`w_we${b}`, loadFire.and(sel));
      const inst = m.instance(`u_wmem${b}`, singlePortRam({ width: 16, depth: g.weightWords }), {
        addr: mux(loaded, wRaddr, loadWide),
        wdata: loadData,
        we,
      });
      bankData.push(m.let(`w_rd${b}`, inst.out('rdata')));
    }
    const wideData = m.let('w_wide', cat(...[...bankData].reverse()));

    // Parameter words (16 bits) share the port: word p is bank p mod B of wide word p / B. Besides the
    // stream's words (param + j), the token's row scale (param + token) and the scalar units' tables.
    const token = m.reg('token', UInt(g.tokenBits), { reset: 0 });
    const pAw = layout.fields.param.width;
    const offW = Math.max(nW, g.tokenBits, 10);
    // The BitLinear's scalars (normalize16 and 127 / m of m, then rsqrt of S), one after the other.
    const scalarStart = m.wire('scalar_start', Bool);
    const scalarMode = m.wire('scalar_mode', UInt(2));
    const scalarValue = m.wire('scalar_value', UInt(MAX_SCALAR_WIDTH));
    const scalarTableData = m.wire('scalar_table_data', UInt(16));
    const scalarA = m.wire('scalar_a', UInt(16));
    const scalarB = m.wire('scalar_b', UInt(16));
    const scalarExpIn = m.wire('scalar_exp_in', SInt(SCALAR_SERIAL_EXP_BITS));
    const scalar = m.instance('u_scalar', scalarSerial(), {
      start: scalarStart,
      mode: scalarMode,
      value: scalarValue,
      a: scalarA,
      b: scalarB,
      c: fCmant,
      exp_in: scalarExpIn,
      table_data: scalarTableData,
    });
    const scalarDone = scalar.out('done');
    // The parameter word's address, kept off the SPRAM address path's adders (they set fmax): the
    // stream's words come from two pointers that move with idx and idx_late (param + idx, param + idx -
    // LATE), and the token's row scale from a register loaded at decode; only the scalar tables' base +
    // table_addr is added on the way.
    const pSumW = Math.max(pAw, aw(prog.image.length), offW) + 1;
    const paramPtr = m.reg('param_ptr', UInt(pSumW), { reset: 0 });
    const paramPtrLate = m.reg('param_ptr_late', UInt(pSumW), { reset: 0 });
    const paramTok = m.reg('param_tok', UInt(pSumW), { reset: 0 });
    m.sync(() => {
      m.if(streaming, () => paramPtr.set(paramPtr.add(1).trunc(pSumW)));
      paramPtrLate.set(paramPtrLate.add(1).trunc(pSumW));
      m.if(startStream, () => {
        paramPtr.set(fParam.zext(pSumW));
        paramPtrLate.set(fParam.zext(pSumW).sub(LATE).trunc(pSumW));
      });
      paramTok.set(fParam.zext(pSumW).add(token.zext(pSumW)).trunc(pSumW));
    });
    const tableAddr = m.let(
      'table_addr',
      mux(fsm.is('bl_norm'), lit(prog.tables.recip, UInt(pSumW)), lit(prog.tables.rsqrt, UInt(pSumW))).add(scalar.out('table_addr').zext(pSumW)).trunc(pSumW),
    );
    const paramAddr = m.wire('param_addr', UInt(pSumW));
    m.comb(() => {
      paramAddr.set(mux(lateOperands.and(eq(fWsel, WSEL.param)), paramPtrLate, paramPtr));
      m.if(fsm.is('emb_scale'), () => paramAddr.set(paramTok));
      m.if(fsm.is('bl_norm').or(fsm.is('bl_rsqrt')), () => paramAddr.set(tableAddr));
    });
    const paramWide = m.let('param_wide', (pSumW > log2B ? paramAddr.slice(pSumW - 1, log2B) : lit(0, UInt(1))).zext(wAw + pSumW).trunc(wAw));
    const paramWord = m.wire('param_word', UInt(16));
    if (B === 1) m.assign(paramWord, bankData[0]!);
    else {
      const paramBank = regOf(m, 'param_bank', paramAddr.slice(log2B - 1, 0));
      m.comb(() => {
        paramWord.set(bankData[0]!);
        const sw = m.switch(paramBank);
        for (let b = 1; b < B; b++) sw.case(b, () => paramWord.set(bankData[b]!));
        sw.default(() => {});
      });
    }
    m.assign(scalarTableData, paramWord);

    // Embedding codes: element j of the token's row is byte j mod 2B of wide word row + j / 2B.
    const bytesLog = log2B + 1;
    const embRow = m.reg('emb_row', UInt(wAw), { reset: 0 });
    const embAddr = m.let('emb_addr', embRow.zext(wAw + 1).add(nW > bytesLog ? idx.slice(nW - 1, bytesLog).zext(wAw + 1) : lit(0, UInt(wAw + 1))).trunc(wAw));
    const embByteSel = regOf(m, 'emb_byte_sel', nW >= bytesLog ? idx.slice(bytesLog - 1, 0) : idx.zext(bytesLog));
    const embByte = m.wire('emb_byte', UInt(8));
    m.comb(() => {
      embByte.set(wideData.slice(7, 0));
      const sw = m.switch(embByteSel);
      for (let k = 1; k < 2 * B; k++) sw.case(k, () => embByte.set(wideData.slice(8 * k + 7, 8 * k)));
      sw.default(() => {});
    });

    // The matvec unit's weight reader: w_wide holds the word at mv_addr while mv_have; a taken word moves on.
    const mvAddr = m.reg('mv_addr', UInt(wAw), { reset: 0 });
    const mvHave = m.reg('mv_have', Bool, { reset: 0 });
    const mvStart = m.wire('mv_start', Bool);
    const wReady = m.wire('mv_w_ready', Bool);
    const mvFire = m.let('mv_fire', mvHave.and(wReady));
    const mvNext = m.let('mv_next', mux(mvFire, mvAddr.add(1).trunc(wAw), mvAddr));
    const embStreaming = m.let('emb_streaming', fsm.is('el_stream').and(isOp('embed')));
    const wbase = fWbase.zext(wAw + fWbase.width).trunc(wAw);
    const fetchAddr = m.reg('fetch_addr', UInt(wAw), { reset: 0 });
    const fetchLast = m.let('fetch_last', fetchK.eq(iw - 1));
    const fetching = m.let('fetching', fsm.is('fetch').or(fsm.is('fetch_wait').and(fetchLast.not())));
    m.assign(wRaddr, mux(fetching, fetchAddr, mux(mvStart, wbase, mux(fsm.is('bl_mv'), mvNext, mux(embStreaming, embAddr, paramWide)))));
    m.sync(() => {
      m.if(fsm.is('bl_mv'), () => {
        mvAddr.set(mvNext);
        mvHave.set(1);
      }).else(() => mvHave.set(0));
      m.if(mvStart, () => mvAddr.set(wbase));
    });

    // ---- the row unit -------------------------------------------------------------------------------------
    const inP1 = fsm.is('bl_p1');
    const inP2 = fsm.is('bl_p2');
    const inEl = fsm.is('el_stream');
    // The op of the elements on their way in (one cycle behind the index).
    const inMv = fsm.is('bl_mv');
    const rowOpNow = m.wire('row_op_now', UInt(ROW_OP_BITS));
    m.comb(() => {
      rowOpNow.set(fRowop);
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
      xOperand.set(m1Rd);
      m.if(eq(fXsel, XSEL.m2), () => xOperand.set(m2Rd));
      m.if(eq(fXsel, XSEL.m3), () => xOperand.set(m3Rd));
      m.if(eq(fXsel, XSEL.emb), () => xOperand.set(embByte.asSigned().ext(ACT.bits)));
      yOperand.set(m1Rd);
      m.if(eq(fYsel, YSEL.m2), () => yOperand.set(m2Rd));
      m.if(eq(fYsel, YSEL.m3), () => yOperand.set(m3Rd));
      wOperand.set(paramWord);
      m.if(eq(fWsel, WSEL.m1), () => wOperand.set(m1Rd.asUnsigned().trunc(NORM_WEIGHT.bits)));
      m.if(eq(fWsel, WSEL.emb), () => wOperand.set(embScale));
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
    const rowLate = m.let('row_late', isLateOp(rowOp));
    const row = m.instance('u_row', rowUnit({ maxCols: g.maxCols, rings: g.lanes <= ROW_RINGS_MAX_LANES ? 1 : 0 }), {
      op: rowOp,
      in_valid: rdValid.and(rowIn).and(rowLate.not()),
      first: rdFirst,
      last: rdLast,
      x: xOperand,
      w: paramWord,
      in_valid_late: mux(inMv, accValid, rdValid.and(rowIn).and(rowLate)),
      op_late: rowOp,
      x_late: mux(inMv, accData.ext(ACT.bits), xOperand),
      y_late: yOperand,
      w_late: wOperand,
      shift: mux(inMv, scaleShift, fShift.ext(ROW_SHIFT_BITS)),
      qshift: mmExp.add(15).trunc(6).asUnsigned(),
      recip,
      has_lb: fHasLb.bit(0),
      mult: mux(scaleZero, lit(0, UInt(16)), scaleM),
    });
    const rowOut = row.out('out');
    const rowValid = row.out('out_valid');

    // ---- the BitLinear's scalars: m -> normalize16 and 127 / m, S -> rsqrt, then the output scale's setup
    const mSeen = m.reg('m_seen', Bool, { reset: 0 });
    const sSeen = m.reg('s_seen', Bool, { reset: 0 });
    const normGo = m.let('norm_go', fsm.is('bl_stats').and(mSeen).and(sSeen));
    const rsqrtGo = m.let('rsqrt_go', fsm.is('bl_norm').and(scalarDone));
    // m, then S, as the row unit holds them from m_valid and s_valid on
    m.assign(scalarValue, mux(rsqrtGo, fit(row.out('s'), MAX_SCALAR_WIDTH), fit(row.out('m'), MAX_SCALAR_WIDTH)));
    const qDone = m.reg('q_done', Bool, { reset: 0 });
    const scaleReady = m.reg('scale_ready', Bool, { reset: 0 });
    // With rsqrt done, the same unit computes the output scale (M, E) from mm, t and C while pass 2 runs.
    const scaleSetup = m.let('scale_setup', fsm.is('bl_rsqrt').and(scalarDone));
    const scalePending = m.reg('scale_pending', Bool, { reset: 0 });
    m.assign(scalarStart, normGo.or(rsqrtGo).or(scaleSetup));
    m.assign(scalarMode, mux(normGo, lit(SCALAR_MODE.normalize, UInt(2)), mux(rsqrtGo, lit(SCALAR_MODE.rsqrt, UInt(2)), lit(SCALAR_MODE.scale, UInt(2)))));
    m.assign(scalarA, mmMant);
    m.assign(scalarB, scalar.out('mant')); // rsqrt's t, in the cycle it is done
    // exp_in = mm_exp + t_exp + C's exp + the norm's exp + 8 (numerics/bitlinear.ts step 6)
    const eW = SCALAR_SERIAL_EXP_BITS + 2;
    m.assign(scalarExpIn, mmExp.ext(eW).add(scalar.out('exp').ext(eW)).add(fCexp.ext(eW)).add(fNexp.ext(eW)).add(SCALE_EXP_CONST).trunc(SCALAR_SERIAL_EXP_BITS));
    m.sync(() => {
      m.if(row.out('m_valid'), () => mSeen.set(1));
      m.if(row.out('s_valid'), () => sSeen.set(1));
      m.if(rsqrtGo, () => {
        mmMant.set(scalar.out('mant'));
        mmExp.set(scalar.out('exp').trunc(QUANT_MM_EXP_BITS));
        mmZero.set(scalar.out('zero'));
        recip.set(scalar.out('table_word').trunc(RECIP_BITS));
      });
      m.if(scaleSetup, () => {
        scaleZero.set(mmZero.or(scalar.out('zero')));
        scalePending.set(1);
      });
      m.if(scalePending.and(scalarDone), () => {
        scalePending.set(0);
        scaleReady.set(1);
        scaleM.set(scalar.out('mant'));
        scaleShift.set(scalar.out('exp').neg().ext(ROW_SHIFT_BITS));
      });
      m.if(fsm.is('decode'), () => {
        mSeen.set(0);
        sSeen.set(0);
        scaleReady.set(0);
      });
    });

    // q into the matvec unit: the QUANT pass's outputs, in order.
    const qIdx = m.reg('q_idx', UInt(nW), { reset: 0 });
    const qWrite = m.let('q_write', rowValid.and(fsm.is('bl_p2').or(fsm.is('bl_qwait'))));
    m.sync(() => {
      m.if(qWrite, () => {
        qIdx.set(qIdx.add(1).trunc(nW));
        m.if(qIdx.eq(fN.sub(1).trunc(nW)), () => qDone.set(1));
      });
      m.if(fsm.is('decode'), () => {
        qIdx.set(0);
        qDone.set(0);
      });
    });
    const qAw = Math.max(1, clog2(g.maxCols));
    const matvec = m.instance('u_matvec', matvecUnit({ lanes: g.lanes, maxRows: g.maxRows, maxCols: g.maxCols, stages: MATVEC_STAGES }), {
      q_wr_en: qWrite,
      q_wr_addr: qIdx.zext(qAw + nW).trunc(qAw),
      q_wr_data: rowOut.trunc(QACT.bits),
      start: mvStart,
      rows: fRows.zext(clog2(g.maxRows + 1) + fRows.width).trunc(clog2(g.maxRows + 1)),
      cols: fN.zext(clog2(g.maxCols + 1) + nW).trunc(clog2(g.maxCols + 1)),
      w_valid: mvHave,
      w_data: wideData,
    });
    m.assign(wReady, matvec.out('w_ready'));
    m.sink(matvec.out('busy'), matvec.out('done'));
    m.assign(accValid, matvec.out('acc_valid'));
    m.assign(accData, matvec.out('acc_data'));
    m.sink(matvec.out('acc_row'));
    m.assign(mvStart, fsm.is('bl_qwait').and(qDone).and(scaleReady));

    // ---- writes into the vector memories --------------------------------------------------------------------
    // Results of element ops and BitLinear rows alike come out of the row unit in order: out_idx counts them.
    const idxW = Math.max(nW, layout.fields.rows.width);
    const outIdx = m.reg('out_idx', UInt(idxW), { reset: 0 });
    const anyWrite = m.let('wr_any', rowValid.and(fsm.is('el_stream').or(fsm.is('el_drain')).or(inMv)));
    m.sync(() => {
      m.if(anyWrite, () => outIdx.set(outIdx.add(1).trunc(idxW)));
      m.if(fsm.is('decode'), () => outIdx.set(0));
    });
    const blOut = m.let('bl_out', rowValid.and(inMv));
    const dstIs = (x: number) => eq(fDst, x);
    const rowHigh = m.let('row_high', outIdx.zext(idxW + 1).ge(I));
    const rowLow = m.let('row_minus_i', outIdx.zext(idxW + 1).sub(I).trunc(idxW));
    // M1: H, G, A (A also takes the gate rows of a split and the logits).
    const m1WBase = mux(dstIs(DST.h), lit(0, UInt(aw(m1Depth))), mux(dstIs(DST.g), lit(d, UInt(aw(m1Depth))), lit(2 * d, UInt(aw(m1Depth)))));
    const toM1 = dstIs(DST.h).or(dstIs(DST.g)).or(dstIs(DST.a)).or(dstIs(DST.logits)).or(dstIs(DST.split).and(rowHigh.not()));
    M1.write(regionAddr(m1WBase, outIdx, m1Depth), rowOut, anyWrite.and(toM1));
    const toM2 = dstIs(DST.u).or(dstIs(DST.s));
    M2.write(regionAddr(mux(dstIs(DST.s), sBase, lit(0, UInt(aw(m2Depth)))), outIdx, m2Depth), rowOut, anyWrite.and(toM2));
    const toM3 = dstIs(DST.b).or(dstIs(DST.split).and(rowHigh));
    M3.write(regionAddr(0, mux(dstIs(DST.split), rowLow.zext(idxW), outIdx), m3Depth), rowOut, anyWrite.and(toM3));

    // Argmax over the logits, first maximum wins (as model/engine.ts argmax).
    const best = m.reg('best', act);
    m.sync(() => {
      m.if(blOut.and(dstIs(DST.logits)).and(outIdx.eq(0).or(rowOut.gt(best))), () => {
        best.set(rowOut);
        tokOutData.set(fit(outIdx, g.tokenBits));
      });
    });

    // ---- debug read-out --------------------------------------------------------------------------------------
    m.sync(() => {
      dbgValid.set(rdValid.and(fsm.is('dump')));
      dbgData.set(xOperand); // the x operand's multiplexer already picks the memory a DUMP names
    });

    // ---- the controller -------------------------------------------------------------------------------------
    m.assign(tokInReady, loaded.and(fsm.is('idle')));
    m.assign(tokOutValid, fsm.is('out'));
    const cycles = m.reg('cycles', UInt(cyclesBits), { reset: 0 });
    const rowsDone = m.let('rows_done', outIdx.eq(fRows).and(anyWrite.not()));
    const elDone = m.let('el_done', outIdx.eq(fN).and(anyWrite.not()));
    m.comb(() => {
      startStream.set(0);
      m.if(fsm.is('decode').and(isOp('element').or(isOp('bitlinear')).or(isOp('dump').and(debugEn))), () => startStream.set(1));
      m.if(fsm.is('emb_scale_wait'), () => startStream.set(1));
      m.if(scaleSetup, () => startStream.set(1));
    });
    m.sync(() => {
      m.if(fsm.is('idle').not().and(fsm.is('dump').not()).and(fsm.is('out').not()), () => cycles.set(cycles.add(1).trunc(cyclesBits)));
      fsm.switch({
        idle: () => {
          m.if(tokInValid.and(loaded), () => {
            token.set(tokInData);
            fetchAddr.set(mux(tokInClear, lit(prog.clearWide, UInt(wAw)), lit(prog.programWide, UInt(wAw))));
            cycles.set(1);
            fsm.goto('fetch');
          });
        },
        fetch: () => {
          // the instruction's first wide word is read this cycle, the rest one per cycle in fetch_wait
          fetchAddr.set(fetchAddr.add(1).trunc(wAw));
          fetchK.set(0);
          fsm.goto('fetch_wait');
        },
        fetch_wait: () => {
          // shifted in from the top: after the last word, word k sits in bits [16 B (k + 1) - 1 : 16 B k]
          ir.set(iw === 1 ? wideData : cat(wideData, ir.slice(irBits - 1, 16 * B)));
          m.if(fetchLast, () => fsm.goto('decode')).else(() => {
            fetchAddr.set(fetchAddr.add(1).trunc(wAw));
            fetchK.set(fetchK.add(1).trunc(fetchK.width));
          });
        },
        decode: () => {
          m.switch(op)
            .case(OP.end, () => fsm.goto('out'))
            .case(OP.embed, () => {
              embRow.set(wbase.zext(wAw + 1).add(fit(token.mul(lit(g.embedRowWords, UInt(aw(g.embedRowWords + 1)))), wAw + 1)).trunc(wAw));
              fsm.goto('emb_scale');
            })
            .case(OP.element, () => fsm.goto('el_stream'))
            .case(OP.bitlinear, () => fsm.goto('bl_p1'))
            .case(OP.dump, () => fsm.goto('dump'))
            .default(() => fsm.goto('next'));
          m.if(isOp('dump').and(debugEn.not()), () => fsm.goto('next')); // DUMPs cost nothing without debug
        },
        emb_scale: () => fsm.goto('emb_scale_wait'), // the row scale's word is read this cycle
        emb_scale_wait: () => {
          embScale.set(paramWord);
          fsm.goto('el_stream');
        },
        el_stream: () => m.if(streaming.and(idxLast), () => fsm.goto('el_drain')),
        el_drain: () => m.if(elDone, () => fsm.goto('next')),
        bl_p1: () => m.if(streaming.and(idxLast), () => fsm.goto('bl_stats')),
        bl_stats: () => m.if(normGo, () => fsm.goto('bl_norm')),
        bl_norm: () => m.if(scalarDone, () => fsm.goto('bl_rsqrt')),
        bl_rsqrt: () => m.if(scaleSetup, () => fsm.goto('bl_p2')),
        bl_p2: () => m.if(streaming.and(idxLast), () => fsm.goto('bl_qwait')),
        bl_qwait: () => m.if(mvStart, () => fsm.goto('bl_mv')),
        bl_mv: () => m.if(rowsDone, () => fsm.goto('next')),
        dump: () => m.if(rdValid.and(rdLast), () => fsm.goto('next')),
        out: () => {
          m.if(tokOutReady, () => {
            stepCycles.set(cycles);
            fsm.goto('idle');
          });
        },
        next: () => fsm.goto('fetch'),
      });
    });
  });
}
