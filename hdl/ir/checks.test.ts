// The structural checks run by elaborate(): drivers, unused bits, combinational loops (also through
// child modules), latches and comb blocks that read their own targets, each with the exact text and
// the TypeScript line it reports, and the collection of every error into one ElaborationError.
//
// Expected lines are taken from the source of this file: a statement that should be blamed ends in a
// marker comment `//@tag`, and lineOf('tag') finds that line, so editing the file never breaks them.
import { describe, expect, it } from 'vitest';
import { Bool, SInt, UInt } from '../core/types.ts';
import { Module } from '../core/module.ts';
import { cat } from '../core/expr.ts';
import { buildModule } from '../core/generator.ts';
import { blackbox } from '../core/blackbox.ts';
import { ElaborationError } from '../core/errors.ts';
import { elaborate } from './elaborate.ts';
import { elabErrors, sourceMarkers } from '../../test/hdl-errors.ts';

const { at, where } = sourceMarkers(import.meta.url);

const sinkHint = 'use m.sink() if that is intended';

describe('multiple drivers', () => {
  it('two m.assign to one wire', () => {
    const m = buildModule('md_two_assign', (m) => {
      const a = m.input('a', UInt(4));
      const c = m.input('c', UInt(4));
      const w = m.wire('w', UInt(4));
      m.assign(m.output('o', UInt(4)), w);
      m.assign(w, a); //@md-a1
      m.assign(w, c); //@md-a2
    });
    expect(elabErrors(m)).toEqual([
      {
        detail: `w of md_two_assign has 2 drivers: a continuous assignment at ${where('md-a1')}, a continuous assignment at ${where('md-a2')}`,
        loc: at('md-a2'),
      },
    ]);
  });

  it('a wire assigned by m.assign and set in m.comb', () => {
    const m = buildModule('md_assign_comb', (m) => {
      const a = m.input('a', UInt(4));
      const c = m.input('c', UInt(4));
      const w = m.wire('w', UInt(4));
      m.assign(m.output('o', UInt(4)), w);
      m.assign(w, a); //@md-ac-assign
      m.comb(() => { //@md-ac-comb
        w.set(c);
      });
    });
    expect(elabErrors(m)).toEqual([
      {
        detail: `w of md_assign_comb has 2 drivers: a continuous assignment at ${where('md-ac-assign')}, a comb block at ${where('md-ac-comb')}`,
        loc: at('md-ac-comb'),
      },
    ]);
  });

  it('a register set in two m.sync blocks', () => {
    const m = buildModule('md_two_sync', (m) => {
      const a = m.input('a', UInt(4));
      const c = m.input('c', UInt(4));
      const r = m.output('r', UInt(4), { reg: true });
      m.sync(() => r.set(a)); //@md-s1
      m.sync(() => { //@md-s2
        r.set(c);
      });
    });
    expect(elabErrors(m)).toEqual([
      { detail: `r of md_two_sync has 2 drivers: a sync block at ${where('md-s1')}, a sync block at ${where('md-s2')}`, loc: at('md-s2') },
    ]);
  });

  it('three drivers are all listed, an instance output among them', () => {
    const child = buildModule('md_child', (m) => {
      m.assign(m.output('o', UInt(4)), m.input('i', UInt(4)));
    });
    const m = buildModule('md_three', (m) => {
      const a = m.input('a', UInt(4));
      const u = m.instance('u', child, { i: a }); //@md3-inst
      const w = u.out('o');
      m.assign(m.output('o', UInt(4)), w);
      m.assign(w, a); //@md3-assign
      m.comb(() => w.set(0)); //@md3-comb
    });
    expect(elabErrors(m)).toEqual([
      {
        detail: `u_o of md_three has 3 drivers: a continuous assignment at ${where('md3-assign')}, a comb block at ${where('md3-comb')}, instance u at ${where('md3-inst')}`,
        loc: at('md3-comb'),
      },
    ]);
  });

  it('setting one signal several times in one block is a single driver (last wins)', () => {
    const m = buildModule('md_one_block', (m) => {
      const a = m.input('a', UInt(4));
      const en = m.input('en', Bool);
      const o = m.output('o', UInt(4));
      const r = m.output('r', UInt(4), { reg: true, reset: 0 });
      m.comb(() => {
        o.set(0);
        m.if(en, () => o.set(a));
      });
      m.sync(() => {
        r.set(r);
        m.if(en, () => r.set(a));
      });
    });
    expect(elabErrors(m)).toEqual([]);
  });
});

