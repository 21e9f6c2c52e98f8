// The external target in Verilator, its weights streamed from the harness's DRAM model, against the
// fixed-point engine: every layer's input and state, the logits and the argmax, bit for bit, across
// shapes whose widths are not powers of two, port widths, memory presets and random back-pressure.
import { describe, expect, it } from 'vitest';
import { simulateAccel } from './accel-sim.ts';
import { randomModel } from './random-model.ts';
import { dramSetup } from './dram-presets.ts';
import { openModel } from '../model/open.ts';
import { TINY_MODEL } from '../model/checkpoint/test-support.ts';

const MINUTES = 60_000;

describe('the external target against the fixed-point engine', () => {
  const cases = [
    { what: 'd=40 I=72 L=2 V=100, no lower bounds, 16 lanes, DDR3 with 20% back-pressure', shape: { hiddenSize: 40, intermediateSize: 72, numLayers: 2, vocabSize: 100, useLowerBound: false }, lanes: 16, dram: 'ddr3-x16', backPressure: 0.2 },
    { what: 'd=72 I=200 L=2 V=300, 64 lanes, HBM pseudo-channel with 5% back-pressure', shape: { hiddenSize: 72, intermediateSize: 200, numLayers: 2, vocabSize: 300 }, lanes: 64, dram: 'hbm-pc', backPressure: 0.05 },
    { what: 'd=24 I=40 L=1 V=37, 8 lanes, DDR4 with 30% back-pressure', shape: { hiddenSize: 24, intermediateSize: 40, numLayers: 1, vocabSize: 37 }, lanes: 8, dram: 'ddr4-x64', backPressure: 0.3 },
  ];
  for (const c of cases) {
    it(`runs ${c.what} bit-exact`, async () => {
      const weights = randomModel(c.shape, 17);
      const dram = dramSetup(c.dram, 2 * c.lanes, { backPressure: c.backPressure, seed: 5 });
      const r = await simulateAccel({ weights, config: { target: 'external', lanes: c.lanes }, prompt: [3, 14, 15], tokens: 5, dram });
      expect(r.mismatches).toEqual([]);
      expect(r.bitExact).toBe(true);
      expect(r.tokens).toEqual(r.goldenTokens);
      // every word the DRAM returned was one a step asked for: one row and the routine per step
      const steps = r.stepCycles.length;
      expect(r.dramStats!.beats).toBe(steps * (r.streamBytesPerToken! / (c.lanes / 4)));
      expect(r.dramStats!.outstanding).toBe(0);
      expect(r.cyclesPerToken).toBeGreaterThan(r.boundCycles);
    }, 10 * MINUTES);
  }

  it('runs the tiny model bit-exact with the debug read-out off, as on a board, within 0.1% of the UP5K cycles', async () => {
    const m = openModel(TINY_MODEL);
    const prompt = m.tokenizer.encode('ROMEO:\nWhat say');
    const r = await simulateAccel({ weights: m.weights, config: { target: 'external', lanes: 32 }, prompt, tokens: 16, debug: false, dram: dramSetup('ideal', 64) });
    expect(r.mismatches).toEqual([]);
    expect(r.tokens).toEqual(r.goldenTokens);
    // the same controller with the weights a cycle away on chip takes 19,612 cycles: the prefetch hides DRAM
    expect(r.cyclesPerToken).toBeLessThan(19_612 * 1.001);
  }, 10 * MINUTES);
});
