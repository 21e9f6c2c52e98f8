// A released model's shape on the external target: a random 370M-shape checkpoint (d 1024, 24 layers,
// I 2816, vocab 32,000; mmf random), its 86 MB image mapped into the harness's DRAM model as an ECP5
// board's DDR3, two generated tokens, every layer input and state and every argmax bit for bit, and
// the cycles within 1.10 of the memory roofline. Minutes on two cores: make test-long runs it.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simulateAccel } from './accel-sim.ts';
import { dramSetup } from './dram-presets.ts';
import { parseShape, writeRandomCheckpoint } from '../model/checkpoint/random.ts';
import { openModel } from '../model/open.ts';

const MINUTES = 60_000;

describe('the external target at the 370M shape', () => {
  it('runs two tokens bit-exact through DDR3 at 32 lanes within 1.10 of the roofline', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmf-370m-'));
    try {
      await writeRandomCheckpoint(parseShape('370m'), 1, dir);
      const m = openModel(dir);
      const r = await simulateAccel({ weights: m.weights, config: { target: 'external', lanes: 32 }, prompt: [1, 2], tokens: 2, dram: dramSetup('ddr3-x16', 64) });
      expect(r.mismatches).toEqual([]);
      expect(r.bitExact).toBe(true);
      expect(r.tokens).toEqual(r.goldenTokens);
      // (L + 1) layer inputs and L states of d per step, and the argmax; logits are not kept at V = 32,000
      expect(r.compared).toBe(3 * (25 * 1024 + 24 * 1024 + 1));
      expect(r.cyclesPerToken / r.boundCycles).toBeLessThan(1.1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 30 * MINUTES);
});
