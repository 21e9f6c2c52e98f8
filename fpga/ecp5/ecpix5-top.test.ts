// The ECPIX-5's board logic and top: lint-clean (verilator -Wall, yosys check) for models of several
// shapes, the top against a port-only stand-in of LiteDRAM's core (the long build test synthesises it with
// the real one), the bidirectional pads, and what the logic refuses.
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compileProgram } from '../../accel/program.ts';
import { fixedParams } from '../../model/fixed/fixed-model.ts';
import { randomModel } from '../../sim/random-model.ts';
import { elaborate } from '../../hdl/ir/elaborate.ts';
import { writeVerilog } from '../../hdl/verilog/emit.ts';
import { lintVerilator } from '../../flow/verilator-lint.ts';
import { lintYosys } from '../../flow/yosys.ts';
import { externalImage } from '../../accel/external/stream-image.ts';
import { ecpix5Image, ecpix5Logic } from './ecpix5-logic.ts';
import { ECPIX5_ACCEL } from './build.ts';
import { ecpix5TopVerilog, logicTopPorts, withInoutPads } from './ecpix5-top.ts';
import type { InitStep } from './dram-init.ts';
import { testTempDir } from '../../flow/verilator-test-support.ts';

const tmp = testTempDir('ecpix5-top-test-');

const STEPS: InitStep[] = [
  { csr: 'sdram_dfii_control', adr: 0x400, dat: 0x0c, wait: 200_000 },
  { csr: 'sdram_dfii_control', adr: 0x400, dat: 0x01, wait: 16 },
  { csr: 'ddrctrl_init_done', adr: 0, dat: 1, wait: 16 },
];
const AW = 25;

/** LiteDRAM's core as the top uses it: ports only (the long build test has the real one). */
function coreStub(aw: number): string {
  const user = (u: string) => [
    `input wire user_port_${u}_cmd_valid`, `output wire user_port_${u}_cmd_ready`, `input wire user_port_${u}_cmd_we`,
    `input wire [${aw - 1}:0] user_port_${u}_cmd_addr`, `input wire user_port_${u}_wdata_valid`, `output wire user_port_${u}_wdata_ready`,
    `input wire [15:0] user_port_${u}_wdata_we`, `input wire [127:0] user_port_${u}_wdata_data`, `output wire user_port_${u}_rdata_valid`,
    `input wire user_port_${u}_rdata_ready`, `output wire [127:0] user_port_${u}_rdata_data`,
  ];
  const ports = [
    'input wire clk', 'input wire rst', 'output wire pll_locked', 'output wire [14:0] ddram_a', 'output wire [2:0] ddram_ba',
    'output wire ddram_ras_n', 'output wire ddram_cas_n', 'output wire ddram_we_n', 'output wire ddram_cs_n', 'output wire [1:0] ddram_dm',
    'inout wire [15:0] ddram_dq', 'inout wire [1:0] ddram_dqs_p', 'input wire [1:0] ddram_dqs_n', 'output wire ddram_clk_p',
    'input wire ddram_clk_n', 'output wire ddram_cke', 'output wire ddram_odt', 'output wire ddram_reset_n', 'output wire init_done',
    'output wire init_error', 'output wire user_clk', 'output wire user_rst', 'input wire [29:0] wb_ctrl_adr', 'input wire [31:0] wb_ctrl_dat_w',
    'output wire [31:0] wb_ctrl_dat_r', 'input wire [3:0] wb_ctrl_sel', 'input wire wb_ctrl_cyc', 'input wire wb_ctrl_stb',
    'output wire wb_ctrl_ack', 'input wire wb_ctrl_we', 'input wire [2:0] wb_ctrl_cti', 'input wire [1:0] wb_ctrl_bte', 'output wire wb_ctrl_err',
    ...user('host'), ...user('accel'),
  ];
  const outs = ports.filter((p) => p.startsWith('output')).map((p) => `  assign ${p.split(' ').pop()} = '0;`);
  return `/* verilator lint_off UNUSEDSIGNAL */\nmodule litedram_core (\n  ${ports.join(',\n  ')}\n);\n${outs.join('\n')}\nendmodule\n/* verilator lint_on UNUSEDSIGNAL */\n`;
}

describe('the ECPIX-5 board logic and top', () => {
  const shapes = [
    { hiddenSize: 16, intermediateSize: 24, numLayers: 1, vocabSize: 50 },
    { hiddenSize: 40, intermediateSize: 72, numLayers: 2, vocabSize: 300 },
  ];
  for (const shape of shapes) {
    it(`lints clean with verilator -Wall and yosys check: d=${shape.hiddenSize} I=${shape.intermediateSize} L=${shape.numLayers} V=${shape.vocabSize}`, { timeout: 120_000 }, async () => {
      const prog = compileProgram(fixedParams(randomModel(shape, 5)), ECPIX5_ACCEL);
      // The upload is the external image, 16 bits a word, little endian.
      const img = externalImage(prog);
      const words = ecpix5Image(prog);
      expect(words.length).toBe(img.words * 8);
      expect(words[1]).toBe(img.bytes[2]! | (img.bytes[3]! << 8));
      const logic = ecpix5Logic(prog, { clockHz: 75e6, baud: 1e6, portAddressBits: AW, initSteps: STEPS, verify: shape === shapes[0] }); // the board's VERIFY read-back on one shape, without on the other
      const dir = fs.mkdtempSync(path.join(tmp(), 'rtl-'));
      const files = writeVerilog(elaborate(logic), dir);
      expect(lintVerilator(files, logic.name).messages).toEqual([]);
      expect(await lintYosys({ top: logic.name, sources: files })).toEqual([]);
      const top = path.join(dir, 'mmf_ecpix5.v');
      fs.writeFileSync(top, ecpix5TopVerilog({ portAddressBits: AW, ...logicTopPorts(logic) }));
      fs.mkdirSync(path.join(dir, 'stub'));
      const stub = path.join(dir, 'stub', 'litedram_core.v');
      fs.writeFileSync(stub, coreStub(AW));
      expect(lintVerilator([top, stub, ...files], 'mmf_ecpix5').messages).toEqual([]);
    });
  }

  it("declares inout exactly the core's ports that reach a TRELLIS_IO pad", () => {
    const v = `module litedram_core (\n    input  wire   [15:0] ddram_dq,\n    input  wire    [1:0] ddram_dqs_n,\n    input  wire          clk,\n    output wire          x\n);\nTRELLIS_IO t (\n\t.B (ddram_dq[0]),\n);\nTRELLIS_IO u (.B (clk));\n`;
    const out = withInoutPads(v);
    expect(out).toContain('    inout  wire   [15:0] ddram_dq,');
    expect(out).toContain('    input  wire    [1:0] ddram_dqs_n,');
    expect(out).toContain('    inout  wire          clk,');
    expect(out).toContain('    output wire          x');
  });

  it('refuses a model whose image the DRAM cannot hold, and a port that is not 128 bits', () => {
    const prog = compileProgram(fixedParams(randomModel(shapes[0]!, 5)), { target: 'external', lanes: 64 });
    expect(() => ecpix5Logic(prog, { clockHz: 75e6, baud: 1e6, portAddressBits: 12, initSteps: STEPS })).toThrow(/ecpix5: the image needs \d+ 16-byte words from word 4096; the DRAM has 4096/);
    const narrow = compileProgram(fixedParams(randomModel(shapes[0]!, 5)), { target: 'external', lanes: 32 });
    expect(() => ecpix5Image(narrow)).toThrow(/the accelerator's port is 64 bits; LiteDRAM's is 128/);
  });
});
