// A model of any shape with random weights, reproducible from a seed: the co-simulation's proof that
// nothing in the generator depends on the fixtures' sizes. The values follow model/random-values.ts,
// the rule `mmf random` writes checkpoints with (there in bf16).
import { type ModelShape, type WeightSource, modelTensors, weightsFromTensors } from '../model/config.ts';
import { fillRandomValues } from '../model/random-values.ts';
import { seededRandom } from '../util/prng.ts';

export function randomModel(shape: Omit<ModelShape, 'rmsNormEps'> & { rmsNormEps?: number }, seed = 1): WeightSource {
  const config: ModelShape = { rmsNormEps: 1e-6, ...shape };
  const rnd = seededRandom(seed);
  const tensors = new Map<string, Float32Array>();
  for (const t of modelTensors(config)) {
    const v = new Float32Array(t.shape.reduce((a, b) => a * b, 1));
    fillRandomValues(t, rnd, v);
    tensors.set(t.name, v);
  }
  return weightsFromTensors(config, (name) => {
    const t = tensors.get(name);
    if (!t) throw new Error(`random model has no tensor ${name}`);
    return t;
  });
}
