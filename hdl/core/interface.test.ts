// Typed interfaces: signatures as values, the ports and wires they declare, and connect(), which
// wires two of them in one call and reports every width, signedness, direction and missing-field
// mismatch with the TypeScript line of the call (marker comments `//@tag`, as in hdl/ir/checks.test.ts).
import { describe, expect, it } from 'vitest';
import { Bool, SInt, UInt, type HdlType } from './types.ts';
import { buildModule } from './generator.ts';
import { In, Out, bundle, describeSig, flip, leavesOf, stream } from './signature.ts';
import { isView, viewMeta } from './interface.ts';
import { elaborate } from '../ir/elaborate.ts';
import { emitVerilog } from '../verilog/emit.ts';
import { fifo } from '../lib/fifo.ts';
import { streamIn, streamOut } from '../lib/stream.ts';
import { elabErrors, sourceMarkers } from '../../test/hdl-errors.ts';

const { at, where } = sourceMarkers(import.meta.url);

/** Ports of a module as `name dir type`, in Verilog order. */
const portList = (m: { ports: { name: string; dir: string; type: HdlType }[] }) =>
  m.ports.map((p) => `${p.name} ${p.dir} ${p.type.signed ? 'S' : 'U'}${p.type.width}`);

/** Verilog text of a design without its `// src:` and generator lines (which name this file's lines). */
const verilog = (top: Parameters<typeof elaborate>[0]) =>
  [...emitVerilog(elaborate(top)).values()].map((t) => t.replace(/\s*\/\/ (src|Generator):.*$/gm, '')).join('\n');

describe('signatures', () => {
  it('stream(type) is valid out, ready in, data out; a record payload gives named fields in order', () => {
    for (const w of [1, 8, 33, 512]) {
      expect(describeSig(stream(UInt(w)))).toBe(`{valid: out UInt(1), ready: in UInt(1), data: out UInt(${w})}`);
      const s = stream({ addr: UInt(w), len: UInt(8), signedPart: SInt(w) });
      expect(leavesOf(s).map((l) => `${l.path.join('.')}:${l.leaf.flow}:${l.leaf.type.signed ? 'S' : 'U'}${l.leaf.type.width}`)).toEqual([
        'valid:out:U1',
        'ready:in:U1',
        `addr:out:U${w}`,
        'len:out:U8',
        `signedPart:out:S${w}`,
      ]);
    }
  });

  it('flip reverses every leaf of a nested bundle, twice is the identity', () => {
    const bus = bundle({ ar: stream({ addr: UInt(32), len: UInt(8) }), r: flip(stream({ data: UInt(64), last: Bool })), irq: In(Bool), busy: Bool });
    const flows = (s: typeof bus) => leavesOf(s).map((l) => `${l.path.join('.')}:${l.leaf.flow}`);
    expect(flows(bus)).toEqual(['ar.valid:out', 'ar.ready:in', 'ar.addr:out', 'ar.len:out', 'r.valid:in', 'r.ready:out', 'r.data:in', 'r.last:in', 'irq:in', 'busy:out']);
    expect(flows(flip(bus))).toEqual(flows(bus).map((f) => f.replace(/:(in|out)$/, (_m, d: string) => (d === 'in' ? ':out' : ':in'))));
    expect(flip(flip(bus))).toEqual(bus);
  });

  it('fields are typed: a misspelt field is a compile error (tsc checks the @ts-expect-error lines)', () => {
    buildModule('typed_fields', (m) => {
      const s = m.port(stream({ addr: UInt(8), len: UInt(4) }), 'ar');
      const t = m.port(flip(stream(UInt(8))), 't');
      // @ts-expect-error: no field 'adr'
      expect(s.adr).toBeUndefined();
      // @ts-expect-error: a scalar stream's payload is 'data'
      expect(t.payload).toBeUndefined();
      expect([s.addr.width, s.len.width, t.data.width]).toEqual([8, 4, 8]);
      m.sink(s.ready, t.valid, t.data);
      m.assign(t.ready, 1);
      m.assign(s.valid, 0), m.assign(s.addr, 0), m.assign(s.len, 0);
    });
  });

  it('refuses payload fields named valid or ready, payloads that flow back, and bad names', () => {
    expect(() => stream({ valid: UInt(2) })).toThrow("stream payload field 'valid' clashes with the handshake");
    expect(() => stream({ x: bundle({ y: In(Bool) }) })).toThrow("stream payload field 'x.y' flows in; a payload flows with valid");
    expect(() => bundle({ 'a-b': Out(Bool) })).toThrow("bundle field 'a-b' is not a valid identifier");
    expect(() => bundle({})).toThrow('bundle has no fields');
  });
});

