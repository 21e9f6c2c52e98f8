// The long ECPIX-5 simulations' one step: start the simulated board for a model, generate through the
// host's own code (VERIFY, upload when the DRAM does not hold the image, GENERATE), stop the board.
import type { WeightSource } from '../../model/config.ts';
import { modelHash } from '../../protocol/model-hash.ts';
import { openTcp } from '../../host/transport-tcp.ts';
import { Link } from '../../host/link.ts';
import { Board } from '../../host/board.ts';
import { generateOnBoard } from '../../host/session.ts';
import { externalImage } from '../../accel/external/stream-image.ts';
import { ecpix5Program } from './build.ts';
import { ecpix5Image } from './ecpix5-logic.ts';
import { startEcpix5SimBoard } from './ecpix5-sim.ts';

/** Start the simulated board for `weights`, generate through the host, and stop it; with the board's step cycles. */
export async function generateOnSimEcpix5(weights: WeightSource, o: { preload: boolean; prompt: number[]; tokens: number }) {
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
