// Source locations: statements are attributed to the user's line, and hdlHelper moves the attribution
// from a helper's body to the line that called the helper.
import { expect, it } from 'vitest';
import { buildModule } from './generator.ts';
import { hdlHelper } from './source.ts';
import { UInt } from './types.ts';
import { sourceMarkers } from '../../test/hdl-errors.ts';
import type { Module } from './module.ts';
import type { Expr } from './expr.ts';

const { at } = sourceMarkers(import.meta.url);

const plainStage = (m: Module, name: string, v: Expr) => {
  const r = m.reg(name, v.type); //@plain-body
  m.sync(() => r.set(v));
  return r;
};
const stage = hdlHelper(plainStage);

it('a register made by a plain function points at the function body; through hdlHelper, at the caller', () => {
  const m = buildModule('helper_locs', (m) => {
    const a = m.input('a', UInt(4));
    const r1 = plainStage(m, 'r1', a);
    const r2 = stage(m, 'r2', r1); //@helper-call
    m.assign(m.output('y', UInt(4)), r2);
  });
  expect(m.signals.find((s) => s.name === 'r1')!.loc).toEqual(at('plain-body'));
  expect(m.signals.find((s) => s.name === 'r2')!.loc).toEqual(at('helper-call'));
});
