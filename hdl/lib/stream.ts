// Valid/ready streams (AXI-Stream style handshake): a transfer happens on a clock edge where both
// valid and ready are 1. The source must hold valid and data steady until the transfer.
import type { Expr } from '../core/expr.ts';
import type { Module } from '../core/module.ts';
import type { Signal } from '../core/signal.ts';
import { Bool, type HdlType } from '../core/types.ts';

export interface Stream<V extends Expr = Expr, R extends Expr = Expr, D extends Expr = Expr> {
  valid: V;
  ready: R;
  data: D;
}

/** A stream coming into the module: valid and data are inputs, ready is an output. */
export function streamIn(m: Module, prefix: string, type: HdlType): Stream<Signal, Signal, Signal> {
  return {
    valid: m.input(`${prefix}_valid`, Bool),
    ready: m.output(`${prefix}_ready`, Bool),
    data: m.input(`${prefix}_data`, type),
  };
}

/** A stream leaving the module: valid and data are outputs, ready is an input. */
export function streamOut(m: Module, prefix: string, type: HdlType, opts: { reg?: boolean } = {}): Stream<Signal, Signal, Signal> {
  return {
    valid: m.output(`${prefix}_valid`, Bool, opts.reg ? { reg: true, reset: 0 } : {}),
    ready: m.input(`${prefix}_ready`, Bool),
    data: m.output(`${prefix}_data`, type, { reg: !!opts.reg }),
  };
}

/** 1 on the edges where a transfer happens. */
export function fire(s: Stream): Expr {
  return s.valid.and(s.ready);
}
