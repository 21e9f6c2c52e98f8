// The host on a bad line, and the simulated board under a bad host: a line that never answers or only
// sends noise ends in ONE error at the first handshake (no recovery rounds); noise, oversized and
// truncated frames around the replies are dropped and the right reply taken; on the simulated board,
// garbage frames leave it answering, an upload cut in the middle resumes where it stopped, and a
// second host at once is turned away while the first generates on. Every wait here is bounded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROMPT, golden, model, prog } from './host-test-support.ts';
import { startSimBoard, type SimBoard } from '../sim/board-sim.ts';
import { SlipDecoder, slipEncode } from '../protocol/slip.ts';
import { buildFrame, decodeRequest, encodeReply, encodeRequest } from '../protocol/frame.ts';
import { MAX_CHUNK_WORDS, MAX_FRAME_BYTES, PROTOCOL_VERSION, SLIP } from '../protocol/spec.ts';
import { seededRandom } from '../util/prng.ts';
import { openTcp } from './transport-tcp.ts';
import { closeSignal, type Transport } from './transport.ts';
import { Link, LinkClosedError } from './link.ts';
import { Board } from './board.ts';
import { generateOnBoard, NoBoardError } from './session.ts';


/** A line with something on the other end that is no board: `answer` gives the bytes it sends back. */
function fakeLine(name: string, answer: (written: Uint8Array) => Uint8Array | undefined): Transport {
  let listener: ((b: Uint8Array) => void) | undefined;
  return {
    name,
    write: (b) => {
      const back = answer(b);
      if (back && listener) setTimeout(() => listener!(back), 1);
    },
    onData: (cb) => void (listener = cb),
    onClose: () => {},
    close: async () => {},
  };
}

function noise(rnd: () => number, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));
}

