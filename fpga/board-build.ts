// A board's bitstream from a checkpoint: the accelerator for the model behind the board's UART and
// protocol engine (board/board-top.ts), synthesised (yosys synth_ice40), placed and routed against the
// board's pin file (nextpnr-ice40, seed recorded) and packed (icepack). The build fails, with the report
// saying why, on over-use or when the routed design misses the board clock. The report counts what the
// design uses of what the part has, and turns the manifest's cycles per token into tokens/s at fmax.
import fs from 'node:fs';
import path from 'node:path';
import { elaborate } from '../hdl/ir/elaborate.ts';
import { writeVerilog } from '../hdl/verilog/emit.ts';
import { predictCycles } from '../accel/timing.ts';
import type { WeightSource } from '../model/config.ts';
import { boardTop, designClockHz } from '../board/board-top.ts';
import { pllSettings, type PllSettings } from '../board/pll.ts';
import { boardProgram, type BoardSpec } from '../board/boards.ts';
import { modelHash } from '../protocol/model-hash.ts';
import { synthIce40, type CellCounts } from '../flow/yosys.ts';
import { icepack, placeAndRouteIce40, toolVersions } from '../flow/nextpnr.ts';
import { ICE40_DEVICES } from './devices.ts';
import { moduleUtilisation, type ModuleUse } from './module-utilisation.ts';

export interface Use {
  used: number;
  available: number;
}

export interface BuildReport {
  board: string;
  device: string;
  package: string;
  model: string;
  accel: { target: string; lanes: number };
  /** FNV-1a of the weight image: what the host's handshake checks. */
  modelHash: string;
  imageWords: number;
  fits: boolean;
  /** Why the build failed (over-use, timing, a part without what the design needs). */
  failure?: string;
  resources: { logicCells: Use; lut4: Use; dff: Use; carry: Use; ebr: Use; spram: Use; dsp: Use; io: Use };
  /** Each instance's own cells, from the flattened netlist's names (fpga/module-utilisation.ts); rows add up to the synthesis totals. */
  modules: ModuleUse[];
  /** Routed logic cells less the modules' packed sum: what nextpnr's packer adds (carry-chain feed-ins, constants) less what it merges (LUTs into carry cells); null before routing. */
  placerLogicCells: number | null;
  /** The board's oscillator. */
  oscillatorMHz: number;
  /** The PLL's dividers where the design runs from the PLL, else null. */
  pll: Omit<PllSettings, 'outHz'> | null;
  /** The clock the design runs at (the PLL's output, or the oscillator); the build fails if the routed design misses it. */
  clockMHz: number;
  /** Post-route fmax of the slowest clock, and of each. */
  fmaxMHz: number | null;
  fmaxByClock: Record<string, number>;
  cyclesPerToken: number;
  /** Tokens per second at fmax (the most any clock could give) and at clockMHz (what this bitstream does). */
  tokensPerSecond: number | null;
  tokensPerSecondAtClock: number;
  seed: number;
  bitstream: string | null;
  verilog: string[];
  tools: { yosys: string; nextpnr: string };
  seconds: { synth: number; modules: number; pnr: number; pack: number };
}

export interface BuildOptions {
  board: BoardSpec;
  weights: WeightSource;
  modelLabel: string;
  outDir: string;
  seed: number;
  log?: (msg: string) => void;
}

/** The nextpnr utilisation names of each resource. */
const BEL = { logicCells: 'ICESTORM_LC', ebr: 'ICESTORM_RAM', spram: 'ICESTORM_SPRAM', dsp: 'ICESTORM_DSP', io: 'SB_IO' } as const;

/** "ICESTORM_LC:  5242/ 5280" lines of a nextpnr log: utilisation even when placement failed. */
function utilisationFromLog(log: string): Record<string, Use> {
  const out: Record<string, Use> = {};
  for (const m of log.matchAll(/^Info:\s+(\w+):\s+(\d+)\/\s*(\d+)/gm)) out[m[1]!] = { used: Number(m[2]), available: Number(m[3]) };
  return out;
}

