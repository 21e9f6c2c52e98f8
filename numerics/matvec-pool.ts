// Ternary products on several threads, behind the synchronous TernaryMatrix.matvec the engines call.
// The pattern of model/run/validation-pool.ts (worker_threads booted through tsx), with the weights
// shared instead of copied: a matrix's packed words already sit in a SharedArrayBuffer, so a worker is
// told once where they are (a message it reads synchronously with receiveMessageOnPort) and then only
// which matrix to multiply. Each product splits the columns into one contiguous word range per thread
// (the calling thread takes the first); each thread adds its columns' contribution to every row and the
// caller sums the parts. Integer sums: identical to the single-thread product whatever the split.
//
// Control (an Int32Array in shared memory): the caller writes the job, bumps SEQ and wakes the workers
// (Atomics.notify); each worker does its part, bumps DONE and wakes the caller, which waits in
// Atomics.wait. A round trip costs about 20 us: a 1.3B token does 145 products.
import os from 'node:os';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { TernaryMatrix, setMatvecExecutor, type MatvecExecutor } from './ternary.ts';
import { KernelScratch, accumulateWords, tableFits } from './ternary-kernel.ts';

/** Slots of the control array. */
export const CTRL = { seq: 0, done: 1, ready: 2, error: 3, stop: 4, matrix: 5, parts: 6, size: 8 } as const;

/** What the pool tells a worker (through its port, read when the worker wakes). */
export type PoolMessage =
  | { kind: 'io'; q: Int32Array; partial: Int32Array }
  | { kind: 'matrix'; id: number; words: Uint32Array; rows: number; wordsPerRow: number }
  | { kind: 'forget'; id: number };

export interface WorkerInit {
  ctrl: Int32Array;
  port: MessagePort;
  /** This worker's part: 1 .. threads - 1 (the caller takes 0). */
  part: number;
}

/** The word range of part k of n over `wpr` words. */
export function partRange(wpr: number, parts: number, k: number): [number, number] {
  return [Math.floor((k * wpr) / parts), Math.floor(((k + 1) * wpr) / parts)];
}

/** Products smaller than this stay on the calling thread (a round trip would cost more than it saves). */
export const DEFAULT_MIN_WEIGHTS = 1 << 18;
/** How long the caller waits for the workers to start, and for any one product, before giving up. */
const START_TIMEOUT_MS = 120_000;
const JOB_TIMEOUT_MS = 600_000;

