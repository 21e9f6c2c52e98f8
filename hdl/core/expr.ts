// Expressions: an immutable tree of typed nodes. Every operator states its result type up front
// (additions grow by one bit, products by the sum of widths), so nothing is ever truncated silently,
// (an unsigned difference wraps below zero: subtract signed values for a signed result),
// and mixing signed with unsigned is an error until the user casts one side.
import { type HdlType, UInt, SInt, Bool, typeName, typeRange, bitsFor, MAX_WIDTH } from './types.ts';
import { type SourceLoc, callerLocation } from './source.ts';
import { reportError } from './errors.ts';

export type ExprLike = Expr | number | bigint | boolean;

export type BinaryOp = 'add' | 'sub' | 'mul' | 'and' | 'or' | 'xor' | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
export type UnaryOp = 'not' | 'neg' | 'andR' | 'orR' | 'xorR';

export abstract class Expr {
  readonly loc: SourceLoc;
  constructor(readonly type: HdlType, loc?: SourceLoc) {
    this.loc = loc ?? callerLocation();
  }
  get width(): number {
    return this.type.width;
  }
  get signed(): boolean {
    return this.type.signed;
  }

  // Arithmetic: results grow so they always hold the exact answer.
  add(b: ExprLike): Expr {
    return arith('add', this, b, (w) => w + 1);
  }
  /** Unsigned minus unsigned stays unsigned (wrapping below zero); use .toSigned() for a difference. */
  sub(b: ExprLike): Expr {
    return arith('sub', this, b, (w) => w + 1);
  }
  mul(b: ExprLike): Expr {
    const [x, y] = unify(this, b, 'mul');
    return new BinaryExpr('mul', x, y, { width: x.width + y.width, signed: x.signed });
  }
  /** Two's-complement negation; the result is signed and one bit wider so -min fits. */
  neg(): Expr {
    return new UnaryExpr('neg', this, SInt(this.width + 1));
  }

  // Bitwise: operands are extended to the wider one.
  and(b: ExprLike): Expr {
    return arith('and', this, b, (w) => w);
  }
  or(b: ExprLike): Expr {
    return arith('or', this, b, (w) => w);
  }
  xor(b: ExprLike): Expr {
    return arith('xor', this, b, (w) => w);
  }
  not(): Expr {
    return new UnaryExpr('not', this, this.type);
  }

  // Comparisons give one bit.
  eq(b: ExprLike): Expr {
    return compare('eq', this, b);
  }
  ne(b: ExprLike): Expr {
    return compare('ne', this, b);
  }
  lt(b: ExprLike): Expr {
    return compare('lt', this, b);
  }
  le(b: ExprLike): Expr {
    return compare('le', this, b);
  }
  gt(b: ExprLike): Expr {
    return compare('gt', this, b);
  }
  ge(b: ExprLike): Expr {
    return compare('ge', this, b);
  }

  // Reductions.
  andR(): Expr {
    return new UnaryExpr('andR', this, Bool);
  }
  orR(): Expr {
    return new UnaryExpr('orR', this, Bool);
  }
  xorR(): Expr {
    return new UnaryExpr('xorR', this, Bool);
  }

  /**
   * Shift left. By a constant n the result grows by n bits; by a signal of width k it grows by
   * 2^k - 1 bits, so no bit is ever shifted out.
   */
  shl(amount: number | Expr): Expr {
    if (typeof amount === 'number') {
      checkShift(amount, Infinity);
      return amount === 0 ? this : new ShiftExpr('shl', this, amount, { width: this.width + amount, signed: this.signed });
    }
    const grow = 2 ** amount.width - 1;
    if (amount.signed || this.width + grow > MAX_WIDTH) {
      reportError(`shift amount must be an unsigned signal of at most ${Math.floor(Math.log2(MAX_WIDTH))} bits, got ${typeName(amount.type)}`, callerLocation());
    }
    return new ShiftExpr('shl', this, amount, { width: Math.min(this.width + grow, MAX_WIDTH), signed: this.signed });
  }
  /**
   * Shift right: arithmetic for signed values, logical for unsigned. By a constant n the low n bits
   * are dropped (width - n); by a signal the width stays.
   */
  shr(amount: number | Expr): Expr {
    if (typeof amount === 'number') {
      checkShift(amount, this.width - 1);
      return amount === 0 ? this : new ShiftExpr('shr', this, amount, { width: this.width - amount, signed: this.signed });
    }
    if (amount.signed) reportError(`shift amount must be unsigned, got ${typeName(amount.type)}`, callerLocation());
    return new ShiftExpr('shr', this, amount, this.type);
  }

