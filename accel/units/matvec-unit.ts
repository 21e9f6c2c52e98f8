// The ternary matrix-vector unit: acc_r = sum_c t_rc q_c for a rows x cols matrix of ternary weights
// streamed in at P = `lanes` weights per cycle, against an int8 vector q held inside the unit.
//
// Interface (sizes are run-time inputs, bounded by the generator parameters maxRows / maxCols):
//   q_wr_en, q_wr_addr, q_wr_data  write q[addr] = data (int8), one element per cycle, any order, at
//                                  any time (a weight word accepted at cycle c sees exactly the writes
//                                  of the cycles before c; w_ready is 0 for the 3 cycles after a write).
//   start, rows, cols              a start pulse takes a matrix's sizes when busy is 0 (ignored while
//                                  busy, and when rows or cols is 0); rows <= maxRows, cols <= maxCols.
//   busy                           1 from the cycle after an accepted start until the matrix's last
//                                  weight word has been accepted.
//   w_valid / w_ready / w_data     the weights: P two-bit codes per word (code i in bits [2i+1:2i],
//                                  00 = 0, 01 = +1, 11 = -1, 10 read as 0), row-major, every row padded
//                                  with zero codes to ceil(cols / P) words. One word per cycle.
//   acc_valid, acc_data, acc_row   one exact row sum per row, in row order (no back-pressure: at most
//                                  one result per cycle); acc_data is SInt(8 + clog2(maxCols) + 1).
//   done                           a pulse together with the last row's acc_valid.
//
// Timing. A start at cycle 0 is registered (cmd_valid at cycle 1) and w_ready is 1 from cycle 2 until
// the last of the N = rows * ceil(cols / P) words is accepted, so with w_valid held at 1 the words go in
// at cycles 2 .. N + 1. A word accepted at cycle c reaches the lane at once (its q chunk was read on
// the edge before), the lane adds for stages + 1 cycles, and the accumulator registers the row result
// one edge later: the last row is on acc_valid, with done, at cycle N + stages + 3 (matvecCycles). busy
// drops after the last word, so the next start and the next q writes overlap the drain: back to back a
// matrix costs N + 2 cycles plus its q writes. A start in the cycle right after a q write loses one
// cycle (w_ready is 0 at cycle 2); one idle cycle between them avoids it.
//
// The q store. Every cycle needs a P * 8-bit slice q[kP .. kP + P - 1]; iCE40 block RAM (EBR) is at
// most 16 bits wide, so q lives in P / 2 banks, bank j holding the pair (q[kP + 2j], q[kP + 2j + 1]) in
// word k, depth ceil(maxCols / P), all read at one address: yosys puts each bank on one SB_RAM40_4K
// (256 x 16), so P / 2 EBRs for any maxCols up to 256 P (16 for P = 32; P = 64 needs 32, more than an
// UP5K's 30). Registers instead would cost maxCols x 8 flip-flops plus a ceil(maxCols / P):1 multiplexer
// on P x 8 bits (2,048 FFs and about 1,000 LUTs at maxCols = 256), over half of an UP5K with the lane.
// The HDL's memory write ports write whole words (no byte mask, although SB_RAM40_4K has one), so a
// one-element write is a read-modify-write of its pair: stage 1 reads the pair from a shadow copy of q
// (a 16-bit memory of ceil(maxCols / 2) pairs: one more EBR up to maxCols = 512), stage 2 merges the
// byte and writes the shadow, forwarding the previous write-back when both hit the same pair, stage 3
// writes the bank from registers. Reading the pair from the banks instead needs a (P / 2):1 multiplexer
// over their read data: about 200 more LUTs at P = 32, and it set fmax (40 MHz on an UP5K).
//
// Wide q writes. With qLanes = Q > 1 (a power of two, 2 .. P: a row side that quantises Q elements a
// cycle, accel/datapath/row-side.ts) q_wr_addr is a group index and q_wr_data holds q[Q a .. Q a + Q - 1]
// (element Q a + i in bits [8i + 7 : 8i]). A group is Q / 2 whole pairs of one word, so it is written
// straight into its banks with no read-modify-write and no shadow copy, through the same three stages
// (so w_ready's rule above is unchanged).
//
// Column mode (options.columns = maxLevels, qLanes 1; absent, the unit is exactly the row-mode one).
// Why: a Fast FeedForward (numerics/fff.ts) computes per token out_j = sum_l q[l] W[j, n_l] over the
// L = depth + 1 nodes n_l of its path, W = node_out [d, N]. Read by rows that is the dense matrix,
// d * N / P words; kept by column instead (node n's d weights contiguous in ceil(d / P) words:
// packWeightWords of W transposed), only the path's L columns are read: L * ceil(d / P) words plus d
// cycles for the outputs (d = 256, N = 511, P = 8: 546 cycles against 16,390).
// The outputs are summed A at a time (options.columnLanes, a power of two 1 .. P, default P): group g
// is outputs gA .. gA + A - 1, lanes (g mod P / A) A .. + A - 1 of chunk c = floor(gA / P)'s words.
//   columns                        a third size taken with start (ignored unless the start is taken):
//                                  1 = column mode; then rows = the outputs (<= maxRows) and cols =
//                                  the levels L (1 .. maxLevels). q[0 .. L - 1] is written as above.
//   w_data                         for each group g = 0 .. G - 1 (G = ceil(rows / A)) and each level
//                                  l = 0 .. L - 1, the word of (chunk floor(gA / P), level l): lane k of
//                                  it (bits [2k+1:2k], the same codes) is W[cP + k, n_l], weighing
//                                  output cP + k by q[l]. So each chunk's L words come P / A times, once
//                                  per group in it (the last chunk only for the groups up to G - 1);
//                                  A = P is chunk-major, each word once. Lanes outside the group and
//                                  past rows are ignored.
//   acc_valid, acc_data, acc_row   out_j for j = 0 .. rows - 1 in order, one a cycle, exact, on the
//                                  same ports (|out_j| <= 128 L); done with the last. A group's outputs
//                                  follow its last level (A < P: the first in the next cycle, from the
//                                  accumulator; at A = 1 as the next group's words go in).
//   busy                           1 from the cycle after an accepted start until the last output has
//                                  been emitted (0 again in the cycle done is 1, where a new start is
//                                  taken): unlike row mode it covers the emission, so a start cannot
//                                  disturb the last group's outputs. q writes may come at any time.
// Timing, w_valid held at 1 and no q write from the cycle before start (cycle 0) on, E = P for A = P
// and A - 1 for A < P: w_ready is 1 at cycles 2 + g (L + E) .. 2 + g (L + E) + L - 1 (group g's L
// words) and 0 in the E cycles after each run. Group g's last word at X, its e = min(A, rows - gA)
// outputs have acc_valid at X + 2 .. X + e + 1 (A = P) or X + 1 .. X + e (A < P; so no idle cycle at
// A = 1, nor after a last group of one output). done is at cycle L G + rows + 2 (A = P) or
// L G + rows - G + 2 (A < P; L rows + 2 at A = 1), G = ceil(rows / A) (matvecColumnCycles). With gaps
// in w_valid the runs stretch, the E idle cycles stay. A q write costs 3 cycles of w_ready as in row
// mode, and after a row matrix the first column word waits for the cycle of that matrix's done (the
// two modes share acc_valid; the row results come first).
// Hardware: A sums, each adding +q[l], -q[l] (~q[l] plus a carry in) or nothing per word as its code
// says, no multiplier; with A < P sum a takes lane (g mod P / A) A + a's code through a (P / A):1
// multiplexer on the group counter's low bits. q[l] comes from the shadow copy's read port (its pair
// at l >> 1, a 2:1 byte choice), read whenever no q write needs the port, instead of from the banks
// (a P:1 byte multiplexer, 8 (P - 1) LUTs). The sums are registers of matvecColumnSumWidth(maxLevels)
// bits, except sum 0 when A < P: that is the row mode's accumulator (a multiplexer on its adder's
// operand picks +-q[l] instead of the lane's dot), ended and put on acc_data as a row is, so it needs
// no register, adder, output multiplexer input or emission cycle of its own. The register sums leave
// through one multiplexer with w_ready held at 0 (no second bank), and the last one's edge clears
// them all with the flip-flops' synchronous reset: that costs the next group its first cycle where
// loading instead of adding at a group's first level would cost a multiplexer on every sum bit.
// The cost at P = 8 (maxRows 256, maxCols 64, maxLevels 9, stages 3; yosys synth_ice40, nextpnr's
// packing), over the unit without column mode (314 LUT4, 421 logic cells): A = 8 adds 314 LUT4 (315
// cells), A = 4 187 (182), A = 2 116 (109), A = 1 61 (68); 64 outputs of 9 levels take 138, 194, 322
// and 578 cycles, which matter little next to a token.
import { defineModule, UInt, SInt, Bool, clog2, cat, mux, lit, type Expr, type Module, type Signal } from '../../hdl/index.ts';
import type { Memory } from '../../hdl/core/memory.ts';
import { ternaryLane, ternaryLaneLatency } from '../../hdl/lib/ternary-lane.ts';
import { QACT, TERNARY_2BIT } from '../../numerics/formats.ts';

