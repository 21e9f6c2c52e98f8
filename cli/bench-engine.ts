// One golden-engine measurement in a process of its own, so that its peak RSS is the engine's alone:
// open the model, build the engine, run warm-up tokens, then time `tokens` steps; print one JSON object.
//   npx tsx cli/bench-engine.ts --model DIR --engine float|fixed --tokens N [--warmup N]
// Token ids are fed back from the argmax (the model may have no tokenizer).
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { argmax } from '../model/engine.ts';
import { engineKind, makeEngine, openModel } from '../model/open.ts';
import { matvecThreads } from '../numerics/matvec-pool.ts';
import { exitOnUncaught } from './run-command.ts';

exitOnUncaught('bench-engine');

export interface EngineBench {
  engine: string;
  threads: number;
  loadSeconds: number;
  tokens: number;
  tokensPerSecond: number;
  /** Peak resident set of the whole process (every thread), in bytes. */
  peakRssBytes: number;
}

const { values } = parseArgs({ options: { model: { type: 'string' }, engine: { type: 'string', default: 'float' }, tokens: { type: 'string', default: '8' }, warmup: { type: 'string', default: '2' } } });
const count = (v: string, what: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${what} must be a non-negative integer, got '${v}'`);
  return n;
};
const tokens = count(values.tokens!, 'tokens');
const warmup = count(values.warmup!, 'warmup');
const kind = engineKind(values.engine!);

const t0 = performance.now();
const m = openModel(values.model);
const engine = makeEngine(kind, m.weights);
const loadSeconds = (performance.now() - t0) / 1000;
const state = engine.newState();
let token = 1 % engine.config.vocabSize;
for (let t = 0; t < warmup; t++) token = argmax(engine.step(state, token));
const t1 = performance.now();
for (let t = 0; t < tokens; t++) token = argmax(engine.step(state, token));
const seconds = (performance.now() - t1) / 1000;
const result: EngineBench = {
  engine: kind,
  threads: matvecThreads(),
  loadSeconds,
  tokens,
  tokensPerSecond: tokens / seconds,
  peakRssBytes: process.resourceUsage().maxRSS * 1024,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
