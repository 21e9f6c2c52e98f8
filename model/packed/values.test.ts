// The packed reader holds a packed file to the same parameter range as a checkpoint (numerics/ranges.ts):
// each case edits a valid file of the tiny model and reseals its checksum, so the edit reaches the checks.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../checkpoint/load.ts';
import { TINY_MODEL } from '../checkpoint/test-support.ts';
import { weightsFromTensors } from '../config.ts';
import { CHECKSUM_BYTES, PackedFormatError, decodePacked, encodePacked, isPackedFile, readPacked } from './index.ts';

const tmp = mkdtempSync(join(tmpdir(), 'mmf-packed-values-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const ck = loadCheckpoint(TINY_MODEL);
const good = encodePacked(weightsFromTensors(ck.config, ck.tensor), { packing: '2bit' });
const layout = decodePacked(good, 'good.mmfp').tensors;
const record = (name: string) => layout.find((t) => t.name === name)!;

function edited(edit: (b: Buffer) => void): Buffer {
  const b = Buffer.from(good);
  edit(b);
  const end = b.length - CHECKSUM_BYTES;
  createHash('sha256').update(b.subarray(0, end)).digest().copy(b, end);
  return b;
}

function refused(b: Buffer, ...contains: string[]): string {
  let caught: unknown;
  try {
    decodePacked(b, 'f.mmfp');
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(PackedFormatError);
  const msg = (caught as Error).message;
  expect(msg).not.toMatch(/[\r\n]/);
  for (const s of contains) expect(msg).toContain(s);
  return msg;
}

/** Same-length edit of the stored config JSON (offsets stay valid). */
function configEdit(from: string, to: string): Buffer {
  expect(to.length).toBe(from.length);
  return edited((b) => {
    const at = b.indexOf(from, 32, 'utf8');
    expect(at).toBeGreaterThan(0);
    b.write(to, at, 'utf8');
  });
}

describe('packed values and scales within the parameter range', () => {
  const vectors = ['model.embeddings.weight', 'model.lower_bounds', 'model.layers.1.attn.g_norm.weight', 'model.layers.3.mlp.down_proj.norm.weight', 'lm_head.norm.weight'];
  const bad: [number, string][] = [
    [0x7fc1, 'is NaN'],
    [0x7f80, 'is +Infinity'],
    [0xff80, 'is -Infinity'],
    [0x7f7f, '= 3.3895313892515355e+38, outside [-65536, 65536]'],
    [0x4781, '= 66048, outside'],
  ];
  vectors.forEach((name, k) => {
    const [bits, says] = bad[k % bad.length]!;
    it(`${name}: a bf16 ${says.split(',')[0]}`, () => {
      const r = record(name);
      expect(r.encoding).toBe('bf16');
      const index = (k * 37) % (r.payloadBytes / 2);
      const b = edited((buf) => buf.writeUInt16LE(bits, r.payloadOffset + 2 * index));
      const cols = r.shape[1];
      const el = cols === undefined ? `[${index}]` : `[${Math.floor(index / cols)}, ${index % cols}]`;
      const msg = refused(b, `element ${el} ${says}`, `tensor ${name}`);
      expect(msg).toMatch(new RegExp(`byte ${r.payloadOffset + 2 * index}\\)$`));
    });
  });

  for (const scale of [0, -1, NaN, 1e-30, 2 ** -17, 2e5, Infinity]) {
    it(`a ternary scale of ${scale}`, () => {
      const r = record('model.layers.2.attn.o_proj.weight');
      refused(edited((b) => b.writeFloatLE(scale, r.recordOffset + 20)), `scale ${Math.fround(scale)} is outside [2^-16, 1e5]`, 'field scale');
    });
  }

  it('scales at the ends of the range are accepted', () => {
    const r = record('model.layers.2.attn.o_proj.weight');
    for (const scale of [2 ** -16, Math.fround(1e5)]) expect(() => decodePacked(edited((b) => b.writeFloatLE(scale, r.recordOffset + 20)), 'f')).not.toThrow();
  });
});

describe('the stored config', () => {
  it('rmsNormEps beyond 1e-4, useLowerBound not a boolean, a key twice', () => {
    refused(configEdit('"rmsNormEps":0.000001', '"rmsNormEps":1000.001'), 'rmsNormEps must be a positive number at most 0.0001', 'field config.rmsNormEps');
    refused(configEdit('"useLowerBound":true', '"useLowerBound":"ye"'), 'useLowerBound must be true, false or absent, got "ye"', 'field config.useLowerBound');
    refused(configEdit('"expandRatio":1', '"hiddenSize":64'), 'config is ambiguous: key "hiddenSize" appears twice in the top-level object', 'field config.hiddenSize');
  });
});

describe('files that are not regular files', () => {
  it.skipIf(spawnSync('mkfifo', ['--version']).status !== 0)('a FIFO and /dev/zero: refused at once, never read', () => {
    const fifo = join(tmp, 'model.mmfp');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    expect(isPackedFile(fifo)).toBe(false);
    expect(() => readPacked(fifo)).toThrow(/model\.mmfp: cannot read: is a FIFO, not a regular file/);
    expect(isPackedFile('/dev/zero')).toBe(false);
    expect(() => readPacked('/dev/zero')).toThrow(/\/dev\/zero: cannot read: is a character device, not a regular file/);
    writeFileSync(join(tmp, 'ok.mmfp'), good);
    expect(isPackedFile(join(tmp, 'ok.mmfp'))).toBe(true);
  });
});
