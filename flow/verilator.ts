// Build a Verilator model of a Verilog design and drive it cycle by cycle
// through the generic stdin/stdout harness in flow/harness.cpp.
//
// The harness is design-independent; only a generated ports.h differs per
// design, so one static C++ file serves every top and the cache key stays
// easy to reason about.

import { spawn, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dramConfigLine, dramImageLine, dramStatsLine, resolveDramPorts, type DramConfig } from './dram.ts';

export interface PortSpec {
  name: string;
  width: number;
  dir: 'input' | 'output';
}

export interface VerilatorBuildOptions {
  top: string;
  sources: string[];
  ports: PortSpec[];
  clock?: string;
  cacheDir?: string;
  extraFlags?: string[];
  trace?: boolean;
  log?: (msg: string) => void;
  /**
   * A C++ main of its own in place of harness.cpp (it may include the generated "ports.h" for the
   * model's class, HarnessTop, and the port table); the model is then driven by that program.
   */
  harness?: string;
}

export interface VerilatorModel {
  binary: string;
  hash: string;
  cached: boolean;
  ports: PortSpec[];
  clock?: string;
}

export interface RunResult {
  samples: Map<string, bigint[]>;
  monitors: Map<string, bigint[]>;
  cycles: number;
  wallSeconds: number;
}

const FLOW_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.dirname(FLOW_DIR);
const HARNESS_CPP = path.join(FLOW_DIR, 'harness.cpp');
/** The DRAM model harness.cpp includes (flow/dram.ts drives it); copied beside any harness that names it. */
const DRAM_MODEL_H = path.join(FLOW_DIR, 'dram-model.h');
const BINARY_NAME = 'Vharness';
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Tags and monitor names travel as single whitespace-free protocol tokens.
const TOKEN = /^[^\s]+$/;

let cachedVersion: string | undefined;

export function verilatorVersion(): string {
  if (cachedVersion === undefined) {
    try {
      cachedVersion = execFileSync('verilator', ['--version'], { encoding: 'utf8' }).trim();
    } catch (e) {
      throw new Error(`verilator not runnable: ${(e as Error).message}`);
    }
  }
  return cachedVersion;
}

function validatePorts(ports: PortSpec[], clock: string | undefined): void {
  if (ports.length === 0) throw new Error('verilator: port list is empty');
  const seen = new Set<string>();
  for (const p of ports) {
    if (!IDENT.test(p.name)) throw new Error(`verilator: port name '${p.name}' is not a plain identifier`);
    if (seen.has(p.name)) throw new Error(`verilator: duplicate port '${p.name}'`);
    seen.add(p.name);
    if (!Number.isInteger(p.width) || p.width < 1) {
      throw new Error(`verilator: port '${p.name}' has invalid width ${p.width}`);
    }
    if (p.dir !== 'input' && p.dir !== 'output') {
      throw new Error(`verilator: port '${p.name}' has unsupported direction '${String(p.dir)}'`);
    }
  }
  if (clock !== undefined) {
    const c = ports.find((p) => p.name === clock);
    if (!c) throw new Error(`verilator: clock '${clock}' is not in the port list`);
    if (c.dir !== 'input' || c.width !== 1) {
      throw new Error(`verilator: clock '${clock}' must be a 1-bit input`);
    }
  }
}

function resolveClock(ports: PortSpec[], clock: string | undefined): string | undefined {
  if (clock !== undefined) return clock;
  return ports.some((p) => p.name === 'clk') ? 'clk' : undefined;
}

function words(width: number): number {
  return Math.ceil(width / 32);
}

function maskHex(bits: number): string {
  return '0x' + ((1n << BigInt(bits)) - 1n).toString(16) + (bits > 32 ? 'ULL' : 'u');
}

