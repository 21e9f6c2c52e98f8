// The boards a bitstream is built for: device, package, pin file, clock, what the board has (a reset
// button, LEDs), its serial port and programmer, and the accelerator configuration that fits beside the
// host interface. The host reads the same entry, so it computes the image (and its hash) the bitstream
// was built for.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CONFIG, fitsWeightMemory, type AccelConfig } from '../accel/config.ts';
import { compileProgram, type AccelProgram } from '../accel/program.ts';
import { fixedParams } from '../model/fixed/fixed-model.ts';
import type { ModelShape, WeightSource } from '../model/config.ts';

const CONSTRAINTS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'constraints');

export interface BoardSpec {
  name: string;
  description: string;
  device: 'up5k' | 'hx8k';
  package: string;
  pcf: string;
  /** The oscillator on the clk pin. */
  clockHz: number;
  /** Where set, the design runs from the PLL at (at most) this clock, not from the oscillator (board/pll.ts). */
  pllHz?: number;
  baud: number;
  button: boolean;
  leds: boolean;
  /** The accelerator this board's bitstream carries (boardAccel: for an FFF model, fffAccel where set). */
  accel: AccelConfig;
  /** The accelerator for a model with a Fast FeedForward channel mixer, where it differs from accel. */
  fffAccel?: AccelConfig;
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
    // The clock chosen from the routed fmax: with nextpnr aiming at 24 MHz, seed 1 routes the tiny model's
    // build (32 lanes) at 24.43 MHz and tiny-fff8's (8 lanes) at 24.73 (docs/architecture.md). 24 MHz is
    // a PLL output the 12 MHz input makes exactly (DIVF 63, DIVQ 5), and 24 cycles a bit make 1 Mbaud.
    pllHz: 24_000_000,
    baud: 1_000_000,
    button: true,
    leds: true,
    // 32 lanes read all four SPRAMs every cycle (64 bits: 32 two-bit codes), with 5,249 of the 5,280 logic
    // cells and all 30 EBRs. An FFF model reads few weights a token: it takes 8 lanes at less logic, and
    // node_out one output at a time (its accumulators do not fit beside the host interface).
    accel: { target: 'up5k', lanes: 32 },
    fffAccel: { target: 'up5k', lanes: 8, columnLanes: 1 },
    serialPort: '/dev/ttyUSB1',
  },
  upduino3: {
    name: 'upduino3',
    description: 'UPduino v3.0 (iCE40UP5K-SG48; 12 MHz oscillator on gpio_20 with the OSC jumper shorted; UART through a 3.3 V USB serial adapter on gpio_23 / gpio_25)',
    device: 'up5k',
    package: 'sg48',
    pcf: path.join(CONSTRAINTS, 'upduino3.pcf'),
    // No PLL: the oscillator's gpio_20 is not the pad SB_PLL40_PAD is fed from (nextpnr: "not connected to any PLL BEL").
    clockHz: 12_000_000,
    baud: 1_000_000,
    button: false,
    leds: false,
    // columnLanes: an FFF model's node_out takes one output at a time (its accumulators do not fit beside the host interface)
    accel: { target: 'up5k', lanes: 8, columnLanes: 1 },
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
  // own keys only: `toString` and the like are not boards
  const b = Object.hasOwn(BOARDS, name) ? (BOARDS as Record<string, BoardSpec>)[name] : undefined;
  if (!b) throw new Error(`unknown board '${name}': one of ${Object.keys(BOARDS).join(', ')}`);
  return b;
}

/** The accelerator program a board's bitstream carries for these weights: the build and the host both use it. */
export function boardProgram(board: Pick<BoardSpec, 'accel' | 'fffAccel'>, weights: WeightSource): AccelProgram {
  return compileProgram(fixedParams(weights), boardAccel(board, weights.config));
}

/** The accelerator a board carries for a model of this shape. */
export function boardAccel(board: Pick<BoardSpec, 'accel' | 'fffAccel'>, shape: ModelShape): AccelConfig {
  return shape.channelMixer === 'fff' ? (board.fffAccel ?? board.accel) : board.accel;
}

/**
 * What the host talks to when it is not an iCE40 board of BOARDS: the generic accelerator, whose weight
 * memory is as deep as the model needs. That is the simulated board for a model the UP5K cannot hold,
 * and what the host assumes of a PCIe board behind XDMA (the protocol engine and this accelerator; no
 * bitstream for such a board is built here).
 */
export const GENERIC_BOARD = {
  name: 'generic',
  description: 'the generic accelerator (weight memory sized to the model, 32 lanes): the simulated board for larger models, PCIe boards through XDMA',
  accel: DEFAULT_CONFIG.generic,
  /** The board top's UART rate (board/board-top.ts), when such a board is reached over a serial line. */
  baud: 1_000_000,
} as const;

export type HostBoard = Pick<BoardSpec, 'name' | 'description' | 'accel' | 'fffAccel' | 'baud'>;
/** The names the host takes for --board: the boards, and `generic`. */
export const HOST_BOARD_NAMES: readonly string[] = [...Object.keys(BOARDS), GENERIC_BOARD.name];
export type HostLink = 'serial' | 'sim' | 'xdma';

/**
 * The board the host prepares the image for. Named: that board (or `generic`). Unnamed: an iCEBreaker
 * on a serial port; the generic accelerator behind XDMA; on the simulated board the iCEBreaker when the
 * model fits its SPRAMs and otherwise the generic accelerator, with `note` saying why.
 */
export function hostBoard(name: string | undefined, link: HostLink, shape: ModelShape): { board: HostBoard; note?: string } {
  if (name !== undefined) {
    if (name === GENERIC_BOARD.name) return { board: GENERIC_BOARD };
    if (!Object.hasOwn(BOARDS, name)) throw new Error(`unknown board '${name}': one of ${HOST_BOARD_NAMES.join(', ')}`);
    return { board: boardSpec(name) };
  }
  if (link === 'xdma') return { board: GENERIC_BOARD };
  const icebreaker: HostBoard = BOARDS.icebreaker;
  if (link === 'serial' || fitsWeightMemory(shape, boardAccel(icebreaker, shape))) return { board: icebreaker };
  return { board: GENERIC_BOARD, note: `the model does not fit the ${icebreaker.name}'s SPRAMs: simulating the generic accelerator (weight memory sized to the model, ${GENERIC_BOARD.accel.lanes} lanes)` };
}
