// The accelerator's ports toward its host (the board's protocol engine, or the co-simulation), the same
// on every target: a token in (with the CLEAR request), the argmax out, the debug read-out of the DUMP
// ops, the cycles of the last step. Each is one typed interface, so a top declares them in one call
// and a board connects them in one call.
import type { Module } from '../../hdl/core/module.ts';
import type { Signal } from '../../hdl/core/signal.ts';
import { bundle, flip, stream } from '../../hdl/core/signature.ts';
import { Bool, SInt, UInt } from '../../hdl/core/types.ts';
import { ACT } from '../../numerics/formats.ts';

/** One token id per step; `clear` with it runs the CLEAR routine instead (the token is ignored). */
export const tokenInSig = (tokenBits: number) => stream({ data: UInt(tokenBits), clear: Bool });
/** The argmax of the step's logits. */
export const tokenOutSig = (tokenBits: number) => stream(UInt(tokenBits));
/** The DUMP ops' vectors, one word a cycle, no back-pressure (with debug_en = 1). */
export const debugOutSig = bundle({ valid: Bool, data: SInt(ACT.bits) });

export interface HostPorts {
  tokIn: { valid: Signal; ready: Signal; data: Signal; clear: Signal };
  tokOut: { valid: Signal; ready: Signal; data: Signal };
  /** The argmax register that drives tok_out_data. */
  tokOutData: Signal;
  debugEn: Signal;
  dbg: { valid: Signal; data: Signal };
  stepCycles: Signal;
}

export function hostPorts(m: Module, tokenBits: number, cyclesBits: number): HostPorts {
  const tokIn = m.port(flip(tokenInSig(tokenBits)), 'tok_in');
  const tokOut = m.port(tokenOutSig(tokenBits), 'tok_out');
  const tokOutData = m.reg('tok_out_q', UInt(tokenBits), { reset: 0 });
  m.assign(tokOut.data, tokOutData);
  const debugEn = m.input('debug_en', Bool);
  const dbg = m.port(debugOutSig, 'dbg', { reg: true, reset: { valid: 0 } });
  const stepCycles = m.output('step_cycles', UInt(cyclesBits), { reg: true, reset: 0 });
  return { tokIn, tokOut, tokOutData, debugEn, dbg, stepCycles };
}
