// An AXI4 read master for long sequential reads: each request (a byte address and a number of
// data-width words) becomes INCR bursts that never cross a 4 KB page (an AXI rule) and are never longer
// than maxBurst; up to maxOutstanding bursts are in flight at once, and the R beats come back out, in
// order, on the `data` stream. Requests queue back to back: the next one is taken on the cycle the last
// burst of the current one is issued, and one burst can be issued every cycle, so a run of requests
// keeps the read channel busy with no bubble between them (an empty request takes a cycle of the
// request stream and issues nothing; behind bursts in flight that cycle does not show on `data`).
//
// Ports (AXI names, lower case; ARID is one bit, always 0, so responses return in issue order):
//   req_valid / req_ready, req_addr (bytes, aligned to dataWidth/8), req_beats (words; 0 is taken and dropped)
//   arvalid / arready, araddr, arlen, arsize, arburst, arid      registered: they come straight from flip-flops
//   rvalid / rready, rdata, rresp, rlast                         rready is data_ready, so back-pressure reaches the slave
//   data_valid / data_ready, data_data                           the R beats, RDATA as it is
//   error                                                        sticky: some beat came back with RRESP other than OKAY
//
// A burst counts as in flight from the cycle it is loaded into the AR register to the R beat that
// carries RLAST, so the memory never sees more than maxOutstanding bursts at a time; a slot freed by
// RLAST is reused on the next cycle. Combinational paths: arready -> req_ready (the AR register frees
// and the request's last burst moves in) and data_ready -> rready; none into a valid.
import { defineModule } from '../core/generator.ts';
import { lit, mux } from '../core/expr.ts';
import { Bool, UInt, clog2 } from '../core/types.ts';
import { fire, streamOut } from './stream.ts';

export interface Axi4RangeReaderParams {
  [k: string]: number;
  /** RDATA bits: 64, 128, 256 or 512. */
  dataWidth: number;
  /** ARADDR bits, at least 12 (the 4 KB page). */
  addrWidth: number;
  /** req_beats bits. */
  lenWidth: number;
  /** Longest burst, 1 to 256 beats (a 4 KB page caps it further at wide data widths). */
  maxBurst: number;
  /** Bursts in flight at once. */
  maxOutstanding: number;
}

/** AXI bursts must not cross a 4 KB address boundary. */
export const AXI_PAGE_BYTES = 4096;
const AXI_BURST_INCR = 1;

function checkParams(p: Axi4RangeReaderParams): void {
  const bad = (field: string, want: string) => new RangeError(`axi4RangeReader: ${field} must be ${want}, got ${p[field]}`);
  if (![64, 128, 256, 512].includes(p.dataWidth)) throw bad('dataWidth', '64, 128, 256 or 512');
  if (!Number.isInteger(p.addrWidth) || p.addrWidth < 12 || p.addrWidth > 64) throw bad('addrWidth', 'an integer from 12 to 64');
  if (!Number.isInteger(p.lenWidth) || p.lenWidth < 1 || p.lenWidth > 32) throw bad('lenWidth', 'an integer from 1 to 32');
  if (!Number.isInteger(p.maxBurst) || p.maxBurst < 1 || p.maxBurst > 256) throw bad('maxBurst', 'an integer from 1 to 256');
  if (!Number.isInteger(p.maxOutstanding) || p.maxOutstanding < 1 || p.maxOutstanding > 1024) throw bad('maxOutstanding', 'an integer from 1 to 1024');
}

/** The longest burst the reader issues: maxBurst, or a whole 4 KB page when that is shorter. */
export function axi4BurstCap(p: Pick<Axi4RangeReaderParams, 'dataWidth' | 'maxBurst'>): number {
  return Math.min(p.maxBurst, AXI_PAGE_BYTES / (p.dataWidth / 8));
}

