// mmf random --fff-depth: a random FFF checkpoint of any depth and width (what a checkpoint "not seen
// before" looks like to the loader), from which generate gives the engines' own greedy tokens.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadCheckpoint } from '../../model/checkpoint/load.ts';
import { weightsFromTensors } from '../../model/config.ts';
import { argmax } from '../../model/engine.ts';
import { makeEngine } from '../../model/open.ts';
import { registerGenerate } from './generate.ts';
import { registerRandom } from './random.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mmf-random-fff-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** `mmf ...args` in this process: stdout, and the error it ended with. */
async function mmf(...args: string[]): Promise<{ stdout: string; error: string | undefined }> {
  const program = new Command('mmf').exitOverride();
  registerGenerate(program);
  registerRandom(program);
  for (const c of program.commands) c.exitOverride().configureOutput({ writeErr: () => {} });
  let stdout = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await program.parseAsync(args, { from: 'user' });
    return { stdout, error: undefined };
  } catch (e) {
    return { stdout, error: (e as Error).message };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('mmf random --fff-depth', { timeout: 120_000 }, () => {
  it.each([
    ['24:2:40:300', 3],
    ['48:1:1:256', 6],
  ])('--shape %s --fff-depth %i: the tree in config.json and the tensors, generate gives the engines\' tokens', async (shape, depth) => {
    const dir = path.join(root, `${shape.replace(/:/g, 'x')}-${depth}`);
    const w = await mmf('random', '--shape', shape, '--fff-depth', String(depth), '--seed', '3', '-o', dir);
    expect(w.error).toBeUndefined();
    const N = 2 ** (depth + 1) - 1;
    expect(w.stdout).toContain(`FFF depth ${depth} (${N} nodes)`);
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect([config.channel_mixer, config.fff_depth]).toEqual(['fff', depth]);
    const ck = loadCheckpoint(dir);
    expect(ck.shapes.get('model.layers.0.mlp.node_out.weight')).toEqual([Number(shape.split(':')[0]), N]);
    const prompt = [1, 2, 3];
    for (const engine of ['float', 'fixed'] as const) {
      const e = makeEngine(engine, weightsFromTensors(ck.config, ck.tensor));
      const s = e.newState();
      let logits: Float32Array | undefined;
      for (const t of prompt) logits = e.step(s, t);
      const want: number[] = [];
      while (want.length < 5) {
        want.push(argmax(logits!));
        logits = e.step(s, want[want.length - 1]!);
      }
      const j = await mmf('generate', '--model', dir, '--prompt-ids', prompt.join(','), '--max-tokens', '5', '--engine', engine, '--json');
      expect(j.error).toBeUndefined();
      expect((JSON.parse(j.stdout) as { tokens: number[] }).tokens).toEqual(want);
    }
  });

  it.each([['-1'], ['24'], ['x']])('--fff-depth %s: one line, nothing written', async (bad) => {
    const out = path.join(root, `never-${bad}`);
    const r = await mmf('random', '--shape', '16:1:8:300', '--fff-depth', bad, '-o', out);
    expect(r.error).toMatch(/^--fff-depth must be a non-negative integer up to 23, got '.*'$/);
    expect(fs.existsSync(out)).toBe(false);
  });
});
