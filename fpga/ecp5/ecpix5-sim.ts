// The simulated ECPIX-5: the board logic (fpga/ecp5/ecpix5-logic.ts, the very module the bitstream is
// built from: DDR3 start-up sequencer, UART, protocol engine, load writer, accelerator) on LiteDRAM's
// controller for the board with its SDRAM model in place of the PHY (docs/ecp5.md, "Simulation through
// the real controller"), in Verilator, its UART bridged to a TCP socket by sim/board-bridge.cpp. The host
// talks to it as to the board (`mmf host --sim --board ecpix5`).
//
// Only this top differs from the board's (fpga/ecp5/ecpix5-top.ts): no pins, no PLL (the model's clock
// is the system clock), the button resets the board logic but not the DRAM, and LiteDRAM's `host` port
// can be handed to the harness (pre_*) before the host connects, which writes a model's image into the
// DRAM as an earlier session's upload would have left it. The UART runs at 4 clocks a bit, the fastest
// the design takes, so an upload costs about 85 cycles a 16-bit word: seconds for the small model, hours
// for 370M; that one is preloaded, and the host's VERIFY has the board check it (docs/ecp5.md).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AccelProgram } from '../../accel/program.ts';
import { blackbox } from '../../hdl/core/blackbox.ts';
import { buildModule } from '../../hdl/core/generator.ts';
import type { Module } from '../../hdl/core/module.ts';
import { Bool, UInt } from '../../hdl/core/types.ts';
import { lit, mux, type Expr } from '../../hdl/core/expr.ts';
import { elaborate } from '../../hdl/ir/elaborate.ts';
import { writeVerilog } from '../../hdl/verilog/emit.ts';
import { buildVerilatorModel } from '../../flow/verilator.ts';
import { portSpecs } from '../../sim/rtl-model.ts';
import { BOARD_BRIDGE, SIM_CYCLES_PER_BIT, runBridge, type SimBoard } from '../../sim/board-sim.ts';
import { dramInitSteps } from './dram-init.ts';
import { ECPIX5, type Ecp5Board } from './ecpix5.ts';
import { DRAM_BASE_WORD, DRAM_PORT_BITS, ecpix5Image, ecpix5Logic } from './ecpix5-logic.ts';
import { generateLitedram, type LitedramCore } from './litedram.ts';
import { REPO_ROOT } from './venv.ts';

/** The SDRAM model's banks and bytes a row (MT41K256M16: 8 banks, 1,024 columns of 2 bytes). */
const DRAM_BANKS = 8;
const ROW_BYTES = 2048;
/**
 * Fewest rows the model is built with: 32 MB, room for the tiny and small models' images (its row address
 * must have an A10, which precharge commands use).
 */
const MIN_SIM_ROWS = 2048;

/** Rows of the simulated part that hold an image of `imageWords` 16-bit words from DRAM_BASE_WORD: a power of two. */
export function simRowsFor(imageWords: number): number {
  const bytes = DRAM_BASE_WORD * (DRAM_PORT_BITS / 8) + 2 * imageWords;
  let rows = MIN_SIM_ROWS;
  while (rows * DRAM_BANKS * ROW_BYTES < bytes) rows *= 2;
  return rows;
}

/** A generated module's ports, from its Verilog header (LiteDRAM's core: migen prints one port a line). */
export function verilogModulePorts(verilog: string, module: string): [string, 'input' | 'output', number][] {
  const head = new RegExp(`module\\s+${module}\\s*\\(([\\s\\S]*?)\\);`).exec(verilog);
  if (!head) throw new Error(`no module ${module} in the Verilog`);
  const ports: [string, 'input' | 'output', number][] = [];
  for (const m of head[1]!.matchAll(/^\s*(input|output)\s+wire\s+(?:\[(\d+):0\]\s+)?(\w+)/gm)) {
    ports.push([m[3]!, m[1] as 'input' | 'output', m[2] === undefined ? 1 : Number(m[2]) + 1]);
  }
  if (ports.length === 0) throw new Error(`module ${module}: no ports read from its header`);
  return ports;
}

