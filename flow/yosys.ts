// Yosys front end of the iCE40 flow: synthesis to a nextpnr JSON netlist plus a
// gate-level Verilog netlist, and a cheap lint pass.
//
// Scripts are written to a file and run with `yosys -s` rather than `-p`, so
// that source paths containing `;` or spaces survive (Yosys tokenises `-p` on
// `;` before it honours quotes).
//
// Two backends (see wasm-tools.ts): the native `yosys`, which reads sources
// by absolute path, and the YoWASP WebAssembly build, which sees only an
// in-memory tree, so its scripts name every file relative to the work
// directory and sources are placed in the tree under their basenames.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { filesByBasename, nativeCommand, resolveBackend, runWasmTool, type ToolBackend } from './wasm-tools.ts';
import { runTool, type RunResult } from './run-tool.ts';

export type { ToolBackend } from './wasm-tools.ts';

export interface SynthOptions {
  top: string;
  sources: string[];
  workDir: string;
  device?: 'up5k' | 'hx8k';
  dsp?: boolean;
  spram?: boolean;
  abc9?: boolean;
  /**
   * Yosys commands run after the sources are read and before synth_ice40 (e.g. `chparam`).
   * With the WebAssembly backend only the sources (by basename) are visible to them.
   */
  extraScript?: string;
  /** Overrides FPGA_TOOLCHAIN and auto-detection (see resolveBackend). */
  backend?: ToolBackend;
}

export interface CellCounts {
  lut4: number;
  carry: number;
  ff: number;
  ebr: number;
  spram: number;
  dsp: number;
  io: number;
  other: Record<string, number>;
}

export interface SynthResult {
  jsonPath: string;
  netlistVerilogPath?: string;
  cells: CellCounts;
  warnings: string[];
  log: string;
  seconds: number;
  /** Which Yosys ran: the native binary or the YoWASP WebAssembly build. */
  backend: ToolBackend;
}


function quote(p: string): string {
  if (p.includes('"')) throw new Error(`path cannot contain a double quote for Yosys: ${p}`);
  return `"${p}"`;
}

// `ref` maps a source path to the name the script uses for it: the absolute
// path natively, the basename in the WebAssembly tree.
function readCommands(sources: string[], ref: (s: string) => string = (s) => path.resolve(s)): string[] {
  if (sources.length === 0) throw new Error('no Verilog sources given');
  // One read per file: -sv must only apply to SystemVerilog files.
  return sources.map((s) => {
    const name = ref(s);
    const sv = /\.sv$/i.test(name) ? ' -sv' : '';
    return `read_verilog${sv} ${quote(name)}`;
  });
}

const basename = (s: string) => path.basename(path.resolve(s));

function tail(text: string, n: number): string {
  const lines = text.trimEnd().split('\n');
  return lines.slice(-n).join('\n');
}

function failure(tool: string, r: RunResult, backend: ToolBackend = 'native'): Error {
  if (backend === 'wasm') tool += ' (WebAssembly)';
  const errors = r.output.split('\n').filter((l) => l.startsWith('ERROR:'));
  const head = errors.length ? errors.join('\n') : `exit code ${r.code}`;
  return new Error(`${tool} failed: ${head}\n--- last 30 lines ---\n${tail(r.output, 30)}`);
}

/**
 * Pulls "Warning:" messages out of a Yosys log. A warning ending in ':' is
 * followed by indented detail lines (e.g. the list of conflicting drivers),
 * which are folded into the same entry; duplicates are dropped because
 * synth_ice40 runs `check` itself and we run it again afterwards.
 */
function parseYosysWarnings(log: string): string[] {
  const lines = log.split('\n');
  const out: string[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trimEnd();
    if (!line.startsWith('Warning:')) continue;
    let msg = line;
    if (line.endsWith(':')) {
      while (i + 1 < lines.length && /^\s+\S/.test(lines[i + 1]!)) {
        msg += '\n' + lines[++i]!.trimEnd();
      }
    }
    if (!seen.has(msg)) {
      seen.add(msg);
      out.push(msg);
    }
  }
  return out;
}

interface StatJson {
  design?: { num_cells_by_type?: Record<string, number> };
  modules?: Record<string, { num_cells_by_type?: Record<string, number> }>;
}

