// What gen-rtl writes for a model: lint-clean Verilog (verilator -Wall, yosys check), a weight image
// that is the program's, a manifest that describes it, and clear errors for configurations that
// cannot work.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateAccel } from './generate.ts';
import { compileProgram } from './program.ts';
import { accelGeometry } from './config.ts';
import { openModel } from '../model/open.ts';
import { fixedParams } from '../model/fixed/fixed-model.ts';
import { lintVerilator } from '../flow/verilator-lint.ts';
import { lintYosys } from '../flow/yosys.ts';
import { randomModel } from '../sim/random-model.ts';
import { FFF8_MODEL } from '../model/checkpoint/test-support.ts';

const tiny = openModel(undefined);

describe('gen-rtl for a model', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-gen-'));
  const gen = generateAccel(tiny.weights, { target: 'up5k', lanes: 32 }, dir, 'tiny');
  const verilog = gen.files.filter((f) => f.endsWith('.v'));

  it('writes Verilog that passes verilator --lint-only -Wall with no warnings', () => {
    const r = lintVerilator(verilog, gen.top);
    expect(r.messages).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it('writes Verilog that passes yosys check with no warnings', { timeout: 120_000 }, async () => {
    expect(await lintYosys({ top: gen.top, sources: verilog })).toEqual([]);
  });

  it('writes the weight-load image and a manifest that describe the same program', () => {
    const image = fs.readFileSync(path.join(dir, 'weights.bin'));
    expect(image.length).toBe(2 * gen.program.image.length);
    expect(new Uint16Array(image.buffer, image.byteOffset, image.length / 2)).toEqual(gen.program.image);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    expect(manifest.model).toMatchObject({ hiddenSize: 64, intermediateSize: 256, numLayers: 4, vocabSize: 256 });
    expect(manifest.hardware).toMatchObject({ target: 'up5k', lanes: 32, weightBanks: 4, bankWords: 16384 });
    expect(manifest.cycles.weightsPerToken).toBe(4 * (4 * 64 * 64 + 512 * 64 + 64 * 256) + 256 * 64);
    expect(manifest.cycles.boundPerToken).toBe(8704);
    // The row unit's passes: per layer PRESCALE, f/i/g (two passes over u, d SCALEs each), GATE, STATE,
    // GATED, PRESCALE, o, RESIDUAL, PRESCALE, gate/up (2I SCALEs), GATED over I, down (two passes over
    // I), RESIDUAL; then the embedding, the final PRESCALE and lm_head. Above 1.25 x 8704 = 10880.
    const [d, I, V] = [64, 256, 256];
    const layer = d + 3 * 3 * d + 3 * d + d + 3 * d + d + d + (2 * d + 2 * I) + I + (2 * I + d) + d;
    expect(manifest.cycles.rowUnitFloorPerToken).toBe(4 * layer + d + d + (2 * d + V));
    expect(manifest.cycles.rowUnitFloorPerToken).toBe(11520);
    expect(manifest.cycles.predictedPerToken).toBeGreaterThan(manifest.cycles.rowUnitFloorPerToken);
    expect(manifest.program.length + manifest.clearRoutine.length).toBe(gen.program.rom.length);
    expect(fs.readFileSync(path.join(dir, 'program.hex'), 'utf8').trim().split('\n')).toHaveLength(gen.program.rom.length);
  });

  it('lays out regions without overlap, matrices and embeddings on wide-word boundaries', () => {
    const regions = [...gen.program.regions].sort((a, b) => a.word - b.word);
    for (let i = 1; i < regions.length; i++) expect(regions[i]!.word).toBeGreaterThanOrEqual(regions[i - 1]!.word + regions[i - 1]!.words);
    for (const r of regions) if (!r.name.startsWith('param')) expect(r.word % 4, r.name).toBe(0);
    expect(gen.program.image.length).toBeLessThanOrEqual(gen.program.geometry.imageWideWords * 4);
  });
});

describe('gen-rtl for an FFF model (tiny-fff8)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-gen-fff-'));
  const fff = openModel(FFF8_MODEL);
  const gen = generateAccel(fff.weights, { target: 'up5k', lanes: 8 }, dir, 'tiny-fff8');
  const verilog = gen.files.filter((f) => f.endsWith('.v'));

  it('writes Verilog that passes verilator -Wall and yosys check with no warnings', { timeout: 120_000 }, async () => {
    const r = lintVerilator(verilog, gen.top);
    expect(r.messages).toEqual([]);
    expect(await lintYosys({ top: gen.top, sources: verilog })).toEqual([]);
  });

  it('describes the tree in the manifest: its layout, and the D + 1 rows and columns a token reads', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    const [d, D, N, V, L, P] = [64, 8, 511, 256, 4, 8];
    expect(manifest.model).toMatchObject({ hiddenSize: d, intermediateSize: N, channelMixer: 'fff', fffDepth: D, fff: { nodes: N, levelsPerToken: D + 1, wordsPerNode: d / P } });
    // 4 d^2 for the token mixer, (D + 1) rows of node_in and (D + 1) columns of node_out, and lm_head
    expect(manifest.cycles.weightsPerToken).toBe(L * (4 * d * d + 2 * (D + 1) * d) + V * d);
    expect(manifest.cycles.weightsPerToken).toBe(86528);
    expect(manifest.cycles.boundPerToken).toBe(86528 / P);
    // both tree matrices hold all N nodes, d weights each (node_out by column), at 2 bits
    const mixer = manifest.memoryMap.filter((r: { name: string }) => /^layers\.0\.mlp\.node_(in|out)/.test(r.name));
    expect(mixer.map((r: { name: string; words: number }) => [r.name, r.words])).toEqual([
      ['layers.0.mlp.node_in', (N * d * 2) / 16],
      ['layers.0.mlp.node_out (by column)', (N * d * 2) / 16],
    ]);
    // the instruction word has the walk field; one BITLINEAR walks the tree, the next one reads by column
    expect(manifest.instructionFields.map((f: { name: string }) => f.name)).toContain('walk');
    const walks = manifest.program.filter((i: { walk?: number }) => i.walk !== undefined).map((i: { walk: number; rows: number; n: number }) => [i.walk, i.n, i.rows]);
    expect(walks).toEqual(Array.from({ length: L }, () => [[1, d, D + 1], [2, D + 1, d]]).flat());
  });
});

