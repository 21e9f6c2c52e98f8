// gen-rtl refuses a model its target cannot run before it makes the model's folder: nothing is left behind.
import { describe, expect, it, vi } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { genRtlProgram } from './gen-rtl.ts';
import { runCommand } from './run-command.ts';

const repo = path.resolve(import.meta.dirname, '..');

describe('gen-rtl on a model the target cannot run', () => {
  for (const [model, target, reason] of [
    ['tiny-fff8', 'external', /the external target does not run Fast FeedForward channel mixers/],
    ['small', 'up5k', /needs \d+ words of weight memory/],
  ] as const) {
    it(`${model} on ${target}: one line, exit 1, no folder`, async () => {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), 'gen-rtl-refused-'));
      let stderr = '';
      const err = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
      try {
        const code = await runCommand(genRtlProgram(), 'gen-rtl', ['--model', path.join(repo, 'models', model), '--target', target, '-o', out]);
        expect(code).toBe(1);
      } finally {
        err.mockRestore();
      }
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(reason);
      expect(fs.readdirSync(out)).toEqual([]);
    });
  }
});
