// The mmf command line as a user runs it: `npx mmf ...` in a child process, output parsed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '..', '..');
const TEXT = path.join(repo, 'data', 'tinyshakespeare.txt'); // shipped: eval's default
const reference = JSON.parse(fs.readFileSync(path.join(repo, 'models', 'tiny', 'reference.json'), 'utf8')) as { prompts: { text: string; greedy_text: string }[] };

function mmf(...args: string[]) {
  const r = spawnSync('npx', ['mmf', ...args], { cwd: repo, encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.split('\n').filter((l) => l && !l.includes('npm warn')).join('\n') };
}

describe('mmf', { timeout: 240_000 }, () => {
  it('generate: the embedded model continues a reference prompt exactly as upstream greedy decoding', () => {
    const p = reference.prompts[0]!;
    for (const engine of ['float', 'fixed']) {
      const r = mmf('generate', '--prompt', p.text, '--max-tokens', '24', '--engine', engine);
      expect(r.code, r.stderr).toBe(0);
      if (engine === 'float') expect(r.stdout).toBe(p.greedy_text.slice(0, 24) + '\n');
      else expect(r.stdout.length).toBe(25);
      expect(r.stderr).toMatch(/24 tokens in [\d.]+ s: [\d.]+ tokens\/s/);
    }
  });

  it('generate --json: one object whose text is what the plain command prints, and the generated tokens only', () => {
    const plain = mmf('generate', '--prompt', 'KING:', '--max-tokens', '12', '--engine', 'fixed');
    const r = mmf('generate', '--prompt', 'KING:', '--max-tokens', '12', '--engine', 'fixed', '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { text: string; tokens: number[]; promptTokens: number[]; engine: string };
    expect(j.engine).toBe('fixed');
    expect(j.promptTokens).toEqual([...Buffer.from('KING:')]);
    expect(j.tokens).toHaveLength(12);
    expect(j.text).toBe(Buffer.from(j.tokens).toString('latin1'));
    expect(j.text + '\n').toBe(plain.stdout);
  });

  it('eval --json prints one JSON object with valLoss and engine; --text defaults to the shipped text', () => {
    const r = mmf('eval', '--engine', 'fixed', '--windows', '8', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(mmf('eval', '--text', TEXT, '--engine', 'fixed', '--windows', '8', '--json').stdout.replace(/"seconds":[^,]*,"tokensPerSecond":[^,]*,/, '')).toBe(r.stdout.replace(/"seconds":[^,]*,"tokensPerSecond":[^,]*,/, ''));
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { valLoss: number; engine: string; predictions: number };
    expect(j.engine).toBe('fixed');
    expect(j.predictions).toBe(8 * 256);
    expect(j.valLoss).toBeGreaterThan(1);
    expect(j.valLoss).toBeLessThan(2.5);
  });

  it('parity --json: the float engine meets the parity bar on the embedded model', () => {
    const r = mmf('parity', '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    for (const k of ['valLoss', 'refValLoss', 'teacherForcedAgreement', 'maxAbsLogitDiff', 'meanAbsLogitDiff', 'freeRunMatched']) expect(j).toHaveProperty(k);
    expect(Math.abs((j.valLoss as number) / (j.refValLoss as number) - 1)).toBeLessThan(0.001);
    expect(j.teacherForcedAgreement as number).toBeGreaterThanOrEqual(0.98);
    expect((j.freeRunMatched as number[]).length).toBe(reference.prompts.length);
    expect([j.windows, j.windowsFrom]).toEqual([256, 'reference.json val.bytes']);
  });

  it('convert, then both engines run from the packed file with the same text as from the checkpoint', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mmf-')), 'tiny.mmf');
    const c = mmf('convert', '--model', 'models/tiny', '-o', file, '--packing', '5trit');
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toMatch(/wrote .* \d+ bytes \(5trit\)/);
    for (const engine of ['float', 'fixed']) {
      const a = mmf('generate', '--prompt', 'KING', '--max-tokens', '16', '--engine', engine);
      const b = mmf('generate', '--model', file, '--prompt', 'KING', '--max-tokens', '16', '--engine', engine);
      expect(b.stdout).toBe(a.stdout);
    }
  });

  it('bad input: one line on stderr, exit 1, no stack trace', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmf-bad-'));
    fs.copyFileSync(path.join(repo, 'models', 'tiny', 'config.json'), path.join(dir, 'config.json'));
    fs.writeFileSync(path.join(dir, 'model.safetensors'), fs.readFileSync(path.join(repo, 'models', 'tiny', 'model.safetensors')).subarray(0, 4000));
    for (const args of [
      ['generate', '--model', dir, '--prompt', 'x'],
      ['generate', '--prompt', 'x', '--engine', 'gpu'],
      ['eval', '--text', path.join(dir, 'missing.txt')],
      ['generate', '--prompt', 'x', '--max-tokens', '-3'],
    ]) {
      const r = mmf(...args);
      expect(r.code).toBe(1);
      expect(r.stderr.split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^mmf: /);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(mmf('generate', '--model', dir, '--prompt', 'x').stderr).toMatch(/model\.safetensors: .*truncated/);
  });

  it('sim --json: one JSON object, the generated tokens only, bit-exact, on the generic target', () => {
    const model = path.join(repo, 'models', 'small');
    const r = mmf('sim', '--model', model, '--target', 'generic', '--prompt', 'ROMEO:', '--tokens', '6', '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { tokens: number[]; goldenTokens: number[]; bitExact: boolean; cyclesPerToken: number; mismatches: unknown[]; promptTokens: number[] };
    expect(j.tokens).toHaveLength(6);
    expect(j.tokens).toEqual(j.goldenTokens);
    expect(j.bitExact).toBe(true);
    expect(j.mismatches).toEqual([]);
    expect(j.cyclesPerToken).toBeGreaterThan(0);
    expect(j.promptTokens).toEqual([82, 79, 77, 69, 79, 58]);
  });

  it('sim: bad hardware options are one line on stderr', () => {
    expect(mmf('sim', '--lanes', '24', '--tokens', '2').stderr).toMatch(/^mmf: --lanes: lanes must be a power of two/);
    expect(mmf('sim', '--target', 'ecp5', '--tokens', '2').stderr).toMatch(/^mmf: --target must be one of up5k, generic, external, got 'ecp5'$/);
    expect(mmf('sim', '--tokens', '0').stderr).toMatch(/^mmf: --tokens must be a positive integer/);
    expect(mmf('sim', '--target', 'external', '--row-lanes', '3', '--tokens', '2').stderr).toMatch(/^mmf: --row-lanes: row lanes must be a power of two, got 3$/);
    expect(mmf('sim', '--target', 'external', '--lanes', '32', '--row-lanes', '8', '--tokens', '2').stderr).toMatch(/^mmf: --row-lanes: row lanes must be at most 4 \(the parameter words a 64-bit stream word holds\), got 8$/);
    expect(mmf('sim', '--row-lanes', '2', '--tokens', '2').stderr).toMatch(/^mmf: --row-lanes: row lanes above 1 need the external target/);
    expect(mmf('sim', '--packing', '5trit', '--tokens', '2').stderr).toMatch(/^mmf: --packing 5trit is for the external target/);
    expect(mmf('sim', '--target', 'external', '--packing', '3bit', '--tokens', '2').stderr).toMatch(/^mmf: --packing must be one of 2bit, 5trit, got '3bit'$/);
    // the tiny model's d = 64 and I = 256: 128 lanes at 16 row lanes fit the word, and 16 divides both; 64 lanes of 5 trits take a 64-bit port
    expect(mmf('sim', '--model', path.join(repo, 'models', 'tiny'), '--target', 'external', '--lanes', '128', '--row-lanes', '32', '--tokens', '2').stderr).toMatch(/^mmf: --row-lanes: row lanes must be at most 16/);
  });
});
