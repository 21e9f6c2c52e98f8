// nextpnr-ice40 place-and-route, icepack bitstream packing and tool version
// reporting for the iCE40 flow. Each tool runs natively or as the YoWASP
// WebAssembly build (see wasm-tools.ts); the latter sees only its inputs,
// placed in an in-memory tree under their basenames, and its outputs are
// written back into the work directory.

import { spawnSync } from 'node:child_process';
import { runTool, type RunResult } from './run-tool.ts';
import fs from 'node:fs';
import path from 'node:path';
import {
  filesByBasename,
  nativeCommand,
  resolveBackend,
  runWasmTool,
  wasmToolVersion,
  type ToolBackend,
} from './wasm-tools.ts';

export type { ToolBackend } from './wasm-tools.ts';

export interface PnrOptions {
  jsonPath: string;
  workDir: string;
  device: 'up5k' | 'hx8k';
  package: string;
  pcf?: string;
  freqMHz: number;
  seed?: number;
  allowUnconstrained?: boolean;
  timingAllowFail?: boolean;
  /** Overrides FPGA_TOOLCHAIN and auto-detection (see resolveBackend). */
  backend?: ToolBackend;
}

export interface PnrResult {
  /** Achieved fmax per clock net, keyed by nextpnr's clock name (e.g. `clk$SB_IO_IN_$glb_clk`). */
  fmaxMHz: Record<string, number>;
  utilisation: Record<string, { used: number; available: number }>;
  ascPath: string;
  passedTiming: boolean;
  seed: number;
  log: string;
  seconds: number;
  /** Which nextpnr ran: the native binary or the YoWASP WebAssembly build. */
  backend: ToolBackend;
}


// The ERROR lines are hoisted to the front because nextpnr prints a slack
// histogram after a timing failure, which pushes the reason out of the tail.
function failure(tool: string, r: RunResult, backend: ToolBackend = 'native'): Error {
  if (backend === 'wasm') tool += ' (WebAssembly)';
  const errors = r.output.split('\n').filter((l) => l.startsWith('ERROR:'));
  const head = errors.length ? errors.join('\n') : `exit code ${r.code}`;
  const tail = r.output.trimEnd().split('\n').slice(-30).join('\n');
  return new Error(`${tool} failed: ${head}\n--- last 30 lines ---\n${tail}`);
}

interface NextpnrReport {
  fmax?: Record<string, { achieved: number; constraint: number }>;
  utilization?: Record<string, { used: number; available: number }>;
}

export async function placeAndRouteIce40(o: PnrOptions): Promise<PnrResult> {
  const backend = resolveBackend('nextpnr-ice40', o.backend);
  const workDir = path.resolve(o.workDir);
  fs.mkdirSync(workDir, { recursive: true });
  const jsonPath = path.resolve(o.jsonPath);
  const ascPath = path.join(workDir, `${path.basename(jsonPath, '.json')}.asc`);
  const reportPath = path.join(workDir, 'report.json');
  const logPath = path.join(workDir, `${path.basename(jsonPath, '.json')}_nextpnr.log`);
  const seed = o.seed ?? 1;
  // A stale report or bitstream from an earlier run must never pass for this one's.
  fs.rmSync(reportPath, { force: true });
  fs.rmSync(ascPath, { force: true });

  // The WebAssembly tool sees only its tree, so there every file is named
  // relative to workDir (inputs by basename, outputs written back there).
  const ref = backend === 'wasm' ? (p: string) => path.basename(p) : (p: string) => p;
  const pcfPath = o.pcf ? path.resolve(o.pcf) : undefined;
  const args = [`--${o.device}`, '--package', o.package];
  if (pcfPath) args.push('--pcf', ref(pcfPath));
  // Both may be given: a partial PCF whose remaining IOs nextpnr places freely.
  if (o.allowUnconstrained) args.push('--pcf-allow-unconstrained');
  args.push(
    '--json', ref(jsonPath),
    '--asc', ref(ascPath),
    '--freq', String(o.freqMHz),
    '--seed', String(seed),
    '--report', ref(reportPath),
  );
  if (o.timingAllowFail) args.push('--timing-allow-fail');

  const t0 = performance.now();
  let r: RunResult;
  if (backend === 'wasm') {
    const inputs = filesByBasename(pcfPath ? [jsonPath, pcfPath] : [jsonPath], [ref(ascPath), ref(reportPath)]);
    r = await runWasmTool('nextpnr-ice40', args, inputs, workDir);
  } else {
    r = await runTool(nativeCommand('nextpnr-ice40'), args);
  }
  const seconds = (performance.now() - t0) / 1000;
  fs.writeFileSync(logPath, r.output);
  if (r.code !== 0 || !fs.existsSync(reportPath) || !fs.existsSync(ascPath)) {
    throw failure('nextpnr-ice40', r, backend);
  }

  const report = JSON.parse(fs.readFileSync(reportPath, 'utf8')) as NextpnrReport;
  const fmaxMHz: Record<string, number> = {};
  let passedTiming = true;
  for (const [clock, f] of Object.entries(report.fmax ?? {})) {
    fmaxMHz[clock] = f.achieved;
    if (f.achieved < f.constraint) passedTiming = false;
  }
  const utilisation: Record<string, { used: number; available: number }> = {};
  for (const [bel, u] of Object.entries(report.utilization ?? {})) {
    utilisation[bel] = { used: u.used, available: u.available };
  }

  return { fmaxMHz, utilisation, ascPath, passedTiming, seed, log: r.output, seconds, backend };
}

