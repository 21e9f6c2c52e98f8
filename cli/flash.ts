// npm run flash -- --board icebreaker|ecpix5|orangecrab|butterstick [--bitstream FILE] [--sram]: writes the
// board's bitstream to its flash (or, with --sram, configures the FPGA until power-off). The iCE40 boards
// take openFPGALoader when it is installed, else iceprog; the ECP5 boards only openFPGALoader (iceprog speaks
// to iCE40s): the ECPIX-5 over its JTAG, the OrangeCrab and the ButterStick through their DFU bootloaders
// (openFPGALoader's DFU mode rather than dfu-util: one tool for every board), which write the flash only.
// Without a board attached, one line says what was looked for.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Command } from 'commander';
import { BOARDS, boardSpec } from '../board/boards.ts';
import type { Ecp5Board } from '../fpga/ecp5/ecpix5.ts';
import { ECP5_BOARDS } from '../fpga/ecp5/ecp5-boards.ts';
import { findExecutable } from '../flow/wasm-tools.ts';
import { inputFile } from './options.ts';
import { main, runCommand } from './run-command.ts';

interface FlashOptions {
  board: string;
  bitstream?: string;
  sram?: boolean;
}

/** A programmer run: the executable, its arguments, and the hardware it will look for (for the error). */
interface ProgrammerRun {
  cmd: string;
  args: string[];
  lookingFor: string;
}

/** What flashing a board needs: the bitstream `npm run build` leaves, and how to write it. */
interface FlashTarget {
  name: string;
  defaultBitstream: string;
  programmer(bitstream: string, sram: boolean): ProgrammerRun;
}

/** The iCE40 boards (board/boards.ts): openFPGALoader knows them as generic iCE40s; iceprog talks to the FT2232H. */
function ice40Target(name: string): FlashTarget {
  const board = boardSpec(name);
  return {
    name: board.name,
    defaultBitstream: path.join('build-out', board.name, 'mmf_board.bin'),
    programmer(bin, sram) {
      // Every one of our iCE40 boards sits behind an FTDI chip: openFPGALoader's generic iCE40 cable setting.
      const ofl = findExecutable('openFPGALoader');
      if (ofl) return { cmd: ofl, args: ['-b', 'ice40_generic', ...(sram ? [] : ['-f']), bin], lookingFor: `the ${board.name}'s FTDI FT2232H/FT232H (USB 0403:6010 or 0403:6014)` };
      const iceprog = findExecutable('iceprog');
      if (iceprog) return { cmd: iceprog, args: [...(sram ? ['-S'] : []), bin], lookingFor: `the ${board.name}'s FTDI FT2232H (USB 0403:6010)` };
      throw new Error('neither openFPGALoader nor iceprog is on PATH: install one (apt-get install openfpgaloader, or fpga-icestorm for iceprog)');
    },
  };
}

/**
 * An ECP5 board (fpga/ecp5/ecp5-boards.ts). Over JTAG (the ECPIX-5) openFPGALoader loads the SRAM unless
 * told -f, which writes the SPI flash through the part; the flag follows --sram as on the iCE40s. Through a
 * DFU bootloader (the OrangeCrab: openFPGALoader's board orangeCrab; the ButterStick, which it has no name
 * for: --dfu with the bootloader's USB ids) the bootloader writes the flash, and there is no SRAM load.
 */
