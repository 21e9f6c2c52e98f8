// The 5-trit gearbox: turns a matrix stored at 1.6 bits a weight (accel/external/trit5-matrix.ts: the
// matvec unit's weight stream, five codes to a byte of the 5-trit byte code, with no gap at chunk, row
// or port-word boundaries) back into the matvec unit's weight words (P two-bit codes,
// accel/units/matvec-unit.ts), at the port's rate.
//
// Interface:
//   start, chunks        a start pulse takes a matrix of `chunks` chunks (rows x ceil(cols / P)) when
//                        busy is 0 (ignored while busy, and when chunks is 0).
//   busy                 1 from the cycle after an accepted start until the cycle after its last chunk
//                        was decoded (one cycle before it is on out_valid).
//   in_valid/ready/data  W-bit port words (the prefetch FIFO's output). The unit pulls exactly the
//                        matrix's ceil(chunks P / (5 B)) words (B = W / 8; trit5RunWords) and never one
//                        more: in_ready is 0 outside a matrix, so the words after it are left for the
//                        next reader.
//   out_valid/ready/data the chunks in the matvec unit's format (w_valid / w_ready / w_data), from a
//                        register; the padding after the last chunk is dropped.
// in_ready and out_valid come from flip-flops only (no path from out_ready to in_ready).
//
// How. Chunk k is codes [kP, (k + 1) P) of the run: it starts at trit phi = kP mod 5 of byte o (counted
// from the oldest word held) and touches ceil((phi + P) / 5) bytes, at most C = ceil((P + 4) / 5). The
// words wait in D = S + 1 word slots, slot 0 the oldest, where S = ceil((B - 1 + C) / B) is the most
// words C bytes can touch from an offset o in [0, B). A chunk is decoded when the bytes it touches are
// all in the slots and the decode register is free: the slots shifted right by 8 o bits (a barrel
// shifter of log2(B) levels) give a window of C bytes, each goes through a 256-entry table to its five
// 2-bit codes (the table is logic: an 8-input function per output bit), into the decode register with
// phi; from there the codes shifted by phi go to the output register. (That register, and control
// without adders between the registers and the slots' selects, give 31 MHz on an UP5K at W = 64,
// P = 32, placed and routed alone: 23 MHz without them.) Then phi + P = 5 a + phi' gives the next
// phase and the bytes used up, a, and
// o + a the next offset and the words dropped, floor((o + a) / B), by which the slots shift down. A
// word is taken whenever a slot is free (count < D) and codes of the matrix are still to come; it
// lands in the first free slot after this cycle's drop.
//
// Timing with in_valid and out_ready held at 1, start at cycle s: word 0 is taken at s + 1, chunk k is
// decoded at cycle e_k = s + 2 + max(k, w_k), w_k = floor(((k + 1) P - 1) / (5 B)) being the last word
// it touches, and is on out_valid from e_k + 2. So the first chunk is out at
// s + 4 + floor((P - 1) / (5 B)) (trit5GearboxFirstOut), then
//   - when the port brings at least P codes a word (5 B >= P): one chunk a cycle, e_k = s + 2 + k; the
//     slots fill and in_ready drops, P / (5 B) words a cycle on average;
//   - when the port is the bottleneck (5 B < P): word j is taken at s + 1 + j, one a cycle (S words
//     always hold a whole chunk, so the slots never fill), and a chunk goes out whenever a word
//     completes one, e_k = s + 2 + w_k: 5 B / P chunks a cycle.
// The last chunk is on out_valid at s + 3 + max(chunks, words) (trit5GearboxCycles); busy is 0 from the
// cycle before, and a start held high meanwhile is taken in it: back to back a matrix costs
// max(chunks, words) + 2 cycles (trit5GearboxPeriod).
import { defineModule } from '../../hdl/core/generator.ts';
import { cat, lit, mux, type Expr } from '../../hdl/core/expr.ts';
import { Bool, UInt, clog2 } from '../../hdl/core/types.ts';
import { streamIn, streamOut } from '../../hdl/lib/stream.ts';
import { TERNARY_2BIT } from '../../numerics/formats.ts';
import { TRIT5, TRIT5_DECODE } from '../../numerics/ternary-5trit.ts';

