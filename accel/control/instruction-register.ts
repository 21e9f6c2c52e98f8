// The instruction register: an instruction arrives as `words` words of `wordBits` bits, word k holding
// bits [wordBits k, wordBits k + wordBits - 1] of the layout (accel/program.ts splitWide). Each word is
// written straight into its own slice, chosen by its index, rather than shifted in from the top: no bit
// moves, so a slice's flip-flops need only a load enable instead of a 2-input mux each, and only the
// layout's bits exist (the last word's unused top bits are never stored). At 32 lanes on the UP5K
// (91 of 128 bits) this saves ~57 logic cells.
import { cat, type Expr } from '../../hdl/core/expr.ts';
import type { Module } from '../../hdl/core/module.ts';
import type { Signal } from '../../hdl/core/signal.ts';
import { UInt } from '../../hdl/core/types.ts';
import type { IsaLayout } from '../isa.ts';

export interface InstructionRegister {
  /** The instruction, layout.width bits. */
  ir: Expr;
  /** In a sync block: store `data` as word `k` of the instruction (k counts from 0). */
  load: (k: Expr, data: Expr) => void;
}

export function instructionRegister(m: Module, layout: IsaLayout, wordBits: number, words: number): InstructionRegister {
  if (words * wordBits < layout.width) {
    throw new Error(`instruction register: ${words} words of ${wordBits} bits hold fewer than the layout's ${layout.width} bits`);
  }
  const slices: Signal[] = [];
  for (let k = 0; k * wordBits < layout.width; k++) {
    const width = Math.min(wordBits, layout.width - k * wordBits);
    slices.push(m.reg(slices.length === 0 && words === 1 ? 'ir' : `ir_w${k}`, UInt(width), { reset: 0 }));
  }
  const ir = slices.length === 1 ? slices[0]! : m.let('ir', cat(...[...slices].reverse()));
  const load = (k: Expr, data: Expr) => {
    if (slices.length === 1) slices[0]!.set(data.slice(slices[0]!.width - 1, 0));
    else slices.forEach((s, i) => m.if(k.eq(i), () => s.set(data.slice(s.width - 1, 0))));
  };
  return { ir, load };
}
