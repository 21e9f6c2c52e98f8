// VERIFY's read-back on a board whose image lives in DRAM: on `start`, reads the image's port words
// (W bits, 128 on the ECPIX-5) from `base` through a LiteDRAM native port and computes the image's CRC-16
// (protocol/spec.ts, exactly as the host's imageCrc: the bytes of the 16-bit words in order, low byte
// first, which is the port word's little-endian byte order) over each port word in one cycle
// (board/crc16-parallel.ts). The last port word may hold fewer than W / 16 image words: only its first
// ones count (the rest are zeroed and the CRC brought back over them). When the last word is in, `done`
// pulses for a cycle and `crc` holds the CRC until the next start.
//
// Reads are issued as fast as the port takes them (cmd_valid while words are left to ask for): LiteDRAM
// returns a port's read data in command order, and rdata_ready is always 1 (a word is consumed the
// cycle it comes), so any number of reads may be in flight without a buffer here. A start while a
// read-back runs is ignored (the protocol engine waits for `done`; a new run would mistake the old run's
// words in flight for its own).
//
//   ports  start, done, crc (16), busy
//          cmd_valid/ready, cmd_addr (AW), rdata_valid/ready, rdata_data (W)   (cmd_we is the caller's: 0)
import { buildModule } from '../../hdl/core/generator.ts';
import type { Module } from '../../hdl/core/module.ts';
import { Bool, UInt, clog2 } from '../../hdl/core/types.ts';
import { cat, lit, mux } from '../../hdl/core/expr.ts';
import { CRC16 } from '../../protocol/spec.ts';
import { crc16Matrix, crc16ParallelExpr, crc16UndoExpr, crc16UndoZeros } from '../../board/crc16-parallel.ts';

export interface VerifyReaderParams {
  /** 16-bit words of the image. */
  imageWords: number;
  /** Port address bits (words of portBits) and the image's first port word. */
  addressBits: number;
  baseWord: number;
  portBits: number;
}

export function dramVerifyReader(p: VerifyReaderParams, name = 'dram_verify_reader'): Module {
  const { imageWords: words, addressBits: AW, baseWord, portBits: W } = p;
  if (!(Number.isInteger(words) && words >= 1)) throw new RangeError(`verify reader: imageWords ${words}: at least 1`);
  if (!(W >= 16 && (W & (W - 1)) === 0)) throw new RangeError(`verify reader: portBits ${W}: a power of two >= 16`);
  const per = W / 16;
  const total = Math.ceil(words / per);
  if (baseWord + total > 2 ** AW) throw new RangeError(`verify reader: ${total} port words from word ${baseWord} do not fit ${AW} address bits`);
  const tailWords = words % per; // image words in the last port word, 0: it is full
  const cW = Math.max(1, clog2(total + 1));
  const mx = crc16Matrix(W);
  return buildModule(name, (m) => {
    const start = m.input('start', Bool);
    const cmdReady = m.input('cmd_ready', Bool);
    const rdataValid = m.input('rdata_valid', Bool);
    const rdataData = m.input('rdata_data', UInt(W));

    const running = m.reg('running', Bool, { reset: 0 });
    const issued = m.reg('issued', UInt(cW), { reset: 0 }); // commands taken
    const left = m.reg('left', UInt(cW), { reset: 0 }); // words still to come back
    const crc = m.output('crc', UInt(16), { reg: true, reset: CRC16.init });
    const done = m.output('done', Bool, { reg: true, reset: 0 });
    m.assign(m.output('busy', Bool), running);

    const cmdValid = m.let('cmd_valid_w', running.and(issued.ne(total)));
    m.assign(m.output('cmd_valid', Bool), cmdValid);
    m.assign(m.output('cmd_addr', UInt(AW)), issued.zext(AW + 1).add(baseWord).trunc(AW));
    m.assign(m.output('rdata_ready', Bool), lit(1, Bool));
    const cmdFire = m.let('cmd_fire', cmdValid.and(cmdReady));
    const take = m.let('take', rdataValid.and(running).and(left.ne(0)));
    const last = m.let('last', left.eq(1));

    // The register after this word; the image's last word, if partial, zero-filled and undone.
    const full = m.let('crc_next', crc16ParallelExpr(mx, crc, rdataData));
    let nextCrc = full;
    if (tailWords !== 0) {
      const keep = 16 * tailWords;
      const masked = cat(lit(0, UInt(W - keep)), rdataData.slice(keep - 1, 0));
      const zeroFilled = m.let('crc_tail_filled', crc16ParallelExpr(mx, crc, masked));
      const tail = m.let('crc_tail', crc16UndoExpr(crc16UndoZeros(W - keep), zeroFilled));
      nextCrc = m.let('crc_step', mux(last, tail, full));
    }

    m.sync(() => {
      done.set(0);
      m.if(cmdFire, () => issued.set(issued.add(1).trunc(cW)));
      m.if(take, () => {
        crc.set(nextCrc);
        left.set(left.sub(1).trunc(cW));
        m.if(last, () => {
          running.set(0);
          done.set(1);
        });
      });
      m.if(start.and(running.not()), () => {
        running.set(1);
        issued.set(lit(0, UInt(cW)));
        left.set(lit(total, UInt(cW)));
        crc.set(lit(CRC16.init, UInt(16)));
      });
    });
  });
}