export interface Trit5GearboxParams {
  [k: string]: number;
  /** W: port word bits, a multiple of 64 from 64 to 512. */
  wordBits: number;
  /** P: the matvec unit's lanes, a power of two from 4 to 256 (out_data is 2P bits). */
  lanes: number;
  /** Width of `chunks`. */
  chunkBits: number;
}

/**
 * Largest P. The byte tables are the cost, C = ceil((P + 4) / 5) of them (52 at P = 256: about 5,500
 * LUT4 on an iCE40, 2,000 LUT6 on a 7-series); P = 256 is also the widest the external target builds.
 */
export const TRIT5_GEARBOX_MAX_LANES = 256;

export function checkTrit5GearboxParams(p: Trit5GearboxParams): void {
  const bad = (field: string, want: string) => new RangeError(`trit5 gearbox: ${field} must be ${want}, got ${p[field]}`);
  if (!Number.isInteger(p.wordBits) || p.wordBits < 64 || p.wordBits > 512 || p.wordBits % 64 !== 0) throw bad('wordBits', 'a multiple of 64 from 64 to 512');
  if (!Number.isInteger(p.lanes) || p.lanes < 4 || p.lanes > TRIT5_GEARBOX_MAX_LANES || (p.lanes & (p.lanes - 1)) !== 0) {
    throw bad('lanes', `a power of two from 4 to ${TRIT5_GEARBOX_MAX_LANES}`);
  }
  if (!Number.isInteger(p.chunkBits) || p.chunkBits < 1 || p.chunkBits > 32) throw bad('chunkBits', 'an integer from 1 to 32');
}

/**
 * The geometry the module is built from: B bytes a word; P = 5 q + r (r is 1 .. 4, P being a power of
 * two); C bytes of window; S window slots; D slots; the most words one chunk uses up.
 */
export function trit5GearboxGeometry(p: Trit5GearboxParams) {
  checkTrit5GearboxParams(p);
  const B = p.wordBits / 8;
  const q = Math.floor(p.lanes / 5);
  const r = p.lanes % 5;
  const C = Math.ceil((p.lanes + 4) / 5);
  const S = Math.ceil((B - 1 + C) / B);
  return { B, q, r, C, S, D: S + 1, maxDrop: Math.floor((B + q) / B) };
}

/** Port words of a run of `chunks` chunks: ceil(chunks P / (5 B)). */
function runWords(p: Trit5GearboxParams, chunks: number): number {
  return Math.ceil((chunks * p.lanes) / (5 * trit5GearboxGeometry(p).B));
}

/**
 * Cycles from the start pulse (cycle 0) to the first cycle the last chunk is on out_valid, with
 * in_valid and out_ready held at 1: 3 + max(chunks, words), words = ceil(chunks P / (5 B)).
 */
export function trit5GearboxCycles(p: Trit5GearboxParams, chunks: number): number {
  return 3 + Math.max(chunks, runWords(p, chunks));
}

/** Cycles from a start to the first cycle busy is 0 and the next start is taken: 2 + max(chunks, words). */
export function trit5GearboxPeriod(p: Trit5GearboxParams, chunks: number): number {
  return 2 + Math.max(chunks, runWords(p, chunks));
}

/** Cycles from start (cycle 0) to the first chunk on out_valid, at full rate: 4 + floor((P - 1) / (5 B)). */
export function trit5GearboxFirstOut(p: Trit5GearboxParams): number {
  return 4 + Math.floor((p.lanes - 1) / (5 * trit5GearboxGeometry(p).B));
}

