// Where an FFF model's BITLINEARs read their words (accel/isa.ts WALK): the on-chip top hands its weight
// reader and parameter pointer over to this while a tree's BITLINEAR runs.
//   node_in (WALK.tree): row n's C words from wbase + n C; after a row's last word the reader holds
//     until the row's sum is out of the matvec unit, whose sign picks the next row (numerics/fff.ts
//     fffChild: right when the sum is > 0 and the BitLinear is live).
//   node_out (WALK.columns): its passes gather node n's norm word at param | n (accel/program.ts aligns
//     the regions); its matrix, for each group of A outputs (P / A groups a chunk c), reads the column
//     of each level's node, word c of it: wbase + c + n C (accel/units/matvec-unit.ts, column mode).
// The walk itself is accel/control/tree-walk.ts.
import { lit, mux, type Expr } from '../../hdl/core/expr.ts';
import type { Module } from '../../hdl/core/module.ts';
import type { Signal } from '../../hdl/core/signal.ts';
import { Bool, UInt, clog2 } from '../../hdl/core/types.ts';
import { WALK } from '../isa.ts';
import type { AccelGeometry, FffGeometry } from '../config.ts';
import { fit } from '../datapath/row-side.ts';
import { treeWalk } from './tree-walk.ts';

/** What the top reads from the tree reader before it has placed the datapath (wires, driven here). */
export interface TreeReaderWires {
  /** A node_out pass runs: its parameter pointer takes gatherWord, not the next word. */
  gathering: Signal;
  /** The parameter word of the next element of a gathering pass (param | node). */
  gatherWord: Signal;
  /** The weight reader holds its word (node_in waits for a row's sign). */
  hold: Signal;
  /** The weight reader's next address. */
  next: Signal;
}

export function treeReaderWires(m: Module, fff: FffGeometry, paramWidth: number, addrWidth: number): TreeReaderWires {
  return {
    gathering: m.wire('gathering', Bool),
    gatherWord: m.wire('gather_word', UInt(Math.max(paramWidth, fff.levels))),
    hold: m.wire('tree_hold', Bool),
    next: m.wire('mv_next', UInt(addrWidth)),
  };
}

export interface TreeReaderInputs {
  /** The instruction's walk field and its parameter and weight bases. */
  walk: Expr;
  param: Expr;
  wbase: Expr;
  phase: { is(s: 'bl_p1' | 'bl_p2' | 'bl_mv'): Expr };
  /** A pass starts; a pass's element is read. */
  startStream: Expr;
  streaming: Expr;
  /** The weight reader: its address, a word taken, the matrix's start. */
  mvAddr: Expr;
  mvFire: Expr;
  mvStart: Expr;
  /** A row's sum out of the matvec unit (accel/datapath/row-side.ts RowSide.row). */
  row: { valid: Expr; data: Expr; live: Expr };
}

