// The packed model format (docs/packed-format.md): constants, the tensor list a config implies, the
// ternary code packings, bf16, and the one-line error every reader problem becomes.
import { type ModelShape, type TensorSpec, fffNodeCount, modelTensors } from '../config.ts';
import { FFF_DEPTH_MAX } from '../checkpoint/config.ts';
import { TERNARY_2BIT } from '../../numerics/formats.ts';
import { TRIT5, TRIT5_DECODE, encode5trit, trit5Bytes } from '../../numerics/ternary-5trit.ts';
import { RMS_NORM_EPS_MAX } from '../../numerics/ranges.ts';

/** 0x89 'M' 'M' 'F' 'P' 'A' 'C' 'K': the high first byte catches 7-bit and text-mode mangling. */
export const PACKED_MAGIC = Uint8Array.of(0x89, 0x4d, 0x4d, 0x46, 0x50, 0x41, 0x43, 0x4b);
export const PACKED_VERSION = 1;
/** magic 8, version 4, flags 4, fileLength 8, configLength 4, tensorCount 4. */
export const HEADER_BYTES = 32;
/** encoding 4, nameLength 4, rank 4, dim0 4, dim1 4, scale 4, payloadLength 4. */
export const RECORD_HEADER_BYTES = 28;
/** SHA-256 of every byte before it. */
export const CHECKSUM_BYTES = 32;
export const MAX_NAME_BYTES = 1024;

export const ENCODING = { ternary2bit: 1, ternary5trit: 2, bf16: 3, f32: 4 } as const;
export type EncodingCode = (typeof ENCODING)[keyof typeof ENCODING];
export type Packing = '2bit' | '5trit';

export const ENCODING_NAME: Record<number, string> = { 1: 'ternary 2-bit', 2: 'ternary 5-trit', 3: 'bf16', 4: 'f32' };

export type PackedTensorSpec = TensorSpec;

/** Whether the config asks for model.lower_bounds (present unless use_lower_bound is false). */
export function usesLowerBound(config: ModelShape): boolean {
  return config.useLowerBound !== false;
}

/** The tensors of a packed file, in file order, with their shapes: everything the engines read. */
export const packedTensorList = modelTensors;

/** packedTensorList(config).length, without building the list (the reader checks it before allocating). */
export function packedTensorCount(config: ModelShape): number {
  return 4 + (usesLowerBound(config) ? 1 : 0) + 15 * config.numLayers;
}

/** The config fields the engines need; null when they are all sound, else the first bad field. */
export function checkModelShape(c: Record<string, unknown>): { field: string; what: string } | null {
  for (const k of ['hiddenSize', 'intermediateSize', 'numLayers', 'vocabSize'] as const) {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0 || v > 0xffffffff) {
      return { field: `config.${k}`, what: `${k} must be a positive integer below 2^32, got ${JSON.stringify(v) ?? String(v)}` };
    }
  }
  const eps = c['rmsNormEps'];
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps <= 0 || eps > RMS_NORM_EPS_MAX) {
    return { field: 'config.rmsNormEps', what: `rmsNormEps must be a positive number at most ${RMS_NORM_EPS_MAX} (docs/numerics.md), got ${JSON.stringify(eps) ?? String(eps)}` };
  }
  const lb = c['useLowerBound'];
  if (lb !== undefined && typeof lb !== 'boolean') {
    return { field: 'config.useLowerBound', what: `useLowerBound must be true, false or absent, got ${JSON.stringify(lb) ?? String(lb)}` };
  }
  // An FFF model (channelMixer "fff") carries its depth; its tree's N nodes are intermediateSize.
  const show = (v: unknown) => JSON.stringify(v) ?? String(v);
  const mixer = c['channelMixer'];
  const depth = c['fffDepth'];
  if (mixer !== undefined && mixer !== 'glu' && mixer !== 'fff') return { field: 'config.channelMixer', what: `channelMixer must be "glu", "fff" or absent, got ${show(mixer)}` };
  if (mixer === 'fff') {
    if (typeof depth !== 'number' || !Number.isSafeInteger(depth) || depth < 0 || depth > FFF_DEPTH_MAX) {
      return { field: 'config.fffDepth', what: `fffDepth must be an integer in 0..${FFF_DEPTH_MAX} for channelMixer "fff", got ${show(depth)}` };
    }
    if (c['intermediateSize'] !== fffNodeCount(depth)) {
      return { field: 'config.intermediateSize', what: `intermediateSize ${show(c['intermediateSize'])} is not the ${fffNodeCount(depth)} nodes of an FFF tree of depth ${depth}` };
    }
  } else if (depth !== undefined) {
    return { field: 'config.fffDepth', what: `fffDepth ${show(depth)} given for channelMixer ${show(mixer ?? 'glu')}, not "fff"` };
  }
  return null;
}

// ---- errors --------------------------------------------------------------------------------------

export interface PackedErrorWhere {
  field?: string;
  tensor?: string;
  /** Absolute byte offset in the file. */
  offset?: number;
}

/** Every problem with a packed file, as ONE line: `<file>: <what> (field <f>, tensor <t>, byte <n>)`. */
export class PackedFormatError extends Error {
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly where: PackedErrorWhere = {},
  ) {
    const parts: string[] = [];
    if (where.field !== undefined) parts.push(`field ${where.field}`);
    if (where.tensor !== undefined) parts.push(`tensor ${where.tensor}`);
    if (where.offset !== undefined) parts.push(`byte ${where.offset}`);
    const suffix = parts.length > 0 ? ` (${parts.join(', ')})` : '';
    super(`${file}: ${detail}${suffix}`.replace(/\s*[\r\n\u2028\u2029]+\s*/g, ' '));
    this.name = 'PackedFormatError';
  }
}

