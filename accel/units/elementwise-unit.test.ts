// The elementwise unit in Verilator against a TypeScript oracle, bit for bit, and the oracle against the
// fixed-point engine itself.
//
// The oracle is numerics' functions (sigmoidFixed, siluFixed, shiftRound, saturate) in the expressions
// of FixedModel.stepInt. It is checked against FixedModel on the embedded tiny model: a copy of stepInt
// that computes every MLGRU, GLU, prescale and residual element through the oracle must give the engine's
// states, hidden vectors and logits exactly, token after token. The elements that copy computes (real
// operands, with the model's lower bounds and norm-weight exponents) are also streamed through the RTL.
//
// RTL inputs per op: edge grids (ACT extremes +-2^23, both sigmoid clamp points, state 0, lb = 0 and
// 32768, has_lb 0/1, w = -32768 .. 32767 extremes, every shift -64 .. 63) and 10,000+ seeded random
// elements each, all four ops shuffled together and streamed one per cycle with random bubbles (junk on
// every input while in_valid is low, and junk on the ports an op does not read). Then: latency of a
// single element, verilator -Wall lint, and yosys synth_ice40 with and without -dsp (no warnings).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  elementwiseUnit,
  elementwiseLatency,
  elementwiseStateLatency,
  ELEMENTWISE_OP,
  ELEMENTWISE_SHIFT_BITS,
  type ElementwiseUnitParams,
} from './elementwise-unit.ts';
import { sigmoidFixed, siluFixed } from '../../numerics/nonlinear.ts';
import { saturate, shiftRound } from '../../numerics/integer.ts';
import { ACT, GATE, NORM_WEIGHT, SIGMOID } from '../../numerics/formats.ts';
import { BitLinearScratch, bitLinearFixed, sumOfSquares } from '../../numerics/bitlinear.ts';
import { openModel } from '../../model/open.ts';
import { FixedModel, type FixedParams } from '../../model/fixed/fixed-model.ts';
import { buildRtlModel, type RtlModel } from '../../sim/rtl-model.ts';
import { StimulusScript, runModel } from '../../flow/verilator.ts';
import { lintVerilator } from '../../flow/verilator-lint.ts';
import { synthIce40 } from '../../flow/yosys.ts';
import { prng } from '../../sim/prng.ts';

const ACT_MIN = -(2 ** (ACT.bits - 1));
const ACT_MAX = 2 ** (ACT.bits - 1) - 1;
const ONE = 2 ** ACT.frac;
const CLAMP = SIGMOID.range * ONE; // 49152: sigmoid's inputs are clamped to [-CLAMP, CLAMP - 1]
const W_MIN = -(2 ** (NORM_WEIGHT.bits - 1));
const W_MAX = 2 ** (NORM_WEIGHT.bits - 1) - 1;
const SHIFT_MIN = -(2 ** (ELEMENTWISE_SHIFT_BITS - 1));
const SHIFT_MAX = 2 ** (ELEMENTWISE_SHIFT_BITS - 1) - 1;
const { mlgru: MLGRU, glu: GLU, prescale: PRESCALE, residual: RESIDUAL } = ELEMENTWISE_OP;
const OP_NAMES = ['MLGRU', 'GLU', 'PRESCALE', 'RESIDUAL'];

// ---- the oracle: FixedModel.stepInt's per-channel expressions on numerics' functions ---------------

/** MLGRU for one channel: FixedModel's f, state and output lines. */
export function mlgruOracle(a: number, b: number, c: number, s: number, lb: number, hasLb: boolean): { s: number; y: number } {
  const sig = sigmoidFixed(a);
  const f = hasLb ? lb + shiftRound((GATE.one - lb) * sig, GATE.frac) : sig;
  const sNew = saturate(shiftRound(f * s + (GATE.one - f) * siluFixed(b), GATE.frac), ACT.bits);
  return { s: sNew, y: saturate(shiftRound(c * siluFixed(sNew), ACT.frac), ACT.bits) };
}

/** GLU for one channel: z = sat24(shiftRound(silu(gate) * up, 12)). */
export function gluOracle(gate: number, up: number): number {
  return saturate(shiftRound(siluFixed(gate) * up, ACT.frac), ACT.bits);
}

