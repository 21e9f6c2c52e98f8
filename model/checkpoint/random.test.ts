import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deriveIntermediateSize } from './config.ts';
import { loadCheckpoint } from './load.ts';
import { bf16ToFloat32, readSafetensors } from './safetensors.ts';
import { MAX_DIMENSION, parseShape, RELEASED_SHAPES, writeRandomCheckpoint } from './random.ts';
import { TempDirs } from './test-support.ts';
import { type ModelShape, modelTensors, weightsFromTensors } from '../config.ts';
import { fillRandomValues } from '../random-values.ts';
import type { Engine } from '../engine.ts';
import { FloatModel } from '../float/float-model.ts';
import { FixedModel } from '../fixed/fixed-model.ts';
import { openModel } from '../open.ts';
import { seededRandom } from '../../util/prng.ts';

const temp = new TempDirs();
afterAll(() => temp.cleanup());

const shape = (hiddenSize: number, numLayers: number, intermediateSize: number, vocabSize: number): ModelShape => ({
  hiddenSize,
  numLayers,
  intermediateSize,
  vocabSize,
  rmsNormEps: 1e-6,
  useLowerBound: true,
});

/** bf16 nearest to a float32, ties to even, found by comparing the two neighbours (not by bit tricks). */
const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);
function nearestBf16(x: number): number {
  scratch[0] = x;
  const bits = scratchBits[0]!;
  const lo = bits >>> 16;
  const a = bf16ToFloat32(lo);
  const b = bf16ToFloat32(lo + 1);
  const da = Math.abs(x - a);
  const db = Math.abs(b - x);
  return da < db || (da === db && lo % 2 === 0) ? a : b;
}

/** The values the rule gives for every tensor of `s` from `seed`, generated whole. */
function ruleValues(s: ModelShape, seed: number): Map<string, Float32Array> {
  const rnd = seededRandom(seed);
  const out = new Map<string, Float32Array>();
  for (const t of modelTensors(s)) {
    const v = new Float32Array(t.shape.reduce((a, b) => a * b, 1));
    fillRandomValues(t, rnd, v);
    out.set(t.name, v);
  }
  return out;
}

function expectOneLineError(fn: () => unknown, ...contains: string[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(Error);
  const msg = (caught as Error).message;
  expect(msg).not.toMatch(/[\r\n]/);
  for (const s of contains) expect(msg).toContain(s);
}

async function expectRejected(p: Promise<unknown>, ...contains: string[]): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  const msg = (err as Error).message;
  expect(msg).not.toMatch(/[\r\n]/);
  for (const s of contains) expect(msg).toContain(s);
}

/** Files in a directory, hidden (temporary) ones included. */
const filesIn = (dir: string) => readdirSync(dir).sort();

describe('parseShape', () => {
  it('knows the released shapes, whose intermediate size follows upstream rule from the hidden size', () => {
    for (const [name, s] of Object.entries(RELEASED_SHAPES)) {
      expect(parseShape(name)).toEqual(s);
      expect(parseShape(name.toUpperCase())).toEqual(s);
      expect(s.intermediateSize).toBe(deriveIntermediateSize(s.hiddenSize, 4));
      expect(s.vocabSize).toBe(32000);
    }
    expect(Object.keys(RELEASED_SHAPES)).toEqual(['370m', '1.3b', '2.7b']);
  });

  it.each([
    [1, 1, 1, 1],
    [24, 2, 40, 300],
    [1024, 24, 2816, 32000],
    [MAX_DIMENSION, 3, 7, MAX_DIMENSION],
  ])('D:L:I:V %i:%i:%i:%i', (d, l, i, v) => {
    expect(parseShape(`${d}:${l}:${i}:${v}`)).toEqual(shape(d, l, i, v));
  });

  it.each([
    ['', 'expected 370m, 1.3b, 2.7b or D:L:I:V'],
    ['370', 'expected 370m'],
    ['7b', 'expected 370m'],
    ['24:2:40', 'expected 370m'],
    ['24:2:40:300:1', 'expected 370m'],
    ['24:0:40:300', 'layers L 0 is outside 1..'],
    ['0:2:40:300', 'hidden size D 0 is outside'],
    ['24:2:-40:300', "intermediate size I '-40' is not a positive integer"],
    ['24:2:40:3e2', "vocabulary V '3e2' is not a positive integer"],
    ['24:2: 40:300', "' 40' is not a positive integer"],
    ['24:2:40.5:300', "'40.5'"],
    [`24:2:40:${MAX_DIMENSION + 1}`, `vocabulary V ${MAX_DIMENSION + 1} is outside 1..${MAX_DIMENSION}`],
  ])('refuses %j', (text, message) => {
    expectOneLineError(() => parseShape(text), `shape '${text}'`, message);
  });
});

