// The validation loss as the fixtures define it (reference.json "val"): the last 10% of the text file
// (from floor(0.9 n)), 256 windows of 256 bytes, each fed with a fresh state, predicting the byte after
// each position (so a window reads 257 bytes; windows start 256 bytes apart). Measured on the fixtures
// this reproduces the reference loss to 1e-6 relative; the 255-prediction reading does not.
// Models with a real tokenizer get the same split, with tokens in place of bytes.
import { type Engine, crossEntropy } from '../engine.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';

export const VAL = { fraction: 0.9, windows: 256, length: 256 } as const;

export interface ValWindow {
  /** length + 1 token ids: inputs are [0, length), targets [1, length]. */
  ids: Uint8Array | Uint32Array;
}

/** The ids of the last 10% of a text: its bytes for byte-level models, else its tokens. */
export function validationIds(text: Uint8Array, tokenizer: Tokenizer): Uint8Array | Uint32Array {
  const start = Math.floor(VAL.fraction * text.length);
  return tokenizer.source === 'bytes' ? text.subarray(start) : Uint32Array.from(tokenizer.encode(Buffer.from(text.subarray(start)).toString('utf8')));
}

/** How many whole windows (VAL.length predictions each) the last 10% of a text holds. */
export function availableWindows(text: Uint8Array, tokenizer: Tokenizer): number {
  return Math.max(0, Math.floor((validationIds(text, tokenizer).length - 1) / VAL.length));
}

/** The validation windows of a text file: bytes for byte-level models, else tokens of the last 10%. */
export function validationWindows(text: Uint8Array, tokenizer: Tokenizer, windows: number = VAL.windows): ValWindow[] {
  const ids = validationIds(text, tokenizer);
  const need = windows * VAL.length + 1;
  if (ids.length < need) {
    throw new Error(`the last 10% of the text gives ${ids.length} ${tokenizer.source === 'bytes' ? 'bytes' : 'tokens'}; ${windows} windows of ${VAL.length} need ${need}`);
  }
  return Array.from({ length: windows }, (_, w) => ({ ids: ids.subarray(w * VAL.length, (w + 1) * VAL.length + 1) }));
}

export interface LossResult {
  loss: number;
  predictions: number;
  seconds: number;
}

/** The summed cross-entropy of one window, from a fresh state. */
export function windowNll(engine: Engine, ids: ArrayLike<number>): number {
  const state = engine.newState();
  let nll = 0;
  for (let t = 0; t < ids.length - 1; t++) nll += crossEntropy(engine.step(state, ids[t]!), ids[t + 1]!);
  return nll;
}

/** Mean cross-entropy in nats per token over the windows (window sums added in order, as the thread pool does). */
export function validationLoss(engine: Engine, windows: ValWindow[], onWindow?: (done: number) => void): LossResult {
  const t0 = performance.now();
  let nll = 0;
  let count = 0;
  windows.forEach((w, i) => {
    nll += windowNll(engine, w.ids);
    count += w.ids.length - 1;
    onWindow?.(i + 1);
  });
  return { loss: nll / count, predictions: count, seconds: (performance.now() - t0) / 1000 };
}
