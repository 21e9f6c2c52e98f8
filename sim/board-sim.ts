// The simulated board: the board's top level (board/board-top.ts, the very RTL a bitstream is built
// from, with a faster UART) in Verilator, its UART pins bridged to a TCP socket by sim/board-bridge.cpp.
// The host connects to it as to any board (host/transport-tcp.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AccelProgram } from '../accel/program.ts';
import { boardTop } from '../board/board-top.ts';
import { elaborate } from '../hdl/ir/elaborate.ts';
import { writeVerilog } from '../hdl/verilog/emit.ts';
import { buildVerilatorModel, type VerilatorModel } from '../flow/verilator.ts';
import { portSpecs } from './rtl-model.ts';

/** The C++ main that bridges a board top's UART to a TCP socket (sim/board-bridge.cpp). */
export const BOARD_BRIDGE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'board-bridge.cpp');
/** The simulated board's clock; with SIM_CYCLES_PER_BIT it sets the UART's baud (only the ratio matters). */
export const SIM_CLOCK_HZ = 12_000_000;
/** Cycles per UART bit on the simulated board: the fastest the UART supports, so uploads take seconds. */
export const SIM_CYCLES_PER_BIT = 4;

export interface SimBoard {
  /** The TCP port the board listens on (127.0.0.1). */
  port: number;
  /** Press the board's reset button. */
  reset(): void;
  /** Stop the simulation. Until then it runs on between connections, as a board does between hosts. */
  close(): Promise<void>;
  /** Whether the Verilator build came from the cache. */
  cached: boolean;
  /** What the bridge printed on stderr (the last few KB): for error messages. */
  stderr(): string;
  /** The cycles of each step the accelerator finished, in order, where the bridge reports them (STEP lines). */
  stepCycles: number[];
}

export interface SimBoardOptions {
  cyclesPerBit?: number;
  trace?: string;
  log?: (msg: string) => void;
}

export async function startSimBoard(prog: AccelProgram, o: SimBoardOptions = {}): Promise<SimBoard> {
  const cpb = o.cyclesPerBit ?? SIM_CYCLES_PER_BIT;
  const top = boardTop(prog, { clockHz: SIM_CLOCK_HZ, baud: SIM_CLOCK_HZ / cpb, button: true, leds: false });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-board-'));
  const sources = writeVerilog(elaborate(top), dir);
  const model = await buildVerilatorModel({
    top: top.name,
    sources,
    ports: portSpecs(top),
    harness: BOARD_BRIDGE,
    ...(o.trace ? { trace: true } : {}),
    ...(o.log ? { log: o.log } : {}),
  });
  fs.rmSync(dir, { recursive: true, force: true });
  return runBridge(model, ['--cycles-per-bit', String(cpb), ...(o.trace ? ['--trace', o.trace] : [])]);
}

/**
 * Start a Verilated board built with BOARD_BRIDGE as its harness (its top has clk, btn_n, uart_rx and
 * uart_tx) and wait until it listens.
 */
export async function runBridge(model: VerilatorModel, args: string[]): Promise<SimBoard> {
  const child: ChildProcess = spawn(model.binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  let partial = '';
  const stepCycles: number[] = [];
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    const lines = (partial + d).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      const step = /^STEP (\d+)$/.exec(line);
      if (step) stepCycles.push(Number(step[1]));
      else err = (err + line + '\n').slice(-4000);
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const onData = (d: string) => {
      out += d;
      const m = /LISTEN (\d+)/.exec(out);
      if (m) {
        child.stdout!.off('data', onData);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.setEncoding('utf8').on('data', onData);
    child.once('error', (e) => reject(new Error(`cannot start the simulated board (${model.binary}): ${e.message}`)));
    child.once('exit', (code) => reject(new Error(`the simulated board exited (code ${code}) before listening: ${err.trim()}`)));
  });
  child.stdin!.on('error', () => {});
  return {
    port,
    cached: model.cached,
    reset: () => child.stdin!.write('reset\n'),
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.stdin!.write('quit\n');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
    },
    stderr: () => err + partial,
    stepCycles,
  };
}
