// Valid/ready streams (AXI-Stream style handshake): a transfer happens on a clock edge where both
// valid and ready are 1. The source must hold valid and data steady until the transfer.
//
// A stream is an interface value (hdl/core/signature.ts): `m.port(stream(T), 'out')` for one this
// module produces, `m.port(flip(stream(T)), 'in')` for one it consumes, connected with m.connect or
// by prefix when placing an instance. streamIn/streamOut are the same ports under their old names.
import type { Expr } from '../core/expr.ts';
import type { Module } from '../core/module.ts';
import type { HdlType } from '../core/types.ts';
import { type BundleSig, type LeafSig, flip, stream } from '../core/signature.ts';
import type { View } from '../core/interface.ts';

export interface Stream<V extends Expr = Expr, R extends Expr = Expr, D extends Expr = Expr> {
  valid: V;
  ready: R;
  data: D;
}

/** The signature of a stream with one payload field `data`. */
export type DataStream = BundleSig<{ readonly valid: LeafSig; readonly ready: LeafSig; readonly data: LeafSig }>;

/** A stream coming into the module: valid and data are inputs, ready is an output (ports prefix_valid, prefix_ready, prefix_data). */
export function streamIn(m: Module, prefix: string, type: HdlType): View<DataStream> {
  return m.port(flip(stream(type)), prefix);
}

/** A stream leaving the module: valid and data are outputs, ready is an input; `reg` makes valid (reset to 0) and data registers. */
export function streamOut(m: Module, prefix: string, type: HdlType, opts: { reg?: boolean } = {}): View<DataStream> {
  return m.port(stream(type), prefix, opts.reg ? { reg: true, reset: { valid: 0 } } : {});
}

/** 1 on the edges where a transfer happens. */
export function fire(s: { readonly valid: Expr; readonly ready: Expr }): Expr {
  return s.valid.and(s.ready);
}
