// The protocol's byte-level pieces: the CRC against its published check value and its zero residue,
// SLIP round trips through noise and split reads, and frames of every type built and read back.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../util/prng.ts';
import { crc16 } from './crc16.ts';
import { SlipDecoder, slipEncode } from './slip.ts';
import { decodeReply, decodeRequest, encodeReply, encodeRequest, FrameError, type Request } from './frame.ts';
import { CRC16, MAX_CHUNK_WORDS, SLIP } from './spec.ts';
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
      { type: 'load', offset: 0x123456, words: Array.from({ length: MAX_CHUNK_WORDS }, (_, i) => (i * 2654435761) & 0xffff) },
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
  });
});

describe('model hash', () => {
  it('is FNV-1a over the image bytes, low byte first', () => {
    // FNV-1a of the bytes "a" "b" (0x61, 0x62) is 0x4d2505ca; as one word, 0x6261.
    expect(modelHash([0x6261])).toBe(0x4d2505ca);
    expect(modelHash([1, 2])).not.toBe(modelHash([2, 1]));
  });
});