describe('ports, wires and instance views', () => {
  it('m.port declares prefix_field_sub ports: out leaves are outputs, in leaves inputs; flip consumes', () => {
    const bus = bundle({ ar: stream({ addr: UInt(32), len: UInt(8) }), r: flip(stream({ data: SInt(16), last: Bool })) });
    for (const [sig, name] of [
      [bus, 'master'],
      [flip(bus), 'slave'],
    ] as const) {
      const m = buildModule(`port_names_${name}`, (m) => {
        const p = m.port(sig, 'm_axi');
        expect(isView(p) && viewMeta(p).role).toBe('consumer');
        expect(p.ar.addr.name).toBe('m_axi_ar_addr');
        expect(p.r.last.name).toBe('m_axi_r_last');
        m.sink(...m.ports.filter((s) => s.dir === 'input'));
      });
      const producer = name === 'master';
      const d = (out: boolean) => (out === producer ? 'output' : 'input');
      expect(portList(m)).toEqual([
        `m_axi_ar_valid ${d(true)} U1`,
        `m_axi_ar_ready ${d(false)} U1`,
        `m_axi_ar_addr ${d(true)} U32`,
        `m_axi_ar_len ${d(true)} U8`,
        `m_axi_r_valid ${d(false)} U1`,
        `m_axi_r_ready ${d(true)} U1`,
        `m_axi_r_data ${d(false)} S16`,
        `m_axi_r_last ${d(false)} U1`,
      ]);
    }
  });

  it('streamIn / streamOut keep their port names, directions and registers', () => {
    for (const width of [1, 8, 24]) {
      for (const reg of [false, true]) {
        const byHand = buildModule(`stream_hand_w${width}_r${reg ? 1 : 0}`, (m) => {
          const iv = m.input('in_valid', Bool);
          const ir = m.output('in_ready', Bool);
          const id = m.input('in_data', UInt(width));
          const ov = m.output('out_valid', Bool, reg ? { reg: true, reset: 0 } : {});
          const or = m.input('out_ready', Bool);
          const od = m.output('out_data', UInt(width), { reg });
          m.assign(ir, or);
          if (reg) m.sync(() => m.if(or, () => (ov.set(iv), od.set(id))));
          else (m.assign(ov, iv), m.assign(od, id));
        });
        const wrapped = buildModule(`stream_wrap_w${width}_r${reg ? 1 : 0}`, (m) => {
          const i = streamIn(m, 'in', UInt(width));
          const o = streamOut(m, 'out', UInt(width), { reg });
          m.assign(i.ready, o.ready);
          if (reg) m.sync(() => m.if(o.ready, () => (o.valid.set(i.valid), o.data.set(i.data))));
          else (m.assign(o.valid, i.valid), m.assign(o.data, i.data));
        });
        expect(verilog(wrapped).replaceAll('stream_wrap', 'stream_hand')).toBe(verilog(byHand));
      }
    }
  });

  it('an instance view reads the child outputs and drives the inputs left out when it was placed', () => {
    const words = stream(UInt(8));
    const top = buildModule('io_view_top', (m) => {
      const u = m.instance('u', fifo({ width: 8, depth: 4 }), {});
      const inSide = u.io(words, 'in');
      const outSide = u.io(words, 'out');
      expect(viewMeta(inSide).role).toBe('consumer');
      expect(viewMeta(outSide).role).toBe('producer');
      expect([inSide.valid.name, inSide.ready.name, outSide.data.name]).toEqual(['u_in_valid', 'u_in_ready', 'u_out_data']);
      m.connect(m.port(flip(words), 'src'), inSide);
      m.connect(outSide, m.port(words, 'dst'));
    });
    expect(elabErrors(top)).toEqual([]);
    const text = verilog(top);
    for (const line of ['assign u_in_valid = src_valid;', 'assign src_ready = u_in_ready;', 'assign dst_data = u_out_data;', 'assign u_out_ready = dst_ready;']) {
      expect(text).toContain(line);
    }
  });

  it('an instance input left out and never driven is reported as not connected', () => {
    const top = buildModule('io_unconnected', (m) => {
      const u = m.instance('u', fifo({ width: 8, depth: 4 }), {}); //@unconnected
      m.connect(u.io(stream(UInt(8)), 'out'), m.port(stream(UInt(8)), 'dst'));
    });
    expect(elabErrors(top)).toEqual(['in_valid', 'in_data'].map((p) => ({ detail: `instance u: input '${p}' of fifo_depth4_width8 is not connected`, loc: at('unconnected') })));
  });
});

