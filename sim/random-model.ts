// A model of any shape with random weights, reproducible from a seed: the co-simulation's proof that
// nothing in the generator depends on the fixtures' sizes. The values follow model/random-values.ts,
// the rule `mmf random` writes checkpoints with (there in bf16).
import type { ModelShape, WeightSource } from '../model/config.ts';
import { randomWeights } from '../model/random-values.ts';

export function randomModel(shape: Omit<ModelShape, 'rmsNormEps'> & { rmsNormEps?: number }, seed = 1): WeightSource {
  return randomWeights({ rmsNormEps: 1e-6, ...shape }, seed);
}
