// Predicted cycles per token of the controller in accel/top.ts, op by op (with debug read-out off).
// The constants are the controller's own sequencing plus the units' published latencies; the
// co-simulation measures the same count (the top's step_cycles) and a test holds the two equal.
import { matvecChunks, matvecColumnCycles, matvecOverhead } from './units/matvec-unit.ts';
import { matvecUnitOptions } from './datapath/row-side.ts';
import { rowUnitLatency, rowUnitLateOffset, rowUnitStatsLatency, ROW_LATE_OPS, type RowOp } from './units/row-unit.ts';
import { startsUnderMatrix } from './overlap.ts';
import { WALK, WSEL } from './isa.ts';
import { scalarSerialCycles } from './units/scalar-serial.ts';
import { trit5GearboxCycles } from './units/trit5-gearbox.ts';
import type { AccelProgram } from './program.ts';
import type { Instruction, OpName } from './isa.ts';

/** fetch, decode and next, plus one cycle per wide word of the instruction: the cost of any instruction besides its own work. */
export function instructionOverhead(prog: AccelProgram): number {
  return 3 + prog.instructionWideWords;
}

/** The row unit's latency for an op: ops without a sigmoid enter at its late ports. */
function rowLatency(op: RowOp): number {
  return rowUnitLatency() - (ROW_LATE_OPS.has(op) ? rowUnitLateOffset() : 0);
}

export interface CyclePrediction {
  total: number;
  byOp: Partial<Record<OpName, { count: number; cycles: number }>>;
}

/**
 * A BITLINEAR's work after its fetch, phase by phase (their sum is its cycles besides the instruction's
 * overhead): pass 1 over its n inputs; the statistics and the scalars; pass 2 until the matvec starts;
 * the matvec's words, one a cycle; the matvec's pipeline; the last row's output scale and hand-back.
 * The external target's projection (accel/external/projection.ts) places the weight stream's waits
 * between these phases.
 */
export function bitlinearPhases(prog: AccelProgram, ins: Instruction): { pass1: number; stats: number; pass2: number; matvecWords: number; matvecTail: number; tail: number } {
  const R = prog.geometry.rowLanes;
  const n = ins.n ?? 0;
  const steps = n / R;
  // pass 1 and its last operand read (1); S (the later of m and S) seen (1); normalize16 and 127 / m,
  // then rsqrt, in the serial scalar unit (each started in the cycle the last one is done); pass 2
  // and its last read (1); the
  // last q -> q_done (1) -> matvec start; the matvec; the output scale (the row unit's SCALE); its last
  // row counted (1) and seen by the controller (1).
  // (with R lanes m and S are combined in one more register)
  const stats = 1 + rowUnitStatsLatency().s + (R > 1 ? 1 : 0) + 1 + 2 * scalarSerialCycles();
  // the matvec starts when q is complete and the output scale is ready, whichever is later
  const qReady = steps + 1 + rowLatency('quant') + 1;
  const scaleReady = scalarSerialCycles('scale'); // from pass 2's first cycle: started a cycle before, taken a cycle after done
  return {
    pass1: steps,
    stats,
    pass2: Math.max(qReady, scaleReady),
    matvecWords: matvecWordCycles(prog, ins),
    matvecTail: matvecOverhead(matvecUnitOptions(prog.geometry)),
    tail: rowLatency('scale') + 2,
  };
}

/**
 * Cycles the matvec unit takes a matrix's words in, with every word there: one a chunk at 2 bits; at 5
 * trits the gearbox's pace (accel/units/trit5-gearbox.ts: a chunk a cycle, or a port word a cycle when
 * the port brings fewer than P weights), a cycle later.
 */
