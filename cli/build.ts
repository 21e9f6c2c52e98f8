// npm run build -- --board icebreaker [--model DIR] [--seed N] [--json]: the board's bitstream for a
// model (fpga/board-build.ts), with its report as a table (or ONE JSON object) and as an HTML page
// beside the bitstream. Exits 1 when the design does not fit or misses the board clock.
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { BOARDS, boardSpec } from '../board/boards.ts';
import { openModel } from '../model/open.ts';
import { buildBoard } from '../fpga/board-build.ts';
import { buildEcpix5, ecp5SummaryLines } from '../fpga/ecp5/build.ts';
import { ECP5_BOARDS, ecp5Board } from '../fpga/ecp5/ecp5-boards.ts';
import { ecp5ReportPage } from '../fpga/ecp5/report-page.ts';
import { reportPage, summaryLines } from '../fpga/build-page.ts';
import { intOption, outputDir } from './options.ts';
import { main } from './run-command.ts';

interface BuildCliOptions {
  board: string;
  model?: string;
  seed: string;
  out?: string;
  json?: boolean;
}

const program = new Command('build')
  .description('synthesise, place, route and pack the bitstream for a board (yosys, nextpnr-ice40, icepack)')
  .option('--board <name>', `one of ${[...Object.keys(BOARDS), ...Object.keys(ECP5_BOARDS)].join(', ')}`, 'icebreaker')
  .option('--model <dir|file>', 'checkpoint directory or packed model (default: the embedded tiny model)')
  .option('--seed <n>', 'nextpnr placement seed (recorded in the report)', '1')
  .option('--out <dir>', 'output folder (default build-out/<board>)')
  .option('--json', 'print the report as one JSON object')
  .action(async (o: BuildCliOptions) => {
    if (Object.hasOwn(ECP5_BOARDS, o.board)) return buildEcp5Cli(o);
    const board = boardSpec(o.board);
    const seed = intOption(o.seed, '--seed');
    const outDir = path.resolve(outputDir(o.out ?? path.join('build-out', board.name), '--out', { create: false }));
    const m = openModel(o.model);
    outputDir(outDir, '--out');
    const t0 = performance.now();
    const report = await buildBoard({ board, weights: m.weights, modelLabel: m.label, outDir, seed, ...(o.json ? {} : { log: (s: string) => process.stderr.write(`${s}\n`) }) });
    const page = path.join(outDir, 'report.html');
    fs.writeFileSync(page, reportPage(report));
    fs.writeFileSync(path.join(outDir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
    if (o.json) process.stdout.write(JSON.stringify({ ...report, reportPage: page }) + '\n');
    else {
      process.stdout.write(summaryLines(report).join('\n') + '\n');
      process.stdout.write(`report: ${page} (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
    }
    if (!report.fits) process.exitCode = 1;
  });

/** An ECP5 board (fpga/ecp5/build.ts, fpga/ecp5/ecp5-boards.ts): the same report, as lines or one JSON object and as the HTML page, in build-out/<board>/. */
async function buildEcp5Cli(o: BuildCliOptions): Promise<void> {
  const seed = intOption(o.seed, '--seed');
  const outDir = path.resolve(outputDir(o.out ?? path.join('build-out', o.board), '--out', { create: false }));
  const m = openModel(o.model);
  outputDir(outDir, '--out');
  const t0 = performance.now();
  const report = await buildEcpix5({ board: ecp5Board(o.board), weights: m.weights, modelLabel: m.label, outDir, seed, ...(o.json ? {} : { log: (s: string) => process.stderr.write(`${s}\n`) }) });
  const page = path.join(outDir, 'report.html');
  fs.writeFileSync(page, ecp5ReportPage(report));
  fs.writeFileSync(path.join(outDir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  if (o.json) process.stdout.write(JSON.stringify({ ...report, reportPage: page }) + '\n');
  else process.stdout.write(`${ecp5SummaryLines(report).join('\n')}\nreport: ${page} (${((performance.now() - t0) / 1000).toFixed(0)} s)${report.fits ? `; flash it with npm run flash -- --board ${o.board}` : ''}\n`);
  if (!report.fits) process.exitCode = 1;
}

await main(program, 'build');