function ecp5Target(board: Ecp5Board): FlashTarget {
  return {
    name: board.name,
    // fpga/ecp5/build.ts names the bitstream after its top, mmf_<board>.
    defaultBitstream: path.join('build-out', board.name, `mmf_${board.name}.bit`),
    programmer(bit, sram) {
      const p = board.programmer;
      if (p.dfu && sram) throw new Error(`--sram: the ${board.name} is programmed through its DFU bootloader, which writes the flash only`);
      const ofl = findExecutable('openFPGALoader');
      if (!ofl) throw new Error(`openFPGALoader is not on PATH: the ${board.name}'s ECP5 needs it (iceprog programs iCE40s only); install it with apt-get install openfpgaloader`);
      const lookingFor = `the ${board.name}'s ${p.usbBridge}`;
      if (p.openFpgaLoaderBoard) return { cmd: ofl, args: ['-b', p.openFpgaLoaderBoard, ...(sram || p.dfu ? [] : ['-f']), bit], lookingFor };
      if (!p.dfu) throw new Error(`${board.name}: no programmer in its board description`);
      return { cmd: ofl, args: ['--dfu', '--vid', `0x${p.dfu.vid}`, '--pid', `0x${p.dfu.pid}`, '--altsetting', String(p.dfu.alt), bit], lookingFor };
    },
  };
}

const BOARD_NAMES = [...Object.keys(BOARDS), ...Object.keys(ECP5_BOARDS)];

/** A tool's own reason for failing: its last line that is more than "ABORT." or "init..". */
function lastWords(stdout: string, stderr: string, status: number | null): string {
  const said = `${stdout}\n${stderr}`.split('\n').map((l) => l.trim()).filter((l) => l && !/^(ABORT|init)\.*$/i.test(l));
  return said.pop() ?? `exit code ${status}`;
}

/** The command, as a fresh Command each time (tests run it in-process several times). */
export function flashProgram(): Command {
  return new Command('flash')
    .description('write a board\'s bitstream (npm run build first) to its flash, or with --sram to its FPGA until power-off')
    .option('--board <name>', `one of ${BOARD_NAMES.join(', ')}`, 'icebreaker')
    .option('--bitstream <file>', 'the bitstream (default build-out/<board>/mmf_board.bin; an ECP5 board\'s mmf_<board>.bit)')
    .option('--sram', 'configure the FPGA directly instead of writing the flash')
    .action((o: FlashOptions) => {
      if (!BOARD_NAMES.includes(o.board)) throw new Error(`unknown board '${o.board}': one of ${BOARD_NAMES.join(', ')}`);
      const ecp5 = Object.hasOwn(ECP5_BOARDS, o.board) ? ECP5_BOARDS[o.board] : undefined;
      const target = ecp5 ? ecp5Target(ecp5) : ice40Target(o.board);
      const bin = path.resolve(o.bitstream ?? target.defaultBitstream);
      if (!fs.existsSync(bin)) throw new Error(`no bitstream at ${bin}: run npm run build -- --board ${target.name} first`);
      inputFile(bin, '--bitstream');
      const p = target.programmer(bin, !!o.sram);
      const r = spawnSync(p.cmd, p.args, { encoding: 'utf8' });
      if (r.error) throw new Error(`${p.cmd}: ${r.error.message}`);
      if (r.status !== 0) {
        const last = lastWords(r.stdout, r.stderr, r.status);
        // openFPGALoader: "unable to open ftdi device: -3 (device not found)", in DFU mode "No DFU compatible
        // device found"; iceprog: "Can't find iCE FTDI USB device".
        const noBoard = /not found|can't find|cannot find|unable to open|no device|no dfu/i.test(`${r.stdout}\n${r.stderr}`);
        throw new Error(noBoard
          ? `no ${target.name} found: ${path.basename(p.cmd)} looked for ${p.lookingFor} and said "${last}"`
          : `${path.basename(p.cmd)} could not program the ${target.name}: "${last}"`);
      }
      process.stdout.write(`${target.name}: ${path.basename(bin)} written by ${path.basename(p.cmd)}${o.sram ? ' to SRAM' : ' to flash'}\n`);
    });
}

/** Runs the command on `argv` in-process: the exit code, after one line on stderr when it failed. */
export const runFlash = (argv: readonly string[]) => runCommand(flashProgram(), 'flash', argv);

const isMain = import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('flash.ts');
if (isMain) await main(flashProgram(), 'flash');
