// Opening a model by path (what --model names): a checkpoint directory (or a .safetensors file in one), a packed model file, or
// nothing for the embedded tiny model. Returns what the engines and the tokenizer need.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCheckpoint } from './checkpoint/load.ts';
import { loadTokenizer } from './tokenizer/load.ts';
import type { Tokenizer } from './tokenizer/tokenizer.ts';
import { type ModelShape, type WeightSource, modelTensors } from './config.ts';
import { isMainThread } from 'node:worker_threads';
import { defaultMatvecThreads, useMatvecThreadsSync } from '../numerics/matvec-pool.ts';
import { streamingWeights } from './checkpoint/stream.ts';
import type { Engine, EngineKind } from './engine.ts';
import { FloatModel } from './float/float-model.ts';
import { FixedModel } from './fixed/fixed-model.ts';
import { isPackedFile, readPacked } from './packed/index.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The model used when --model is not given: the tiny fixture, copied into the repository. */
export const EMBEDDED_MODEL = path.join(repoRoot, 'models', 'tiny');

export interface OpenedModel {
  /** The folder that holds the model (for tokenizer.json and the reference files). */
  dir: string;
  label: string;
  weights: WeightSource;
  tokenizer: Tokenizer;
}

/** How a model is named in reports: relative to the working folder when inside it. */
function labelOf(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

export function openModel(where: string | undefined): OpenedModel {
  // An empty --model would resolve to the working folder and be reported as a broken checkpoint there.
  if (where !== undefined && where.trim() === '') throw new Error('--model: empty path');
  const target = path.resolve(where ?? EMBEDDED_MODEL);
  if (!fs.existsSync(target)) throw new Error(`${target}: no such file or directory`);
  if (fs.statSync(target).isFile() && isPackedFile(target)) {
    const packed = readPacked(target);
    const dir = path.dirname(target);
    return { dir, label: labelOf(target), weights: packed, tokenizer: loadTokenizer(dir, packed.config.vocabSize) };
  }
  const ckpt = loadCheckpoint(target);
  return { dir: ckpt.dir, label: labelOf(ckpt.dir), weights: streamingWeights(ckpt), tokenizer: loadTokenizer(ckpt.dir, ckpt.config.vocabSize) };
}

/**
 * Models with at least this many ternary weights spread their products over threads (numerics/
 * matvec-pool.ts): MMF_THREADS of them, else every core. Below it (the fixtures) a product is too short
 * for a thread round trip to pay.
 */
export const THREADED_MODEL_WEIGHTS = 16 * 2 ** 20;

/** The ternary weights of a model of this shape. */
export function ternaryWeightCount(config: ModelShape): number {
  return modelTensors(config).reduce((n, t) => (t.kind === 'ternary' ? n + t.shape[0]! * t.shape[1]! : n), 0);
}

export function makeEngine(kind: string, weights: WeightSource): Engine {
  // Worker threads (the validation pool's) run one engine each already: they stay on one thread.
  if (isMainThread && (kind === 'float' || kind === 'fixed') && ternaryWeightCount(weights.config) >= THREADED_MODEL_WEIGHTS) {
    useMatvecThreadsSync(defaultMatvecThreads());
  }
  if (kind === 'float') return new FloatModel(weights);
  if (kind === 'fixed') return FixedModel.fromSource(weights);
  throw new Error(`--engine must be float or fixed, got '${kind}'`);
}

export function engineKind(v: string): EngineKind {
  if (v !== 'float' && v !== 'fixed') throw new Error(`--engine must be float or fixed, got '${v}'`);
  return v;
}

/**
 * The text the fixtures' losses are defined on: tiny Shakespeare (public domain, 1,115,394 bytes),
 * shipped in the repository so eval and parity need nothing beside it.
 */
export const DEFAULT_TEXT = path.join(repoRoot, 'data', 'tinyshakespeare.txt');

/** The default text for losses (kept as a function for the callers that may find none). */
export function defaultText(): string | undefined {
  return fs.existsSync(DEFAULT_TEXT) ? DEFAULT_TEXT : undefined;
}