/** shiftRound(x, s) for integers of any size (x * 2^-s rounded half up), as a bigint. */
function shiftRoundBig(x: bigint, s: number): bigint {
  if (s <= 0) return x << BigInt(-s);
  const d = 1n << BigInt(s);
  const t = x + (d >> 1n);
  return t >= 0n ? t / d : -((-t + d - 1n) / d); // floor division
}

function saturateBig(x: bigint, bits: number): number {
  const lim = 1n << BigInt(bits - 1);
  return Number(x >= lim ? lim - 1n : x < -lim ? -lim : x);
}

/** prescale for one element: u = sat24(shiftRound(v * w, shift)), as FixedModel's prescale (shift = -exp). */
export function prescaleOracle(v: number, w: number, shift: number): number {
  // numerics' power-of-two table covers shifts down to -63; the port's -64 goes through bigints.
  if (shift < -63) return saturateBig(shiftRoundBig(BigInt(v) * BigInt(w), shift), ACT.bits);
  return saturate(shiftRound(v * w, shift), ACT.bits) + 0; // + 0: a zero product by a negative w is -0
}

/** The residual add: h' = sat24(h + x). */
export function residualOracle(h: number, x: number): number {
  return saturate(h + x, ACT.bits);
}

// ---- elements: what one cycle of the unit is given, and what must come out --------------------------

interface Element {
  op: number;
  a: number;
  b: number;
  c: number;
  s: number;
  lb: number;
  hasLb: number;
  w: number;
  shift: number;
}

function expected(e: Element): { y: number; s?: number } {
  switch (e.op) {
    case MLGRU:
      return mlgruOracle(e.a, e.b, e.c, e.s, e.lb, e.hasLb === 1);
    case GLU:
      return { y: gluOracle(e.s, e.c) };
    case PRESCALE:
      return { y: prescaleOracle(e.c, e.w, e.shift) };
    default:
      return { y: residualOracle(e.c, e.s) };
  }
}

type Rand = () => number;
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T,>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** An ACT value from a mixture: full range, the sigmoid's range, small, extremes, clamp points, powers of two. */
function randomAct(r: Rand): number {
  const k = r();
  if (k < 0.3) return int(r, ACT_MIN, ACT_MAX);
  if (k < 0.6) return int(r, -16 * ONE, 16 * ONE);
  if (k < 0.7) return int(r, -512, 512);
  if (k < 0.8) return pick(r, [ACT_MIN, ACT_MIN + 1, ACT_MAX, ACT_MAX - 1, 0, 1, -1]);
  if (k < 0.9) return pick(r, [-CLAMP, CLAMP]) + int(r, -300, 300);
  const p = 2 ** int(r, 0, ACT.bits - 2);
  return Math.max(ACT_MIN, Math.min(ACT_MAX, pick(r, [1, -1]) * p + int(r, -1, 1)));
}

function randomGate(r: Rand): number {
  const k = r();
  if (k < 0.2) return pick(r, [0, 1, GATE.one - 1, GATE.one]);
  return int(r, 0, GATE.one);
}

function randomW(r: Rand): number {
  const k = r();
  if (k < 0.15) return pick(r, [W_MIN, W_MIN + 1, W_MAX, -1, 0, 1, ONE]);
  if (k < 0.5) return pick(r, [1, -1]) * int(r, 2 ** 14, W_MAX); // what toFixedVector makes: max |w| in [2^14, 2^15)
  return int(r, W_MIN, W_MAX);
}

function randomShift(r: Rand): number {
  const k = r();
  if (k < 0.4) return int(r, 13, 20); // numerics' -exp for real norm weights
  if (k < 0.6) return pick(r, [-25, -24, -23, -16, -1, 0, 1, 2, 11, 12, 38, 39, 40, 41, SHIFT_MIN, SHIFT_MAX]);
  return int(r, SHIFT_MIN, SHIFT_MAX);
}

/** Junk for the ports an op does not read. */
function junk(r: Rand): Omit<Element, 'op'> {
  return {
    a: int(r, ACT_MIN, ACT_MAX),
    b: int(r, ACT_MIN, ACT_MAX),
    c: int(r, ACT_MIN, ACT_MAX),
    s: int(r, ACT_MIN, ACT_MAX),
    lb: int(r, 0, GATE.one),
    hasLb: int(r, 0, 1),
    w: int(r, W_MIN, W_MAX),
    shift: int(r, SHIFT_MIN, SHIFT_MAX),
  };
}

