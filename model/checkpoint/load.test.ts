import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseHgrnBitConfig } from './config.ts';
import { loadCheckpoint, type Checkpoint } from './load.ts';
import { readSafetensors, tensorBytes } from './safetensors.ts';
import {
  buildSafetensors,
  expectCheckpointError,
  TINY_MODEL, SMALL_MODEL,
  smallConfigJson,
  syntheticTensors,
  syntheticValue,
  TempDirs,
  writeJson,
  type TensorSpec,
} from './test-support.ts';

const temp = new TempDirs();
afterAll(() => temp.cleanup());

const TINY = TINY_MODEL;
const SMALL = SMALL_MODEL;

/** A checkpoint directory with config.json and model.safetensors. */
function writeCheckpoint(configJson: Record<string, unknown>, tensors: TensorSpec[]): string {
  const dir = temp.make();
  writeJson(join(dir, 'config.json'), configJson);
  writeFileSync(join(dir, 'model.safetensors'), buildSafetensors(tensors, { metadata: { format: 'pt' } }));
  return dir;
}

function synthetic(dtype: 'BF16' | 'F16' | 'F32', overrides: Record<string, unknown> = {}): { json: Record<string, unknown>; tensors: TensorSpec[] } {
  const json = smallConfigJson(overrides);
  return { json, tensors: syntheticTensors(parseHgrnBitConfig(json, 'config.json'), dtype) };
}

/** Tensors of the shared tiny checkpoint with their raw bf16 bytes. */
function tinyTensors(): TensorSpec[] {
  const f = readSafetensors(join(TINY, 'model.safetensors'));
  return [...f.tensors.values()].map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, data: tensorBytes(f, t.name) }));
}

/** A sharded copy: shard k holds the tensors `shardOf` maps to k; the index can be edited. */
function writeSharded(
  configJson: Record<string, unknown>,
  tensors: TensorSpec[],
  shardOf: (name: string, i: number) => number,
  opts: { editWeightMap?: (wm: Record<string, string>) => void; extraInShard?: Record<number, TensorSpec[]> } = {},
): { dir: string; shards: string[]; index: string } {
  const dir = temp.make();
  writeJson(join(dir, 'config.json'), configJson);
  const count = Math.max(...tensors.map((t, i) => shardOf(t.name, i))) + 1;
  const names = Array.from({ length: count }, (_, k) => `model-${String(k + 1).padStart(5, '0')}-of-${String(count).padStart(5, '0')}.safetensors`);
  const weightMap: Record<string, string> = {};
  for (let k = 0; k < count; k++) {
    const mine = tensors.filter((t, i) => shardOf(t.name, i) === k);
    for (const t of mine) weightMap[t.name] = names[k]!;
    writeFileSync(join(dir, names[k]!), buildSafetensors([...mine, ...(opts.extraInShard?.[k] ?? [])], { metadata: { format: 'pt' } }));
  }
  opts.editWeightMap?.(weightMap);
  const index = join(dir, 'model.safetensors.index.json');
  writeJson(index, { metadata: { total_size: 0 }, weight_map: weightMap });
  return { dir, shards: names.map((n) => join(dir, n)), index };
}

function expectSameTensors(a: Checkpoint, b: Checkpoint): void {
  expect(a.names).toEqual(b.names);
  for (const n of a.names) {
    expect(a.shapes.get(n)).toEqual(b.shapes.get(n));
    expect(a.tensor(n)).toEqual(b.tensor(n));
  }
}

