// Writes a packed model file (docs/packed-format.md) from any WeightSource: the tensor list comes from
// the config (packedTensorList), ternary projections are stored as the codes and float32 scale the
// source gives, vectors as bf16 when exact, else f32. The file is written beside its target and renamed.
import { createHash } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import type { WeightSource } from '../config.ts';
import {
  CHECKSUM_BYTES,
  ENCODING,
  HEADER_BYTES,
  PACKED_MAGIC,
  PACKED_VERSION,
  RECORD_HEADER_BYTES,
  checkModelShape,
  isExactBf16,
  pack2bit,
  pack5trit,
  packedTensorList,
  type Packing,
} from './format.ts';

export interface WritePackedOptions {
  packing: Packing;
}

const pad4 = (n: number): number => (4 - (n % 4)) % 4;

/** Encodes the model in memory (header, config, records, SHA-256). */
export function encodePacked(src: WeightSource, opts: WritePackedOptions): Buffer {
  if (opts.packing !== '2bit' && opts.packing !== '5trit') throw new Error(`packing must be '2bit' or '5trit', got '${String(opts.packing)}'`);
  const config = src.config;
  const bad = checkModelShape(config as unknown as Record<string, unknown>);
  if (bad) throw new Error(`cannot pack: ${bad.what}`);
  const configBytes = Buffer.from(JSON.stringify(config), 'utf8');
  const specs = packedTensorList(config);

  const chunks: Buffer[] = [];
  const header = Buffer.alloc(HEADER_BYTES);
  chunks.push(header, configBytes, Buffer.alloc(pad4(configBytes.length)));

  for (const spec of specs) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    let encoding: number;
    let scale = 0;
    let payload: Uint8Array;
    if (spec.kind === 'ternary') {
      const [rows, cols] = spec.shape as [number, number];
      const m = src.ternary(spec.name, rows, cols);
      const codes = m.codes; // unpacked from the matrix's 2-bit words: once
      if (m.rows !== rows || m.cols !== cols || codes.length !== count) {
        throw new Error(`cannot pack ${spec.name}: source gives ${m.rows}x${m.cols} (${codes.length} codes), the config implies ${rows}x${cols}`);
      }
      if (!Number.isFinite(m.scale) || m.scale <= 0 || Math.fround(m.scale) !== m.scale) {
        throw new Error(`cannot pack ${spec.name}: scale ${m.scale} is not a positive finite float32`);
      }
      scale = m.scale;
      encoding = opts.packing === '2bit' ? ENCODING.ternary2bit : ENCODING.ternary5trit;
      try {
        payload = opts.packing === '2bit' ? pack2bit(codes) : pack5trit(codes);
      } catch (err) {
        throw new Error(`cannot pack ${spec.name}: ${(err as Error).message}`);
      }
    } else {
      const v = src.vector(spec.name);
      if (v.length !== count) throw new Error(`cannot pack ${spec.name}: source gives ${v.length} values, the config implies [${spec.shape.join(', ')}]`);
      if (isExactBf16(v)) {
        encoding = ENCODING.bf16;
        const bits = new Uint32Array(v.buffer, v.byteOffset, v.length);
        const out = Buffer.alloc(2 * v.length);
        for (let i = 0; i < v.length; i++) out.writeUInt16LE(bits[i]! >>> 16, 2 * i);
        payload = out;
      } else {
        encoding = ENCODING.f32;
        const out = Buffer.alloc(4 * v.length);
        for (let i = 0; i < v.length; i++) out.writeFloatLE(v[i]!, 4 * i);
        payload = out;
      }
    }
    const name = Buffer.from(spec.name, 'utf8');
    const rec = Buffer.alloc(RECORD_HEADER_BYTES);
    rec.writeUInt32LE(encoding, 0);
    rec.writeUInt32LE(name.length, 4);
    rec.writeUInt32LE(spec.shape.length, 8);
    rec.writeUInt32LE(spec.shape[0]!, 12);
    rec.writeUInt32LE(spec.shape.length === 2 ? spec.shape[1]! : 0, 16);
    rec.writeFloatLE(scale, 20);
    rec.writeUInt32LE(payload.length, 24);
    chunks.push(rec, name, Buffer.alloc(pad4(RECORD_HEADER_BYTES + name.length)), Buffer.from(payload.buffer, payload.byteOffset, payload.length), Buffer.alloc(pad4(payload.length)));
  }

  const body = chunks.reduce((s, c) => s + c.length, 0);
  const total = body + CHECKSUM_BYTES;
  header.set(PACKED_MAGIC, 0);
  header.writeUInt32LE(PACKED_VERSION, 8);
  header.writeUInt32LE(0, 12);
  header.writeBigUInt64LE(BigInt(total), 16);
  header.writeUInt32LE(configBytes.length, 24);
  header.writeUInt32LE(specs.length, 28);
  const hash = createHash('sha256');
  for (const c of chunks) hash.update(c);
  chunks.push(hash.digest());
  return Buffer.concat(chunks, total);
}

/** Converts `src` into the packed file `file`; returns the file's size in bytes. */
export function writePacked(src: WeightSource, file: string, opts: WritePackedOptions): { bytes: number } {
  const data = encodePacked(src, opts);
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  return { bytes: data.length };
}
