// Pipeline registers for the accelerator's units. Wrapped in hdlHelper, so each register's
// `// src:` comment names the unit's line that asked for it, not this file.
import { hdlHelper } from '../../hdl/core/source.ts';
import type { Expr } from '../../hdl/core/expr.ts';
import type { Module } from '../../hdl/core/module.ts';
import type { Signal } from '../../hdl/core/signal.ts';

/** A register loaded with v every cycle (a datapath register: no reset unless given). */
export const regOf = hdlHelper((m: Module, name: string, v: Expr, reset?: number): Signal => {
  const r = m.reg(name, v.type, reset === undefined ? {} : { reset });
  m.sync(() => r.set(v));
  return r;
});

/** v delayed by n registers named name_d1 .. name_dn. */
export const delay = hdlHelper((m: Module, name: string, v: Expr, n: number, reset?: number): Expr => {
  let out = v;
  for (let k = 1; k <= n; k++) out = regOf(m, `${name}_d${k}`, out, reset);
  return out;
});

/** Barrel-shift amount bits per pipeline stage (a 4:1 mux per output bit: two LUT levels). */
export const SHIFT_BITS_PER_STAGE = 2;

/** Split `bits` amount bits into stages of at most SHIFT_BITS_PER_STAGE, larger chunks first (MSB first). */
export function shiftChunks(bits: number): number[] {
  const n = Math.max(1, Math.ceil(bits / SHIFT_BITS_PER_STAGE));
  const base = Math.floor(bits / n);
  return Array.from({ length: n }, (_, i) => base + (i < bits % n ? 1 : 0));
}
