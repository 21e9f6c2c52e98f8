// The accelerator's top level: weight memory, vector memories, the datapath units and the controller
// that runs the per-token program of accel/program.ts. docs/architecture.md has the block diagram.
//
// Ports
//   load_valid / load_ready / load_data   the weight-load stream: the image's 16-bit words in order, from
//                                         reset; `loaded` rises after the last one (load_ready falls)
//   tok_in_valid / tok_in_ready / tok_in_data     one token id per step (accepted once loaded and idle)
//   tok_out_valid / tok_out_ready / tok_out_data  the argmax of the step's logits
//   debug_en, dbg_valid, dbg_data          with debug_en = 1 the program's DUMP ops stream vectors (layer
//                                         inputs, states, logits; accel/program.ts dumpSlots) out here,
//                                         one 24-bit word per cycle, no back-pressure
//   step_cycles                            cycles of the last step from token in to token out, DUMPs excluded
//
// The controller runs one instruction at a time (no overlap between instructions): fetch, then a phase
// machine per op class. Every vector memory has one registered read port addressed by the stream index
// (the S memory adds the layer's base), so an element's operands arrive together one cycle after its
// index; results are written back by counters that advance with the units' valid outputs, in order.
import { buildModule, type Module } from '../hdl/index.ts';
import { cat, lit, mux, type Expr } from '../hdl/core/expr.ts';
import type { Signal } from '../hdl/core/signal.ts';
import { Fsm } from '../hdl/core/fsm.ts';
import { Bool, SInt, UInt, clog2 } from '../hdl/core/types.ts';
import { singlePortRam } from '../hdl/lib/memories.ts';
import { ACT, NORM_WEIGHT } from '../numerics/formats.ts';
import { regOf } from './units/pipeline.ts';
import { matvecUnit, matvecAccWidth } from './units/matvec-unit.ts';
import { bitLinearQuant } from './units/bitlinear-quant.ts';
import { bitLinearScale } from './units/bitlinear-scale.ts';
import { rsqrtUnit, RSQRT_UNIT_DEFAULTS } from './units/scalar-unit.ts';
import { elementwiseUnit, ELEMENTWISE_OP, ELEMENTWISE_UNIT_DEFAULTS } from './units/elementwise-unit.ts';
import { OP, SRC, DST, type FieldName } from './isa.ts';
import type { AccelProgram } from './program.ts';

/** Width of the step_cycles counter. */
export const STEP_CYCLES_BITS = 32;

