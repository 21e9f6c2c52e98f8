// What the Verilator tests share: whether verilator is installed (the tests that need it are skipped, and
// say so, when it is not), and a temporary folder for a test file's benches and model caches.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { verilatorVersion } from './verilator.ts';

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
