// The matvec unit's column mode (the Fast FeedForward's node_out read by column) in Verilator, against
// sums computed here from the codes and q: out_j = sum_l q[l] W[j, l], with W's columns streamed
// as packWeightWords packs the transposed matrix (column l, chunk c is one word), in the order of
// groups of A outputs (columnLanes: each chunk's words once per group in it; chunk-major at A = P).
//
// Per P in {8, 16, 32} and A in {P, 2, 1} (and 4 at P = 8; one Verilator build each, fewer shapes
// for A < P), a unit built with the column option:
//   - full rate: w_valid held at 1 (junk on w_data when no word is due); every cycle's w_ready, busy
//     and done are sampled and checked against the pattern the header states (P idle cycles after each
//     group's L words at A = P, A - 1 at A < P), so done comes exactly matvecColumnCycles after start; the next
//     matrix's q writes overlap the emission and its start comes in the cycle busy drops. Shapes:
//     rows in {1, P - 1, P, P + 1, 64, maxRows} x levels in {1, 2, 9, P + 1, maxLevels} (A < P: rows
//     in {1, A + 1, P - 1, P + 1, 64, maxRows} x levels in {1, 2, 9, maxLevels}), plus the rails (all -1 or all +1 codes against q = -128: |out| =
//     128 L). Row matrices sit in between (row mode's timing unchanged, TernaryMatrix.matvec results),
//     so both mode switches are checked cycle by cycle too.
//   - gaps: random holes in w_valid with junk on w_data and a held start with junk sizes (ignored
//     while busy, also during the emission), row and column matrices interleaved, some column ones
//     started in the cycle right after a row matrix's last word (they must wait for its results).
// Then the Verilog is linted (verilator -Wall) and synthesised for the iCE40 (yosys, no warnings).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  matvecUnit,
  matvecUnitParams,
  matvecAccWidth,
  matvecChunks,
  matvecCycles,
  matvecColumnCycles,
  matvecColumnSumWidth,
  packWeightWords,
  type MatvecUnitOptions,
} from './matvec-unit.ts';
import { TernaryMatrix } from '../../numerics/ternary.ts';
import { buildRtlModel } from '../../sim/rtl-model.ts';
import { matvecOutputs, watchMatvecOutputs, type MatvecOutputs } from './matvec-test-support.ts';
import { StimulusScript, runModel, type VerilatorModel } from '../../flow/verilator.ts';
import { expectLintClean, haveVerilator, testTempDir } from '../../flow/verilator-test-support.ts';
import { synthIce40 } from '../../flow/yosys.ts';
import { elaborate } from '../../hdl/ir/elaborate.ts';
import { writeVerilog } from '../../hdl/verilog/emit.ts';
import { seededRandom } from '../../util/prng.ts';

const tmp = testTempDir('matvec-columns-');

type Weights = 'random' | 'minus' | 'plus' | 'sparse';
type Acts = 'random' | 'min' | 'rails';

interface Case {
  kind: 'col' | 'row';
  /** Column mode: outputs; row mode: rows. */
  rows: number;
  /** Column mode: levels L; row mode: columns. */
  cols: number;
  weights: Weights;
  acts: Acts;
  /** Keep q as the previous matrix left it (no writes; start as soon as the unit takes it). */
  sameQ?: boolean;
}

interface Matrix {
  c: Case;
  /** W[j, l] (row mode: W[r, c]) at j * cols + l. */
  codes: Int8Array;
  words: bigint[];
  /** From the codes and q as written before start (TernaryMatrix.matvec in row mode). */
  expected: number[];
  /** q elements written before start (address, value), in order; junk rewrites included. */
  writes: [number, number][];
}

function makeCodes(c: Case, r: () => number): Int8Array {
  const codes = new Int8Array(c.rows * c.cols);
  for (let i = 0; i < codes.length; i++) {
    if (c.weights === 'minus') codes[i] = -1;
    else if (c.weights === 'plus') codes[i] = 1;
    else if (c.weights === 'sparse') codes[i] = r() < 0.8 ? 0 : r() < 0.5 ? 1 : -1;
    else codes[i] = Math.floor(r() * 3) - 1;
  }
  return codes;
}

