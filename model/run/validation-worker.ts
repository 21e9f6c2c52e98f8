// One thread of validationLossParallel: opens the model itself and scores its share of the windows.
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { openModel, makeEngine } from '../open.ts';
import { validationWindows, windowNll } from './validation.ts';
import type { PoolJob } from './validation-pool.ts';

const job = workerData as PoolJob & { first: number; stride: number };
const m = openModel(job.model);
const engine = makeEngine(job.engine, m.weights);
const windows = validationWindows(fs.readFileSync(job.textPath), m.tokenizer, job.windows);
for (let i = job.first; i < windows.length; i += job.stride) {
  const ids = windows[i]!.ids;
  parentPort!.postMessage({ window: i, nll: windowNll(engine, ids), count: ids.length - 1 });
}
