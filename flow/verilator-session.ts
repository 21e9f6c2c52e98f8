// Interactive use of a Verilator model built by flow/verilator.ts: one long-lived
// harness process that is fed a script at a time, so the answer of one step can
// decide the next command (e.g. a host feeding an accelerator its own tokens).
//
// Each run() writes its script followed by an `F` command; the harness answers
// `F <cycles>` and flushes, which marks the end of that run's G/M output.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';
import {
  appendStderrTail,
  harnessFailureDetail,
  harnessLineSplitter,
  parseHarnessLine,
  StimulusScript,
  type VerilatorModel,
} from './verilator.ts';
import { readDramStats, type DramStats } from './dram.ts';

export interface SessionRunResult {
  /** `get` samples by tag, taken during this run only. */
  samples: Map<string, bigint[]>;
  /**
   * Monitor reports of this run, by name. Every monitor registered so far in the
   * session has an entry (possibly empty), since the harness keeps monitors alive.
   */
  monitors: Map<string, bigint[]>;
  /** Total cycles the model has ticked since the session opened. */
  cycles: number;
}

interface ActiveRun {
  resolve: (r: SessionRunResult) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

const DEFAULT_TIMEOUT_MS = 120_000;

export class VerilatorSession {
  private readonly knownMonitors = new Set<string>();
  private samples = new Map<string, bigint[]>();
  private monitors = new Map<string, bigint[]>();
  private active: ActiveRun | undefined;
  /** Runs (and close) execute strictly one after another along this chain. */
  private tail: Promise<unknown> = Promise.resolve();
  private failure: Error | undefined;
  private harnessError: string | undefined;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exited: Promise<void>;
  private markExited!: () => void;
  private readonly spawned: Promise<void>;
  private stderr = '';
  // The harness routes design output to stderr, so stray stdout lines are
  // unexpected; keep the latest few to explain failures.
  private readonly stray: string[] = [];
  private lastCycles = 0;
  private finalCycles: number | undefined;
  private closing = false;
  private closed: Promise<number> | undefined;