/** The matrix's words and expected outputs; q is the store's contents (updated by the writes). */
function makeMatrix(c: Case, lanes: number, groupLanes: number, r: () => number, qState: Int8Array): Matrix {
  const codes = makeCodes(c, r); // W[j, l] at j * cols + l (row-major, rows x cols, both modes)
  const writes: [number, number][] = [];
  if (!c.sameQ) {
    const order = Array.from({ length: c.cols }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const a of order) {
      const v = c.acts === 'min' ? -128 : c.acts === 'rails' ? (r() < 0.5 ? -128 : 127) : Math.floor(r() * 256) - 128;
      if (r() < 0.1) writes.push([a, Math.floor(r() * 256) - 128]); // a junk value first, rewritten
      writes.push([a, v]);
    }
  }
  const q = Int8Array.from(qState.subarray(0, c.cols));
  for (const [a, v] of writes) q[a] = v;
  if (c.kind === 'row') {
    const out = new Int32Array(c.rows);
    new TernaryMatrix(c.rows, c.cols, codes, 1).matvec(q, out);
    return { c, codes, words: packWeightWords(codes, c.rows, c.cols, lanes), expected: Array.from(out), writes };
  }
  // Column mode: the reference straight from the codes, and the stream from the transposed matrix
  // ([L, rows]: level l's column as a row), reordered group-major: for each group g of A outputs its
  // chunk's L words (each chunk's words once per group in it).
  const expected = Array.from({ length: c.rows }, (_, j) => {
    let s = 0;
    for (let l = 0; l < c.cols; l++) s += q[l]! * codes[j * c.cols + l]!;
    return s;
  });
  const t = new Int8Array(c.rows * c.cols);
  for (let j = 0; j < c.rows; j++) for (let l = 0; l < c.cols; l++) t[l * c.rows + j] = codes[j * c.cols + l]!;
  const byLevel = packWeightWords(t, c.cols, c.rows, lanes); // word l * C + c
  const chunks = matvecChunks(c.rows, lanes);
  const words: bigint[] = [];
  for (let g = 0; g < Math.ceil(c.rows / groupLanes); g++) for (let l = 0; l < c.cols; l++) words.push(byLevel[l * chunks + Math.floor((g * groupLanes) / lanes)]!);
  return { c, codes, words, expected, writes };
}

interface SessionResult extends MatvecOutputs {
  matrices: Matrix[];
  /** Each matrix's outputs from its words' codes times q as it was when each word was accepted. */
  sums: number[][];
  /** Full rate only: every cycle's predictions, and each matrix's start and done cycles. */
  predicted: { ready: number[]; busy: number[]; done: number[] };
  starts: number[];
  doneAt: number[];
}

/**
 * Full rate: the driver predicts the handshake from the header's rules (row mode: words at s + 2 ..
 * s + N + 1, busy until the last word, done at s + matvecCycles; column mode: L words then P cycles of
 * emission per output chunk from s + 2, or from a preceding row matrix's done cycle if later, busy
 * until done, done at s + matvecColumnCycles plus that delay), counts a word accepted where it
 * predicts w_ready, and the test checks the samples against the prediction. Gaps: the harness's
 * wait-for-ready hands the words over, with random holes.
 */
