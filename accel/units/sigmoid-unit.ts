// The sigmoid / SiLU unit: numerics' sigmoidFixed and siluFixed (numerics/nonlinear.ts) in RTL, bit for
// bit, one ACT input per cycle, fully pipelined, fixed latency.
//
//   sig  = sigmoidFixed(x)   GATE, UInt(16), 0 .. 32768
//   silu = siluFixed(x)      ACT,  SInt(24)  = shiftRound(x * sig, 15)
//
// Datapath (each line ends in a register; `sigmoidUnitLatency` counts them, 8 with the defaults):
//   S0  x                                                                  (only with inputReg = 1)
//   S1  clamp x to [LOW, HIGH] = [-12, 12) * 4096, off = clamp(x) - LOW (17 bits): idx = off >> 8,
//       frac = off & 255; bank addresses (idx + 1) >> 1 and idx >> 1
//   S2  the two ROM banks' registered read ports: T[idx] and T[idx + 1]
//   S3  a = T[idx], d = T[idx + 1] - T[idx]
//   S4  d * frac
//   S5  sig = a + ((d * frac + 128) >> 8)                                  (shiftRound by 8: add half, shift)
//   S6  x * sig[14:0]                                                      (one or two stages: siluStages)
//   S7  silu = sig == 32768 ? x : (x * sig[14:0] + 2^14) >> 15             (shiftRound by 15, arithmetic)
// x and the valid bit travel alongside; sig is delayed to leave with silu. Only valid bits have a reset.
//
// Two table entries per lookup: the table is split into an even bank (T[0], T[2], .., T[384], 193 words)
// and an odd bank (T[1], T[3], .., T[383], 192 words). Of idx and idx + 1 one is even and one odd, so
// each bank is read once per lookup through one synchronous read port, and each bank is at most 256 x 16:
// one SB_RAM40_4K each, two in all. The alternatives cost twice that: a ROM with two read ports is
// duplicated by yosys (an EBR has one read port; 385 x 16 needs two EBRs per copy, four in all), and a
// second ROM of differences (384 x 10 beside 384 x 16) also needs four. The price is a second 9-bit
// adder for the even bank's address, a swap of the two read words, and a 16-bit subtractor.
//
// Widths are all derived from numerics (ACT, GATE, SIGMOID, SIGMOID_TABLE); the only narrowing steps
// are justified by the table's contents, which are checked when the module is generated:
//   - the table is nondecreasing and its steps fit `stepBits` bits (512 -> 10), so T[idx+1] - T[idx]
//     is truncated to stepBits;
//   - every entry is at most GATE.one, so the interpolated sig (<= max entry) fits GATE.bits, and
//     sig[15] set means sig == 32768 exactly: then silu = x, otherwise the product needs only
//     sig[14:0], which makes the SiLU multiplier 24 x 16 signed (one SB_MAC16 operand wide);
//   - |x * sig[14:0]| < 2^23 * 2^15, so the rounded SiLU fits SInt(24) without saturation.
import { defineModule } from '../../hdl/core/generator.ts';
import { cat, lit, mux, type Expr } from '../../hdl/core/expr.ts';
import type { Signal } from '../../hdl/core/signal.ts';
import type { Module } from '../../hdl/core/module.ts';
import { Bool, SInt, UInt, clog2 } from '../../hdl/core/types.ts';
import { ACT, GATE, SIGMOID } from '../../numerics/formats.ts';
import { SIGMOID_TABLE } from '../../numerics/tables.ts';
import { regOf, delay, delayRing } from './pipeline.ts';
import { hdlHelper } from '../../hdl/core/source.ts';

export interface SigmoidUnitParams {
  [k: string]: number | undefined;
  /** 1: register x before the clamp (the clamp's compare and add are not on the input path); 0: not. */
  inputReg: number;
  /**
   * Register stages of the SiLU product x * sig[14:0]: 1 = one plain `mul` (what yosys maps to SB_MAC16
   * with `synth_ice40 -dsp`); 2 = split into two partial products (x times the high and the low 8 bits
   * of sig[14:0]), each registered, summed in the next stage: for LUT multipliers, a shorter critical path.
   */
  siluStages: number;
  /**
   * 1: inputs `b` (SInt(16)) and `use_b`, sampled with x, and an output `prod` (SInt(40)): with use_b the
   * SiLU multiplier computes x * b instead of x * sig[14:0] (silu is then meaningless), so a caller can
   * borrow the multiplier for the products of elements that need no sigmoid. siluStages must be 1.
   * `prod` leaves `sigmoidUnitProductLatency` cycles after x, and `x_out` (x itself) with it. Default 0.
   */
  productPort?: number;
  /**
   * 1: x's way from the input to the product stage (six registers, 144 flip-flops), and with productPort
   * b's and use_b's, is a block-RAM ring instead (two EBRs, three with b): for the UP5K, where logic
   * cells run out before EBRs. Default 0.
   */
  xRing?: number;
}

