// The simulated ECPIX-5 (the board logic on LiteDRAM's controller and SDRAM model, in Verilator) through
// the host's own code, at the sizes make test leaves out:
//   - the tiny model's image uploaded over the simulated UART (LOAD into DRAM through the load writer);
//   - the small model (models/small), its image preloaded into the DRAM model and checked by VERIFY;
// both generating the fixed engine's tokens. The 370M shape is ecpix5-370m.long.test.ts (its own file,
// so that the long run's two workers share the hour). Each model is its own Verilator build (minutes).
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { openModel } from '../../model/open.ts';
import { FixedModel } from '../../model/fixed/fixed-model.ts';
import { greedy } from '../../model/engine.ts';
import { generateOnSimEcpix5 } from './ecpix5-sim-test-support.ts';

const MINUTES = 60_000;

describe('the simulated ECPIX-5 at full size', () => {
  it('takes the tiny model\'s image over the UART into DRAM and generates the fixed engine\'s tokens', async () => {
    const tiny = openModel(undefined);
    const r = await generateOnSimEcpix5(tiny.weights, { preload: false, prompt: [82, 79, 77, 69], tokens: 6 });
    expect(r.uploaded).toBe(true);
    expect(r.tokens).toEqual(greedy(FixedModel.fromSource(tiny.weights), [82, 79, 77, 69], 6));
  }, 60 * MINUTES);

  it('generates the small model\'s tokens from an image in DRAM', async () => {
    const small = openModel(path.join(import.meta.dirname, '..', '..', 'models', 'small'));
    const r = await generateOnSimEcpix5(small.weights, { preload: true, prompt: [82, 79], tokens: 4 });
    expect(r.uploaded).toBe(false);
    expect(r.tokens).toEqual(greedy(FixedModel.fromSource(small.weights), [82, 79], 4));
    console.log(`ECPIX-5 simulated, models/small: ${r.steps.slice(-3).join(', ')} cycles per token step`);
  }, 60 * MINUTES);
});
