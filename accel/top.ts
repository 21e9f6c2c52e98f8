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
// Units: the matvec unit (P lanes), the row unit (every per-element op, the BitLinear quantiser's two
// passes and the output scale), and the serial scalar unit, whose tables live in the weight memory.
// The controller runs one instruction at a time, and one unit pass at a time (the row unit needs that):
// fetch, then a phase machine per op class. With the generator's `overlap` option (accel/overlap.ts) a
// matrix streams on beside the next instructions the program flags, its rows' SCALEs between their
// elements. Each vector memory (isa.ts: M1, M2, M3) has one registered read port addressed by the
// stream index plus the op's region base, so an element's operands arrive together one cycle after its
// index; results are written back by counters that advance with the units' valid outputs, in order.
import { buildModule, type Module } from '../hdl/index.ts';
import { cat, lit, mux, type Expr } from '../hdl/core/expr.ts';
import type { Signal } from '../hdl/core/signal.ts';
import { Fsm } from '../hdl/core/fsm.ts';
import { Bool, UInt, clog2 } from '../hdl/core/types.ts';
import { singlePortRam } from '../hdl/lib/memories.ts';
import { regOf } from './units/pipeline.ts';
import { OP, WSEL } from './isa.ts';
import type { AccelProgram } from './program.ts';
import { predictCycles, overlapHold } from './timing.ts';
import { hostPorts } from './control/host-ports.ts';
import { passPhases } from './control/pass-phases.ts';
import { decodeFields } from './control/fields.ts';
import { elementStream } from './control/element-stream.ts';
import { vectorMemories } from './datapath/vector-memories.ts';
import { fit, placeScalarUnit, rowSide } from './datapath/row-side.ts';
import { treeReader, treeReaderWires } from './control/tree-reader.ts';
import { instructionRegister } from './control/instruction-register.ts';

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

