// The ECP5 board descriptors (fpga/ecp5/ecp5-boards.ts, ecpix5.ts) against litex-boards and LiteDRAM in the
// venv (fpga/ecp5/board_facts.py): part, nextpnr's device / package / speed as LiteX derives them, the
// oscillator, the target's system clock, the DDR3 part among the target's and its bus width and ranks, the
// PHY settings the target gives, the refresh time from the part's density (JEDEC DDR3), and the committed
// LPFs are what board_pins.py makes of the platforms. Long: it makes the venv on first use (about 20 s).
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ECP5_BOARDS } from './ecp5-boards.ts';
import { boardLpf, boardLpfPath } from './ecpix5-top.ts';
import { ensureEcp5Venv, REPO_ROOT, venvBin } from './venv.ts';

interface Facts {
  device: string;
  arch: string;
  package: string;
  speed: number;
  clock: string;
  clockMHz: number;
  ddr: Record<string, number>;
  targetSysClockMHz: number | null;
  targetModules: string[];
  dmSwap: boolean;
  cmdDelayBelow64MHz: number;
  rttNomDisabled: boolean;
  module: { nrows: number; ncols: number; nbanks: number };
  lists: string[];
}

/** JEDEC DDR3 tRFC by die density in Gbit. */
const TRFC_NS: Record<number, number> = { 1: 110, 2: 160, 4: 260, 8: 350 };

describe('the ECP5 boards against litex-boards', () => {
  for (const b of Object.values(ECP5_BOARDS)) {
    it(`${b.name}: part, clocks, DDR3 and PHY settings are litex-boards' and LiteDRAM's`, () => {
      ensureEcp5Venv();
      const f = JSON.parse(execFileSync(venvBin('python'), [path.join(REPO_ROOT, 'fpga', 'ecp5', 'board_facts.py'), b.litexPlatform, b.litexDevice, b.litexRevision ?? '-', b.sdramModule], { encoding: 'utf8' })) as Facts;
      expect(b.device).toBe(f.device);
      expect(b.nextpnrDevice).toBe(`--${f.arch}`);
      expect(b.package).toBe(f.package);
      expect(b.speed).toBe(f.speed);
      expect(b.clockResource).toBe(f.clock);
      expect(b.inputClockMHz).toBeCloseTo(f.clockMHz, 6);
      expect(b.sysClockMHz).toBe(f.targetSysClockMHz);
      if (f.targetModules.length) expect(f.targetModules).toContain(b.sdramModule);
      expect(b.sdramBytes * 8).toBe(f.ddr.dq);
      expect(b.sdramRanksOnBoard ?? 1).toBe(f.ddr.cs_n ?? 1);
      expect(!!b.phy?.dmSwap).toBe(f.dmSwap);
      expect(b.phy?.cmdDelay ?? 0).toBe(b.sysClockMHz > 64 ? 0 : f.cmdDelayBelow64MHz);
      expect(b.phy?.rttNom === 'disabled').toBe(f.rttNomDisabled);
      if (b.serialPins?.extension) expect(f.lists).toContain(b.serialPins.extension);
      // A rank of the part: 512 MB (4 Gb x16) on all three, and its datasheet tRFC.
      const bits = f.module.nrows * f.module.ncols * f.module.nbanks * 8 * b.sdramBytes;
      expect(bits / 8 / 2 ** 20).toBe(512);
      expect(b.sdramTrfcNs).toBe(TRFC_NS[bits / 2 ** 30]);
    }, 120_000);

    it(`${b.name}: constraints/${b.name}.lpf is what board_pins.py makes of litex-boards' platform`, () => {
      expect(fs.readFileSync(boardLpfPath(b), 'utf8')).toBe(boardLpf(b));
    }, 120_000);
  }
});