export const SIGMOID_UNIT_DEFAULTS: SigmoidUnitParams = { inputReg: 1, siluStages: 1 };

/** Cycles from in_valid to out_valid (one input per cycle, no stalls). */
export function sigmoidUnitLatency(p: SigmoidUnitParams): number {
  // [input register] + clamp + ROM read + a/d + product + sig + SiLU product stages + SiLU.
  return p.inputReg + 5 + p.siluStages + 1;
}

/** Cycles from in_valid to the product register on `prod` (productPort = 1): one less than the latency. */
export function sigmoidUnitProductLatency(p: SigmoidUnitParams): number {
  return sigmoidUnitLatency(p) - 1;
}

/** The constants of the lookup, derived from numerics and checked against the table. */
export function sigmoidGeometry(table: ArrayLike<number> = SIGMOID_TABLE) {
  const stepsLog = Math.log2(SIGMOID.stepsPerUnit);
  if (!Number.isInteger(stepsLog)) throw new RangeError(`SIGMOID.stepsPerUnit must be a power of two, got ${SIGMOID.stepsPerUnit}`);
  const stepShift = ACT.frac - stepsLog; // input LSBs per table step (8)
  if (!Number.isInteger(SIGMOID.range) || stepShift < 1) throw new RangeError('the unit needs an integer SIGMOID.range and a table step of at least two input LSBs');
  const low = -SIGMOID.range * 2 ** ACT.frac; // -49152
  const high = SIGMOID.range * 2 ** ACT.frac - 1; // 49151
  const offBits = clog2(high - low + 1); // 17: off in [0, 98303]
  const idxBits = offBits - stepShift; // 9: idx in [0, 383]
  const entries = 2 * SIGMOID.range * SIGMOID.stepsPerUnit + 1; // 385
  if (table.length !== entries) throw new RangeError(`SIGMOID_TABLE has ${table.length} entries, expected ${entries}`);
  let maxStep = 0;
  for (let i = 0; i < entries; i++) {
    const t = table[i]!;
    if (!Number.isInteger(t) || t < 0 || t > GATE.one) throw new RangeError(`SIGMOID_TABLE[${i}] = ${t} is outside [0, ${GATE.one}]`);
    if (i > 0) {
      const step = t - table[i - 1]!;
      if (step < 0) throw new RangeError(`SIGMOID_TABLE decreases at ${i}; the unit needs a nondecreasing table`);
      maxStep = Math.max(maxStep, step);
    }
  }
  const stepBits = Math.max(1, clog2(maxStep + 1)); // 10 for a largest step of 512
  const even = Array.from({ length: Math.ceil(entries / 2) }, (_, k) => table[2 * k]!);
  const odd = Array.from({ length: Math.floor(entries / 2) }, (_, k) => table[2 * k + 1]!);
  return { stepShift, low, high, offBits, idxBits, entries, stepBits, even, odd };
}

/**
 * a >= c for a constant c, as and/or logic rather than a subtractor: yosys maps a compare to a carry
 * chain, which here sat on the critical path (the clamp drives the bank addresses' synchronous resets).
 * Bit by bit from the LSB, ge(a[i:0], c[i:0]) = c_i ? a_i & ge(a[i-1:0]) : a_i | ge(a[i-1:0]); signed
 * values are compared in offset binary (the sign bit flipped).
 */
function atLeast(a: Expr, c: number): Expr {
  const bias = a.signed ? 2 ** (a.width - 1) : 0;
  if (!Number.isSafeInteger(c + bias) || c + bias < 0 || c + bias >= 2 ** a.width) throw new RangeError(`atLeast: ${c} is outside the range of a ${a.width}-bit value`);
  const u = a.signed ? a.asUnsigned().xor(bias) : a;
  let ge: Expr = lit(1, Bool);
  for (let i = 0; i < a.width; i++) ge = Math.floor((c + bias) / 2 ** i) % 2 ? u.bit(i).and(ge) : u.bit(i).or(ge);
  return ge;
}