  private constructor(
    private readonly model: VerilatorModel,
    private readonly child: ChildProcessWithoutNullStreams,
  ) {
    this.exited = new Promise<void>((r) => (this.markExited = r));
    this.spawned = new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (e) => reject(new Error(`cannot run ${model.binary}: ${e.message}`)));
    });
    // Open handles its rejection; keep Node from flagging it as unhandled meanwhile.
    this.spawned.catch(() => {});

    const lines = harnessLineSplitter((line) => this.onLine(line));
    child.stdout.setEncoding('utf8').on('data', (d: string) => lines.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      this.stderr = appendStderrTail(this.stderr, d);
    });
    // The harness may exit while input is still flowing; the EPIPE is reported via 'close'.
    child.stdin.on('error', () => {});
    child.on('error', (e) => {
      this.fail(new Error(`cannot run ${model.binary}: ${e.message}`));
      this.markExited();
    });
    child.on('close', (code, signal) => {
      lines.flush();
      this.exitInfo = { code, signal };
      const orderly = this.closing && !this.active && this.harnessError === undefined && code === 0 && this.finalCycles !== undefined;
      if (!orderly) this.fail(this.exitError(code, signal));
      this.markExited();
    });
  }

  /** Starts the model binary; `traceFile` dumps an FST waveform (model built with `trace: true`). */
  static async open(model: VerilatorModel, opts: { traceFile?: string } = {}): Promise<VerilatorSession> {
    const args = opts.traceFile ? [`+trace=${path.resolve(opts.traceFile)}`] : [];
    const child = spawn(model.binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const session = new VerilatorSession(model, child);
    await session.spawned;
    return session;
  }

  /**
   * Runs one script on the live model and resolves with the results it produced.
   * Calls made while a run is pending are queued and run in call order. A harness
   * error, an unexpected exit or a timeout rejects the run and leaves the session
   * unusable (later runs reject; close() still resolves).
   */
  async run(script: StimulusScript, opts: { timeoutMs?: number } = {}): Promise<SessionRunResult> {
    script._validate(this.model.ports);
    if (this.closing) throw new Error('VerilatorSession: run() called after close()');
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!(timeoutMs > 0)) throw new RangeError(`VerilatorSession: bad timeoutMs ${timeoutMs}`);
    // Snapshot now so that later edits to the script cannot affect a queued run.
    const chunks = [...script._chunks(), 'F\n'];
    const names = [...script._monitorNames()];
    const result = this.tail.then(() => this.execute(chunks, names, timeoutMs));
    this.tail = result.catch(() => {});
    return result;
  }

  /** The DRAM model's statistics now (after any queued runs); the model must have been configured. */
  async dramStats(opts: { timeoutMs?: number } = {}): Promise<DramStats> {
    const r = await this.run(new StimulusScript().dramStats('dram'), opts);
    return readDramStats(r.samples, 'dram');
  }

  /**
   * Sends Q after any queued runs, waits for the process to exit and returns the
   * total cycle count. Repeated calls share one result. After an earlier failure
   * it does not throw but returns the last cycle count known.
   */
  close(opts: { timeoutMs?: number } = {}): Promise<number> {
    if (!this.closed) {
      this.closing = true;
      const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      this.closed = this.tail.then(() => this.shutdown(timeoutMs));
    }
    return this.closed;
  }

  private execute(chunks: string[], monitorNames: string[], timeoutMs: number): Promise<SessionRunResult> {
    if (this.failure) {
      return Promise.reject(
        new Error(`VerilatorSession is unusable after an earlier failure: ${this.failure.message}`, { cause: this.failure }),
      );
    }
    for (const n of monitorNames) this.knownMonitors.add(n);
    return new Promise<SessionRunResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new Error(`verilator model ${this.model.binary} timed out after ${timeoutMs} ms`));
        this.child.kill('SIGKILL');
      }, timeoutMs);
      this.active = { resolve, reject, timer };
      void this.writeAll(chunks);
    });
  }

  private async writeAll(chunks: string[]): Promise<void> {
    const stdin = this.child.stdin;
    for (const chunk of chunks) {
      if (this.failure || stdin.destroyed) return;
      if (!stdin.write(chunk)) {
        await new Promise<void>((r) => {
          const done = (): void => {
            stdin.off('drain', done);
            stdin.off('close', done);
            r();
          };
          stdin.on('drain', done);
          stdin.on('close', done);
        });
      }
    }
  }

  private async shutdown(timeoutMs: number): Promise<number> {
    const failedBefore = this.failure !== undefined;
    if (!this.exitInfo) {
      if (!this.child.stdin.destroyed) this.child.stdin.end('Q\n');
      const timer = setTimeout(() => {
        this.fail(new Error(`verilator model ${this.model.binary} did not exit within ${timeoutMs} ms of Q`));
        this.child.kill('SIGKILL');
      }, timeoutMs);
      await this.exited;
      clearTimeout(timer);
    }
    if (!failedBefore && this.failure) throw this.failure;
    return this.finalCycles ?? this.lastCycles;
  }

  private onLine(line: string): void {
    const r = parseHarnessLine(line);
    switch (r.kind) {
      case 'G':
      case 'M': {
        const map = r.kind === 'G' ? this.samples : this.monitors;
        let arr = map.get(r.key);
        if (!arr) map.set(r.key, (arr = []));
        arr.push(r.value);
        break;
      }
      case 'F':
        this.lastCycles = r.cycles;
        this.finishRun(r.cycles);
        break;
      case 'Q':
        this.lastCycles = r.cycles;
        this.finalCycles = r.cycles;
        break;
      case 'X':
        // Rejection waits for 'close' so the error carries the complete stderr tail.
        this.harnessError ??= r.message;
        break;
      case 'other':
        if (line.length) {
          this.stray.push(line);
          if (this.stray.length > 50) this.stray.shift();
        }
        break;
    }
  }

  private finishRun(cycles: number): void {
    const run = this.active;
    if (!run) return;
    this.active = undefined;
    clearTimeout(run.timer);
    const monitors = new Map<string, bigint[]>();
    for (const name of this.knownMonitors) monitors.set(name, []);
    for (const [name, values] of this.monitors) monitors.set(name, values);
    const result: SessionRunResult = { samples: this.samples, monitors, cycles };
    this.samples = new Map();
    this.monitors = new Map();
    run.resolve(result);
  }

  /** Records the first failure and rejects the pending run, if any. */
  private fail(err: Error): void {
    this.failure ??= err;
    const run = this.active;
    if (!run) return;
    this.active = undefined;
    clearTimeout(run.timer);
    run.reject(this.failure);
  }

  private exitError(code: number | null, signal: NodeJS.Signals | null): Error {
    const detail = harnessFailureDetail(this.stderr, this.stray);
    const tail = detail ? `:\n${detail}` : '';
    if (this.harnessError !== undefined) {
      return new Error(`verilator harness error: ${this.harnessError}${detail ? `\n${detail}` : ''}`);
    }
    if (code === 0 && this.finalCycles !== undefined) {
      return new Error(`verilator model finished at cycle ${this.finalCycles} ($finish?) while the session was open${tail}`);
    }
    return new Error(`verilator model exited abnormally (code ${code}, signal ${signal})${tail}`);
  }
}
