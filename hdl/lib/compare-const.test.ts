// gtConst / geConst / ltConst / leConst in Verilator against BigInt comparison: for x of 1, 2, 3, 5, 8, 13
// and 17 bits, signed and unsigned, against the constants that matter (0, +-1, the type's min and max and
// one beyond, every power of two with its neighbours, far out of range, seeded random ones); each x is fed
// every value (up to 8 bits) or its extremes and seeded random values. One output per width and signedness
// holds every comparison's bit. Also: constants outside the range fold to a constant bit, and the bench
// is lint-clean.
import { describe, expect, it } from 'vitest';
import { geConst, gtConst, leConst, ltConst } from './compare-const.ts';
import { ConstExpr, cat, type Expr } from '../core/expr.ts';
import { buildModule } from '../core/generator.ts';
import { SInt, UInt, typeRange, type HdlType } from '../core/types.ts';
import { buildRtlModel } from '../../sim/rtl-model.ts';
import { StimulusScript, runModel } from '../../flow/verilator.ts';
import { expectLintClean, haveVerilator, testTempDir } from '../../flow/verilator-test-support.ts';
import { prng } from '../../sim/prng.ts';

const WIDTHS = [1, 2, 3, 5, 8, 13, 17];
const EXHAUSTIVE_W = 8;
const STEPS = 600;

type Op = 'gt' | 'ge' | 'lt' | 'le';
const OPS: Record<Op, { hw: (x: Expr, c: bigint) => Expr; sw: (x: bigint, c: bigint) => boolean }> = {
  gt: { hw: gtConst, sw: (x, c) => x > c },
  ge: { hw: geConst, sw: (x, c) => x >= c },
  lt: { hw: ltConst, sw: (x, c) => x < c },
  le: { hw: leConst, sw: (x, c) => x <= c },
};

interface Group {
  port: string;
  type: HdlType;
  /** Bit k of the output: OPS[op] against c. */
  checks: { op: Op; c: bigint }[];
}

function constants(t: HdlType, seed: number): bigint[] {
  const { min, max } = typeRange(t);
  const cs = new Set<bigint>([0n, 1n, -1n, min, max, min - 1n, max + 1n, min + 1n, max - 1n, -(1n << 40n), 1n << 40n]);
  for (let k = 0; k <= t.width; k++) for (const d of [-1n, 0n, 1n]) cs.add((1n << BigInt(k)) + d).add(-(1n << BigInt(k)) + d);
  const r = prng(seed);
  for (let n = 0; n < 8; n++) cs.add(min + BigInt(Math.floor(r() * Number(max - min + 1n))));
  return [...cs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function values(t: HdlType, seed: number): bigint[] {
  const { min, max } = typeRange(t);
  const span = max - min + 1n;
  if (t.width <= EXHAUSTIVE_W) return Array.from({ length: STEPS }, (_, i) => min + (BigInt(i) % span));
  const xs = [min, min + 1n, -1n, 0n, 1n, max - 1n, max];
  for (let k = 0; k < t.width; k++) for (const d of [-1n, 0n, 1n]) xs.push((1n << BigInt(k)) + d, -(1n << BigInt(k)) + d);
  const r = prng(seed);
  while (xs.length < 4 * STEPS) xs.push(min + BigInt(Math.floor(r() * Number(span))));
  return xs.filter((x) => x >= min && x <= max).slice(0, STEPS);
}

const groups: Group[] = [];
for (const w of WIDTHS) {
  for (const type of [UInt(w), SInt(w)]) {
    const checks = constants(type, w).flatMap((c) => (Object.keys(OPS) as Op[]).map((op) => ({ op, c })));
    groups.push({ port: `${type.signed ? 's' : 'u'}${w}`, type, checks });
  }
}

const bench = buildModule('compare_const_bench', (m) => {
  for (const g of groups) {
    const x = m.input(`x_${g.port}`, g.type);
    const out = m.output(`r_${g.port}`, UInt(g.checks.length));
    // One named wire a comparison (short lines); bit 0 is the last part of the concatenation.
    m.assign(out, cat(...g.checks.map(({ op, c }, k) => m.let(`c_${g.port}_${k}_${op}`, OPS[op].hw(x, c))).reverse()));
  }
});

describe('compare with a constant', () => {
  it('folds constants outside the range to a constant bit, and keeps a 1-bit result otherwise', () => {
    buildModule('compare_const_fold', (m) => {
      const u = m.input('u', UInt(8));
      const s = m.input('s', SInt(8));
      const folded = (e: Expr) => (e instanceof ConstExpr ? e.value : undefined);
      expect([gtConst(u, 255), gtConst(u, -3), geConst(u, 0), geConst(u, 256), ltConst(u, 0), leConst(u, 255)].map(folded)).toEqual([0n, 1n, 1n, 0n, 0n, 1n]);
      expect([gtConst(s, 127), gtConst(s, -129), geConst(s, -128), geConst(s, 128)].map(folded)).toEqual([0n, 1n, 1n, 0n]);
      for (const e of [gtConst(u, 128), geConst(s, -5), ltConst(u, 3), leConst(s, 0)]) {
        expect(e).not.toBeInstanceOf(ConstExpr);
        expect(e.type).toEqual(UInt(1));
      }
      m.sink(u);
      m.sink(s);
    });
    expect(() => gtConst(undefined as never, 2 ** 60)).toThrow(/safe integer/);
  });

  const dir = testTempDir('compare-const-');
  describe.skipIf(!haveVerilator)('in Verilator', () => {
    it('the bench is lint-clean', { timeout: 120_000 }, () => expectLintClean(bench, dir()));

    const total = groups.reduce((n, g) => n + g.checks.length, 0);
    it(`${total} comparisons over ${groups.length} signal types agree with BigInt comparison`, { timeout: 300_000 }, async () => {
      const { model } = await buildRtlModel(bench);
      const xs = groups.map((g) => values(g.type, 100 + g.type.width));
      const s = new StimulusScript(model.ports);
      for (let i = 0; i < STEPS; i++) {
        groups.forEach((g, k) => s.set(`x_${g.port}`, xs[k]![i]!));
        s.eval();
        for (const g of groups) s.get(g.port, `r_${g.port}`);
      }
      const res = await runModel(model, s);
      const mismatches: string[] = [];
      groups.forEach((g, k) => {
        const got = res.samples.get(g.port) ?? [];
        expect(got.length).toBe(STEPS);
        for (let i = 0; i < STEPS && mismatches.length < 8; i++) {
          const x = xs[k]![i]!;
          g.checks.forEach(({ op, c }, b) => {
            const bit = (BigInt(got[i]!) >> BigInt(b)) & 1n;
            if ((bit === 1n) !== OPS[op].sw(x, c)) mismatches.push(`${g.port} x=${x} ${op} ${c}: got ${bit}`);
          });
        }
      });
      expect(mismatches).toEqual([]);
    });
  });
});
