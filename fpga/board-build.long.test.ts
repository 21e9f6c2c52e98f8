// The board build as `npm run build` runs it: the iCEBreaker bitstream for the embedded tiny model, and
// for tiny-fff8 (its accelerator walks the FFF tree), fits the UP5K and meets the clock its PLL makes of
// the 12 MHz oscillator (24 MHz) (a regression in logic cells or timing fails here, not on a user's desk).
// Place and route takes minutes: make test-long.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openModel } from '../model/open.ts';
import { FFF8_MODEL } from '../model/checkpoint/test-support.ts';
import { predictCycles } from '../accel/timing.ts';
import { boardProgram } from '../board/boards.ts';
import { BOARDS } from '../board/boards.ts';
import { pllParams, pllSettings } from '../board/pll.ts';
import { buildBoard } from './board-build.ts';
import { reportPage, summaryLines } from './build-page.ts';

const tiny = openModel(undefined);
const out = () => fs.mkdtempSync(path.join(os.tmpdir(), 'board-build-'));
const board = BOARDS.icebreaker;
const clockMHz = board.pllHz / 1e6;

describe('board build, placed and routed', () => {
  it(`the iCEBreaker bitstream for the tiny model fits the UP5K and meets the PLL clock, ${clockMHz} MHz`, { timeout: 1_800_000 }, async () => {
    const dir = out();
    const r = await buildBoard({ board, weights: tiny.weights, modelLabel: tiny.label, outDir: dir, seed: 1 });
    expect(r.failure).toBeUndefined();
    expect(r.fits).toBe(true);
    expect(fs.statSync(r.bitstream!).size).toBeGreaterThan(100_000);
    for (const [k, u] of Object.entries(r.resources)) expect(u.used, k).toBeLessThanOrEqual(u.available);
    expect(r.resources.spram.used).toBe(4);
    const pll = pllSettings(board.clockHz, board.pllHz);
    expect(pll.outHz).toBe(board.pllHz);
    expect(r).toMatchObject({ oscillatorMHz: 12, clockMHz, pll: { divr: pll.divr, divf: pll.divf, divq: pll.divq, filterRange: pll.filterRange } });
    expect(r.fmaxMHz!).toBeGreaterThanOrEqual(clockMHz);
    expect(r.tokensPerSecondAtClock).toBeCloseTo(board.pllHz / r.cyclesPerToken, 6);
    const p = pllParams(pll);
    expect(fs.readFileSync(path.join(dir, 'rtl', 'mmf_board.v'), 'utf8')).toMatch(new RegExp(`SB_PLL40_PAD #\\(\\s*\\.DIVR\\(${p.DIVR}\\),\\s*\\.DIVF\\(${p.DIVF}\\),\\s*\\.DIVQ\\(${p.DIVQ}\\)`));
    expect(r.tokensPerSecond!).toBeCloseTo((r.fmaxMHz! * 1e6) / r.cyclesPerToken, 6);
    expect(reportPage(r)).toContain('<svg');

    // Where the cells go: the rows add up to the synthesis totals, the hard blocks sit where the
    // design puts them, and the packed logic cells are within 2% of what nextpnr routed.
    for (const [k, res] of [['lut4', 'lut4'], ['carry', 'carry'], ['dff', 'dff'], ['ebr', 'ebr'], ['dsp', 'dsp'], ['spram', 'spram']] as const)
      expect(r.modules.reduce((s, m) => s + m[k], 0), k).toBe(r.resources[res].used);
    const at = (p: string) => r.modules.find((m) => m.instancePath === p)!;
    // the four SPRAMs sit in the weight memory's banks (one at 8 lanes, two at 16, four at 32)
    expect(r.modules.filter((m) => /^u_core\.u_accel\.u_wmem\d+$/.test(m.instancePath)).reduce((s, m) => s + m.spram, 0)).toBe(4);
    expect(r.modules.filter((m) => !m.instancePath.startsWith('u_core.u_accel')).reduce((s, m) => s + m.ebr + m.dsp + m.spram, 0)).toBe(0);
    expect(at('').logicCellsBelow).toBe(r.resources.logicCells.used - r.placerLogicCells!);
    expect(Math.abs(r.placerLogicCells!)).toBeLessThanOrEqual(0.02 * r.resources.logicCells.used);
    expect(at('u_core').logicCellsBelow).toBe(at('u_core').logicCells + at('u_core.u_accel').logicCellsBelow + at('u_core.u_engine').logicCellsBelow + at('u_core.u_uart_rx').logicCells + at('u_core.u_uart_tx').logicCells);
    for (const m of r.modules.filter((x) => x.instancePath.split('.').length === 2)) expect(m.logicCells, m.instancePath).toBeGreaterThan(0);
    expect(summaryLines(r).some((l) => /^ {4}u_accel +\d+ +\d+ .* mmf_accel$/.test(l))).toBe(true);
    expect(reportPage(r)).toMatch(/<h2>Per instance<\/h2>[\s\S]*u_row/);
  });

  it(`the iCEBreaker bitstream for tiny-fff8 (the tree walked, node_out one column lane) fits and meets ${clockMHz} MHz`, { timeout: 1_800_000 }, async () => {
    const fff = openModel(FFF8_MODEL);
    const r = await buildBoard({ board, weights: fff.weights, modelLabel: fff.label, outDir: out(), seed: 1 });
    expect(r.failure).toBeUndefined();
    expect(r.fits).toBe(true);
    for (const [k, u] of Object.entries(r.resources)) expect(u.used, k).toBeLessThanOrEqual(u.available);
    expect(r.fmaxMHz!).toBeGreaterThanOrEqual(clockMHz);
    expect(r.cyclesPerToken).toBe(predictCycles(boardProgram(board, fff.weights)).total);
    expect(r.tokensPerSecondAtClock).toBeCloseTo(board.pllHz / r.cyclesPerToken, 6);
  });
});
