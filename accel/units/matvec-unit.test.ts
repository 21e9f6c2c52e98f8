// The ternary matrix-vector unit in Verilator against numerics' TernaryMatrix.matvec, bit for bit.
//
// Each session is one Verilator run over a list of matrices: q is written element by element (in
// shuffled or sequential order, with back-to-back rewrites of the same byte and of its partner byte
// so the read-modify-write forwarding is exercised), then `start`, then the weight words.
//   - full rate: w_valid is 1 on every cycle after start; every cycle's w_ready, busy and done are
//     sampled and checked against a model of the handshake, so w_ready never drops while words remain,
//     and done comes exactly rows * ceil(cols / P) + stages + 3 cycles after start (one more when start
//     follows the last q write at once). Matrices overlap: the next one's q writes, or its start when
//     it shares q, follow the previous one's last word while that one drains. Some matrices also get
//     q writes while their words stream in (w_ready drops for 3 cycles after each; every word must
//     see exactly the writes before the cycle it was accepted in).
//   - gaps: w_valid has random holes (with junk on w_data) and start is held high with junk sizes
//     while a matrix runs; the words are handed over with the harness's wait-for-ready.
// Shapes: rows = 1, cols = 1, cols not a multiple of P, cols = maxCols, rows = maxRows, the extremes
// +-128 maxCols (all -1 or all +1 weights against q = -128 everywhere), q on the rails -128 / 127.
// Then the Verilog is linted (verilator -Wall) and synthesised for the iCE40 (yosys, no warnings).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  matvecUnit,
  matvecUnitParams,
  matvecAccWidth,
  matvecChunks,
  matvecCycles,
  matvecOverhead,
  packWeightWords,
  type MatvecUnitOptions,
} from './matvec-unit.ts';
import { TernaryMatrix } from '../../numerics/ternary.ts';
import { buildRtlModel } from '../../sim/rtl-model.ts';
import { matvecOutputs, watchMatvecOutputs, type MatvecOutputs } from './matvec-test-support.ts';
import { StimulusScript, runModel, type VerilatorModel } from '../../flow/verilator.ts';
import { expectLintClean } from '../../flow/verilator-test-support.ts';
import { synthIce40 } from '../../flow/yosys.ts';
import { elaborate } from '../../hdl/ir/elaborate.ts';
import { writeVerilog } from '../../hdl/verilog/emit.ts';
import { seededRandom } from '../../util/prng.ts';

const rng = seededRandom;

type Weights = 'random' | 'minus' | 'plus' | 'sparse';
type Acts = 'random' | 'rails' | 'min' | 'max';

interface Case {
  rows: number;
  cols: number;
  weights: Weights;
  acts: Acts;
  /** Idle cycles between the last q write and start (0: start right after it). */
  gap: number;
  /** Reuse the previous matrix's q (no writes): start follows the previous matrix's last word at once. */
  sameQ?: boolean;
  order?: 'shuffled' | 'sequential';
  /** Probability per cycle of a q write (random address and value) while the words stream in. */
  midWrites?: number;
}

interface Matrix {
  c: Case;
  codes: Int8Array;
  q: Int8Array;
  expected: Int32Array;
  words: bigint[];
  /** q writes as issued, with the extra rewrites: an element (qLanes 1) or a group of qLanes elements. */
  writes: QWrite[];
}

interface QWrite {
  addr: number;
  data: number[];
}

