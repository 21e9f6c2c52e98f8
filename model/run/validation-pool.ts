// The validation loss on several threads: windows are independent (fresh state each), so workers take
// interleaved windows and return per-window sums, added in window order: the result is identical,
// bit for bit, to the single-threaded loss.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { EngineKind } from '../engine.ts';

export interface PoolJob {
  /** How a worker opens the model: a path, or undefined for the embedded default. */
  model: string | undefined;
  engine: EngineKind;
  textPath: string;
  windows: number;
}

export interface PoolResult {
  loss: number;
  predictions: number;
  seconds: number;
  threads: number;
}

export async function validationLossParallel(job: PoolJob, threads = Math.min(os.availableParallelism(), job.windows), onWindow?: (done: number) => void): Promise<PoolResult> {
  const t0 = performance.now();
  const perWindow = new Float64Array(job.windows);
  const counts = new Float64Array(job.windows);
  let done = 0;
  await Promise.all(
    Array.from({ length: threads }, (_, k) => {
      const w = new Worker(new URL('./validation-worker-boot.mjs', import.meta.url), { workerData: { ...job, first: k, stride: threads } });
      return new Promise<void>((resolve, reject) => {
        w.on('message', (m: { window: number; nll: number; count: number }) => {
          perWindow[m.window] = m.nll;
          counts[m.window] = m.count;
          onWindow?.(++done);
        });
        w.on('error', reject);
        w.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`validation worker ${k} exited with code ${code}`))));
      });
    }),
  );
  let nll = 0;
  let n = 0;
  for (let i = 0; i < job.windows; i++) {
    nll += perWindow[i]!;
    n += counts[i]!;
  }
  return { loss: nll / n, predictions: n, seconds: (performance.now() - t0) / 1000, threads };
}
