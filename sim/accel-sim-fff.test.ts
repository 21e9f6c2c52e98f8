// The accelerator running a Fast FeedForward channel mixer (accel/program.ts, accel/control/tree-walk.ts,
// the matvec unit's column mode) in Verilator against the fixed-point engine's path-only tree
// (numerics/fff.ts): every layer input, state, logit and argmax, bit for bit, and the cycles accel/timing.ts
// predicts, on shapes tiny-fff8 does not have (tiny-fff8 itself, every reference prompt, is in
// sim/accel-sim.test.ts). The tree's branches decide which rows and columns are read, so a wrong branch
// anywhere shows up as a wrong value.
import { describe, expect, it } from 'vitest';
import { simulateAccel } from './accel-sim.ts';
import { randomModel } from './random-model.ts';
import { fffNodeCount } from '../model/config.ts';
import { predictCycles } from '../accel/timing.ts';
import type { AccelConfig } from '../accel/config.ts';

const MINUTES = 60_000;

describe('the accelerator on FFF models', () => {
  // Shapes the tiny model does not have: output chunks that are not a power of two (d = 40 at 16 lanes:
  // C = 3), a tree of one node (depth 0: no branch kept), more levels than lanes (depth 9 at 8 lanes),
  // both on-chip targets, no lower bounds.
  const cases: { what: string; shape: { d: number; depth: number; L: number; V: number; lb?: boolean }; config: AccelConfig; tokens: number }[] = [
    { what: 'tiny-fff8 shape on the board\'s 8 lanes, one column lane (up5k)', shape: { d: 64, depth: 8, L: 4, V: 256 }, config: { target: 'up5k', lanes: 8, columnLanes: 1 }, tokens: 4 },
    { what: 'd=40, depth 4, generic, 16 lanes, 4 column lanes (C = 3; the last chunk\'s groups end at d)', shape: { d: 40, depth: 4, L: 1, V: 60 }, config: { target: 'generic', lanes: 16, columnLanes: 4 }, tokens: 6 },
    { what: 'd=40, depth 3, generic, 16 lanes (C = 3), no lower bounds', shape: { d: 40, depth: 3, L: 2, V: 100, lb: false }, config: { target: 'generic', lanes: 16 }, tokens: 8 },
    { what: 'd=24, depth 0 (one node), generic, 8 lanes', shape: { d: 24, depth: 0, L: 2, V: 50 }, config: { target: 'generic', lanes: 8 }, tokens: 8 },
    { what: 'd=32, depth 9 (10 levels against 8 lanes), generic', shape: { d: 32, depth: 9, L: 1, V: 64 }, config: { target: 'generic', lanes: 8 }, tokens: 8 },
  ];
  for (const c of cases) {
    it(`runs a random FFF model bit-exact in the predicted cycles: ${c.what}`, async () => {
      const { d, depth, L, V, lb } = c.shape;
      const weights = randomModel({ hiddenSize: d, intermediateSize: fffNodeCount(depth), numLayers: L, vocabSize: V, channelMixer: 'fff', fffDepth: depth, ...(lb === false ? { useLowerBound: false } : {}) }, 5);
      const r = await simulateAccel({ weights, config: c.config, prompt: [1, V - 1, 2], tokens: c.tokens });
      expect(r.mismatches).toEqual([]);
      expect(r.bitExact).toBe(true);
      expect(r.tokens).toEqual(r.goldenTokens);
      expect(new Set(r.stepCycles)).toEqual(new Set([predictCycles(r.program).total]));
    }, 10 * MINUTES);
  }
});
