// Test support: the range readers wired to the simulated memories (sim-memory.test-support.ts) with a
// random-ready sink, every transfer brought out through registered observers for the harness monitors,
// plus the TypeScript side: the request lists, the script that offers them back to back, and the
// checks on what came out (every word once, in order, right data; bursts legal; in-flight limits).
import { cat } from '../core/expr.ts';
import { defineModule } from '../core/generator.ts';
import type { Expr } from '../core/expr.ts';
import type { Module } from '../core/module.ts';
import { Bool, UInt } from '../core/types.ts';
import { StimulusScript } from '../../flow/verilator.ts';
import { prng } from '../../sim/prng.ts';
import { AXI_PAGE_BYTES, axi4BurstCap, axi4RangeReader, type Axi4RangeReaderParams } from './axi4-read.ts';
import { nativeRangeReader, type NativeRangeReaderParams } from './native-read.ts';
import { axi4MemoryModel, nativeMemoryModel, observe, wordHash, xorshift32 } from './sim-memory.test-support.ts';

/** The harness's cycle stamp on every observation. */
const STAMP_BITS = 32;

/** Inputs and outputs both benches share: the request stream, the run's knobs, `done`. */
function benchCommon(m: Module, addrWidth: number, lenWidth: number) {
  const io = {
    reqValid: m.input('req_valid', Bool),
    reqReady: m.output('req_ready', Bool),
    reqAddr: m.input('req_addr', UInt(addrWidth)),
    reqBeats: m.input('req_beats', UInt(lenWidth)),
    latency: m.input('latency', UInt(8)),
    memGaps: m.input('mem_gaps', Bool),
    sinkGaps: m.input('sink_gaps', Bool),
    expectWords: m.input('expect_words', UInt(32)),
    done: m.output('done', Bool),
    now: m.reg('now', UInt(STAMP_BITS), { reset: 0 }),
    received: m.reg('received', UInt(32), { reset: 0 }),
    dataReady: m.wire('data_ready', Bool),
  };
  // The sink takes a word on about half the cycles in sink_gaps mode, every cycle otherwise.
  const rng = m.instance('u_sink_rng', xorshift32({ seed: 0x1f83d9ab }), {}).out('value');
  m.assign(io.dataReady, io.sinkGaps.not().or(rng.bit(7)));
  m.assign(io.done, io.received.eq(io.expectWords));
  return io;
}

function countWords(m: Module, io: ReturnType<typeof benchCommon>, delivered: Expr): void {
  m.sync(() => {
    io.now.set(io.now.add(1).trunc(STAMP_BITS));
    m.if(delivered, () => io.received.set(io.received.add(1).trunc(32)));
  });
}

export const axi4ReadBench = defineModule('axi4_read_bench', (m, p: Axi4RangeReaderParams) => {
  const io = benchCommon(m, p.addrWidth, p.lenWidth);
  const errEn = m.input('err_en', Bool);
  const errAddr = m.input('err_addr', UInt(32));
  const error = m.output('error', Bool);
  const w = {
    arready: m.wire('arready', Bool),
    rvalid: m.wire('rvalid', Bool),
    rdata: m.wire('rdata', UInt(p.dataWidth)),
    rresp: m.wire('rresp', UInt(2)),
    rlast: m.wire('rlast', Bool),
  };
  const rd = m.instance('u_reader', axi4RangeReader(p), {
    req_valid: io.reqValid,
    req_addr: io.reqAddr,
    req_beats: io.reqBeats,
    ...w,
    data_ready: io.dataReady,
  });
  const mem = m.instance('u_mem', axi4MemoryModel({ dataWidth: p.dataWidth, addrWidth: p.addrWidth }), {
    arvalid: rd.out('arvalid'),
    araddr: rd.out('araddr'),
    arlen: rd.out('arlen'),
    rready: rd.out('rready'),
    latency: io.latency,
    gaps: io.memGaps,
    err_en: errEn,
    err_addr: errAddr,
  });
  for (const k of Object.keys(w) as (keyof typeof w)[]) m.assign(w[k], mem.out(k));
  m.assign(io.reqReady, rd.out('req_ready'));
  m.assign(error, rd.out('error'));

  const delivered = rd.out('data_valid').and(io.dataReady);
  countWords(m, io, delivered);
  observe(m, 'obs_data', delivered, cat(io.now, rd.out('data_data')));
  const arFire = rd.out('arvalid').and(w.arready);
  observe(m, 'obs_ar', arFire, cat(io.now, rd.out('arid'), rd.out('arburst'), rd.out('arsize'), rd.out('arlen'), rd.out('araddr')));
  observe(m, 'obs_rlast', w.rvalid.and(rd.out('rready')).and(w.rlast), io.now);
});