describe('writeRandomCheckpoint', () => {
  it.each([
    [shape(8, 1, 16, 32), 1],
    [shape(24, 2, 40, 300), 7],
    [shape(40, 3, 72, 100), 0xffffffff],
    [shape(64, 2, 96, 17000), 3], // embeddings and lm_head span two chunks of 2^20 values
  ])('%j, seed %i: loads strictly, holds the bf16 rounding of the value rule, and the engines run it', async (s, seed) => {
    const dir = join(temp.make(), 'ckpt');
    const r = await writeRandomCheckpoint(s, seed, dir);
    expect(filesIn(dir)).toEqual(['config.json', 'model.safetensors']);
    const ckpt = loadCheckpoint(dir);
    expect(ckpt.config).toMatchObject({ hiddenSize: s.hiddenSize, numLayers: s.numLayers, intermediateSize: s.intermediateSize, vocabSize: s.vocabSize, useLowerBound: true });
    expect(ckpt.parameterCount).toBe(r.parameterCount);
    expect(readFileSync(join(dir, 'model.safetensors')).length).toBe(r.bytes);

    // Tensors lie in modelTensors order, all bf16.
    const file = readSafetensors(join(dir, 'model.safetensors'));
    expect([...file.tensors.keys()]).toEqual(modelTensors(s).map((t) => t.name));
    expect([...ckpt.dtypes.values()].every((d) => d === 'BF16')).toBe(true);
    const offsets = [...file.tensors.values()].map((t) => t.byteOffset);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));

    for (const [name, want] of ruleValues(s, seed)) {
      const got = ckpt.tensor(name);
      expect(got.length).toBe(want.length);
      for (let i = 0; i < want.length; i++) if (got[i] !== nearestBf16(want[i]!)) expect([name, i, got[i]]).toEqual([name, i, nearestBf16(want[i]!)]);
    }

    const weights = weightsFromTensors(ckpt.config, ckpt.tensor);
    const engines: Engine[] = [new FloatModel(weights), FixedModel.fromSource(weights)];
    for (const engine of engines) {
      const state = engine.newState();
      for (const token of [0, s.vocabSize - 1, Math.floor(s.vocabSize / 2)]) {
        const logits = engine.step(state, token);
        expect(logits.length).toBe(s.vocabSize);
        expect(logits.every(Number.isFinite)).toBe(true);
      }
    }
  });

  it('the same shape and seed give the same bytes; another seed other bytes', async () => {
    const s = shape(24, 2, 40, 300);
    const write = async (seed: number) => {
      const dir = join(temp.make(), 'c');
      await writeRandomCheckpoint(s, seed, dir);
      return { st: readFileSync(join(dir, 'model.safetensors')), config: readFileSync(join(dir, 'config.json'), 'utf8') };
    };
    const a = await write(5);
    const b = await write(5);
    const c = await write(6);
    expect(a.st.equals(b.st)).toBe(true);
    expect(a.config).toBe(b.config);
    expect(a.st.length).toBe(c.st.length);
    expect(a.st.equals(c.st)).toBe(false);
  });

  it('tokenizer: bytes for vocab 256 (no file), a byte-level tokenizer.json beyond it with byte, ids only with none', async () => {
    const bytes = join(temp.make(), 'b');
    await writeRandomCheckpoint(shape(8, 1, 16, 256), 1, bytes);
    expect(filesIn(bytes)).toEqual(['config.json', 'model.safetensors']);
    expect(openModel(bytes).tokenizer.source).toBe('bytes');

    const json = join(temp.make(), 'j');
    await writeRandomCheckpoint(shape(8, 1, 16, 300), 1, json, { tokenizer: 'byte' });
    expect(filesIn(json)).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
    const tok = openModel(json).tokenizer;
    expect(tok.encode('KING:')).toEqual([...Buffer.from('KING:')]);
    expect(tok.vocabSize).toBe(300);

    const ids = join(temp.make(), 'i');
    await writeRandomCheckpoint(shape(8, 1, 16, 300), 1, ids);
    expect(openModel(ids).tokenizer.source).toBe('ids');
  });

  it('refuses bad arguments and paths before writing, with one line', async () => {
    const root = temp.make();
    await expectRejected(writeRandomCheckpoint(shape(8, 1, 16, 100), 1, join(root, 'x'), { tokenizer: 'byte' }), '--tokenizer byte needs a vocabulary of at least 256');
    await expectRejected(writeRandomCheckpoint(shape(8, 1, 16, 256), 1, join(root, 'x'), { tokenizer: 'none' }), '--tokenizer none');
    await expectRejected(writeRandomCheckpoint(shape(8, 1, 16, 100), -1, join(root, 'x')), 'seed -1');
    await expectRejected(writeRandomCheckpoint(shape(8, 1, 16, 100), 2 ** 32, join(root, 'x')), 'seed 4294967296');
    await expectRejected(writeRandomCheckpoint(shape(8, 0, 16, 100), 1, join(root, 'x')), 'numLayers 0');
    expect(filesIn(root)).toEqual([]);

    writeFileSync(join(root, 'file'), 'x');
    await expectRejected(writeRandomCheckpoint(shape(8, 1, 16, 100), 1, join(root, 'file')), 'file: exists and is not a directory');
    await expectRejected(writeRandomCheckpoint(shape(8, 1, 16, 100), 1, join(root, 'file', 'sub')), 'cannot create the folder');
    for (const held of ['config.json', 'model.safetensors', 'model.safetensors.index.json', 'tokenizer.json']) {
      const dir = temp.sub(root, held.replace(/\./g, '-'));
      writeFileSync(join(dir, held), 'keep me');
      await expectRejected(writeRandomCheckpoint(shape(8, 1, 16, 100), 1, dir), `already holds ${held}`);
      expect(filesIn(dir)).toEqual([held]);
      expect(readFileSync(join(dir, held), 'utf8')).toBe('keep me');
    }
  });

  it('refuses a checkpoint larger than the free space, and leaves nothing', async () => {
    const root = temp.make();
    await expectRejected(writeRandomCheckpoint(shape(MAX_DIMENSION, 4, MAX_DIMENSION, MAX_DIMENSION), 1, join(root, 'a', 'b')), 'the checkpoint needs', 'free');
    expect(filesIn(root)).toEqual([]);
  });

  it('a run stopped in the middle leaves nothing: not the files, not the folders it made', async () => {
    const root = temp.make();
    const s = shape(64, 2, 96, 17000);
    for (const [dir, keep] of [
      [join(root, 'new', 'deeper'), false],
      [temp.sub(root, 'existing'), true],
    ] as const) {
      const abort = new AbortController();
      let calls = 0;
      const p = writeRandomCheckpoint(s, 1, dir, {
        signal: abort.signal,
        onProgress: () => {
          if (++calls === 1) {
            expect(filesIn(dir).some((f) => f.startsWith('.model.safetensors'))).toBe(true);
            abort.abort();
          }
        },
      });
      await expectRejected(p, 'interrupted');
      expect(calls).toBe(1);
      expect(existsSync(dir)).toBe(keep);
      if (keep) expect(filesIn(dir)).toEqual([]);
    }
    expect(filesIn(root)).toEqual(['existing']);
  });
});
