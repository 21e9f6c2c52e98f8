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
