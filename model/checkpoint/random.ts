// Random-weight checkpoints in the upstream layout (config.json with model_type hgrn_bit, one bf16
// model.safetensors with upstream's tensor names), of the released shapes or any other, so real sizes
// can be run and co-simulated offline. The values are model/random-values.ts's rule, drawn from one
// mulberry32 generator seeded with the seed, tensor after tensor in modelTensors order: the file holds
// the bf16 rounding (to nearest even) of exactly what sim/random-model.ts's randomModel(shape, seed)
// holds, and the same shape and seed give the same bytes on every machine.
//
// A 2.7B file is 5.4 GB, so nothing is held whole: the header (computable from the shape alone) is
// written first, then each tensor in chunks of CHUNK values, generated while the previous chunk is
// being written. Everything goes to temporary files in the target folder, renamed at the end; a failed
// or interrupted run removes them (and the folder, when it made it), so it leaves nothing.
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmdirSync, statfsSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { endianness } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { type ModelShape, modelTensors } from '../config.ts';
import { fillRandomValues } from '../random-values.ts';
import { byteLevelTokenizerJson } from '../tokenizer/byte-level-json.ts';
import { seededRandom } from '../../util/prng.ts';
import { CONFIG_FILE, INDEX_FILE, SINGLE_FILE } from './load.ts';

/** The released MatMul-free LM shapes (ridger/MMfreeLM-*); I follows upstream's rule from d. */
export const RELEASED_SHAPES: Readonly<Record<string, ModelShape>> = {
  '370m': released(1024, 24, 2816),
  '1.3b': released(2048, 24, 5632),
  '2.7b': released(2560, 32, 6912),
};

function released(hiddenSize: number, numLayers: number, intermediateSize: number): ModelShape {
  return { hiddenSize, numLayers, intermediateSize, vocabSize: 32000, rmsNormEps: 1e-6, useLowerBound: true };
}

/** Largest accepted dimension: keeps every size and offset a safe integer, far beyond real models. */
export const MAX_DIMENSION = 1 << 24;

/** '370m', '1.3b', '2.7b' (any case) or 'D:L:I:V' (hidden:layers:intermediate:vocab). */
export function parseShape(text: string): ModelShape {
  const preset = RELEASED_SHAPES[text.toLowerCase()];
  if (preset) return { ...preset };
  const bad = (why: string): never => {
    throw new Error(`shape '${text}': ${why}`);
  };
  const parts = text.split(':');
  if (parts.length !== 4) bad(`expected ${Object.keys(RELEASED_SHAPES).join(', ')} or D:L:I:V (hidden:layers:intermediate:vocab)`);
  const names = ['hidden size D', 'layers L', 'intermediate size I', 'vocabulary V'];
  const [hiddenSize, numLayers, intermediateSize, vocabSize] = parts.map((p, i) => {
    if (!/^[0-9]+$/.test(p)) bad(`${names[i]} '${p}' is not a positive integer`);
    const n = Number(p);
    if (n < 1 || n > MAX_DIMENSION) bad(`${names[i]} ${p} is outside 1..${MAX_DIMENSION}`);
    return n;
  }) as [number, number, number, number];
  return { hiddenSize, numLayers, intermediateSize, vocabSize, rmsNormEps: 1e-6, useLowerBound: true };
}

export type RandomTokenizer = 'byte' | 'none';

export interface RandomCheckpointOptions {
  /**
   * byte: text is read as UTF-8 bytes (vocab 256: the loader's own rule; larger: a byte-level
   * tokenizer.json is written); none: no tokenizer, prompts are token ids. Default: byte for vocab 256.
   */
  tokenizer?: RandomTokenizer;
  /** Aborting stops the writing between chunks and removes what was written. */
  signal?: AbortSignal;
  /** Called after each chunk with the bytes of model.safetensors written so far and its size. */
  onProgress?: (written: number, total: number) => void;
}

export interface RandomCheckpoint {
  dir: string;
  files: string[];
  /** Size of model.safetensors. */
  bytes: number;
  parameterCount: number;
}

/** Values generated (and written) at a time: 2 MB of bf16. */
const CHUNK = 1 << 20;

