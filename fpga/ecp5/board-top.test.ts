// The tops of every ECP5 board (fpga/ecp5/ecp5-boards.ts) from their committed LPFs: lint-clean with
// verilator -Wall against a port-only stand-in of LiteDRAM's core, every LPF pin a port of the top and every
// port a pin (nextpnr would leave one unplaced), idle levels on the pins beyond the core's width, the boards'
// own extras, and what the top refuses. The long build of each board synthesises it with the real core.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compileProgram } from '../../accel/program.ts';
import { fixedParams } from '../../model/fixed/fixed-model.ts';
import { randomModel } from '../../sim/random-model.ts';
import { elaborate } from '../../hdl/ir/elaborate.ts';
import { writeVerilog } from '../../hdl/verilog/emit.ts';
import { lintVerilator } from '../../flow/verilator-lint.ts';
import { ecpix5Logic } from './ecpix5-logic.ts';
import { ECPIX5_ACCEL } from './build.ts';
import { ECP5_BOARDS, BUTTERSTICK, ORANGECRAB_85F } from './ecp5-boards.ts';
import { ECPIX5 } from './ecpix5.ts';
import { boardTop, coreDdrPorts, ecpix5TopVerilog, ECPIX5_CORE_DDR, logicTopPorts, lpfPorts, topName, withInoutPads, type CorePort } from './ecpix5-top.ts';
import type { InitStep } from './dram-init.ts';
import { testTempDir } from '../../flow/verilator-test-support.ts';

const tmp = testTempDir('board-top-test-');

const STEPS: InitStep[] = [
  { csr: 'sdram_dfii_control', adr: 0x400, dat: 0x0c, wait: 2_000 },
  { csr: 'ddrctrl_init_done', adr: 0, dat: 1, wait: 16 },
];
const AW = 25;

/** LiteDRAM's core as the top uses it, with the DDR3 ports `ddr`: ports only. */
function coreStub(aw: number, ddr: ReadonlyMap<string, CorePort>): string {
  const user = (u: string) => [
    `input wire user_port_${u}_cmd_valid`, `output wire user_port_${u}_cmd_ready`, `input wire user_port_${u}_cmd_we`,
    `input wire [${aw - 1}:0] user_port_${u}_cmd_addr`, `input wire user_port_${u}_wdata_valid`, `output wire user_port_${u}_wdata_ready`,
    `input wire [15:0] user_port_${u}_wdata_we`, `input wire [127:0] user_port_${u}_wdata_data`, `output wire user_port_${u}_rdata_valid`,
    `input wire user_port_${u}_rdata_ready`, `output wire [127:0] user_port_${u}_rdata_data`,
  ];
  const w = (n: number) => (n > 1 ? `[${n - 1}:0] ` : '');
  const ports = [
    'input wire clk', 'input wire rst', 'output wire pll_locked',
    ...[...ddr].map(([name, c]) => `${c.dir} wire ${w(c.width)}${name}`),
    'output wire init_done', 'output wire init_error', 'output wire user_clk', 'output wire user_rst', 'input wire [29:0] wb_ctrl_adr', 'input wire [31:0] wb_ctrl_dat_w',
    'output wire [31:0] wb_ctrl_dat_r', 'input wire [3:0] wb_ctrl_sel', 'input wire wb_ctrl_cyc', 'input wire wb_ctrl_stb',
    'output wire wb_ctrl_ack', 'input wire wb_ctrl_we', 'input wire [2:0] wb_ctrl_cti', 'input wire [1:0] wb_ctrl_bte', 'output wire wb_ctrl_err',
    ...user('host'), ...user('accel'),
  ];
  const outs = ports.filter((p) => p.startsWith('output')).map((p) => `  assign ${p.split(' ').pop()} = '0;`);
  return `/* verilator lint_off UNUSEDSIGNAL */\nmodule litedram_core (\n  ${ports.join(',\n  ')}\n);\n${outs.join('\n')}\nendmodule\n/* verilator lint_on UNUSEDSIGNAL */\n`;
}

/** The top's ports and their widths, from its header. */
function topPorts(v: string): Map<string, number> {
  const head = v.slice(v.indexOf('module '), v.indexOf(');'));
  return new Map([...head.matchAll(/^\s*(?:input|output|inout)\s+wire\s+(?:\[(\d+):0\]\s+)?(\w+)/gm)].map((m) => [m[2]!, m[1] === undefined ? 1 : Number(m[1]) + 1]));
}

const prog = compileProgram(fixedParams(randomModel({ hiddenSize: 16, intermediateSize: 24, numLayers: 1, vocabSize: 50 }, 3)), ECPIX5_ACCEL);
const logic = ecpix5Logic(prog, { clockHz: 48e6, baud: 1e6, portAddressBits: AW, initSteps: STEPS, verify: true });