describe('the shared checkpoints', () => {
  const tiny = loadCheckpoint(TINY);

  it('tiny: tensor set, shapes, dtype, parameter count', () => {
    expect(tiny.dir).toBe(TINY);
    expect(tiny.files).toEqual([join(TINY, 'model.safetensors')]);
    expect(tiny.names.length).toBe(4 * 15 + 5);
    expect(tiny.parameterCount).toBe(298_368);
    expect(tiny.shapes.get('model.embeddings.weight')).toEqual([256, 64]);
    expect(tiny.shapes.get('lm_head.weight')).toEqual([256, 64]);
    expect(tiny.shapes.get('model.lower_bounds')).toEqual([4, 64]);
    expect(tiny.shapes.get('model.layers.3.attn.o_proj.weight')).toEqual([64, 64]);
    expect(tiny.shapes.get('model.layers.0.mlp.gate_proj.weight')).toEqual([512, 64]);
    expect(tiny.shapes.get('model.layers.0.mlp.down_proj.weight')).toEqual([64, 256]);
    expect(tiny.shapes.get('model.layers.0.mlp.down_proj.norm.weight')).toEqual([256]);
    expect(new Set(tiny.dtypes.values())).toEqual(new Set(['BF16']));
  });

  it('tiny: values are the bf16 bytes, converted by hand; tensors are cached', () => {
    const raw = readFileSync(join(TINY, 'model.safetensors'));
    const info = readSafetensors(join(TINY, 'model.safetensors')).tensors.get('model.lower_bounds')!;
    const lb = tiny.tensor('model.lower_bounds');
    expect(lb.length).toBe(4 * 64);
    const k = 2 * 64 + 5; // row 2, column 5
    const bits = raw.readUInt16LE(info.byteOffset + 2 * k);
    const sign = bits >> 15 ? -1 : 1;
    const exponent = (bits >> 7) & 0xff;
    const mantissa = bits & 0x7f;
    expect(exponent).toBeGreaterThan(0); // a normal number
    expect(lb[k]).toBe(sign * (1 + mantissa / 128) * 2 ** (exponent - 127));
    expect(tiny.tensor('model.lower_bounds')).toBe(lb);
  });

  it('small: shapes and parameter count', () => {
    const small = loadCheckpoint(SMALL);
    expect(small.config.intermediateSize).toBe(768);
    expect(small.names.length).toBe(6 * 15 + 5);
    expect(small.parameterCount).toBe(5_261_824);
    expect(small.shapes.get('model.layers.5.mlp.gate_proj.weight')).toEqual([1536, 256]);
    expect(small.shapes.get('model.layers.5.mlp.down_proj.weight')).toEqual([256, 768]);
    expect(small.shapes.get('model.lower_bounds')).toEqual([6, 256]);
    const w = small.tensor('model.layers.0.attn.i_proj.weight');
    expect(w.length).toBe(256 * 256);
    expect(w.every(Number.isFinite)).toBe(true);
  });

  it('accepts the path of model.safetensors itself', () => {
    expectSameTensors(loadCheckpoint(join(TINY, 'model.safetensors')), tiny);
  });
});

describe('sharded checkpoints', () => {
  const tinyJson = JSON.parse(readFileSync(join(TINY, 'config.json'), 'utf8'));

  it('tiny split into 2 shards loads the same tensors, from the directory, a shard or the index', () => {
    const tiny = loadCheckpoint(TINY);
    const { dir, shards, index } = writeSharded(tinyJson, tinyTensors(), (_, i) => (i < 30 ? 0 : 1));
    const sharded = loadCheckpoint(dir);
    expect(sharded.files).toEqual(shards);
    expectSameTensors(sharded, tiny);
    expect(loadCheckpoint(shards[1]!).files).toEqual(shards);
    expect(loadCheckpoint(index).names).toEqual(tiny.names);
  });

  const { json, tensors } = synthetic('BF16');
  const half = (_: string, i: number): number => (i % 2);

  it('a shard that does not exist', () => {
    const { dir, index } = writeSharded(json, tensors, half, {
      editWeightMap: (wm) => (wm['model.norm.weight'] = 'model-00003-of-00002.safetensors'),
    });
    expectCheckpointError(() => loadCheckpoint(dir), {
      file: index,
      contains: ['shard model-00003-of-00002.safetensors does not exist'],
      tensor: 'model.norm.weight',
    });
  });

  it('a tensor in two shards', () => {
    const dup = tensors.find((t) => t.name === 'model.norm.weight')!;
    const other = 1 - (tensors.indexOf(dup) % 2); // the shard that should not hold it
    const { dir, index } = writeSharded(json, tensors, half, { extraInShard: { [other]: [dup] } });
    expectCheckpointError(() => loadCheckpoint(dir), {
      file: index,
      contains: ['tensor is in both shards model-00001-of-00002.safetensors and model-00002-of-00002.safetensors'],
      tensor: 'model.norm.weight',
    });
  });

  it('a tensor in another shard than the index says', () => {
    const { dir, shards } = writeSharded(json, tensors, half, {
      editWeightMap: (wm) => {
        wm['model.layers.0.attn_norm.weight'] = wm['model.layers.0.attn_norm.weight']!.startsWith('model-00001') ? 'model-00002-of-00002.safetensors' : 'model-00001-of-00002.safetensors';
      },
    });
    const holder = shards.find((s) => readSafetensors(s).tensors.has('model.layers.0.attn_norm.weight'))!;
    const info = readSafetensors(holder).tensors.get('model.layers.0.attn_norm.weight')!;
    expectCheckpointError(() => loadCheckpoint(dir), {
      file: holder,
      contains: ['but model.safetensors.index.json says'],
      tensor: 'model.layers.0.attn_norm.weight',
      bytes: [info.byteOffset, info.byteOffset + info.byteLength],
    });
  });

  it('a shard tensor missing from the index', () => {
    const { dir } = writeSharded(json, tensors, half, { editWeightMap: (wm) => delete wm['lm_head.norm.weight'] });
    const k = tensors.findIndex((t) => t.name === 'lm_head.norm.weight') % 2;
    expectCheckpointError(() => loadCheckpoint(dir), {
      file: join(dir, `model-0000${k + 1}-of-00002.safetensors`),
      contains: ['tensor is not listed in the weight_map of model.safetensors.index.json'],
      tensor: 'lm_head.norm.weight',
    });
  });

  it('an index entry whose shard lacks the tensor', () => {
    const { dir, index } = writeSharded(json, tensors, half, { editWeightMap: (wm) => (wm['model.ghost'] = 'model-00001-of-00002.safetensors') });
    expectCheckpointError(() => loadCheckpoint(dir), {
      file: index,
      contains: ['the index puts the tensor in shard model-00001-of-00002.safetensors, which does not hold it'],
      tensor: 'model.ghost',
    });
  });

  it('shard names that leave the directory, a bad weight_map, an index that is not JSON', () => {
    const a = writeSharded(json, tensors, half, { editWeightMap: (wm) => (wm['model.norm.weight'] = '../elsewhere.safetensors') });
    expectCheckpointError(() => loadCheckpoint(a.dir), {
      file: a.index,
      contains: ['shard "../elsewhere.safetensors" must be a .safetensors file name in the same directory'],
      tensor: 'model.norm.weight',
      field: 'weight_map',
    });
    const b = writeSharded(json, tensors, half);
    writeJson(b.index, { weight_map: [1] });
    expectCheckpointError(() => loadCheckpoint(b.dir), { file: b.index, contains: ['weight_map must be an object'], field: 'weight_map' });
    writeFileSync(b.index, '{"weight_map": {');
    expectCheckpointError(() => loadCheckpoint(b.dir), { file: b.index, contains: ['not valid JSON'] });
  });

  it('a malformed shard is reported with its own file name', () => {
    const { dir, shards } = writeSharded(json, tensors, half);
    const bytes = readFileSync(shards[1]!);
    writeFileSync(shards[1]!, bytes.subarray(0, bytes.length - 2));
    expectCheckpointError(() => loadCheckpoint(dir), { file: shards[1]!, contains: ['run past the end of the data section'] });
  });
});