/** C++ glue for one design: the only per-design input to harness.cpp. */
function generatePortsHeader(top: string, ports: PortSpec[], clock: string | undefined): string {
  const cls = `V${top}`;
  const maxWords = Math.max(...ports.map((p) => words(p.width)));
  const clockIndex = clock === undefined ? -1 : ports.findIndex((p) => p.name === clock);
  const sets: string[] = [];
  const gets: string[] = [];
  ports.forEach((p, i) => {
    const n = p.name;
    const w = p.width;
    if (w <= 32) {
      const ty = w <= 8 ? 'CData' : w <= 16 ? 'SData' : 'IData';
      const mask = w === 32 ? '' : ` & ${maskHex(w)}`;
      if (p.dir === 'input') sets.push(`    case ${i}: m->${n} = static_cast<${ty}>(w[0]); break;`);
      gets.push(`    case ${i}: w[0] = static_cast<uint32_t>(m->${n})${mask}; break;`);
    } else if (w <= 64) {
      const mask = w === 64 ? '' : ` & ${maskHex(w)}`;
      if (p.dir === 'input') {
        sets.push(`    case ${i}: m->${n} = (static_cast<QData>(w[1]) << 32) | w[0]; break;`);
      }
      gets.push(
        `    case ${i}: { const QData v = m->${n}${mask}; w[0] = static_cast<uint32_t>(v); ` +
          `w[1] = static_cast<uint32_t>(v >> 32); break; }`,
      );
    } else {
      const nw = words(w);
      const rem = w % 32;
      if (p.dir === 'input') {
        sets.push(`    case ${i}: for (int k = 0; k < ${nw}; ++k) m->${n}.data()[k] = w[k]; break;`);
      }
      const topMask = rem ? ` w[${nw - 1}] &= ${maskHex(rem)};` : '';
      gets.push(`    case ${i}: for (int k = 0; k < ${nw}; ++k) w[k] = m->${n}.data()[k];${topMask} break;`);
    }
  });
  const table = ports.map((p) => `    {"${p.name}", ${p.width}, ${p.dir === 'input' ? 'true' : 'false'}},`);
  const clockSet =
    clockIndex >= 0 ? `m->${clock} = static_cast<CData>(v);` : '(void)m; (void)v;';
  return [
    '// Generated by flow/verilator.ts; do not edit.',
    '#pragma once',
    `#include "${cls}.h"`,
    `typedef ${cls} HarnessTop;`,
    'struct PortInfo {',
    '    const char* name;',
    '    int width;',
    '    bool isInput;',
    '};',
    'static const PortInfo kPorts[] = {',
    ...table,
    '};',
    `static const int kNumPorts = ${ports.length};`,
    `static const int kMaxWords = ${maxWords};`,
    `static const int kClockIndex = ${clockIndex};`,
    `static inline void harnessSetClock(HarnessTop* m, int v) { ${clockSet} }`,
    'static void portSet(HarnessTop* m, int idx, const uint32_t* w) {',
    '  (void)m; (void)w;',
    '  switch (idx) {',
    ...sets,
    '    default: break;',
    '  }',
    '}',
    'static void portGet(HarnessTop* m, int idx, uint32_t* w) {',
    '  switch (idx) {',
    ...gets,
    '    default: break;',
    '  }',
    '}',
    '',
  ].join('\n');
}

interface ProcResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runProcess(cmd: string, args: string[], cwd: string): Promise<ProcResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

function firstLines(text: string, n: number): string {
  return text.split('\n').slice(0, n).join('\n');
}

