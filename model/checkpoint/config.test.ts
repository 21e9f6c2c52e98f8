import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deriveIntermediateSize, parseHgrnBitConfig } from './config.ts';
import { expectCheckpointError, TINY_MODEL, SMALL_MODEL, smallConfigJson } from './test-support.ts';

const FILE = '/some/dir/config.json';

describe('parseHgrnBitConfig', () => {
  it('parses the tiny config', () => {
    const tinyPath = join(TINY_MODEL, 'config.json');
    const tiny = parseHgrnBitConfig(JSON.parse(readFileSync(tinyPath, 'utf8')), tinyPath);
    expect(tiny).toMatchObject({
      modelType: 'hgrn_bit',
      hiddenSize: 64,
      intermediateSize: 256,
      intermediateSizeDerived: false,
      numLayers: 4,
      vocabSize: 256,
      rmsNormEps: 1e-6,
      useLowerBound: true,
      numHeads: 1,
      expandRatio: 1,
      useShortConv: false,
      hiddenRatio: 4,
      tieWordEmbeddings: false,
      attnMode: 'fused_recurrent',
      hiddenAct: 'swish',
      bosTokenId: null,
      eosTokenId: null,
      padTokenId: null,
      torchDtype: 'bfloat16',
    });
  });

  it('parses the small fixture config', () => {
    const smallPath = join(SMALL_MODEL, 'config.json');
    const small = parseHgrnBitConfig(JSON.parse(readFileSync(smallPath, 'utf8')), smallPath);
    expect([small.hiddenSize, small.intermediateSize, small.numLayers, small.vocabSize]).toEqual([256, 768, 6, 256]);
  });

  it('derives intermediate_size like upstream when null or absent: int(h * ratio * 2/3) rounded up to 256', () => {
    expect(deriveIntermediateSize(64, 4)).toBe(256); // 170 -> 256
    expect(deriveIntermediateSize(256, 4)).toBe(768); // 682 -> 768
    expect(deriveIntermediateSize(2048, 4)).toBe(5632); // 5461 -> 5632
    expect(deriveIntermediateSize(384, 4)).toBe(1024); // exactly 1024
    const c = parseHgrnBitConfig(smallConfigJson({ hidden_size: 256, intermediate_size: null }), FILE);
    expect([c.intermediateSize, c.intermediateSizeDerived]).toEqual([768, true]);
    const noRatio = smallConfigJson({ hidden_size: 256, hidden_ratio: null });
    delete noRatio['intermediate_size'];
    expect(parseHgrnBitConfig(noRatio, FILE).intermediateSize).toBe(768); // hidden_ratio null -> 4
    expect(parseHgrnBitConfig(smallConfigJson({ hidden_size: 256, hidden_ratio: 2, intermediate_size: null }), FILE).intermediateSize).toBe(512);
  });

  it('takes upstream defaults for absent optional fields', () => {
    const minimal = { model_type: 'hgrn_bit', hidden_size: 16, num_hidden_layers: 1, vocab_size: 10 };
    expect(parseHgrnBitConfig(minimal, FILE)).toMatchObject({
      numHeads: 1,
      expandRatio: 1,
      useShortConv: false,
      useLowerBound: true,
      hiddenRatio: 4,
      intermediateSize: 256,
      intermediateSizeDerived: true,
      rmsNormEps: 1e-6,
      tieWordEmbeddings: false,
      bosTokenId: 1,
      eosTokenId: 2,
      padTokenId: null,
      torchDtype: null,
    });
  });

  const cases: [string, Record<string, unknown>, string][] = [
    ['model_type', { model_type: 'hgrn' }, 'model_type must be "hgrn_bit", got "hgrn"'],
    ['model_type', { model_type: undefined }, 'model_type must be "hgrn_bit", got undefined'],
    ['hidden_size', { hidden_size: undefined }, 'hidden_size is missing'],
    ['hidden_size', { hidden_size: 0 }, 'hidden_size must be a positive integer, got 0'],
    ['hidden_size', { hidden_size: 64.5 }, 'hidden_size must be a positive integer, got 64.5'],
    ['hidden_size', { hidden_size: '64' }, 'hidden_size must be a positive integer, got "64"'],
    ['num_hidden_layers', { num_hidden_layers: -1 }, 'num_hidden_layers must be a positive integer, got -1'],
    ['vocab_size', { vocab_size: null }, 'vocab_size must be a positive integer, got null'],
    ['intermediate_size', { intermediate_size: 0 }, 'intermediate_size must be a positive integer, got 0'],
    ['num_heads', { num_heads: 4 }, 'num_heads must be 1 (only one head is supported), got 4'],
    ['num_heads', { num_heads: null }, 'num_heads must be 1 (only one head is supported), got null'],
    ['expand_ratio', { expand_ratio: 2 }, 'expand_ratio must be 1 (only 1 is supported), got 2'],
    ['expand_ratio', { expand_ratio: null }, 'expand_ratio must be 1 (only 1 is supported), got null'],
    ['use_short_conv', { use_short_conv: true }, 'use_short_conv must be false'],
    ['use_short_conv', { use_short_conv: 'no' }, 'use_short_conv must be true or false, got "no"'],
    ['use_lower_bound', { use_lower_bound: 1 }, 'use_lower_bound must be true or false, got 1'],
    ['rms_norm_eps', { rms_norm_eps: 0 }, 'rms_norm_eps must be a positive number at most 0.0001 (the fixed engine drops it: docs/numerics.md), got 0'],
    ['rms_norm_eps', { rms_norm_eps: '1e-6' }, 'got "1e-6"'],
    ['rms_norm_eps', { rms_norm_eps: 1e308 }, 'got 1e+308'],
    ['rms_norm_eps', { rms_norm_eps: 0.0002 }, 'got 0.0002'],
    ['hidden_ratio', { hidden_ratio: -4 }, 'hidden_ratio must be a positive number or null, got -4'],
    ['intermediate_size', { hidden_ratio: 1e300, intermediate_size: null }, 'intermediate_size derived from hidden_ratio 1e+300 is 5.3333333333333336e+300'],
    ['tie_word_embeddings', { tie_word_embeddings: 'yes' }, 'tie_word_embeddings must be true or false'],
    ['bos_token_id', { bos_token_id: 40 }, 'bos_token_id 40 is not below vocab_size 32'],
    ['eos_token_id', { eos_token_id: -2 }, 'eos_token_id must be null or a non-negative integer, got -2'],
  ];
  for (const [field, override, text] of cases) {
    it(`rejects ${field} = ${JSON.stringify(Object.values(override)[0]) ?? 'absent'}`, () => {
      const json = smallConfigJson(override);
      for (const [k, v] of Object.entries(override)) if (v === undefined) delete json[k];
      expectCheckpointError(() => parseHgrnBitConfig(json, FILE), { file: FILE, contains: [text], field });
    });
  }

  it('rejects a config that is not an object', () => {
    expectCheckpointError(() => parseHgrnBitConfig([1], FILE), { file: FILE, contains: ['config is not a JSON object'] });
    expectCheckpointError(() => parseHgrnBitConfig(null, FILE), { file: FILE, contains: ['config is not a JSON object'] });
  });
});
