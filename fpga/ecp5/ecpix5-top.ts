// The ECPIX-5's top, and the same for the other ECP5 boards (fpga/ecp5/ecp5-boards.ts): LiteDRAM's core for
// the board (ECP5DDRPHY; its own PLL makes the system clock and the DRAM clock at twice it from the
// board's oscillator) and the board logic (fpga/ecp5/ecpix5-logic.ts) in LiteDRAM's system clock, on the
// pins litex-boards gives the board (constraints/<board>.lpf):
//
//   the oscillator, the reset button (active low: resets LiteDRAM's clocks, and with them everything),
//   serial_rx / serial_tx (the ECPIX-5's FTDI; a header on the others), the DDR3 (ddram_*). Each of the
//   core's DDR3 ports goes to the board's pins of that name: a port the board has no pins for is left open
//   (the ECPIX-5 has none for cs_n and reset_n), pins beyond the core's width are held idle (an address
//   bit the part does not use: 0; a second rank's cs_n: 1, its cke, odt and clock: 0), the differential
//   pairs' _n sides are the SSTL buffers' own. Pins of the board the core has no port for: the OrangeCrab's
//   DDR bank supply pins (ddram_vccio high, ddram_gnd low, as its litex-boards target drives them), its
//   PROGRAMN pin (low after the button is held 1 s), the ButterStick's VCCIO regulators (PDM).
//
// The top is Verilog text rather than TS HDL because it carries bidirectional pins (the DQ and DQS lines
// go straight to the core's TRELLIS_IO buffers); it is checked by verilator --lint-only like the rest.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Module } from '../../hdl/core/module.ts';
import { ECPIX5, type Ecp5Board } from './ecpix5.ts';
import { boardResources } from './ecp5-boards.ts';
import { ensureEcp5Venv, REPO_ROOT, venvBin } from './venv.ts';

/** The resources of litex-boards' platform the top has pins for. */
export const ECPIX5_RESOURCES = ['clk100', 'rst_n', 'serial', 'ddram'] as const;
export const ECPIX5_LPF = path.join(REPO_ROOT, 'constraints', 'ecpix5.lpf');
const PINS_PY = path.join(REPO_ROOT, 'fpga', 'ecp5', 'board_pins.py');

/** Where a board's LPF is committed. */
export function boardLpfPath(board: Ecp5Board): string {
  return path.join(REPO_ROOT, 'constraints', `${board.name}.lpf`);
}

/** The board's LPF from litex-boards' platform (fpga/ecp5/board_pins.py); constraints/<board>.lpf holds it. */
export function boardLpf(board: Ecp5Board): string {
  ensureEcp5Venv();
  const head = `# ${board.name}: pins and IO standards from litex-boards (platforms/${board.litexPlatform}.py), written by fpga/ecp5/board_pins.py\n`;
  const sp = board.serialPins;
  const opts = [
    '--device', board.litexDevice,
    ...(board.litexRevision ? ['--revision', board.litexRevision] : []),
    ...(sp?.extension ? ['--extension', sp.extension] : []),
    ...(sp?.tx && sp.rx ? ['--serial', sp.tx, sp.rx, sp.ioStandard ?? 'LVCMOS33'] : []),
  ];
  const body = execFileSync(venvBin('python'), [PINS_PY, board.litexPlatform, board.clockResource, String(board.inputClockMHz), ...opts, ...boardResources(board)], { encoding: 'utf8' });
  return head + body;
}

/** An LPF's ports and their widths (a bus's highest index + 1; a single pin 1). */
export function lpfPorts(lpf: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of lpf.matchAll(/^LOCATE COMP "(\w+)(?:\[(\d+)\])?" SITE/gm)) {
    out.set(m[1]!, Math.max(out.get(m[1]!) ?? 0, m[2] === undefined ? 1 : Number(m[2]) + 1));
  }
  return out;
}

export interface CorePort {
  dir: 'input' | 'output' | 'inout';
  width: number;
}

