// A model of any shape with random weights, reproducible from a seed: the co-simulation's proof that
// nothing in the generator depends on the fixtures' sizes. Projections are uniform in [-1, 1] (their
// ternarisation is upstream's), norm weights around 1 with either sign, embeddings uniform, lower
// bounds random logits.
import { type ModelShape, type WeightSource, modelTensors, weightsFromTensors } from '../model/config.ts';
import { seededRandom } from '../util/prng.ts';

export function randomModel(shape: Omit<ModelShape, 'rmsNormEps'> & { rmsNormEps?: number }, seed = 1): WeightSource {
  const config: ModelShape = { rmsNormEps: 1e-6, ...shape };
  const rnd = seededRandom(seed);
  const tensors = new Map<string, Float32Array>();
  for (const t of modelTensors(config)) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    const isNorm = t.kind === 'vector' && t.name.endsWith('norm.weight');
    for (let i = 0; i < n; i++) {
      const u = 2 * rnd() - 1;
      v[i] = isNorm ? (rnd() < 0.1 ? -1 : 1) * (0.5 + rnd()) : t.name.includes('lower_bounds') ? 3 * u : u;
    }
    tensors.set(t.name, v);
  }
  return weightsFromTensors(config, (name) => {
    const t = tensors.get(name);
    if (!t) throw new Error(`random model has no tensor ${name}`);
    return t;
  });
}