export const sigmoidUnit = defineModule('sigmoid_unit', (m: Module, p: SigmoidUnitParams) => {
  if (p.inputReg !== 0 && p.inputReg !== 1) throw new RangeError(`inputReg must be 0 or 1, got ${p.inputReg}`);
  if (p.siluStages !== 1 && p.siluStages !== 2) throw new RangeError(`siluStages must be 1 or 2, got ${p.siluStages}`);
  const g = sigmoidGeometry();
  const gateFrac = GATE.frac; // 15
  const bankAddrBits = g.idxBits - 1; // 8

  if (p.productPort && p.siluStages !== 1) throw new RangeError('productPort needs siluStages = 1');
  const xIn = m.input('x', SInt(ACT.bits));
  const inValid = m.input('in_valid', Bool);
  const bIn = p.productPort ? m.input('b', SInt(16)) : undefined;
  const useBIn = p.productPort ? m.input('use_b', Bool) : undefined;
  const prodOut = p.productPort ? m.output('prod', SInt(ACT.bits + 16)) : undefined;
  const xOut = p.productPort ? m.output('x_out', SInt(ACT.bits)) : undefined;
  const sig = m.output('sig', UInt(GATE.bits), { reg: true });
  const silu = m.output('silu', SInt(ACT.bits), { reg: true });
  const outValid = m.output('out_valid', Bool, { reg: true, reset: 0 });

  // A register per pipeline stage; the valid bit is the only one with a reset.
  const stage = hdlHelper((name: string, value: Expr): Signal => regOf(m, name, value));
  const validStage = hdlHelper((name: string, value: Expr): Signal => regOf(m, name, value, 0));

  // ---- S0 (optional): input register ----------------------------------------------------------
  let x: Expr = xIn;
  let valid: Expr = inValid;
  if (p.inputReg) {
    x = stage('x_0', xIn);
    valid = validStage('valid_0', inValid);
  }

  // ---- S1: clamp and split into table index and fraction ---------------------------------------
  // LOW is a multiple of 2^12, so the clamp compares only x >> 12 (12 bits, not 24), and in range
  // off = x - LOW keeps x's low bits: frac = x[7:0] and idx = (x >> 8) - (LOW >> 8) mod 2^9, a 9-bit add.
  const whole = x.shr(ACT.frac); // floor(x / 4096)
  const below = atLeast(whole, g.low >> ACT.frac).not(); // x < LOW
  const above = atLeast(whole, (g.high + 1) >> ACT.frac); // x > HIGH
  const clamp = (width: number, inRange: Expr, top: number) => mux(below, lit(0, UInt(width)), mux(above, lit(top, UInt(width)), inRange));
  const xSteps = x.slice(g.offBits - 1, g.stepShift); // (x >> 8) mod 2^9
  const lowSteps = -(g.low >> g.stepShift); // 192
  const idxMax = (g.high - g.low) >> g.stepShift; // 383
  const idx = m.let('idx', clamp(g.idxBits, xSteps.add(lowSteps).trunc(g.idxBits), idxMax));
  const frac = clamp(g.stepShift, x.slice(g.stepShift - 1, 0), (1 << g.stepShift) - 1);
  // T[idx] and T[idx + 1]: the even one sits at (idx + 1) >> 1 of the even bank, the odd one at idx >> 1
  // of the odd bank; idx odd means T[idx] is the odd bank's word. (idx + 1) >> 1 comes from its own
  // adder on x, beside idx's, rather than from an incrementer after the clamp.
  const evenAddr = clamp(bankAddrBits, xSteps.add(lowSteps + 1).trunc(g.idxBits).slice(g.idxBits - 1, 1), (idxMax + 1) >> 1);
  const oddAddr = idx.slice(g.idxBits - 1, 1);
  const evenAddr1 = stage('even_addr_1', evenAddr);
  const oddAddr1 = stage('odd_addr_1', oddAddr);
  const swap1 = stage('idx_odd_1', idx.bit(0));
  const frac1 = stage('frac_1', frac);
  // x for the product stage: five registers, or one ring (xRing) read in the cycle x5 would be loaded
  // With xRing, x and the product port's b and use_b ride one ring from the ports to the product stage.
  const ring = p.xRing ? delayRing(m, 'x', { x: xIn, ...(bIn && useBIn ? { b: bIn, use_b: useBIn } : {}) }, p.inputReg + 5) : undefined;
  const xAtProduct = ring?.x;
  const x1 = p.xRing ? x : stage('x_1', x);
  const valid1 = validStage('valid_1', valid);

  // ---- S2: synchronous ROM reads (SB_RAM40_4K) ------------------------------------------------
  const evenBank = m.memory('sigmoid_even', UInt(GATE.bits), g.even.length, { init: g.even });
  const oddBank = m.memory('sigmoid_odd', UInt(GATE.bits), g.odd.length, { init: g.odd });
  const evenWord = evenBank.read(evenAddr1, { name: 'even_q' });
  const oddWord = oddBank.read(oddAddr1, { name: 'odd_q' });
  const swap2 = stage('idx_odd_2', swap1);
  const frac2 = stage('frac_2', frac1);
  const x2 = p.xRing ? x1 : stage('x_2', x1);
  const valid2 = validStage('valid_2', valid1);

  // ---- S3: base and step ------------------------------------------------------------------------
  const lo = mux(swap2, oddWord, evenWord); // T[idx]
  const hi = mux(swap2, evenWord, oddWord); // T[idx + 1]
  const base3 = stage('base_3', lo);
  const step3 = stage('step_3', hi.sub(lo).trunc(g.stepBits)); // the table is nondecreasing: 0 .. maxStep
  const frac3 = stage('frac_3', frac2);
  const x3 = p.xRing ? x2 : stage('x_3', x2);
  const valid3 = validStage('valid_3', valid2);

  // ---- S4: interpolation product ----------------------------------------------------------------
  const prod4 = stage('interp_4', step3.mul(frac3)); // UInt(stepBits + 8)
  const base4 = stage('base_4', base3);
  const x4 = p.xRing ? x3 : stage('x_4', x3);
  const valid4 = validStage('valid_4', valid3);

  // ---- S5: sig = a + shiftRound(d * frac, 8) ----------------------------------------------------
  // a + floor((p + 128) / 256) = floor((a * 256 + 128 + p) / 256), and a * 256 + 128 is a concatenation:
  // one adder instead of two.
  const sum = cat(base4, lit(1 << (g.stepShift - 1), UInt(g.stepShift))).add(prod4);
  const sig5 = stage('sig_5', sum.shr(g.stepShift).trunc(GATE.bits)); // <= max entry <= 32768
  const x5 = xAtProduct ?? stage('x_5', x4);
  const valid5 = validStage('valid_5', valid4);

  // ---- S6: SiLU product x * sig[14:0] (signed; sig[14:0] gains a zero sign bit) -----------------
  const sigLow = sig5.slice(gateFrac - 1, 0);
  let product: Expr;
  let sigS: Signal;
  let xS: Signal;
  let validS: Signal;
  if (p.siluStages === 1) {
    // With the product port, x * b for elements that ask for it (b and use_b delayed to this stage).
    const bAt = ring?.b ?? (bIn ? delay(m, 'b', bIn, p.inputReg + 5) : undefined);
    const useBAt = ring?.use_b ?? (useBIn ? delay(m, 'use_b', useBIn, p.inputReg + 5) : undefined);
    const operand = bAt && useBAt ? mux(useBAt, bAt, sigLow.toSigned()) : sigLow.toSigned();
    product = stage('silu_prod_6', x5.mul(operand)); // SInt(24 + 16)
    if (prodOut) m.assign(prodOut, product);
    sigS = stage('sig_6', sig5);
    xS = stage('x_6', x5);
    if (xOut) m.assign(xOut, xS); // x beside its product: a caller can reuse this delay line
    validS = validStage('valid_6', valid5);
  } else {
    // x * s = x * s[14:8] * 2^8 + x * s[7:0]: two narrower products, summed one stage later.
    const split = Math.ceil(gateFrac / 2); // 8
    const pHigh = stage('silu_prod_hi_6', x5.mul(sigLow.slice(gateFrac - 1, split).toSigned()));
    const pLow = stage('silu_prod_lo_6', x5.mul(sigLow.slice(split - 1, 0).toSigned()));
    const sig6 = stage('sig_6', sig5);
    const x6 = stage('x_6', x5);
    const valid6 = validStage('valid_6', valid5);
    // |x * s[14:0]| < 2^38: the sum fits the 24 + 16 bits of the one-stage product.
    product = stage('silu_prod_7', pHigh.shl(split).add(pLow).trunc(ACT.bits + gateFrac + 1));
    sigS = stage('sig_7', sig6);
    xS = stage('x_7', x6);
    validS = validStage('valid_7', valid6);
  }

  // ---- last stage: silu = shiftRound(x * sig, 15), sig = 32768 -> x -----------------------------
  const roundedSilu = product.add(1 << (gateFrac - 1)).shr(gateFrac).trunc(ACT.bits); // in [-2^23, 2^23)
  m.sync(() => {
    silu.set(mux(sigS.bit(gateFrac), xS, roundedSilu));
    sig.set(sigS);
    outValid.set(validS);
  });
});
