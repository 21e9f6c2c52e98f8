// A strict reader of local safetensors files (https://github.com/huggingface/safetensors, format:
// 8-byte little-endian u64 header length N, N bytes of UTF-8 JSON, then the data section).
//
// Why not a library: the npm packages for safetensors either parse headers of files on the Hugging
// Face Hub over HTTP (@huggingface/hub's parseSafetensorsMetadata) or are small, little-kept readers
// that trust the header; none validates a local file strictly. The format is small enough to check
// completely here.
//
// Reading: the file is opened, its 8-byte length and its header are read and checked against the file
// size BEFORE anything the header claims is allocated, then the header is validated whole. Tensor data
// is read later, one tensor at a time, with positioned reads (tensorBytes / tensorToFloat32), so the
// whole file is never held in memory. That already suits the 1.3B / 2.7B checkpoints' headers; their
// largest tensors (embeddings, ~164 MB in bf16) fit a Buffer, but converting every tensor to float32
// at once would need ~11 GB for 2.7B: the engines read a checkpoint through stream.ts instead, which
// ternarises each projection chunk by chunk and keeps the embeddings in bf16.
//
// Rules enforced (each violation is a CheckpointError, one line, naming the file, the tensor and the
// absolute byte range where they apply):
// - the file holds at least the 8 length bytes; the header length fits in the file and is at most
//   MAX_HEADER_LENGTH (100 MB, the limit of the reference Rust implementation);
// - the header is valid UTF-8, starts with '{', and is a JSON object (trailing spaces, the format's
//   padding, are allowed); `__metadata__`, if present, maps strings to strings;
// - each tensor entry has exactly the keys dtype, shape, data_offsets; dtype is BF16, F16 or F32 (the
//   only ones this project needs; others are reported as unsupported); shape is an array of
//   non-negative integers; data_offsets is [begin, end] with integers 0 <= begin <= end;
//   end - begin == product(shape) * size(dtype); end <= size of the data section (else: truncated);
// - the tensors tile the data section exactly: no overlap, no gap between tensors, no bytes before
//   the first or after the last. The format's spec requires the byte buffer to be entirely indexed,
//   so a gap or trailing bytes is an error here too (the reference implementation rejects them as well).
// - no key appears twice in one object (a tensor named twice, or an entry with two dtypes): JSON.parse
//   would keep the last silently (util/json-duplicates.ts);
// - tensorBytes / tensorToFloat32 check nothing about the values: the loader does (values.ts).
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { describeDuplicate, findDuplicateKey } from '../../util/json-duplicates.ts';
import { endianness } from 'node:os';
import { CheckpointError } from './errors.ts';

export type Dtype = 'BF16' | 'F16' | 'F32';

export const DTYPE_SIZE: Readonly<Record<Dtype, number>> = { BF16: 2, F16: 2, F32: 4 };

/** Every dtype the safetensors format defines; the ones we do not read are reported as unsupported. */
const KNOWN_DTYPES = new Set([
  'BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F4', 'F6_E2M3', 'F6_E3M2', 'I16', 'U16', 'F16',
  'BF16', 'I32', 'U32', 'F32', 'C64', 'F64', 'I64', 'U64',
]);

/** The reference implementation's limit on the header length. */
export const MAX_HEADER_LENGTH = 100_000_000;

export interface TensorInfo {
  name: string;
  dtype: Dtype;
  shape: number[];
  /** Absolute offset of the tensor's first byte in the file (8 + header length + data_offsets[0]). */
  byteOffset: number;
  byteLength: number;
}

export interface SafetensorsFile {
  path: string;
  /** Size of the file when its header was read; data reads check the file still has this size. */
  fileSize: number;
  headerLength: number;
  /** Absolute offset of the data section: 8 + headerLength. */
  dataOffset: number;
  /** In header order. */
  tensors: Map<string, TensorInfo>;
  /** `__metadata__` of the header, or null when absent. */
  metadata: Record<string, string> | null;
}

const TENSOR_KEYS = ['dtype', 'shape', 'data_offsets'] as const;

