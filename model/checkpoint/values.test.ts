// The loader's checks on values and sizes (values.ts): every out-of-range value refused naming the
// tensor, the element and its bytes; sizes the files cannot back refused before anything is allocated;
// files that are not regular files refused without blocking.
import { copyFileSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from './load.ts';
import { readSafetensors } from './safetensors.ts';
import { TINY_MODEL, TempDirs, bf16Bits, expectCheckpointError } from './test-support.ts';
import { weightsFromTensors } from '../config.ts';
import { FloatModel } from '../float/float-model.ts';
import { FixedModel } from '../fixed/fixed-model.ts';
import { openModel } from '../open.ts';
import { PARAM_MAX_ABS } from '../../numerics/ranges.ts';
import { FloatBitLinear } from '../float/bitlinear.ts';
import { BitLinearScratch, bitLinearFixed, sumOfSquares } from '../../numerics/bitlinear.ts';

const temp = new TempDirs();
afterAll(() => temp.cleanup());

/** A copy of the tiny checkpoint with element `index` of `tensor` set to `value` (bf16). */
function tinyWith(edits: { tensor: string; index: number; value: number }[]): { dir: string; file: string; offsets: Map<string, number> } {
  const dir = temp.make();
  cpSync(TINY_MODEL, dir, { recursive: true });
  const file = join(dir, 'model.safetensors');
  const st = readSafetensors(file);
  const bytes = readFileSync(file);
  const offsets = new Map<string, number>();
  for (const e of edits) {
    const info = st.tensors.get(e.tensor)!;
    expect(info.dtype).toBe('BF16');
    offsets.set(e.tensor, info.byteOffset);
    bytes.writeUInt16LE(Number.isNaN(e.value) ? 0x7fc1 : bf16Bits(e.value), info.byteOffset + 2 * e.index);
  }
  writeFileSync(file, bytes);
  return { dir, file, offsets };
}

/** Everything a command does with a model before its first output: both engines built. */
function buildEngines(dir: string): void {
  const c = loadCheckpoint(dir);
  const w = weightsFromTensors(c.config, c.tensor);
  new FloatModel(w);
  FixedModel.fromSource(w);
}

describe('values outside the parameter range are refused, naming the tensor, the element and its bytes', () => {
  // A sweep over every kind of tensor (projection, its norm, a block norm, the embedding, the lower
  // bounds, lm_head and its norm) and every kind of bad value, at first, middle and last elements.
  const tensors: [string, number[]][] = [
    ['model.layers.0.attn.i_proj.weight', [64, 64]],
    ['model.layers.3.mlp.down_proj.weight', [64, 256]],
    ['model.layers.2.attn.g_norm.weight', [64]],
    ['model.layers.1.attn.f_proj.norm.weight', [64]],
    ['model.layers.0.attn_norm.weight', [64]],
    ['model.embeddings.weight', [256, 64]],
    ['model.lower_bounds', [4, 64]],
    ['model.norm.weight', [64]],
    ['lm_head.weight', [256, 64]],
    ['lm_head.norm.weight', [64]],
  ];
  const bad: [number, string][] = [
    [NaN, 'is NaN'],
    [Infinity, 'is +Infinity'],
    [-Infinity, 'is -Infinity'],
    [3.3895313892515355e38, '= 3.3895313892515355e+38, outside [-65536, 65536]'], // the largest finite bf16
    [-66048, '= -66048, outside [-65536, 65536]'], // the first bf16 beyond the bound
  ];
  let k = 0;
  for (const [tensor, shape] of tensors) {
    const n = shape.reduce((a, b) => a * b, 1);
    const [value, says] = bad[k % bad.length]!;
    const index = [0, Math.floor(n / 2) + 3, n - 1][k % 3]!;
    k++;
    it(`${tensor}[${index}] = ${value}`, () => {
      const { dir, file, offsets } = tinyWith([{ tensor, index, value }]);
      const at = shape.length === 2 ? `[${Math.floor(index / shape[1]!)}, ${index % shape[1]!}]` : `[${index}]`;
      const b = offsets.get(tensor)! + 2 * index;
      expectCheckpointError(() => buildEngines(dir), { file, contains: [`element ${at} ${says}`], tensor, bytes: [b, b + 2] });
    });
  }

  it('values at the bound are accepted, in both engines', () => {
    const { dir } = tinyWith([
      { tensor: 'model.layers.0.attn_norm.weight', index: 5, value: PARAM_MAX_ABS },
      { tensor: 'model.layers.1.attn.o_proj.weight', index: 9, value: -PARAM_MAX_ABS },
      { tensor: 'model.embeddings.weight', index: 100, value: PARAM_MAX_ABS },
    ]);
    expect(() => buildEngines(dir)).not.toThrow();
  });

  it('an all-zero projection is legal: upstream clamps its absmean to 1e-5, and it gives 0 in both engines', () => {
    const tensor = 'model.layers.2.mlp.gate_proj.weight';
    const dir = temp.make();
    cpSync(TINY_MODEL, dir, { recursive: true });
    const file = join(dir, 'model.safetensors');
    const info = readSafetensors(file).tensors.get(tensor)!;
    const bytes = readFileSync(file);
    bytes.fill(0, info.byteOffset, info.byteOffset + info.byteLength);
    writeFileSync(file, bytes);
    const c = loadCheckpoint(dir);
    const w = weightsFromTensors(c.config, c.tensor);
    const m = w.ternary(tensor, 512, 64);
    expect(m.scale).toBe(Math.fround(1e5));
    expect(m.codes.every((v) => v === 0)).toBe(true);
    const norm = w.vector('model.layers.2.mlp.gate_proj.norm.weight');
    const x = Float64Array.from({ length: 64 }, (_, i) => Math.sin(i) * 3);
    const floatOut = new Float64Array(512).fill(7);
    new FloatBitLinear(m, norm, 1e-6).forward(x, floatOut);
    expect(floatOut.every((v) => v === 0)).toBe(true);
    const fixed = FixedModel.fromSource(w);
    const u = Int32Array.from(x, (v) => Math.round(v * 4096));
    const fixedOut = new Int32Array(512).fill(7);
    bitLinearFixed(u, sumOfSquares(u), fixed.params.layers[2]!.gateUp, fixedOut, new BitLinearScratch(64, 512));
    expect(fixedOut.every((v) => v === 0)).toBe(true);
    // and the model still runs: finite logits from both engines
    for (const e of [new FloatModel(w), fixed]) expect(Array.from(e.step(e.newState() as never, 65)).every(Number.isFinite)).toBe(true);
  });

  it('num_hidden_layers 1000000 with the tiny file: the missing layers are named before the 15 million names are built', () => {
    const dir = temp.make();
    cpSync(TINY_MODEL, dir, { recursive: true });
    const cfgPath = join(dir, 'config.json');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(cfgPath, JSON.stringify({ ...cfg, num_hidden_layers: 1_000_000 }));
    expectCheckpointError(() => loadCheckpoint(dir), {
      file: join(dir, 'model.safetensors'),
      contains: ['the config implies 15000005 tensors (num_hidden_layers 1000000), the files hold 65', 'layers 4 to 999999 are missing', 'the files have 4 layers'],
      field: 'num_hidden_layers',
    });
  });

  it('tie_word_embeddings with a stored lm_head.weight that differs from the embeddings: refused; an equal copy loads', () => {
    const dir = temp.make();
    cpSync(TINY_MODEL, dir, { recursive: true });
    const cfgPath = join(dir, 'config.json');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(cfgPath, JSON.stringify({ ...cfg, tie_word_embeddings: true }));
    const file = join(dir, 'model.safetensors');
    expectCheckpointError(() => loadCheckpoint(dir), { file, contains: ['tie_word_embeddings is true but the stored lm_head.weight differs from model.embeddings.weight at [0, 0]'], tensor: 'lm_head.weight', field: 'tie_word_embeddings' });
    const st = readSafetensors(file);
    const bytes = readFileSync(file);
    const emb = st.tensors.get('model.embeddings.weight')!;
    bytes.copy(bytes, st.tensors.get('lm_head.weight')!.byteOffset, emb.byteOffset, emb.byteOffset + emb.byteLength);
    writeFileSync(file, bytes);
    const c = loadCheckpoint(dir);
    expect(c.tensor('lm_head.weight')).toEqual(c.tensor('model.embeddings.weight'));
  });

  it('a config.json with a key twice is refused, naming the key', () => {
    const dir = temp.make();
    cpSync(TINY_MODEL, dir, { recursive: true });
    const cfgPath = join(dir, 'config.json');
    const text = readFileSync(cfgPath, 'utf8').replace('"hidden_size": 64,', '"hidden_size": 64, "hidden_size": 32,');
    writeFileSync(cfgPath, text);
    expectCheckpointError(() => loadCheckpoint(dir), { file: cfgPath, contains: ['key "hidden_size" appears twice in the top-level object'], field: 'hidden_size' });
  });
});

describe('files that are not regular files are refused without blocking', () => {
  const haveMkfifo = spawnSync('mkfifo', ['--version']).status === 0;
  it.skipIf(!haveMkfifo)('a FIFO as model.safetensors, as config.json, as the model path', () => {
    for (const which of ['model.safetensors', 'config.json']) {
      const dir = temp.make();
      copyFileSync(join(TINY_MODEL, 'config.json'), join(dir, 'config.json'));
      copyFileSync(join(TINY_MODEL, 'model.safetensors'), join(dir, 'model.safetensors'));
      const p = join(dir, which);
      spawnSync('rm', [p]);
      expect(spawnSync('mkfifo', [p]).status).toBe(0);
      expect(() => loadCheckpoint(dir)).toThrow(which === 'config.json' ? /config\.json: cannot read: is a FIFO, not a regular file/ : /model\.safetensors: is a FIFO, not a regular file/);
      if (which === 'model.safetensors') expect(() => openModel(p)).toThrow(/is a FIFO, not a regular file/);
    }
  });

  it('/dev/zero and a directory as the model', () => {
    expect(() => openModel('/dev/zero')).toThrow(/\/dev\/zero: not a checkpoint/);
    const dir = temp.make();
    expect(() => openModel(dir)).toThrow(/neither model.safetensors nor model.safetensors.index.json/);
  });
});
