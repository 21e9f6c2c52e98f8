// The ternary lane in Verilator against its TypeScript reference on 10,000 vectors per shape.
import { describe, expect, it } from 'vitest';
import { ternaryDotReference } from './ternary-lane.ts';
import { checkLane } from '../../sim/lane-check.ts';

describe('ternary lane (Verilator)', () => {
  for (const p of [
    { n: 64, stages: 3 },
    { n: 64, stages: 6 },
    { n: 13, stages: 0 },
  ]) {
    it(`n=${p.n} stages=${p.stages}: matches the reference on 10,000 vectors`, { timeout: 300_000 }, async () => {
      const r = await checkLane(p, 10_000, 42 + p.n);
      expect(r.got.length).toBe(10_000);
      expect(r.mismatches.slice(0, 5)).toEqual([]);
      // The extremes were really exercised: +128 n (all -128 times -1) and -128 n.
      expect(r.got[0]).toBe(128 * p.n);
      expect(r.got[1]).toBe(-128 * p.n);
    });
  }

  it('the reference reads the reserved code 10 as zero', () => {
    expect(ternaryDotReference([5, 7], [0b10, 0b01])).toBe(7);
  });
});
