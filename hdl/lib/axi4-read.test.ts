// The AXI4 range reader in Verilator against a simulated AXI4 read slave (sim-memory.test-support.ts)
// whose words are a hash of their address, for every data width and 1, 2 and 8 bursts in flight:
//   - every requested word comes out once, in request order, with the memory's data for its address;
//   - the AR channel: ARSIZE, INCR, ARID 0, no burst over maxBurst or across 4 KB, and the bursts tile
//     the requests with the fewest bursts those rules allow;
//   - at most maxOutstanding bursts between their AR handshake and their RLAST, and exactly that many
//     when the memory is slow;
//   - with no gaps and 8 bursts in flight, one word a cycle from the first word to the last, through
//     4 KB crossings, single-word requests back to back and an empty request;
//   - with random ARREADY / RVALID gaps, random latency and a sink that takes half the cycles, the same
//     words; a SLVERR beat raises `error`, which stays up.
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { StimulusScript, runModel, type VerilatorModel } from '../../flow/verilator.ts';
import { buildRtlModel } from '../../sim/rtl-model.ts';
import { expectCleanLintAndSynth } from '../../test/lint-and-synth.ts';
import { AXI_PAGE_BYTES, axi4BurstCap, axi4RangeReader, type Axi4RangeReaderParams } from './axi4-read.ts';
import {
  arProblems,
  axi4ReadBench,
  dataProblems,
  dataSpan,
  expectedWords,
  minimalBursts,
  parseAr,
  peakInFlight,
  rangeRequests,
  requestScript,
  unstamp,
  type RunKnobs,
  type WordRange,
} from './range-reader-bench.test-support.ts';

const WIDTHS = [64, 128, 256, 512];
const OUTSTANDING = [1, 2, 8];
/** maxBurst varies with the configuration so that short caps (and an odd one) are split too. */
const MAX_BURST: Record<number, number> = { 1: 256, 2: 16, 8: 13 };

function params(dataWidth: number, maxOutstanding: number): Axi4RangeReaderParams {
  const maxBurst = maxOutstanding === 8 && dataWidth % 256 === 0 ? 256 : MAX_BURST[maxOutstanding]!;
  return { dataWidth, addrWidth: 32, lenWidth: 16, maxBurst, maxOutstanding };
}

interface RunResult {
  words: number[];
  data: { cycle: number; value: bigint }[];
  problems: string[];
  peak: number;
  bursts: number;
  samples: Map<string, bigint[]>;
}

async function run(model: VerilatorModel, p: Axi4RangeReaderParams, reqs: WordRange[], knobs: RunKnobs, extra: Record<string, number> = {}, sampleAfter?: number): Promise<RunResult> {
  const bytes = p.dataWidth / 8;
  const s = new StimulusScript(model.ports);
  s.monitor('data', 'obs_data_valid', 'obs_data').monitor('ar', 'obs_ar_valid', 'obs_ar').monitor('rlast', 'obs_rlast_valid', 'obs_rlast');
  s.eval().get('error_at_reset', 'error');
  requestScript(s, reqs.map((q) => ({ addr: q.word * bytes, beats: q.beats })), knobs, extra, (i) => {
    if (i === sampleAfter) s.eval().get('error_mid', 'error');
  });
  s.eval().get('error_end', 'error');
  const r = await runModel(model, s);
  const words = expectedWords(reqs);
  const data = unstamp(r.monitors.get('data'), p.dataWidth);
  const ars = parseAr(r.monitors.get('ar'), p.addrWidth);
  const rlasts = unstamp(r.monitors.get('rlast'), 0).map((o) => o.cycle);
  return {
    words,
    data,
    problems: [...dataProblems(data, words, p.dataWidth), ...arProblems(ars, words, p)],
    peak: peakInFlight(ars.map((a) => a.cycle), rlasts),
    bursts: ars.length,
    samples: r.samples,
  };
}

const FAST: RunKnobs = { latency: 2, memGaps: false, sinkGaps: false };
const SLOW: RunKnobs = { latency: 60, memGaps: false, sinkGaps: false };
const RANDOM: RunKnobs = { latency: 6, memGaps: true, sinkGaps: true };

