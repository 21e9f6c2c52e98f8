// Memories the accelerator's co-simulation can run against: each preset states a real part's
// figures in nanoseconds and bytes per second (sources in docs/dram.md) and the design clock it
// is taken at; dramSetup() turns one into the cycle-level parameters of the harness's DRAM model
// (flow/dram-model.h), with the port width and any overrides (--dram-bytes-per-cycle, --dram-latency).

import { IDEAL_DRAM_TIMING, type DramTiming } from '../flow/dram.ts';

export type DramPresetName = 'ideal' | 'ddr3-x16' | 'ddr4-x64' | 'hbm-pc';

export interface DramPreset {
  summary: string;
  /** The design clock the preset's cycle figures are taken at (undefined: any; ideal only). */
  clockMHz: number | undefined;
  /** Peak bandwidth of the memory in GB/s (10^9 bytes); undefined: the port's width every cycle. */
  peakGBps: number | undefined;
  /** Command accepted to first data, in cycles of clockMHz (a controller pipeline counts cycles, not ns). */
  latencyCycles: number;
  /** Row (page) size in bytes across the whole data bus. */
  rowBytes: number;
  banks: number;
  /** Precharge and activate: the row-miss penalty is their sum. */
  tRPns: number;
  tRCDns: number;
  /** Refresh interval and refresh cycle time (all-bank refresh); 0: none. */
  tREFIns: number;
  tRFCns: number;
  /** Commands the controller takes before it stops accepting. */
  queueDepth: number;
}

export const DRAM_PRESETS: Readonly<Record<DramPresetName, DramPreset>> = {
  ideal: {
    summary: 'a word every cycle, one cycle of latency, no rows, no refresh',
    clockMHz: undefined,
    peakGBps: undefined,
    latencyCycles: 1,
    rowBytes: 0,
    banks: 1,
    tRPns: 0,
    tRCDns: 0,
    tREFIns: 0,
    tRFCns: 0,
    queueDepth: 64,
  },
  'ddr3-x16': {
    summary: "an ECP5 board's 16-bit DDR3 (4 Gb, MT41K256M16) through LiteDRAM's ECP5DDRPHY at a 75 MHz system clock (300 MT/s)",
    clockMHz: 75,
    peakGBps: 0.6,
    // The figures are the part's as one LiteDRAM native port sees them, measured through LiteDRAM in
    // Verilator (fpga/ecp5/litedram-sim.long.test.ts, docs/ecp5.md): 93.1% of the peak on a sequential
    // stream. A read to an open row: 16 cycles from command to data (ECP5DDRPHY's read_latency 13 + 3).
    latencyCycles: 16,
    rowBytes: 2048,
    // LiteDRAM's crossbar holds a port on one bank until that bank's queued commands are done, so a single
    // stream never opens the next bank behind the current one: for it the part has one bank.
    banks: 1,
    // tRP + tRCD as that stream pays them at each bank change: 6 cycles (the part's 13.75 ns each would be
    // 2 + 2; the lock's drain and the activate's way through the bank machine add 2).
    tRPns: 40,
    tRCDns: 40,
    tREFIns: 7812.5,
    // 260 ns (4 Gb) plus the 26.7 ns (2 cycles) LiteDRAM's refresher waits between its precharge-all and the refresh.
    tRFCns: 286.7,
    queueDepth: 32,
  },
  'ddr4-x64': {
    summary: 'one 64-bit DDR4-2400 channel (four 8 Gb x16 parts, as on a KV260) at a 300 MHz fabric clock: 512 bits a cycle',
    clockMHz: 300,
    peakGBps: 19.2,
    // About 90 ns from the AXI read address to data for a page hit (an estimate).
    latencyCycles: 27,
    rowBytes: 8192,
    banks: 8,
    tRPns: 13.32,
    tRCDns: 13.32,
    tREFIns: 7800,
    tRFCns: 350,
    queueDepth: 64,
  },
  'hbm-pc': {
    summary: "one HBM2 pseudo-channel of an Alveo U280 (64 bits at 1800 Mb/s a pin) at a 300 MHz fabric clock",
    clockMHz: 300,
    peakGBps: 14.4,
    // About 110 ns idle read latency through Xilinx's HBM controller (an estimate).
    latencyCycles: 33,
    rowBytes: 1024,
    banks: 16,
    tRPns: 14,
    tRCDns: 14,
    tREFIns: 3900,
    tRFCns: 260,
    queueDepth: 64,
  },
};

export const DRAM_PRESET_NAMES = Object.keys(DRAM_PRESETS) as DramPresetName[];

export function isDramPresetName(name: string): name is DramPresetName {
  return Object.prototype.hasOwnProperty.call(DRAM_PRESETS, name);
}

