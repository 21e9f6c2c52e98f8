// The external target's top level: the accelerator with no weight memory of its own. Every word it
// reads for a token (instructions, parameter vectors, the embedding row, the matrices) streams in from
// DRAM through a native read port, in the order it is consumed (stream-image.ts), via the weight
// streamer's prefetch FIFO (weight-streamer.ts). The datapath and the vector memories are the on-chip
// targets' (accel/datapath/), with R row lanes (config.ts rowLanes); what changes is where the
// controller's words come from (stream-readers.ts):
//   fetch          the instruction's words are popped from the FIFO
//   parameters     an element op with wsel = param and both passes of a BITLINEAR pop their n words, R
//                  elements a cycle at the operand stage they feed (early, or LATE later for ops whose w
//                  arrives at the row unit's late ports); the pass starts only when the FIFO holds them all
//   embedding      the row's scale word, then its codes, 2 B per word, R a cycle
//   matrix         the matvec unit takes the FIFO's words through its valid/ready input; at 5 trits
//                  through the gearbox (units/trit5-gearbox.ts), which takes exactly the matrix's words
//   scalar tables  an on-chip ROM (they are constants, read by address)
//
// Ports
//   dram_cmd_*, dram_rdata_*          the native read port (weight-streamer.ts)
//   tok_in_*, tok_in_clear, tok_out_*, debug_en, dbg_*, step_cycles   as accel/top.ts
//   stream_error                       sticky: the controller popped a word the FIFO did not have
import { buildModule, type Module } from '../../hdl/index.ts';
import { lit, mux, type Expr } from '../../hdl/core/expr.ts';
import { Fsm } from '../../hdl/core/fsm.ts';
import { Bool, UInt, clog2 } from '../../hdl/core/types.ts';
import { scalarTable } from '../units/scalar-tables.ts';
import { OP, WSEL } from '../isa.ts';
import type { AccelProgram } from '../program.ts';
import { predictCycles } from '../timing.ts';
import { hostPorts } from '../control/host-ports.ts';
import { passPhases } from '../control/pass-phases.ts';
import { decodeFields } from '../control/fields.ts';
import { instructionRegister } from '../control/instruction-register.ts';
import { elementStream } from '../control/element-stream.ts';
import { vectorMemories } from '../datapath/vector-memories.ts';
import { placeScalarUnit, rowSide } from '../datapath/row-side.ts';
import { externalImage, type ExternalImage } from './stream-image.ts';
import { weightStreamer } from './weight-streamer.ts';
import { embeddingReader, paramReader } from './stream-readers.ts';
import { trit5Gearbox } from '../units/trit5-gearbox.ts';
import { stream } from '../../hdl/core/signature.ts';
import { fit } from '../datapath/row-side.ts';
import type { AccelGeometry } from '../config.ts';

/**
 * Width of the step_cycles counter. How long a token takes depends on the memory, which the design does
 * not know, so the counter is wide enough for any memory: 40 bits (an hour at 300 MHz; a few dozen flip-
 * flops on a device this target runs on), or sixteen times the cycles predicted with the words always
 * there, if that is more.
 */
export function externalStepCyclesBits(prog: AccelProgram): number {
  return Math.max(40, clog2(16 * predictCycles(prog).total));
}

const aw = (depth: number) => Math.max(1, clog2(depth));

/**
 * Block RAM given to the prefetch FIFO at least (32 ECP5 DP16KD): while the row unit runs a layer's
 * passes and no matrix streams, the memory keeps filling it, so a port that streams slower than one word
 * a cycle (refresh, row misses) catches up on the next matrix.
 */
export const PREFETCH_BUDGET_BITS = 512 * 1024;

/** Words of the prefetch FIFO, a power of two: the budget, and at least twice the longest pass's words and the DRAM's latency. */
export function prefetchDepth(img: ExternalImage): number {
  return 2 ** clog2(Math.max(64, 2 * img.longestPass + 64, PREFETCH_BUDGET_BITS / img.wordBits));
}

