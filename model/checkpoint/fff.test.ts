// FFF checkpoints (channel_mixer "fff"): config.json's fields checked strictly, the tensor set and the
// shapes the depth implies (N = 2^(D+1) - 1), each refusal one line naming the file and the field or
// tensor; the shipped tiny-fff8 fixture loads.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FFF_DEPTH_MAX, parseHgrnBitConfig } from './config.ts';
import { loadCheckpoint } from './load.ts';
import { writeRandomCheckpoint } from './random.ts';
import { streamingWeights } from './stream.ts';
import { weightsFromTensors, type WeightSource } from '../config.ts';
import type { Engine } from '../engine.ts';
import { FloatModel } from '../float/float-model.ts';
import { FixedModel } from '../fixed/fixed-model.ts';
import { FFF8_MODEL as TINY_FFF8, TempDirs, buildSafetensors, expectCheckpointError, smallConfigJson, syntheticTensors, writeJson } from './test-support.ts';

const FILE = '/some/dir/config.json';
const fffConfig = (depth: unknown, more: Record<string, unknown> = {}) => smallConfigJson({ channel_mixer: 'fff', fff_depth: depth, ...more });

describe('config.json of an FFF model', () => {
  it.each([0, 1, 5, 8, 12])('depth %i: N = 2^(D+1) - 1 nodes are the channel mixer width', (depth) => {
    const c = parseHgrnBitConfig(fffConfig(depth), FILE);
    expect([c.channelMixer, c.fffDepth, c.intermediateSize]).toEqual(['fff', depth, 2 ** (depth + 1) - 1]);
  });

  it('a GLU model says glu and has no depth; "glu" may be written', () => {
    for (const c of [parseHgrnBitConfig(smallConfigJson(), FILE), parseHgrnBitConfig(smallConfigJson({ channel_mixer: 'glu' }), FILE)]) {
      expect(c.channelMixer).toBe('glu');
      expect(c.fffDepth).toBeUndefined();
      expect(c.intermediateSize).toBe(16);
    }
  });

  it.each([
    [{ channel_mixer: 'moe' }, 'channel_mixer', 'channel_mixer must be "glu" or "fff", got "moe"'],
    [{ channel_mixer: 3 }, 'channel_mixer', 'channel_mixer must be "glu" or "fff", got 3'],
    [{ channel_mixer: 'fff' }, 'fff_depth', 'fff_depth is missing'],
    [{ channel_mixer: 'fff', fff_depth: -1 }, 'fff_depth', `fff_depth must be an integer in 0..${FFF_DEPTH_MAX}, got -1`],
    [{ channel_mixer: 'fff', fff_depth: 2.5 }, 'fff_depth', 'got 2.5'],
    [{ channel_mixer: 'fff', fff_depth: '8' }, 'fff_depth', 'got "8"'],
    [{ channel_mixer: 'fff', fff_depth: null }, 'fff_depth', 'got null'],
    [{ channel_mixer: 'fff', fff_depth: FFF_DEPTH_MAX + 1 }, 'fff_depth', `got ${FFF_DEPTH_MAX + 1}`],
    [{ channel_mixer: 'fff', fff_depth: 1e300 }, 'fff_depth', 'got 1e+300'],
    [{ fff_depth: 8 }, 'fff_depth', 'fff_depth is given but channel_mixer is "glu", not "fff"'],
  ])('%j is refused', (over, field, text) => {
    expectCheckpointError(() => parseHgrnBitConfig(smallConfigJson(over), FILE), { file: FILE, field, contains: [text] });
  });
});

