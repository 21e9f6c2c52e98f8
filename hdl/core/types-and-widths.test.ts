// Width and signedness rules of expressions and assignments, the errors they report (with the exact
// TypeScript line of the offending statement), and the module generator's naming and freezing.
//
// Expected lines are taken from the source of this file: a statement that should be blamed ends in a
// marker comment `//@tag`, and lineOf('tag') finds that line, so editing the file never breaks them.
import { describe, expect, it } from 'vitest';
import { Bool, SInt, UInt, type HdlType } from './types.ts';
import { BinaryExpr, CastExpr, ConcatExpr, ConstExpr, Expr, ExtendExpr, ShiftExpr, SliceExpr, cat, lit, mux, repeat } from './expr.ts';
import { Module } from './module.ts';
import { buildModule, defineModule } from './generator.ts';
import { HdlError } from './errors.ts';
import { elabErrors, sourceMarkers } from '../../test/hdl-errors.ts';

const { file: FILE, lineOf, at } = sourceMarkers(import.meta.url);

/** The HdlError `fn` throws (fails the test when it throws nothing or something else). */
function thrown(fn: () => unknown): HdlError {
  try {
    fn();
  } catch (e) {
    if (e instanceof HdlError) return e;
    throw new Error(`expected an HdlError, got ${String(e)}`);
  }
  throw new Error('expected an HdlError, nothing was thrown');
}

const ty = (e: Expr): HdlType => ({ width: e.width, signed: e.signed });

let unique = 0;
const freshName = (base: string) => `${base}_${++unique}`;

// A scratch module outside any build: it has no error sink, so any error made with its signals throws
// at once. Width tests below therefore also prove that no error was reported.
const s = new Module('scratch');
const u1 = s.input('u1', UInt(1));
const u2 = s.input('u2', UInt(2));
const u3 = s.input('u3', UInt(3));
const u4 = s.input('u4', UInt(4));
const u8 = s.input('u8', UInt(8));
const s4 = s.input('s4', SInt(4));
const s8 = s.input('s8', SInt(8));
const u100 = s.input('u100', UInt(100));
const s100 = s.input('s100', SInt(100));
const b = s.input('b', Bool);