export interface DramOverrides {
  /** Design clock; rescales the nanosecond figures (the latency scales with it too). */
  clockMHz?: number;
  /** --dram-bytes-per-cycle: peak bytes per cycle in place of the preset's bandwidth / clock. */
  bytesPerCycle?: number;
  /** --dram-latency: cycles in place of the preset's. */
  latency?: number;
  backPressure?: number;
  seed?: number;
  queueDepth?: number;
}

/** A preset at a port width with overrides, and what the harness's model is given. */
export interface DramSetup {
  preset: DramPresetName;
  clockMHz: number | undefined;
  portBits: number;
  /** The memory's own peak in bytes per cycle (Infinity for ideal), before the port limits it. */
  memoryBytesPerCycle: number;
  /** The model's parameters; timing.bytesPerCycle is the peak the port can take (<= portBits / 8). */
  timing: DramTiming;
}

function cyclesOf(ns: number, clockMHz: number): number {
  // 1e-9 keeps an exact multiple (13.75 ns at 80 MHz) from rounding up through float noise.
  return ns > 0 ? Math.ceil((ns * clockMHz) / 1000 - 1e-9) : 0;
}

function positive(field: string, v: number | undefined): void {
  if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new RangeError(`dram: ${field} must be a positive number, got ${v}`);
}

/** The parameters of preset `name` for a port of `portBits` bits, with overrides. */
export function dramSetup(name: string, portBits: number, o: DramOverrides = {}): DramSetup {
  if (!isDramPresetName(name)) throw new Error(`unknown DRAM preset '${name}' (${DRAM_PRESET_NAMES.join(', ')})`);
  if (!Number.isInteger(portBits) || portBits < 8 || portBits % 8) {
    throw new RangeError(`dram: port width must be a whole number of bytes, got ${portBits} bit`);
  }
  positive('clockMHz', o.clockMHz);
  positive('bytesPerCycle', o.bytesPerCycle);
  if (o.latency !== undefined && !(Number.isInteger(o.latency) && o.latency >= 1)) {
    throw new RangeError(`dram: latency must be a whole number of cycles >= 1, got ${o.latency}`);
  }
  const p = DRAM_PRESETS[name];
  const portBytes = portBits / 8;
  const clockMHz = o.clockMHz ?? p.clockMHz;
  if (clockMHz === undefined && (p.peakGBps !== undefined || p.tREFIns > 0)) {
    throw new Error(`dram: preset '${name}' needs a clock`);
  }
  const clock = clockMHz ?? 1;
  const memoryBytesPerCycle = o.bytesPerCycle ?? (p.peakGBps === undefined ? Infinity : (p.peakGBps * 1000) / clock);
  const latency =
    o.latency ?? (o.clockMHz !== undefined && p.clockMHz !== undefined ? Math.max(1, Math.round((p.latencyCycles * o.clockMHz) / p.clockMHz)) : p.latencyCycles);
  // Rows are whole port words; for a width that does not divide the row, the nearest below.
  const rowBytes = p.rowBytes > 0 ? Math.max(portBytes, Math.floor(p.rowBytes / portBytes) * portBytes) : 0;
  const timing: DramTiming = {
    ...IDEAL_DRAM_TIMING,
    bytesPerCycle: Math.min(memoryBytesPerCycle, portBytes),
    latency,
    rowBytes,
    banks: p.banks,
    missPenalty: cyclesOf(p.tRPns, clock) + cyclesOf(p.tRCDns, clock),
    refreshInterval: p.tREFIns > 0 ? Math.floor((p.tREFIns * clock) / 1000) : 0,
    refreshCycles: cyclesOf(p.tRFCns, clock),
    queueDepth: o.queueDepth ?? p.queueDepth,
    backPressure: o.backPressure ?? 0,
    seed: o.seed ?? 1,
  };
  return { preset: name, clockMHz, portBits, memoryBytesPerCycle, timing };
}

/**
 * Delivered / peak for a long sequential stream read as fast as the port allows: every refresh
 * costs its tRFC plus one exposed activate (the rows are closed after it); with one bank every
 * row change exposes the miss penalty too (with more, the next bank opens behind the current
 * transfer); and the queue caps the rate at queueDepth words per latency + 1 cycles (Little's law).
 */
export function expectedSequentialEfficiency(t: DramTiming, portBits: number): number {
  const portBytes = portBits / 8;
  const peak = Math.min(t.bytesPerCycle, portBytes);
  const refreshLoss = t.refreshInterval > 0 ? (t.refreshCycles + t.missPenalty) / t.refreshInterval : 0;
  const rowCycles = Math.max(t.rowBytes, portBytes) / peak;
  const missLoss = t.banks === 1 && t.missPenalty > 0 ? t.missPenalty / (rowCycles + t.missPenalty) : 0;
  const littleCap = t.queueDepth / (t.latency + 1) / (peak / portBytes);
  return Math.min((1 - refreshLoss) * (1 - missLoss), littleCap);
}
