// The leading-one detector in Verilator: one bench holds a detector for every width from 1 to 53 at its
// default number of internal registers, and at the smallest and largest numbers for a sweep of widths;
// each is fed the low bits of one input word a cycle (zero, every 2^k - 1, 2^k, 2^k + 1, seeded
// random values of random magnitude) and must give highBit and any of its input `stages` cycles later.
import { describe, expect, it } from 'vitest';
import { leadingOne, leadingOneLevels, leadingOnePosWidth, leadingOneStages } from './leading-one.ts';
import { buildModule } from '../../hdl/core/generator.ts';
import { cat } from '../../hdl/core/expr.ts';
import { UInt } from '../../hdl/core/types.ts';
import { regOf } from './pipeline.ts';
import { highBit } from '../../numerics/integer.ts';
import { MAX_SCALAR_WIDTH } from './scalar-widths.ts';
import { buildRtlModel } from '../../sim/rtl-model.ts';
import { StimulusScript, runModel } from '../../flow/verilator.ts';
import { prng } from '../../sim/prng.ts';

const W = MAX_SCALAR_WIDTH;

interface Variant {
  name: string;
  width: number;
  stages: number;
}

const variants: Variant[] = [];
for (let width = 1; width <= W; width++) variants.push({ name: `w${width}`, width, stages: leadingOneStages(width) });
for (const width of [5, 9, 17, 33, W]) {
  for (const stages of [0, leadingOneLevels(width) - 1]) if (stages !== leadingOneStages(width)) variants.push({ name: `w${width}_s${stages}`, width, stages });
}

/** Every detector on the low bits of x; its {any, pos} registered once more, so an output shows the x of `stages` cycles before. */
const bench = buildModule('leading_one_bench', (m) => {
  const x = m.input('x', UInt(W));
  for (const v of variants) {
    const lod = leadingOne(m, v.name, x.slice(v.width - 1, 0), v.stages);
    if (lod.stages !== v.stages) throw new Error(`${v.name}: asked for ${v.stages} stages, got ${lod.stages}`);
    const out = m.output(`r_${v.name}`, UInt(1 + leadingOnePosWidth(v.width)));
    m.assign(out, regOf(m, `q_${v.name}`, cat(lod.any, lod.pos)));
  }
});

/** Inputs: 0, every 2^k - 1, 2^k, 2^k + 1 below 2^53, and random values with a uniform top bit. */
function inputs(randomCount: number, seed: number): bigint[] {
  const xs: bigint[] = [0n];
  for (let k = 0; k <= W; k++) for (const d of [-1n, 0n, 1n]) xs.push((1n << BigInt(k)) + d);
  const r = prng(seed);
  for (let n = 0; n < randomCount; n++) {
    const hb = Math.floor(r() * W);
    let below = 0n;
    for (let b = 0; b < hb; b++) if (r() < 0.5) below |= 1n << BigInt(b);
    xs.push((1n << BigInt(hb)) | below);
  }
  return xs.filter((x) => x >= 0n && x < 1n << BigInt(W));
}

function expected(x: bigint, width: number): bigint {
  const low = Number(BigInt.asUintN(width, x));
  const any = low > 0 ? 1n : 0n;
  const pos = low > 0 ? BigInt(highBit(low)) : 0n;
  return (any << BigInt(leadingOnePosWidth(width))) | pos;
}

describe('leadingOne', () => {
  it('geometry: the position holds every bit index, and the default registers keep stages at most 2 LUT levels deep', () => {
    for (let width = 1; width <= W; width++) {
      expect(2 ** leadingOnePosWidth(width)).toBeGreaterThanOrEqual(width);
      expect(leadingOneStages(width)).toBeGreaterThanOrEqual(0);
      expect(leadingOneStages(width)).toBeLessThan(leadingOneLevels(width));
      expect(leadingOneLevels(width) / (leadingOneStages(width) + 1)).toBeLessThanOrEqual(2);
    }
    expect(() => buildModule('leading_one_bad', (m) => void leadingOne(m, 'l', m.input('x', UInt(8)), leadingOneLevels(8)))).toThrow(/stages/);
  });

  it(`${variants.length} detectors (widths 1 .. ${W}, 0 .. levels - 1 registers) give highBit and any, bit-exact, in Verilator`, { timeout: 300_000 }, async () => {
    const { model } = await buildRtlModel(bench);
    const xs = inputs(1500, 7);
    const maxStages = Math.max(...variants.map((v) => v.stages));
    const s = new StimulusScript(model.ports);
    for (const x of [...xs, ...Array<bigint>(maxStages).fill(0n)]) {
      s.set('x', x).tick();
      for (const v of variants) s.get(v.name, `r_${v.name}`);
    }
    const res = await runModel(model, s);
    const mismatches: string[] = [];
    for (const v of variants) {
      const got = res.samples.get(v.name) ?? [];
      // The sample after cycle c's edge shows the x set before the edge of cycle c - stages.
      for (let i = 0; i < xs.length && mismatches.length < 5; i++) {
        const want = expected(xs[i]!, v.width);
        if (BigInt(got[i + v.stages] ?? -1n) !== want) mismatches.push(`${v.name} x=${xs[i]}: got ${got[i + v.stages]}, want ${want}`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(variants.length).toBeGreaterThan(W);
  });
});
