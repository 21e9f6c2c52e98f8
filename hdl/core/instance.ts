// A child module placed inside a parent. Inputs connect to parent expressions; every output gets a
// parent wire named `<instance>_<port>`, so no pin is ever left dangling in the Verilog.
import type { Expr } from './expr.ts';
import type { Signal } from './signal.ts';
import { type SourceLoc, callerLocation } from './source.ts';
import { HdlError } from './errors.ts';
import type { Module } from './module.ts';

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
  ) {}

  /** The parent wire an output port drives. */
  out(port: string): Signal {
    const s = this.outputs.get(port);
    // No value can stand in for a missing port, so this one is thrown rather than collected.
    if (!s) throw new HdlError(`instance ${this.name} of ${this.def.name} has no output '${port}'`, callerLocation());
    return s;
  }
}
