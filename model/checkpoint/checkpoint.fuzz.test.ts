// Fuzzing the checkpoint loader: seeded mutations of a small model's safetensors file and of its
// config.json, each loaded and run as a command would (both engines built, one token stepped). Every
// case must end in a clean one-line error naming the file, or in a correct result: for the safetensors
// file, every tensor the loader returns equals an independent decoding of the mutated bytes, all values
// within the parameter range; for config.json, the loaded config says what the JSON says. FUZZ_CASES /
// FUZZ_SEED set the run (model/fuzz-support.ts); `make test-long` runs 10,000 of each.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from './load.ts';
import { parseHgrnBitConfig } from './config.ts';
import { CheckpointError } from './errors.ts';
import { buildSafetensors, smallConfigJson, syntheticTensors } from './test-support.ts';
import { weightsFromTensors } from '../config.ts';
import { FloatModel } from '../float/float-model.ts';
import { FixedModel } from '../fixed/fixed-model.ts';
import { TokenizerError } from '../tokenizer/tokenizer.ts';
import { firstBadParameter } from '../../numerics/ranges.ts';
import { FUZZ_CASES, FUZZ_SEED, cleanErrorOf, mutateBytes, mutateJson, runFuzz, type Outcome } from '../fuzz-support.ts';

const dir = mkdtempSync(join(tmpdir(), 'mmf-fuzz-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const modelFile = join(dir, 'model.safetensors');
const configFile = join(dir, 'config.json');

// vocab 256 so the byte-level tokenizer applies; 2 layers of hidden 8: about 14 KB of bf16.
const configJson = smallConfigJson({ vocab_size: 256 });
const config = parseHgrnBitConfig(configJson, 'config.json');
const original = buildSafetensors(syntheticTensors(config, 'BF16'));
const headerEnd = 8 + Number(original.readBigUInt64LE(0));

/** Everything a command does before its first output: load, both engines, one step each, finite logits. */
function run(): { tensors: Map<string, Float32Array>; config: ReturnType<typeof loadCheckpoint>['config'] } {
  const ck = loadCheckpoint(dir);
  const w = weightsFromTensors(ck.config, ck.tensor);
  for (const e of [new FloatModel(w), FixedModel.fromSource(w)]) {
    const logits = e.step(e.newState() as never, 65);
    if (!Array.from(logits).every(Number.isFinite)) throw new Error('non-finite logits from an accepted model');
  }
  return { tensors: new Map(ck.names.map((n) => [n, ck.tensor(n)])), config: ck.config };
}

/** An independent reading of a safetensors file: JSON.parse of the header, each tensor decoded by hand. */
function referenceDecode(bytes: Buffer): Map<string, Float32Array> | string {
  const len = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + len).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const out = new Map<string, Float32Array>();
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const at = 8 + len + e.data_offsets[0];
    const n = e.shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    const u = new Uint32Array(v.buffer);
    for (let i = 0; i < n; i++) {
      if (e.dtype === 'BF16') u[i] = bytes.readUInt16LE(at + 2 * i) << 16;
      else if (e.dtype === 'F32') v[i] = bytes.readFloatLE(at + 4 * i);
      else if (e.dtype === 'F16') {
        const h = bytes.readUInt16LE(at + 2 * i);
        const ex = (h >> 10) & 31;
        const m = h & 1023;
        v[i] = (h & 0x8000 ? -1 : 1) * (ex === 0 ? m * 2 ** -24 : ex === 31 ? (m ? NaN : Infinity) : (1 + m / 1024) * 2 ** (ex - 15));
      } else return `dtype ${e.dtype} accepted`;
    }
    out.set(name, v);
  }
  return out;
}

const sameBits = (a: Float32Array, b: Float32Array) => a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('fuzz: checkpoint inputs', () => {
  it(`safetensors: ${FUZZ_CASES} seeded mutations, each a clean error or a correct result`, () => {
    writeFileSync(configFile, JSON.stringify(configJson));
    const r = runFuzz(
      'safetensors',
      FUZZ_CASES,
      FUZZ_SEED,
      (rnd): Outcome => {
        const bytes = mutateBytes(rnd, original, [0, headerEnd]);
        writeFileSync(modelFile, bytes);
        const got = run();
        const want = referenceDecode(bytes);
        if (typeof want === 'string') return { kind: 'wrong', why: want };
        if (want.size !== got.tensors.size) return { kind: 'wrong', why: `${got.tensors.size} tensors loaded, the header lists ${want.size}` };
        for (const [name, v] of got.tensors) {
          const w = want.get(name);
          if (!w || !sameBits(v, w)) return { kind: 'wrong', why: `tensor ${name} differs from the bytes` };
          if (firstBadParameter(v) >= 0) return { kind: 'wrong', why: `tensor ${name} holds a value outside the range` };
        }
        return { kind: 'correct' };
      },
      cleanErrorOf([CheckpointError], modelFile),
    );
    expect(r.examples).toEqual([]);
    expect([r.crashes, r.hangs, r.silentWrong]).toEqual([0, 0, 0]);
    expect(r.cleanErrors + r.correct).toBe(FUZZ_CASES);
  }, 30 * 60_000);

  it(`config.json: ${FUZZ_CASES} seeded mutations, each a clean error or a correct result`, () => {
    writeFileSync(modelFile, original);
    const fields: [string, keyof ReturnType<typeof run>['config']][] = [
      ['hidden_size', 'hiddenSize'],
      ['num_hidden_layers', 'numLayers'],
      ['vocab_size', 'vocabSize'],
      ['intermediate_size', 'intermediateSize'],
      ['rms_norm_eps', 'rmsNormEps'],
      ['use_lower_bound', 'useLowerBound'],
      ['tie_word_embeddings', 'tieWordEmbeddings'],
    ];
    const r = runFuzz(
      'config.json',
      FUZZ_CASES,
      FUZZ_SEED,
      (rnd): Outcome => {
        const text = mutateJson(rnd, configJson);
        writeFileSync(configFile, text, 'latin1');
        const got = run();
        const json = JSON.parse(Buffer.from(text, 'latin1').toString('utf8')) as Record<string, unknown>;
        for (const [k, field] of fields) {
          if (k in json && json[k] !== null && json[k] !== got.config[field]) return { kind: 'wrong', why: `${k} is ${JSON.stringify(json[k])}, loaded as ${String(got.config[field])}` };
        }
        return { kind: 'correct' };
      },
      (err) => cleanErrorOf([CheckpointError, TokenizerError], configFile)(err) || cleanErrorOf([CheckpointError], modelFile)(err) || cleanErrorOf([TokenizerError], dir)(err),
    );
    expect(r.examples).toEqual([]);
    expect([r.crashes, r.hangs, r.silentWrong]).toEqual([0, 0, 0]);
    expect(r.correct).toBeGreaterThan(0);
  }, 30 * 60_000);
});
