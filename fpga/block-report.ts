// Resource and timing figures for one HDL block on an iCE40: the block synthesised alone (its own
// LUT4 / carry / flip-flop counts), then placed and routed inside the serial harness for a real
// post-route fmax. Whether it fits is the place-and-route verdict, not a guess from counts.
import path from 'node:path';
import type { Module } from '../hdl/core/module.ts';
import { elaborate } from '../hdl/ir/elaborate.ts';
import { writeVerilog } from '../hdl/verilog/emit.ts';
import { serialWrapper } from '../hdl/lib/serial-wrapper.ts';
import { synthIce40, type CellCounts } from '../flow/yosys.ts';
import { placeAndRouteIce40 } from '../flow/nextpnr.ts';

export interface Ice40Target {
  device: 'up5k' | 'hx8k';
  package: string;
  pcf: string;
  /** nextpnr's timing target; fmax is measured, this only steers the placer. */
  freqMHz: number;
  seed: number;
}

export const UP5K_ICEBREAKER: Ice40Target = {
  device: 'up5k',
  package: 'sg48',
  pcf: path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'constraints', 'icebreaker.pcf'),
  freqMHz: 24,
  seed: 1,
};

export interface BlockReport {
  block: string;
  /** The block alone, after synth_ice40. */
  cells: CellCounts;
  /** The block inside the serial harness, after place and route (undefined when it did not fit). */
  placed?: {
    fmaxMHz: number;
    logicCells: { used: number; available: number };
    utilisation: Record<string, { used: number; available: number }>;
    seed: number;
  };
  fits: boolean;
  /** Why place and route failed, when it did. */
  failure?: string;
  synthSeconds: number;
  pnrSeconds: number;
  /** Which builds ran: native binaries or the WebAssembly ones. */
  tools: { yosys: string; nextpnr?: string };
}

/** What synth_ice40 may infer besides LUTs, carries, flip-flops and EBR: SB_MAC16 (-dsp), SB_SPRAM256KA (-spram). */
export interface SynthPrimitives {
  dsp?: boolean;
  spram?: boolean;
}

export async function reportBlock(block: Module, target: Ice40Target, workDir: string, prims: SynthPrimitives = {}): Promise<BlockReport> {
  const blockSources = writeVerilog(elaborate(block), path.join(workDir, 'rtl'));
  const alone = await synthIce40({ top: block.name, sources: blockSources, workDir: path.join(workDir, 'block'), device: target.device, ...prims });
  const harness = serialWrapper(block);
  const sources = writeVerilog(elaborate(harness), path.join(workDir, 'rtl'));
  const wrapped = await synthIce40({ top: harness.name, sources, workDir: path.join(workDir, 'harness'), device: target.device, ...prims });
  const report: BlockReport = {
    block: block.name,
    cells: alone.cells,
    fits: false,
    synthSeconds: alone.seconds + wrapped.seconds,
    pnrSeconds: 0,
    tools: { yosys: alone.backend },
  };
  try {
    const pnr = await placeAndRouteIce40({
      jsonPath: wrapped.jsonPath,
      workDir: path.join(workDir, 'harness'),
      device: target.device,
      package: target.package,
      pcf: target.pcf,
      freqMHz: target.freqMHz,
      seed: target.seed,
      timingAllowFail: true,
    });
    report.pnrSeconds = pnr.seconds;
    report.tools.nextpnr = pnr.backend;
    const fmax = Object.values(pnr.fmaxMHz);
    report.placed = {
      fmaxMHz: fmax.length ? Math.min(...fmax) : NaN,
      logicCells: pnr.utilisation['ICESTORM_LC'] ?? { used: NaN, available: NaN },
      utilisation: pnr.utilisation,
      seed: pnr.seed,
    };
    report.fits = true;
  } catch (e) {
    report.failure = (e as Error).message.split('\n').find((l) => /ERROR/.test(l)) ?? (e as Error).message.split('\n')[0];
  }
  return report;
}
