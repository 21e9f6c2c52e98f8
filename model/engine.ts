// What the CLI, the evaluator and the co-simulation need from an engine: a state per sequence and a
// step that feeds one token and returns the next token's logits.
import type { ModelShape } from './config.ts';

export type EngineKind = 'float' | 'fixed';

export interface Engine<S = unknown> {
  readonly kind: EngineKind;
  readonly config: ModelShape;
  newState(): S;
  /** Logits for the token after `token`; the buffer is reused by the next call. */
  step(state: S, token: number): Float32Array;
}

export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

/** -log softmax(logits)[target], computed stably. */
export function crossEntropy(logits: ArrayLike<number>, target: number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  let z = 0;
  for (let i = 0; i < logits.length; i++) z += Math.exp(logits[i]! - max);
  return Math.log(z) + max - logits[target]!;
}