export function treeReader(m: Module, g: AccelGeometry & { fff: FffGeometry }, w: TreeReaderWires, i: TreeReaderInputs): void {
  const { chunks: C, columnLanes: A } = g.fff;
  const wAw = w.next.width;
  const groups = g.lanes / A; // groups a chunk
  const walkIs = (x: number) => i.walk.eq(lit(x, UInt(i.walk.width)));
  const inMv = i.phase.is('bl_mv');
  const tree = m.let('walk_tree', walkIs(WALK.tree));
  const columns = m.let('walk_columns', walkIs(WALK.columns));
  const rowK = C > 1 ? m.reg('tree_word', UInt(clog2(C)), { reset: 0 }) : undefined;
  const rowLastWord = rowK ? m.let('tree_row_last_word', rowK.eq(C - 1)) : lit(1, Bool);
  const treeWait = m.reg('tree_wait', Bool, { reset: 0 });
  const rowResult = m.let('tree_row_result', tree.and(inMv).and(i.row.valid));
  const columnFire = m.let('column_fire', columns.and(inMv).and(i.mvFire));
  const gathering = columns.and(i.phase.is('bl_p1').or(i.phase.is('bl_p2')));

  const groupEnd = m.wire('column_group_end', Bool); // a group's last level taken: the walk starts again
  const walk = treeWalk(m, g.fff, {
    restart: m.let('walk_restart', i.startStream.or(i.mvStart).or(groupEnd)),
    record: rowResult,
    branch: m.let('walk_record_branch', i.row.data.msb().not().and(i.row.data.orR()).and(i.row.live)),
    replay: m.let('walk_replay', gathering.and(i.streaming).or(columnFire)),
  });
  m.assign(groupEnd, columnFire.and(walk.lastLevel));
  const group = groups > 1 ? m.reg('column_group', UInt(clog2(groups)), { reset: 0 }) : undefined;
  const chunkEnd = group ? m.let('column_chunk_end', groupEnd.and(group.eq(groups - 1))) : groupEnd;

  // Every jump: the next row (wbase + n C), the next level's column (wbase + c + n C), the chunk's first
  // word again for the next group (wbase + c) or the next chunk's (wbase + c + 1). With C a power of two
  // the matrices are aligned (accel/program.ts) and the sums are ORs of a chunk counter c: no carry
  // chain between a row's sum and the weight memory's address (two of them set fmax at 18.9 MHz on the
  // iCEBreaker); else one adder from a register holding wbase + c.
  const lowW = clog2(g.fff.nodes * C);
  const wide = (e: Expr) => fit(e, wAw);
  let jump: Expr;
  let nextChunk: () => void;
  let firstChunk: () => void;
  if (g.fff.alignedMatrices) {
    const chunk = C > 1 ? m.reg('column_chunk', UInt(clog2(C)), { reset: 0 }) : undefined;
    const c = chunk ? fit(chunk, lowW) : lit(0, UInt(Math.max(1, lowW)));
    const c1 = chunk ? fit(chunk.add(1).trunc(chunk.width), lowW) : c;
    const low = mux(groupEnd, mux(chunkEnd, c1, c), fit(walk.wordsNext, lowW).or(c));
    jump = m.let('walk_jump', i.wbase.or(wide(low)));
    nextChunk = () => chunk?.set(chunk.add(1).trunc(chunk.width));
    firstChunk = () => chunk?.set(0);
  } else {
    const colBase = m.reg('column_base', UInt(wAw), { reset: 0 });
    const jumpOffset = mux(groupEnd, mux(chunkEnd, lit(1, UInt(wAw)), lit(0, UInt(wAw))), wide(walk.wordsNext));
    jump = m.let('walk_jump', mux(tree, i.wbase, colBase).add(jumpOffset).trunc(wAw));
    nextChunk = () => colBase.set(jump);
    firstChunk = () => colBase.set(i.wbase);
  }
  m.comb(() => {
    w.next.set(i.mvAddr);
    m.if(i.mvFire, () => w.next.set(i.mvAddr.add(1).trunc(wAw)));
    m.if(rowResult.or(columnFire), () => w.next.set(jump));
  });
  m.assign(w.hold, treeWait);
  m.assign(w.gathering, gathering);
  // node_out's norm regions start at multiples of 2^(D+1): node n's word is param | n
  m.assign(w.gatherWord, fit(i.param, w.gatherWord.width).or(fit(walk.nodeNext, w.gatherWord.width)));
  m.sync(() => {
    m.if(tree.and(i.mvFire), () => {
      if (rowK) rowK.set(mux(rowLastWord, lit(0, rowK.type), rowK.add(1).trunc(rowK.width)));
      m.if(rowLastWord, () => treeWait.set(1));
    });
    m.if(rowResult, () => treeWait.set(0));
    if (group) m.if(groupEnd, () => group.set(group.add(1).trunc(group.width)));
    m.if(chunkEnd, nextChunk);
    m.if(i.mvStart, () => {
      firstChunk();
      treeWait.set(0);
      if (rowK) rowK.set(0);
      if (group) group.set(0);
    });
  });
}