class MatvecPool implements MatvecExecutor {
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(4 * CTRL.size));
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private readonly ids = new WeakMap<TernaryMatrix, number>();
  private readonly forget = new FinalizationRegistry<number>((id) => this.post({ kind: 'forget', id }));
  private nextId = 1;
  private q = new Int32Array(new SharedArrayBuffer(0));
  private partial = new Int32Array(new SharedArrayBuffer(0));
  private readonly scratch = new KernelScratch();
  private started = false;
  /** Products run on the threads so far. */
  products = 0;
  private stopped = false;

  constructor(
    readonly threads: number,
    readonly minWeights: number,
  ) {
    for (let part = 1; part < threads; part++) {
      const { port1, port2 } = new MessageChannel();
      const init: WorkerInit = { ctrl: this.ctrl, port: port2, part };
      const w = new Worker(new URL('./matvec-worker-boot.mjs', import.meta.url), { workerData: init, transferList: [port2] });
      w.unref(); // an idle pool never keeps the process alive
      port1.unref();
      this.workers.push(w);
      this.ports.push(port1);
    }
  }

  private post(m: PoolMessage): void {
    for (const p of this.ports) p.postMessage(m);
  }

  /** Blocks until `slot` reaches `want`, or throws after timeoutMs. */
  private waitFor(slot: number, want: number, timeoutMs: number, what: string): void {
    const t0 = Date.now();
    for (let v = Atomics.load(this.ctrl, slot); v < want; v = Atomics.load(this.ctrl, slot)) {
      Atomics.wait(this.ctrl, slot, v, 1000);
      if (Date.now() - t0 > timeoutMs) throw new Error(`matvec threads: ${what} (waited ${Math.round(timeoutMs / 1000)} s)`);
    }
  }

  run(m: TernaryMatrix, q: Int32Array | Int8Array, out: Int32Array): boolean {
    const wpr = m.wordsPerRow;
    const parts = Math.min(this.threads, wpr);
    // Words outside shared memory would be copied to every worker: such a matrix stays on this thread.
    if (this.stopped || parts < 2 || m.rows * m.cols < this.minWeights || !(m.words.buffer instanceof SharedArrayBuffer) || !tableFits(q, m.cols)) return false;
    if (!this.started) {
      this.waitFor(CTRL.ready, this.workers.length, START_TIMEOUT_MS, 'the worker threads did not start');
      this.started = true;
    }
    const workers = this.workers.length;
    if (this.q.length < 16 * wpr || this.partial.length < workers * m.rows) {
      this.q = new Int32Array(new SharedArrayBuffer(4 * Math.max(16 * wpr, this.q.length)));
      this.partial = new Int32Array(new SharedArrayBuffer(4 * Math.max(workers * m.rows, this.partial.length)));
      this.post({ kind: 'io', q: this.q, partial: this.partial });
    }
    let id = this.ids.get(m);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(m, id);
      this.forget.register(m, id);
      this.post({ kind: 'matrix', id, words: m.words, rows: m.rows, wordsPerRow: wpr });
    }
    this.q.set(q.subarray(0, m.cols));
    this.q.fill(0, m.cols, 16 * wpr);
    const c = this.ctrl;
    c[CTRL.matrix] = id;
    c[CTRL.parts] = parts;
    Atomics.store(c, CTRL.done, 0);
    Atomics.add(c, CTRL.seq, 1);
    Atomics.notify(c, CTRL.seq);
    const [w0, w1] = partRange(wpr, parts, 0);
    accumulateWords(m.words, wpr, m.rows, this.q, w0, w1, out, this.scratch, false);
    this.waitFor(CTRL.done, workers, JOB_TIMEOUT_MS, `a ${m.rows} x ${m.cols} product did not finish`);
    if (Atomics.load(c, CTRL.error) !== 0) {
      this.stopped = true;
      let why = 'a worker failed';
      for (const p of this.ports) {
        const msg = receiveMessageOnPort(p)?.message as { error?: string } | undefined;
        if (msg?.error) why = msg.error;
      }
      throw new Error(`matvec threads: ${why}`);
    }
    this.products++;
    const { partial } = this;
    for (let k = 1; k < parts; k++) {
      const base = (k - 1) * m.rows;
      for (let r = 0; r < m.rows; r++) out[r] = out[r]! + partial[base + r]!;
    }
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    Atomics.store(this.ctrl, CTRL.stop, 1);
    Atomics.add(this.ctrl, CTRL.seq, 1);
    Atomics.notify(this.ctrl, CTRL.seq);
    await Promise.all(this.workers.map((w) => w.terminate()));
    for (const p of this.ports) p.close();
  }
}

let pool: MatvecPool | undefined;

/**
 * Spread every TernaryMatrix product of at least `minWeights` weights over `threads` threads (the
 * calling one included) from now on; 1 or less goes back to one thread. Returns at once: the workers
 * start in the background and the first product waits for them.
 */
export async function useMatvecThreads(threads: number, minWeights = DEFAULT_MIN_WEIGHTS): Promise<void> {
  if (pool && pool.threads === threads && pool.minWeights === minWeights) return;
  await stopMatvecThreads();
  if (!(threads >= 2)) return;
  pool = new MatvecPool(Math.floor(threads), minWeights);
  setMatvecExecutor(pool);
}

/** The same, synchronously (the workers are left to stop on their own: they are unref'd). */
export function useMatvecThreadsSync(threads: number, minWeights = DEFAULT_MIN_WEIGHTS): void {
  if (pool && pool.threads === threads && pool.minWeights === minWeights) return;
  if (pool) void pool.stop();
  pool = undefined;
  setMatvecExecutor(undefined);
  if (!(threads >= 2)) return;
  pool = new MatvecPool(Math.floor(threads), minWeights);
  setMatvecExecutor(pool);
}

export async function stopMatvecThreads(): Promise<void> {
  const p = pool;
  pool = undefined;
  setMatvecExecutor(undefined);
  if (p) await p.stop();
}

/** Products the current pool has spread over its threads (0 without a pool). */
export function threadedProducts(): number {
  return pool?.products ?? 0;
}

/** Threads the products use now (1 without a pool). */
export function matvecThreads(): number {
  return pool?.threads ?? 1;
}

/** MMF_THREADS when set (a positive integer), else every core the process may use. */
export function defaultMatvecThreads(): number {
  const env = process.env['MMF_THREADS'];
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1) throw new Error(`MMF_THREADS must be a positive integer, got '${env}'`);
    return n;
  }
  return os.availableParallelism();
}
