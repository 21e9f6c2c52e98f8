// The 5-trit gearbox in Verilator, against the matvec unit's own packing of the same matrices
// (packWeightWords) and the DRAM layout of accel/external/trit5-matrix.ts, for port widths 64, 128 and
// 512 and lanes 4 .. 256, where a word brings more codes than the lanes take (5 B > P), fewer (a
// chunk over up to 7 words) and nearly as many (40 codes a word for 32 lanes). Each session is one run over a list of
// matrices of corner and random shapes (one weight; cols = P; cols not a multiple of P; runs that fill
// their last word exactly), each preceded in the input stream by 0 to 2 foreign words that the unit
// must leave alone (a word of the next matrix offered before its start, too):
//   - full rate: the input offers the next word on every cycle and the output is always ready; every
//     chunk must come out exactly at start + 4 + max(k, w_k) (trit5-gearbox.ts), and when the port is
//     the bottleneck (B < C) every word must be taken at start + 1 + j, one a cycle; a matrix with no
//     foreign words before it has its start held high from the previous one's last word, and must
//     start exactly trit5GearboxPeriod after it (back to back);
//   - gaps: random holes in the input (with junk on in_data), an output ready half the cycles, and
//     start pulses with junk sizes while a matrix runs (ignored);
// in both, the words taken are exactly the matrices' words in order, the chunks out are exactly their
// matvec words in order, out_valid never drops and out_data never changes before a transfer.
// Then verilator -Wall and yosys synth_ice40 + check are clean, and the parameter checks.
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { defineModule } from '../../hdl/core/generator.ts';
import { cat } from '../../hdl/core/expr.ts';
import { Bool, UInt } from '../../hdl/core/types.ts';
import { observe, xorshift32 } from '../../hdl/lib/sim-memory.test-support.ts';
import { StimulusScript, runModel, type VerilatorModel } from '../../flow/verilator.ts';
import { buildRtlModel } from '../../sim/rtl-model.ts';
import { expectCleanLintAndSynth } from '../../test/lint-and-synth.ts';
import { lintVerilator } from '../../flow/verilator-lint.ts';
import { lintYosys } from '../../flow/yosys.ts';
import { elaborate } from '../../hdl/ir/elaborate.ts';
import { writeVerilog } from '../../hdl/verilog/emit.ts';
import { seededRandom } from '../../util/prng.ts';
import { packTrit5Matrix } from '../external/trit5-matrix.ts';
import { packWeightWords } from './matvec-unit.ts';
import { trit5Gearbox, trit5GearboxCycles, trit5GearboxFirstOut, trit5GearboxPeriod, trit5GearboxGeometry, type Trit5GearboxParams } from './trit5-gearbox.ts';

const CHUNK_BITS = 16;
const STAMP = 32;

/** The gearbox between the script's input stream and a sink that is ready always or half the cycles, every transfer observed. */
const bench = defineModule('trit5_gearbox_bench', (m, p: Trit5GearboxParams) => {
  const start = m.input('start', Bool);
  const chunks = m.input('chunks', UInt(p.chunkBits));
  const srcValid = m.input('src_valid', Bool);
  const srcData = m.input('src_data', UInt(p.wordBits));
  const sinkGaps = m.input('sink_gaps', Bool);
  const srcReady = m.output('src_ready', Bool);
  const idle = m.output('idle', Bool);
  const protocolError = m.output('protocol_error', Bool, { reg: true, reset: 0 });
  const now = m.reg('now', UInt(STAMP), { reset: 0 });
  const rng = m.instance('u_rng', xorshift32({ seed: 0x3c6ef372 }), {}).out('value');
  const outReady = m.let('out_ready', sinkGaps.not().or(rng.bit(11)));
  const g = m.instance('u_gearbox', trit5Gearbox(p), { start, chunks, in_valid: srcValid, in_data: srcData, out_ready: outReady });
  const busy = g.out('busy');
  const outValid = g.out('out_valid');
  const outData = g.out('out_data');
  m.assign(srcReady, g.out('in_ready'));
  m.assign(idle, busy.not());
  observe(m, 'obs_in', srcValid.and(g.out('in_ready')), cat(now, srcData));
  observe(m, 'obs_out', outValid.and(outReady), cat(now, outData));
  observe(m, 'obs_start', start.and(busy.not()).and(chunks.ne(0)), now);
  // A chunk shown and not taken must stay, unchanged, until it is taken.
  const held = m.reg('held', Bool, { reset: 0 });
  const heldData = m.reg('held_data', UInt(2 * p.lanes));
  m.sync(() => {
    now.set(now.add(1).trunc(STAMP));
    held.set(outValid.and(outReady.not()));
    heldData.set(outData);
    m.if(held.and(outValid.not().or(outData.ne(heldData))), () => protocolError.set(1));
  });
});

