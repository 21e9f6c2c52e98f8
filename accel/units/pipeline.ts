// Pipeline registers for the accelerator's units. Wrapped in hdlHelper, so each register's
// `// src:` comment names the unit's line that asked for it, not this file.
import { hdlHelper } from '../../hdl/core/source.ts';
import { cat, lit, mux, type Expr } from '../../hdl/core/expr.ts';
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

/**
 * A barrel shift right of x by (amount << scaleLog), in stages of SHIFT_BITS_PER_STAGE amount bits, MSB
 * first, keeping the low `keep` bits of the result exact: arithmetic for a signed x, logical for an
 * unsigned one. Stage i keeps what the later stages can still shift into the output, keep + ((2^lo - 1)
 * << scaleLog) bits with lo the amount bits left: the bits it drops at the top only ever land at
 * positions >= keep, and so do the copies of the sign bit a later stage fills in. Every stage but the
 * last ends in a register (`prefix`_sh1 ..); the last is returned combinational, so it may feed a ROM
 * address. Each stage reads the amount as it is (a register that holds while values travel through), or
 * with delayAmount the amount that came in with its value (`prefix`_amt2 ..).
 *
 * With `sign` (a signed x's sign bit, the value's own: delayAmount), `lost` says whether a bit some stage
 * dropped at the top differs from the sign, ORed along the stages (`prefix`_lost1 ..) and returned with the
 * last stage, combinational like the value; `sign` comes back delayed to the last stage as well. The
 * dropped bits are exactly the result's bits at positions >= keep, so `lost` is "the full result does not
 * fit keep bits above the kept ones", without a leading-one search over x.
 */
export const stagedShiftRight = hdlHelper(
  (
    m: Module,
    prefix: string,
    x: Expr,
    amount: Expr,
    keep: number,
    opts: { scaleLog?: number; delayAmount?: boolean; sign?: Expr } = {},
  ): { value: Expr; stages: number; lost?: Expr; sign?: Expr } => {
    if (amount.signed) throw new RangeError(`${prefix}: the shift amount must be unsigned`);
    if (opts.sign && (!opts.delayAmount || !x.signed)) throw new RangeError(`${prefix}: the lost-bits flag needs a signed x and delayAmount`);
    const scaleLog = opts.scaleLog ?? 0;
    const chunks = shiftChunks(amount.width);
    let v = x;
    let lo = amount.width;
    let lost: Expr | undefined;
    let sign: Expr | undefined;
    chunks.forEach((size, i) => {
      const hi = lo - 1;
      lo -= size;
      const bits = opts.delayAmount ? delay(m, `${prefix}_amt${i + 1}`, amount.slice(hi, lo), i) : amount.slice(hi, lo);
      const shiftLog = lo + scaleLog;
      // The stage's shift is the chunk's value times 2^shiftLog: the chunk with shiftLog zero bits below.
      const amt = shiftLog > 0 ? cat(bits, lit(0, UInt(shiftLog))) : bits;
      const shifted = v.shr(amt); // by a signal: the width stays; the sign (signed x) or 0 fills in
      const w = keep + (((1 << lo) - 1) << scaleLog);
      const kept = w < shifted.width ? shifted.trunc(w) : shifted.ext(w);
      const last = i === chunks.length - 1;
      if (opts.sign) {
        sign = i === 0 ? opts.sign : regOf(m, `${prefix}_sgn${i}`, sign!);
        if (w < shifted.width) {
          const top = shifted.slice(shifted.width - 1, w);
          const differs = mux(sign, top.andR().not(), top.orR());
          lost = lost ? lost.or(differs) : differs;
        }
        if (!last) lost = regOf(m, `${prefix}_lost${i + 1}`, lost ?? lit(0, Bool));
      }
      v = last ? kept : regOf(m, `${prefix}_sh${i + 1}`, kept);
    });
    return { value: v, stages: chunks.length - 1, ...(opts.sign ? { lost: lost ?? lit(0, Bool), sign: sign! } : {}) };
  },
);

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

/**
 * Several values delayed by n cycles: in one block-RAM ring (delayRing) when inRam, else each in its own
 * chain of registers (name_key_d1 ..). The same timing either way; which is cheaper depends on whether
 * the device has EBRs or logic cells to spare.
 */
export const delayGroup = hdlHelper((m: Module, name: string, parts: Record<string, Expr>, n: number, inRam: boolean): Record<string, Expr> => {
  if (inRam) return delayRing(m, name, parts, n);
  return Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, delay(m, `${name}_${k}`, v, n)]));
});
