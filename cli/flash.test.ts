// npm run flash against fake programmers on PATH: shell scripts that record their arguments and answer as
// the real tools do with no board attached (openFPGALoader 0.10: "unable to open ftdi device: -3 (device
// not found)"; iceprog: "Can't find iCE FTDI USB device"), or succeed when FAKE_BOARD_ATTACHED is set.
// Each run must pass the right flags for the board and --sram, and end in one line naming what it looked for.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runFlash } from './flash.ts';
import { ECPIX5 } from '../fpga/ecp5/ecpix5.ts';
import { BUTTERSTICK, ORANGECRAB_85F } from '../fpga/ecp5/ecp5-boards.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flash-test-'));
const savedPath = process.env.PATH;
const savedCwd = process.cwd();

/** A folder holding fake programmers; each writes its arguments, one a line, to <folder>/<tool>.args. */
function fakeBin(tools: ('openFPGALoader' | 'iceprog')[]): string {
  const dir = fs.mkdtempSync(path.join(tmp, 'bin-'));
  const noBoard = {
    openFPGALoader: 'for a; do [ "$a" = -f ] && echo "write to flash"; done\necho "unable to open ftdi device: -3 (device not found)" >&2\necho "JTAG init failed with: unable to open ftdi device" >&2\nexit 1',
    iceprog: 'echo "init.." >&2\necho "Can\'t find iCE FTDI USB device (vendor_id 0x0403, device_id 0x6010 or 0x6014)." >&2\necho "ABORT." >&2\nexit 2',
  };
  for (const t of tools) {
    const log = path.join(dir, `${t}.args`);
    const script = [
      '#!/bin/sh',
      `: > '${log}'`,
      `for a; do printf '%s\\n' "$a" >> '${log}'; done`,
      'if [ -n "$FAKE_BOARD_ATTACHED" ]; then echo "Done"; exit 0; fi',
      'if [ -n "$FAKE_TOOL_FAILS" ]; then echo "$FAKE_TOOL_FAILS" >&2; exit 1; fi',
      noBoard[t],
    ].join('\n');
    fs.writeFileSync(path.join(dir, t), script + '\n', { mode: 0o755 });
  }
  return dir;
}

const argsOf = (bin: string, tool: string): string[] | null => {
  const f = path.join(bin, `${tool}.args`);
  return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter(Boolean) : null;
};

async function flash(argv: string[], bin: string, env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
  process.env.PATH = bin;
  for (const [k, v] of Object.entries(env)) process.env[k] = v;
  try {
    const code = await runFlash(argv);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.env.PATH = savedPath;
    for (const k of Object.keys(env)) delete process.env[k];
  }
}

/** A project folder with the bitstreams npm run build leaves, as cwd (the defaults are relative to it). */
const project = fs.mkdtempSync(path.join(tmp, 'project-'));
beforeAll(() => {
  for (const rel of ['build-out/ecpix5/mmf_ecpix5.bit', 'build-out/orangecrab/mmf_orangecrab.bit', 'build-out/butterstick/mmf_butterstick.bit', 'build-out/icebreaker/mmf_board.bin', 'other/my.bit']) {
    fs.mkdirSync(path.join(project, path.dirname(rel)), { recursive: true });
    fs.writeFileSync(path.join(project, rel), Buffer.from([0xff, 0x00, 0x4c, 0x61]));
  }
  process.chdir(project);
});
afterEach(() => process.chdir(project));
afterAll(() => {
  process.chdir(savedCwd);
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('flash the ECPIX-5', () => {
  for (const sram of [false, true]) {
    for (const bitstream of [undefined, 'other/my.bit']) {
      const argv = ['--board', 'ecpix5', ...(bitstream ? ['--bitstream', bitstream] : []), ...(sram ? ['--sram'] : [])];
      const file = path.join(project, bitstream ?? 'build-out/ecpix5/mmf_ecpix5.bit');

      it(`${argv.join(' ')}: openFPGALoader -b ecpix5${sram ? '' : ' -f'}, and no board is one line naming the FT2232H`, async () => {
        const bin = fakeBin(['openFPGALoader', 'iceprog']);
        const r = await flash(argv, bin);
        expect(argsOf(bin, 'openFPGALoader')).toEqual(['-b', ECPIX5.programmer.openFpgaLoaderBoard, ...(sram ? [] : ['-f']), file]);
        expect(argsOf(bin, 'iceprog')).toBeNull();
        expect(r.code).toBe(1);
        expect(r.stdout).toBe('');
        expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
        expect(r.stderr).toContain('no ecpix5 found');
        expect(r.stderr).toContain('FT2232H (USB 0403:6010)');
        expect(r.stderr).toContain('"JTAG init failed with: unable to open ftdi device"');
      });

      it(`${argv.join(' ')} with a board: says where it wrote`, async () => {
        const bin = fakeBin(['openFPGALoader']);
        const r = await flash(argv, bin, { FAKE_BOARD_ATTACHED: '1' });
        expect(r.code).toBe(0);
        expect(r.stderr).toBe('');
        expect(r.stdout).toBe(`ecpix5: ${path.basename(file)} written by openFPGALoader ${sram ? 'to SRAM' : 'to flash'}\n`);
        expect(argsOf(bin, 'openFPGALoader')?.at(-1)).toBe(file);
      });
    }
  }

  it('without openFPGALoader: one line saying so and how to install it, iceprog left alone', async () => {
    const bin = fakeBin(['iceprog']);
    const r = await flash(['--board', 'ecpix5'], bin);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.stderr).toMatch(/openFPGALoader is not on PATH.*apt-get install openfpgaloader/);
    expect(argsOf(bin, 'iceprog')).toBeNull();
  });

  it('a failure that is not a missing board is not reported as one', async () => {
    const bin = fakeBin(['openFPGALoader']);
    const r = await flash(['--board', 'ecpix5'], bin, { FAKE_TOOL_FAILS: 'bitstream: wrong idcode' });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('flash: openFPGALoader could not program the ecpix5: "bitstream: wrong idcode"\n');
  });

  it('no bitstream yet: one line with the path and the build command', async () => {
    const empty = fs.mkdtempSync(path.join(tmp, 'empty-'));
    process.chdir(empty);
    const bin = fakeBin(['openFPGALoader']);
    const r = await flash(['--board', 'ecpix5'], bin);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`flash: no bitstream at ${path.join(empty, 'build-out/ecpix5/mmf_ecpix5.bit')}: run npm run build -- --board ecpix5 first\n`);
    expect(argsOf(bin, 'openFPGALoader')).toBeNull();
  });
});

