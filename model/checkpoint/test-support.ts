// Test helpers: a small safetensors writer (also able to write malformed files), exact float encoders,
// synthetic hgrn_bit checkpoints and temporary directories. Used by the tests only.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { CheckpointError } from './errors.ts';
import { expectedTensorShapes } from './load.ts';
import type { HgrnBitConfig } from './config.ts';


/** The embedded tiny model (a copy of the tiny fixture, always present). */
export const TINY_MODEL = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../models/tiny');
/** The small fixture (hidden 256, 6 layers), shipped in the repository beside the tiny one. */
export const SMALL_MODEL = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../models/small');
/** The tiny model with a Fast FeedForward channel mixer of depth 8, shipped beside it. */
export const FFF8_MODEL = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../models/tiny-fff8');

export interface TensorSpec {
  name: string;
  dtype: string;
  shape: number[];
  data: Uint8Array;
}

/** Header JSON text padded with spaces to a multiple of 8 bytes, as the reference writer does. */
export function headerText(header: Record<string, unknown>): string {
  let text = JSON.stringify(header);
  while (Buffer.byteLength(text) % 8 !== 0) text += ' ';
  return text;
}

/** A file from raw parts: the 8-byte length (the real one unless given), header bytes, data bytes. */
export function rawSafetensors(header: string | Uint8Array, data: Uint8Array = new Uint8Array(0), claimedLength?: bigint): Buffer {
  const h = typeof header === 'string' ? Buffer.from(header, 'utf8') : Buffer.from(header);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(claimedLength ?? BigInt(h.length));
  return Buffer.concat([len, h, data]);
}

export interface BuildOptions {
  metadata?: Record<string, string>;
  /** Edits the header object (entries already laid out) before it is written. */
  editHeader?: (header: Record<string, any>) => void;
  /** Bytes appended after the data section. */
  trailing?: number;
}

/** A valid safetensors file holding `tensors` laid out back to back in the given order. */
export function buildSafetensors(tensors: TensorSpec[], opts: BuildOptions = {}): Buffer {
  const header: Record<string, any> = {};
  if (opts.metadata) header['__metadata__'] = opts.metadata;
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.length] };
    offset += t.data.length;
  }
  opts.editHeader?.(header);
  const data = Buffer.concat([...tensors.map((t) => Buffer.from(t.data)), Buffer.alloc(opts.trailing ?? 0)]);
  return rawSafetensors(headerText(header), data);
}

// ---- exact encoders ------------------------------------------------------------------------------

const view = new DataView(new ArrayBuffer(4));

export function f32Bits(v: number): number {
  view.setFloat32(0, v);
  return view.getUint32(0);
}

/** bf16 bits of v; throws unless v is exactly representable (tests want exact values). */
export function bf16Bits(v: number): number {
  const bits = f32Bits(v);
  if ((bits & 0xffff) !== 0 || Math.fround(v) !== v) throw new Error(`${v} is not exact in bf16`);
  return bits >>> 16;
}

/** binary16 bits of v; throws unless v is exactly representable. */
export function f16Bits(v: number): number {
  if (Number.isNaN(v)) return 0x7e00;
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a === Infinity) return sign | 0x7c00;
  if (a === 0) return sign;
  if (a < 2 ** -14) {
    const m = a * 2 ** 24;
    if (!Number.isInteger(m)) throw new Error(`${v} is not exact in f16`);
    return sign | m;
  }
  const e = Math.floor(Math.log2(a));
  const m = (a / 2 ** e - 1) * 1024;
  if (!Number.isInteger(m) || e > 15) throw new Error(`${v} is not exact in f16`);
  return sign | ((e + 15) << 10) | m;
}

/** Little-endian bytes of `values` in `dtype` (exact values only for BF16 / F16). */
export function encodeValues(dtype: 'BF16' | 'F16' | 'F32', values: ArrayLike<number>): Uint8Array {
  const size = dtype === 'F32' ? 4 : 2;
  const out = Buffer.alloc(values.length * size);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (dtype === 'F32') out.writeFloatLE(v, 4 * i);
    else out.writeUInt16LE(dtype === 'BF16' ? bf16Bits(v) : f16Bits(v), 2 * i);
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

// ---- synthetic checkpoints -------------------------------------------------------------------------

/** A small, valid config.json for hgrn_bit (hidden 8, 2 layers, intermediate 16, vocab 32). */
export function smallConfigJson(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model_type: 'hgrn_bit',
    architectures: ['HGRNBitForCausalLM'],
    hidden_size: 8,
    num_hidden_layers: 2,
    intermediate_size: 16,
    vocab_size: 32,
    num_heads: 1,
    expand_ratio: 1,
    use_short_conv: false,
    use_lower_bound: true,
    rms_norm_eps: 1e-6,
    hidden_ratio: 4,
    tie_word_embeddings: false,
    ...overrides,
  };
}

/** Value of element i of the t-th tensor: exact in bf16, f16 and f32. */
export function syntheticValue(t: number, i: number): number {
  return (((i + 3 * t) % 17) - 8) / 16;
}

/** Every tensor `config` implies, filled with syntheticValue, in `dtype`. */
export function syntheticTensors(config: HgrnBitConfig, dtype: 'BF16' | 'F16' | 'F32'): TensorSpec[] {
  return [...expectedTensorShapes(config)].map(([name, shape], t) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const values = Array.from({ length: n }, (_, i) => syntheticValue(t, i));
    return { name, dtype, shape, data: encodeValues(dtype, values) };
  });
}

export function writeJson(path: string, value: unknown): void {
  writeFileSync(path, JSON.stringify(value, null, 2));
}

// ---- temporary directories ---------------------------------------------------------------------------

export class TempDirs {
  private dirs: string[] = [];
  make(prefix = 'mmf-ckpt-'): string {
    const d = mkdtempSync(join(tmpdir(), prefix));
    this.dirs.push(d);
    return d;
  }
  sub(parent: string, name: string): string {
    const d = join(parent, name);
    mkdirSync(d, { recursive: true });
    return d;
  }
  cleanup(): void {
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
    this.dirs = [];
  }
}

// ---- assertions ----------------------------------------------------------------------------------------

export interface ExpectedError {
  /** The file the message must start with. */
  file: string;
  /** Substrings the message must contain. */
  contains?: string[];
  tensor?: string;
  bytes?: [number | bigint, number | bigint];
  field?: string;
}

/** Runs fn, expects a one-line CheckpointError naming the file (and tensor / bytes / field). */
export function expectCheckpointError(fn: () => unknown, want: ExpectedError): CheckpointError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected a CheckpointError').toBeInstanceOf(CheckpointError);
  const err = caught as CheckpointError;
  const msg = err.message;
  expect(msg).not.toMatch(/[\r\n]/);
  expect(msg.startsWith(`${want.file}: `), `message should start with the file: ${msg}`).toBe(true);
  for (const s of want.contains ?? []) expect(msg).toContain(s);
  if (want.tensor !== undefined) expect(msg).toContain(`tensor ${want.tensor}`);
  if (want.bytes !== undefined) expect(msg).toContain(`bytes ${want.bytes[0]}..${want.bytes[1]}`);
  if (want.field !== undefined) expect(msg).toContain(`field ${want.field}`);
  return err;
}
