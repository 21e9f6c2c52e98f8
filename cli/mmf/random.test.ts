// mmf random and --prompt-ids as a user runs them: a random checkpoint without a tokenizer is written,
// then generated from with token ids, and the tokens are the fixed and float engines' own. The commands
// run in-process (tsx takes seconds to start a process on a busy machine); one test runs the real
// entry point for the exit code and the one-line error.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Command } from 'commander';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadCheckpoint } from '../../model/checkpoint/load.ts';
import { weightsFromTensors } from '../../model/config.ts';
import { greedy } from '../../model/engine.ts';
import { EMBEDDED_MODEL, makeEngine } from '../../model/open.ts';
import { registerGenerate } from './generate.ts';
import { registerHost } from './host.ts';
import { registerRandom } from './random.ts';

const repo = path.resolve(import.meta.dirname, '..', '..');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mmf-random-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** `mmf ...args` in this process: what it printed on stdout, and the error it ended with. */
async function mmf(...args: string[]): Promise<{ stdout: string; error: string | undefined }> {
  const program = new Command('mmf').exitOverride();
  registerGenerate(program);
  registerHost(program);
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

/** The real command line, in a child process. */
function mmfProcess(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'cli/mmf.ts', ...args], { cwd: repo, encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.trim() };
}

/** Greedy continuation of `prompt` by an engine on the checkpoint in dir. */
function greedyOn(dir: string, engine: 'float' | 'fixed', prompt: number[], n: number): number[] {
  const ckpt = loadCheckpoint(dir);
  return greedy(makeEngine(engine, weightsFromTensors(ckpt.config, ckpt.tensor)), prompt, n);
}

/** Refused with one line holding every `contains`. */
function expectRefused(r: { error: string | undefined }, ...contains: string[]): void {
  expect(r.error).toBeDefined();
  expect(r.error).not.toMatch(/[\r\n]/);
  for (const c of contains) expect(r.error).toContain(c);
}

describe('mmf random, --prompt-ids', { timeout: 240_000 }, () => {
  it.each([
    ['24:2:40:300', 5],
    ['40:1:72:1000', 9],
  ])('random --shape %s --seed %i, then generate from ids: the engines\' greedy tokens, printed as ids', async (shape, seed) => {
    const dir = path.join(root, `${shape.replace(/:/g, 'x')}-${seed}`);
    const w = await mmf('random', '--shape', shape, '--seed', String(seed), '-o', dir);
    expect(w.error).toBeUndefined();
    expect(w.stdout).toMatch(new RegExp(`^wrote .*: d ${shape.split(':')[0]}, ${shape.split(':')[1]} layers, .*seed ${seed}; \\d+ parameters, \\d+ bytes`));
    const prompt = [1, 2, Number(shape.split(':')[3]) - 1];
    for (const engine of ['float', 'fixed'] as const) {
      const want = greedyOn(dir, engine, prompt, 6);
      const j = await mmf('generate', '--model', dir, '--prompt-ids', prompt.join(','), '--max-tokens', '6', '--engine', engine, '--json');
      expect(j.error).toBeUndefined();
      const out = JSON.parse(j.stdout) as { tokens: number[]; promptTokens: number[]; text: string };
      expect(out.promptTokens).toEqual(prompt);
      expect(out.tokens).toEqual(want);
      expect(out.text).toBe(want.join(' '));
      const plain = await mmf('generate', '--model', dir, '--prompt-ids', prompt.join(','), '--max-tokens', '6', '--engine', engine);
      expect(plain.stdout).toBe(want.join(' ') + '\n');
    }
    expectRefused(await mmf('generate', '--model', dir, '--prompt', 'ROMEO:'), 'no tokenizer.json', '--prompt-ids');
    expectRefused(await mmf('generate', '--model', dir, '--prompt-ids', `1,${shape.split(':')[3]}`), `token id ${shape.split(':')[3]} (position 1) is not below the vocabulary size`);
    expectRefused(await mmf('random', '--shape', shape, '-o', dir), 'already holds model.safetensors');
  });

  it('on a model with a tokenizer, ids give the tokens the text gives, printed as ids', async () => {
    const text = JSON.parse((await mmf('generate', '--prompt', 'KING', '--max-tokens', '8', '--engine', 'fixed', '--json')).stdout) as { tokens: number[] };
    const ids = [...Buffer.from('KING')].join(',');
    const j = JSON.parse((await mmf('generate', '--prompt-ids', ids, '--max-tokens', '8', '--engine', 'fixed', '--json')).stdout) as { tokens: number[] };
    expect(j.tokens).toEqual(text.tokens);
    expect((await mmf('generate', '--prompt-ids', ids, '--max-tokens', '8', '--engine', 'fixed')).stdout).toBe(text.tokens.join(' ') + '\n');
  });

  it('host --sim: the prompt as ids, the board\'s tokens printed as ids, the fixed engine\'s', async () => {
    const prompt = [...Buffer.from('ROMEO:')];
    const r = await mmf('host', '--sim', '--prompt-ids', prompt.join(','), '--tokens', '6');
    expect(r.error).toBeUndefined();
    expect(r.stdout).toBe(`${prompt.join(' ')} ${greedyOn(EMBEDDED_MODEL, 'fixed', prompt, 6).join(' ')}\n`);
  });

  it('bad input: one line, nothing written', async () => {
    const out = path.join(root, 'never');
    for (const [args, message] of [
      [['generate', '--prompt', 'x', '--prompt-ids', '1'], 'not both'],
      [['generate'], 'give --prompt TEXT or --prompt-ids 1,2,3'],
      [['generate', '--prompt-ids', '1,x'], "'x' (position 1) is not a token id"],
      [['host', '--port', path.join(root, 'no-such-port'), '--prompt-ids', '1,256'], 'token id 256 (position 1) is not below the vocabulary size 256'],
      [['host', '--port', path.join(root, 'no-such-port'), '--prompt', 'x', '--prompt-ids', '1'], 'not both'],
      [['random', '--shape', '24:2:40', '-o', out], "shape '24:2:40': expected 370m, 1.3b, 2.7b or D:L:I:V"],
      [['random', '--shape', '24:2:40:0', '-o', out], 'vocabulary V 0 is outside'],
      [['random', '--shape', '24:2:40:300', '--tokenizer', 'sentencepiece', '-o', out], '--tokenizer must be byte or none'],
      [['random', '--shape', '24:2:40:300', '--seed', '-3', '-o', out], '--seed'],
      [['random', '--shape', '24:2:40:100', '--tokenizer', 'byte', '-o', out], 'needs a vocabulary of at least 256'],
    ] as const) {
      expectRefused(await mmf(...args), message);
    }
    expect(fs.existsSync(out)).toBe(false);
  });

  it('the real command line: random then generate from ids; a bad id is one line on stderr and exit 1', () => {
    const dir = path.join(root, 'process');
    const w = mmfProcess('random', '--shape', '16:1:24:50', '--seed', '2', '-o', dir);
    expect(w.code, w.stderr).toBe(0);
    const g = mmfProcess('generate', '--model', dir, '--prompt-ids', '3,14,15', '--max-tokens', '4', '--engine', 'fixed');
    expect(g.code, g.stderr).toBe(0);
    expect(g.stdout).toBe(greedyOn(dir, 'fixed', [3, 14, 15], 4).join(' ') + '\n');
    const bad = mmfProcess('generate', '--model', dir, '--prompt-ids', '3,50');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('mmf: --prompt-ids: token id 50 (position 1) is not below the vocabulary size 50');
  });
});
