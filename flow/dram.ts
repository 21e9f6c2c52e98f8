// The TypeScript side of the harness's DRAM model (flow/dram-model.h): its parameters, the `D`
// protocol lines that configure it, place images and read its statistics. StimulusScript.dram(),
// .dramImage() and .dramStats() emit these lines; VerilatorSession.dramStats() reads them back.
// Presets for real memories live in sim/dram-presets.ts; the model itself in docs/dram.md.

import type { PortSpec } from './verilator.ts';

/** The design's LiteDRAM-style native read port, by port name. */
export interface DramPorts {
  cmdValid: string;
  cmdReady: string;
  /** Address in port words. */
  cmdAddr: string;
  rdataValid: string;
  rdataReady: string;
  /** W bits, a whole number of bytes. */
  rdataData: string;
}

export const DEFAULT_DRAM_PORTS: Readonly<DramPorts> = {
  cmdValid: 'dram_cmd_valid',
  cmdReady: 'dram_cmd_ready',
  cmdAddr: 'dram_cmd_addr',
  rdataValid: 'dram_rdata_valid',
  rdataReady: 'dram_rdata_ready',
  rdataData: 'dram_rdata_data',
};

/** The model's timing, in cycles of the design's clock. */
export interface DramTiming {
  /** Peak bytes per cycle; Infinity (or anything at or above the port width) means one word every cycle. */
  bytesPerCycle: number;
  /** Cycles from a command's acceptance to the first cycle its data may be valid (>= 1). */
  latency: number;
  /** Row (page) size in bytes, a whole number of port words; 0: one endless row (no misses). */
  rowBytes: number;
  banks: number;
  /** Cycles to open a row other than the bank's open one (tRP + tRCD). */
  missPenalty: number;
  /** Cycles between refreshes (tREFI); 0: no refresh. */
  refreshInterval: number;
  /** Cycles each refresh stalls the memory (tRFC). */
  refreshCycles: number;
  /** Most commands accepted and not yet returned. */
  queueDepth: number;
  /** Probability per cycle that cmd_ready is held low, and (separately) that a ready word is withheld. */
  backPressure: number;
  /** Seed of the back-pressure PRNG (runs reproduce from it). */
  seed: number;
}

export interface DramConfig extends DramTiming {
  /** Port names; unspecified ones are DEFAULT_DRAM_PORTS. */
  ports?: Partial<DramPorts>;
}

/** An ideal memory: a word every cycle, a one-cycle latency, no rows, no refresh, no back-pressure. */
export const IDEAL_DRAM_TIMING: Readonly<DramTiming> = {
  bytesPerCycle: Infinity,
  latency: 1,
  rowBytes: 0,
  banks: 1,
  missPenalty: 0,
  refreshInterval: 0,
  refreshCycles: 0,
  queueDepth: 64,
  backPressure: 0,
  seed: 1,
};

export interface DramStats {
  /** Cycles since the model was configured. */
  cycles: number;
  commands: number;
  beats: number;
  /** Commands accepted and not yet returned. */
  outstanding: number;
  /** Cycles with cmd_valid && !cmd_ready. */
  cmdWaitCycles: number;
  /** Cycles with rdata_ready && !rdata_valid while commands were outstanding. */
  dataWaitCycles: number;
  rowMisses: number;
  /** Refresh windows begun so far. */
  refreshes: number;
  /** Cycles commands' issue was pushed back by refresh windows. */
  refreshStallCycles: number;
}

const STAT_NAMES: readonly (keyof DramStats)[] = [
  'cycles',
  'commands',
  'beats',
  'outstanding',
  'cmdWaitCycles',
  'dataWaitCycles',
  'rowMisses',
  'refreshes',
  'refreshStallCycles',
];

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

function integer(field: string, v: number, min: number, max: number): string {
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw new RangeError(`dram: ${field} must be an integer in ${min} .. ${max}, got ${v}`);
  }
  return String(v);
}

export function resolveDramPorts(ports: Partial<DramPorts> | undefined): DramPorts {
  const p = { ...DEFAULT_DRAM_PORTS, ...ports };
  for (const [k, name] of Object.entries(p)) {
    if (!IDENT.test(name)) throw new Error(`dram: port ${k} '${name}' is not a plain identifier`);
  }
  return p;
}

/**
 * Checks the ports against the design's port list (directions, 1-bit handshakes, whole-byte data)
 * so a wrong name fails where the script is written rather than in the harness.
 */
