// The accelerator as synthesis leaves it: yosys synth_ice40 (with -dsp and -spram for the UP5K) writes
// a netlist of iCE40 cells, and Verilator builds it with yosys's own simulation models of those cells
// (share/ice40/cells_sim.v). Co-simulated like the RTL, it proves that synthesis changes no result.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { Module } from '../hdl/core/module.ts';
import { elaborate } from '../hdl/ir/elaborate.ts';
import { writeVerilog } from '../hdl/verilog/emit.ts';
import { buildVerilatorModel } from '../flow/verilator.ts';
import { synthIce40 } from '../flow/yosys.ts';
import { portSpecs } from './rtl-model.ts';
import type { RtlModel } from './rtl-model.ts';

/** Where yosys keeps its iCE40 cell models (`yosys-config --datdir`, or next to the yosys binary). */
export function ice40CellModels(): string {
  const cfg = spawnSync('yosys-config', ['--datdir'], { encoding: 'utf8' });
  const dirs = [cfg.status === 0 ? cfg.stdout.trim() : '', '/usr/share/yosys', '/usr/local/share/yosys'].filter(Boolean);
  for (const d of dirs) {
    const f = path.join(d, 'ice40', 'cells_sim.v');
    if (fs.existsSync(f)) return f;
  }
  throw new Error(`yosys's iCE40 cell models (ice40/cells_sim.v) are not in ${dirs.join(' or ')}: is yosys installed (scripts/setup.sh)?`);
}

export async function buildGateModel(top: Module, o: { device: 'up5k' | 'generic'; log?: (m: string) => void }): Promise<RtlModel & { cells: Record<string, number> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `gates-${top.name}-`));
  const sources = writeVerilog(elaborate(top), path.join(dir, 'rtl'));
  const up5k = o.device === 'up5k';
  o.log?.(`yosys synth_ice40${up5k ? ' -dsp -spram' : ''}: ${top.name}`);
  const syn = await synthIce40({ top: top.name, sources, workDir: path.join(dir, 'synth'), device: 'up5k', dsp: up5k, spram: up5k });
  const netlist = syn.netlistVerilogPath!;
  const model = await buildVerilatorModel({
    top: top.name,
    sources: [netlist, ice40CellModels()],
    ports: portSpecs(top),
    // The cell models are behavioural Verilog written for event simulators, not for -Wall; their port
    // defaults (`input CLK = 0`) are beyond Verilator, which their NO_ICE40_DEFAULT_ASSIGNMENTS switch drops.
    extraFlags: ['-Wno-fatal', '-Wno-lint', '-Wno-style', '-Wno-MULTIDRIVEN', '-Wno-TIMESCALEMOD', '-DNO_ICE40_DEFAULT_ASSIGNMENTS'],
    ...(o.log ? { log: o.log } : {}),
  });
  const c = syn.cells;
  return {
    model,
    sources: [netlist],
    // The netlist keeps the top's port names.
    portName: (n) => n,
    cells: { lut4: c.lut4, carry: c.carry, ff: c.ff, ebr: c.ebr, spram: c.spram, dsp: c.dsp },
  };
}
