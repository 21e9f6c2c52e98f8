// The row unit in Verilator against numerics, op by op, bit for bit: random elements plus the extremes
// (ACT +-2^23, both sigmoid clamp points, lb 0 and 32768, f 0 and 32768, every shift -64 .. 63, vectors
// whose max |u b| is 0 and whose energy is 0), streamed one per cycle with bubbles.
import { describe, expect, it } from 'vitest';
import { rowUnit, rowUnitLatency, rowUnitLateOffset, rowUnitStatsLatency, ROW_OP, ROW_LATE_OPS, ROW_SHIFT_BITS, type RowOp } from './row-unit.ts';
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
    case 'scale':
      return shiftRoundSat(BigInt(e.x) * BigInt(e.w), scal.shift, ACT.bits);
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
    const x = op === 'scale' ? (r() < 0.1 ? [-(2 ** 18), 2 ** 18, 0, -1][int(r, 0, 3)]! : int(r, -(2 ** 18), 2 ** 18)) : anyAct(r);
    out.push({ x, y: anyAct(r), w });
  }
  return out;
}

function encode(v: number, bits: number): bigint {
  return BigInt.asUintN(bits, BigInt(v));
}

describe.each([0, 1])('row unit (delay lines in block-RAM rings: %i)', (rings) => {
  const top = rowUnit({ maxCols: MAX_COLS, rings });

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
    for (const op of ['prescale', 'residual', 'gate', 'state', 'gated', 'scale'] as RowOp[]) {
      const scaled = op === 'prescale' || op === 'scale';
      for (let pass = 0; pass < (scaled ? 8 : 2); pass++) {
        const shift = scaled ? (pass < 4 ? [-64, -24, 50, 63][pass]! : int(r, op === 'scale' ? -8 : 8, 30)) : 0;
        passes.push({ op, shift, hasLb: pass % 2 === 1, els: elementsFor(op, r, scaled && pass < 4 ? 200 : 2000) });
      }
    }
    // SCALE's shift is -E of the output scale: any SCALE_E_BITS value
    for (const sh of [-512, -300, -25, 100, 511]) passes.push({ op: 'scale', shift: sh, hasLb: false, els: elementsFor('scale', r, 50) });
    for (let sh = -64; sh < 64; sh++) passes.push({ op: 'prescale', shift: sh, hasLb: false, els: elementsFor('prescale', r, 20) });
    for (const p of passes) {
      s.set('op', ROW_OP[p.op]).set('shift', encode(p.shift, ROW_SHIFT_BITS)).set('has_lb', p.hasLb ? 1 : 0);
      // SCALE's M is per pass (the controller holds it for a BitLinear): the pass's first element's w
      const mult = p.els[0]!.w;
      if (p.op === 'scale') for (const e of p.els) e.w = mult;
      s.set('mult', mult);
      // A cycle-by-cycle schedule: ops that use the sigmoid enter early (x, w) and get y, w at the late
      // ports LATE cycles later; the others enter at the late ports. Bubbles carry junk on every port.
      const late = ROW_LATE_OPS.has(p.op);
      const early: (Record<string, number | bigint> | undefined)[] = [];
      const lateSlots: (Record<string, number | bigint> | undefined)[] = [];
      let t = 0;
      for (const e of p.els) {
        if (r() < 0.1) t++;
        if (late) lateSlots[t] = { in_valid_late: 1, op_late: ROW_OP[p.op], x_late: encode(e.x, 24), y_late: encode(e.y, 24), w_late: e.w };
        else {
          early[t] = { in_valid: 1, op: ROW_OP[p.op], x: encode(e.x, 24) };
          lateSlots[t + rowUnitLateOffset()] = { y_late: encode(e.y, 24), w_late: e.w };
        }
        t++;
        expect_.push(oracle(p.op, e, p));
      }
      for (let c = 0; c < Math.max(early.length, lateSlots.length); c++) {
        const junk = { in_valid: 0, op: int(r, 0, 7), x: int(r, 0, 2 ** 24 - 1), in_valid_late: 0, op_late: int(r, 0, 7), x_late: int(r, 0, 2 ** 24 - 1), y_late: int(r, 0, 2 ** 24 - 1), w_late: int(r, 0, 0xffff) };
        for (const [k, v] of Object.entries({ ...junk, ...(early[c] ?? {}), ...(lateSlots[c] ?? {}) })) s.set(k, v);
        s.tick(1);
      }
      s.set('in_valid', 0).set('in_valid_late', 0).set('op', int(r, 0, 7)).tick(rowUnitLatency() + 2);
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
        s.set('in_valid', 1).set('op', ROW_OP.quant).set('x', encode(x, 24)).set('w', encode(b[i]!, 16)).tick(1);
        const q = shiftRound(shiftRound(x * b[i]!, mm.exp) * R, RECIP.frac);
        wantQ.push(q > QACT.max ? QACT.max : q < QACT.min ? QACT.min : q);
      });
      s.set('in_valid', 0).set('op', ROW_OP.prescale).tick(rowUnitLatency() + 2);
    }
    const res = await runModel(model, s, { timeoutMs: 300_000 });
    expect((res.monitors.get('m') ?? []).map(Number)).toEqual(wantM);
    expect((res.monitors.get('s') ?? []).map(Number)).toEqual(wantS);
    const q = (res.monitors.get('q') ?? []).map((v) => Number(BigInt.asIntN(24, v)));
    expect(q.length).toBe(wantQ.length);
    expect(q).toEqual(wantQ);
  });

  it('reports m and S at the latencies it documents', () => {
    expect(rowUnitStatsLatency()).toEqual({ m: 10, s: 14 });
    expect(rowUnitLatency()).toBe(18);
  });
});
