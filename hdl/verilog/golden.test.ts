// Golden files: the exact Verilog printed for small designs. A change to the printer shows up here as
// a diff to review; refresh with UPDATE_GOLDEN=1 npx vitest run hdl/verilog/golden.test.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { elaborate } from '../ir/elaborate.ts';
import { emitVerilog, writeVerilog } from './emit.ts';
import { writeBlackboxStubs } from './blackbox-stub.ts';
import { arithmetic, sequential, withPrimitive } from './golden/designs.ts';
import { SB_SPRAM256KA } from '../vendor/ice40.ts';
import { lintVerilator } from '../../flow/verilator-lint.ts';
import { synthIce40 } from '../../flow/yosys.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const goldenDir = path.join(here, 'golden');
const repo = path.resolve(here, '..', '..');

describe('Verilog printer golden files', () => {
  const designs = [arithmetic({ width: 8 }), sequential({ depth: 16 }), withPrimitive()];
  for (const top of designs) {
    it(`${top.name} prints as its golden file`, () => {
      for (const [name, text] of emitVerilog(elaborate(top))) {
        const file = path.join(goldenDir, name);
        if (process.env.UPDATE_GOLDEN) {
          fs.mkdirSync(goldenDir, { recursive: true });
          fs.writeFileSync(file, text);
        }
        expect(text).toBe(fs.readFileSync(file, 'utf8'));
      }
    });
  }

  it('golden designs lint clean (black boxes through port stubs) and synthesise', { timeout: 120_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'golden-'));
    const top = withPrimitive();
    const files = writeVerilog(elaborate(top), dir);
    expect(lintVerilator([...files, ...writeBlackboxStubs(dir, SB_SPRAM256KA)], top.name).messages).toEqual([]);
    const arith = arithmetic({ width: 8 });
    expect(lintVerilator(writeVerilog(elaborate(arith), dir).filter((f) => f.includes('golden_arith')), arith.name).messages).toEqual([]);
    const synth = await synthIce40({ top: top.name, sources: files, workDir: dir, device: 'up5k' });
    expect(synth.cells.spram).toBe(1);
    expect(synth.cells.ebr).toBe(1); // the 16-word store, initialised, in one EBR
    expect(synth.warnings).toEqual([]);
  });

  it('prints keywords renamed, literals sized and no unsized constants', () => {
    const text = emitVerilog(elaborate(arithmetic({ width: 8 }))).get('golden_arith_width8.v')!;
    expect(text).toContain('input  wire [7:0] byte_,');
    expect(text).toMatch(/^`default_nettype none$/m);
    // Every numeric literal carries a width.
    expect(text.replace(/\/\/.*$/gm, '').match(/(?<![\w'])\d+(?!['\w:\]])(?=\s*[;,)}])/g) ?? []).toEqual([]);
  });

  it('gen-rtl output is byte-identical from run to run (separate processes)', { timeout: 120_000 }, () => {
    const dirs = [0, 1].map(() => fs.mkdtempSync(path.join(os.tmpdir(), 'genrtl-')));
    for (const d of dirs) {
      const r = spawnSync('npx', ['tsx', 'cli/gen-rtl.ts', '-o', path.join(d, 'rtl-out'), '--stdlib', d], { cwd: repo, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    }
    // the standard library and the accelerator for the embedded model (rtl-out/tiny/)
    for (const sub of ['stdlib', path.join('rtl-out', 'tiny')]) {
      const list = (d: string) => fs.readdirSync(path.join(d, sub)).sort();
      expect(list(dirs[0]!)).toEqual(list(dirs[1]!));
      expect(list(dirs[0]!).length).toBeGreaterThan(5);
      for (const f of list(dirs[0]!)) {
        expect(fs.readFileSync(path.join(dirs[1]!, sub, f)).equals(fs.readFileSync(path.join(dirs[0]!, sub, f))), `${sub}/${f}`).toBe(true);
      }
    }
  });

  it('all of what plain `npm run gen-rtl` writes to rtl-out/ lints clean in one verilator -Wall run', { timeout: 120_000 }, () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'genrtl-')), 'rtl-out');
    const r = spawnSync('npx', ['tsx', 'cli/gen-rtl.ts', '-o', out], { cwd: repo, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const files = fs.readdirSync(out, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.v')).map((f) => path.join(out, f));
    expect(files.length).toBeGreaterThan(5);
    // no --top-module: duplicate modules (MODDUP) or a second top (MULTITOP) would show up here
    const lint = spawnSync('verilator', ['--lint-only', '-Wall', ...files], { encoding: 'utf8' });
    expect(lint.stderr.split('\n').filter((l) => l.startsWith('%'))).toEqual([]);
    expect(lint.status).toBe(0);
  });
});
