// The simulated ECPIX-5 (the board logic on LiteDRAM's controller and SDRAM model, in Verilator) through
// the host's own code, at the sizes make test leaves out:
//   - the tiny model's image uploaded over the simulated UART (LOAD into DRAM through the load writer);
//   - the small model (models/small) and a random 370M-shape checkpoint, their images preloaded into the
//     DRAM model and checked by VERIFY, generating the fixed engine's tokens; for 370M the board's own
//     cycles per token must make at least 90% of the DDR3 roofline at 1.6 bits (600 MB/s at 75 MHz).
// Each model is its own Verilator build (minutes); the 370M run simulates some 30 M cycles.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WeightSource } from '../../model/config.ts';
import { openModel } from '../../model/open.ts';
import { FixedModel } from '../../model/fixed/fixed-model.ts';
import { greedy } from '../../model/engine.ts';
import { parseShape, writeRandomCheckpoint } from '../../model/checkpoint/random.ts';
import { modelHash } from '../../protocol/model-hash.ts';
import { openTcp } from '../../host/transport-tcp.ts';
import { Link } from '../../host/link.ts';
import { Board } from '../../host/board.ts';
import { generateOnBoard } from '../../host/session.ts';
import { externalImage } from '../../accel/external/stream-image.ts';
import { ecpix5Program } from './build.ts';
import { ecpix5Image } from './ecpix5-logic.ts';
import { startEcpix5SimBoard } from './ecpix5-sim.ts';
import { ECPIX5 } from './ecpix5.ts';

const MINUTES = 60_000;

/** Start the simulated board for `weights`, generate through the host, and stop it. */
async function onBoard(weights: WeightSource, o: { preload: boolean; prompt: number[]; tokens: number }) {
  const prog = ecpix5Program(weights);
  const image = ecpix5Image(prog);
  const sim = await startEcpix5SimBoard(prog, { preload: o.preload });
  try {
    const t = await openTcp('127.0.0.1', sim.port);
    try {
      const link = new Link(t, { timeoutMs: 600_000, attempts: 2 });
      const r = await generateOnBoard(new Board(link), { image, modelHash: modelHash(image) }, { prompt: o.prompt, tokens: o.tokens });
      return { ...r, steps: [...sim.stepCycles], img: externalImage(prog) };
    } finally {
      await t.close();
    }
  } finally {
    await sim.close();
  }
}

describe('the simulated ECPIX-5 at full size', () => {
  it('takes the tiny model\'s image over the UART into DRAM and generates the fixed engine\'s tokens', async () => {
    const tiny = openModel(undefined);
    const r = await onBoard(tiny.weights, { preload: false, prompt: [82, 79, 77, 69], tokens: 6 });
    expect(r.uploaded).toBe(true);
    expect(r.tokens).toEqual(greedy(FixedModel.fromSource(tiny.weights), [82, 79, 77, 69], 6));
  }, 60 * MINUTES);

  it('generates the small model\'s tokens from an image in DRAM', async () => {
    const small = openModel(path.join(import.meta.dirname, '..', '..', 'models', 'small'));
    const r = await onBoard(small.weights, { preload: true, prompt: [82, 79], tokens: 4 });
    expect(r.uploaded).toBe(false);
    expect(r.tokens).toEqual(greedy(FixedModel.fromSource(small.weights), [82, 79], 4));
    console.log(`ECPIX-5 simulated, models/small: ${r.steps.slice(-3).join(', ')} cycles per token step`);
  }, 60 * MINUTES);

  it('generates a 370M-shape checkpoint\'s tokens through LiteDRAM at >= 90% of the DDR3 roofline at 1.6 bits', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmf-ecpix5-370m-'));
    try {
      await writeRandomCheckpoint(parseShape('370m'), 1, dir);
      const m = openModel(dir);
      // One generated token: the argmax after the prompt's second step (each step costs 9.3 M cycles).
      const r = await onBoard(m.weights, { preload: true, prompt: [1, 2], tokens: 1 });
      expect(r.uploaded).toBe(false);
      expect(r.tokens).toEqual(greedy(FixedModel.fromSource(m.weights), [1, 2], 1));
      // The board's own count of the last step (a whole token's work), at its 75 MHz, against 600 MB/s
      // (the DDR3's x16 bus at 2 x 300 MT/s) over the bytes a token needs at 1.6 bits.
      const cycles = r.steps.at(-1)!;
      const clockHz = ECPIX5.sysClockMHz * 1e6;
      const tokensPerSecond = clockHz / cycles;
      const roofline = (8 * clockHz) / r.img.modelBytesPerToken;
      console.log(`ECPIX-5 simulated, 370M: ${cycles} cycles per token, ${tokensPerSecond.toFixed(3)} tokens/s at 75 MHz, roofline ${roofline.toFixed(3)}: ${((100 * tokensPerSecond) / roofline).toFixed(1)}%`);
      expect(tokensPerSecond / roofline).toBeGreaterThanOrEqual(0.9);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120 * MINUTES);
});
