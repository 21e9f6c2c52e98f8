// Sigmoid and SiLU on ACT-format inputs: table lookup with linear interpolation.
import { ACT, GATE, SIGMOID } from './formats.ts';
import { SIGMOID_TABLE } from './tables.ts';
import { shiftRound } from './integer.ts';

const STEP_SHIFT = ACT.frac - Math.log2(SIGMOID.stepsPerUnit); // input LSBs per table step: 2^8
const LOW = -SIGMOID.range << ACT.frac;
const HIGH = (SIGMOID.range << ACT.frac) - 1;

/** sigmoid(x / 2^12) in GATE format (0 .. 32768). */
export function sigmoidFixed(x: number): number {
  const off = (x < LOW ? LOW : x > HIGH ? HIGH : x) - LOW;
  const idx = off >> STEP_SHIFT;
  const frac = off & ((1 << STEP_SHIFT) - 1);
  const a = SIGMOID_TABLE[idx]!;
  return a + shiftRound((SIGMOID_TABLE[idx + 1]! - a) * frac, STEP_SHIFT);
}

/** silu(x) = x sigmoid(x), ACT format in and out. */
export function siluFixed(x: number): number {
  return shiftRound(x * sigmoidFixed(x), GATE.frac);
}