for (const dataWidth of WIDTHS) {
  for (const maxOutstanding of OUTSTANDING) {
    const p = params(dataWidth, maxOutstanding);
    const pageWords = AXI_PAGE_BYTES / (dataWidth / 8);
    const reqs = rangeRequests(dataWidth * 10 + maxOutstanding, pageWords, axi4BurstCap(p));
    const single = reqs.filter((q) => q.beats === 1).length;

    describe(`axi4RangeReader ${dataWidth} bits, maxBurst ${p.maxBurst}, ${maxOutstanding} in flight (Verilator)`, () => {
      let model: VerilatorModel;
      beforeAll(async () => {
        model = (await buildRtlModel(axi4ReadBench(p))).model;
      }, 600_000);

      it(`no gaps: ${reqs.length} requests (${single} of one word) arrive whole, in order, in legal bursts${maxOutstanding === 8 ? ', one word a cycle' : ''}`, { timeout: 120_000 }, async () => {
        const r = await run(model, p, reqs, FAST);
        expect(r.problems).toEqual([]);
        expect(r.bursts).toBe(minimalBursts(reqs, p));
        expect(r.peak).toBeLessThanOrEqual(maxOutstanding);
        expect(r.samples.get('error_end')).toEqual([0n]);
        // With 8 bursts in flight the 5-cycle round trip of a one-word burst is covered: no gap at all.
        if (maxOutstanding === 8) expect(dataSpan(r.data)).toBe(r.words.length);
        else expect(dataSpan(r.data)).toBeGreaterThan(r.words.length);
      });

      it(`slow memory (latency ${SLOW.latency}): exactly ${maxOutstanding} bursts in flight at the peak`, { timeout: 120_000 }, async () => {
        const r = await run(model, p, reqs.slice(0, 16), SLOW);
        expect(r.problems).toEqual([]);
        expect(r.peak).toBe(maxOutstanding);
      });

      it('random ARREADY / RVALID gaps, random latency, a sink that takes half the cycles: the same words', { timeout: 120_000 }, async () => {
        const r = await run(model, p, reqs, RANDOM);
        expect(r.problems).toEqual([]);
        expect(r.peak).toBeLessThanOrEqual(maxOutstanding);
        expect(r.samples.get('error_end')).toEqual([0n]);
        // The gaps really slowed it down (the sink alone halves the rate).
        expect(dataSpan(r.data)).toBeGreaterThan(1.5 * r.words.length);
      });

      it('a SLVERR beat raises error, which stays up; the words still arrive', { timeout: 120_000 }, async () => {
        // The bad word is in request 20; error must still be 0 when that request is taken.
        const bad = reqs[20]!;
        const badWord = bad.word + (bad.beats >> 1);
        expect(expectedWords(reqs.slice(0, 20)).includes(badWord)).toBe(false);
        const r = await run(model, p, reqs.slice(0, 24), RANDOM, { err_en: 1, err_addr: badWord }, 20);
        expect(r.problems).toEqual([]);
        expect(r.samples.get('error_at_reset')).toEqual([0n]);
        expect(r.samples.get('error_mid')).toEqual([0n]);
        expect(r.samples.get('error_end')).toEqual([1n]);
      });
    });
  }
}

describe('axi4RangeReader: lint, synthesis and parameter checks', () => {
  for (const dataWidth of [64, 512]) {
    it(`${dataWidth} bits: verilator -Wall and yosys synth_ice40 + check are clean`, { timeout: 300_000 }, async () => {
      const m = axi4RangeReader({ dataWidth, addrWidth: 32, lenWidth: 16, maxBurst: 256, maxOutstanding: 8 });
      const synth = await expectCleanLintAndSynth(m, fs.mkdtempSync(path.join(os.tmpdir(), 'axi4-read-')));
      expect(synth.cells.lut4).toBeGreaterThan(0);
      // RDATA passes straight through: the flip-flops are the control and AR registers only.
      expect(synth.cells.ff).toBeLessThan(120);
    });
  }

  it('refuses parameters it cannot honour, naming the field', () => {
    const ok = { dataWidth: 64, addrWidth: 32, lenWidth: 16, maxBurst: 256, maxOutstanding: 8 };
    expect(() => axi4RangeReader({ ...ok, dataWidth: 96 })).toThrow('axi4RangeReader: dataWidth must be 64, 128, 256 or 512, got 96');
    expect(() => axi4RangeReader({ ...ok, maxBurst: 257 })).toThrow('axi4RangeReader: maxBurst must be an integer from 1 to 256, got 257');
    expect(() => axi4RangeReader({ ...ok, addrWidth: 11 })).toThrow('axi4RangeReader: addrWidth must be an integer from 12 to 64, got 11');
    expect(() => axi4RangeReader({ ...ok, maxOutstanding: 0 })).toThrow('axi4RangeReader: maxOutstanding must be an integer from 1 to 1024, got 0');
  });

  it('caps bursts at a 4 KB page where maxBurst is longer', () => {
    expect(axi4BurstCap({ dataWidth: 64, maxBurst: 256 })).toBe(256);
    expect(axi4BurstCap({ dataWidth: 256, maxBurst: 256 })).toBe(128);
    expect(axi4BurstCap({ dataWidth: 512, maxBurst: 256 })).toBe(64);
    expect(axi4BurstCap({ dataWidth: 512, maxBurst: 13 })).toBe(13);
  });
});
