// make demo: the embedded tiny model generating text on the CPU in both arithmetics (upstream float and
// the accelerator's fixed point); the accelerator for it (generated, linted, co-simulated in Verilator
// bit for bit against the fixed engine, synthesised for the UP5K); then the HDL standard library and
// the 64-lane ternary dot product, placed and routed for the iCE40UP5K with its fmax.
import path from 'node:path';
import { generateStdlib } from './gen-rtl.ts';
import { lintVerilator } from '../flow/verilator-lint.ts';
import { checkLane } from '../sim/lane-check.ts';
import { reportBlock, UP5K_ICEBREAKER } from '../fpga/block-report.ts';
import { ternaryLane, ternaryLaneLatency } from '../hdl/lib/ternary-lane.ts';
import { clog2 } from '../hdl/core/types.ts';
import { makeEngine, openModel } from '../model/open.ts';
import { argmax } from '../model/engine.ts';
import { generateAccel } from '../accel/generate.ts';
import { DEFAULT_CONFIG } from '../accel/config.ts';
import { simulateAccel } from '../sim/accel-sim.ts';
import { synthIce40 } from '../flow/yosys.ts';

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

step('the accelerator for the tiny model (UP5K, 32 lanes): generate, lint, co-simulate in Verilator, synthesise');
const acc = generateAccel(tiny.weights, DEFAULT_CONFIG.up5k, path.join(out, 'tiny'), tiny.label);
const accVerilog = acc.files.filter((f) => f.endsWith('.v'));
console.log(`${acc.files.length} files in ${acc.dir}: ${acc.program.instructions.length} instructions, weight-load image ${acc.program.image.length} words`);
const accLint = lintVerilator(accVerilog, acc.top);
if (!accLint.ok) {
  console.error(accLint.output);
  process.exit(1);
}
console.log(`verilator --lint-only -Wall: ${accVerilog.length} files, 0 warnings`);
const sim = await simulateAccel({ weights: tiny.weights, config: DEFAULT_CONFIG.up5k, prompt: tiny.tokenizer.encode('ROMEO:\n'), tokens: 32 });
console.log(`generated in Verilator: ${JSON.stringify(tiny.tokenizer.decode(sim.tokens))}`);
console.log(
  `${sim.bitExact ? 'bit-exact' : 'MISMATCH'}: ${sim.compared} values (every layer's input and state, the logits, the argmax) against the fixed engine; ` +
    `${sim.cyclesPerToken} cycles per token (weight-bandwidth bound ${sim.boundCycles}); ${(sim.cyclesPerSecond / 1e6).toFixed(2)} M simulated cycles/s`,
);
if (!sim.bitExact) process.exit(1);
const accSynth = await synthIce40({ top: acc.top, sources: accVerilog, workDir: path.join('build-out', 'accel-tiny'), device: 'up5k', dsp: true, spram: true });
const c = accSynth.cells;
console.log(`yosys synth_ice40 -dsp -spram: ${c.lut4} LUT4, ${c.carry} carry, ${c.ff} flip-flops, ${c.ebr} / 30 EBR, ${c.spram} / 4 SPRAM, ${c.dsp} / 8 DSP`);

step('generate the HDL standard library');
// build-out/, not rtl-out/: the library is many independent tops, rtl-out/ one design per folder
const { files } = generateStdlib('build-out');
console.log(`${files.length} Verilog files in ${path.join('build-out', 'stdlib')}`);

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