function makeMatrix(c: Case, lanes: number, qLanes: number, r: () => number, prevQ: Int8Array | undefined): Matrix {
  const n = c.rows * c.cols;
  const codes = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    if (c.weights === 'minus') codes[i] = -1;
    else if (c.weights === 'plus') codes[i] = 1;
    else if (c.weights === 'sparse') codes[i] = r() < 0.8 ? 0 : r() < 0.5 ? 1 : -1;
    else codes[i] = Math.floor(r() * 3) - 1;
  }
  let q: Int8Array;
  if (c.sameQ) {
    if (!prevQ || prevQ.length !== c.cols) throw new Error('sameQ needs the previous matrix to have as many columns');
    q = prevQ;
  } else {
    q = new Int8Array(c.cols);
    for (let i = 0; i < c.cols; i++) {
      if (c.acts === 'min') q[i] = -128;
      else if (c.acts === 'max') q[i] = 127;
      else if (c.acts === 'rails') q[i] = r() < 0.5 ? -128 : 127;
      else q[i] = Math.floor(r() * 256) - 128;
    }
  }
  const expected = new Int32Array(c.rows);
  new TernaryMatrix(c.rows, c.cols, codes, 1).matvec(q, expected);
  const writes: QWrite[] = [];
  if (!c.sameQ && qLanes > 1) {
    // Whole groups, shuffled; elements past cols get junk (their codes are 0). A junk write to the
    // same group right before some.
    const groups = Array.from({ length: Math.ceil(c.cols / qLanes) }, (_, g) => g);
    for (let i = groups.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [groups[i], groups[j]] = [groups[j]!, groups[i]!];
    }
    const junk = () => Math.floor(r() * 256) - 128;
    for (const g of groups) {
      if (r() < 0.1) writes.push({ addr: g, data: Array.from({ length: qLanes }, junk) });
      writes.push({ addr: g, data: Array.from({ length: qLanes }, (_, i) => (g * qLanes + i < c.cols ? q[g * qLanes + i]! : junk())) });
    }
  } else if (!c.sameQ) {
    const order = Array.from({ length: c.cols }, (_, i) => i);
    if (c.order !== 'sequential') {
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(r() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
    }
    for (const a of order) {
      const x = r();
      // A junk value to the same byte right before (forwarding of the same byte), or to the partner
      // byte (forwarding of the other byte of the same bank word).
      if (x < 0.1) writes.push({ addr: a, data: [Math.floor(r() * 256) - 128] });
      writes.push({ addr: a, data: [q[a]!] });
      if (x > 0.9 && (a ^ 1) < c.cols) writes.push({ addr: a ^ 1, data: [q[a ^ 1]!] });
    }
  }
  return { c, codes, q, expected, words: packWeightWords(codes, c.rows, c.cols, lanes), writes };
}

interface SessionResult extends MatvecOutputs {
  matrices: Matrix[];
  /** What each row must be: TernaryMatrix.matvec, or with q writes during the matrix the sum of each
   *  word's products with q as it was when the word was accepted. */
  expected: number[][];
  /** The driver's prediction of the sampled handshake (full-rate sessions only). */
  predictedReady: number[];
  predictedBusy: number[];
  predictedDone: number[];
  /** Cycle of each start and of each matrix's accepted words (full-rate sessions only). */
  starts: number[];
  accepted: number[][];
}

/**
 * The full-rate driver models the handshake: busy from the cycle after start, w_ready from the cycle
 * after that until the last word, except in the 3 cycles after any q write; it offers the next word on
 * every cycle and counts it accepted where it predicts w_ready, and the test then checks every cycle's
 * sampled w_ready, busy and done against the prediction.
 */
