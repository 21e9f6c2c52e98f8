// The streaming weight source against the float32 path it replaces (Checkpoint.tensor +
// weightsFromTensors: the whole tensor as float32, TernaryMatrix.fromFloat): the same codes and scales,
// the same embedding rows, and both engines' logits bit for bit, on random checkpoints whose widths are
// not powers of two, in every dtype, with chunks that cut rows apart, and with the products on threads.
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint } from './load.ts';
import { readChunks, rowTableFromFile, streamingWeights, ternaryFromFile } from './stream.ts';
import { readSafetensors } from './safetensors.ts';
import { TempDirs, buildSafetensors, encodeValues, expectCheckpointError, smallConfigJson, writeJson } from './test-support.ts';
import { modelTensors, weightsFromTensors, type WeightSource } from '../config.ts';
import { FloatModel } from '../float/float-model.ts';
import { FixedModel } from '../fixed/fixed-model.ts';
import { TernaryMatrix } from '../../numerics/ternary.ts';
import { stopMatvecThreads, threadedProducts, useMatvecThreads } from '../../numerics/matvec-pool.ts';
import { seededRandom } from '../../util/prng.ts';

type Dtype = 'BF16' | 'F16' | 'F32';
const temp = new TempDirs();
afterAll(async () => {
  temp.cleanup();
  await stopMatvecThreads();
});

/** A value exactly representable in `dtype`: random, with a few exact ties for the rounding rules. */
function randomValue(rnd: () => number, dtype: Dtype, norm: boolean): number {
  const u = norm ? (rnd() < 0.1 ? -1 : 1) * (0.5 + rnd()) : 2 * rnd() - 1;
  if (rnd() < 0.02) return [0, 0.5, -0.5, 1.5, -1][Math.floor(rnd() * 5)]!;
  if (dtype === 'F32') return Math.fround(u);
  if (dtype === 'F16') return Math.round(u * 1024) / 1024; // 10 fraction bits: exact in binary16 for |u| < 2
  return Math.round(u * 128) / 128; // 7 fraction bits: exact in bf16
}

/** A random hgrn_bit checkpoint (config.json + model.safetensors) of the given shape and dtype. */
function writeRandomCheckpoint(shape: { d: number; layers: number; I: number; V: number }, dtype: Dtype, seed: number, tied = false): string {
  const dir = temp.make('mmf-stream-');
  const cfg = smallConfigJson({ hidden_size: shape.d, num_hidden_layers: shape.layers, intermediate_size: shape.I, vocab_size: shape.V, tie_word_embeddings: tied });
  writeJson(join(dir, 'config.json'), cfg);
  const rnd = seededRandom(seed);
  const config = { hiddenSize: shape.d, intermediateSize: shape.I, numLayers: shape.layers, vocabSize: shape.V, rmsNormEps: 1e-6 };
  const tensors = modelTensors(config)
    .filter((t) => !(tied && t.name === 'lm_head.weight'))
    .map((t) => {
      const n = t.shape.reduce((a, b) => a * b, 1);
      const norm = t.name.endsWith('norm.weight');
      return { name: t.name, dtype, shape: t.shape, data: encodeValues(dtype, Array.from({ length: n }, () => randomValue(rnd, dtype, norm))) };
    });
  writeFileSync(join(dir, 'model.safetensors'), buildSafetensors(tensors));
  return dir;
}

function sameMatrix(got: TernaryMatrix, want: TernaryMatrix): void {
  expect([got.rows, got.cols]).toEqual([want.rows, want.cols]);
  expect(Object.is(got.scale, want.scale)).toBe(true);
  expect(Buffer.from(got.words.buffer, got.words.byteOffset, got.words.byteLength).equals(Buffer.from(want.words.buffer, want.words.byteOffset, want.words.byteLength))).toBe(true);
}

/** Both engines' logits for a token sequence, as bits. */
function logits(src: WeightSource, tokens: number[]): { float: Uint32Array[]; fixed: Int32Array[] } {
  const float = new FloatModel(src);
  const fixed = FixedModel.fromSource(src);
  const fs = float.newState();
  const xs = fixed.newState();
  return {
    float: tokens.map((t) => new Uint32Array(Float32Array.from(float.step(fs, t)).buffer)),
    fixed: tokens.map((t) => Int32Array.from(fixed.stepInt(xs, t))),
  };
}

const SHAPES = [
  { d: 24, layers: 2, I: 40, V: 37 },
  { d: 37, layers: 1, I: 53, V: 70 },
  { d: 48, layers: 3, I: 100, V: 301 },
];

