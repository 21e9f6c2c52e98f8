// config.json of a Hugging Face MatMul-free LM (`model_type: hgrn_bit`, upstream mmfreelm's
// HGRNBitConfig). Only the architecture this project implements is accepted: one head, expand ratio 1,
// no short convolution. Every error is one line naming the file and the field.
//
// Absent fields take upstream HGRNBitConfig's defaults where the upstream model would run with them:
//   num_heads 1, expand_ratio 1, use_short_conv false, use_lower_bound true, hidden_ratio 4,
//   rms_norm_eps 1e-6, tie_word_embeddings false, hidden_act "swish", attn_mode "fused_recurrent",
//   bos_token_id 1, eos_token_id 2, pad_token_id null, max_position_embeddings 2048.
// An explicit null num_heads / expand_ratio is an error (upstream would crash on it); a null or absent
// hidden_ratio means 4 (as upstream's HGRNBitMLP does).
// hidden_size, num_hidden_layers and vocab_size are required: a config without them is not one we trust.
//
// intermediate_size null or absent: upstream HGRNBitMLP derives it as
//   int(hidden_size * hidden_ratio * 2 / 3), rounded UP to a multiple of 256
// (e.g. hidden 256, ratio 4 -> 682 -> 768; hidden 64 -> 170 -> 256). intermediateSizeDerived says so.
//
// Fields that do not change the computation are recorded, not checked: attn_mode (which kernel:
// fused_recurrent / naive_recurrent / chunk compute the same recurrence) and hidden_act (upstream's MLP
// always uses swiglu, whatever hidden_act says). max_position_embeddings is not a limit of a recurrent
// model either.
import { CheckpointError } from './errors.ts';
import { RMS_NORM_EPS_MAX } from '../../numerics/ranges.ts';

export interface HgrnBitConfig {
  modelType: 'hgrn_bit';
  hiddenSize: number;
  intermediateSize: number;
  /** True when intermediate_size was null/absent and derived from hidden_ratio (see above). */
  intermediateSizeDerived: boolean;
  numLayers: number;
  vocabSize: number;
  rmsNormEps: number;
  useLowerBound: boolean;
  numHeads: 1;
  expandRatio: 1;
  useShortConv: false;
  hiddenRatio: number;
  tieWordEmbeddings: boolean;
  attnMode: string;
  hiddenAct: string;
  maxPositionEmbeddings: number;
  bosTokenId: number | null;
  eosTokenId: number | null;
  padTokenId: number | null;
  /** torch_dtype (or dtype) as written, e.g. "bfloat16"; null when absent. Informational. */
  torchDtype: string | null;
  /** 'fff': a Fast FeedForward tree in place of the GLU (fffDepth set). */
  channelMixer: 'glu' | 'fff';
  fffDepth?: number;
}

/** Deepest tree accepted: N = 2^24 - 1 nodes, every size a safe integer and far beyond trained FFFs. */
export const FFF_DEPTH_MAX = 23;

/** Upstream HGRNBitMLP's rule for a missing intermediate_size. */
export function deriveIntermediateSize(hiddenSize: number, hiddenRatio: number): number {
  const raw = Math.trunc((hiddenSize * hiddenRatio * 2) / 3);
  return 256 * Math.ceil(raw / 256);
}

