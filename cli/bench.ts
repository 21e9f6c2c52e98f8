// npm run bench: the speed figures of the parts that exist today, printed, never asserted.
//   - HDL: elaborate + print the ternary lane at several sizes (what every gen-rtl run pays)
//   - Verilator: simulated cycles per second of the 64-lane ternary lane (pipelined, one vector a cycle)
import { performance } from 'node:perf_hooks';
import { ternaryLane } from '../hdl/lib/ternary-lane.ts';
import { elaborate } from '../hdl/ir/elaborate.ts';
import { emitVerilog } from '../hdl/verilog/emit.ts';
import { clog2 } from '../hdl/core/types.ts';
import { checkLane } from '../sim/lane-check.ts';

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