export async function buildVerilatorModel(opts: VerilatorBuildOptions): Promise<VerilatorModel> {
  const log = opts.log ?? (() => {});
  if (!IDENT.test(opts.top)) throw new Error(`verilator: top '${opts.top}' is not a plain identifier`);
  if (opts.sources.length === 0) throw new Error('verilator: no sources given');
  const ports = opts.ports.map((p) => ({ ...p }));
  const clock = resolveClock(ports, opts.clock);
  validatePorts(ports, clock);

  const version = verilatorVersion();
  const harnessText = fs.readFileSync(opts.harness ?? HARNESS_CPP, 'utf8');
  const portsHeader = generatePortsHeader(opts.top, ports, clock);
  const dramModel = harnessText.includes('"dram-model.h"') ? fs.readFileSync(DRAM_MODEL_H, 'utf8') : undefined;

  const flags = [
    '--cc',
    '--exe',
    '--build',
    '-j',
    '2',
    '-O2',
    '-MAKEFLAGS',
    'OPT_FAST=-O2',
    '--top-module',
    opts.top,
    // Lint is a separate step; the simulation build should not fail or spew on style.
    '-Wno-fatal',
    '-Wno-lint',
    '-Wno-style',
    // The harness only calls eval() and never services timed events, so
    // delays must be ignored rather than scheduled.
    ...(opts.extraFlags?.includes('--timing') ? [] : ['--no-timing']),
    ...(opts.trace ? ['--trace-fst'] : []),
    ...(opts.extraFlags ?? []),
    '-o',
    BINARY_NAME,
  ];

  const h = createHash('sha256');
  const feed = (label: string, data: string | Buffer): void => {
    // Length-prefixing keeps distinct field splits from colliding.
    h.update(`${label}:${Buffer.byteLength(data)}:`);
    h.update(data);
  };
  feed('version', version);
  feed('flags', JSON.stringify(flags));
  feed('top', opts.top);
  feed('ports', JSON.stringify(ports.map((p) => [p.name, p.width, p.dir])));
  feed('clock', clock ?? '');
  feed('harness', harnessText);
  feed('portsh', portsHeader);
  if (dramModel !== undefined) feed('dram-model', dramModel);
  for (const src of opts.sources) {
    let content: Buffer;
    try {
      content = fs.readFileSync(src);
    } catch (e) {
      throw new Error(`verilator: cannot read source ${src}: ${(e as Error).message}`);
    }
    feed('source', content);
  }
  const hash = h.digest('hex');

  const cacheDir = opts.cacheDir ?? path.join(REPO_ROOT, '.cache', 'verilator');
  const finalDir = path.join(cacheDir, `${opts.top}-${hash.slice(0, 16)}`);
  const finalBinary = path.join(finalDir, BINARY_NAME);
  const model = (cached: boolean): VerilatorModel => ({
    binary: finalBinary,
    hash,
    cached,
    ports,
    ...(clock !== undefined ? { clock } : {}),
  });

  if (fs.existsSync(finalBinary)) {
    log(`verilator: cache hit ${hash.slice(0, 16)} (${finalDir})`);
    return model(true);
  }

  fs.mkdirSync(cacheDir, { recursive: true });
  // A private temp dir per build lets concurrent workers compile the same
  // design without trampling each other; the rename below publishes atomically.
  const tmpDir = path.join(cacheDir, `.tmp-${opts.top}-${hash.slice(0, 16)}-${process.pid}-${randomBytes(4).toString('hex')}`);
  fs.mkdirSync(tmpDir, { recursive: true });
  try {
    fs.writeFileSync(path.join(tmpDir, 'harness.cpp'), harnessText);
    fs.writeFileSync(path.join(tmpDir, 'ports.h'), portsHeader);
    if (dramModel !== undefined) fs.writeFileSync(path.join(tmpDir, 'dram-model.h'), dramModel);
    const args = [...flags, '--Mdir', tmpDir, ...opts.sources.map((s) => path.resolve(s)), path.join(tmpDir, 'harness.cpp')];
    log(`verilator: building ${opts.top} (${hash.slice(0, 16)})`);
    const t0 = performance.now();
    const res = await runProcess('verilator', args, tmpDir);
    const tmpBinary = path.join(tmpDir, BINARY_NAME);
    if (res.code !== 0 || !fs.existsSync(tmpBinary)) {
      const out = res.stderr.trim() ? res.stderr : res.stdout;
      throw new Error(
        `verilator build of '${opts.top}' failed (exit ${res.code ?? res.signal}):\n${firstLines(out, 40)}`,
      );
    }
    fs.writeFileSync(path.join(tmpDir, 'build.log'), `verilator ${args.join(' ')}\n\n${res.stdout}\n${res.stderr}`);
    try {
      fs.renameSync(tmpDir, finalDir);
    } catch (e) {
      // Another worker published the same hash first; its binary is equivalent.
      if (!fs.existsSync(finalBinary)) throw e;
      log(`verilator: concurrent build of ${hash.slice(0, 16)} won; using it`);
      return model(true);
    }
    log(`verilator: built ${opts.top} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return model(false);
  } finally {
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
}

type Usage = 'set' | 'get' | 'monitor' | 'waitFor' | 'dram';

/** Accumulates harness commands; port names are checked against the model at run time. */
export class StimulusScript {
  private chunks: string[] = [];
  private current: string[] = [];
  private readonly used = new Map<string, Usage>();
  private readonly monitorNames: string[] = [];
  private readonly portMap: Map<string, PortSpec> | undefined;
  private count = 0;

  /** Passing the model's ports makes bad names fail at the call site instead of at run time. */
  constructor(ports?: PortSpec[]) {
    this.portMap = ports ? new Map(ports.map((p) => [p.name, p])) : undefined;
  }

  private push(line: string): this {
    this.current.push(line);
    this.count++;
    // Bounded sub-arrays keep million-line scripts from building one giant array.
    if (this.current.length >= 4096) {
      this.chunks.push(this.current.join('\n') + '\n');
      this.current = [];
    }
    return this;
  }

  private use(port: string, usage: Usage): void {
    if (!IDENT.test(port)) throw new Error(`StimulusScript: invalid port name '${port}'`);
    if (this.portMap) checkPort(this.portMap, port, usage);
    if (usage === 'set' || !this.used.has(port)) this.used.set(port, usage);
  }

  set(port: string, value: bigint | number): this {
    this.use(port, 'set');
    let v = typeof value === 'number' ? toBigInt(value, port) : value;
    if (v < 0n) {
      const width = this.portMap?.get(port)?.width;
      if (width === undefined) {
        throw new RangeError(`StimulusScript: negative value for '${port}' needs the port width (pass ports to the constructor)`);
      }
      v = BigInt.asUintN(width, v);
    }
    return this.push(`S ${port} ${v.toString(16)}`);
  }

  tick(n = 1): this {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`StimulusScript: bad tick count ${n}`);
    if (n === 0) return this;
    return this.push(`T ${n}`);
  }

  eval(): this {
    return this.push('E');
  }

  get(tag: string, port: string): this {
    if (!TOKEN.test(tag)) throw new Error(`StimulusScript: tag '${tag}' must be non-empty without whitespace`);
    this.use(port, 'get');
    return this.push(`G ${tag} ${port}`);
  }

  monitor(name: string, valid: string, data: string): this {
    if (!TOKEN.test(name)) throw new Error(`StimulusScript: monitor name '${name}' must be non-empty without whitespace`);
    this.use(valid, 'monitor');
    this.use(data, 'monitor');
    this.monitorNames.push(name);
    return this.push(`M ${name} ${valid} ${data}`);
  }

  waitFor(readyPort: string, maxCycles: number): this {
    if (!Number.isSafeInteger(maxCycles) || maxCycles < 1) {
      throw new RangeError(`StimulusScript: bad maxCycles ${maxCycles}`);
    }
    this.use(readyPort, 'waitFor');
    return this.push(`W ${readyPort} ${maxCycles}`);
  }

  /** Attaches the harness's DRAM model to the design's native read port (flow/dram.ts, docs/dram.md). */
  dram(cfg: DramConfig): this {
    const line = dramConfigLine(cfg, this.portMap ? [...this.portMap.values()] : undefined);
    for (const port of Object.values(resolveDramPorts(cfg.ports))) this.use(port, 'dram');
    return this.push(line);
  }

  /** Places a file's bytes in the DRAM model's memory at byteOffset (a back door: no cycles pass). */
  dramImage(file: string, byteOffset = 0): this {
    return this.push(dramImageLine(path.resolve(file), byteOffset));
  }

  /** Samples the DRAM model's statistics as `<tag>.<name>` (read them with readDramStats). */
  dramStats(tag: string): this {
    return this.push(dramStatsLine(tag));
  }

  get length(): number {
    return this.count;
  }

  text(): string {
    return this.chunks.join('') + (this.current.length ? this.current.join('\n') + '\n' : '');
  }

  /** @internal */
  _chunks(): string[] {
    const tail = this.current.length ? [this.current.join('\n') + '\n'] : [];
    return [...this.chunks, ...tail];
  }

  /** @internal */
  _validate(ports: PortSpec[]): void {
    const map = new Map(ports.map((p) => [p.name, p]));
    for (const [port, usage] of this.used) checkPort(map, port, usage);
  }

  /** @internal */
  _monitorNames(): readonly string[] {
    return this.monitorNames;
  }
}

function toBigInt(value: number, port: string): bigint {
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(`StimulusScript: value ${value} for '${port}' is not a safe integer; use a bigint`);
  }
  return BigInt(value);
}

function checkPort(map: Map<string, PortSpec>, port: string, usage: Usage): void {
  const p = map.get(port);
  if (!p) {
    throw new Error(
      `unknown port '${port}' (used by ${usage}); model ports: ${[...map.keys()].join(', ')}`,
    );
  }
  if (usage === 'set' && p.dir !== 'input') throw new Error(`cannot set output port '${port}'`);
}

/** @internal One line of harness output, classified (shared by runModel and VerilatorSession). */
export type HarnessLine =
  | { kind: 'G' | 'M'; key: string; value: bigint }
  | { kind: 'Q' | 'F'; cycles: number }
  | { kind: 'X'; message: string }
  | { kind: 'other' };

/** @internal Parses `G <tag> <hex>`, `M <name> <hex>`, `Q|F <cycles>` and `X <msg>`; anything else is 'other'. */
export function parseHarnessLine(line: string): HarnessLine {
  const sp = line.indexOf(' ');
  const kind = sp === 1 ? line[0] : '';
  if (kind === 'G' || kind === 'M') {
    const sp2 = line.indexOf(' ', 2);
    if (sp2 < 0) return { kind: 'other' };
    return { kind, key: line.slice(2, sp2), value: BigInt('0x' + line.slice(sp2 + 1).trim()) };
  }
  if (kind === 'Q' || kind === 'F') return { kind, cycles: Number(line.slice(2)) };
  if (kind === 'X') return { kind, message: line.slice(2) };
  return { kind: 'other' };
}

/** @internal Feeds complete lines of a chunked text stream to `onLine`; `flush()` delivers a trailing partial line. */
export function harnessLineSplitter(onLine: (line: string) => void): { push(data: string): void; flush(): void } {
  let pending = '';
  return {
    push(data: string): void {
      pending += data;
      let start = 0;
      let nl: number;
      while ((nl = pending.indexOf('\n', start)) >= 0) {
        onLine(pending.slice(start, nl));
        start = nl + 1;
      }
      pending = pending.slice(start);
    },
    flush(): void {
      const rest = pending;
      pending = '';
      if (rest) onLine(rest);
    },
  };
}

/** @internal Keeps the tail of a chatty stderr stream bounded. */
export function appendStderrTail(stderr: string, data: string): string {
  // Keep the tail: a chatty design's last words are what explain a crash.
  stderr += data;
  return stderr.length > 128 * 1024 ? stderr.slice(-64 * 1024) : stderr;
}

/** @internal The stderr tail and stray stdout lines that explain a failed run. */
export function harnessFailureDetail(stderr: string, stray: readonly string[]): string {
  return [stderr.trim().split('\n').slice(-20).join('\n'), stray.slice(-10).join('\n')].filter(Boolean).join('\n');
}

export async function runModel(
  model: VerilatorModel,
  script: StimulusScript,
  opts: { traceFile?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  script._validate(model.ports);
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const args = opts.traceFile ? [`+trace=${path.resolve(opts.traceFile)}`] : [];
  const samples = new Map<string, bigint[]>();
  const monitors = new Map<string, bigint[]>();
  for (const name of script._monitorNames()) monitors.set(name, []);

  const t0 = performance.now();
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(model.binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let settled = false;
    let error: string | undefined;
    let cycles: number | undefined;
    let stderr = '';
    // The harness routes design output ($display) to stderr, so stray stdout
    // lines are unexpected; keep a few to explain failures.
    const stray: string[] = [];

    const fail = (msg: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(msg));
    };

    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(`verilator model ${model.binary} timed out after ${timeoutMs} ms`);
    }, timeoutMs);

    const handleLine = (line: string): void => {
      const r = parseHarnessLine(line);
      if (r.kind === 'G' || r.kind === 'M') {
        const map = r.kind === 'G' ? samples : monitors;
        let arr = map.get(r.key);
        if (!arr) map.set(r.key, (arr = []));
        arr.push(r.value);
      } else if (r.kind === 'Q') {
        cycles = r.cycles;
      } else if (r.kind === 'X') {
        error ??= r.message;
      } else if (line.length) {
        // runModel never sends F, so an F line is as unexpected as any other.
        if (stray.length < 50) stray.push(line);
      }
    };

    const lines = harnessLineSplitter(handleLine);
    child.stdout.setEncoding('utf8').on('data', (d: string) => lines.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr = appendStderrTail(stderr, d);
    });
    child.on('error', (e) => fail(`cannot run ${model.binary}: ${e.message}`));
    child.on('close', (code, signal) => {
      lines.flush();
      if (settled) return;
      const detail = harnessFailureDetail(stderr, stray);
      if (error !== undefined) {
        fail(`verilator harness error: ${error}${detail ? `\n${detail}` : ''}`);
      } else if (code !== 0 || cycles === undefined) {
        fail(
          `verilator model exited abnormally (code ${code}, signal ${signal})` + (detail ? `:\n${detail}` : ''),
        );
      } else {
        settled = true;
        clearTimeout(timer);
        resolve({ samples, monitors, cycles, wallSeconds: (performance.now() - t0) / 1000 });
      }
    });

    // The harness may exit early (error, $finish) while input is still
    // flowing; the resulting EPIPE is expected and reported via 'close'.
    child.stdin.on('error', () => {});
    void (async () => {
      for (const chunk of script._chunks()) {
        if (settled || child.stdin.destroyed) return;
        if (!child.stdin.write(chunk)) {
          await new Promise<void>((r) => {
            const done = (): void => {
              child.stdin.off('drain', done);
              child.stdin.off('close', done);
              r();
            };
            child.stdin.on('drain', done);
            child.stdin.on('close', done);
          });
        }
      }
      if (!child.stdin.destroyed) child.stdin.end('Q\n');
    })();
  });
}
