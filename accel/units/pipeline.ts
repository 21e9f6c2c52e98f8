// Pipeline registers for the accelerator's units. Wrapped in hdlHelper, so each register's
// `// src:` comment names the unit's line that asked for it, not this file.
import { hdlHelper } from '../../hdl/core/source.ts';
import { cat, lit, type Expr } from '../../hdl/core/expr.ts';
import { Bool, UInt } from '../../hdl/core/types.ts';
import type { Module } from '../../hdl/core/module.ts';
import type { Signal } from '../../hdl/core/signal.ts';

/** A register loaded with v every cycle (a datapath register: no reset unless given). */
export const regOf = hdlHelper((m: Module, name: string, v: Expr, reset?: number): Signal => {
  const r = m.reg(name, v.type, reset === undefined ? {} : { reset });
  m.sync(() => r.set(v));
  return r;
});

/** v delayed by n registers named name_d1 .. name_dn. */
export const delay = hdlHelper((m: Module, name: string, v: Expr, n: number, reset?: number): Expr => {
  let out = v;
  for (let k = 1; k <= n; k++) out = regOf(m, `${name}_d${k}`, out, reset);
  return out;
});

/** Barrel-shift amount bits per pipeline stage (a 4:1 mux per output bit: two LUT levels). */
export const SHIFT_BITS_PER_STAGE = 2;

/** Split `bits` amount bits into stages of at most SHIFT_BITS_PER_STAGE, larger chunks first (MSB first). */
export function shiftChunks(bits: number): number[] {
  const n = Math.max(1, Math.ceil(bits / SHIFT_BITS_PER_STAGE));
  const base = Math.floor(bits / n);
  return Array.from({ length: n }, (_, i) => base + (i < bits % n ? 1 : 0));
}

/**
 * Several values delayed together by n cycles in one block-RAM ring (depth RING_DEPTH, written every
 * cycle at a free-running pointer, read at pointer - (n - 1): the registered read gives the word written
 * n cycles before). Where flip-flops are scarce: n registers per bit become a share of an EBR.
 */
export const RING_DEPTH = 32;
export const delayRing = hdlHelper((m: Module, name: string, parts: Record<string, Expr>, n: number): Record<string, Expr> => {
  if (n < 2 || n > RING_DEPTH) throw new RangeError(`${name}: a delay ring holds 2 .. ${RING_DEPTH} cycles, not ${n}`);
  const ptrBits = Math.log2(RING_DEPTH);
  const ptr = m.reg(`${name}_ptr`, UInt(ptrBits));
  m.sync(() => ptr.set(ptr.add(1).trunc(ptrBits)));
  const word = cat(...Object.values(parts).map((v) => v.asUnsigned()));
  const ring = m.memory(`${name}_ring`, word.type, RING_DEPTH);
  ring.write(ptr, word, lit(1, Bool));
  const q = ring.read(ptr.sub(n - 1).trunc(ptrBits), { name: `${name}_q` });
  const out: Record<string, Expr> = {};
  let hi = word.width;
  for (const [k, v] of Object.entries(parts)) {
    const bits = q.slice(hi - 1, hi - v.width);
    hi -= v.width;
    out[k] = v.signed ? bits.asSigned() : bits;
  }
  return out;
});
