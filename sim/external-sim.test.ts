// The external target in Verilator, its weights streamed from the harness's DRAM model, against the
// fixed-point engine: every layer's input and state, the logits and the argmax, bit for bit, across
// shapes whose widths are not powers of two, port widths, row lanes, memory presets and random back-pressure.
import { describe, expect, it } from 'vitest';
import { simulateAccel } from './accel-sim.ts';
import { randomModel } from './random-model.ts';
import { dramSetup } from './dram-presets.ts';
import { openModel } from '../model/open.ts';
import { TINY_MODEL } from '../model/checkpoint/test-support.ts';
import { compileProgram } from '../accel/program.ts';
import { predictCycles } from '../accel/timing.ts';
import { fixedParams } from '../model/fixed/fixed-model.ts';
import { portBits } from '../accel/config.ts';

const MINUTES = 60_000;

describe('the external target against the fixed-point engine', () => {
  const cases = [
    { what: 'd=40 I=72 L=2 V=100, no lower bounds, 16 lanes, 2 row lanes, DDR3 with 20% back-pressure', shape: { hiddenSize: 40, intermediateSize: 72, numLayers: 2, vocabSize: 100, useLowerBound: false }, lanes: 16, rowLanes: 2, dram: 'ddr3-x16', backPressure: 0.2 },
    { what: 'd=72 I=200 L=2 V=300, 64 lanes, 8 row lanes, HBM pseudo-channel with 5% back-pressure', shape: { hiddenSize: 72, intermediateSize: 200, numLayers: 2, vocabSize: 300 }, lanes: 64, rowLanes: 8, dram: 'hbm-pc', backPressure: 0.05 },
    { what: 'd=24 I=40 L=1 V=37, 8 lanes, 1 row lane, DDR4 with 30% back-pressure', shape: { hiddenSize: 24, intermediateSize: 40, numLayers: 1, vocabSize: 37 }, lanes: 8, rowLanes: 1, dram: 'ddr4-x64', backPressure: 0.3 },
    { what: 'd=48 I=80 L=2 V=70, 128 lanes, 16 row lanes (every parameter word of a stream word), ideal memory with 10% back-pressure', shape: { hiddenSize: 48, intermediateSize: 80, numLayers: 2, vocabSize: 70 }, lanes: 128, rowLanes: 16, dram: 'ideal', backPressure: 0.1 },
    { what: 'd=40 I=72 L=2 V=100, 64 lanes at 5 trits (64-bit port), 4 row lanes, DDR3 with 20% back-pressure', shape: { hiddenSize: 40, intermediateSize: 72, numLayers: 2, vocabSize: 100 }, lanes: 64, rowLanes: 4, packing: '5trit', dram: 'ddr3-x16', backPressure: 0.2 },
    { what: 'd=72 I=200 L=2 V=300, 256 lanes at 5 trits (256-bit port), 8 row lanes, HBM pseudo-channel with 5% back-pressure', shape: { hiddenSize: 72, intermediateSize: 200, numLayers: 2, vocabSize: 300 }, lanes: 256, rowLanes: 8, packing: '5trit', dram: 'hbm-pc', backPressure: 0.05 },
    { what: 'd=24 I=40 L=1 V=37, 32 lanes at 5 trits (the lanes slower than the port), 1 row lane, DDR4 with 30% back-pressure', shape: { hiddenSize: 24, intermediateSize: 40, numLayers: 1, vocabSize: 37 }, lanes: 32, rowLanes: 1, packing: '5trit', dram: 'ddr4-x64', backPressure: 0.3 },
  ] as const;
  for (const c of cases) {
    it(`runs ${c.what} bit-exact`, async () => {
      const weights = randomModel(c.shape, 17);
      const config = { target: 'external', lanes: c.lanes, rowLanes: c.rowLanes, ...('packing' in c ? { packing: c.packing } : {}) } as const;
      const dram = dramSetup(c.dram, portBits(config), { backPressure: c.backPressure, seed: 5 });
      const r = await simulateAccel({ weights, config, prompt: [3, 14, 15], tokens: 5, dram });
      expect(r.mismatches).toEqual([]);
      expect(r.bitExact).toBe(true);
      expect(r.tokens).toEqual(r.goldenTokens);
      // every word the DRAM returned was one a step asked for: one row and the routine per step
      const steps = r.stepCycles.length;
      expect(r.dramStats!.beats).toBe(steps * (r.streamBytesPerToken! / (portBits(config) / 8)));
      expect(r.dramStats!.outstanding).toBe(0);
      expect(r.cyclesPerToken).toBeGreaterThan(r.boundCycles);
    }, 10 * MINUTES);
  }

  for (const rowLanes of [1, 4]) {
    it(`runs the tiny model bit-exact with the debug read-out off, as on a board, ${rowLanes} row lanes, within 0.5% of the controller's own cycles`, async () => {
      const m = openModel(TINY_MODEL);
      const prompt = m.tokenizer.encode('ROMEO:\nWhat say');
      const config = { target: 'external', lanes: 32, rowLanes } as const;
      const r = await simulateAccel({ weights: m.weights, config, prompt, tokens: 16, debug: false, dram: dramSetup('ideal', 64) });
      expect(r.mismatches).toEqual([]);
      expect(r.tokens).toEqual(r.goldenTokens);
      // the prefetch hides the DRAM: within 0.5% of the on-chip controller's cycles with every word there
      // (timing.ts; with one row lane the UP5K's own at 32 lanes), which fetches an instruction a cycle slower
      const own = predictCycles(compileProgram(fixedParams(m.weights), config)).total;
      if (rowLanes === 1) expect(own).toBe(predictCycles(compileProgram(fixedParams(m.weights), { target: 'up5k', lanes: 32 })).total);
      expect(Math.abs(r.cyclesPerToken / own - 1)).toBeLessThan(0.005);
    }, 10 * MINUTES);
  }
});
