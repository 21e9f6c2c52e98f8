// Structural checks run on every module before any Verilog is printed: multiple drivers, undriven and
// unread nets, latches (a comb signal not set on every path) and combinational loops, each reported
// with the TypeScript line that caused it.
import type { Expr } from '../core/expr.ts';
import type { Module } from '../core/module.ts';
import type { Signal } from '../core/signal.ts';
import { type Stmt, assignmentsIn, expressionsIn } from '../core/statements.ts';
import { type SourceLoc, formatLoc } from '../core/source.ts';
import { HdlError } from '../core/errors.ts';
import { driversOf, bitsRead, unreadRanges } from './usage.ts';
import { signalsRead, forEachRead } from './walk.ts';

/** For each output port of a module, the input ports it depends on without a register in between. */
export type CombSummary = Map<string, Set<string>>;

export function checkModule(m: Module, childSummaries: Map<Module, CombSummary>): { errors: HdlError[]; summary: CombSummary } {
  const errors: HdlError[] = [...m.errors];
  const err = (msg: string, loc: SourceLoc) => errors.push(new HdlError(msg, loc));
  if (m.blackbox) return { errors, summary: m.combPaths.size ? new Map([...m.combPaths].map(([o, is]) => [o, new Set(is)])) : new Map() };

  checkOwnership(m, err);
  checkDrivers(m, err);
  for (const p of m.processes) {
    if (p.kind !== 'comb') continue;
    checkLatches(p.body, p.loc, err);
    checkCombSelfReads(p.body, p.loc, err);
  }
  const graph = combGraph(m, childSummaries);
  checkLoops(graph, err);
  return { errors, summary: summarise(m, graph) };
}

function checkOwnership(m: Module, err: (msg: string, loc: SourceLoc) => void): void {
  const check = (e: Expr, loc: SourceLoc) =>
    forEachRead(e, (s) => {
      if (s.owner !== m) err(`${s} is read in ${m.name}, but it belongs to another module; pass it through a port`, loc);
    });
  for (const a of m.continuous) check(a.value, a.loc);
  for (const p of m.processes) for (const e of expressionsIn(p.body)) check(e, p.loc);
  for (const inst of m.instances) for (const e of inst.inputs.values()) check(e, inst.loc);
}

function checkDrivers(m: Module, err: (msg: string, loc: SourceLoc) => void): void {
  const drivers = driversOf(m);
  const used = bitsRead(m);
  const instanceOutputs = new Set(m.instances.flatMap((i) => [...i.outputs.values()]));
  // Inputs left out when an instance was placed: their wire is to be driven later (inst.io + connect).
  const deferred = new Map(m.instances.flatMap((i) => [...i.deferred].map(([port, w]) => [w, { inst: i, port }] as const)));
  for (const s of m.signals) {
    const ds = drivers.get(s) ?? [];
    if (s.dir === 'input') {
      if (ds.length > 0) err(`input ${s.name} of ${m.name} is driven inside the module`, ds[0]!.loc);
    } else if (ds.length === 0 && deferred.has(s)) {
      const d = deferred.get(s)!;
      err(`instance ${d.inst.name}: input '${d.port}' of ${d.inst.def.name} is not connected`, d.inst.loc);
    } else if (ds.length === 0) {
      err(`${s.dir === 'output' ? 'output' : s.storage === 'reg' ? 'register' : 'wire'} ${s.name} of ${m.name} is never driven`, s.loc);
    } else if (ds.length > 1) {
      err(`${s.name} of ${m.name} has ${ds.length} drivers: ${ds.map((d) => `${d.what} at ${formatLoc(d.loc)}`).join(', ')}`, ds[1]!.loc);
    }
    if (s.dir !== 'output' && !instanceOutputs.has(s)) {
      const unread = unreadRanges(used.get(s), s.width);
      if (unread.length > 0) {
        const whole = unread.length === 1 && unread[0]![0] === s.width - 1 && unread[0]![1] === 0;
        const bits = unread.map(([h, l]) => (h === l ? `[${h}]` : `[${h}:${l}]`)).join(', ');
        const subject = whole ? `${s.name} in ${m.name} is` : `bits ${bits} of ${s.name} in ${m.name} are`;
        err(`${subject} never read; use m.sink() if that is intended`, s.loc);
      }
    }
  }
}

/** Signals certainly assigned by every path through `stmts`. */
function definitelyAssigned(stmts: readonly Stmt[]): Set<Signal> {
  const out = new Set<Signal>();
  for (const s of stmts) {
    let paths: Set<Signal>[] = [];
    if (s.kind === 'assign') {
      out.add(s.target);
      continue;
    }
    if (s.kind === 'if') {
      paths = s.branches.map((b) => definitelyAssigned(b.body));
      paths.push(s.elseBody ? definitelyAssigned(s.elseBody) : new Set());
    } else {
      paths = s.cases.map((c) => definitelyAssigned(c.body));
      const covered = new Set(s.cases.flatMap((c) => c.values.map((v) => v.value))).size;
      const full = s.sel.width <= 20 && covered >= 2 ** s.sel.width;
      if (s.defaultBody) paths.push(definitelyAssigned(s.defaultBody));
      else if (!full) paths.push(new Set());
    }
    const [first, ...rest] = paths;
    for (const sig of first ?? []) if (rest.every((p) => p.has(sig))) out.add(sig);
  }
  return out;
}

