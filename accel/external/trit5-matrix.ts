// A ternary matrix in the external target's DRAM image at 1.6 bits a weight: the 5-trit byte code of
// the packed model format (numerics/ternary-5trit.ts), laid out in the order the matvec unit consumes
// its weights, so more weights arrive per port word than with the 2-bit code the matvec unit takes
// (a 64-bit word brings 40 weights instead of 32). accel/units/trit5-gearbox.ts turns the bytes back
// into the matvec unit's words in logic.
//
// Layout, for P lanes and W-bit port words (B = W / 8 bytes):
//   - each row is ceil(cols / P) chunks of P weights, the last one padded with zero weights, exactly
//     the matvec unit's words (accel/units/matvec-unit.ts packWeightHalfwords);
//   - each chunk is ceil(P / 5) bytes of the byte code (its padding trits are code 0 too);
//   - chunks follow one another with no gap, across rows, so a chunk may straddle two port words (13
//     bytes for P = 64 against 8-byte words: nothing is lost to alignment);
//   - the matrix starts on a port word and its bytes are padded to whole words with TRIT5.zeroByte,
//     so every byte of the run is a 5-trit byte (a reader can refuse anything above 242 anywhere).
// Byte i of the run is byte i mod B of word floor(i / B), words little endian as in the image.
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

/** Bytes of one chunk of P weights: ceil(P / 5). */
export function trit5ChunkBytes(lanes: number): number {
  checkLanes(lanes);
  return trit5Bytes(lanes);
}

/** Chunks of a matrix: rows x ceil(cols / P), one matvec word each. */
export function trit5MatrixChunks(rows: number, cols: number, lanes: number): number {
  checkLanes(lanes);
  checkShape(rows, cols, 1);
  return rows * Math.ceil(cols / lanes);
}

/** Port words a matrix's bytes take: ceil(chunks x ceil(P / 5) / B). */
export function trit5MatrixWords(rows: number, cols: number, lanes: number, wordBytes: number): number {
  checkShape(rows, cols, wordBytes);
  return trit5ChunkRunWords(trit5MatrixChunks(rows, cols, lanes), lanes, wordBytes);
}

/** Port words `chunks` consecutive chunks take, the last word padded (what the gearbox pulls for them). */
export function trit5ChunkRunWords(chunks: number, lanes: number, wordBytes: number): number {
  return Math.ceil((chunks * trit5ChunkBytes(lanes)) / wordBytes);
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
  const chunkBytes = trit5ChunkBytes(lanes);
  const bytes = new Uint8Array(words * wordBytes).fill(TRIT5.zeroByte);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < perRow; k++) {
      const from = k * lanes;
      encode5trit(codes, r * cols + from, Math.min(lanes, cols - from), bytes, (r * perRow + k) * chunkBytes);
    }
  }
  return { bytes, words, chunks: rows * perRow };
}

/**
 * The codes back from a run (the inverse of packTrit5Matrix), refusing a run of the wrong length, a
 * byte above 242, a padding trit that is not code 0 or a padding byte that is not TRIT5.zeroByte, with
 * the byte's offset in the run.
 */
export function unpackTrit5Matrix(bytes: Uint8Array, rows: number, cols: number, lanes: number, wordBytes: number): Int8Array {
  const words = trit5MatrixWords(rows, cols, lanes, wordBytes);
  if (bytes.length !== words * wordBytes) throw new RangeError(`trit5 matrix: a ${rows} x ${cols} matrix at ${lanes} lanes takes ${words * wordBytes} bytes, got ${bytes.length}`);
  const perRow = Math.ceil(cols / lanes);
  const chunkBytes = trit5ChunkBytes(lanes);
  const codes = new Int8Array(rows * cols);
  const used = rows * perRow * chunkBytes;
  for (let at = 0; at < bytes.length; at++) {
    const b = bytes[at]!;
    if (b > TRIT5.maxByte) throw new RangeError(`trit5 matrix: byte ${at} is ${b}, above ${TRIT5.maxByte}`);
    if (at >= used) {
      if (b !== TRIT5.zeroByte) throw new RangeError(`trit5 matrix: padding byte ${at} is ${b}, not ${TRIT5.zeroByte}`);
      continue;
    }
    const chunk = Math.floor(at / chunkBytes);
    const r = Math.floor(chunk / perRow);
    const c0 = (chunk % perRow) * lanes + (at % chunkBytes) * TRIT5.tritsPerByte;
    const t = TRIT5_DECODE[b]!;
    for (let k = 0; k < TRIT5.tritsPerByte; k++) {
      const c = c0 + k;
      const inChunk = (at % chunkBytes) * TRIT5.tritsPerByte + k < lanes;
      if (c < cols && inChunk) codes[r * cols + c] = t[k]!;
      else if (t[k] !== 0) throw new RangeError(`trit5 matrix: byte ${at} has a non-zero padding weight`);
    }
  }
  return codes;
}
