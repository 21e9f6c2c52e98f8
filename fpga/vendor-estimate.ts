// Synthesis-only resource estimates for FPGAs beyond the iCE40, for models too large for an UP5K: yosys
// synth_ecp5 (Lattice ECP5) or synth_xilinx -family xc7 (Xilinx 7-series) of the accelerator with its
// weights in on-chip block RAM (the generic target). No place and route: the counts say which part
// could hold the design, not that it closes timing there.
import fs from 'node:fs';
import path from 'node:path';
import { runTool } from '../flow/run-tool.ts';
import { nativeCommand } from '../flow/wasm-tools.ts';

export const FAMILIES = ['ecp5', 'xc7'] as const;
export type Family = (typeof FAMILIES)[number];

interface FamilySpec {
  synth: (top: string) => string;
  /** A large member of the family to compare with. */
  part: { name: string; lut: number; ff: number; bramBits: number; dsp: number };
  /** Cell type -> resource. */
  classify: (type: string) => keyof EstimateCells | undefined;
}

export interface EstimateCells {
  lut: number;
  ff: number;
  carry: number;
  bram: number;
  /** On-chip block RAM bits the BRAM cells hold. */
  bramBits: number;
  lutram: number;
  dsp: number;
}

const FAMILY: Record<Family, FamilySpec> = {
  ecp5: {
    synth: (top) => `synth_ecp5 -top ${top}`,
    part: { name: 'LFE5U-85F', lut: 83_640, ff: 83_640, bramBits: 208 * 18_432, dsp: 156 },
    classify: (t) =>
      t === 'LUT4' ? 'lut' : t === 'TRELLIS_FF' ? 'ff' : t === 'CCU2C' ? 'carry' : t === 'DP16KD' || t === 'PDPW16KD' ? 'bram' : t.startsWith('TRELLIS_DPR') ? 'lutram' : t.startsWith('MULT18') || t.startsWith('ALU54') ? 'dsp' : undefined,
  },
  xc7: {
    synth: (top) => `synth_xilinx -flatten -family xc7 -top ${top}`,
    part: { name: 'XC7A200T', lut: 133_800, ff: 267_600, bramBits: 365 * 36_864, dsp: 740 },
    classify: (t) =>
      /^LUT[1-6]$/.test(t) ? 'lut' : /^FD[RSCP]E$/.test(t) ? 'ff' : t === 'CARRY4' ? 'carry' : /^RAMB(18|36)E1$/.test(t) ? 'bram' : /^RAM(32|64|128|256)/.test(t) || t.startsWith('SRL') ? 'lutram' : t.startsWith('DSP48') ? 'dsp' : undefined,
  },
};

const BRAM_BITS: Record<string, number> = { DP16KD: 18_432, PDPW16KD: 18_432, RAMB18E1: 18_432, RAMB36E1: 36_864 };

export interface VendorEstimate {
  family: Family;
  command: string;
  cells: EstimateCells;
  byType: Record<string, number>;
  /** The comparison part and the share of it the design takes (BRAM by bits). */
  part: FamilySpec['part'];
  fitsPart: boolean;
  seconds: number;
}

export async function estimateVendor(o: { top: string; sources: string[]; family: Family; workDir: string }): Promise<VendorEstimate> {
  const f = FAMILY[o.family];
  fs.mkdirSync(o.workDir, { recursive: true });
  const stat = path.join(o.workDir, `${o.top}_${o.family}_stat.json`);
  const script = path.join(o.workDir, `${o.top}_${o.family}.ys`);
  const command = f.synth(o.top);
  fs.writeFileSync(script, [...o.sources.map((s) => `read_verilog "${path.resolve(s)}"`), command, `tee -q -o ${stat} stat -json -top ${o.top}`].join('\n') + '\n');
  const t0 = performance.now();
  const r = await runTool(nativeCommand('yosys'), ['-q', '-s', script]);
  if (r.code !== 0) {
    const err = r.output.split('\n').find((l) => l.startsWith('ERROR')) ?? `exit code ${r.code}`;
    throw new Error(`yosys ${command} failed: ${err}`);
  }
  const j = JSON.parse(fs.readFileSync(stat, 'utf8')) as { design?: { num_cells_by_type?: Record<string, number> } };
  const byType = j.design?.num_cells_by_type ?? {};
  const cells: EstimateCells = { lut: 0, ff: 0, carry: 0, bram: 0, bramBits: 0, lutram: 0, dsp: 0 };
  for (const [type, n] of Object.entries(byType)) {
    const k = f.classify(type);
    if (k) cells[k] += n;
    cells.bramBits += (BRAM_BITS[type] ?? 0) * n;
  }
  const fitsPart = cells.lut <= f.part.lut && cells.ff <= f.part.ff && cells.bramBits <= f.part.bramBits && cells.dsp <= f.part.dsp;
  return { family: o.family, command, cells, byType, part: f.part, fitsPart, seconds: (performance.now() - t0) / 1000 };
}