/** A bad byte inside a payload, found while decoding; the reader adds the file, tensor and offset. */
export class CodeError extends Error {
  constructor(
    /** Byte index in the payload. */
    readonly byteIndex: number,
    what: string,
  ) {
    super(what);
  }
}

// ---- ternary packings -----------------------------------------------------------------------------

/** Bytes the codes of n weights take. */
export function ternaryPayloadBytes(packing: Packing, n: number): number {
  return packing === '2bit' ? Math.ceil(n / 4) : trit5Bytes(n);
}

/** Weight value -> its 2-bit code (numerics/formats.ts TERNARY_2BIT, the accelerator's encoding). */
const TWO_BIT = { [0]: TERNARY_2BIT.zero, [1]: TERNARY_2BIT.plus, [-1]: TERNARY_2BIT.minus } as Record<number, number>;

/** Weight k in bits [2(k mod 4) + 1 : 2(k mod 4)] of byte floor(k / 4); unused high bits are 00. */
export function pack2bit(codes: Int8Array): Uint8Array {
  const out = new Uint8Array(ternaryPayloadBytes('2bit', codes.length));
  for (let k = 0; k < codes.length; k++) {
    const bits = TWO_BIT[codes[k]!];
    if (bits === undefined) throw new RangeError(`code ${codes[k]} at weight ${k} is not in {-1, 0, +1}`);
    out[k >> 2]! |= bits << (2 * (k & 3));
  }
  return out;
}

/** Per byte value: its four codes, or null when a field holds the reserved 10. */
const UNPACK_2BIT: (Int8Array | null)[] = Array.from({ length: 256 }, (_, b) => {
  const codes = new Int8Array(4);
  for (let k = 0; k < 4; k++) {
    const f = (b >> (2 * k)) & 3;
    if (f === TERNARY_2BIT.reserved) return null;
    codes[k] = f === TERNARY_2BIT.plus ? 1 : f === TERNARY_2BIT.minus ? -1 : 0;
  }
  return codes;
});

export function unpack2bit(bytes: Uint8Array, n: number): Int8Array {
  if (bytes.length !== ternaryPayloadBytes('2bit', n)) throw new CodeError(0, `${bytes.length} bytes cannot hold exactly ${n} 2-bit codes`);
  const codes = new Int8Array(n);
  const full = n >> 2;
  for (let j = 0; j < full; j++) {
    const c = UNPACK_2BIT[bytes[j]!];
    if (!c) throw reserved2bit(bytes[j]!, j, 4);
    codes.set(c, 4 * j);
  }
  const rest = n - 4 * full;
  if (rest > 0) {
    const b = bytes[full]!;
    const c = UNPACK_2BIT[b];
    if (!c) throw reserved2bit(b, full, 4);
    if (b >> (2 * rest) !== 0) throw new CodeError(full, `padding bits after the last weight must be 00, byte is 0x${hex(b)}`);
    for (let k = 0; k < rest; k++) codes[4 * full + k] = c[k]!;
  }
  return codes;
}

function reserved2bit(b: number, j: number, fields: number): CodeError {
  let k = 0;
  while (k < fields && ((b >> (2 * k)) & 3) !== 0b10) k++;
  return new CodeError(j, `reserved 2-bit code 10 for weight ${4 * j + k} (byte 0x${hex(b)})`);
}

/** Five weights per byte (numerics/ternary-5trit.ts): trit t = code + 1, byte = t0 + 3 t1 + 9 t2 + 27 t3 + 81 t4 (weight 5j + k is t_k); padding trits are 1. */
export function pack5trit(codes: Int8Array): Uint8Array {
  const out = new Uint8Array(ternaryPayloadBytes('5trit', codes.length));
  encode5trit(codes, 0, codes.length, out, 0);
  return out;
}

export function unpack5trit(bytes: Uint8Array, n: number): Int8Array {
  if (bytes.length !== ternaryPayloadBytes('5trit', n)) throw new CodeError(0, `${bytes.length} bytes cannot hold exactly ${n} 5-trit groups`);
  const codes = new Int8Array(n);
  const full = Math.floor(n / 5);
  for (let j = 0; j < bytes.length; j++) {
    const b = bytes[j]!;
    if (b > TRIT5.maxByte) throw new CodeError(j, `5-trit byte ${b} is above ${TRIT5.maxByte}`);
    const c = TRIT5_DECODE[b]!;
    if (j < full) {
      codes.set(c, 5 * j);
    } else {
      const rest = n - 5 * j;
      for (let k = 0; k < 5; k++) {
        if (k < rest) codes[5 * j + k] = c[k]!;
        else if (c[k] !== 0) throw new CodeError(j, `padding trits after the last weight must be 1 (code 0), byte is ${b}`);
      }
    }
  }
  return codes;
}

// ---- bf16 ---------------------------------------------------------------------------------------

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** True when every value is a bf16 value exactly (bitwise: the low 16 bits of its float32 are zero). */
export function isExactBf16(v: Float32Array): boolean {
  const bits = new Uint32Array(v.buffer, v.byteOffset, v.length);
  for (let i = 0; i < bits.length; i++) if ((bits[i]! & 0xffff) !== 0) return false;
  return true;
}

/** The float32 bits of a number (already a float32 value). */
export function float32Bits(x: number): number {
  f32[0] = x;
  return u32[0]!;
}

export function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}
