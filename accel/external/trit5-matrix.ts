// A ternary matrix in the external target's DRAM image at 1.6 bits a weight: the 5-trit byte code of
// the packed model format (numerics/ternary-5trit.ts), so more weights arrive per port word than with
// the 2-bit code the matvec unit takes (a 64-bit word brings 40 weights instead of 32).
// accel/units/trit5-gearbox.ts turns the bytes back into the matvec unit's words in logic.
//
// Layout, for P lanes and W-bit port words (B = W / 8 bytes): the matvec unit's weight stream (rows x
// ceil(cols / P) chunks of P codes, each row padded with zero codes to whole chunks, exactly
// accel/units/matvec-unit.ts packWeightHalfwords) as one run of codes, five to a byte, with no gap at
// chunk or row boundaries: chunk k is codes [kP, (k + 1) P) of the run, so it starts at trit kP mod 5
// of byte floor(kP / 5) and may straddle bytes and port words. That is pack5trit of the padded stream,
// the packed file's own encoding (model/packed/format.ts), and exactly 1.6 bits a weight: storing each
// chunk in whole bytes instead would take ceil(P / 5) bytes, 1.75 bits at P = 32 and 2 at P = 16.
// When cols is a multiple of P (every projection of the real shapes) the stream is the matrix in row-
// major order, so the run's bytes are the packed file's 5-trit payload of the tensor as they stand. The
// run starts on a port word; after its last code, the last byte's trits are code 0 and the bytes up to
// the word boundary are TRIT5.zeroByte, so every byte of the run is a 5-trit byte (a reader can refuse
// anything above 242 anywhere). Byte i of the run is byte i mod B of word floor(i / B), words little
// endian as in the image.
import { TRIT5, TRIT5_DECODE, encode5trit, trit5Bytes } from '../../numerics/ternary-5trit.ts';

/** Lanes the layout accepts: the matvec unit's (powers of two from 4) up to 1024. */
export const TRIT5_MAX_LANES = 1024;

function checkLanes(lanes: number): void {
  if (!Number.isInteger(lanes) || lanes < 4 || lanes > TRIT5_MAX_LANES || (lanes & (lanes - 1)) !== 0) {
    throw new RangeError(`trit5 matrix: lanes must be a power of two from 4 to ${TRIT5_MAX_LANES}, got ${lanes}`);
  }
}

function checkShape(rows: number, cols: number, wordBytes: number): void {
  if (!Number.isSafeInteger(rows) || rows < 1) throw new RangeError(`trit5 matrix: rows must be a positive integer, got ${rows}`);
  if (!Number.isSafeInteger(cols) || cols < 1) throw new RangeError(`trit5 matrix: cols must be a positive integer, got ${cols}`);
  if (!Number.isSafeInteger(wordBytes) || wordBytes < 1) throw new RangeError(`trit5 matrix: wordBytes must be a positive integer, got ${wordBytes}`);
  if (rows * cols > 2 ** 40) throw new RangeError(`trit5 matrix: ${rows} x ${cols} is more than 2^40 weights`);
}

/** Chunks of a matrix: rows x ceil(cols / P), one matvec word each. */
export function trit5MatrixChunks(rows: number, cols: number, lanes: number): number {
  checkLanes(lanes);
  checkShape(rows, cols, 1);
  return rows * Math.ceil(cols / lanes);
}

/** Bytes of `chunks` chunks of P codes, five codes a byte: ceil(chunks x P / 5). */
export function trit5RunBytes(chunks: number, lanes: number): number {
  checkLanes(lanes);
  return trit5Bytes(chunks * lanes);
}

/** Port words of `chunks` chunks, the last one padded: what the gearbox pulls for them. */
export function trit5RunWords(chunks: number, lanes: number, wordBytes: number): number {
  return Math.ceil(trit5RunBytes(chunks, lanes) / wordBytes);
}

/** Port words a matrix takes: ceil(ceil(rows x ceil(cols / P) x P / 5) / B). */
export function trit5MatrixWords(rows: number, cols: number, lanes: number, wordBytes: number): number {
  checkShape(rows, cols, wordBytes);
  return trit5RunWords(trit5MatrixChunks(rows, cols, lanes), lanes, wordBytes);
}

export interface Trit5Matrix {
  /** words x wordBytes bytes. */
  bytes: Uint8Array;
  words: number;
  chunks: number;
}

/** The run of a row-major rows x cols matrix of codes in {-1, 0, +1} (Int8Array, length rows x cols). */
export function packTrit5Matrix(codes: Int8Array, rows: number, cols: number, lanes: number, wordBytes: number): Trit5Matrix {
  const words = trit5MatrixWords(rows, cols, lanes, wordBytes);
  if (codes.length !== rows * cols) throw new RangeError(`trit5 matrix: a ${rows} x ${cols} matrix needs ${rows * cols} codes, got ${codes.length}`);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    if (c !== 0 && c !== 1 && c !== -1) throw new RangeError(`trit5 matrix: weight ${c} at (${Math.floor(i / cols)}, ${i % cols}) is not in {-1, 0, +1}`);
  }
  const perRow = Math.ceil(cols / lanes);
  const padded = new Int8Array(rows * perRow * lanes);
  for (let r = 0; r < rows; r++) padded.set(codes.subarray(r * cols, (r + 1) * cols), r * perRow * lanes);
  const bytes = new Uint8Array(words * wordBytes).fill(TRIT5.zeroByte);
  encode5trit(padded, 0, padded.length, bytes, 0);
  return { bytes, words, chunks: rows * perRow };
}

/**
 * The codes back from a run (the inverse of packTrit5Matrix), refusing a run of the wrong length, a
 * byte above 242, a non-zero weight in a row's padding or after the last chunk, or a padding byte
 * that is not TRIT5.zeroByte, with the byte's offset in the run.
 */
export function unpackTrit5Matrix(bytes: Uint8Array, rows: number, cols: number, lanes: number, wordBytes: number): Int8Array {
  const words = trit5MatrixWords(rows, cols, lanes, wordBytes);
  if (bytes.length !== words * wordBytes) throw new RangeError(`trit5 matrix: a ${rows} x ${cols} matrix at ${lanes} lanes takes ${words * wordBytes} bytes, got ${bytes.length}`);
  const rowCodes = Math.ceil(cols / lanes) * lanes;
  const used = trit5RunBytes(rows * Math.ceil(cols / lanes), lanes);
  const codes = new Int8Array(rows * cols);
  for (let at = 0; at < bytes.length; at++) {
    const b = bytes[at]!;
    if (b > TRIT5.maxByte) throw new RangeError(`trit5 matrix: byte ${at} is ${b}, above ${TRIT5.maxByte}`);
    if (at >= used) {
      if (b !== TRIT5.zeroByte) throw new RangeError(`trit5 matrix: padding byte ${at} is ${b}, not ${TRIT5.zeroByte}`);
      continue;
    }
    const t = TRIT5_DECODE[b]!;
    for (let k = 0; k < TRIT5.tritsPerByte; k++) {
      const i = at * TRIT5.tritsPerByte + k; // index in the padded stream
      const r = Math.floor(i / rowCodes);
      const c = i % rowCodes;
      if (r < rows && c < cols) codes[r * cols + c] = t[k]!;
      else if (t[k] !== 0) throw new RangeError(`trit5 matrix: byte ${at} has a non-zero padding weight`);
    }
  }
  return codes;
}
