// Reads a packed model file (docs/packed-format.md) strictly. Checks run in this order, each failure a
// one-line PackedFormatError naming the file, the field and the absolute byte offset:
//   magic, version, flags, fileLength against the real size (truncated / trailing bytes), the SHA-256,
//   then the config and every record (names, shapes and encodings exactly as the config implies, payload
//   sizes, zero padding, every code valid), and nothing between the last record and the checksum.
// No length read from the file is used to allocate before it has been checked against the file's size
// and the config; every decoded array is bounded by the bytes actually present.
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { readRegularFile } from '../../util/read-regular-file.ts';
import { describeDuplicate, findDuplicateKey } from '../../util/json-duplicates.ts';
import { PARAM_MAX_ABS, TERNARY_SCALE_RANGE, firstBadParameter, parameterProblem } from '../../numerics/ranges.ts';
import type { ModelShape, WeightSource } from '../config.ts';
import { TernaryMatrix } from '../../numerics/ternary.ts';
import {
  CHECKSUM_BYTES,
  CodeError,
  ENCODING,
  ENCODING_NAME,
  HEADER_BYTES,
  MAX_NAME_BYTES,
  PACKED_MAGIC,
  PACKED_VERSION,
  PackedFormatError,
  RECORD_HEADER_BYTES,
  checkModelShape,
  packedTensorCount,
  packedTensorList,
  ternaryPayloadBytes,
  unpack2bit,
  unpack5trit,
  type Packing,
} from './format.ts';

export interface PackedTensorInfo {
  name: string;
  kind: 'ternary' | 'vector';
  encoding: 'ternary 2-bit' | 'ternary 5-trit' | 'bf16' | 'f32';
  shape: readonly number[];
  /** Absolute offset of the record (its encoding field) and of its payload. */
  recordOffset: number;
  payloadOffset: number;
  payloadBytes: number;
}

/** A packed model, fully validated and decoded; a WeightSource for both engines. */
export class PackedModel implements WeightSource {
  constructor(
    readonly file: string,
    readonly version: number,
    /** Size of the file in bytes. */
    readonly bytes: number,
    /** The stored config object (for a converted checkpoint, its full HgrnBitConfig). */
    readonly config: ModelShape & Readonly<Record<string, unknown>>,
    readonly packing: Packing,
    /** Every record in file order. */
    readonly tensors: readonly PackedTensorInfo[],
    /** The ternary tensors, packed at 2 bits a weight as they are decoded (never held 1 byte a weight). */
    private readonly codes: ReadonlyMap<string, TernaryMatrix>,
    private readonly vectors: ReadonlyMap<string, Float32Array>,
  ) {}

  /** The stored vector (the same array on every call; do not modify it). */
  vector(name: string): Float32Array {
    const v = this.vectors.get(name);
    if (!v) throw new PackedFormatError(this.file, this.codes.has(name) ? 'tensor is ternary, not a vector' : 'no such vector in the packed file', { tensor: name });
    return v;
  }

  /** The stored codes and scale as a TernaryMatrix (the same object on every call). */
  ternary(name: string, rows: number, cols: number): TernaryMatrix {
    const t = this.codes.get(name);
    if (!t) throw new PackedFormatError(this.file, this.vectors.has(name) ? 'tensor is a vector, not ternary' : 'no such ternary tensor in the packed file', { tensor: name });
    if (t.rows !== rows || t.cols !== cols) throw new PackedFormatError(this.file, `stored as ${t.rows}x${t.cols}, asked for ${rows}x${cols}`, { tensor: name });
    return t;
  }
}