/** The DDR3 ports (ddram_*) of LiteDRAM's core, from its Verilog (after withInoutPads). */
export function coreDdrPorts(verilog: string): Map<string, CorePort> {
  const out = new Map<string, CorePort>();
  for (const m of verilog.matchAll(/^\s*(input|output|inout)\s+wire\s+(?:\[(\d+):0\]\s+)?(ddram_\w+)/gm)) {
    out.set(m[3]!, { dir: m[1] as CorePort['dir'], width: m[2] === undefined ? 1 : Number(m[2]) + 1 });
  }
  return out;
}

/** The ECPIX-5 core's DDR3 ports (MT41K256M16 x16, one rank), for a top made without the core at hand. */
export const ECPIX5_CORE_DDR: ReadonlyMap<string, CorePort> = new Map<string, CorePort>([
  ['ddram_a', { dir: 'output', width: 15 }], ['ddram_ba', { dir: 'output', width: 3 }], ['ddram_ras_n', { dir: 'output', width: 1 }],
  ['ddram_cas_n', { dir: 'output', width: 1 }], ['ddram_we_n', { dir: 'output', width: 1 }], ['ddram_cs_n', { dir: 'output', width: 1 }],
  ['ddram_dm', { dir: 'output', width: 2 }], ['ddram_dq', { dir: 'inout', width: 16 }], ['ddram_dqs_p', { dir: 'inout', width: 2 }],
  ['ddram_dqs_n', { dir: 'input', width: 2 }], ['ddram_clk_p', { dir: 'output', width: 1 }], ['ddram_clk_n', { dir: 'input', width: 1 }],
  ['ddram_cke', { dir: 'output', width: 1 }], ['ddram_odt', { dir: 'output', width: 1 }], ['ddram_reset_n', { dir: 'output', width: 1 }],
]);

/** What the top needs of the board: its descriptor, its LPF's ports, and the core's DDR3 ports. */
export interface BoardTop {
  board: Ecp5Board;
  pins: ReadonlyMap<string, number>;
  core: ReadonlyMap<string, CorePort>;
}

/** The board's top from its committed LPF; `core` defaults to the ECPIX-5 core's ports (both boards' parts are x16, one rank used). */
export function boardTop(board: Ecp5Board, core: ReadonlyMap<string, CorePort> = ECPIX5_CORE_DDR): BoardTop {
  return { board, pins: lpfPorts(fs.readFileSync(boardLpfPath(board), 'utf8')), core };
}

/**
 * LiteDRAM's Verilog with the ports that reach a TRELLIS_IO's bidirectional pad (`.B (port`) declared
 * inout: migen prints a top's bidirectional ports as inputs when the core is the top.
 */
export function withInoutPads(verilog: string): string {
  const pads = new Set([...verilog.matchAll(/\.B\s*\((\w+)/g)].map((m) => m[1]!));
  const text = verilog.replace(/^(\s*)input(\s+wire\s+(?:\[[^\]]+\]\s+)?)(\w+)(,?)\s*$/gm, (line, sp: string, mid: string, name: string, comma: string) =>
    pads.has(name) ? `${sp}inout${mid}${name}${comma}` : line,
  );
  return text;
}

export interface TopPorts {
  /** LiteDRAM's native port address bits. */
  portAddressBits: number;
  /** The board logic's module name. */
  logic: string;
  /**
   * The logic's outputs no pin takes, for a debugger (step_done, step_cycles: the simulated board reads
   * them; dram_level_*: the read levelling's results).
   */
  observe: readonly { name: string; width: number }[];
  /** Whether the logic reads wb_ctrl's data (its start-up sequencer levels the reads). */
  readsWbData: boolean;
  /** Whether the logic reads the host port's data (it VERIFYs an image in DRAM). */
  readsHostData: boolean;
}

/** What of TopPorts the logic module decides: the outputs no pin takes, and the read data it takes. */
export function logicTopPorts(logic: Pick<Module, 'ports' | 'name'>): Omit<TopPorts, 'portAddressBits'> {
  const has = (name: string) => logic.ports.some((q) => q.name === name);
  return {
    logic: logic.name,
    observe: logic.ports.filter((q) => q.dir === 'output' && /^(step_|dram_level_)/.test(q.name)).map((q) => ({ name: q.name, width: q.width })),
    readsWbData: has('wb_dat_r'),
    readsHostData: has('host_rdata_data'),
  };
}

