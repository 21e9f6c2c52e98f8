import { closeSync, ftruncateSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bf16ToFloat32,
  decodeToFloat32,
  f16ToFloat32,
  MAX_HEADER_LENGTH,
  readSafetensors,
  tensorBytes,
  tensorToFloat32,
} from './safetensors.ts';
import {
  buildSafetensors,
  encodeValues,
  expectCheckpointError,
  f32Bits,
  headerText,
  rawSafetensors,
  TINY_MODEL,
  TempDirs,
  type TensorSpec,
} from './test-support.ts';

const temp = new TempDirs();
afterAll(() => temp.cleanup());
const dir = temp.make('mmf-st-');
let counter = 0;
function write(bytes: Uint8Array): string {
  const p = join(dir, `f${counter++}.safetensors`);
  writeFileSync(p, bytes);
  return p;
}

/** Two small F32 tensors, a [2,3] then b [4]: data 24 + 16 bytes. */
function twoTensors(): TensorSpec[] {
  return [
    { name: 'a', dtype: 'F32', shape: [2, 3], data: encodeValues('F32', [1, 2, 3, 4, 5, 6]) },
    { name: 'b', dtype: 'F32', shape: [4], data: encodeValues('F32', [-1, 0.5, 0, 7]) },
  ];
}

/** Absolute offset of the data section of a file built from `header`. */
function dataStart(header: Record<string, unknown>): number {
  return 8 + Buffer.byteLength(headerText(header));
}

/** By hand: (-1)^s * 2^(e-127) * 1.m for a bf16 pattern (normal, nonzero). */
function bf16ByHand(bits: number): number {
  const s = bits >> 15;
  const e = (bits >> 7) & 0xff;
  const m = bits & 0x7f;
  if (e === 0) return (s ? -1 : 1) * m * 2 ** -133; // subnormal: m/128 * 2^-126
  if (e === 0xff) return m === 0 ? (s ? -Infinity : Infinity) : NaN;
  return (s ? -1 : 1) * (1 + m / 128) * 2 ** (e - 127);
}