  /** Bits hi..lo inclusive, as an unsigned value (as in Verilog). */
  slice(hi: number, lo: number): Expr {
    const loc = callerLocation();
    if (!Number.isInteger(hi) || !Number.isInteger(lo) || lo < 0 || hi < lo || hi >= this.width) {
      reportError(`slice [${hi}:${lo}] is outside ${typeName(this.type)}`, loc);
      return new ConstExpr(0n, UInt(Math.min(MAX_WIDTH, Math.max(1, hi - lo + 1) || 1)), loc);
    }
    return new SliceExpr(this, hi, lo, loc);
  }
  bit(i: number): Expr {
    return this.slice(i, i);
  }
  /** The most significant bit (the sign bit of a signed value). */
  msb(): Expr {
    return this.slice(this.width - 1, this.width - 1);
  }

  // Explicit width and signedness changes.
  /** Extend to `width` bits by this value's own signedness. */
  ext(width: number): Expr {
    if (width < this.width) {
      reportError(`ext(${width}) would shrink ${typeName(this.type)}; use trunc()`, callerLocation());
      return this;
    }
    return width === this.width ? this : new ExtendExpr(this, { width, signed: this.signed });
  }
  /** Read the bits as signed and sign-extend to `width`. */
  sext(width: number): Expr {
    return this.asSigned().ext(width);
  }
  /** Read the bits as unsigned and zero-extend to `width`. */
  zext(width: number): Expr {
    return this.asUnsigned().ext(width);
  }
  /** Keep the low `width` bits; signedness stays. */
  trunc(width: number): Expr {
    if (width > this.width || width < 1) {
      reportError(`trunc(${width}) of ${typeName(this.type)} is not a truncation`, callerLocation());
      return this;
    }
    if (width === this.width) return this;
    const s = new SliceExpr(this, width - 1, 0);
    return this.signed ? s.asSigned() : s;
  }
  /** Reinterpret the same bits as signed. */
  asSigned(): Expr {
    return this.signed ? this : new CastExpr(this, SInt(this.width));
  }
  /** Reinterpret the same bits as unsigned. */
  asUnsigned(): Expr {
    return this.signed ? new CastExpr(this, UInt(this.width)) : this;
  }
  /** The same value as a signed number: unsigned values gain a zero sign bit. */
  toSigned(): Expr {
    return this.signed ? this : this.zext(this.width + 1).asSigned();
  }
}

/** A literal. Its value is the number it denotes (negative for negative signed constants). */
export class ConstExpr extends Expr {
  constructor(
    readonly value: bigint,
    type: HdlType,
    loc?: SourceLoc,
    /** A symbolic name the printer may show (an FSM state, say). */
    readonly label?: string,
  ) {
    super(type, loc);
    const r = typeRange(type);
    if (value < r.min || value > r.max) {
      reportError(`constant ${value} does not fit ${typeName(type)}`, this.loc);
    }
  }
}

export class BinaryExpr extends Expr {
  constructor(
    readonly op: BinaryOp,
    readonly a: Expr,
    readonly b: Expr,
    type: HdlType,
  ) {
    super(type);
  }
}

export class UnaryExpr extends Expr {
  constructor(
    readonly op: UnaryOp,
    readonly a: Expr,
    type: HdlType,
  ) {
    super(type);
  }
}

export class ShiftExpr extends Expr {
  constructor(
    readonly op: 'shl' | 'shr',
    readonly a: Expr,
    readonly amount: number | Expr,
    type: HdlType,
  ) {
    super(type);
  }
}

export class SliceExpr extends Expr {
  constructor(
    readonly a: Expr,
    readonly hi: number,
    readonly lo: number,
    loc?: SourceLoc,
  ) {
    super(UInt(hi - lo + 1), loc);
  }
}

export class ConcatExpr extends Expr {
  /** parts[0] is the most significant, as in Verilog's {a, b}. */
  constructor(readonly parts: Expr[]) {
    super(UInt(parts.reduce((w, p) => w + p.width, 0)));
  }
}

export class MuxExpr extends Expr {
  constructor(
    readonly sel: Expr,
    readonly onTrue: Expr,
    readonly onFalse: Expr,
    type: HdlType,
  ) {
    super(type);
  }
}

/** Widening by the operand's own signedness (sign or zero fill). */
export class ExtendExpr extends Expr {
  constructor(
    readonly a: Expr,
    type: HdlType,
  ) {
    super(type);
  }
}

/** Same bits, other signedness. */
export class CastExpr extends Expr {
  constructor(
    readonly a: Expr,
    type: HdlType,
  ) {
    super(type);
  }
}

// ---- constructors for the free functions -------------------------------------------------------