export async function buildBoard(o: BuildOptions): Promise<BuildReport> {
  const log = o.log ?? (() => {});
  const b = o.board;
  const dev = ICE40_DEVICES[b.device];
  const prog = boardProgram(b, o.weights);
  const cyclesPerToken = predictCycles(prog).total;
  const pll = b.pllHz === undefined ? undefined : pllSettings(b.clockHz, b.pllHz);
  const clockHz = designClockHz({ clockHz: b.clockHz, ...(pll ? { pll } : {}) });
  const clockMHz = clockHz / 1e6;
  const zero = (available: number): Use => ({ used: 0, available });
  const report: BuildReport = {
    board: b.name,
    device: dev.name,
    package: b.package,
    model: o.modelLabel,
    accel: { ...prog.config },
    modelHash: `0x${modelHash(prog.image).toString(16).padStart(8, '0')}`,
    imageWords: prog.image.length,
    fits: false,
    resources: {
      logicCells: zero(dev.logicCells),
      lut4: zero(dev.logicCells),
      dff: zero(dev.logicCells),
      carry: zero(dev.logicCells),
      ebr: zero(dev.ebr),
      spram: zero(dev.spram),
      dsp: zero(dev.dsp),
      io: zero(dev.io[b.package] ?? 0),
    },
    modules: [],
    placerLogicCells: null,
    oscillatorMHz: b.clockHz / 1e6,
    pll: pll ? { divr: pll.divr, divf: pll.divf, divq: pll.divq, filterRange: pll.filterRange } : null,
    clockMHz,
    fmaxMHz: null,
    fmaxByClock: {},
    cyclesPerToken,
    tokensPerSecond: null,
    tokensPerSecondAtClock: clockHz / cyclesPerToken,
    seed: o.seed,
    bitstream: null,
    verilog: [],
    tools: { yosys: toolVersions().yosys, nextpnr: toolVersions().nextpnr },
    seconds: { synth: 0, modules: 0, pnr: 0, pack: 0 },
  };
  fs.mkdirSync(o.outDir, { recursive: true });

  // A part without SPRAM keeps the weights in EBR: say so before an hour of synthesis says it worse.
  if (dev.spram === 0) {
    const bits = prog.image.length * 16;
    const have = dev.ebr * dev.ebrBits;
    if (bits > have) {
      report.failure = `the weight image needs ${bits.toLocaleString('en-US')} bits of on-chip RAM and the ${dev.name} has ${have.toLocaleString('en-US')} (${dev.ebr} EBR, no SPRAM): use a model of at most ${Math.floor(have / 16).toLocaleString('en-US')} image words or a board with an iCE40UP5K`;
      return report;
    }
  }

  const top = boardTop(prog, { clockHz: b.clockHz, baud: b.baud, button: b.button, leds: b.leds, ...(pll ? { pll } : {}) });
  const rtlDir = path.join(o.outDir, 'rtl');
  fs.rmSync(rtlDir, { recursive: true, force: true });
  report.verilog = writeVerilog(elaborate(top), rtlDir);
  log(`synthesising ${top.name} (${report.verilog.length} Verilog files) for the ${dev.name}`);
  const hasHardBlocks = dev.spram > 0;
  const syn = await synthIce40({ top: top.name, sources: report.verilog, workDir: o.outDir, device: b.device, dsp: hasHardBlocks, spram: hasHardBlocks });
  report.seconds.synth = syn.seconds;
  fillFromCells(report, syn.cells);
  // The per-instance table is for reading, not for the bitstream: a netlist it cannot read leaves it empty.
  const t0 = performance.now();
  try {
    report.modules = moduleUtilisation(syn.jsonPath, top);
  } catch (e) {
    log(`no per-instance table: ${(e as Error).message.split('\n')[0]}`);
  }
  report.seconds.modules = (performance.now() - t0) / 1000;

  log(`placing and routing (seed ${o.seed}, ${clockMHz} MHz)`);
  let pnrLog = '';
  try {
    const pnr = await placeAndRouteIce40({ jsonPath: syn.jsonPath, workDir: o.outDir, device: b.device, package: b.package, pcf: b.pcf, freqMHz: clockMHz, seed: o.seed, timingAllowFail: true });
    report.seconds.pnr = pnr.seconds;
    pnrLog = pnr.log;
    fillFromUtilisation(report, pnr.utilisation);
    if (report.modules.length) report.placerLogicCells = report.resources.logicCells.used - report.modules.reduce((s, m) => s + m.logicCells, 0);
    report.fmaxByClock = pnr.fmaxMHz;
    const fmax = Object.values(pnr.fmaxMHz);
    report.fmaxMHz = fmax.length ? Math.min(...fmax) : null;
    if (report.fmaxMHz !== null) report.tokensPerSecond = (report.fmaxMHz * 1e6) / cyclesPerToken;
    if (!pnr.passedTiming) {
      report.failure = `timing: the routed design reaches ${report.fmaxMHz?.toFixed(2)} MHz, below the ${pll ? 'PLL' : 'board'} clock of ${clockMHz} MHz (try another --seed)`;
      return report;
    }
    log('packing the bitstream');
    const bin = path.join(o.outDir, `${top.name}.bin`);
    const packed = await icepack(pnr.ascPath, bin);
    report.seconds.pack = packed.seconds;
    report.bitstream = bin;
    report.fits = true;
  } catch (e) {
    const msg = (e as Error).message;
    const logFile = path.join(o.outDir, `${top.name}_nextpnr.log`);
    pnrLog = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : msg;
    fillFromUtilisation(report, utilisationFromLog(pnrLog));
    const over = Object.entries(report.resources).filter(([, u]) => u.used > u.available);
    report.failure = over.length
      ? `the design does not fit the ${dev.name}: ${over.map(([k, u]) => `${k} ${u.used} of ${u.available}`).join(', ')}`
      : (msg.split('\n').find((l) => l.includes('ERROR')) ?? msg.split('\n')[0]!);
  }
  return report;
}

function fillFromCells(r: BuildReport, c: CellCounts): void {
  r.resources.lut4.used = c.lut4;
  r.resources.dff.used = c.ff;
  r.resources.carry.used = c.carry;
  r.resources.ebr.used = c.ebr;
  r.resources.spram.used = c.spram;
  r.resources.dsp.used = c.dsp;
  r.resources.io.used = c.io;
}

function fillFromUtilisation(r: BuildReport, u: Record<string, Use>): void {
  for (const [key, bel] of Object.entries(BEL) as [keyof typeof BEL, string][]) {
    const x = u[bel];
    if (x) r.resources[key] = { ...x };
  }
}
