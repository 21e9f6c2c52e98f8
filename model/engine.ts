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

/** The greedy continuation of `prompt`: n tokens, each the argmax of the logits after the one before. */
export function greedy<S>(engine: Engine<S>, prompt: readonly number[], n: number): number[] {
  const state = engine.newState();
  let logits: Float32Array | undefined;
  for (const t of prompt) logits = engine.step(state, t);
  const out: number[] = [];
  while (out.length < n) {
    out.push(argmax(logits!));
    if (out.length < n) logits = engine.step(state, out.at(-1)!);
  }
  return out;
}

/** -log softmax(logits)[target], computed stably. */
export function crossEntropy(logits: ArrayLike<number>, target: number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  let z = 0;
  for (let i = 0; i < logits.length; i++) z += Math.exp(logits[i]! - max);
  return Math.log(z) + max - logits[target]!;
}