describe('loading FFF checkpoints', () => {
  const tmp = new TempDirs();
  afterAll(() => tmp.cleanup());

  /** A checkpoint folder whose config says depth `configDepth` and whose tensors are those of depth `tensorDepth`. */
  function write(configDepth: number, tensorDepth = configDepth, edit?: (t: ReturnType<typeof syntheticTensors>) => ReturnType<typeof syntheticTensors>): string {
    const dir = tmp.make('mmf-fff-');
    const json = fffConfig(configDepth);
    writeJson(join(dir, 'config.json'), json);
    let tensors = syntheticTensors(parseHgrnBitConfig(fffConfig(tensorDepth), FILE), 'BF16');
    if (edit) tensors = edit(tensors);
    writeFileSync(join(dir, 'model.safetensors'), buildSafetensors(tensors));
    return dir;
  }

  it.each([0, 2, 4])('depth %i: node_in [N, d], node_out [d, N] and their norms load', (depth) => {
    const ck = loadCheckpoint(write(depth));
    const N = 2 ** (depth + 1) - 1;
    expect(ck.shapes.get('model.layers.1.mlp.node_in.weight')).toEqual([N, 8]);
    expect(ck.shapes.get('model.layers.1.mlp.node_in.norm.weight')).toEqual([8]);
    expect(ck.shapes.get('model.layers.1.mlp.node_out.weight')).toEqual([8, N]);
    expect(ck.shapes.get('model.layers.1.mlp.node_out.norm.weight')).toEqual([N]);
    expect(ck.names.some((n) => n.includes('gate_proj') || n.includes('down_proj'))).toBe(false);
  });

  it('tensors of another depth: the wrong shapes, and where N comes from', () => {
    const dir = write(3, 2);
    expectCheckpointError(() => loadCheckpoint(dir), {
      file: join(dir, 'model.safetensors'),
      contains: ['wrong shape for the config', 'expected [15, 8], got [7, 8]', '(fff_depth 3: N = 2^(3+1) - 1 = 15 nodes)'],
      tensor: 'model.layers.0.mlp.node_in.weight',
    });
  });

  it('a node_out stored as [N, d] (not transposed) is refused', () => {
    const dir = write(2, 2, (ts) => ts.map((t) => (t.name.endsWith('node_out.weight') ? { ...t, shape: [7, 8] } : t)));
    expectCheckpointError(() => loadCheckpoint(dir), { file: join(dir, 'model.safetensors'), contains: ['expected [8, 7], got [7, 8]', 'N = 2^(2+1) - 1 = 7'] });
  });

  it('a GLU checkpoint under an FFF config, and a missing node norm, name the tensors', () => {
    const glu = tmp.make('mmf-fff-');
    writeJson(join(glu, 'config.json'), fffConfig(2));
    writeFileSync(join(glu, 'model.safetensors'), buildSafetensors(syntheticTensors(parseHgrnBitConfig(smallConfigJson(), FILE), 'BF16')));
    expectCheckpointError(() => loadCheckpoint(glu), { file: join(glu, 'model.safetensors'), contains: ['missing for the config', 'mlp.node_in.weight'] });
    const dir = write(2, 2, (ts) => ts.filter((t) => t.name !== 'model.layers.1.mlp.node_out.norm.weight'));
    expectCheckpointError(() => loadCheckpoint(dir), { file: join(dir, 'model.safetensors'), contains: ['1 tensor missing'], tensor: 'model.layers.1.mlp.node_out.norm.weight' });
  });

  it('the shipped tiny-fff8: depth 8, 511 nodes, 4 layers', () => {
    const ck = loadCheckpoint(TINY_FFF8);
    expect([ck.config.channelMixer, ck.config.fffDepth, ck.config.intermediateSize, ck.config.numLayers]).toEqual(['fff', 8, 511, 4]);
    expect(ck.shapes.get('model.layers.3.mlp.node_out.weight')).toEqual([64, 511]);
  });

  it.each([[24, 3, 2], [40, 5, 1]])('a random FFF checkpoint (d %i, depth %i, %i layers) as mmf random writes it: streamed or whole, path or dense, the same logits', async (d, depth, layers) => {
    const dir = tmp.make('mmf-fff-random-');
    await writeRandomCheckpoint({ hiddenSize: d, numLayers: layers, intermediateSize: 2 ** (depth + 1) - 1, vocabSize: 256, rmsNormEps: 1e-6, channelMixer: 'fff', fffDepth: depth }, 5, dir);
    const ck = loadCheckpoint(dir);
    expect([ck.config.channelMixer, ck.config.fffDepth]).toEqual(['fff', depth]);
    const sources: WeightSource[] = [weightsFromTensors(ck.config, ck.tensor), streamingWeights(ck)];
    const run = (e: Engine) => {
      const s = e.newState();
      return [3, 200, 17, 17, 99].map((t) => Float32Array.from(e.step(s, t)));
    };
    for (const make of [(w: WeightSource) => new FloatModel(w), (w: WeightSource) => FixedModel.fromSource(w)]) {
      const want = run(make(sources[0]!));
      expect(run(make(sources[1]!))).toEqual(want);
    }
    expect(run(new FloatModel(sources[1]!, { fffDense: true }))).toEqual(run(new FloatModel(sources[0]!)));
    expect(run(FixedModel.fromSource(sources[1]!, { fffDense: true }))).toEqual(run(FixedModel.fromSource(sources[0]!)));
  });
});
