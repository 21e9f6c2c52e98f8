// The element stream: a pass of an instruction walks index j over its n elements, one a cycle without
// stalls; each element's operands are read at j and arrive with rd_valid one cycle later. The late
// index is the same stream LATE cycles later: ops that go through the sigmoid enter the row unit with x
// and take y and w at its late ports (row-unit.ts), read at idx_late.
import type { Expr } from '../../hdl/core/expr.ts';
import type { Module } from '../../hdl/core/module.ts';
import type { Signal } from '../../hdl/core/signal.ts';
import { Bool, UInt } from '../../hdl/core/types.ts';
import { rowUnitLateOffset } from '../units/row-unit.ts';

export interface ElementStream {
  streaming: Signal;
  idx: Signal;
  idxLast: Signal;
  rdValid: Signal;
  rdFirst: Signal;
  rdLast: Signal;
  /** Driven by the controller: a pulse starts a pass of n elements. */
  startStream: Signal;
  idxLate: Signal;
  /** Cycles from an element's early operands to its late ones. */
  late: number;
}

export function elementStream(m: Module, n: Expr, nW: number): ElementStream {
  const streaming = m.reg('streaming', Bool, { reset: 0 });
  const idx = m.reg('idx', UInt(nW), { reset: 0 });
  const idxLast = m.let('idx_last', idx.eq(n.sub(1).trunc(nW)));
  const rdValid = m.reg('rd_valid', Bool, { reset: 0 });
  const rdFirst = m.reg('rd_first', Bool, { reset: 0 });
  const rdLast = m.reg('rd_last', Bool, { reset: 0 });
  const startStream = m.wire('start_stream', Bool);
  m.sync(() => {
    rdValid.set(streaming);
    rdFirst.set(streaming.and(idx.eq(0)));
    rdLast.set(streaming.and(idxLast));
    m.if(streaming, () => {
      idx.set(idx.add(1).trunc(nW));
      m.if(idxLast, () => streaming.set(0));
    });
    m.if(startStream, () => {
      streaming.set(1);
      idx.set(0);
    });
  });

  // idx_late is the cycles since the stream started less LATE (a count restarted by every stream,
  // which no earlier stream's tail can disturb).
  const late = rowUnitLateOffset();
  const sinceStart = m.reg('since_start', UInt(nW + 1), { reset: 0 });
  m.sync(() => {
    sinceStart.set(sinceStart.add(1).trunc(nW + 1));
    m.if(startStream, () => sinceStart.set(0));
  });
  const idxLate = m.let('idx_late', sinceStart.sub(late).trunc(nW));
  return { streaming, idx, idxLast, rdValid, rdFirst, rdLast, startStream, idxLate, late };
}
