// A small seeded PRNG (mulberry32): test vectors that reproduce from their seed.
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Pack small integers (two's complement, `bits` each) into one bus, element 0 in the low bits. */
export function packLanes(values: readonly number[], bits: number): bigint {
  let v = 0n;
  const mask = (1n << BigInt(bits)) - 1n;
  values.forEach((x, i) => (v |= (BigInt(x) & mask) << BigInt(i * bits)));
  return v;
}
