// The overlap flags: derived from the regions each instruction reads and writes, on every program shape.
import { describe, expect, it } from 'vitest';
import { compileProgram } from './program.ts';
import { mayOverlap, startsUnderMatrix, regionsRead, regionsWritten, withOverlapFlags } from './overlap.ts';
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
      it(`are derived for d=${shape.hiddenSize}, ${shape.numLayers} layers, ${lanes} lanes: only where a matrix may be in flight and the data flow allows`, () => {
        const params = fixedParams(randomModel(shape, 5));
        const on = compileProgram(params, { target: 'up5k', lanes, overlap: true });
        const off = compileProgram(params, { target: 'up5k', lanes });
        const ins = on.instructions;
        // replay: the matrix in flight is the last BITLINEAR's until an instruction without the flag
        let inFlight: Instruction | undefined;
        let flagged = 0;
        for (const x of ins) {
          if (startsUnderMatrix(x)) {
            flagged++;
            expect(inFlight, x.note).toBeDefined();
            // no read after write, no two writers of one region
            for (const r of [...regionsRead(x), ...(x.op === 'bitlinear' ? [] : regionsWritten(x))]) expect(regionsWritten(inFlight!).has(r), `${x.note}: ${r}`).toBe(false);
            // a BITLINEAR's passes, or an element op through the sigmoid (its elements enter the row unit early)
            expect(x.op === 'bitlinear' || (x.op === 'element' && ['gate', 'state', 'gated'].includes(x.rowop!)), x.note).toBe(true);
          }
          expect(startsUnderMatrix(x)).toBe(inFlight !== undefined && mayOverlap(inFlight, x));
          if (x.op === 'bitlinear') inFlight = x;
          else if (!startsUnderMatrix(x)) inFlight = undefined;
        }
        // the MLGRU's i under f and g under i (same u), the forget gate and the state under g, in every layer
        expect(flagged).toBe(4 * shape.numLayers);
        expect(ins.filter(startsUnderMatrix).map((x) => x.rowop ?? x.op)).toEqual(Array.from({ length: shape.numLayers }, () => ['bitlinear', 'bitlinear', 'gate', 'state']).flat());
        // without the option no instruction carries a flag, the ISA has no ovl field, and the program is the same
        expect(off.instructions.some(startsUnderMatrix)).toBe(false);
        expect(off.layout.fields.ovl).toBeUndefined();
        expect(on.layout.width).toBe(off.layout.width + 1);
        expect(on.instructions.map(({ ovl: _o, ...x }) => x)).toEqual(off.instructions);
      });
    }
  }

  it('refuse a BITLINEAR that reads what the matrix before it writes, and every other kind of instruction', () => {
    expect(mayOverlap(bl(DST.a), bl(DST.b))).toBe(true);
    expect(mayOverlap(bl(DST.u), bl(DST.b))).toBe(false); // u is the next one's input
    expect(mayOverlap(bl(DST.b), bl(DST.b))).toBe(true); // its own rows are written after the matrix's last
    const gate: Instruction = { op: 'element', rowop: 'gate', note: 'gate', n: 8, xsel: XSEL.m1, m1reg: M1REG.a, dst: DST.a };
    const state: Instruction = { op: 'element', rowop: 'state', note: 'state', n: 8, xsel: XSEL.m3, ysel: YSEL.m2, m2reg: M2REG.s, wsel: WSEL.m1, m1reg: M1REG.a, dst: DST.s };
    expect(mayOverlap(bl(DST.g), gate)).toBe(true);
    expect(mayOverlap(bl(DST.a), gate)).toBe(false); // reads and writes A
    expect(mayOverlap(bl(DST.split), gate)).toBe(false);
    expect(mayOverlap(bl(DST.g), state)).toBe(true);
    expect(mayOverlap(bl(DST.b), state)).toBe(false); // reads B
    expect(mayOverlap(bl(DST.s), state)).toBe(false); // reads and writes S
    // element ops that enter the row unit late would take the port the rows take
    expect(mayOverlap(bl(DST.g), { op: 'element', rowop: 'residual', note: 'residual', n: 8, xsel: XSEL.m1, m1reg: M1REG.h, ysel: YSEL.m3, dst: DST.h })).toBe(false);
    expect(mayOverlap(bl(DST.g), { op: 'element', rowop: 'prescale', note: 'p', n: 8, xsel: XSEL.m1, m1reg: M1REG.h, dst: DST.u })).toBe(false);
    expect(mayOverlap(bl(DST.a), { op: 'end', note: 'end' })).toBe(false);
    expect(mayOverlap(bl(DST.a), undefined)).toBe(false);
    expect(mayOverlap({ op: 'element', rowop: 'prescale', note: 'p', n: 8, dst: DST.u }, bl(DST.a))).toBe(false);
    // a hand-set flag is replaced by the derived one; a chain ends at the first instruction that waits
    expect(withOverlapFlags([{ ...bl(DST.u), ovl: 1 }, { ...bl(DST.b), ovl: 1 }], true).map(startsUnderMatrix)).toEqual([false, false]);
    expect(withOverlapFlags([bl(DST.a), bl(DST.b), bl(DST.g)], true).map(startsUnderMatrix)).toEqual([false, true, true]);
    expect(withOverlapFlags([bl(DST.g), gate, { op: 'dump', note: 'd', n: 8 }, state], true).map(startsUnderMatrix)).toEqual([false, true, false, false]);
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
