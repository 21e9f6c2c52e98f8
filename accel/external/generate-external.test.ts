// gen-rtl for the external target: lint-clean Verilog (verilator -Wall, yosys check), byte-identical
// from run to run, and a DRAM image and manifest that describe the same stream.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateAccel } from '../generate.ts';
import { lintVerilator } from '../../flow/verilator-lint.ts';
import { lintYosys } from '../../flow/yosys.ts';
import { randomModel } from '../../sim/random-model.ts';
import { externalImage } from './stream-image.ts';
import { portBits } from '../config.ts';

describe('gen-rtl --target external', () => {
  for (const [lanes, packing] of [[8, '2bit'], [64, '2bit'], [64, '5trit']] as const) {
    const weights = randomModel({ hiddenSize: 48, intermediateSize: 104, numLayers: 2, vocabSize: 70 }, 9);
    const dirs = [0, 1].map(() => fs.mkdtempSync(path.join(os.tmpdir(), 'accel-ext-')));
    const config = { target: 'external', lanes, packing } as const;
    const gens = dirs.map((dir) => generateAccel(weights, config, dir, 'random'));
    const gen = gens[0]!;
    const verilog = gen.files.filter((f) => f.endsWith('.v'));

    it(`${lanes} lanes, ${packing}: passes verilator --lint-only -Wall and yosys check with no warnings`, { timeout: 180_000 }, async () => {
      const r = lintVerilator(verilog, gen.top);
      expect(r.messages).toEqual([]);
      expect(await lintYosys({ top: gen.top, sources: verilog })).toEqual([]);
    });

    it(`${lanes} lanes, ${packing}: writes the same bytes twice`, () => {
      const names = (d: string) => fs.readdirSync(d).sort();
      expect(names(dirs[1]!)).toEqual(names(dirs[0]!));
      for (const f of names(dirs[0]!)) {
        expect(fs.readFileSync(path.join(dirs[1]!, f)).equals(fs.readFileSync(path.join(dirs[0]!, f))), f).toBe(true);
      }
    });

    it(`${lanes} lanes, ${packing}: dram.bin is the stream image and the manifest maps it`, () => {
      const img = externalImage(gen.program);
      const bin = fs.readFileSync(path.join(dirs[0]!, 'dram.bin'));
      expect(bin.equals(Buffer.from(img.bytes))).toBe(true);
      expect(fs.existsSync(path.join(dirs[0]!, 'weights.bin'))).toBe(false);
      const manifest = JSON.parse(fs.readFileSync(path.join(dirs[0]!, 'manifest.json'), 'utf8'));
      expect(manifest.files.dramImage.words * (portBits(config) / 8)).toBe(bin.length);
      expect(manifest.dramMap.wordBits).toBe(portBits(config));
      expect(manifest.hardware).toMatchObject({ packing, rowLanes: gen.program.geometry.rowLanes, portBits: portBits(config) });
      expect(manifest.dramMap.wordsPerToken).toBe(img.head.words + img.embeddings.rowWords + img.body.words);
    });
  }
});