export function matvecWordCycles(prog: AccelProgram, ins: Instruction): number {
  const g = prog.geometry;
  if (g.fff && ins.walk === WALK.tree) {
    // node_in along the walk: each row's C words, then the wait for its sign (the matvec unit's latency
    // from a word to its row's sum, less one: accel/top.ts reads the next row in that sum's cycle)
    return (ins.rows ?? 0) * g.fff.chunks + ((ins.rows ?? 0) - 1) * (matvecOverhead(matvecUnitOptions(g)) - 1);
  }
  if (g.fff && ins.walk === WALK.columns) {
    // node_out by column: the unit's column mode, from start to its last output, less the row mode's tail
    return matvecColumnCycles(matvecUnitOptions(g), ins.rows ?? 0, ins.n ?? 0) - matvecOverhead(matvecUnitOptions(g));
  }
  const chunks = (ins.rows ?? 0) * matvecChunks(ins.n ?? 0, g.lanes);
  if (g.packing !== '5trit') return chunks;
  return trit5GearboxCycles({ wordBits: 16 * g.banks, lanes: g.lanes, chunkBits: 32 }, chunks) - 1;
}

/**
 * With overlap: cycles the matrix may not read the weight port after a pass's last element (a row of a
 * word read sooner would reach the row unit's late stage, at its acc_valid, together with one of the
 * pass's elements, which entered early rowUnitLateOffset cycles before); one more for margin.
 */
export function overlapHold(prog: AccelProgram): number {
  const wordToAcc = matvecOverhead(matvecUnitOptions(prog.geometry)) - 1;
  return Math.max(0, rowUnitLateOffset() - wordToAcc) + 1;
}

export function predictCycles(prog: AccelProgram): CyclePrediction {
  return prog.config.overlap === true ? predictOverlapped(prog) : predictSerial(prog);
}

/**
 * The controller with overlap (accel/top.ts, accel/overlap.ts), replayed instruction by instruction on one
 * clock: a BITLINEAR hands its matrix over at mvStart and the next instruction is fetched the cycle after;
 * the matrix takes the weight port in every cycle the controller leaves (its fetches, pass 1 and the
 * overlapHold cycles after any pass, the scalar tables' reads, an element op's parameter words); an
 * instruction without the ovl flag waits at decode for the matrix's last row, a flagged BITLINEAR's pass 2
 * for the later of its scale setup and the matrix's last word. Each instruction is charged from its fetch to the next fetch.
 */
function predictOverlapped(prog: AccelProgram): CyclePrediction {
  const byOp: CyclePrediction['byOp'] = {};
  const iw = prog.instructionWideWords;
  const sc = scalarSerialCycles();
  const H = overlapHold(prog);
  const serial = predictSerial(prog, true);
  // the matrix in flight: its mvStart, words, cycles from its last word's grant to its last row, and the
  // cycles (intervals, inclusive) the controller has kept the port since
  let mv: { t0: number; words: number; x: number; busy: [number, number][] } | undefined;
  const keep = (from: number, to: number) => {
    if (mv && to >= from) mv.busy.push([from, to]);
  };
  /**
   * The cycle the matrix in flight is granted its last word (the controller keeps the port no more until
   * it has waited for it); the matrix is then no longer in flight for what follows.
   */
  const lastGrant = (): { c: number; x: number } => {
    const m = mv!;
    let granted = 0;
    let c = m.t0;
    while (granted < m.words) {
      c++;
      if (!m.busy.some(([a, b]) => c >= a && c <= b)) granted++;
    }
    mv = undefined;
    return { c, x: m.x };
  };
  /** The cycle the matrix in flight writes its last row. */
  const rowsDone = (): number => {
    const g = lastGrant();
    return g.c + g.x;
  };
  let t = 0; // the cycle this instruction's fetch starts
  prog.instructions.forEach((ins, k) => {
    keep(t, t + iw - 1); // fetch and fetch_wait but the last
    let d = t + iw + 1; // decode
    if (mv && !startsUnderMatrix(ins)) d = Math.max(d, rowsDone());
    let next: number;
    if (ins.op !== 'bitlinear') {
      const c = serial.costs[k]!;
      next = d + c - iw - 1;
      const n = (ins.n ?? 0) / prog.geometry.rowLanes;
      if (ins.op === 'element' && (ins.wsel ?? WSEL.param) === WSEL.param) keep(d + 1, next - 2); // el_stream and el_drain
      if (ins.op === 'element' || ins.op === 'embed') {
        keep(d + 1, d + n); // the stream
        keep(d + n + 1, d + n + H); // and the hold after it
      }
    } else {
      const b = bitlinearPhases(prog, ins);
      const n = b.pass1;
      const p1 = d + 1;
      const norm = p1 + n + b.stats - 2 * sc; // bl_norm's first cycle
      const setup = p1 + n + b.stats - 1; // the scale setup's cycle (the last of bl_rsqrt)
      keep(p1, p1 + n - 1); // pass 1's parameter words
      keep(p1 + n, p1 + n + H - 1); // the hold after it
      // the scalars' table words are read two cycles before each is done (scalar-serial.ts: addr, data, done)
      keep(norm + sc - 3, norm + sc - 3);
      keep(setup - 2, setup - 2);
      // pass 2 waits until the matrix has taken its last word (busy falls the cycle after)
      const p2 = (mv ? Math.max(setup, lastGrant().c + 2) : setup) + 1;
      // the matvec starts when q is complete (from p2) and the scale is ready (from setup + 1)
      const t0 = Math.max(p2 + bitlinearQReady(prog, ins), setup + 1 + scalarSerialCycles('scale')) - 1;
      // x: from the last word's grant to the last row written; one cycle less than the serial controller's
      // matvecTail + tail, whose first word comes while the unit still settles from pass 2's last q write
      // (w_ready 0 for 3 cycles) and waits a cycle: here the next fetch holds the port first.
      mv = { t0, words: b.matvecWords, x: b.matvecTail + b.tail - 1, busy: [] };
      next = t0 + 1; // from bl_qwait straight to the next fetch
    }
    const e = (byOp[ins.op] ??= { count: 0, cycles: 0 });
    e.count++;
    e.cycles += next - t;
    t = next;
  });
  return { total: t, byOp };
}