describe('connect', () => {
  it('connects every field of a nested bundle the right way round, in either argument order', () => {
    const bus = bundle({ ar: stream({ addr: UInt(20), len: UInt(4) }), r: flip(stream({ data: SInt(12), last: Bool })), irq: In(Bool) });
    for (const order of ['ab', 'ba']) {
      const top = buildModule(`connect_order_${order}`, (m) => {
        const inner = m.instance('u', buildModule(`connect_child_${order}`, (c) => {
          const p = c.port(flip(bus), 's');
          c.assign(p.ar.ready, p.r.ready);
          c.assign(p.r.valid, p.ar.valid);
          c.assign(p.r.data, p.ar.addr.slice(11, 0).asSigned());
          c.assign(p.r.last, p.ar.len.eq(0));
          c.assign(p.irq, 0);
          c.sink(p.ar.addr.slice(19, 12), p.ar.len);
        }), {});
        const outer = m.port(flip(bus), 's');
        const child = inner.io(bus, 's');
        if (order === 'ab') m.connect(outer, child);
        else m.connect(child, outer);
      });
      expect(elabErrors(top)).toEqual([]);
      const text = verilog(top);
      for (const [dst, src] of [
        ['u_s_ar_valid', 's_ar_valid'],
        ['s_ar_ready', 'u_s_ar_ready'],
        ['u_s_ar_addr', 's_ar_addr'],
        ['u_s_ar_len', 's_ar_len'],
        ['s_r_valid', 'u_s_r_valid'],
        ['u_s_r_ready', 's_r_ready'],
        ['s_r_data', 'u_s_r_data'],
        ['s_r_last', 'u_s_r_last'],
        ['s_irq', 'u_s_irq'],
      ]) {
        expect(text).toContain(`assign ${dst} = ${src};`);
      }
    }
  });

  it('sub-bundles connect on their own: a bus split into its streams', () => {
    const bus = bundle({ ar: stream({ addr: UInt(16) }), r: flip(stream({ data: UInt(32) })) });
    const top = buildModule('connect_sub', (m) => {
      const outer = m.port(bus, 'm');
      m.connect(m.port(flip(stream({ addr: UInt(16) })), 'ar'), outer.ar);
      m.connect(outer.r, m.port(stream({ data: UInt(32) }), 'r'));
    });
    expect(elabErrors(top)).toEqual([]);
    const text = verilog(top);
    for (const line of ['assign m_ar_addr = ar_addr;', 'assign ar_ready = m_ar_ready;', 'assign r_data = m_r_data;', 'assign m_r_ready = r_ready;']) expect(text).toContain(line);
  });

  it('wire bundles take the direction of the other side; two wire bundles flow first to second', () => {
    const words = stream(SInt(6));
    const top = buildModule('connect_wires', (m) => {
      const src = m.port(flip(words), 'src');
      const a = m.wires(words, 'a');
      const b = m.wires(words, 'b');
      m.connect(a, src); // a consumes src
      m.connect(a, b); // b consumes a
      m.connect(m.port(words, 'dst'), b); // dst consumes b
    });
    expect(elabErrors(top)).toEqual([]);
    const text = verilog(top);
    for (const line of ['assign a_valid = src_valid;', 'assign src_ready = a_ready;', 'assign b_data = a_data;', 'assign a_ready = b_ready;', 'assign dst_valid = b_valid;', 'assign b_ready = dst_ready;']) {
      expect(text).toContain(line);
    }
  });

  it('a width mismatch names the field, both types and the line of the call', () => {
    for (const [wa, wb] of [
      [8, 16],
      [16, 8],
      [1, 2],
    ] as const) {
      const top = buildModule(`connect_width_${wa}_${wb}`, (m) => {
        const src = m.port(flip(stream({ addr: UInt(12), data: UInt(wa) })), 'src');
        const dst = m.port(stream({ addr: UInt(12), data: UInt(wb) }), 'dst');
        m.connect(src, dst); //@width
      });
      const errs = elabErrors(top);
      expect(errs[0]).toEqual({ detail: `connect src and dst: width mismatch: 'data' is UInt(${wa}) on src but UInt(${wb}) on dst`, loc: at('width') });
      // The other fields are connected: only the mismatched one is left for the checks to report.
      expect(errs.slice(1).map((e) => e.detail)).toEqual(['src_data in connect_width_' + wa + '_' + wb + ' is never read; use m.sink() if that is intended', `output dst_data of connect_width_${wa}_${wb} is never driven`]);
    }
  });

  it('a signedness mismatch is its own message, also when placing an instance', () => {
    const top = buildModule('connect_sign', (m) => {
      m.connect(m.port(flip(stream(SInt(8))), 'src'), m.port(stream(UInt(8)), 'dst')); //@sign
      m.instance('u', fifo({ width: 8, depth: 4 }), { in: m.port(flip(stream(SInt(8))), 'other'), out: m.port(stream(UInt(8)), 'o') }); //@sign-inst
    });
    const errs = elabErrors(top).filter((e) => e.detail.includes('mismatch'));
    expect(errs).toEqual([
      { detail: "connect src and dst: signedness mismatch: 'data' is SInt(8) on src but UInt(8) on dst", loc: at('sign') },
      { detail: "instance u: signedness mismatch: fifo_depth4_width8 port 'in_data' is UInt(8) but other.data is SInt(8)", loc: at('sign-inst') },
    ]);
  });

  it('a direction mismatch: two producers, two consumers, or a child on both sides of one prefix', () => {
    const words = stream(UInt(4));
    const top = buildModule('connect_direction', (m) => {
      m.connect(m.port(flip(words), 'a'), m.port(flip(words), 'b')); //@two-producers
      m.connect(m.port(words, 'c'), m.port(words, 'd')); //@two-consumers
      const odd = buildModule('odd_child', (c) => {
        // valid and data go in, but ready goes in as well: not a stream from either side
        c.sink(c.input('x_valid', Bool), c.input('x_ready', Bool), c.input('x_data', UInt(4)));
      });
      m.instance('u', odd, { x: m.port(flip(words), 'e') }); //@odd
    });
    const errs = elabErrors(top).filter((e) => e.detail.includes('mismatch'));
    expect(errs).toEqual([
      { detail: "connect a and b: direction mismatch: 'valid', 'data' come out of both a and b; one side must take them in (flip one signature?)", loc: at('two-producers') },
      { detail: "connect a and b: direction mismatch: 'ready' goes into both a and b; nothing drives it (flip one signature?)", loc: at('two-producers') },
      { detail: "connect c and d: direction mismatch: 'ready' comes out of both c and d; one side must take it in (flip one signature?)", loc: at('two-consumers') },
      { detail: "connect c and d: direction mismatch: 'valid', 'data' go into both c and d; nothing drives them (flip one signature?)", loc: at('two-consumers') },
      { detail: "instance u: direction mismatch: on odd_child, input 'x_ready' disagrees with input 'x_valid', input 'x_data' about which side produces e", loc: at('odd') },
    ]);
  });

  it('a missing field is reported on the side that lacks it, and on a child without the port', () => {
    const top = buildModule('connect_missing', (m) => {
      const src = m.port(flip(stream({ addr: UInt(8), len: UInt(4), id: UInt(2) })), 'src');
      const dst = m.port(stream({ addr: UInt(8), user: Bool }), 'dst');
      m.connect(src, dst); //@missing
      m.instance('u', fifo({ width: 8, depth: 4 }), { in: m.port(flip(stream({ data: UInt(8), last: Bool })), 'pkt') }); //@missing-port
    });
    const errs = elabErrors(top).filter((e) => e.detail.includes('missing field'));
    expect(errs).toEqual([
      { detail: "connect src and dst: missing fields 'len', 'id' on dst (src has them)", loc: at('missing') },
      { detail: "connect src and dst: missing field 'user' on src (dst has it)", loc: at('missing') },
      { detail: "instance u: missing field: fifo_depth4_width8 has no port 'in_last' for pkt.last", loc: at('missing-port') },
    ]);
  });

  it('connecting a sink twice is caught by the multiple-driver check', () => {
    const words = stream(UInt(8));
    const top = buildModule('connect_twice', (m) => {
      const a = m.port(flip(words), 'a');
      const b = m.port(flip(words), 'b');
      const dst = m.port(words, 'dst');
      m.connect(a, dst); //@first
      m.connect(b, dst); //@second
    });
    const errs = elabErrors(top);
    const drivers = (s: string) => `${s} of connect_twice has 2 drivers: a continuous assignment at ${where('first')}, a continuous assignment at ${where('second')}`;
    expect(errs).toEqual(expect.arrayContaining([{ detail: drivers('dst_valid'), loc: at('second') }, { detail: drivers('dst_data'), loc: at('second') }]));
    expect(errs.filter((e) => e.detail.includes('drivers')).length).toBe(2);
  });

  it('an instance input connected when placed cannot be connected again through io()', () => {
    const words = stream(UInt(8));
    const top = buildModule('connect_again', (m) => {
      const src = m.port(flip(words), 'src');
      const u = m.instance('u', fifo({ width: 8, depth: 4 }), { in: src }); //@placed
      m.connect(u.io(words, 'out'), m.port(words, 'dst'));
      m.connect(m.port(flip(words), 'other'), u.io(words, 'in')); //@again
      m.instance('v', fifo({ width: 8, depth: 4 }), { in: src, in_valid: src.valid }); //@twice
    });
    const errs = elabErrors(top).filter((e) => e.detail.includes('connect'));
    for (const p of ['in_valid', 'in_data']) expect(errs).toContainEqual({ detail: `instance u: input '${p}' was connected when u was placed; connect 'in' in one place`, loc: at('again') });
    expect(errs).toContainEqual({ detail: "instance v: input 'in_valid' of fifo_depth4_width8 is connected twice", loc: at('twice') });
    void at('placed');
  });

  it('a registered port cannot be a connect target; reset names must be fields', () => {
    const words = stream(UInt(8));
    const top = buildModule('connect_reg', (m) => {
      const src = m.port(flip(words), 'src');
      const dst = m.port(words, 'dst', { reg: true, reset: { valid: 0 } });
      m.connect(src, dst); //@reg
      m.port(words, 'bad', { reg: true, reset: { vaild: 0 } }); //@reset
    });
    const errs = elabErrors(top).filter((e) => e.detail.includes('is a register') || e.detail.includes('reset names'));
    expect(errs).toEqual([
      { detail: 'connect src and dst: dst_valid is a register; set it in m.sync, or connect a wire', loc: at('reg') },
      { detail: 'connect src and dst: dst_data is a register; set it in m.sync, or connect a wire', loc: at('reg') },
      { detail: "port bad: reset names 'vaild', which is not a field of bad", loc: at('reset') },
    ]);
  });

  it('an interface of another module cannot be connected or passed to an instance', () => {
    const words = stream(UInt(8));
    let foreign: ReturnType<typeof streamIn> | undefined;
    buildModule('connect_other', (m) => {
      foreign = m.port(flip(words), 'src');
      m.connect(foreign, m.port(words, 'dst'));
    });
    const top = buildModule('connect_foreign', (m) => {
      m.connect(foreign!, m.port(words, 'dst')); //@foreign
      m.instance('u', fifo({ width: 8, depth: 4 }), { in: foreign! }); //@foreign-inst
    });
    const errs = elabErrors(top).filter((e) => e.detail.includes('belongs'));
    expect(errs).toEqual([
      { detail: 'connect src and dst: src belongs to connect_other, not connect_foreign', loc: at('foreign') },
      { detail: 'instance u: connect src to in: src belongs to connect_other, not connect_foreign', loc: at('foreign-inst') },
    ]);
  });
});
