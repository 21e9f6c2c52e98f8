// The serial scalar unit in Verilator against numerics' normalize16 / recip127 and rsqrtFixed, bit for
// bit, with its tables in a ROM beside it as the weight memory holds them (a registered read).
import { describe, expect, it } from 'vitest';
import { scalarSerial, scalarSerialCycles, SCALAR_SERIAL_EXP_BITS } from './scalar-serial.ts';
import { highBit, shiftRound } from '../../numerics/integer.ts';
import { scalarTable } from './scalar-tables.ts';
import { normalize16, recip127, rsqrtFixed } from '../../numerics/scalars.ts';
import { buildModule } from '../../hdl/core/generator.ts';
import { mux } from '../../hdl/core/expr.ts';
import { Bool, SInt, UInt } from '../../hdl/core/types.ts';
import { buildRtlModel } from '../../sim/rtl-model.ts';
import { StimulusScript, runModel } from '../../flow/verilator.ts';
import { prng } from '../../sim/prng.ts';

const recipT = scalarTable('recip');
const rsqrtT = scalarTable('rsqrt');

/** The unit with both tables in one ROM: recip at 0, rsqrt after it. */
const bench = buildModule('scalar_serial_bench', (m) => {
  const start = m.input('start', Bool);
  const mode = m.input('mode', UInt(2));
  const value = m.input('value', UInt(53));
  const a = m.input('a', UInt(16));
  const b = m.input('b', UInt(16));
  const c = m.input('c', UInt(16));
  const expIn = m.input('exp_in', SInt(SCALAR_SERIAL_EXP_BITS));
  const rom = m.memory('tables', UInt(16), recipT.length + rsqrtT.length, { init: [...recipT, ...rsqrtT] });
  const data = m.wire('table_data', UInt(16));
 const u = m.instance('u', scalarSerial(), { start, mode, value, a, b, c, exp_in: expIn, table_data: data });
  const addr = m.let('rom_addr', mux(mode.eq(1), u.out('table_addr').zext(11).add(recipT.length).trunc(11), u.out('table_addr').zext(11)));
  m.assign(data, rom.read(addr, { enable: u.out('table_rd') }));
  for (const o of ['done', 'mant', 'exp', 'table_word', 'zero']) m.assign(m.output(o, u.out(o).type), u.out(o));
});

describe('serial scalar unit', () => {
  it('gives normalize16, 127 / m and rsqrt exactly, in a fixed number of cycles', { timeout: 300_000 }, async () => {
    const { model } = await buildRtlModel(bench);
    const r = prng(5);
    const ms: number[] = [1, 2, 3, 2 ** 15 - 1, 2 ** 15, 2 ** 16 - 1, 2 ** 16, 2 ** 38, 2 ** 39 - 1];
    const ss: number[] = [1, 2, 3, 255, 256, 2 ** 14 - 1, 2 ** 14, 2 ** 16 - 1, 2 ** 16, 2 ** 52, 2 ** 53 - 1];
    for (let i = 0; i < 1500; i++) {
      ms.push(Math.floor(r() * 2 ** Math.floor(r() * 40)) + 1);
      ss.push(Math.floor(r() * 2 ** Math.floor(r() * 53)) + 1);
    }
    const s = new StimulusScript(model.ports).set('rst', 1).tick(2).set('rst', 0);
    // a zero value (an all-zero vector's m or S): flagged, with the words the unit has always given it
    const jobs: { mode: number; v: number }[] = [...ms.map((v) => ({ mode: 0, v })), ...ss.map((v) => ({ mode: 1, v })), { mode: 0, v: 0 }, { mode: 1, v: 0 }];
    for (const j of jobs) {
      s.set('mode', j.mode).set('value', BigInt(j.v)).set('start', 1).tick(1).set('start', 0).set('value', 12345n);
      s.tick(scalarSerialCycles() - 1).get('done', 'done').get('mant', 'mant').get('exp', 'exp').get('table', 'table_word').get('zero', 'zero').tick(1);
    }
    // mode 2: the output scale of numerics/bitlinear.ts step 6 for normalised mantissas (and the extremes)
    const scales: { a: number; b: number; c: number; e: number }[] = [
      { a: 2 ** 15, b: 2 ** 14, c: 2 ** 15, e: 0 },
      { a: 2 ** 16 - 1, b: 2 ** 16 - 1, c: 2 ** 16 - 1, e: -100 },
    ];
    for (let i = 0; i < 2000; i++) scales.push({ a: 2 ** 15 + Math.floor(r() * 2 ** 15), b: 2 ** 14 + Math.floor(r() * (2 ** 16 - 2 ** 14)), c: 2 ** 15 + Math.floor(r() * 2 ** 15), e: Math.floor(r() * 120) - 80 });
    for (const j of scales) {
      s.set('mode', 2).set('a', j.a).set('b', j.b).set('c', j.c).set('exp_in', BigInt.asUintN(SCALAR_SERIAL_EXP_BITS, BigInt(j.e))).set('start', 1).tick(1).set('start', 0).set('a', 0);
      s.tick(scalarSerialCycles('scale') - 1).get('sdone', 'done').get('smant', 'mant').get('sexp', 'exp').tick(1);
    }
    const res = await runModel(model, s, { timeoutMs: 300_000 });
    const g = (k: string) => res.samples.get(k)!;
    scales.forEach((j, i) => {
      const prod = j.a * j.b * j.c; // < 2^48: exact
      const sh = highBit(prod) - 15;
      let mant = shiftRound(prod, sh);
      let e = sh + j.e;
      if (mant === 2 ** 16) {
        mant = 2 ** 15;
        e += 1;
      }
      expect(g('sdone')[i], `scale job ${i} done`).toBe(1n);
      expect([Number(g('smant')[i]), Number(BigInt.asIntN(SCALAR_SERIAL_EXP_BITS, g('sexp')[i]!))], `scale ${j.a} ${j.b} ${j.c}`).toEqual([mant, e]);
    });
    jobs.forEach((j, i) => {
      expect(g('done')[i], `job ${i} done`).toBe(1n);
      const exp = Number(BigInt.asIntN(SCALAR_SERIAL_EXP_BITS, g('exp')[i]!));
      expect(g('zero')[i], `job ${i} zero`).toBe(j.v === 0 ? 1n : 0n);
      if (j.v === 0) {
        // 63 leading zeros counted: hb = 52 - 63 = -11, normalize16's exponent hb - 15, rsqrt's -23 - floor((hb - 14) / 2)
        if (j.mode === 0) expect([Number(g('mant')[i]), exp], 'normalize 0').toEqual([0, -26]);
        else expect(exp, 'rsqrt 0').toBe(-23 - Math.floor(-25 / 2));
      } else if (j.mode === 0) {
        const n = normalize16(j.v);
        expect([Number(g('mant')[i]), exp, Number(g('table')[i])], `normalize ${j.v}`).toEqual([n.mant, n.exp, recip127(n.mant)]);
      } else {
        const t = rsqrtFixed(j.v);
        expect([Number(g('mant')[i]), exp], `rsqrt ${j.v}`).toEqual([t.mant, t.exp]);
      }
    });
  });
});
