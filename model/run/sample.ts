// Choosing the next token: greedy, or temperature with optional top-k from a seeded generator.
import { argmax } from '../engine.ts';
import { seededRandom } from '../../util/prng.ts';

export interface SamplingOptions {
  temperature: number;
  topK?: number;
  seed: number;
}

export function makeSampler(opts: SamplingOptions | undefined): (logits: Float32Array) => number {
  if (!opts || opts.temperature <= 0) return argmax;
  const rand = seededRandom(opts.seed);
  return (logits) => {
    const idx = Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]! || a - b);
    const keep = idx.slice(0, opts.topK && opts.topK > 0 ? opts.topK : idx.length);
    const max = logits[keep[0]!]!;
    const w = keep.map((i) => Math.exp((logits[i]! - max) / opts.temperature));
    const total = w.reduce((a, b) => a + b, 0);
    let r = rand() * total;
    for (let k = 0; k < keep.length; k++) {
      r -= w[k]!;
      if (r <= 0) return keep[k]!;
    }
    return keep[keep.length - 1]!;
  };
}