describe('flash an iCE40 board', () => {
  for (const sram of [false, true]) {
    const argv = ['--board', 'icebreaker', ...(sram ? ['--sram'] : [])];
    const file = path.join(project, 'build-out/icebreaker/mmf_board.bin');

    it(`${argv.join(' ')}: openFPGALoader's generic iCE40${sram ? '' : ' -f'} when installed`, async () => {
      const bin = fakeBin(['openFPGALoader', 'iceprog']);
      const r = await flash(argv, bin);
      expect(argsOf(bin, 'openFPGALoader')).toEqual(['-b', 'ice40_generic', ...(sram ? [] : ['-f']), file]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^flash: no icebreaker found: openFPGALoader looked for .*0403:6010.* and said "JTAG init failed with: unable to open ftdi device"\n$/);
    });

    it(`${argv.join(' ')}: iceprog${sram ? ' -S' : ''} otherwise, its reason without ABORT`, async () => {
      const bin = fakeBin(['iceprog']);
      const r = await flash(argv, bin);
      expect(argsOf(bin, 'iceprog')).toEqual([...(sram ? ['-S'] : []), file]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`flash: no icebreaker found: iceprog looked for the icebreaker's FTDI FT2232H (USB 0403:6010) and said "Can't find iCE FTDI USB device (vendor_id 0x0403, device_id 0x6010 or 0x6014)."\n`);
    });
  }

  it('neither programmer: one line naming both', async () => {
    const r = await flash(['--board', 'icebreaker'], fakeBin([]));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^flash: neither openFPGALoader nor iceprog is on PATH[^\n]*\n$/);
  });

  for (const name of ['ecp5', 'toString', '']) {
    it(`unknown board '${name}': one line listing the boards, ecpix5 among them`, async () => {
      const r = await flash(['--board', name], fakeBin(['openFPGALoader']));
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`flash: unknown board '${name}': one of icebreaker, upduino3, hx8k-breakout, ecpix5, orangecrab, butterstick\n`);
    });
  }
});

describe('flash the OrangeCrab and the ButterStick through their DFU bootloaders', () => {
  const cases = [
    { board: ORANGECRAB_85F, args: ['-b', 'orangeCrab'], usb: '1209:5af0' },
    { board: BUTTERSTICK, args: ['--dfu', '--vid', '0x1209', '--pid', '0x5af1', '--altsetting', '0'], usb: '1209:5af1' },
  ];
  for (const { board, args, usb } of cases) {
    const file = path.join(project, `build-out/${board.name}/mmf_${board.name}.bit`);

    it(`--board ${board.name}: openFPGALoader ${args.join(' ')} (no -f: the bootloader writes the flash), and no board is one line naming the bootloader`, async () => {
      const bin = fakeBin(['openFPGALoader']);
      fs.writeFileSync(path.join(bin, 'openFPGALoader'), fs.readFileSync(path.join(bin, 'openFPGALoader'), 'utf8').replace(/for a; do \[ "\$a" = -f \][^\n]*\n[^\n]*\n[^\n]*\nexit 1/, 'echo "No DFU compatible device found" >&2\nexit 1'));
      const r = await flash(['--board', board.name], bin);
      expect(argsOf(bin, 'openFPGALoader')).toEqual([...args, file]);
      expect(r.code).toBe(1);
      expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
      expect(r.stderr).toContain(`no ${board.name} found`);
      expect(r.stderr).toContain(`USB ${usb}`);
      expect(r.stderr).toContain('"No DFU compatible device found"');
    });

    it(`--board ${board.name} with a board: written to flash`, async () => {
      const bin = fakeBin(['openFPGALoader']);
      const r = await flash(['--board', board.name], bin, { FAKE_BOARD_ATTACHED: '1' });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${board.name}: mmf_${board.name}.bit written by openFPGALoader to flash\n`);
    });

    it(`--board ${board.name} --sram: refused in one line, nothing run`, async () => {
      const bin = fakeBin(['openFPGALoader']);
      const r = await flash(['--board', board.name, '--sram'], bin);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`flash: --sram: the ${board.name} is programmed through its DFU bootloader, which writes the flash only\n`);
      expect(argsOf(bin, 'openFPGALoader')).toBeNull();
    });
  }
});
