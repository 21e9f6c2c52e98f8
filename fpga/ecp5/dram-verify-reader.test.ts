// VERIFY's DRAM read-back in Verilator against the harness's behavioural native port (flow/dram-model.h):
// images whose last 128-bit word is full or partial (with junk after the image that must not count), at
// port word bases 0 and past 0, under latencies, queue depths and random back-pressure on commands and
// data; the CRC at `done` must be the host's imageCrc of the image, again on a second start, and another
// when one word in DRAM differs.
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { elaborate } from '../../hdl/ir/elaborate.ts';
import { writeVerilog } from '../../hdl/verilog/emit.ts';
import { buildVerilatorModel, runModel, StimulusScript, type PortSpec } from '../../flow/verilator.ts';
import { lintVerilator } from '../../flow/verilator-lint.ts';
import { lintYosys } from '../../flow/yosys.ts';
import type { DramConfig } from '../../flow/dram.ts';
import { seededRandom } from '../../util/prng.ts';
import { imageCrc } from '../../host/board.ts';
import { dramVerifyReader } from './dram-verify-reader.ts';
import { haveVerilator, testTempDir } from '../../flow/verilator-test-support.ts';

const tmp = testTempDir('verify-reader-test-');

const W = 128;
const AW = 14;

async function model(words: number, base: number) {
  const mod = dramVerifyReader({ imageWords: words, addressBits: AW, baseWord: base, portBits: W });
  const dir = fs.mkdtempSync(path.join(tmp(), 'vr-'));
  const files = writeVerilog(elaborate(mod), dir);
  expect(lintVerilator(files, mod.name).messages).toEqual([]);
  expect(await lintYosys({ top: mod.name, sources: files })).toEqual([]);
  const p = (name: string, width: number, dir: 'input' | 'output'): PortSpec => ({ name, width, dir });
  const ports = [
    p('clk', 1, 'input'), p('rst', 1, 'input'), p('start', 1, 'input'), p('cmd_ready', 1, 'input'), p('rdata_valid', 1, 'input'),
    p('rdata_data', W, 'input'), p('cmd_valid', 1, 'output'), p('cmd_addr', AW, 'output'), p('rdata_ready', 1, 'output'),
    p('crc', 16, 'output'), p('done', 1, 'output'), p('busy', 1, 'output'),
  ];
  return buildVerilatorModel({ top: mod.name, sources: files, ports, cacheDir: path.join(tmp(), 'cache') });
}

const PORTS = { cmdValid: 'cmd_valid', cmdReady: 'cmd_ready', cmdAddr: 'cmd_addr', rdataValid: 'rdata_valid', rdataReady: 'rdata_ready', rdataData: 'rdata_data' };
const timing = (latency: number, queueDepth: number, backPressure: number, seed: number): DramConfig => ({
  bytesPerCycle: Infinity, latency, rowBytes: 2048, banks: 8, missPenalty: 6, refreshInterval: 600, refreshCycles: 40, queueDepth, backPressure, seed, ports: PORTS,
});

/** The DRAM's bytes from port word `base`: the image (16-bit words, little endian), then junk to the end of its last port word and beyond. */
function dramBytes(image: Uint16Array, rnd: () => number): Uint8Array {
  const bytes = new Uint8Array(Math.ceil((2 * image.length) / 16) * 16 + 32).map(() => Math.floor(rnd() * 256));
  image.forEach((w, i) => {
    bytes[2 * i] = w & 0xff;
    bytes[2 * i + 1] = w >>> 8;
  });
  return bytes;
}

async function readBack(words: number, base: number, memory: Uint8Array, cfgs: DramConfig[]): Promise<bigint[][]> {
  const m = await model(words, base);
  const file = path.join(tmp(), `mem-${words}-${base}-${Math.random().toString(36).slice(2)}.bin`);
  const out: bigint[][] = [];
  for (const cfg of cfgs) {
    fs.writeFileSync(file, memory);
    const s = new StimulusScript(m.ports).dram(cfg).dramImage(file, 16 * base).set('rst', 1).set('start', 0).tick(2).set('rst', 0).tick(2);
    s.monitor('done', 'done', 'crc');
    const budget = 40 * Math.ceil(words / 8) + 2000;
    for (let run = 0; run < 2; run++) s.set('start', 1).tick(1).set('start', 0).waitFor('done', budget).tick(3);
    // A start while it runs is ignored: one more run, its start held high for two cycles.
    s.set('start', 1).tick(2).set('start', 0).waitFor('done', budget).tick(budget);
    const r = await runModel(m, s, { timeoutMs: 120_000 });
    out.push(r.monitors.get('done') ?? []);
  }
  return out;
}

describe.skipIf(!haveVerilator)('the DRAM verify reader', () => {
  const cases: [number, number][] = [[1, 0], [9, 3], [64, 5], [1003, 4096]];
  for (const [words, base] of cases) {
    it(`${words} image words from port word ${base}: the host's imageCrc under latency, queue depth and back-pressure`, { timeout: 300_000 }, async () => {
      const rnd = seededRandom(words * 31 + base);
      const image = Uint16Array.from({ length: words }, () => Math.floor(rnd() * 65536));
      const want = BigInt(imageCrc(image));
      const cfgs = [timing(1, 64, 0, 1), timing(9, 3, 0.3, 2), timing(20, 32, 0.6, 3), timing(4, 1, 0.2, 4)];
      const got = await readBack(words, base, dramBytes(image, rnd), cfgs);
      for (const [i, dones] of got.entries()) expect(dones, `timing ${i}`).toEqual([want, want, want]);
      // One word different in DRAM: the CRC is that memory's, not the image's.
      const other = Uint16Array.from(image);
      other[words - 1]! ^= 0x0100;
      const bad = await readBack(words, base, dramBytes(other, rnd), [timing(5, 8, 0.3, 5)]);
      expect(bad[0]).toEqual(new Array(3).fill(BigInt(imageCrc(other))));
      expect(imageCrc(other)).not.toBe(imageCrc(image));
    });
  }

  it('refuses an image its port cannot address, and a port that is not a power of two', () => {
    expect(() => dramVerifyReader({ imageWords: 8 * 1024 + 1, addressBits: 10, baseWord: 0, portBits: 128 })).toThrow(/1025 port words from word 0 do not fit 10 address bits/);
    expect(() => dramVerifyReader({ imageWords: 0, addressBits: 10, baseWord: 0, portBits: 128 })).toThrow(/imageWords 0/);
    expect(() => dramVerifyReader({ imageWords: 8, addressBits: 10, baseWord: 0, portBits: 96 })).toThrow(/portBits 96/);
  });
});
