// The native-port range reader in Verilator against a simulated LiteDRAM-style native read port
// (sim-memory.test-support.ts) whose words are a hash of their address:
//   - every requested word comes out once, in request order, with the memory's data for its address,
//     through single-word requests back to back, an empty request and lengths up to 600;
//   - at most maxInFlight words between their command and their delivery on `data`, and exactly that
//     many when the memory is slow; no write command;
//   - rdata_ready stays 1, and no word is lost when the sink takes only half the cycles or the memory
//     drops cmd_ready / rdata_valid at random with random latency;
//   - with no gaps and 8 words in flight, one word a cycle from the first word to the last.
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { StimulusScript, runModel, type VerilatorModel } from '../../flow/verilator.ts';
import { buildRtlModel } from '../../sim/rtl-model.ts';
import { expectCleanLintAndSynth } from '../../test/lint-and-synth.ts';
import { nativeRangeReader, nativeReaderFifoDepth, type NativeRangeReaderParams } from './native-read.ts';
import { dataProblems, dataSpan, expectedWords, nativeReadBench, peakInFlight, rangeRequests, requestScript, unstamp, type RunKnobs, type WordRange } from './range-reader-bench.test-support.ts';

/**
 * Every width and every in-flight limit, not all pairs: only the FIFO's width depends on dataWidth, and
 * each Verilator build costs most of a minute.
 */
const CONFIGS: [dataWidth: number, maxInFlight: number][] = [
  [64, 1],
  [64, 2],
  [64, 8],
  [128, 8],
  [256, 2],
  [512, 1],
  [512, 8],
];
const ADDR_WIDTH = 24;
/** The native port has no pages; this only spreads the requests' addresses as for a 64-bit AXI port. */
const PAGE_WORDS = 512;

async function run(model: VerilatorModel, p: NativeRangeReaderParams, reqs: WordRange[], knobs: RunKnobs) {
  const s = new StimulusScript(model.ports);
  s.monitor('data', 'obs_data_valid', 'obs_data').monitor('cmd', 'obs_cmd_valid', 'obs_cmd');
  requestScript(s, reqs.map((q) => ({ addr: q.word, beats: q.beats })), knobs);
  s.eval().get('saw_write', 'saw_write');
  const r = await runModel(model, s);
  const words = expectedWords(reqs);
  const data = unstamp(r.monitors.get('data'), p.dataWidth);
  const cmds = unstamp(r.monitors.get('cmd'), p.addrWidth);
  const problems = dataProblems(data, words, p.dataWidth);
  if (cmds.length !== words.length || cmds.some((c, i) => Number(c.value) !== words[i])) problems.push(`the commands are not the ${words.length} requested word addresses in order`);
  if (r.samples.get('saw_write')?.[0] !== 0n) problems.push('a write command was issued');
  return { words, data, problems, peak: peakInFlight(cmds.map((c) => c.cycle), data.map((d) => d.cycle)) };
}

const FAST: RunKnobs = { latency: 2, memGaps: false, sinkGaps: false };
const SLOW: RunKnobs = { latency: 40, memGaps: false, sinkGaps: false };
const RANDOM: RunKnobs = { latency: 6, memGaps: true, sinkGaps: true };

for (const [dataWidth, maxInFlight] of CONFIGS) {
  const p: NativeRangeReaderParams = { dataWidth, addrWidth: ADDR_WIDTH, lenWidth: 16, maxInFlight };
  const reqs = rangeRequests(dataWidth * 100 + maxInFlight, PAGE_WORDS, 256);
  const single = reqs.filter((q) => q.beats === 1).length;

  describe(`nativeRangeReader ${dataWidth} bits, ${maxInFlight} in flight (Verilator)`, () => {
    let model: VerilatorModel;
    beforeAll(async () => {
      model = (await buildRtlModel(nativeReadBench(p))).model;
    }, 600_000);

    it(`no gaps: ${reqs.length} requests (${single} of one word) arrive whole and in order${maxInFlight === 8 ? ', one word a cycle' : ''}`, { timeout: 120_000 }, async () => {
      const r = await run(model, p, reqs, FAST);
      expect(r.problems).toEqual([]);
      expect(r.peak).toBeLessThanOrEqual(maxInFlight);
      // A word holds its place for 5 cycles (command, latency 2, FIFO write, FIFO read register), so
      // 8 keep the port busy; the one gap is the empty request's cycle on the request stream.
      const empty = reqs.filter((q) => q.beats === 0).length;
      expect(empty).toBe(1);
      if (maxInFlight === 8) expect(dataSpan(r.data)).toBe(r.words.length + empty);
      else expect(dataSpan(r.data)).toBeGreaterThan(r.words.length);
    });

    it(`slow memory (latency ${SLOW.latency}): exactly ${maxInFlight} words in flight at the peak`, { timeout: 120_000 }, async () => {
      const r = await run(model, p, reqs.slice(0, 16), SLOW);
      expect(r.problems).toEqual([]);
      expect(r.peak).toBe(maxInFlight);
    });

    it('random cmd_ready / rdata_valid gaps, random latency, a sink that takes half the cycles: the same words, none lost', { timeout: 120_000 }, async () => {
      const r = await run(model, p, reqs, RANDOM);
      expect(r.problems).toEqual([]);
      expect(r.peak).toBeLessThanOrEqual(maxInFlight);
      expect(dataSpan(r.data)).toBeGreaterThan(1.5 * r.words.length);
    });
  });
}

describe('nativeRangeReader: lint, synthesis and parameter checks', () => {
  for (const dataWidth of [64, 512]) {
    it(`${dataWidth} bits: verilator -Wall and yosys synth_ice40 + check are clean, the FIFO in block RAM`, { timeout: 300_000 }, async () => {
      const m = nativeRangeReader({ dataWidth, addrWidth: ADDR_WIDTH, lenWidth: 16, maxInFlight: 16 });
      const synth = await expectCleanLintAndSynth(m, fs.mkdtempSync(path.join(os.tmpdir(), 'native-read-')));
      // A 16 x W FIFO: one 4 Kbit EBR holds 16 bits of 256 words, so W/16 of them.
      expect(synth.cells.ebr).toBe(dataWidth / 16);
      expect(synth.cells.lut4).toBeGreaterThan(0);
    });
  }

  it('sizes the FIFO to hold every word in flight', () => {
    for (const n of [1, 2, 3, 8, 9, 16, 17, 100]) {
      const depth = nativeReaderFifoDepth(n);
      expect(Number.isInteger(Math.log2(depth))).toBe(true);
      expect(depth + 1).toBeGreaterThanOrEqual(n);
      expect(depth).toBeLessThan(Math.max(4, 2 * n));
    }
  });

  it('refuses parameters it cannot honour, naming the field', () => {
    const ok = { dataWidth: 64, addrWidth: ADDR_WIDTH, lenWidth: 16, maxInFlight: 8 };
    expect(() => nativeRangeReader({ ...ok, maxInFlight: 0 })).toThrow('nativeRangeReader: maxInFlight must be an integer from 1 to 4096, got 0');
    expect(() => nativeRangeReader({ ...ok, lenWidth: 2.5 })).toThrow('nativeRangeReader: lenWidth must be an integer from 1 to 32, got 2.5');
  });
});