/** Reads and validates the header of a safetensors file; see the rules at the top of this file. */
export function readSafetensors(path: string): SafetensorsFile {
  const fd = openFile(path);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      const kind = stat.isDirectory() ? 'a directory' : stat.isFIFO() ? 'a FIFO' : stat.isCharacterDevice() ? 'a character device' : stat.isSocket() ? 'a socket' : 'a special file';
      throw new CheckpointError(path, `is ${kind}, not a regular file`);
    }
    const fileSize = stat.size;
    if (fileSize < 8) {
      throw new CheckpointError(path, `file is ${fileSize} bytes, too short for the 8-byte header length (truncated?)`, {
        bytes: [0, fileSize],
      });
    }
    const lenBytes = Buffer.alloc(8);
    readFully(fd, path, lenBytes, 0);
    const claimed = lenBytes.readBigUInt64LE(0);
    // Check what the header merely claims against the file before allocating anything for it.
    if (claimed > BigInt(fileSize - 8)) {
      throw new CheckpointError(
        path,
        `header length ${claimed} runs past the end of the file (${fileSize} bytes; truncated or not a safetensors file)`,
        { bytes: [8n, 8n + claimed] },
      );
    }
    const headerLength = Number(claimed);
    if (headerLength > MAX_HEADER_LENGTH) {
      throw new CheckpointError(path, `header length ${headerLength} exceeds the limit of ${MAX_HEADER_LENGTH} bytes`, {
        bytes: [8, 8 + headerLength],
      });
    }
    const headerBytes = Buffer.alloc(headerLength);
    readFully(fd, path, headerBytes, 8);
    return parseHeader(path, fileSize, headerLength, headerBytes);
  } finally {
    closeSync(fd);
  }
}

function parseHeader(path: string, fileSize: number, headerLength: number, headerBytes: Buffer): SafetensorsFile {
  const dataOffset = 8 + headerLength;
  const dataSize = fileSize - dataOffset;
  const headerRange = [8, dataOffset] as const;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    throw new CheckpointError(path, 'header is not valid UTF-8', { bytes: headerRange });
  }
  if (!text.startsWith('{')) {
    throw new CheckpointError(path, `header does not start with '{' (JSON object expected)`, { bytes: headerRange });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CheckpointError(path, `header is not valid JSON: ${(err as Error).message}`, { bytes: headerRange });
  }
  if (!isPlainObject(json)) {
    throw new CheckpointError(path, 'header is not a JSON object', { bytes: headerRange });
  }
  // JSON.parse lets the last of two equal keys win: a header that names a tensor twice, or gives one
  // entry two dtypes or two data_offsets, does not say which it means.
  const dup = findDuplicateKey(text);
  if (dup) {
    const inTensor = dup.path !== '' && !dup.path.includes('.') && dup.path !== '__metadata__';
    throw new CheckpointError(path, `header is ambiguous: ${describeDuplicate(dup)}`, {
      ...(inTensor ? { tensor: dup.path } : dup.path === '' && dup.key !== '__metadata__' ? { tensor: dup.key } : {}),
      bytes: headerRange,
    });
  }

  let metadata: Record<string, string> | null = null;
  const tensors = new Map<string, TensorInfo>();
  for (const [name, entry] of Object.entries(json)) {
    if (name === '__metadata__') {
      if (!isPlainObject(entry) || !Object.values(entry).every((v) => typeof v === 'string')) {
        throw new CheckpointError(path, '__metadata__ must be an object mapping strings to strings', {
          bytes: headerRange,
        });
      }
      metadata = { ...(entry as Record<string, string>) };
      continue;
    }
    tensors.set(name, parseTensorEntry(path, name, entry, dataOffset, dataSize, headerRange));
  }
  checkCoverage(path, [...tensors.values()], dataOffset, dataSize);
  return { path, fileSize, headerLength, dataOffset, tensors, metadata };
}

