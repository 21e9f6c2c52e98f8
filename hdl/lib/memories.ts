// Memory blocks in the shapes yosys maps onto iCE40 memories:
//   rom:        init data, registered read            -> SB_RAM40_4K (EBR) with initial contents
//   ram:        one write port, one registered read   -> SB_RAM40_4K (EBR), simple dual port
//   singlePort: 16K x 16, read only when not writing  -> SB_SPRAM256KA with `synth_ice40 -spram`
// SPRAM cannot be initialised by the bitstream: anything kept there is loaded at run time.
import { defineModule } from '../core/generator.ts';
import { Bool, UInt, clog2 } from '../core/types.ts';

export interface RomParams {
  [k: string]: number | readonly (number | bigint)[];
  width: number;
  depth: number;
  init: readonly (number | bigint)[];
}

export const rom = defineModule('rom', (m, p: RomParams) => {
  const aw = Math.max(1, clog2(p.depth));
  const addr = m.input('addr', UInt(aw));
  const data = m.output('data', UInt(p.width));
  const mem = m.memory('rom', UInt(p.width), p.depth, { init: p.init });
  m.assign(data, mem.read(addr, { name: 'rdata' }));
});

export interface RamParams {
  [k: string]: number;
  width: number;
  depth: number;
}

export const ram = defineModule('ram', (m, p: RamParams) => {
  const aw = Math.max(1, clog2(p.depth));
  const waddr = m.input('waddr', UInt(aw));
  const wdata = m.input('wdata', UInt(p.width));
  const we = m.input('we', Bool);
  const raddr = m.input('raddr', UInt(aw));
  const re = m.input('re', Bool);
  const rdata = m.output('rdata', UInt(p.width));
  const mem = m.memory('ram', UInt(p.width), p.depth);
  mem.write(waddr, wdata, we);
  m.assign(rdata, mem.read(raddr, { enable: re, name: 'rdata_q' }));
});

/** One 16K x 16 SPRAM by inference: the read is skipped on write cycles, as SB_SPRAM256KA behaves. */
export const singlePortRam = defineModule('single_port_ram', (m, p: RamParams) => {
  const aw = Math.max(1, clog2(p.depth));
  const addr = m.input('addr', UInt(aw));
  const wdata = m.input('wdata', UInt(p.width));
  const we = m.input('we', Bool);
  const rdata = m.output('rdata', UInt(p.width));
  const mem = m.memory('ram', UInt(p.width), p.depth);
  mem.write(addr, wdata, we);
  m.assign(rdata, mem.read(addr, { enable: we.not(), name: 'rdata_q' }));
});