async function runSession(
  model: VerilatorModel,
  o: MatvecUnitOptions,
  cases: Case[],
  mode: 'full' | 'gaps',
  seed: number,
): Promise<SessionResult> {
  const p = matvecUnitParams(o);
  const Q = p.qLanes ?? 1;
  const r = rng(seed);
  const s = new StimulusScript(model.ports);
  const accW = matvecAccWidth(p.maxCols);
  const { sampleHandshake } = watchMatvecOutputs(s);
  let cycle = 0;
  const qState = new Int8Array(Math.ceil(p.maxCols / Q) * Q);
  const writeCycles = new Set<number>();
  const predictedReady: number[] = [];
  const predictedBusy: number[] = [];
  const predictedDone: number[] = [];
  const sampled = mode === 'full';
  // One clock cycle; the sample of cycle i is taken before its edge, so index i is cycle i.
  const step = (ready = 0, busy = 0) => {
    if (sampled) {
      sampleHandshake();
      predictedReady.push(ready);
      predictedBusy.push(busy);
    }
    s.tick();
    cycle++;
  };
  // Element addr (Q = 1) or group addr (Q elements from Q addr, element Q addr + i in byte i).
  const write = (w: QWrite) => {
    const packed = w.data.reduceRight((acc, v) => (acc << 8n) | BigInt(v & 0xff), 0n);
    s.set('q_wr_en', 1).set('q_wr_addr', w.addr).set('q_wr_data', Q === 1 ? w.data[0]! : packed);
    writeCycles.add(cycle);
    w.data.forEach((v, i) => (qState[Q * w.addr + i] = v));
  };
  const junkWrite = (): QWrite => ({ addr: Math.floor((r() * p.maxCols) / Q), data: Array.from({ length: Q }, () => Math.floor(r() * 256) - 128) });
  const settling = () => writeCycles.has(cycle - 1) || writeCycles.has(cycle - 2) || writeCycles.has(cycle - 3);
  s.set('rst', 1);
  for (const port of ['q_wr_en', 'q_wr_addr', 'q_wr_data', 'start', 'rows', 'cols', 'w_valid', 'w_data']) s.set(port, 0);
  step();
  step();
  s.set('rst', 0);
  // Junk everywhere in the q store first: columns past `cols` must not matter (their codes are 0).
  for (let a = 0; a < Math.ceil(p.maxCols / Q); a++) {
    write({ addr: a, data: Array.from({ length: Q }, () => Math.floor(r() * 256) - 128) });
    step();
  }
  s.set('q_wr_en', 0);
  for (let i = 0; i < 3; i++) step();
  // Starts with a zero size are ignored: no busy, no result, no done.
  for (const [rows, cols] of [[0, 1], [1, 0], [0, 0], [0, p.maxCols]] as const) {
    s.set('start', 1).set('rows', rows).set('cols', cols);
    step();
  }
  s.set('start', 0);
  step();

  const matrices: Matrix[] = [];
  const expected: number[][] = [];
  const starts: number[] = [];
  const accepted: number[][] = [];
  let prevQ: Int8Array | undefined;
  for (const c of cases) {
    const mx = makeMatrix(c, p.lanes, Q, r, prevQ);
    prevQ = mx.q;
    matrices.push(mx);
    for (const w of mx.writes) {
      write(w);
      step();
    }
    s.set('q_wr_en', 0);
    for (let i = 0; i < (c.sameQ ? 0 : c.gap); i++) step();
    s.set('start', 1).set('rows', c.rows).set('cols', c.cols).set('w_valid', 0);
    starts.push(cycle);
    step();
    s.set('start', 0).set('rows', 0).set('cols', 0);
    const chunks = matvecChunks(c.cols, p.lanes);
    const rowSums = new Array<number>(c.rows).fill(0);
    const cyc: number[] = [];
    // The word's products with q as it is now (in the cycle the word is accepted).
    const take = (j: number) => {
      const row = Math.floor(j / chunks);
      const k = j % chunks;
      for (let i = k * p.lanes; i < Math.min(c.cols, (k + 1) * p.lanes); i++) rowSums[row] += mx.codes[row * c.cols + i]! * qState[i]!;
    };
    if (mode === 'full') {
      s.set('w_valid', 1).set('w_data', mx.words[0]!);
      step(0, 1); // the command register's cycle: busy, not yet ready
      let j = 0;
      while (j < mx.words.length) {
        const midWrite = c.midWrites !== undefined && r() < c.midWrites;
        // a write is seen by words accepted after its cycle: it goes in after this cycle's take
        const wr = midWrite ? junkWrite() : undefined;
        if (!wr) s.set('q_wr_en', 0);
        s.set('w_valid', 1).set('w_data', mx.words[j]!);
        const ready = settling() ? 0 : 1;
        if (ready) {
          take(j);
          cyc.push(cycle);
          j++;
        }
        if (wr) write(wr);
        step(ready, 1);
      }
      s.set('q_wr_en', 0);
      predictedDone.push(cyc[cyc.length - 1]! + matvecOverhead(p) - 1);
    } else {
      for (let i = 0; i < mx.words.length; i++) {
        // Holes with junk on w_data, and a held start with junk sizes that must be ignored.
        while (r() < 0.3) {
          s.set('w_valid', 0).set('w_data', BigInt(Math.floor(r() * 2 ** 30)) * BigInt(i + 1));
          s.set('start', r() < 0.5 ? 1 : 0).set('rows', Math.floor(r() * (p.maxRows + 1))).set('cols', Math.floor(r() * (p.maxCols + 1)));
          s.tick();
        }
        s.set('w_valid', 1).set('w_data', mx.words[i]!);
        s.waitFor('w_ready', 100);
        take(i);
      }
      s.set('start', 0);
    }
    s.set('w_valid', 0).set('w_data', 0);
    expected.push(rowSums);
    accepted.push(cyc);
  }
  for (let i = 0; i < matvecOverhead(p) + 4; i++) step();
  const res = await runModel(model, s);
  const doneCycles = new Set(predictedDone);
  return {
    matrices,
    expected,
    ...matvecOutputs(res, accW),
    predictedReady,
    predictedBusy,
    predictedDone: predictedReady.map((_, i) => (doneCycles.has(i) ? 1 : 0)),
    starts,
    accepted,
  };
}

