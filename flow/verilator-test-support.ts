// What the Verilator tests share: whether verilator is installed (the tests that need it are skipped, and
// say so, when it is not), a temporary folder for a test file's benches and model caches, and the lint
// check of a generated module.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { verilatorVersion } from './verilator.ts';
import { lintVerilator } from './verilator-lint.ts';
import { elaborate } from '../hdl/ir/elaborate.ts';
import { writeVerilog } from '../hdl/verilog/emit.ts';
import type { Module } from '../hdl/core/module.ts';

export const haveVerilator: boolean = (() => {
  try {
    verilatorVersion();
    return true;
  } catch {
    return false;
  }
})();

/** A folder made before the file's tests and removed after them; call at the top level, read it in a test. */
export function testTempDir(prefix: string): () => string {
  let dir = '';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  return () => dir;
}

/** `top`'s Verilog, written into `dir`, passes verilator --lint-only -Wall with no message. */
export function expectLintClean(top: Module, dir: string): void {
  const lint = lintVerilator(writeVerilog(elaborate(top), dir), top.name);
  expect(lint.messages).toEqual([]);
  expect(lint.ok).toBe(true);
}
