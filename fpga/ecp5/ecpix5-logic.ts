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
//   VERIFY       (with `verify`) the verify reader (fpga/ecp5/dram-verify-reader.ts) reads the image back
//                through the same `host` port and gives the engine its CRC; a match (the engine's
//                verify_ok) makes the board loaded as after an upload, until the next seek of the load.
//                The writer and the reader are never busy at once (the engine runs one request at a time,
//                and a LOAD during a VERIFY is refused); the port goes to the writer while it holds a word.
//   resets       the UART, the engine and the writer wait for the DRAM to be up (init_done); the
//                accelerator is held in reset until the image is loaded, so it never prefetches words
//                that are still being written (and a reload restarts it).
import { buildModule } from '../../hdl/core/generator.ts';
import type { Module } from '../../hdl/core/module.ts';
import { Bool, UInt } from '../../hdl/core/types.ts';
import { lit, mux } from '../../hdl/core/expr.ts';
import { externalTop } from '../../accel/external/top.ts';
import { externalImage } from '../../accel/external/stream-image.ts';
import type { AccelProgram } from '../../accel/program.ts';
import { modelHash } from '../../protocol/model-hash.ts';
import { protocolEngine } from '../../board/protocol-engine.ts';
import { placeHostInterface } from '../../board/host-interface.ts';
import { dramInitSequencer, type InitStep } from './dram-init.ts';
import type { LevellingPlan } from './dram-levelling.ts';
import { dramLoadWriter, loadIndexBitsFor } from './dram-load-writer.ts';
import { dramVerifyReader } from './dram-verify-reader.ts';

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
  /**
   * VERIFY: the image read back from DRAM (fpga/ecp5/dram-verify-reader.ts); adds the inputs host_rdata_valid
   * and host_rdata_data (the `host` port's read data). Without it the board answers VERIFY with ERROR type.
   */
  verify?: boolean;
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
  const verify = o.verify === true;
  const engine = protocolEngine({ imageWords: words, loadIndexBits: liW, vocabSize: prog.geometry.V, tokenBits: prog.geometry.tokenBits, modelHash: modelHash(image), verify });
  const seq = dramInitSequencer(o.initSteps, undefined, o.levelling ?? null);
  const writer = dramLoadWriter({ imageWords: words, addressBits: o.portAddressBits, baseWord: DRAM_BASE_WORD, portBits: DRAM_PORT_BITS });
  const reader = verify ? dramVerifyReader({ imageWords: words, addressBits: o.portAddressBits, baseWord: DRAM_BASE_WORD, portBits: DRAM_PORT_BITS }) : undefined;
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
    const verifyDone = verify ? m.wire('verify_done', Bool) : undefined;
    const verifyCrc = verify ? m.wire('verify_crc', UInt(16)) : undefined;
    const { eng, loaded, loadIndex: loadIdx, tokInReady, tokOutValid, tokOutData } = placeHostInterface(m, {
      engine, uart, rst, rxPin: uartRxPin, txPin: uartTxPin, loadIndexBits: liW, tokenBits: prog.geometry.tokenBits,
      ...(verify ? { engineInputs: { verify_done: verifyDone!, verify_crc: verifyCrc! } } : {}),
    });

    const hostCmdReady = m.input('host_cmd_ready', Bool);
    // The port is the writer's while it holds a word (wdata_valid: from its command to its data's transfer).
    const writerHolds = verify ? m.wire('writer_holds', Bool) : undefined;
    const lw = m.instance('u_load', writer, {
      rst,
      load_valid: eng.out('load_valid'),
      load_data: eng.out('load_data'),
      load_seek: eng.out('load_seek'),
      load_seek_addr: eng.out('load_seek_addr'),
      cmd_ready: writerHolds ? hostCmdReady.and(writerHolds) : hostCmdReady,
      wdata_ready: m.input('host_wdata_ready', Bool),
    });
    if (!reader || !writerHolds) {
      m.assign(loadIdx, lw.out('load_index'));
      m.assign(loaded, lw.out('loaded'));
      for (const q of ['cmd_valid', 'cmd_we', 'cmd_addr'] as const) {
        const v = lw.out(q);
        m.assign(m.output(`host_${q}`, UInt(v.width)), v);
      }
    } else {
      m.assign(writerHolds, lw.out('wdata_valid'));
      const rd = m.instance('u_verify', reader, {
        rst,
        start: eng.out('verify_start'),
        cmd_ready: hostCmdReady.and(writerHolds.not()),
        rdata_valid: m.input('host_rdata_valid', Bool),
        rdata_data: m.input('host_rdata_data', UInt(W)),
      });
      m.assign(verifyDone!, rd.out('done'));
      m.assign(verifyCrc!, rd.out('crc'));
      m.sink(rd.out('busy'));
      m.assign(m.output('host_cmd_valid', Bool), mux(writerHolds, lw.out('cmd_valid'), rd.out('cmd_valid')));
      m.assign(m.output('host_cmd_we', Bool), writerHolds);
      m.assign(m.output('host_cmd_addr', UInt(AW)), mux(writerHolds, lw.out('cmd_addr'), rd.out('cmd_addr')));
      m.sink(lw.out('cmd_we'));
      // A VERIFY that matched: loaded, the load index at the image's end, until the engine seeks the load.
      const verified = m.reg('verified', Bool, { reset: 0 });
      m.sync(() => {
        m.if(eng.out('verify_ok'), () => verified.set(1));
        m.if(eng.out('load_seek').or(rst), () => verified.set(0));
      });
      m.assign(loaded, lw.out('loaded').or(verified));
      m.assign(loadIdx, mux(verified, lit(words, UInt(liW)), lw.out('load_index')));
    }
    for (const q of ['wdata_valid', 'wdata_we', 'wdata_data', 'overrun'] as const) {
      const v = lw.out(q);
      m.assign(m.output(q === 'overrun' ? 'load_overrun' : `host_${q}`, UInt(v.width)), v);
    }
    // The reader takes a word every cycle (its CRC is one cycle); without it no reads are made.
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
    // A step's end (its token taken) and the accelerator's own count of its cycles, valid from the cycle
    // after: nothing on the board reads them; the simulated board reports them (fpga/ecp5/ecpix5-sim.ts).
    m.assign(m.output('step_done', Bool), acc.out('tok_out_valid').and(eng.out('tok_out_ready')));
    m.assign(m.output('step_cycles', UInt(acc.out('step_cycles').width)), acc.out('step_cycles'));
    m.sink(acc.out('dbg_valid'), acc.out('dbg_data'));
  });
}
