// Test support, simulation only: memories that answer the range readers in Verilator. Their words are
// a hash of the word address (wordHash here and in TypeScript), their latency is a base the test sets
// plus, in `gaps` mode, a pseudo-random jitter, and in `gaps` mode their handshakes (ARREADY, RVALID;
// cmd_ready, rdata_valid) drop at random cycles, all drawn from xorshift32 generators with fixed seeds,
// so every run reproduces. Once shown, a valid stays up until it is taken, as AXI and streams require.
// Not meant for synthesis (a multiplier per 32 bits of data, a queue in LUT memory).
import { cat, lit, mux, type Expr } from '../core/expr.ts';
import { defineModule } from '../core/generator.ts';
import { Bool, UInt, clog2 } from '../core/types.ts';
import type { Module } from '../core/module.ts';

const HASH_MUL = 0x9e3779b1;
const LANE_STEP = 0x3c6ef372;

/** The memory's 32-bit lane `lane` of the word at `wordAddr` (mod 2^32), as the HDL computes it. */
export function wordHashLane(wordAddr: number, lane: number): number {
  const x = (wordAddr + lane * LANE_STEP) >>> 0;
  const y = Math.imul(x, HASH_MUL) >>> 0;
  return (y ^ (y >>> 16)) >>> 0;
}

/** The whole word, lane 0 in the low bits. */
export function wordHash(wordAddr: number, dataWidth: number): bigint {
  let v = 0n;
  for (let i = dataWidth / 32 - 1; i >= 0; i--) v = (v << 32n) | BigInt(wordHashLane(wordAddr, i));
  return v;
}

function hashExpr(wordAddr: Expr, dataWidth: number): Expr {
  const a = wordAddr.width > 32 ? wordAddr.trunc(32) : wordAddr.zext(32);
  const lanes: Expr[] = [];
  for (let i = 0; i < dataWidth / 32; i++) {
    const x = a.add(lit(Number((BigInt(i) * BigInt(LANE_STEP)) % (1n << 32n)), UInt(32))).trunc(32);
    const y = x.mul(lit(HASH_MUL, UInt(32))).trunc(32);
    lanes.unshift(y.xor(y.shr(16)));
  }
  return cat(...lanes);
}

/** xorshift32, advancing every cycle from `seed` (non-zero) after reset. */
export const xorshift32 = defineModule('xorshift32', (m, p: { seed: number }) => {
  const value = m.output('value', UInt(32), { reg: true, reset: p.seed });
  const a = value.xor(value.shl(13).trunc(32));
  const b = a.xor(a.shr(17));
  const c = b.xor(b.shl(5).trunc(32));
  m.sync(() => value.set(c));
});

/** A fair-ish coin per cycle: 1 three times in four (two bits of the generator not both 0). */
function coin(rng: Expr, bit: number): Expr {
  return rng.slice(bit + 1, bit).ne(0);
}

/**
 * An in-order delay line for requests: what goes in comes out no sooner than `latency` cycles later
 * (plus 0..15 more in gaps mode), with random in_ready / out_valid gaps in gaps mode.
 */
export const latencyQueue = defineModule('latency_queue', (m, p: { width: number; depth: number; seed: number }) => {
  const aw = clog2(p.depth);
  const inValid = m.input('in_valid', Bool);
  const inReady = m.output('in_ready', Bool);
  const inData = m.input('in_data', UInt(p.width));
  const outValid = m.output('out_valid', Bool);
  const outReady = m.input('out_ready', Bool);
  const outData = m.output('out_data', UInt(p.width));
  const latency = m.input('latency', UInt(8));
  const gaps = m.input('gaps', Bool);

  const rng = m.instance('u_rng', xorshift32({ seed: p.seed }), {}).out('value');
  const now = m.reg('now', UInt(32), { reset: 0 });
  const slots = m.memory('slots', UInt(p.width + 32), p.depth);
  const wptr = m.reg('wptr', UInt(aw), { reset: 0 });
  const rptr = m.reg('rptr', UInt(aw), { reset: 0 });
  const count = m.reg('count', UInt(aw + 1), { reset: 0 });
  const shown = m.reg('shown', Bool, { reset: 0 });

  m.assign(inReady, count.ne(p.depth).and(gaps.not().or(coin(rng, 0))));
  const push = m.let('push', inValid.and(inReady));
  const jitter = mux(gaps, rng.slice(11, 8), lit(0, UInt(4)));
  const due = now.add(latency).add(jitter).trunc(32);
  slots.write(wptr, cat(due, inData), push);

  const head = m.let('head', slots.readAsync(rptr));
  const headDue = head.slice(p.width + 31, p.width);
  m.assign(outValid, count.ne(0).and(now.ge(headDue)).and(shown.or(gaps.not()).or(coin(rng, 4))));
  m.assign(outData, head.slice(p.width - 1, 0));
  const pop = m.let('pop', outValid.and(outReady));

  m.sync(() => {
    now.set(now.add(1).trunc(32));
    shown.set(outValid.and(outReady.not()));
    m.if(push, () => wptr.set(wptr.add(1).trunc(aw)));
    m.if(pop, () => rptr.set(rptr.add(1).trunc(aw)));
    count.set(count.zext(aw + 2).add(push.zext(aw + 2)).sub(pop.zext(aw + 2)).trunc(aw + 1));
  });
});