export function accelTop(prog: AccelProgram, name = 'mmf_accel'): Module {
  return buildModule(name, (m) => {
    const g = prog.geometry;
    const { banks: B } = g;
    const log2B = clog2(B);
    const layout = prog.layout;
    const nW = layout.fields.n.width;

    // ---- ports ------------------------------------------------------------------------------------
    const loadValid = m.input('load_valid', Bool);
    const loadReady = m.output('load_ready', Bool);
    const loadData = m.input('load_data', UInt(16));
    const loaded = m.output('loaded', Bool, { reg: true, reset: 0 });
    const cyclesBits = stepCyclesBits(prog);
    const host = hostPorts(m, g.tokenBits, cyclesBits);
    const { tokIn, tokOut, tokOutData, debugEn, stepCycles } = host;

    // ---- the program: fetched from the weight memory, instructionWideWords wide words per instruction -----
    const iw = prog.instructionWideWords;
    const instr = instructionRegister(m, layout, 16 * B, iw);
    const fetchK = m.reg('fetch_k', UInt(Math.max(1, clog2(iw))), { reset: 0 });
    const dec = decodeFields(m, instr.ir, layout);
    const { f, eq, isOp } = dec;
    const op = f.op;
    const fN = f.n;
    const fRows = f.rows;
    const fParam = f.param;
    const fWbase = f.wbase;
    const fWsel = f.wsel;
    const fCmant = f.cmant;

    // With overlap (accel/overlap.ts) the matrix streams beside the phase machine, which meanwhile fetches
    // the next instruction and, if it carries the ovl flag, runs it (a BITLINEAR up to its scalars, waiting
    // in bl_mvwait to start its pass 2; GATE, STATE or GATED whole); without the flag it waits at decode.
    const ovl = prog.config.overlap === true;
    type Phase = 'idle' | 'fetch' | 'fetch_wait' | 'decode' | 'emb_scale' | 'emb_scale_wait' | 'el_stream' | 'el_drain' | 'bl_p1' | 'bl_stats' | 'bl_norm' | 'bl_rsqrt' | 'bl_p2' | 'bl_qwait' | 'bl_mv' | 'dump' | 'out' | 'next' | 'bl_mvwait';
    const fsm = new Fsm<Phase>(m, 'phase', [
      'idle', 'fetch', 'fetch_wait', 'decode', 'emb_scale', 'emb_scale_wait', 'el_stream', 'el_drain',
      'bl_p1', 'bl_stats', 'bl_norm', 'bl_rsqrt', 'bl_p2', 'bl_qwait', 'bl_mv', 'dump', 'out', 'next',
      ...(ovl ? (['bl_mvwait'] as const) : []),
    ]);

    // ---- the element stream and the vector memories -------------------------------------------------
    const stream = elementStream(m, fN, nW);
    const { streaming, idx, startStream } = stream;
    const LATE = stream.late;
    const vm = vectorMemories(m, g, dec, stream);
    const lateOperands = vm.lateOperands;

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
    const scalarTableData = m.wire('scalar_table_data', UInt(16));
    const scalar = placeScalarUnit(m, fCmant, scalarTableData);
    const scalarDone = scalar.inst.out('done');
    // The parameter word's address, kept off the SPRAM address path's adders (they set fmax): the
    // stream's words come from two pointers that move with idx and idx_late (param + idx, param + idx -
    // LATE), and the token's row scale from a register loaded at decode; only the scalar tables' base +
    // table_addr is added on the way.
    const pSumW = Math.max(pAw, aw(prog.image.length), offW) + 1;
    const paramPtr = m.reg('param_ptr', UInt(pSumW), { reset: 0 });
    const paramPtrLate = m.reg('param_ptr_late', UInt(pSumW), { reset: 0 });
    const paramTok = m.reg('param_tok', UInt(pSumW), { reset: 0 });
    // An FFF model's tree: its BITLINEARs take the parameter pointer (node_out's gathered norm words) and
    // the weight reader's addresses (accel/control/tree-reader.ts; wires here, driven once the datapath is placed).
    const tree = g.fff ? treeReaderWires(m, g.fff, pSumW, aw(g.weightWords)) : undefined;
    m.sync(() => {
      m.if(streaming, () => paramPtr.set(tree ? mux(tree.gathering, fit(tree.gatherWord, pSumW), paramPtr.add(1).trunc(pSumW)) : paramPtr.add(1).trunc(pSumW)));
      paramPtrLate.set(paramPtrLate.add(1).trunc(pSumW));
      m.if(startStream, () => {
        paramPtr.set(fParam.zext(pSumW));
        paramPtrLate.set(fParam.zext(pSumW).sub(LATE).trunc(pSumW));
      });
      paramTok.set(fParam.zext(pSumW).add(token.zext(pSumW)).trunc(pSumW));
    });
    const tableAddr = m.let(
      'table_addr',
      mux(fsm.is('bl_norm'), lit(prog.tables.recip, UInt(pSumW)), lit(prog.tables.rsqrt, UInt(pSumW))).add(scalar.inst.out('table_addr').zext(pSumW)).trunc(pSumW),
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
    // An FFF's node_in waits after each row's last word until the row's sign has picked the next row.
    const mvValid = tree ? m.let('mv_valid', mvHave.and(tree.hold.not())) : mvHave;
    const mvStart = m.wire('mv_start', Bool);
    const wReady = m.wire('mv_w_ready', Bool);
    const mvFire = m.let('mv_fire', mvValid.and(wReady));
    // the word after mv_addr; an FFF's walk moves it elsewhere
    const mvNext = tree ? tree.next : m.let('mv_next', mux(mvFire, mvAddr.add(1).trunc(wAw), mvAddr));
    const embStreaming = m.let('emb_streaming', fsm.is('el_stream').and(isOp('embed')));
    const wbase = fWbase.zext(wAw + fWbase.width).trunc(wAw);
    const fetchAddr = m.reg('fetch_addr', UInt(wAw), { reset: 0 });
    const fetchLast = m.let('fetch_last', fetchK.eq(iw - 1));
    const fetching = m.let('fetching', fsm.is('fetch').or(fsm.is('fetch_wait').and(fetchLast.not())));
    // With overlap the matrix reads the port in every cycle the phase machine leaves it (mv_grant, below).
    const mvGrant = ovl ? m.wire('mv_grant', Bool) : undefined;
    const mvActiveW = ovl ? m.wire('mv_active_w', Bool) : undefined;
    if (mvGrant && mvActiveW) {
      m.assign(wRaddr, mux(fetching, fetchAddr, mux(mvGrant, mvNext, mux(embStreaming, embAddr, paramWide))));
      m.sync(() => {
        mvHave.set(mvGrant);
        m.if(mvActiveW, () => mvAddr.set(mvNext));
        m.if(mvStart, () => mvAddr.set(wbase));
      });
    } else {
      m.assign(wRaddr, mux(fetching, fetchAddr, mux(mvStart, wbase, mux(fsm.is('bl_mv'), mvNext, mux(embStreaming, embAddr, paramWide)))));
      m.sync(() => {
        m.if(fsm.is('bl_mv'), () => {
          mvAddr.set(mvNext);
          mvHave.set(1);
        }).else(() => mvHave.set(0));
        m.if(mvStart, () => mvAddr.set(wbase));
      });
    }

    const rs = rowSide(m, g, dec, stream, vm, {
      phase: fsm,
      paramWord,
      embByte,
      scalar,
      mvStart,
      matrix: { valid: mvValid, data: wideData, ready: wReady },
      ports: { tokOutData, dbgValid: host.dbg.valid, dbgData: host.dbg.data },
      overlap: ovl,
    });
    const { embScale, normGo, scaleSetup, outIdx, anyWrite } = rs;
    if (tree && g.fff) {
      treeReader(m, { ...g, fff: g.fff }, tree, { walk: f.walk!, param: fParam, wbase, phase: fsm, startStream, streaming, mvAddr, mvFire, mvStart, row: rs.row });
    }
    // The matrix in flight, and the port it may read: not while the phase machine fetches, streams a pass,
    // reads a scalar table word or an element op's parameter words, nor for overlapHold cycles after a
    // stream (a row of a word read then would meet the pass's last elements at the row unit's late stage).
    let mvBusy: Expr = lit(0, Bool);
    let waitMv: Expr = lit(0, Bool); // an instruction without the ovl flag waits at decode for the matrix's last row
    let mvFeeding: Expr = lit(0, Bool); // a BITLINEAR's pass 2 waits only until the matrix has taken its last word
    if (mvGrant && mvActiveW && rs.mvActive && rs.rowsDone && rs.mvFeeding) {
      mvFeeding = rs.mvFeeding;
      const H = overlapHold(prog);
      const hold = m.reg('mv_hold', UInt(clog2(H + 1)), { reset: 0 });
      m.sync(() => {
        m.if(streaming, () => hold.set(H)).elif(hold.eq(0).not(), () => hold.set(hold.sub(1).trunc(hold.width)));
      });
      // the scalar unit reads its table word in one cycle of each of bl_norm and bl_rsqrt (table_rd)
      const tableRead = scalar.inst.out('table_rd').and(fsm.is('bl_norm').or(fsm.is('bl_rsqrt')));
      // an element op's parameter words (GATE's lower bounds, read late) from its stream's start to its last result
      const elParams = isOp('element').and(eq(fWsel, WSEL.param)).and(fsm.is('el_stream').or(fsm.is('el_drain')));
      // and any pass's stream: a row of a word read meanwhile would meet one of its elements at the row
      // unit's late stage (an element op's; pass 1's words keep the port anyway)
      const frontPort = fetching.or(streaming).or(tableRead).or(elParams);
      m.assign(mvActiveW, rs.mvActive);
      m.assign(mvGrant, rs.mvActive.and(frontPort.not()).and(hold.eq(0)));
      mvBusy = m.let('mv_busy', rs.mvActive.and(rs.rowsDone.not()));
      waitMv = m.let('wait_mv', mvBusy.and(f.ovl!.bit(0).not()));
    }

    // ---- the controller -------------------------------------------------------------------------------------
    m.assign(tokIn.ready, loaded.and(fsm.is('idle')));
    m.assign(tokOut.valid, fsm.is('out'));
    const cycles = m.reg('cycles', UInt(cyclesBits), { reset: 0 });
    const rowsDone = rs.rowsDone ?? m.let('rows_done', outIdx.eq(fRows).and(anyWrite.not()));
    const elDone = m.let('el_done', outIdx.eq(fN).and(anyWrite.not()));
    m.comb(() => {
      startStream.set(0);
      const decodeStarts = fsm.is('decode').and(isOp('element').or(isOp('bitlinear')).or(isOp('dump').and(debugEn)));
      m.if(ovl ? decodeStarts.and(waitMv.not()) : decodeStarts, () => startStream.set(1));
      m.if(fsm.is('emb_scale_wait'), () => startStream.set(1));
      m.if(ovl ? scaleSetup.and(mvFeeding.not()).or(fsm.is('bl_mvwait').and(mvFeeding.not())) : scaleSetup, () => startStream.set(1));
    });
    const decode = () => {
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
    };
    m.sync(() => {
      m.if(fsm.is('idle').not().and(fsm.is('dump').not()).and(fsm.is('out').not()), () => cycles.set(cycles.add(1).trunc(cyclesBits)));
      fsm.switch({
        idle: () => {
          m.if(tokIn.valid.and(loaded), () => {
            token.set(tokIn.data);
            fetchAddr.set(mux(tokIn.clear, lit(prog.clearWide, UInt(wAw)), lit(prog.programWide, UInt(wAw))));
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
          // word k into its own slice of the instruction, bits [16 B (k + 1) - 1 : 16 B k]
          instr.load(fetchK, wideData);
          m.if(fetchLast, () => fsm.goto('decode')).else(() => {
            fetchAddr.set(fetchAddr.add(1).trunc(wAw));
            fetchK.set(fetchK.add(1).trunc(fetchK.width));
          });
        },
        decode: () => (ovl ? m.if(waitMv.not(), decode) : decode()),
        emb_scale: () => fsm.goto('emb_scale_wait'), // the row scale's word is read this cycle
        emb_scale_wait: () => {
          embScale.set(paramWord);
          fsm.goto('el_stream');
        },
        ...passPhases(m, fsm, { s: stream, elDone, normGo, scalarDone, scaleSetup, mvStart, rowsDone, tokOutReady: tokOut.ready, stepCycles, cycles }, { afterScale: 'bl_p2', fetch: 'fetch' }),
        ...(ovl
          ? {
              // pass 2 writes the one q store: it waits until the matrix in flight has read its last q
              // chunk (its last word taken; its last rows leave the row unit ahead of pass 2's elements)
              bl_rsqrt: () => m.if(scaleSetup, () => m.if(mvFeeding, () => fsm.goto('bl_mvwait')).else(() => fsm.goto('bl_p2'))),
              bl_mvwait: () => m.if(mvFeeding.not(), () => fsm.goto('bl_p2')),
              // the matrix streams on its own: the next instruction is fetched at once (and waits at decode
              // for the last row unless accel/overlap.ts flagged it)
              bl_qwait: () => m.if(mvStart, () => fsm.goto('fetch')),
            }
          : {}),

      });
    });
  });
}
