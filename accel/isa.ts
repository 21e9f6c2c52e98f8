// The accelerator's instruction set: what the controller's instruction ROM holds. One instruction is one
// pass over a vector (docs/architecture.md); the program for a token is generated from the model
// (accel/program.ts) and ends with END. The field layout depends on the model's sizes, so it is computed
// here once and used both to encode the ROM (program.ts) and to decode it (top.ts).
//
// The vector memories (one registered read port and one write port each):
//   M1  H (d), G (d), A (max(d, I, V))     the residual stream; g and the MLGRU output; f, gate, logits
//   M2  U (max(d, I)), S (layers x d)      BitLinear inputs; the recurrent states
//   M3  B (max(d, I))                      i, o, up, down
// Every element op reads each memory at most once per element, so one port each suffices.
import { bitsFor, clog2 } from '../hdl/core/types.ts';
import { ROW_OP, ROW_OP_BITS, ROW_SHIFT_BITS, type RowOp } from './units/row-unit.ts';
import { SCALE_EXP_BITS } from './units/scalar-widths.ts';
import { MANTISSA } from '../numerics/formats.ts';

export const OP = {
  /** Stop: the token's argmax goes out. */
  end: 0,
  /** Read the token's embedding row scale, then run `rowop` (PRESCALE) on its int8 codes. */
  embed: 1,
  /** One row-unit op (`rowop`) over n elements: x, y, w from `xsel`, `ysel`, `wsel`, out to `dst`. */
  element: 2,
  /** dst = BitLinear(U): `n` = cols, `rows`, norm at `param`, weights at `wbase`. */
  bitlinear: 3,
  /** Debug: stream n words of the vector `xsel` (region m1reg / m2reg) out of the debug port. */
  dump: 4,
} as const;
export type OpName = keyof typeof OP;
export const OP_BITS = 3;

export const XSEL = { m1: 0, m2: 1, m3: 2, emb: 3 } as const;
/** y operand source; none (the default) for ops without y, so no memory is read late for them. */
export const YSEL = { none: 0, m1: 1, m2: 2, m3: 3 } as const;
export const WSEL = { param: 0, m1: 1, emb: 2 } as const;
export const M1REG = { h: 0, g: 1, a: 2 } as const;
export const M2REG = { u: 0, s: 1 } as const;
/** Where results go. `split`: rows < I to A, the rest to B (gate, up). `logits`: A, and the argmax. */
export const DST = { h: 0, g: 1, a: 2, u: 3, s: 4, b: 5, split: 6, logits: 7 } as const;

/**
 * How a BITLINEAR of an FFF model walks the tree (the `walk` field, present only in an FFF model's
 * layout): `tree` is node_in, whose rows are read along the walk (each row's sign picks the next) and
 * whose branches are kept; `columns` is node_out, whose norm words are gathered along that path and
 * whose matrix is read by column (the matvec unit's column mode).
 */
export const WALK = { none: 0, tree: 1, columns: 2 } as const;

/** The sizes the field widths are derived from. */
export interface IsaGeometry {
  /** Longest vector any op streams (elements or cols). */
  maxN: number;
  /** Most rows of any matrix. */
  maxRows: number;
  /** Words of parameters (norm mantissas, lower bounds, embedding row scales, tables). */
  paramWords: number;
  /** Elements of the recurrent state memory (layers x d). */
  stateWords: number;
  /** Wide words of the weight memory. */
  weightWords: number;
  /** An FFF model: the layout has the `walk` field. */
  fff?: boolean;
}

export interface Field {
  name: string;
  lo: number;
  width: number;
  signed: boolean;
  /** A field of other ops kept in the same bits (no instruction has both: encodeInstruction checks). */
  shares?: FieldName;
}

export type FieldName =
  | 'op' | 'rowop' | 'n' | 'rows' | 'param' | 'sbase' | 'wbase' | 'shift' | 'xsel' | 'ysel' | 'wsel' | 'm1reg' | 'm2reg' | 'dst' | 'haslb'
  | 'cmant' | 'sexp' | 'ovl' | 'walk';

export interface IsaLayout {
  fields: Record<FieldName, Field>;
  width: number;
}

