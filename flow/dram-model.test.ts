import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runModel, StimulusScript, type RunResult } from './verilator.ts';
import { VerilatorSession } from './verilator-session.ts';
import { IDEAL_DRAM_TIMING, dramConfigLine, readDramStats, type DramConfig, type DramStats } from './dram.ts';
import { buildReader, imageWord, readerChecksum, readScript, type ReadJob } from './dram-test-reader.ts';
import { seededRandom } from '../util/prng.ts';
import { haveVerilator, testTempDir } from './verilator-test-support.ts';

const T = 300_000;

const tmp = testTempDir('dram-model-test-');

function writeImage(name: string, bytes: number, seed: number): { file: string; data: Uint8Array } {
  const rnd = seededRandom(seed);
  const data = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) data[i] = Math.floor(rnd() * 256);
  const file = path.join(tmp(), name);
  fs.writeFileSync(file, data);
  return { file, data };
}

const n = (r: { samples: Map<string, bigint[]> }, tag: string): bigint => r.samples.get(tag)![0]!;

interface Outcome {
  r: RunResult;
  stats: DramStats;
  /** Cycles from the first command to the last word, both inclusive. */
  span: number;
}

async function read(width: number, dram: DramConfig, image: string | undefined, job: ReadJob): Promise<Outcome> {
  const model = await buildReader(width, tmp());
  const r = await runModel(model, readScript(model, dram, image, job), { timeoutMs: T });
  return { r, stats: readDramStats(r.samples, 'dram'), span: Number(n(r, 'last_data') - n(r, 'first_cmd')) + 1 };
}

const timing = (o: Partial<DramConfig>): DramConfig => ({ ...IDEAL_DRAM_TIMING, ...o });

