// Parity with the upstream reference outputs (reference.json + reference.safetensors beside a
// checkpoint): logits per prompt position, teacher-forced next-token agreement over each prompt and
// its 96 reference greedy tokens, and how far free-running greedy decoding follows the reference.
import { type Engine, argmax } from '../engine.ts';

export interface ReferencePrompt {
  text: string;
  ids: number[];
  greedy_ids: number[];
}

export interface PromptParity {
  maxAbsLogitDiff: number;
  meanAbsLogitDiff: number;
  /** Positions where the argmax of the next-token prediction equals the reference token. */
  teacherForcedAgree: number;
  teacherForcedTotal: number;
  /** Generated tokens equal to the reference's before the first difference. */
  freeRunMatched: number;
}

/** Compare one prompt: `refLogits` is [ids.length, vocab] row-major. */
export function promptParity(engine: Engine, p: ReferencePrompt, refLogits: Float32Array): PromptParity {
  const V = engine.config.vocabSize;
  let maxDiff = 0;
  let sumDiff = 0;
  let agree = 0;
  let total = 0;
  const state = engine.newState();
  const seq = [...p.ids, ...p.greedy_ids];
  for (let t = 0; t < seq.length - 1; t++) {
    const logits = engine.step(state, seq[t]!);
    if (t < p.ids.length) {
      for (let v = 0; v < V; v++) {
        const d = Math.abs(logits[v]! - refLogits[t * V + v]!);
        maxDiff = Math.max(maxDiff, d);
        sumDiff += d;
      }
    }
    // Predictions from the last prompt position on are the ones the greedy reference continues.
    if (t >= p.ids.length - 1) {
      total++;
      if (argmax(logits) === seq[t + 1]) agree++;
    }
  }
  return {
    maxAbsLogitDiff: maxDiff,
    meanAbsLogitDiff: sumDiff / (p.ids.length * V),
    teacherForcedAgree: agree,
    teacherForcedTotal: total,
    freeRunMatched: freeRun(engine, p),
  };
}

function freeRun(engine: Engine, p: ReferencePrompt): number {
  const state = engine.newState();
  let logits: Float32Array | undefined;
  for (const id of p.ids) logits = engine.step(state, id);
  let matched = 0;
  for (const want of p.greedy_ids) {
    const got = argmax(logits!);
    if (got !== want) break;
    matched++;
    logits = engine.step(state, got);
  }
  return matched;
}