function checkLatches(body: readonly Stmt[], loc: SourceLoc, err: (msg: string, loc: SourceLoc) => void): void {
  const assigned = new Map<Signal, SourceLoc>();
  const walk = (stmts: readonly Stmt[]) => {
    for (const s of stmts) {
      if (s.kind === 'assign') {
        if (!assigned.has(s.target)) assigned.set(s.target, s.loc);
      } else if (s.kind === 'if') {
        s.branches.forEach((b) => walk(b.body));
        if (s.elseBody) walk(s.elseBody);
      } else {
        s.cases.forEach((c) => walk(c.body));
        if (s.defaultBody) walk(s.defaultBody);
      }
    }
  };
  walk(body);
  const sure = definitelyAssigned(body);
  for (const [sig, at] of assigned) {
    if (!sure.has(sig)) {
      err(`latch: ${sig.name} is not assigned on every path of the comb block at ${formatLoc(loc)}; give it a default first`, at);
    }
  }
}

/**
 * A comb block may not read what it drives: in Verilog that read would see a half-computed value of
 * the block, while everywhere else a signal means its final value. Name the value with m.let instead.
 */
function checkCombSelfReads(body: readonly Stmt[], loc: SourceLoc, err: (msg: string, loc: SourceLoc) => void): void {
  const targets = new Set([...assignmentsIn(body)].map((a) => a.target));
  const reported = new Set<Signal>();
  const check = (e: Expr, at: SourceLoc) =>
    forEachRead(e, (s) => {
      if (targets.has(s) && !reported.has(s)) {
        reported.add(s);
        err(`${s.name} is read inside the comb block that drives it (${formatLoc(loc)}); compute it with m.let or in another block`, at);
      }
    });
  const walk = (stmts: readonly Stmt[]) => {
    for (const s of stmts) {
      if (s.kind === 'assign') check(s.value, s.loc);
      else if (s.kind === 'if') {
        for (const b of s.branches) {
          check(b.cond, b.loc);
          walk(b.body);
        }
        if (s.elseBody) walk(s.elseBody);
      } else {
        check(s.sel, s.loc);
        s.cases.forEach((c) => walk(c.body));
        if (s.defaultBody) walk(s.defaultBody);
      }
    }
  };
  walk(body);
}

/** Combinational dependencies: for each comb-driven signal, the signals it reads and where. */
type CombGraph = Map<Signal, { deps: Set<Signal>; loc: SourceLoc }>;

function combGraph(m: Module, childSummaries: Map<Module, CombSummary>): CombGraph {
  const g: CombGraph = new Map();
  const addDeps = (t: Signal, deps: Iterable<Signal>, loc: SourceLoc) => {
    const node = g.get(t) ?? { deps: new Set<Signal>(), loc };
    for (const d of deps) node.deps.add(d);
    g.set(t, node);
  };
  for (const a of m.continuous) addDeps(a.target, signalsRead(a.value), a.loc);
  for (const p of m.processes) {
    if (p.kind !== 'comb') continue;
    const walk = (stmts: readonly Stmt[], conds: Set<Signal>) => {
      for (const s of stmts) {
        if (s.kind === 'assign') addDeps(s.target, [...signalsRead(s.value), ...conds], s.loc);
        else if (s.kind === 'if') {
          const inner = new Set(conds);
          for (const b of s.branches) {
            signalsRead(b.cond, inner);
            walk(b.body, inner);
          }
          if (s.elseBody) walk(s.elseBody, inner);
        } else {
          const inner = signalsRead(s.sel, new Set(conds));
          s.cases.forEach((c) => walk(c.body, inner));
          if (s.defaultBody) walk(s.defaultBody, inner);
        }
      }
    };
    walk(p.body, new Set());
  }
  for (const inst of m.instances) {
    const summary = childSummaries.get(inst.def) ?? new Map<string, Set<string>>();
    for (const [out, ins] of summary) {
      const target = inst.outputs.get(out);
      if (!target) continue;
      const deps = new Set<Signal>();
      for (const i of ins) {
        const e = inst.inputs.get(i);
        if (e) signalsRead(e, deps);
      }
      addDeps(target, deps, inst.loc);
    }
  }
  return g;
}

/** Tarjan's strongly connected components; any cycle is a combinational loop. */
function checkLoops(g: CombGraph, err: (msg: string, loc: SourceLoc) => void): void {
  let counter = 0;
  const index = new Map<Signal, number>();
  const low = new Map<Signal, number>();
  const stack: Signal[] = [];
  const onStack = new Set<Signal>();
  const visit = (v: Signal) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of g.get(v)?.deps ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: Signal[] = [];
      let w: Signal;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || g.get(v)?.deps.has(v)) {
        const names = scc.reverse().map((s) => s.name);
        err(`combinational loop through ${[...names, names[0]].join(' -> ')}`, g.get(scc[0]!)!.loc);
      }
    }
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
}

function summarise(m: Module, g: CombGraph): CombSummary {
  const summary: CombSummary = new Map();
  for (const out of m.ports.filter((p) => p.dir === 'output')) {
    const seen = new Set<Signal>();
    const todo = [out];
    const inputs = new Set<string>();
    while (todo.length) {
      const s = todo.pop()!;
      if (seen.has(s)) continue;
      seen.add(s);
      if (s.dir === 'input') inputs.add(s.name);
      for (const d of g.get(s)?.deps ?? []) todo.push(d);
    }
    if (inputs.size) summary.set(out.name, inputs);
  }
  return summary;
}
