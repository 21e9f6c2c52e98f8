// What the engines need to know about a model's shape; the checkpoint loader fills it from config.json.
import { TernaryMatrix } from '../numerics/ternary.ts';
export interface ModelShape {
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  vocabSize: number;
  rmsNormEps: number;
  /** Upstream's use_lower_bound: forget gates of layers > 0 are bounded below (default true). */
  useLowerBound?: boolean;
  /**
   * The channel mixer: upstream's GLU (absent or 'glu') or a Fast FeedForward tree of depth fffDepth
   * ('fff'), whose N = 2^(fffDepth+1) - 1 nodes are then intermediateSize.
   */
  channelMixer?: 'glu' | 'fff';
  fffDepth?: number;
}

/** The nodes of an FFF tree of this depth: 2^(depth+1) - 1. */
export function fffNodeCount(depth: number): number {
  return 2 ** (depth + 1) - 1;
}

/** The FFF tree's depth when the model has one (checked against intermediateSize), else undefined. */
export function fffDepthOf(config: ModelShape): number | undefined {
  if (config.channelMixer !== 'fff') return undefined;
  const D = config.fffDepth;
  if (D === undefined || !Number.isSafeInteger(D) || D < 0) throw new Error(`channel mixer fff needs a depth, got ${String(D)}`);
  if (fffNodeCount(D) !== config.intermediateSize) throw new Error(`fff depth ${D} has ${fffNodeCount(D)} nodes, intermediateSize is ${config.intermediateSize}`);
  return D;
}

/**
 * Where the engines read their parameters from: a checkpoint (weights ternarised on load) or a packed
 * model file (ternary codes and scales stored). Both give the engines identical numbers.
 */
export interface WeightSource {
  readonly config: ModelShape;
  /** A full-precision tensor (norm weights, embeddings, lower bounds), row-major. */
  vector(name: string): Float32Array;
  /** A projection's ternary codes and absmean scale. */
  ternary(name: string, rows: number, cols: number): TernaryMatrix;
  /**
   * The rows of a [rows, cols] full-precision tensor one at a time (the embedding table), for sources
   * that keep it compact (a 1.3B checkpoint's embeddings are 262 MB as float32); tableOf falls back to
   * vector() when a source has none.
   */
  table?(name: string, rows: number, cols: number): RowTable;
}

/** A [rows, cols] tensor read one row at a time, as float32 values. */
export interface RowTable {
  readonly rows: number;
  readonly cols: number;
  /** Row r's values into out (length >= cols). */
  row(r: number, out: Float32Array): void;
}

/** The source's own row table when it has one, else rows of its vector(). */
export function tableOf(src: WeightSource, name: string, rows: number, cols: number): RowTable {
  if (src.table) return src.table(name, rows, cols);
  const v = src.vector(name);
  if (v.length !== rows * cols) throw new Error(`${name}: ${v.length} values, expected ${rows} x ${cols}`);
  return { rows, cols, row: (r, out) => out.set(v.subarray(r * cols, (r + 1) * cols)) };
}

/** Weights from full-precision tensors: projections are ternarised here, as upstream does at run time. */
export function weightsFromTensors(config: ModelShape, tensor: (name: string) => Float32Array): WeightSource {
  return { config, vector: tensor, ternary: (name, rows, cols) => TernaryMatrix.fromFloat(tensor(name), rows, cols) };
}

/** The tensor names of one layer, in the upstream (HF hgrn_bit) naming. */
export function layerTensorNames(n: number) {
  const p = `model.layers.${n}`;
  return {
    attnNorm: `${p}.attn_norm.weight`,
    proj: (which: 'i' | 'f' | 'g' | 'o') => `${p}.attn.${which}_proj.weight`,
    projNorm: (which: 'i' | 'f' | 'g' | 'o') => `${p}.attn.${which}_proj.norm.weight`,
    gNorm: `${p}.attn.g_norm.weight`,
    mlpNorm: `${p}.mlp_norm.weight`,
    gateUp: `${p}.mlp.gate_proj.weight`,
    gateUpNorm: `${p}.mlp.gate_proj.norm.weight`,
    down: `${p}.mlp.down_proj.weight`,
    downNorm: `${p}.mlp.down_proj.norm.weight`,
    // The FFF channel mixer: node_in [N, d] (one row per node), node_out [d, N] (one column per node).
    nodeIn: `${p}.mlp.node_in.weight`,
    nodeInNorm: `${p}.mlp.node_in.norm.weight`,
    nodeOut: `${p}.mlp.node_out.weight`,
    nodeOutNorm: `${p}.mlp.node_out.norm.weight`,
  };
}

export const MODEL_TENSORS = {
  embeddings: 'model.embeddings.weight',
  lowerBounds: 'model.lower_bounds',
  finalNorm: 'model.norm.weight',
  lmHead: 'lm_head.weight',
  lmHeadNorm: 'lm_head.norm.weight',
} as const;

/** A tensor the engines read: ternary projections are ternarised, vectors stay full precision. */
export interface TensorSpec {
  name: string;
  kind: 'ternary' | 'vector';
  /** [rows, cols] for ternary tensors; [n] or [rows, cols] for vectors. */
  shape: number[];
}

/** Every tensor a model of this shape has, in one fixed order (the packed format's file order). */
export function modelTensors(config: ModelShape): TensorSpec[] {
  const d = config.hiddenSize;
  const I = config.intermediateSize;
  const out: TensorSpec[] = [];
  const vec = (name: string, ...shape: number[]) => out.push({ name, kind: 'vector', shape });
  const tern = (name: string, rows: number, cols: number) => out.push({ name, kind: 'ternary', shape: [rows, cols] });
  vec(MODEL_TENSORS.embeddings, config.vocabSize, d);
  if (config.useLowerBound !== false) vec(MODEL_TENSORS.lowerBounds, config.numLayers, d);
  for (let n = 0; n < config.numLayers; n++) {
    const t = layerTensorNames(n);
    vec(t.attnNorm, d);
    for (const w of ['i', 'f', 'g', 'o'] as const) {
      tern(t.proj(w), d, d);
      vec(t.projNorm(w), d);
    }
    vec(t.gNorm, d);
    vec(t.mlpNorm, d);
    if (fffDepthOf(config) !== undefined) {
      tern(t.nodeIn, I, d);
      vec(t.nodeInNorm, d);
      tern(t.nodeOut, d, I);
      vec(t.nodeOutNorm, I);
      continue;
    }
    tern(t.gateUp, 2 * I, d);
    vec(t.gateUpNorm, d);
    tern(t.down, d, I);
    vec(t.downNorm, I);
  }
  vec(MODEL_TENSORS.finalNorm, d);
  tern(MODEL_TENSORS.lmHead, config.vocabSize, d);
  vec(MODEL_TENSORS.lmHeadNorm, d);
  return out;
}