/** Results in order and exact; done once per matrix. */
function expectExact(res: SessionResult): void {
  res.matrices.forEach((m, i) => {
    // The driver's running sums against the reference wherever q did not change during the matrix.
    if (m.c.midWrites === undefined) expect(res.expected[i]).toEqual(Array.from(m.expected));
  });
  const expAcc = res.expected.flat();
  const expRows = res.matrices.flatMap((m) => Array.from({ length: m.c.rows }, (_, i) => i));
  const bad = expAcc.flatMap((e, i) => (res.acc[i] === e ? [] : [{ i, expected: e, got: res.acc[i] }]));
  expect(bad.slice(0, 5)).toEqual([]);
  expect(res.acc.length).toBe(expAcc.length);
  expect(res.rows).toEqual(expRows);
  expect(res.dones).toBe(res.matrices.length);
}

/** The handshake cycle by cycle as predicted, and full rate: done exactly matvecCycles after start. */
function expectFullRate(res: SessionResult, o: MatvecUnitOptions): void {
  const p = matvecUnitParams(o);
  const diff = (got: number[], want: number[]) => want.flatMap((w, i) => (got[i] === w ? [] : [i])).slice(0, 5);
  expect(res.ready.length).toBe(res.predictedReady.length);
  expect(diff(res.ready, res.predictedReady)).toEqual([]);
  expect(diff(res.busy, res.predictedBusy)).toEqual([]);
  expect(diff(res.done, res.predictedDone)).toEqual([]);
  res.matrices.forEach((m, i) => {
    const start = res.starts[i]!;
    const cyc = res.accepted[i]!;
    const n = m.c.rows * matvecChunks(m.c.cols, p.lanes);
    expect(cyc.length).toBe(n);
    if (m.c.midWrites !== undefined) return;
    // No stall at all once the words flow; one cycle lost only when start follows a q write at once.
    const stall = m.c.gap === 0 && !m.c.sameQ ? 1 : 0;
    expect(cyc[0]).toBe(start + 2 + stall);
    expect(cyc[n - 1]! - cyc[0]!).toBe(n - 1);
    // (Searching done from start could find the previous matrix's, which may still be draining.)
    const doneAt = start + matvecCycles(p, m.c.rows, m.c.cols) + stall;
    expect(cyc[n - 1]! + matvecOverhead(p) - 1).toBe(doneAt);
    expect(res.done[doneAt]).toBe(1);
  });
}

const buildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'matvec-unit-'));

