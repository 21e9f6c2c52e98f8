// make demo (until the accelerator exists): the embedded tiny model generating text on the CPU in both
// arithmetics (upstream float and the accelerator's fixed point); then the HDL: generate the standard
// library, lint every file, check the 64-lane ternary dot product in Verilator against its TypeScript
// reference, synthesise, place and route it for the iCE40UP5K and print its resources and fmax.
import path from 'node:path';
import { generateStdlib } from './gen-rtl.ts';
import { lintVerilator } from '../flow/verilator-lint.ts';
import { checkLane } from '../sim/lane-check.ts';
import { reportBlock, UP5K_ICEBREAKER } from '../fpga/block-report.ts';
import { ternaryLane, ternaryLaneLatency } from '../hdl/lib/ternary-lane.ts';
import { clog2 } from '../hdl/core/types.ts';
import { makeEngine, openModel } from '../model/open.ts';
import { argmax } from '../model/engine.ts';

const out = 'rtl-out';
const step = (s: string) => console.log(`\n== ${s}`);

step('the embedded tiny model (models/tiny), greedy, 96 tokens from "ROMEO:\\n"');
const tiny = openModel(undefined);
for (const kind of ['float', 'fixed'] as const) {
  const engine = makeEngine(kind, tiny.weights);
  const state = engine.newState();
  let logits: Float32Array | undefined;
  for (const id of tiny.tokenizer.encode('ROMEO:\n')) logits = engine.step(state, id);
  const ids: number[] = [];
  const t0 = performance.now();
  for (let n = 0; n < 96; n++) {
    ids.push(argmax(logits!));
    logits = engine.step(state, ids[n]!);
  }
  const s = (performance.now() - t0) / 1000;
  console.log(`${kind} engine (${(96 / s).toFixed(0)} tokens/s): ${JSON.stringify(tiny.tokenizer.decode(ids))}`);
}

step('generate the HDL standard library');
const { files } = generateStdlib(out);
console.log(`${files.length} Verilog files in ${path.join(out, 'stdlib')}`);

step('lint: verilator --lint-only -Wall');
const lint = lintVerilator(files, 'ternary_lane_n64_stages6', ['-Wno-MULTITOP']);
if (!lint.ok) {
  console.error(lint.output);
  process.exit(1);
}
console.log(`${files.length} files, 0 warnings`);

const lane = { n: 64, stages: clog2(64) };
step(`simulate: ${lane.n}-lane ternary dot product in Verilator vs the TypeScript reference`);
const check = await checkLane(lane, 10_000, 1);
console.log(
  `${check.vectors.length} vectors, ${check.mismatches.length} mismatches, latency ${ternaryLaneLatency(lane)} cycles, ` +
    `${check.cycles} cycles in ${check.wallSeconds.toFixed(2)} s (${(check.cycles / check.wallSeconds / 1e6).toFixed(2)} M cycles/s)` +
    (check.cached ? ', Verilator model from cache' : ''),
);
if (check.mismatches.length > 0) {
  console.error('first mismatches:', check.mismatches.slice(0, 5));
  process.exit(1);
}

step(`synthesise, place and route for iCE40UP5K (iCEBreaker), nextpnr seed ${UP5K_ICEBREAKER.seed}`);
const r = await reportBlock(ternaryLane(lane), UP5K_ICEBREAKER, path.join('build-out', 'demo', ternaryLane(lane).name));
console.log(`block alone (yosys synth_ice40): ${r.cells.lut4} LUT4, ${r.cells.carry} carry, ${r.cells.ff} flip-flops, ${r.cells.dsp} DSP`);
if (!r.placed) {
  console.error(`place and route failed: ${r.failure}`);
  process.exit(1);
}
const lc = r.placed.logicCells;
console.log(`placed in the serial harness: ${lc.used} / ${lc.available} logic cells (${((100 * lc.used) / lc.available).toFixed(1)}%, the harness adds ${lane.n * 10 + 2} shift flip-flops)`);
console.log(`post-route fmax: ${r.placed.fmaxMHz.toFixed(1)} MHz -> ${((r.placed.fmaxMHz * 1e6 * lane.n) / 1e9).toFixed(2)} G ternary MACs/s`);
console.log(`synthesis ${r.synthSeconds.toFixed(1)} s (${r.tools.yosys} yosys), place and route ${r.pnrSeconds.toFixed(1)} s (${r.tools.nextpnr} nextpnr-ice40)`);
