// The host's VERIFY before an upload, against a fake board in TypeScript that speaks the protocol (frames
// from protocol/frame.ts) over a fake line: a board whose memory holds the image is not uploaded to; one
// whose memory holds other words, or that cannot read its image back, is, and the log says which; a
// partial upload resumes without a VERIFY (which would send the board back to word 0).
import { describe, expect, it } from 'vitest';
import { SlipDecoder, slipEncode } from '../protocol/slip.ts';
import { decodeRequest, encodeReply, type Request } from '../protocol/frame.ts';
import { CRC16, ERROR_CODE, MAGIC, MAX_CHUNK_WORDS, PROTOCOL_VERSION, type ErrorName, type ReplyName } from '../protocol/spec.ts';
import { modelHash } from '../protocol/model-hash.ts';
import type { Transport } from './transport.ts';
import { Link } from './link.ts';
import { Board, imageCrc } from './board.ts';
import { generateOnBoard } from './session.ts';

const VOCAB = 50;

/** A board with a weight memory (`memory`, what a reset keeps) and, if `readBack`, VERIFY. Its model: token' = (token * 7 + 3) mod VOCAB. */
function fakeBoard(image: Uint16Array, o: { memory: Uint16Array; readBack: boolean; next?: number }) {
  const mem = Uint16Array.from(o.memory);
  const st = { loaded: 0, position: 0, token: 0, next: o.next ?? 0, imageCrc: imageCrc(mem, o.next ?? 0), stateValid: false };
  const seen: Request['type'][] = [];
  let listener: ((b: Uint8Array) => void) | undefined;
  const send = (type: ReplyName, seq: number, extra: Record<string, number> = {}) => {
    const f = encodeReply(type, seq, { loaded: st.loaded, position: st.position, token: st.token, next: st.next, imageCrc: st.imageCrc, ...extra });
    setTimeout(() => listener?.(slipEncode(f)), 0);
  };
  const error = (seq: number, code: ErrorName, arg: number) => send('error', seq, { code: ERROR_CODE[code], arg });
  const step = (t: number) => {
    st.token = (t * 7 + 3) % VOCAB;
    st.position++;
  };
  const onRequest = (r: Request & { seq: number }) => {
    seen.push(r.type);
    switch (r.type) {
      case 'hello':
        return send('hello', r.seq, { magic: MAGIC.reduceRight((v, b) => v * 256 + b, 0), version: PROTOCOL_VERSION, modelHash: modelHash(image), imageWords: image.length, maxChunk: MAX_CHUNK_WORDS });
      case 'status':
        return send('status', r.seq);
      case 'verify': {
        if (!o.readBack) return error(r.seq, 'type', 0x07);
        const c = imageCrc(mem);
        if (c !== r.crc) {
          Object.assign(st, { loaded: 0, next: 0, imageCrc: CRC16.init });
          return error(r.seq, 'verify', c);
        }
        Object.assign(st, { loaded: 1, next: image.length, imageCrc: c, stateValid: false });
        return send('verify', r.seq);
      }
      case 'load': {
        if (r.offset !== st.next && r.offset !== 0) return error(r.seq, 'offset', st.next);
        mem.set(r.words, r.offset);
        st.next = r.offset + r.words.length;
        st.imageCrc = imageCrc(mem, st.next);
        st.loaded = st.next === image.length ? 1 : 0;
        st.stateValid = false;
        return send('load', r.seq);
      }
      case 'reset':
        Object.assign(st, { position: 0, token: 0, stateValid: true });
        return send('reset', r.seq);
      case 'prompt':
        step(r.token);
        return send('token', r.seq);
      case 'generate':
        for (let i = 0; i < r.count; i++) {
          step(st.token);
          send('token', r.seq);
        }
    }
  };
  const dec = new SlipDecoder((f) => onRequest(decodeRequest(f)));
  const t: Transport = { name: 'fake', write: (b) => dec.push(b), onData: (cb) => void (listener = cb), onClose: () => {}, close: async () => {} };
  return { t, seen, mem };
}

const image = Uint16Array.from({ length: 1000 }, (_, i) => (i * 40503 + 11) & 0xffff);
const model = { image, modelHash: modelHash(image) };
const expected = (prompt: number[], n: number) => {
  let t = 0;
  for (const p of prompt) t = (p * 7 + 3) % VOCAB;
  const out = [t];
  while (out.length < n) out.push((t = (t * 7 + 3) % VOCAB));
  return out;
};

async function run(board: ReturnType<typeof fakeBoard>) {
  const logs: string[] = [];
  const r = await generateOnBoard(new Board(new Link(board.t, { timeoutMs: 2000, attempts: 2 })), model, { prompt: [1, 2, 3], tokens: 5, log: (m) => logs.push(m) });
  expect(r.tokens).toEqual(expected([1, 2, 3], 5));
  return { r, logs: logs.join('\n'), loads: board.seen.filter((t) => t === 'load').length, verifies: board.seen.filter((t) => t === 'verify').length };
}

describe('VERIFY before an upload (fake board)', () => {
  it('a board whose memory holds the image is not uploaded to', async () => {
    const b = fakeBoard(image, { memory: image, readBack: true });
    const { r, logs, loads, verifies } = await run(b);
    expect(r.uploaded).toBe(false);
    expect([loads, verifies]).toEqual([0, 1]);
    expect(logs).toMatch(new RegExp(`VERIFY: the board holds this image already \\(CRC 0x${imageCrc(image).toString(16).padStart(4, '0')}\\): no upload`));
  });

  it('a board whose memory holds other words is uploaded to, and the log names both CRCs', async () => {
    const other = image.map((w, i) => (i === 999 ? w ^ 0x8000 : w));
    const b = fakeBoard(image, { memory: other, readBack: true });
    const { r, logs, loads, verifies } = await run(b);
    expect(r.uploaded).toBe(true);
    expect([loads, verifies]).toEqual([Math.ceil(image.length / MAX_CHUNK_WORDS), 1]);
    expect(logs).toContain(`its CRC 0x${imageCrc(other).toString(16).padStart(4, '0')}, the image's 0x${imageCrc(image).toString(16).padStart(4, '0')}`);
    expect(logs).toMatch(/uploading 1000 words/);
    expect(Array.from(b.mem)).toEqual(Array.from(image));
  });

  it('a board that cannot read its image back (ERROR type) is uploaded to', async () => {
    const b = fakeBoard(image, { memory: image, readBack: false });
    const { r, logs, loads } = await run(b);
    expect(r.uploaded).toBe(true);
    expect(loads).toBe(Math.ceil(image.length / MAX_CHUNK_WORDS));
    expect(logs).toMatch(/VERIFY: this board cannot read its image back\nuploading 1000 words/);
  });

  it('a partial upload resumes where it stopped, without a VERIFY', async () => {
    const mem = new Uint16Array(image.length);
    mem.set(image.subarray(0, 512));
    const b = fakeBoard(image, { memory: mem, readBack: true, next: 512 });
    const { r, loads, verifies } = await run(b);
    expect(r.uploaded).toBe(true);
    expect([loads, verifies]).toEqual([Math.ceil((image.length - 512) / MAX_CHUNK_WORDS), 0]);
  });
});