describe('result widths and signedness', () => {
  it('add and sub grow to the wider operand plus one bit', () => {
    expect(ty(u8.add(u4))).toEqual(UInt(9));
    expect(ty(u4.add(u8))).toEqual(UInt(9));
    expect(ty(u4.add(u4))).toEqual(UInt(5));
    expect(ty(u1.add(u1))).toEqual(UInt(2));
    expect(ty(s8.add(s4))).toEqual(SInt(9));
    expect(ty(u8.sub(u4))).toEqual(UInt(9));
    expect(ty(s4.sub(s8))).toEqual(SInt(9));
    expect(u8.add(u4)).toBeInstanceOf(BinaryExpr);
    expect((u8.sub(u4) as BinaryExpr).op).toBe('sub');
  });

  it('mul gives the sum of the widths', () => {
    expect(ty(u8.mul(u4))).toEqual(UInt(12));
    expect(ty(u1.mul(u1))).toEqual(UInt(2));
    expect(ty(s8.mul(s8))).toEqual(SInt(16));
    expect(ty(s4.mul(s8))).toEqual(SInt(12));
    expect(ty(u100.mul(u100))).toEqual(UInt(200));
  });

  it('and/or/xor give the wider operand; not keeps the type', () => {
    expect(ty(u8.and(u4))).toEqual(UInt(8));
    expect(ty(u3.or(u8))).toEqual(UInt(8));
    expect(ty(u2.xor(u2))).toEqual(UInt(2));
    expect(ty(s4.and(s8))).toEqual(SInt(8));
    expect(ty(s8.or(s4))).toEqual(SInt(8));
    expect(ty(s4.xor(s4))).toEqual(SInt(4));
    expect(ty(u4.not())).toEqual(UInt(4));
    expect(ty(s8.not())).toEqual(SInt(8));
  });

  it('comparisons and reductions are one unsigned bit', () => {
    for (const [x, y] of [
      [u8, u4],
      [s4, s8],
      [u100, u1],
    ] as const) {
      for (const op of ['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const) {
        const r = x[op](y);
        expect(ty(r), op).toEqual(Bool);
        expect((r as BinaryExpr).op).toBe(op);
      }
    }
    expect(ty(u8.eq(1000))).toEqual(Bool);
    expect(ty(s8.lt(-1000))).toEqual(Bool);
    expect(ty(s8.andR())).toEqual(Bool);
    expect(ty(u8.orR())).toEqual(Bool);
    expect(ty(s4.xorR())).toEqual(Bool);
  });

  it('neg is signed and one bit wider, for unsigned and signed operands', () => {
    expect(ty(u8.neg())).toEqual(SInt(9));
    expect(ty(s8.neg())).toEqual(SInt(9));
    expect(ty(u1.neg())).toEqual(SInt(2));
    expect(ty(s4.neg().neg())).toEqual(SInt(6));
  });

  it('shl(n) grows by n bits and shr(n) drops n bits, keeping signedness', () => {
    expect(ty(u8.shl(3))).toEqual(UInt(11));
    expect(ty(s8.shl(2))).toEqual(SInt(10));
    expect(ty(u8.shl(100))).toEqual(UInt(108));
    expect(ty(u8.shr(3))).toEqual(UInt(5));
    expect(ty(u8.shr(7))).toEqual(UInt(1));
    expect(ty(s8.shr(7))).toEqual(SInt(1));
    expect(ty(s8.shr(1))).toEqual(SInt(7));
    // A shift by zero is the value itself.
    expect(u8.shl(0)).toBe(u8);
    expect(s8.shr(0)).toBe(s8);
    expect(u8.shl(3)).toBeInstanceOf(ShiftExpr);
  });

  it('shl by a k-bit signal grows by 2^k - 1 bits; shr by a signal keeps the type', () => {
    expect(ty(u8.shl(u1))).toEqual(UInt(9));
    expect(ty(u8.shl(u2))).toEqual(UInt(11));
    expect(ty(u8.shl(u3))).toEqual(UInt(15));
    expect(ty(u8.shl(u4))).toEqual(UInt(23));
    expect(ty(s4.shl(u3))).toEqual(SInt(11));
    expect(ty(u8.shr(u3))).toEqual(UInt(8));
    expect(ty(s8.shr(u4))).toEqual(SInt(8));
  });

  it('slice, bit and msb are unsigned, even of signed values', () => {
    expect(ty(u8.slice(7, 4))).toEqual(UInt(4));
    expect(ty(s8.slice(7, 4))).toEqual(UInt(4));
    expect(ty(s8.slice(7, 0))).toEqual(UInt(8));
    expect(ty(s8.slice(3, 3))).toEqual(UInt(1));
    expect(ty(s8.bit(7))).toEqual(UInt(1));
    expect(ty(s4.msb())).toEqual(UInt(1));
    expect(ty(u100.bit(99))).toEqual(UInt(1));
    const m = s8.msb() as SliceExpr;
    expect([m.hi, m.lo]).toEqual([7, 7]);
    const sl = u8.slice(6, 2) as SliceExpr;
    expect([sl.a, sl.hi, sl.lo]).toEqual([u8, 6, 2]);
  });

  it('cat is unsigned with the sum of the widths; repeat multiplies', () => {
    expect(ty(cat(u8, s4, u1))).toEqual(UInt(13));
    expect(ty(cat(s8, s8))).toEqual(UInt(16));
    expect(ty(cat(u100, u100, u100))).toEqual(UInt(300));
    // A single part is just that part, read as unsigned.
    expect(ty(cat(s8))).toEqual(UInt(8));
    expect(cat(u8)).toBe(u8);
    expect(ty(repeat(u3, 4))).toEqual(UInt(12));
    expect(ty(repeat(s4, 2))).toEqual(UInt(8));
    const c = cat(u8, u1) as ConcatExpr;
    expect(c.parts).toEqual([u8, u1]);
  });

  it('mux is as wide as the wider side and takes the sides signedness', () => {
    expect(ty(mux(b, u8, u4))).toEqual(UInt(8));
    expect(ty(mux(b, u4, u8))).toEqual(UInt(8));
    expect(ty(mux(b, s4, s8))).toEqual(SInt(8));
    expect(ty(mux(b, u4, 200))).toEqual(UInt(8));
    expect(ty(mux(b, 200, u4))).toEqual(UInt(8));
    expect(ty(mux(b, s4, -100))).toEqual(SInt(8));
    expect(ty(mux(b, -1, 2))).toEqual(SInt(3));
    expect(ty(mux(b, 1, 2))).toEqual(UInt(2));
    expect(ty(mux(u8.eq(0), s8, s4))).toEqual(SInt(8));
  });

  it('ext extends by the value own signedness; a same-width ext is the value itself', () => {
    expect(ty(u4.ext(8))).toEqual(UInt(8));
    expect(ty(s4.ext(8))).toEqual(SInt(8));
    expect(u4.ext(4)).toBe(u4);
    const e = s4.ext(9) as ExtendExpr;
    expect(e).toBeInstanceOf(ExtendExpr);
    expect(e.a).toBe(s4);
  });

  it('sext reads the bits as signed, zext as unsigned, then extend', () => {
    const se = u4.sext(8) as ExtendExpr;
    expect(ty(se)).toEqual(SInt(8));
    expect(se.a).toBeInstanceOf(CastExpr);
    expect(ty(se.a)).toEqual(SInt(4));
    expect(ty(s4.sext(8))).toEqual(SInt(8));
    expect((s4.sext(8) as ExtendExpr).a).toBe(s4);
    const ze = s4.zext(8) as ExtendExpr;
    expect(ty(ze)).toEqual(UInt(8));
    expect(ty(ze.a)).toEqual(UInt(4));
    expect(ty(u4.zext(6))).toEqual(UInt(6));
    expect(ty(u4.sext(4))).toEqual(SInt(4));
    expect(ty(s4.zext(4))).toEqual(UInt(4));
  });

  it('trunc keeps the low bits and the signedness', () => {
    expect(ty(u8.trunc(4))).toEqual(UInt(4));
    expect(ty(s8.trunc(4))).toEqual(SInt(4));
    expect(ty(s8.trunc(1))).toEqual(SInt(1));
    expect(u8.trunc(8)).toBe(u8);
    expect(s8.trunc(8)).toBe(s8);
    const t = u8.trunc(3) as SliceExpr;
    expect([t.a, t.hi, t.lo]).toEqual([u8, 2, 0]);
    const st = s8.trunc(5) as CastExpr;
    expect(st).toBeInstanceOf(CastExpr);
    expect(ty(st.a)).toEqual(UInt(5));
  });

  it('asSigned/asUnsigned reinterpret the bits; toSigned adds a zero sign bit to unsigned values', () => {
    expect(ty(u8.asSigned())).toEqual(SInt(8));
    expect(ty(s8.asUnsigned())).toEqual(UInt(8));
    expect(s8.asSigned()).toBe(s8);
    expect(u8.asUnsigned()).toBe(u8);
    expect(ty(u8.toSigned())).toEqual(SInt(9));
    expect(ty(u1.toSigned())).toEqual(SInt(2));
    expect(s8.toSigned()).toBe(s8);
    expect(ty(u8.asSigned().asUnsigned())).toEqual(UInt(8));
  });
});

describe('plain numbers next to signals', () => {
  const other = (e: Expr): ConstExpr => {
    expect(e).toBeInstanceOf(BinaryExpr);
    const c = (e as BinaryExpr).b;
    expect(c).toBeInstanceOf(ConstExpr);
    return c as ConstExpr;
  };

  it('take the signal signedness and the smallest width that holds them', () => {
    let c = other(s8.add(3));
    expect([c.value, ty(c)]).toEqual([3n, SInt(3)]);
    expect(ty(s8.add(3))).toEqual(SInt(9));
    c = other(u2.add(200));
    expect([c.value, ty(c)]).toEqual([200n, UInt(8)]);
    expect(ty(u2.add(200))).toEqual(UInt(9));
    c = other(s8.add(-1));
    expect([c.value, ty(c)]).toEqual([-1n, SInt(1)]);
    c = other(s8.sub(-128));
    expect([c.value, ty(c)]).toEqual([-128n, SInt(8)]);
    c = other(s8.sub(128));
    expect([c.value, ty(c)]).toEqual([128n, SInt(9)]);
    expect(ty(s8.sub(128))).toEqual(SInt(10));
    c = other(u8.eq(0));
    expect([c.value, ty(c)]).toEqual([0n, UInt(1)]);
    c = other(u8.and(1));
    expect([c.value, ty(c)]).toEqual([1n, UInt(1)]);
    expect(ty(u8.and(1))).toEqual(UInt(8));
    c = other(s8.mul(3));
    expect([c.value, ty(c)]).toEqual([3n, SInt(3)]);
    expect(ty(s8.mul(3))).toEqual(SInt(11));
    expect(ty(u4.mul(255))).toEqual(UInt(12));
    c = other(u8.add(true));
    expect([c.value, ty(c)]).toEqual([1n, UInt(1)]);
    c = other(u8.lt(2n ** 60n));
    expect([c.value, ty(c)]).toEqual([2n ** 60n, UInt(61)]);
  });

  it('lit() picks the minimal type from the value, or takes the one given', () => {
    const cases: [number | bigint | boolean, HdlType][] = [
      [0, UInt(1)],
      [1, UInt(1)],
      [2, UInt(2)],
      [255, UInt(8)],
      [256, UInt(9)],
      [-1, SInt(1)],
      [-2, SInt(2)],
      [-128, SInt(8)],
      [-129, SInt(9)],
      [true, UInt(1)],
      [false, UInt(1)],
      [Number.MAX_SAFE_INTEGER, UInt(53)],
    ];
    for (const [v, t] of cases) expect(ty(lit(v)), String(v)).toEqual(t);
    expect(ty(lit(5, SInt(8)))).toEqual(SInt(8));
    expect(lit(-3, SInt(4)).value).toBe(-3n);
  });
});

describe('bigint constants past 53 bits', () => {
  it('lit(2n**70n) is 71 bits and keeps its exact value', () => {
    const c = lit(2n ** 70n);
    expect(ty(c)).toEqual(UInt(71));
    expect(c.value).toBe(1180591620717411303424n);
    expect(ty(lit(2n ** 70n - 1n))).toEqual(UInt(70));
    expect(ty(lit(-(2n ** 70n)))).toEqual(SInt(71));
    expect(ty(lit(-(2n ** 70n) - 1n))).toEqual(SInt(72));
    expect(ty(lit(2n ** 53n + 1n))).toEqual(UInt(54));
    expect(lit(2n ** 53n + 1n).value).toBe(9007199254740993n);
  });

  it('a 100-bit signal adds, compares and multiplies with bigints', () => {
    let e = u100.add(2n ** 99n) as BinaryExpr;
    expect(ty(e.b)).toEqual(UInt(100));
    expect(ty(e)).toEqual(UInt(101));
    e = u100.add(2n ** 100n) as BinaryExpr;
    expect(ty(e.b)).toEqual(UInt(101));
    expect((e.b as ConstExpr).value).toBe(2n ** 100n);
    expect(ty(e)).toEqual(UInt(102));
    e = s100.add(-(2n ** 80n)) as BinaryExpr;
    expect(ty(e.b)).toEqual(SInt(81));
    expect(ty(e)).toEqual(SInt(101));
    expect(ty(u100.mul(2n ** 70n))).toEqual(UInt(171));
    expect(ty(u100.eq(2n ** 99n + 12345n))).toEqual(Bool);
  });

  it('a 100-bit design with bigint constants elaborates, and a too-wide one is reported', () => {
    const ok = buildModule(freshName('big_ok'), (m) => {
      const a = m.input('a', UInt(100));
      const y = m.output('y', UInt(101));
      const z = m.output('z', UInt(101));
      m.assign(y, a.add(2n ** 99n + 7n));
      m.assign(z, 2n ** 100n);
    });
    expect(elabErrors(ok)).toEqual([]);
    const bad = buildModule('big_bad', (m) => {
      const a = m.input('a', UInt(100));
      const y = m.output('y', UInt(100));
      m.assign(y, a.add(2n ** 100n)); //@big-wide
    });
    expect(elabErrors(bad)).toEqual([
      { detail: 'width mismatch: y is UInt(100) but the value is UInt(102); use .trunc(100) if intended', loc: at('big-wide') },
    ]);
  });
});

describe('type errors, reported at the offending line', () => {
  it('add mixing signed and unsigned', () => {
    const m = buildModule('mix_add', (m) => {
      const a = m.input('a', SInt(8));
      const u = m.input('u', UInt(8));
      const y = m.output('y', SInt(9));
      m.assign(y, a.add(u)); //@mix-add
    });
    expect(elabErrors(m)).toEqual([
      { detail: 'add mixes SInt(8) and UInt(8); cast one side (.toSigned(), .asSigned(), .asUnsigned())', loc: at('mix-add') },
    ]);
  });

  it('sub, mul and bitwise ops mixing signed and unsigned name the op', () => {
    const m = buildModule('mix_ops', (m) => {
      const a = m.input('a', SInt(4));
      const u = m.input('u', UInt(8));
      const y = m.output('y', UInt(9));
      const z = m.output('z', UInt(12));
      const w = m.output('w', UInt(8));
      m.assign(y, u.sub(a)); //@mix-sub
      m.assign(z, u.mul(a)); //@mix-mul
      m.assign(w, u.xor(a)); //@mix-xor
    });
    expect(elabErrors(m)).toEqual([
      { detail: 'sub mixes UInt(8) and SInt(4); cast one side (.toSigned(), .asSigned(), .asUnsigned())', loc: at('mix-sub') },
      { detail: 'mul mixes UInt(8) and SInt(4); cast one side (.toSigned(), .asSigned(), .asUnsigned())', loc: at('mix-mul') },
      { detail: 'xor mixes UInt(8) and SInt(4); cast one side (.toSigned(), .asSigned(), .asUnsigned())', loc: at('mix-xor') },
    ]);
  });

  it('compare mixing signed and unsigned', () => {
    const m = buildModule('mix_cmp', (m) => {
      const a = m.input('a', SInt(8));
      const u = m.input('u', UInt(4));
      const y = m.output('y', Bool);
      m.assign(y, u.lt(a)); //@mix-cmp
    });
    expect(elabErrors(m)).toEqual([
      { detail: 'lt mixes UInt(4) and SInt(8); cast one side (.toSigned(), .asSigned(), .asUnsigned())', loc: at('mix-cmp') },
    ]);
  });

  it('mux sides mixing signed and unsigned', () => {
    const m = buildModule('mix_mux', (m) => {
      const sel = m.input('sel', Bool);
      const a = m.input('a', SInt(8));
      const u = m.input('u', UInt(8));
      const y = m.output('y', SInt(8));
      m.assign(y, mux(sel, a, u)); //@mix-mux
    });
    expect(elabErrors(m)).toEqual([
      { detail: 'mux mixes SInt(8) and UInt(8); cast one side (.toSigned(), .asSigned(), .asUnsigned())', loc: at('mix-mux') },
    ]);
  });

  it('casting one side makes mixed arithmetic legal', () => {
    const m = buildModule(freshName('mix_cast'), (m) => {
      const a = m.input('a', SInt(8));
      const u = m.input('u', UInt(8));
      const y = m.output('y', SInt(10));
      const z = m.output('z', Bool);
      m.assign(y, a.add(u.toSigned()));
      m.assign(z, a.asUnsigned().lt(u));
    });
    expect(elabErrors(m)).toEqual([]);
  });

  it('m.assign of a wider value names both widths', () => {
    const m = buildModule('wide_assign', (m) => {
      const a = m.input('a', UInt(8));
      const c = m.input('c', UInt(8));
      const y = m.output('y', UInt(4));
      m.assign(y, a.add(c)); //@wide-assign
    });
    const errs = elabErrors(m);
    expect(errs).toEqual([{ detail: 'width mismatch: y is UInt(4) but the value is UInt(9); use .trunc(4) if intended', loc: at('wide-assign') }]);
    expect(errs[0]!.detail).toContain('UInt(4)');
    expect(errs[0]!.detail).toContain('UInt(9)');
  });

  it('.set() of a wider value inside m.comb', () => {
    const m = buildModule('wide_comb', (m) => {
      const a = m.input('a', UInt(8));
      const c = m.input('c', UInt(8));
      const y = m.output('y', UInt(4));
      m.comb(() => {
        y.set(a.add(c)); //@wide-comb
      });
    });
    expect(elabErrors(m)).toEqual([
      { detail: 'width mismatch: y is UInt(4) but the value is UInt(9); use .trunc(4) if intended', loc: at('wide-comb') },
    ]);
  });

  it('.set() of a wider value inside m.sync, nested in an if', () => {
    const m = buildModule('wide_sync', (m) => {
      const a = m.input('a', UInt(8));
      const c = m.input('c', UInt(8));
      const en = m.input('en', Bool);
      const r = m.output('r', UInt(4), { reg: true });
      m.sync(() => {
        m.if(en, () => {
          r.set(a.add(c)); //@wide-sync
        });
      });
    });
    expect(elabErrors(m)).toEqual([
      { detail: 'width mismatch: r is UInt(4) but the value is UInt(9); use .trunc(4) if intended', loc: at('wide-sync') },
    ]);
  });

  it('narrower values extend silently; trunc() makes a wide value fit', () => {
    const m = buildModule(freshName('narrow_ok'), (m) => {
      const a = m.input('a', UInt(8));
      const c = m.input('c', SInt(3));
      const y = m.output('y', UInt(16));
      const z = m.output('z', SInt(9));
      const t = m.output('t', UInt(4));
      m.assign(y, a);
      m.assign(z, c);
      m.assign(t, a.add(a).trunc(4));
    });
    expect(elabErrors(m)).toEqual([]);
    const y = m.continuous[0]!.value;
    expect(y).toBeInstanceOf(ExtendExpr);
    expect(ty(y)).toEqual(UInt(16));
    expect(ty(m.continuous[1]!.value)).toEqual(SInt(9));
  });

  it('signedness mismatch in m.assign and in .set()', () => {
    const m = buildModule('sign_assign', (m) => {
      const u = m.input('u', UInt(8));
      const a = m.input('a', SInt(8));
      const y = m.output('y', SInt(8));
      const r = m.output('r', UInt(8), { reg: true });
      m.assign(y, u); //@sign-assign
      m.sync(() => {
        r.set(a); //@sign-set
      });
    });
    expect(elabErrors(m)).toEqual([
      { detail: 'signedness mismatch: y is SInt(8) but the value is UInt(8); cast explicitly', loc: at('sign-assign') },
      { detail: 'signedness mismatch: r is UInt(8) but the value is SInt(8); cast explicitly', loc: at('sign-set') },
    ]);
  });

  it('a negative constant next to an unsigned value', () => {
    const m = buildModule('neg_const', (m) => {
      const u = m.input('u', UInt(8));
      const y = m.output('y', UInt(9));
      const z = m.output('z', UInt(4));
      m.assign(y, u.add(-1)); //@neg-add
      m.assign(z, -3); //@neg-assign
    });
    expect(elabErrors(m)).toEqual([
      { detail: 'negative constant -1 next to an unsigned value; cast the value with .toSigned()', loc: at('neg-add') },
      { detail: 'negative constant -3 next to an unsigned value; cast the value with .toSigned()', loc: at('neg-assign') },
    ]);
  });

  it('a negative constant next to a signed value is fine', () => {
    const m = buildModule(freshName('neg_ok'), (m) => {
      const a = m.input('a', SInt(8));
      const y = m.output('y', SInt(9));
      m.assign(y, a.add(-1));
    });
    expect(elabErrors(m)).toEqual([]);
  });

  it('a constant that does not fit its explicit type', () => {
    const m = buildModule('lit_fit', (m) => {
      const y = m.output('y', UInt(2));
      const z = m.output('z', SInt(4));
      m.assign(y, lit(5, UInt(2))); //@lit-fit
      m.assign(z, lit(8, SInt(4))); //@lit-fit-s
    });
    expect(elabErrors(m)).toEqual([
      { detail: 'constant 5 does not fit UInt(2)', loc: at('lit-fit') },
      { detail: 'constant 8 does not fit SInt(4)', loc: at('lit-fit-s') },
    ]);
  });

  it('slices out of range', () => {
    const m = buildModule('slice_range', (m) => {
      const u = m.input('u', UInt(8));
      const y = m.output('y', UInt(9));
      const z = m.output('z', UInt(2));
      const w = m.output('w', Bool);
      m.sink(u);
      m.assign(y, u.slice(8, 0)); //@slice-hi
      m.assign(z, u.slice(2, 3)); //@slice-rev
      m.assign(w, u.bit(-1)); //@slice-neg
    });
    expect(elabErrors(m)).toEqual([
      { detail: 'slice [8:0] is outside UInt(8)', loc: at('slice-hi') },
      { detail: 'slice [2:3] is outside UInt(8)', loc: at('slice-rev') },
      { detail: 'slice [-1:-1] is outside UInt(8)', loc: at('slice-neg') },
    ]);
  });

  it('ext() that would shrink (also through sext/zext)', () => {
    const m = buildModule('ext_shrink', (m) => {
      const u = m.input('u', UInt(8));
      const a = m.input('a', SInt(8));
      const y = m.output('y', UInt(8));
      const z = m.output('z', SInt(8));
      m.assign(y, u.ext(4)); //@ext-shrink
      m.assign(z, a.sext(6)); //@sext-shrink
    });
    expect(elabErrors(m)).toEqual([
      { detail: 'ext(4) would shrink UInt(8); use trunc()', loc: at('ext-shrink') },
      { detail: 'ext(6) would shrink SInt(8); use trunc()', loc: at('sext-shrink') },
    ]);
  });

  it('trunc() that would grow, or to zero bits', () => {
    const m = buildModule('trunc_grow', (m) => {
      const u = m.input('u', UInt(8));
      const y = m.output('y', UInt(9));
      const z = m.output('z', UInt(8));
      m.assign(y, u.trunc(9)); //@trunc-grow
      m.assign(z, u.trunc(0)); //@trunc-zero
    });
    expect(elabErrors(m)).toEqual([
      { detail: 'trunc(9) of UInt(8) is not a truncation', loc: at('trunc-grow') },
      { detail: 'trunc(0) of UInt(8) is not a truncation', loc: at('trunc-zero') },
    ]);
  });

  it('shift amounts out of range', () => {
    const m = buildModule('shift_range', (m) => {
      const u = m.input('u', UInt(8));
      const y = m.output('y', UInt(8));
      const z = m.output('z', UInt(8));
      m.assign(y, u.shr(8)); //@shr-range
      m.assign(z, u.shl(1.5).trunc(8)); //@shl-frac
    });
    expect(elabErrors(m)).toEqual([
      { detail: 'shift by 8 is out of range 0..7', loc: at('shr-range') },
      { detail: 'shift by 1.5 is out of range 0..Infinity', loc: at('shl-frac') },
    ]);
  });

  it('a 2-bit if-condition built on the if line', () => {
    const m = buildModule('cond_wide', (m) => {
      const sel = m.input('sel', UInt(2));
      const y = m.output('y', Bool);
      m.comb(() => {
        y.set(0);
        m.if(sel.and(3), () => y.set(1)); //@cond-wide
      });
    });
    expect(elabErrors(m)).toEqual([{ detail: 'if condition must be 1 bit wide, got UInt(2); use .orR() or .ne(0)', loc: at('cond-wide') }]);
  });

  // Regression, fixed: a signal used directly as a too-wide condition is blamed on the line that
  // declared the signal, not on the m.if that misuses it (IfBuilder.elif -> checkCondition uses c.loc).
  it('a 2-bit signal as if-condition is reported at the m.if line', () => {
    const m = buildModule('cond_wide_sig', (m) => {
      const sel = m.input('sel', UInt(2));
      const y = m.output('y', Bool);
      m.comb(() => {
        y.set(0);
        m.if(sel, () => y.set(1)); //@cond-wide-sig
      });
    });
    expect(elabErrors(m)).toEqual([{ detail: 'if condition must be 1 bit wide, got UInt(2); use .orR() or .ne(0)', loc: at('cond-wide-sig') }]);
  });

  // Regression, fixed: shl by a signed signal is blamed on the line that declared the amount signal
  // (Expr.shl reports at amount.loc), not on the shl call.
  it('shl by a signed signal is reported at the shl line', () => {
    const m = buildModule('shl_signed', (m) => {
      const a = m.input('a', UInt(4));
      const sh = m.input('sh', SInt(2));
      const y = m.output('y', UInt(7));
      m.assign(y, a.shl(sh)); //@shl-signed
    });
    expect(elabErrors(m)).toEqual([{ detail: 'shift amount must be an unsigned signal of at most 16 bits, got SInt(2)', loc: at('shl-signed') }]);
  });

  // Regression, fixed: mux types its two plain-number sides asymmetrically: mux(sel, -1, 2) is SInt(3)
  // but mux(sel, 2, -1) reports 'negative constant -1 next to an unsigned value'.
  it('mux of two plain numbers does not depend on their order', () => {
    const m = buildModule('mux_order', (m) => {
      const sel = m.input('sel', Bool);
      const y = m.output('y', SInt(3));
      const z = m.output('z', SInt(3));
      m.assign(y, mux(sel, -1, 2));
      m.assign(z, mux(sel, 2, -1));
    });
    expect(elabErrors(m)).toEqual([]);
  });

  // Regression, fixed: a far out-of-range slice escapes the error collection as a RangeError: the
  // fallback constant is built with UInt(hi - lo + 1), which throws past MAX_WIDTH.
  it('a far out-of-range slice is collected like any other slice error', () => {
    let m: Module | undefined;
    expect(() => {
      m = buildModule('slice_far', (m) => {
        const u = m.input('u', UInt(8));
        m.sink(u, u.slice(100_000, 0)); //@slice-far
      });
    }).not.toThrow();
    expect(elabErrors(m!)).toEqual([{ detail: 'slice [100000:0] is outside UInt(8)', loc: at('slice-far') }]);
  });

  it('.set() outside a block', () => {
    const m = buildModule('set_outside', (m) => {
      const a = m.input('a', UInt(4)); //@set-outside-a
      const y = m.output('y', UInt(4)); //@set-outside-decl
      y.set(a); //@set-outside
    });
    expect(elabErrors(m)).toEqual([
      { detail: 'y.set() outside m.comb/m.sync; use m.assign for a continuous assignment', loc: at('set-outside') },
      { detail: 'a in set_outside is never read; use m.sink() if that is intended', loc: at('set-outside-a') },
      { detail: 'output y of set_outside is never driven', loc: at('set-outside-decl') },
    ]);
  });

  it('.set() with no module being built throws at once', () => {
    const m = new Module('loose');
    const w = m.wire('w', UInt(4));
    const e = thrown(() => w.set(1)); //@set-loose
    expect(e.detail).toBe('w.set() outside m.comb/m.sync; use m.assign for a continuous assignment');
    expect(e.loc).toEqual(at('set-loose'));
    expect(e.message).toBe(`${FILE}:${lineOf('set-loose')}: ${e.detail}`);
  });

  it('a register set in m.comb and a wire set in m.sync', () => {
    const m = buildModule('wrong_block', (m) => {
      const a = m.input('a', UInt(4));
      const r = m.output('r', UInt(4), { reg: true });
      const w = m.output('w', UInt(4));
      m.comb(() => {
        r.set(a); //@reg-in-comb
      });
      m.sync(() => {
        w.set(a); //@wire-in-sync
      });
    });
    expect(elabErrors(m)).toEqual([
      { detail: 'register r set in a comb block; registers are set in m.sync', loc: at('reg-in-comb') },
      { detail: 'wire w set in a sync block; declare it with m.reg', loc: at('wire-in-sync') },
    ]);
  });

  it('m.assign to a register or an input, and m.assign inside a block', () => {
    const m = buildModule('assign_wrong', (m) => {
      const a = m.input('a', UInt(4));
      const r = m.output('r', UInt(4), { reg: true });
      const w = m.output('w', UInt(4));
      m.sync(() => r.set(a)); //@assign-reg-sync
      m.assign(r, a); //@assign-reg
      m.assign(a, 1); //@assign-input
      m.comb(() => {
        m.assign(w, a); //@assign-in-block
      });
    });
    expect(elabErrors(m)).toEqual([
      { detail: 'cannot assign to register r', loc: at('assign-reg') },
      { detail: 'cannot assign to input a', loc: at('assign-input') },
      { detail: 'm.assign inside a comb block; use w.set()', loc: at('assign-in-block') },
      // The structural checks then see the bad assignments as drivers.
      { detail: 'input a of assign_wrong is driven inside the module', loc: at('assign-input') },
      {
        detail: `r of assign_wrong has 2 drivers: a continuous assignment at ${FILE}:${lineOf('assign-reg')}, a sync block at ${FILE}:${lineOf('assign-reg-sync')}`,
        loc: at('assign-reg-sync'),
      },
    ]);
  });

  it('duplicate names, naming where the first one was declared', () => {
    const m = buildModule('dups', (m) => {
      const a = m.input('a', UInt(4)); //@dup-first
      const a2 = m.wire('a', UInt(4)); //@dup-second
      const y = m.output('y', UInt(4)); //@dup-y
      m.reg('y', UInt(4)); //@dup-reg
      m.memory('a', UInt(8), 4); //@dup-mem
      m.assign(a2, a);
      m.assign(y, a2);
    });
    const first = lineOf('dup-first');
    const y = lineOf('dup-y');
    expect(elabErrors(m)).toEqual([
      { detail: `'a' is already declared in dups (at ${FILE}:${first})`, loc: at('dup-second') },
      { detail: `'y' is already declared in dups (at ${FILE}:${y})`, loc: at('dup-reg') },
      { detail: `'a' is already declared in dups (at ${FILE}:${lineOf('dup-second')})`, loc: at('dup-mem') },
      // The duplicate register is still declared, so the checks see it too.
      { detail: 'register y of dups is never driven', loc: at('dup-reg') },
      { detail: 'y in dups is never read; use m.sink() if that is intended', loc: at('dup-reg') },
    ]);
  });

  it('an instance output wire that collides with a declared name', () => {
    const child = buildModule('dup_child', (m) => {
      const i = m.input('i', UInt(4));
      m.assign(m.output('o', UInt(4)), i);
    });
    const top = buildModule('dup_parent', (m) => {
      const i = m.input('i', UInt(4));
      const w = m.wire('u_o', UInt(4)); //@dup-inst-wire
      m.assign(w, i);
      const u = m.instance('u', child, { i: w }); //@dup-inst
      m.sink(u.out('o'));
    });
    expect(elabErrors(top)).toEqual([
      {
        detail: `'u_o' is already declared in dup_parent (at ${FILE}:${lineOf('dup-inst-wire')})`,
        loc: at('dup-inst'),
      },
    ]);
  });

  it('an unsafe JS number constant must be a bigint: in lit(), an operand, an assignment, a case value', () => {
    const m = buildModule('unsafe', (m) => {
      const a = m.input('a', UInt(64));
      const y = m.output('y', UInt(65));
      const z = m.output('z', UInt(64));
      const w = m.output('w', Bool);
      m.assign(y, a.add(2 ** 60)); //@unsafe-operand
      m.assign(z, 2 ** 60); //@unsafe-assign
      m.comb(() => {
        w.set(0);
        m.switch(a)
          .case(2 ** 60, () => w.set(1)) //@unsafe-case
          .default(() => w.set(lit(2 ** 60).orR())); //@unsafe-lit
      });
    });
    const detail = 'constant 1152921504606847000 is not a safe integer; pass a bigint';
    expect(elabErrors(m)).toEqual([
      { detail, loc: at('unsafe-operand') },
      { detail, loc: at('unsafe-assign') },
      { detail, loc: at('unsafe-case') },
      { detail, loc: at('unsafe-lit') },
    ]);
  });

  it('an unsafe number outside a module build throws at once; the bigint works', () => {
    const e = thrown(() => lit(2 ** 60)); //@unsafe-loose
    expect(e.detail).toBe('constant 1152921504606847000 is not a safe integer; pass a bigint');
    expect(e.loc).toEqual(at('unsafe-loose'));
    const e2 = thrown(() => u8.add(Number.MAX_SAFE_INTEGER + 1)); //@unsafe-loose-add
    expect(e2.detail).toBe('constant 9007199254740992 is not a safe integer; pass a bigint');
    expect(e2.loc).toEqual(at('unsafe-loose-add'));
    expect(thrown(() => lit(1.5)).detail).toBe('constant 1.5 is not a safe integer; pass a bigint');
    expect(ty(lit(2n ** 60n))).toEqual(UInt(61));
  });

  // Regression, fixed: register reset values go through BigInt(number) without the safe-integer check
  // that every other constant gets, so 2**53 + 1 silently becomes 2**53.
  it('an unsafe JS number as a register reset value is reported', () => {
    const m = buildModule('unsafe_reset', (m) => {
      const a = m.input('a', UInt(64));
      const r = m.output('r', UInt(64), { reg: true, reset: 2 ** 60 }); //@unsafe-reset
      m.sync(() => r.set(a));
    });
    expect(elabErrors(m)).toEqual([{ detail: 'constant 1152921504606847000 is not a safe integer; pass a bigint', loc: at('unsafe-reset') }]);
  });

  it('errors outside a build throw HdlError at the statement line', () => {
    const e = thrown(() => s8.add(u8)); //@loose-mix
    expect(e.detail).toBe('add mixes SInt(8) and UInt(8); cast one side (.toSigned(), .asSigned(), .asUnsigned())');
    expect(e.loc).toEqual(at('loose-mix'));
    const e2 = thrown(() => u8.slice(9, 0)); //@loose-slice
    expect(e2.loc).toEqual(at('loose-slice'));
    expect(e2.detail).toBe('slice [9:0] is outside UInt(8)');
  });
});

describe('defineModule', () => {
  it('returns the same Module object for the same parameters, in any key order', () => {
    const gen = defineModule('same_params', (m, p: { n: number; w: number }) => {
      const i = m.input('i', UInt(p.w));
      m.assign(m.output('o', UInt(p.w * p.n)), repeat(i, p.n));
    });
    const a = gen({ n: 4, w: 8 });
    expect(gen({ n: 4, w: 8 })).toBe(a);
    expect(gen({ w: 8, n: 4 })).toBe(a);
    expect(a.name).toBe('same_params_n4_w8');
  });

  it('gives different parameters different, deterministic names', () => {
    const gen = defineModule('named', (m, p: { n: number; w: number; fast?: boolean; mode?: string; big?: bigint }) => {
      m.assign(m.output('o', UInt(p.w)), 0);
      void p.n;
    });
    const a = gen({ n: 4, w: 8 });
    const b2 = gen({ n: 2, w: 8 });
    const c = gen({ w: 16, n: 4 });
    expect(a.name).toBe('named_n4_w8');
    expect(b2.name).toBe('named_n2_w8');
    expect(c.name).toBe('named_n4_w16');
    expect(new Set([a, b2, c]).size).toBe(3);
    expect(gen({ n: 1, w: 1, fast: true }).name).toBe('named_fast1_n1_w1');
    expect(gen({ n: 1, w: 1, fast: false }).name).toBe('named_fast0_n1_w1');
    expect(gen({ n: 1, w: 1, mode: 'x-y' }).name).toBe('named_modexy_n1_w1');
    expect(gen({ n: 1, w: 1, big: 2n ** 20n }).name).toBe('named_big1048576_n1_w1');
    // Undefined parameters are left out of the name (and of the identity).
    const u = gen({ n: 3, w: 3, mode: undefined });
    expect(u.name).toBe('named_n3_w3');
    expect(gen({ n: 3, w: 3 })).toBe(u);
    expect(a.description).toBe('named with n=4, w=8');
  });

  it('a module without parameters keeps its base name', () => {
    const gen = defineModule('plain_gen', (m) => {
      m.assign(m.output('o', Bool), 1);
    });
    expect(gen({}).name).toBe('plain_gen');
    expect(gen({})).toBe(gen({}));
  });

  it('long and list values fall back to a stable 8-digit hash', () => {
    const gen = defineModule('hashed', (m, p: { taps: readonly number[]; label?: string }) => {
      m.assign(m.output('o', UInt(8)), p.taps.length);
    });
    const a = gen({ taps: [1, 2, 3] });
    expect(a.name).toMatch(/^hashed_taps_[0-9a-f]{8}$/);
    expect(gen({ taps: [1, 2, 3] })).toBe(a);
    const b2 = gen({ taps: [1, 2, 4] });
    expect(b2.name).toMatch(/^hashed_taps_[0-9a-f]{8}$/);
    expect(b2.name).not.toBe(a.name);
    expect(gen({ taps: [1], label: 'abcdefghijklm' }).name).toMatch(/^hashed_label_[0-9a-f]{8}_taps_[0-9a-f]{8}$/);
    expect(gen({ taps: [1], label: 'abcdefghijkl' }).name).toMatch(/^hashed_labelabcdefghijkl_taps_[0-9a-f]{8}$/);
  });

  it('two parameter sets that would print the same name are an error, not a silent reuse', () => {
    const gen = defineModule('clash', (m, p: { s: string }) => {
      m.assign(m.output('o', Bool), p.s.length > 1);
    });
    const a = gen({ s: 'ab' });
    expect(a.name).toBe('clash_sab');
    expect(() => gen({ s: 'a-b' })).toThrow(/module name clash_sab is generated by two different parameter sets/);
  });

  // Regression, fixed: the cache key is only baseName + params, so a second generator that happens to
  // reuse a base name silently gets the first generator's module back.
  it('two different generators with the same base name do not share modules', () => {
    const g1 = defineModule('shared_base', (m) => {
      m.assign(m.output('a', Bool), 1);
    });
    const g2 = defineModule('shared_base', (m) => {
      m.assign(m.output('b', Bool), 0);
    });
    const m1 = g1({});
    let m2: Module | undefined;
    try {
      m2 = g2({});
    } catch {
      return; // refusing the second definition would be fine too
    }
    expect(m2).not.toBe(m1);
    expect(m2.ports.map((p) => p.name)).toEqual(['b']);
  });

  it('errors made by the generator are kept on the module and surface at elaborate()', () => {
    const gen = defineModule('gen_err', (m, p: { w: number }) => {
      const a = m.input('a', UInt(p.w));
      m.assign(m.output('o', UInt(p.w)), a.add(1)); //@gen-err
    });
    const m = gen({ w: 4 });
    expect(m.errors.map((e) => e.detail)).toEqual(['width mismatch: o is UInt(4) but the value is UInt(5); use .trunc(4) if intended']);
    expect(elabErrors(m)).toEqual([
      { detail: 'width mismatch: o is UInt(4) but the value is UInt(5); use .trunc(4) if intended', loc: at('gen-err') },
    ]);
  });

  describe('a built module cannot be modified', () => {
    let mem: ReturnType<Module['memory']> | undefined;
    const frozen = buildModule('frozen', (m) => {
      const a = m.input('a', UInt(4));
      const d = m.input('d', UInt(8));
      const we = m.input('we', Bool);
      const o = m.output('o', UInt(4));
      m.assign(o, a);
      mem = m.memory('mem', UInt(8), 16);
      mem.write(a, d, we);
    });
    const child = buildModule('frozen_child', (m) => {
      m.assign(m.output('o', Bool), 0);
    });
    const a = frozen.port('a');
    const o = frozen.port('o');
    const detail = 'module frozen is already built; it cannot change';

    const attempts: [string, () => unknown][] = [
      ['input', () => frozen.input('x', UInt(1))], //@fz-input
      ['output', () => frozen.output('x', UInt(1))], //@fz-output
      ['wire', () => frozen.wire('x', UInt(1))], //@fz-wire
      ['reg', () => frozen.reg('x', UInt(1))], //@fz-reg
      ['let', () => frozen.let('x', a)], //@fz-let
      ['assign', () => frozen.assign(o, a)], //@fz-assign
      ['comb', () => frozen.comb(() => {})], //@fz-comb
      ['sync', () => frozen.sync(() => {})], //@fz-sync
      ['memory', () => frozen.memory('x', UInt(1), 2)], //@fz-memory
      ['instance', () => frozen.instance('x', child, {})], //@fz-instance
    ];
    for (const [what, fn] of attempts) {
      it(`${what}() throws HdlError at the line of the call`, () => {
        const e = thrown(fn);
        expect(e.detail).toBe(detail);
        expect(e.loc).toEqual(at(`fz-${what}`));
      });
    }

    it('the throw points at the exact line of the call', () => {
      const e = thrown(() => frozen.wire('late', UInt(2))); //@frozen-line
      expect(e.loc).toEqual(at('frozen-line'));
      expect(frozen.signals.map((x) => x.name)).toEqual(['a', 'd', 'we', 'o', 'clk']);
      expect(frozen.continuous).toHaveLength(1);
      expect(frozen.processes).toHaveLength(0);
      expect(frozen.instances).toHaveLength(0);
    });

    // Regression, fixed: m.sink() has no checkOpen(), so a built module's lint waivers can still change.
    it('sink() on a built module throws', () => {
      const before = frozen.sinks.length;
      const e = thrown(() => frozen.sink(a));
      expect(e.detail).toBe(detail);
      expect(frozen.sinks.length).toBe(before);
    });

    // Regression, fixed: Memory.write() does not check that its module is still open, so a write port
    // can be added to a built module (it only touches m.clk, which already exists).
    it('a memory write port cannot be added after the build', () => {
      const before = mem!.writePorts.length;
      const e = thrown(() => mem!.write(a, frozen.port('d'), frozen.port('we')));
      expect(e.detail).toBe(detail);
      expect(mem!.writePorts.length).toBe(before);
    });
  });
});