describe.skipIf(!haveVerilator)('DRAM model in the Verilator harness', () => {
  for (const width of [64, 96, 512]) {
    it(
      `returns the image's words in command order, 0 beyond it, under back-pressure (${width}-bit port)`,
      async () => {
        const words = 700;
        const { file, data } = writeImage(`img${width}.bin`, (words * width) / 8 - 3, width);
        const dram = timing({
          bytesPerCycle: width / 8 / 3,
          latency: 9,
          rowBytes: (width / 8) * 16,
          banks: 4,
          missPenalty: 6,
          refreshInterval: 300,
          refreshCycles: 20,
          queueDepth: 12,
          backPressure: 0.25,
          seed: 42,
        });
        // Addresses up to 1023: about a third fall past the image's 700 words.
        const o = await read(width, dram, file, { count: 2000, random: { seed: 0x1234567, mask: 1023 }, readyThreshold: 64, monitor: true });
        const addrs = o.r.monitors.get('cmd')!;
        const got = o.r.monitors.get('data')!;
        expect(addrs.length).toBe(2000);
        expect(got.length).toBe(2000);
        let beyond = 0;
        let partial = 0;
        for (let i = 0; i < addrs.length; i++) {
          const a = Number(addrs[i]);
          if (a >= words) beyond++;
          if (a === words - 1) partial++;
          expect(got[i], `word ${i} at address ${a}`).toBe(imageWord(data, a, width));
        }
        expect(beyond).toBeGreaterThan(300);
        expect(partial).toBeGreaterThan(0);
        // The model's statistics agree with what the design counted for itself.
        expect(o.stats.commands).toBe(2000);
        expect(o.stats.beats).toBe(2000);
        expect(o.stats.outstanding).toBe(0);
        expect(o.stats.cmdWaitCycles).toBe(Number(n(o.r, 'cmd_wait')));
        expect(o.stats.dataWaitCycles).toBe(Number(n(o.r, 'data_wait')));
        expect(o.stats.cmdWaitCycles).toBeGreaterThan(0);
        expect(o.stats.rowMisses).toBeGreaterThan(1000);
        expect(o.stats.refreshes).toBeGreaterThan(0);
        expect(Number(n(o.r, 'max_outstanding'))).toBeLessThanOrEqual(12);
      },
      T,
    );
  }

  for (const [width, beatsPerCycle] of [
    [64, 1],
    [128, 0.3],
    [512, 0.75],
  ] as const) {
    it(
      `streams sequentially at the peak rate, fractional rates included (${width}-bit, ${beatsPerCycle} words a cycle)`,
      async () => {
        const count = 20_000;
        const { file, data } = writeImage(`seq${width}.bin`, (count * width) / 8, width + 7);
        const latency = 11;
        const o = await read(width, timing({ bytesPerCycle: (width / 8) * beatsPerCycle, latency, queueDepth: 32 }), file, { count, base: 0 });
        expect(n(o.r, 'checksum')).toBe(readerChecksum(Array.from({ length: count }, (_, a) => imageWord(data, a, width)), width));
        // The first word comes `latency` cycles after the first command; then one per 1/rate cycles.
        const expected = latency + Math.ceil((count - 1) / beatsPerCycle - 1e-9);
        expect(Math.abs(o.span - 1 - expected)).toBeLessThanOrEqual(1);
        expect(o.stats.dataWaitCycles).toBe(Number(n(o.r, 'data_wait')));
      },
      T,
    );
  }

  it(
    'keeps the latency: a read to a closed bank waits the miss penalty more, a later read to the open row does not',
    async () => {
      const model = await buildReader(64, tmp());
      for (const latency of [1, 7, 40]) {
        for (const missPenalty of [0, 5]) {
          const dram = timing({ latency, missPenalty, rowBytes: 1024, banks: 2 });
          const session = await VerilatorSession.open(model);
          try {
            const first = await session.run(readScript(model, dram, undefined, { count: 1, base: 3 }));
            // Reset the reader only (the DRAM keeps its open row), idle a while, read the same row.
            const again = new StimulusScript(model.ports)
              .set('rst', 1)
              .tick(50)
              .set('rst', 0)
              .set('base', 5)
              .set('start', 1)
              .tick(1)
              .set('start', 0)
              .waitFor('done', 10_000)
              .get('first_cmd', 'first_cmd')
              .get('last_data', 'last_data');
            const second = await session.run(again);
            expect(Number(n(first, 'last_data') - n(first, 'first_cmd'))).toBe(latency + missPenalty);
            expect(Number(n(second, 'last_data') - n(second, 'first_cmd'))).toBe(latency);
            const stats = await session.dramStats();
            expect(stats.rowMisses).toBe(1);
            expect(stats.beats).toBe(2);
          } finally {
            await session.close();
          }
        }
      }
    },
    T,
  );

  it(
    'reproduces back-pressure from its seed, and another seed gives another run',
    async () => {
      const dram = (seed: number): DramConfig => timing({ latency: 6, queueDepth: 8, backPressure: 0.3, seed });
      const job: ReadJob = { count: 3000, base: 100 };
      const a = await read(64, dram(7), undefined, job);
      const b = await read(64, dram(7), undefined, job);
      const c = await read(64, dram(8), undefined, job);
      expect(b.stats).toEqual(a.stats);
      expect(b.span).toBe(a.span);
      expect(c.span).not.toBe(a.span);
      for (const o of [a, c]) {
        expect(o.stats.cmdWaitCycles).toBe(Number(n(o.r, 'cmd_wait')));
        expect(o.stats.dataWaitCycles).toBe(Number(n(o.r, 'data_wait')));
        // About 30% of cycles hold each channel back: the stream runs well below a word a cycle.
        expect(3000 / o.span).toBeGreaterThan(0.5);
        expect(3000 / o.span).toBeLessThan(0.8);
      }
    },
    T,
  );

  it(
    'limits outstanding commands to the queue depth (Little: depth words per latency + 1 cycles)',
    async () => {
      for (const [queueDepth, latency] of [
        [4, 20],
        [10, 30],
      ] as const) {
        const o = await read(64, timing({ latency, queueDepth }), undefined, { count: 4000 });
        expect(Number(n(o.r, 'max_outstanding'))).toBe(queueDepth);
        expect(4000 / o.span).toBeCloseTo(queueDepth / (latency + 1), 2);
      }
    },
    T,
  );

  it(
    'loses to refresh and exposed row misses what the analytic model says',
    async () => {
      const width = 64;
      const cases: { t: Partial<DramConfig>; expected: number }[] = [
        // Refresh alone: tRFC of every tREFI.
        { t: { refreshInterval: 500, refreshCycles: 40 }, expected: 1 - 40 / 500 },
        // One bank: every 32-word row change waits 8 cycles.
        { t: { rowBytes: 256, banks: 1, missPenalty: 8 }, expected: 32 / 40 },
        // Four banks: the next row opens behind the current one; only the refresh's activate shows.
        { t: { rowBytes: 256, banks: 4, missPenalty: 8, refreshInterval: 1000, refreshCycles: 50 }, expected: 1 - 58 / 1000 },
      ];
      for (const { t, expected } of cases) {
        const count = 50_000;
        const o = await read(width, timing({ latency: 10, queueDepth: 40, ...t }), undefined, { count });
        const efficiency = count / (o.span - 10);
        expect(Math.abs(efficiency - expected), JSON.stringify({ t, efficiency })).toBeLessThan(0.005);
      }
    },
    T,
  );

  it(
    'refuses bad configurations with one line, and inputs it drives',
    async () => {
      const model = await buildReader(64, tmp());
      const ports = model.ports;
      expect(() => new StimulusScript(ports).dram(timing({ ports: { cmdValid: 'nope' } }))).toThrow(/cmdValid port 'nope' is not a port/);
      expect(() => new StimulusScript(ports).dram(timing({ ports: { cmdReady: 'done' } }))).toThrow(/cmdReady port 'done' must be an input/);
      expect(() => new StimulusScript(ports).dram(timing({ ports: { rdataData: 'seed' } }))).not.toThrow();
      expect(() => new StimulusScript(ports).dram(timing({ latency: 0 }))).toThrow(/latency must be an integer/);
      expect(() => new StimulusScript(ports).dram(timing({ backPressure: 1 }))).toThrow(/backPressure/);
      expect(() => new StimulusScript(ports).dram(timing({ refreshInterval: 10, refreshCycles: 10 }))).toThrow(/refreshCycles/);
      expect(() => dramConfigLine(timing({ bytesPerCycle: 0 }))).toThrow(/bytesPerCycle/);

      // Raw protocol lines, so the harness's own checks are what answers.
      const harnessError = (lines: string[]): string => {
        const r = spawnSync(model.binary, [], { input: [...lines, 'Q', ''].join('\n'), encoding: 'utf8' });
        expect(r.status).toBe(2);
        return r.stdout.trim();
      };
      const base = dramConfigLine(timing({}));
      expect(harnessError([base.replace('row_bytes=0', 'row_bytes=12')])).toBe('X D config: row_bytes 12 is not a whole number of 8-byte words');
      expect(harnessError([base.replace('cmd_addr=dram_cmd_addr', 'cmd_addr=dram_rdata_data')])).toBe(
        "X D config: cmd_addr port 'dram_rdata_data' must be an output",
      );
      expect(harnessError([base + ' colour=red'])).toBe("X D config: unknown key 'colour'");
      expect(harnessError([base, 'D image 0 /nonexistent/weights.bin'])).toMatch(/^X D image: cannot open \/nonexistent\/weights.bin: /);
      expect(harnessError(['D stats x'])).toBe('X D stats before D config');
      expect(harnessError([base, 'S dram_cmd_ready 1'])).toBe("X port 'dram_cmd_ready' is driven by the DRAM model");
    },
    T,
  );
});
