// Tool backend selection for the iCE40 flow, and a runner for the YoWASP
// WebAssembly builds of Yosys, nextpnr-ice40 and icepack.
//
// The native Debian tools are preferred. Users without root/apt can instead
// `npm install` the WebAssembly packages (optional dependencies of this repo):
//
//   @yowasp/yosys@0.55.944          yosys
//   @yowasp/nextpnr-ice40@0.8.621   nextpnr-ice40, icepack
//
// The YoWASP tools see only an in-memory file tree (host paths are invisible),
// so callers pass every input file explicitly under a relative name and refer
// to files by those names in arguments and scripts; new or changed files are
// written back into a host directory afterwards. Each run is synchronous
// WebAssembly, so it happens in a worker thread to keep the event loop alive.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

export type ToolBackend = 'native' | 'wasm';
export type FlowTool = 'yosys' | 'nextpnr-ice40' | 'icepack';

interface ToolInfo {
  /** Environment variable overriding the native command (name or path). */
  env: string;
  aptPackage: string;
  npmPackage: string;
  npmVersion: string;
}

const TOOLS: Record<FlowTool, ToolInfo> = {
  yosys: { env: 'YOSYS', aptPackage: 'yosys', npmPackage: '@yowasp/yosys', npmVersion: '0.55.944' },
  'nextpnr-ice40': {
    env: 'NEXTPNR_ICE40', aptPackage: 'nextpnr-ice40', npmPackage: '@yowasp/nextpnr-ice40', npmVersion: '0.8.621',
  },
  icepack: { env: 'ICEPACK', aptPackage: 'fpga-icestorm', npmPackage: '@yowasp/nextpnr-ice40', npmVersion: '0.8.621' },
};

/** The npm spec of the WebAssembly package providing `tool`, e.g. `@yowasp/yosys@0.55.944`. */
export function wasmPackageSpec(tool: FlowTool): string {
  const t = TOOLS[tool];
  return `${t.npmPackage}@${t.npmVersion}`;
}

/** The native command for `tool`: its environment override (YOSYS, NEXTPNR_ICE40, ICEPACK) or its name. */
export function nativeCommand(tool: FlowTool): string {
  return process.env[TOOLS[tool].env] || tool;
}

function isExecutableFile(p: string): boolean {
  try {
    if (!fs.statSync(p).isFile()) return false;
    if (process.platform !== 'win32') fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Absolute path of `cmd` as spawn() would find it (a path, or a name looked up on PATH), else undefined. */
export function findExecutable(cmd: string): string | undefined {
  const exts = process.platform === 'win32'
    ? ['', ...(process.env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';').filter(Boolean)]
    : [''];
  if (cmd.includes('/') || (process.platform === 'win32' && cmd.includes('\\'))) {
    for (const ext of exts) if (isExecutableFile(cmd + ext)) return path.resolve(cmd + ext);
    return undefined;
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const p = path.join(dir, cmd + ext);
      if (isExecutableFile(p)) return p;
    }
  }
  return undefined;
}

const requires = [
  createRequire(import.meta.url),
  // A package installed in the project the flow is run from also counts.
  createRequire(path.join(process.cwd(), '__resolve__.js')),
];

/** Entry file of the WebAssembly package providing `tool`, or undefined when it is not installed. */
export function resolveWasmPackage(tool: FlowTool): string | undefined {
  for (const req of requires) {
    try {
      return req.resolve(TOOLS[tool].npmPackage);
    } catch {
      // not resolvable from here
    }
  }
  return undefined;
}

/** Installed version of the WebAssembly package providing `tool` (from its package.json). */
export function wasmPackageVersion(tool: FlowTool): string | undefined {
  const entry = resolveWasmPackage(tool);
  if (!entry) return undefined;
  // The exports map hides package.json, so walk up from the entry file.
  for (let dir = path.dirname(entry); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const pj = path.join(dir, 'package.json');
    if (!fs.existsSync(pj)) continue;
    const meta = JSON.parse(fs.readFileSync(pj, 'utf8')) as { name?: string; version?: string };
    if (meta.name === TOOLS[tool].npmPackage) return meta.version;
  }
  return undefined;
}

function notFound(tool: FlowTool): Error {
  const t = TOOLS[tool];
  return new Error(
    `${tool} not found: install it (apt-get install ${t.aptPackage}) or run ` +
      `\`npm install ${wasmPackageSpec(tool)}\` for the WebAssembly build`,
  );
}

function parseBackend(value: string, origin: string): ToolBackend | undefined {
  const v = value.trim().toLowerCase();
  if (v === '' || v === 'auto') return undefined;
  if (v === 'native' || v === 'wasm') return v;
  throw new Error(`${origin} must be "native", "wasm" or "auto", got "${value}"`);
}

/**
 * Chooses how to run `tool`. An explicit `force` (e.g. a `backend` option)
 * wins, then the FPGA_TOOLCHAIN environment variable (native|wasm|auto).
 * Otherwise the native tool is used when its command (or its YOSYS /
 * NEXTPNR_ICE40 / ICEPACK override) can be found, else the WebAssembly
 * package when it is installed; if neither is available this throws a
 * one-line error saying how to get either.
 *
 * Forcing `native` does not check for the binary, so a missing tool fails
 * exactly as it always has (when spawned); forcing `wasm` throws if the
 * package is not installed.
 */
export function resolveBackend(tool: FlowTool, force?: ToolBackend): ToolBackend {
  const forced = force ?? parseBackend(process.env.FPGA_TOOLCHAIN ?? '', 'FPGA_TOOLCHAIN');
  if (forced === 'native') return 'native';
  if (forced === 'wasm') {
    if (resolveWasmPackage(tool)) return 'wasm';
    throw new Error(
      `${tool}: the WebAssembly backend was requested but ${TOOLS[tool].npmPackage} is not installed; ` +
        `run \`npm install ${wasmPackageSpec(tool)}\``,
    );
  }
  if (findExecutable(nativeCommand(tool))) return 'native';
  if (resolveWasmPackage(tool)) return 'wasm';
  throw notFound(tool);
}

export interface ToolRunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr merged in arrival order, like a terminal. */
  output: string;
  /** Absolute paths of the files written back into cwdDir. */
  written: string[];
}