function countCells(byType: Record<string, number>): CellCounts {
  const c: CellCounts = { lut4: 0, carry: 0, ff: 0, ebr: 0, spram: 0, dsp: 0, io: 0, other: {} };
  for (const [type, n] of Object.entries(byType)) {
    if (type === 'SB_LUT4') c.lut4 += n;
    else if (type === 'SB_CARRY') c.carry += n;
    else if (type.startsWith('SB_DFF')) c.ff += n;
    else if (type.startsWith('SB_RAM40_4K')) c.ebr += n;
    else if (type === 'SB_SPRAM256KA') c.spram += n;
    else if (type === 'SB_MAC16') c.dsp += n;
    else if (type === 'SB_IO') c.io += n;
    else c.other[type] = (c.other[type] ?? 0) + n;
  }
  return c;
}

export async function synthIce40(o: SynthOptions): Promise<SynthResult> {
  const device = o.device ?? 'up5k';
  // hx8k has neither primitive; failing here is clearer than a nextpnr error later.
  if (device === 'hx8k' && (o.dsp || o.spram)) {
    throw new Error('dsp/spram inference requested but hx8k has no SB_MAC16/SB_SPRAM256KA');
  }
  const backend = resolveBackend('yosys', o.backend);
  const workDir = path.resolve(o.workDir);
  fs.mkdirSync(workDir, { recursive: true });
  const jsonPath = path.join(workDir, `${o.top}.json`);
  const netlistVerilogPath = path.join(workDir, `${o.top}_syn.v`);
  const synthFlags = [`-top ${o.top}`];
  if (o.dsp) synthFlags.push('-dsp');
  if (o.spram) synthFlags.push('-spram');
  // -device only steers the abc9 timing model; it is ignored otherwise.
  if (o.abc9) synthFlags.push('-abc9', `-device ${device === 'up5k' ? 'u' : 'hx'}`);

  const script: SynthScript = (reads, stat, json, netlist) => [
    ...reads,
    ...(o.extraScript ? [o.extraScript] : []),
    `synth_ice40 ${synthFlags.join(' ')}`,
    // Newer Yosys (e.g. the 0.55 WebAssembly build) leaves $scopeinfo cells
    // for flattened hierarchy, which nextpnr 0.4 cannot place; on 0.23 this
    // selects nothing and prints nothing.
    'delete t:$scopeinfo',
    'check',
    // -top makes the "design" section total the whole hierarchy, so modules
    // that escape flattening (keep_hierarchy) are still counted.
    `tee -q -o ${stat} stat -json -top ${o.top}`,
    `write_json ${quote(json)}`,
    `write_verilog -noattr ${quote(netlist)}`,
  ].join('\n');

  const { r, stat, seconds } = backend === 'wasm'
    ? await synthWasm(o, workDir, script)
    : await synthNative(o, workDir, script, jsonPath, netlistVerilogPath);
  let byType = stat.design?.num_cells_by_type;
  if (!byType) {
    const mods = Object.entries(stat.modules ?? {});
    byType = mods.find(([name]) => name === `\\${o.top}` || name === o.top)?.[1].num_cells_by_type ?? {};
  }

  return {
    jsonPath,
    netlistVerilogPath,
    cells: countCells(byType),
    warnings: parseYosysWarnings(r.output),
    log: r.output,
    seconds,
    backend,
  };
}

type SynthScript = (reads: string[], stat: string, json: string, netlist: string) => string;

interface SynthRun {
  r: RunResult;
  stat: StatJson;
  seconds: number;
}