describe('matvec unit P=32, maxRows=512, maxCols=256 (Verilator)', () => {
  const o: MatvecUnitOptions = { lanes: 32, maxRows: 512, maxCols: 256 };
  let model: VerilatorModel | undefined;
  const getModel = async () => (model ??= (await buildRtlModel(matvecUnit(o), { dir: path.join(buildDir, 'p32') })).model);
  const cases: Case[] = [
    { rows: 1, cols: 1, weights: 'random', acts: 'random', gap: 3 },
    { rows: 1, cols: 256, weights: 'random', acts: 'random', gap: 2 },
    { rows: 3, cols: 37, weights: 'random', acts: 'rails', gap: 1 },
    { rows: 17, cols: 100, weights: 'random', acts: 'random', gap: 0 },
    { rows: 64, cols: 256, weights: 'minus', acts: 'min', gap: 2, order: 'sequential' }, // +128 * 256 = 32768
    { rows: 8, cols: 256, weights: 'plus', acts: 'min', gap: 0 }, // -32768
    { rows: 5, cols: 256, weights: 'minus', acts: 'max', gap: 1 },
    { rows: 5, cols: 32, weights: 'random', acts: 'rails', gap: 2 },
    { rows: 40, cols: 32, weights: 'sparse', acts: 'random', gap: 0, sameQ: true },
    { rows: 31, cols: 255, weights: 'random', acts: 'random', gap: 5 },
    { rows: 2, cols: 33, weights: 'random', acts: 'random', gap: 0, order: 'sequential' },
    { rows: 512, cols: 64, weights: 'random', acts: 'random', gap: 2 }, // rows = maxRows
    { rows: 512, cols: 64, weights: 'random', acts: 'rails', gap: 0, sameQ: true },
    { rows: 1, cols: 64, weights: 'random', acts: 'random', gap: 0, sameQ: true },
    { rows: 3, cols: 200, weights: 'random', acts: 'random', gap: 1 },
    { rows: 20, cols: 200, weights: 'random', acts: 'random', gap: 2, midWrites: 0.15 }, // q rewritten mid-matrix
    { rows: 7, cols: 64, weights: 'random', acts: 'rails', gap: 0, midWrites: 0.5 },
    { rows: 4, cols: 256, weights: 'minus', acts: 'min', gap: 1 },
  ];

  it('full rate: exact on every shape, w_ready never drops, done at rows * ceil(cols / 32) + 8', { timeout: 600_000 }, async () => {
    const res = await runSession(await getModel(), o, cases, 'full', 1);
    expectExact(res);
    expectFullRate(res, o);
    // The extremes really were reached.
    expect(res.acc).toContain(128 * 256);
    expect(res.acc).toContain(-128 * 256);
    expect(matvecOverhead(o)).toBe(8);
  });

  it('random w_valid gaps and ignored starts: still exact', { timeout: 600_000 }, async () => {
    const res = await runSession(await getModel(), o, cases, 'gaps', 2);
    expectExact(res);
  });

  it('random shapes at full rate', { timeout: 600_000 }, async () => {
    const r = rng(3);
    const random: Case[] = Array.from({ length: 40 }, (_, i) => ({
      rows: 1 + Math.floor(r() ** 2 * 96),
      cols: 1 + Math.floor(r() * 256),
      weights: (['random', 'sparse', 'random', 'minus'] as const)[i % 4]!,
      acts: (['random', 'rails', 'random'] as const)[i % 3]!,
      gap: Math.floor(r() * 3),
    }));
    const res = await runSession(await getModel(), o, random, 'full', 3);
    expectExact(res);
    expectFullRate(res, o);
  });
});

// qLanes > 1: q written a group of Q elements at a time (a row side of Q lanes), Q from 2 to P.
for (const o of [
  { lanes: 16, maxRows: 7, maxCols: 40, stages: 2 },
  { lanes: 64, maxRows: 20, maxCols: 130 },
  { lanes: 16, maxRows: 9, maxCols: 72, stages: 2, qLanes: 4 },
  { lanes: 32, maxRows: 6, maxCols: 100, qLanes: 2 },
  { lanes: 8, maxRows: 5, maxCols: 30, qLanes: 8 },
  { lanes: 64, maxRows: 6, maxCols: 256, qLanes: 4 },
] satisfies MatvecUnitOptions[]) {
  describe(`matvec unit P=${o.lanes}, maxRows=${o.maxRows}, maxCols=${o.maxCols}, qLanes=${o.qLanes ?? 1} (Verilator)`, () => {
    it('every shape class, full rate and with gaps, exact', { timeout: 600_000 }, async () => {
      const { model } = await buildRtlModel(matvecUnit(o), { dir: path.join(buildDir, `p${o.lanes}q${o.qLanes ?? 1}`) });
      const r = rng(o.lanes);
      const cases: Case[] = [
        { rows: 1, cols: 1, weights: 'random', acts: 'random', gap: 0 },
        { rows: o.maxRows, cols: o.maxCols, weights: 'minus', acts: 'min', gap: 1 },
        { rows: o.maxRows, cols: o.maxCols, weights: 'plus', acts: 'min', gap: 0, sameQ: true },
        { rows: 2, cols: o.lanes, weights: 'random', acts: 'rails', gap: 2 },
        { rows: 3, cols: o.lanes + 1, weights: 'random', acts: 'random', gap: 0 },
        ...Array.from({ length: 30 }, (_, i) => ({
          rows: 1 + Math.floor(r() * o.maxRows),
          cols: 1 + Math.floor(r() * o.maxCols),
          weights: (['random', 'sparse', 'random'] as const)[i % 3]!,
          acts: (['random', 'rails'] as const)[i % 2]!,
          gap: Math.floor(r() * 3),
        })),
      ];
      const full = await runSession(model, o, cases, 'full', 10 + o.lanes);
      expectExact(full);
      expectFullRate(full, o);
      expect(full.acc).toContain(128 * o.maxCols);
      expect(full.acc).toContain(-128 * o.maxCols);
      expectExact(await runSession(model, o, cases, 'gaps', 20 + o.lanes));
    });
  });
}

