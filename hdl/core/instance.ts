// A child module placed inside a parent. Inputs connect to parent expressions; every output gets a
// parent wire named `<instance>_<port>`, so no pin is ever left dangling in the Verilog. Inputs not
// given when placing it get such a wire too, to be driven later (connect(m, ..., inst.io(sig, prefix))).
import type { Expr } from './expr.ts';
import type { Signal } from './signal.ts';
import { type SourceLoc, callerLocation } from './source.ts';
import { HdlError } from './errors.ts';
import type { Module } from './module.ts';
import type { BundleSig } from './signature.ts';
import { type View, instanceView } from './interface.ts';

export type ParamValue = number | bigint | string;

export class Instance {
  constructor(
    readonly name: string,
    readonly def: Module,
    /** Input port name -> the parent expression driving it (already at the port's width). */
    readonly inputs: Map<string, Expr>,
    /** Output port name -> the parent wire it drives. */
    readonly outputs: Map<string, Signal>,
    /** Verilog parameter overrides (vendor primitives). */
    readonly params: Record<string, ParamValue>,
    readonly loc: SourceLoc,
    /** The module it is placed in. */
    readonly parent: Module,
    /** Inputs not connected when placed: port name -> the parent wire that must be driven later. */
    readonly deferred: ReadonlyMap<string, Signal> = new Map(),
  ) {}

  /**
   * The parent's typed view of the child's ports `prefix_*` for a signature: the child's outputs are
   * read, its deferred inputs driven. Which side the child is on is read from its port directions.
   */
  io<S extends BundleSig>(sig: S, prefix: string): View<S> {
    return instanceView(this.parent, this, sig, prefix);
  }

  /** The parent wire an output port drives. */
  out(port: string): Signal {
    const s = this.outputs.get(port);
    // No value can stand in for a missing port, so this one is thrown rather than collected.
    if (!s) throw new HdlError(`instance ${this.name} of ${this.def.name} has no output '${port}'`, callerLocation());
    return s;
  }
}
