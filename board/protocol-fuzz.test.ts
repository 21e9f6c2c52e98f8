// The board's protocol engine under fire, in simulation (the board's RTL in Verilator, bytes over its
// UART pins): 10,000 rounds of random bytes, damaged valid frames and well-formed but wrong requests,
// each followed by a STATUS that must get the right answer. Every frame the board sends must be well
// formed, and every well-formed wrong request must get exactly the ERROR the protocol names.
import { describe, expect, it } from 'vitest';
import { compileProgram } from '../accel/program.ts';
import { fixedParams } from '../model/fixed/fixed-model.ts';
import { randomModel } from '../sim/random-model.ts';
import { startSimBoard } from '../sim/board-sim.ts';
import { openTcp } from '../host/transport-tcp.ts';
import { SlipDecoder, slipEncode } from '../protocol/slip.ts';
import { buildFrame, decodeReply, encodeRequest, le, type Reply } from '../protocol/frame.ts';
import { crc16 } from '../protocol/crc16.ts';
import { CRC16, ERROR_CODE, MAX_CHUNK_WORDS, REQUEST, SLIP } from '../protocol/spec.ts';
import { seededRandom } from '../util/prng.ts';

const ROUNDS = 10_000;

describe('the protocol engine (simulated board)', () => {
  it(`answers a STATUS correctly after each of ${ROUNDS} random, damaged or wrong frames`, { timeout: 900_000 }, async () => {
    const weights = randomModel({ hiddenSize: 16, intermediateSize: 24, numLayers: 1, vocabSize: 50 }, 5);
    const prog = compileProgram(fixedParams(weights), { target: 'generic', lanes: 8 });
    const sim = await startSimBoard(prog);
    const t = await openTcp('127.0.0.1', sim.port);
    const replies: Reply[] = [];
    const bad: string[] = [];
    let wake: (() => void) | undefined;
    const dec = new SlipDecoder((f) => {
      try {
        replies.push(decodeReply(f));
      } catch (e) {
        bad.push(`${(e as Error).message}: ${Buffer.from(f).toString('hex')}`);
      }
      wake?.();
    });
    t.onData((b) => dec.push(b));
    // Waits for the reply of this type and seq (other frames, the answers to noise and damaged frames,
    // whose seq byte may be anything, are kept aside).
    const replyFor = async (type: Reply['type'], seq: number, what: string): Promise<Reply> => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const i = replies.findIndex((r) => r.seq === seq && r.type === type);
        if (i >= 0) return replies.splice(i, 1)[0]!;
        if (Date.now() > deadline) throw new Error(`no reply to ${what} (seq ${seq})`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 200);
        });
      }
    };
    const fresh = { loaded: 0, position: 0, token: 0, next: 0, imageCrc: CRC16.init };
    const rnd = seededRandom(2026);
    const byte = () => Math.floor(rnd() * 256);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    // A frame whose CRC checks by accident would be a real request: never send one as noise.
    const checks = (f: number[]) => f.length >= 4 && crc16(f) === 0;
    const valid = () =>
      encodeRequest(pick([{ type: 'hello' }, { type: 'status' }, { type: 'prompt', token: 3 }, { type: 'generate', count: 2 }, { type: 'load', offset: 0, words: [1, 2, 3] }] as const), byte());
    let seq = 0;
    const nextSeq = () => (seq = (seq % 254) + 1);
    const kinds = { noise: 0, damaged: 0, wrong: 0 };
    try {
      // Boot: the board announces itself once.
      const hello = await replyFor('hello', 0, 'the boot announcement');
      expect(hello.fields).toMatchObject(fresh);
      for (let round = 0; round < ROUNDS; round++) {
        const kind = pick(['noise', 'damaged', 'wrong'] as const);
        kinds[kind]++;
        if (kind === 'noise') {
          // Random bytes, END and ESC among them, sometimes with no END at all before the STATUS.
          let f: number[];
          do f = Array.from({ length: 1 + Math.floor(rnd() * 40) }, () => (rnd() < 0.08 ? pick([SLIP.end, SLIP.esc]) : byte()));
          while (f.some((_, i) => checks(f.slice(0, i + 1).filter((b) => b !== SLIP.end))));
          t.write(Uint8Array.from(f));
        } else if (kind === 'damaged') {
          // A valid request with one to three bytes changed or one dropped or added: its CRC no longer checks.
          let f: number[];
          do {
            f = Array.from(valid());
            const how = Math.floor(rnd() * 3);
            if (how === 0) for (let k = 0; k < 1 + Math.floor(rnd() * 3); k++) f[Math.floor(rnd() * f.length)]! ^= 1 + Math.floor(rnd() * 255);
            else if (how === 1) f.splice(Math.floor(rnd() * f.length), 1);
            else f.splice(Math.floor(rnd() * f.length), 0, byte());
          } while (checks(f));
          t.write(slipEncode(f));
        } else {
          // Well formed (the CRC checks) but wrong: exactly one ERROR back, with the code the protocol names.
          const s = nextSeq();
          const cases: [number[], number, number][] = [
            // 7 is VERIFY, which a board that cannot read its image back does not know.
            [Array.from(buildFrame(pick([0, 7, 8, 0x42, 0x81, 0xff]), s)), ERROR_CODE.type, -1],
            [Array.from(encodeRequest({ type: 'verify', crc: byte() * 256 + byte() }, s)), ERROR_CODE.type, REQUEST.verify],
            [Array.from(buildFrame(REQUEST.status, s, [1])), ERROR_CODE.length, 5],
            [Array.from(buildFrame(REQUEST.prompt, s, [1])), ERROR_CODE.length, 5],
            [Array.from(buildFrame(REQUEST.prompt, s, le(byte(), 2))), ERROR_CODE.notLoaded, 0],
            [Array.from(buildFrame(REQUEST.generate, s, le(1 + byte(), 2))), ERROR_CODE.notLoaded, 0],
            [Array.from(buildFrame(REQUEST.reset, s)), ERROR_CODE.notLoaded, 0],
            [Array.from(encodeRequest({ type: 'load', offset: 1 + Math.floor(rnd() * 1000), words: [7] }, s)), ERROR_CODE.offset, 0],
            [Array.from(buildFrame(REQUEST.load, s, [0, 0, 0, 0])), ERROR_CODE.length, 8], // no count byte
            [Array.from(buildFrame(REQUEST.load, s, [0, 0, 0, 0, 0])), ERROR_CODE.length, 9], // count 0
            [Array.from(buildFrame(REQUEST.load, s, [0, 0, 0, 0, MAX_CHUNK_WORDS + 1, ...Array(2 * (MAX_CHUNK_WORDS + 1)).fill(0)])), ERROR_CODE.length, 15],
            [Array.from(encodeRequest({ type: 'load', offset: 2 ** 24 + Math.floor(rnd() * 2 ** 31), words: [7] }, s)), ERROR_CODE.offset, 0], // offsets past 24 bits
          ];
          const [f, code, arg] = pick(cases);
          t.write(slipEncode(f));
          const r = await replyFor('error', s, `round ${round}: a wrong request (code ${code})`);
          expect(r.fields.code, `round ${round}: ${Buffer.from(f).toString('hex')}`).toBe(code);
          expect(r.fields.arg, `round ${round}`).toBe(arg === -1 ? f[0] : arg);
        }
        const s = nextSeq();
        t.write(slipEncode(encodeRequest({ type: 'status' }, s)));
        const r = await replyFor('status', s, `round ${round}: STATUS after ${kind}`);
        expect(r.fields, `round ${round}`).toEqual(fresh);
        replies.length = 0; // the answers to noise
      }
    } finally {
      await t.close();
      await sim.close();
    }
    expect(bad).toEqual([]);
    expect(Math.min(kinds.noise, kinds.damaged, kinds.wrong)).toBeGreaterThan(ROUNDS / 4);
  });
});