describe('dtypes and config variants', () => {
  for (const dtype of ['BF16', 'F16', 'F32'] as const) {
    it(`${dtype} checkpoint`, () => {
      const { json, tensors } = synthetic(dtype);
      const ck = loadCheckpoint(writeCheckpoint(json, tensors));
      expect(new Set(ck.dtypes.values())).toEqual(new Set([dtype]));
      tensors.forEach((t, ti) => {
        const values = ck.tensor(t.name);
        expect(values.length).toBe(t.shape.reduce((a, b) => a * b, 1));
        expect(Array.from(values)).toEqual(Array.from(values, (_, i) => syntheticValue(ti, i)));
      });
    });
  }

  it('mixed dtypes in one file', () => {
    const cfg = smallConfigJson();
    const bf = syntheticTensors(parseHgrnBitConfig(cfg, 'c'), 'BF16');
    const f16 = syntheticTensors(parseHgrnBitConfig(cfg, 'c'), 'F16');
    const f32 = syntheticTensors(parseHgrnBitConfig(cfg, 'c'), 'F32');
    const mixed = bf.map((t, i) => [t, f16[i]!, f32[i]!][i % 3]!);
    const ck = loadCheckpoint(writeCheckpoint(cfg, mixed));
    expect(new Set(ck.dtypes.values())).toEqual(new Set(['BF16', 'F16', 'F32']));
    expect(ck.tensor(mixed[4]!.name)[3]).toBe(syntheticValue(4, 3));
  });

  it('use_lower_bound false: no model.lower_bounds', () => {
    const { json, tensors } = synthetic('BF16', { use_lower_bound: false });
    expect(tensors.some((t) => t.name === 'model.lower_bounds')).toBe(false);
    expect(loadCheckpoint(writeCheckpoint(json, tensors)).names).not.toContain('model.lower_bounds');
    const withBounds = writeCheckpoint(json, synthetic('BF16').tensors);
    expectCheckpointError(() => loadCheckpoint(withBounds), {
      file: join(withBounds, 'model.safetensors'),
      contains: ['1 tensor not expected for the config: model.lower_bounds'],
      tensor: 'model.lower_bounds',
    });
  });

  it('tie_word_embeddings: lm_head.weight may be absent and then is the embedding', () => {
    const { json, tensors } = synthetic('F32', { tie_word_embeddings: true });
    const ck = loadCheckpoint(writeCheckpoint(json, tensors.filter((t) => t.name !== 'lm_head.weight')));
    expect(ck.names).not.toContain('lm_head.weight');
    expect(ck.tensor('lm_head.weight')).toBe(ck.tensor('model.embeddings.weight'));
  });
});