async function runSession(
  model: VerilatorModel,
  o: MatvecUnitOptions,
  cases: Case[],
  mode: 'full' | 'gaps',
  seed: number,
  holes = 0.3,
  /** Gaps only: the chance that a hole writes a random q element (seen by the words after it). */
  midWrites = 0,
): Promise<SessionResult> {
  const p = matvecUnitParams(o);
  const P = p.lanes;
  const A = p.columnLanes ?? P;
  const r = seededRandom(seed);
  const s = new StimulusScript(model.ports);
  const accW = matvecAccWidth(p.maxCols);
  const { sampleHandshake } = watchMatvecOutputs(s);
  const qState = new Int8Array(p.maxCols);
  const pred = { ready: [] as number[], busy: [] as number[], done: [] as number[] };
  const at = (a: number[], i: number) => (a[i] = 1);
  let cycle = 0;
  const full = mode === 'full';
  const step = () => {
    if (full) sampleHandshake();
    s.tick();
    cycle++;
  };
  const junkWord = () => BigInt(Math.floor(r() * 2 ** 30)) * BigInt(Math.floor(r() * 2 ** 30)) + 1n;
  const junkSizes = () => s.set('rows', Math.floor(r() * (p.maxRows + 1))).set('cols', Math.floor(r() * (p.maxCols + 1))).set('columns', r() < 0.5 ? 1 : 0);
  s.set('rst', 1);
  for (const port of ['q_wr_en', 'q_wr_addr', 'q_wr_data', 'start', 'rows', 'cols', 'columns', 'w_valid', 'w_data']) s.set(port, 0);
  step();
  step();
  s.set('rst', 0);
  // Junk in the whole q store first: only q[0 .. L - 1] may matter.
  for (let a = 0; a < p.maxCols; a++) {
    qState[a] = Math.floor(r() * 256) - 128;
    s.set('q_wr_en', 1).set('q_wr_addr', a).set('q_wr_data', qState[a]!);
    step();
  }
  s.set('q_wr_en', 0);
  // Starts with a zero size are ignored in both modes.
  for (const [rows, cols, columns] of [[0, 1, 1], [1, 0, 1], [0, 0, 0], [0, 3, 1]] as const) {
    s.set('start', 1).set('rows', rows).set('cols', cols).set('columns', columns);
    step();
  }
  s.set('start', 0);
  for (let i = 0; i < 3; i++) step();

  const matrices: Matrix[] = [];
  const sums: number[][] = [];
  const starts: number[] = [];
  const doneAt: number[] = [];
  let busyFree = 0; // first cycle a start is taken
  let rowDone = -1; // the last row matrix's done cycle (its results precede a column matrix's)
  for (const c of cases) {
    const mx = makeMatrix(c, P, A, r, qState);
    matrices.push(mx);
    let lastWrite = -10;
    for (const [a, v] of mx.writes) {
      s.set('q_wr_en', 1).set('q_wr_addr', a).set('q_wr_data', v);
      qState[a] = v;
      lastWrite = cycle;
      step();
    }
    s.set('q_wr_en', 0);
    // Full rate: start where busy drops, one idle cycle after the last q write (else w_ready's first
    // cycle is lost to the write, as the header says).
    if (full) while (cycle < Math.max(busyFree, lastWrite + 2)) step();
    const start = cycle;
    starts.push(start);
    s.set('start', 1).set('rows', c.rows).set('cols', c.cols).set('columns', c.kind === 'col' ? 1 : 0);
    step();
    s.set('start', 0);
    junkSizes();
    const n = mx.words.length;
    // Word j's products with q as it is now (in the cycle the word is accepted).
    const acc = new Array<number>(c.rows).fill(0);
    sums.push(acc);
    const take = (j: number) => {
      if (c.kind === 'col') {
        const g = Math.floor(j / c.cols);
        const l = j % c.cols;
        for (let row = g * A; row < Math.min(c.rows, (g + 1) * A); row++) acc[row]! += mx.codes[row * c.cols + l]! * qState[l]!;
      } else {
        const chunks = matvecChunks(c.cols, P);
        const row = Math.floor(j / chunks);
        const k = j % chunks;
        for (let i = k * P; i < Math.min(c.cols, (k + 1) * P); i++) acc[row]! += mx.codes[row * c.cols + i]! * qState[i]!;
      }
    };
    if (full) {
      const readyAt = new Set<number>();
      let done: number;
      if (c.kind === 'row') {
        for (let i = 0; i < n; i++) readyAt.add(start + 2 + i);
        done = start + matvecCycles(o, c.rows, c.cols);
        busyFree = start + n + 2;
        rowDone = done;
      } else {
        const base = Math.max(start + 2, rowDone);
        const L = c.cols;
        // L words per group, then A cycles of emission (A = P) or A - 1 (A < P: output gA leaves from
        // the accumulator as the next group's words go in).
        const gap = A === P ? P : A - 1;
        for (let g = 0; g < Math.ceil(c.rows / A); g++) for (let i = 0; i < L; i++) readyAt.add(base + g * (L + gap) + i);
        done = base - 2 + matvecColumnCycles(o, c.rows, L);
        busyFree = done;
      }
      for (let i = start + 1; i < busyFree; i++) at(pred.busy, i);
      for (const i of readyAt) at(pred.ready, i);
      at(pred.done, done);
      doneAt.push(done);
      let j = 0;
      while (j < n) {
        s.set('w_valid', 1).set('w_data', mx.words[j]!);
        if (readyAt.has(cycle)) take(j++);
        step();
      }
      s.set('w_data', junkWord()); // w_valid stays 1: nothing must be taken
    } else {
      for (let i = 0; i < n; i++) {
        while (r() < holes) {
          s.set('w_valid', 0).set('w_data', junkWord()).set('start', r() < 0.5 ? 1 : 0);
          junkSizes();
          if (r() < midWrites) {
            const a = Math.floor(r() * p.maxCols);
            qState[a] = Math.floor(r() * 256) - 128;
            s.set('q_wr_en', 1).set('q_wr_addr', a).set('q_wr_data', qState[a]!);
          }
          step();
          s.set('q_wr_en', 0);
        }
        s.set('w_valid', 1).set('w_data', mx.words[i]!).set('start', 0);
        s.waitFor('w_ready', 1000);
        take(i);
        cycle++;
      }
      s.set('w_valid', 0).set('w_data', junkWord());
      if (c.kind === 'col') {
        // A start (sizes valid) during the emission is ignored: busy stays 1 until the last output.
        // (With A < P there is none when the last group has one output: done comes in the cycle after
        // the last word, busy 0 with it.)
        if (A === P || c.rows - (Math.ceil(c.rows / A) - 1) * A > 1) {
          s.set('start', 1).set('rows', 1).set('cols', 1).set('columns', r() < 0.5 ? 1 : 0);
          step();
          s.set('start', 0);
        }
        s.waitFor('done', 10_000);
        cycle++;
      }
    }
  }
  for (let i = 0; i < 40; i++) step();
  const res = await runModel(model, s);
  const fill = (a: number[]) => Array.from({ length: cycle }, (_, i) => a[i] ?? 0);
  return {
    matrices,
    sums,
    ...matvecOutputs(res, accW),
    predicted: { ready: fill(pred.ready), busy: fill(pred.busy), done: fill(pred.done) },
    starts,
    doneAt,
  };
}

