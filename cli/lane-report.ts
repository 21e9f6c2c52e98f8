// npx tsx cli/lane-report.ts --lanes N [--stages S] [--seed K]: resources and post-route fmax of the
// ternary lane on UP5K (the figures in the README's table).
import path from 'node:path';
import { Command } from 'commander';
import { ternaryLane } from '../hdl/lib/ternary-lane.ts';
import { clog2 } from '../hdl/core/types.ts';
import { reportBlock, UP5K_ICEBREAKER } from '../fpga/block-report.ts';

const o = new Command('lane-report')
  .description('synthesise, place and route the N-lane ternary dot product for iCE40UP5K; print one JSON object')
  .requiredOption('--lanes <n>', 'lanes (activations per cycle)')
  .option('--stages <s>', 'adder-tree register stages (default: clog2(lanes), fully pipelined)')
  .option('--seed <k>', 'nextpnr seed', '1')
  .parse()
  .opts<{ lanes: string; stages?: string; seed: string }>();
const n = Number(o.lanes);
if (!Number.isInteger(n) || n < 1) {
  console.error(`lane-report: --lanes must be a positive integer, got '${o.lanes}'`);
  process.exit(1);
}
const stages = o.stages === undefined ? clog2(n) : Number(o.stages);
const lane = ternaryLane({ n, stages });
const r = await reportBlock(lane, { ...UP5K_ICEBREAKER, seed: Number(o.seed) }, path.join('build-out', 'lane-report', lane.name));
console.log(JSON.stringify({ lanes: n, stages, lut4: r.cells.lut4, carry: r.cells.carry, ff: r.cells.ff, fits: r.fits, fmaxMHz: r.placed?.fmaxMHz ?? null, logicCells: r.placed?.logicCells ?? null, failure: r.failure ?? null, tools: r.tools }));
