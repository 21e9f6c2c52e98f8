// A released model's shape on the external target: a random 370M-shape checkpoint (d 1024, 24 layers,
// I 2816, vocab 32,000; mmf random), its DRAM image mapped into the harness's DRAM model, two generated
// tokens, every layer input and state and every argmax bit for bit, and the cycles within 1.10 of the
// memory roofline: an ECP5 board's DDR3 behind a 64-bit port at 2 bits (32 lanes) and at 1.6 bits (64
// lanes, 40 weights a word), and a DDR4 channel behind a 512-bit port (256 lanes). Tens of minutes on
// two cores: make test-long runs it.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simulateAccel } from './accel-sim.ts';
import { dramSetup } from './dram-presets.ts';
import { parseShape, writeRandomCheckpoint } from '../model/checkpoint/random.ts';
import { openModel } from '../model/open.ts';
import { portBits, type AccelConfig } from '../accel/config.ts';

const MINUTES = 60_000;

describe('the external target at the 370M shape', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmf-370m-'));
  let made: Promise<unknown> | undefined; // written once, by the first test that needs it
  const checkpoint = () => (made ??= writeRandomCheckpoint(parseShape('370m'), 1, dir));
  const runs: { what: string; config: AccelConfig; dram: string }[] = [
    { what: 'DDR3 at 32 lanes, 2 bits', config: { target: 'external', lanes: 32 }, dram: 'ddr3-x16' },
    { what: 'DDR3 at 64 lanes, 5 trits (a 64-bit port)', config: { target: 'external', lanes: 64, packing: '5trit' }, dram: 'ddr3-x16' },
    { what: 'DDR4 at 256 lanes, 2 bits (a 512-bit port)', config: { target: 'external', lanes: 256 }, dram: 'ddr4-x64' },
  ];
  for (const run of runs) {
    it(`runs two tokens bit-exact through ${run.what} within 1.10 of the roofline`, async () => {
      await checkpoint();
      const m = openModel(dir);
      const r = await simulateAccel({ weights: m.weights, config: run.config, prompt: [1, 2], tokens: 2, dram: dramSetup(run.dram, portBits(run.config)) });
      expect(r.mismatches).toEqual([]);
      expect(r.bitExact).toBe(true);
      expect(r.tokens).toEqual(r.goldenTokens);
      // (L + 1) layer inputs and L states of d per step, and the argmax; logits are not kept at V = 32,000
      expect(r.compared).toBe(3 * (25 * 1024 + 24 * 1024 + 1));
      // the figures the docs quote, in make test-long's log
      console.log(`370M ${run.what}: ${Math.round(r.cyclesPerToken)} cycles/token, bound ${Math.round(r.boundCycles)}, ratio ${(r.cyclesPerToken / r.boundCycles).toFixed(4)}, ${Math.round(r.cyclesPerSecond)} simulated cycles/s`);
      expect(r.cyclesPerToken / r.boundCycles).toBeLessThan(1.1);
    }, 40 * MINUTES);
  }
  it('cleans up', () => fs.rmSync(dir, { recursive: true, force: true }));
});
