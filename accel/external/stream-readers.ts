// The external controller's readers of the weight stream's head word: the parameter words of a pass and
// the embedding row's codes, each registered so that it arrives with its element's other operands, as
// the on-chip targets' memory read data does, and each popping the head word when it has used it.
import { lit, mux, type Expr } from '../../hdl/core/expr.ts';
import type { Module } from '../../hdl/core/module.ts';
import type { Signal } from '../../hdl/core/signal.ts';
import { Bool, UInt, clog2 } from '../../hdl/core/types.ts';
import type { ElementStream } from '../control/element-stream.ts';

/**
 * A pass's parameter words, B to a stream word, R (`lanes`) a step: step k takes words R k .. R k + R - 1
 * at its operand stage, early (with idx) or LATE cycles later (with idx_late) for ops that take w at the
 * row unit's late ports. `steps` is the pass's length (n / R); R divides B.
 */
export function paramReader(m: Module, o: { banks: number; lanes: number; word: Expr; steps: Expr; start: Expr; late: Expr; s: ElementStream }): { paramWord: Signal; pop: Signal } {
  const G = o.banks / o.lanes; // steps per stream word
  const log2G = clog2(G);
  const nW = o.steps.width;
  const subW = Math.max(1, log2G);
  const bits = 16 * o.lanes;
  const pWait = m.reg('p_wait', UInt(clog2(o.s.late + 1)), { reset: 0 });
  const pLeft = m.reg('p_left', UInt(nW), { reset: 0 });
  const pSub = m.reg('p_sub', UInt(subW), { reset: 0 });
  if (log2G === 0) m.sink(pSub); // one step per stream word: nothing to select
  const paramWord = m.reg('param_word', UInt(bits));
  const pTake = m.let('p_take', pLeft.ne(0).and(pWait.eq(0)));
  const pop = m.let('p_pop', pTake.and(pLeft.eq(1).or(log2G === 0 ? lit(1, Bool) : pSub.eq(G - 1))));
  m.sync(() => {
    m.if(pLeft.ne(0).and(pWait.ne(0)), () => pWait.set(pWait.sub(1).trunc(pWait.width)));
    m.if(pTake, () => {
      pLeft.set(pLeft.sub(1).trunc(nW));
      if (log2G === 0) paramWord.set(o.word.trunc(bits));
      else {
        pSub.set(pSub.add(1).trunc(subW));
        const sw = m.switch(pSub.trunc(log2G));
        for (let b = 0; b < G; b++) sw.case(b, () => paramWord.set(o.word.slice(bits * b + bits - 1, bits * b)));
        sw.default(() => {});
      }
    });
    m.if(o.start, () => {
      pWait.set(mux(o.late, lit(o.s.late, UInt(pWait.width)), lit(0, UInt(pWait.width))));
      pLeft.set(o.steps);
      pSub.set(0);
    });
  });
  return { paramWord, pop };
}

/** The embedding row's codes, R (`lanes`) a step: element j is byte j mod 2B of the row's (j / 2B)-th code word. */
export function embeddingReader(m: Module, o: { banks: number; lanes: number; word: Expr; active: Expr; s: ElementStream }): { embByte: Signal; pop: Signal } {
  const G = (2 * o.banks) / o.lanes; // steps per code word
  const gLog = clog2(G);
  const bits = 8 * o.lanes;
  const nW = o.s.idx.width;
  const embByte = m.reg('emb_byte', UInt(bits));
  const sel = nW >= gLog ? o.s.idx.slice(gLog - 1, 0) : o.s.idx.zext(gLog);
  const pop = m.let('emb_pop', o.active.and(o.s.idxLast.or(sel.eq(G - 1))));
  m.sync(() => {
    const sw = m.switch(sel);
    for (let k = 0; k < G; k++) sw.case(k, () => embByte.set(o.word.slice(bits * k + bits - 1, bits * k)));
    sw.default(() => {});
  });
  return { embByte, pop };
}
