// npm run flash -- --board icebreaker [--bitstream FILE] [--sram]: writes the board's bitstream to its
// SPI flash with openFPGALoader when it is installed, else iceprog. Without a board attached, one line
// says what was looked for.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Command } from 'commander';
import { BOARDS, boardSpec } from '../board/boards.ts';
import { findExecutable } from '../flow/wasm-tools.ts';
import { inputFile } from './options.ts';
import { main } from './run-command.ts';

interface FlashOptions {
  board: string;
  bitstream?: string;
  sram?: boolean;
}

/** The programmer command for a board: openFPGALoader knows boards by name; iceprog talks to the FT2232H. */
function programmer(board: string, bin: string, sram: boolean): { cmd: string; args: string[]; lookingFor: string } | undefined {
  const ofl = findExecutable('openFPGALoader');
  // Every one of our boards is an iCE40 behind an FTDI chip: openFPGALoader's generic iCE40 cable setting.
  if (ofl) return { cmd: ofl, args: ['-b', 'ice40_generic', ...(sram ? [] : ['-f']), bin], lookingFor: `the ${board}'s FTDI FT2232H/FT232H (USB 0403:6010 or 0403:6014)` };
  const iceprog = findExecutable('iceprog');
  if (iceprog) return { cmd: iceprog, args: [...(sram ? ['-S'] : []), bin], lookingFor: `the ${board}'s FTDI FT2232H (USB 0403:6010)` };
  return undefined;
}

const program = new Command('flash')
  .description('write a board\'s bitstream (npm run build first) to its flash, or with --sram to its FPGA until power-off')
  .option('--board <name>', `one of ${Object.keys(BOARDS).join(', ')}`, 'icebreaker')
  .option('--bitstream <file>', 'the bitstream (default build-out/<board>/mmf_board.bin)')
  .option('--sram', 'configure the FPGA directly instead of writing the flash')
  .action((o: FlashOptions) => {
    const board = boardSpec(o.board);
    const bin = path.resolve(o.bitstream ?? path.join('build-out', board.name, 'mmf_board.bin'));
    if (!fs.existsSync(bin)) throw new Error(`no bitstream at ${bin}: run npm run build -- --board ${board.name} first`);
    inputFile(bin, '--bitstream');
    const p = programmer(board.name, bin, !!o.sram);
    if (!p) throw new Error('neither openFPGALoader nor iceprog is on PATH: install one (apt-get install fpga-icestorm gives iceprog)');
    const r = spawnSync(p.cmd, p.args, { encoding: 'utf8' });
    if (r.error) throw new Error(`${p.cmd}: ${r.error.message}`);
    if (r.status !== 0) {
      // The tool's own reason: its last line that is more than "ABORT." or "init..".
      const said = `${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trim()).filter((l) => l && !/^(ABORT|init)\.*$/i.test(l));
      const last = said.pop() ?? `exit code ${r.status}`;
      throw new Error(`no ${board.name} found: ${path.basename(p.cmd)} looked for ${p.lookingFor} and said "${last}"`);
    }
    process.stdout.write(`${board.name}: ${path.basename(bin)} written by ${path.basename(p.cmd)}${o.sram ? ' to SRAM' : ' to flash'}\n`);
  });

await main(program, 'flash');
