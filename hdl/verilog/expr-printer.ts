// Printing expressions so that Verilog's context-dependent widths and signedness can never change a
// result. Every printed expression has exactly the width of its IR node, computed on bit patterns
// (unsigned); the only signed operations are the explicit $signed() compares, shifts and multiplies.
// Operands are extended before use; where Verilog cannot extend or slice an expression in place, the
// value gets a named temporary wire.
import {
  type Expr,
  BinaryExpr,
  CastExpr,
  ConcatExpr,
  ConstExpr,
  ExtendExpr,
  MuxExpr,
  ShiftExpr,
  SliceExpr,
  UnaryExpr,
} from '../core/expr.ts';
import { MemReadExpr } from '../core/memory.ts';
import { Signal } from '../core/signal.ts';
import type { HdlType } from '../core/types.ts';
import type { NameTable } from './names.ts';
import { literal } from './literal.ts';

export interface Temp {
  name: string;
  type: HdlType;
  text: string;
}

const BINARY_TOKENS: Record<string, string> = {
  add: '+', sub: '-', mul: '*', and: '&', or: '|', xor: '^', eq: '==', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=',
};

export class ExprPrinter {
  /** Temporaries introduced while printing, in order; the module printer declares them. */
  readonly temps: Temp[] = [];
  /** Named constants used (FSM states): name -> literal. */
  readonly localparams = new Map<string, { type: HdlType; text: string }>();
  private readonly tempOf = new Map<Expr, string>();

  constructor(
    private readonly names: NameTable,
    private readonly nameOf: (s: Signal) => string,
    private readonly memName: (m: MemReadExpr['memory']) => string,
  ) {}

  /** Text of exactly e.width bits. */
  print(e: Expr): string {
    if (e instanceof Signal) return this.nameOf(e);
    if (e instanceof ConstExpr) {
      if (e.label) {
        this.localparams.set(e.label, { type: e.type, text: literal(e.value, e.type) });
        return e.label;
      }
      return literal(e.value, e.type);
    }
    if (e instanceof CastExpr) return this.print(e.a);
    if (e instanceof BinaryExpr) return this.binary(e);
    if (e instanceof UnaryExpr) {
      switch (e.op) {
        case 'not':
          return `(~${this.print(e.a)})`;
        case 'neg':
          return `(-${this.ext(e.a, e.width)})`;
        case 'andR':
          return `(&${this.print(e.a)})`;
        case 'orR':
          return `(|${this.print(e.a)})`;
        case 'xorR':
          return `(^${this.print(e.a)})`;
      }
    }
    if (e instanceof ShiftExpr) return this.shift(e);
    if (e instanceof SliceExpr) {
      const base = this.leaf(e.a);
      return e.a.width === 1 ? base : e.hi === e.lo ? `${base}[${e.hi}]` : `${base}[${e.hi}:${e.lo}]`;
    }
    if (e instanceof ConcatExpr) {
      const first = e.parts[0]!;
      if (e.parts.length > 1 && e.parts.every((p) => p === first)) return `{${e.parts.length}{${this.print(first)}}}`;
      return `{${e.parts.map((p) => this.print(p)).join(', ')}}`;
    }
    if (e instanceof MuxExpr) return `(${this.print(e.sel)} ? ${this.ext(e.onTrue, e.width)} : ${this.ext(e.onFalse, e.width)})`;
    if (e instanceof ExtendExpr) return this.ext(e.a, e.width);
    if (e instanceof MemReadExpr) return `${this.memName(e.memory)}[${this.print(e.addr)}]`;
    throw new Error(`cannot print expression node ${e.constructor.name}`);
  }

  /** Text of exactly `width` bits holding e's value, extended by e's signedness. */
  ext(e: Expr, width: number): string {
    if (width === e.width) return this.print(e);
    const extra = width - e.width;
    if (e instanceof ConstExpr && !e.label) return literal(e.value, { width, signed: e.signed });
    if (!e.signed) return `{${extra}'d0, ${this.print(e)}}`;
    const base = this.leaf(e);
    const sign = e.width === 1 ? base : `${base}[${e.width - 1}]`;
    return extra === 1 ? `{${sign}, ${base}}` : `{{${extra}{${sign}}}, ${base}}`;
  }

  private binary(e: BinaryExpr): string {
    const tok = BINARY_TOKENS[e.op]!;
    const isCompare = e.width === 1 && ['eq', 'ne', 'lt', 'le', 'gt', 'ge'].includes(e.op);
    const w = isCompare ? Math.max(e.a.width, e.b.width) : e.width;
    const a = this.ext(e.a, w);
    const b = this.ext(e.b, w);
    // Signedness only matters to ordering compares and to the width-extended product (both operands are
    // already full width, so the bit pattern of the product is the same either way: we keep $signed so
    // yosys sees a signed multiplier and can map it onto a DSP).
    const signedOp = e.a.signed && (e.op === 'mul' || ['lt', 'le', 'gt', 'ge'].includes(e.op));
    return signedOp ? `($signed(${a}) ${tok} $signed(${b}))` : `(${a} ${tok} ${b})`;
  }

  private shift(e: ShiftExpr): string {
    if (typeof e.amount === 'number') {
      if (e.op === 'shl') return `{${this.print(e.a)}, ${literal(0n, { width: e.amount, signed: false })}}`;
      const base = this.leaf(e.a);
      return e.a.width - 1 === e.amount ? `${base}[${e.a.width - 1}]` : `${base}[${e.a.width - 1}:${e.amount}]`;
    }
    const amt = this.print(e.amount);
    if (e.op === 'shl') return `(${this.ext(e.a, e.width)} << ${amt})`;
    return e.signed ? `($signed(${this.print(e.a)}) >>> ${amt})` : `(${this.print(e.a)} >> ${amt})`;
  }

  /** A name for e's value: the signal itself, or a temporary wire. */
  private leaf(e: Expr): string {
    if (e instanceof Signal) return this.nameOf(e);
    if (e instanceof CastExpr) return this.leaf(e.a);
    const have = this.tempOf.get(e);
    if (have) return have;
    const text = this.print(e);
    const name = this.names.fresh(`_${tempBase(e)}`);
    this.temps.push({ name, type: e.type, text });
    this.tempOf.set(e, name);
    return name;
  }
}

/** Temporaries are named after what they compute: _add_0, _mux_1, ... */
function tempBase(e: Expr): string {
  if (e instanceof BinaryExpr || e instanceof UnaryExpr || e instanceof ShiftExpr) return e.op.toLowerCase();
  return e.constructor.name.replace(/Expr$/, '').toLowerCase();
}
