// npx tsx cli/project.ts --model DIR [--model DIR ...] [--board NAME ...] [--json]: tokens per second of
// the external target for each model on each board of sim/external-projection.ts (a 600 MB/s DDR3 ECP5
// board, a 19.2 GB/s DDR4 board, a 460 GB/s HBM card), from the cycle model, with what bounds each.
import { Command } from 'commander';
import { compileProgram, type AccelProgram } from '../accel/program.ts';
import { fixedParams } from '../model/fixed/fixed-model.ts';
import { openModel } from '../model/open.ts';
import { BOARDS, projectBoard, type BoardProjection } from '../sim/external-projection.ts';
import { main } from './run-command.ts';

const collect = (v: string, acc: string[]) => [...acc, v];
const program = new Command('project')
  .description('projected tokens/s of the external target (accel/external) on DRAM and HBM boards, from the cycle model')
  .option('--model <dir|file>', 'checkpoint directory or packed model, repeatable (default: the embedded tiny model)', collect, [])
  .option('--board <name>', `a board, repeatable: ${BOARDS.map((b) => b.name).join(', ')} (default: all)`, collect, [])
  .option('--json', 'print one JSON object per model and board, a line each')
  .action((o: { model: string[]; board: string[]; json?: boolean }) => {
    for (const b of o.board) if (!BOARDS.some((x) => x.name === b)) throw new Error(`--board must be one of ${BOARDS.map((x) => x.name).join(', ')}, got '${b}'`);
    const boards = o.board.length ? BOARDS.filter((b) => o.board.includes(b.name)) : BOARDS;
    const models = o.model.length ? o.model : [undefined];
    if (!o.json) {
      for (const b of boards) process.stdout.write(`${b.name}: ${b.summary}\n`);
      process.stdout.write(
        ['model', 'board', 'lanes', 'MHz', 'channels', 'GB/s', 'image MB', 'cycles/token', 'x bound', 'row side', 'tokens/s', 'copies', 'tokens/s all', 'bound'].join('\t') + '\n',
      );
    }
    for (const dir of models) {
      const m = openModel(dir);
      const params = fixedParams(m.weights);
      const progs = new Map<string, AccelProgram>();
      for (const b of boards) {
        const packing = b.packing ?? '2bit';
        const key = `${b.lanes} ${packing}`;
        if (!progs.has(key)) progs.set(key, compileProgram(params, { target: 'external', lanes: b.lanes, packing }));
        const r: BoardProjection = projectBoard(progs.get(key)!, b);
        if (o.json) {
          process.stdout.write(JSON.stringify({ model: m.label, ...r }) + '\n');
          continue;
        }
        const gbps = (r.memoryBytesPerCycle * r.clockMHz) / 1000;
        process.stdout.write(
          [
            m.label,
            r.board,
            `${r.lanes}${b.packing === '5trit' ? ' (1.6 b)' : ''}`,
            r.clockMHz,
            r.channelsUsed,
            gbps.toFixed(gbps < 10 ? 2 : 1),
            (r.imageBytes / 2 ** 20).toFixed(0) + (r.fits ? '' : ' (too big)'),
            Math.round(r.cycles),
            (r.cycles / r.boundCycles).toFixed(2),
            `${((100 * r.rowSideCycles) / r.cycles).toFixed(0)}%`,
            r.tokensPerSecond.toFixed(r.tokensPerSecond < 10 ? 2 : 1),
            r.copies,
            r.aggregateTokensPerSecond.toFixed(1),
            r.bound,
          ].join('\t') + '\n',
        );
      }
    }
  });

await main(program, 'project');
