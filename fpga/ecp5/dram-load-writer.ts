// The protocol engine's weight upload into DRAM: it takes the engine's load stream (16-bit words, a seek to
// resume a chunk or restart) where the iCEBreaker's accelerator takes it into SPRAM, and writes each word
// through a LiteDRAM native port, 128-bit word `base + i / 8`, byte lanes 2 (i % 8) and 2 (i % 8) + 1.
//
// One LiteDRAM write per 16-bit word: a word comes at most every 20 UART bit times (1,500 cycles at
// 1 Mbaud and 75 MHz) and a write takes a few dozen, so a one-word buffer is enough, and a seek to any
// word needs no read-modify-write. A word that comes while the last is still being written (which the
// UART's rate rules out) sets `overrun` rather than being lost silently. `loaded` rises once the last
// word's write has been taken (so the accelerator, held in reset until then, reads what was written).
//
//   ports  load_valid, load_data (16), load_seek, load_seek_addr (IW)   from the engine
//          load_index (IW), loaded                                      to the engine
//          cmd_valid/ready, cmd_we, cmd_addr (AW), wdata_valid/ready, wdata_we (W/8), wdata_data (W)
//          overrun
import { buildModule } from '../../hdl/core/generator.ts';
import type { Module } from '../../hdl/core/module.ts';
import { Bool, UInt, clog2 } from '../../hdl/core/types.ts';
import { cat, lit, repeat } from '../../hdl/core/expr.ts';

export interface LoadWriterParams {
  /** 16-bit words of the image. */
  imageWords: number;
  /** Port address bits (words of portBits) and the image's first port word. */
  addressBits: number;
  baseWord: number;
  portBits: number;
}

export function loadIndexBitsFor(imageWords: number): number {
  return Math.max(1, clog2(imageWords + 1));
}

export function dramLoadWriter(p: LoadWriterParams, name = 'dram_load_writer'): Module {
  const { imageWords: words, addressBits: AW, baseWord, portBits: W } = p;
  if (!(Number.isInteger(words) && words >= 1)) throw new RangeError(`load writer: imageWords ${words}: at least 1`);
  if (!(W >= 16 && (W & (W - 1)) === 0)) throw new RangeError(`load writer: portBits ${W}: a power of two >= 16`);
  const per = W / 16;
  const laneBits = clog2(per);
  if (baseWord + Math.ceil(words / per) > 2 ** AW) {
    throw new RangeError(`load writer: ${Math.ceil(words / per)} port words from word ${baseWord} do not fit ${AW} address bits`);
  }
  const liW = loadIndexBitsFor(words);
  return buildModule(name, (m) => {
    const loadValid = m.input('load_valid', Bool);
    const loadData = m.input('load_data', UInt(16));
    const loadSeek = m.input('load_seek', Bool);
    const loadSeekAddr = m.input('load_seek_addr', UInt(liW));
    const cmdReady = m.input('cmd_ready', Bool);
    const wdataReady = m.input('wdata_ready', Bool);

    const loadIdx = m.reg('load_idx', UInt(liW), { reset: 0 });
    const allIn = m.reg('all_in', Bool, { reset: 0 });
    const pend = m.reg('pend', Bool, { reset: 0 });
    const cmdDone = m.reg('cmd_done', Bool, { reset: 0 });
    const pendIdx = m.reg('pend_idx', UInt(liW));
    const pendData = m.reg('pend_data', UInt(16));
    const overrun = m.output('overrun', Bool, { reg: true, reset: 0 });
    m.assign(m.output('load_index', UInt(liW)), loadIdx);
    m.assign(m.output('loaded', Bool), allIn.and(pend.not()));

    const cmdValid = m.let('cmd_valid_w', pend.and(cmdDone.not()));
    const lane = laneBits > 0 ? pendIdx.zext(Math.max(liW, laneBits)).slice(laneBits - 1, 0) : lit(0, UInt(1));
    const word = liW > laneBits ? pendIdx.slice(liW - 1, laneBits).zext(AW + 1) : lit(0, UInt(AW + 1));
    m.assign(m.output('cmd_valid', Bool), cmdValid);
    m.assign(m.output('cmd_we', Bool), lit(1, Bool));
    m.assign(m.output('cmd_addr', UInt(AW)), word.add(baseWord).trunc(AW));
    // LiteDRAM takes the data when it issues the write, whatever wdata_valid says: it is held from the command on.
    m.assign(m.output('wdata_valid', Bool), pend);
    m.assign(m.output('wdata_we', UInt(W / 8)), lit(3, UInt(W / 8)).shl(cat(lane, lit(0, Bool))).trunc(W / 8));
    m.assign(m.output('wdata_data', UInt(W)), repeat(pendData, per));

    const fire = m.let('load_fire', loadValid.and(allIn.not()));
    m.sync(() => {
      m.if(cmdValid.and(cmdReady), () => cmdDone.set(1));
      m.if(pend.and(wdataReady), () => {
        pend.set(0);
        cmdDone.set(0);
      });
      m.if(fire, () => {
        m.if(pend, () => overrun.set(1));
        pend.set(1);
        cmdDone.set(0);
        pendIdx.set(loadIdx);
        pendData.set(loadData);
        loadIdx.set(loadIdx.add(1).trunc(liW));
        m.if(loadIdx.eq(words - 1), () => allIn.set(1));
      });
      m.if(loadSeek, () => {
        loadIdx.set(loadSeekAddr);
        allIn.set(0);
      });
    });
  });
}
