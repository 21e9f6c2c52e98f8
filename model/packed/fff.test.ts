// FFF models in the packed format: the config carries channelMixer and fffDepth, the records are the
// tree's node_in / node_out and their norms, and the engines read a packed tiny-fff8 into the same
// logits as the checkpoint; a config whose depth, node count or mixer disagree is refused in one line.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../checkpoint/load.ts';
import { weightsFromTensors, type WeightSource } from '../config.ts';
import { FloatModel } from '../float/float-model.ts';
import { FixedModel } from '../fixed/fixed-model.ts';
import type { Engine } from '../engine.ts';
import { CHECKSUM_BYTES, HEADER_BYTES, PackedFormatError, encodePacked, readPacked } from './index.ts';

import { FFF8_MODEL as FFF8 } from '../checkpoint/test-support.ts';
const tmp = mkdtempSync(join(tmpdir(), 'mmf-packed-fff-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const ck = loadCheckpoint(FFF8);
const src = weightsFromTensors(ck.config, ck.tensor);

function logitsOf(w: WeightSource, kind: 'float' | 'fixed', tokens: number[]): Float32Array[] {
  const e: Engine = kind === 'float' ? new FloatModel(w) : FixedModel.fromSource(w);
  const s = e.newState();
  return tokens.map((t) => Float32Array.from(e.step(s, t)));
}

describe('packed FFF models', () => {
  it.each(['2bit', '5trit'] as const)('%s: tiny-fff8 round-trips: config, tree tensors, both engines\' logits', (packing) => {
    const file = join(tmp, `fff8-${packing}.mmfp`);
    writeFileSync(file, encodePacked(src, { packing }));
    const p = readPacked(file);
    expect([p.config.channelMixer, p.config.fffDepth, p.config.intermediateSize]).toEqual(['fff', 8, 511]);
    expect(p.tensors.map((t) => t.name).filter((n) => n.startsWith('model.layers.2.mlp.'))).toEqual([
      'model.layers.2.mlp.node_in.weight',
      'model.layers.2.mlp.node_in.norm.weight',
      'model.layers.2.mlp.node_out.weight',
      'model.layers.2.mlp.node_out.norm.weight',
    ]);
    const tokens = [...Buffer.from('ROMEO:\nWhat say')];
    for (const kind of ['float', 'fixed'] as const) expect(logitsOf(p, kind, tokens)).toEqual(logitsOf(src, kind, tokens));
  });

  /** The 2-bit file with its config text edited (same length) and its checksum recomputed. */
  function edited(from: string, to: string): string {
    const buf = Buffer.from(encodePacked(src, { packing: '2bit' }));
    const len = buf.readUInt32LE(24);
    const text = buf.subarray(HEADER_BYTES, HEADER_BYTES + len).toString('utf8');
    expect(text).toContain(from);
    expect(to.length).toBe(from.length);
    buf.write(text.replace(from, to), HEADER_BYTES, 'utf8');
    const end = buf.length - CHECKSUM_BYTES;
    createHash('sha256').update(buf.subarray(0, end)).digest().copy(buf, end);
    const file = join(tmp, `edited-${to.replace(/\W/g, '')}.mmfp`);
    writeFileSync(file, buf);
    return file;
  }

  it.each([
    ['"fffDepth":8', '"fffDepth":7', 'config.intermediateSize', 'intermediateSize 511 is not the 255 nodes of an FFF tree of depth 7'],
    ['"fffDepth":8', '"fffDepth":x', 'config', 'not valid UTF-8 JSON'],
    ['"channelMixer":"fff"', '"channelMixer":"glu"', 'config.fffDepth', 'fffDepth 8 given for channelMixer "glu", not "fff"'],
    ['"channelMixer":"fff"', '"channelMixer":"moe"', 'config.channelMixer', 'channelMixer must be "glu", "fff" or absent, got "moe"'],
    ['"fffDepth":8', '"fffDepth":0', 'config.intermediateSize', 'is not the 1 nodes'],
  ])('config %s edited to %s: refused naming the field', (from, to, field, text) => {
    const file = edited(from, to);
    let err: unknown;
    try {
      readPacked(file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PackedFormatError);
    const msg = (err as Error).message;
    expect(msg).not.toMatch(/[\r\n]/);
    expect(msg.startsWith(`${file}: `)).toBe(true);
    expect(msg).toContain(text);
    expect(msg).toContain(`field ${field}`);
  });

  it('the writer refuses a tree whose depth and width disagree', () => {
    const bad = weightsFromTensors({ ...ck.config, fffDepth: 9 }, ck.tensor);
    expect(() => encodePacked(bad, { packing: '2bit' })).toThrow(/^cannot pack: intermediateSize 511 is not the 1023 nodes of an FFF tree of depth 9$/);
  });
});