/** The table: byte -> its five weights as 2-bit codes, weight k in bits [2k+1 : 2k]; bytes above 242 give zeros. */
export function trit5CodeTable(): number[] {
  const two = { [-1]: TERNARY_2BIT.minus, [0]: TERNARY_2BIT.zero, [1]: TERNARY_2BIT.plus } as Record<number, number>;
  return Array.from({ length: 256 }, (_, b) => (b > TRIT5.maxByte ? 0 : TRIT5_DECODE[b]!.reduce((v, t, k) => v | (two[t]! << (2 * k)), 0)));
}

export const trit5Gearbox = defineModule('trit5_gearbox', (m, p: Trit5GearboxParams) => {
  const { B, q, r, C, S, D, maxDrop } = trit5GearboxGeometry(p);
  const W = p.wordBits;
  const P = p.lanes;
  const oW = clog2(B); // the byte offset o in [0, B)
  const sumW = clog2(B + C); // o + (bytes touched or used up) < B + C
  const cntW = clog2(D + 1);
  const dropW = clog2(maxDrop + 1);
  const needW = p.chunkBits + clog2(P) + 1; // codes of the matrix not yet pulled, up to chunks x P

  const start = m.input('start', Bool);
  const chunks = m.input('chunks', UInt(p.chunkBits));
  const busy = m.output('busy', Bool);
  const input = streamIn(m, 'in', UInt(W));
  const out = streamOut(m, 'out', UInt(2 * P), { reg: true });

  const left = m.reg('left', UInt(p.chunkBits), { reset: 0 }); // chunks not yet in the output register
  const need = m.reg('need', UInt(needW), { reset: 0 });
  const off = m.reg('off', UInt(oW), { reset: 0 });
  const phase = m.reg('phase', UInt(3), { reset: 0 }); // phi in [0, 5)
  const count = m.reg('count', UInt(cntW), { reset: 0 });
  const slots = Array.from({ length: D }, (_, i) => m.reg(`slot${i}`, UInt(W)));
  // The decode register: a decoded window and its phase.
  const held = m.reg('dec_valid', Bool, { reset: 0 });
  const heldCodes = m.reg('dec_codes', UInt(10 * C));
  const heldPhase = m.reg('dec_phase', UInt(3));
  const advance = m.let('advance', held.and(out.valid.not().or(out.ready)));

  m.assign(busy, left.ne(0));
  m.assign(input.ready, need.ne(0).and(count.lt(D)));
  const take = m.let('take', input.valid.and(input.ready));

  // ---- the next chunk: the bytes it touches and uses up, whether they are here, its codes ----------
  // phi + P = 5 q + (phi + r): it touches q + 1 bytes, one more when phi + r > 5, and uses up q, one
  // more when phi + r >= 5. (For a run that starts on a word, B a multiple of 8, the extra touched byte
  // is never the first of a word still to come, so q + 1 alone would pass the tests too; the exact
  // count costs one comparison.)
  const pr = m.let('phase_r', phase.add(lit(r, UInt(3))).trunc(4));
  const usedBytes = m.let('used_bytes', mux(pr.ge(5), lit(q + 1, UInt(sumW)), lit(q, UInt(sumW))));
  const nextPhase = m.let('next_phase', mux(pr.ge(5), pr.sub(lit(5, UInt(4))).trunc(3), pr.trunc(3)));
  // Words touched, ceil((o + touched) / B), words used up, floor((o + used) / B), and the next offset,
  // from comparisons of o with constants (kB less the bytes): no multiplier or divider whatever B is,
  // and no adder on the path from the registers to `emit` and the slots' selects, the long one.
  const offAtLeast = (k: number, bytes: number): Expr => {
    const t = k * B - bytes; // o + bytes >= kB, o in [0, B)
    return t <= 0 ? lit(1, Bool) : t >= B ? lit(0, Bool) : off.ge(lit(t, UInt(oW)));
  };
  const offAbove = (k: number, bytes: number) => offAtLeast(k, bytes - 1); // o + bytes > kB
  const wide = m.let('wide', pr.gt(5)); // q + 2 bytes touched
  let touched: Expr = lit(1, UInt(cntW));
  for (let k = 1; k < S; k++) touched = touched.add(mux(wide, offAbove(k, q + 2), offAbove(k, q + 1)).zext(cntW)).trunc(cntW);
  const complete = m.let('complete', count.ge(touched));
  const emit = m.let('emit', left.ne(0).and(complete).and(held.not().or(advance)));
  const last = m.let('last', emit.and(left.eq(1)));
  const carry = m.let('carry', pr.ge(5)); // q + 1 bytes used up
  const sum = m.let('used_end', off.zext(sumW).add(usedBytes).trunc(sumW));
  let dropE: Expr = lit(0, UInt(dropW));
  let offE: Expr = sum;
  for (let k = 1; k <= maxDrop; k++) {
    dropE = dropE.add(mux(carry, offAtLeast(k, q + 1), offAtLeast(k, q)).zext(dropW)).trunc(dropW);
    offE = mux(sum.ge(k * B), sum.sub(lit(k * B, UInt(sumW))).trunc(sumW), offE);
  }
  const drop = m.let('drop', dropE);
  const nextOff = m.let('next_off', offE.trunc(oW));
  // What leaves the slots this cycle: the words used up, or every word after the last chunk.
  const gone = m.let('gone', mux(last, count, mux(emit, drop.zext(cntW), lit(0, UInt(cntW)))));

  const window = cat(...slots.slice(0, S).reverse()).shr(cat(off, lit(0, UInt(3)))).slice(8 * C - 1, 0);
  // One table per byte, each read once: yosys 0.70's memory mapping (synth_ecp5) crashes on one table
  // read by C ports (a thrown exception in memory_libmap, W = 128 and P = 64). Each is logic: a block
  // RAM would take the decode register as its read register, one EBR or DP16KD a byte.
  const codes: Expr[] = [];
  for (let j = C - 1; j >= 0; j--) {
    const table = m.memory(`code_table_${j}`, UInt(2 * TRIT5.tritsPerByte), 256, { init: trit5CodeTable(), style: 'logic' });
    codes.push(table.readAsync(window.slice(8 * j + 7, 8 * j)));
  }
  const decoded = m.let('decoded', cat(...codes));
  const chunk = m.let('chunk', heldCodes.shr(cat(heldPhase, lit(0, UInt(1)))).slice(2 * P - 1, 0));

  // ---- the slots: drop `gone` words, put the taken word in the first free slot after them ----------
  const kept = m.let('kept', count.sub(gone).trunc(cntW));
  // kept == i without the subtractor: gone == d and count == i + d for some d (the slots' write selects).
  const keptIs = (i: number) => {
    let e: Expr = gone.eq(0).and(count.eq(i));
    for (let d = 1; d <= D - i; d++) e = e.or(gone.eq(d).and(count.eq(i + d)));
    return e;
  };
  const perWord = 5 * B; // codes a word brings
  m.sync(() => {
    slots.forEach((slot, i) => {
      let shifted: Expr = slot;
      for (let d = 1; d <= maxDrop && i + d < D; d++) shifted = mux(gone.eq(d), slots[i + d]!, shifted);
      slot.set(mux(take.and(keptIs(i)), input.data, shifted));
    });
    count.set(kept.zext(cntW + 1).add(take.zext(cntW + 1)).trunc(cntW));
    m.if(emit, () => {
      off.set(mux(last, lit(0, UInt(oW)), nextOff));
      phase.set(mux(last, lit(0, UInt(3)), nextPhase));
      left.set(left.sub(1).trunc(p.chunkBits));
      held.set(1);
      heldCodes.set(decoded);
      heldPhase.set(phase);
    }).elif(advance, () => held.set(0));
    m.if(advance, () => {
      out.valid.set(1);
      out.data.set(chunk);
    }).elif(out.ready, () => out.valid.set(0));
    m.if(take, () => need.set(mux(need.gt(perWord), need.sub(perWord).trunc(needW), lit(0, UInt(needW)))));
    m.if(start.and(left.eq(0)).and(chunks.ne(0)), () => {
      left.set(chunks);
      need.set(chunks.zext(needW).shl(clog2(P)).trunc(needW));
    });
  });
});
