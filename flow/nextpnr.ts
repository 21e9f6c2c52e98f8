// nextpnr-ice40 place-and-route, icepack bitstream packing and tool version
// reporting for the iCE40 flow.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

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
}

const NEXTPNR = process.env.NEXTPNR_ICE40 ?? 'nextpnr-ice40';
const ICEPACK = process.env.ICEPACK ?? 'icepack';
const YOSYS = process.env.YOSYS ?? 'yosys';

interface RunResult {
  code: number;
  output: string;
}

// nextpnr logs to stderr; merging both streams in arrival order keeps the log readable.
function run(cmd: string, args: string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', (err) => reject(new Error(`failed to start ${cmd}: ${err.message}`)));
    child.on('close', (code, signal) => {
      resolve({ code: code ?? (signal ? 128 : 1), output: Buffer.concat(chunks).toString('utf8') });
    });
  });
}

// The ERROR lines are hoisted to the front because nextpnr prints a slack
// histogram after a timing failure, which pushes the reason out of the tail.
function failure(tool: string, r: RunResult): Error {
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

  const args = [`--${o.device}`, '--package', o.package];
  if (o.pcf) args.push('--pcf', path.resolve(o.pcf));
  // Both may be given: a partial PCF whose remaining IOs nextpnr places freely.
  if (o.allowUnconstrained) args.push('--pcf-allow-unconstrained');
  args.push(
    '--json', jsonPath,
    '--asc', ascPath,
    '--freq', String(o.freqMHz),
    '--seed', String(seed),
    '--report', reportPath,
  );
  if (o.timingAllowFail) args.push('--timing-allow-fail');

  const t0 = performance.now();
  const r = await run(NEXTPNR, args);
  const seconds = (performance.now() - t0) / 1000;
  fs.writeFileSync(logPath, r.output);
  if (r.code !== 0 || !fs.existsSync(reportPath) || !fs.existsSync(ascPath)) {
    throw failure('nextpnr-ice40', r);
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

  return { fmaxMHz, utilisation, ascPath, passedTiming, seed, log: r.output, seconds };
}

export async function icepack(ascPath: string, binPath: string): Promise<void> {
  fs.mkdirSync(path.dirname(path.resolve(binPath)), { recursive: true });
  const r = await run(ICEPACK, [ascPath, binPath]);
  if (r.code !== 0) throw failure('icepack', r);
}

let versions: { yosys: string; nextpnr: string } | undefined;

function versionOf(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) return 'not found';
  // nextpnr prints its version on stderr, yosys on stdout.
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  return text.split('\n')[0] ?? text;
}

/** Synchronous (and cached) so it can be stamped into reports without ceremony. */
export function toolVersions(): { yosys: string; nextpnr: string } {
  versions ??= { yosys: versionOf(YOSYS, ['-V']), nextpnr: versionOf(NEXTPNR, ['--version']) };
  return { ...versions };
}