describe('undriven and unread nets', () => {
  it('an undriven output, reported at its declaration', () => {
    const m = buildModule('ud_out', (m) => {
      m.sink(m.input('a', UInt(4)));
      m.output('y', UInt(4)); //@ud-out
    });
    expect(elabErrors(m)).toEqual([{ detail: 'output y of ud_out is never driven', loc: at('ud-out') }]);
  });

  it('a wire that is read but never driven', () => {
    const m = buildModule('ud_wire', (m) => {
      const w = m.wire('w', UInt(4)); //@ud-wire
      m.assign(m.output('o', UInt(4)), w);
    });
    expect(elabErrors(m)).toEqual([{ detail: 'wire w of ud_wire is never driven', loc: at('ud-wire') }]);
  });

  it('a register that is read but never set', () => {
    const m = buildModule('ud_reg', (m) => {
      const r = m.reg('r', UInt(4)); //@ud-reg
      m.assign(m.output('o', UInt(4)), r);
    });
    expect(elabErrors(m)).toEqual([{ detail: 'register r of ud_reg is never driven', loc: at('ud-reg') }]);
  });

  it('an unused input and an unread wire', () => {
    const m = buildModule('un_input', (m) => {
      const a = m.input('a', UInt(4));
      m.input('b', UInt(4)); //@un-input
      const w = m.wire('w', UInt(4)); //@un-wire
      m.assign(w, a);
      m.assign(m.output('o', UInt(4)), a);
    });
    expect(elabErrors(m)).toEqual([
      { detail: `b in un_input is never read; ${sinkHint}`, loc: at('un-input') },
      { detail: `w in un_input is never read; ${sinkHint}`, loc: at('un-wire') },
    ]);
  });

  it('partly unused bits name the bit ranges', () => {
    const m = buildModule('un_bits', (m) => {
      const a = m.input('a', UInt(8)); //@un-bits-a
      const b = m.input('b', UInt(8)); //@un-bits-b
      const c = m.input('c', UInt(8)); //@un-bits-c
      const y = m.output('y', UInt(4));
      const z = m.output('z', UInt(2));
      m.assign(y, a.slice(3, 0));
      m.assign(z, cat(b.bit(3), b.bit(5)));
      m.sink(c.slice(6, 0));
    });
    expect(elabErrors(m)).toEqual([
      { detail: `bits [7:4] of a in un_bits are never read; ${sinkHint}`, loc: at('un-bits-a') },
      { detail: `bits [7:6], [4], [2:0] of b in un_bits are never read; ${sinkHint}`, loc: at('un-bits-b') },
      { detail: `bits [7] of c in un_bits are never read; ${sinkHint}`, loc: at('un-bits-c') },
    ]);
  });

  it('trunc() and msb() read only their bits', () => {
    const m = buildModule('un_trunc', (m) => {
      const a = m.input('a', UInt(8)); //@un-trunc
      m.assign(m.output('y', UInt(3)), a.trunc(3));
      m.assign(m.output('z', Bool), a.msb());
    });
    expect(elabErrors(m)).toEqual([{ detail: `bits [6:3] of a in un_trunc are never read; ${sinkHint}`, loc: at('un-trunc') }]);
  });

  it('m.sink silences unused inputs, wires and leftover bits', () => {
    const m = buildModule('un_sink', (m) => {
      const a = m.input('a', UInt(8));
      const b = m.input('b', UInt(4));
      const w = m.wire('w', UInt(4));
      m.assign(w, b);
      m.assign(m.output('y', UInt(4)), a.slice(3, 0));
      m.sink(a.slice(7, 4), w);
    });
    expect(elabErrors(m)).toEqual([]);
  });

  it('unread instance outputs are not reported', () => {
    const child = buildModule('un_child', (m) => {
      const i = m.input('i', UInt(4));
      m.assign(m.output('o', UInt(4)), i);
      m.assign(m.output('p', UInt(5)), i.add(1));
    });
    const m = buildModule('un_parent', (m) => {
      const u = m.instance('u', child, { i: m.input('a', UInt(4)) });
      m.assign(m.output('y', UInt(4)), u.out('o'));
    });
    expect(elabErrors(m)).toEqual([]);
  });
});

