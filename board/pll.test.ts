// The PLL settings: icepll's figures, the PLL's ranges, never above the clock asked for.
import { describe, expect, it } from 'vitest';
import { pllParams, pllSettings } from './pll.ts';

describe('pllSettings', () => {
  it('finds the dividers icepll gives for 12 MHz in', () => {
    expect(pllSettings(12e6, 21e6)).toEqual({ divr: 0, divf: 55, divq: 5, filterRange: 1, outHz: 21e6 });
    expect(pllSettings(12e6, 25.125e6)).toEqual({ divr: 0, divf: 66, divq: 5, filterRange: 1, outHz: 25.125e6 });
    expect(pllParams(pllSettings(12e6, 21e6))).toEqual({ DIVR: "4'b0000", DIVF: "7'b0110111", DIVQ: "3'b101", FILTER_RANGE: "3'b001" });
  });

  it('takes the closest clock from below when the one asked for cannot be made, within the ranges', () => {
    for (const want of [17.3e6, 33.3e6, 48e6, 100e6, 200e6]) {
      const s = pllSettings(12e6, want);
      expect(s.outHz).toBeLessThanOrEqual(want);
      expect(s.outHz).toBeGreaterThan(want * 0.97);
      const pfd = 12e6 / (s.divr + 1);
      const vco = pfd * (s.divf + 1);
      expect(pfd).toBeGreaterThanOrEqual(10e6);
      expect(vco).toBeGreaterThanOrEqual(533e6);
      expect(vco).toBeLessThanOrEqual(1066e6);
      expect(s.outHz).toBe(vco / 2 ** s.divq);
    }
  });

  it('refuses a clock the PLL cannot make, saying its range', () => {
    expect(() => pllSettings(12e6, 10e6)).toThrow(/no iCE40 PLL setting turns 12 MHz into at most 10 MHz \(the PLL gives 16 to 275 MHz\)/);
  });
});