export const axi4RangeReader = defineModule('axi4_range_reader', (m, p: Axi4RangeReaderParams) => {
  checkParams(p);
  const aw = p.addrWidth;
  const lw = p.lenWidth;
  const sizeLog = Math.log2(p.dataWidth / 8);
  /** Bits of a beat's index inside its 4 KB page. */
  const pageBits = Math.log2(AXI_PAGE_BYTES) - sizeLog;
  const cap = axi4BurstCap(p);
  const bw = clog2(cap + 1);
  const cw = clog2(p.maxOutstanding + 1);

  const reqValid = m.input('req_valid', Bool);
  const reqReady = m.output('req_ready', Bool);
  const reqAddr = m.input('req_addr', UInt(aw));
  const reqBeats = m.input('req_beats', UInt(lw));

  const arvalid = m.output('arvalid', Bool, { reg: true, reset: 0 });
  const arready = m.input('arready', Bool);
  const araddr = m.output('araddr', UInt(aw), { reg: true });
  const arlen = m.output('arlen', UInt(8), { reg: true });
  const arsize = m.output('arsize', UInt(3));
  const arburst = m.output('arburst', UInt(2));
  const arid = m.output('arid', UInt(1));

  const rvalid = m.input('rvalid', Bool);
  const rready = m.output('rready', Bool);
  const rdata = m.input('rdata', UInt(p.dataWidth));
  const rresp = m.input('rresp', UInt(2));
  const rlast = m.input('rlast', Bool);

  const data = streamOut(m, 'data', UInt(p.dataWidth));
  const error = m.output('error', Bool, { reg: true, reset: 0 });

  m.assign(arsize, lit(sizeLog, UInt(3)));
  m.assign(arburst, lit(AXI_BURST_INCR, UInt(2)));
  m.assign(arid, lit(0, UInt(1)));

  // ---- the R channel passes straight through ----------------------------------------------------
  m.assign(data.valid, rvalid);
  m.assign(data.data, rdata);
  m.assign(rready, data.ready);
  const rFire = m.let('r_fire', fire(data));
  const burstDone = m.let('burst_done', rFire.and(rlast));

  // ---- the request being split into bursts ------------------------------------------------------
  const active = m.reg('active', Bool, { reset: 0 });
  const addr = m.reg('addr', UInt(aw));
  /** Beats of the current request not yet issued. */
  const left = m.reg('left', UInt(lw));
  const outstanding = m.reg('outstanding', UInt(cw), { reset: 0 });

  // The next burst: as long as the request, the page and maxBurst all allow (1..cap beats).
  const toPageEnd = m.let('to_page_end', lit(1 << pageBits, UInt(pageBits + 1)).sub(addr.slice(11, sizeLog)).trunc(pageBits + 1));
  const limit = m.let('limit', mux(toPageEnd.lt(cap), toPageEnd, lit(cap, UInt(bw))));
  const burst = m.let('burst', mux(left.lt(limit), left, limit).trunc(bw));
  const lastBurst = m.let('last_burst', left.eq(burst));

  // The AR register takes a burst when it is empty or its burst is being accepted this cycle.
  const load = m.let('ar_load', active.and(arvalid.not().or(arready)).and(outstanding.lt(p.maxOutstanding)));
  m.assign(reqReady, active.not().or(load.and(lastBurst)));
  const reqFire = m.let('req_fire', reqValid.and(reqReady));

  const arlenNext = burst.sub(1);
  m.sync(() => {
    m.if(load, () => {
      arvalid.set(1);
      araddr.set(addr);
      arlen.set(arlenNext.width > 8 ? arlenNext.trunc(8) : arlenNext);
      addr.set(addr.add(burst.shl(sizeLog)).trunc(aw));
      left.set(left.sub(burst).trunc(lw));
    }).elif(arready, () => arvalid.set(0));
    // A request is taken only when no burst of the previous one is left, so it may overwrite addr/left.
    m.if(reqFire, () => {
      active.set(reqBeats.ne(0));
      addr.set(reqAddr);
      left.set(reqBeats);
    }).elif(load.and(lastBurst), () => active.set(0));
    m.if(load.and(burstDone.not()), () => outstanding.set(outstanding.add(1).trunc(cw)))
      .elif(burstDone.and(load.not()), () => outstanding.set(outstanding.sub(1).trunc(cw)));
    m.if(rFire.and(rresp.ne(0)), () => error.set(1));
  });
});
