// Seeded test vectors (mulberry32, util/prng.ts), so vectors reproduce from their seed.
export { seededRandom as prng } from '../util/prng.ts';

/** Pack small integers (two's complement, `bits` each) into one bus, element 0 in the low bits. */
export function packLanes(values: readonly number[], bits: number): bigint {
  let v = 0n;
  const mask = (1n << BigInt(bits)) - 1n;
  values.forEach((x, i) => (v |= (BigInt(x) & mask) << BigInt(i * bits)));
  return v;
}
