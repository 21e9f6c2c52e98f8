// Which instructions the on-chip controller may start while a BITLINEAR's matrix still streams (accel/top.ts
// with `overlap`): derived from the vector regions each instruction reads and writes (accel/isa.ts), never
// set by hand, so a program cannot carry a flag its data flow does not allow.
//
// What the controller does: a BITLINEAR hands its matrix to the matvec unit at mvStart and the controller
// fetches the next instruction at once. An instruction with the flag (its ovl field) runs while the matrix
// streams, the matrix reading the weight port in the cycles it leaves and its rows' SCALEs going through
// the row unit between its elements; one without waits at decode for the matrix's last row. Flagged are
//   - a BITLINEAR: its fetch, pass 1 (STATS) and scalars run under the matrix; its pass 2 (QUANT into the
//     one q store) waits until the matrix has taken its last word, so at most one matrix is ever in
//     flight (its rows are then written after the matrix's last);
//   - an element op that enters the row unit early (GATE, STATE, GATED: through the sigmoid): its results
//     leave the row unit between the rows' (a late-entry op would need the late port the rows take);
// provided it reads no region the matrix in flight writes (read after write) and, but for a BITLINEAR
// whose rows come after the matrix's last, writes none (two writers).
import { DST, M1REG, M2REG, WSEL, XSEL, YSEL, type Instruction } from './isa.ts';

/** The generator's option (besides AccelConfig): overlap the next BITLINEAR's passes with a matrix. */
export interface OverlapOption {
  /** On-chip targets only; off by default (the UP5K at 32 lanes has no logic cells for it). */
  overlap?: boolean;
}

/** The vector regions of isa.ts (M1: h, g, a; M2: u, s; M3: b) and the embedding row. */
export type Region = 'h' | 'g' | 'a' | 'u' | 's' | 'b' | 'emb';

const m1Region = (reg: number | undefined): Region => (reg === M1REG.g ? 'g' : reg === M1REG.a ? 'a' : 'h');
const m2Region = (reg: number | undefined): Region => (reg === M2REG.s ? 's' : 'u');

/** The regions an instruction reads (its x, y and w operands); END and a DUMP's reads included. */
export function regionsRead(ins: Instruction): Set<Region> {
  const out = new Set<Region>();
  if (ins.op === 'end') return out;
  const x = ins.xsel ?? XSEL.m1;
  out.add(x === XSEL.m1 ? m1Region(ins.m1reg) : x === XSEL.m2 ? m2Region(ins.m2reg) : x === XSEL.m3 ? 'b' : 'emb');
  const y = ins.ysel ?? YSEL.none;
  if (y === YSEL.m1) out.add(m1Region(ins.m1reg));
  else if (y === YSEL.m2) out.add(m2Region(ins.m2reg));
  else if (y === YSEL.m3) out.add('b');
  if ((ins.wsel ?? WSEL.param) === WSEL.m1) out.add(m1Region(ins.m1reg));
  return out;
}

/** The regions an instruction writes (a split's rows go to A and B, the logits to A). */
export function regionsWritten(ins: Instruction): Set<Region> {
  if (ins.op !== 'element' && ins.op !== 'embed' && ins.op !== 'bitlinear') return new Set();
  const byDst: Record<number, Region[]> = { [DST.h]: ['h'], [DST.g]: ['g'], [DST.a]: ['a'], [DST.u]: ['u'], [DST.s]: ['s'], [DST.b]: ['b'], [DST.split]: ['a', 'b'], [DST.logits]: ['a'] };
  return new Set(byDst[ins.dst ?? DST.h]);
}

/** The element ops that enter the row unit early (row-unit.ts): the only ones that may run beside a matrix's rows. */
const EARLY_ROW_OPS = new Set(['gate', 'state', 'gated']);

/** Whether `ins` is of a kind the controller can run beside a matrix (its region aside). */
function kindOverlaps(ins: Instruction): boolean {
  return ins.op === 'bitlinear' || (ins.op === 'element' && EARLY_ROW_OPS.has(ins.rowop ?? 'prescale'));
}

/** Whether `ins` may run while `matrix` (a BITLINEAR) streams: its kind, and no region shared with the matrix's output. */
export function mayOverlap(matrix: Instruction, ins: Instruction | undefined): boolean {
  if (matrix.op !== 'bitlinear' || ins === undefined || !kindOverlaps(ins)) return false;
  const written = regionsWritten(matrix);
  // a BITLINEAR writes its rows only after the matrix's last (its pass 2 waits for it): its reads alone count
  const touched = ins.op === 'bitlinear' ? regionsRead(ins) : new Set([...regionsRead(ins), ...regionsWritten(ins)]);
  return ![...touched].some((r) => written.has(r));
}

/**
 * The program with each instruction's ovl flag derived: 1 when a matrix may be in flight as it starts (a
 * BITLINEAR before it, every instruction between them flagged) and mayOverlap allows it. Without `overlap`
 * the program is returned as it is (and the ISA has no ovl field).
 */
export function withOverlapFlags(prog: Instruction[], overlap: boolean): Instruction[] {
  if (!overlap) return prog;
  let inFlight: Instruction | undefined;
  return prog.map((ins) => {
    const ovl = inFlight !== undefined && mayOverlap(inFlight, ins) ? 1 : 0;
    if (ins.op === 'bitlinear') inFlight = ins;
    else if (ovl === 0) inFlight = undefined; // it waited for the matrix's last row
    return { ...ins, ovl };
  });
}

/** The flag as the controller reads it. */
export function startsUnderMatrix(ins: Instruction): boolean {
  return ins.ovl === 1;
}