interface Matrix {
  rows: number;
  cols: number;
  chunks: number;
  /** The port words of its DRAM run, and the matvec words they must become. */
  inWords: bigint[];
  outWords: bigint[];
  /** Foreign words in the input stream right before it (another reader's). */
  before: bigint[];
}

function wordsOf(bytes: Uint8Array, wordBytes: number): bigint[] {
  const out: bigint[] = [];
  for (let a = 0; a < bytes.length; a += wordBytes) {
    let w = 0n;
    for (let i = wordBytes - 1; i >= 0; i--) w = (w << 8n) | BigInt(bytes[a + i]!);
    out.push(w);
  }
  return out;
}

function randomWord(r: () => number, bits: number): bigint {
  let w = 0n;
  for (let i = 0; i < bits / 16; i++) w = (w << 16n) | BigInt(Math.floor(r() * 65536));
  return w;
}

function makeMatrix(r: () => number, rows: number, cols: number, p: Trit5GearboxParams): Matrix {
  const codes = new Int8Array(rows * cols);
  const zeros = r() < 0.2; // some mostly-zero matrices: long runs of byte 121
  for (let i = 0; i < codes.length; i++) codes[i] = zeros && r() < 0.8 ? 0 : Math.floor(r() * 3) - 1;
  const run = packTrit5Matrix(codes, rows, cols, p.lanes, p.wordBits / 8);
  const before = Array.from({ length: Math.floor(r() * 3) }, () => randomWord(r, p.wordBits));
  return { rows, cols, chunks: run.chunks, inWords: wordsOf(run.bytes, p.wordBits / 8), outWords: packWeightWords(codes, rows, cols, p.lanes), before };
}

/** Corner shapes, then random ones: about 40 matrices, a few hundred chunks. */
function matrices(seed: number, p: Trit5GearboxParams): Matrix[] {
  const r = seededRandom(seed);
  const P = p.lanes;
  const { B } = trit5GearboxGeometry(p);
  // rows x P columns is rows chunks, rows x P codes; 5 B / gcd(5 B, P) of them fill whole words exactly (no padding).
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const exact = (5 * B) / gcd(5 * B, P);
  const shapes: [number, number][] = [
    [1, 1],
    [1, P],
    [2, P + 1],
    [exact, P],
    [3, 2 * P - 1],
    [1, 3 * P],
    [1, 5],
    [2, P - 3],
  ];
  while (shapes.length < 40) shapes.push([1 + Math.floor(r() * 6), 1 + Math.floor(r() * 3 * P)]);
  return shapes.map(([rows, cols]) => makeMatrix(r, rows, cols, p));
}

/** Full rate, no foreign words before it: its start is held while the previous matrix finishes. */
function backToBack(mat: Matrix, i: number, gaps: boolean): boolean {
  return !gaps && i > 0 && mat.before.length === 0;
}

interface Session {
  inputs: { cycle: number; value: bigint }[];
  outputs: { cycle: number; value: bigint }[];
  starts: number[];
  protocolError: bigint | undefined;
}

function unstamp(values: readonly bigint[] | undefined, bits: number) {
  const mask = (1n << BigInt(bits)) - 1n;
  return (values ?? []).map((v) => ({ cycle: Number(v >> BigInt(bits)), value: v & mask }));
}

/**
 * One run. Full rate: each matrix's first word is offered in its start cycle and every next word as
 * soon as the last was taken. Gaps: holes of 1 to 3 cycles before a third of the words, junk start
 * pulses before some of them. Foreign words are offered from the previous matrix's last word until
 * the unit is idle (and at least 2 cycles), then taken away by "another reader".
 */
