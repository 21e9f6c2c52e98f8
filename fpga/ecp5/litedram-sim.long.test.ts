// The ECPIX-5's DRAM controller in Verilator: LiteDRAM generated for the board (fpga/ecp5/litedram.ts),
// its PHY replaced by LiteDRAM's SDRAM model with the board PHY's settings, driven by fpga/ecp5/dram-bench.ts
// (patterns written through the host's port and read back through the accelerator's, at full rate).
// Long: it makes .venv-ecp5 when missing and builds two Verilator models of the core (about a minute each).
import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { runModel, verilatorVersion } from '../../flow/verilator.ts';
import { dramSetup, expectedSequentialEfficiency } from '../../sim/dram-presets.ts';
import { benchResult, benchScript, buildBench, type BenchJob } from './dram-bench.ts';
import { ECPIX5 } from './ecpix5.ts';
import { generateLitedram } from './litedram.ts';
import { REPO_ROOT } from './venv.ts';

let haveVerilator = true;
try {
  verilatorVersion();
} catch {
  haveVerilator = false;
}
const SIM_ROWS = 2048; // 32 MB of the part's 512 MB: same row size, banks and timings
const T = 15 * 60_000;

async function bench(portBits: number) {
  const core = await generateLitedram(ECPIX5, path.join(REPO_ROOT, 'build-out', 'ecpix5', `litedram-sim-${portBits}`), {
    sim: true,
    simRows: SIM_ROWS,
    portBits,
  });
  return { core, model: await buildBench(core) };
}

describe.skipIf(!haveVerilator)('LiteDRAM for the ECPIX-5 in simulation', () => {
  it(
    'reads back through the accelerator port what the host port wrote, at most addresses, sizes and seeds, at the measured rate',
    async () => {
      const { core, model } = await bench(128);
      expect(core.portAddressBits).toBe(21); // 32 MB in 16-byte words
      const top = 2 ** core.portAddressBits;
      const jobs: BenchJob[] = [
        { base: 0, count: 20_000, wseed: 1 },
        { base: 40_961, count: 3001, wseed: 0x1234567 },
        { base: top - 2500, count: 2500, wseed: 0xdeadbeef },
        { base: 0, count: 20_000, wseed: 1, skipWrite: true }, // what the first job left is still there
        { base: 0, count: 777, wseed: 1, rseed: 2, skipWrite: true }, // and the check sees a wrong pattern
        { base: 1, count: 700, wseed: 5 }, // overlapping the first job's words, which it replaces
        { base: 0, count: 1, wseed: 1, skipWrite: true },
        { base: 0, count: 20_000, wseed: 1, skipWrite: true }, // words 1..700 now differ, the rest do not
      ];
      const r = await runModel(model, benchScript(model, jobs), { timeoutMs: T });
      const res = jobs.map((_, k) => benchResult(r.samples, k));
      jobs.forEach((j, k) => expect(res[k]!.received, `job ${k}`).toBe(j.count));
      for (const k of [0, 1, 2, 3, 5, 6]) expect(res[k]!.errors, `job ${k}: first error at word ${res[k]!.firstError}`).toBe(0);
      expect(res[4]!.errors).toBe(777);
      expect(res[4]!.firstError).toBe(0);
      expect(res[7]!.errors).toBe(700);
      expect(res[7]!.firstError).toBe(1);

      // Bandwidth of the long stream: bytes a cycle from the first word to the last, against the PHY's 8.
      const long = res[3]!;
      const bytesPerCycle = (16 * 20_000) / long.readStreamCycles;
      const efficiency = bytesPerCycle / 8;
      const preset = expectedSequentialEfficiency(dramSetup('ddr3-x16', 128).timing, 128);
      console.log(
        `LiteDRAM ECPIX-5, 128-bit port: read ${bytesPerCycle.toFixed(3)} B/cycle (${(100 * efficiency).toFixed(2)}% of 8; ` +
          `ddr3-x16 preset expects ${(100 * preset).toFixed(2)}%), write ${((16 * 20_000) / res[0]!.writeCycles).toFixed(3)} B/cycle, ` +
          `first read ${res[0]!.firstReadLatency} cycles after writes, ${res[6]!.firstReadLatency} alone; ` +
          `at most ${long.maxOutstanding} reads in flight`,
      );
      // The controller cannot beat its PHY (one BL8 burst every two cycles); with the part's own tRFC
      // (litedram_gen_ecp5.py) it loses refresh and one activate per bank change, which the preset models.
      expect(bytesPerCycle).toBeLessThanOrEqual(8);
      expect(Math.abs(efficiency - preset)).toBeLessThan(0.005);
      expect(res[6]!.firstReadLatency).toBeGreaterThanOrEqual(13); // the PHY's own read latency
      expect(res[6]!.firstReadLatency).toBeLessThan(40);
    },
    T,
  );

  it(
    'through a 64-bit port, LiteDRAM\'s width converter keeps one command in flight: right data, a tenth of the rate',
    async () => {
      const { core, model } = await bench(64);
      expect(core.portAddressBits).toBe(22);
      // Whole 128-bit words only: the converter holds a half-written word until the next command.
      const jobs: BenchJob[] = [{ base: 0, count: 2000, wseed: 3 }, { base: 1000, count: 600, wseed: 3, skipWrite: true }];
      const r = await runModel(model, benchScript(model, jobs), { timeoutMs: T });
      const a = benchResult(r.samples, 0);
      expect(a.received).toBe(2000);
      expect(a.errors).toBe(0);
      const b = benchResult(r.samples, 1);
      expect(b.errors).toBe(600); // words 1000.. were written with pattern indices 1000.., read as 0..
      const bytesPerCycle = (8 * 2000) / a.readStreamCycles;
      console.log(`LiteDRAM ECPIX-5, 64-bit port: read ${bytesPerCycle.toFixed(3)} B/cycle, at most ${a.maxOutstanding} in flight`);
      expect(a.maxOutstanding).toBeLessThanOrEqual(2);
      expect(bytesPerCycle).toBeLessThan(2);
    },
    T,
  );
});
