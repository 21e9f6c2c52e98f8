// The ternary dot-product lane: n int8 activations times n ternary weights {-1, 0, +1}, summed exactly.
// No multiplier: each product is the activation, its negation, or nothing.
//
// Weight encoding, 2 bits per weight, bit 0 = "non-zero", bit 1 = "negative":
//   00 -> 0    01 -> +1    11 -> -1    10 -> reserved, read as 0 (packers never emit it)
// As a 2-bit two's-complement number the three valid codes read as 0, +1 and -1.
//
// Negation is split in two: a lane with weight -1 contributes ~a (= -a - 1, still 8 bits, so the tree
// stays 8 bits wide at its leaves), and the missing +1s enter the adder tree as the carry-ins of its
// adders (free on a carry chain; before, a popcount tree of its own beside it). The sum lies in
// [-128 n, 128 n]: 8 + clog2(n) + 1 bits.
import { defineModule } from '../core/generator.ts';
import { cat, mux, lit, repeat } from '../core/expr.ts';
import { Bool, SInt, UInt, clog2 } from '../core/types.ts';
import { adderTree } from './adder-tree.ts';

export const TERNARY_CODE = { zero: 0b00, plus: 0b01, minus: 0b11 } as const;
export const ACT_BITS = 8;

export interface TernaryLaneParams {
  [k: string]: number;
  n: number;
  /** Register stages inside the adder trees (0 .. clog2(n)); the final add is always registered. */
  stages: number;
}

/** Output width of an n-input lane: exactly enough for [-128 n, 128 n]. */
export function ternaryLaneWidth(n: number): number {
  return ACT_BITS + clog2(n) + 1;
}

/** Cycles from in_valid to out_valid. */
export function ternaryLaneLatency(p: TernaryLaneParams): number {
  return p.stages + 1;
}

export const ternaryLane = defineModule('ternary_lane', (m, p: TernaryLaneParams) => {
  const act = m.input('act', UInt(p.n * ACT_BITS)); // activation i in bits [8i+7 : 8i], two's complement
  const codes = m.input('codes', UInt(p.n * 2)); // weight i in bits [2i+1 : 2i]
  const inValid = m.input('in_valid', Bool);
  const dot = m.output('dot', SInt(ternaryLaneWidth(p.n)), { reg: true });
  const outValid = m.output('out_valid', Bool, { reg: true, reset: 0 });

  const terms = [];
  const negatives = [];
  for (let i = 0; i < p.n; i++) {
    const a = act.slice(ACT_BITS * i + ACT_BITS - 1, ACT_BITS * i);
    const nonzero = codes.bit(2 * i);
    const negative = codes.bit(2 * i + 1);
    // a XOR 11111111 = ~a when negative; zero when the weight is zero.
    const flipped = a.xor(repeat(negative, ACT_BITS));
    terms.push(mux(nonzero, flipped, lit(0, UInt(ACT_BITS))));
    negatives.push(nonzero.and(negative));
  }
  // Terms are concatenated lane 0 last, so lane i sits at bits [8i+7 : 8i] of the tree input.
  const sums = m.instance('u_sum', adderTree({ n: p.n, width: ACT_BITS, stages: p.stages, carries: 1 }), {
    in: m.let('terms', cat(...terms.reverse()).asSigned()),
    cin: m.let('negatives', cat(...negatives.reverse())),
    in_valid: inValid,
  });

  m.sync(() => {
    dot.set(sums.out('sum').add(sums.out('carry_out').toSigned()).ext(dot.width));
    outValid.set(sums.out('out_valid'));
  });
});

/** The reference: what the lane must compute, in plain TypeScript. */
export function ternaryDotReference(acts: ArrayLike<number>, codes: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < acts.length; i++) {
    const c = codes[i]! & 3;
    if (c === TERNARY_CODE.plus) s += acts[i]!;
    else if (c === TERNARY_CODE.minus) s -= acts[i]!;
  }
  return s;
}