async function run(model: VerilatorModel, p: Trit5GearboxParams, mats: Matrix[], gaps: boolean, seed: number): Promise<Session> {
  const r = seededRandom(seed);
  const W = p.wordBits;
  const s = new StimulusScript(model.ports);
  s.monitor('in', 'obs_in_valid', 'obs_in').monitor('out', 'obs_out_valid', 'obs_out').monitor('start', 'obs_start_valid', 'obs_start');
  s.set('rst', 1).set('start', 0).set('chunks', 0).set('src_valid', 0).set('src_data', 0).set('sink_gaps', gaps ? 1 : 0);
  s.tick(2).set('rst', 0).tick(1);
  const patience = 10_000;
  mats.forEach((mat, i) => {
    for (const f of mat.before) s.set('src_valid', 1).set('src_data', f).tick(2);
    // The next matrix's first word may already be on offer while the unit is busy: it must wait.
    s.set('src_valid', 1).set('src_data', mat.inWords[0]!);
    if (backToBack(mat, i, gaps)) {
      // start held high (with the right size) from the previous matrix's last word: taken the first cycle busy is 0
      s.set('start', 1).set('chunks', mat.chunks).waitFor('idle', patience).set('start', 0).set('chunks', 0);
    } else {
      s.waitFor('idle', patience).set('start', 1).set('chunks', mat.chunks).tick(1).set('start', 0).set('chunks', 0);
    }
    mat.inWords.forEach((w, j) => {
      if (gaps && j > 0 && r() < 0.35) {
        s.set('src_valid', 0).set('src_data', randomWord(r, W));
        if (r() < 0.5) s.set('start', 1).set('chunks', 1 + Math.floor(r() * 100));
        s.tick(1 + Math.floor(r() * 3)).set('start', 0).set('chunks', 0);
      }
      s.set('src_valid', 1).set('src_data', w).waitFor('src_ready', patience);
    });
  });
  s.set('src_valid', 1).set('src_data', randomWord(r, W)).waitFor('idle', patience).tick(8);
  s.get('protocol_error', 'protocol_error');
  const res = await runModel(model, s);
  return {
    inputs: unstamp(res.monitors.get('in'), W),
    outputs: unstamp(res.monitors.get('out'), 2 * p.lanes),
    starts: unstamp(res.monitors.get('start'), 0).map((x) => x.cycle),
    protocolError: res.samples.get('protocol_error')?.[0],
  };
}

/** Everything both modes check: the words taken, the chunks given, one start per matrix, the protocol. */
function expectStreams(got: Session, mats: Matrix[]): void {
  expect(got.protocolError).toBe(0n);
  expect(got.starts.length).toBe(mats.length);
  const inWords = mats.flatMap((m) => m.inWords);
  const outWords = mats.flatMap((m) => m.outWords);
  expect(got.inputs.length).toBe(inWords.length);
  expect(got.inputs.findIndex((x, i) => x.value !== inWords[i])).toBe(-1);
  expect(got.outputs.length).toBe(outWords.length);
  expect(got.outputs.findIndex((x, i) => x.value !== outWords[i])).toBe(-1);
}

// [W, P]: 5 B > P, 5 B < P (a chunk over up to 3 and up to 8 words), 5 B near P, and the widest port.
// P = 4: ten chunks a word, a chunk within one byte or across two. (The widest port's few-lane cases, many
// chunks a word, are what P = 4 and P = 32 already take at 64 bits.)
const CONFIGS: [number, number][] = [
  [64, 4],
  [64, 32],
  [64, 64],
  [64, 256],
  [128, 64],
  [128, 128],
  [512, 256],
];

for (const [wordBits, lanes] of CONFIGS) {
  const p: Trit5GearboxParams = { wordBits, lanes, chunkBits: CHUNK_BITS };
  const { B } = trit5GearboxGeometry(p);
  describe(`trit5 gearbox W = ${wordBits}, P = ${lanes} (${5 * B} codes a word; Verilator)`, () => {
    let model: VerilatorModel;
    beforeAll(async () => {
      model = (await buildRtlModel(bench(p))).model;
    }, 600_000);

    it('full rate: every chunk at start + 4 + max(k, w_k), the words exactly and only the matrix\'s', { timeout: 120_000 }, async () => {
      const mats = matrices(wordBits * 1000 + lanes, p);
      const got = await run(model, p, mats, false, 1);
      expectStreams(got, mats);
      let wi = 0;
      let ci = 0;
      let b2b = 0;
      mats.forEach((mat, i) => {
        const s = got.starts[i]!;
        const outCycles = got.outputs.slice(ci, ci + mat.chunks).map((x) => x.cycle - s);
        const want = Array.from({ length: mat.chunks }, (_, k) => 4 + Math.max(k, Math.floor(((k + 1) * lanes - 1) / (5 * B))));
        expect(outCycles).toEqual(want);
        expect(outCycles[0]).toBe(trit5GearboxFirstOut(p));
        expect(outCycles[mat.chunks - 1]).toBe(trit5GearboxCycles(p, mat.chunks));
        if (backToBack(mat, i, false)) {
          expect(s - got.starts[i - 1]!).toBe(trit5GearboxPeriod(p, mats[i - 1]!.chunks));
          b2b++;
        }
        // The port is the bottleneck: a word a cycle from start + 1.
        if (5 * B < lanes) expect(got.inputs.slice(wi, wi + mat.inWords.length).map((x) => x.cycle - s)).toEqual(mat.inWords.map((_, j) => 1 + j));
        wi += mat.inWords.length;
        ci += mat.chunks;
      });
      expect(b2b).toBeGreaterThan(5);
    });

    it('random input holes, output ready half the cycles, junk start pulses while busy: the same streams', { timeout: 120_000 }, async () => {
      const mats = matrices(wordBits * 1000 + lanes + 7, p);
      const got = await run(model, p, mats, true, 2);
      expectStreams(got, mats);
      // The sink really did hold the output back.
      const chunks = mats.reduce((n, m) => n + m.chunks, 0);
      expect(got.outputs[got.outputs.length - 1]!.cycle - got.starts[0]!).toBeGreaterThan(1.5 * chunks);
    });
  });
}

