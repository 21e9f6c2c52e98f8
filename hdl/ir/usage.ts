// Who drives each signal and which bits of it are read. The checks use this to find multiple drivers,
// undriven and unused nets; the printer uses it to waive lint on instance outputs nobody reads.
import type { Module } from '../core/module.ts';
import type { Signal } from '../core/signal.ts';
import type { SourceLoc } from '../core/source.ts';
import { assignmentsIn, expressionsIn } from '../core/statements.ts';
import { forEachRead } from './walk.ts';

export interface Driver {
  what: string;
  loc: SourceLoc;
}

export function driversOf(m: Module): Map<Signal, Driver[]> {
  const drivers = new Map<Signal, Driver[]>();
  const add = (s: Signal, d: Driver) => {
    const list = drivers.get(s) ?? [];
    list.push(d);
    drivers.set(s, list);
  };
  for (const a of m.continuous) add(a.target, { what: 'a continuous assignment', loc: a.loc });
  for (const p of m.processes) {
    const targets = new Set<Signal>();
    for (const a of assignmentsIn(p.body)) targets.add(a.target);
    for (const t of targets) add(t, { what: `a ${p.kind} block`, loc: p.loc });
  }
  for (const inst of m.instances) for (const s of inst.outputs.values()) add(s, { what: `instance ${inst.name}`, loc: inst.loc });
  for (const mem of m.memories) for (const r of mem.readPorts) add(r.data, { what: `a read port of memory ${mem.name}`, loc: r.loc });
  return drivers;
}

/** For each signal, one flag per bit: true when some expression of the module reads that bit. */
export function bitsRead(m: Module): Map<Signal, boolean[]> {
  const used = new Map<Signal, boolean[]>();
  const mark = (s: Signal, hi: number, lo: number) => {
    let bits = used.get(s);
    if (!bits) used.set(s, (bits = new Array<boolean>(s.width).fill(false)));
    for (let i = lo; i <= hi; i++) bits[i] = true;
  };
  const read = (e: Parameters<typeof forEachRead>[0]) => forEachRead(e, mark);
  for (const a of m.continuous) read(a.value);
  for (const p of m.processes) for (const e of expressionsIn(p.body)) read(e);
  for (const mem of m.memories) {
    for (const r of mem.readPorts) {
      read(r.addr);
      if (r.enable) read(r.enable);
    }
    for (const w of mem.writePorts) [w.addr, w.data, w.enable].forEach(read);
  }
  for (const inst of m.instances) for (const e of inst.inputs.values()) read(e);
  for (const s of m.sinks) read(s.value);
  // The printer reads the clock in every clocked construct and the reset for every reset register.
  if (m.hasClock) mark(m.clk, 0, 0);
  if (m.hasReset && m.signals.some((s) => s.resetValue !== undefined)) mark(m.rst, 0, 0);
  return used;
}

/** Bit ranges of `bits` that are false, as [hi, lo] pairs from the top. */
export function unreadRanges(bits: boolean[] | undefined, width: number): [number, number][] {
  const ranges: [number, number][] = [];
  for (let i = width - 1; i >= 0; ) {
    if (bits?.[i]) {
      i--;
      continue;
    }
    const hi = i;
    while (i >= 0 && !bits?.[i]) i--;
    ranges.push([hi, i + 1]);
  }
  return ranges;
}