describe('combinational loops', () => {
  it('a = b + 1, b = a', () => {
    const m = buildModule('loop_ab', (m) => {
      const a = m.wire('a', UInt(8));
      const b = m.wire('b', UInt(8));
      m.assign(a, b.add(1).trunc(8)); //@loop-a
      m.assign(b, a);
      m.assign(m.output('o', UInt(8)), b);
    });
    expect(elabErrors(m)).toEqual([{ detail: 'combinational loop through a -> b -> a', loc: at('loop-a') }]);
  });

  it('a signal that depends on itself', () => {
    const m = buildModule('loop_self', (m) => {
      const t = m.output('t', Bool);
      m.assign(t, t.not()); //@loop-self
    });
    expect(elabErrors(m)).toEqual([{ detail: 'combinational loop through t -> t', loc: at('loop-self') }]);
  });

  // The loop is reported at the first assignment to the signal that starts it.
  it('a loop between two comb blocks, also through an if-condition', () => {
    const m = buildModule('loop_blocks', (m) => {
      const a = m.input('a', UInt(4));
      const p = m.wire('p', UInt(4));
      const q = m.wire('q', Bool);
      m.comb(() => {
        p.set(0); //@loop-p
        m.if(q, () => {
          p.set(a);
        });
      });
      m.comb(() => q.set(p.eq(3)));
      m.assign(m.output('o', UInt(4)), p);
    });
    expect(elabErrors(m)).toEqual([{ detail: 'combinational loop through p -> q -> p', loc: at('loop-p') }]);
  });

  const passThrough = buildModule('comb_child', (m) => {
    const i = m.input('i', UInt(4));
    m.assign(m.output('o', UInt(4)), i.not());
  });
  const registered = buildModule('reg_child', (m) => {
    const i = m.input('i', UInt(4));
    const o = m.output('o', UInt(4), { reg: true, reset: 0 });
    m.sync(() => o.set(i));
  });
  const wrapper = buildModule('comb_wrapper', (m) => {
    const u = m.instance('inner', passThrough, { i: m.input('i', UInt(4)) });
    m.assign(m.output('o', UInt(4)), u.out('o'));
  });

  it('through an instance whose output depends combinationally on its input', () => {
    const m = buildModule('loop_inst', (m) => {
      const x = m.wire('x', UInt(4));
      const u = m.instance('u', passThrough, { i: x });
      m.assign(x, u.out('o')); //@loop-inst
      m.assign(m.output('o', UInt(4)), x);
    });
    expect(elabErrors(m)).toEqual([{ detail: 'combinational loop through x -> u_o -> x', loc: at('loop-inst') }]);
  });

  it('through two levels of hierarchy', () => {
    const m = buildModule('loop_deep', (m) => {
      const x = m.wire('x', UInt(4));
      const u = m.instance('w', wrapper, { i: x });
      m.assign(x, u.out('o').and(m.input('mask', UInt(4)))); //@loop-deep
      m.assign(m.output('o', UInt(4)), x);
    });
    expect(elabErrors(m)).toEqual([{ detail: 'combinational loop through x -> w_o -> x', loc: at('loop-deep') }]);
  });

  it('two instances of a comb child feeding each other', () => {
    const m = buildModule('loop_pair', (m) => {
      const u1 = m.instance('u1', passThrough, { i: 0 });
      const u2 = m.instance('u2', passThrough, { i: u1.out('o') });
      m.assign(m.output('o', UInt(4)), u2.out('o'));
      // A chain without a loop (u1 -> u2), then a ring u3 -> u4 -> x -> u3.
      const x = m.wire('x', UInt(4));
      const u3 = m.instance('u3', passThrough, { i: x });
      const u4 = m.instance('u4', passThrough, { i: u3.out('o') });
      m.assign(x, u4.out('o')); //@loop-pair
      m.sink(x);
    });
    expect(elabErrors(m)).toEqual([{ detail: 'combinational loop through x -> u4_o -> u3_o -> x', loc: at('loop-pair') }]);
  });

  it('no false loop through a register', () => {
    const m = buildModule('noloop_reg', (m) => {
      const r = m.reg('r', UInt(4), { reset: 0 });
      const x = m.wire('x', UInt(4));
      m.assign(x, r.add(1).trunc(4));
      m.sync(() => r.set(x));
      m.assign(m.output('o', UInt(4)), r);
    });
    expect(elabErrors(m)).toEqual([]);
  });

  it('no false loop through a child whose output is registered', () => {
    const m = buildModule('noloop_child', (m) => {
      const x = m.wire('x', UInt(4));
      const u = m.instance('u', registered, { i: x });
      m.assign(x, u.out('o').add(1).trunc(4));
      m.assign(m.output('o', UInt(4)), x);
    });
    expect(elabErrors(m)).toEqual([]);
  });

  it('no false loop through a memory read port', () => {
    const m = buildModule('noloop_mem', (m) => {
      const d = m.input('d', UInt(4));
      const mem = m.memory('mem', UInt(4), 16);
      const q = mem.read(d);
      mem.write(q, d, q.orR());
      m.assign(m.output('o', UInt(4)), q);
    });
    expect(elabErrors(m)).toEqual([]);
  });

  it('black boxes: registered by default, combinational only where declared', () => {
    const regBox = blackbox({ name: 'BOX_REG', ports: [['I', 'input', 4], ['O', 'output', 4]] });
    const combBox = blackbox({ name: 'BOX_COMB', ports: [['I', 'input', 4], ['O', 'output', 4]], combPaths: { O: ['I'] } });
    const ok = buildModule('bb_ok', (m) => {
      const x = m.wire('x', UInt(4));
      const u = m.instance('u', regBox, { I: x });
      m.assign(x, u.out('O'));
      m.assign(m.output('o', UInt(4)), x);
    });
    expect(elabErrors(ok)).toEqual([]);
    const bad = buildModule('bb_loop', (m) => {
      const x = m.wire('x', UInt(4));
      const u = m.instance('u', combBox, { I: x });
      m.assign(x, u.out('O')); //@bb-loop
      m.assign(m.output('o', UInt(4)), x);
    });
    expect(elabErrors(bad)).toEqual([{ detail: 'combinational loop through x -> u_O -> x', loc: at('bb-loop') }]);
  });
});

