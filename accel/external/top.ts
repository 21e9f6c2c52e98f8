// The external target's top level: the accelerator with no weight memory of its own. Every word it
// reads for a token (instructions, parameter vectors, the embedding row, the matrices) streams in from
// DRAM through a native read port, in the order it is consumed (stream-image.ts), via the weight
// streamer's prefetch FIFO (weight-streamer.ts). The datapath and the vector memories are those of
// accel/top.ts; what changes is where the controller's words come from:
//   fetch          the instruction's words are popped from the FIFO
//   parameters     an element op with wsel = param and both passes of a BITLINEAR pop their n words, one
//                  element a cycle at the operand stage they feed (early, or LATE later for ops whose w
//                  arrives at the row unit's late ports); the pass starts only when the FIFO holds them all
//   embedding      the row's scale word, then its codes, 2 B per word
//   matrix         the matvec unit takes the FIFO's words through its valid/ready input
//   scalar tables  an on-chip ROM (they are constants, read by address)
//
// Ports
//   dram_cmd_*, dram_rdata_*          the native read port (weight-streamer.ts)
//   tok_in_*, tok_in_clear, tok_out_*, debug_en, dbg_*, step_cycles   as accel/top.ts
//   stream_error                       sticky: the controller popped a word the FIFO did not have
import { buildModule, type Module } from '../../hdl/index.ts';
import { cat, lit, mux, type Expr } from '../../hdl/core/expr.ts';
import { Fsm } from '../../hdl/core/fsm.ts';
import { Bool, SInt, UInt, clog2 } from '../../hdl/core/types.ts';
import { ACT, NORM_WEIGHT, QACT } from '../../numerics/formats.ts';
import { regOf } from '../units/pipeline.ts';
import { matvecUnit, matvecAccWidth } from '../units/matvec-unit.ts';
import { RECIP_BITS, MAX_SCALAR_WIDTH } from '../units/scalar-unit.ts';
import { scalarSerial, SCALAR_MODE, SCALAR_SERIAL_EXP_BITS } from '../units/scalar-serial.ts';
import { SCALE_EXP_CONST } from '../units/bitlinear-scale.ts';
import { QUANT_MM_EXP_BITS } from '../units/bitlinear-quant.ts';
import { rowUnit, rowUnitLateOffset, ROW_OP, ROW_OP_BITS, ROW_SHIFT_BITS, ROW_LATE_OPS } from '../units/row-unit.ts';
import { OP, XSEL, YSEL, WSEL, M1REG, M2REG, DST, type FieldName } from '../isa.ts';
import type { AccelProgram } from '../program.ts';
import { MATVEC_STAGES, ROW_RINGS_MAX_LANES } from '../config.ts';
import { predictCycles } from '../timing.ts';
import { scalarTable } from '../units/scalar-unit.ts';
import { externalImage, type ExternalImage } from './stream-image.ts';
import { weightStreamer } from './weight-streamer.ts';

/**
 * Width of the step_cycles counter: sixteen times the cycles predicted with the weights on chip (the
 * DRAM's waits come on top); at least 16 bits.
 */
export function externalStepCyclesBits(prog: AccelProgram): number {
  return Math.max(16, clog2(16 * predictCycles(prog).total));
}

const aw = (depth: number) => Math.max(1, clog2(depth));

/** Words of the prefetch FIFO: the longest pass's words and as many again for the DRAM's latency, a power of two. */
export function prefetchDepth(img: ExternalImage): number {
  return 2 ** clog2(Math.max(64, 2 * img.longestPass + 64));
}

/** An unsigned value brought to exactly w bits (its range is known to fit). */
const fit = (e: Expr, w: number): Expr => (e.width > w ? e.trunc(w) : e.zext(w));

