// The protocol's byte-level pieces: the CRC against its published check value and its zero residue,
// SLIP round trips through noise and split reads, and frames of every type built and read back.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../util/prng.ts';
import { crc16, crc16Words } from './crc16.ts';
import { SlipDecoder, slipEncode } from './slip.ts';
import { buildFrame, decodeReply, decodeRequest, encodeReply, encodeRequest, FrameError, type Request } from './frame.ts';
import { CRC16, MAX_CHUNK_WORDS, PROTOCOL_VERSION, REPLY_FIELDS, REQUEST, SLIP, replyPayloadBytes } from './spec.ts';
import { modelHash } from './model-hash.ts';

const ascii = (s: string) => Array.from(Buffer.from(s, 'ascii'));

describe('CRC-16/MCRF4XX', () => {
  it('gives the published check value for "123456789"', () => {
    expect(crc16(ascii('123456789'))).toBe(CRC16.check);
    expect(crc16([])).toBe(CRC16.init);
  });
  it('is 0 over a frame with its CRC appended little-endian, for any content', () => {
    const r = seededRandom(7);
    for (let n = 0; n < 200; n++) {
      const bytes = Array.from({ length: n }, () => Math.floor(r() * 256));
      const c = crc16(bytes);
      expect(crc16([...bytes, c & 0xff, c >>> 8])).toBe(0);
    }
  });
});

describe('CRC-16 over 16-bit words (the image CRC)', () => {
  it('is crc16() over the words\' bytes, low byte first, for any range and starting register', () => {
    const r = seededRandom(11);
    for (let n = 0; n < 100; n++) {
      const words = Uint16Array.from({ length: n }, () => Math.floor(r() * 65536));
      const from = Math.floor(r() * (n + 1));
      const reg = Math.floor(r() * 65536);
      const bytes = Array.from(words.subarray(from)).flatMap((w) => [w & 0xff, w >>> 8]);
      expect(crc16Words(words, from, n, reg)).toBe(crc16(bytes, reg));
    }
  });
});

describe('SLIP', () => {
  it('escapes END and ESC and restores them, across reads split at every byte', () => {
    const frame = [1, SLIP.end, 2, SLIP.esc, SLIP.escEnd, SLIP.escEsc, SLIP.end, SLIP.end];
    const wire = slipEncode(frame);
    expect(wire.filter((b) => b === SLIP.end).length).toBe(2); // only the delimiters
    for (let split = 0; split <= wire.length; split++) {
      const got: number[][] = [];
      const d = new SlipDecoder((f) => got.push([...f]));
      d.push(wire.subarray(0, split));
      d.push(wire.subarray(split));
      expect(got).toEqual([frame]);
    }
  });
  it('finds the next frame after noise, and cuts an oversized frame off', () => {
    const got: { f: number[]; oversized: boolean }[] = [];
    const d = new SlipDecoder((f, i) => got.push({ f: [...f], oversized: i.oversized }), 8);
    d.push([9, 9, 9]); // noise with no END before it
    d.push(slipEncode([1, 2, 3]));
    d.push([...Array(20).fill(5), SLIP.end]);
    expect(got).toEqual([
      { f: [9, 9, 9], oversized: false },
      { f: [1, 2, 3], oversized: false },
      { f: Array(8).fill(5), oversized: true },
    ]);
  });
});

describe('frames', () => {
  it('every request reads back as itself', () => {
    const reqs: Request[] = [
      { type: 'hello' }, { type: 'reset' }, { type: 'status' }, { type: 'prompt', token: 300 }, { type: 'generate', count: 65535 },
      { type: 'verify', crc: 0xbeef },
      ...[0, 0x123456, 46_137_344, 0xfedcba98].map((offset) => ({ type: 'load' as const, offset, words: Array.from({ length: MAX_CHUNK_WORDS }, (_, i) => (i * 2654435761) & 0xffff) })),
    ];
    reqs.forEach((r, seq) => {
      const back = decodeRequest(encodeRequest(r, seq));
      expect(back).toEqual({ ...r, ...(r.type === "load" ? { words: Array.from(r.words) } : {}), seq });
    });
  });
  it('every reply reads back as itself; a flipped bit or a wrong length is an error that says so', () => {
    const f = encodeReply('status', 9, { loaded: 1, position: 513, token: 65, next: 48528, imageCrc: 0xbeef });
    expect(decodeReply(f)).toEqual({ type: 'status', seq: 9, fields: { loaded: 1, position: 513, token: 65, next: 48528, imageCrc: 0xbeef } });
    const bad = Uint8Array.from(f);
    bad[3]! ^= 0x10;
    expect(() => decodeReply(bad)).toThrow(/frame CRC is 0x[0-9a-f]{4}, its bytes give/);
    const state = { loaded: 0, position: 0, token: 0, next: 0, imageCrc: 0 };
    expect(() => decodeReply(encodeReply('reset', 1, state).subarray(0, 3))).toThrow(FrameError);
    expect(() => encodeReply('reset', 1, {})).toThrow(/field loaded missing/);
    expect(() => encodeRequest({ type: 'load', offset: 0, words: [] }, 0)).toThrow(/1 to 128 words/);
    expect(() => encodeRequest({ type: 'load', offset: 2 ** 32, words: [1] }, 0)).toThrow(/a LOAD offset is 4 bytes, not 4294967296/);
  });
  it('version 2: word offsets and counts are 32 bits on the wire (a 370M image has over 2^24 words)', () => {
    expect(PROTOCOL_VERSION).toBe(2);
    const big = 46_137_344;
    const load = encodeRequest({ type: 'load', offset: big, words: [1] }, 3);
    expect(Array.from(load.subarray(2, 7))).toEqual([big & 0xff, (big >>> 8) & 0xff, (big >>> 16) & 0xff, big >>> 24, 1]);
    for (const type of ['hello', 'load', 'reset', 'token', 'status', 'verify', 'error'] as const) {
      const fields: Record<string, number> = { loaded: 1, position: 2, token: 3, next: big + 1, imageCrc: 0x1234, magic: 0x41464d4d, version: 2, modelHash: 0xdeadbeef, imageWords: big + 2, maxChunk: 128, code: 11, arg: 0xfedcba98 };
      const names = REPLY_FIELDS[type].map(([n]) => n);
      const r = decodeReply(encodeReply(type, 1, Object.fromEntries(names.map((n) => [n, fields[n]!]))));
      expect(r.fields).toEqual(Object.fromEntries(names.map((n) => [n, fields[n]])));
      expect(r.fields.next).toBe(big + 1);
    }
    expect(replyPayloadBytes('status')).toBe(11);
    expect(replyPayloadBytes('hello')).toBe(11 + 14);
    expect(replyPayloadBytes('error')).toBe(11 + 5);
    expect(decodeRequest(encodeRequest({ type: 'verify', crc: 0x6f91 }, 4))).toEqual({ type: 'verify', crc: 0x6f91, seq: 4 });
    expect(() => decodeRequest(buildFrame(REQUEST.verify, 4, [1]))).toThrow(/verify with 1 payload bytes, expected 2/);
  });
});

describe('model hash', () => {
  it('is FNV-1a over the image bytes, low byte first', () => {
    // FNV-1a of the bytes "a" "b" (0x61, 0x62) is 0x4d2505ca; as one word, 0x6261.
    expect(modelHash([0x6261])).toBe(0x4d2505ca);
    expect(modelHash([1, 2])).not.toBe(modelHash([2, 1]));
  });
});
