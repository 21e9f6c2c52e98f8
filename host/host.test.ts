// The host against the simulated board (the board's RTL in Verilator, its UART on a TCP socket): the
// text it generates is the golden engine's, and each way a real line fails (a damaged frame, a board
// that says nothing, a board reset in the middle of a generation, a board built for another model)
// ends in a retransmission, a recovery or a clear error, never a hang or a wrong token.
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHAPE, PROMPT, golden, model, prog } from './host-test-support.ts';
import { compileProgram } from '../accel/program.ts';
import { fixedParams } from '../model/fixed/fixed-model.ts';
import { randomModel } from '../sim/random-model.ts';
import { modelHash } from '../protocol/model-hash.ts';
import { startSimBoard, type SimBoard } from '../sim/board-sim.ts';
import { SLIP } from '../protocol/spec.ts';
import { openTcp } from './transport-tcp.ts';
import type { Transport } from './transport.ts';
import { Link, TimeoutError } from './link.ts';
import { Board, IdentityError } from './board.ts';
import { generateOnBoard } from './session.ts';
import { FFF8_MODEL, SMALL_MODEL } from '../model/checkpoint/test-support.ts';

const repo = path.resolve(import.meta.dirname, '..');

/** A transport that damages the host's frames for which `damage(k)` is true (k counts frames sent). */
function damaging(t: Transport, damage: (k: number) => boolean): Transport & { damaged: number } {
  let k = 0;
  const w = {
    name: t.name,
    damaged: 0,
    write(bytes: Uint8Array) {
      if (damage(k++)) {
        const b = Uint8Array.from(bytes);
        // One payload byte changed in a way that stays clear of SLIP's END and ESC: the CRC no longer checks.
        const i = b.findIndex((x, j) => j > 0 && x !== SLIP.end && x !== SLIP.esc && (x ^ 0x20) !== SLIP.end && (x ^ 0x20) !== SLIP.esc);
        b[i]! ^= 0x20;
        w.damaged++;
        t.write(b);
      } else t.write(bytes);
    },
    onData: (cb: (b: Uint8Array) => void) => t.onData(cb),
    onClose: (cb: (why: string) => void) => t.onClose(cb),
    close: () => t.close(),
  };
  return w;
}

