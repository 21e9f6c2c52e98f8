// A signal compared with a constant, written as logic on the signal's bits rather than as `x > C`.
//
// Yosys (0.23, synth_ice40) turns any `>`/`>=`/`<`/`<=` into a subtraction: a carry chain of one logic
// cell a bit. Against a constant the answer needs no arithmetic: scanning the constant's bits from the
// least significant up, x > C holds when at bit i x[i] beats C[i] with the bits above equal, which is
//   C[i] = 1:  x[i] & (the lower bits decide "greater")
//   C[i] = 0:  x[i] | (the lower bits decide "greater")
// an AND/OR chain that maps into about one LUT4 per three bits, and the constant's trailing ones
// (for >: they can never be beaten) or zeros (for >=: they are always met) cost nothing. A signed x is
// compared as unsigned with its sign bit inverted against C + 2^(n-1) (the same order).
import { ConstExpr, lit, type Expr } from '../core/expr.ts';
import { Bool, typeName, typeRange } from '../core/types.ts';

/** x > c for a signal x (signed or unsigned, by its type) and any integer c; a constant bit when c is outside x's range. */
export function gtConst(x: Expr, c: number | bigint): Expr {
  return compareConst(x, big(c, 'gtConst'), false);
}

/** x >= c. */
export function geConst(x: Expr, c: number | bigint): Expr {
  return compareConst(x, big(c, 'geConst'), true);
}

/** x < c, that is !(x >= c). */
export function ltConst(x: Expr, c: number | bigint): Expr {
  return invert(compareConst(x, big(c, 'ltConst'), true));
}

/** x <= c, that is !(x > c). */
export function leConst(x: Expr, c: number | bigint): Expr {
  return invert(compareConst(x, big(c, 'leConst'), false));
}

/** !b, folded when b is a constant (so an out-of-range compare stays a constant for the caller to see). */
function invert(b: Expr): Expr {
  return b instanceof ConstExpr ? lit(b.value ^ 1n, Bool) : b.not();
}

function big(c: number | bigint, fn: string): bigint {
  if (typeof c === 'number' && !Number.isSafeInteger(c)) throw new RangeError(`${fn}: constant ${c} is not a safe integer; pass a bigint`);
  return BigInt(c);
}

/** x > c (orEqual: x >= c). */
function compareConst(x: Expr, c: bigint, orEqual: boolean): Expr {
  const n = x.width;
  const { min, max } = typeRange(x.type);
  // Outside x's range the answer is the same for every x.
  if (orEqual ? c <= min : c < min) return lit(1, Bool);
  if (orEqual ? c > max : c >= max) return lit(0, Bool);
  // Unsigned order: a signed x with its sign bit inverted, against c shifted by 2^(n-1).
  const bit = x.signed ? (i: number) => (i === n - 1 ? x.bit(i).not() : x.bit(i)) : (i: number) => x.bit(i);
  const u = x.signed ? c - min : c;
  // acc: "the bits below i make x greater (or equal)"; a constant until the first bit that can decide.
  let acc: Expr | boolean = orEqual;
  for (let i = 0; i < n; i++) {
    const one = ((u >> BigInt(i)) & 1n) === 1n;
    if (typeof acc === 'boolean') {
      // >: trailing ones keep it false (x[i] & 0); >=: trailing zeros keep it true (x[i] | 1). The first
      // other bit is x[i] alone (x[i] | 0, x[i] & 1).
      if (one === acc) acc = bit(i);
      continue;
    }
    acc = one ? bit(i).and(acc) : bit(i).or(acc);
  }
  if (typeof acc === 'boolean') throw new Error(`compareConst: ${typeName(x.type)} against ${c} has no deciding bit`); // ruled out by the range checks
  return acc;
}