describe('latches', () => {
  it('a comb signal assigned only in an if without else', () => {
    const m = buildModule('latch_if', (m) => {
      const c = m.input('c', Bool);
      const a = m.input('a', UInt(4));
      const o = m.output('o', UInt(4));
      m.comb(() => { //@latch-block
        m.if(c, () => {
          o.set(a); //@latch-set
        });
      });
    });
    expect(elabErrors(m)).toEqual([
      { detail: `latch: o is not assigned on every path of the comb block at ${where('latch-block')}; give it a default first`, loc: at('latch-set') },
    ]);
  });

  it('an if / else-if chain without a final else', () => {
    const m = buildModule('latch_elif', (m) => {
      const c = m.input('c', UInt(2));
      const o = m.output('o', UInt(4));
      m.comb(() => { //@latch-elif-block
        m.if(c.eq(0), () => o.set(1)) //@latch-elif-set
          .elif(c.eq(1), () => o.set(2));
      });
    });
    expect(elabErrors(m)).toEqual([
      { detail: `latch: o is not assigned on every path of the comb block at ${where('latch-elif-block')}; give it a default first`, loc: at('latch-elif-set') },
    ]);
  });

  it('only the signal missing from a branch is a latch', () => {
    const m = buildModule('latch_partial', (m) => {
      const c = m.input('c', Bool);
      const o = m.output('o', UInt(4));
      const p = m.output('p', UInt(4));
      m.comb(() => { //@latch-partial-block
        m.if(c, () => {
          o.set(1);
          p.set(1); //@latch-partial-p
        }).else(() => {
          o.set(2);
        });
      });
    });
    expect(elabErrors(m)).toEqual([
      { detail: `latch: p is not assigned on every path of the comb block at ${where('latch-partial-block')}; give it a default first`, loc: at('latch-partial-p') },
    ]);
  });

  it('if/else assigning on every path, nested too, is fine', () => {
    const m = buildModule('nolatch_ifelse', (m) => {
      const c = m.input('c', Bool);
      const d = m.input('d', Bool);
      const a = m.input('a', UInt(4));
      const o = m.output('o', UInt(4));
      const p = m.output('p', UInt(4));
      m.comb(() => {
        m.if(c, () => o.set(a)).else(() => o.set(0));
        m.if(d, () => {
          m.if(c, () => p.set(1)).else(() => p.set(2));
        }).else(() => p.set(3));
      });
    });
    expect(elabErrors(m)).toEqual([]);
  });

  it('a default assignment before the if is fine', () => {
    const m = buildModule('nolatch_default', (m) => {
      const c = m.input('c', Bool);
      const a = m.input('a', UInt(4));
      const o = m.output('o', UInt(4));
      m.comb(() => {
        o.set(0);
        m.if(c, () => o.set(a));
      });
    });
    expect(elabErrors(m)).toEqual([]);
  });

  it('a switch with a default is fine', () => {
    const m = buildModule('nolatch_switch_default', (m) => {
      const sel = m.input('sel', UInt(2));
      const o = m.output('o', UInt(4));
      m.comb(() => {
        m.switch(sel)
          .case(0, () => o.set(1))
          .case(1, () => o.set(2))
          .default(() => o.set(3));
      });
    });
    expect(elabErrors(m)).toEqual([]);
  });

  it('a switch without default covering both values of a 1-bit selector is fine', () => {
    const m = buildModule('nolatch_switch_full1', (m) => {
      const sel = m.input('sel', Bool);
      const o = m.output('o', UInt(4));
      m.comb(() => {
        m.switch(sel)
          .case(0, () => o.set(5))
          .case(1, () => o.set(9));
      });
    });
    expect(elabErrors(m)).toEqual([]);
  });

  it('a switch without default covering all four values of a 2-bit selector (lists of values) is fine', () => {
    const m = buildModule('nolatch_switch_full2', (m) => {
      const sel = m.input('sel', UInt(2));
      const o = m.output('o', UInt(4));
      m.comb(() => {
        m.switch(sel)
          .case([0, 3], () => o.set(5))
          .case(1, () => o.set(9))
          .case(2, () => o.set(1));
      });
    });
    expect(elabErrors(m)).toEqual([]);
  });

  it('a switch without default on a 2-bit selector with 3 cases is a latch', () => {
    const m = buildModule('latch_switch', (m) => {
      const sel = m.input('sel', UInt(2));
      const o = m.output('o', UInt(4));
      m.comb(() => { //@latch-sw-block
        m.switch(sel)
          .case(0, () => {
            o.set(1); //@latch-sw-set
          })
          .case(1, () => o.set(2))
          .case(2, () => o.set(3));
      });
    });
    expect(elabErrors(m)).toEqual([
      { detail: `latch: o is not assigned on every path of the comb block at ${where('latch-sw-block')}; give it a default first`, loc: at('latch-sw-set') },
    ]);
  });

  it('a switch arm that does not assign is a latch even with a default', () => {
    const m = buildModule('latch_switch_arm', (m) => {
      const sel = m.input('sel', UInt(2));
      const o = m.output('o', UInt(4));
      m.comb(() => { //@latch-arm-block
        m.switch(sel)
          .case(0, () => {})
          .default(() => {
            o.set(3); //@latch-arm-set
          });
      });
    });
    expect(elabErrors(m)).toEqual([
      { detail: `latch: o is not assigned on every path of the comb block at ${where('latch-arm-block')}; give it a default first`, loc: at('latch-arm-set') },
    ]);
  });

  it('a register set only in an if of a sync block is not a latch', () => {
    const m = buildModule('nolatch_sync', (m) => {
      const c = m.input('c', Bool);
      const a = m.input('a', UInt(4));
      const r = m.output('r', UInt(4), { reg: true });
      m.sync(() => m.if(c, () => r.set(a)));
    });
    expect(elabErrors(m)).toEqual([]);
  });
});