describe('a line where no board answers', () => {
  const cases: [string, (rnd: () => number) => (b: Uint8Array) => Uint8Array | undefined, RegExp][] = [
    ['silent', () => () => undefined, /nothing came back/],
    ['noise without frame ends', (rnd) => () => noise(rnd, 40).map((x) => (x === SLIP.end ? 0 : x)), /\d+ bytes came back but no reply/],
    ['noise with frame ends', (rnd) => () => noise(rnd, 60).map((x, i) => (i % 7 === 0 ? SLIP.end : x)), /bytes came back \(\d+ damaged frames\)/],
    ['its own request echoed', () => (b) => b, /damaged frames|bytes came back/],
  ];
  for (const [what, line, says] of cases) {
    it(`${what}: one NoBoardError at the handshake, after the HELLO's tries only`, async () => {
      const logs: string[] = [];
      const link = new Link(fakeLine('/dev/ttyFAKE', line(seededRandom(7))), { timeoutMs: 40, attempts: 3 });
      const err = await generateOnBoard(new Board(link), model, { prompt: PROMPT, tokens: 4, log: (m) => logs.push(m) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NoBoardError);
      const msg = (err as Error).message;
      expect(msg.split('\n')).toHaveLength(1);
      expect(msg).toMatch(/^no board answered on \/dev\/ttyFAKE: no answer from \/dev\/ttyFAKE to HELLO after 3 tries of 40 ms/);
      expect(msg).toMatch(says);
      expect(logs.filter((l) => /recovering/.test(l))).toEqual([]);
      expect(link.stats.requests).toBe(1);
    });
  }
});

describe('replies among noise, oversized and truncated frames', () => {
  const HELLO_FIELDS = { loaded: 0, position: 0, token: 0, next: 0, imageCrc: 0xffff, magic: 0x41464d4d, version: PROTOCOL_VERSION, modelHash: 0x1234, imageWords: 99, maxChunk: MAX_CHUNK_WORDS };
  it('the host takes the right reply and counts the rest as damaged, over 300 seeded rounds', async () => {
    let damagedSent = 0;
    for (let round = 0; round < 300; round++) {
      const rnd = seededRandom(1000 + round);
      const junk = (): number[] => {
        const kind = Math.floor(rnd() * 4);
        if (kind === 0) return [SLIP.end, ...noise(rnd, 1 + Math.floor(rnd() * 30)), SLIP.end]; // garbage frame
        if (kind === 1) return [SLIP.end, ...noise(rnd, 2 * MAX_FRAME_BYTES + 1 + Math.floor(rnd() * 200)).map((x) => (x === SLIP.end ? 1 : x)), SLIP.end]; // oversized
        const f = slipEncode(encodeReply('status', Math.floor(rnd() * 256), { loaded: 1, position: 2, token: 3, next: 4, imageCrc: 5 }));
        if (kind === 2) return [...f.subarray(0, 2 + Math.floor(rnd() * (f.length - 3))), SLIP.end]; // truncated
        return [...f.subarray(0, f.length - 1), SLIP.esc, 0x55, SLIP.end]; // a bad escape at its end
      };
      const before: number[] = [];
      const nJunk = Math.floor(rnd() * 4);
      for (let j = 0; j < nJunk; j++) before.push(...junk());
      damagedSent += nJunk;
      let seq = -1;
      const line = fakeLine('fake', (b) => {
        new SlipDecoder((f) => (seq = decodeRequest(f).seq)).push(b);
        return Uint8Array.from([...before, ...slipEncode(encodeReply('hello', seq, HELLO_FIELDS)), ...junk()]);
      });
      const link = new Link(line, { timeoutMs: 500, attempts: 1 });
      const id = await new Board(link).hello();
      expect(id.modelHash).toBe(0x1234);
      expect(id.imageWords).toBe(99);
      expect(link.stats.retransmits).toBe(0);
    }
    expect(damagedSent).toBeGreaterThan(300);
  });
});

describe('the simulated board under a bad host', { timeout: 600_000 }, () => {
  let sim: SimBoard;
  beforeAll(async () => {
    sim = await startSimBoard(prog);
  }, 600_000);
  afterAll(async () => {
    await sim?.close();
  });

  it('garbage, oversized and truncated frames are answered or dropped, and the board then generates the golden tokens', async () => {
    const t = await openTcp('127.0.0.1', sim.port);
    const rnd = seededRandom(5);
    try {
      const full = slipEncode(encodeRequest({ type: 'load', offset: 0, words: prog.image.subarray(0, MAX_CHUNK_WORDS) }, 77));
      t.write(noise(rnd, 200)); // line noise, no frame end
      t.write(Uint8Array.from([SLIP.end, ...noise(rnd, 3 * MAX_FRAME_BYTES).map((x) => (x === SLIP.end ? 7 : x)), SLIP.end])); // oversized
      t.write(full.subarray(0, full.length >> 1)); // a LOAD cut in the middle...
      t.write(Uint8Array.from([SLIP.end])); // ...ended early
      t.write(slipEncode(buildFrame(0x01, 5, [1, 2, 3]))); // HELLO with a payload: length
      t.write(slipEncode(buildFrame(0x42, 6))); // unknown type
      const r = await generateOnBoard(new Board(new Link(t, { timeoutMs: 10_000, attempts: 4 })), model, { prompt: PROMPT, tokens: 8 });
      expect(r.tokens).toEqual(golden(PROMPT, 8));
    } finally {
      await t.close();
    }
  });

  it('a connection dropped in the middle of an upload: the host says so in one line, the next one resumes where it stopped', async () => {
    // Another model's weights first, so the board must take this one from word 0.
    const t0 = await openTcp('127.0.0.1', sim.port);
    const b0 = new Board(new Link(t0, { timeoutMs: 10_000, attempts: 4 }));
    await b0.load(prog.image.map((w) => w ^ 1), { restart: true });
    await t0.close();

    const chunks = Math.ceil(prog.image.length / MAX_CHUNK_WORDS);
    const cutAfter = Math.floor(chunks / 2);
    const t1 = await openTcp('127.0.0.1', sim.port);
    const sig = closeSignal();
    let loads = 0;
    const dropping: Transport = {
      name: t1.name,
      write: (b) => {
        if (b[1] === 0x02) loads++; // a LOAD (its type byte follows SLIP's END)
        if (loads === cutAfter + 1) {
          t1.write(b.subarray(0, b.length >> 1)); // half a frame, then the cable is pulled
          void t1.close();
          setTimeout(() => sig.closed(`${t1.name}: connection dropped`), 1);
          return;
        }
        t1.write(b);
      },
      onData: (cb) => t1.onData(cb),
      onClose: sig.onClose,
      close: () => t1.close(),
    };
    const err = await generateOnBoard(new Board(new Link(dropping, { timeoutMs: 10_000, attempts: 4 })), model, { prompt: PROMPT, tokens: 4 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LinkClosedError);
    expect((err as Error).message).toBe(`${t1.name}: connection dropped`);

    const t2 = await openTcp('127.0.0.1', sim.port);
    try {
      const progress: number[] = [];
      const link = new Link(t2, { timeoutMs: 10_000, attempts: 4 });
      const r = await generateOnBoard(new Board(link), model, { prompt: PROMPT, tokens: 6, onProgress: (w) => progress.push(w) });
      expect(r.tokens).toEqual(golden(PROMPT, 6));
      expect(r.uploaded).toBe(true);
      // The first chunk sent again starts at the first word the board did not take.
      expect(progress[0]).toBe(Math.min(prog.image.length, (cutAfter + 1) * MAX_CHUNK_WORDS));
      expect(progress.length).toBe(chunks - cutAfter);
    } finally {
      await t2.close();
    }
  });

  it('two hosts at once: the second is turned away with one line, the first generates on', async () => {
    const a = await openTcp('127.0.0.1', sim.port);
    try {
      const first = generateOnBoard(new Board(new Link(a, { timeoutMs: 10_000, attempts: 4 })), model, { prompt: PROMPT, tokens: 12 });
      const b = await openTcp('127.0.0.1', sim.port);
      const err = await generateOnBoard(new Board(new Link(b, { timeoutMs: 10_000, attempts: 2 })), model, { prompt: PROMPT, tokens: 2 }).catch((e: unknown) => e);
      await b.close();
      expect(err).toBeInstanceOf(NoBoardError);
      expect((err as Error).message).toMatch(/^no board answered on 127\.0\.0\.1:\d+: 127\.0\.0\.1:\d+(?:: read ECONNRESET| closed the connection) before answering \(is another host connected to it\?\)$/);
      expect((await first).tokens).toEqual(golden(PROMPT, 12));
    } finally {
      await a.close();
    }
  });
});
