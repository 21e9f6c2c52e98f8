// A checkpoint as the engines' WeightSource without a float32 copy of its matrices: each projection is
// ternarised straight from its file, in chunks (one pass over the tensor's bytes for the absmean scale,
// a second for the codes, packed at 2 bits a weight as they come), and the embedding table stays in its
// stored dtype (bf16: half of float32), its rows converted when a token needs them. A 1.3B bf16
// checkpoint (2.6 GB) loads in about 325 MB of packed codes plus 131 MB of embeddings.
//
// The numbers are those of Checkpoint.tensor + TernaryMatrix.fromFloat: the same float32 values (the
// same exact decoding), the same sum of |w| in the same order, the same rounding per weight.
// Every value read from a file passes through readChunks, which refuses what values.ts refuses.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Checkpoint } from './load.ts';
import { CheckpointError } from './errors.ts';
import { DTYPE_SIZE, decodeToFloat32, type SafetensorsFile } from './safetensors.ts';
import { checkTensorValues } from './values.ts';
import type { RowTable, WeightSource } from '../config.ts';
import { TernaryMatrix, absmeanScale, allocateTernaryWords, ternaryCode, wordsPerRow } from '../../numerics/ternary.ts';
import { TERNARY_2BIT } from '../../numerics/formats.ts';

/** Values read at a time: 4 MB of float32 (2 MB of bf16) in flight per tensor. */
export const CHUNK_VALUES = 1 << 20;

/**
 * Calls `each` with a tensor's values in order, `values.length` at a time (at most chunkValues), as
 * float32 with `first` the flat index of values[0] and `raw` the stored bytes they came from. Every
 * value is checked (values.ts) before `each` sees it.
 */
