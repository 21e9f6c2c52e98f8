// The fixed-point formats of the accelerator's arithmetic: the single source of truth for the golden
// fixed-point engine (model/fixed) and the RTL generator. Every value on the datapath is an integer;
// `FRAC` bits of it are the fraction. docs/numerics.md explains each choice.

/** Activations on the datapath (residual stream, projections, recurrent state): SInt(24), 12 fraction bits. */
export const ACT = { bits: 24, frac: 12 } as const;

/** Gates in [0, 1] (sigmoid outputs, forget gates, lower bounds): UInt(16), 15 fraction bits; 1.0 = 32768. */
export const GATE = { bits: 16, frac: 15, one: 1 << 15 } as const;

/**
 * Ternary weights as 2-bit codes, bit 0 = non-zero, bit 1 = negative (a 2-bit two's-complement read
 * gives 0, +1, -1); 10 is reserved. The packed model format and the accelerator's lanes both use it
 * (hdl/lib/ternary-lane.ts keeps the HDL's own copy; test/encodings.test.ts checks they agree).
 */
export const TERNARY_2BIT = { zero: 0b00, plus: 0b01, minus: 0b11, reserved: 0b10 } as const;

/** Per-token int8 activations of a BitLinear: q in [-128, 127]. */
export const QACT = { bits: 8, min: -128, max: 127, scale: 127 } as const;

/** Vectors of weights kept in full precision upstream (norm weights): SInt(16) mantissas, one exponent per vector. */
export const NORM_WEIGHT = { bits: 16 } as const;

/** Per-token scalars (rsqrt, reciprocal, output scale) are 16-bit mantissas with an exponent. */
export const MANTISSA = { bits: 16 } as const;

/** u_i^2 is summed after dropping this many fraction bits, so the sum of 2^15 terms stays exact in 53 bits. */
export const SUMSQ_SHIFT = 4;

/** rsqrt table: indexed by the top 10 bits of a 16-bit mantissa in [2^14, 2^16); entries have 23 fraction bits. */
export const RSQRT = { indexBits: 10, mantissaBits: 16, frac: 23 } as const;

/** reciprocal table for 127 / m: indexed by the top 10 bits of a 16-bit mantissa in [2^15, 2^16). */
export const RECIP = { indexBits: 10, mantissaBits: 16, frac: 22 } as const;

/** sigmoid table: inputs clamped to [-12, 12), 16 entries per unit (385 entries), linear interpolation. */
export const SIGMOID = { range: 12, stepsPerUnit: 16 } as const;

/**
 * Embedding rows: int8 values with one UInt(15) scale mantissa per row and one exponent per table. 15 bits,
 * not 16, so the scale is a non-negative SInt(16): the accelerator's embedding lookup is then the
 * row unit's PRESCALE (a vector times a SInt(16) weight), with no multiplier of its own.
 */
export const EMBED = { bits: 8, scaleBits: 15 } as const;
