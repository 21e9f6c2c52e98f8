// The DRAM image of the external target: every word the accelerator reads for a token, laid out in the
// order it is read, so a token is three long sequential reads and the weight port never seeks:
//
//   routine head   the EMBED instruction
//   (embedding)    the token's row: one word holding its 16-bit row scale, then its int8 codes
//   routine body   every later instruction, each followed by the words it consumes:
//                    element op with wsel = param    its n parameter words (16 bits each)
//                    BITLINEAR                        its n norm words for pass 1, again for pass 2, then
//                                                     the matrix: at 2 bits rows x ceil(n / P) words of P
//                                                     codes; at 5 trits the same chunks of P codes five to
//                                                     a byte, back to back (trit5-matrix.ts)
//   CLEAR routine  its instructions (they consume nothing)
//   embeddings     V rows of 1 + ceil(d / (W / 8)) words
//
// W = 16 B bits is the port width, the generic layout's wide word (B banks of 16 bits): 2-bit matrices
// and embedding codes are copied word for word from that image (accel/program.ts), 5-trit matrices are
// that image's codes repacked, parameter vectors are packed B to a word from a word boundary. The norm vector is stored twice rather than buffered on chip:
// 32 bits per column against 2 bits per weight of the matrix that follows (1.6% more bytes at d = 1024).
import { WSEL, type Instruction } from '../isa.ts';
import type { AccelProgram } from '../program.ts';
import type { AccelGeometry } from '../config.ts';
import { matvecChunks } from '../units/matvec-unit.ts';
import { TERNARY_2BIT } from '../../numerics/formats.ts';
import { packTrit5Matrix, trit5MatrixWords } from './trit5-matrix.ts';

/** A run of W-bit words in the image. */
export interface Segment {
  start: number;
  words: number;
}

export interface ExternalImage {
  /** Port width W in bits, and in bytes. */
  wordBits: number;
  wordBytes: number;
  /** The image, word a at bytes [a W/8, (a + 1) W/8), little endian. */
  bytes: Uint8Array;
  /** Words of the image. */
  words: number;
  /** The token routine before the embedding row (the EMBED instruction) and after it. */
  head: Segment;
  body: Segment;
  clear: Segment;
  /** First word of row 0 and words per row (the row scale's word included). */
  embeddings: { start: number; rowWords: number };
  /** Words read per token: head, one embedding row, body. */
  wordsPerToken: number;
  /**
   * The bytes of the model a token needs, however it is stored: its ternary weights at 2 bits (1.6 at 5 trits), each
   * parameter vector once at 16 bits, the embedding row (d int8 codes and the 16-bit scale). What the
   * image adds (instructions, the norm vectors' second copy, padding to whole words) is the design's
   * overhead, so the memory-roofline bound is taken on this figure.
   */
  modelBytesPerToken: number;
  /** The largest run of words a single pass consumes (a parameter vector, an embedding row's codes): the prefetch buffer must hold it. */
  longestPass: number;
  /** For the manifest: where each instruction's words start. */
  listing: { note: string; word: number; words: number }[];
}

/** The 16-bit parameter words of an instruction's vector: an element op's with wsel = param, a BITLINEAR's norm. */
function paramVector(ins: Instruction): number {
  const reads = (ins.op === 'element' && (ins.wsel ?? WSEL.param) === WSEL.param) || ins.op === 'bitlinear';
  return reads ? (ins.n ?? 0) : 0;
}

/** Port words of a BITLINEAR's matrix in the image. */
export function matrixWords(ins: Instruction, g: AccelGeometry): number {
  const rows = ins.rows ?? 0;
  const cols = ins.n ?? 0;
  return g.packing === '5trit' ? trit5MatrixWords(rows, cols, g.lanes, 2 * g.banks) : rows * matvecChunks(cols, g.lanes);
}

/** Words an instruction consumes after its own words (the embedding row is not inline). */
export function inlineWords(ins: Instruction, g: AccelGeometry): number {
  const paramWords = Math.ceil(paramVector(ins) / g.banks);
  if (ins.op === 'bitlinear') return 2 * paramWords + matrixWords(ins, g);
  return paramWords;
}

/** The padded 2-bit matrix of the generic image from halfword `from` (rows x chunks x P codes) as codes -1, 0, +1. */
function codesOf(src: Uint16Array, from: number, rows: number, cols: number, lanes: number): Int8Array {
  const n = rows * matvecChunks(cols, lanes) * lanes;
  const codes = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    const c = (src[from + (i >> 3)]! >> (2 * (i & 7))) & 3;
    codes[i] = c === TERNARY_2BIT.plus ? 1 : c === TERNARY_2BIT.minus ? -1 : 0;
  }
  return codes;
}

