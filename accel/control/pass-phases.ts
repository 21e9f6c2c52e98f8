// The controller phases every top runs the same way: an element op's pass and drain, a BitLinear's two
// passes around its scalars and its matrix, a DUMP, and handing the token out. The tops add their own
// fetch, decode and embedding phases, and say where the BitLinear goes once its output scale is set up
// (straight to pass 2, or first to wait for pass 2's words).
import type { Expr } from '../../hdl/core/expr.ts';
import type { Fsm } from '../../hdl/core/fsm.ts';
import type { Module } from '../../hdl/core/module.ts';
import type { Signal } from '../../hdl/core/signal.ts';
import type { ElementStream } from './element-stream.ts';

export type PassPhase = 'el_stream' | 'el_drain' | 'bl_p1' | 'bl_stats' | 'bl_norm' | 'bl_rsqrt' | 'bl_p2' | 'bl_qwait' | 'bl_mv' | 'dump' | 'out' | 'next';

export interface PassEvents {
  s: ElementStream;
  /** All of an element op's results written. */
  elDone: Expr;
  /** m and S seen: the scalars start. */
  normGo: Expr;
  scalarDone: Expr;
  /** The output scale's setup starts (rsqrt done). */
  scaleSetup: Expr;
  mvStart: Expr;
  /** All of a matrix's rows written. */
  rowsDone: Expr;
  tokOutReady: Expr;
  stepCycles: Signal;
  cycles: Signal;
}

/** The arms of fsm.switch for the shared phases; `afterScale` is the phase after bl_rsqrt, `fetch` the one after next. */
export function passPhases<S extends string>(m: Module, fsm: Fsm<S | PassPhase | 'idle'>, e: PassEvents, o: { afterScale: S | 'bl_p2'; fetch: S }): Record<PassPhase, () => void> {
  const passEnds = e.s.streaming.and(e.s.idxLast);
  return {
    el_stream: () => m.if(passEnds, () => fsm.goto('el_drain')),
    el_drain: () => m.if(e.elDone, () => fsm.goto('next')),
    bl_p1: () => m.if(passEnds, () => fsm.goto('bl_stats')),
    bl_stats: () => m.if(e.normGo, () => fsm.goto('bl_norm')),
    bl_norm: () => m.if(e.scalarDone, () => fsm.goto('bl_rsqrt')),
    bl_rsqrt: () => m.if(e.scaleSetup, () => fsm.goto(o.afterScale)),
    bl_p2: () => m.if(passEnds, () => fsm.goto('bl_qwait')),
    bl_qwait: () => m.if(e.mvStart, () => fsm.goto('bl_mv')),
    bl_mv: () => m.if(e.rowsDone, () => fsm.goto('next')),
    dump: () => m.if(e.s.rdValid.and(e.s.rdLast), () => fsm.goto('next')),
    out: () => {
      m.if(e.tokOutReady, () => {
        e.stepCycles.set(e.cycles);
        fsm.goto('idle');
      });
    },
    next: () => fsm.goto(o.fetch),
  };
}
