// The LambdaConcept ECPIX-5 as the ECP5 flow sees it. Every figure comes from litex-boards
// (platforms/lambdaconcept_ecpix5.py: device, package, pins; targets/lambdaconcept_ecpix5.py: the 75 MHz
// system clock, the DDR3 part and its PHY), which fpga/ecp5/board_pins.py reads at build time for the pins.
export interface Ecp5Board {
  name: string;
  /** litex-boards' platform module (litex_boards.platforms.<module>) and its constructor's device argument. */
  litexPlatform: string;
  litexDevice: string;
  /** The part as LiteX names it, and nextpnr-ecp5's device flag, package and speed grade for it. */
  device: string;
  nextpnrDevice: string;
  package: string;
  speed: number;
  /** The board's oscillator and the system clock LiteX's target makes of it (the DRAM runs at twice it). */
  clockResource: string;
  inputClockMHz: number;
  sysClockMHz: number;
  /** The DDR3 part, litedram.modules' name, and how many bytes wide the bus is (x16: 2). */
  sdramModule: string;
  sdramBytes: number;
  /**
   * The part's refresh time in ns, from its datasheet (JEDEC DDR3: 260 ns at 4 Gb). LiteDRAM's table has it
   * in clocks of the fastest speed grade, which at a slower clock overstates it (litedram_gen_ecp5.py).
   */
  sdramTrfcNs: number;
  serialResource: string;
  /**
   * How the bitstream gets onto the part: openFPGALoader's board name (it knows the ECPIX-5's JTAG wiring
   * and the OrangeCrab's DFU bootloader) or, for a board it has no name for, the DFU bootloader's USB ids;
   * and the USB device it opens, for the message when none is attached. Through DFU the bootloader writes
   * the flash: there is no SRAM load.
   */
  programmer: { openFpgaLoaderBoard?: string; dfu?: { vid: string; pid: string; alt: number }; usbBridge: string };
  /** litex-boards' platform revision argument, when the platform has several. */
  litexRevision?: string;
  /** The reset button among the platform's resources (active low; default rst_n): it resets LiteDRAM's clocking. */
  resetResource?: string;
  /**
   * Where the UART is when the platform's own `serial` is not on the board: a resource list the platform
   * module defines beside its pins (`extension`, e.g. a Feather header's), or two connector pins for a
   * 3.3 V USB-serial adapter (`tx`, `rx`, `ioStandard`); `note` says where to connect it.
   */
  serialPins?: { extension?: string; tx?: string; rx?: string; ioStandard?: string; note: string };
  /** ECP5DDRPHY's settings that litex-boards' target gives the board (litedram_gen: dm_swap, cmd_delay, rtt_nom). */
  phy?: { dmSwap?: boolean; cmdDelay?: number; rttNom?: string };
  /** LiteDRAM's init clock (its PLL's second output; default 25 MHz). */
  initClockMHz?: number;
  /** Ranks the board's pins have (cs_n, cke, odt, clk each one per rank); the core drives rank 0 only. */
  sdramRanksOnBoard?: number;
  /** A pin wired to the FPGA's PROGRAMN: held high, pulled low after the reset button is held for 1 s (back to the bootloader). */
  programnResource?: string;
  /** A resource of PDM outputs (pdm[n], en) setting the header banks' VCCIO: each PDM at `level` of 65,536, then en. */
  vccioPdm?: { resource: string; level: number; volts: number };
}

export const ECPIX5: Ecp5Board = {
  name: 'ecpix5',
  litexPlatform: 'lambdaconcept_ecpix5',
  litexDevice: '85F',
  device: 'LFE5UM5G-85F-8BG554I',
  nextpnrDevice: '--um5g-85k',
  package: 'CABGA554',
  speed: 8,
  clockResource: 'clk100',
  inputClockMHz: 100,
  sysClockMHz: 75,
  sdramModule: 'MT41K256M16',
  sdramBytes: 2,
  sdramTrfcNs: 260, // MT41K256M16: 4 Gb
  serialResource: 'serial',
  // openFPGALoader's board list: ecpix5, cable ecpix5-debug (the FT2232H's channel A drives the ECP5's JTAG).
  programmer: { openFpgaLoaderBoard: 'ecpix5', usbBridge: 'FTDI FT2232H (USB 0403:6010)' },
};
