// gen-rtl refuses a model its target cannot run before it makes the model's folder: nothing is left behind.
import { describe, expect, it, vi } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { genRtlProgram } from './gen-rtl.ts';
import { runCommand } from './run-command.ts';
import { FFF8_MODEL } from '../model/checkpoint/test-support.ts';

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

describe('gen-rtl\'s generator options', () => {
  const gen = async (args: string[]): Promise<{ code: number; manifest: Record<string, unknown> | undefined; stderr: string }> => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'gen-rtl-options-'));
    let stderr = '';
    const err = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const code = await runCommand(genRtlProgram(), 'gen-rtl', [...args, '-o', out]);
      const dir = fs.readdirSync(out)[0];
      const manifest = dir ? (JSON.parse(fs.readFileSync(path.join(out, dir, 'manifest.json'), 'utf8')) as Record<string, unknown>) : undefined;
      return { code, manifest, stderr };
    } finally {
      err.mockRestore();
      log.mockRestore();
    }
  };

  it('--overlap gives the instruction word its ovl field; --column-lanes reaches an FFF model\'s tree', async () => {
    const ovl = await gen(['--overlap']);
    expect(ovl.code, ovl.stderr).toBe(0);
    expect((ovl.manifest!['instructionFields'] as { name: string }[]).map((f) => f.name)).toContain('ovl');
    const fff = await gen(['--model', FFF8_MODEL, '--lanes', '8', '--column-lanes', '2']);
    expect(fff.code, fff.stderr).toBe(0);
    expect(fff.manifest!['model']).toMatchObject({ fff: { columnLanes: 2, levelsPerToken: 9 } });
  });

  it('refuses --column-lanes that is not a power of two up to the lanes, and --overlap on the external target, in one line', async () => {
    const a = await gen(['--column-lanes', '3']);
    expect([a.code, a.stderr.trim()]).toEqual([1, 'gen-rtl: --column-lanes: column lanes must be a power of two from 1 to the lanes (32), got 3']);
    const b = await gen(['--target', 'external', '--overlap']);
    expect(b.code).toBe(1);
    expect(b.stderr.trim()).toMatch(/^gen-rtl: --overlap is for the on-chip targets/);
  });
});
