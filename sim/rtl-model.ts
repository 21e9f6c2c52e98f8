// From an HDL module to a running Verilator model: elaborate, write the Verilog into a build folder,
// build (cached by content), and describe the ports by their Verilog names.
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import type { Module } from '../hdl/core/module.ts';
import { elaborate } from '../hdl/ir/elaborate.ts';
import { writeVerilog } from '../hdl/verilog/emit.ts';
import { signalNames } from '../hdl/verilog/module-printer.ts';
import { buildVerilatorModel, type PortSpec, type VerilatorModel } from '../flow/verilator.ts';

export interface RtlModel {
  model: VerilatorModel;
  sources: string[];
  /** HDL port name -> Verilog port name (they differ only for keywords). */
  portName: (hdlName: string) => string;
}

export function portSpecs(top: Module): PortSpec[] {
  const names = signalNames(top);
  return top.ports.map((p) => ({ name: names.lookup(p) ?? p.name, width: p.width, dir: p.dir === 'input' ? 'input' : 'output' }));
}

export async function buildRtlModel(top: Module, opts: { dir?: string; trace?: boolean; log?: (m: string) => void } = {}): Promise<RtlModel> {
  const design = elaborate(top);
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), `rtl-${top.name}-`));
  const sources = writeVerilog(design, dir);
  const names = signalNames(top);
  const model = await buildVerilatorModel({
    top: top.name,
    sources,
    ports: portSpecs(top),
    ...(opts.trace ? { trace: true } : {}),
    ...(opts.log ? { log: opts.log } : {}),
  });
  return {
    model,
    sources,
    portName: (n) => {
      const p = top.ports.find((s) => s.name === n);
      if (!p) throw new Error(`${top.name} has no port ${n}`);
      return names.lookup(p) ?? n;
    },
  };
}