/** The native port's signals the board logic drives (towards the core) and takes (from it). */
const TO_CORE = ['cmd_valid', 'cmd_we', 'cmd_addr', 'wdata_valid', 'wdata_we', 'wdata_data', 'rdata_ready'] as const;
const FROM_CORE = ['cmd_ready', 'wdata_ready', 'rdata_valid', 'rdata_data'] as const;

/**
 * The simulation top `mmf_ecpix5_sim`: clk, btn_n, uart_rx, uart_tx (what sim/board-bridge.cpp drives),
 * dram_ready (the core's init_done) and the preload port pre_* (the harness's while pre_active is 1).
 */
export function ecpix5SimTop(logic: Module, core: Pick<LitedramCore, 'verilog' | 'portAddressBits'>, name = 'mmf_ecpix5_sim'): Module {
  const dram = blackbox({ name: 'litedram_core', ports: verilogModulePorts(fs.readFileSync(core.verilog, 'utf8'), 'litedram_core') });
  const AW = core.portAddressBits;
  const W = DRAM_PORT_BITS;
  return buildModule(name, (m) => {
    const btnN = m.input('btn_n', Bool);
    const preActive = m.input('pre_active', Bool);
    const pre = {
      cmd_valid: m.input('pre_cmd_valid', Bool),
      cmd_addr: m.input('pre_cmd_addr', UInt(AW)),
      wdata_valid: m.input('pre_wdata_valid', Bool),
      wdata_data: m.input('pre_wdata_data', UInt(W)),
    };
    // The core first, its inputs from the logic driven once the logic is placed.
    const c = m.instance('u_dram', dram, { clk: m.clk, sim_trace: lit(0, Bool), wb_ctrl_cti: lit(0, UInt(3)), wb_ctrl_bte: lit(0, UInt(2)) });
    const toCore = (port: string, v: Expr) => m.assign(c.deferred.get(port)!, v);
    const host = (s: (typeof FROM_CORE)[number]) => c.out(`user_port_host_${s}`);
    const logicIn: Record<string, Expr> = {
      // The button resets the board logic; the DRAM and what it holds stay (LiteDRAM's model has no reset).
      rst: c.out('user_rst').or(btnN.not()),
      init_done: c.out('init_done'),
      wb_ack: c.out('wb_ctrl_ack'),
      uart_rx: m.input('uart_rx', Bool),
      host_cmd_ready: preActive.not().and(host('cmd_ready')),
      host_wdata_ready: preActive.not().and(host('wdata_ready')),
      host_rdata_valid: preActive.not().and(host('rdata_valid')),
      host_rdata_data: host('rdata_data'),
    };
    for (const s of FROM_CORE) logicIn[`accel_${s}`] = c.out(`user_port_accel_${s}`);
    const u = m.instance('u_logic', logic, Object.fromEntries(Object.entries(logicIn).filter(([port]) => logic.ports.some((p) => p.name === port))));
    // ---- the host port: the board's load writer, or the harness while it preloads --------------------
    const sel = (harness: Expr, board: Expr) => mux(preActive, harness, board);
    toCore('user_port_host_cmd_valid', sel(pre.cmd_valid, u.out('host_cmd_valid')));
    toCore('user_port_host_cmd_we', sel(lit(1, Bool), u.out('host_cmd_we')));
    toCore('user_port_host_cmd_addr', sel(pre.cmd_addr, u.out('host_cmd_addr')));
    toCore('user_port_host_wdata_valid', sel(pre.wdata_valid, u.out('host_wdata_valid')));
    toCore('user_port_host_wdata_we', sel(lit((1n << BigInt(W / 8)) - 1n, UInt(W / 8)), u.out('host_wdata_we')));
    toCore('user_port_host_wdata_data', sel(pre.wdata_data, u.out('host_wdata_data')));
    toCore('user_port_host_rdata_ready', sel(lit(1, Bool), u.out('host_rdata_ready')));
    m.assign(m.output('pre_cmd_ready', Bool), preActive.and(host('cmd_ready')));
    m.assign(m.output('pre_wdata_ready', Bool), preActive.and(host('wdata_ready')));
    // ---- the accelerator's port and wb_ctrl go straight through --------------------------------------
    for (const s of TO_CORE) toCore(`user_port_accel_${s}`, u.out(`accel_${s}`));
    for (const s of ['cyc', 'stb', 'we', 'sel', 'adr', 'dat_w'] as const) toCore(`wb_ctrl_${s}`, u.out(`wb_${s}`));
    m.assign(m.output('uart_tx', Bool), u.out('uart_tx'));
    m.assign(m.output('dram_ready', Bool), c.out('init_done'));
    // Each step's cycles, as the accelerator counts them: the bridge prints them (STEP lines).
    m.assign(m.output('step_done', Bool), u.out('step_done'));
    m.assign(m.output('step_cycles', UInt(u.out('step_cycles').width)), u.out('step_cycles'));
    // What nothing on the simulated board looks at (the board top leaves the same open).
    const open = logic.ports.filter((p) => p.dir === 'output' && !/^(host_|accel_|wb_|uart_tx|step_)/.test(p.name)).map((p) => u.out(p.name));
    m.sink(...open, c.out('init_error'), c.out('user_clk'), c.out('wb_ctrl_dat_r'), c.out('wb_ctrl_err'), c.out('user_port_accel_wdata_ready'));
  });
}

