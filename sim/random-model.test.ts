// randomModel and `mmf random` share one value rule: a checkpoint written with seed N is the bf16
// rounding of randomModel(shape, N), tensor for tensor, whatever the shape.
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { loadCheckpoint } from '../model/checkpoint/load.ts';
import { writeRandomCheckpoint } from '../model/checkpoint/random.ts';
import { bf16ToFloat32 } from '../model/checkpoint/safetensors.ts';
import { TempDirs } from '../model/checkpoint/test-support.ts';
import { modelTensors } from '../model/config.ts';
import { randomModel } from './random-model.ts';

const temp = new TempDirs();
afterAll(() => temp.cleanup());

/** The bf16 neighbour nearest to x (float32), ties to the even one. */
function nearestBf16(x: number): number {
  const hi = new Uint32Array(Float32Array.of(x).buffer)[0]! >>> 16;
  const [a, b] = [bf16ToFloat32(hi), bf16ToFloat32(hi + 1)];
  const [da, db] = [Math.abs(x - a), Math.abs(b - x)];
  return da < db || (da === db && hi % 2 === 0) ? a : b;
}

it.each([
  [{ hiddenSize: 16, intermediateSize: 24, numLayers: 1, vocabSize: 50 }, 3],
  [{ hiddenSize: 40, intermediateSize: 72, numLayers: 2, vocabSize: 100 }, 11],
  [{ hiddenSize: 32, intermediateSize: 88, numLayers: 3, vocabSize: 256 }, 0],
])('randomModel(%j, %i) is what mmf random writes, before bf16 rounding', async (shape, seed) => {
  const dir = join(temp.make(), 'm');
  await writeRandomCheckpoint({ ...shape, rmsNormEps: 1e-6, useLowerBound: true }, seed, dir);
  const ckpt = loadCheckpoint(dir);
  const model = randomModel(shape, seed);
  for (const t of modelTensors(model.config)) {
    const want = Array.from(model.vector(t.name), nearestBf16);
    expect(Array.from(ckpt.tensor(t.name)), t.name).toEqual(want);
  }
});
