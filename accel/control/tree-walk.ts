// The walk down an FFF tree (numerics/fff.ts): from node 0, node 2n + 1 when the branch bit is 0 (z_n <= 0)
// and 2n + 2 when it is 1, D + 1 nodes a token. node_in's BITLINEAR (WALK.tree) takes each row's branch
// as its sign comes out of the matvec unit and keeps it; node_out's (WALK.columns) walks the same path
// again, from the kept branches, as often as it needs it: once per pass to gather its norm words, once
// per output chunk for its columns.
//
// The walker holds the node (and its wide-word offset n C, when C is not a power of two: the matrices'
// rows and columns are C words each, accel/config.ts FffGeometry) and the level, and says where a step
// would go (nodeNext, wordsNext), so an address can be formed in the cycle the step is taken. Only D
// branches are kept: the last level's would pick a node below the leaves.
import { cat, lit, mux, type Expr } from '../../hdl/core/expr.ts';
import type { Module } from '../../hdl/core/module.ts';
import { Bool, UInt, clog2 } from '../../hdl/core/types.ts';
import type { FffGeometry } from '../config.ts';

export interface TreeWalk {
  /**
   * Where a step taken now goes (with the branch given to `record`, or the kept one): the node, and n C,
   * its row's (node_in) or column's (node_out) first wide word from the matrix's base.
   */
  nodeNext: Expr;
  wordsNext: Expr;
  /** The walk is at its last level (D): the step after it is a restart. */
  lastLevel: Expr;
}

export interface TreeWalkControl {
  /** Back to node 0, level 0 (wins over a step in the same cycle). */
  restart: Expr;
  /** Take a step with a fresh branch bit, and keep it (node_in's rows). */
  record: Expr;
  branch: Expr;
  /** Take a step along the kept branches (node_out). */
  replay: Expr;
}

export function treeWalk(m: Module, t: FffGeometry, c: TreeWalkControl): TreeWalk {
  const D = t.depth;
  const wordsW = Math.max(1, clog2(t.nodes * t.chunks));
  const levelW = Math.max(1, clog2(D + 1));
  // node and node + 1, so a step is wiring and a multiplexer, not an adder (it sits on the path from a
  // row's sum to the weight memory's address): 2n + 1 + b is {n, 1} for b = 0 and {n + 1, 0} for b = 1,
  // and the step's n + 1 is {n + 1, 0} and {n + 1, 1}.
  // (their top bits would only ever be shifted out: D of them are kept; one for a tree of one node)
  const keptW = Math.max(1, D);
  const node = m.reg('walk_node', UInt(keptW), { reset: 0 });
  const nodeInc = m.reg('walk_node_inc', UInt(keptW), { reset: 1 });
  if (D === 0) m.sink(node, nodeInc);
  // n C: node shifted when C is a power of two, else a register of its own stepped beside the node
  const log2C = clog2(t.chunks);
  const shifted = 2 ** log2C === t.chunks;
  const words = shifted ? undefined : m.reg('walk_words', UInt(wordsW), { reset: 0 });
  const level = m.reg('walk_level', UInt(levelW), { reset: 0 });
  const kept = D > 0 ? m.reg('walk_branches', UInt(D), { reset: 0 }) : undefined;
  const lastLevel = m.let('walk_last_level', level.eq(lit(D, UInt(levelW))));

  // The branch of this step: fresh (record) or the one kept at this level (replay; 0 at level D, unused).
  const keptBit = m.wire('walk_kept_branch', Bool);
  m.comb(() => {
    keptBit.set(0);
    if (!kept) return;
    const sw = m.switch(level);
    for (let l = 0; l < D; l++) sw.case(l, () => keptBit.set(kept.bit(l)));
    sw.default(() => {});
  });
  const bit = m.let('walk_branch', mux(c.record, c.branch, keptBit));
  // 2n + 1 + b, and (2n + 1 + b) C = 2 nC + (b ? 2C : C); the last level's step overflows and is never used.
  const withBit = (e: Expr, b: Expr) => (D > 0 ? cat(e, b) : b); // 2e + b, D + 1 bits
  const nodeNext = m.let('walk_node_next', mux(bit, withBit(nodeInc, lit(0, Bool)), withBit(node, lit(1, Bool))));
  const kept1 = (e: Expr) => (D > 1 ? e.slice(D - 1, 0) : D === 1 ? e.slice(0, 0) : e); // the D bits a register keeps
  const nodeIncNext = withBit(nodeInc, bit);
  const wordsNext = words
    ? m.let('walk_words_next', words.shl(1).zext(wordsW + 2).add(mux(bit, lit(2 * t.chunks, UInt(wordsW + 2)), lit(t.chunks, UInt(wordsW + 2)))).trunc(wordsW))
    : nodeNext.shl(log2C);

  m.sync(() => {
    m.if(c.record.or(c.replay), () => {
      if (D > 0) {
        node.set(kept1(nodeNext));
        nodeInc.set(kept1(nodeIncNext));
      }
      if (words) words.set(wordsNext);
      level.set(level.add(1).trunc(levelW));
      // shifted in from the top, D of them (not the last level's): branch l ends in bit l
      if (kept) m.if(c.record.and(lastLevel.not()), () => kept.set(D === 1 ? c.branch : cat(c.branch, kept.slice(D - 1, 1))));
    });
    m.if(c.restart, () => {
      node.set(0);
      nodeInc.set(1);
      if (words) words.set(0);
      level.set(0);
    });
  });
  return { nodeNext, wordsNext, lastLevel };
}
