// iCE40 primitives as black boxes, with the ports and parameters of yosys's ice40/cells_sim.v (and
// Lattice's iCE40 Technology Library). Instantiate them when inference is not enough: SPRAM, which
// the bitstream cannot initialise; the DSP with a specific register layout; the PLL.
import { blackbox } from '../core/blackbox.ts';

/** 16K x 16 single-port RAM (UltraPlus only: four of them, 64 bits per cycle together). */
export const SB_SPRAM256KA = blackbox({
  name: 'SB_SPRAM256KA',
  ports: [
    ['ADDRESS', 'input', 14],
    ['DATAIN', 'input', 16],
    ['MASKWREN', 'input', 4],
    ['WREN', 'input', 1],
    ['CHIPSELECT', 'input', 1],
    ['CLOCK', 'input', 1],
    ['STANDBY', 'input', 1],
    ['SLEEP', 'input', 1],
    ['POWEROFF', 'input', 1],
    ['DATAOUT', 'output', 16],
  ],
});

/** 16 x 16 multiplier with 32-bit accumulator (UltraPlus: eight of them). */
export const SB_MAC16 = blackbox({
  name: 'SB_MAC16',
  ports: [
    ['CLK', 'input', 1], ['CE', 'input', 1],
    ['C', 'input', 16], ['A', 'input', 16], ['B', 'input', 16], ['D', 'input', 16],
    ['AHOLD', 'input', 1], ['BHOLD', 'input', 1], ['CHOLD', 'input', 1], ['DHOLD', 'input', 1],
    ['IRSTTOP', 'input', 1], ['IRSTBOT', 'input', 1], ['ORSTTOP', 'input', 1], ['ORSTBOT', 'input', 1],
    ['OLOADTOP', 'input', 1], ['OLOADBOT', 'input', 1], ['ADDSUBTOP', 'input', 1], ['ADDSUBBOT', 'input', 1],
    ['OHOLDTOP', 'input', 1], ['OHOLDBOT', 'input', 1], ['CI', 'input', 1], ['ACCUMCI', 'input', 1], ['SIGNEXTIN', 'input', 1],
    ['O', 'output', 32], ['CO', 'output', 1], ['ACCUMCO', 'output', 1], ['SIGNEXTOUT', 'output', 1],
  ],
  params: {
    NEG_TRIGGER: "1'b0",
    C_REG: "1'b0", A_REG: "1'b0", B_REG: "1'b0", D_REG: "1'b0",
    TOP_8x8_MULT_REG: "1'b0", BOT_8x8_MULT_REG: "1'b0", PIPELINE_16x16_MULT_REG1: "1'b0", PIPELINE_16x16_MULT_REG2: "1'b0",
    TOPOUTPUT_SELECT: "2'b00", TOPADDSUB_LOWERINPUT: "2'b00", TOPADDSUB_UPPERINPUT: "1'b0", TOPADDSUB_CARRYSELECT: "2'b00",
    BOTOUTPUT_SELECT: "2'b00", BOTADDSUB_LOWERINPUT: "2'b00", BOTADDSUB_UPPERINPUT: "1'b0", BOTADDSUB_CARRYSELECT: "2'b00",
    MODE_8x8: "1'b0", A_SIGNED: "1'b0", B_SIGNED: "1'b0",
  },
  // With the input and output registers off (the defaults) the product is combinational.
  combPaths: { O: ['A', 'B', 'C', 'D'] },
});

/** PLL fed straight from a package pin (the iCEBreaker's 12 MHz oscillator pin). */
export const SB_PLL40_PAD = blackbox({
  name: 'SB_PLL40_PAD',
  ports: [
    ['PACKAGEPIN', 'input', 1],
    ['RESETB', 'input', 1],
    ['BYPASS', 'input', 1],
    ['EXTFEEDBACK', 'input', 1],
    ['DYNAMICDELAY', 'input', 8],
    ['LATCHINPUTVALUE', 'input', 1],
    ['SCLK', 'input', 1],
    ['SDI', 'input', 1],
    ['PLLOUTCORE', 'output', 1],
    ['PLLOUTGLOBAL', 'output', 1],
    ['LOCK', 'output', 1],
    ['SDO', 'output', 1],
  ],
  params: {
    FEEDBACK_PATH: '"SIMPLE"',
    DIVR: "4'b0000",
    DIVF: "7'b0000000",
    DIVQ: "3'b000",
    FILTER_RANGE: "3'b000",
  },
});
