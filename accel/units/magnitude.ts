// |x| of a signed value as an unsigned one, for the row unit's max |p| and sum of squares.
import { repeat, type Expr } from '../../hdl/core/expr.ts';

/**
 * |x| of a signed value known to satisfy |x| < 2^bits, as UInt(bits): the low `bits` bits of |x| for any x
 * (the most negative one included), as mux(x < 0, -x, x) gives them.
 *
 * Written as (x + S) ^ S with S the sign bit in every position (S = -1 for a negative x, and
 * (x - 1) ^ -1 = -x): one carry chain whose sum LUTs also take the XOR, about 1 logic cell a bit on
 * the iCE40, where a negation chain plus a multiplexer costs about 3. Only the low `bits` bits of x
 * reach them (carries run upwards), so the chain is `bits` long.
 */
export function absOf(x: Expr, bits: number): Expr {
  if (!x.signed) throw new RangeError(`absOf: the value must be signed, got a ${x.width}-bit unsigned one`);
  if (!Number.isInteger(bits) || bits < 1 || bits > x.width + 1) throw new RangeError(`absOf: ${bits} bits of |x| for a ${x.width}-bit x (1 .. ${x.width + 1})`);
  const low = x.ext(Math.max(bits, x.width)).slice(bits - 1, 0);
  const sign = repeat(x.msb(), bits);
  return low.add(sign).trunc(bits).xor(sign);
}