/**
 * Every output exact and in order, acc_row counting 0 .. rows - 1, done once per matrix. The driver's
 * running sums equal the reference unless q was rewritten mid-matrix (then they are what counts).
 */
function expectExact(res: SessionResult, midWrites = false): void {
  if (!midWrites) expect(res.sums).toEqual(res.matrices.map((m) => m.expected));
  const exp = res.sums.flat();
  const bad = exp.flatMap((e, i) => (res.acc[i] === e ? [] : [{ i, expected: e, got: res.acc[i] }]));
  expect(bad.slice(0, 5)).toEqual([]);
  expect(res.acc.length).toBe(exp.length);
  expect(res.rows).toEqual(res.matrices.flatMap((m) => Array.from({ length: m.c.rows }, (_, j) => j)));
  expect(res.dones).toBe(res.matrices.length);
}

/** The handshake cycle by cycle as predicted; done exactly matvecColumnCycles after a column start. */
function expectCycles(res: SessionResult, o: MatvecUnitOptions): void {
  const diff = (got: number[], want: number[]) => want.flatMap((w, i) => (got[i] === w ? [] : [i])).slice(0, 5);
  expect(res.ready.length).toBe(res.predicted.ready.length);
  expect(diff(res.ready, res.predicted.ready)).toEqual([]);
  expect(diff(res.busy, res.predicted.busy)).toEqual([]);
  expect(diff(res.done, res.predicted.done)).toEqual([]);
  let prevRow = false;
  res.matrices.forEach((m, i) => {
    // Unless it follows a row matrix (whose results go first), a column matrix is done exactly
    // matvecColumnCycles after its start.
    if (m.c.kind === 'col' && !prevRow) {
      expect(res.doneAt[i]! - res.starts[i]!).toBe(matvecColumnCycles(o, m.c.rows, m.c.cols));
      expect(res.done[res.starts[i]! + matvecColumnCycles(o, m.c.rows, m.c.cols)]).toBe(1);
    }
    prevRow = m.c.kind === 'row';
  });
}

