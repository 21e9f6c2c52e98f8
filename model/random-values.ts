// The value rule of random-weight models, shared by the in-memory random model (sim/random-model.ts)
// and the checkpoint writer (model/checkpoint/random.ts), so a checkpoint written with seed N holds
// the bf16 rounding of exactly the values randomModel(shape, N) computes.
//
// Projections are uniform in [-1, 1] (their ternarisation is upstream's), norm weights around 1 with
// either sign (|w| in [0.5, 1.5), one in ten negative), embeddings uniform in [-1, 1], lower bounds
// uniform logits in [-3, 3]. One generator runs through the tensors in modelTensors order and the rule
// depends only on the tensor, not on the element's position: filling a tensor in chunks of any size
// gives the same values as filling it at once, which is what lets the writer stream.
import { type ModelShape, type TensorSpec, type WeightSource, modelTensors, weightsFromTensors } from './config.ts';
import { seededRandom } from '../util/prng.ts';

/** Fills `out` with the next out.length values of tensor `t`, drawing from `rnd`. */
export function fillRandomValues(t: TensorSpec, rnd: () => number, out: Float32Array): void {
  const isNorm = t.kind === 'vector' && t.name.endsWith('norm.weight');
  const scale = t.name.includes('lower_bounds') ? 3 : 1;
  for (let i = 0; i < out.length; i++) {
    const u = 2 * rnd() - 1;
    out[i] = isNorm ? (rnd() < 0.1 ? -1 : 1) * (0.5 + rnd()) : scale * u;
  }
}

/** A model of this shape with every tensor filled by the rule above from `seed`, held in memory (float32). */
export function randomWeights(config: ModelShape, seed: number): WeightSource {
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