export function checkDramPorts(p: DramPorts, ports: readonly PortSpec[]): void {
  const map = new Map(ports.map((x) => [x.name, x]));
  const want: [keyof DramPorts, 'input' | 'output', number | undefined][] = [
    ['cmdValid', 'output', 1],
    ['cmdReady', 'input', 1],
    ['cmdAddr', 'output', undefined],
    ['rdataValid', 'input', 1],
    ['rdataReady', 'output', 1],
    ['rdataData', 'input', undefined],
  ];
  for (const [key, dir, width] of want) {
    const spec = map.get(p[key]);
    if (!spec) throw new Error(`dram: ${key} port '${p[key]}' is not a port of the design`);
    if (spec.dir !== dir) throw new Error(`dram: ${key} port '${p[key]}' must be an ${dir}`);
    if (width !== undefined && spec.width !== width) {
      throw new Error(`dram: ${key} port '${p[key]}' must be ${width} bit wide, is ${spec.width}`);
    }
  }
  const data = map.get(p.rdataData)!;
  if (data.width % 8) throw new Error(`dram: rdataData port '${p.rdataData}' is ${data.width} bit, not whole bytes`);
  if (map.get(p.cmdAddr)!.width > 64) throw new Error(`dram: cmdAddr port '${p.cmdAddr}' is wider than 64 bit`);
}

/** The `D config` line for `cfg`; checks every field, and the ports when the design's list is given. */
export function dramConfigLine(cfg: DramConfig, designPorts?: readonly PortSpec[]): string {
  const p = resolveDramPorts(cfg.ports);
  if (designPorts) checkDramPorts(p, designPorts);
  if (!(cfg.bytesPerCycle > 0)) throw new RangeError(`dram: bytesPerCycle must be positive, got ${cfg.bytesPerCycle}`);
  if (!(cfg.backPressure >= 0 && cfg.backPressure < 1)) {
    throw new RangeError(`dram: backPressure must be a probability in [0, 1), got ${cfg.backPressure}`);
  }
  const refreshInterval = integer('refreshInterval', cfg.refreshInterval, 0, 2 ** 40);
  const refreshCycles = integer('refreshCycles', cfg.refreshCycles, 0, 2 ** 40);
  if (cfg.refreshInterval > 0 && cfg.refreshCycles >= cfg.refreshInterval) {
    throw new RangeError(`dram: refreshCycles (${cfg.refreshCycles}) must be below refreshInterval (${cfg.refreshInterval})`);
  }
  if (cfg.refreshInterval === 0 && cfg.refreshCycles > 0) {
    throw new RangeError('dram: refreshCycles without refreshInterval');
  }
  const fields = [
    `cmd_valid=${p.cmdValid}`,
    `cmd_ready=${p.cmdReady}`,
    `cmd_addr=${p.cmdAddr}`,
    `rdata_valid=${p.rdataValid}`,
    `rdata_ready=${p.rdataReady}`,
    `rdata_data=${p.rdataData}`,
    // 17 significant digits carry the double exactly, so TS and C++ see the same rate.
    `bytes_per_cycle=${Number.isFinite(cfg.bytesPerCycle) ? cfg.bytesPerCycle.toPrecision(17) : 'inf'}`,
    `latency=${integer('latency', cfg.latency, 1, 2 ** 20)}`,
    `row_bytes=${integer('rowBytes', cfg.rowBytes, 0, 2 ** 40)}`,
    `banks=${integer('banks', cfg.banks, 1, 1024)}`,
    `miss_penalty=${integer('missPenalty', cfg.missPenalty, 0, 2 ** 20)}`,
    `refresh_interval=${refreshInterval}`,
    `refresh_cycles=${refreshCycles}`,
    `queue_depth=${integer('queueDepth', cfg.queueDepth, 1, 2 ** 20)}`,
    `backpressure=${cfg.backPressure}`,
    `seed=${integer('seed', cfg.seed, 0, Number.MAX_SAFE_INTEGER)}`,
  ];
  return `D config ${fields.join(' ')}`;
}

/** The `D image` line: byte k of `file` at byte address byteOffset + k. */
export function dramImageLine(file: string, byteOffset = 0): string {
  integer('image byteOffset', byteOffset, 0, Number.MAX_SAFE_INTEGER);
  if (!file || /[\r\n]/.test(file)) throw new Error(`dram: bad image path '${file}'`);
  // The harness takes the rest of the line as the path; edge spaces would be trimmed away.
  if (file.trim() !== file) throw new Error(`dram: image path '${file}' starts or ends with a space`);
  return `D image ${byteOffset} ${file}`;
}

export function dramStatsLine(tag: string): string {
  if (!/^[^\s.]+$/.test(tag)) throw new Error(`dram: stats tag '${tag}' must be non-empty without whitespace or dots`);
  return `D stats ${tag}`;
}

/** The statistics a `D stats <tag>` line produced, from a run's samples. */
export function readDramStats(samples: Map<string, bigint[]>, tag: string): DramStats {
  const out = {} as DramStats;
  for (const name of STAT_NAMES) {
    const values = samples.get(`${tag}.${name}`);
    if (!values || values.length === 0) throw new Error(`dram: no statistics under tag '${tag}' (was D stats ${tag} run?)`);
    out[name] = Number(values[values.length - 1]);
  }
  return out;
}