const shapes: MatvecUnitOptions[] = [
  { lanes: 8, maxRows: 200, maxCols: 25, columns: 25 }, // maxLevels = maxCols: the sums as wide as acc_data
  { lanes: 16, maxRows: 200, maxCols: 41, columns: 21, stages: 2 },
  { lanes: 32, maxRows: 200, maxCols: 73, columns: 40 },
];
// Each shape with A = P (columnLanes absent), 2 and 1, and P = 8 with 4 too.
const configs: MatvecUnitOptions[] = shapes.flatMap((o) => [o, ...(o.lanes === 8 ? [4] : []).concat(2, 1).map((a) => ({ ...o, columnLanes: a }))]);

for (const o of configs) {
  const P = o.lanes;
  const A = o.columnLanes ?? P;
  const maxLevels = o.columns!;
  describe.skipIf(!haveVerilator)(`matvec unit column mode P=${P}, A=${A}, maxRows=${o.maxRows}, maxLevels=${maxLevels} (Verilator)`, () => {
    let model: VerilatorModel | undefined;
    const getModel = async () => (model ??= (await buildRtlModel(matvecUnit(o), { dir: path.join(tmp(), `p${P}a${A}`) })).model);
    // Fewer shapes with A < P (groups of A: 1, A + 1 and P + 1 outputs leave a partial group).
    const rowsSet = A === P ? [1, P - 1, P, P + 1, 64, o.maxRows] : [...new Set([1, A + 1, P - 1, P + 1, 64, o.maxRows])];
    const levelsSet = A === P ? [1, 2, 9, P + 1, maxLevels] : [1, 2, 9, maxLevels];
    const seed = A === P ? P : 100 * P + A; // A = P: the seeds this file had before columnLanes
    const sweep = (seed: number): Case[] => {
      const r = seededRandom(seed);
      const cases: Case[] = [];
      for (const rows of rowsSet)
        for (const L of levelsSet) cases.push({ kind: 'col', rows, cols: L, weights: r() < 0.2 ? 'sparse' : 'random', acts: r() < 0.3 ? 'rails' : 'random' });
      for (let i = cases.length - 1; i > 0; i--) {
        const j = Math.floor(r() * (i + 1));
        [cases[i], cases[j]] = [cases[j]!, cases[i]!];
      }
      // The rails: all -1 (or +1) against q = -128 everywhere, |out| = 128 L.
      cases.push({ kind: 'col', rows: o.maxRows, cols: maxLevels, weights: 'minus', acts: 'min' });
      cases.push({ kind: 'col', rows: P + 3, cols: maxLevels, weights: 'plus', acts: 'min' });
      cases.push({ kind: 'col', rows: 5, cols: maxLevels, weights: 'plus', acts: 'min', sameQ: true });
      return cases;
    };
    // Row and column matrices interleaved, some column ones sharing the row one's q and so started
    // in the cycle the row matrix lets go of busy.
    const mixed = (seed: number): Case[] => {
      const r = seededRandom(seed);
      const cases: Case[] = [];
      for (let i = 0; i < 24; i++) {
        const L = levelsSet[Math.floor(r() * levelsSet.length)]!;
        cases.push({ kind: 'row', rows: 1 + Math.floor(r() * 24), cols: Math.max(L, 1 + Math.floor(r() * o.maxCols)), weights: 'random', acts: r() < 0.3 ? 'rails' : 'random' });
        const n = 1 + Math.floor(r() * 2);
        for (let k = 0; k < n; k++) {
          const rows = rowsSet[Math.floor(r() * rowsSet.length)]!;
          cases.push({ kind: 'col', rows, cols: k === 0 && r() < 0.5 ? Math.min(L, 2) : L, weights: 'random', acts: 'random', sameQ: k === 0 && r() < 0.6 });
        }
      }
      cases.push({ kind: 'row', rows: 3, cols: o.maxCols, weights: 'minus', acts: 'min' });
      cases.push({ kind: 'col', rows: 2, cols: 1, weights: 'minus', acts: 'min', sameQ: true });
      return cases;
    };

    it('full rate: exact, w_ready / busy / done cycle by cycle, done at matvecColumnCycles', { timeout: 600_000 }, async () => {
      const res = await runSession(await getModel(), o, sweep(seed), 'full', seed);
      expectExact(res);
      expectCycles(res, o);
      expect(res.acc).toContain(128 * maxLevels);
      expect(res.acc).toContain(-128 * maxLevels);
    });

    it('row and column matrices interleaved at full rate: both modes exact, row timing unchanged', { timeout: 600_000 }, async () => {
      const res = await runSession(await getModel(), o, mixed(seed + 1), 'full', seed + 1);
      expectExact(res);
      expectCycles(res, o);
    });

    it('random w_valid gaps, junk starts, interleaved modes: still exact', { timeout: 600_000 }, async () => {
      const model = await getModel();
      expectExact(await runSession(model, o, sweep(seed + 2), 'gaps', seed + 2));
      expectExact(await runSession(model, o, mixed(seed + 3), 'gaps', seed + 3));
      expectExact(await runSession(model, o, mixed(seed + 4), 'gaps', seed + 4, 0)); // w_valid held, waits only
      // q rewritten between words: each word sees the writes before it (w_ready waits 3 cycles).
      const res = await runSession(model, o, mixed(seed + 5), 'gaps', seed + 5, 0.4, 0.5);
      expectExact(res, true);
      expect(res.sums).not.toEqual(res.matrices.map((m) => m.expected));
    });

    it('verilator -Wall clean', () => {
      const top = matvecUnit(o);
      expectLintClean(top, path.join(tmp(), 'lint', top.name));
    });
  });
}