function randomElement(r: Rand, op: number): Element {
  const e: Element = { op, ...junk(r) };
  switch (op) {
    case MLGRU:
      return { ...e, a: randomAct(r), b: randomAct(r), c: randomAct(r), s: r() < 0.1 ? 0 : randomAct(r), lb: randomGate(r), hasLb: int(r, 0, 1) };
    case GLU:
      return { ...e, s: randomAct(r), c: randomAct(r) };
    case PRESCALE:
      return { ...e, c: randomAct(r), w: randomW(r), shift: randomShift(r) };
    default:
      return { ...e, c: randomAct(r), s: randomAct(r) };
  }
}

/** The deterministic edge grids of each op (junk on the ports the op ignores). */
function edgeElements(r: Rand): Element[] {
  const out: Element[] = [];
  const extremes = [ACT_MIN, ACT_MIN + 1, -CLAMP - 1, -CLAMP, -CLAMP + 1, -1, 0, 1, CLAMP - 1, CLAMP, ACT_MAX - 1, ACT_MAX];
  const lbs: [number, number][] = [[0, 0], [0, 1], [1, 1], [GATE.one / 2, 1], [GATE.one - 1, 1], [GATE.one, 1], [GATE.one, 0], [12345, 0]];
  for (const a of [ACT_MIN, -CLAMP - 1, -CLAMP, 0, CLAMP - 1, CLAMP, ACT_MAX])
    for (const b of [ACT_MIN, -CLAMP, -1, 0, CLAMP - 1, ACT_MAX])
      for (const s of [ACT_MIN, -1, 0, 1, ACT_MAX])
        for (const c of [ACT_MIN, 0, ACT_MAX])
          for (const [lb, hasLb] of lbs) out.push({ ...junk(r), op: MLGRU, a, b, c, s, lb, hasLb });
  for (const s of extremes) for (const c of extremes) out.push({ ...junk(r), op: GLU, s, c });
  for (const c of [ACT_MIN, ACT_MIN + 1, -ONE, -1, 0, 1, ONE, ACT_MAX])
    for (const w of [W_MIN, W_MIN + 1, -1, 0, 1, ONE, W_MAX])
      for (let shift = SHIFT_MIN; shift <= SHIFT_MAX; shift++) out.push({ ...junk(r), op: PRESCALE, c, w, shift });
  for (const c of extremes) for (const s of extremes) out.push({ ...junk(r), op: RESIDUAL, c, s });
  return out;
}

// ---- the oracle inside a copy of FixedModel.stepInt ---------------------------------------------------

interface Replica {
  logits: Int32Array;
  /** Each layer's input h, then the last layer's output (what FixedModel.onHidden sees). */
  hidden: Int32Array[];
}

/**
 * FixedModel.stepInt with every elementwise step computed by the oracle and recorded as an Element.
 * Embedding lookup and BitLinear are the engine's own functions (they are not the unit's job).
 */