export function externalTop(prog: AccelProgram, name = 'mmf_accel_ext'): Module {
  const img = externalImage(prog);
  return buildModule(name, (m) => {
    const g = prog.geometry;
    const { d, I, L, V, banks: B } = g;
    const log2B = clog2(B);
    const act = SInt(ACT.bits);
    const layout = prog.layout;
    const nW = layout.fields.n.width;

    // ---- ports ------------------------------------------------------------------------------------
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
    const cyclesBits = externalStepCyclesBits(prog);
    const stepCycles = m.output('step_cycles', UInt(cyclesBits), { reg: true, reset: 0 });

    // ---- the program: fetched from the weight memory, instructionWideWords wide words per instruction -----
    const iw = prog.instructionWideWords;
    const irBits = iw * 16 * B;
    const ir = m.reg('ir', UInt(irBits), { reset: 0 });
    const fetchK = m.reg('fetch_k', UInt(Math.max(1, clog2(iw))), { reset: 0 });
    const fetchLast = m.let('fetch_last', fetchK.eq(iw - 1));
    const field = (f: FieldName): Expr => {
      const x = layout.fields[f];
      const e = ir.slice(x.lo + x.width - 1, x.lo);
      return m.let(`ir_${f}`, x.signed ? e.asSigned() : e);
    };
    const op = field('op');
    const fRowop = field('rowop');
    const fN = field('n');
    const fRows = field('rows');
    const fSbase = field('sbase');
    m.sink(field('param'), field('wbase')); // one bit each here: the words follow their instruction in the stream
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
      'idle', 'fetch', 'decode', 'emb_scale', 'emb_wait', 'el_stream', 'el_drain',
      'bl_p1', 'bl_stats', 'bl_norm', 'bl_rsqrt', 'bl_p2_wait', 'bl_p2', 'bl_qwait', 'bl_mv', 'dump', 'out', 'next',
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
    // H, G, and A for f, gate and (when kept, config.ts keepLogits) the logits
    const m1Depth = 2 * d + Math.max(d, I, g.keepLogits ? V : 0);
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

    // ---- the weight stream: the streamer's prefetch FIFO, popped in the order the image was laid out ----
    const W = 16 * B;
    const streamStart = m.wire('stream_start', Bool);
    const pop = m.wire('w_pop', Bool);
    const A = aw(img.words);
    const countBits = clog2(Math.max(img.head.words, img.body.words, img.clear.words, img.embeddings.rowWords) + 1);
    const streamer = m.instance('u_stream', weightStreamer({ wordBits: W, addrBits: A, countBits, depth: prefetchDepth(img), tokenBits: g.tokenBits, rowWords: img.embeddings.rowWords }), {
      head_start: lit(img.head.start, UInt(A)),
      head_words: lit(img.head.words, UInt(countBits)),
      body_start: lit(img.body.start, UInt(A)),
      body_words: lit(img.body.words, UInt(countBits)),
      clear_start: lit(img.clear.start, UInt(A)),
      clear_words: lit(img.clear.words, UInt(countBits)),
      emb_start: lit(img.embeddings.start, UInt(A)),
      start: streamStart,
      clear: tokInClear,
      token: tokInData,
      cmd_ready: m.input('dram_cmd_ready', Bool),
      rdata_valid: m.input('dram_rdata_valid', Bool),
      rdata_data: m.input('dram_rdata_data', UInt(W)),
      out_ready: pop,
    });
    m.assign(m.output('dram_cmd_valid', Bool), streamer.out('cmd_valid'));
    m.assign(m.output('dram_cmd_addr', UInt(aw(img.words))), streamer.out('cmd_addr'));
    m.assign(m.output('dram_rdata_ready', Bool), streamer.out('rdata_ready'));
    m.assign(m.output('stream_error', Bool), streamer.out('error'));
    const wValid = streamer.out('out_valid');
    const wData = streamer.out('out_data');
    const avail = streamer.out('avail');
    // Words of an n-element parameter vector, B to a word.
    const wordsOf = (n: Expr): Expr => (log2B === 0 ? n : n.add(B - 1).shr(log2B));
    const needParams = m.let('need_params', avail.ge(wordsOf(fN.zext(nW + 1))));

    // The BitLinear's scalars (normalize16 and 127 / m of m, then rsqrt of S), one after the other; their
    // tables in a ROM read one cycle after table_addr.
    const scalarStart = m.wire('scalar_start', Bool);
    const scalarMode = m.wire('scalar_mode', UInt(2));
    const scalarValue = m.wire('scalar_value', UInt(MAX_SCALAR_WIDTH));
    const scalarA = m.wire('scalar_a', UInt(16));
    const scalarB = m.wire('scalar_b', UInt(16));
    const scalarExpIn = m.wire('scalar_exp_in', SInt(SCALAR_SERIAL_EXP_BITS));
    const recipTable = scalarTable('recip');
    const tables = [...recipTable, ...scalarTable('rsqrt')];
    const tableRom = m.memory('scalar_tables', UInt(16), tables.length, { init: tables });
    const tableAddrIn = m.wire('table_addr', UInt(aw(tables.length)));
    const scalar = m.instance('u_scalar', scalarSerial(), {
      start: scalarStart,
      mode: scalarMode,
      value: scalarValue,
      a: scalarA,
      b: scalarB,
      c: fCmant,
      exp_in: scalarExpIn,
      table_data: tableRom.read(tableAddrIn, { name: 'table_word' }),
    });
    m.sink(scalar.out('table_rd'));
    const scalarDone = scalar.out('done');
    m.assign(
      tableAddrIn,
      mux(fsm.is('bl_norm'), lit(0, UInt(aw(tables.length))), lit(recipTable.length, UInt(aw(tables.length)))).add(scalar.out('table_addr').zext(aw(tables.length))).trunc(aw(tables.length)),
    );

    // Parameter words: element k of the pass is popped at its operand stage, early (with idx) or LATE
    // cycles later (with idx_late) for ops that take w at the row unit's late ports; registered, so it is
    // there when the element's operands are, as a memory's read data would be.
    const subW = Math.max(1, log2B);
    const pWait = m.reg('p_wait', UInt(clog2(LATE + 1)), { reset: 0 });
    const pLeft = m.reg('p_left', UInt(nW), { reset: 0 });
    const pSub = m.reg('p_sub', UInt(subW), { reset: 0 });
    if (log2B === 0) m.sink(pSub); // one parameter word per port word: nothing to select
    const paramWord = m.reg('param_word', UInt(16));
    const consumesParams = m.let('consumes_params', isOp('element').or(isOp('bitlinear')).and(eq(fWsel, WSEL.param)));
    const pTake = m.let('p_take', pLeft.ne(0).and(pWait.eq(0)));
    const pPop = m.let('p_pop', pTake.and(pLeft.eq(1).or(log2B === 0 ? lit(1, Bool) : pSub.eq(B - 1))));
    m.sync(() => {
      m.if(pLeft.ne(0).and(pWait.ne(0)), () => pWait.set(pWait.sub(1).trunc(pWait.width)));
      m.if(pTake, () => {
        pLeft.set(pLeft.sub(1).trunc(nW));
        if (log2B > 0) pSub.set(pSub.add(1).trunc(subW));
        if (log2B === 0) paramWord.set(wData.trunc(16));
        else {
          const sw = m.switch(pSub.trunc(log2B));
          for (let b = 0; b < B; b++) sw.case(b, () => paramWord.set(wData.slice(16 * b + 15, 16 * b)));
          sw.default(() => {});
        }
      });
      m.if(startStream.and(consumesParams), () => {
        pWait.set(mux(lateOperands, lit(LATE, UInt(pWait.width)), lit(0, UInt(pWait.width))));
        pLeft.set(fN);
        pSub.set(0);
      });
    });

    // Embedding codes: element j of the token's row is byte j mod 2B of the row's (j / 2B)-th code word.
    const bytesLog = log2B + 1;
    const embByte = m.reg('emb_byte', UInt(8));
    const embStreaming = m.let('emb_streaming', fsm.is('el_stream').and(isOp('embed')).and(streaming));
    const embSel = nW >= bytesLog ? idx.slice(bytesLog - 1, 0) : idx.zext(bytesLog);
    const embPop = m.let('emb_pop', embStreaming.and(idxLast.or(embSel.eq(2 * B - 1))));
    m.sync(() => {
      const sw = m.switch(embSel);
      for (let k = 0; k < 2 * B; k++) sw.case(k, () => embByte.set(wData.slice(8 * k + 7, 8 * k)));
      sw.default(() => {});
    });

    // The matvec unit takes the matrix's words straight from the FIFO.
    const mvStart = m.wire('mv_start', Bool);
    const wReady = m.wire('mv_w_ready', Bool);
    const mvValid = m.let('mv_w_valid', fsm.is('bl_mv').and(wValid));
    const mvFire = m.let('mv_fire', mvValid.and(wReady));
    const fetchPop = m.let('fetch_pop', fsm.is('fetch').and(wValid));
    const embScalePop = m.let('emb_scale_pop', fsm.is('emb_scale').and(wValid));
    m.assign(pop, fetchPop.or(embScalePop).or(pPop).or(embPop).or(mvFire));

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
      w_valid: mvValid,
      w_data: wData,
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
    const toM1 = dstIs(DST.h).or(dstIs(DST.g)).or(dstIs(DST.a)).or(g.keepLogits ? dstIs(DST.logits) : lit(0, Bool)).or(dstIs(DST.split).and(rowHigh.not()));
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
    m.assign(tokInReady, fsm.is('idle'));
    m.assign(tokOutValid, fsm.is('out'));
    const cycles = m.reg('cycles', UInt(cyclesBits), { reset: 0 });
    const rowsDone = m.let('rows_done', outIdx.eq(fRows).and(anyWrite.not()));
    const elDone = m.let('el_done', outIdx.eq(fN).and(anyWrite.not()));
    // A pass that pops words starts when they are all in the FIFO (it cannot stall halfway).
    const wordsReady = m.let('words_ready', consumesParams.not().or(needParams));
    const embRowReady = m.let('emb_row_ready', avail.ge(g.embedRowWords));
    m.comb(() => {
      startStream.set(0);
      m.if(fsm.is('decode').and(isOp('element').or(isOp('bitlinear')).or(isOp('dump').and(debugEn))).and(wordsReady), () => startStream.set(1));
      m.if(fsm.is('emb_wait').and(embRowReady), () => startStream.set(1));
      m.if(fsm.is('bl_p2_wait').and(wordsReady), () => startStream.set(1));
    });
    m.assign(streamStart, fsm.is('idle').and(tokInValid));
    m.sync(() => {
      m.if(fsm.is('idle').not().and(fsm.is('dump').not()).and(fsm.is('out').not()), () => cycles.set(cycles.add(1).trunc(cyclesBits)));
      fsm.switch({
        idle: () => {
          m.if(tokInValid, () => {
            fetchK.set(0);
            cycles.set(1);
            fsm.goto('fetch');
          });
        },
        fetch: () => {
          // the instruction's words, one a cycle as the FIFO has them; word k ends up in bits [W (k + 1) - 1 : W k]
          m.if(wValid, () => {
            ir.set(iw === 1 ? wData : cat(wData, ir.slice(irBits - 1, W)));
            fetchK.set(fetchK.add(1).trunc(fetchK.width));
            m.if(fetchLast, () => fsm.goto('decode'));
          });
        },
        decode: () => {
          m.switch(op)
            .case(OP.end, () => fsm.goto('out'))
            .case(OP.embed, () => fsm.goto('emb_scale'))
            .case(OP.element, () => m.if(wordsReady, () => fsm.goto('el_stream')))
            .case(OP.bitlinear, () => m.if(wordsReady, () => fsm.goto('bl_p1')))
            .case(OP.dump, () => fsm.goto('dump'))
            .default(() => fsm.goto('next'));
          m.if(isOp('dump').and(debugEn.not()), () => fsm.goto('next')); // DUMPs cost nothing without debug
        },
        emb_scale: () => {
          // the row's first word holds its scale
          m.if(wValid, () => {
            embScale.set(wData.slice(15, 0));
            fsm.goto('emb_wait');
          });
        },
        emb_wait: () => m.if(embRowReady, () => fsm.goto('el_stream')),
        el_stream: () => m.if(streaming.and(idxLast), () => fsm.goto('el_drain')),
        el_drain: () => m.if(elDone, () => fsm.goto('next')),
        bl_p1: () => m.if(streaming.and(idxLast), () => fsm.goto('bl_stats')),
        bl_stats: () => m.if(normGo, () => fsm.goto('bl_norm')),
        bl_norm: () => m.if(scalarDone, () => fsm.goto('bl_rsqrt')),
        bl_rsqrt: () => m.if(scaleSetup, () => fsm.goto('bl_p2_wait')),
        bl_p2_wait: () => m.if(wordsReady, () => fsm.goto('bl_p2')),
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
        next: () => {
          fetchK.set(0);
          fsm.goto('fetch');
        },
      });
    });
  });
}
