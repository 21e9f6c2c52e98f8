// Synthesis changes no result: the netlist yosys synth_ice40 -dsp -spram makes of the accelerator the
// iCEBreaker carries for it (16 lanes), simulated with yosys's iCE40 cell models, generates the tiny model's
// tokens with every layer's input and state and the logits equal to the golden engine's, bit for bit.
import { describe, expect, it } from 'vitest';
import { openModel } from '../model/open.ts';
import { BOARDS, boardAccel } from '../board/boards.ts';
import { simulateAccel } from './accel-sim.ts';

describe('gate-level co-simulation', () => {
  it('the synthesised netlist of the iCEBreaker accelerator is bit-exact with the golden engine for a few tokens', { timeout: 900_000 }, async () => {
    const m = openModel(undefined);
    const r = await simulateAccel({ weights: m.weights, config: boardAccel(BOARDS.icebreaker, m.weights.config), prompt: m.tokenizer.encode('RO'), tokens: 2, gates: true });
    expect(r.mismatches).toEqual([]);
    expect(r.bitExact).toBe(true);
    expect(r.tokens).toEqual(r.goldenTokens);
    expect(r.compared).toBeGreaterThan(2000);
  });
});
