// The ECPIX-5 logic with VERIFY (the DRAM read-back on the `host` port): lint-clean (verilator -Wall,
// yosys check) for models of two shapes, with the read data as inputs only when asked for. The reader
// itself runs in Verilator in dram-verify-reader.test.ts, the engine's VERIFY in
// board/protocol-engine-verify.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compileProgram } from '../../accel/program.ts';
import { fixedParams } from '../../model/fixed/fixed-model.ts';
import { randomModel } from '../../sim/random-model.ts';
import { elaborate } from '../../hdl/ir/elaborate.ts';
import { writeVerilog } from '../../hdl/verilog/emit.ts';
import { lintVerilator } from '../../flow/verilator-lint.ts';
import { lintYosys } from '../../flow/yosys.ts';
import { ecpix5Logic } from './ecpix5-logic.ts';
import type { InitStep } from './dram-init.ts';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ecpix5-verify-test-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const STEPS: InitStep[] = [{ csr: 'ddrctrl_init_done', adr: 0, dat: 1, wait: 16 }];

describe('the ECPIX-5 logic with VERIFY', () => {
  const shapes = [
    { hiddenSize: 16, intermediateSize: 24, numLayers: 1, vocabSize: 50 },
    { hiddenSize: 40, intermediateSize: 72, numLayers: 2, vocabSize: 300 },
  ];
  for (const shape of shapes) {
    it(`lints clean: d=${shape.hiddenSize} I=${shape.intermediateSize} L=${shape.numLayers} V=${shape.vocabSize}`, { timeout: 120_000 }, async () => {
      const prog = compileProgram(fixedParams(randomModel(shape, 5)), { target: 'external', lanes: 64 });
      const o = { clockHz: 75e6, baud: 1e6, portAddressBits: 25, initSteps: STEPS };
      const inputs = (verify: boolean) => ecpix5Logic(prog, { ...o, verify }).ports.filter((p) => p.dir === 'input').map((p) => p.name);
      expect(inputs(true).filter((n) => !inputs(false).includes(n)).sort()).toEqual(['host_rdata_data', 'host_rdata_valid']);
      const logic = ecpix5Logic(prog, { ...o, verify: true });
      const files = writeVerilog(elaborate(logic), fs.mkdtempSync(path.join(tmp, 'rtl-')));
      expect(lintVerilator(files, logic.name).messages).toEqual([]);
      expect(await lintYosys({ top: logic.name, sources: files })).toEqual([]);
    });
  }
});
