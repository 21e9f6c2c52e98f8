// The iCE40 black boxes: instantiated together, the design lints (through port stubs) and yosys maps
// each onto its hard block.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { buildModule } from '../core/generator.ts';
import { lit } from '../core/expr.ts';
import { Bool, UInt } from '../core/types.ts';
import { elaborate } from '../ir/elaborate.ts';
import { writeVerilog } from '../verilog/emit.ts';
import { writeBlackboxStubs } from '../verilog/blackbox-stub.ts';
import { SB_MAC16, SB_PLL40_PAD, SB_SPRAM256KA } from './ice40.ts';
import { lintVerilator } from '../../flow/verilator-lint.ts';
import { synthIce40 } from '../../flow/yosys.ts';

it('SB_PLL40_PAD, SB_SPRAM256KA and SB_MAC16 lint and map onto their hard blocks', { timeout: 120_000 }, async () => {
  const top = buildModule('ice40_primitives_demo', (m) => {
    const pin = m.input('clk_pin', Bool);
    const addr = m.input('addr', UInt(14));
    const a = m.input('a', UInt(16));
    const b = m.input('b', UInt(16));
    const rdata = m.output('rdata', UInt(16));
    const product = m.output('product', UInt(32));
    const locked = m.output('locked', Bool);
    const zero = lit(0, Bool);
    // 12 MHz in: DIVR=0, DIVF=66, DIVQ=5 gives 25.125 MHz (icepll's figures).
    const pll = m.instance(
      'u_pll',
      SB_PLL40_PAD,
      { PACKAGEPIN: pin, RESETB: lit(1, Bool), BYPASS: zero, EXTFEEDBACK: zero, DYNAMICDELAY: lit(0, UInt(8)), LATCHINPUTVALUE: zero, SCLK: zero, SDI: zero },
      { DIVR: "4'b0000", DIVF: "7'b1000010", DIVQ: "3'b101", FILTER_RANGE: "3'b001" },
    );
    const clk = pll.out('PLLOUTGLOBAL');
    const ram = m.instance('u_spram', SB_SPRAM256KA, {
      ADDRESS: addr, DATAIN: a, MASKWREN: lit(0xf, UInt(4)), WREN: a.bit(0), CHIPSELECT: lit(1, Bool),
      CLOCK: clk, STANDBY: zero, SLEEP: zero, POWEROFF: lit(1, Bool),
    });
    const mac = m.instance('u_mac', SB_MAC16, {
      CLK: clk, CE: lit(1, Bool), C: lit(0, UInt(16)), A: a, B: b, D: lit(0, UInt(16)),
      AHOLD: zero, BHOLD: zero, CHOLD: zero, DHOLD: zero, IRSTTOP: zero, IRSTBOT: zero, ORSTTOP: zero, ORSTBOT: zero,
      OLOADTOP: zero, OLOADBOT: zero, ADDSUBTOP: zero, ADDSUBBOT: zero, OHOLDTOP: zero, OHOLDBOT: zero, CI: zero, ACCUMCI: zero, SIGNEXTIN: zero,
    }, { TOPOUTPUT_SELECT: "2'b11", BOTOUTPUT_SELECT: "2'b11" });
    m.assign(rdata, ram.out('DATAOUT'));
    m.assign(product, mac.out('O'));
    m.assign(locked, pll.out('LOCK'));
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ice40-'));
  const files = writeVerilog(elaborate(top), dir);
  const stubs = writeBlackboxStubs(dir, SB_PLL40_PAD, SB_SPRAM256KA, SB_MAC16);
  expect(lintVerilator([...files, ...stubs], top.name).messages).toEqual([]);
  const text = fs.readFileSync(files[0]!, 'utf8');
  expect(text).toContain(".DIVF(7'b1000010)");
  const synth = await synthIce40({ top: top.name, sources: files, workDir: dir, device: 'up5k' });
  expect(synth.cells.spram).toBe(1);
  expect(synth.cells.dsp).toBe(1);
  expect(synth.cells.other['SB_PLL40_PAD']).toBe(1);
});
