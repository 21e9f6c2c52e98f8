// Parity with the upstream PyTorch outputs stored beside the fixtures (reference.json,
// reference.safetensors), and the fixed-point engine's cost against the float engine.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../checkpoint/load.ts';
import { readSafetensors, tensorToFloat32 } from '../checkpoint/safetensors.ts';
import { weightsFromTensors } from '../config.ts';
import { FloatModel } from '../float/float-model.ts';
import { FixedModel } from '../fixed/fixed-model.ts';
import { parityWindows, promptParity, type ReferencePrompt } from './parity.ts';
import { validationLossParallel } from './validation-pool.ts';
import { DEFAULT_TEXT, EMBEDDED_MODEL } from '../open.ts';
import { VAL, availableWindows } from './validation.ts';
import { byteTokenizer } from '../tokenizer/byte.ts';

// The text and both fixtures ship in the repository (data/, models/).
const TEXT = DEFAULT_TEXT;
const SMALL = path.resolve(import.meta.dirname, '..', '..', 'models', 'small');

function reference(dir: string) {
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'reference.json'), 'utf8')) as { prompts: ReferencePrompt[]; val: { loss_nats_per_byte: number } };
  return { json, tensors: readSafetensors(path.join(dir, 'reference.safetensors')) };
}

function engines(dir: string) {
  const ckpt = loadCheckpoint(dir);
  const w = weightsFromTensors(ckpt.config, ckpt.tensor);
  return { float: new FloatModel(w), fixed: FixedModel.fromSource(w), config: ckpt.config };
}

describe('float engine vs upstream (embedded tiny model)', () => {
  const { float, config } = engines(EMBEDDED_MODEL);
  const ref = reference(EMBEDDED_MODEL);

  it('every layer input of prompt 0 matches the reference hidden states to 1e-4', () => {
    const ids = ref.json.prompts[0]!.ids;
    const d = config.hiddenSize;
    let worst = 0;
    let t = 0;
    float.onHidden = (k, h) => {
      const r = tensorToFloat32(ref.tensors, `hidden.0.${k}`);
      for (let j = 0; j < d; j++) worst = Math.max(worst, Math.abs(h[j]! - r[t * d + j]!));
    };
    const state = float.newState();
    for (; t < ids.length; t++) float.step(state, ids[t]!);
    float.onHidden = undefined;
    expect(worst).toBeLessThan(1e-4);
  });

  it('logits, teacher-forced agreement >= 98% over the prompts and their 96 greedy tokens', () => {
    let agree = 0;
    let total = 0;
    const rows = ref.json.prompts.map((p, i) => {
      const r = promptParity(float, p, tensorToFloat32(ref.tensors, `logits.${i}`));
      agree += r.teacherForcedAgree;
      total += r.teacherForcedTotal;
      return r;
    });
    expect(agree / total).toBeGreaterThanOrEqual(0.98);
    // Most prompts match to float32 noise; an int8 rounding flip (upstream's own GPU/CPU paths differ
    // by one step on a few rows) moves a prompt's logits by a few tenths at most.
    expect(rows.filter((r) => r.maxAbsLogitDiff < 1e-4).length).toBeGreaterThanOrEqual(rows.length - 1);
    for (const r of rows) expect(r.maxAbsLogitDiff).toBeLessThan(0.5);
  });

  it('validation loss within 0.1% of the reference, fixed engine within 1% of float', { timeout: 300_000 }, async () => {
    const float = await validationLossParallel({ model: undefined, engine: 'float', textPath: TEXT, windows: 256 });
    expect(Math.abs(float.loss - ref.json.val.loss_nats_per_byte) / ref.json.val.loss_nats_per_byte).toBeLessThan(0.001);
    const fixed = await validationLossParallel({ model: undefined, engine: 'fixed', textPath: TEXT, windows: 256 });
    expect(fixed.loss / float.loss - 1).toBeLessThan(0.01);
  });
});

describe('how many windows parity measures', () => {
  it('the shipped text holds the 256 windows the tiny reference states (val.bytes 65536)', () => {
    const ref = reference(EMBEDDED_MODEL).json as unknown as { val: { bytes: number } };
    const available = availableWindows(fs.readFileSync(TEXT), byteTokenizer());
    expect(available).toBe(Math.floor((fs.statSync(TEXT).size - Math.floor(0.9 * fs.statSync(TEXT).size) - 1) / VAL.length));
    expect(parityWindows(ref.val, available, VAL.length, VAL.windows)).toEqual({ windows: 256, source: 'reference.json val.bytes' });
  });

  it('takes --windows, else what the reference states, else all the text holds up to 256; says what does not fit', () => {
    for (const available of [1, 17, 255, 256, 400]) {
      expect(parityWindows(undefined, available, 256, 256)).toEqual({ windows: Math.min(available, 256), source: available < 256 ? 'all the text holds (fewer than 256)' : 'the default 256' });
      expect(parityWindows({ loss_nats_per_byte: 1 }, available, 256, 256)).toHaveProperty('windows', Math.min(available, 256));
      expect(parityWindows({ bytes: 65536 }, available, 256, 256)).toEqual(available >= 256 ? { windows: 256, source: 'reference.json val.bytes' } : { error: `val.bytes states 256 windows of 256, the text holds ${available}: give the text the reference used, or --windows` });
      expect(parityWindows({ windows: 8, bytes: 65536 }, available, 256, 256)).toEqual(available >= 8 ? { windows: 8, source: 'reference.json val.windows' } : { error: expect.stringContaining('val.windows states 8 windows') });
      expect(parityWindows({ bytes: 65536 }, available, 256, 256, 1)).toEqual({ windows: 1, source: '--windows' });
    }
    expect(parityWindows({ tokens: 1000 }, 300, 256, 256)).toEqual({ error: 'val.tokens 1000 is not a positive multiple of 256' });
    expect(parityWindows({ windows: -1 as number }, 300, 256, 256)).toEqual({ error: 'val.windows -1 is not a positive integer' });
    expect(parityWindows(undefined, 0, 256, 256)).toEqual({ error: 'the text holds no window of 256' });
    expect(parityWindows(undefined, 5, 256, 256, 6)).toEqual({ error: '--windows 6: the text holds 5 windows of 256' });
  });
});

describe('small model', () => {
  it('float: teacher-forced agreement >= 98%; fixed within 1% of float on 32 windows', { timeout: 300_000 }, async () => {
    const { float } = engines(SMALL);
    const ref = reference(SMALL);
    let agree = 0;
    let total = 0;
    ref.json.prompts.forEach((p, i) => {
      const r = promptParity(float, p, tensorToFloat32(ref.tensors, `logits.${i}`));
      agree += r.teacherForcedAgree;
      total += r.teacherForcedTotal;
    });
    expect(agree / total).toBeGreaterThanOrEqual(0.98);
    const fl = await validationLossParallel({ model: SMALL, engine: 'float', textPath: TEXT, windows: 32 });
    const fx = await validationLossParallel({ model: SMALL, engine: 'fixed', textPath: TEXT, windows: 32 });
    expect(Math.abs(fx.loss / fl.loss - 1)).toBeLessThan(0.01);
  });
});
