// The edges of the parameter ranges: shiftRound exact for every shift (it saturated to NaN beyond
// +-63 before, where the RTL's clamped shifters saturate), exponents floored, the range check itself.
import { describe, expect, it } from 'vitest';
import { saturate, shiftRound } from './integer.ts';
import { toFixedVector, quantizeEmbeddings } from './convert.ts';
import { EXP_FLOOR, PARAM_MAX_ABS, firstBadParameter, parameterProblem } from './ranges.ts';
import { seededRandom } from '../util/prng.ts';

/** floor((x + 2^(s-1)) / 2^s) in BigInt, for any integer s (s <= 0: x 2^-s). */
function shiftRoundExact(x: bigint, s: number): bigint {
  if (s <= 0) return x << BigInt(-s);
  const half = 1n << BigInt(s - 1);
  const v = x + half;
  const d = 1n << BigInt(s);
  return v >= 0n ? v / d : -((-v + d - 1n) / d);
}

function saturateExact(x: bigint, bits: number): bigint {
  const lim = 1n << BigInt(bits - 1);
  return x >= lim ? lim - 1n : x < -lim ? -lim : x;
}

describe('shiftRound at every shift, saturated as the datapath uses it', () => {
  it('matches exact integer arithmetic for shifts -200 .. 200 and integers up to 2^52', () => {
    const rnd = seededRandom(5);
    let checked = 0;
    for (let s = -200; s <= 200; s++) {
      for (let k = 0; k < 40; k++) {
        const mag = Math.floor(rnd() * 2 ** Math.floor(rnd() * 53));
        const x = rnd() < 0.5 ? -mag : mag;
        const got = saturate(shiftRound(x, s), 24);
        expect(Number.isNaN(got), `shift ${s} of ${x}`).toBe(false);
        expect(BigInt(got), `shift ${s} of ${x}`).toBe(saturateExact(shiftRoundExact(BigInt(x), s), 24));
        checked++;
      }
    }
    expect(checked).toBe(401 * 40);
  });
});

describe('conversion exponents', () => {
  it('a vector of tiny values converts at EXP_FLOOR, rounding to zeros, never below', () => {
    for (const tiny of [1e-45, 1e-38, 1e-30, 2 ** -80]) {
      const v = toFixedVector(Float32Array.of(tiny, -tiny, 0));
      expect(v.exp).toBe(EXP_FLOOR);
      const e = quantizeEmbeddings(Float32Array.of(tiny, 0, -tiny, tiny), 2, 2);
      expect(e.exp).toBeGreaterThanOrEqual(EXP_FLOOR);
    }
    // at the value bound the exponent stays small: 2^16 -> 2^16 = 16384 x 2^2
    expect(toFixedVector(Float32Array.of(PARAM_MAX_ABS, 1)).exp).toBe(2);
  });
});

describe('the parameter range check', () => {
  it('finds the first NaN, infinity or value beyond 2^16, and says what it is', () => {
    const v = new Float32Array(10);
    expect(firstBadParameter(v)).toBe(-1);
    v[9] = PARAM_MAX_ABS;
    v[8] = -PARAM_MAX_ABS;
    expect(firstBadParameter(v)).toBe(-1);
    for (const [bad, says] of [[NaN, 'is NaN'], [Infinity, 'is +Infinity'], [-Infinity, 'is -Infinity'], [65537, '= 65537, outside [-65536, 65536]']] as const) {
      v[4] = bad;
      expect(firstBadParameter(v)).toBe(4);
      expect(parameterProblem(bad)).toBe(says);
    }
  });
});