export interface MatvecUnitOptions {
  /** P: weights per cycle (a power of two, at least 4; 16, 32 and 64 are the intended sizes). */
  lanes: number;
  /** Largest `rows` the unit accepts. */
  maxRows: number;
  /** Largest `cols` the unit accepts (the q store holds this many int8 elements). */
  maxCols: number;
  /** Register stages inside the lane's adder trees, 0 .. clog2(lanes); default clog2(lanes). */
  stages?: number;
  /** Q: q elements per write, a power of two from 1 (the default) to lanes. */
  qLanes?: number;
  /**
   * With it, the column mode (see the header): the most levels (`cols` in column mode) a column-mode
   * matrix may have, 1 .. maxCols; needs qLanes 1. Absent: no column mode (and not a gate more).
   */
  columns?: number;
  /**
   * A: the column mode's accumulators (outputs summed at once), a power of two from 1 to lanes;
   * default lanes. Fewer cost fewer LUTs and re-read each chunk's words P / A times (see the header).
   */
  columnLanes?: number;
}

export interface MatvecUnitParams {
  [k: string]: number | undefined;
  lanes: number;
  maxRows: number;
  maxCols: number;
  stages: number;
  /** Absent for one element per write (so the one-element unit keeps its name). */
  qLanes?: number;
  /** maxLevels of the column mode; absent without it (so the unit keeps its name). */
  columns?: number;
  /** A of the column mode; absent when it is lanes (so those units keep their name). */
  columnLanes?: number;
}

