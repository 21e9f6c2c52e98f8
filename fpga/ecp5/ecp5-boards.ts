// The ECP5 boards with DDR3 the flow builds for: the ECPIX-5 (fpga/ecp5/ecpix5.ts), the OrangeCrab 85F and
// the ButterStick. Every figure is litex-boards' (platforms/gsd_orangecrab.py, gsd_butterstick.py for the
// parts, packages and pins; targets/gsd_*.py for the system clock, the DDR3 part and the PHY's settings)
// unless its comment names another source; fpga/ecp5/ecp5-boards.long.test.ts checks them against the venv's
// litex-boards.
import { ECPIX5, type Ecp5Board } from './ecpix5.ts';

/**
 * The OrangeCrab r0.2 with the 85F (a Feather-sized board; its USB goes to the FPGA, so there is no USB UART:
 * the UART is on the Feather header, pins litex-boards' feather_serial names: TX = GPIO:1 (M18), RX = GPIO:0
 * (N17), 3.3 V, for a USB-serial adapter).
 */
export const ORANGECRAB_85F: Ecp5Board = {
  name: 'orangecrab',
  litexPlatform: 'gsd_orangecrab',
  litexDevice: '85F',
  litexRevision: '0.2',
  device: 'LFE5U-85F-8MG285C',
  nextpnrDevice: '--85k',
  package: 'CSFBGA285',
  speed: 8,
  clockResource: 'clk48',
  inputClockMHz: 48,
  sysClockMHz: 48, // the target's --sys-clk-freq default (DDR3 at 96 MHz)
  // The 85F board carries 512 MB: MT41K256M16TW-107 (4 Gb x16; the target's --sdram-device choice for it).
  sdramModule: 'MT41K256M16',
  sdramBytes: 2,
  sdramTrfcNs: 260, // 4 Gb (Micron MT41K256M16 datasheet, JEDEC)
  serialResource: 'serial',
  serialPins: { extension: 'feather_serial', note: 'Feather header: TX on GPIO:1 (M18), RX on GPIO:0 (N17), 3.3 V: a USB-serial adapter (the USB connector goes to the FPGA)' },
  resetResource: 'usr_btn',
  // rst_n (V17) drives the ECP5's PROGRAMN: the target pulls it low after the button is held 1 s (back to the DFU bootloader).
  programnResource: 'rst_n',
  // The target's ECP5DDRPHY: its DM pins are swapped, cmd_delay 100 below 64 MHz, no ODT (rtt_nom disabled).
  phy: { dmSwap: true, cmdDelay: 100, rttNom: 'disabled' },
  initClockMHz: 24,
  programmer: { openFpgaLoaderBoard: 'orangeCrab', dfu: { vid: '1209', pid: '5af0', alt: 0 }, usbBridge: 'OrangeCrab DFU bootloader (USB 1209:5af0: hold the button while plugging the board in)' },
};

/**
 * The ButterStick r1.0, 8G-85F variant (butterstick-hardware README: LFE5UM5G-85F, 2x MT41K256M16TW-107 on one
 * x16 bus in two ranks, 1 GB). Only rank 0 (512 MB) is used: LiteDRAM's DFI injector selects every rank at
 * once, so the start-up sequencer's read levelling would read both chips onto the bus together; rank 1 is
 * held deselected (cs_n high, cke and odt low). Its UART: no serial resource in litex-boards (the target uses
 * a UART over Etherbone, and the USB goes to a ULPI PHY on the FPGA), so two SYZYGY port A pins with a
 * USB-serial adapter, the port's VCCIO set to 3.3 V.
 */
export const BUTTERSTICK: Ecp5Board = {
  name: 'butterstick',
  litexPlatform: 'gsd_butterstick',
  litexDevice: '85F',
  litexRevision: '1.0',
  device: 'LFE5UM5G-85F-8BG381C',
  nextpnrDevice: '--um5g-85k',
  package: 'CABGA381',
  speed: 8,
  clockResource: 'clk30',
  inputClockMHz: 30,
  sysClockMHz: 75, // the target's --sys-clk-freq default (its BaseSoC's own default is 60 MHz)
  sdramModule: 'MT41K256M16', // one rank of the 8G variant (the target's default, MT41K64M16, is the 2G variant's)
  sdramBytes: 2,
  sdramTrfcNs: 260, // 4 Gb
  sdramRanksOnBoard: 2,
  serialResource: 'serial',
  serialPins: { tx: 'SYZYGY0:S0', rx: 'SYZYGY0:S1', ioStandard: 'LVCMOS33', note: 'SYZYGY port A: TX on S0 (G2), RX on S1 (J3), 3.3 V: a USB-serial adapter (no UART on the board)' },
  resetResource: 'user_btn',
  // The SYZYGY banks' VCCIO comes from regulators set by PDM outputs; 6500 is 3.3 V (butterstick-fpga's examples).
  vccioPdm: { resource: 'vccio_ctrl', level: 6500, volts: 3.3 },
  initClockMHz: 25,
  programmer: { dfu: { vid: '1209', pid: '5af1', alt: 0 }, usbBridge: 'ButterStick DFU bootloader (USB 1209:5af1)' },
};

export const ECP5_BOARDS: Readonly<Record<string, Ecp5Board>> = { ecpix5: ECPIX5, orangecrab: ORANGECRAB_85F, butterstick: BUTTERSTICK };

/** The ECP5 board named `name`, or a one-line error listing them. */
export function ecp5Board(name: string): Ecp5Board {
  const b = Object.hasOwn(ECP5_BOARDS, name) ? ECP5_BOARDS[name] : undefined;
  if (!b) throw new Error(`unknown ECP5 board '${name}': one of ${Object.keys(ECP5_BOARDS).join(', ')}`);
  return b;
}

/** The litex-boards resources a board's top has pins for, in LPF order. */
export function boardResources(b: Ecp5Board): string[] {
  return [b.clockResource, b.resetResource ?? 'rst_n', ...(b.programnResource ? [b.programnResource] : []), b.serialResource, ...(b.vccioPdm ? [b.vccioPdm.resource] : []), 'ddram'];
}
