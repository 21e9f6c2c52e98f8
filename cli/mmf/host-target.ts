// What `mmf host` talks to for a --board: the image it uploads (the one the board's bitstream was built
// for, so its hash matches) and how to start that board in simulation. The iCE40 boards and the generic
// accelerator come from board/boards.ts; the ECPIX-5 (DDR3 through LiteDRAM) from fpga/ecp5/.
import type { WeightSource } from '../../model/config.ts';
import { boardProgram, hostBoard, HOST_BOARD_NAMES, type HostBoard, type HostLink } from '../../board/boards.ts';
import { startSimBoard, type SimBoard } from '../../sim/board-sim.ts';
import { ECPIX5_ACCEL, ECPIX5_BAUD, ecpix5Program } from '../../fpga/ecp5/build.ts';
import { ecpix5Image } from '../../fpga/ecp5/ecpix5-logic.ts';
import { startEcpix5SimBoard } from '../../fpga/ecp5/ecpix5-sim.ts';
import { ECPIX5 } from '../../fpga/ecp5/ecpix5.ts';

export const HOST_TARGET_NAMES: readonly string[] = [...HOST_BOARD_NAMES, ECPIX5.name];

/**
 * Above this many 16-bit words the simulated ECPIX-5 starts with the image in its DRAM unless told not to:
 * its UART (4 clocks a bit) takes about 85 cycles a word, so 2 M words are some 170 M simulated cycles,
 * minutes; a 370M model's 40 M words would be hours.
 */
export const SIM_PRELOAD_WORDS = 2_000_000;

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
  startSim(o: SimStart): Promise<{ sim: SimBoard; note?: string }>;
}

export function hostTarget(name: string | undefined, link: HostLink, weights: WeightSource): HostTarget {
  if (name === ECPIX5.name) {
    const prog = ecpix5Program(weights);
    const image = ecpix5Image(prog);
    return {
      board: { name: ECPIX5.name, description: 'LambdaConcept ECPIX-5 (LFE5UM5G-85F, DDR3 through LiteDRAM)', accel: ECPIX5_ACCEL, baud: ECPIX5_BAUD },
      image,
      clockHz: ECPIX5.sysClockMHz * 1e6,
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
    startSim: async (o) => ({ sim: await startSimBoard(prog, o.log ? { log: o.log } : {}) }),
  };
}