export interface Ecpix5SimOptions {
  /** Write the image into the DRAM before the host connects (the host then VERIFYs it instead of uploading). */
  preload?: boolean;
  board?: Ecp5Board;
  trace?: string;
  log?: (msg: string) => void;
}

/** Build (or take from the cache) and start the simulated ECPIX-5 for `prog` (fpga/ecp5/build.ts ecpix5Program). */
export async function startEcpix5SimBoard(prog: AccelProgram, o: Ecpix5SimOptions = {}): Promise<SimBoard> {
  const board = o.board ?? ECPIX5;
  const image = ecpix5Image(prog);
  const rows = simRowsFor(image.length);
  const core = await generateLitedram(board, path.join(REPO_ROOT, 'build-out', board.name, `litedram-sim-board-${rows}`), { sim: true, simRows: rows, portBits: DRAM_PORT_BITS });
  // The UART's clock and baud only matter as a ratio: 4 clocks a bit.
  const clockHz = board.sysClockMHz * 1e6;
  const logic = ecpix5Logic(prog, { clockHz, baud: clockHz / SIM_CYCLES_PER_BIT, portAddressBits: core.portAddressBits, initSteps: dramInitSteps(core), verify: true });
  const top = ecpix5SimTop(logic, core);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-ecpix5-'));
  try {
    const sources = [...writeVerilog(elaborate(top), dir), core.verilog];
    const model = await buildVerilatorModel({
      top: top.name,
      sources,
      ports: portSpecs(top),
      harness: BOARD_BRIDGE,
      // LiteDRAM's Verilog is not ours to make -Wall clean; its widths are what migen printed.
      extraFlags: ['-Wno-WIDTH', '-Wno-CASEINCOMPLETE', '-Wno-MULTIDRIVEN', '-Wno-UNOPTFLAT', '-Wno-TIMESCALEMOD', '-Wno-COMBDLY', '-CFLAGS', '-DBRIDGE_PRELOAD -DBRIDGE_STEPS'],
      ...(o.trace ? { trace: true } : {}),
      ...(o.log ? { log: o.log } : {}),
    });
    const args = ['--cycles-per-bit', String(SIM_CYCLES_PER_BIT), ...(o.trace ? ['--trace', o.trace] : [])];
    if (o.preload) {
      const file = path.join(dir, 'image.bin');
      fs.writeFileSync(file, new Uint8Array(image.buffer, image.byteOffset, image.byteLength));
      args.push('--preload', file, '--preload-word', String(DRAM_BASE_WORD));
    }
    const sim = await runBridge(model, args);
    // The bridge has read the image by the time it listens.
    fs.rmSync(dir, { recursive: true, force: true });
    return sim;
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