async function synthNative(
  o: SynthOptions,
  workDir: string,
  script: SynthScript,
  jsonPath: string,
  netlistVerilogPath: string,
): Promise<SynthRun> {
  // `tee -o` takes its file name verbatim (no quote stripping), so a path
  // with whitespace cannot be passed to it; use a private temp dir instead.
  let statPath = path.join(workDir, `${o.top}_stat.json`);
  let statTmp: string | undefined;
  if (/[\s"]/.test(statPath)) {
    statTmp = fs.mkdtempSync(path.join(os.tmpdir(), 'yosys-stat-'));
    statPath = path.join(statTmp, 'stat.json');
    if (/[\s"]/.test(statPath)) throw new Error(`cannot find a whitespace-free path for Yosys stat output: ${statPath}`);
  }
  const scriptPath = path.join(workDir, `${o.top}_synth.ys`);
  const logPath = path.join(workDir, `${o.top}_yosys.log`);
  fs.rmSync(statPath, { force: true });

  fs.writeFileSync(scriptPath, script(readCommands(o.sources), statPath, jsonPath, netlistVerilogPath) + '\n');

  const t0 = performance.now();
  let r: RunResult;
  let stat: StatJson;
  try {
    r = await runTool(nativeCommand('yosys'), ['-s', scriptPath]);
    fs.writeFileSync(logPath, r.output);
    if (r.code !== 0) throw failure('yosys', r);
    stat = JSON.parse(fs.readFileSync(statPath, 'utf8')) as StatJson;
  } finally {
    if (statTmp) fs.rmSync(statTmp, { recursive: true, force: true });
  }
  return { r, stat, seconds: (performance.now() - t0) / 1000 };
}

/**
 * The WebAssembly synthesis run: the script, sources and outputs all live in
 * the tool's tree under names relative to workDir, and the outputs (netlists,
 * stat) are written back into workDir under the same names as natively.
 */
async function synthWasm(
  o: SynthOptions,
  workDir: string,
  script: SynthScript,
): Promise<SynthRun> {
  const names = {
    script: `${o.top}_synth.ys`,
    stat: `${o.top}_stat.json`,
    json: `${o.top}.json`,
    netlist: `${o.top}_syn.v`,
  };
  // `tee -o` takes its file name verbatim, so it cannot contain whitespace.
  if (/[\s"/\\]/.test(o.top)) throw new Error(`top module name cannot be used as a file name: ${JSON.stringify(o.top)}`);
  const sources = filesByBasename(o.sources, Object.values(names));
  const text = script(readCommands(o.sources, basename), names.stat, names.json, names.netlist) + '\n';
  fs.writeFileSync(path.join(workDir, names.script), text);
  const statPath = path.join(workDir, names.stat);
  // A stale netlist or stat from an earlier run must never pass for this one's.
  for (const f of [names.stat, names.json, names.netlist]) fs.rmSync(path.join(workDir, f), { force: true });

  const t0 = performance.now();
  const r = await runWasmTool('yosys', ['-s', names.script], { ...sources, [names.script]: text }, workDir);
  fs.writeFileSync(path.join(workDir, `${o.top}_yosys.log`), r.output);
  if (r.code !== 0) throw failure('yosys', r, 'wasm');
  const stat = JSON.parse(fs.readFileSync(statPath, 'utf8')) as StatJson;
  return { r, stat, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Elaborates the design (no synthesis) and returns Yosys' warnings; [] means
 * clean. Parse or elaboration errors (missing module, syntax) throw instead,
 * since they are not lint findings but a design that cannot be analysed.
 */
export async function lintYosys(o: { top: string; sources: string[]; backend?: ToolBackend }): Promise<string[]> {
  const backend = resolveBackend('yosys', o.backend);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'yosys-lint-'));
  try {
    const script = (reads: string[]) => [
      // iCE40 primitives as blackboxes so designs that instantiate SB_* cells
      // pass `hierarchy -check`; user modules of the same name replace them.
      'read_verilog -lib -specify +/ice40/cells_sim.v',
      ...reads,
      `hierarchy -check -top ${o.top}`,
      'proc',
      'check',
    ].join('\n') + '\n';
    let r: RunResult;
    if (backend === 'wasm') {
      const sources = filesByBasename(o.sources, ['lint.ys']);
      r = await runWasmTool('yosys', ['-s', 'lint.ys'], { ...sources, 'lint.ys': script(readCommands(o.sources, basename)) }, tmp);
    } else {
      const scriptPath = path.join(tmp, 'lint.ys');
      fs.writeFileSync(scriptPath, script(readCommands(o.sources)));
      r = await runTool(nativeCommand('yosys'), ['-s', scriptPath]);
    }
    if (r.code !== 0) throw failure('yosys lint', r, backend);
    return parseYosysWarnings(r.output);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