describe('comb blocks reading their own targets', () => {
  it('a value read by a later statement of the same block', () => {
    const m = buildModule('self_read', (m) => {
      const a = m.input('a', UInt(4));
      const w = m.wire('w', UInt(4));
      const o = m.output('o', UInt(5));
      m.comb(() => { //@self-block
        w.set(a);
        o.set(w.add(1)); //@self-read
      });
    });
    expect(elabErrors(m)).toEqual([
      { detail: `w is read inside the comb block that drives it (${where('self-block')}); compute it with m.let or in another block`, loc: at('self-read') },
    ]);
  });

  it('a target read in an if-condition of the same block', () => {
    const m = buildModule('self_cond', (m) => {
      const a = m.input('a', UInt(4));
      const w = m.wire('w', UInt(4));
      const o = m.output('o', Bool);
      m.comb(() => { //@self-cond-block
        w.set(a);
        o.set(0);
        m.if(w.eq(0), () => o.set(1)); //@self-cond
      });
    });
    expect(elabErrors(m)).toEqual([
      { detail: `w is read inside the comb block that drives it (${where('self-cond-block')}); compute it with m.let or in another block`, loc: at('self-cond') },
    ]);
  });

  it('reading the value in another block (or via m.let) is fine', () => {
    const m = buildModule('self_ok', (m) => {
      const a = m.input('a', UInt(4));
      const w = m.wire('w', UInt(4));
      const o = m.output('o', UInt(5));
      const n = m.let('n', a.not());
      m.comb(() => w.set(a.and(n)));
      m.comb(() => o.set(w.add(1)));
    });
    expect(elabErrors(m)).toEqual([]);
  });

  // Regression, fixed: when the statement reads the signal itself (not an expression built on that
  // line), the error points at the signal's declaration instead of the statement that reads it,
  // because checkCombSelfReads reports `e.loc` and a Signal's loc is where it was declared.
  it('a target read directly (o.set(w)) is reported at the reading statement', () => {
    const m = buildModule('self_direct', (m) => {
      const a = m.input('a', UInt(4));
      const w = m.wire('w', UInt(4));
      const o = m.output('o', UInt(4));
      m.comb(() => { //@self-direct-block
        w.set(a);
        o.set(w); //@self-direct
      });
    });
    expect(elabErrors(m)).toEqual([
      {
        detail: `w is read inside the comb block that drives it (${where('self-direct-block')}); compute it with m.let or in another block`,
        loc: at('self-direct'),
      },
    ]);
  });
});

