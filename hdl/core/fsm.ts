// A finite-state machine helper: a state register with named states (printed as localparams), reset to
// the first state, plus `is`, `goto` and a switch over the states.
import { ConstExpr, type Expr } from './expr.ts';
import type { Module } from './module.ts';
import type { Signal } from './signal.ts';
import { UInt, clog2 } from './types.ts';
import { callerLocation } from './source.ts';
import { reportError } from './errors.ts';

export class Fsm<S extends string> {
  readonly state: Signal;
  private readonly codes = new Map<S, ConstExpr>();

  constructor(
    private readonly m: Module,
    name: string,
    readonly states: readonly S[],
  ) {
    const loc = callerLocation();
    if (states.length === 0 || new Set(states).size !== states.length) reportError(`fsm ${name}: states must be distinct and non-empty`, loc);
    const type = UInt(Math.max(1, clog2(states.length)));
    states.forEach((s, i) => this.codes.set(s, new ConstExpr(BigInt(i), type, loc, `${name}_${s}`.toUpperCase())));
    this.state = m.reg(name, type, { reset: 0 });
  }

  /** The constant that encodes a state. */
  code(s: S): ConstExpr {
    const c = this.codes.get(s);
    if (!c) throw new Error(`fsm ${this.state.name} has no state ${s}`);
    return c;
  }

  is(s: S): Expr {
    return this.state.eq(this.code(s));
  }

  /** Inside m.sync: move to state `s` at the next clock edge. */
  goto(s: S): void {
    this.state.set(this.code(s));
  }

  /** A switch over the states; states without an arm fall to the (empty) default. */
  switch(arms: Partial<Record<S, () => void>>): void {
    const sw = this.m.switch(this.state);
    for (const s of this.states) {
      const arm = arms[s];
      if (arm) sw.case(this.code(s), arm);
    }
    sw.default(() => {});
  }
}
