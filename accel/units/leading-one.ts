// A pipelined leading-one detector (priority encoder): the position of the highest set bit of a word,
// which the row unit's saturation test needs (hb(V xor sign) against the shift amount, row-unit.ts).
//
// The tree: 4-bit leaf encoders, then 2-way merges (any = aH | aL, pos = {aH, aH ? posH : posL}), one
// LUT level each. Registers go in at most every 2 LUT levels (`leadingOneStages`: 0 up to width 8, 1 for
// 9 .. 32, 2 for 33 .. 53): on the iCE40 routing costs more than logic (2-3 ns per net against 1.2 ns per
// LUT), and 3-level stages measured 63-71 MHz against 78-90 MHz for 2 levels (nextpnr, UP5K, inside
// hdl/lib/serial-wrapper.ts, in the pipelined scalar units this detector was first written for).
import { cat, lit, mux, type Expr } from '../../hdl/core/expr.ts';
import type { Module } from '../../hdl/core/module.ts';
import { Bool, clog2 } from '../../hdl/core/types.ts';
import { registeredLevels } from '../../hdl/lib/adder-tree.ts';
import { regOf } from './pipeline.ts';

/** Input bits per leaf encoder (any: a 4-input OR; pos: two 4-input functions; one LUT4 each). */
const LEAF_BITS = 4;
/** LUT levels per pipeline stage in the tree. */
const LEVELS_PER_STAGE = 2;

/** Leaves of the tree for an n-bit input. */
function leafCount(width: number): number {
  return Math.ceil(width / LEAF_BITS);
}

/** LUT levels of the tree: the leaf encoders and clog2(leaves) merge levels. */
export function leadingOneLevels(width: number): number {
  return 1 + clog2(leafCount(width));
}

/** Width of the detected position: 2 bits per leaf plus one per merge level. */
export function leadingOnePosWidth(width: number): number {
  return clog2(LEAF_BITS) + clog2(leafCount(width));
}

/** Registers inside the tree, at most LEVELS_PER_STAGE LUT levels apart (the caller registers the top). */
export function leadingOneStages(width: number): number {
  return Math.ceil(leadingOneLevels(width) / LEVELS_PER_STAGE) - 1;
}

export interface LeadingOne {
  /** 1 when some bit of x is set. Combinational, `stages` cycles behind x. */
  any: Expr;
  /** The position of the highest set bit of x (0 when x = 0), UInt(leadingOnePosWidth). Combinational. */
  pos: Expr;
  /** Registers inside the tree: `any` and `pos` describe the x of `stages` cycles ago. */
  stages: number;
}

interface LodNode {
  any: Expr;
  pos: Expr;
}

function orAll(bits: (Expr | undefined)[]): Expr {
  const present = bits.filter((b): b is Expr => b !== undefined);
  return present.length === 0 ? lit(0, Bool) : present.reduce((a, b) => a.or(b));
}

/** Priority encoder of up to 4 bits (b[0] the lowest): any, and the 2-bit position of the highest one. */
function leafEncoder(b: (Expr | undefined)[]): LodNode {
  const [b0, b1, b2, b3] = b;
  const pos1 = orAll([b3, b2]);
  // pos0: b3, or b1 when b2 is clear.
  const b1NotB2 = b1 === undefined ? undefined : b2 === undefined ? b1 : b1.and(b2.not());
  const pos0 = orAll([b3, b1NotB2]);
  return { any: orAll([b0, b1, b2, b3]), pos: cat(pos1, pos0) };
}

/**
 * A leading-one detector (priority encoder) over x, as a tree: 4-bit leaf encoders (one LUT level),
 * then clog2(leaves) levels of two-way merges, each one LUT level:
 *   any = any_hi | any_lo,   pos = {any_hi, any_hi ? pos_hi : pos_lo}
 * (a node without a partner has an all-zero upper half: {0, pos_lo}). `stages` registers are spread
 * over the levels as evenly as possible, never after the last one: the caller registers the top.
 */
export function leadingOne(m: Module, prefix: string, x: Expr, stages = leadingOneStages(x.width)): LeadingOne {
  const levels = leadingOneLevels(x.width);
  if (!Number.isInteger(stages) || stages < 0 || stages >= levels) throw new RangeError(`leadingOne: stages must be 0..${levels - 1}, got ${stages}`);
  // registeredLevels(levels, stages + 1) always registers the last level; that register is the caller's.
  const regAfter = registeredLevels(levels, stages + 1);
  const register = (level: number, nodes: LodNode[]): LodNode[] =>
    nodes.map((n, i) => ({
      any: regOf(m, `${prefix}_any_l${level}_${i}`, n.any),
      pos: regOf(m, `${prefix}_pos_l${level}_${i}`, n.pos),
    }));

  let nodes: LodNode[] = [];
  for (let g = 0; g < leafCount(x.width); g++) {
    nodes.push(leafEncoder(Array.from({ length: LEAF_BITS }, (_, i) => (g * LEAF_BITS + i < x.width ? x.bit(g * LEAF_BITS + i) : undefined))));
  }
  if (regAfter[0] && levels > 1) nodes = register(0, nodes);
  for (let level = 1; level < levels; level++) {
    const next: LodNode[] = [];
    for (let i = 0; i < nodes.length; i += 2) {
      const lo = nodes[i]!;
      const hi = nodes[i + 1];
      next.push(hi ? { any: hi.any.or(lo.any), pos: cat(hi.any, mux(hi.any, hi.pos, lo.pos)) } : { any: lo.any, pos: cat(lit(0, Bool), lo.pos) });
    }
    nodes = regAfter[level] && level < levels - 1 ? register(level, next) : next;
  }
  return { any: nodes[0]!.any, pos: nodes[0]!.pos, stages };
}
