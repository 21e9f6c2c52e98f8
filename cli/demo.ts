// make demo: the embedded tiny model generating text on the CPU in both arithmetics (upstream float and
// the accelerator's fixed point); the accelerator for it (gen-rtl, linted, co-simulated in Verilator bit
// for bit against the fixed engine, synthesised for the UP5K); the simulated iCEBreaker, to which the
// host uploads the weights and from which it streams generated text; then the iCEBreaker bitstream and
// its build report.
import path from 'node:path';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { lintVerilator } from '../flow/verilator-lint.ts';
import { BOARDS } from '../board/boards.ts';
import { buildBoard } from '../fpga/board-build.ts';
import { reportPage, summaryLines } from '../fpga/build-page.ts';
import { makeEngine, openModel } from '../model/open.ts';
import { argmax } from '../model/engine.ts';
import { generateAccel } from '../accel/generate.ts';
import { DEFAULT_CONFIG } from '../accel/config.ts';
import { simulateAccel } from '../sim/accel-sim.ts';
import { synthIce40 } from '../flow/yosys.ts';
import { exitOnUncaught } from './run-command.ts';

exitOnUncaught('demo'); // a failed step ends in one line, not a stack trace

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

step('the simulated iCEBreaker: the board\'s RTL (accelerator, UART, protocol engine) in Verilator, its UART on a TCP socket');
console.log('the host uploads the weights and generates, through the same code as for a real board (npx mmf host --port /dev/ttyUSB1)');
const host = spawnSync('npx', ['mmf', 'host', '--sim', '--board', 'icebreaker', '--prompt', 'ROMEO:\n', '--tokens', '64'], { stdio: ['ignore', 'inherit', 'inherit'] });
if (host.status !== 0) process.exit(1);

step('the iCEBreaker bitstream: yosys synth_ice40 -> nextpnr-ice40 -> icepack (npm run build -- --board icebreaker)');
const board = BOARDS.icebreaker;
const built = await buildBoard({ board, weights: tiny.weights, modelLabel: tiny.label, outDir: path.join('build-out', board.name), seed: 1, log: (s) => console.log(s) });
fs.writeFileSync(path.join('build-out', board.name, 'report.html'), reportPage(built));
console.log(summaryLines(built).join('\n'));
console.log(`report page: ${path.join('build-out', board.name, 'report.html')}; flash it with npm run flash -- --board icebreaker`);
if (!built.fits) process.exit(1);