export function externalTop(prog: AccelProgram, name = 'mmf_accel_ext'): Module {
  const img = externalImage(prog);
  return buildModule(name, (m) => {
    const g = prog.geometry;
    const B = g.banks;
    const layout = prog.layout;
    const nW = layout.fields.n.width;
    const R = g.rowLanes;
    const log2R = clog2(R);

    // ---- ports ------------------------------------------------------------------------------------
    const cyclesBits = externalStepCyclesBits(prog);
    const host = hostPorts(m, g.tokenBits, cyclesBits);
    const { tokIn, tokOut, tokOutData, debugEn, stepCycles } = host;

    // ---- the instruction register: iw stream words per instruction ----------------------------------
    const iw = prog.instructionWideWords;
    const W = 16 * B;
    const instr = instructionRegister(m, layout, W, iw);
    const fetchK = m.reg('fetch_k', UInt(Math.max(1, clog2(iw))), { reset: 0 });
    const fetchLast = m.let('fetch_last', fetchK.eq(iw - 1));
    const dec = decodeFields(m, instr.ir, layout);
    const { f, eq, isOp } = dec;
    m.sink(f.param, f.wbase); // one bit each here: the words follow their instruction in the stream
    const fsm = new Fsm(m, 'phase', [
      'idle', 'fetch', 'decode', 'emb_scale', 'emb_wait', 'el_stream', 'el_drain',
      'bl_p1', 'bl_stats', 'bl_norm', 'bl_rsqrt', 'bl_p2_wait', 'bl_p2', 'bl_qwait', 'bl_mv', 'dump', 'out', 'next',
    ] as const);

    // ---- the element stream and the vector memories -------------------------------------------------
    // A pass streams n / R words of R elements; a DUMP streams its n elements one by one (vector-memories.ts).
    const steps = R === 1 ? f.n : m.let('pass_steps', f.n.shr(log2R).zext(nW));
    const stream = elementStream(m, R === 1 ? f.n : m.let('stream_n', mux(isOp('dump'), f.n, steps)), nW);
    const { streaming, startStream } = stream;
    const vm = vectorMemories(m, g, dec, stream);

    // ---- the weight stream: the streamer's prefetch FIFO, popped in the order the image was laid out ----
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
      clear: tokIn.clear,
      token: tokIn.data,
      cmd_ready: m.input('dram_cmd_ready', Bool),
      rdata_valid: m.input('dram_rdata_valid', Bool),
      rdata_data: m.input('dram_rdata_data', UInt(W)),
      out_ready: pop,
    });
    m.assign(m.output('dram_cmd_valid', Bool), streamer.out('cmd_valid'));
    m.assign(m.output('dram_cmd_addr', UInt(A)), streamer.out('cmd_addr'));
    m.assign(m.output('dram_rdata_ready', Bool), streamer.out('rdata_ready'));
    m.assign(m.output('stream_error', Bool), streamer.out('error'));
    const wValid = streamer.out('out_valid');
    const wData = streamer.out('out_data');
    const avail = streamer.out('avail');
    // A pass that pops words starts when they are all in the FIFO (it cannot stall halfway): n
    // parameter words, B to a stream word.
    const wordsOf = (n: Expr): Expr => (B === 1 ? n : n.add(B - 1).shr(clog2(B)));
    const consumesParams = m.let('consumes_params', isOp('element').or(isOp('bitlinear')).and(eq(f.wsel, WSEL.param)));
    const wordsReady = m.let('words_ready', consumesParams.not().or(avail.ge(wordsOf(f.n.zext(nW + 1)))));
    const embRowReady = m.let('emb_row_ready', avail.ge(g.embedRowWords));

    // The BitLinear's scalars; their tables are constants, in a ROM read one cycle after table_addr.
    const recipTable = scalarTable('recip');
    const tables = [...recipTable, ...scalarTable('rsqrt')];
    const tAw = aw(tables.length);
    const tableRom = m.memory('scalar_tables', UInt(16), tables.length, { init: tables });
    const tableAddr = m.wire('table_addr', UInt(tAw));
    const scalar = placeScalarUnit(m, f.cmant, tableRom.read(tableAddr, { name: 'table_word' }));
    m.sink(scalar.inst.out('table_rd'));
    m.assign(tableAddr, mux(fsm.is('bl_norm'), lit(0, UInt(tAw)), lit(recipTable.length, UInt(tAw))).add(scalar.inst.out('table_addr').zext(tAw)).trunc(tAw));

    // The stream's readers: parameter words, embedding codes; the matvec unit takes the matrix's words
    // straight from the FIFO; fetch and the embedding's scale take one word each.
    const params = paramReader(m, { banks: B, lanes: R, word: wData, steps, start: startStream.and(consumesParams), late: vm.lateOperands, s: stream });
    const emb = embeddingReader(m, { banks: B, lanes: R, word: wData, active: fsm.is('el_stream').and(isOp('embed')).and(streaming), s: stream });
    const mvStart = m.wire('mv_start', Bool);
    const wReady = m.wire('mv_w_ready', Bool);
    const mvWords = m.let('mv_in_valid', fsm.is('bl_mv').and(wValid));
    // The matrix: at 2 bits its words are the matvec unit's; at 5 trits the gearbox decodes them, taking
    // exactly the matrix's words (rows x ceil(n / P) chunks, counted at decode) as it needs them.
    const matrix = g.packing === '5trit'
      ? trit5Matrix(m, { words: { valid: mvWords, data: wData }, ready: wReady, start: mvStart, rows: f.rows, n: f.n, decode: fsm.is('decode'), g, wordBits: W })
      : { chunk: { valid: mvWords, data: wData }, taken: mvWords.and(wReady) };
    const fetchPop = m.let('fetch_pop', fsm.is('fetch').and(wValid));
    const embScalePop = m.let('emb_scale_pop', fsm.is('emb_scale').and(wValid));
    m.assign(pop, fetchPop.or(embScalePop).or(params.pop).or(emb.pop).or(matrix.taken));

    const { embScale, normGo, scaleSetup, scalarDone, outIdx, anyWrite } = rowSide(m, g, dec, stream, vm, {
      phase: fsm,
      paramWord: params.paramWord,
      embByte: emb.embByte,
      scalar,
      mvStart,
      matrix: { valid: matrix.chunk.valid, data: matrix.chunk.data, ready: wReady },
      ports: { tokOutData, dbgValid: host.dbg.valid, dbgData: host.dbg.data },
    });

    // ---- the controller: one instruction at a time, its words popped as they are used ---------------
    m.assign(tokIn.ready, fsm.is('idle'));
    m.assign(tokOut.valid, fsm.is('out'));
    const cycles = m.reg('cycles', UInt(cyclesBits), { reset: 0 });
    const rowsDone = m.let('rows_done', outIdx.eq(f.rows).and(anyWrite.not()));
    const elDone = m.let('el_done', outIdx.eq(steps).and(anyWrite.not()));
    m.comb(() => {
      startStream.set(0);
      m.if(fsm.is('decode').and(isOp('element').or(isOp('bitlinear')).or(isOp('dump').and(debugEn))).and(wordsReady), () => startStream.set(1));
      m.if(fsm.is('emb_wait').and(embRowReady), () => startStream.set(1));
      m.if(fsm.is('bl_p2_wait').and(wordsReady), () => startStream.set(1));
    });
    m.assign(streamStart, fsm.is('idle').and(tokIn.valid));
    m.sync(() => {
      m.if(fsm.is('idle').not().and(fsm.is('dump').not()).and(fsm.is('out').not()), () => cycles.set(cycles.add(1).trunc(cyclesBits)));
      fsm.switch({
        idle: () => {
          m.if(tokIn.valid, () => {
            cycles.set(1);
            fsm.goto('fetch');
          });
        },
        fetch: () => {
          // the instruction's words, one a cycle as the FIFO has them; word k into bits [W (k + 1) - 1 : W k]
          m.if(wValid, () => {
            instr.load(fetchK, wData);
            fetchK.set(fetchK.add(1).trunc(fetchK.width));
            m.if(fetchLast, () => {
              fetchK.set(0);
              fsm.goto('decode');
            });
          });
        },
        decode: () => {
          m.switch(f.op)
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
        // a BitLinear's pass 2 waits for its parameter words, which follow pass 1's in the stream
        bl_p2_wait: () => m.if(wordsReady, () => fsm.goto('bl_p2')),
        ...passPhases(m, fsm, { s: stream, elDone, normGo, scalarDone, scaleSetup, mvStart, rowsDone, tokOutReady: tokOut.ready, stepCycles, cycles }, { afterScale: 'bl_p2_wait', fetch: 'fetch' }),

      });
    });
  });
}