/** A constant of an explicit type; plain numbers passed to operators are typed from the other side. */
export function lit(value: number | bigint | boolean, type?: HdlType): ConstExpr {
  const loc = callerLocation();
  const v = toBig(value, loc);
  return new ConstExpr(v, type ?? (v < 0n ? SInt(bitsFor(v, true)) : UInt(bitsFor(v, false))), loc);
}

/** {parts[0], parts[1], ...}: the first part is the most significant. */
export function cat(...parts: Expr[]): Expr {
  if (parts.length === 0) {
    reportError('cat() needs at least one part', callerLocation());
    return lit(0);
  }
  return parts.length === 1 ? parts[0]!.asUnsigned() : new ConcatExpr(parts);
}

/** `n` copies of `e` side by side. */
export function repeat(e: Expr, n: number): Expr {
  return cat(...Array.from({ length: n }, () => e));
}

/** sel ? onTrue : onFalse. Both sides must agree in signedness; the result is the wider. */
export function mux(sel: Expr, onTrue: ExprLike, onFalse: ExprLike): Expr {
  checkCondition(sel, 'mux select', callerLocation());
  const [t, f] = unify(onTrue, onFalse, 'mux');
  return new MuxExpr(sel, t, f, { width: Math.max(t.width, f.width), signed: t.signed });
}

/** A one-bit condition; anything wider must be reduced explicitly (.orR(), .ne(0)). */
export function checkCondition(c: Expr, what: string, loc: SourceLoc): void {
  if (c.width !== 1) reportError(`${what} must be 1 bit wide, got ${typeName(c.type)}; use .orR() or .ne(0)`, loc);
}

/** Turn a plain number into a constant typed to sit next to `like`. */
export function toExpr(v: ExprLike, like?: HdlType): Expr {
  if (v instanceof Expr) return v;
  const loc = callerLocation();
  const big = toBig(v, loc);
  const signed = like?.signed ?? big < 0n;
  if (big < 0n && !signed) {
    reportError(`negative constant ${big} next to an unsigned value; cast the value with .toSigned()`, loc);
    return new ConstExpr(0n, UInt(1), loc);
  }
  return new ConstExpr(big, { width: bitsFor(big, signed), signed }, loc);
}

export function toBig(v: number | bigint | boolean, loc: SourceLoc): bigint {
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (typeof v === 'bigint') return v;
  if (!Number.isSafeInteger(v)) {
    reportError(`constant ${v} is not a safe integer; pass a bigint`, loc);
    return 0n;
  }
  return BigInt(v);
}

function unify(a: ExprLike, b: ExprLike, op: string): [Expr, Expr] {
  if (!(a instanceof Expr) && !(b instanceof Expr)) {
    // Two plain numbers: signed if either is negative, whatever their order.
    const signed = toBig(a, callerLocation()) < 0n || toBig(b, callerLocation()) < 0n;
    const like = { width: 1, signed };
    return [toExpr(a, like), toExpr(b, like)];
  }
  const x = a instanceof Expr ? a : toExpr(a, b instanceof Expr ? b.type : undefined);
  const y = b instanceof Expr ? b : toExpr(b, x.type);
  if (x.signed !== y.signed) {
    reportError(
      `${op} mixes ${typeName(x.type)} and ${typeName(y.type)}; cast one side (.toSigned(), .asSigned(), .asUnsigned())`,
      callerLocation(),
    );
  }
  return [x, y];
}

function arith(op: BinaryOp, a: Expr, b: ExprLike, grow: (w: number) => number): Expr {
  const [x, y] = unify(a, b, op);
  return new BinaryExpr(op, x, y, { width: grow(Math.max(x.width, y.width)), signed: x.signed });
}

function compare(op: BinaryOp, a: Expr, b: ExprLike): Expr {
  const [x, y] = unify(a, b, op);
  return new BinaryExpr(op, x, y, Bool);
}

function checkShift(n: number, max: number): void {
  if (!Number.isInteger(n) || n < 0 || n > max) {
    reportError(`shift by ${n} is out of range 0..${max}`, callerLocation());
  }
}

/** Children of a node, for walks over expression trees. */
export function exprChildren(e: Expr): Expr[] {
  if (e instanceof BinaryExpr) return [e.a, e.b];
  if (e instanceof UnaryExpr || e instanceof SliceExpr || e instanceof ExtendExpr || e instanceof CastExpr) return [e.a];
  if (e instanceof ShiftExpr) return typeof e.amount === 'number' ? [e.a] : [e.a, e.amount];
  if (e instanceof ConcatExpr) return e.parts;
  if (e instanceof MuxExpr) return [e.sel, e.onTrue, e.onFalse];
  return [];
}
