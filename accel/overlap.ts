// Which instructions the on-chip controller may start while the BITLINEAR before them still streams its
// matrix (accel/top.ts with `overlap`): derived from the vector regions each instruction reads and writes
// (accel/isa.ts), never set by hand, so a program cannot carry a flag its data flow does not allow.
//
// What the controller overlaps: a BITLINEAR's fetch, pass 1 (STATS: reads U and its norm words) and its
// scalars (normalize16, 127 / m, rsqrt, the output scale) run while the previous matrix streams; its pass
// 2 (QUANT into the matvec unit's one q store) waits until that matrix's last row is written. So the only
// hazard is the next BITLINEAR reading a region the streaming matrix writes (read after write); nothing it
// does before pass 2 writes a vector memory or q. Every other instruction waits for the last row.
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

/**
 * Whether `next` may run its passes while `prev`'s matrix streams: prev is a BITLINEAR, next a BITLINEAR
 * (the one kind of instruction the controller overlaps), and next reads nothing prev writes.
 */
export function mayOverlap(prev: Instruction, next: Instruction | undefined): boolean {
  if (prev.op !== 'bitlinear' || next?.op !== 'bitlinear') return false;
  const written = regionsWritten(prev);
  return ![...regionsRead(next)].some((r) => written.has(r));
}

/**
 * On a BITLINEAR the instruction's has_lb bit (read by GATE alone) carries the flag "the next instruction
 * may start while my matrix streams": no ISA field of its own, so the layout, and the external target
 * that shares it, are unchanged. Returns the program with the flags derived (all 0 without `overlap`).
 */
export function withOverlapFlags(prog: Instruction[], overlap: boolean): Instruction[] {
  if (!overlap) return prog;
  return prog.map((ins, k) => (ins.op === 'bitlinear' ? { ...ins, haslb: mayOverlap(ins, prog[k + 1]) ? 1 : 0 } : ins));
}

/** The flag as the controller reads it (withOverlapFlags). */
export function overlapsNext(ins: Instruction): boolean {
  return ins.op === 'bitlinear' && ins.haslb === 1;
}
