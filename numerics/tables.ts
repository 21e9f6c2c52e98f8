// The lookup tables of the datapath. They are generated here once (the only floating point on the
// fixed-point path, evaluated at build time) and shared, entry for entry, by the golden engine and the
// ROMs of the RTL.
import { RECIP, RSQRT, SIGMOID, GATE, QACT } from './formats.ts';

/** Entry i (for i in [2^(indexBits-2), 2^indexBits)) approximates 2^frac / sqrt(m) at the middle of its bucket. */
function buildRsqrt(): Uint32Array {
  const size = 1 << RSQRT.indexBits;
  const bucket = 1 << (RSQRT.mantissaBits - RSQRT.indexBits);
  const t = new Uint32Array(size);
  for (let i = size >> 2; i < size; i++) t[i] = Math.round(2 ** RSQRT.frac / Math.sqrt((i + 0.5) * bucket));
  return t;
}

/** Entry i (for i in [2^(indexBits-1), 2^indexBits)) approximates 127 * 2^frac / m at the middle of its bucket. */
function buildRecip(): Uint32Array {
  const size = 1 << RECIP.indexBits;
  const bucket = 1 << (RECIP.mantissaBits - RECIP.indexBits);
  const t = new Uint32Array(size);
  for (let i = size >> 1; i < size; i++) t[i] = Math.round((QACT.scale * 2 ** RECIP.frac) / ((i + 0.5) * bucket));
  return t;
}

/** sigmoid at -range + k / stepsPerUnit, k = 0 .. 2 range stepsPerUnit, in GATE format. */
function buildSigmoid(): Uint32Array {
  const n = 2 * SIGMOID.range * SIGMOID.stepsPerUnit + 1;
  const t = new Uint32Array(n);
  for (let k = 0; k < n; k++) t[k] = Math.round(GATE.one / (1 + Math.exp(-(-SIGMOID.range + k / SIGMOID.stepsPerUnit))));
  return t;
}

export const RSQRT_TABLE = buildRsqrt();
export const RECIP_TABLE = buildRecip();
export const SIGMOID_TABLE = buildSigmoid();
