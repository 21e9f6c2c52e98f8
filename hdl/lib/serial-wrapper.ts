// A few-pin harness for placing and routing a block that has far more ports than the package has pins
// (a 64-lane dot product has 640 input bits; an UP5K SG48 has 39 I/Os). Every input bit of the block is
// fed from one long shift register loaded through `sin`, and every output bit is folded into one
// registered XOR on `sout`, so nothing is optimised away and the block's own paths set fmax. The shift
// register adds one flip-flop per input bit; its cost is reported separately from the block's.
import { buildModule } from '../core/generator.ts';
import type { Expr } from '../core/expr.ts';
import type { Module } from '../core/module.ts';
import { Bool, UInt } from '../core/types.ts';
import { cat } from '../core/expr.ts';

export function serialWrapper(inner: Module): Module {
  const data = inner.ports.filter((p) => p.dir === 'input' && p.name !== 'clk' && p.name !== 'rst');
  const chainWidth = data.reduce((w, p) => w + p.width, 0);
  return buildModule(`${inner.name}_serial`, (m) => {
    const sin = m.input('sin', Bool);
    const sout = m.output('sout', Bool, { reg: true, reset: 0 });
    const chain = m.reg('chain', UInt(chainWidth + 1));
    m.sync(() => chain.set(cat(chain.slice(chainWidth - 1, 0), sin)));
    const conns: Record<string, Expr> = {};
    let bit = 0;
    for (const p of data) {
      const v = chain.slice(bit + p.width - 1, bit);
      conns[p.name] = p.signed ? v.asSigned() : v;
      bit += p.width;
    }
    // The chain's top bit is spare: it only keeps the last input bit from being the chain's output.
    m.sink(chain.msb());
    const u = m.instance('u_block', inner, conns);
    const outs = inner.ports.filter((p) => p.dir === 'output').map((p) => u.out(p.name).xorR());
    m.sync(() => sout.set(outs.reduce((a, b) => a.xor(b))));
  });
}
