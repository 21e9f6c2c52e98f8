// npx tsx cli/lane-report.ts --lanes N [--stages S] [--seed K]: resources and post-route fmax of the
// ternary lane on UP5K (the figures in the README's table).
import path from 'node:path';
import { Command } from 'commander';
import { ternaryLane } from '../hdl/lib/ternary-lane.ts';
import { clog2 } from '../hdl/core/types.ts';
import { reportBlock, UP5K_ICEBREAKER } from '../fpga/block-report.ts';
import { intOption } from './options.ts';
import { main } from './run-command.ts';

const program = new Command('lane-report')
  .description('synthesise, place and route the N-lane ternary dot product for iCE40UP5K; print one JSON object')
  .requiredOption('--lanes <n>', 'lanes (activations per cycle)')
  .option('--stages <s>', 'adder-tree register stages (default: clog2(lanes), fully pipelined)')
  .option('--seed <k>', 'nextpnr seed', '1')
  .action(async (o: { lanes: string; stages?: string; seed: string }) => {
    const n = intOption(o.lanes, '--lanes', { min: 1, max: 4096 });
    const stages = o.stages === undefined ? clog2(n) : intOption(o.stages, '--stages', { max: clog2(n) });
    const seed = intOption(o.seed, '--seed');
    const lane = ternaryLane({ n, stages });
    const r = await reportBlock(lane, { ...UP5K_ICEBREAKER, seed }, path.join('build-out', 'lane-report', lane.name));
    console.log(JSON.stringify({ lanes: n, stages, lut4: r.cells.lut4, carry: r.cells.carry, ff: r.cells.ff, fits: r.fits, fmaxMHz: r.placed?.fmaxMHz ?? null, logicCells: r.placed?.logicCells ?? null, failure: r.failure ?? null, tools: r.tools }));
  });
await main(program, 'lane-report');
