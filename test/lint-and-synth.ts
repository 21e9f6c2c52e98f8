// Test support: one block's Verilog written, linted (verilator --lint-only -Wall) and synthesised for the
// UP5K (yosys synth_ice40), both expected silent. The counts are the caller's to check.
import { expect } from 'vitest';
import type { Module } from '../hdl/core/module.ts';
import { elaborate } from '../hdl/ir/elaborate.ts';
import { writeVerilog } from '../hdl/verilog/emit.ts';
import { lintVerilator } from '../flow/verilator-lint.ts';
import { synthIce40, type SynthResult } from '../flow/yosys.ts';

export async function expectCleanLintAndSynth(m: Module, dir: string, opts: { dsp?: boolean } = {}): Promise<SynthResult> {
  const files = writeVerilog(elaborate(m), dir);
  const lint = lintVerilator(files, m.name);
  expect(lint.messages).toEqual([]);
  expect(lint.ok).toBe(true);
  const synth = await synthIce40({ top: m.name, sources: files, workDir: dir, device: 'up5k', ...opts });
  expect(synth.warnings).toEqual([]);
  return synth;
}