describe('matvec unit column mode: parameters and cycles', () => {
  it('refuses a bad maxLevels or qLanes > 1 with it', () => {
    expect(() => matvecUnitParams({ lanes: 8, maxRows: 4, maxCols: 16, columns: 0 })).toThrow(/columns/);
    expect(() => matvecUnitParams({ lanes: 8, maxRows: 4, maxCols: 16, columns: 17 })).toThrow(/columns/);
    expect(() => matvecUnitParams({ lanes: 8, maxRows: 4, maxCols: 16, columns: 2.5 })).toThrow(/columns/);
    expect(() => matvecUnitParams({ lanes: 8, maxRows: 4, maxCols: 16, columns: 9, qLanes: 2 })).toThrow(/qLanes/);
    expect(() => matvecColumnCycles({ lanes: 8, maxRows: 4, maxCols: 16 }, 4, 2)).toThrow(/column mode/);
  });

  it('refuses columnLanes without columns, or not a power of two from 1 to lanes', () => {
    expect(() => matvecUnitParams({ lanes: 8, maxRows: 4, maxCols: 16, columnLanes: 2 })).toThrow(/columnLanes .*needs columns/);
    for (const a of [0, 3, 16, 1.5, -2]) expect(() => matvecUnitParams({ lanes: 8, maxRows: 4, maxCols: 16, columns: 9, columnLanes: a })).toThrow(/columnLanes/);
    for (const a of [1, 2, 4, 8]) expect(() => matvecUnitParams({ lanes: 8, maxRows: 4, maxCols: 16, columns: 9, columnLanes: a })).not.toThrow();
  });

  it('names columnLanes only when it is not lanes (A = P units keep their name)', () => {
    const o = { lanes: 8, maxRows: 256, maxCols: 256, columns: 9 };
    expect(matvecUnit({ ...o, columnLanes: 8 }).name).toBe(matvecUnit(o).name);
    expect(matvecUnitParams({ ...o, columnLanes: 8 })).not.toHaveProperty('columnLanes');
    expect(matvecUnit({ ...o, columnLanes: 2 }).name).toMatch(/columnLanes2/);
  });

  it('counts L words per group of A outputs, one cycle per output (A < P: not for the first of each group), and the start', () => {
    const o = { lanes: 8, maxRows: 256, maxCols: 256, columns: 9 };
    for (const [A, rows, L] of [[4, 256, 9], [2, 9, 3], [1, 9, 3], [1, 1, 1], [2, 1, 1], [4, 7, 2], [8, 9, 2]] as const) {
      const groups = Math.ceil(rows / A);
      expect(matvecColumnCycles({ ...o, columnLanes: A }, rows, L)).toBe(L * groups + (A === 8 ? rows : rows - groups) + 2);
    }
    expect(matvecColumnCycles({ ...o, columnLanes: 1 }, 64, 9)).toBe(9 * 64 + 2);
    expect(matvecColumnCycles({ ...o, columnLanes: 8 }, 64, 9)).toBe(matvecColumnCycles(o, 64, 9));
  });

  it('keeps the unit name without the option, and names maxLevels with it', () => {
    expect(matvecUnit({ lanes: 8, maxRows: 256, maxCols: 256 }).name).not.toMatch(/columns/);
    expect(matvecUnit({ lanes: 8, maxRows: 256, maxCols: 256, columns: 9 }).name).toMatch(/columns9/);
    expect(matvecUnitParams({ lanes: 8, maxRows: 256, maxCols: 256 })).not.toHaveProperty('columns', expect.anything());
  });

  it('counts L words per output chunk plus one cycle per output plus the start', () => {
    const o = { lanes: 8, maxRows: 256, maxCols: 256, columns: 9 };
    // A 256-wide FFF of depth 8 at P = 8: 9 x 32 words and 256 outputs, against 511 x 32 words dense.
    expect(matvecColumnCycles(o, 256, 9)).toBe(9 * 32 + 256 + 2);
    expect(matvecColumnCycles(o, 1, 1)).toBe(4);
    expect(matvecColumnCycles(o, 9, 3)).toBe(3 * 2 + 9 + 2);
    // The lane sums: exactly [-128 L, 128 L].
    expect(matvecColumnSumWidth(9)).toBe(12);
    expect(matvecColumnSumWidth(8)).toBe(12);
    expect(matvecColumnSumWidth(1)).toBe(9);
  });
});

