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

/** What reference.json says of its validation loss ("val"): its loss and, in some form, how many windows. */
export interface ReferenceVal {
  loss_nats_per_byte?: number;
  /** Windows of VAL.length tokens, when stated so. */
  windows?: number;
  /** Bytes (byte-level models) or tokens the loss was measured over: windows x VAL.length. */
  bytes?: number;
  tokens?: number;
}

/**
 * How many validation windows parity measures: `requested` (--windows) when given; else what the
 * reference states (val.windows, or val.bytes / val.tokens over the window length), which must fit the
 * text; else every window the text holds, at most VAL.windows (a trained tokenizer may fill fewer than
 * 256). Returns the count and where it came from, or an error message naming reference.json's field.
 */
export function parityWindows(val: ReferenceVal | undefined, available: number, windowLength: number, maxWindows: number, requested?: number): { windows: number; source: string } | { error: string } {
  if (requested !== undefined) {
    if (requested > available) return { error: `--windows ${requested}: the text holds ${available} windows of ${windowLength}` };
    return { windows: requested, source: '--windows' };
  }
  const stated = (field: 'windows' | 'bytes' | 'tokens'): number | undefined => {
    const v = val?.[field];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) return NaN;
    return field === 'windows' ? v : v / windowLength;
  };
  for (const field of ['windows', 'tokens', 'bytes'] as const) {
    const w = stated(field);
    if (w === undefined) continue;
    if (!Number.isSafeInteger(w) || w <= 0) return { error: `val.${field} ${JSON.stringify(val?.[field])} is not a positive ${field === 'windows' ? 'integer' : `multiple of ${windowLength}`}` };
    if (w > available) return { error: `val.${field} states ${w} windows of ${windowLength}, the text holds ${available}: give the text the reference used, or --windows` };
    return { windows: w, source: `reference.json val.${field}` };
  }
  if (available < 1) return { error: `the text holds no window of ${windowLength}` };
  return { windows: Math.min(available, maxWindows), source: available < maxWindows ? `all the text holds (fewer than ${maxWindows})` : `the default ${maxWindows}` };
}
