// Black boxes: modules whose body lives in a vendor library (iCE40 primitives). Only the ports and
// parameters are known; the checks treat their outputs as driven and, unless told, registered.
import { Module } from './module.ts';
import { UInt } from './types.ts';
import type { ParamValue } from './instance.ts';
import { callerLocation } from './source.ts';

export interface BlackboxSpec {
  name: string;
  ports: readonly (readonly [name: string, dir: 'input' | 'output', width: number])[];
  params?: Record<string, ParamValue>;
  /** Outputs that depend combinationally on inputs (for the loop check). */
  combPaths?: Record<string, string[]>;
}

export function blackbox(spec: BlackboxSpec): Module {
  const m = new Module(spec.name, callerLocation(), true);
  for (const [name, dir, width] of spec.ports) {
    if (dir === 'input') m.input(name, UInt(width));
    else m.output(name, UInt(width));
  }
  Object.assign(m.params, spec.params ?? {});
  for (const [out, ins] of Object.entries(spec.combPaths ?? {})) m.combPaths.set(out, ins);
  m.freeze();
  return m;
}
