// The projection of the external target's cycles per token (accel/external/projection.ts, with the
// DRAM presets' sequential efficiency as sim/external-projection.ts uses it) against the co-simulation
// of the same design on the harness's DRAM model: within PROJECTION_TOLERANCE on shapes, port widths and
// memories where the token is bound by the row side, by the port and by a memory much slower than it.
import { describe, expect, it } from 'vitest';
import { simulateAccel } from './accel-sim.ts';
import { randomModel } from './random-model.ts';
import { dramSetup, expectedSequentialEfficiency } from './dram-presets.ts';
import { BOARDS, projectBoard } from './external-projection.ts';
import { compileProgram } from '../accel/program.ts';
import { fixedParams } from '../model/fixed/fixed-model.ts';
import { projectExternalCycles } from '../accel/external/projection.ts';
import { externalImage } from '../accel/external/stream-image.ts';
import { predictCycles } from '../accel/timing.ts';
import { portBits, type Packing } from '../accel/config.ts';

const MINUTES = 60_000;
/** The projection's stated accuracy against co-simulation: 2% of the cycles per token. */
const PROJECTION_TOLERANCE = 0.02;

function external(shape: { hiddenSize: number; intermediateSize: number; numLayers: number; vocabSize: number }, lanes: number, packing: Packing = '2bit') {
  const weights = randomModel(shape, 3);
  return { weights, prog: compileProgram(fixedParams(weights), { target: 'external', lanes, packing }) };
}

describe('projected cycles per token of the external target', () => {
  const cases = [
    { what: 'd=24 I=40 L=1 V=37, 8 lanes, DDR3 (row side)', shape: { hiddenSize: 24, intermediateSize: 40, numLayers: 1, vocabSize: 37 }, lanes: 8, dram: 'ddr3-x16' },
    { what: 'd=24 I=40 L=1 V=37, 8 lanes, HBM pseudo-channel', shape: { hiddenSize: 24, intermediateSize: 40, numLayers: 1, vocabSize: 37 }, lanes: 8, dram: 'hbm-pc' },
    { what: 'd=72 I=200 L=2 V=300, 64 lanes, DDR3 (the stream as long as the row side)', shape: { hiddenSize: 72, intermediateSize: 200, numLayers: 2, vocabSize: 300 }, lanes: 64, dram: 'ddr3-x16' },
    { what: 'd=512 I=1024 L=1 V=64, 32 lanes, 7 bytes a cycle on a 64-bit port (memory-bound, refresh and rows)', shape: { hiddenSize: 512, intermediateSize: 1024, numLayers: 1, vocabSize: 64 }, lanes: 32, dram: 'ddr3-x16', bytesPerCycle: 7 },
    { what: 'd=72 I=200 L=2 V=300, 64 lanes, 3 bytes a cycle (memory-bound)', shape: { hiddenSize: 72, intermediateSize: 200, numLayers: 2, vocabSize: 300 }, lanes: 64, dram: 'ddr3-x16', bytesPerCycle: 3 },
    { what: 'd=512 I=1024 L=1 V=64, 64 lanes at 5 trits on a 64-bit DDR3 port (the port slower than the lanes)', shape: { hiddenSize: 512, intermediateSize: 1024, numLayers: 1, vocabSize: 64 }, lanes: 64, packing: '5trit', dram: 'ddr3-x16' },
    { what: 'd=72 I=200 L=2 V=300, 32 lanes at 5 trits on a 64-bit port (the lanes slower than the port)', shape: { hiddenSize: 72, intermediateSize: 200, numLayers: 2, vocabSize: 300 }, lanes: 32, packing: '5trit', dram: 'ideal' },
  ] as const;
  for (const c of cases) {
    it(`matches the co-simulation within ${PROJECTION_TOLERANCE * 100}%: ${c.what}`, async () => {
      const packing = 'packing' in c ? c.packing : '2bit';
      const { weights, prog } = external(c.shape, c.lanes, packing);
      const W = portBits(prog.config);
      const dram = dramSetup(c.dram, W, 'bytesPerCycle' in c ? { bytesPerCycle: c.bytesPerCycle } : {});
      const efficiency = expectedSequentialEfficiency(dram.timing, W);
      const p = projectExternalCycles(prog, { wordsPerCycle: Math.min(1, (dram.timing.bytesPerCycle * efficiency) / (W / 8)), latency: dram.timing.latency });
      const r = await simulateAccel({ weights, config: prog.config, prompt: [3, 14], tokens: 2, debug: false, dram });
      expect(r.bitExact).toBe(true);
      expect(Math.abs(p.cycles / r.cyclesPerToken - 1)).toBeLessThan(PROJECTION_TOLERANCE);
    }, 10 * MINUTES);
  }

  it('is the controller alone with a fast memory and the memory alone with a slow one, across shapes and lanes', () => {
    for (const [shape, lanes] of [
      [{ hiddenSize: 24, intermediateSize: 40, numLayers: 1, vocabSize: 37 }, 8],
      [{ hiddenSize: 40, intermediateSize: 72, numLayers: 2, vocabSize: 100 }, 16],
      [{ hiddenSize: 72, intermediateSize: 200, numLayers: 2, vocabSize: 300 }, 64],
    ] as const) {
      const { prog } = external(shape, lanes);
      const compute = predictCycles(prog).total;
      const words = externalImage(prog).wordsPerToken;
      const fast = projectExternalCycles(prog, { wordsPerCycle: 1, latency: 1 });
      // a word a cycle, a cycle away: only the first words' latency and the FIFO's fall-through are added
      expect(fast.cycles).toBeGreaterThanOrEqual(compute);
      expect(fast.cycles).toBeLessThan(compute + 40);
      for (const rate of [0.05, 0.02]) {
        const slow = projectExternalCycles(prog, { wordsPerCycle: rate, latency: 30 });
        // every word at the memory's rate (the first commanded at once), plus what the row side cannot
        // hide behind it (at most its own cycles)
        expect(slow.cycles).toBeGreaterThanOrEqual((words - 1) / rate);
        expect(slow.cycles).toBeLessThan(words / rate + compute);
      }
      const a = projectExternalCycles(prog, { wordsPerCycle: 0.5, latency: 20 }).cycles;
      const b = projectExternalCycles(prog, { wordsPerCycle: 0.5, latency: 60 }).cycles;
      expect(b).toBeGreaterThan(a); // a longer latency is paid at least at the token's start
    }
  });

  it('names a board the bandwidth bound when its memory is slower than its port', () => {
    const { prog } = external({ hiddenSize: 72, intermediateSize: 200, numLayers: 2, vocabSize: 300 }, 32);
    const ddr3 = projectBoard(prog, BOARDS.find((b) => b.name === 'ddr3-x16')!);
    expect(ddr3.memoryBytesPerCycle).toBeLessThan(ddr3.portBytesPerCycle);
    expect(ddr3.tokensPerSecond).toBeCloseTo((75e6 / ddr3.cycles), 6);
    expect(() => projectBoard(prog, BOARDS.find((b) => b.name === 'ddr4-x64')!)).toThrow(/256 lanes/);
    expect(() => projectExternalCycles(prog, { wordsPerCycle: 1.5, latency: 1 })).toThrow(/wordsPerCycle/);
  });
});