describe('the ECP5 boards\' tops', () => {
  let logicFiles: string[];
  beforeAll(() => {
    logicFiles = writeVerilog(elaborate(logic), path.join(tmp(), 'logic'));
  });

  for (const board of Object.values(ECP5_BOARDS)) {
    it(`${board.name}: every LPF pin is a port of ${topName(board)} and the other way round, and it lints clean with verilator -Wall`, { timeout: 120_000 }, () => {
      const bt = boardTop(board);
      const v = ecpix5TopVerilog({ portAddressBits: AW, ...logicTopPorts(logic), board: bt });
      expect(v).toContain(`module ${topName(board)} (`);
      expect(new Set(topPorts(v).keys())).toEqual(new Set(bt.pins.keys()));
      for (const [name, w] of topPorts(v)) expect(w, name).toBe(bt.pins.get(name));
      const dir = fs.mkdtempSync(path.join(tmp(), `${board.name}-`));
      const top = path.join(dir, `${topName(board)}.v`);
      fs.writeFileSync(top, v);
      fs.mkdirSync(path.join(dir, 'stub'));
      const stub = path.join(dir, 'stub', 'litedram_core.v');
      fs.writeFileSync(stub, coreStub(AW, bt.core));
      expect(lintVerilator([top, stub, ...logicFiles], topName(board)).messages).toEqual([]);
    });
  }

  it('the OrangeCrab: a 16th address pin held at 0, the DDR bank supply pins driven, PROGRAMN low after the button is held 1 s at 48 MHz', () => {
    const v = ecpix5TopVerilog({ portAddressBits: AW, ...logicTopPorts(logic), board: boardTop(ORANGECRAB_85F) });
    expect(v).toContain("assign ddram_a = {{1{1'b0}}, ddram_a_core};");
    expect(v).toContain("assign ddram_vccio = {6{1'b1}};");
    expect(v).toContain("assign ddram_gnd = {2{1'b0}};");
    expect(v).toContain(".rst(~usr_btn)");
    expect(v).toMatch(/btn_held <= usr_btn \? 26'd0 : \(btn_held == 26'd48000000/);
    expect(v).toContain("assign rst_n = btn_held != 26'd48000000;");
  });

  it('the ButterStick: rank 1 deselected (cs_n 1; cke, odt and clock 0), the VCCIO regulators at the board\'s PDM level', () => {
    const v = ecpix5TopVerilog({ portAddressBits: AW, ...logicTopPorts(logic), board: boardTop(BUTTERSTICK) });
    expect(v).toContain("assign ddram_cs_n = {{1{1'b1}}, ddram_cs_n_core};");
    for (const s of ['cke', 'odt', 'clk_p']) expect(v).toContain(`assign ddram_${s} = {{1{1'b0}}, ddram_${s}_core};`);
    expect(v).toContain(`16'd${BUTTERSTICK.vccioPdm!.level}`);
    expect(v).toContain('assign vccio_ctrl_pdm = {3{vccio_sigma[17]}};');
  });

  it('the ECPIX-5: the core\'s cs_n and reset_n open (no pins), nothing held idle', () => {
    const v = ecpix5TopVerilog({ portAddressBits: AW, ...logicTopPorts(logic) });
    expect(v).toContain('.ddram_cs_n(ddram_cs_n_nc)');
    expect(v).toContain('.ddram_reset_n(ddram_reset_n_nc)');
    expect(v).not.toMatch(/assign ddram_/);
    expect(v).toContain('module mmf_ecpix5 (');
  });

  it('refuses pins narrower than the core, an inout of another width, a board pin with no core port, a missing clock pin', () => {
    const pins = new Map(boardTop(ECPIX5).pins);
    const top = (p: Map<string, number>, core: ReadonlyMap<string, CorePort> = ECPIX5_CORE_DDR) => () =>
      ecpix5TopVerilog({ portAddressBits: AW, ...logicTopPorts(logic), board: { board: ECPIX5, pins: p, core } });
    expect(top(new Map([...pins, ['ddram_a', 14]]))).toThrow(/ecpix5 top: ddram_a is 14 pins on the board, 15 bits in LiteDRAM's core/);
    expect(top(new Map([...pins, ['ddram_dq', 32]]))).toThrow(/ddram_dq is 32 pins on the board, 16 bits/);
    expect(top(new Map([...pins, ['ddram_par', 1]]))).toThrow(/pin ddram_par has no port in LiteDRAM's core/);
    const noClk = new Map(pins);
    noClk.delete('clk100');
    expect(top(noClk)).toThrow(/constraints\/ecpix5.lpf has no pin 'clk100'/);
  });
});

describe('reading pins and core ports', () => {
  it('lpfPorts: a bus is its highest index + 1, a single pin 1', () => {
    const lpf = ['LOCATE COMP "a[0]" SITE "A1";', 'LOCATE COMP "a[3]" SITE "A2";', 'IOBUF PORT "a[3]" IO_TYPE=X;', 'LOCATE COMP "b" SITE "B1";', 'FREQUENCY PORT "b" 10 MHZ;'].join('\n');
    expect(lpfPorts(lpf)).toEqual(new Map([['a', 4], ['b', 1]]));
  });

  it('coreDdrPorts: direction and width of each ddram_ port, inout after withInoutPads', () => {
    const v = withInoutPads('module litedram_core (\n    input  wire   [15:0] ddram_dq,\n    output wire    [1:0] ddram_cs_n,\n    output wire          ddram_cke,\n    input  wire          clk\n);\nTRELLIS_IO t (\n\t.B (ddram_dq[0]),\n);\n');
    expect(coreDdrPorts(v)).toEqual(new Map<string, CorePort>([['ddram_dq', { dir: 'inout', width: 16 }], ['ddram_cs_n', { dir: 'output', width: 2 }], ['ddram_cke', { dir: 'output', width: 1 }]]));
  });
});
