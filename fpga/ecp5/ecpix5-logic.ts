// The ECPIX-5's board logic, in LiteDRAM's system clock: the DDR3 start-up sequencer on the core's wb_ctrl
// (fpga/ecp5/dram-init.ts), the UART and the protocol engine (as on the iCEBreaker: board/board-top.ts), a
// load writer that puts the host's upload into DRAM through LiteDRAM's `host` port, and the accelerator's
// external top on the `accel` port. fpga/ecp5/ecpix5-top.ts wraps it with the LiteDRAM core and the pins.
//
//   DRAM image   the external target's image (accel/external/stream-image.ts), 16-byte words little endian,
//                from 128-bit word DRAM_BASE_WORD of the DRAM: the host uploads it as 16-bit words (word i
//                is bytes [2i, 2i + 2)), the accelerator reads word a at DRAM_BASE_WORD + a.
//   load writer  one LiteDRAM write per 16-bit word (fpga/ecp5/dram-load-writer.ts); `loaded` rises once
//                the last word's write has been taken.
//   resets       the UART, the engine and the writer wait for the DRAM to be up (init_done); the
//                accelerator is held in reset until the image is loaded, so it never prefetches words
//                that are still being written (and a reload restarts it).
import { buildModule } from '../../hdl/core/generator.ts';
import type { Module } from '../../hdl/core/module.ts';
import { Bool, UInt } from '../../hdl/core/types.ts';
import { lit } from '../../hdl/core/expr.ts';
import { externalTop } from '../../accel/external/top.ts';
import { externalImage } from '../../accel/external/stream-image.ts';
import type { AccelProgram } from '../../accel/program.ts';
import { modelHash } from '../../protocol/model-hash.ts';
import { protocolEngine } from '../../board/protocol-engine.ts';
import { placeHostInterface } from '../../board/host-interface.ts';
import { dramInitSequencer, type InitStep } from './dram-init.ts';
import type { LevellingPlan } from './dram-levelling.ts';
import { dramLoadWriter, loadIndexBitsFor } from './dram-load-writer.ts';

/** LiteDRAM's native port: 128 bits, one BL8 burst of the x16 part. */
export const DRAM_PORT_BITS = 128;
/**
 * Where the image starts, in 128-bit words: the first 64 KB stay free for the read-levelling patterns a
 * sequencer writes (docs/ecp5.md).
 */
export const DRAM_BASE_WORD = 4096;

export interface Ecpix5LogicOptions {
  clockHz: number;
  baud: number;
  /** Address bits of LiteDRAM's native ports (128-bit words). */
  portAddressBits: number;
  initSteps: readonly InitStep[];
  /**
   * The board PHY's read levelling (fpga/ecp5/dram-levelling.ts), run by the start-up sequencer before the
   * hand-over; adds the input wb_dat_r (wb_ctrl's read data) and the outputs dram_level_* (its results).
   */
  levelling?: LevellingPlan | null;
}

/** The image the host uploads for `prog`: the external image as 16-bit words. */
export function ecpix5Image(prog: AccelProgram): Uint16Array {
  const img = externalImage(prog);
  if (img.wordBits !== DRAM_PORT_BITS) {
    throw new Error(`ecpix5: the accelerator's port is ${img.wordBits} bits; LiteDRAM's is ${DRAM_PORT_BITS} (use --target external --lanes 64)`);
  }
  return new Uint16Array(img.bytes.buffer.slice(img.bytes.byteOffset, img.bytes.byteOffset + img.bytes.byteLength));
}

