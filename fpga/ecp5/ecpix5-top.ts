// The ECPIX-5's top: LiteDRAM's core for the board (ECP5DDRPHY; its own PLL makes the 75 MHz system
// clock and the 150 MHz DRAM clock from the 100 MHz oscillator) and the board logic
// (fpga/ecp5/ecpix5-logic.ts) in LiteDRAM's system clock, on the pins litex-boards gives the board:
//
//   clk100, rst_n (the button: resets LiteDRAM's clocks, and with them everything), serial_rx / serial_tx
//   (the FTDI's second channel), the DDR3 (ddram_*). The part's cs_n and reset_n are not on pins on this
//   board (litex-boards lists none), nor are the differential pairs' _n sides (the SSTL15D buffers drive
//   them): those ports of the core are left open.
//
// The top is Verilog text rather than TS HDL because it carries bidirectional pins (the DQ and DQS lines
// go straight to the core's TRELLIS_IO buffers); it is checked by verilator --lint-only like the rest.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Module } from '../../hdl/core/module.ts';
import type { Ecp5Board } from './ecpix5.ts';
import { ensureEcp5Venv, REPO_ROOT, venvBin } from './venv.ts';

/** The resources of litex-boards' platform the top has pins for. */
export const ECPIX5_RESOURCES = ['clk100', 'rst_n', 'serial', 'ddram'] as const;
export const ECPIX5_LPF = path.join(REPO_ROOT, 'constraints', 'ecpix5.lpf');
const PINS_PY = path.join(REPO_ROOT, 'fpga', 'ecp5', 'board_pins.py');

/** The board's LPF from litex-boards' platform (fpga/ecp5/board_pins.py); constraints/ecpix5.lpf holds it. */
export function boardLpf(board: Ecp5Board): string {
  ensureEcp5Venv();
  const head = `# ${board.name}: pins and IO standards from litex-boards (platforms/${board.litexPlatform}.py), written by fpga/ecp5/board_pins.py\n`;
  const body = execFileSync(venvBin('python'), [PINS_PY, board.litexPlatform, board.clockResource, String(board.inputClockMHz), ...ECPIX5_RESOURCES], { encoding: 'utf8' });
  return head + body;
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

/** The top module `mmf_ecpix5`. */
export function ecpix5TopVerilog(p: TopPorts): string {
  const AW = p.portAddressBits;
  const port = (user: 'host' | 'accel') =>
    ['cmd_valid', 'cmd_ready', 'cmd_we', 'cmd_addr', 'wdata_valid', 'wdata_ready', 'wdata_we', 'wdata_data', 'rdata_valid', 'rdata_ready', 'rdata_data']
      .filter((s) => !(user === 'host' && s.startsWith('rdata_') && s !== 'rdata_ready') && !(user === 'accel' && s === 'wdata_ready'))
      .map((s) => `    .user_port_${user}_${s}(${user}_${s}),`)
      .join('\n');
  return `// The ECPIX-5 board: LiteDRAM (ECP5DDRPHY) and the board logic. Written by fpga/ecp5/ecpix5-top.ts.
module mmf_ecpix5 (
  input  wire        clk100,
  input  wire        rst_n,
  input  wire        serial_rx,
  output wire        serial_tx,
  output wire [14:0] ddram_a,
  output wire [2:0]  ddram_ba,
  output wire        ddram_ras_n,
  output wire        ddram_cas_n,
  output wire        ddram_we_n,
  output wire [1:0]  ddram_dm,
  inout  wire [15:0] ddram_dq,
  inout  wire [1:0]  ddram_dqs_p,
  output wire        ddram_clk_p,
  output wire        ddram_cke,
  output wire        ddram_odt
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
  // What no pin takes: the part's cs_n and reset_n (not wired on this board), status for a debugger.
  wire pll_locked, ddram_cs_n, ddram_reset_n, init_error, wb_err, host_rdata_valid, accel_wdata_ready;
  wire init_seq_done, load_overrun, stream_error, busy;
${p.observe.map((o) => `  wire ${o.width > 1 ? `[${o.width - 1}:0] ` : ''}${o.name};`).join('\n')}
  wire [31:0] wb_dat_r;
  wire [127:0] host_rdata_data;
  /* verilator lint_off UNUSEDSIGNAL */
  wire unused = &{1'b0, pll_locked, ddram_cs_n, ddram_reset_n, init_error, wb_err, ${p.readsHostData ? '' : 'host_rdata_valid, '}accel_wdata_ready,
                  init_seq_done, load_overrun, stream_error, busy, ${p.observe.map((o) => `${o.name}, `).join('')}${p.readsWbData ? '' : 'wb_dat_r, '}${p.readsHostData ? '1\'b0' : 'host_rdata_data'}};
  /* verilator lint_on UNUSEDSIGNAL */

  litedram_core u_dram (
    .clk(clk100),
    .rst(~rst_n),
    .pll_locked(pll_locked),
    .ddram_a(ddram_a), .ddram_ba(ddram_ba), .ddram_ras_n(ddram_ras_n), .ddram_cas_n(ddram_cas_n),
    .ddram_we_n(ddram_we_n), .ddram_cs_n(ddram_cs_n), .ddram_dm(ddram_dm), .ddram_dq(ddram_dq),
    .ddram_dqs_p(ddram_dqs_p), .ddram_dqs_n(2'b00), .ddram_clk_p(ddram_clk_p), .ddram_clk_n(1'b0),
    .ddram_cke(ddram_cke), .ddram_odt(ddram_odt), .ddram_reset_n(ddram_reset_n),
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
export function writeTop(dir: string, coreVerilog: string, p: TopPorts): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const top = path.join(dir, 'mmf_ecpix5.v');
  fs.writeFileSync(top, ecpix5TopVerilog(p));
  const core = path.join(dir, 'litedram_core.v');
  fs.writeFileSync(core, withInoutPads(fs.readFileSync(coreVerilog, 'utf8')));
  return [top, core];
}
