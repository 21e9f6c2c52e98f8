// |x| of a signed value as an unsigned one, for the row unit's max |p| and sum of squares.
import { mux, type Expr } from '../../hdl/core/expr.ts';

/** |x| of a signed value known to satisfy |x| < 2^bits, as UInt(bits). */
export function absOf(x: Expr, bits: number): Expr {
  return mux(x.msb(), x.neg(), x.ext(x.width + 1)).slice(bits - 1, 0);
}