export const nativeReadBench = defineModule('native_read_bench', (m, p: NativeRangeReaderParams) => {
  const io = benchCommon(m, p.addrWidth, p.lenWidth);
  const sawWrite = m.output('saw_write', Bool);
  const w = {
    cmd_ready: m.wire('cmd_ready', Bool),
    rdata_valid: m.wire('rdata_valid', Bool),
    rdata_data: m.wire('rdata_data', UInt(p.dataWidth)),
  };
  const rd = m.instance('u_reader', nativeRangeReader(p), {
    req_valid: io.reqValid,
    req_addr: io.reqAddr,
    req_beats: io.reqBeats,
    ...w,
    data_ready: io.dataReady,
  });
  const mem = m.instance('u_mem', nativeMemoryModel({ dataWidth: p.dataWidth, addrWidth: p.addrWidth }), {
    cmd_valid: rd.out('cmd_valid'),
    cmd_addr: rd.out('cmd_addr'),
    cmd_we: rd.out('cmd_we'),
    rdata_ready: rd.out('rdata_ready'),
    latency: io.latency,
    gaps: io.memGaps,
  });
  for (const k of Object.keys(w) as (keyof typeof w)[]) m.assign(w[k], mem.out(k));
  m.assign(io.reqReady, rd.out('req_ready'));
  m.assign(sawWrite, mem.out('saw_write'));

  const delivered = rd.out('data_valid').and(io.dataReady);
  countWords(m, io, delivered);
  observe(m, 'obs_data', delivered, cat(io.now, rd.out('data_data')));
  observe(m, 'obs_cmd', rd.out('cmd_valid').and(w.cmd_ready), cat(io.now, rd.out('cmd_addr')));
});

// ---- TypeScript side ---------------------------------------------------------------------------

/** A request in words: the first word's address and the word count (0 is a legal, empty request). */
export interface WordRange {
  word: number;
  beats: number;
}

/**
 * Requests covering the corners, then seeded random ones: single words back to back, a page exactly,
 * a page plus one, runs that start just before a page boundary and cross several, one longer than the
 * longest burst, an empty request in the middle, lengths from 1 to 600. `pageWords` is the words of a
 * 4 KB page (it only places the crossings; the native port has no pages).
 */
export function rangeRequests(seed: number, pageWords: number, burstCap: number, randomCount = 30): WordRange[] {
  const r = prng(seed);
  const reqs: WordRange[] = [
    { word: 5 * pageWords - 3, beats: 600 },
    ...Array.from({ length: 12 }, (_, i) => ({ word: 9 * pageWords + 7 * i, beats: 1 })),
    { word: 12 * pageWords, beats: pageWords },
    { word: 14 * pageWords + 1, beats: pageWords },
    { word: 17 * pageWords - 1, beats: 2 },
    { word: 19 * pageWords + 2, beats: burstCap + 1 },
    { word: 21 * pageWords, beats: 0 },
    { word: 22 * pageWords - 5, beats: 1 },
  ];
  for (let i = 0; i < randomCount; i++) {
    const beats = r() < 0.3 ? 1 + Math.floor(r() * 8) : 1 + Math.floor(r() * 600);
    const page = 32 + Math.floor(r() * 200);
    // Half of them end a few words past a page boundary.
    const word = r() < 0.5 ? page * pageWords - Math.max(1, Math.floor(r() * beats)) : page * pageWords + Math.floor(r() * pageWords);
    reqs.push({ word, beats });
  }
  return reqs;
}

export interface RunKnobs {
  latency: number;
  memGaps: boolean;
  sinkGaps: boolean;
}

/**
 * The script of one run: reset, the knobs, then the requests offered back to back (each held until
 * req_ready takes it, the next on the very next cycle), then wait for every word and 64 cycles more,
 * so a surplus word would show. `extra` sets bench-specific inputs; `onAccepted(i)` may sample after
 * request i is taken.
 */
export function requestScript(
  s: StimulusScript,
  reqs: readonly { addr: number; beats: number }[],
  knobs: RunKnobs,
  extra: Record<string, number> = {},
  onAccepted: (i: number) => void = () => {},
): StimulusScript {
  const total = reqs.reduce((n, q) => n + q.beats, 0);
  s.set('rst', 1).set('req_valid', 0).set('req_addr', 0).set('req_beats', 0);
  s.set('latency', knobs.latency).set('mem_gaps', knobs.memGaps ? 1 : 0).set('sink_gaps', knobs.sinkGaps ? 1 : 0).set('expect_words', total);
  for (const [k, v] of Object.entries(extra)) s.set(k, v);
  s.tick(2).set('rst', 0);
  const patience = 40 * total + 10_000;
  s.set('req_valid', 1);
  reqs.forEach((q, i) => {
    s.set('req_addr', q.addr).set('req_beats', q.beats).waitFor('req_ready', patience);
    onAccepted(i);
  });
  s.set('req_valid', 0).set('req_addr', 0).set('req_beats', 0);
  return s.waitFor('done', patience).tick(64);
}

