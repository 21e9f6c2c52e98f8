// The instruction register's fields (accel/isa.ts), each a named signal the controller and the
// datapath read, and the comparisons they are used in.
import { lit, type Expr } from '../../hdl/core/expr.ts';
import type { Module } from '../../hdl/core/module.ts';
import { UInt } from '../../hdl/core/types.ts';
import { OP, type FieldName, type IsaLayout } from '../isa.ts';

export type Fields = Record<FieldName, Expr>;

export interface Decoded {
  f: Fields;
  /** e == v, v at e's width. */
  eq: (e: Expr, v: number) => Expr;
  isOp: (o: keyof typeof OP) => Expr;
}

/** The fields of `ir` in layout order, each an `ir_<field>` signal (signed ones as SInt). */
export function decodeFields(m: Module, ir: Expr, layout: IsaLayout): Decoded {
  const f = {} as Fields;
  for (const x of Object.values(layout.fields)) {
    const e = ir.slice(x.lo + x.width - 1, x.lo);
    f[x.name as FieldName] = m.let(`ir_${x.name}`, x.signed ? e.asSigned() : e);
  }
  const eq = (e: Expr, v: number) => e.eq(lit(v, UInt(e.width)));
  return { f, eq, isOp: (o) => eq(f.op, OP[o]) };
}