function replicaStep(P: FixedParams, state: Int32Array[], token: number, record: (e: Element) => void): Replica {
  const cfg = P.config;
  const d = cfg.hiddenSize;
  const I = cfg.intermediateSize;
  const scratch = new BitLinearScratch(Math.max(d, I), Math.max(2 * I, cfg.vocabSize, d));
  const h = new Int32Array(d);
  const u = new Int32Array(d);
  const a = new Int32Array(d);
  const b = new Int32Array(d);
  const c = new Int32Array(d);
  const wide = new Int32Array(2 * I);
  const z = new Int32Array(I);
  const hidden: Int32Array[] = [];
  const emb = P.embeddings;
  for (let j = 0; j < d; j++) h[j] = saturate(shiftRound(emb.codes[token * d + j]! * emb.rowScale[token]!, -(emb.exp + ACT.frac)), ACT.bits);
  const none = { a: 0, b: 0, c: 0, s: 0, lb: 0, hasLb: 0, w: 0, shift: 0 };
  const prescale = (v: Int32Array, wv: { mant: Int32Array; exp: number }, out: Int32Array) => {
    for (let i = 0; i < v.length; i++) {
      out[i] = prescaleOracle(v[i]!, wv.mant[i]!, -wv.exp);
      record({ ...none, op: PRESCALE, c: v[i]!, w: wv.mant[i]!, shift: -wv.exp });
    }
  };
  const residual = (x: Int32Array) => {
    for (let j = 0; j < d; j++) {
      record({ ...none, op: RESIDUAL, c: h[j]!, s: x[j]! });
      h[j] = residualOracle(h[j]!, x[j]!);
    }
  };
  P.layers.forEach((L, n) => {
    hidden.push(h.slice());
    const s = state[n]!;
    prescale(h, L.attnNorm, u);
    const energy = sumOfSquares(u);
    bitLinearFixed(u, energy, L.f, a, scratch);
    bitLinearFixed(u, energy, L.i, b, scratch);
    bitLinearFixed(u, energy, L.g, c, scratch);
    for (let j = 0; j < d; j++) {
      const lb = L.lowerBound ? L.lowerBound[j]! : 0;
      const e: Element = { ...none, op: MLGRU, a: a[j]!, b: b[j]!, c: c[j]!, s: s[j]!, lb, hasLb: L.lowerBound ? 1 : 0 };
      record(e);
      const r = mlgruOracle(e.a, e.b, e.c, e.s, e.lb, e.hasLb === 1);
      s[j] = r.s;
      c[j] = r.y;
    }
    prescale(c, L.gNorm, u);
    bitLinearFixed(u, sumOfSquares(u), L.o, a, scratch);
    residual(a);
    prescale(h, L.mlpNorm, u);
    bitLinearFixed(u, sumOfSquares(u), L.gateUp, wide, scratch);
    for (let k = 0; k < I; k++) {
      record({ ...none, op: GLU, s: wide[k]!, c: wide[I + k]! });
      z[k] = gluOracle(wide[k]!, wide[I + k]!);
    }
    bitLinearFixed(z, sumOfSquares(z), L.down, a, scratch);
    residual(a);
  });
  hidden.push(h.slice());
  prescale(h, P.finalNorm, u);
  const logits = new Int32Array(cfg.vocabSize);
  bitLinearFixed(u, sumOfSquares(u), P.lmHead, logits, scratch);
  return { logits, hidden };
}

const TOKENS = Array.from('ROMEO:\nBut soft, what light', (ch) => ch.charCodeAt(0));

/** Runs the engine and the replica side by side; returns the replica's elements and the mismatches. */
function crossCheck(tokens: number[]): { elements: Element[]; mismatches: string[]; engine: FixedModel } {
  const engine = FixedModel.fromSource(openModel(undefined).weights);
  const engineState = engine.newState();
  const replicaState = engine.newState().recurrent;
  const elements: Element[] = [];
  const mismatches: string[] = [];
  const same = (x: Int32Array, y: Int32Array) => x.length === y.length && x.every((v, i) => v === y[i]);
  for (const [t, token] of tokens.entries()) {
    const hidden: Int32Array[] = [];
    engine.onHidden = (_k, h) => hidden.push(h.slice());
    const logits = engine.stepInt(engineState, token % engine.config.vocabSize).slice();
    const rep = replicaStep(engine.params, replicaState, token % engine.config.vocabSize, (e) => elements.push(e));
    if (!same(logits, rep.logits)) mismatches.push(`token ${t}: logits`);
    rep.hidden.forEach((h, k) => (same(h, hidden[k]!) ? undefined : mismatches.push(`token ${t}: hidden ${k}`)));
    replicaState.forEach((s, n) => (same(s, engineState.recurrent[n]!) ? undefined : mismatches.push(`token ${t}: state of layer ${n}`)));
  }
  return { elements, mismatches, engine };
}

// ---- streaming elements through the RTL ----------------------------------------------------------------

const PORTS = ['op', 'a', 'b', 'c', 's', 'lb', 'has_lb', 'w', 'shift'] as const;

function setElement(script: StimulusScript, e: Element): void {
  script.set('op', e.op).set('a', e.a).set('b', e.b).set('c', e.c).set('s', e.s).set('lb', e.lb).set('has_lb', e.hasLb).set('w', e.w).set('shift', e.shift);
}

async function stream(rtl: RtlModel, elements: Element[], seed: number): Promise<{ y: number[]; s: number[] }> {
  const script = new StimulusScript(rtl.model.ports);
  for (const p of PORTS) script.set(p, 0);
  script.set('in_valid', 0).set('rst', 1).tick(2).set('rst', 0);
  script.monitor('y', 'out_valid', 'y').monitor('s', 's_valid', 's_new');
  const r = prng(seed);
  for (const e of elements) {
    // Now and then a bubble with junk on every input (an MLGRU op, so s_valid would show a leak).
    if (r() < 0.05) {
      setElement(script, { op: MLGRU, ...junk(r) });
      script.set('in_valid', 0).tick();
    }
    setElement(script, e);
    script.set('in_valid', 1).tick();
  }
  script.set('in_valid', 0).tick(40);
  const res = await runModel(rtl.model, script);
  const signed = (vs: bigint[] | undefined) => (vs ?? []).map((v) => Number(BigInt.asIntN(ACT.bits, v)));
  return { y: signed(res.monitors.get('y')), s: signed(res.monitors.get('s')) };
}

