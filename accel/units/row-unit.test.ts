// The row unit in Verilator against numerics, op by op, bit for bit: random elements plus the extremes
// (ACT +-2^23, both sigmoid clamp points, lb 0 and 32768, f 0 and 32768, every shift -64 .. 63, vectors
// whose max |u b| is 0 and whose energy is 0), streamed one per cycle with bubbles.
import { describe, expect, it } from 'vitest';
import { rowUnit, rowUnitLatency, rowUnitStatsLatency, ROW_OP, ROW_SHIFT_BITS, type RowOp } from './row-unit.ts';
import { sigmoidFixed, siluFixed } from '../../numerics/nonlinear.ts';
import { saturate, shiftRound } from '../../numerics/integer.ts';
import { ACT, GATE, QACT, RECIP, SIGMOID } from '../../numerics/formats.ts';
import { normalize16, recip127 } from '../../numerics/scalars.ts';
import { sumOfSquares } from '../../numerics/bitlinear.ts';
import { buildRtlModel } from '../../sim/rtl-model.ts';
import { StimulusScript, runModel } from '../../flow/verilator.ts';
import { lintVerilator } from '../../flow/verilator-lint.ts';
import { elaborate } from '../../hdl/ir/elaborate.ts';
import { writeVerilog } from '../../hdl/verilog/emit.ts';
import { prng } from '../../sim/prng.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ACT_MIN = -(2 ** (ACT.bits - 1));
const ACT_MAX = 2 ** (ACT.bits - 1) - 1;
const CLAMP = SIGMOID.range * 2 ** ACT.frac;
const MAX_COLS = 1024;

/** shiftRound for products beyond 2^53 (bigints), then saturation. */
function shiftRoundSat(x: bigint, s: number, bits: number): number {
  let r: bigint;
  if (s <= 0) r = x << BigInt(-s);
  else {
    const d = 1n << BigInt(s);
    const t = x + (d >> 1n);
    r = t >= 0n ? t / d : -((-t + d - 1n) / d);
  }
  const lim = 1n << BigInt(bits - 1);
  return Number(r >= lim ? lim - 1n : r < -lim ? -lim : r);
}

interface El {
  x: number;
  y: number;
  w: number; // raw 16 bits
}

const signed16 = (w: number) => (w >= 0x8000 ? w - 0x10000 : w);

function oracle(op: RowOp, e: El, scal: { shift: number; hasLb: boolean }): number {
  switch (op) {
    case 'prescale':
      return shiftRoundSat(BigInt(e.x) * BigInt(signed16(e.w)), scal.shift, ACT.bits);
    case 'residual':
      return saturate(e.x + e.y, ACT.bits);
    case 'gate': {
      const sig = sigmoidFixed(e.x);
      return scal.hasLb ? e.w + shiftRound((GATE.one - e.w) * sig, GATE.frac) : sig;
    }
    case 'state': {
      const f = e.w;
      return saturate(shiftRound(f * e.y + (GATE.one - f) * siluFixed(e.x), GATE.frac), ACT.bits);
    }
    case 'gated':
      return shiftRoundSat(BigInt(e.y) * BigInt(siluFixed(e.x)), ACT.frac, ACT.bits);
    default:
      throw new Error(op);
  }
}

type Rand = () => number;
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const actEdge = [ACT_MIN, ACT_MIN + 1, -CLAMP - 1, -CLAMP, -1, 0, 1, CLAMP - 1, CLAMP, ACT_MAX - 1, ACT_MAX];
const anyAct = (r: Rand) => (r() < 0.15 ? actEdge[int(r, 0, actEdge.length - 1)]! : r() < 0.5 ? int(r, -4 * CLAMP, 4 * CLAMP) : int(r, ACT_MIN, ACT_MAX));

function elementsFor(op: RowOp, r: Rand, n: number): El[] {
  const out: El[] = [];
  for (let i = 0; i < n; i++) {
    const gateW = r() < 0.1 ? [0, GATE.one][int(r, 0, 1)]! : int(r, 0, GATE.one);
    const w = op === 'gate' || op === 'state' ? gateW : r() < 0.1 ? [0, 0x7fff, 0x8000, 0xffff, 1][int(r, 0, 4)]! : int(r, 0, 0xffff);
    out.push({ x: anyAct(r), y: anyAct(r), w });
  }
  return out;
}

function encode(v: number, bits: number): bigint {
  return BigInt.asUintN(bits, BigInt(v));
}

