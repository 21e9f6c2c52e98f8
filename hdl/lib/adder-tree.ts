// A pipelined adder tree: n signed inputs of `width` bits summed exactly into width + clog2(n) bits.
// The tree has clog2(n) levels of two-input adders; `stages` of them (0 .. levels) end in a register,
// spread evenly, so latency and fmax trade off with one parameter. A valid bit travels alongside.
//
// With `carries`, n one-bit carry-ins are added as well: the tree's n - 1 adders take one each as the
// carry-in of their chain (free on a carry-chain FPGA: yosys maps a + b + c, c one bit, to the one
// chain with c at its CI), earliest level first, and the one left over comes out as `carry_out` for
// the adder after the tree. The carries not yet taken ride the level registers with the sums. No sum
// can overflow: a node over m inputs adds at most m - 1 carries, and the inputs are at most
// 2^(width-1) - 1, so its sum stays below 2^(width-1) m, which its width + level bits hold.
import { defineModule } from '../core/generator.ts';
import type { Expr } from '../core/expr.ts';
import { Bool, SInt, UInt, clog2 } from '../core/types.ts';

export interface AdderTreeParams {
  [k: string]: number;
  n: number;
  width: number;
  stages: number;
  /** 1: an n-bit `cin` input of carries, taken by the adders, the last one out at `carry_out`. */
  carries: number;
}

/** Which of the `levels` levels end in a register when `stages` registers are spread evenly. */
export function registeredLevels(levels: number, stages: number): boolean[] {
  if (!Number.isInteger(stages) || stages < 0 || stages > levels) throw new RangeError(`stages must be 0..${levels}, got ${stages}`);
  return Array.from({ length: levels }, (_, k) => Math.floor(((k + 1) * stages) / levels) > Math.floor((k * stages) / levels));
}

export const adderTree = defineModule('adder_tree', (m, p: AdderTreeParams) => {
  if (!Number.isInteger(p.n) || p.n < 1) throw new RangeError(`adder tree needs n >= 1, got ${p.n}`);
  const levels = clog2(p.n);
  const outWidth = p.width + levels;
  const input = m.input('in', SInt(p.n * p.width)); // lane i in bits [(i+1)*width-1 : i*width]
  const inValid = m.input('in_valid', Bool);
  const sum = m.output('sum', SInt(outWidth));
  const outValid = m.output('out_valid', Bool);
  const regAfter = registeredLevels(levels, p.stages);
  if (p.carries !== 0 && p.carries !== 1) throw new RangeError(`adder tree carries must be 0 or 1, got ${p.carries}`);
  const cin = p.carries ? m.input('cin', UInt(p.n)) : undefined;
  const carryOut = p.carries ? m.output('carry_out', Bool) : undefined;

  let values: Expr[] = Array.from({ length: p.n }, (_, i) => input.slice((i + 1) * p.width - 1, i * p.width).asSigned());
  // Carries not yet taken, oldest first.
  let pending: Expr[] = cin ? Array.from({ length: p.n }, (_, i) => cin.bit(i)) : [];
  let valid: Expr = inValid;
  for (let level = 0; level < levels; level++) {
    const next: Expr[] = [];
    for (let i = 0; i < values.length; i += 2) {
      const a = values[i]!;
      const b = values[i + 1];
      const c = b ? pending.shift() : undefined;
      // a + b + c keeps a + b's width: the header says why it cannot overflow.
      const v = b ? (c ? a.add(b).add(c.toSigned()).trunc(Math.max(a.width, b.width) + 1) : a.add(b)) : a;
      const name = `l${level + 1}_${i / 2}`;
      if (regAfter[level]) {
        // Datapath registers carry no reset: only the valid bit needs one.
        const r = m.reg(name, v.type);
        m.sync(() => r.set(v));
        next.push(r);
      } else next.push(b ? m.let(name, v) : v);
    }
    if (regAfter[level]) {
      pending = pending.map((c, k) => {
        const r = m.reg(`carry_${level + 1}_${k}`, Bool);
        m.sync(() => r.set(c));
        return r;
      });
      const vr = m.reg(`valid_${level + 1}`, Bool, { reset: 0 });
      const prev = valid;
      m.sync(() => vr.set(prev));
      valid = vr;
    }
    values = next;
  }
  m.assign(sum, values[0]!.ext(outWidth));
  m.assign(outValid, valid);
  if (carryOut) {
    if (pending.length !== 1) throw new Error(`adder tree: ${pending.length} carries left, expected 1`);
    m.assign(carryOut, pending[0]!);
  }
});