describe('streamingWeights equals the float32 path', () => {
  it.each(SHAPES.flatMap((s, k) => (['BF16', 'F16', 'F32'] as const).map((dtype) => [`${s.d}:${s.layers}:${s.I}:${s.V}${k === 1 ? ' tied' : ''}`, dtype, s, k] as const)))(
    'shape %s, %s: codes, scales, embedding rows and both engines, bit for bit',
    { timeout: 60_000 },
    (_label, dtype, shape, k) => {
      const dir = writeRandomCheckpoint(shape, dtype, 100 + k, k === 1);
      const ck = loadCheckpoint(dir);
      const old = weightsFromTensors(ck.config, ck.tensor);
      const src = streamingWeights(loadCheckpoint(dir));
      for (const t of modelTensors(ck.config)) {
        if (t.kind !== 'ternary') continue;
        const [rows, cols] = t.shape as [number, number];
        sameMatrix(src.ternary(t.name, rows, cols), old.ternary(t.name, rows, cols));
        // Chunks that end mid-row (and a chunk of one value) give the same matrix.
        const at = ck.locate(t.name);
        for (const chunk of rows * cols < 2000 ? [1, cols + 3] : [cols + 3, 7 * cols - 1]) sameMatrix(ternaryFromFile(at.file, at.name, rows, cols, chunk), old.ternary(t.name, rows, cols));
      }
      expect(src.ternary('lm_head.weight', shape.V, shape.d)).toBe(src.ternary('lm_head.weight', shape.V, shape.d));
      const table = src.table!('model.embeddings.weight', shape.V, shape.d);
      const emb = ck.tensor('model.embeddings.weight');
      const row = new Float32Array(shape.d);
      for (let v = 0; v < shape.V; v++) {
        table.row(v, row);
        expect(Buffer.from(row.buffer).equals(Buffer.from(emb.buffer, v * shape.d * 4, shape.d * 4))).toBe(true);
      }
      const tokens = Array.from({ length: 6 }, (_, i) => (i * 7 + k) % shape.V);
      expect(logits(src, tokens)).toEqual(logits(old, tokens));
    },
  );

  it('with the products on threads, a model whose widths are not powers of two gives the same logits', { timeout: 120_000 }, async () => {
    const shape = { d: 90, layers: 2, I: 150, V: 600 };
    const dir = writeRandomCheckpoint(shape, 'BF16', 7);
    const ck = loadCheckpoint(dir);
    const tokens = [1, 599, 42, 42, 300];
    const want = logits(weightsFromTensors(ck.config, ck.tensor), tokens);
    await useMatvecThreads(2, 1);
    const got = logits(streamingWeights(loadCheckpoint(dir)), tokens);
    expect(threadedProducts()).toBeGreaterThan(0);
    await stopMatvecThreads();
    expect(got).toEqual(want);
  });

  it('readChunks hands every value over in order, in chunks of at most the size asked', () => {
    const dir = writeRandomCheckpoint(SHAPES[0]!, 'BF16', 3);
    const ck = loadCheckpoint(dir);
    const at = ck.locate('model.embeddings.weight');
    const all = ck.tensor('model.embeddings.weight');
    const seen: number[] = [];
    readChunks(at.file, at.name, (v, first, raw) => {
      expect(v.length).toBeLessThanOrEqual(100);
      expect(raw.length).toBe(2 * v.length);
      expect(first).toBe(seen.length);
      seen.push(...v);
    }, 100);
    expect(seen).toEqual(Array.from(all));
  });

  it('refuses a value the loader refuses, naming the tensor, and a tensor of another shape', () => {
    const dir = temp.make('mmf-stream-bad-');
    const values = Array.from({ length: 12 }, (_, i) => (i === 9 ? NaN : i / 8));
    const file = join(dir, 'x.safetensors');
    writeFileSync(file, buildSafetensors([{ name: 'w', dtype: 'F32', shape: [3, 4], data: encodeValues('F32', values) }]));
    const f = readSafetensors(file);
    expectCheckpointError(() => ternaryFromFile(f, 'w', 3, 4), { file, tensor: 'w', contains: ['[2, 1]'] });
    expectCheckpointError(() => rowTableFromFile(f, 'w', 3, 4), { file, tensor: 'w' });
    expectCheckpointError(() => ternaryFromFile(f, 'w', 4, 4), { file, tensor: 'w', contains: ['expected a 4 x 4 tensor'] });
  });
});
