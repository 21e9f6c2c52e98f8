// npm run bench: the speed figures, printed, never asserted.
//   - golden model: tokens/s of the float and fixed engines, single thread, on tiny and small
//   - FFF: tiny-fff8 on its tree's path against the same tree dense and the GLU tiny model (bench-fff.ts)
//   - golden model at the released sizes: tokens/s and peak RSS at the 370M and 1.3B shapes (bench-real-sizes.ts)
//   - HDL: elaborate + print the ternary lane at several sizes (what every gen-rtl run pays)
//   - Verilator: simulated cycles per second of the 64-lane ternary lane (pipelined, one vector a cycle)
//   - Verilator: the whole accelerator on the tiny model, cycles/s and tokens/s, with and without debug read-out
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ternaryLane } from '../hdl/lib/ternary-lane.ts';
import { elaborate } from '../hdl/ir/elaborate.ts';
import { emitVerilog } from '../hdl/verilog/emit.ts';
import { clog2 } from '../hdl/core/types.ts';
import { checkLane } from '../sim/lane-check.ts';
import { EMBEDDED_MODEL, makeEngine, openModel } from '../model/open.ts';
import { simulateAccel } from '../sim/accel-sim.ts';
import { DEFAULT_CONFIG } from '../accel/config.ts';
import { exitOnUncaught } from './run-command.ts';
import { benchRealSizes } from './bench-real-sizes.ts';
import { benchFff, benchFffAccelerator } from './bench-fff.ts';

exitOnUncaught('bench'); // a failed step ends in one line, not a stack trace

const small = path.join(path.dirname(EMBEDDED_MODEL), 'small');
const text = Buffer.from('First Citizen:\nBefore we proceed any further, hear me speak.\n'.repeat(40));
for (const [name, dir] of [['tiny', EMBEDDED_MODEL], ['small', small]] as const) {
  if (!fs.existsSync(dir)) {
    console.log(`model ${name}: skipped (${dir} not found)`);
    continue;
  }
  const m = openModel(dir);
  for (const kind of ['float', 'fixed'] as const) {
    const engine = makeEngine(kind, m.weights);
    const tokens = name === 'tiny' ? 2048 : 256;
    const state = engine.newState();
    for (let t = 0; t < 64; t++) engine.step(state, text[t]!); // warm-up: let the JIT compile the kernels
    const t0 = performance.now();
    for (let t = 0; t < tokens; t++) engine.step(state, text[t % text.length]!);
    const s = (performance.now() - t0) / 1000;
    console.log(`model ${name}: ${kind} engine ${(tokens / s).toFixed(0)} tokens/s (single thread, ${tokens} tokens)`);
  }
}

benchFff();
benchFffAccelerator();

await benchRealSizes();

for (const n of [32, 64, 128, 256]) {
  const t0 = performance.now();
  const files = emitVerilog(elaborate(ternaryLane({ n, stages: clog2(n) })));
  const ms = performance.now() - t0;
  const bytes = [...files.values()].reduce((s, t) => s + t.length, 0);
  console.log(`hdl: ternary_lane n=${n}: elaborate + print ${ms.toFixed(1)} ms, ${files.size} files, ${bytes} bytes`);
}

const vectors = 200_000;
const r = await checkLane({ n: 64, stages: 6 }, vectors, 7);
console.log(
  `verilator: ternary_lane n=64: ${r.cycles} cycles in ${r.wallSeconds.toFixed(2)} s = ${(r.cycles / r.wallSeconds / 1e6).toFixed(2)} M cycles/s ` +
    `(harness-driven, 3 port writes per cycle; ${r.mismatches.length} mismatches)`,
);

// The accelerator in Verilator (the tiny model for the UP5K): the board's view (debug read-out off)
// and the co-simulation's (every layer's input and state and the logits read out and compared).
{
  const m = openModel(EMBEDDED_MODEL);
  const prompt = m.tokenizer.encode('ROMEO:\n');
  for (const debug of [false, true]) {
    const r = await simulateAccel({ weights: m.weights, config: DEFAULT_CONFIG.up5k, prompt, tokens: 64, debug });
    console.log(
      `accel tiny/up5k in Verilator (${debug ? 'debug read-out and compare' : 'as a board'}): ${(r.cyclesPerSecond / 1e6).toFixed(2)} M cycles/s, ` +
        `${r.tokensPerSecond.toFixed(1)} tokens/s; ${r.cyclesPerToken} cycles per token (bound ${r.boundCycles}, ${(r.cyclesPerToken / r.boundCycles).toFixed(2)}x)`,
    );
  }
}