/**
 * The 5-trit gearbox between the FIFO's words and the matvec unit (its `ready`): its chunk stream, and
 * the pop of a matrix word (the gearbox takes one when it has room, whatever the matvec unit's ready).
 */
function trit5Matrix(m: Module, o: { words: { valid: Expr; data: Expr }; ready: Expr; start: Expr; rows: Expr; n: Expr; decode: Expr; g: AccelGeometry; wordBits: number }) {
  const P = o.g.lanes;
  const chunkBits = clog2(o.g.maxRows * Math.ceil(o.g.maxCols / P) + 1);
  // rows x ceil(n / P), a small product formed once per instruction
  const perRow = o.n.zext(o.n.width + 1).add(P - 1).shr(clog2(P));
  const chunks = m.reg('mv_chunks', UInt(chunkBits));
  m.sync(() => m.if(o.decode, () => chunks.set(fit(o.rows.mul(perRow), chunkBits))));
  const words = m.wires(stream(UInt(o.wordBits)), 'mv_words');
  const chunk = m.wires(stream(UInt(2 * P)), 'mv_chunk');
  m.assign(words.valid, o.words.valid);
  m.assign(words.data, o.words.data);
  m.assign(chunk.ready, o.ready);
  const gear = m.instance('u_trit5', trit5Gearbox({ wordBits: o.wordBits, lanes: P, chunkBits }), { start: o.start, chunks, in: words, out: chunk });
  m.sink(gear.out('busy'));
  return { chunk, taken: m.let('mv_word_taken', words.valid.and(words.ready)) };
}