function parseTensorEntry(
  path: string,
  name: string,
  entry: unknown,
  dataOffset: number,
  dataSize: number,
  headerRange: readonly [number, number],
): TensorInfo {
  if (!isPlainObject(entry)) {
    throw new CheckpointError(path, 'header entry is not an object', { tensor: name, bytes: headerRange });
  }
  const offsets = entry['data_offsets'];
  const offsetsOk =
    Array.isArray(offsets) && offsets.length === 2 && offsets.every(isNonNegativeInteger) && offsets[0] <= offsets[1];
  // Where to point: the tensor's bytes when its data_offsets are sane, else the header.
  const where = (): { tensor: string; bytes: readonly [number, number] } => ({
    tensor: name,
    bytes: offsetsOk ? [dataOffset + (offsets[0] as number), dataOffset + (offsets[1] as number)] : headerRange,
  });

  for (const key of TENSOR_KEYS) {
    if (!(key in entry)) throw new CheckpointError(path, `header entry lacks "${key}"`, where());
  }
  for (const key of Object.keys(entry)) {
    if (!(TENSOR_KEYS as readonly string[]).includes(key)) {
      throw new CheckpointError(path, `header entry has unknown key "${key}"`, where());
    }
  }
  const dtype = entry['dtype'];
  if (typeof dtype !== 'string') {
    throw new CheckpointError(path, `dtype ${JSON.stringify(dtype)} is not a string`, where());
  }
  if (!(dtype in DTYPE_SIZE)) {
    const kind = KNOWN_DTYPES.has(dtype) ? 'unsupported dtype' : 'unknown dtype';
    throw new CheckpointError(path, `${kind} ${JSON.stringify(dtype)} (supported: BF16, F16, F32)`, where());
  }
  const shape = entry['shape'];
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) {
    throw new CheckpointError(path, `shape ${JSON.stringify(shape)} is not an array of non-negative integers`, where());
  }
  if (!offsetsOk) {
    throw new CheckpointError(
      path,
      `data_offsets ${JSON.stringify(offsets)} is not [begin, end] with integers 0 <= begin <= end`,
      where(),
    );
  }
  const [begin, end] = offsets as [number, number];
  const size = DTYPE_SIZE[dtype as Dtype];
  const expectedBytes = shape.reduce((acc: bigint, d: number) => acc * BigInt(d), 1n) * BigInt(size);
  if (expectedBytes !== BigInt(end - begin)) {
    throw new CheckpointError(
      path,
      `byte length ${end - begin} does not match shape ${JSON.stringify(shape)} x ${dtype} (${expectedBytes} bytes)`,
      where(),
    );
  }
  if (end > dataSize) {
    throw new CheckpointError(
      path,
      `data_offsets [${begin}, ${end}] run past the end of the data section (${dataSize} bytes, file ${dataOffset + dataSize} bytes: truncated?)`,
      where(),
    );
  }
  return { name, dtype: dtype as Dtype, shape: shape as number[], byteOffset: dataOffset + begin, byteLength: end - begin };
}

/** The tensors must tile [0, dataSize) exactly: sorted by offset, each starts where the previous ended. */
function checkCoverage(path: string, tensors: TensorInfo[], dataOffset: number, dataSize: number): void {
  const sorted = [...tensors].sort(
    (a, b) => a.byteOffset - b.byteOffset || a.byteLength - b.byteLength || (a.name < b.name ? -1 : 1),
  );
  let covered = dataOffset; // absolute offset up to which the data section is covered
  let previous: TensorInfo | undefined;
  for (const t of sorted) {
    if (t.byteOffset < covered) {
      throw new CheckpointError(path, `tensor overlaps tensor ${previous!.name} (bytes ${previous!.byteOffset}..${covered})`, {
        tensor: t.name,
        bytes: [t.byteOffset, t.byteOffset + t.byteLength],
      });
    }
    if (t.byteOffset > covered) {
      const after = previous ? `after tensor ${previous.name}` : 'at the start of the data section';
      throw new CheckpointError(path, `${t.byteOffset - covered} bytes not covered by any tensor ${after}`, {
        tensor: t.name,
        bytes: [covered, t.byteOffset],
      });
    }
    covered = t.byteOffset + t.byteLength;
    previous = t;
  }
  const fileEnd = dataOffset + dataSize;
  if (covered < fileEnd) {
    throw new CheckpointError(path, `${fileEnd - covered} trailing bytes after the last tensor, not covered by any tensor`, {
      ...(previous ? { tensor: previous.name } : {}),
      bytes: [covered, fileEnd],
    });
  }
}

/** The raw bytes of one tensor, read from the file with a positioned read. */
export function tensorBytes(file: SafetensorsFile, name: string): Uint8Array {
  const info = tensorInfo(file, name);
  const fd = openFile(file.path);
  try {
    const size = fstatSync(fd).size;
    if (size !== file.fileSize) {
      throw new CheckpointError(file.path, `file changed since its header was read (${file.fileSize} -> ${size} bytes)`, {
        tensor: name,
      });
    }
    const bytes = Buffer.alloc(info.byteLength);
    readFully(fd, file.path, bytes, info.byteOffset, name);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } finally {
    closeSync(fd);
  }
}