type Tree = { [name: string]: Tree | string | Uint8Array };

/** Splits a relative tree path into components, rejecting anything that could escape the tree. */
function treePath(rel: string): string[] {
  const parts = rel.split(/[\\/]/).filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || path.isAbsolute(rel) || parts.includes('..')) {
    throw new Error(`WebAssembly tool input must be a relative path inside the tree: ${JSON.stringify(rel)}`);
  }
  return parts;
}

function toBytes(v: string | Uint8Array): Uint8Array {
  return typeof v === 'string' ? new Uint8Array(Buffer.from(v, 'utf8')) : v;
}

function buildTree(files: Record<string, string | Uint8Array>): { tree: Tree; flat: Map<string, Uint8Array> } {
  const tree: Tree = {};
  const flat = new Map<string, Uint8Array>();
  for (const [rel, data] of Object.entries(files)) {
    const parts = treePath(rel);
    const key = parts.join('/');
    if (flat.has(key)) throw new Error(`WebAssembly tool input given twice: ${key}`);
    let node = tree;
    for (const dir of parts.slice(0, -1)) {
      const next = node[dir] ?? (node[dir] = {});
      if (typeof next === 'string' || next instanceof Uint8Array) {
        throw new Error(`WebAssembly tool input ${key}: ${dir} is both a file and a directory`);
      }
      node = next;
    }
    const bytes = toBytes(data);
    node[parts.at(-1)!] = bytes;
    flat.set(key, bytes);
  }
  return { tree, flat };
}

/** Every file of a tree as [relative posix path, contents]. */
function flatten(tree: Tree, prefix = ''): [string, Uint8Array][] {
  const out: [string, Uint8Array][] = [];
  for (const [name, v] of Object.entries(tree)) {
    const rel = prefix ? `${prefix}/${name}` : name;
    if (typeof v === 'string') out.push([rel, toBytes(v)]);
    else if (v instanceof Uint8Array) out.push([rel, v]);
    else out.push(...flatten(v, rel));
  }
  return out;
}

