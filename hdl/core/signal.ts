// Named values of a module: ports, wires and registers. A signal is an expression leaf, so it can be
// used anywhere a value can; `set()` drives it from inside a comb or sync block of its module.
import { Expr, type ExprLike } from './expr.ts';
import type { HdlType } from './types.ts';
import { type SourceLoc, callerLocation } from './source.ts';

export type Direction = 'input' | 'output' | 'internal';
/** `wire`: driven combinationally (assign or comb block); `reg`: a flip-flop driven by a sync block. */
export type Storage = 'wire' | 'reg';

/** What a signal needs from the module that owns it; keeps this file free of the Module class. */
export interface SignalOwner {
  readonly name: string;
  recordSet(target: Signal, value: ExprLike, loc: SourceLoc): void;
}

export class Signal extends Expr {
  constructor(
    readonly owner: SignalOwner,
    readonly name: string,
    type: HdlType,
    readonly dir: Direction,
    readonly storage: Storage,
    /** Value loaded by the synchronous reset; undefined means the register is not reset. */
    readonly resetValue: bigint | undefined,
    loc: SourceLoc,
  ) {
    super(type, loc);
  }

  /** Drive this signal from the enclosing m.comb / m.sync block (last assignment wins). */
  set(value: ExprLike): void {
    this.owner.recordSet(this, value, callerLocation());
  }

  override toString(): string {
    return `${this.owner.name}.${this.name}`;
  }
}
