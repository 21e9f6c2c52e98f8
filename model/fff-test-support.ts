// Test helper: an FFF model of any shape with random weights (model/random-values.ts's rule), held in
// memory. Used by the engines' FFF tests only.
import { type ModelShape, type WeightSource, fffNodeCount, modelTensors, weightsFromTensors } from './config.ts';
import { fillRandomValues } from './random-values.ts';
import { seededRandom } from '../util/prng.ts';

export function randomFffSource(d: number, depth: number, layers: number, vocab: number, seed: number): WeightSource {
  const config: ModelShape = { hiddenSize: d, intermediateSize: fffNodeCount(depth), numLayers: layers, vocabSize: vocab, rmsNormEps: 1e-6, channelMixer: 'fff', fffDepth: depth };
  const rnd = seededRandom(seed);
  const tensors = new Map<string, Float32Array>();
  for (const t of modelTensors(config)) {
    const v = new Float32Array(t.shape.reduce((a, b) => a * b, 1));
    fillRandomValues(t, rnd, v);
    tensors.set(t.name, v);
  }
  return weightsFromTensors(config, (name) => {
    const t = tensors.get(name);
    if (!t) throw new Error(`random FFF model has no tensor ${name}`);
    return t;
  });
}

