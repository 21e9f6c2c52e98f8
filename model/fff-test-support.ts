// Test helper: an FFF model of any shape with random weights (model/random-values.ts's rule), held in
// memory. Used by the engines' FFF tests only.
import { type WeightSource, fffNodeCount } from './config.ts';
import { randomWeights } from './random-values.ts';

export function randomFffSource(d: number, depth: number, layers: number, vocab: number, seed: number): WeightSource {
  return randomWeights({ hiddenSize: d, intermediateSize: fffNodeCount(depth), numLayers: layers, vocabSize: vocab, rmsNormEps: 1e-6, channelMixer: 'fff', fffDepth: depth }, seed);
}
