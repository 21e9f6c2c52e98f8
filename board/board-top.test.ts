// The board top with a PLL: a shell of the PLL and the pins around the same board logic, lint-clean.
// (The board build test places and routes it; the simulated board runs the logic without the shell.)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { compileProgram } from '../accel/program.ts';
import { fixedParams } from '../model/fixed/fixed-model.ts';
import { randomModel } from '../sim/random-model.ts';
import { elaborate } from '../hdl/ir/elaborate.ts';
import { writeVerilog } from '../hdl/verilog/emit.ts';
import { writeBlackboxStubs } from '../hdl/verilog/blackbox-stub.ts';
import { SB_PLL40_PAD } from '../hdl/vendor/ice40.ts';
import { lintVerilator } from '../flow/verilator-lint.ts';
import { boardTop, designClockHz } from './board-top.ts';
import { pllSettings } from './pll.ts';

it('with a PLL the UART divides the PLL clock, reset waits for LOCK, and the Verilog lints clean', { timeout: 60_000 }, () => {
  const prog = compileProgram(fixedParams(randomModel({ hiddenSize: 16, intermediateSize: 24, numLayers: 1, vocabSize: 50 }, 3)), { target: 'generic', lanes: 8 });
  const pll = pllSettings(12e6, 21e6);
  const opts = { clockHz: 12e6, baud: 1e6, button: true, leds: true, pll };
  expect(designClockHz(opts)).toBe(21e6);
  const top = boardTop(prog, opts);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'board-top-'));
  const files = writeVerilog(elaborate(top), dir);
  const lint = lintVerilator([...files, ...writeBlackboxStubs(dir, SB_PLL40_PAD)], top.name);
  expect(lint.messages).toEqual([]);
  const shell = fs.readFileSync(path.join(dir, 'mmf_board.v'), 'utf8');
  expect(shell).toMatch(/\.PACKAGEPIN\(clk\)/);
  expect(shell).toMatch(/mmf_board_core u_core[^;]*\.clk\(u_pll_PLLOUTGLOBAL\)[^;]*\.pll_lock\(u_pll_LOCK\)/s);
  // 21 cycles a bit: the UART runs from the PLL's 21 MHz at 1 Mbaud.
  expect(files.map((f) => path.basename(f))).toContain('uart_tx_baud1000000_clockHz21000000.v');
  expect(fs.readFileSync(path.join(dir, 'mmf_board_core.v'), 'utf8')).toMatch(/lock_sync/);
});
