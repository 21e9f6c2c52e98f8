// The external target's weight streamer: on a token, it reads the token routine's words from DRAM in
// the order the controller consumes them (stream-image.ts: the routine's head, the token's embedding
// row, the routine's body; or the CLEAR routine) through a LiteDRAM-style native read port, into a
// prefetch FIFO the controller pops.
//
// Native port (one command = one W-bit word, reads only, data back in command order):
//   cmd_valid / cmd_ready / cmd_addr           the word address
//   rdata_valid / rdata_ready / rdata_data     the words
// Commands go out whenever the FIFO has room for their words: `reserved` counts the words commanded and
// not yet popped, and stays at most the FIFO's depth, so returning data always has a place (rdata_ready
// stays 1) and as many commands are in flight as the FIFO has free words: size it to latency x rate and
// the port streams at full rate.
//
// `avail` counts the words the controller can pop back to back, one a cycle: those in the FIFO less one
// that arrived in the last cycle (a word written to the FIFO's RAM reaches its read register one cycle
// later). A pass that consumes k words without stalling starts when avail >= k (the FIFO must be deeper
// than the longest such pass). It is the FIFO's occupancy less a register, never below zero: the
// controller's other readers (fetch, the matvec unit) pop as soon as a word is valid, sooner than a
// count delayed by the fall-through time would include it, and such a count would wrap. `error` is
// sticky: a pop with no word (the controller and the image disagree), which the co-simulation checks.
import { defineModule } from '../../hdl/core/generator.ts';
import { lit, mux } from '../../hdl/core/expr.ts';
import { Bool, UInt, clog2 } from '../../hdl/core/types.ts';
import { fifo } from '../../hdl/lib/fifo.ts';
import { streamOut } from '../../hdl/lib/stream.ts';

export interface WeightStreamerParams {
  [k: string]: number;
  wordBits: number;
  addrBits: number;
  /** FIFO words (a power of two). */
  depth: number;
  /** Width of a segment's word count. */
  countBits: number;
  tokenBits: number;
  /** Words of an embedding row (its address is a product with the token: a constant factor stays a few adders). */
  rowWords: number;
}

/** Cycles from a word's arrival (rdata_valid) to the first cycle `avail` counts it and it can be popped. */
export const STREAMER_FALL_THROUGH = 2;

const SEG = { idle: 0, head: 1, row: 2, body: 3, clear: 4 } as const;

export const weightStreamer = defineModule('weight_streamer', (m, p: WeightStreamerParams) => {
  const A = p.addrBits;
  const cntW = p.countBits;
  const occW = clog2(p.depth + 2);
  const start = m.input('start', Bool);
  const clear = m.input('clear', Bool);
  const token = m.input('token', UInt(p.tokenBits));
  // The image's layout (stream-image.ts), tied to constants by the top.
  const headStart = m.input('head_start', UInt(A));
  const headWords = m.input('head_words', UInt(cntW));
  const bodyStart = m.input('body_start', UInt(A));
  const bodyWords = m.input('body_words', UInt(cntW));
  const clearStart = m.input('clear_start', UInt(A));
  const clearWords = m.input('clear_words', UInt(cntW));
  const embStart = m.input('emb_start', UInt(A));
  const cmdValid = m.output('cmd_valid', Bool);
  const cmdReady = m.input('cmd_ready', Bool);
  const cmdAddr = m.output('cmd_addr', UInt(A));
  const rdataValid = m.input('rdata_valid', Bool);
  const rdataReady = m.output('rdata_ready', Bool);
  const rdataData = m.input('rdata_data', UInt(p.wordBits));
  const out = streamOut(m, 'out', UInt(p.wordBits));
  const avail = m.output('avail', UInt(occW));
  const error = m.output('error', Bool, { reg: true, reset: 0 });

  // ---- address generation: the segments of the routine, one after the other ------------------------
  const seg = m.reg('seg', UInt(3), { reset: SEG.idle });
  const addr = m.reg('addr', UInt(A), { reset: 0 });
  const left = m.reg('left', UInt(cntW), { reset: 0 });
  const rowBits = clog2(p.rowWords + 1);
  const rowAddr = m.reg('row_addr', UInt(A), { reset: 0 });
  const reserved = m.reg('reserved', UInt(occW), { reset: 0 });
  const room = m.let('room', reserved.lt(p.depth));
  m.assign(cmdValid, left.ne(0).and(room));
  m.assign(cmdAddr, addr);
  const cmdFire = m.let('cmd_fire', cmdValid.and(cmdReady));
  m.sync(() => {
    m.if(cmdFire, () => {
      addr.set(addr.add(1).trunc(A));
      left.set(left.sub(1).trunc(cntW));
    });
    // A segment whose last command goes out hands over to the next (the row's address was computed at start).
    m.if(left.eq(0).or(cmdFire.and(left.eq(1))), () => {
      m.switch(seg)
        .case(SEG.head, () => {
          seg.set(SEG.row);
          addr.set(rowAddr);
          left.set(lit(p.rowWords, UInt(cntW)));
        })
        .case(SEG.row, () => {
          seg.set(SEG.body);
          addr.set(bodyStart);
          left.set(bodyWords);
        })
        .case(SEG.body, () => seg.set(SEG.idle))
        .case(SEG.clear, () => seg.set(SEG.idle))
        .default(() => {});
    });
    m.if(start, () => {
      seg.set(mux(clear, lit(SEG.clear, UInt(3)), lit(SEG.head, UInt(3))));
      addr.set(mux(clear, clearStart, headStart));
      left.set(mux(clear, clearWords, headWords));
      rowAddr.set(token.mul(lit(p.rowWords, UInt(rowBits))).zext(A + p.tokenBits + rowBits).add(embStart).trunc(A));
    });
  });

  // ---- the prefetch FIFO ------------------------------------------------------------------------------
  const buf = m.instance('u_fifo', fifo({ width: p.wordBits, depth: p.depth }), {
    in_valid: rdataValid,
    in_data: rdataData,
    out_ready: out.ready,
  });
  m.assign(rdataReady, buf.out('in_ready'));
  m.assign(out.valid, buf.out('out_valid'));
  m.assign(out.data, buf.out('out_data'));
  const push = m.let('push', rdataValid.and(buf.out('in_ready')));
  const pop = m.let('pop', out.ready);
  // words in the FIFO (head register included), and whether one arrived in the last cycle
  const occupancy = m.reg('occupancy', UInt(occW), { reset: 0 });
  const arrived = m.reg('arrived', Bool, { reset: 0 });
  m.assign(avail, occupancy.sub(arrived.zext(occW)).trunc(occW));
  const w = occW + 1;
  m.sync(() => {
    reserved.set(reserved.zext(w).add(cmdFire.zext(w)).sub(pop.zext(w)).trunc(occW));
    occupancy.set(occupancy.zext(w).add(push.zext(w)).sub(pop.zext(w)).trunc(occW));
    arrived.set(push);
    m.if(pop.and(buf.out('out_valid').not()), () => error.set(1));
  });
});
