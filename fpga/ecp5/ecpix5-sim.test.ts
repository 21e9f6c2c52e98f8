// The simulated ECPIX-5, through the host's own code: the board logic on LiteDRAM's controller (its SDRAM
// model in place of the PHY) in Verilator generates exactly the fixed engine's tokens, the image uploaded
// found in DRAM (preloaded) and checked by VERIFY instead of uploaded. The upload over the simulated UART
// (4 M cycles for the tiny model) and the small model are in ecpix5-sim.long.test.ts, the 370M shape in
// ecpix5-370m.long.test.ts.
// It makes .venv-ecp5 when missing (LiteDRAM comes from PyPI) and builds one Verilator model of the
// board (about two minutes on two cores).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveVerilator } from '../../flow/verilator-test-support.ts';
import { openModel } from '../../model/open.ts';
import { FixedModel } from '../../model/fixed/fixed-model.ts';
import { greedy } from '../../model/engine.ts';
import { modelHash } from '../../protocol/model-hash.ts';
import { openTcp } from '../../host/transport-tcp.ts';
import { Link } from '../../host/link.ts';
import { Board } from '../../host/board.ts';
import { generateOnBoard } from '../../host/session.ts';
import { externalImage } from '../../accel/external/stream-image.ts';
import type { SimBoard } from '../../sim/board-sim.ts';
import { ecpix5Program } from './build.ts';
import { ecpix5Image } from './ecpix5-logic.ts';
import { simRowsFor, startEcpix5SimBoard, verilogModulePorts } from './ecpix5-sim.ts';


const tiny = openModel(undefined);
const prog = ecpix5Program(tiny.weights);
const image = ecpix5Image(prog);
const PROMPT = [82, 79, 77, 69];
const TOKENS = 6;

async function generate(sim: SimBoard) {
  const t = await openTcp('127.0.0.1', sim.port);
  const log: string[] = [];
  try {
    const r = await generateOnBoard(new Board(new Link(t, { timeoutMs: 120_000, attempts: 3 })), { image, modelHash: modelHash(image) }, { prompt: PROMPT, tokens: TOKENS, log: (s) => log.push(s) });
    return { ...r, log };
  } finally {
    await t.close();
  }
}

describe('the simulated ECPIX-5 sizes and reads what it builds on', () => {
  it('gives the DRAM model rows for the image, a power of two from 2,048 (the row address needs an A10)', () => {
    expect(simRowsFor(1)).toBe(2048);
    expect(simRowsFor(image.length)).toBe(2048);
    // 370M at 5 trits is about 37 M words (74 MB): 4,096 rows hold 64 MB, 8,192 hold 128 MB
    expect(simRowsFor(37_000_000)).toBe(8192);
    expect(simRowsFor(2048 * 8 * 1024 - 4096 * 8)).toBe(2048);
    expect(simRowsFor(2048 * 8 * 1024 - 4096 * 8 + 1)).toBe(4096);
  });

  it('reads a generated module\'s ports from its header, and says when there are none', () => {
    const v = 'module litedram_core (\n    input  wire          clk,\n    output wire  [127:0] user_port_accel_rdata_data,\n    input  wire   [20:0] user_port_host_cmd_addr\n);\nendmodule\n';
    expect(verilogModulePorts(v, 'litedram_core')).toEqual([['clk', 'input', 1], ['user_port_accel_rdata_data', 'output', 128], ['user_port_host_cmd_addr', 'input', 21]]);
    expect(() => verilogModulePorts(v, 'other')).toThrow(/no module other/);
    expect(() => verilogModulePorts('module litedram_core ();', 'litedram_core')).toThrow(/no ports/);
  });
});

describe.skipIf(!haveVerilator)('the simulated ECPIX-5 (LiteDRAM in Verilator) and the host', { timeout: 1_800_000 }, () => {
  const expected = greedy(FixedModel.fromSource(tiny.weights), PROMPT, TOKENS);
  const boards: SimBoard[] = [];
  beforeAll(async () => {
    // Built once (the Verilator model is cached); each test starts its own board from it.
    boards.push(await startEcpix5SimBoard(prog, { preload: true }));
  }, 1_800_000);
  afterAll(async () => {
    for (const b of boards) await b.close();
  });

  it('finds the image already in DRAM (preloaded), has the board VERIFY it instead of uploading, and generates the same tokens', async () => {
    const sim = boards[0]!;
    const r = await generate(sim);
    expect(r.uploaded).toBe(false);
    expect(r.log.join('\n')).toMatch(/VERIFY/);
    expect(r.tokens).toEqual(expected);
    // The RESET's CLEAR routine, then one step per prompt token and per generated token but the last
    // (which no step follows); each token step reads all the words a token needs through the 128-bit
    // port, one at most a cycle.
    const img = externalImage(prog);
    expect(sim.stepCycles.length).toBe(1 + PROMPT.length + TOKENS - 1);
    for (const c of sim.stepCycles.slice(1)) expect(c).toBeGreaterThan(img.wordsPerToken);
    expect(sim.stepCycles[0]).toBeLessThan(img.wordsPerToken);
  });
});