describe('configurations that cannot work', () => {
  it('rejects a model too large for the UP5K SPRAMs, naming the sizes', () => {
    const big = randomModel({ hiddenSize: 256, intermediateSize: 768, numLayers: 4, vocabSize: 256 });
    expect(() => accelGeometry(big.config, { target: 'up5k', lanes: 32 })).toThrow(/needs \d+ words of weight memory .* hold 65536/);
  });

  it('rejects lanes that are not a power of two, and up5k lanes other than 8, 16 and 32', () => {
    const p = fixedParams(tiny.weights);
    expect(() => compileProgram(p, { target: 'generic', lanes: 24 })).toThrow(/lanes must be a power of two/);
    expect(() => compileProgram(p, { target: 'up5k', lanes: 64 })).toThrow(/lanes must be 8, 16, 32, got 64/);
    // fewer lanes: fewer, deeper banks over the same four SPRAMs
    expect(compileProgram(p, { target: 'up5k', lanes: 16 }).geometry).toMatchObject({ banks: 2, weightWords: 32768 });
  });

  it('refuses a Fast FeedForward model on the external target and with overlap, saying which targets run it', () => {
    const fff = fixedParams(openModel(FFF8_MODEL).weights);
    expect(() => compileProgram(fff, { target: 'external', lanes: 32 })).toThrow(/^the external target does not run Fast FeedForward channel mixers \(fff_depth 8\): .* use the up5k or generic target$/);
    expect(() => compileProgram(fff, { target: 'up5k', lanes: 32, overlap: true })).toThrow(/^overlap is not available for Fast FeedForward channel mixers \(fff_depth 8\)$/);
  });
});
