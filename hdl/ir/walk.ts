// Walks over expressions: which signals a value reads, and which of their bits.
import { type Expr, SliceExpr, exprChildren } from '../core/expr.ts';
import { MemReadExpr } from '../core/memory.ts';
import { Signal } from '../core/signal.ts';

/** Calls `visit(signal, hi, lo)` for every signal read by `e`, with the bit range read. */
export function forEachRead(e: Expr, visit: (s: Signal, hi: number, lo: number) => void): void {
  if (e instanceof Signal) {
    visit(e, e.width - 1, 0);
    return;
  }
  if (e instanceof SliceExpr && e.a instanceof Signal) {
    visit(e.a, e.hi, e.lo);
    return;
  }
  if (e instanceof MemReadExpr) {
    forEachRead(e.addr, visit);
    return;
  }
  for (const c of exprChildren(e)) forEachRead(c, visit);
}

export function signalsRead(e: Expr, into: Set<Signal> = new Set()): Set<Signal> {
  forEachRead(e, (s) => into.add(s));
  return into;
}