export function readChunks(
  file: SafetensorsFile,
  name: string,
  each: (values: Float32Array, first: number, raw: Uint8Array) => void,
  chunkValues = CHUNK_VALUES,
): void {
  const info = file.tensors.get(name);
  if (!info) throw new CheckpointError(file.path, 'no such tensor in the file', { tensor: name });
  const size = DTYPE_SIZE[info.dtype];
  const count = info.byteLength / size;
  let fd: number;
  try {
    fd = openSync(file.path, 'r');
  } catch (err) {
    throw new CheckpointError(file.path, `cannot open (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { tensor: name });
  }
  try {
    const now = fstatSync(fd).size;
    if (now !== file.fileSize) throw new CheckpointError(file.path, `file changed since its header was read (${file.fileSize} -> ${now} bytes)`, { tensor: name });
    const buf = Buffer.alloc(Math.min(count, chunkValues) * size);
    const decoded = new Float32Array(Math.min(count, chunkValues));
    for (let first = 0; first < count; first += chunkValues) {
      const n = Math.min(chunkValues, count - first);
      const raw = new Uint8Array(buf.buffer, buf.byteOffset, n * size);
      const at = info.byteOffset + first * size;
      for (let done = 0; done < raw.length; ) {
        const got = readSync(fd, raw, done, raw.length - done, at + done);
        if (got === 0) throw new CheckpointError(file.path, 'unexpected end of file (truncated?)', { tensor: name, bytes: [at + done, at + raw.length] });
        done += got;
      }
      const values = decodeToFloat32(info.dtype, raw, decoded);
      checkTensorValues(file.path, name, values, { first, shape: info.shape, byteOffset: info.byteOffset, elementBytes: size });
      each(values, first, raw);
    }
  } finally {
    closeSync(fd);
  }
}

/** TernaryMatrix.fromFloat(ck.tensor(name), rows, cols), computed from the file chunk by chunk. */
export function ternaryFromFile(file: SafetensorsFile, name: string, rows: number, cols: number, chunkValues = CHUNK_VALUES): TernaryMatrix {
  const count = rows * cols;
  const info = file.tensors.get(name);
  if (!info || info.byteLength !== count * DTYPE_SIZE[info.dtype]) {
    throw new CheckpointError(file.path, `expected a ${rows} x ${cols} tensor`, { tensor: name });
  }
  let sum = 0;
  readChunks(file, name, (v) => {
    let s = sum; // one float64 sum in element order, as ternarize adds
    for (let i = 0; i < v.length; i++) s += Math.abs(v[i]!);
    sum = s;
  }, chunkValues);
  const scale = absmeanScale(sum, count);
  const wpr = wordsPerRow(cols);
  const words = allocateTernaryWords(rows, cols);
  // Codes are ORed into the words in place: a chunk may end anywhere in a row or a word.
  readChunks(file, name, (v, first) => {
    const r0 = Math.floor(first / cols);
    let c = first - r0 * cols;
    let at = r0 * wpr; // the current row's first word
    let word = words[at + (c >> 4)]!; // the word being filled (a chunk may start inside it)
    for (let i = 0; i < v.length; i++) {
      const code = ternaryCode(v[i]!, scale);
      if (code !== 0) word |= (code === 1 ? TERNARY_2BIT.plus : TERNARY_2BIT.minus) << (2 * (c & 15));
      c++;
      if ((c & 15) === 0 || c === cols) {
        words[at + ((c - 1) >> 4)] = word;
        word = 0;
        if (c === cols) {
          c = 0;
          at += wpr;
        }
      }
    }
    if ((c & 15) !== 0) words[at + (c >> 4)] = word; // a chunk that ends inside a word
  }, chunkValues);
  return new TernaryMatrix(rows, cols, { words }, scale);
}

/** A [rows, cols] tensor kept as its stored bytes (every value checked on the way in), rows decoded on demand. */
export function rowTableFromFile(file: SafetensorsFile, name: string, rows: number, cols: number): RowTable {
  const info = file.tensors.get(name);
  if (!info || info.byteLength !== rows * cols * DTYPE_SIZE[info.dtype]) {
    throw new CheckpointError(file.path, `expected a ${rows} x ${cols} tensor`, { tensor: name });
  }
  const stored = new Uint8Array(info.byteLength);
  const size = DTYPE_SIZE[info.dtype];
  readChunks(file, name, (_v, first, raw) => stored.set(raw, first * size));
  const rowBytes = cols * size;
  return {
    rows,
    cols,
    row(r, out) {
      if (!(Number.isInteger(r) && r >= 0 && r < rows)) throw new RangeError(`row ${r} outside ${name}'s ${rows} rows`);
      out.set(decodeToFloat32(info.dtype, stored.subarray(r * rowBytes, (r + 1) * rowBytes)));
    },
  };
}

/**
 * The checkpoint's weights for the engines: projections ternarised from the files (each once, shared by
 * every engine built from this source), vectors as checked float32 (Checkpoint.tensor), the embedding
 * table compact. lm_head of a tied checkpoint is ternarised from the embeddings' bytes.
 */
export function streamingWeights(ck: Checkpoint): WeightSource {
  const matrices = new Map<string, TernaryMatrix>();
  const tables = new Map<string, RowTable>();
  return {
    config: ck.config,
    vector: (name) => ck.tensor(name),
    ternary(name, rows, cols) {
      let m = matrices.get(name);
      if (!m) {
        const at = ck.locate(name);
        matrices.set(name, (m = ternaryFromFile(at.file, at.name, rows, cols)));
      }
      if (m.rows !== rows || m.cols !== cols) throw new CheckpointError(ck.dir, `asked for ${rows} x ${cols}, the tensor is ${m.rows} x ${m.cols}`, { tensor: name });
      return m;
    },
    table(name, rows, cols) {
      let t = tables.get(name);
      if (!t) {
        const at = ck.locate(name);
        tables.set(name, (t = rowTableFromFile(at.file, at.name, rows, cols)));
      }
      return t;
    },
  };
}
