// A value's hardware type: a bit vector of a fixed width, read as unsigned or two's-complement signed.

export interface HdlType {
  readonly width: number;
  readonly signed: boolean;
}

/** Widths beyond this are almost certainly a generator bug (a runaway shift, say), not a design. */
export const MAX_WIDTH = 1 << 16;

function checkWidth(width: number): number {
  if (!Number.isInteger(width) || width < 1 || width > MAX_WIDTH) {
    throw new RangeError(`width must be an integer from 1 to ${MAX_WIDTH}, got ${width}`);
  }
  return width;
}

export const UInt = (width: number): HdlType => ({ width: checkWidth(width), signed: false });
export const SInt = (width: number): HdlType => ({ width: checkWidth(width), signed: true });
export const Bool: HdlType = UInt(1);

export function typeName(t: HdlType): string {
  return `${t.signed ? 'SInt' : 'UInt'}(${t.width})`;
}

/** The smallest and largest value a type holds. */
export function typeRange(t: HdlType): { min: bigint; max: bigint } {
  const w = BigInt(t.width);
  return t.signed ? { min: -(1n << (w - 1n)), max: (1n << (w - 1n)) - 1n } : { min: 0n, max: (1n << w) - 1n };
}

/** Bits needed to hold `v` in the given signedness (at least 1). */
export function bitsFor(v: bigint, signed: boolean): number {
  if (!signed) {
    if (v < 0n) throw new RangeError(`negative value ${v} has no unsigned width`);
    return Math.max(1, v.toString(2).length);
  }
  const mag = v < 0n ? -v - 1n : v;
  return mag === 0n ? 1 : mag.toString(2).length + 1;
}

/** ceil(log2(n)) for n >= 1: the bits to index n things, or the growth of summing n values. */
export function clog2(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`clog2 needs a positive integer, got ${n}`);
  return n === 1 ? 0 : (n - 1).toString(2).length;
}
