// npx tsx cli/accel-report.ts [--model DIR] [--seed K]: the accelerator for a model on the iCE40UP5K
// (iCEBreaker): yosys synth_ice40 -dsp -spram counts, then placed and routed inside the few-pin serial
// harness (hdl/lib/serial-wrapper.ts: its shift register adds one flip-flop per input bit, 28 here) for
// the logic-cell count and the post-route fmax; cycles per token from accel/timing.ts. One JSON object.
import path from 'node:path';
import { Command } from 'commander';
import { openModel } from '../model/open.ts';
import { fixedParams } from '../model/fixed/fixed-model.ts';
import { compileProgram } from '../accel/program.ts';
import { accelTop } from '../accel/top.ts';
import { DEFAULT_CONFIG } from '../accel/config.ts';
import { predictCycles } from '../accel/timing.ts';
import { reportBlock, UP5K_ICEBREAKER } from '../fpga/block-report.ts';
import { intOption } from './options.ts';

const o = new Command('accel-report')
  .description('synthesise, place and route the accelerator for iCE40UP5K; print one JSON object')
  .option('--model <dir|file>', 'checkpoint directory or packed model (default: the embedded tiny model)')
  .option('--seed <k>', 'nextpnr seed', '1')
  .parse()
  .opts<{ model?: string; seed: string }>();
try {
  const seed = intOption(o.seed, '--seed');
  const m = openModel(o.model);
  const prog = compileProgram(fixedParams(m.weights), DEFAULT_CONFIG.up5k);
  const top = accelTop(prog);
  const r = await reportBlock(top, { ...UP5K_ICEBREAKER, seed }, path.join('build-out', 'accel-report', path.basename(m.dir)), { dsp: true, spram: true });
  const cycles = predictCycles(prog).total;
  const fmax = r.placed?.fmaxMHz ?? null;
  console.log(
    JSON.stringify({
      model: m.label,
      cells: r.cells,
      fits: r.fits,
      logicCells: r.placed?.logicCells ?? null,
      utilisation: r.placed?.utilisation ?? null,
      fmaxMHz: fmax,
      cyclesPerToken: cycles,
      boundCycles: prog.weightsPerToken / prog.geometry.lanes,
      tokensPerSecond: fmax === null ? null : (fmax * 1e6) / cycles,
      tokensPerSecondAt12MHz: (12e6 / cycles),
      failure: r.failure ?? null,
      tools: r.tools,
    }),
  );
} catch (e) {
  console.error(`accel-report: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  process.exit(1);
}
