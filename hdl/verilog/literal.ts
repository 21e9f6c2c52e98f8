// Sized Verilog literals. Every literal carries its width so no expression relies on Verilog's
// 32-bit default; negative values are written as their two's-complement bit pattern.
import type { HdlType } from '../core/types.ts';

export function literal(value: bigint, type: HdlType): string {
  const w = BigInt(type.width);
  const bits = value & ((1n << w) - 1n);
  if (type.width === 1) return `1'b${bits}`;
  if (bits < 10n || (value >= 0n && type.width <= 16)) return `${type.width}'d${bits}`;
  return `${type.width}'h${bits.toString(16).toUpperCase()}`;
}

/** `[7:0]` for a vector, nothing for one bit; `signed` is printed by the caller. */
export function range(width: number): string {
  return width === 1 ? '' : `[${width - 1}:0]`;
}