describe('host and simulated board', { timeout: 600_000 }, () => {
  let sim: SimBoard;
  beforeAll(async () => {
    sim = await startSimBoard(prog);
  }, 600_000);
  afterAll(async () => {
    await sim?.close();
  });

  it('generates the golden tokens; a damaged request is refused by the board and sent again', async () => {
    const t = damaging(await openTcp('127.0.0.1', sim.port), (k) => k === 1 || k === 4 || k === 9);
    const link = new Link(t, { timeoutMs: 10_000, attempts: 4 });
    try {
      const r = await generateOnBoard(new Board(link), model, { prompt: PROMPT, tokens: 12 });
      expect(r.tokens).toEqual(golden(PROMPT, 12));
      expect(r.uploaded).toBe(true);
      expect(t.damaged).toBe(3);
      expect(link.stats.retransmits).toBeGreaterThanOrEqual(3);
      expect(r.recoveries).toBe(0);
    } finally {
      await t.close();
    }
  });

  it('a board reset in the middle of a generation is detected and recovered: the text goes on unchanged', async () => {
    const t = await openTcp('127.0.0.1', sim.port);
    const logs: string[] = [];
    try {
      let seen = 0;
      const r = await generateOnBoard(new Board(new Link(t, { timeoutMs: 10_000, attempts: 4 })), model, {
        prompt: PROMPT,
        tokens: 16,
        log: (m) => logs.push(m),
        onToken: () => {
          if (++seen === 6) sim.reset();
        },
      });
      expect(r.tokens).toEqual(golden(PROMPT, 16));
      expect(r.recoveries).toBeGreaterThanOrEqual(1);
      expect(logs.join('\n')).toMatch(/was reset.*recovering/);
      // The reset cleared the weights: they went up again.
      expect(logs.join('\n')).toMatch(/uploading \d+ words/);
    } finally {
      await t.close();
    }
  });

  it('a board built for another model is refused by the handshake, naming both models', async () => {
    const t = await openTcp('127.0.0.1', sim.port);
    try {
      const other = compileProgram(fixedParams(randomModel(SHAPE, 12)), { target: 'generic', lanes: 8 });
      const board = new Board(new Link(t, { timeoutMs: 10_000, attempts: 2 }));
      await expect(board.identify({ modelHash: modelHash(other.image), imageWords: other.image.length })).rejects.toThrow(IdentityError);
      await expect(board.identify({ modelHash: modelHash(other.image), imageWords: other.image.length })).rejects.toThrow(/another model \(hash 0x[0-9a-f]{8}.*npm run build/);
    } finally {
      await t.close();
    }
  });
});

describe('host without an answer', () => {
  it('a board that never answers gives a TimeoutError naming the line and the request, after its retries', async () => {
    const silent: Transport = { name: '/dev/ttyFAKE', write: () => {}, onData: () => {}, onClose: () => {}, close: async () => {} };
    const link = new Link(silent, { timeoutMs: 50, attempts: 3 });
    const err = await new Board(link).hello().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toBe('no answer from /dev/ttyFAKE to HELLO after 3 tries of 50 ms');
    expect(link.stats.retransmits).toBe(2);
  });
});

describe('mmf host', { timeout: 600_000 }, () => {
  it('--sim --json: the embedded model generates on the simulated board exactly what the fixed engine generates', () => {
    const run = (args: string[]) => spawnSync('npx', ['mmf', ...args], { cwd: repo, encoding: 'utf8', timeout: 590_000 });
    const host = run(['host', '--sim', '--prompt', 'ROMEO:', '--tokens', '32', '--json']);
    expect(host.status, host.stderr).toBe(0);
    const j = JSON.parse(host.stdout) as { text: string; tokens: number[]; tokensPerSecond: number; uploaded: boolean };
    const gen = run(['generate', '--engine', 'fixed', '--prompt', 'ROMEO:', '--max-tokens', '32']);
    expect(gen.status, gen.stderr).toBe(0);
    expect(j.tokens).toHaveLength(32);
    expect(j.text).toBe(gen.stdout.replace(/\n$/, ''));
    expect(j.uploaded).toBe(true);
    expect(j.tokensPerSecond).toBeGreaterThan(0);
  });

  // Models the board's image differs for: one too large for the iCEBreaker (the generic accelerator is
  // simulated instead), and an FFF model, whose accelerator walks the tree.
  it.each([
    ['a model too large for the iCEBreaker simulates the generic accelerator', SMALL_MODEL, 'KI', 'generic'],
    ['an FFF model (tiny-fff8): the iCEBreaker\'s accelerator walks the tree', FFF8_MODEL, 'To', 'icebreaker'],
  ])('--sim with %s and generates what the fixed engine does', (_, model, prompt, board) => {
    // A two-byte prompt and four tokens: every step is a whole token's work, and five steps carry the
    // state from one to the next as well as more would.
    const run = (args: string[]) => spawnSync('npx', ['mmf', ...args], { cwd: repo, encoding: 'utf8', timeout: 590_000 });
    const host = run(['host', '--sim', '--model', model, '--prompt', prompt, '--tokens', '4', '--json']);
    expect(host.status, host.stderr).toBe(0);
    const j = JSON.parse(host.stdout) as { board: string; tokens: number[]; text: string };
    const gen = run(['generate', '--model', model, '--engine', 'fixed', '--prompt', prompt, '--max-tokens', '4', '--json']);
    expect(gen.status, gen.stderr).toBe(0);
    const g = JSON.parse(gen.stdout) as { tokens: number[]; text: string };
    expect(j.board).toBe(board);
    expect(j.tokens).toEqual(g.tokens);
    expect(j.text).toBe(g.text);
  });
});