/** The safetensors header of the checkpoint: tensors back to back in modelTensors order, bf16. */
export function randomCheckpointHeader(shape: ModelShape, seed: number): { header: Buffer; dataBytes: number; parameterCount: number } {
  const json: Record<string, unknown> = { __metadata__: { format: 'pt', 'mmf.random.seed': String(seed) } };
  let offset = 0;
  for (const t of modelTensors(shape)) {
    const bytes = 2 * t.shape.reduce((a, b) => a * b, 1);
    json[t.name] = { dtype: 'BF16', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let text = JSON.stringify(json);
  text += ' '.repeat((8 - (Buffer.byteLength(text) % 8)) % 8); // the reference writer pads to 8 bytes
  const body = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8 + body.length);
  header.writeBigUInt64LE(BigInt(body.length));
  body.copy(header, 8);
  return { header, dataBytes: offset, parameterCount: offset / 2 };
}

/** config.json as upstream's released checkpoints have it, with the shape's sizes. */
export function randomCheckpointConfig(shape: ModelShape, seed: number): Record<string, unknown> {
  const V = shape.vocabSize;
  return {
    architectures: ['HGRNBitForCausalLM'],
    attn_mode: 'fused_recurrent',
    bos_token_id: V > 1 ? 1 : null,
    conv_size: 4,
    eos_token_id: V > 2 ? 2 : null,
    expand_ratio: 1,
    fuse_cross_entropy: true,
    hidden_act: 'swish',
    hidden_ratio: 4,
    hidden_size: shape.hiddenSize,
    initializer_range: 0.02,
    intermediate_size: shape.intermediateSize,
    max_position_embeddings: 2048,
    model_type: 'hgrn_bit',
    num_heads: 1,
    num_hidden_layers: shape.numLayers,
    pad_token_id: null,
    rms_norm_eps: shape.rmsNormEps,
    share_conv_kernel: true,
    tie_word_embeddings: false,
    torch_dtype: 'bfloat16',
    use_cache: true,
    use_lower_bound: shape.useLowerBound !== false,
    use_short_conv: false,
    vocab_size: V,
    // An FFF shape (channelMixer 'fff', intermediateSize its 2^(D+1) - 1 nodes): the tree in place of the GLU.
    ...(shape.channelMixer === 'fff' ? { channel_mixer: 'fff', fff_depth: shape.fffDepth } : {}),
    mmf_random_seed: seed,
  };
}

/** float32 values to bf16 bit patterns, rounded to nearest even (the values are finite). */
function toBf16(src: Float32Array, dst: Uint16Array): void {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < src.length; i++) {
    const x = bits[i]!;
    dst[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
  }
}

function checkArguments(shape: ModelShape, seed: number, tokenizer: RandomTokenizer): void {
  for (const [k, v] of Object.entries({ hiddenSize: shape.hiddenSize, numLayers: shape.numLayers, intermediateSize: shape.intermediateSize, vocabSize: shape.vocabSize })) {
    if (!Number.isSafeInteger(v) || v < 1 || v > MAX_DIMENSION) throw new Error(`random checkpoint: ${k} ${v} is outside 1..${MAX_DIMENSION}`);
  }
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`random checkpoint: seed ${seed} is not an integer in 0..4294967295`);
  if (tokenizer === 'byte' && shape.vocabSize < 256) throw new Error(`--tokenizer byte needs a vocabulary of at least 256, the shape has ${shape.vocabSize}`);
  if (tokenizer === 'none' && shape.vocabSize === 256) {
    throw new Error('--tokenizer none: a vocabulary of 256 without tokenizer.json is read as bytes (model/tokenizer/load.ts); choose another vocabulary');
  }
}