describe('matvec unit: helpers', () => {
  it('packs row-major words, code i in bits [2i+1:2i], rows padded with zeros', () => {
    const words = packWeightWords([1, -1, 0, 1, -1, -1], 2, 3, 4);
    expect(words).toEqual([0b00_11_01n, 0b11_11_01n]);
    expect(() => packWeightWords([2], 1, 1, 4)).toThrow(/not ternary/);
  });

  it('checks its parameters and names the cycle count', () => {
    expect(() => matvecUnitParams({ lanes: 24, maxRows: 4, maxCols: 4 })).toThrow(/power of two/);
    expect(() => matvecUnitParams({ lanes: 16, maxRows: 4, maxCols: 4, stages: 5 })).toThrow(/stages/);
    expect(() => matvecUnitParams({ lanes: 16, maxRows: 4, maxCols: 4, qLanes: 32 })).toThrow(/qLanes/);
    expect(() => matvecUnitParams({ lanes: 16, maxRows: 4, maxCols: 4, qLanes: 3 })).toThrow(/qLanes/);
    expect(matvecAccWidth(256)).toBe(17);
    expect(matvecCycles({ lanes: 32, maxRows: 512, maxCols: 256 }, 512, 256)).toBe(512 * 8 + 8);
  });
});

describe('matvec unit: lint and synthesis', () => {
  const shapes: MatvecUnitOptions[] = [
    { lanes: 32, maxRows: 512, maxCols: 256 },
    { lanes: 16, maxRows: 7, maxCols: 40, stages: 2 },
    { lanes: 64, maxRows: 20, maxCols: 130 },
    { lanes: 4, maxRows: 1, maxCols: 1, stages: 0 },
    { lanes: 16, maxRows: 1024, maxCols: 768, stages: 3 },
    { lanes: 64, maxRows: 20, maxCols: 130, qLanes: 16 },
    { lanes: 16, maxRows: 7, maxCols: 40, qLanes: 16 },
  ];
  for (const o of shapes) {
    it(`lanes=${o.lanes} maxRows=${o.maxRows} maxCols=${o.maxCols} qLanes=${o.qLanes ?? 1}: verilator -Wall clean`, () => {
      const top = matvecUnit(o);
      expectLintClean(top, path.join(buildDir, 'lint', top.name));
    });
  }

  // maxCols = 128 gives 4-word banks, which yosys would put in flip-flops if they were declared so small.
  for (const maxCols of [256, 128]) {
    it(`P=32, maxCols=${maxCols}: yosys synth_ice40 + check clean, q store on 16 + 1 EBRs, no multiplier`, { timeout: 300_000 }, async () => {
      const top = matvecUnit({ lanes: 32, maxRows: 512, maxCols });
      const dir = path.join(buildDir, 'synth', top.name);
      const files = writeVerilog(elaborate(top), dir);
      const synth = await synthIce40({ top: top.name, sources: files, workDir: dir, device: 'up5k' });
      expect(synth.warnings).toEqual([]);
      expect(synth.cells.ebr).toBe(17);
      expect(synth.cells.dsp).toBe(0);
      expect(synth.cells.ff).toBeLessThan(700); // not a q store in flip-flops
      // Reads and writes of a memory are proved never to collide: no read-old-data emulation logic.
      expect(synth.log).not.toMatch(/Write port 0: non-transparent/);
    });
  }
});
