// Frames as bytes (before SLIP): build requests and replies, and parse them back with their fields.
// Both directions live here so the tests can speak either side; the device's own parser is RTL.
import { crc16 } from './crc16.ts';
import {
  CRC_BYTES, HEADER_BYTES, LOAD_HEADER_BYTES, LOAD_OFFSET_BYTES, MAX_CHUNK_WORDS, REPLY, REPLY_FIELDS, REQUEST, REQUEST_PAYLOAD_BYTES,
  type ReplyName, type RequestName,
} from './spec.ts';

/** type | seq | payload | CRC-16 (little-endian). */
export function buildFrame(type: number, seq: number, payload: ArrayLike<number> = []): Uint8Array {
  const f = new Uint8Array(HEADER_BYTES + payload.length + CRC_BYTES);
  f[0] = type & 0xff;
  f[1] = seq & 0xff;
  for (let i = 0; i < payload.length; i++) f[HEADER_BYTES + i] = payload[i]! & 0xff;
  const c = crc16(f.subarray(0, f.length - CRC_BYTES));
  f[f.length - 2] = c & 0xff;
  f[f.length - 1] = c >>> 8;
  return f;
}

/** `value` as `bytes` little-endian bytes. */
export function le(value: number, bytes: number): number[] {
  return Array.from({ length: bytes }, (_, i) => Math.floor(value / 2 ** (8 * i)) & 0xff);
}

function readLe(b: ArrayLike<number>, at: number, bytes: number): number {
  let v = 0;
  for (let i = bytes - 1; i >= 0; i--) v = v * 256 + b[at + i]!;
  return v;
}

export type Request =
  | { type: 'hello' | 'reset' | 'status' }
  | { type: 'prompt'; token: number }
  | { type: 'generate'; count: number }
  /** `crc`: the CRC-16 of the whole image the host expects the board to hold. */
  | { type: 'verify'; crc: number }
  | { type: 'load'; offset: number; words: ArrayLike<number> };

export function encodeRequest(r: Request, seq: number): Uint8Array {
  switch (r.type) {
    case 'prompt':
      return buildFrame(REQUEST.prompt, seq, le(r.token, 2));
    case 'generate':
      return buildFrame(REQUEST.generate, seq, le(r.count, 2));
    case 'verify':
      return buildFrame(REQUEST.verify, seq, le(r.crc, 2));
    case 'load': {
      const n = r.words.length;
      if (n < 1 || n > MAX_CHUNK_WORDS) throw new RangeError(`a LOAD carries 1 to ${MAX_CHUNK_WORDS} words, not ${n}`);
      if (!(Number.isInteger(r.offset) && r.offset >= 0 && r.offset < 2 ** (8 * LOAD_OFFSET_BYTES))) throw new RangeError(`a LOAD offset is ${LOAD_OFFSET_BYTES} bytes, not ${r.offset}`);
      const p = [...le(r.offset, LOAD_OFFSET_BYTES), n];
      for (let i = 0; i < n; i++) p.push(...le(r.words[i]!, 2));
      return buildFrame(REQUEST.load, seq, p);
    }
    default:
      return buildFrame(REQUEST[r.type], seq);
  }
}

/** A reply's fields by name (REPLY_FIELDS), as numbers; `magic` is a number too (its bytes little-endian). */
export type ReplyFields = Record<string, number>;
export interface Reply {
  type: ReplyName;
  seq: number;
  fields: ReplyFields;
}

export function encodeReply(type: ReplyName, seq: number, fields: ReplyFields): Uint8Array {
  const p: number[] = [];
  for (const [name, w] of REPLY_FIELDS[type]) {
    const v = fields[name];
    if (v === undefined) throw new Error(`reply ${type}: field ${name} missing`);
    p.push(...le(v, w));
  }
  return buildFrame(REPLY[type], seq, p);
}

/** Why a frame could not be read. */
export class FrameError extends Error {}

/** Checks the CRC and the length the type implies; names what is wrong. */
function checkFrame(f: Uint8Array): void {
  if (f.length < HEADER_BYTES + CRC_BYTES) throw new FrameError(`frame of ${f.length} bytes is shorter than type, seq and CRC`);
  if (crc16(f) !== 0) {
    const want = crc16(f.subarray(0, f.length - CRC_BYTES));
    const got = f[f.length - 2]! | (f[f.length - 1]! << 8);
    throw new FrameError(`frame CRC is 0x${got.toString(16).padStart(4, '0')}, its bytes give 0x${want.toString(16).padStart(4, '0')}`);
  }
}

const REPLY_BY_CODE = new Map<number, ReplyName>(Object.entries(REPLY).map(([k, v]) => [v, k as ReplyName]));
const REQUEST_BY_CODE = new Map<number, RequestName>(Object.entries(REQUEST).map(([k, v]) => [v, k as RequestName]));

export function decodeReply(f: Uint8Array): Reply {
  checkFrame(f);
  const type = REPLY_BY_CODE.get(f[0]!);
  if (!type) throw new FrameError(`unknown reply type 0x${f[0]!.toString(16)}`);
  const payload = f.length - HEADER_BYTES - CRC_BYTES;
  const fields: ReplyFields = {};
  let at = HEADER_BYTES;
  for (const [name, w] of REPLY_FIELDS[type]) {
    if (at + w > HEADER_BYTES + payload) throw new FrameError(`reply ${type}: ${payload} payload bytes, field ${name} needs more`);
    fields[name] = readLe(f, at, w);
    at += w;
  }
  if (at !== HEADER_BYTES + payload) throw new FrameError(`reply ${type}: ${payload} payload bytes, expected ${at - HEADER_BYTES}`);
  return { type, seq: f[1]!, fields };
}

/** The device's reading of a request (the RTL's reference, for tests). */
export function decodeRequest(f: Uint8Array): Request & { seq: number } {
  checkFrame(f);
  const type = REQUEST_BY_CODE.get(f[0]!);
  if (!type) throw new FrameError(`unknown request type 0x${f[0]!.toString(16)}`);
  const seq = f[1]!;
  const payload = f.length - HEADER_BYTES - CRC_BYTES;
  if (type === 'load') {
    const n = f[HEADER_BYTES + LOAD_OFFSET_BYTES] ?? 0;
    if (payload < LOAD_HEADER_BYTES || n < 1 || n > MAX_CHUNK_WORDS || payload !== LOAD_HEADER_BYTES + 2 * n) throw new FrameError(`LOAD of ${payload} payload bytes with count ${n}`);
    const words = Array.from({ length: n }, (_, i) => readLe(f, HEADER_BYTES + LOAD_HEADER_BYTES + 2 * i, 2));
    return { type, seq, offset: readLe(f, HEADER_BYTES, LOAD_OFFSET_BYTES), words };
  }
  if (payload !== REQUEST_PAYLOAD_BYTES[type]) throw new FrameError(`${type} with ${payload} payload bytes, expected ${REQUEST_PAYLOAD_BYTES[type]}`);
  if (type === 'prompt') return { type, seq, token: readLe(f, HEADER_BYTES, 2) };
  if (type === 'generate') return { type, seq, count: readLe(f, HEADER_BYTES, 2) };
  if (type === 'verify') return { type, seq, crc: readLe(f, HEADER_BYTES, 2) };
  return { type, seq };
}