/** A monitored observation: the cycle stamp above `bits` bits of payload. */
export function unstamp(values: readonly bigint[] | undefined, bits: number): { cycle: number; value: bigint }[] {
  const mask = (1n << BigInt(bits)) - 1n;
  return (values ?? []).map((v) => ({ cycle: Number(v >> BigInt(bits)), value: v & mask }));
}

/** Words expected on `data`, in order: the word addresses of every request, one after the other. */
export function expectedWords(reqs: readonly WordRange[]): number[] {
  return reqs.flatMap((q) => Array.from({ length: q.beats }, (_, k) => q.word + k));
}

/** Differences between the words that came out and those requested (at most 8 listed). */
export function dataProblems(got: readonly { cycle: number; value: bigint }[], words: readonly number[], dataWidth: number): string[] {
  const out: string[] = [];
  if (got.length !== words.length) out.push(`${got.length} words came out for ${words.length} requested`);
  for (let i = 0; i < Math.min(got.length, words.length) && out.length < 8; i++) {
    if (got[i]!.value !== wordHash(words[i]!, dataWidth)) out.push(`word ${i} (address ${words[i]}) at cycle ${got[i]!.cycle} has the wrong data`);
  }
  return out;
}

/** Cycles from the first word out to the last, inclusive: the word count when nothing stalled. */
export function dataSpan(got: readonly { cycle: number }[]): number {
  return got.length === 0 ? 0 : got[got.length - 1]!.cycle - got[0]!.cycle + 1;
}

export interface ArBurst {
  cycle: number;
  addr: number;
  len: number;
  size: number;
  burst: number;
  id: number;
}

export function parseAr(values: readonly bigint[] | undefined, addrWidth: number): ArBurst[] {
  return unstamp(values, addrWidth + 14).map(({ cycle, value }) => ({
    cycle,
    addr: Number(value & ((1n << BigInt(addrWidth)) - 1n)),
    len: Number((value >> BigInt(addrWidth)) & 0xffn),
    size: Number((value >> BigInt(addrWidth + 8)) & 7n),
    burst: Number((value >> BigInt(addrWidth + 11)) & 3n),
    id: Number((value >> BigInt(addrWidth + 13)) & 1n),
  }));
}

/** The fewest bursts that cover the requests under the page and maxBurst rules. */
export function minimalBursts(reqs: readonly WordRange[], p: Axi4RangeReaderParams): number {
  const pageWords = AXI_PAGE_BYTES / (p.dataWidth / 8);
  const cap = axi4BurstCap(p);
  let n = 0;
  for (const q of reqs) {
    let w = q.word;
    let left = q.beats;
    while (left > 0) {
      const b = Math.min(left, cap, pageWords - (w % pageWords));
      w += b;
      left -= b;
      n++;
    }
  }
  return n;
}

/** AR-channel rules: size, INCR, id 0, no 4 KB crossing, no burst over the cap, bursts tile the requests. */
export function arProblems(ars: readonly ArBurst[], words: readonly number[], p: Axi4RangeReaderParams): string[] {
  const bytes = p.dataWidth / 8;
  const cap = axi4BurstCap(p);
  const out: string[] = [];
  const covered: number[] = [];
  for (const a of ars) {
    const beats = a.len + 1;
    if (a.size !== Math.log2(bytes) || a.burst !== 1 || a.id !== 0) out.push(`burst at cycle ${a.cycle}: ARSIZE ${a.size} ARBURST ${a.burst} ARID ${a.id}`);
    if (beats > cap) out.push(`burst at cycle ${a.cycle}: ${beats} beats, more than ${cap}`);
    if ((a.addr % AXI_PAGE_BYTES) + beats * bytes > AXI_PAGE_BYTES) out.push(`burst at cycle ${a.cycle}: 0x${a.addr.toString(16)} + ${beats} beats crosses 4 KB`);
    if (a.addr % bytes !== 0) out.push(`burst at cycle ${a.cycle}: 0x${a.addr.toString(16)} is not aligned`);
    for (let k = 0; k < beats; k++) covered.push(a.addr / bytes + k);
    if (out.length >= 8) return out;
  }
  if (covered.length !== words.length || covered.some((w, i) => w !== words[i])) out.push(`the bursts cover ${covered.length} words, not the ${words.length} requested in order`);
  return out;
}

/** The most bursts in flight at once: AR handshakes so far minus RLAST beats before that cycle. */
export function peakInFlight(starts: readonly number[], ends: readonly number[]): number {
  let peak = 0;
  let e = 0;
  starts.forEach((c, i) => {
    while (e < ends.length && ends[e]! < c) e++;
    peak = Math.max(peak, i + 1 - e);
  });
  return peak;
}