interface Mismatch {
  i: number;
  op: string;
  element: Element;
  what: 'y' | 's';
  want: number;
  got: number | undefined;
}

function compare(elements: Element[], got: { y: number[]; s: number[] }): Mismatch[] {
  const out: Mismatch[] = [];
  let si = 0;
  elements.forEach((e, i) => {
    const want = expected(e);
    if (got.y[i] !== want.y) out.push({ i, op: OP_NAMES[e.op]!, element: e, what: 'y', want: want.y, got: got.y[i] });
    if (want.s !== undefined) {
      if (got.s[si] !== want.s) out.push({ i, op: OP_NAMES[e.op]!, element: e, what: 's', want: want.s, got: got.s[si] });
      si++;
    }
  });
  return out;
}

/** Cycles from in_valid to out_valid and to s_valid for one MLGRU element. */
async function measureLatency(rtl: RtlModel, max: number): Promise<{ y: number; s: number }> {
  const script = new StimulusScript(rtl.model.ports);
  for (const p of PORTS) script.set(p, 0);
  script.set('in_valid', 0).set('rst', 1).tick(2).set('rst', 0);
  setElement(script, { op: MLGRU, a: ONE, b: ONE, c: ONE, s: ONE, lb: 0, hasLb: 0, w: 0, shift: 0 });
  script.set('in_valid', 1).tick().set('in_valid', 0);
  script.get('y1', 'out_valid').get('s1', 's_valid');
  for (let c = 2; c <= max; c++) script.tick().get(`y${c}`, 'out_valid').get(`s${c}`, 's_valid');
  const res = await runModel(rtl.model, script);
  const first = (tag: string) => {
    for (let c = 1; c <= max; c++) if (res.samples.get(`${tag}${c}`)?.[0] === 1n) return c;
    return -1;
  };
  return { y: first('y'), s: first('s') };
}

function shuffle<T>(xs: T[], r: Rand): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

// ---- tests -----------------------------------------------------------------------------------------------

describe('elementwise oracle', () => {
  it('equals FixedModel.stepInt on the embedded tiny model (states, hidden vectors and logits, every token)', { timeout: 120_000 }, () => {
    const { elements, mismatches, engine } = crossCheck(TOKENS);
    expect(mismatches).toEqual([]);
    const count = (op: number) => elements.filter((e) => e.op === op).length;
    const cfg = engine.config;
    const L = cfg.numLayers;
    const d = cfg.hiddenSize;
    expect(count(MLGRU)).toBe(TOKENS.length * L * d);
    expect(count(GLU)).toBe(TOKENS.length * L * cfg.intermediateSize);
    expect(count(RESIDUAL)).toBe(TOKENS.length * L * 2 * d);
    expect(count(PRESCALE)).toBe(TOKENS.length * (3 * L + 1) * d);
    // The run exercised both forget-gate forms and real lower bounds.
    expect(elements.some((e) => e.op === MLGRU && e.hasLb === 0)).toBe(true);
    expect(elements.some((e) => e.op === MLGRU && e.hasLb === 1 && e.lb > 0)).toBe(true);
  });

  it('prescale: numerics shiftRound agrees with exact bigint arithmetic over every shift', () => {
    const r = prng(3);
    for (let shift = SHIFT_MIN + 1; shift <= SHIFT_MAX; shift++) {
      for (let k = 0; k < 200; k++) {
        const v = k < 4 ? [ACT_MIN, ACT_MAX, -1, 1][k]! : randomAct(r);
        const w = k < 4 ? [W_MIN, W_MAX, W_MIN, -1][k]! : randomW(r);
        expect(prescaleOracle(v, w, shift)).toBe(saturateBig(shiftRoundBig(BigInt(v) * BigInt(w), shift), ACT.bits));
      }
    }
  });
});

const VARIANTS: ElementwiseUnitParams[] = [
  { siluStages: 1, delayRam: 0 },
  { siluStages: 2, delayRam: 0 },
  { siluStages: 1, delayRam: 1 },
  { siluStages: 2, delayRam: 1 },
];
const label = (p: ElementwiseUnitParams) => `siluStages=${p.siluStages} delayRam=${p.delayRam}`;

