// A range reader on a LiteDRAM-style native port: each request (a word address and a number of words)
// becomes one read command per word, and the words come back in order on the `data` stream through a
// FIFO. Commands go out only while the words commanded and not yet delivered (`reserved`) are fewer
// than maxInFlight, and the FIFO holds at least maxInFlight words, so every returning word has a place
// whatever `data` does: rdata_ready is 1 throughout, as LiteDRAM's port expects. One command a cycle,
// and the next request is taken on the cycle the current one's last command goes out, so the port
// streams at one word a cycle when the memory keeps up and maxInFlight covers the round trip (memory
// latency plus the FIFO's fall-through time). The request stream takes one request a cycle, so an
// empty request costs a cycle of commands.
//
// Ports:
//   req_valid / req_ready, req_addr (port words), req_beats (words; 0 is taken and dropped)
//   cmd_valid / cmd_ready, cmd_addr, cmd_we (always 0: reads only)
//   rdata_valid / rdata_ready, rdata_data                   rdata_ready is always 1
//   data_valid / data_ready, data_data
import { defineModule } from '../core/generator.ts';
import { lit } from '../core/expr.ts';
import { Bool, UInt, clog2 } from '../core/types.ts';
import { fifo } from './fifo.ts';
import { fire, streamIn, streamOut } from './stream.ts';

export interface NativeRangeReaderParams {
  [k: string]: number;
  /** Port data bits. */
  dataWidth: number;
  /** Port address bits (the address counts words). */
  addrWidth: number;
  /** req_beats bits. */
  lenWidth: number;
  /** Commands whose words are not yet delivered, at most. */
  maxInFlight: number;
}

/** The FIFO's RAM words: a power of two whose capacity (RAM words + its read register) holds maxInFlight. */
export function nativeReaderFifoDepth(maxInFlight: number): number {
  return Math.max(2, 2 ** clog2(Math.max(1, maxInFlight - 1)));
}

function checkParams(p: NativeRangeReaderParams): void {
  const bad = (field: string, want: string) => new RangeError(`nativeRangeReader: ${field} must be ${want}, got ${p[field]}`);
  if (!Number.isInteger(p.dataWidth) || p.dataWidth < 1 || p.dataWidth > 4096) throw bad('dataWidth', 'an integer from 1 to 4096');
  if (!Number.isInteger(p.addrWidth) || p.addrWidth < 1 || p.addrWidth > 64) throw bad('addrWidth', 'an integer from 1 to 64');
  if (!Number.isInteger(p.lenWidth) || p.lenWidth < 1 || p.lenWidth > 32) throw bad('lenWidth', 'an integer from 1 to 32');
  if (!Number.isInteger(p.maxInFlight) || p.maxInFlight < 1 || p.maxInFlight > 4096) throw bad('maxInFlight', 'an integer from 1 to 4096');
}

export const nativeRangeReader = defineModule('native_range_reader', (m, p: NativeRangeReaderParams) => {
  checkParams(p);
  const aw = p.addrWidth;
  const lw = p.lenWidth;
  const rw = clog2(p.maxInFlight + 1);

  const reqValid = m.input('req_valid', Bool);
  const reqReady = m.output('req_ready', Bool);
  const reqAddr = m.input('req_addr', UInt(aw));
  const reqBeats = m.input('req_beats', UInt(lw));

  const cmdValid = m.output('cmd_valid', Bool);
  const cmdReady = m.input('cmd_ready', Bool);
  const cmdAddr = m.output('cmd_addr', UInt(aw));
  const cmdWe = m.output('cmd_we', Bool);
  const rdata = streamIn(m, 'rdata', UInt(p.dataWidth));
  const data = streamOut(m, 'data', UInt(p.dataWidth));

  const active = m.reg('active', Bool, { reset: 0 });
  const addr = m.reg('addr', UInt(aw));
  /** Words of the current request not yet commanded. */
  const left = m.reg('left', UInt(lw));
  /** Words commanded and not yet delivered on `data`: in the memory or in the FIFO. */
  const reserved = m.reg('reserved', UInt(rw), { reset: 0 });

  // cmd_valid comes from flip-flops only (never from cmd_ready or data_ready).
  m.assign(cmdValid, active.and(reserved.lt(p.maxInFlight)));
  m.assign(cmdAddr, addr);
  m.assign(cmdWe, lit(0, Bool));
  const cmdFire = m.let('cmd_fire', cmdValid.and(cmdReady));
  const lastCmd = m.let('last_cmd', cmdFire.and(left.eq(1)));
  m.assign(reqReady, active.not().or(lastCmd));
  const reqFire = m.let('req_fire', reqValid.and(reqReady));

  const buffer = m.instance('u_fifo', fifo({ width: p.dataWidth, depth: nativeReaderFifoDepth(p.maxInFlight) }), {
    in_valid: rdata.valid,
    in_data: rdata.data,
    out_ready: data.ready,
  });
  m.assign(rdata.ready, lit(1, Bool));
  // Always 1 by the reservation above; the test checks that no word is lost with it ignored.
  m.sink(buffer.out('in_ready'));
  m.assign(data.valid, buffer.out('out_valid'));
  m.assign(data.data, buffer.out('out_data'));
  const delivered = m.let('delivered', fire(data));

  m.sync(() => {
    m.if(cmdFire, () => {
      addr.set(addr.add(1).trunc(aw));
      left.set(left.sub(1).trunc(lw));
    });
    // A request is taken only when the previous one has no command left, so it may overwrite addr/left.
    m.if(reqFire, () => {
      active.set(reqBeats.ne(0));
      addr.set(reqAddr);
      left.set(reqBeats);
    }).elif(lastCmd, () => active.set(0));
    m.if(cmdFire.and(delivered.not()), () => reserved.set(reserved.add(1).trunc(rw)))
      .elif(delivered.and(cmdFire.not()), () => reserved.set(reserved.sub(1).trunc(rw)));
  });
});