describe('other structural errors', () => {
  it('reading a signal of another module', () => {
    const other = new Module('other_mod');
    const foreign = other.input('f', UInt(4));
    const m = buildModule('owner_check', (m) => {
      m.assign(m.output('o', UInt(4)), foreign); //@foreign
    });
    expect(elabErrors(m)).toEqual([
      { detail: 'other_mod.f is read in owner_check, but it belongs to another module; pass it through a port', loc: at('foreign') },
    ]);
  });

  it('a signed instance port fed from unsigned logic, and an unconnected input', () => {
    const child = buildModule('port_child', (m) => {
      const i = m.input('i', SInt(4));
      const j = m.input('j', UInt(2));
      m.assign(m.output('o', SInt(4)), i);
      m.sink(j);
    });
    const m = buildModule('port_parent', (m) => {
      const a = m.input('a', UInt(4));
      const u = m.instance('u', child, { i: a }); //@port-inst
      m.sink(u.out('o'));
    });
    expect(elabErrors(m)).toEqual([
      { detail: "signedness mismatch: instance u port 'i' is SInt(4) but the value is UInt(4); cast explicitly", loc: at('port-inst') },
      { detail: "instance u: input 'j' of port_child is not connected", loc: at('port-inst') },
    ]);
  });
});

describe('every error is collected', () => {
  it('three different errors in one module come out in one ElaborationError', () => {
    const m = buildModule('three_errors', (m) => {
      const a = m.input('a', UInt(8));
      const c = m.input('c', Bool);
      const y = m.output('y', UInt(4));
      const z = m.output('z', UInt(8)); //@three-undriven
      const l = m.output('l', UInt(8));
      m.assign(y, a.add(1)); //@three-width
      m.comb(() => { //@three-latch-block
        m.if(c, () => l.set(a)); //@three-latch
      });
      void z;
    });
    let caught: unknown;
    try {
      elaborate(m);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ElaborationError);
    const err = caught as ElaborationError;
    expect(err.errors.length).toBe(3);
    const lines = [
      `${where('three-width')}: width mismatch: y is UInt(4) but the value is UInt(9); use .trunc(4) if intended`,
      `${where('three-undriven')}: output z of three_errors is never driven`,
      `${where('three-latch')}: latch: l is not assigned on every path of the comb block at ${where('three-latch-block')}; give it a default first`,
    ];
    expect(err.errors.map((e) => e.message)).toEqual(lines);
    expect(err.message).toBe(`3 HDL errors:\n${lines.map((l) => `  ${l}`).join('\n')}`);
    expect(err.name).toBe('ElaborationError');
  });

  it('errors of a child and its parent are reported together, child first', () => {
    const child = buildModule('collect_child', (m) => {
      m.input('unused', Bool); //@collect-child
      m.assign(m.output('o', Bool), 1);
    });
    const top = buildModule('collect_top', (m) => {
      const u = m.instance('u', child, {}); //@collect-inst
      m.output('y', Bool); //@collect-top
      m.sink(u.out('o'));
    });
    let caught: unknown;
    try {
      elaborate(top);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ElaborationError);
    const err = caught as ElaborationError;
    expect(err.errors.map((e) => ({ detail: e.detail, loc: e.loc }))).toEqual([
      { detail: `unused in collect_child is never read; ${sinkHint}`, loc: at('collect-child') },
      { detail: "instance u: input 'unused' of collect_child is not connected", loc: at('collect-inst') },
      { detail: 'output y of collect_top is never driven', loc: at('collect-top') },
    ]);
    expect(err.message.startsWith('3 HDL errors:\n')).toBe(true);
  });

  it('one error gives a singular message', () => {
    const m = buildModule('one_error', (m) => {
      m.output('y', Bool); //@one-error
    });
    expect(() => elaborate(m)).toThrow(new RegExp(`^1 HDL error:\\n  ${where('one-error').replace(/[.]/g, '\\.')}: output y of one_error is never driven$`));
  });

  it('a clean design elaborates to its modules, children first', () => {
    const child = buildModule('clean_child', (m) => {
      m.assign(m.output('o', UInt(4)), m.input('i', UInt(4)));
    });
    const top = buildModule('clean_top', (m) => {
      const u = m.instance('u', child, { i: m.input('a', UInt(4)) });
      m.assign(m.output('y', UInt(4)), u.out('o'));
    });
    const d = elaborate(top);
    expect(d.top).toBe(top);
    expect(d.modules.map((x) => x.name)).toEqual(['clean_child', 'clean_top']);
  });
});
