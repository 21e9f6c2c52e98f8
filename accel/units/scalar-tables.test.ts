// The stored scalar tables against numerics: they are the used parts of RSQRT_TABLE and RECIP_TABLE,
// every lookup numerics makes lands inside them, and their entries need exactly the widths given.
import { describe, expect, it } from 'vitest';
import { scalarTable, RECIP_BITS, RSQRT_MANT_BITS } from './scalar-tables.ts';
import { MAX_SCALAR_WIDTH } from './scalar-widths.ts';
import { RECIP_TABLE, RSQRT_TABLE } from '../../numerics/tables.ts';
import { RECIP, RSQRT } from '../../numerics/formats.ts';
import { normalize16, recip127, rsqrtFixed } from '../../numerics/scalars.ts';
import { prng } from '../../sim/prng.ts';

/** Every 2^k - 1, 2^k, 2^k + 1 in [1, 2^width), and seeded random values with a uniform top bit. */
function sweep(width: number, randomCount: number, seed: number): number[] {
  const xs: number[] = [];
  for (let k = 0; k <= width; k++) for (const d of [-1, 0, 1]) xs.push(2 ** k + d);
  const r = prng(seed);
  for (let n = 0; n < randomCount; n++) {
    const hb = Math.floor(r() * width);
    xs.push(2 ** hb + Math.floor(r() * 2 ** hb));
  }
  return xs.filter((x) => x >= 1 && x < 2 ** width);
}

const maxOf = (t: number[]) => t.reduce((a, b) => Math.max(a, b), 0);

describe('scalar tables', () => {
  it('are the tail of numerics\' tables: 768 rsqrt and 512 reciprocal entries', () => {
    const rsqrt = scalarTable('rsqrt');
    const recip = scalarTable('recip');
    expect(rsqrt.length).toBe(2 ** RSQRT.indexBits - 2 ** (RSQRT.indexBits - 2));
    expect(recip.length).toBe(2 ** (RECIP.indexBits - 1));
    expect(rsqrt).toEqual(Array.from(RSQRT_TABLE.subarray(RSQRT_TABLE.length - rsqrt.length)));
    expect(recip).toEqual(Array.from(RECIP_TABLE.subarray(RECIP_TABLE.length - recip.length)));
    expect([rsqrt.length, recip.length]).toEqual([768, 512]);
  });

  it('hold every reciprocal numerics looks up: recip127 of every normalised mantissa is entry mant[14:6]', () => {
    const recip = scalarTable('recip');
    const drop = RECIP.mantissaBits - RECIP.indexBits;
    for (let mant = 2 ** (RECIP.mantissaBits - 1); mant < 2 ** RECIP.mantissaBits; mant++) {
      if (recip127(mant) !== recip[(mant >> drop) - recip.length]) throw new Error(`recip127(${mant}) is not in the stored table`);
    }
    for (const m of sweep(MAX_SCALAR_WIDTH, 5000, 1)) {
      const { mant } = normalize16(m);
      expect(mant >= 2 ** (RECIP.mantissaBits - 1) && mant < 2 ** RECIP.mantissaBits).toBe(true);
    }
  });

  it('hold every rsqrt numerics looks up, the first and the last entry included', () => {
    const rsqrt = scalarTable('rsqrt');
    const stored = new Set(rsqrt);
    const reached = new Set<number>();
    for (let s = 1; s <= 2 ** RSQRT.mantissaBits; s++) reached.add(rsqrtFixed(s).mant);
    for (const s of sweep(MAX_SCALAR_WIDTH, 20_000, 2)) reached.add(rsqrtFixed(s).mant);
    for (const mant of reached) if (!stored.has(mant)) throw new Error(`rsqrtFixed gives ${mant}, which the stored table lacks`);
    expect(reached.has(rsqrt[0]!) && reached.has(rsqrt[rsqrt.length - 1]!)).toBe(true);
  });

  it('entries need exactly RSQRT_MANT_BITS (16) and RECIP_BITS (14)', () => {
    for (const [t, bits] of [[scalarTable('rsqrt'), RSQRT_MANT_BITS], [scalarTable('recip'), RECIP_BITS]] as const) {
      expect(maxOf(t)).toBeLessThan(2 ** bits);
      expect(maxOf(t)).toBeGreaterThanOrEqual(2 ** (bits - 1));
    }
    expect([RSQRT_MANT_BITS, RECIP_BITS]).toEqual([16, 14]);
  });
});