export function externalImage(prog: AccelProgram): ExternalImage {
  const g = prog.geometry;
  const B = g.banks;
  const wordBytes = 2 * B;
  const iw = prog.instructionWideWords;
  const [first, ...rest] = prog.instructions;
  if (first?.op !== 'embed') throw new Error('external image: the token routine must start with EMBED');
  const rowWords = 1 + g.embedRowWords;
  const consumed = (ins: Instruction) => iw + inlineWords(ins, g);
  const bodyWords = rest.reduce((n, ins) => n + consumed(ins), 0);
  const clearWords = prog.clearInstructions.reduce((n, ins) => n + consumed(ins), 0);
  const head: Segment = { start: 0, words: iw };
  const body: Segment = { start: iw, words: bodyWords };
  const clear: Segment = { start: body.start + bodyWords, words: clearWords };
  const embStart = clear.start + clearWords;
  const words = embStart + g.V * rowWords;
  const bytes = new Uint8Array(words * wordBytes);
  const src = new Uint8Array(prog.image.buffer, prog.image.byteOffset, prog.image.byteLength);
  const listing: ExternalImage['listing'] = [];

  let at = 0; // the word being written
  let longestPass = g.embedRowWords;
  // 16-bit words [from, from + n) of the generic image, packed from a word boundary.
  const params = (from: number, n: number) => {
    bytes.set(src.subarray(2 * from, 2 * (from + n)), at * wordBytes);
    at += Math.ceil(n / B);
    longestPass = Math.max(longestPass, Math.ceil(n / B));
  };
  const emit = (ins: Instruction, rom: bigint) => {
    const begin = at;
    for (let k = 0; k < iw; k++, at++) {
      for (let i = 0; i < wordBytes; i++) bytes[at * wordBytes + i] = Number((rom >> BigInt(8 * (k * wordBytes + i))) & 0xffn);
    }
    const n = ins.n ?? 0;
    if (ins.op === 'element' && paramVector(ins) > 0) params(ins.param ?? 0, n);
    if (ins.op === 'bitlinear') {
      params(ins.param ?? 0, n);
      params(ins.param ?? 0, n);
      const matWords = matrixWords(ins, g);
      if (g.packing === '5trit') {
        const rows = ins.rows ?? 0;
        const padded = matvecChunks(n, g.lanes) * g.lanes;
        const run = packTrit5Matrix(codesOf(prog.image, (ins.wbase ?? 0) * B, rows, n, g.lanes), rows, padded, g.lanes, wordBytes);
        bytes.set(run.bytes, at * wordBytes);
      } else {
        const from = (ins.wbase ?? 0) * wordBytes;
        bytes.set(src.subarray(from, from + matWords * wordBytes), at * wordBytes);
      }
      at += matWords;
    }
    listing.push({ note: ins.note, word: begin, words: at - begin });
  };
  const all = [...prog.instructions, ...prog.clearInstructions];
  all.forEach((ins, k) => emit(ins, prog.rom[k]!));
  if (at !== embStart) throw new Error(`external image: ${at} words laid out, ${embStart} expected`);

  // Embedding rows: the row scale's word, then the codes word for word from the generic image.
  for (let v = 0; v < g.V; v++) {
    const row = embStart + v * rowWords;
    const scale = prog.image[first.param! + v]!;
    bytes[row * wordBytes] = scale & 0xff;
    bytes[row * wordBytes + 1] = scale >> 8;
    const from = (first.wbase! + v * g.embedRowWords) * wordBytes;
    bytes.set(src.subarray(from, from + g.embedRowWords * wordBytes), (row + 1) * wordBytes);
  }
  const paramBytes = prog.instructions.reduce((n, ins) => n + 2 * paramVector(ins), 0);
  const modelBytesPerToken = prog.weightsPerToken * (g.packing === '5trit' ? 1.6 / 8 : 2 / 8) + paramBytes + g.d + 2;
  return {
    wordBits: 8 * wordBytes,
    wordBytes,
    bytes,
    words,
    head,
    body,
    clear,
    embeddings: { start: embStart, rowWords },
    wordsPerToken: head.words + rowWords + body.words,
    modelBytesPerToken,
    longestPass,
    listing,
  };
}

