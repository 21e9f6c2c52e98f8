// What each iCE40 part offers, for the build report's "available" column when nextpnr has not said
// (a design rejected before placement) and for the checks made before synthesis.
export interface Ice40Device {
  name: string;
  logicCells: number;
  ebr: number;
  /** Bits per EBR (SB_RAM40_4K). */
  ebrBits: number;
  spram: number;
  dsp: number;
  /** User IOs by package. */
  io: Record<string, number>;
}

export const ICE40_DEVICES: Record<'up5k' | 'hx8k', Ice40Device> = {
  up5k: { name: 'iCE40UP5K', logicCells: 5280, ebr: 30, ebrBits: 4096, spram: 4, dsp: 8, io: { sg48: 39 } },
  hx8k: { name: 'iCE40HX8K', logicCells: 7680, ebr: 32, ebrBits: 4096, spram: 0, dsp: 0, io: { ct256: 206 } },
};