describe('row unit', () => {
  const top = rowUnit({ maxCols: MAX_COLS });

  it('lints clean with verilator -Wall', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'row-unit-'));
    const files = writeVerilog(elaborate(top), dir);
    expect(lintVerilator(files, top.name).messages).toEqual([]);
  });

  it('computes every elementwise op bit-exact with numerics', { timeout: 300_000 }, async () => {
    const { model } = await buildRtlModel(top);
    const r = prng(20261122);
    const s = new StimulusScript(model.ports).set('rst', 1).tick(2).set('rst', 0);
    s.monitor('out', 'out_valid', 'out');
    const expect_: number[] = [];
    const passes: { op: RowOp; shift: number; hasLb: boolean; els: El[] }[] = [];
    for (const op of ['prescale', 'residual', 'gate', 'state', 'gated'] as RowOp[]) {
      for (let pass = 0; pass < (op === 'prescale' ? 8 : 2); pass++) {
        const shift = op === 'prescale' ? (pass < 4 ? [-64, -24, 50, 63][pass]! : int(r, 8, 24)) : 0;
        passes.push({ op, shift, hasLb: pass % 2 === 1, els: elementsFor(op, r, op === 'prescale' && pass < 4 ? 200 : 2000) });
      }
    }
    for (let sh = -(2 ** (ROW_SHIFT_BITS - 1)); sh < 2 ** (ROW_SHIFT_BITS - 1); sh++) passes.push({ op: 'prescale', shift: sh, hasLb: false, els: elementsFor('prescale', r, 20) });
    for (const p of passes) {
      s.set('op', ROW_OP[p.op]).set('shift', encode(p.shift, ROW_SHIFT_BITS)).set('has_lb', p.hasLb ? 1 : 0);
      for (const e of p.els) {
        if (r() < 0.1) s.set('in_valid', 0).set('x', int(r, 0, 2 ** 24 - 1)).tick(1);
        s.set('in_valid', 1).set('x', encode(e.x, 24)).set('y', encode(e.y, 24)).set('w', e.w).tick(1);
        expect_.push(oracle(p.op, e, p));
      }
      s.set('in_valid', 0).tick(rowUnitLatency() + 2);
    }
    const res = await runModel(model, s, { timeoutMs: 300_000 });
    const got = (res.monitors.get('out') ?? []).map((v) => Number(BigInt.asIntN(24, v)));
    expect(got.length).toBe(expect_.length);
    let bad = 0;
    const first: string[] = [];
    for (let i = 0; i < got.length; i++) {
      if (got[i] !== expect_[i]) {
        bad++;
        if (first.length < 5) first.push(`#${i}: got ${got[i]} want ${expect_[i]}`);
      }
    }
    expect(first).toEqual([]);
    expect(bad).toBe(0);
  });

  it('computes STATS (max |u b|, sum of squares) and QUANT (int8 q) bit-exact with numerics', { timeout: 300_000 }, async () => {
    const { model } = await buildRtlModel(top);
    const r = prng(7);
    const s = new StimulusScript(model.ports).set('rst', 1).tick(2).set('rst', 0);
    s.monitor('q', 'out_valid', 'out').monitor('m', 'm_valid', 'm').monitor('s', 's_valid', 's');
    const wantQ: number[] = [];
    const wantM: number[] = [];
    const wantS: number[] = [];
    const vectors: { u: number[]; b: number[] }[] = [];
    for (let v = 0; v < 40; v++) {
      const n = v === 0 ? 1 : v < 4 ? MAX_COLS : int(r, 2, 300);
      const kind = v % 5;
      const u = Array.from({ length: n }, () => (kind === 0 ? int(r, -8, 7) : kind === 1 ? anyAct(r) : int(r, -4096, 4096)));
      const b = Array.from({ length: n }, () => (v === 5 ? 0 : r() < 0.05 ? [-32768, 32767][int(r, 0, 1)]! : int(r, -32768, 32767)));
      if (v === 6) u.fill(0);
      vectors.push({ u, b });
    }
    for (const { u, b } of vectors) {
      // pass 1: STATS
      s.set('op', ROW_OP.stats);
      u.forEach((x, i) => {
        s.set('in_valid', 1).set('x', encode(x, 24)).set('w', encode(b[i]!, 16)).set('first', i === 0 ? 1 : 0).set('last', i === u.length - 1 ? 1 : 0).tick(1);
      });
      s.set('in_valid', 0).set('first', 0).set('last', 0).tick(rowUnitLatency() + 2);
      let mMax = 0;
      u.forEach((x, i) => (mMax = Math.max(mMax, Math.abs(x * b[i]!))));
      wantM.push(mMax);
      wantS.push(sumOfSquares(Int32Array.from(u)));
      // pass 2: QUANT with numerics' e and R for this m (the controller's job)
      const mm = mMax === 0 ? { mant: 0, exp: -15 } : normalize16(mMax);
      const R = recip127(mm.mant >= 2 ** 15 ? mm.mant : 2 ** 15);
      s.set('op', ROW_OP.quant).set('qshift', mm.exp + 15).set('recip', R);
      u.forEach((x, i) => {
        s.set('in_valid', 1).set('x', encode(x, 24)).set('w', encode(b[i]!, 16)).tick(1);
        const q = shiftRound(shiftRound(x * b[i]!, mm.exp) * R, RECIP.frac);
        wantQ.push(q > QACT.max ? QACT.max : q < QACT.min ? QACT.min : q);
      });
      s.set('in_valid', 0).tick(rowUnitLatency() + 2);
    }
    const res = await runModel(model, s, { timeoutMs: 300_000 });
    expect((res.monitors.get('m') ?? []).map(Number)).toEqual(wantM);
    expect((res.monitors.get('s') ?? []).map(Number)).toEqual(wantS);
    const q = (res.monitors.get('q') ?? []).map((v) => Number(BigInt.asIntN(24, v)));
    expect(q.length).toBe(wantQ.length);
    expect(q).toEqual(wantQ);
  });

  it('reports m and S at the latencies it documents', () => {
    expect(rowUnitStatsLatency()).toEqual({ m: 10, s: 15 });
    expect(rowUnitLatency()).toBe(19);
  });
});