export interface Axi4MemoryParams {
  [k: string]: number;
  dataWidth: number;
  addrWidth: number;
}

/**
 * An AXI4 read slave (INCR bursts): bursts queue in a latency queue of 16, then their beats come out
 * back to back (with RVALID gaps in gaps mode). RRESP is SLVERR for the word at `err_addr` when `err_en`.
 * ARSIZE, ARBURST and ARID are not interpreted: the tests check them on the AR channel.
 */
export const axi4MemoryModel = defineModule('axi4_memory_model', (m, p: Axi4MemoryParams) => {
  const sizeLog = Math.log2(p.dataWidth / 8);
  const aw = p.addrWidth;
  const arvalid = m.input('arvalid', Bool);
  const arready = m.output('arready', Bool);
  const araddr = m.input('araddr', UInt(aw));
  const arlen = m.input('arlen', UInt(8));
  const rvalid = m.output('rvalid', Bool);
  const rready = m.input('rready', Bool);
  const rdata = m.output('rdata', UInt(p.dataWidth));
  const rresp = m.output('rresp', UInt(2));
  const rlast = m.output('rlast', Bool);
  const latency = m.input('latency', UInt(8));
  const gaps = m.input('gaps', Bool);
  const errEn = m.input('err_en', Bool);
  const errAddr = m.input('err_addr', UInt(32));

  const take = m.wire('take', Bool);
  const q = m.instance('u_ar', latencyQueue({ width: aw + 8, depth: 16, seed: 0x2545f491 }), {
    in_valid: arvalid,
    in_data: cat(arlen, araddr),
    latency,
    gaps,
    out_ready: take,
  });
  m.assign(arready, q.out('in_ready'));
  const rng = m.instance('u_rng', xorshift32({ seed: 0x6a09e667 }), {}).out('value');

  const busy = m.reg('busy', Bool, { reset: 0 });
  const baddr = m.reg('baddr', UInt(aw));
  /** Beats after the current one. */
  const bleft = m.reg('bleft', UInt(8));
  const shown = m.reg('shown', Bool, { reset: 0 });

  m.assign(rvalid, busy.and(shown.or(gaps.not()).or(coin(rng, 2))));
  m.assign(rlast, bleft.eq(0));
  const wordAddr = m.let('word_addr', baddr.shr(sizeLog));
  m.assign(rdata, hashExpr(wordAddr, p.dataWidth));
  const a32 = wordAddr.width > 32 ? wordAddr.trunc(32) : wordAddr.zext(32);
  m.assign(rresp, mux(errEn.and(a32.eq(errAddr)), lit(2, UInt(2)), lit(0, UInt(2))));
  const beat = m.let('beat', rvalid.and(rready));
  m.assign(take, q.out('out_valid').and(busy.not().or(beat.and(rlast))));
  const head = q.out('out_data');

  m.sync(() => {
    shown.set(rvalid.and(rready.not()));
    m.if(take, () => {
      busy.set(1);
      baddr.set(head.slice(aw - 1, 0));
      bleft.set(head.slice(aw + 7, aw));
    }).elif(beat, () => {
      m.if(rlast, () => busy.set(0)).else(() => {
        baddr.set(baddr.add(p.dataWidth / 8).trunc(aw));
        bleft.set(bleft.sub(1).trunc(8));
      });
    });
  });
});

export interface NativeMemoryParams {
  [k: string]: number;
  dataWidth: number;
  addrWidth: number;
}

/** A LiteDRAM-style native read port: words come back in command order after the latency queue. */
export const nativeMemoryModel = defineModule('native_memory_model', (m, p: NativeMemoryParams) => {
  const cmdValid = m.input('cmd_valid', Bool);
  const cmdReady = m.output('cmd_ready', Bool);
  const cmdAddr = m.input('cmd_addr', UInt(p.addrWidth));
  const cmdWe = m.input('cmd_we', Bool);
  const rdataValid = m.output('rdata_valid', Bool);
  const rdataReady = m.input('rdata_ready', Bool);
  const rdataData = m.output('rdata_data', UInt(p.dataWidth));
  const latency = m.input('latency', UInt(8));
  const gaps = m.input('gaps', Bool);
  /** Sticky: a write command was accepted (the readers only read). */
  const sawWrite = m.output('saw_write', Bool, { reg: true, reset: 0 });

  const q = m.instance('u_cmd', latencyQueue({ width: p.addrWidth, depth: 64, seed: 0x3c6ef372 }), {
    in_valid: cmdValid,
    in_data: cmdAddr,
    latency,
    gaps,
    out_ready: rdataReady,
  });
  m.assign(cmdReady, q.out('in_ready'));
  m.assign(rdataValid, q.out('out_valid'));
  m.assign(rdataData, hashExpr(q.out('out_data'), p.dataWidth));
  m.sync(() => m.if(cmdValid.and(cmdReady).and(cmdWe), () => sawWrite.set(1)));
});

/** Observed transfers: a register pair the harness monitors (valid after the edge = fired before it). */
export function observe(m: Module, name: string, when: Expr, what: Expr): void {
  const v = m.output(`${name}_valid`, Bool, { reg: true, reset: 0 });
  const d = m.output(name, UInt(what.width), { reg: true });
  m.sync(() => {
    v.set(when);
    d.set(what);
  });
}
