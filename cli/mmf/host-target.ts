// What `mmf host` talks to for a --board: the image it uploads (the one the board's bitstream was built
// for, so its hash matches) and how to start that board in simulation. The iCE40 boards and the generic
// accelerator come from board/boards.ts; the ECP5 boards (DDR3 through LiteDRAM: the ECPIX-5, OrangeCrab,
// ButterStick, one accelerator and image for all three) from fpga/ecp5/.
import type { WeightSource } from '../../model/config.ts';
import { boardProgram, hostBoard, HOST_BOARD_NAMES, type HostBoard, type HostLink } from '../../board/boards.ts';
import { startSimBoard, type SimBoard } from '../../sim/board-sim.ts';
import { ECPIX5_ACCEL, ECPIX5_BAUD, ecpix5Program } from '../../fpga/ecp5/build.ts';
import { ecpix5Image } from '../../fpga/ecp5/ecpix5-logic.ts';
import { startEcpix5SimBoard } from '../../fpga/ecp5/ecpix5-sim.ts';
import { ECPIX5 } from '../../fpga/ecp5/ecpix5.ts';
import { ECP5_BOARDS } from '../../fpga/ecp5/ecp5-boards.ts';

/** The simulated boards' reply timeout at the least (a real board's is 2 s). */
const SIM_TIMEOUT_MS = 20_000;

export const HOST_TARGET_NAMES: readonly string[] = [...HOST_BOARD_NAMES, ...Object.keys(ECP5_BOARDS)];

/**
 * Above this many 16-bit words the simulated ECPIX-5 starts with the image in its DRAM unless told not to:
 * its UART (4 clocks a bit) takes about 85 cycles a word, and Verilator runs the board with LiteDRAM at a
 * few hundred thousand cycles a second, so 250 K words are about a minute; the small model's 724 K would
 * be several, a 370M model's 51 M hours.
 */
export const SIM_PRELOAD_WORDS = 250_000;

export interface SimStart {
  /** Write the image into the simulated DRAM first (the ECPIX-5 only); undefined: when it is large. */
  preload?: boolean;
  log?: (msg: string) => void;
}

export interface HostTarget {
  board: HostBoard;
  /** The words the host uploads. */
  image: Uint16Array;
  /** Why this board was chosen, when it was not named. */
  note?: string;
  /** The clock the board's accelerator runs at, where the simulated board reports its cycles per step. */
  clockHz?: number;
  /** How long one reply of the simulated board may take by default (a step of a large model is slow). */
  simTimeoutMs: number;
  startSim(o: SimStart): Promise<{ sim: SimBoard; note?: string }>;
}

export function hostTarget(name: string | undefined, link: HostLink, weights: WeightSource): HostTarget {
  const ecp5 = name !== undefined && Object.hasOwn(ECP5_BOARDS, name) ? ECP5_BOARDS[name]! : undefined;
  if (ecp5) {
    if (link === 'sim' && ecp5 !== ECPIX5) throw new Error(`--sim simulates the ECPIX-5 (--board ${ECPIX5.name}); the ${ecp5.name} carries the same accelerator and image`);
    const prog = ecpix5Program(weights);
    const image = ecpix5Image(prog);
    return {
      board: { name: ecp5.name, description: `${ecp5.name} (${ecp5.device}, DDR3 through LiteDRAM)`, accel: ECPIX5_ACCEL, baud: ECPIX5_BAUD },
      image,
      clockHz: ecp5.sysClockMHz * 1e6,
      // A step reads about the image's 128-bit words (image.length / 8), a cycle or two each; Verilator
      // runs the board at 50 K cycles a second at the least (a loaded 2-core machine): 370M, 257 s.
      simTimeoutMs: Math.max(SIM_TIMEOUT_MS, Math.ceil((((2 * image.length) / 8) * 1000) / 50_000)),
      startSim: async (o) => {
        const preload = o.preload ?? image.length > SIM_PRELOAD_WORDS;
        const sim = await startEcpix5SimBoard(prog, { preload, ...(o.log ? { log: o.log } : {}) });
        const mb = ((2 * image.length) / 1e6).toFixed(1);
        return { sim, ...(preload ? { note: `the simulated ECPIX-5 starts with the image (${mb} MB) in its DRAM, as an earlier upload would have left it; the host has the board check it (VERIFY)` } : {}) };
      },
    };
  }
  if (name !== undefined && !HOST_TARGET_NAMES.includes(name)) throw new Error(`unknown board '${name}': one of ${HOST_TARGET_NAMES.join(', ')}`);
  const { board, note } = hostBoard(name, link, weights.config);
  const prog = boardProgram(board, weights);
  return {
    board,
    image: prog.image,
    ...(note ? { note } : {}),
    simTimeoutMs: SIM_TIMEOUT_MS,
    startSim: async (o) => ({ sim: await startSimBoard(prog, o.log ? { log: o.log } : {}) }),
  };
}