/** One tensor as float32, converted exactly (bf16, f16 including subnormals, inf and NaN payloads). */
export function tensorToFloat32(file: SafetensorsFile, name: string): Float32Array {
  const info = tensorInfo(file, name);
  return decodeToFloat32(info.dtype, tensorBytes(file, name));
}

export function tensorInfo(file: SafetensorsFile, name: string): TensorInfo {
  const info = file.tensors.get(name);
  if (!info) throw new CheckpointError(file.path, 'no such tensor in the file', { tensor: name });
  return info;
}

// ---- exact conversions to float32 --------------------------------------------------------------

const littleEndianHost = endianness() === 'LE';

/**
 * Little-endian bytes of `dtype` elements to float32 values: into `into` when given (its first n values,
 * returned as a view; streaming readers reuse one buffer), else a new array.
 */
export function decodeToFloat32(dtype: Dtype, bytes: Uint8Array, into?: Float32Array): Float32Array {
  const size = DTYPE_SIZE[dtype];
  if (bytes.length % size !== 0) throw new RangeError(`${bytes.length} bytes is not a whole number of ${dtype}`);
  const n = bytes.length / size;
  if (into && into.length < n) throw new RangeError(`${n} values do not fit an array of ${into.length}`);
  const out = into ? into.subarray(0, n) : new Float32Array(n);
  if (dtype === 'F32') {
    if (littleEndianHost) {
      new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(bytes);
    } else {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
    }
    return out;
  }
  // Writing the float32 bit patterns through a Uint32Array keeps NaN payloads exact.
  const bits = new Uint32Array(out.buffer, out.byteOffset, n);
  if (dtype === 'BF16') {
    if (littleEndianHost && bytes.byteOffset % 2 === 0) {
      const halves = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
      for (let i = 0; i < n; i++) bits[i] = halves[i]! << 16;
      return out;
    }
    for (let i = 0; i < n; i++) bits[i] = ((bytes[2 * i]! | (bytes[2 * i + 1]! << 8)) << 16) >>> 0;
  } else {
    const table = f16Table();
    for (let i = 0; i < n; i++) bits[i] = table[bytes[2 * i]! | (bytes[2 * i + 1]! << 8)]!;
  }
  return out;
}

const scratch = new DataView(new ArrayBuffer(4));

/** A bf16 bit pattern (0..0xffff) as a number: the float32 with those 16 high bits. */
export function bf16ToFloat32(bits16: number): number {
  scratch.setUint32(0, (bits16 & 0xffff) << 16);
  return scratch.getFloat32(0);
}

/** An IEEE binary16 bit pattern (0..0xffff) as a number, exactly. */
export function f16ToFloat32(bits16: number): number {
  scratch.setUint32(0, f16BitsToF32Bits(bits16 & 0xffff));
  return scratch.getFloat32(0);
}

function f16BitsToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0; // inf, NaN (payload kept)
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0; // normal: rebias 15 -> 127
  if (mant === 0) return sign >>> 0; // +-0
  // Subnormal: mant * 2^-24. Normalise: shift until the implicit bit (0x400) is set.
  let e = 113; // 127 - 15 + 1
  while ((mant & 0x400) === 0) {
    mant <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
}

let f16TableCache: Uint32Array | undefined;
function f16Table(): Uint32Array {
  if (!f16TableCache) {
    f16TableCache = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) f16TableCache[h] = f16BitsToF32Bits(h);
  }
  return f16TableCache;
}

// ---- helpers -------------------------------------------------------------------------------------

function openFile(path: string): number {
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever; the caller's
    // fstat then refuses anything that is not a regular file. Regular files ignore the flag.
    return openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new CheckpointError(path, `cannot open (${code})`);
  }
}

/** Reads exactly buf.length bytes at `position`, or fails naming the range that could not be read. */
function readFully(fd: number, path: string, buf: Buffer, position: number, tensor?: string): void {
  let done = 0;
  while (done < buf.length) {
    const n = readSync(fd, buf, done, buf.length - done, position + done);
    if (n === 0) {
      throw new CheckpointError(path, 'unexpected end of file (truncated?)', {
        ...(tensor !== undefined ? { tensor } : {}),
        bytes: [position + done, position + buf.length],
      });
    }
    done += n;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isNonNegativeInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
