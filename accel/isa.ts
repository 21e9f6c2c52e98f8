// The accelerator's instruction set: what the controller's instruction ROM holds. One instruction is one
// vector operation over a whole vector (docs/architecture.md); the program for a token is generated
// from the model (accel/program.ts) and ends with END. The field layout depends on the model's sizes, so
// it is computed here once and used both to encode the ROM (program.ts) and to decode it (top.ts).
import { bitsFor, clog2 } from '../hdl/core/types.ts';
import { ELEMENTWISE_SHIFT_BITS } from './units/elementwise-unit.ts';
import { SCALE_EXP_BITS } from './units/bitlinear-scale.ts';
import { MANTISSA } from '../numerics/formats.ts';

export const OP = {
  /** Stop: the token's argmax goes out. */
  end: 0,
  /** h = sat24(shiftRound(code_j * rowScale[token], shift)): PRESCALE on the token's embedding row. */
  embed: 1,
  /** dst = sat24(shiftRound(src_j * w_j, shift)), w from the parameter words at `param`. */
  prescale: 2,
  /** H = sat24(H + A). */
  residual: 3,
  /** MLGRU over layer `sbase / d`: f = A, i = B, g = G, state S; G = gated output, S = new state. */
  mlgru: 4,
  /** U = sat24(shiftRound(silu(A) * B, 12)): the GLU of gate (A) and up (B). */
  glu: 5,
  /** dst = BitLinear(U): `n` = cols, `rows`, norm at `param`, weights at `wbase`. */
  bitlinear: 6,
  /** Debug: stream `n` words of vector `src` (from `sbase`) out of the debug port (skipped unless debug_en). */
  dump: 7,
} as const;
export type OpName = keyof typeof OP;
export const OP_BITS = 3;

/** Sources of the elementwise unit's c operand (PRESCALE / EMBED) and of DUMP. */
export const SRC = { h: 0, g: 1, s: 2, a: 3 } as const;
/** Destinations of elementwise results and BitLinear rows. `split`: rows < I to A, the rest to B. */
export const DST = { u: 0, h: 1, g: 2, a: 3, b: 4, split: 5, logits: 6 } as const;
export const SRC_BITS = 2;
export const DST_BITS = 3;

/** The sizes the field widths are derived from. */
export interface IsaGeometry {
  /** Longest vector any op streams (elements or cols). */
  maxN: number;
  /** Most rows of any matrix. */
  maxRows: number;
  /** Words of parameters (norm mantissas, lower bounds, embedding row scales). */
  paramWords: number;
  /** Elements of the recurrent state memory (layers x d). */
  stateWords: number;
  /** Wide words of the weight memory. */
  weightWords: number;
}

export interface Field {
  name: string;
  lo: number;
  width: number;
  signed: boolean;
}

export interface IsaLayout {
  fields: Record<FieldName, Field>;
  width: number;
}

export type FieldName = 'op' | 'n' | 'rows' | 'param' | 'sbase' | 'wbase' | 'shift' | 'src' | 'dst' | 'haslb' | 'cmant' | 'cexp' | 'nexp';

/** The instruction word's fields, low bits first. */
export function isaLayout(g: IsaGeometry): IsaLayout {
  const spec: [FieldName, number, boolean][] = [
    ['op', OP_BITS, false],
    ['n', bitsFor(BigInt(g.maxN), false), false],
    ['rows', bitsFor(BigInt(g.maxRows), false), false],
    ['param', Math.max(1, clog2(g.paramWords)), false],
    ['sbase', Math.max(1, clog2(g.stateWords)), false],
    ['wbase', Math.max(1, clog2(g.weightWords)), false],
    ['shift', ELEMENTWISE_SHIFT_BITS, true],
    ['src', SRC_BITS, false],
    ['dst', DST_BITS, false],
    ['haslb', 1, false],
    ['cmant', MANTISSA.bits, false],
    ['cexp', SCALE_EXP_BITS, true],
    ['nexp', SCALE_EXP_BITS, true],
  ];
  const fields = {} as Record<FieldName, Field>;
  let lo = 0;
  for (const [name, width, signed] of spec) {
    fields[name] = { name, lo, width, signed };
    lo += width;
  }
  return { fields, width: lo };
}

/** One instruction, every field a number (absent fields are 0); `note` is for the manifest and errors. */
export type Instruction = { op: OpName; note: string } & Partial<Record<Exclude<FieldName, 'op'>, number>>;

/** The instruction as a ROM word; a value that does not fit its field is an error naming both. */
export function encodeInstruction(ins: Instruction, layout: IsaLayout): bigint {
  let word = 0n;
  for (const f of Object.values(layout.fields)) {
    const v = f.name === 'op' ? OP[ins.op] : (ins[f.name as Exclude<FieldName, 'op'>] ?? 0);
    const lo = f.signed ? -(2 ** (f.width - 1)) : 0;
    const hi = f.signed ? 2 ** (f.width - 1) - 1 : 2 ** f.width - 1;
    if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`instruction '${ins.note}': field ${f.name} = ${v} does not fit ${f.signed ? 'SInt' : 'UInt'}(${f.width})`);
    word |= BigInt.asUintN(f.width, BigInt(v)) << BigInt(f.lo);
  }
  return word;
}