/** Cycles from pass 2's first cycle until q is complete (bitlinearPhases' pass2 is the later of this and the scale). */
function bitlinearQReady(prog: AccelProgram, ins: Instruction): number {
  return (ins.n ?? 0) / prog.geometry.rowLanes + 1 + rowLatency('quant') + 1;
}

function predictSerial(prog: AccelProgram): CyclePrediction;
function predictSerial(prog: AccelProgram, perInstruction: true): CyclePrediction & { costs: number[] };
function predictSerial(prog: AccelProgram, perInstruction = false): CyclePrediction & { costs?: number[] } {
  const byOp: CyclePrediction['byOp'] = {};
  let total = 0;
  const costs: number[] = [];
  const R = prog.geometry.rowLanes;
  for (const ins of prog.instructions) {
    const n = (ins.n ?? 0) / R; // a pass's steps (n / R words of R elements)
    let c = instructionOverhead(prog);
    switch (ins.op) {
      case 'embed':
        c += 2 + n + 1 + rowLatency('prescale') + 1;
        break;
      case 'element':
        c += n + 1 + rowLatency(ins.rowop ?? 'prescale') + 1;
        break;
      case 'bitlinear': {
        const b = bitlinearPhases(prog, ins);
        c += b.pass1 + b.stats + b.pass2 + b.matvecWords + b.matvecTail + b.tail;
        break;
      }
      case 'dump':
      case 'end':
        break;
    }
    const e = (byOp[ins.op] ??= { count: 0, cycles: 0 });
    e.count++;
    e.cycles += c;
    total += c;
    costs.push(c);
  }
  return perInstruction ? { total, byOp, costs } : { total, byOp };
}

/**
 * Cycles the row side is busy per token: one per step of every pass it makes (the element ops, the
 * embedding's PRESCALE, both passes of each BitLinear over its n inputs: n / R steps each with R lanes),
 * and one per output row's SCALE. This is a floor on cycles per token, however well the passes were
 * overlapped with each other and with the matrices (docs/architecture.md, "Where the floor is").
 */
export function rowUnitFloor(prog: AccelProgram): number {
  const R = prog.geometry.rowLanes;
  let busy = 0;
  for (const ins of prog.instructions) {
    const n = (ins.n ?? 0) / R;
    if (ins.op === 'element' || ins.op === 'embed') busy += n;
    else if (ins.op === 'bitlinear') busy += 2 * n + (ins.rows ?? 0);
  }
  return busy;
}
