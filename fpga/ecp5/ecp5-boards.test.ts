// The ECP5 board list without the venv: lookup, the resources each top has pins for, and that where a
// board's notes say its UART is agrees with its committed LPF (ecp5-boards.long.test.ts holds the rest
// against litex-boards).
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { BUTTERSTICK, ECP5_BOARDS, boardResources, ecp5Board, ORANGECRAB_85F } from './ecp5-boards.ts';
import { ECPIX5 } from './ecpix5.ts';
import { boardLpfPath, ECPIX5_RESOURCES } from './ecpix5-top.ts';

const site = (lpf: string, port: string) => new RegExp(`LOCATE COMP "${port.replace(/[[\]]/g, '\\$&')}" SITE "(\\w+)"`).exec(lpf)?.[1];

describe('the ECP5 boards', () => {
  it('looks boards up by name, and refuses others in one line naming them', () => {
    expect(ecp5Board('ecpix5')).toBe(ECPIX5);
    expect(ecp5Board('orangecrab')).toBe(ORANGECRAB_85F);
    expect(ecp5Board('butterstick')).toBe(BUTTERSTICK);
    for (const bad of ['icebreaker', 'toString', '', 'OrangeCrab']) {
      expect(() => ecp5Board(bad)).toThrow(`unknown ECP5 board '${bad}': one of ecpix5, orangecrab, butterstick`);
    }
  });

  it("the ECPIX-5's resources are the ones its LPF was made with", () => {
    expect(boardResources(ECPIX5)).toEqual([...ECPIX5_RESOURCES]);
  });

  for (const b of Object.values(ECP5_BOARDS)) {
    it(`${b.name}: its LPF places the oscillator, the reset button, the UART${b.serialPins ? ' where its note says' : ''} and the DDR3`, () => {
      const lpf = fs.readFileSync(boardLpfPath(b), 'utf8');
      expect(lpf).toContain(`FREQUENCY PORT "${b.clockResource}" ${b.inputClockMHz} MHZ;`);
      for (const p of [b.clockResource, b.resetResource ?? 'rst_n', 'serial_tx', 'serial_rx', 'ddram_dq[15]', 'ddram_dqs_p[1]']) expect(site(lpf, p), p).toMatch(/^[A-Z]\d+$/);
      expect(site(lpf, 'ddram_dq[16]')).toBeUndefined();
      if (b.serialPins) {
        expect(b.serialPins.note).toContain(`TX on ${b.serialPins.tx ? b.serialPins.tx.split(':')[1] : 'GPIO:1'} (${site(lpf, 'serial_tx')})`);
        expect(b.serialPins.note).toContain(`(${site(lpf, 'serial_rx')})`);
      }
      const ranks = b.sdramRanksOnBoard ?? 1;
      // A second rank's chip select is on the board's pins only when the board says it has one.
      if (ranks > 1) expect(site(lpf, `ddram_cs_n[${ranks - 1}]`)).toMatch(/^[A-Z]\d+$/);
      else expect(site(lpf, 'ddram_cs_n[1]')).toBeUndefined();
    });
  }
});