export function matvecUnitParams(o: MatvecUnitOptions): MatvecUnitParams {
  const { lanes, maxRows, maxCols } = o;
  if (!Number.isInteger(lanes) || lanes < 4 || (lanes & (lanes - 1)) !== 0) throw new RangeError(`matvec unit: lanes must be a power of two >= 4, got ${lanes}`);
  if (!Number.isInteger(maxRows) || maxRows < 1) throw new RangeError(`matvec unit: maxRows must be a positive integer, got ${maxRows}`);
  if (!Number.isInteger(maxCols) || maxCols < 1) throw new RangeError(`matvec unit: maxCols must be a positive integer, got ${maxCols}`);
  const stages = o.stages ?? clog2(lanes);
  if (!Number.isInteger(stages) || stages < 0 || stages > clog2(lanes)) throw new RangeError(`matvec unit: stages must be 0..${clog2(lanes)}, got ${stages}`);
  const qLanes = o.qLanes ?? 1;
  if (!Number.isInteger(qLanes) || qLanes < 1 || qLanes > lanes || (qLanes & (qLanes - 1)) !== 0) throw new RangeError(`matvec unit: qLanes must be a power of two from 1 to lanes (${lanes}), got ${qLanes}`);
  const columns = o.columns;
  if (columns !== undefined) {
    if (!Number.isInteger(columns) || columns < 1 || columns > maxCols) throw new RangeError(`matvec unit: columns (maxLevels) must be an integer from 1 to maxCols (${maxCols}), got ${columns}`);
    if (qLanes !== 1) throw new RangeError(`matvec unit: columns needs qLanes 1, got qLanes ${qLanes}`);
  }
  const columnLanes = o.columnLanes;
  if (columnLanes !== undefined) {
    if (columns === undefined) throw new RangeError(`matvec unit: columnLanes (${columnLanes}) needs columns (the column mode)`);
    if (!Number.isInteger(columnLanes) || columnLanes < 1 || columnLanes > lanes || (columnLanes & (columnLanes - 1)) !== 0) throw new RangeError(`matvec unit: columnLanes must be a power of two from 1 to lanes (${lanes}), got ${columnLanes}`);
  }
  const params: MatvecUnitParams = { lanes, maxRows, maxCols, stages, qLanes: qLanes > 1 ? qLanes : undefined, columns };
  if (columnLanes !== undefined && columnLanes !== lanes) params.columnLanes = columnLanes;
  return params;
}

/** Width of acc_data: exactly enough for [-128 maxCols, 128 maxCols]. */
export function matvecAccWidth(maxCols: number): number {
  return QACT.bits + clog2(maxCols) + 1;
}

/**
 * Width of a column-mode lane sum: exactly enough for [-128 maxLevels, 128 maxLevels] (one bit less
 * than matvecAccWidth's form when maxLevels is not a power of two: 12 bits for 9 levels).
 */
export function matvecColumnSumWidth(maxLevels: number): number {
  return clog2(-QACT.min * maxLevels + 1) + 1;
}

/** Weight words of one row: ceil(cols / lanes). */
export function matvecChunks(cols: number, lanes: number): number {
  return Math.ceil(cols / lanes);
}

/**
 * Cycles from the start pulse (cycle 0) to the cycle where done is 1, with w_valid held at 1 and no
 * q write in the cycle before start: rows * ceil(cols / P) + stages + 3.
 */
export function matvecCycles(p: MatvecUnitOptions, rows: number, cols: number): number {
  const q = matvecUnitParams(p);
  return rows * matvecChunks(cols, q.lanes) + matvecOverhead(q);
}

/**
 * Column mode: cycles from the start pulse (cycle 0) to the cycle where done is 1, with w_valid held
 * at 1, no q write from the cycle before start on and no row matrix's result still to come: L words
 * for each of the G = ceil(rows / A) groups, one cycle per output (with A < P not for a group's
 * first, which leaves from the accumulator right after the group's last word), and the start:
 * levels G + rows + 2 (A = P) or levels G + rows - G + 2 (A < P; levels rows + 2 at A = 1).
 */
export function matvecColumnCycles(p: MatvecUnitOptions, rows: number, levels: number): number {
  const q = matvecUnitParams(p);
  if (q.columns === undefined) throw new RangeError('matvecColumnCycles: the unit has no column mode (options.columns)');
  const A = q.columnLanes ?? q.lanes;
  const groups = Math.ceil(rows / A);
  return levels * groups + (A === q.lanes ? rows : rows - groups) + 2;
}

/**
 * The constant of matvecCycles: the start (command) register and the first word's cycle, the lane's
 * latency (stages + 1) and the accumulator register.
 */
export function matvecOverhead(p: MatvecUnitOptions): number {
  return ternaryLaneLatency({ n: p.lanes, stages: matvecUnitParams(p).stages }) + 2;
}

/**
 * The weight stream of a row-major matrix of codes in {-1, 0, +1}: rows x ceil(cols / lanes) words,
 * each `lanes` 2-bit codes (numerics/formats.ts TERNARY_2BIT), code i in bits [2i+1 : 2i], rows padded
 * with zero codes; as 16-bit halfwords, ceil(lanes / 8) per word, the low bits first (how the weight
 * memory's banks and the DRAM image hold them).
 */
export function packWeightHalfwords(codes: ArrayLike<number>, rows: number, cols: number, lanes: number): Uint16Array {
  if (codes.length !== rows * cols) throw new Error(`packWeightWords: ${rows}x${cols} matrix given ${codes.length} codes`);
  const chunks = matvecChunks(cols, lanes);
  const per = Math.ceil(lanes / 8);
  const out = new Uint16Array(rows * chunks * per);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const t = codes[r * cols + c]!;
      const code = t === 1 ? TERNARY_2BIT.plus : t === -1 ? TERNARY_2BIT.minus : t === 0 ? TERNARY_2BIT.zero : NaN;
      if (Number.isNaN(code)) throw new Error(`packWeightWords: weight ${t} at (${r}, ${c}) is not ternary`);
      const i = c % lanes;
      out[(r * chunks + Math.floor(c / lanes)) * per + (i >> 3)]! |= code << (2 * (i & 7));
    }
  }
  return out;
}

/** The same stream as one bigint per word (for benches that drive w_data). */
export function packWeightWords(codes: ArrayLike<number>, rows: number, cols: number, lanes: number): bigint[] {
  const half = packWeightHalfwords(codes, rows, cols, lanes);
  const per = Math.ceil(lanes / 8);
  const words: bigint[] = [];
  for (let k = 0; k < half.length; k += per) {
    let w = 0n;
    for (let j = per - 1; j >= 0; j--) w = (w << 16n) | BigInt(half[k + j]!);
    words.push(w);
  }
  return words;
}

/**
 * Memories are declared at least this deep. yosys maps a memory of 64 bits or less (a bank of 4 words
 * or fewer: P = 32 with maxCols <= 128) onto flip-flops, P x 8 x depth of them, and the HDL cannot ask
 * for block RAM (it prints no ram_style attribute); unused words cost nothing in an EBR.
 */
