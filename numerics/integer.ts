// Integer primitives of the datapath: rounding shifts and saturation. All values are JS numbers that
// stay below 2^53 in magnitude (the formats are chosen so), so every operation here is exact.

// Powers of two as doubles: scaling by them is exact, and a table is much faster than 2 ** s.
const POW2 = Float64Array.from({ length: 128 }, (_, i) => 2 ** (i - 64));

/**
 * x / 2^s rounded half up (toward +infinity at ties): add half, then an arithmetic shift. s may be <= 0.
 * Any s is exact for the integers of the datapath (|x| < 2^53): a right shift by 60 or more already
 * gives 0, and a left shift by 63 or more of a non-zero integer is beyond every saturation bound, as the
 * RTL's clamped shifters do; s is clamped to [-63, 60] so the power-of-two table is never left.
 */
export function shiftRound(x: number, s: number): number {
  if (s <= 0) return x * POW2[64 - (s < -63 ? -63 : s)]!;
  if (s > 60) s = 60;
  return Math.floor((x + POW2[63 + s]!) * POW2[64 - s]!);
}

/** Clamp to a signed `bits`-wide two's-complement range. */
export function saturate(x: number, bits: number): number {
  const lim = POW2[63 + bits]!; // 2^(bits-1)
  return x >= lim ? lim - 1 : x < -lim ? -lim : x;
}

/** Round half away from zero (upstream's activation rounding). */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

/** Position of the highest set bit (floor(log2 x)) of a positive integer below 2^53. */
export function highBit(x: number): number {
  if (!(x >= 1)) throw new RangeError(`highBit of ${x}`);
  if (x < 4294967296) return 31 - Math.clz32(x);
  const hi = Math.floor(x / 4294967296);
  return 63 - Math.clz32(hi);
}