/**
 * The instruction word's fields, low bits first. `overlapFlag` (the generator's overlap option, accel/
 * overlap.ts) adds the last field, ovl: 1 when the instruction may start while a matrix still streams.
 * Without it the field is absent (its decode is never read), so the layout is the one of before. An FFF
 * model's layout adds `walk` (WALK) the same way.
 *
 * Fields that no op uses together share their bits: a BITLINEAR's `rows` and an element op's PRESCALE
 * `shift` (the BitLinear's own shifts come from its output scale), a BITLINEAR's or EMBED's weight base
 * `wbase` and an element op's or DUMP's state base `sbase`. The word is shorter (the UP5K fetches it 16
 * bits a cycle into flip-flops: 128 -> 96 bits at 8 lanes).
 */
export function isaLayout(g: IsaGeometry, o: { overlapFlag?: boolean } = {}): IsaLayout {
  type Spec = [FieldName, number, boolean] | [FieldName, number, boolean, FieldName];
  const spec: Spec[] = [
    ['op', OP_BITS, false],
    ['rowop', ROW_OP_BITS, false],
    ['n', bitsFor(BigInt(g.maxN), false), false],
    ['rows', bitsFor(BigInt(g.maxRows), false), false],
    ['shift', ROW_SHIFT_BITS, true, 'rows'],
    ['param', Math.max(1, clog2(g.paramWords)), false],
    ['wbase', Math.max(1, clog2(g.weightWords)), false],
    ['sbase', Math.max(1, clog2(g.stateWords)), false, 'wbase'],
    ['xsel', 2, false],
    ['ysel', 2, false],
    ['wsel', 2, false],
    ['m1reg', 2, false],
    ['m2reg', 1, false],
    ['dst', 3, false],
    ['haslb', 1, false],
    ['cmant', MANTISSA.bits, false],
    // the output scale's exponents known when the program is made: C's and the norm's, summed
    ['sexp', SCALE_EXP_BITS + 1, true],
    ...(o.overlapFlag ? ([['ovl', 1, false]] as [FieldName, number, boolean][]) : []),
    ...(g.fff ? ([['walk', 2, false]] as [FieldName, number, boolean][]) : []),
  ];
  const fields = {} as Record<FieldName, Field>;
  let lo = 0;
  for (const [name, width, signed, shares] of spec) {
    if (shares === undefined) {
      fields[name] = { name, lo, width, signed };
      lo += width;
      continue;
    }
    // the same bits as `shares`, the slot as wide as the wider of the two
    const other = fields[shares];
    fields[name] = { name, lo: other.lo, width, signed, shares };
    other.shares = name;
    lo = Math.max(lo, other.lo + width);
  }
  return { fields, width: lo };
}

type Operands = Partial<Record<Exclude<FieldName, 'op' | 'rowop'>, number>>;
/** One instruction (absent fields are 0); `note` is for the manifest and errors. */
export type Instruction = { op: OpName; rowop?: RowOp; note: string } & Operands;

/** The instruction as a ROM word; a value that does not fit its field is an error naming both. */
export function encodeInstruction(ins: Instruction, layout: IsaLayout): bigint {
  let word = 0n;
  for (const f of Object.values(layout.fields)) {
    const v = f.name === 'op' ? OP[ins.op] : f.name === 'rowop' ? ROW_OP[ins.rowop ?? 'prescale'] : (ins[f.name as keyof Operands] ?? 0);
    const lo = f.signed ? -(2 ** (f.width - 1)) : 0;
    const hi = f.signed ? 2 ** (f.width - 1) - 1 : 2 ** f.width - 1;
    if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`instruction '${ins.note}': field ${f.name} = ${v} does not fit ${f.signed ? 'SInt' : 'UInt'}(${f.width})`);
    if (v !== 0 && f.shares !== undefined && (ins[f.shares as keyof Operands] ?? 0) !== 0) throw new RangeError(`instruction '${ins.note}': fields ${f.name} and ${f.shares} share their bits, and both are set`);
    word |= BigInt.asUintN(f.width, BigInt(v)) << BigInt(f.lo);
  }
  return word;
}
