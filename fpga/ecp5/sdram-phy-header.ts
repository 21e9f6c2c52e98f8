// The generated description of a LiteDRAM core's PHY (software/include/generated/sdram_phy.h, written by
// litedram_gen for the BIOS), read by the DDR3 start-up (fpga/ecp5/dram-init.ts) and read levelling
// (fpga/ecp5/dram-levelling.ts); and the time unit both take from the BIOS.
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Cycles waited per unit of the BIOS's cdelay(): a loop of a few instructions on a CPU at the system clock;
 * 4 cycles an iteration keeps every wait at least as long as the BIOS's (50,000 -> 2.7 ms at 75 MHz, the
 * reset release JEDEC wants >= 200 us; 10,000 -> 0.53 ms for CKE, >= 500 us).
 */
export const CYCLES_PER_CDELAY = 4;
/** Every write waits at least this long: more than tMOD (12 clocks, 6 system cycles) after a mode register write. */
export const MIN_WAIT = 16;

/** The core's generated sdram_phy.h: its text, its numeric defines and the names it defines without a value. */
export interface SdramPhyHeader {
  file: string;
  text: string;
  defines: Map<string, number>;
  flags: Set<string>;
}

export function readSdramPhyHeader(dir: string): SdramPhyHeader {
  const file = path.join(dir, 'software', 'include', 'generated', 'sdram_phy.h');
  if (!fs.existsSync(file)) throw new Error(`dram init: ${file}: missing (generate the core with litedram_gen first)`);
  const text = fs.readFileSync(file, 'utf8');
  const defines = new Map<string, number>();
  for (const m of text.matchAll(/^#define\s+(\w+)\s+(0x[0-9a-fA-F]+|\d+)\s*$/gm)) defines.set(m[1]!, Number(m[2]));
  const flags = new Set<string>();
  for (const m of text.matchAll(/^#define\s+(\w+)\s*$/gm)) flags.add(m[1]!);
  return { file, text, defines, flags };
}