describe('checkpoint errors', () => {
  const { json, tensors } = synthetic('BF16');

  it('a path that does not exist, a directory without weights, both layouts, a non-checkpoint file', () => {
    const nowhere = join(temp.make(), 'nothing-here');
    expectCheckpointError(() => loadCheckpoint(nowhere), { file: nowhere, contains: ['cannot open checkpoint (ENOENT)'] });
    const empty = temp.make();
    expectCheckpointError(() => loadCheckpoint(empty), {
      file: empty,
      contains: ['neither model.safetensors nor model.safetensors.index.json found'],
    });
    const both = writeCheckpoint(json, tensors);
    writeJson(join(both, 'model.safetensors.index.json'), { weight_map: {} });
    expectCheckpointError(() => loadCheckpoint(both), { file: both, contains: ['both model.safetensors and model.safetensors.index.json are present'] });
    const dir = writeCheckpoint(json, tensors);
    expectCheckpointError(() => loadCheckpoint(join(dir, 'config.json')), { file: join(dir, 'config.json'), contains: ['not a checkpoint'] });
  });

  it('config.json missing, not JSON, or invalid', () => {
    const dir = temp.make();
    writeFileSync(join(dir, 'model.safetensors'), buildSafetensors(tensors));
    const cfg = join(dir, 'config.json');
    expectCheckpointError(() => loadCheckpoint(dir), { file: cfg, contains: ['file not found'] });
    writeFileSync(cfg, '{"model_type": ');
    expectCheckpointError(() => loadCheckpoint(dir), { file: cfg, contains: ['not valid JSON'] });
    writeJson(cfg, { ...json, num_heads: 2 });
    expectCheckpointError(() => loadCheckpoint(dir), { file: cfg, contains: ['num_heads must be 1'], field: 'num_heads' });
  });

  it('missing tensors: the first few are named', () => {
    const dir = writeCheckpoint(json, tensors.filter((t) => t.name !== 'model.norm.weight'));
    expectCheckpointError(() => loadCheckpoint(dir), {
      file: join(dir, 'model.safetensors'),
      contains: ['1 tensor missing for the config: model.norm.weight'],
      tensor: 'model.norm.weight',
    });
    const dir2 = writeCheckpoint(json, tensors.filter((t) => !t.name.startsWith('model.layers.1.')));
    expectCheckpointError(() => loadCheckpoint(dir2), {
      file: join(dir2, 'model.safetensors'),
      contains: ['15 tensors missing for the config: model.layers.1.attn_norm.weight, model.layers.1.attn.i_proj.weight,', '... (15 in all)'],
      tensor: 'model.layers.1.attn_norm.weight',
    });
  });

  it('extra tensors', () => {
    const extra = { name: 'model.layers.0.attn.h_conv1d.weight', dtype: 'BF16', shape: [2], data: new Uint8Array(4) };
    const dir = writeCheckpoint(json, [...tensors, extra]);
    expectCheckpointError(() => loadCheckpoint(dir), {
      file: join(dir, 'model.safetensors'),
      contains: ['1 tensor not expected for the config: model.layers.0.attn.h_conv1d.weight'],
      tensor: 'model.layers.0.attn.h_conv1d.weight',
    });
  });

  it('wrong shapes: expected vs got', () => {
    // config says intermediate 16: down_proj [8, 16]; the file holds [16, 8] (same byte count)
    const swapped = tensors.map((t) => (t.name.endsWith('mlp.down_proj.weight') ? { ...t, shape: [16, 8] } : t));
    const dir = writeCheckpoint(json, swapped);
    const info = readSafetensors(join(dir, 'model.safetensors')).tensors.get('model.layers.0.mlp.down_proj.weight')!;
    expectCheckpointError(() => loadCheckpoint(dir), {
      file: join(dir, 'model.safetensors'),
      contains: [
        '2 tensors have the wrong shape for the config: model.layers.0.mlp.down_proj.weight expected [8, 16], got [16, 8]; model.layers.1.mlp.down_proj.weight expected [8, 16], got [16, 8]',
      ],
      tensor: 'model.layers.0.mlp.down_proj.weight',
      bytes: [info.byteOffset, info.byteOffset + info.byteLength],
    });
  });

  it('an unknown tensor name', () => {
    const dir = writeCheckpoint(json, tensors);
    expectCheckpointError(() => loadCheckpoint(dir).tensor('model.layers.9.attn_norm.weight'), {
      file: join(dir, 'model.safetensors'),
      contains: ['no such tensor in the checkpoint'],
      tensor: 'model.layers.9.attn_norm.weight',
    });
  });
});
