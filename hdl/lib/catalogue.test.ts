// Every standard-library block at its default parameters: Verilator -Wall lint with zero warnings, and
// yosys synth_ice40 + check with zero warnings, mapped onto the resources it is written for.
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stdlibCatalogue } from './catalogue.ts';
import { elaborate } from '../ir/elaborate.ts';
import { writeVerilog } from '../verilog/emit.ts';
import { lintVerilator } from '../../flow/verilator-lint.ts';
import { synthIce40 } from '../../flow/yosys.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'stdlib-'));

describe('standard library: lint and synthesis', () => {
  for (const entry of stdlibCatalogue()) {
    const m = entry.module;
    it(`${m.name}: verilator -Wall and yosys synth_ice40 + check are clean`, { timeout: 120_000 }, async () => {
      const dir = path.join(root, m.name);
      const files = writeVerilog(elaborate(m), dir);
      const lint = lintVerilator(files, m.name);
      expect(lint.messages).toEqual([]);
      expect(lint.ok).toBe(true);
      const synth = await synthIce40({ top: m.name, sources: files, workDir: dir, device: 'up5k', spram: entry.synth?.spram ?? false });
      expect(synth.warnings).toEqual([]);
      const c = synth.cells;
      if (m.name.startsWith('single_port_ram')) expect(c.spram).toBe(1);
      else if (m.name.startsWith('rom') || m.name.startsWith('ram') || m.name.startsWith('fifo')) expect(c.ebr).toBe(1);
      else expect(c.lut4).toBeGreaterThan(0);
      expect(c.dsp).toBe(0); // nothing here multiplies
    });
  }
});
