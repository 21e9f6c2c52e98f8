// The external controller's readers of the weight stream's head word: the parameter words of a pass and
// the embedding row's codes, each registered so that it arrives with its element's other operands, as
// the on-chip targets' memory read data does, and each popping the head word when it has used it.
import { lit, mux, type Expr } from '../../hdl/core/expr.ts';
import type { Module } from '../../hdl/core/module.ts';
import type { Signal } from '../../hdl/core/signal.ts';
import { Bool, UInt, clog2 } from '../../hdl/core/types.ts';
import type { ElementStream } from '../control/element-stream.ts';

/**
 * A pass's n parameter words, B to a stream word: element k is taken at its operand stage, early (with
 * idx) or LATE cycles later (with idx_late) for ops that take w at the row unit's late ports.
 */
export function paramReader(m: Module, o: { banks: number; word: Expr; n: Expr; start: Expr; late: Expr; s: ElementStream }): { paramWord: Signal; pop: Signal } {
  const B = o.banks;
  const log2B = clog2(B);
  const nW = o.n.width;
  const subW = Math.max(1, log2B);
  const pWait = m.reg('p_wait', UInt(clog2(o.s.late + 1)), { reset: 0 });
  const pLeft = m.reg('p_left', UInt(nW), { reset: 0 });
  const pSub = m.reg('p_sub', UInt(subW), { reset: 0 });
  if (log2B === 0) m.sink(pSub); // one parameter word per stream word: nothing to select
  const paramWord = m.reg('param_word', UInt(16));
  const pTake = m.let('p_take', pLeft.ne(0).and(pWait.eq(0)));
  const pop = m.let('p_pop', pTake.and(pLeft.eq(1).or(log2B === 0 ? lit(1, Bool) : pSub.eq(B - 1))));
  m.sync(() => {
    m.if(pLeft.ne(0).and(pWait.ne(0)), () => pWait.set(pWait.sub(1).trunc(pWait.width)));
    m.if(pTake, () => {
      pLeft.set(pLeft.sub(1).trunc(nW));
      if (log2B === 0) paramWord.set(o.word.trunc(16));
      else {
        pSub.set(pSub.add(1).trunc(subW));
        const sw = m.switch(pSub.trunc(log2B));
        for (let b = 0; b < B; b++) sw.case(b, () => paramWord.set(o.word.slice(16 * b + 15, 16 * b)));
        sw.default(() => {});
      }
    });
    m.if(o.start, () => {
      pWait.set(mux(o.late, lit(o.s.late, UInt(pWait.width)), lit(0, UInt(pWait.width))));
      pLeft.set(o.n);
      pSub.set(0);
    });
  });
  return { paramWord, pop };
}

/** The embedding row's codes: element j is byte j mod 2B of the row's (j / 2B)-th code word. */
export function embeddingReader(m: Module, o: { banks: number; word: Expr; active: Expr; s: ElementStream }): { embByte: Signal; pop: Signal } {
  const bytes = 2 * o.banks;
  const bytesLog = clog2(bytes);
  const nW = o.s.idx.width;
  const embByte = m.reg('emb_byte', UInt(8));
  const sel = nW >= bytesLog ? o.s.idx.slice(bytesLog - 1, 0) : o.s.idx.zext(bytesLog);
  const pop = m.let('emb_pop', o.active.and(o.s.idxLast.or(sel.eq(bytes - 1))));
  m.sync(() => {
    const sw = m.switch(sel);
    for (let k = 0; k < bytes; k++) sw.case(k, () => embByte.set(o.word.slice(8 * k + 7, 8 * k)));
    sw.default(() => {});
  });
  return { embByte, pop };
}
