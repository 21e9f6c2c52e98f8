// Tokens per second of the external target on boards too large to co-simulate for long: the cycle
// model of accel/external/projection.ts run at a board's memory (a DRAM preset's peak times its
// sequential efficiency, sim/dram-presets.ts), lanes and clock. docs/architecture.md, "External memory:
// projections", states the assumptions; the test beside this file holds the model to co-simulations.
import type { AccelProgram } from '../accel/program.ts';
import { externalImage } from '../accel/external/stream-image.ts';
import { projectExternalCycles, type ExternalProjection } from '../accel/external/projection.ts';
import { dramSetup, expectedSequentialEfficiency, type DramPresetName } from './dram-presets.ts';
import { portBits as portBitsOf, type Packing } from '../accel/config.ts';

export interface Board {
  name: string;
  /** What it stands for, and how it is modelled (one line). */
  summary: string;
  preset: DramPresetName;
  lanes: number;
  /** How the image stores the matrices (accel/config.ts); 2 bits unless given. */
  packing?: Packing;
  clockMHz: number;
  /**
   * Memory channels (of the preset) one accelerator reads, word-interleaved behind its one port
   * (1 but for HBM, where a pseudo-channel is narrower than a 512-bit port).
   */
  channelsPerAccel: number;
  /** Channels the board has, and the bytes each holds: how many copies of a model fit side by side. */
  channels: number;
  channelBytes: number;
  /** Whether an accelerator may read more channels than channelsPerAccel, interleaved, when its image needs their room. */
  spread: boolean;
}

/** The three boards of issue 12: a 600 MB/s ECP5 board, a 19.2 GB/s DDR4 board, a 460 GB/s HBM card. */
export const BOARDS: readonly Board[] = [
  {
    name: 'ddr3-x16',
    summary: 'ECP5 board, 16-bit DDR3 through LiteDRAM (600 MB/s, 512 MB), 75 MHz, 64-bit port',
    preset: 'ddr3-x16',
    lanes: 32,
    clockMHz: 75,
    channelsPerAccel: 1,
    channels: 1,
    channelBytes: 512 * 2 ** 20,
    spread: false,
  },
  {
    name: 'ddr3-x16-5trit',
    summary: 'the same ECP5 board with the weights at 1.6 bits: 64 lanes behind the 64-bit port (40 weights a word)',
    preset: 'ddr3-x16',
    lanes: 64,
    packing: '5trit',
    clockMHz: 75,
    channelsPerAccel: 1,
    channels: 1,
    channelBytes: 512 * 2 ** 20,
    spread: false,
  },
  {
    name: 'ddr4-x64',
    summary: 'KV260-class, one DDR4-2400 x64 channel (19.2 GB/s, 4 GB), 300 MHz, 512-bit port',
    preset: 'ddr4-x64',
    lanes: 256,
    clockMHz: 300,
    channelsPerAccel: 1,
    channels: 1,
    channelBytes: 4 * 2 ** 30,
    spread: false,
  },
  {
    name: 'hbm-1pc',
    summary: 'U280-class HBM2 (32 pseudo-channels x 14.4 GB/s = 460.8 GB/s, 256 MB each): one accelerator per pseudo-channel, 300 MHz, 512-bit port',
    preset: 'hbm-pc',
    lanes: 256,
    clockMHz: 300,
    channelsPerAccel: 1,
    channels: 32,
    channelBytes: 256 * 2 ** 20,
    spread: false,
  },
  {
    name: 'hbm-2pc',
    summary: 'the same HBM2, one accelerator reading two pseudo-channels word-interleaved (28.8 GB/s behind its 19.2 GB/s port), or as many as its image needs',
    preset: 'hbm-pc',
    lanes: 256,
    clockMHz: 300,
    channelsPerAccel: 2,
    channels: 32,
    channelBytes: 256 * 2 ** 20,
    spread: true,
  },
];

export type Bound = 'memory bandwidth' | 'port width (lanes)' | 'controller (row side)';

export interface BoardProjection extends ExternalProjection {
  board: string;
  lanes: number;
  clockMHz: number;
  /** The memory's sustained bytes per cycle (peak x sequential efficiency) and the port's. */
  memoryBytesPerCycle: number;
  portBytesPerCycle: number;
  efficiency: number;
  tokensPerSecond: number;
  /** The DRAM image (every model byte, once, plus instructions), the channels one accelerator reads, and whether one copy fits them. */
  imageBytes: number;
  channelsUsed: number;
  fits: boolean;
  /** Accelerators side by side, each on its own channels with its own copy (independent sequences), and their tokens/s together. */
  copies: number;
  aggregateTokensPerSecond: number;
  /** What the token's cycles are mostly spent on. */
  bound: Bound;
  /** Cycles of the token besides the stream's own time: the row side's work that does not overlap it. */
  rowSideCycles: number;
  /** The model's own bytes per token over the memory's sustained rate: the memory roofline, in cycles. */
  boundCycles: number;
}

export function projectBoard(prog: AccelProgram, board: Board): BoardProjection {
  const packing = board.packing ?? '2bit';
  if (prog.config.target !== 'external' || prog.config.lanes !== board.lanes || (prog.config.packing ?? '2bit') !== packing) {
    throw new Error(`projection: board ${board.name} needs a program for the external target at ${board.lanes} lanes, ${packing}, got ${prog.config.target} at ${prog.config.lanes}, ${prog.config.packing ?? '2bit'}`);
  }
  const portBits = portBitsOf(prog.config);
  const portBytes = portBits / 8;
  const one = dramSetup(board.preset, portBits, { clockMHz: board.clockMHz });
  const efficiency = expectedSequentialEfficiency(one.timing, portBits);
  const img = externalImage(prog);
  const imageBytes = img.words * img.wordBytes;
  const needed = Math.ceil(imageBytes / board.channelBytes);
  const channelsUsed = board.spread ? Math.min(board.channels, Math.max(board.channelsPerAccel, needed)) : board.channelsPerAccel;
  const fits = needed <= channelsUsed;
  const memoryBytesPerCycle = one.memoryBytesPerCycle * channelsUsed * efficiency;
  const p = projectExternalCycles(prog, { wordsPerCycle: Math.min(1, memoryBytesPerCycle / portBytes), latency: one.timing.latency }, img);
  const copies = fits ? Math.floor(board.channels / channelsUsed) : 0;
  const tokensPerSecond = (board.clockMHz * 1e6) / p.cycles;
  // The stream alone would take the longer of the memory's and the port's time for the token's words;
  // the rest of the token is the controller's row-side work that does not overlap the stream (the
  // passes, statistics and scalars between matrices): the larger of the two names the bound.
  const memoryCycles = (img.wordsPerToken * portBytes) / memoryBytesPerCycle;
  const portCycles = img.wordsPerToken;
  const streamCycles = Math.max(memoryCycles, portCycles);
  const rowSideCycles = p.cycles - streamCycles;
  const bound: Bound = rowSideCycles > streamCycles ? 'controller (row side)' : memoryCycles > portCycles ? 'memory bandwidth' : 'port width (lanes)';
  return {
    ...p,
    board: board.name,
    lanes: board.lanes,
    clockMHz: board.clockMHz,
    memoryBytesPerCycle,
    portBytesPerCycle: portBytes,
    efficiency,
    tokensPerSecond,
    imageBytes,
    channelsUsed,
    fits,
    copies,
    aggregateTokensPerSecond: copies * tokensPerSecond,
    bound,
    rowSideCycles,
    boundCycles: img.modelBytesPerToken / Math.min(memoryBytesPerCycle, portBytes),
  };
}
