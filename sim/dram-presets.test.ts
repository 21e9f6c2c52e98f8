import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runModel, verilatorVersion } from '../flow/verilator.ts';
import { readDramStats } from '../flow/dram.ts';
import { buildReader, readScript } from '../flow/dram-test-reader.ts';
import { DRAM_PRESET_NAMES, DRAM_PRESETS, dramSetup, expectedSequentialEfficiency } from './dram-presets.ts';

const T = 300_000;

let haveVerilator = true;
try {
  verilatorVersion();
} catch {
  haveVerilator = false;
}

describe('DRAM presets', () => {
  it('turn bandwidth and nanoseconds into cycles at the stated clock', () => {
    const ddr3 = dramSetup('ddr3-x16', 64);
    expect(ddr3.memoryBytesPerCycle).toBeCloseTo(8, 12);
    expect(ddr3.timing.bytesPerCycle).toBeCloseTo(8, 12);
    // As one LiteDRAM port sees the part (measured, docs/ecp5.md): 40 ns is 3 cycles of 13.3 ns, 3 + 3;
    // 286.7 ns is 21.5 cycles, 22; one bank; 93.0% of the peak on a long stream (measured 93.09%).
    expect(ddr3.timing.missPenalty).toBe(6);
    expect(ddr3.timing.refreshInterval).toBe(585);
    expect(ddr3.timing.refreshCycles).toBe(22);
    expect(ddr3.timing.banks).toBe(1);
    expect(ddr3.timing.latency).toBe(16);
    expect(Math.abs(expectedSequentialEfficiency(ddr3.timing, 128) - 0.9309)).toBeLessThan(0.002);
    const ddr4 = dramSetup('ddr4-x64', 512);
    expect(ddr4.memoryBytesPerCycle).toBeCloseTo(64, 12);
    expect(ddr4.timing.refreshInterval).toBe(2340);
    expect(ddr4.timing.refreshCycles).toBe(105);
    const hbm = dramSetup('hbm-pc', 512);
    expect(hbm.memoryBytesPerCycle).toBeCloseTo(48, 12);
    expect(hbm.timing.bytesPerCycle).toBeCloseTo(48, 12);
    // The port limits: a 64-bit port takes 8 bytes a cycle whatever the memory could give.
    expect(dramSetup('hbm-pc', 64).timing.bytesPerCycle).toBe(8);
    expect(dramSetup('ideal', 256).timing.bytesPerCycle).toBe(32);
  });

  it('take overrides and a clock of their own', () => {
    const s = dramSetup('ddr4-x64', 512, { bytesPerCycle: 10, latency: 50, backPressure: 0.1, seed: 9 });
    expect(s.timing).toMatchObject({ bytesPerCycle: 10, latency: 50, backPressure: 0.1, seed: 9 });
    const slow = dramSetup('ddr4-x64', 512, { clockMHz: 150 });
    expect(slow.memoryBytesPerCycle).toBeCloseTo(128, 12);
    expect(slow.timing.bytesPerCycle).toBe(64);
    expect(slow.timing.refreshInterval).toBe(1170);
    expect(slow.timing.latency).toBe(Math.round((DRAM_PRESETS['ddr4-x64'].latencyCycles * 150) / 300));
    // Rows stay whole port words at widths that do not divide them.
    expect(dramSetup('ddr3-x16', 96).timing.rowBytes).toBe(2040);
  });

  it('refuse what they cannot mean, in one line', () => {
    expect(() => dramSetup('ddr5', 64)).toThrow("unknown DRAM preset 'ddr5' (ideal, ddr3-x16, ddr4-x64, hbm-pc)");
    expect(() => dramSetup('ideal', 60)).toThrow(/whole number of bytes/);
    expect(() => dramSetup('hbm-pc', 64, { latency: 0 })).toThrow(/latency/);
    expect(() => dramSetup('hbm-pc', 64, { bytesPerCycle: -1 })).toThrow(/bytesPerCycle/);
    expect(() => dramSetup('hbm-pc', 64, { clockMHz: 0 })).toThrow(/clockMHz/);
  });
});

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dram-presets-test-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!haveVerilator)('DRAM presets in the harness', () => {
  it(
    'sustain on a long sequential stream what refresh and misses leave of the peak',
    async () => {
      const rows: string[] = [];
      for (const width of [64, 512]) {
        const model = await buildReader(width, tmp);
        for (const name of DRAM_PRESET_NAMES) {
          const { timing } = dramSetup(name, width);
          const count = 100_000;
          const r = await runModel(model, readScript(model, timing, undefined, { count }), { timeoutMs: T });
          const span = Number(r.samples.get('last_data')![0]! - r.samples.get('first_cmd')![0]!) + 1;
          const stats = readDramStats(r.samples, 'dram');
          // Delivered bytes a cycle over the port-limited peak, the first word's latency left out.
          const measured = (count * (width / 8)) / (span - timing.latency) / timing.bytesPerCycle;
          const expected = expectedSequentialEfficiency(timing, width);
          rows.push(
            `${name.padEnd(9)} ${String(width).padStart(3)}-bit  ${timing.bytesPerCycle.toFixed(2).padStart(6)} B/cycle  ` +
              `measured ${(measured * 100).toFixed(2)}%  expected ${(expected * 100).toFixed(2)}%  ` +
              `misses ${stats.rowMisses}  refreshes ${stats.refreshes}  refresh stall ${stats.refreshStallCycles}`,
          );
          expect(stats.beats).toBe(count);
          expect(Math.abs(measured - expected), rows[rows.length - 1]).toBeLessThan(0.01);
        }
      }
      console.log(['sequential efficiency of each preset (100,000 words):', ...rows].join('\n'));
    },
    T,
  );

  it(
    'count a miss for nearly every random read, and run it slower than a sequential stream',
    async () => {
      const model = await buildReader(64, tmp);
      const { timing } = dramSetup('ddr3-x16', 64);
      const count = 20_000;
      const seq = await runModel(model, readScript(model, timing, undefined, { count }), { timeoutMs: T });
      const rnd = await runModel(model, readScript(model, timing, undefined, { count, random: { seed: 99, mask: (1 << 24) - 1 } }), { timeoutMs: T });
      const span = (r: typeof seq): number => Number(r.samples.get('last_data')![0]! - r.samples.get('first_cmd')![0]!);
      expect(readDramStats(rnd.samples, 'dram').rowMisses).toBeGreaterThan(count * 0.95);
      expect(span(rnd)).toBeGreaterThan(span(seq));
    },
    T,
  );
});
