// The overlap flags: derived from the regions each instruction reads and writes, on every program shape.
import { describe, expect, it } from 'vitest';
import { compileProgram } from './program.ts';
import { mayOverlap, overlapsNext, regionsRead, regionsWritten, withOverlapFlags } from './overlap.ts';
import { fixedParams } from '../model/fixed/fixed-model.ts';
import { randomModel } from '../sim/random-model.ts';
import { DST, M1REG, M2REG, WSEL, XSEL, YSEL, type Instruction } from './isa.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateAccel } from './generate.ts';
import type { AccelConfig } from './config.ts';
import type { OverlapOption } from './overlap.ts';
import { openModel } from '../model/open.ts';
import { lintVerilator } from '../flow/verilator-lint.ts';
import { lintYosys } from '../flow/yosys.ts';

const shapes = [
  { hiddenSize: 64, intermediateSize: 256, numLayers: 4, vocabSize: 256 },
  { hiddenSize: 40, intermediateSize: 72, numLayers: 2, vocabSize: 100, useLowerBound: false },
  { hiddenSize: 16, intermediateSize: 24, numLayers: 1, vocabSize: 50 },
];

const bl = (dst: number): Instruction => ({ op: 'bitlinear', note: 'bl', n: 8, rows: 8, xsel: XSEL.m2, m2reg: M2REG.u, wsel: WSEL.param, dst });

describe('overlap flags', () => {
  for (const shape of shapes) {
    for (const lanes of [8, 32]) {
      it(`are derived for d=${shape.hiddenSize}, ${shape.numLayers} layers, ${lanes} lanes: only a BITLINEAR before an independent BITLINEAR`, () => {
        const params = fixedParams(randomModel(shape, 5));
        const on = compileProgram(params, { target: 'up5k', lanes, overlap: true });
        const off = compileProgram(params, { target: 'up5k', lanes });
        const ins = on.instructions;
        let flagged = 0;
        ins.forEach((x, k) => {
          expect(overlapsNext(x)).toBe(mayOverlap(x, ins[k + 1]));
          if (overlapsNext(x)) {
            flagged++;
            const next = ins[k + 1]!;
            expect(next.op).toBe('bitlinear');
            // read after write: the next one's input is not where this matrix's rows go
            for (const r of regionsRead(next)) expect(regionsWritten(x).has(r)).toBe(false);
          }
        });
        // the MLGRU's f, i, g read the same u: i starts under f, g under i, in every layer
        expect(flagged).toBe(2 * shape.numLayers);
        // without the option no instruction carries a flag and the program is the one of before
        expect(off.instructions.some(overlapsNext)).toBe(false);
        expect(on.instructions.map((x) => ({ ...x, haslb: x.op === 'bitlinear' ? 0 : x.haslb }))).toEqual(off.instructions.map((x) => ({ ...x, haslb: x.op === 'bitlinear' ? 0 : x.haslb })));
      });
    }
  }

  it('refuse a BITLINEAR that reads what the matrix before it writes, and every other kind of instruction', () => {
    expect(mayOverlap(bl(DST.a), bl(DST.b))).toBe(true);
    expect(mayOverlap(bl(DST.u), bl(DST.b))).toBe(false); // u is the next one's input
    expect(mayOverlap(bl(DST.a), { op: 'element', rowop: 'gate', note: 'gate', n: 8, xsel: XSEL.m1, m1reg: M1REG.a, dst: DST.a })).toBe(false);
    expect(mayOverlap(bl(DST.g), { op: 'element', rowop: 'state', note: 'state', n: 8, xsel: XSEL.m3, ysel: YSEL.m2, m2reg: M2REG.s, wsel: WSEL.m1, m1reg: M1REG.a, dst: DST.s })).toBe(false);
    expect(mayOverlap(bl(DST.a), { op: 'end', note: 'end' })).toBe(false);
    expect(mayOverlap(bl(DST.a), undefined)).toBe(false);
    expect(mayOverlap({ op: 'element', rowop: 'prescale', note: 'p', n: 8, dst: DST.u }, bl(DST.a))).toBe(false);
    // a hand-set flag is replaced by the derived one
    expect(withOverlapFlags([{ ...bl(DST.u), haslb: 1 }, bl(DST.b)], true).map(overlapsNext)).toEqual([false, false]);
    expect(withOverlapFlags([bl(DST.a), bl(DST.b)], true).map(overlapsNext)).toEqual([true, false]);
  });

  for (const lanes of [32, 8]) {
    it(`gives Verilog with no lint warnings (verilator -Wall, yosys check): tiny, up5k, ${lanes} lanes`, { timeout: 120_000 }, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-overlap-'));
      const config: AccelConfig & OverlapOption = { target: 'up5k', lanes, overlap: true };
      const gen = generateAccel(openModel(undefined).weights, config, dir, 'tiny');
      const verilog = gen.files.filter((f) => f.endsWith('.v'));
      expect(lintVerilator(verilog, gen.top).messages).toEqual([]);
      expect(await lintYosys({ top: gen.top, sources: verilog })).toEqual([]);
    });
  }

  it('is refused on the external target', () => {
    const params = fixedParams(randomModel(shapes[2]!, 5));
    expect(() => compileProgram(params, { target: 'external', lanes: 32, overlap: true })).toThrow(/external target/);
  });
});