/** The top module's name for a board: mmf_<board> (the ECPIX-5's mmf_ecpix5). */
export function topName(board: Ecp5Board): string {
  return `mmf_${board.name}`;
}

const decl = (w: number) => (w > 1 ? `[${w - 1}:0] ` : '');

/** The top module `mmf_<board>` (the ECPIX-5 when `p.board` is not given). */
export function ecpix5TopVerilog(p: TopPorts & { board?: BoardTop }): string {
  const bt = p.board ?? boardTop(ECPIX5);
  const { board, pins, core } = bt;
  const AW = p.portAddressBits;
  const clk = board.clockResource;
  const btn = board.resetResource ?? 'rst_n';
  for (const need of [clk, btn, 'serial_rx', 'serial_tx']) {
    if (!pins.has(need)) throw new Error(`${board.name} top: constraints/${board.name}.lpf has no pin '${need}'`);
  }
  // The DDR3: each core port to the board's pins of its name (module comment).
  const ports: string[] = [`  input  wire        ${clk}`, `  input  wire        ${btn}`, '  input  wire        serial_rx', '  output wire        serial_tx'];
  const conns: string[] = [];
  const wires: string[] = [];
  const assigns: string[] = [];
  const open: string[] = [];
  for (const [name, c] of core) {
    const wp = pins.get(name) ?? 0;
    if (c.dir === 'input') {
      // The _n side of a differential pair: the SSTL15D / SSTL135D buffer on the _p pin drives it.
      conns.push(`.${name}(${c.width}'d0)`);
      continue;
    }
    if (wp === 0) {
      wires.push(`  wire ${decl(c.width)}${name}_nc;`);
      open.push(`${name}_nc`);
      conns.push(`.${name}(${name}_nc)`);
      continue;
    }
    ports.push(`  ${c.dir === 'inout' ? 'inout ' : 'output'} wire ${decl(wp).padEnd(7)}${name}`);
    if (wp === c.width) {
      conns.push(`.${name}(${name})`);
      continue;
    }
    if (c.dir === 'inout' || wp < c.width) throw new Error(`${board.name} top: ${name} is ${wp} pins on the board, ${c.width} bits in LiteDRAM's core`);
    // Pins beyond the core's width: a second rank held deselected (cs_n 1; cke, odt, clock 0), an unused address bit 0.
    const idle = name === 'ddram_cs_n' ? 1 : 0;
    wires.push(`  wire ${decl(c.width)}${name}_core;`);
    conns.push(`.${name}(${name}_core)`);
    assigns.push(`  assign ${name} = {{${wp - c.width}{1'b${idle}}}, ${name}_core};`);
  }
  for (const [name, w] of pins) {
    if (!name.startsWith('ddram_') || core.has(name)) continue;
    // The OrangeCrab's DDR bank supply pins, driven as its litex-boards target does.
    if (name !== 'ddram_vccio' && name !== 'ddram_gnd') throw new Error(`${board.name} top: pin ${name} has no port in LiteDRAM's core`);
    ports.push(`  output wire ${decl(w).padEnd(7)}${name}`);
    assigns.push(`  assign ${name} = {${w}{1'b${name === 'ddram_vccio' ? 1 : 0}}};`);
  }
  const extra: string[] = [];
  if (board.programnResource) {
    // As litex-boards' target: the button held 1 s pulls PROGRAMN low, and the FPGA reloads (its bootloader).
    const hold = Math.round(board.inputClockMHz * 1e6);
    const hw = Math.ceil(Math.log2(hold + 1));
    const pn = board.programnResource;
    if (!pins.has(pn)) throw new Error(`${board.name} top: constraints/${board.name}.lpf has no pin '${pn}'`);
    ports.push(`  output wire        ${pn}`);
    extra.push(
      `  // PROGRAMN: low once the button has been held for 1 s (${hold} cycles of ${clk}).`,
      `  reg [${hw - 1}:0] btn_held = ${hw}'d0;`,
      `  always @(posedge ${clk}) btn_held <= ${btn} ? ${hw}'d0 : (btn_held == ${hw}'d${hold} ? btn_held : btn_held + ${hw}'d1);`,
      `  assign ${pn} = btn_held != ${hw}'d${hold};`,
    );
  }
  if (board.vccioPdm) {
    // The header banks' VCCIO regulators: a first-order PDM at level/65536 on each, enabled 2^19 cycles later.
    const v = board.vccioPdm;
    const pdm = `${v.resource}_pdm`;
    const en = `${v.resource}_en`;
    const n = pins.get(pdm);
    if (!n || !pins.has(en)) throw new Error(`${board.name} top: constraints/${board.name}.lpf has no pins '${pdm}' and '${en}'`);
    ports.push(`  output wire ${decl(n).padEnd(7)}${pdm}`, `  output wire        ${en}`);
    extra.push(
      `  // VCCIO ${v.volts} V on the header banks: PDM level ${v.level} of 65536 on every regulator, enabled after 2^19 cycles.`,
      '  reg [17:0] vccio_sigma = 18\'d0;',
      '  reg [19:0] vccio_wait = 20\'d0;',
      `  always @(posedge ${clk}) begin`,
      `    vccio_sigma <= vccio_sigma + {vccio_sigma[17], vccio_sigma[17], 16'd${v.level}};`,
      '    if (!vccio_wait[19]) vccio_wait <= vccio_wait + 20\'d1;',
      '  end',
      `  assign ${pdm} = {${n}{vccio_sigma[17]}};`,
      `  assign ${en} = vccio_wait[19];`,
    );
  }
  const port = (user: 'host' | 'accel') =>
    ['cmd_valid', 'cmd_ready', 'cmd_we', 'cmd_addr', 'wdata_valid', 'wdata_ready', 'wdata_we', 'wdata_data', 'rdata_valid', 'rdata_ready', 'rdata_data']
      .filter((s) => !(user === 'host' && s.startsWith('rdata_') && s !== 'rdata_ready') && !(user === 'accel' && s === 'wdata_ready'))
      .map((s) => `    .user_port_${user}_${s}(${user}_${s}),`)
      .join('\n');
  return `// The ${board.name} board: LiteDRAM (ECP5DDRPHY) and the board logic. Written by fpga/ecp5/ecpix5-top.ts.
module ${topName(board)} (
${ports.join(',\n')}
);
  wire sys_clk, sys_rst, init_done;
  wire wb_cyc, wb_stb, wb_we, wb_ack;
  wire [3:0] wb_sel;
  wire [29:0] wb_adr;
  wire [31:0] wb_dat_w;
  wire host_cmd_valid, host_cmd_ready, host_cmd_we, host_wdata_valid, host_wdata_ready, host_rdata_ready;
  wire [${AW - 1}:0] host_cmd_addr;
  wire [15:0] host_wdata_we;
  wire [127:0] host_wdata_data;
  wire accel_cmd_valid, accel_cmd_ready, accel_cmd_we, accel_wdata_valid, accel_rdata_valid, accel_rdata_ready;
  wire [${AW - 1}:0] accel_cmd_addr;
  wire [15:0] accel_wdata_we;
  wire [127:0] accel_wdata_data, accel_rdata_data;
${wires.join('\n')}
  // What no pin takes: the core's DDR3 ports the board has no pins for (above), status for a debugger.
  wire pll_locked, init_error, wb_err, host_rdata_valid, accel_wdata_ready;
  wire init_seq_done, load_overrun, stream_error, busy;
${p.observe.map((o) => `  wire ${o.width > 1 ? `[${o.width - 1}:0] ` : ''}${o.name};`).join('\n')}
  wire [31:0] wb_dat_r;
  wire [127:0] host_rdata_data;
  /* verilator lint_off UNUSEDSIGNAL */
  wire unused = &{1'b0, pll_locked, ${open.map((o) => `${o}, `).join('')}init_error, wb_err, ${p.readsHostData ? '' : 'host_rdata_valid, '}accel_wdata_ready,
                  init_seq_done, load_overrun, stream_error, busy, ${p.observe.map((o) => `${o.name}, `).join('')}${p.readsWbData ? '' : 'wb_dat_r, '}${p.readsHostData ? '1\'b0' : 'host_rdata_data'}};
  /* verilator lint_on UNUSEDSIGNAL */
${assigns.join('\n')}${extra.length ? `\n${extra.join('\n')}` : ''}

  litedram_core u_dram (
    .clk(${clk}),
    .rst(~${btn}),
    .pll_locked(pll_locked),
    ${conns.join(', ')},
    .init_done(init_done),
    .init_error(init_error),
    .user_clk(sys_clk),
    .user_rst(sys_rst),
    .wb_ctrl_adr(wb_adr), .wb_ctrl_dat_w(wb_dat_w), .wb_ctrl_dat_r(wb_dat_r), .wb_ctrl_sel(wb_sel),
    .wb_ctrl_cyc(wb_cyc), .wb_ctrl_stb(wb_stb), .wb_ctrl_ack(wb_ack), .wb_ctrl_we(wb_we),
    .wb_ctrl_cti(3'd0), .wb_ctrl_bte(2'd0), .wb_ctrl_err(wb_err),
${port('host')}
    .user_port_host_rdata_valid(host_rdata_valid),
    .user_port_host_rdata_data(host_rdata_data),
${port('accel')}
    .user_port_accel_wdata_ready(accel_wdata_ready)
  );
  ${p.logic} u_logic (
    .clk(sys_clk),
    .rst(sys_rst),
    .init_done(init_done),
    .uart_rx(serial_rx),
    .uart_tx(serial_tx),
    .wb_cyc(wb_cyc), .wb_stb(wb_stb), .wb_we(wb_we), .wb_sel(wb_sel), .wb_adr(wb_adr), .wb_dat_w(wb_dat_w),
    .wb_ack(wb_ack),
    .init_seq_done(init_seq_done),
    .host_cmd_valid(host_cmd_valid), .host_cmd_ready(host_cmd_ready), .host_cmd_we(host_cmd_we),
    .host_cmd_addr(host_cmd_addr), .host_wdata_valid(host_wdata_valid), .host_wdata_ready(host_wdata_ready),
    .host_wdata_we(host_wdata_we), .host_wdata_data(host_wdata_data), .host_rdata_ready(host_rdata_ready),
    .accel_cmd_valid(accel_cmd_valid), .accel_cmd_ready(accel_cmd_ready), .accel_cmd_we(accel_cmd_we),
    .accel_cmd_addr(accel_cmd_addr), .accel_rdata_valid(accel_rdata_valid), .accel_rdata_ready(accel_rdata_ready),
    .accel_rdata_data(accel_rdata_data), .accel_wdata_valid(accel_wdata_valid), .accel_wdata_we(accel_wdata_we),
    .accel_wdata_data(accel_wdata_data),
    .load_overrun(load_overrun),
    .stream_error(stream_error),
${p.readsWbData ? '    .wb_dat_r(wb_dat_r),\n' : ''}${p.readsHostData ? '    .host_rdata_valid(host_rdata_valid), .host_rdata_data(host_rdata_data),\n' : ''}${p.observe.map((o) => `    .${o.name}(${o.name}),\n`).join('')}    .busy(busy)
  );
endmodule
`;
}

/** Writes the top and the patched core into `dir`; returns the Verilog files (the core's last). */
export function writeTop(dir: string, coreVerilog: string, p: TopPorts, board: Ecp5Board = ECPIX5): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const coreText = withInoutPads(fs.readFileSync(coreVerilog, 'utf8'));
  const top = path.join(dir, `${topName(board)}.v`);
  fs.writeFileSync(top, ecpix5TopVerilog({ ...p, board: boardTop(board, coreDdrPorts(coreText)) }));
  const core = path.join(dir, 'litedram_core.v');
  fs.writeFileSync(core, coreText);
  return [top, core];
}