describe('trit5 gearbox: lint, synthesis and parameters', () => {
  for (const [wordBits, lanes] of [
    [64, 32],
    [64, 64],
  ] as const) {
    it(`W = ${wordBits}, P = ${lanes}: verilator -Wall and yosys synth_ice40 + check are clean`, { timeout: 300_000 }, async () => {
      const p = { wordBits, lanes, chunkBits: 20 };
      const synth = await expectCleanLintAndSynth(trit5Gearbox(p), fs.mkdtempSync(path.join(os.tmpdir(), 'trit5-gearbox-')));
      // The byte tables are logic, not block RAM, and no multiplier is left; the slots and the output
      // register are flip-flops.
      expect(synth.cells.ebr).toBe(0);
      expect(synth.cells.dsp).toBe(0);
      expect(synth.cells.ff).toBeGreaterThanOrEqual(trit5GearboxGeometry(p).D * wordBits + 2 * lanes);
    });
  }

  it('W = 512, P = 256: verilator -Wall and yosys check are clean', { timeout: 300_000 }, async () => {
    const m = trit5Gearbox({ wordBits: 512, lanes: 256, chunkBits: 20 });
    const files = writeVerilog(elaborate(m), fs.mkdtempSync(path.join(os.tmpdir(), 'trit5-gearbox-')));
    expect(lintVerilator(files, m.name).messages).toEqual([]);
    expect(await lintYosys({ top: m.name, sources: files })).toEqual([]);
  });

  it('geometry: the window covers a chunk at any byte offset and phase, the slots the window plus one word', () => {
    for (const wordBits of [64, 128, 192, 256, 512]) {
      for (const lanes of [4, 8, 16, 32, 64, 128, 256]) {
        const g = trit5GearboxGeometry({ wordBits, lanes, chunkBits: 8 });
        // bytes a chunk touches, over the five phases
        const touched = [0, 1, 2, 3, 4].map((phi) => Math.ceil((phi + lanes) / 5));
        expect(g.C).toBe(Math.max(...touched));
        expect(g.q * 5 + g.r).toBe(lanes);
        expect(g.S * g.B).toBeGreaterThanOrEqual(g.B - 1 + g.C);
        expect((g.S - 1) * g.B).toBeLessThan(g.B - 1 + g.C);
        expect(g.D).toBe(g.S + 1);
      }
    }
  });

  it('refuses parameters it cannot honour, naming the field', () => {
    const ok = { wordBits: 64, lanes: 32, chunkBits: 16 };
    expect(() => trit5Gearbox({ ...ok, wordBits: 96 })).toThrow('trit5 gearbox: wordBits must be a multiple of 64 from 64 to 512, got 96');
    expect(() => trit5Gearbox({ ...ok, lanes: 48 })).toThrow('trit5 gearbox: lanes must be a power of two from 4 to 256, got 48');
    expect(() => trit5Gearbox({ ...ok, lanes: 512 })).toThrow('trit5 gearbox: lanes must be a power of two from 4 to 256, got 512');
    expect(() => trit5Gearbox({ ...ok, chunkBits: 0 })).toThrow('trit5 gearbox: chunkBits must be an integer from 1 to 32, got 0');
  });
});