/** By hand: IEEE binary16. */
function f16ByHand(bits: number): number {
  const s = bits >> 15;
  const e = (bits >> 10) & 0x1f;
  const m = bits & 0x3ff;
  const sign = s ? -1 : 1;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m === 0 ? sign * Infinity : NaN;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

describe('reading the shared tiny checkpoint', () => {
  const path = join(TINY_MODEL, 'model.safetensors');
  const file = readSafetensors(path);

  it('has the expected header', () => {
    expect(file.tensors.size).toBe(65);
    expect(file.metadata).toEqual({ format: 'pt' });
    expect(file.headerLength).toBe(6456);
    expect(file.dataOffset).toBe(8 + 6456);
    const lm = file.tensors.get('lm_head.weight')!;
    expect(lm).toEqual({ name: 'lm_head.weight', dtype: 'BF16', shape: [256, 64], byteOffset: 8 + 6456 + 128, byteLength: 32768 });
    for (const t of file.tensors.values()) expect(t.dtype).toBe('BF16');
  });

  it('converts bf16 exactly (spot check against the raw bytes decoded by hand)', () => {
    const raw = readFileSync(path);
    const info = file.tensors.get('model.layers.2.mlp.gate_proj.weight')!;
    const values = tensorToFloat32(file, info.name);
    expect(values.length).toBe(512 * 64);
    for (const index of [0, 1, 777, 512 * 64 - 1]) {
      const bits = raw.readUInt16LE(info.byteOffset + 2 * index);
      expect(values[index]).toBe(bf16ByHand(bits));
    }
    expect(Array.from(tensorBytes(file, info.name))).toEqual(Array.from(raw.subarray(info.byteOffset, info.byteOffset + info.byteLength)));
  });
});

describe('dtype conversions', () => {
  it('bf16: all 65536 patterns, exact, NaN payloads kept', () => {
    const bytes = new Uint8Array(2 * 65536);
    for (let h = 0; h < 65536; h++) {
      bytes[2 * h] = h & 0xff;
      bytes[2 * h + 1] = h >> 8;
    }
    const out = decodeToFloat32('BF16', bytes);
    const bits = new Uint32Array(out.buffer);
    const bad: number[] = [];
    for (let h = 0; h < 65536; h++) {
      const want = bf16ByHand(h);
      const ok = bits[h] === (h << 16) >>> 0 && (Number.isNaN(want) ? Number.isNaN(out[h]) : out[h] === want);
      if (!ok) bad.push(h);
    }
    expect(bad).toEqual([]);
    expect(Object.is(out[0x8000], -0)).toBe(true);
    expect(bf16ToFloat32(0x3f80)).toBe(1);
    expect(bf16ToFloat32(0xc040)).toBe(-3);
  });

  it('f16 from a file: all 65536 patterns incl. subnormals, +-0, +-inf, NaN', () => {
    const values = new Uint8Array(2 * 65536);
    for (let h = 0; h < 65536; h++) {
      values[2 * h] = h & 0xff;
      values[2 * h + 1] = h >> 8;
    }
    const path = write(buildSafetensors([{ name: 'all', dtype: 'F16', shape: [256, 256], data: values }]));
    const f = readSafetensors(path);
    const out = tensorToFloat32(f, 'all');
    const bits = new Uint32Array(out.buffer);
    const bad: number[] = [];
    for (let h = 0; h < 65536; h++) {
      const want = f16ByHand(h);
      // NaN: payload and sign kept (f16 mantissa m -> f32 mantissa m << 13)
      const ok = Number.isNaN(want)
        ? Number.isNaN(out[h]) && bits[h] === (((h & 0x8000) << 16) | 0x7f800000 | ((h & 0x3ff) << 13)) >>> 0
        : out[h] === want && Object.is(out[h], -0) === (h === 0x8000);
      if (!ok) bad.push(h);
    }
    expect(bad).toEqual([]);
    expect(f16ToFloat32(0x0001)).toBe(2 ** -24); // smallest subnormal
    expect(f16ToFloat32(0x03ff)).toBe(1023 * 2 ** -24); // largest subnormal
    expect(f16ToFloat32(0x0400)).toBe(2 ** -14); // smallest normal
    expect(f16ToFloat32(0x7bff)).toBe(65504);
    expect(f16ToFloat32(0xfc00)).toBe(-Infinity);
  });

  it('f32: copied exactly, including -0, inf and a NaN payload', () => {
    const buf = Buffer.alloc(5 * 4);
    [1.5, -0, Infinity, 3.4028234663852886e38].forEach((v, i) => buf.writeFloatLE(v, 4 * i));
    buf.writeUInt32LE(0x7fc01234, 16);
    const path = write(buildSafetensors([{ name: 'x', dtype: 'F32', shape: [5], data: buf }]));
    const out = tensorToFloat32(readSafetensors(path), 'x');
    expect(Array.from(out.slice(0, 4))).toEqual([1.5, -0, Infinity, 3.4028234663852886e38]);
    expect(Object.is(out[1], -0)).toBe(true);
    expect(new Uint32Array(out.buffer)[4]).toBe(0x7fc01234);
    expect(f32Bits(out[0]!)).toBe(0x3fc00000);
  });
});

describe('valid edge cases', () => {
  it('an empty header {} with no data, and __metadata__ alone', () => {
    expect(readSafetensors(write(rawSafetensors('{}'))).tensors.size).toBe(0);
    const f = readSafetensors(write(buildSafetensors([], { metadata: { format: 'pt' } })));
    expect(f.metadata).toEqual({ format: 'pt' });
  });

  it('zero-size tensors and a scalar (shape [])', () => {
    const f = readSafetensors(
      write(
        buildSafetensors([
          { name: 'empty', dtype: 'BF16', shape: [0, 4], data: new Uint8Array(0) },
          { name: 'scalar', dtype: 'F32', shape: [], data: encodeValues('F32', [2.5]) },
        ]),
      ),
    );
    expect(tensorToFloat32(f, 'empty').length).toBe(0);
    expect(Array.from(tensorToFloat32(f, 'scalar'))).toEqual([2.5]);
  });

  it('tensors listed in the header in another order than their bytes', () => {
    const ts = twoTensors();
    const path = write(
      buildSafetensors(ts, {
        editHeader: (h) => {
          const a = h['a'];
          delete h['a'];
          h['a'] = a; // header order b, a; data order a, b
        },
      }),
    );
    const f = readSafetensors(path);
    expect([...f.tensors.keys()]).toEqual(['b', 'a']);
    expect(Array.from(tensorToFloat32(f, 'b'))).toEqual([-1, 0.5, 0, 7]);
    expect(Array.from(tensorToFloat32(f, 'a'))).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('malformed files: one-line errors naming file, tensor and bytes', () => {
  it('file shorter than 8 bytes', () => {
    const p = write(new Uint8Array([1, 2, 3]));
    expectCheckpointError(() => readSafetensors(p), { file: p, contains: ['3 bytes', 'truncated'], bytes: [0, 3] });
  });

  it('header length past the end of the file', () => {
    const good = buildSafetensors(twoTensors());
    const p = write(good.subarray(0, 20)); // cut inside the header
    expectCheckpointError(() => readSafetensors(p), {
      file: p,
      contains: ['runs past the end of the file', '20 bytes'],
      bytes: [8, 8 + good.readUInt32LE(0)],
    });
  });

  it('header length 2^60 fails at once without allocating it', () => {
    const p = write(rawSafetensors('{}', new Uint8Array(0), 2n ** 60n));
    const before = process.memoryUsage().arrayBuffers;
    const t0 = performance.now();
    expectCheckpointError(() => readSafetensors(p), {
      file: p,
      contains: [`header length ${2n ** 60n}`, 'runs past the end of the file'],
      bytes: [8, 8n + 2n ** 60n],
    });
    expect(performance.now() - t0).toBeLessThan(200);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20);
  });

  it('header length within the file but over the 100 MB limit (sparse file)', () => {
    const p = join(dir, 'huge.safetensors');
    const fd = openSync(p, 'w');
    try {
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(MAX_HEADER_LENGTH + 1));
      writeSync(fd, len, 0, 8, 0);
      ftruncateSync(fd, MAX_HEADER_LENGTH + 64); // sparse: no disk used
    } finally {
      closeSync(fd);
    }
    expectCheckpointError(() => readSafetensors(p), {
      file: p,
      contains: ['exceeds the limit of 100000000 bytes'],
      bytes: [8, 8 + MAX_HEADER_LENGTH + 1],
    });
  });

  it('header not valid UTF-8', () => {
    const header = Buffer.from('{"a":1}\xff ', 'latin1'); // 0xff never occurs in UTF-8
    const p = write(rawSafetensors(header));
    expectCheckpointError(() => readSafetensors(p), { file: p, contains: ['not valid UTF-8'], bytes: [8, 8 + header.length] });
  });

  it('header not starting with {', () => {
    const p = write(rawSafetensors('[1, 2] '));
    expectCheckpointError(() => readSafetensors(p), { file: p, contains: ["does not start with '{'"], bytes: [8, 15] });
  });

  it('header not valid JSON', () => {
    const text = '{"a": {"dtype": "F32",\n "shape": [1] '; // a line break in the text: still one line out
    const p = write(rawSafetensors(text));
    expectCheckpointError(() => readSafetensors(p), { file: p, contains: ['not valid JSON'], bytes: [8, 8 + text.length] });
  });

  it('__metadata__ not a string map', () => {
    const p = write(buildSafetensors([], { editHeader: (h) => (h['__metadata__'] = { format: 1 }) }));
    expectCheckpointError(() => readSafetensors(p), { file: p, contains: ['__metadata__ must be an object mapping strings to strings'] });
  });

  it('a tensor entry that is not an object', () => {
    const p = write(buildSafetensors([], { editHeader: (h) => (h['w'] = [1, 2]) }));
    expectCheckpointError(() => readSafetensors(p), { file: p, contains: ['header entry is not an object'], tensor: 'w' });
  });

  it('missing and unknown keys in an entry', () => {
    const ts = twoTensors();
    const p1 = write(buildSafetensors(ts, { editHeader: (h) => delete h['b'].shape }));
    const start = 8 + readSafetensorsHeaderLength(p1);
    expectCheckpointError(() => readSafetensors(p1), { file: p1, contains: ['lacks "shape"'], tensor: 'b', bytes: [start + 24, start + 40] });
    const p2 = write(buildSafetensors(ts, { editHeader: (h) => (h['a'].offsets = [0, 1]) }));
    expectCheckpointError(() => readSafetensors(p2), { file: p2, contains: ['unknown key "offsets"'], tensor: 'a' });
  });

  it('unsupported and unknown dtypes', () => {
    const ts = twoTensors();
    ts[1]!.dtype = 'I32'; // same byte size as F32: the layout stays valid
    const p = write(buildSafetensors(ts));
    const start = 8 + readSafetensorsHeaderLength(p);
    expectCheckpointError(() => readSafetensors(p), {
      file: p,
      contains: ['unsupported dtype "I32" (supported: BF16, F16, F32)'],
      tensor: 'b',
      bytes: [start + 24, start + 40],
    });
    const q = write(buildSafetensors(twoTensors(), { editHeader: (h) => (h['a'].dtype = 'float32') }));
    expectCheckpointError(() => readSafetensors(q), { file: q, contains: ['unknown dtype "float32"'], tensor: 'a' });
    const r = write(buildSafetensors(twoTensors(), { editHeader: (h) => (h['a'].dtype = 4) }));
    expectCheckpointError(() => readSafetensors(r), { file: r, contains: ['dtype 4 is not a string'], tensor: 'a' });
  });

  it('shape not an array of non-negative integers', () => {
    for (const bad of [[2, -3], [2, 1.5], '2,3', [2, '3'], null, [2 ** 60, 1]] as unknown[]) {
      const p = write(buildSafetensors(twoTensors(), { editHeader: (h) => (h['a'].shape = bad) }));
      expectCheckpointError(() => readSafetensors(p), {
        file: p,
        contains: [`shape ${JSON.stringify(bad)} is not an array of non-negative integers`],
        tensor: 'a',
      });
    }
  });

  it('data_offsets not [begin, end] integers', () => {
    for (const bad of [[0], [0, 24, 30], [24, 0], [-8, 16], [0, 23.5], '0,24', [0, '24'], null] as unknown[]) {
      const h = { a: { dtype: 'F32', shape: [2, 3], data_offsets: bad } };
      const p = write(rawSafetensors(headerText(h), new Uint8Array(24)));
      expectCheckpointError(() => readSafetensors(p), {
        file: p,
        contains: [`data_offsets ${JSON.stringify(bad)} is not [begin, end] with integers 0 <= begin <= end`],
        tensor: 'a',
        bytes: [8, dataStart(h)], // the header: the offsets themselves are not usable
      });
    }
  });

  it('byte length that does not match shape x dtype size', () => {
    const ts = twoTensors();
    const p = write(buildSafetensors(ts, { editHeader: (h) => (h['b'].shape = [5]) }));
    const start = 8 + readSafetensorsHeaderLength(p);
    expectCheckpointError(() => readSafetensors(p), {
      file: p,
      contains: ['byte length 16 does not match shape [5] x F32 (20 bytes)'],
      tensor: 'b',
      bytes: [start + 24, start + 40],
    });
    // a shape whose byte count overflows 2^53 is still compared exactly
    const q = write(buildSafetensors(ts, { editHeader: (h) => (h['b'].shape = [2 ** 52, 2 ** 52]) }));
    expectCheckpointError(() => readSafetensors(q), { file: q, contains: ['does not match shape'], tensor: 'b' });
  });

  it('offsets past the data section: truncated file', () => {
    const good = buildSafetensors(twoTensors());
    const p = write(good.subarray(0, good.length - 4));
    const start = 8 + good.readUInt32LE(0);
    expectCheckpointError(() => readSafetensors(p), {
      file: p,
      contains: ['data_offsets [24, 40] run past the end of the data section (36 bytes', 'truncated'],
      tensor: 'b',
      bytes: [start + 24, start + 40],
    });
  });

  it('overlapping tensors', () => {
    // a [0,24), b claims [16,32): data 32 bytes
    const h = {
      a: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] },
      b: { dtype: 'F32', shape: [4], data_offsets: [16, 32] },
    };
    const p = write(rawSafetensors(headerText(h), new Uint8Array(32)));
    const s = dataStart(h);
    expectCheckpointError(() => readSafetensors(p), {
      file: p,
      contains: [`overlaps tensor a (bytes ${s}..${s + 24})`],
      tensor: 'b',
      bytes: [s + 16, s + 32],
    });
  });

  it('a gap between tensors, a gap at the start, trailing bytes', () => {
    const gap = {
      a: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] },
      b: { dtype: 'F32', shape: [4], data_offsets: [28, 44] },
    };
    const p = write(rawSafetensors(headerText(gap), new Uint8Array(44)));
    const s = dataStart(gap);
    expectCheckpointError(() => readSafetensors(p), {
      file: p,
      contains: ['4 bytes not covered by any tensor after tensor a'],
      tensor: 'b',
      bytes: [s + 24, s + 28],
    });

    const atStart = { a: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } };
    const q = write(rawSafetensors(headerText(atStart), new Uint8Array(16)));
    const qs = dataStart(atStart);
    expectCheckpointError(() => readSafetensors(q), {
      file: q,
      contains: ['8 bytes not covered by any tensor at the start of the data section'],
      tensor: 'a',
      bytes: [qs, qs + 8],
    });

    const r = write(buildSafetensors(twoTensors(), { trailing: 3 }));
    const rs = 8 + readSafetensorsHeaderLength(r);
    expectCheckpointError(() => readSafetensors(r), {
      file: r,
      contains: ['3 trailing bytes after the last tensor, not covered by any tensor'],
      tensor: 'b',
      bytes: [rs + 40, rs + 43],
    });
  });

  it('a key given twice is refused, at top level or inside one entry, even when the bytes would tile', () => {
    // JSON.parse would keep the last copy silently; which one the writer meant is unknown.
    const entry = (shape: number, from: number) => `{"dtype":"F32","shape":[${shape}],"data_offsets":[${from},${from + 4 * shape}]}`;
    const cases: [string, string, string | undefined][] = [
      [`{"a":${entry(6, 0)},"a":${entry(4, 24)}}`, 'key "a" appears twice in the top-level object', 'a'],
      [`{"a":${entry(4, 0)},"a":${entry(4, 0)}}`, 'key "a" appears twice in the top-level object', 'a'],
      [`{"a":{"dtype":"F16","dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, 'key "dtype" appears twice in a', 'a'],
      [`{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16],"shape":[2,2]}}`, 'key "shape" appears twice in a', 'a'],
      [`{"\u0061":${entry(4, 0)},"a":${entry(4, 0)}}`, 'key "a" appears twice', 'a'],
      [`{"__metadata__":{"k":"1","k":"2"},"a":${entry(4, 0)}}`, 'key "k" appears twice in __metadata__', undefined],
    ];
    for (const [text, says, tensor] of cases) {
      const p = write(rawSafetensors(text, new Uint8Array(16)));
      expectCheckpointError(() => readSafetensors(p), { file: p, contains: ['header is ambiguous', says], ...(tensor ? { tensor } : {}) });
    }
  });

  it('an unknown tensor name, a file that changed, a missing file, a directory', () => {
    const p = write(buildSafetensors(twoTensors()));
    const f = readSafetensors(p);
    expectCheckpointError(() => tensorToFloat32(f, 'zz'), { file: p, contains: ['no such tensor'], tensor: 'zz' });
    writeFileSync(p, buildSafetensors(twoTensors(), { trailing: 8 }));
    expectCheckpointError(() => tensorToFloat32(f, 'a'), { file: p, contains: ['file changed since its header was read'], tensor: 'a' });
    const missing = join(dir, 'nope.safetensors');
    expectCheckpointError(() => readSafetensors(missing), { file: missing, contains: ['cannot open (ENOENT)'] });
    expectCheckpointError(() => readSafetensors(dir), { file: dir });
  });
});

function readSafetensorsHeaderLength(path: string): number {
  return Number(readFileSync(path).readBigUInt64LE(0));
}