export function parseHgrnBitConfig(json: unknown, file: string): HgrnBitConfig {
  const fail = (field: string, what: string): never => {
    throw new CheckpointError(file, what, { field });
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new CheckpointError(file, 'config is not a JSON object');
  }
  const c = json as Record<string, unknown>;
  const has = (k: string): boolean => Object.prototype.hasOwnProperty.call(c, k) && c[k] !== undefined;
  const show = (v: unknown): string => JSON.stringify(v) ?? String(v);

  const positiveInt = (k: string, dflt?: number): number => {
    if (!has(k)) {
      if (dflt === undefined) fail(k, `${k} is missing`);
      return dflt!;
    }
    const v = c[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) fail(k, `${k} must be a positive integer, got ${show(v)}`);
    return v as number;
  };
  const bool = (k: string, dflt: boolean): boolean => {
    if (!has(k)) return dflt;
    const v = c[k];
    if (typeof v !== 'boolean') fail(k, `${k} must be true or false, got ${show(v)}`);
    return v as boolean;
  };
  const str = (k: string, dflt: string): string => {
    if (!has(k) || c[k] === null) return dflt;
    const v = c[k];
    if (typeof v !== 'string') fail(k, `${k} must be a string, got ${show(v)}`);
    return v as string;
  };
  const tokenId = (k: string, dflt: number | null): number | null => {
    if (!has(k)) return dflt;
    const v = c[k];
    if (v === null) return null;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(k, `${k} must be null or a non-negative integer, got ${show(v)}`);
    return v as number;
  };

  if (c['model_type'] !== 'hgrn_bit') {
    fail('model_type', `model_type must be "hgrn_bit", got ${show(c['model_type'])}`);
  }
  const hiddenSize = positiveInt('hidden_size');
  const numLayers = positiveInt('num_hidden_layers');
  const vocabSize = positiveInt('vocab_size');

  if (has('num_heads') && c['num_heads'] !== 1) fail('num_heads', `num_heads must be 1 (only one head is supported), got ${show(c['num_heads'])}`);
  if (has('expand_ratio') && c['expand_ratio'] !== 1) fail('expand_ratio', `expand_ratio must be 1 (only 1 is supported), got ${show(c['expand_ratio'])}`);
  const useShortConv = bool('use_short_conv', false);
  if (useShortConv) fail('use_short_conv', 'use_short_conv must be false (short convolutions are not supported)');

  let hiddenRatio = 4;
  if (has('hidden_ratio') && c['hidden_ratio'] !== null) {
    const v = c['hidden_ratio'];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) fail('hidden_ratio', `hidden_ratio must be a positive number or null, got ${show(v)}`);
    hiddenRatio = v as number;
  }
  let intermediateSize: number;
  let intermediateSizeDerived = false;
  if (!has('intermediate_size') || c['intermediate_size'] === null) {
    intermediateSize = deriveIntermediateSize(hiddenSize, hiddenRatio);
    intermediateSizeDerived = true;
    if (!Number.isSafeInteger(intermediateSize) || intermediateSize <= 0) fail('intermediate_size', `intermediate_size derived from hidden_ratio ${hiddenRatio} is ${intermediateSize}`);
  } else {
    intermediateSize = positiveInt('intermediate_size');
  }

  let channelMixer: 'glu' | 'fff' = 'glu';
  let fffDepth: number | undefined;
  if (has('channel_mixer') && c['channel_mixer'] !== null) {
    const v = c['channel_mixer'];
    if (v !== 'glu' && v !== 'fff') fail('channel_mixer', `channel_mixer must be "glu" or "fff", got ${show(v)}`);
    channelMixer = v as 'glu' | 'fff';
  }
  if (channelMixer === 'fff') {
    if (!has('fff_depth')) fail('fff_depth', 'fff_depth is missing (channel_mixer is "fff")');
    const v = c['fff_depth'];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > FFF_DEPTH_MAX) fail('fff_depth', `fff_depth must be an integer in 0..${FFF_DEPTH_MAX}, got ${show(v)}`);
    fffDepth = v as number;
    intermediateSize = 2 ** (fffDepth + 1) - 1;
    intermediateSizeDerived = true;
  } else if (has('fff_depth') && c['fff_depth'] !== null) {
    fail('fff_depth', `fff_depth is given but channel_mixer is ${show(c['channel_mixer'] ?? 'glu')}, not "fff"`);
  }

  let rmsNormEps = 1e-6;
  if (has('rms_norm_eps')) {
    const v = c['rms_norm_eps'];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > RMS_NORM_EPS_MAX) {
      fail('rms_norm_eps', `rms_norm_eps must be a positive number at most ${RMS_NORM_EPS_MAX} (the fixed engine drops it: docs/numerics.md), got ${show(v)}`);
    }
    rmsNormEps = v as number;
  }

  const config: HgrnBitConfig = {
    modelType: 'hgrn_bit',
    hiddenSize,
    intermediateSize,
    intermediateSizeDerived,
    numLayers,
    vocabSize,
    rmsNormEps,
    useLowerBound: bool('use_lower_bound', true),
    numHeads: 1,
    expandRatio: 1,
    useShortConv: false,
    hiddenRatio,
    tieWordEmbeddings: bool('tie_word_embeddings', false),
    attnMode: str('attn_mode', 'fused_recurrent'),
    hiddenAct: str('hidden_act', 'swish'),
    maxPositionEmbeddings: positiveInt('max_position_embeddings', 2048),
    bosTokenId: tokenId('bos_token_id', 1),
    eosTokenId: tokenId('eos_token_id', 2),
    padTokenId: tokenId('pad_token_id', null),
    channelMixer,
    ...(fffDepth === undefined ? {} : { fffDepth }),
    torchDtype: has('torch_dtype') && c['torch_dtype'] !== null ? str('torch_dtype', '') : has('dtype') && c['dtype'] !== null ? str('dtype', '') : null,
  };
  for (const k of ['bos_token_id', 'eos_token_id', 'pad_token_id'] as const) {
    const id = k === 'bos_token_id' ? config.bosTokenId : k === 'eos_token_id' ? config.eosTokenId : config.padTokenId;
    if (id !== null && id >= vocabSize && has(k)) fail(k, `${k} ${id} is not below vocab_size ${vocabSize}`);
  }
  return config;
}
