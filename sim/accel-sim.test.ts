// The accelerator, whole, in Verilator against the fixed-point engine: every value the debug port reads
// out (each layer's input and recurrent state, the logits) and every argmax, bit for bit.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { simulateAccel } from './accel-sim.ts';
import { randomModel } from './random-model.ts';
import { openModel } from '../model/open.ts';
import { FFF8_MODEL, TINY_MODEL } from '../model/checkpoint/test-support.ts';
import { predictCycles } from '../accel/timing.ts';

const MINUTES = 60_000;

describe('the accelerator against the fixed-point engine', () => {
  // The fixtures with references: tiny, and tiny-fff8 (an FFF channel mixer: sim/accel-sim-fff.test.ts has
  // more shapes) on both on-chip targets.
  it.each([
    ['tiny', TINY_MODEL, { target: 'up5k', lanes: 32 }],
    ['tiny-fff8', FFF8_MODEL, { target: 'up5k', lanes: 32 }],
    ['tiny-fff8', FFF8_MODEL, { target: 'generic', lanes: 32 }],
  ] as const)('runs %s (%o) bit-exact on every reference prompt, 32 generated tokens each', async (_, dir, config) => {
    const m = openModel(dir);
    const ref = JSON.parse(fs.readFileSync(path.join(dir, 'reference.json'), 'utf8')) as { prompts: { text: string; ids: number[] }[] };
    expect(ref.prompts.length).toBeGreaterThanOrEqual(4);
    for (const p of ref.prompts) {
      const r = await simulateAccel({ weights: m.weights, config, prompt: p.ids, tokens: 32 });
      expect(r.mismatches, p.text).toEqual([]);
      expect(r.bitExact).toBe(true);
      expect(r.tokens).toEqual(r.goldenTokens);
      expect(r.tokens).toHaveLength(32);
      // vectors dumped per step: (L + 1) layer inputs, L states, the logits; plus the argmax
      expect(r.compared).toBe((p.ids.length + 31) * (5 * 64 + 4 * 64 + 256 + 1));
      // the controller's cycle count is the one accel/timing.ts predicts, on every step
      expect(new Set(r.stepCycles)).toEqual(new Set([predictCycles(r.program).total]));
    }
  }, 10 * MINUTES);

  it('gives the same tokens with the debug read-out off, as on a board', async () => {
    const m = openModel(TINY_MODEL);
    const prompt = m.tokenizer.encode('ROMEO:\nWhat say');
    const r = await simulateAccel({ weights: m.weights, config: { target: 'up5k', lanes: 32 }, prompt, tokens: 24, debug: false });
    expect(r.compared).toBe(prompt.length + 23); // the argmax of every step, nothing else
    expect(r.mismatches).toEqual([]);
    expect(r.tokens).toEqual(r.goldenTokens);
  }, 10 * MINUTES);

  it('runs a generic model of another shape (d=128, I=384, 3 layers, random weights) bit-exact', async () => {
    const weights = randomModel({ hiddenSize: 128, intermediateSize: 384, numLayers: 3, vocabSize: 256 }, 7);
    const r = await simulateAccel({ weights, config: { target: 'generic', lanes: 32 }, prompt: [3, 141, 59, 26], tokens: 16 });
    expect(r.mismatches).toEqual([]);
    expect(r.bitExact).toBe(true);
    expect(r.tokens).toEqual(r.goldenTokens);
    expect(r.stepCycles[0]).toBe(predictCycles(r.program).total);
  }, 10 * MINUTES);

  it('handles sizes that are not multiples of the lanes, 16 lanes, odd vocabulary, no lower bounds', async () => {
    const weights = randomModel({ hiddenSize: 40, intermediateSize: 72, numLayers: 2, vocabSize: 100, useLowerBound: false }, 11);
    const r = await simulateAccel({ weights, config: { target: 'generic', lanes: 16 }, prompt: [1, 99, 0], tokens: 8 });
    expect(r.mismatches).toEqual([]);
    expect(r.bitExact).toBe(true);
    expect(r.tokens).toEqual(r.goldenTokens);
    expect(r.stepCycles[0]).toBe(predictCycles(r.program).total);
  }, 10 * MINUTES);

  it('runs a model so small that the matvec waits for the output scale (d=16, one layer, 8 lanes)', async () => {
    const weights = randomModel({ hiddenSize: 16, intermediateSize: 24, numLayers: 1, vocabSize: 50 }, 3);
    const r = await simulateAccel({ weights, config: { target: 'generic', lanes: 8 }, prompt: [7, 42], tokens: 6 });
    expect(r.mismatches).toEqual([]);
    expect(r.tokens).toEqual(r.goldenTokens);
    expect(new Set(r.stepCycles)).toEqual(new Set([predictCycles(r.program).total]));
  }, 10 * MINUTES);

  // The overlapping controller (accel/overlap.ts): the next BITLINEAR's fetch, pass 1 and scalars, and GATE and STATE, under a matrix
  // before it, across lanes (the weight port shared word by word), shapes and targets.
  const overlapCases = [
    { what: 'the tiny model, up5k, 32 lanes', weights: () => openModel(TINY_MODEL).weights, config: { target: 'up5k', lanes: 32 }, prompt: [1, 2, 3], tokens: 4 },
    { what: 'the tiny model, up5k, 8 lanes (the board)', weights: () => openModel(TINY_MODEL).weights, config: { target: 'up5k', lanes: 8 }, prompt: [5, 80], tokens: 3 },
    { what: 'd=40, odd vocabulary, no lower bounds, generic, 16 lanes', weights: () => randomModel({ hiddenSize: 40, intermediateSize: 72, numLayers: 2, vocabSize: 100, useLowerBound: false }, 11), config: { target: 'generic', lanes: 16 }, prompt: [1, 99, 0], tokens: 5 },
    { what: 'd=16, one layer, generic, 8 lanes (the matvec waits for the scale)', weights: () => randomModel({ hiddenSize: 16, intermediateSize: 24, numLayers: 1, vocabSize: 50 }, 3), config: { target: 'generic', lanes: 8 }, prompt: [7, 42], tokens: 5 },
  ] as const;
  for (const c of overlapCases) {
    it(`overlaps instructions with the matrix before them bit-exact, in the predicted cycles: ${c.what}`, async () => {
      const r = await simulateAccel({ weights: c.weights(), config: { ...c.config, overlap: true }, prompt: [...c.prompt], tokens: c.tokens });
      expect(r.mismatches).toEqual([]);
      expect(r.bitExact).toBe(true);
      expect(r.tokens).toEqual(r.goldenTokens);
      const serial = predictCycles({ ...r.program, config: { ...r.program.config, overlap: false } }).total;
      expect(new Set(r.stepCycles)).toEqual(new Set([predictCycles(r.program).total]));
      expect(r.stepCycles[0]).toBeLessThan(serial);
    }, 10 * MINUTES);
  }
});