const aw = (depth: number) => Math.max(1, clog2(depth));

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
    const tokOutValid = m.output('tok_out_valid', Bool);
    const tokOutReady = m.input('tok_out_ready', Bool);
    const tokOutData = m.output('tok_out_data', UInt(g.tokenBits), { reg: true, reset: 0 });
    const debugEn = m.input('debug_en', Bool);
    const dbgValid = m.output('dbg_valid', Bool, { reg: true, reset: 0 });
    const dbgData = m.output('dbg_data', act, { reg: true });
    const stepCycles = m.output('step_cycles', UInt(STEP_CYCLES_BITS), { reg: true, reset: 0 });

    // ---- the program --------------------------------------------------------------------------------
    const romDepth = prog.rom.length;
    const program = m.memory('program', UInt(layout.width), romDepth, { init: prog.rom });
    const pc = m.reg('pc', UInt(aw(romDepth)), { reset: 0 });
    const ir = m.reg('ir', UInt(layout.width), { reset: 0 });
    const field = (f: FieldName): Expr => {
      const x = layout.fields[f];
      const e = ir.slice(x.lo + x.width - 1, x.lo);
      return m.let(`ir_${f}`, x.signed ? e.asSigned() : e);
    };
    const op = field('op');
    const fN = field('n');
    const fRows = field('rows');
    const fParam = field('param');
    const fSbase = field('sbase');
    const fWbase = field('wbase');
    const fShift = field('shift');
    const fSrc = field('src');
    const fDst = field('dst');
    const fHasLb = field('haslb');
    const fCmant = field('cmant');
    const fCexp = field('cexp');
    const fNexp = field('nexp');
    const isOp = (o: keyof typeof OP) => op.eq(lit(OP[o], UInt(op.width)));

    const fsm = new Fsm(m, 'phase', [
      'idle', 'fetch', 'decode', 'emb_scale', 'emb_scale_wait', 'ew_stream', 'ew_drain',
      'bl_p1', 'bl_stats', 'bl_p2', 'bl_qwait', 'bl_mv', 'dump', 'out', 'next',
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

    // ---- vector memories (ACT), one registered read port each ----------------------------------------
    const vmem = (mname: string, depth: number) => {
      const mem = m.memory(mname, act, depth);
      const data = mem.read(idx.trunc(Math.min(nW, aw(depth))).zext(aw(depth)).trunc(aw(depth)), { name: `${mname}_rd` });
      return { mem, data, depth };
    };
    const H = vmem('vec_h', d);
    const U = vmem('vec_u', Math.max(d, I));
    const A = vmem('vec_a', Math.max(d, I, V));
    const Bv = vmem('vec_b', Math.max(d, I));
    const G = vmem('vec_g', d);
    const sAw = aw(L * d);
    const S = m.memory('vec_s', act, L * d);
    const sRd = S.read(fSbase.zext(sAw + 1).add(idx.zext(sAw + 1)).trunc(sAw), { name: 'vec_s_rd' });

    // ---- the weight memory: B banks of 16 bits (SPRAM on the UP5K) ------------------------------------
    const imageWords = prog.image.length;
    const loadIdxW = Math.max(1, clog2(imageWords + 1));
    const loadIdx = m.reg('load_idx', UInt(loadIdxW), { reset: 0 });
    m.assign(loadReady, loaded.not());
    const loadFire = m.let('load_fire', loadValid.and(loaded.not()));
    m.sync(() => {
      m.if(loadFire, () => {
        loadIdx.set(loadIdx.add(1).trunc(loadIdxW));
        m.if(loadIdx.eq(imageWords - 1), () => loaded.set(1));
      });
    });
    const wAw = aw(g.weightWords);
    const wRaddr = m.wire('w_raddr', UInt(wAw));
    const loadWide = m.let('load_wide', loadIdxW > log2B ? loadIdx.slice(loadIdxW - 1, log2B).zext(wAw).trunc(wAw) : lit(0, UInt(wAw)));
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


    // Parameter words (16 bits) share the port: word p is bank p mod B of wide word p / B.
    const token = m.reg('token', UInt(g.tokenBits), { reset: 0 });
    const pAw = layout.fields.param.width;
    const offW = Math.max(nW, g.tokenBits);
    const paramOff = m.let('param_off', mux(fsm.is('emb_scale'), token.zext(offW), idx.zext(offW)));
    const paramAddr = m.let('param_addr', fParam.zext(Math.max(pAw, offW) + 1).add(paramOff).trunc(Math.max(pAw, offW) + 1));
    const paramWide = m.let('param_wide', (paramAddr.width > log2B ? paramAddr.slice(paramAddr.width - 1, log2B) : lit(0, UInt(1))).zext(wAw + paramAddr.width).trunc(wAw));
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
    const embStreaming = m.let('emb_streaming', fsm.is('ew_stream').and(isOp('embed')));
    m.assign(wRaddr, mux(mvStart, fWbase.zext(wAw + fWbase.width).trunc(wAw), mux(fsm.is('bl_mv'), mvNext, mux(embStreaming, embAddr, paramWide))));
    m.sync(() => {
      m.if(fsm.is('bl_mv'), () => {
        mvAddr.set(mvNext);
        mvHave.set(1);
      }).else(() => mvHave.set(0));
      m.if(mvStart, () => mvAddr.set(fWbase.zext(wAw + fWbase.width).trunc(wAw)));
    });

    // ---- the BitLinear: quantiser (two passes over u), rsqrt of S, output scale, matvec ---------------
    const inP1 = fsm.is('bl_p1');
    const inP2 = fsm.is('bl_p2');
    const quantIn = m.let('quant_in', rdValid.and(regOf(m, 'quant_phase', inP1.or(inP2))));
    const quant = m.instance('u_quant', bitLinearQuant({ maxCols: g.maxCols }), {
      u: U.data,
      b: paramWord.asSigned(),
      in_valid: quantIn,
      pass: regOf(m, 'quant_pass', inP2),
      first: rdFirst,
      last: rdLast,
    });
    const rsqrt = m.instance('u_rsqrt', rsqrtUnit(), {
      s: quant.out('s').zext(RSQRT_UNIT_DEFAULTS.width),
      in_valid: quant.out('stats_valid'),
    });
    const tMant = m.reg('t_mant', rsqrt.out('mant').type);
    const tExp = m.reg('t_exp', rsqrt.out('exp').type);
    const tZero = m.reg('t_zero', Bool);
    const tSeen = m.reg('t_seen', Bool, { reset: 0 });
    const mmSeen = m.reg('mm_seen', Bool, { reset: 0 });
    const qDone = m.reg('q_done', Bool, { reset: 0 });
    const scaleReady = m.reg('scale_ready', Bool, { reset: 0 });
    const scaleInValid = m.wire('scale_in_valid', Bool);
    const scaleAcc = m.wire('scale_acc', SInt(matvecAccWidth(g.maxCols)));
    const scaleRow = m.wire('scale_row', UInt(Math.max(1, clog2(g.maxRows))));
    const scaleSetup = m.let('scale_setup', fsm.is('bl_stats').and(mmSeen).and(tSeen));
    const scale = m.instance('u_scale', bitLinearScale({ maxCols: g.maxCols, maxRows: g.maxRows }), {
      setup: scaleSetup,
      mm_mant: quant.out('mm_mant'),
      mm_exp: quant.out('mm_exp'),
      t_mant: tMant,
      t_exp: tExp,
      c_mant: fCmant,
      c_exp: fCexp,
      norm_exp: fNexp,
      zero: quant.out('zero').or(tZero),
      in_valid: scaleInValid,
      acc: scaleAcc,
      row: scaleRow,
    });
    m.sync(() => {
      m.if(rsqrt.out('out_valid'), () => {
        tMant.set(rsqrt.out('mant'));
        tExp.set(rsqrt.out('exp'));
        tZero.set(rsqrt.out('zero'));
        tSeen.set(1);
      });
      m.if(quant.out('mm_valid'), () => mmSeen.set(1));
      m.if(quant.out('q_valid').and(quant.out('q_last')), () => qDone.set(1));
      m.if(scale.out('scale_valid'), () => scaleReady.set(1));
      m.if(fsm.is('decode'), () => {
        tSeen.set(0);
        mmSeen.set(0);
        qDone.set(0);
        scaleReady.set(0);
      });
    });
    m.sink(m.let('quant_m', quant.out('m')), quant.out('m_valid'), quant.out('recip'), quant.out('q_idx').bit(0), scale.out('busy'), scale.out('scale_mant'), scale.out('scale_exp'));

    const matvec = m.instance('u_matvec', matvecUnit({ lanes: g.lanes, maxRows: g.maxRows, maxCols: g.maxCols }), {
      q_wr_en: quant.out('q_valid'),
      q_wr_addr: quant.out('q_idx'),
      q_wr_data: quant.out('q'),
      start: mvStart,
      rows: fRows.zext(clog2(g.maxRows + 1) + fRows.width).trunc(clog2(g.maxRows + 1)),
      cols: fN.zext(clog2(g.maxCols + 1) + nW).trunc(clog2(g.maxCols + 1)),
      w_valid: mvHave,
      w_data: wideData,
    });
    m.assign(wReady, matvec.out('w_ready'));
    m.sink(matvec.out('busy'), matvec.out('done'));
    m.assign(scaleInValid, matvec.out('acc_valid'));
    m.assign(scaleAcc, matvec.out('acc_data'));
    m.assign(scaleRow, matvec.out('acc_row'));
    m.assign(mvStart, fsm.is('bl_qwait').and(qDone).and(scaleReady));

    // ---- the elementwise unit ----------------------------------------------------------------------------
    const ewOpCode = m.wire('ew_op', UInt(2));
    m.comb(() => {
      ewOpCode.set(lit(ELEMENTWISE_OP.prescale, UInt(2)));
      m.if(isOp('mlgru'), () => ewOpCode.set(lit(ELEMENTWISE_OP.mlgru, UInt(2))));
      m.if(isOp('glu'), () => ewOpCode.set(lit(ELEMENTWISE_OP.glu, UInt(2))));
      m.if(isOp('residual'), () => ewOpCode.set(lit(ELEMENTWISE_OP.residual, UInt(2))));
    });
    const embScale = m.reg('emb_scale', SInt(NORM_WEIGHT.bits));
    const cOperand = m.wire('ew_c', act);
    m.comb(() => {
      cOperand.set(H.data);
      m.if(isOp('embed'), () => cOperand.set(embByte.asSigned().ext(ACT.bits)));
      m.if(isOp('mlgru').or(isOp('prescale').and(fSrc.eq(SRC.g))), () => cOperand.set(G.data));
      m.if(isOp('glu'), () => cOperand.set(Bv.data));
    });
    const ew = m.instance('u_elementwise', elementwiseUnit(ELEMENTWISE_UNIT_DEFAULTS), {
      op: ewOpCode,
      a: A.data,
      b: Bv.data,
      c: cOperand,
      s: mux(isOp('mlgru'), sRd, A.data),
      lb: paramWord,
      has_lb: fHasLb.bit(0),
      w: mux(isOp('embed'), embScale, paramWord.asSigned()),
      shift: fShift,
      in_valid: rdValid.and(fsm.is('ew_stream').or(fsm.is('ew_drain'))),
    });
    const yIdx = m.reg('y_idx', UInt(nW), { reset: 0 });
    const sIdx = m.reg('s_idx', UInt(nW), { reset: 0 });
    const yValid = ew.out('out_valid');
    m.sync(() => {
      m.if(yValid, () => yIdx.set(yIdx.add(1).trunc(nW)));
      m.if(ew.out('s_valid'), () => sIdx.set(sIdx.add(1).trunc(nW)));
      m.if(fsm.is('decode'), () => {
        yIdx.set(0);
        sIdx.set(0);
      });
    });

    // ---- writes into the vector memories --------------------------------------------------------------------
    const blOut = scale.out('out_valid');
    const blRow = scale.out('out_row');
    const blData = scale.out('out');
    const dstIs = (x: number) => fDst.eq(lit(x, UInt(fDst.width)));
    const inBl = isOp('bitlinear');
    const rowHigh = m.let('row_high', blRow.zext(blRow.width + 1).ge(I));
    const rowLow = m.let('row_minus_i', blRow.zext(blRow.width + 1).sub(I).trunc(blRow.width));
    const at = (mem: { depth: number }, e: Expr) => e.zext(e.width + aw(mem.depth)).trunc(aw(mem.depth));
    H.mem.write(at(H, yIdx), ew.out('y'), yValid.and(dstIs(DST.h)));
    U.mem.write(at(U, yIdx), ew.out('y'), yValid.and(dstIs(DST.u)));
    G.mem.write(at(G, mux(inBl, blRow.zext(Math.max(blRow.width, nW)), yIdx.zext(Math.max(blRow.width, nW)))), mux(inBl, blData, ew.out('y')), mux(inBl, blOut, yValid).and(dstIs(DST.g)));
    A.mem.write(at(A, blRow), blData, blOut.and(dstIs(DST.a).or(dstIs(DST.logits)).or(dstIs(DST.split).and(rowHigh.not()))));
    Bv.mem.write(at(Bv, mux(dstIs(DST.split), rowLow, blRow)), blData, blOut.and(dstIs(DST.b).or(dstIs(DST.split).and(rowHigh))));
    S.write(fSbase.zext(sAw + 1).add(sIdx.zext(sAw + 1)).trunc(sAw), ew.out('s_new'), ew.out('s_valid'));

    // Argmax over the logits, first maximum wins (as model/engine.ts argmax).
    const best = m.reg('best', act);
    const blCount = m.reg('bl_count', UInt(Math.max(1, clog2(g.maxRows + 1))), { reset: 0 });
    m.sync(() => {
      m.if(blOut, () => {
        blCount.set(blCount.add(1).trunc(blCount.width));
        m.if(dstIs(DST.logits).and(blRow.eq(0).or(blData.gt(best))), () => {
          best.set(blData);
          tokOutData.set(blRow.zext(Math.max(blRow.width, g.tokenBits)).trunc(g.tokenBits));
        });
      });
      m.if(fsm.is('decode'), () => blCount.set(0));
    });

    // ---- debug read-out --------------------------------------------------------------------------------------
    const dumping = m.let('dumping', fsm.is('dump'));
    m.sync(() => {
      dbgValid.set(rdValid.and(dumping));
      dbgData.set(mux(fSrc.eq(SRC.s), sRd, mux(fSrc.eq(SRC.a), A.data, H.data)));
    });

    // ---- the controller -------------------------------------------------------------------------------------
    m.assign(tokInReady, loaded.and(fsm.is('idle')));
    m.assign(tokOutValid, fsm.is('out'));
    const cycles = m.reg('cycles', UInt(STEP_CYCLES_BITS), { reset: 0 });
    const rowsDone = m.let('rows_done', blCount.eq(fRows.zext(Math.max(blCount.width, fRows.width)).trunc(blCount.width)).and(blOut.not()));
    const yDone = m.let('y_done', yIdx.eq(fN).and(yValid.not()));
    m.comb(() => {
      startStream.set(0);
      m.if(fsm.is('decode').and(isOp('prescale').or(isOp('residual')).or(isOp('mlgru')).or(isOp('glu')).or(isOp('bitlinear')).or(isOp('dump').and(debugEn))), () => startStream.set(1));
      m.if(fsm.is('emb_scale_wait'), () => startStream.set(1));
      m.if(scaleSetup, () => startStream.set(1));
    });
    m.sync(() => {
      m.if(fsm.is('idle').not().and(fsm.is('dump').not()).and(fsm.is('out').not()), () => cycles.set(cycles.add(1).trunc(STEP_CYCLES_BITS)));
      fsm.switch({
        idle: () => {
          m.if(tokInValid.and(loaded), () => {
            token.set(tokInData);
            pc.set(0);
            cycles.set(1);
            fsm.goto('fetch');
          });
        },
        fetch: () => {
          ir.set(program.readAsync(pc));
          fsm.goto('decode');
        },
        decode: () => {
          m.switch(op)
            .case(OP.end, () => fsm.goto('out'))
            .case(OP.embed, () => {
              embRow.set(fWbase.zext(wAw + fWbase.width).add(token.mul(lit(g.embedRowWords, UInt(aw(g.embedRowWords + 1))))).trunc(wAw));
              fsm.goto('emb_scale');
            })
            .case([OP.prescale, OP.residual, OP.mlgru, OP.glu], () => fsm.goto('ew_stream'))
            .case(OP.bitlinear, () => fsm.goto('bl_p1'))
            .case(OP.dump, () => fsm.goto('dump'))
            .default(() => fsm.goto('next'));
          m.if(isOp('dump').and(debugEn.not()), () => fsm.goto('next')); // DUMPs cost nothing without debug
        },
        emb_scale: () => fsm.goto('emb_scale_wait'), // the row scale's word is read this cycle
        emb_scale_wait: () => {
          embScale.set(paramWord.asSigned());
          fsm.goto('ew_stream');
        },
        ew_stream: () => m.if(streaming.and(idxLast), () => fsm.goto('ew_drain')),
        ew_drain: () => m.if(yDone, () => fsm.goto('next')),
        bl_p1: () => m.if(streaming.and(idxLast), () => fsm.goto('bl_stats')),
        bl_stats: () => m.if(scaleSetup, () => fsm.goto('bl_p2')),
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
          pc.set(pc.add(1).trunc(pc.width));
          fsm.goto('fetch');
        },
      });
    });
  });
}
