// The boards a bitstream is built for: device, package, pin file, clock, what the board has (a reset
// button, LEDs), its serial port and programmer, and the accelerator configuration that fits beside the
// host interface. The host reads the same entry, so it computes the image (and its hash) the bitstream
// was built for.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AccelConfig } from '../accel/config.ts';
import { compileProgram, type AccelProgram } from '../accel/program.ts';
import { fixedParams } from '../model/fixed/fixed-model.ts';
import type { WeightSource } from '../model/config.ts';

const CONSTRAINTS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'constraints');

export interface BoardSpec {
  name: string;
  description: string;
  device: 'up5k' | 'hx8k';
  package: string;
  pcf: string;
  clockHz: number;
  baud: number;
  button: boolean;
  leds: boolean;
  /** The accelerator this board's bitstream carries. */
  accel: AccelConfig;
  /** Where the board's UART usually appears. */
  serialPort: string;
}

export const BOARDS = {
  icebreaker: {
    name: 'icebreaker',
    description: 'iCEBreaker v1.0 (iCE40UP5K-SG48, FTDI FT2232H: channel A programs the flash, channel B is the UART)',
    device: 'up5k',
    package: 'sg48',
    pcf: path.join(CONSTRAINTS, 'icebreaker.pcf'),
    clockHz: 12_000_000,
    baud: 1_000_000,
    button: true,
    leds: true,
    accel: { target: 'up5k', lanes: 8 },
    serialPort: '/dev/ttyUSB1',
  },
  upduino3: {
    name: 'upduino3',
    description: 'UPduino v3.0 (iCE40UP5K-SG48; 12 MHz oscillator on gpio_20 with the OSC jumper shorted; UART through a 3.3 V USB serial adapter on gpio_23 / gpio_25)',
    device: 'up5k',
    package: 'sg48',
    pcf: path.join(CONSTRAINTS, 'upduino3.pcf'),
    clockHz: 12_000_000,
    baud: 1_000_000,
    button: false,
    leds: false,
    accel: { target: 'up5k', lanes: 8 },
    serialPort: '/dev/ttyUSB0',
  },
  'hx8k-breakout': {
    name: 'hx8k-breakout',
    description: 'iCE40-HX8K Breakout Board (iCE40HX8K-CT256; no SPRAM, no DSP: only designs without them fit)',
    device: 'hx8k',
    package: 'ct256',
    pcf: path.join(CONSTRAINTS, 'hx8k-breakout.pcf'),
    clockHz: 12_000_000,
    baud: 1_000_000,
    button: false,
    leds: true,
    accel: { target: 'generic', lanes: 8 },
    serialPort: '/dev/ttyUSB1',
  },
} as const satisfies Record<string, BoardSpec>;

export type BoardName = keyof typeof BOARDS;

export function boardSpec(name: string): BoardSpec {
  const b = (BOARDS as Record<string, BoardSpec>)[name];
  if (!b) throw new Error(`unknown board '${name}': one of ${Object.keys(BOARDS).join(', ')}`);
  return b;
}

/** The accelerator program a board's bitstream carries for these weights: the build and the host both use it. */
export function boardProgram(board: BoardSpec, weights: WeightSource): AccelProgram {
  return compileProgram(fixedParams(weights), board.accel);
}