/** True when `path` is a readable file starting with the packed-format magic (never throws). */
export function isPackedFile(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK); // a FIFO must not block the open
    if (!fstatSync(fd).isFile()) return false;
    const head = Buffer.alloc(PACKED_MAGIC.length);
    return readSync(fd, head, 0, head.length, 0) === head.length && head.equals(PACKED_MAGIC);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export function readPacked(file: string): PackedModel {
  let buf: Buffer;
  try {
    buf = readRegularFile(file); // a FIFO or a device is refused, not read forever
  } catch (err) {
    const reason = (err as Error).message;
    throw new PackedFormatError(file, reason === 'no such file or directory' ? 'file not found' : `cannot read: ${reason}`);
  }
  return decodePacked(buf, file);
}

/** Validates and decodes a packed file's bytes; `file` names it in errors. */
export function decodePacked(buf: Buffer, file: string): PackedModel {
  const fail = (what: string, where: { field?: string; tensor?: string; offset?: number }): never => {
    throw new PackedFormatError(file, what, where);
  };
  const size = buf.length;

  // ---- fixed header -----------------------------------------------------------------------------
  const magicLen = PACKED_MAGIC.length;
  const head = buf.subarray(0, Math.min(size, magicLen));
  if (!head.equals(Buffer.from(PACKED_MAGIC.subarray(0, head.length))) || size === 0) {
    fail(`bad magic: not a packed model file (starts ${[...head].map((b) => b.toString(16).padStart(2, '0')).join(' ') || 'empty'})`, { field: 'magic', offset: 0 });
  }
  if (size < HEADER_BYTES + CHECKSUM_BYTES) fail(`truncated: ${size} bytes, less than the ${HEADER_BYTES}-byte header and ${CHECKSUM_BYTES}-byte checksum`, { field: 'header', offset: size });
  const version = buf.readUInt32LE(8);
  if (version !== PACKED_VERSION) fail(`unsupported format version ${version} (this reader knows ${PACKED_VERSION})`, { field: 'version', offset: 8 });
  const flags = buf.readUInt32LE(12);
  if (flags !== 0) fail(`unknown flags 0x${flags.toString(16)} (must be 0)`, { field: 'flags', offset: 12 });
  const declared = buf.readBigUInt64LE(16);
  if (declared > BigInt(size)) fail(`truncated: the file has ${size} bytes, the header says ${declared}`, { field: 'fileLength', offset: 16 });
  if (declared < BigInt(size)) fail(`${BigInt(size) - declared} trailing bytes after the checksum: the header says the file has ${declared} bytes`, { field: 'fileLength', offset: Number(declared) });
  const end = size - CHECKSUM_BYTES; // where the checksum starts

  const stored = buf.subarray(end);
  const actual = createHash('sha256').update(buf.subarray(0, end)).digest();
  if (!actual.equals(stored)) fail(`checksum mismatch: SHA-256 of bytes 0..${end} is ${actual.toString('hex').slice(0, 16)}..., stored ${stored.toString('hex').slice(0, 16)}...`, { field: 'checksum', offset: end });

  // ---- config -----------------------------------------------------------------------------------
  const configLength = buf.readUInt32LE(24);
  const tensorCount = buf.readUInt32LE(28);
  let pos = HEADER_BYTES;
  if (configLength > end - pos) fail(`config length ${configLength} runs past the checksum at byte ${end}`, { field: 'configLength', offset: 24 });
  let json: unknown;
  let configText = '';
  try {
    configText = new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(pos, pos + configLength));
    json = JSON.parse(configText);
  } catch (err) {
    fail(`config is not valid UTF-8 JSON: ${(err as Error).message}`, { field: 'config', offset: pos });
  }
  const dup = findDuplicateKey(configText);
  if (dup) fail(`config is ambiguous: ${describeDuplicate(dup)}`, { field: `config.${dup.path === '' ? dup.key : `${dup.path}.${dup.key}`}`, offset: pos });
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('config is not a JSON object', { field: 'config', offset: pos });
  const config = json as ModelShape & Record<string, unknown>;
  const bad = checkModelShape(config);
  if (bad) fail(bad.what, { field: bad.field, offset: pos });
  pos += configLength;
  pos = checkPadding(buf, pos, end, 'config padding', undefined, fail);

  const expectedCount = packedTensorCount(config);
  if (tensorCount !== expectedCount) fail(`${tensorCount} tensors, the config implies ${expectedCount}`, { field: 'tensorCount', offset: 28 });
  if (tensorCount * RECORD_HEADER_BYTES > end - pos) fail(`${tensorCount} records cannot fit before the checksum at byte ${end}`, { field: 'tensorCount', offset: 28 });
  const specs = packedTensorList(config);

  // ---- records ----------------------------------------------------------------------------------
  const tensors: PackedTensorInfo[] = [];
  const codes = new Map<string, TernaryMatrix>();
  const vectors = new Map<string, Float32Array>();
  let packing: Packing | undefined;
  for (let k = 0; k < specs.length; k++) {
    const spec = specs[k]!;
    const rec = pos;
    const at = (field: string, rel: number, tensor: string | undefined = spec.name) => ({ field, tensor, offset: rec + rel });
    if (end - rec < RECORD_HEADER_BYTES) fail(`record ${k} header runs past the checksum at byte ${end}`, at('record', 0));
    const encoding = buf.readUInt32LE(rec);
    const nameLength = buf.readUInt32LE(rec + 4);
    const rank = buf.readUInt32LE(rec + 8);
    const dim0 = buf.readUInt32LE(rec + 12);
    const dim1 = buf.readUInt32LE(rec + 16);
    const scaleBits = buf.readUInt32LE(rec + 20);
    const scale = buf.readFloatLE(rec + 20);
    const payloadLength = buf.readUInt32LE(rec + 24);
    if (nameLength === 0 || nameLength > MAX_NAME_BYTES) fail(`record ${k}: name length ${nameLength} outside 1..${MAX_NAME_BYTES}`, at('nameLength', 4));
    if (nameLength > end - (rec + RECORD_HEADER_BYTES)) fail(`record ${k}: name runs past the checksum at byte ${end}`, at('nameLength', 4));
    const nameBytes = buf.subarray(rec + RECORD_HEADER_BYTES, rec + RECORD_HEADER_BYTES + nameLength);
    const name = nameBytes.toString('utf8');
    if (name !== spec.name || !nameBytes.equals(Buffer.from(spec.name, 'utf8'))) {
      fail(`record ${k} is ${JSON.stringify(name)}, the config implies ${spec.name} here`, at('name', RECORD_HEADER_BYTES));
    }
    const encName = ENCODING_NAME[encoding];
    if (encName === undefined) fail(`unknown encoding ${encoding}`, at('encoding', 0));
    const ternary = encoding === ENCODING.ternary2bit || encoding === ENCODING.ternary5trit;
    if (ternary !== (spec.kind === 'ternary')) fail(`encoding ${encName} for a ${spec.kind} tensor`, at('encoding', 0));
    if (ternary) {
      const p: Packing = encoding === ENCODING.ternary2bit ? '2bit' : '5trit';
      if (packing !== undefined && p !== packing) fail(`encoding ${encName} mixed with ${packing} records`, at('encoding', 0));
      packing = p;
    }
    const shape = rank === 1 ? [dim0] : [dim0, dim1];
    if (rank !== spec.shape.length) fail(`rank ${rank}, the config implies ${spec.shape.length}`, at('rank', 8));
    if (rank === 1 && dim1 !== 0) fail(`dim1 ${dim1} of a rank-1 tensor (must be 0)`, at('dim1', 16));
    for (let i = 0; i < rank; i++) {
      if (shape[i] !== spec.shape[i]) fail(`shape [${shape.join(', ')}], the config implies [${spec.shape.join(', ')}]`, at(`dim${i}`, 12 + 4 * i));
    }
    if (ternary) {
      // s_w = 1 / max(mean|W|, 1e-5) of weights within the parameter range (numerics/ranges.ts).
      if (!(scale >= TERNARY_SCALE_RANGE.min && scale <= TERNARY_SCALE_RANGE.max)) {
        fail(`scale ${scale} is outside [2^-16, 1e5], the scales weights within the parameter range give (docs/numerics.md)`, at('scale', 20));
      }
    } else if (scaleBits !== 0) {
      fail(`scale field of a vector must be 0, got bits 0x${scaleBits.toString(16)}`, at('scale', 20));
    }
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const want = ternary ? ternaryPayloadBytes(packing!, count) : count * (encoding === ENCODING.bf16 ? 2 : 4);
    if (payloadLength !== want) fail(`payload length ${payloadLength}, ${encName} [${spec.shape.join(', ')}] takes ${want}`, at('payloadLength', 24));
    const payloadOffset = checkPadding(buf, rec + RECORD_HEADER_BYTES + nameLength, end, 'name padding', spec.name, fail);
    if (payloadLength > end - payloadOffset) fail(`payload of ${payloadLength} bytes runs past the checksum at byte ${end}`, { field: 'payload', tensor: spec.name, offset: payloadOffset });
    const payload = buf.subarray(payloadOffset, payloadOffset + payloadLength);
    if (ternary) {
      let decoded: Int8Array;
      try {
        decoded = packing === '2bit' ? unpack2bit(payload, count) : unpack5trit(payload, count);
      } catch (err) {
        if (!(err instanceof CodeError)) throw err;
        fail(err.message, { field: 'codes', tensor: spec.name, offset: payloadOffset + err.byteIndex });
      }
      codes.set(spec.name, new TernaryMatrix(spec.shape[0]!, spec.shape[1]!, decoded!, scale));
    } else {
      const v = new Float32Array(count);
      if (encoding === ENCODING.bf16) {
        const bits = new Uint32Array(v.buffer);
        for (let i = 0; i < count; i++) bits[i] = payload.readUInt16LE(2 * i) << 16;
      } else {
        for (let i = 0; i < count; i++) v[i] = payload.readFloatLE(4 * i);
      }
      const bad = firstBadParameter(v);
      if (bad >= 0) {
        const cols = spec.shape[1];
        const el = cols === undefined ? `[${bad}]` : `[${Math.floor(bad / cols)}, ${bad % cols}]`;
        fail(`element ${el} ${parameterProblem(v[bad]!)}: parameters must be finite with |value| <= ${PARAM_MAX_ABS} (docs/numerics.md)`, {
          field: 'payload',
          tensor: spec.name,
          offset: payloadOffset + bad * (encoding === ENCODING.bf16 ? 2 : 4),
        });
      }
      vectors.set(spec.name, v);
    }
    tensors.push({
      name: spec.name,
      kind: spec.kind,
      encoding: encName as PackedTensorInfo['encoding'],
      shape: spec.shape,
      recordOffset: rec,
      payloadOffset,
      payloadBytes: payloadLength,
    });
    pos = checkPadding(buf, payloadOffset + payloadLength, end, 'payload padding', spec.name, fail);
  }
  if (pos !== end) fail(`${end - pos} unexpected bytes between the last record and the checksum`, { field: 'checksum', offset: pos });
  return new PackedModel(file, version, size, config, packing ?? '2bit', tensors, codes, vectors);
}

/** Zero bytes up to the next multiple of 4; returns that offset. */
function checkPadding(
  buf: Buffer,
  pos: number,
  end: number,
  field: string,
  tensor: string | undefined,
  fail: (what: string, where: { field?: string; tensor?: string; offset?: number }) => never,
): number {
  const next = pos + ((4 - (pos % 4)) % 4);
  if (next > end) fail(`padding runs past the checksum at byte ${end}`, { field, tensor, offset: pos });
  for (let i = pos; i < next; i++) if (buf[i] !== 0) fail(`padding byte must be 0, got ${buf[i]}`, { field, tensor, offset: i });
  return next;
}
