import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, type Checkpoint } from '../checkpoint/load.ts';
import { TINY_MODEL, SMALL_MODEL } from '../checkpoint/test-support.ts';
import { type WeightSource, MODEL_TENSORS, weightsFromTensors } from '../config.ts';
import { FloatModel } from '../float/float-model.ts';
import { FixedModel } from '../fixed/fixed-model.ts';
import { TernaryMatrix } from '../../numerics/ternary.ts';
import { TERNARY_CODE } from '../../hdl/lib/ternary-lane.ts';
import {
  CHECKSUM_BYTES,
  HEADER_BYTES,
  PACKED_MAGIC,
  PackedFormatError,
  decodePacked,
  encodePacked,
  isPackedFile,
  pack2bit,
  pack5trit,
  packedTensorCount,
  packedTensorList,
  readPacked,
  unpack2bit,
  unpack5trit,
  writePacked,
  type Packing,
} from './index.ts';

const TINY = TINY_MODEL;
const SMALL = SMALL_MODEL;
const PACKINGS: Packing[] = ['2bit', '5trit'];

const tmp = mkdtempSync(join(tmpdir(), 'mmf-packed-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let ck: Checkpoint;
let src: WeightSource;
const files = {} as Record<Packing, string>;
beforeAll(() => {
  ck = loadCheckpoint(TINY);
  src = weightsFromTensors(ck.config, ck.tensor);
  for (const p of PACKINGS) {
    files[p] = join(tmp, `tiny-${p}.mmfp`);
    const { bytes } = writePacked(src, files[p], { packing: p });
    expect(bytes).toBe(statSync(files[p]).size);
  }
});

function bits(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** Recomputes the trailing SHA-256 so a deliberate edit reaches the structural checks. */
function reseal(buf: Buffer): Buffer {
  const end = buf.length - CHECKSUM_BYTES;
  createHash('sha256').update(buf.subarray(0, end)).digest().copy(buf, end);
  return buf;
}

function expectPackedError(run: () => unknown, file: string, contains: string, where: { field?: string; tensor?: string; offset?: number } = {}): void {
  let caught: unknown;
  try {
    run();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(PackedFormatError);
  const msg = (caught as Error).message;
  expect(msg).not.toMatch(/[\r\n]/);
  expect(msg.startsWith(`${file}: `)).toBe(true);
  expect(msg).toContain(contains);
  if (where.field !== undefined) expect(msg).toContain(`field ${where.field}`);
  if (where.tensor !== undefined) expect(msg).toContain(`tensor ${where.tensor}`);
  if (where.offset !== undefined) expect(msg).toMatch(new RegExp(`byte ${where.offset}\\)$`));
}

describe('code packings', () => {
  it('2-bit uses the hardware lane encoding, LSB first', () => {
    expect(pack2bit(Int8Array.of(0))[0]).toBe(TERNARY_CODE.zero);
    expect(pack2bit(Int8Array.of(1))[0]).toBe(TERNARY_CODE.plus);
    expect(pack2bit(Int8Array.of(-1))[0]).toBe(TERNARY_CODE.minus);
    expect([...pack2bit(Int8Array.of(0, 1, -1, 0, -1))]).toEqual([0b00_11_01_00, 0b11]);
  });

  it('5-trit is base 3, trit = code + 1, first weight least significant, padding trit 1', () => {
    expect([...pack5trit(Int8Array.of(1, 0, -1, 0, 1))]).toEqual([2 + 1 * 3 + 0 * 9 + 1 * 27 + 2 * 81]);
    expect([...pack5trit(Int8Array.of(1, 1, 1, 1, 1))]).toEqual([242]);
    expect([...pack5trit(Int8Array.of(-1, -1, -1, -1, -1))]).toEqual([0]);
    expect([...pack5trit(Int8Array.of(-1))]).toEqual([0 + 1 * 3 + 1 * 9 + 1 * 27 + 1 * 81]);
  });

  it('round-trips every length and pattern', () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) % 3;
    for (let n = 0; n < 40; n++) {
      const codes = Int8Array.from({ length: n }, () => rnd() - 1);
      expect(unpack2bit(pack2bit(codes), n)).toEqual(codes);
      expect(unpack5trit(pack5trit(codes), n)).toEqual(codes);
    }
    expect(() => pack2bit(Int8Array.of(2))).toThrow(/not in \{-1, 0, \+1\}/);
    expect(() => pack5trit(Int8Array.of(0, -2))).toThrow(/not in \{-1, 0, \+1\}/);
  });
});

describe('tiny, converted', () => {
  for (const packing of PACKINGS) {
    describe(packing, () => {
      it('stores exactly the checkpoint ternary codes, float32 scales and vectors', () => {
        const p = readPacked(files[packing]);
        expect(p.packing).toBe(packing);
        expect(p.config.hiddenSize).toBe(ck.config.hiddenSize);
        expect(p.config).toEqual(JSON.parse(JSON.stringify(ck.config)));
        const specs = packedTensorList(ck.config);
        expect(p.tensors.map((t) => t.name)).toEqual(specs.map((s) => s.name));
        expect(specs.length).toBe(packedTensorCount(ck.config));
        let ternaries = 0;
        for (const s of specs) {
          if (s.kind === 'ternary') {
            const [rows, cols] = s.shape as [number, number];
            const want = TernaryMatrix.fromFloat(ck.tensor(s.name), rows, cols);
            const got = p.ternary(s.name, rows, cols);
            expect(got.rows).toBe(rows);
            expect(got.cols).toBe(cols);
            expect(Object.is(got.scale, want.scale)).toBe(true);
            expect(Buffer.from(got.codes.buffer, got.codes.byteOffset, got.codes.length).equals(Buffer.from(want.codes.buffer))).toBe(true);
            ternaries++;
          } else {
            expect(bits(p.vector(s.name)).equals(bits(ck.tensor(s.name)))).toBe(true);
            expect(p.tensors.find((t) => t.name === s.name)!.encoding).toBe('bf16');
          }
        }
        expect(ternaries).toBe(6 * ck.config.numLayers + 1);
      });

      it('FloatModel and FixedModel give the same logits, bit for bit, as from the checkpoint', () => {
        const p = readPacked(files[packing]);
        const tokens = [1, 72, 101, 108, 108, 111, 0, 255];
        const fa = new FloatModel(src);
        const fb = new FloatModel(p);
        const xa = FixedModel.fromSource(src);
        const xb = FixedModel.fromSource(p);
        const [sfa, sfb, sxa, sxb] = [fa.newState(), fb.newState(), xa.newState(), xb.newState()];
        for (const t of tokens) {
          expect(bits(fb.step(sfb, t)).equals(bits(fa.step(sfa, t).slice()))).toBe(true);
          const ia = xa.stepInt(sxa, t).slice();
          expect(xb.stepInt(sxb, t)).toEqual(ia);
        }
      });
    });
  }

  it('is recognised by isPackedFile; checkpoints, directories and missing files are not', () => {
    expect(isPackedFile(files['2bit'])).toBe(true);
    expect(isPackedFile(files['5trit'])).toBe(true);
    expect(isPackedFile(join(TINY, 'model.safetensors'))).toBe(false);
    expect(isPackedFile(TINY)).toBe(false);
    expect(isPackedFile(join(tmp, 'nothing-here'))).toBe(false);
  });

  it('is deterministic, and re-packing a packed model gives the same bytes', () => {
    const p = readPacked(files['5trit']);
    expect(encodePacked(p, { packing: '5trit' }).equals(readFileSync(files['5trit']))).toBe(true);
    expect(encodePacked(p, { packing: '2bit' }).equals(readFileSync(files['2bit']))).toBe(true);
  });

  it('stores a vector that is not exactly bf16 as f32, exactly', () => {
    const odd = new Float32Array(ck.tensor(MODEL_TENSORS.finalNorm));
    new Uint32Array(odd.buffer)[3]! |= 1; // one float32 ulp off a bf16 value
    const tweaked: WeightSource = { ...src, vector: (n) => (n === MODEL_TENSORS.finalNorm ? odd : src.vector(n)) };
    const p = decodePacked(encodePacked(tweaked, { packing: '2bit' }), 'mem');
    expect(p.tensors.find((t) => t.name === MODEL_TENSORS.finalNorm)!.encoding).toBe('f32');
    expect(bits(p.vector(MODEL_TENSORS.finalNorm)).equals(bits(odd))).toBe(true);
  });

  it('refuses to pack a scale that is not a float32', () => {
    const bad: WeightSource = {
      ...src,
      ternary: (n, r, c) => {
        const m = src.ternary(n, r, c);
        return new TernaryMatrix(r, c, m.codes, m.scale + 1e-12);
      },
    };
    expect(() => encodePacked(bad, { packing: '2bit' })).toThrow(/scale .* is not a positive finite float32/);
  });
});

describe('corrupted files', () => {
  const variant = (name: string, edit: (b: Buffer) => Buffer, from: Packing = '2bit'): string => {
    const f = join(tmp, name);
    writeFileSync(f, edit(Buffer.from(readFileSync(files[from]))));
    return f;
  };

  it('a flipped byte: checksum mismatch', () => {
    const size = statSync(files['2bit']).size;
    const f = variant('flipped.mmfp', (b) => {
      b[Math.floor(b.length / 2)]! ^= 0x10;
      return b;
    });
    expectPackedError(() => readPacked(f), f, 'checksum mismatch', { field: 'checksum', offset: size - CHECKSUM_BYTES });
  });

  it('truncated', () => {
    const size = statSync(files['2bit']).size;
    const f = variant('truncated.mmfp', (b) => b.subarray(0, b.length - 1000));
    expectPackedError(() => readPacked(f), f, `truncated: the file has ${size - 1000} bytes, the header says ${size}`, { field: 'fileLength', offset: 16 });
    const g = variant('stub.mmfp', (b) => b.subarray(0, 5));
    expectPackedError(() => readPacked(g), g, 'truncated: 5 bytes', { field: 'header', offset: 5 });
  });

  it('trailing bytes', () => {
    const size = statSync(files['2bit']).size;
    const f = variant('trailing.mmfp', (b) => Buffer.concat([b, Buffer.alloc(3)]));
    expectPackedError(() => readPacked(f), f, '3 trailing bytes after the checksum', { field: 'fileLength', offset: size });
  });

  it('bad magic, and an empty file', () => {
    const f = variant('magic.mmfp', (b) => {
      b[1] = 0x4e;
      return b;
    });
    expectPackedError(() => readPacked(f), f, 'bad magic: not a packed model file (starts 89 4e', { field: 'magic', offset: 0 });
    expect(isPackedFile(f)).toBe(false);
    const e = variant('empty.mmfp', () => Buffer.alloc(0));
    expectPackedError(() => readPacked(e), e, 'bad magic', { field: 'magic', offset: 0 });
    expectPackedError(() => readPacked(join(TINY_MODEL, 'model.safetensors')), join(TINY_MODEL, 'model.safetensors'), 'bad magic');
    const missing = join(tmp, 'missing.mmfp');
    expectPackedError(() => readPacked(missing), missing, 'file not found');
  });

  it('unsupported version (checked before the checksum)', () => {
    const f = variant('version.mmfp', (b) => {
      b.writeUInt32LE(2, 8);
      return b;
    });
    expectPackedError(() => readPacked(f), f, 'unsupported format version 2 (this reader knows 1)', { field: 'version', offset: 8 });
  });

  it('reserved 2-bit code 10', () => {
    const p = readPacked(files['2bit']);
    const lm = p.tensors.find((t) => t.name === MODEL_TENSORS.lmHead)!;
    const at = lm.payloadOffset + 17;
    const f = variant('reserved.mmfp', (b) => {
      b[at] = (b[at]! & ~(0b11 << 4)) | (0b10 << 4);
      return reseal(b);
    });
    expectPackedError(() => readPacked(f), f, `reserved 2-bit code 10 for weight ${17 * 4 + 2}`, { field: 'codes', tensor: MODEL_TENSORS.lmHead, offset: at });
  });

  it('a 5-trit byte above 242', () => {
    const p = readPacked(files['5trit']);
    const t = p.tensors.find((x) => x.kind === 'ternary')!;
    const at = t.payloadOffset + 3;
    const f = variant(
      'trit.mmfp',
      (b) => {
        b[at] = 243;
        return reseal(b);
      },
      '5trit',
    );
    expectPackedError(() => readPacked(f), f, '5-trit byte 243 is above 242', { field: 'codes', tensor: t.name, offset: at });
  });

  it('sizes inconsistent with the config', () => {
    const p = readPacked(files['2bit']);
    const t = p.tensors.find((x) => x.name === 'model.layers.1.mlp.gate_proj.weight')!;
    const dims = variant('dims.mmfp', (b) => {
      b.writeUInt32LE(t.shape[0]! / 2, t.recordOffset + 12);
      return reseal(b);
    });
    expectPackedError(() => readPacked(dims), dims, 'shape [256, 64], the config implies [512, 64]', { field: 'dim0', tensor: t.name, offset: t.recordOffset + 12 });

    const payload = variant('payload.mmfp', (b) => {
      b.writeUInt32LE(t.payloadBytes + 4, t.recordOffset + 24);
      return reseal(b);
    });
    expectPackedError(() => readPacked(payload), payload, `payload length ${t.payloadBytes + 4}, ternary 2-bit [512, 64] takes ${t.payloadBytes}`, {
      field: 'payloadLength',
      offset: t.recordOffset + 24,
    });

    const count = variant('count.mmfp', (b) => {
      b.writeUInt32LE(p.tensors.length + 1, 28);
      return reseal(b);
    });
    expectPackedError(() => readPacked(count), count, `${p.tensors.length + 1} tensors, the config implies ${p.tensors.length}`, { field: 'tensorCount', offset: 28 });

    // A config claiming more layers than the file holds: the records run out, nothing huge is allocated.
    const configLength = readFileSync(files['2bit']).readUInt32LE(24);
    const layers = variant('layers.mmfp', (b) => {
      const text = b.subarray(HEADER_BYTES, HEADER_BYTES + configLength).toString('utf8').replace('"numLayers":4', '"numLayers":9');
      Buffer.from(text, 'utf8').copy(b, HEADER_BYTES);
      return reseal(b);
    });
    expectPackedError(() => readPacked(layers), layers, 'tensors, the config implies', { field: 'tensorCount', offset: 28 });
    const huge = variant('huge.mmfp', (b) => {
      const cfg = JSON.parse(b.subarray(HEADER_BYTES, HEADER_BYTES + configLength).toString('utf8'));
      cfg.numLayers = 286331153; // 15 L + 5 = 2^32 + 4 (mod 2^32): the u32 count cannot match
      const text = Buffer.from(JSON.stringify(cfg), 'utf8');
      const out = Buffer.concat([b.subarray(0, HEADER_BYTES), text, Buffer.alloc((4 - (text.length % 4)) % 4), Buffer.alloc(CHECKSUM_BYTES)]);
      out.writeUInt32LE(text.length, 24);
      out.writeUInt32LE(5, 28);
      out.writeBigUInt64LE(BigInt(out.length), 16);
      return reseal(out);
    });
    expectPackedError(() => readPacked(huge), huge, '5 tensors, the config implies 4294967300', { field: 'tensorCount', offset: 28 });

    const vocab = variant('vocab.mmfp', (b) => {
      const text = b.subarray(HEADER_BYTES, HEADER_BYTES + configLength).toString('utf8').replace('"vocabSize":256', '"vocabSize":999');
      Buffer.from(text, 'utf8').copy(b, HEADER_BYTES);
      return reseal(b);
    });
    expectPackedError(() => readPacked(vocab), vocab, 'shape [256, 64], the config implies [999, 64]', { field: 'dim0', tensor: MODEL_TENSORS.embeddings });

    const bad = variant('config.mmfp', (b) => {
      const text = b.subarray(HEADER_BYTES, HEADER_BYTES + configLength).toString('utf8').replace('"hiddenSize":64', '"hiddenSize":-4');
      Buffer.from(text, 'utf8').copy(b, HEADER_BYTES);
      return reseal(b);
    });
    expectPackedError(() => readPacked(bad), bad, 'hiddenSize must be a positive integer', { field: 'config.hiddenSize', offset: HEADER_BYTES });
  });

  it('non-zero padding, and asking for the wrong shape', () => {
    const p = readPacked(files['2bit']);
    const t = p.tensors.find((x) => x.name === MODEL_TENSORS.lowerBounds)!;
    const namePad = t.payloadOffset - 1; // "model.lower_bounds" is 18 bytes: 28 + 18 leaves 2 padding bytes
    const f = variant('padding.mmfp', (b) => {
      b[namePad] = 7;
      return reseal(b);
    });
    expectPackedError(() => readPacked(f), f, 'padding byte must be 0, got 7', { field: 'name padding', tensor: t.name, offset: namePad });
    expectPackedError(() => p.ternary(MODEL_TENSORS.lmHead, 64, 256), files['2bit'], 'stored as 256x64, asked for 64x256', { tensor: MODEL_TENSORS.lmHead });
    expectPackedError(() => p.vector('no.such.tensor'), files['2bit'], 'no such vector', { tensor: 'no.such.tensor' });
  });
});

describe.runIf(existsSync(SMALL))('small, converted', () => {
  it('round-trips codes, scales and vectors exactly, smaller than the bf16 checkpoint', () => {
    const small = loadCheckpoint(SMALL);
    const s = weightsFromTensors(small.config, small.tensor);
    const st = statSync(join(SMALL, 'model.safetensors')).size;
    for (const packing of PACKINGS) {
      const buf = encodePacked(s, { packing });
      const p = decodePacked(buf, `small-${packing}`);
      expect(buf.length).toBeLessThan(st / 6);
      for (const spec of packedTensorList(small.config)) {
        if (spec.kind === 'vector') {
          expect(bits(p.vector(spec.name)).equals(bits(small.tensor(spec.name)))).toBe(true);
          continue;
        }
        const [rows, cols] = spec.shape as [number, number];
        const want = TernaryMatrix.fromFloat(small.tensor(spec.name), rows, cols);
        const got = p.ternary(spec.name, rows, cols);
        expect(Object.is(got.scale, want.scale)).toBe(true);
        expect(Buffer.from(got.codes.buffer).equals(Buffer.from(want.codes.buffer))).toBe(true);
      }
    }
  });
});

it('PACKED_MAGIC is 8 bytes starting 0x89', () => {
  expect(PACKED_MAGIC.length).toBe(8);
  expect(PACKED_MAGIC[0]).toBe(0x89);
});
