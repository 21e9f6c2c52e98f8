// CRC-16/MCRF4XX (protocol/spec.ts) over a whole W-bit word in one cycle, for a board that reads its image
// back from a wide memory (fpga/ecp5/dram-verify-reader.ts: 128 bits a cycle). A reflected CRC without a
// final xor is linear over GF(2) in its register and its input bits, so the register after a word is
//   crc' = A crc ^ B data
// where column k of A is the register after the word 0 from register 1 << k, and column j of B the
// register after the word 1 << j from register 0 (bit j of the word enters the serial register at step j:
// the byte order of a little-endian word, each byte LSB first, exactly as crc16() takes bytes). The
// matrices are computed here from the polynomial and emitted as one XOR per register bit.
//
// A last word that is partly past the end of the image: its missing bits are made 0 and the register
// after it is brought back over those zero bits by the inverse of a zero-input step (the polynomial's
// x^0 term makes it invertible: the register's top bit says whether the polynomial was added).
import { cat, lit, type Expr } from '../hdl/core/expr.ts';
import { Bool } from '../hdl/core/types.ts';
import { CRC16 } from '../protocol/spec.ts';

const CRC_BITS = 16;

/** The serial register after `bits` input bits, LSB first. */
function serial(crc: number, bits: (j: number) => number, n: number): number {
  let c = crc;
  for (let j = 0; j < n; j++) c = ((c ^ bits(j)) & 1) !== 0 ? (c >>> 1) ^ CRC16.poly : c >>> 1;
  return c;
}

/** For each register bit i: which register bits (a 16-bit mask) and which word bits (a W-bit mask) it is the XOR of. */
export interface CrcMatrix {
  width: number;
  crc: number[];
  data: bigint[];
}

export function crc16Matrix(width: number): CrcMatrix {
  if (!(Number.isInteger(width) && width >= 1 && width <= 4096)) throw new RangeError(`crc16 matrix: width ${width}: 1 .. 4096 bits`);
  const crc = new Array<number>(CRC_BITS).fill(0);
  const data = new Array<bigint>(CRC_BITS).fill(0n);
  for (let k = 0; k < CRC_BITS; k++) {
    const col = serial(1 << k, () => 0, width);
    for (let i = 0; i < CRC_BITS; i++) if ((col >>> i) & 1) crc[i]! |= 1 << k;
  }
  for (let j = 0; j < width; j++) {
    const col = serial(0, (b) => (b === j ? 1 : 0), width);
    for (let i = 0; i < CRC_BITS; i++) if ((col >>> i) & 1) data[i]! |= 1n << BigInt(j);
  }
  return { width, crc, data };
}

const parity = (v: bigint): number => {
  let p = 0;
  for (let x = v; x !== 0n; x &= x - 1n) p ^= 1;
  return p;
};

/** The register after `data` (width bits) by the matrix: what the emitted logic computes. */
export function crc16Apply(mx: CrcMatrix, crc: number, data: bigint): number {
  let out = 0;
  for (let i = 0; i < CRC_BITS; i++) out |= (parity(BigInt(mx.crc[i]! & crc)) ^ parity(mx.data[i]! & data)) << i;
  return out;
}

/** For each register bit: the 16-bit mask of the register that undoes `zeros` zero input bits. */
export function crc16UndoZeros(zeros: number): number[] {
  if ((CRC16.poly & 0x8000) === 0) throw new Error('crc16: a zero-input step is invertible only with the polynomial\'s top (reflected x^0) bit set');
  const back = (c0: number) => {
    let c = c0;
    for (let z = 0; z < zeros; z++) {
      const b = (c >>> 15) & 1;
      c = (((c ^ (b ? CRC16.poly : 0)) << 1) | b) & 0xffff;
    }
    return c;
  };
  const rows = new Array<number>(CRC_BITS).fill(0);
  for (let k = 0; k < CRC_BITS; k++) {
    const col = back(1 << k);
    for (let i = 0; i < CRC_BITS; i++) if ((col >>> i) & 1) rows[i]! |= 1 << k;
  }
  return rows;
}

/** The register after `zeros` zero bits undone (what the emitted undo computes). */
export function crc16ApplyUndo(rows: number[], crc: number): number {
  let out = 0;
  for (let i = 0; i < CRC_BITS; i++) out |= parity(BigInt(rows[i]! & crc)) << i;
  return out;
}

/** XOR of the bits (undefined if none). */
function xorOf(bits: Expr[]): Expr | undefined {
  if (bits.length === 0) return undefined;
  return bits.length === 1 ? bits[0]! : cat(...bits).xorR();
}

function bitsOf(e: Expr, mask: bigint): Expr[] {
  const out: Expr[] = [];
  for (let j = e.width - 1; j >= 0; j--) if ((mask >> BigInt(j)) & 1n) out.push(e.bit(j));
  return out;
}

/** The register (16 bits) after `data` (mx.width bits) from `crc`, as XOR logic. */
export function crc16ParallelExpr(mx: CrcMatrix, crc: Expr, data: Expr): Expr {
  if (crc.width !== CRC_BITS || data.width !== mx.width) throw new Error(`crc16 parallel: a ${CRC_BITS}-bit register and a ${mx.width}-bit word, not ${crc.width} and ${data.width}`);
  const outs: Expr[] = [];
  for (let i = CRC_BITS - 1; i >= 0; i--) outs.push(xorOf([...bitsOf(crc, BigInt(mx.crc[i]!)), ...bitsOf(data, mx.data[i]!)]) ?? lit(0, Bool));
  return cat(...outs);
}

/** The register with `zeros` zero input bits undone, as XOR logic. */
export function crc16UndoExpr(rows: number[], crc: Expr): Expr {
  const outs: Expr[] = [];
  for (let i = CRC_BITS - 1; i >= 0; i--) outs.push(xorOf(bitsOf(crc, BigInt(rows[i]!))) ?? lit(0, Bool));
  return cat(...outs);
}
