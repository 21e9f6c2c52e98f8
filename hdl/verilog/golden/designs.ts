// Small designs whose printed Verilog is pinned by golden files (this folder): together they
// touch every construct the printer knows.
import { buildModule, defineModule } from '../../core/generator.ts';
import { Fsm } from '../../core/fsm.ts';
import { cat, lit, mux } from '../../core/expr.ts';
import { Bool, SInt, UInt } from '../../core/types.ts';
import { SB_SPRAM256KA } from '../../vendor/ice40.ts';

/** Signed arithmetic, every operator family, extension and truncation, a keyword-named port. */
export const arithmetic = defineModule('golden_arith', (m, p: { width: number }) => {
  const a = m.input('a', SInt(p.width));
  const b = m.input('b', SInt(p.width));
  const u = m.input('byte', UInt(p.width)); // a SystemVerilog keyword: printed as byte_
  const sh = m.input('sh', UInt(2));
  const sum = m.output('sum', SInt(p.width + 1));
  const prod = m.output('prod', SInt(2 * p.width));
  const lt = m.output('lt', Bool);
  const mixed = m.output('mixed', UInt(p.width + 4));
  const neg = m.output('neg', SInt(p.width + 1));
  const shifted = m.output('shifted', SInt(p.width));
  m.assign(sum, a.add(b));
  m.assign(prod, a.mul(b));
  m.assign(lt, a.lt(b).or(u.eq(3)).xor(u.orR()));
  m.assign(mixed, cat(u.shr(2), u.slice(1, 0).not(), u.andR(), u.xorR(), lit(0, UInt(2))).add(u.shl(3)).trunc(p.width + 4));
  m.assign(neg, mux(u.bit(0), a.neg(), b.sext(p.width + 1)));
  m.assign(shifted, a.shr(sh));
});

/** Registers with and without reset, an FSM, a comb block with if/else-if/else, a memory. */
export const sequential = defineModule('golden_seq', (m, p: { depth: number }) => {
  const go = m.input('go', Bool);
  const din = m.input('din', UInt(8));
  const dout = m.output('dout', UInt(8));
  const busy = m.output('busy', Bool);
  const fsm = new Fsm(m, 'state', ['IDLE', 'LOAD', 'SHOW'] as const);
  const addr = m.reg('addr', UInt(4), { reset: 0 });
  const hold = m.reg('hold', UInt(8));
  const mem = m.memory('store', UInt(8), p.depth, { init: [1, 2, 3] });
  mem.write(addr, din, fsm.is('LOAD'));
  const q = mem.read(addr, { enable: fsm.is('SHOW') });
  m.sync(() => {
    hold.set(q);
    fsm.switch({
      IDLE: () => m.if(go, () => fsm.goto('LOAD')),
      LOAD: () => {
        addr.set(addr.add(1).trunc(4));
        m.if(addr.eq(p.depth - 1), () => fsm.goto('SHOW'));
      },
      SHOW: () => fsm.goto('IDLE'),
    });
  });
  const level = m.wire('level', UInt(8));
  m.comb(() => {
    m.if(fsm.is('IDLE'), () => level.set(0))
      .elif(fsm.is('LOAD'), () => level.set(din))
      .else(() => level.set(hold));
  });
  m.assign(dout, level);
  m.assign(busy, fsm.is('IDLE').not());
});

/** A vendor primitive with parameters-free ports, and a child module instance. */
export function withPrimitive() {
  const child = sequential({ depth: 16 });
  return buildModule('golden_top', (m) => {
    const addr = m.input('addr', UInt(14));
    const wdata = m.input('wdata', UInt(16));
    const we = m.input('we', Bool);
    const rdata = m.output('rdata', UInt(16));
    const dout = m.output('dout', UInt(8));
    const spram = m.instance('u_spram', SB_SPRAM256KA, {
      ADDRESS: addr,
      DATAIN: wdata,
      MASKWREN: lit(0xf, UInt(4)),
      WREN: we,
      CHIPSELECT: lit(1, Bool),
      CLOCK: m.clk,
      STANDBY: lit(0, Bool),
      SLEEP: lit(0, Bool),
      POWEROFF: lit(1, Bool),
    });
    m.assign(rdata, spram.out('DATAOUT'));
    const u = m.instance('u_seq', child, { go: we, din: wdata.slice(7, 0) });
    m.assign(dout, u.out('dout'));
    m.sink(wdata.slice(15, 8));
  });
}
