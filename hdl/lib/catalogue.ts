// The standard library at its default parameters: what `npm run gen-rtl` writes until the accelerator
// exists, and what the lint and synthesis tests sweep.
import type { Module } from '../core/module.ts';
import { clog2 } from '../core/types.ts';
import { adderTree } from './adder-tree.ts';
import { axi4RangeReader } from './axi4-read.ts';
import { fifo } from './fifo.ts';
import { rom, ram, singlePortRam } from './memories.ts';
import { nativeRangeReader } from './native-read.ts';
import { ternaryLane } from './ternary-lane.ts';
import { uartRx } from './uart-rx.ts';
import { uartTx } from './uart-tx.ts';

export interface CatalogueEntry {
  module: Module;
  what: string;
  /** yosys options this block needs to map as intended. */
  synth?: { spram?: boolean };
}

/** A fixed, non-trivial table for the ROM example (a byte-wide triangle wave). */
const TRIANGLE = Array.from({ length: 256 }, (_, i) => (i < 128 ? 2 * i : 511 - 2 * i));

export function stdlibCatalogue(): CatalogueEntry[] {
  const lanes = 64;
  return [
    { module: ternaryLane({ n: lanes, stages: clog2(lanes) }), what: `${lanes}-lane int8 x ternary dot product, fully pipelined` },
    { module: adderTree({ n: 16, width: 12, stages: 2, carries: 0 }), what: '16-input pipelined adder tree' },
    { module: fifo({ width: 8, depth: 512 }), what: 'byte FIFO on one EBR' },
    { module: uartTx({ clockHz: 12_000_000, baud: 115_200 }), what: 'UART transmitter, 12 MHz / 115200 8N1' },
    { module: uartRx({ clockHz: 12_000_000, baud: 115_200 }), what: 'UART receiver, 12 MHz / 115200 8N1' },
    { module: rom({ width: 8, depth: 256, init: TRIANGLE }), what: 'ROM with init data (EBR)' },
    { module: ram({ width: 16, depth: 256 }), what: 'simple dual-port RAM (EBR)' },
    { module: singlePortRam({ width: 16, depth: 16384 }), what: '16K x 16 single-port RAM (SPRAM)', synth: { spram: true } },
    { module: axi4RangeReader({ dataWidth: 64, addrWidth: 32, lenWidth: 16, maxBurst: 256, maxOutstanding: 8 }), what: 'AXI4 read master: address ranges as INCR bursts, 8 in flight, 64-bit' },
    { module: nativeRangeReader({ dataWidth: 64, addrWidth: 24, lenWidth: 16, maxInFlight: 16 }), what: 'LiteDRAM-native read port: address ranges, 16 words in flight, 64-bit' },
  ];
}
