// The range every model parameter may take (docs/numerics.md, "Parameter ranges"). Inside it the
// fixed-point engine and the RTL agree bit for bit for every model the loaders accept; the loaders
// refuse anything outside, naming the tensor and the index (or the config field). Why these bounds:
// - every value finite: NaN and Inf have no fixed-point meaning (and upstream would give NaN logits);
// - |value| <= 2^16 for every stored tensor (norm gains, projections, embeddings, lower bounds): far
//   above any trained model (the fixtures' largest is below 10), and it keeps every per-tensor exponent
//   the conversion derives (norm exponent, output-scale exponent, embedding exponent) within a few units
//   of zero, well inside the RTL's instruction fields (SInt(8) exponents, SInt(11) shifts);
// - rms_norm_eps in (0, 1e-4]: the fixed engine drops eps (numerics/bitlinear.ts), which is sound only
//   while eps is negligible next to mean(u^2); common checkpoints use 1e-6 or 1e-5;
// - a packed file's ternary scale s_w = 1 / max(mean|W|, 1e-5) lies in [2^-16, 1e5] for any projection
//   inside the value bound, so a stored scale outside it cannot come from a valid checkpoint.
// Tiny magnitudes need no bound: an all-zero matrix is legal (upstream clamps its absmean to 1e-5, the
// projection then gives 0), and the norm and embedding exponents are floored (EXP_FLOOR below), so a
// vector of denormals converts to zeros on both sides instead of to an exponent no field can hold.

/** Largest |value| of any stored parameter. */
export const PARAM_MAX_ABS = 2 ** 16;

/** Largest rms_norm_eps the fixed engine can drop. */
export const RMS_NORM_EPS_MAX = 1e-4;

/** The range of a stored ternary scale s_w (see above). */
export const TERNARY_SCALE_RANGE = { min: 2 ** -16, max: Math.fround(1e5) } as const;

/**
 * Lowest exponent of a norm vector or an embedding table (value = mantissa x 2^exp). A vector whose
 * largest |value| lies below 2^(EXP_FLOOR + 14) is converted at this exponent: its small values round
 * to 0 (both engines read the converted integers, so both see the same zeros).
 */
export const EXP_FLOOR = -64;

/** What is wrong with one value ("is NaN", "= 70000, outside [-65536, 65536]"), or null when it lies in the range. */
export function parameterProblem(v: number): string | null {
  if (Number.isNaN(v)) return 'is NaN';
  if (!Number.isFinite(v)) return `is ${v > 0 ? '+' : '-'}Infinity`;
  if (Math.abs(v) > PARAM_MAX_ABS) return `= ${v}, outside [-${PARAM_MAX_ABS}, ${PARAM_MAX_ABS}]`;
  return null;
}

/**
 * Index of the first value outside the range (non-finite or |v| > PARAM_MAX_ABS), or -1: one pass,
 * cheap enough to run on every chunk as it is decoded.
 */
export function firstBadParameter(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    // One comparison catches both: NaN fails it, and so do +-Infinity and the out-of-range values.
    if (!(v <= PARAM_MAX_ABS && v >= -PARAM_MAX_ABS)) return i;
  }
  return -1;
}