// Plain JavaScript run with `eval: true`, so the worker starts the same way
// under tsx, vitest or compiled output (a .ts worker file would need a loader).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const { moduleUrl, command, args, files } = workerData;
  const mod = await import(moduleUrl);
  const run = mod.commands[command];
  if (typeof run !== 'function') throw new Error('the WebAssembly package has no command ' + command);
  const sink = (stream) => (bytes) => {
    if (bytes && bytes.length) parentPort.postMessage({ kind: 'out', stream, bytes: bytes.slice() });
  };
  const opts = { stdout: sink('stdout'), stderr: sink('stderr'), decodeASCII: false };
  let code = 0;
  let tree;
  try {
    tree = await run(args, files, opts);
  } catch (e) {
    if (e && typeof e.code === 'number' && e.files) {
      code = e.code;
      tree = e.files;
    } else {
      throw e;
    }
  }
  parentPort.postMessage({ kind: 'done', code, files: tree || {} });
})().catch((e) => {
  parentPort.postMessage({ kind: 'error', message: String(e && e.stack || e) });
});
`;

type WorkerMessage =
  | { kind: 'out'; stream: 'stdout' | 'stderr'; bytes: Uint8Array }
  | { kind: 'done'; code: number; files: Tree }
  | { kind: 'error'; message: string };

/**
 * Runs the WebAssembly build of `tool` in a worker thread. `inputFiles` is
 * the whole file system the tool sees, keyed by relative path (arguments
 * must use these names). Afterwards every file the tool created or changed
 * is written into `cwdDir` under its relative path. A nonzero exit is
 * returned as `code`, not thrown; failing to load or run the module throws.
 */
export async function runWasmTool(
  tool: FlowTool,
  args: string[],
  inputFiles: Record<string, string | Uint8Array>,
  cwdDir: string,
): Promise<ToolRunResult> {
  const entry = resolveWasmPackage(tool);
  if (!entry) throw notFound(tool);
  const { tree, flat } = buildTree(inputFiles);

  const chunks: { stream: 'stdout' | 'stderr'; bytes: Uint8Array }[] = [];
  const text = (pick: (s: 'stdout' | 'stderr') => boolean) =>
    Buffer.concat(chunks.filter((c) => pick(c.stream)).map((c) => c.bytes)).toString('utf8');

  const result = await new Promise<{ code: number; files: Tree }>((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { moduleUrl: pathToFileURL(entry).href, command: tool, args, files: tree },
    });
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      f();
      // Frees the tool's (large) WebAssembly memory right away.
      void worker.terminate();
    };
    worker.on('message', (m: WorkerMessage) => {
      if (m.kind === 'out') chunks.push({ stream: m.stream, bytes: m.bytes });
      else if (m.kind === 'done') settle(() => resolve({ code: m.code, files: m.files }));
      else settle(() => reject(new Error(`${tool} (WebAssembly) failed to run: ${m.message}\n${text(() => true)}`)));
    });
    worker.on('error', (err) =>
      settle(() => reject(new Error(`${tool} (WebAssembly) worker crashed: ${err.message}\n${text(() => true)}`))),
    );
    worker.on('exit', (code) =>
      settle(() => reject(new Error(`${tool} (WebAssembly) worker exited with code ${code} before finishing`))),
    );
  });

  const written: string[] = [];
  const root = path.resolve(cwdDir);
  for (const [rel, bytes] of flatten(result.files)) {
    const before = flat.get(rel);
    if (before && Buffer.compare(before, bytes) === 0) continue;
    const dest = path.join(root, ...treePath(rel));
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, bytes);
    written.push(dest);
  }

  return {
    code: result.code,
    stdout: text((s) => s === 'stdout'),
    stderr: text((s) => s === 'stderr'),
    output: text(() => true),
    written,
  };
}

/**
 * Input files for a WebAssembly run from host paths, keyed by basename (the
 * tree is flat). Two paths with the same basename cannot both be mapped, and
 * a basename may not shadow one of the tool's own files (`reserved`).
 */
export function filesByBasename(paths: string[], reserved: string[] = []): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  const origin = new Map<string, string>();
  const taken = new Set(reserved);
  for (const p of paths) {
    const abs = path.resolve(p);
    const base = path.basename(abs);
    const prev = origin.get(base);
    if (prev !== undefined) {
      if (prev === abs) continue;
      throw new Error(
        `the WebAssembly toolchain puts inputs in one flat directory, but two share the name ${base}: ` +
          `${prev} and ${abs}; rename one`,
      );
    }
    if (taken.has(base)) {
      throw new Error(`input ${abs} would clash with the generated file ${base} in the WebAssembly toolchain; rename it`);
    }
    origin.set(base, abs);
    files[base] = new Uint8Array(fs.readFileSync(abs));
  }
  return files;
}

/** Version line for the WebAssembly build of `tool`, from the installed package (no tool run needed). */
export function wasmToolVersion(tool: FlowTool): string | undefined {
  const v = wasmPackageVersion(tool);
  if (!v) return undefined;
  // YoWASP versions are <upstream major>.<upstream minor>.<build>.
  const upstream = v.split('.').slice(0, 2).join('.');
  const name = tool === 'yosys' ? 'Yosys' : tool;
  return `${name} ${upstream} (YoWASP ${TOOLS[tool].npmPackage}@${v}, WebAssembly)`;
}