const MIN_EBR_DEPTH = 16;

/** Bits hi..lo of `e`, or a 1-bit zero when the range is empty (hi < lo). */
function bitsOr0(e: Expr, hi: number, lo: number): Expr {
  return hi < lo ? lit(0, UInt(1)) : e.slice(hi, lo);
}

/** `e` as an unsigned `width`-bit value: zero-extended, or its low bits (callers know the value fits). */
function fitU(e: Expr, width: number): Expr {
  return e.width < width ? e.zext(width) : e.asUnsigned().trunc(width);
}

/** items[sel] through a binary tree of 2:1 multiplexers on sel's bits (items.length = 2^sel.width). */
function muxTree(sel: Expr, items: Expr[]): Expr {
  let level = items;
  for (let b = 0; level.length > 1; b++) level = level.filter((_, i) => i % 2 === 0).map((e, i) => mux(sel.bit(b), level[2 * i + 1]!, e));
  return level[0]!;
}

export const matvecUnitModule = defineModule('matvec_unit', (m, p: MatvecUnitParams) => {
  const P = p.lanes;
  const log2P = clog2(P);
  const banks = P / 2;
  const maxChunks = matvecChunks(p.maxCols, P);
  const kW = Math.max(1, clog2(maxChunks)); // chunk index = q store word address
  const rW = Math.max(1, clog2(p.maxRows)); // row index
  const accW = matvecAccWidth(p.maxCols);
  const latency = ternaryLaneLatency({ n: P, stages: p.stages });
  // Column mode (p.columns = maxLevels): the chunk counter also counts levels, so it is wide enough
  // for both; the q banks take its low kW bits.
  const maxLevels = p.columns;
  const kCW = maxLevels ? Math.max(kW, clog2(maxLevels), 1) : kW;
  // A column-mode accumulators; the row counter counts their groups of outputs, and its low log2G
  // bits are a group's place in its chunk (which lanes of the word it takes).
  const A = p.columnLanes ?? P;
  const log2A = clog2(A);
  const log2G = log2P - log2A;

  // ---- ports ----------------------------------------------------------------------------------
  const Q = p.qLanes ?? 1;
  const qWrEn = m.input('q_wr_en', Bool);
  const qWrAddr = m.input('q_wr_addr', UInt(Math.max(1, clog2(Math.ceil(p.maxCols / Q)))));
  const qWrData = Q === 1 ? m.input('q_wr_data', SInt(QACT.bits)) : m.input('q_wr_data', UInt(QACT.bits * Q));
  const start = m.input('start', Bool);
  const rows = m.input('rows', UInt(clog2(p.maxRows + 1)));
  const cols = m.input('cols', UInt(clog2(p.maxCols + 1)));
  const columnsIn = maxLevels ? m.input('columns', Bool) : undefined;
  const busy = m.output('busy', Bool);
  const wValid = m.input('w_valid', Bool);
  const wReady = m.output('w_ready', Bool);
  const wData = m.input('w_data', UInt(2 * P));
  const accValid = m.output('acc_valid', Bool, { reg: true, reset: 0 });
  const accData = m.output('acc_data', SInt(accW), { reg: true });
  const accRow = m.output('acc_row', UInt(rW), { reg: true });
  const done = m.output('done', Bool, { reg: true, reset: 0 });

  // ---- state of the weight side ----------------------------------------------------------------
  const feeding = m.reg('feeding', Bool, { reset: 0 });
  const k = m.reg('chunk', UInt(kCW), { reset: 0 }); // chunk (level) of the next word; 0 whenever idle
  const r = m.reg('row', UInt(rW), { reset: 0 });
  // The last chunk and row less one (and whether the last chunk is 0), set by start.
  const lastKM1 = m.reg('last_chunk_m1', UInt(kCW));
  const lastKZero = m.reg('last_chunk_zero', Bool);
  const lastRowM1 = m.reg('last_row_m1', UInt(rW));

  // ---- q writes: 1 take the write, 2 merge it into its pair (one element) or pass it on (a group),
  // 3 write the bank from registers. Each way returns stage 3's valid and how bank j is written.
  interface QWrites {
    wr1Valid: Signal;
    fwdValid: Signal;
    writeBank: (mem: Memory, j: number) => void;
    /** Column mode: the shadow copy's read register and the pair address it reads when no q write does. */
    pairRd?: Signal;
    colPairAddr?: Signal;
  }
  const elementWrites = (): QWrites => {
    const addrW = log2P + kW; // q_wr_addr as (word, lane); maxCols <= P * maxChunks so it always fits
    const addr = qWrAddr.width < addrW ? qWrAddr.zext(addrW) : qWrAddr;
    const pairIn = m.let('wr_pair_in', bitsOr0(qWrAddr, qWrAddr.width - 1, 1)); // q_wr_addr >> 1
    const wr1Valid = m.reg('wr1_valid', Bool, { reset: 0 });
    const wr1Pair = m.reg('wr1_pair', pairIn.type);
    const wr1Word = m.reg('wr1_word', UInt(kW));
    const wr1Bank = m.reg('wr1_bank', UInt(log2P - 1));
    const wr1Byte = m.reg('wr1_byte', Bool);
    const wr1Data = m.reg('wr1_data', UInt(QACT.bits));
    // Stage 3: the previous cycle's write-back, forwarded to a write of the same pair right behind it,
    // and written into its bank from these registers (EBR data in straight from flip-flops).
    const fwdValid = m.reg('fwd_valid', Bool, { reset: 0 });
    const fwdWord = m.reg('fwd_word', UInt(kW));
    const fwdValue = m.reg('fwd_value', UInt(16));

    // The shadow copy: pair a >> 1 at address a >> 1, one EBR per 512 elements. It spares the
    // read-modify-write a (P / 2):1 multiplexer over the banks' read data, which costs about 200 LUTs
    // at P = 32 and sets fmax (EBR data out -> 5 LUT levels -> EBR data in: 40 MHz on an UP5K).
    // Its read is skipped on a collision with the write-back, which forwarding covers instead; yosys
    // proves the two never collide and adds no read-old-data emulation (see the banks below).
    const pairs = m.memory('q_pairs', UInt(16), Math.max(MIN_EBR_DEPTH, Math.ceil(p.maxCols / 2)));
    const pairCollides = m.let('wr_pair_collides', wr1Valid.and(pairIn.eq(wr1Pair)));
    // In column mode the same read port also fetches q[l]'s pair for the column lanes whenever no q
    // write needs it (then w_ready is 0 anyway), and never on an edge that writes the shadow copy.
    const colPairAddr = maxLevels ? m.wire('col_pair_raddr', pairIn.type) : undefined;
    const pairOld = colPairAddr
      ? pairs.read(mux(qWrEn, pairIn, colPairAddr), { name: 'q_pair_rd', enable: mux(qWrEn, pairCollides.not(), wr1Valid.not()) })
      : pairs.read(pairIn, { name: 'q_pair_rd', enable: qWrEn.and(pairCollides.not()) });
    // Stage 2 forwards when the write-back of the previous cycle went to the same pair, which is the
    // collision stage 1 saw: a register instead of a comparator on the merge path.
    const hit = m.reg('wr_fwd', Bool);
    const old = m.let('wr_old', mux(hit, fwdValue, pairOld));
    const merged = m.let('wr_merged', mux(wr1Byte, cat(wr1Data, old.slice(7, 0)), cat(old.slice(15, 8), wr1Data)));
    pairs.write(wr1Pair, merged, wr1Valid);

    m.sync(() => {
      wr1Valid.set(qWrEn);
      wr1Pair.set(pairIn);
      wr1Word.set(addr.slice(addrW - 1, log2P));
      wr1Bank.set(addr.slice(log2P - 1, 1));
      wr1Byte.set(addr.bit(0));
      wr1Data.set(qWrData.asUnsigned());
      fwdValid.set(wr1Valid);
      hit.set(pairCollides);
      fwdWord.set(wr1Word);
      fwdValue.set(merged);
    });
    return {
      wr1Valid,
      fwdValid,
      pairRd: pairOld,
      colPairAddr,
      writeBank: (mem, j) => {
        // Decoded a cycle early; ANDed with fwd_valid so yosys can see it exclude the read enable.
        const sel = m.reg(`q_we${j}`, Bool);
        m.sync(() => sel.set(wr1Bank.eq(j)));
        mem.write(fwdWord, fwdValue, fwdValid.and(sel));
      },
    };
  };
  const groupWrites = (): QWrites => {
    const log2Q = clog2(Q);
    const gW = log2P - log2Q; // bits of the group's place in its word
    const addrW = kW + gW;
    const addr = qWrAddr.width < addrW ? qWrAddr.zext(addrW) : qWrAddr;
    const wr1Valid = m.reg('wr1_valid', Bool, { reset: 0 });
    const wr1Word = m.reg('wr1_word', UInt(kW));
    const wr1Group = gW > 0 ? m.reg('wr1_group', UInt(gW)) : undefined;
    const wr1Data = m.reg('wr1_data', UInt(QACT.bits * Q));
    const fwdValid = m.reg('fwd_valid', Bool, { reset: 0 });
    const fwdWord = m.reg('fwd_word', UInt(kW));
    const fwdData = m.reg('fwd_data', UInt(QACT.bits * Q));
    m.sync(() => {
      wr1Valid.set(qWrEn);
      wr1Word.set(addr.slice(addrW - 1, gW));
      if (wr1Group) wr1Group.set(addr.slice(gW - 1, 0));
      wr1Data.set(qWrData);
      fwdValid.set(wr1Valid);
      fwdWord.set(wr1Word);
      fwdData.set(wr1Data);
    });
    const pairsPerGroup = Q / 2;
    return {
      wr1Valid,
      fwdValid,
      writeBank: (mem, j) => {
        const at = j % pairsPerGroup;
        const value = fwdData.slice(16 * at + 15, 16 * at);
        if (!wr1Group) return mem.write(fwdWord, value, fwdValid);
        const sel = m.reg(`q_we${j}`, Bool);
        m.sync(() => sel.set(wr1Group.eq(Math.floor(j / pairsPerGroup))));
        mem.write(fwdWord, value, fwdValid.and(sel));
      },
    };
  };
  const qw = Q === 1 ? elementWrites() : groupWrites();
  const fwdValid = qw.fwdValid;
  // 1 in the three cycles after a q write (the cycles w_ready must be 0, see below), as one register.
  const qSettling = m.reg('q_settling', Bool, { reset: 0 });
  m.sync(() => qSettling.set(qWrEn.or(qw.wr1Valid).or(fwdValid)));

  // w_ready waits until the banks' read register holds chunk k with every earlier q write in it: a
  // write at cycle t reaches its bank on the edge ending cycle t + 2 (the banks skip their read on
  // that edge), so cycles t + 1 .. t + 3 take no word.
  // Column mode: no word while the column sums are emitted, nor before a row matrix's last result is
  // out (its results and the column mode's share acc_valid / acc_data).
  const colMode = maxLevels ? m.reg('col_mode', Bool, { reset: 0 }) : undefined;
  // With A = 1 there is no emission (the sum goes out from the last level's edge).
  const emit = maxLevels && A > 1 ? m.reg('col_emit', Bool, { reset: 0 }) : undefined;
  const rowDrain = maxLevels ? m.reg('row_drain', Bool, { reset: 0 }) : undefined;
  if (colMode && rowDrain) m.assign(wReady, feeding.and(qSettling.not()).and((emit ? emit.or(colMode.and(rowDrain)) : colMode.and(rowDrain)).not()));
  else m.assign(wReady, feeding.and(qSettling.not()));
  const fire = m.let('fire', wValid.and(wReady));
  // k == last chunk and r == last row, kept in registers next to k and r (updated by comparing the
  // old count with the last one less one), so no adder or comparator sits on their paths.
  const kLast = m.reg('k_last', Bool);
  const rLast = m.reg('r_last', Bool);
  const kInc = m.let('k_inc', k.add(1).trunc(kCW));
  const rInc = m.let('r_inc', r.add(1).trunc(rW));
  const kNext = m.let('k_next', mux(kLast, lit(0, UInt(kCW)), kInc));
  // The banks' read address: the chunk of the word accepted next.
  const raddr = m.let('q_raddr', mux(fire, kNext, k));

  // The banks read only on edges without a write-back, so yosys can prove that reads and writes never
  // collide and maps each bank onto an EBR without the bypass logic it otherwise adds to emulate
  // read-old-data on a collision (a multiplexer on every read bit: about 250 LUTs at P = 32).
  const bankMems = Array.from({ length: banks }, (_, j) => m.memory(`q_bank${j}`, UInt(16), Math.max(MIN_EBR_DEPTH, maxChunks)));
  const bankAddr = kCW > kW ? raddr.slice(kW - 1, 0) : raddr;
  const bankData: Signal[] = bankMems.map((mem, j) => mem.read(bankAddr, { name: `q_rd${j}`, enable: fwdValid.not() }));
  if (qw.colPairAddr) m.assign(qw.colPairAddr, fitU(bitsOr0(raddr, kCW - 1, 1), qw.colPairAddr.width)); // level >> 1
  bankMems.forEach((mem, j) => qw.writeBank(mem, j));

  // ---- the weight side: count chunks and rows of the accepted words -----------------------------
  // A start is taken into a command register first (with the sizes already turned into what the
  // counters compare against), so no adder or size check sits on the counters' enable paths. Zero
  // sizes are seen as the borrow of size - 1.
  const colW = log2P + kW; // a column index as (chunk, lane)
  const colsM1 = m.let('cols_m1', cols.sub(1));
  const rowsM1 = m.let('rows_m1', rows.sub(1));
  const colsM1x = colsM1.width < colW ? colsM1.zext(colW) : colsM1;
  const lastKIn = m.let('last_chunk_in', colsM1x.slice(colW - 1, log2P)); // ceil(cols / P) - 1
  m.sink(colsM1x.slice(log2P - 1, 0));
  if (colsM1x.width > colW) m.sink(colsM1x.slice(colsM1x.width - 1, colW)); // cols <= maxCols: zero
  const cmdValid = m.reg('cmd_valid', Bool, { reset: 0 });
  const cmdLastKM1 = m.reg('cmd_last_chunk_m1', UInt(kCW));
  const cmdLastKZero = m.reg('cmd_last_chunk_zero', Bool);
  const cmdLastRowM1 = m.reg('cmd_last_row_m1', UInt(rW));
  const cmdRowsOne = m.reg('cmd_rows_one', Bool);
  // Column mode: its last group's last accumulator, taken with start (none with A = 1).
  const lastLane = maxLevels && A > 1 ? m.reg('col_last_lane', UInt(log2A)) : undefined;
  if (columnsIn && colMode) {
    // Column mode: busy also covers the emission of the sums (see the header). The counters' limits
    // are the levels and the groups of A outputs instead of the chunks and the rows.
    m.assign(busy, emit ? feeding.or(cmdValid).or(emit) : feeding.or(cmdValid));
    const take = m.let('start_take', start.and(busy.not()).and(colsM1.msb().not()).and(rowsM1.msb().not()));
    const lastK = m.let('cmd_last_k', mux(columnsIn, fitU(colsM1, kCW), fitU(lastKIn, kCW)));
    const rowsM1r = rowsM1.trunc(rW);
    if (rowsM1.width - 2 >= rW) m.sink(rowsM1.slice(rowsM1.width - 2, rW)); // rows <= maxRows: zero
    const lastR = m.let('cmd_last_r', mux(columnsIn, fitU(bitsOr0(rowsM1r, rW - 1, log2A), rW), rowsM1r));
    m.sync(() => {
      cmdValid.set(take);
      cmdLastKM1.set(lastK.sub(1).trunc(kCW)); // unused when the last chunk is 0
      cmdLastKZero.set(lastK.eq(0));
      cmdLastRowM1.set(lastR.sub(1).trunc(rW)); // unused when there is one row (output chunk)
      cmdRowsOne.set(lastR.eq(0));
      m.if(take, () => {
        colMode.set(columnsIn);
        if (lastLane) lastLane.set(rowsM1r.width > log2A ? rowsM1r.slice(log2A - 1, 0) : fitU(rowsM1r, log2A));
      });
    });
  } else {
    m.assign(busy, feeding.or(cmdValid));
    m.sync(() => {
      cmdValid.set(start.and(feeding.or(cmdValid).not()).and(colsM1.msb().not()).and(rowsM1.msb().not()));
      cmdLastKM1.set(lastKIn.sub(1).trunc(kW)); // unused when the last chunk is 0
      cmdLastKZero.set(lastKIn.eq(0));
      cmdLastRowM1.set(rowsM1.sub(1).trunc(rW)); // unused when rows = 1
      cmdRowsOne.set(rowsM1.eq(0));
    });
  }
  m.sync(() => {
    m.if(fire, () => {
      k.set(kNext);
      kLast.set(mux(kLast, lastKZero, k.eq(lastKM1)));
      m.if(kLast, () => {
        r.set(mux(rLast, lit(0, UInt(rW)), rInc));
        rLast.set(r.eq(lastRowM1)); // after the last row the value is unused: the next start sets it
        m.if(rLast, () => feeding.set(0));
      });
    });
    // cmd_valid implies the unit is idle (start is taken only when busy is 0).
    m.if(cmdValid, () => {
      feeding.set(1);
      k.set(0);
      r.set(0);
      lastKM1.set(cmdLastKM1);
      lastKZero.set(cmdLastKZero);
      lastRowM1.set(cmdLastRowM1);
      kLast.set(cmdLastKZero);
      rLast.set(cmdRowsOne);
    });
  });

  // ---- the lane: P int8 x ternary products summed exactly ---------------------------------------
  // Bank j supplies lanes 2j (low byte) and 2j + 1 (high byte); bank 0 ends up in the low bits.
  const lane = m.instance('u_lane', ternaryLane({ n: P, stages: p.stages }), {
    act: m.let('q_chunk', cat(...[...bankData].reverse())),
    codes: wData,
    in_valid: colMode ? m.let('row_fire', fire.and(colMode.not())) : fire,
  });
  const dot = lane.out('dot');
  const dotValid = lane.out('out_valid');

  // Row-end and matrix-end flags travel beside the lane, `latency` registers deep.
  let flags: Expr = cat(kLast, kLast.and(rLast));
  for (let i = 1; i <= latency; i++) {
    const f = m.reg(`flags_${i}`, UInt(2));
    const prev = flags;
    m.sync(() => f.set(prev));
    flags = f;
  }
  const rowEnd = flags.bit(1);
  const matrixEnd = flags.bit(0);

  // ---- the accumulator across the chunks of a row ----------------------------------------------
  const acc = m.reg('acc', SInt(accW), { reset: 0 }); // 0 at the start of every row
  const outRow = m.reg('out_row', UInt(rW), { reset: 0 });
  // Column mode with A < P: its sum 0 is this accumulator, which adds +-q[l] instead of the lane's
  // dot in the cycles a column word goes in (columnIntoAcc); sums 1 .. A - 1 are columnRest's.
  const one = colMode && rowDrain && qw.pairRd && A < P ? columnIntoAcc(colMode, rowDrain, qw.pairRd, lastLane) : undefined;
  const sum = one
    ? m.let('acc_sum', acc.add(one.operand).add(one.carry).trunc(accW)) // |sum| <= 128 max(cols, L)
    : m.let('acc_sum', acc.add(dot).trunc(accW)); // partial sums of a row fit: |sum| <= 128 cols
  const column = A === P && colMode && emit && rowDrain && lastLane && qw.pairRd ? columnSums(colMode, emit, rowDrain, lastLane, qw.pairRd) : undefined;
  const rest = one && emit && lastLane ? columnRest(one, emit, lastLane) : undefined;
  m.sync(() => {
    accValid.set(0);
    done.set(0);
    m.if(one ? one.valid : dotValid, () => {
      acc.set(sum);
      m.if(one ? one.end : rowEnd, () => {
        acc.set(0);
        accValid.set(1);
        accData.set(sum);
        accRow.set(outRow);
        outRow.set(outRow.add(1).trunc(rW));
        m.if(one ? one.last : matrixEnd, () => {
          outRow.set(0);
          done.set(1);
        });
      });
    });
    column?.();
    one?.sync();
    rest?.();
  });

  // Bit b of column sum a's code in the current word: lane (g mod P / A) A + a, through a (P / A):1
  // multiplexer on the group counter r's low bits (lane a itself when A = P).
  function columnCode(a: number, b: number): Expr {
    if (log2G === 0) return wData.bit(2 * a + b);
    const place = r.width >= log2G ? r.slice(log2G - 1, 0) : r.zext(log2G);
    return muxTree(place, Array.from({ length: P / A }, (_, i) => wData.bit(2 * (i * A + a) + b)));
  }

  // ---- the column mode with A < P: the row accumulator is sum 0 ---------------------------------
  // Each column word adds +q[l], -q[l] or nothing to it as sum 0's code says, through the row mode's
  // adder and register, and a group's last level ends it as a row's last chunk does (acc_data from
  // the adder, the accumulator cleared): output gA needs no sum register, adder, emission cycle or
  // acc_data multiplexer of its own, only a multiplexer on the adder's operand. Row results and
  // column words never meet: column words wait for a row matrix's last result (row_drain), and a row
  // matrix's first result comes a lane latency after its first word.
  function columnIntoAcc(col: Signal, drain: Signal, pairRd: Signal, lastLaneR: Signal | undefined) {
    const ql = m.let('col_q', mux(k.bit(0), pairRd.slice(15, 8), pairRd.slice(7, 0)));
    const colFire = m.let('col_fire', fire.and(col));
    const plus = m.let('col_code_lo', columnCode(0, 0)); // code 01: +q, 11: -q (= ~q + 1), 00 and 10: nothing
    const minus = m.let('col_code_hi', columnCode(0, 1));
    const addend = mux(plus, mux(minus, ql.not(), ql), lit(0, UInt(QACT.bits)));
    const rowMatrixEnd = rowEnd.and(matrixEnd);
    // Output gA is the matrix's last: the last group, with one output in it.
    const single = m.let('col_single', lastLaneR ? rLast.and(lastLaneR.eq(0)) : rLast);
    return {
      ql,
      colFire,
      single,
      operand: m.let('acc_operand', mux(colFire, addend.sext(dot.width), dot)),
      carry: m.let('acc_carry', colFire.and(plus).and(minus)).zext(2).asSigned(),
      valid: m.let('acc_add', dotValid.or(colFire)),
      end: m.let('acc_end', mux(colFire, kLast, rowEnd)),
      last: m.let('acc_last', mux(colFire, single, matrixEnd)),
      sync: () => {
        m.if(dotValid.and(rowMatrixEnd), () => drain.set(0));
        m.if(fire.and(kLast).and(rLast).and(col.not()), () => drain.set(1));
      },
    };
  }

  // ---- shared by the column sums of every A -------------------------------------------------------
  /** Sum `name`'s next value: + q[l], - q[l] (= ~q + 1) or itself, as the code of lane `lane` says (01, 11; 00 and 10 add nothing). */
  function columnNext(sum: Signal, lane: number, ql: Expr, colFire: Expr, name: string): Expr {
    const en = colFire.and(columnCode(lane, 0));
    const neg = en.and(columnCode(lane, 1));
    const addend = mux(en, mux(neg, ql.not(), ql), lit(0, UInt(QACT.bits)));
    return m.let(name, sum.add(addend.sext(sum.width).asUnsigned()).add(neg).trunc(sum.width));
  }
  /** An emission cycle: `out` to acc_data as the next output; after its last (`whenLast`), done if it was the matrix's last chunk. */
  function emitColumnSum(out: Expr, emitting: Signal, emitLastChunk: Signal, laneSel: Signal | undefined, whenLast: (f: () => void) => void): void {
    accValid.set(1);
    accData.set(out.sext(accW));
    accRow.set(outRow);
    outRow.set(outRow.add(1).trunc(rW));
    laneSel?.set(laneSel.add(1).trunc(log2A));
    whenLast(() => {
      emitting.set(0);
      m.if(emitLastChunk, () => {
        outRow.set(0);
        done.set(1);
      });
    });
  }

  // ---- the column mode with 1 < A < P: sums 1 .. A - 1, emitted after sum 0 ----------------------
  // Like columnSums' (below) but A - 1 of them: after a group's last level sum 0 leaves from the
  // accumulator and these follow one a cycle with w_ready at 0 (A - 1 idle cycles, none after a last
  // group of one output), through an (A - 1):1 multiplexer (none at A = 2, whose emission is one
  // cycle); the last one's edge clears them, or the group's last word's when there is no emission.
  function columnRest(first: { ql: Expr; colFire: Expr; single: Expr }, emitting: Signal, lastLaneR: Signal): () => void {
    const aW = matvecColumnSumWidth(maxLevels!);
    const { ql, colFire, single } = first;
    const laneSel = A > 2 ? m.reg('col_lane', UInt(log2A)) : undefined;
    const emitLastChunk = m.reg('col_emit_last_chunk', Bool);
    const emitLast = laneSel ? m.let('col_emit_last', laneSel.andR().or(emitLastChunk.and(laneSel.eq(lastLaneR)))) : undefined;
    const groupEnd = m.let('col_group_end', colFire.and(kLast));
    const clear = m.let('col_clear', (emitLast ? emitting.and(emitLast) : emitting).or(groupEnd.and(single)));
    const sums = Array.from({ length: A - 1 }, (_, i) => m.reg(`col_sum${i + 1}`, UInt(aW), { reset: 0 }));
    const next = sums.map((s, i) => columnNext(s, i + 1, ql, colFire, `col_next${i + 1}`));
    // Slot 0 of the multiplexer is never selected (sum 0 is the accumulator): sum 1 fills it.
    const out = m.let('col_out', laneSel ? muxTree(laneSel, [sums[0]!, ...sums]) : sums[0]!);
    const whenLast = (f: () => void) => (emitLast ? m.if(emitLast, f) : f());
    return () => {
      sums.forEach((s, i) => {
        s.set(next[i]!);
        m.if(clear, () => s.set(0));
      });
      m.if(groupEnd.and(single.not()), () => {
        emitting.set(1);
        laneSel?.set(1);
        emitLastChunk.set(rLast);
      });
      m.if(emitting, () => emitColumnSum(out, emitting, emitLastChunk, laneSel, whenLast));
    };
  }

  // ---- the column mode with A = P: A sums of q[l] times one code each, emitted one a cycle -------
  // Returns the statements of the shared clocked block (acc_valid, acc_data, acc_row, done and
  // out_row are set there too): sum a adds +q[l], -q[l] or nothing per word as the code of lane
  // (g mod P / A) A + a says (g the group counter); after a group's last level the sums go out through
  // an A:1 multiplexer, one a cycle with w_ready at 0, and the edge of the last one clears them all
  // (a synchronous reset: no load multiplexer in the sums).
  function columnSums(col: Signal, emitting: Signal, drain: Signal, lastLaneR: Signal, pairRd: Signal): () => void {
    const aW = matvecColumnSumWidth(maxLevels!);
    // q[l]: the byte of the pair read for this word's level l (the chunk counter k).
    const ql = m.let('col_q', mux(k.bit(0), pairRd.slice(15, 8), pairRd.slice(7, 0)));
    const colFire = m.let('col_fire', fire.and(col));
    const laneSel = m.reg('col_lane', UInt(log2A));
    const emitLastChunk = m.reg('col_emit_last_chunk', Bool);
    const emitLast = m.let('col_emit_last', laneSel.andR().or(emitLastChunk.and(laneSel.eq(lastLaneR))));
    const clear = m.let('col_clear', emitting.and(emitLast));
    const sums = Array.from({ length: A }, (_, i) => m.reg(`col_sum${i}`, UInt(aW), { reset: 0 }));
    const next = sums.map((s, i) => columnNext(s, i, ql, colFire, `col_next${i}`));
    const out = m.let('col_out', muxTree(laneSel, sums));
    // Set when a row matrix's last word goes in, cleared when its last result is out.
    const rowMatrixEnd = rowEnd.and(matrixEnd);
    return () => {
      sums.forEach((s, i) => {
        s.set(next[i]!);
        m.if(clear, () => s.set(0));
      });
      m.if(dotValid.and(rowMatrixEnd), () => drain.set(0));
      m.if(fire.and(kLast).and(rLast).and(col.not()), () => drain.set(1));
      m.if(colFire.and(kLast), () => {
        emitting.set(1);
        laneSel.set(0);
        emitLastChunk.set(rLast);
      });
      m.if(emitting, () => emitColumnSum(out, emitting, emitLastChunk, laneSel, (f) => m.if(emitLast, f)));
    };
  }
});

/** The unit for the given options (stages defaults to clog2(lanes)). */
export function matvecUnit(o: MatvecUnitOptions): Module {
  return matvecUnitModule(matvecUnitParams(o));
}