/** Packs an ASCII bitstream into a binary one; `backend` overrides FPGA_TOOLCHAIN and auto-detection. */
export async function icepack(
  ascPath: string,
  binPath: string,
  o: { backend?: ToolBackend } = {},
): Promise<{ backend: ToolBackend; seconds: number }> {
  const backend = resolveBackend('icepack', o.backend);
  const binDir = path.dirname(path.resolve(binPath));
  fs.mkdirSync(binDir, { recursive: true });
  const t0 = performance.now();
  let r: RunResult;
  if (backend === 'wasm') {
    const bin = path.basename(binPath);
    fs.rmSync(path.resolve(binPath), { force: true });
    const inputs = filesByBasename([ascPath], [bin]);
    r = await runWasmTool('icepack', [path.basename(ascPath), bin], inputs, binDir);
    if (r.code === 0 && !fs.existsSync(path.resolve(binPath))) r = { ...r, code: 1 };
  } else {
    r = await runTool(nativeCommand('icepack'), [ascPath, binPath]);
  }
  if (r.code !== 0) throw failure('icepack', r, backend);
  return { backend, seconds: (performance.now() - t0) / 1000 };
}

export interface ToolVersions {
  /** First line of `yosys -V` (native) or the YoWASP build's version; 'not found' if neither is available. */
  yosys: string;
  /** First line of `nextpnr-ice40 --version` (native) or the YoWASP build's version; 'not found' likewise. */
  nextpnr: string;
  /** Which backend each tool resolves to now (null: not available at all). */
  backend: { yosys: ToolBackend | null; nextpnr: ToolBackend | null; icepack: ToolBackend | null };
}

const versions = new Map<string, ToolVersions>();

function backendOrNull(tool: 'yosys' | 'nextpnr-ice40' | 'icepack', force?: ToolBackend): ToolBackend | null {
  try {
    return resolveBackend(tool, force);
  } catch {
    return null;
  }
}

function versionOf(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) return 'not found';
  // nextpnr prints its version on stderr, yosys on stdout.
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  return text.split('\n')[0] ?? text;
}

/**
 * Synchronous (and cached) so it can be stamped into reports without ceremony.
 * `backend` forces one backend for every tool, as the flow functions' option does;
 * otherwise each tool resolves as it would when run (FPGA_TOOLCHAIN, then detection).
 */
export function toolVersions(o: { backend?: ToolBackend } = {}): ToolVersions {
  const key = `${o.backend ?? ''}|${process.env.FPGA_TOOLCHAIN ?? ''}`;
  let v = versions.get(key);
  if (!v) {
    const backend = {
      yosys: backendOrNull('yosys', o.backend),
      nextpnr: backendOrNull('nextpnr-ice40', o.backend),
      icepack: backendOrNull('icepack', o.backend),
    };
    const version = (tool: 'yosys' | 'nextpnr-ice40', b: ToolBackend | null, flag: string) =>
      b === 'native' ? versionOf(nativeCommand(tool), [flag])
        : b === 'wasm' ? (wasmToolVersion(tool) ?? 'not found')
          : 'not found';
    v = {
      yosys: version('yosys', backend.yosys, '-V'),
      nextpnr: version('nextpnr-ice40', backend.nextpnr, '--version'),
      backend,
    };
    versions.set(key, v);
  }
  return { ...v, backend: { ...v.backend } };
}
