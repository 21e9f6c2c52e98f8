// A pipelined adder tree: n signed inputs of `width` bits summed exactly into width + clog2(n) bits.
// The tree has clog2(n) levels of two-input adders; `stages` of them (0 .. levels) end in a register,
// spread evenly, so latency and fmax trade off with one parameter. A valid bit travels alongside.
import { defineModule } from '../core/generator.ts';
import type { Expr } from '../core/expr.ts';
import { Bool, SInt, clog2 } from '../core/types.ts';

export interface AdderTreeParams {
  [k: string]: number;
  n: number;
  width: number;
  stages: number;
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

  let values: Expr[] = Array.from({ length: p.n }, (_, i) => input.slice((i + 1) * p.width - 1, i * p.width).asSigned());
  let valid: Expr = inValid;
  for (let level = 0; level < levels; level++) {
    const next: Expr[] = [];
    for (let i = 0; i < values.length; i += 2) {
      const a = values[i]!;
      const b = values[i + 1];
      const v = b ? a.add(b) : a;
      const name = `l${level + 1}_${i / 2}`;
      if (regAfter[level]) {
        // Datapath registers carry no reset: only the valid bit needs one.
        const r = m.reg(name, v.type);
        m.sync(() => r.set(v));
        next.push(r);
      } else next.push(b ? m.let(name, v) : v);
    }
    if (regAfter[level]) {
      const vr = m.reg(`valid_${level + 1}`, Bool, { reset: 0 });
      const prev = valid;
      m.sync(() => vr.set(prev));
      valid = vr;
    }
    values = next;
  }
  m.assign(sum, values[0]!.ext(outWidth));
  m.assign(outValid, valid);
});
