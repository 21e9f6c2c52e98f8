// Elaboration: gather a design's modules (children before parents, each once), run every check on every
// module, and fail with all the errors at once.
import type { Module } from '../core/module.ts';
import { ElaborationError, type HdlError } from '../core/errors.ts';
import { type CombSummary, checkModule } from './checks.ts';

export interface Design {
  readonly top: Module;
  /** Every module of the design, children before parents, vendor black boxes included. */
  readonly modules: readonly Module[];
}

export function collectModules(top: Module): Module[] {
  const order: Module[] = [];
  const seen = new Set<Module>();
  const byName = new Map<string, Module>();
  const visit = (m: Module) => {
    if (seen.has(m)) return;
    seen.add(m);
    const other = byName.get(m.name);
    if (other && other !== m) throw new Error(`two different modules are named ${m.name}; build them with defineModule so parameters pick the name`);
    byName.set(m.name, m);
    for (const inst of m.instances) visit(inst.def);
    order.push(m);
  };
  visit(top);
  return order;
}

/** Check every module of the design under `top`; throws ElaborationError listing every problem. */
export function elaborate(top: Module): Design {
  const modules = collectModules(top);
  const summaries = new Map<Module, CombSummary>();
  const errors: HdlError[] = [];
  for (const m of modules) {
    const r = checkModule(m, summaries);
    summaries.set(m, r.summary);
    errors.push(...r.errors);
  }
  if (errors.length > 0) throw new ElaborationError(errors);
  return { top, modules };
}