describe.skipIf(!haveVerilator)('matvec unit column mode: lint of the edge shapes', () => {
  const shapes: MatvecUnitOptions[] = [
    { lanes: 4, maxRows: 1, maxCols: 1, stages: 0, columns: 1 }, // one output, one level
    { lanes: 64, maxRows: 20, maxCols: 130, columns: 130 }, // fewer outputs than lanes, maxLevels = maxCols
    { lanes: 8, maxRows: 256, maxCols: 256, columns: 9 }, // the FFF's shape at 8 lanes
    { lanes: 4, maxRows: 1, maxCols: 1, stages: 0, columns: 1, columnLanes: 1 }, // a group counter narrower than its place
    { lanes: 4, maxRows: 3, maxCols: 2, stages: 0, columns: 2, columnLanes: 2 },
    { lanes: 64, maxRows: 20, maxCols: 130, columns: 130, columnLanes: 1 },
    { lanes: 64, maxRows: 300, maxCols: 130, columns: 3, columnLanes: 32 },
    { lanes: 8, maxRows: 256, maxCols: 64, stages: 3, columns: 9, columnLanes: 1 }, // the UP5K board's shape
    { lanes: 8, maxRows: 256, maxCols: 64, stages: 3, columns: 9, columnLanes: 2 },
  ];
  for (const o of shapes) {
    it(`lanes=${o.lanes} maxRows=${o.maxRows} maxCols=${o.maxCols} maxLevels=${o.columns} A=${o.columnLanes ?? o.lanes}: verilator -Wall clean`, () => {
      const top = matvecUnit(o);
      expectLintClean(top, path.join(tmp(), 'lint', top.name));
    });
  }
});

// Cell counts with the option (maxRows 256, maxCols 256, maxLevels 9) are printed for the record;
// the q store stays on the same block RAMs (the column mode reads q through the shadow copy's port).
describe('matvec unit column mode: synthesis', () => {
  for (const [lanes, columnLanes] of [[8, 8], [32, 32], [8, 1], [8, 2]] as const) {
    it(`P=${lanes}, A=${columnLanes}, maxLevels 9: yosys synth_ice40 + check clean, no multiplier, no extra block RAM`, { timeout: 300_000 }, async () => {
      const top = matvecUnit({ lanes, maxRows: 256, maxCols: 256, columns: 9, columnLanes });
      const dir = path.join(tmp(), 'synth', top.name);
      const files = writeVerilog(elaborate(top), dir);
      const synth = await synthIce40({ top: top.name, sources: files, workDir: dir, device: 'up5k' });
      expect(synth.warnings).toEqual([]);
      expect(synth.cells.ebr).toBe(lanes / 2 + 1);
      expect(synth.cells.dsp).toBe(0);
      expect(synth.log).not.toMatch(/non-transparent/);
      console.log(`matvec unit P=${lanes} with column mode (maxLevels 9, A = ${columnLanes}): LUT4 ${synth.cells.lut4}, carry ${synth.cells.carry}, DFF ${synth.cells.ff}, EBR ${synth.cells.ebr}`);
    });
  }
});