describe('elementwise unit (Verilator, bit-exact against the oracle)', () => {
  const r = prng(17);
  const random: Element[] = [];
  for (const op of [MLGRU, GLU, PRESCALE, RESIDUAL]) for (let i = 0; i < 10_000; i++) random.push(randomElement(r, op));
  const model = crossCheck(TOKENS.slice(0, 8)).elements;
  const elements = shuffle([...edgeElements(r), ...random, ...model], r);

  it('the inputs cover what they claim', () => {
    for (const op of [MLGRU, GLU, PRESCALE, RESIDUAL]) expect(elements.filter((e) => e.op === op).length).toBeGreaterThan(10_000);
    const ys = elements.map((e) => expected(e).y);
    const ml = elements.filter((e) => e.op === MLGRU);
    // Saturation both ways, in every op that can saturate.
    for (const op of [MLGRU, GLU, PRESCALE, RESIDUAL]) {
      expect(elements.some((e, i) => e.op === op && ys[i] === ACT_MAX)).toBe(true);
      expect(elements.some((e, i) => e.op === op && ys[i] === ACT_MIN)).toBe(true);
    }
    expect(ml.some((e) => e.s === 0)).toBe(true);
    expect(ml.some((e) => e.hasLb === 1 && e.lb === 0)).toBe(true);
    expect(ml.some((e) => e.hasLb === 1 && e.lb === GATE.one)).toBe(true);
    expect(ml.some((e) => e.a === CLAMP && sigmoidFixed(e.a) === GATE.one)).toBe(true);
    expect(ml.some((e) => e.a === -CLAMP - 1 && sigmoidFixed(e.a) === 0)).toBe(true);
    const shifts = new Set(elements.filter((e) => e.op === PRESCALE).map((e) => e.shift));
    expect(shifts.size).toBe(SHIFT_MAX - SHIFT_MIN + 1);
  });

  for (const p of VARIANTS) {
    it(`${label(p)}: ${elements.length} elements bit-exact, latency ${elementwiseLatency(p)} (s_new ${elementwiseStateLatency(p)})`, { timeout: 600_000 }, async () => {
      const rtl = await buildRtlModel(elementwiseUnit(p));
      expect(await measureLatency(rtl, 40)).toEqual({ y: elementwiseLatency(p), s: elementwiseStateLatency(p) });
      const got = await stream(rtl, elements, 23);
      expect(got.y.length).toBe(elements.length);
      expect(got.s.length).toBe(elements.filter((e) => e.op === MLGRU).length);
      expect(compare(elements, got).slice(0, 5)).toEqual([]);
    });
  }
});

describe('elementwise unit: lint and iCE40 synthesis', () => {
  for (const p of VARIANTS) {
    it(`${label(p)}: verilator --lint-only -Wall is clean`, { timeout: 120_000 }, async () => {
      const rtl = await buildRtlModel(elementwiseUnit(p));
      const lint = lintVerilator(rtl.sources, elementwiseUnit(p).name);
      expect(lint.messages).toEqual([]);
      expect(lint.ok).toBe(true);
    });
  }

  for (const [dsp, delayRam] of [[false, 0], [true, 0], [true, 1]] as const) {
    const ebr = 6 + 5 * delayRam; // three sigmoid tables in two EBRs each, the delay rings in five
    it(`yosys synth_ice40${dsp ? ' -dsp' : ''}, delayRam=${delayRam}: no warnings, ${ebr} EBRs`, { timeout: 600_000 }, async () => {
      const top = elementwiseUnit({ siluStages: 1, delayRam });
      const work = fs.mkdtempSync(path.join(os.tmpdir(), 'elementwise-unit-synth-'));
      try {
        const rtl = await buildRtlModel(top, { dir: path.join(work, 'rtl') });
        const r = await synthIce40({ top: top.name, sources: rtl.sources, workDir: path.join(work, 'synth'), dsp });
        expect(r.warnings).toEqual([]);
        expect(r.cells.ebr).toBe(ebr);
        if (dsp) expect(r.cells.dsp).toBeGreaterThan(0);
        else expect(r.cells.dsp).toBe(0);
      } finally {
        fs.rmSync(work, { recursive: true, force: true });
      }
    });
  }
});
