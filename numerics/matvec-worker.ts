// One thread of matvec-pool.ts: sleeps on the control array, wakes for each product, adds its word
// range's contribution to every row into its slice of the shared partial sums. Messages (shared
// buffers, matrices to know or forget) are read synchronously when it wakes: the pool posts them before
// it bumps the sequence number, so they are always there.
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import { CTRL, partRange, type PoolMessage, type WorkerInit } from './matvec-pool.ts';
import { KernelScratch, accumulateWords } from './ternary-kernel.ts';

const { ctrl, port, part } = workerData as WorkerInit;
const matrices = new Map<number, { words: Uint32Array; rows: number; wordsPerRow: number }>();
let q: Int32Array = new Int32Array(0);
let partial: Int32Array = new Int32Array(0);
const scratch = new KernelScratch();

function drain(): void {
  for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
    const msg = m.message as PoolMessage;
    if (msg.kind === 'io') {
      q = msg.q;
      partial = msg.partial;
    } else if (msg.kind === 'matrix') {
      matrices.set(msg.id, msg);
    } else {
      matrices.delete(msg.id);
    }
  }
}

Atomics.add(ctrl, CTRL.ready, 1);
Atomics.notify(ctrl, CTRL.ready);
let seq = 0;
for (;;) {
  Atomics.wait(ctrl, CTRL.seq, seq);
  seq = Atomics.load(ctrl, CTRL.seq);
  if (Atomics.load(ctrl, CTRL.stop) !== 0) break;
  try {
    drain();
    const parts = ctrl[CTRL.parts]!;
    if (part < parts) {
      const m = matrices.get(ctrl[CTRL.matrix]!);
      if (!m) throw new Error(`worker ${part} was never told of matrix ${ctrl[CTRL.matrix]}`);
      const [w0, w1] = partRange(m.wordsPerRow, parts, part);
      accumulateWords(m.words, m.wordsPerRow, m.rows, q, w0, w1, partial.subarray((part - 1) * m.rows, part * m.rows), scratch, false);
    }
  } catch (err) {
    port.postMessage({ error: `worker ${part}: ${(err as Error).message}` });
    Atomics.store(ctrl, CTRL.error, 1);
  }
  Atomics.add(ctrl, CTRL.done, 1);
  Atomics.notify(ctrl, CTRL.done);
}
port.close();