/** The folder to write into: created when missing; refused when it is a file or already holds a checkpoint. */
function prepareDir(dir: string): { made: string | undefined } {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new Error(`${dir}: exists and is not a directory`);
    for (const f of [SINGLE_FILE, INDEX_FILE, CONFIG_FILE, 'tokenizer.json']) {
      if (existsSync(join(dir, f))) throw new Error(`${dir}: already holds ${f}; write the random checkpoint to another folder`);
    }
    return { made: undefined };
  }
  try {
    return { made: mkdirSync(dir, { recursive: true }) };
  } catch (err) {
    throw new Error(`${dir}: cannot create the folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

const gb = (n: number) => `${(n / 1e9).toFixed(2)} GB`;

/**
 * Writes config.json, model.safetensors and (for `--tokenizer byte` beyond 256 ids) tokenizer.json of
 * a random-weight model of `shape` into `dir`.
 */
export async function writeRandomCheckpoint(shape: ModelShape, seed: number, dir: string, opts: RandomCheckpointOptions = {}): Promise<RandomCheckpoint> {
  const tokenizer = opts.tokenizer ?? (shape.vocabSize === 256 ? 'byte' : 'none');
  checkArguments(shape, seed, tokenizer);
  const target = resolve(dir);
  const { header, dataBytes, parameterCount } = randomCheckpointHeader(shape, seed);
  const fileBytes = header.length + dataBytes;
  const { made } = prepareDir(target);

  const outputs: { tmp: string; final: string }[] = [];
  const temp = (name: string) => {
    const o = { tmp: join(target, `.${name}.${process.pid}.tmp`), final: join(target, name) };
    outputs.push(o);
    return o.tmp;
  };
  try {
    const free = statfsSync(target);
    const available = Number(free.bavail) * Number(free.bsize);
    if (fileBytes > available) throw new Error(`${target}: the checkpoint needs ${gb(fileBytes)} (${fileBytes} bytes), only ${gb(available)} free`);

    writeFileSync(temp(CONFIG_FILE), JSON.stringify(randomCheckpointConfig(shape, seed), null, 2) + '\n');
    if (tokenizer === 'byte' && shape.vocabSize > 256) writeFileSync(temp('tokenizer.json'), JSON.stringify(byteLevelTokenizerJson(shape.vocabSize)));
    await writeTensors(temp(SINGLE_FILE), header, shape, seed, opts);
    for (const o of outputs) renameSync(o.tmp, o.final);
  } catch (err) {
    for (const o of outputs) {
      try {
        unlinkSync(o.tmp);
      } catch {
        // not written yet
      }
    }
    if (made !== undefined) removeMadeFolders(target, made);
    throw err;
  }
  return { dir: target, files: outputs.map((o) => o.final), bytes: fileBytes, parameterCount };
}

async function writeTensors(path: string, header: Buffer, shape: ModelShape, seed: number, opts: RandomCheckpointOptions): Promise<void> {
  const total = header.length + 2 * modelTensors(shape).reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
  // Created synchronously first, so the temporary file exists as soon as anything was decided.
  closeSync(openSync(path, 'wx'));
  const fh = await open(path, 'r+');
  try {
    await fh.write(header, 0, header.length, 0);
    const rnd = seededRandom(seed);
    const values = new Float32Array(CHUNK);
    // Two output buffers: one is being written while the next chunk is generated into the other.
    const out = [new Uint16Array(CHUNK), new Uint16Array(CHUNK)];
    let pending: Promise<unknown> = Promise.resolve();
    let position = header.length;
    let k = 0;
    for (const t of modelTensors(shape)) {
      const n = t.shape.reduce((a, b) => a * b, 1);
      for (let done = 0; done < n; done += CHUNK) {
        if (opts.signal?.aborted) throw new Error('interrupted: nothing was written');
        const len = Math.min(CHUNK, n - done);
        const v = values.subarray(0, len);
        fillRandomValues(t, rnd, v);
        await pending; // the buffer about to be filled was the one written two chunks ago
        const o = out[k]!.subarray(0, len);
        toBf16(v, o);
        const bytes = Buffer.from(o.buffer, o.byteOffset, o.byteLength);
        if (endianness() !== 'LE') bytes.swap16();
        pending = fh.write(bytes, 0, bytes.length, position);
        position += bytes.length;
        k ^= 1;
        opts.onProgress?.(position, total);
      }
    }
    await pending;
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Removes the folders this run created (innermost first), only while they are empty. */
function removeMadeFolders(target: string, made: string): void {
  for (let d = target; ; d = dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return;
    }
    if (d === made || dirname(d) === d) return;
  }
}