export function ecpix5Logic(prog: AccelProgram, o: Ecpix5LogicOptions, name = 'mmf_ecpix5_logic'): Module {
  const image = ecpix5Image(prog);
  const words = image.length;
  const liW = loadIndexBitsFor(words);
  const dramWords = (words + 7) >> 3;
  if (DRAM_BASE_WORD + dramWords > 2 ** o.portAddressBits) {
    throw new Error(`ecpix5: the image needs ${dramWords} 16-byte words from word ${DRAM_BASE_WORD}; the DRAM has ${2 ** o.portAddressBits}`);
  }
  const accel = externalTop(prog);
  const engine = protocolEngine({ imageWords: words, loadIndexBits: liW, vocabSize: prog.geometry.V, tokenBits: prog.geometry.tokenBits, modelHash: modelHash(image) });
  const seq = dramInitSequencer(o.initSteps, undefined, o.levelling ?? null);
  const writer = dramLoadWriter({ imageWords: words, addressBits: o.portAddressBits, baseWord: DRAM_BASE_WORD, portBits: DRAM_PORT_BITS });
  const uart = { clockHz: o.clockHz, baud: o.baud };
  const AW = o.portAddressBits;
  const W = DRAM_PORT_BITS;
  return buildModule(name, (m) => {
    // rst: LiteDRAM's system reset (user_rst), which this module's own registers take.
    const sysRst = m.rst;
    const initDone = m.input('init_done', Bool);
    const uartRxPin = m.input('uart_rx', Bool);
    const uartTxPin = m.output('uart_tx', Bool);

    // ---- DDR3 start-up on wb_ctrl ---------------------------------------------------------------------
    const s = m.instance('u_init', seq, { rst: sysRst, wb_ack: m.input('wb_ack', Bool), ...(o.levelling ? { wb_dat_r: m.input('wb_dat_r', UInt(32)) } : {}) });
    for (const p of seq.ports.filter((q) => q.name.startsWith('level_'))) m.assign(m.output(`dram_${p.name}`, p.type), s.out(p.name));
    for (const p of ['wb_cyc', 'wb_stb', 'wb_we', 'wb_sel', 'wb_adr', 'wb_dat_w'] as const) {
      const v = s.out(p);
      m.assign(m.output(p, UInt(v.width)), v);
    }
    m.assign(m.output('init_seq_done', Bool), s.out('done'));
    const rst = m.let('rst_board', sysRst.or(initDone.not()));

    // ---- UART and protocol engine; the load writer takes the engine's 16-bit words into DRAM ---------
    const { eng, loaded, loadIndex: loadIdx, tokInReady, tokOutValid, tokOutData } = placeHostInterface(m, { engine, uart, rst, rxPin: uartRxPin, txPin: uartTxPin, loadIndexBits: liW, tokenBits: prog.geometry.tokenBits });

    const lw = m.instance('u_load', writer, {
      rst,
      load_valid: eng.out('load_valid'),
      load_data: eng.out('load_data'),
      load_seek: eng.out('load_seek'),
      load_seek_addr: eng.out('load_seek_addr'),
      cmd_ready: m.input('host_cmd_ready', Bool),
      wdata_ready: m.input('host_wdata_ready', Bool),
    });
    m.assign(loadIdx, lw.out('load_index'));
    m.assign(loaded, lw.out('loaded'));
    for (const q of ['cmd_valid', 'cmd_we', 'cmd_addr', 'wdata_valid', 'wdata_we', 'wdata_data', 'overrun'] as const) {
      const v = lw.out(q);
      m.assign(m.output(q === 'overrun' ? 'load_overrun' : `host_${q}`, UInt(v.width)), v);
    }
    m.assign(m.output('host_rdata_ready', Bool), lit(1, Bool));

    // ---- the accelerator on the accel port ----------------------------------------------------------
    const acc = m.instance('u_accel', accel, {
      rst: rst.or(loaded.not()),
      tok_in_valid: eng.out('tok_in_valid'),
      tok_in_data: eng.out('tok_in_data'),
      tok_in_clear: eng.out('tok_in_clear'),
      tok_out_ready: eng.out('tok_out_ready'),
      debug_en: lit(0, Bool),
      dram_cmd_ready: m.input('accel_cmd_ready', Bool),
      dram_rdata_valid: m.input('accel_rdata_valid', Bool),
      dram_rdata_data: m.input('accel_rdata_data', UInt(W)),
    });
    m.assign(tokInReady, acc.out('tok_in_ready'));
    m.assign(tokOutValid, acc.out('tok_out_valid'));
    m.assign(tokOutData, acc.out('tok_out_data'));
    const accAddr = acc.out('dram_cmd_addr');
    if (accAddr.width > AW) throw new Error(`ecpix5: the accelerator's ${accAddr.width}-bit word address is wider than LiteDRAM's ${AW}`);
    m.assign(m.output('accel_cmd_valid', Bool), acc.out('dram_cmd_valid'));
    m.assign(m.output('accel_cmd_we', Bool), lit(0, Bool));
    m.assign(m.output('accel_cmd_addr', UInt(AW)), accAddr.zext(AW).add(DRAM_BASE_WORD).trunc(AW));
    m.assign(m.output('accel_rdata_ready', Bool), acc.out('dram_rdata_ready'));
    m.assign(m.output('accel_wdata_valid', Bool), lit(0, Bool));
    m.assign(m.output('accel_wdata_we', UInt(W / 8)), lit(0, UInt(W / 8)));
    m.assign(m.output('accel_wdata_data', UInt(W)), lit(0, UInt(W)));
    m.assign(m.output('stream_error', Bool), acc.out('stream_error'));
    m.assign(m.output('busy', Bool), eng.out('busy'));
    m.sink(acc.out('dbg_valid'), acc.out('dbg_data'), acc.out('step_cycles'));
  });
}
