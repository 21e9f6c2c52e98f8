// The float engine: the upstream hgrn_bit forward pass, one token at a time, in double precision except
// where upstream's float32 rounding decides an integer (the int8 and ternary quantisation).
//   x = RMSNorm(h); f = sigmoid(f_proj x), for layers > 0 f = lb + (1 - lb) f;
//   i = silu(i_proj x) (1 - f); state = f state + i;
//   h += o_proj(RMSNorm(g_proj x) g_norm silu(state)); h += down(silu(gate) up) on RMSNorm(h)
// (or, for a Fast FeedForward model, h += FFF(RMSNorm(h)): fff.ts)
import type { Engine } from '../engine.ts';
import { type ModelShape, type RowTable, type WeightSource, MODEL_TENSORS, fffDepthOf, layerTensorNames, tableOf } from '../config.ts';
import { FloatBitLinear, rmsNorm } from './bitlinear.ts';
import { FloatFff } from './fff.ts';

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
export const silu = (x: number): number => x / (1 + Math.exp(-x));

interface FloatLayer {
  attnNorm: Float32Array;
  i: FloatBitLinear;
  f: FloatBitLinear;
  g: FloatBitLinear;
  o: FloatBitLinear;
  gNorm: Float32Array;
  mlpNorm: Float32Array;
  /** The channel mixer: the GLU, or the FFF tree. */
  glu: { gate: FloatBitLinear; up: FloatBitLinear; down: FloatBitLinear } | undefined;
  fff: FloatFff | undefined;
  /** The forget gate's lower bound; none for layer 0 or when the model has use_lower_bound false. */
  lowerBound: Float64Array | undefined;
}

export interface FloatState {
  /** Per layer, the MLGRU hidden state h_t. */
  recurrent: Float64Array[];
}

/** softmax over layers, cumulative sum, minus the first row: the per-layer lower bound of f. */
export function lowerBounds(raw: Float32Array, layers: number, d: number): Float64Array[] {
  const out = Array.from({ length: layers }, () => new Float64Array(d));
  for (let j = 0; j < d; j++) {
    let max = -Infinity;
    for (let l = 0; l < layers; l++) max = Math.max(max, raw[l * d + j]!);
    let z = 0;
    for (let l = 0; l < layers; l++) z += Math.exp(raw[l * d + j]! - max);
    let cum = 0;
    let first = 0;
    for (let l = 0; l < layers; l++) {
      cum += Math.exp(raw[l * d + j]! - max) / z;
      if (l === 0) first = cum;
      out[l]![j] = cum - first;
    }
  }
  return out;
}

export interface FloatModelOptions {
  /** FFF models: evaluate all N nodes then mask (the bench's baseline) instead of the path alone. */
  fffDense?: boolean;
}

export class FloatModel implements Engine<FloatState> {
  readonly kind = 'float' as const;
  readonly config: ModelShape;
  private readonly layers: FloatLayer[];
  private readonly embeddings: RowTable;
  private readonly embeddingRow: Float32Array;
  private readonly finalNorm: Float32Array;
  private readonly lmHead: FloatBitLinear;
  // Scratch buffers: the step allocates nothing.
  private readonly h: Float64Array;
  private readonly x: Float64Array;
  private readonly a: Float64Array;
  private readonly b: Float64Array;
  private readonly c: Float64Array;
  private readonly wide1: Float64Array;
  private readonly wide2: Float64Array;
  private readonly logits64: Float64Array;
  private readonly logits: Float32Array;
  /** When set, receives each layer's input and the final norm's output (for layer-by-layer parity). */
  onHidden: ((k: number, h: Float64Array) => void) | undefined;

  private readonly fffDense: boolean;

  constructor(src: WeightSource, opts: FloatModelOptions = {}) {
    this.fffDense = opts.fffDense === true;
    const cfg = (this.config = src.config);
    const d = cfg.hiddenSize;
    const I = cfg.intermediateSize;
    const eps = cfg.rmsNormEps;
    const bit = (name: string, norm: string, rows: number, cols: number) =>
      new FloatBitLinear(src.ternary(name, rows, cols), src.vector(norm), eps);
    const lbs = cfg.useLowerBound === false ? undefined : lowerBounds(src.vector(MODEL_TENSORS.lowerBounds), cfg.numLayers, d);
    const depth = fffDepthOf(cfg);
    this.layers = Array.from({ length: cfg.numLayers }, (_, n) => {
      const t = layerTensorNames(n);
      const common = {
        attnNorm: src.vector(t.attnNorm),
        i: bit(t.proj('i'), t.projNorm('i'), d, d),
        f: bit(t.proj('f'), t.projNorm('f'), d, d),
        g: bit(t.proj('g'), t.projNorm('g'), d, d),
        o: bit(t.proj('o'), t.projNorm('o'), d, d),
        gNorm: src.vector(t.gNorm),
        mlpNorm: src.vector(t.mlpNorm),
        lowerBound: lbs?.[n],
      };
      if (depth !== undefined) {
        const fff = new FloatFff(depth, src.ternary(t.nodeIn, I, d), src.vector(t.nodeInNorm), src.ternary(t.nodeOut, d, I), src.vector(t.nodeOutNorm), eps);
        return { ...common, glu: undefined, fff };
      }
      const gateUp = src.ternary(t.gateUp, 2 * I, d);
      const gateUpNorm = src.vector(t.gateUpNorm);
      const glu = {
        // gate and up are one tensor upstream, so they share one ternary scale and one input norm.
        gate: new FloatBitLinear(gateUp.rowRange(0, I), gateUpNorm, eps),
        up: new FloatBitLinear(gateUp.rowRange(I, 2 * I), gateUpNorm, eps),
        down: bit(t.down, t.downNorm, d, I),
      };
      return { ...common, glu, fff: undefined };
    });
    // Rows on demand: a large source keeps the table compact (bf16) instead of 4 bytes a value.
    this.embeddings = tableOf(src, MODEL_TENSORS.embeddings, cfg.vocabSize, d);
    this.embeddingRow = new Float32Array(d);
    this.finalNorm = src.vector(MODEL_TENSORS.finalNorm);
    this.lmHead = bit(MODEL_TENSORS.lmHead, MODEL_TENSORS.lmHeadNorm, cfg.vocabSize, d);
    this.h = new Float64Array(d);
    this.x = new Float64Array(d);
    this.a = new Float64Array(d);
    this.b = new Float64Array(d);
    this.c = new Float64Array(d);
    this.wide1 = new Float64Array(depth === undefined ? I : 0); // the GLU's; a tree keeps its own
    this.wide2 = new Float64Array(depth === undefined ? I : 0);
    this.logits64 = new Float64Array(cfg.vocabSize);
    this.logits = new Float32Array(cfg.vocabSize);
  }

  newState(): FloatState {
    return { recurrent: this.layers.map(() => new Float64Array(this.config.hiddenSize)) };
  }

  /** Feed one token; returns the logits for the next one (a buffer reused by the next call). */
  step(state: FloatState, token: number): Float32Array {
    const { h, x, a, b, c, wide1, wide2 } = this;
    const d = this.config.hiddenSize;
    const eps = this.config.rmsNormEps;
    if (!Number.isInteger(token) || token < 0 || token >= this.config.vocabSize) throw new RangeError(`token ${token} outside the vocabulary of ${this.config.vocabSize}`);
    this.embeddings.row(token, this.embeddingRow);
    for (let j = 0; j < d; j++) h[j] = this.embeddingRow[j]!;
    this.layers.forEach((L, n) => {
      this.onHidden?.(n, h);
      const s = state.recurrent[n]!;
      rmsNorm(h, L.attnNorm, eps, x);
      L.f.forward(x, a);
      L.i.forward(x, b);
      const lb = L.lowerBound;
      for (let j = 0; j < d; j++) {
        let f = sigmoid(a[j]!);
        if (lb && n > 0) f = lb[j]! + (1 - lb[j]!) * f;
        s[j] = f * s[j]! + silu(b[j]!) * (1 - f);
      }
      L.g.forward(x, a);
      rmsNorm(a, L.gNorm, eps, c);
      for (let j = 0; j < d; j++) c[j] = c[j]! * silu(s[j]!);
      L.o.forward(c, a);
      for (let j = 0; j < d; j++) h[j] = h[j]! + a[j]!;
      rmsNorm(h, L.mlpNorm, eps, x);
      if (L.fff) {
        if (this.fffDense) L.fff.forwardDense(x, a);
        else L.fff.forward(x, a);
      } else {
        const { gate, up, down } = L.glu!;
        gate.forward(x, wide1);
        up.forward(x, wide2);
        for (let k = 0; k < wide1.length; k++) wide1[k] = silu(wide1[k]!) * wide2[k]!;
        down.forward(wide1, a);
      }
      for (let j = 0; j < d; j++) h[j] = h[j]! + a[j]!;
    });
    rmsNorm(h, this.finalNorm, eps, x);
    this.onHidden?.(this.layers.length, x);
    this.lmHead.forward(x, this.logits64);
    for (let v = 0; v < this.logits.length; v++) this.logits[v] = this.logits64[v]!;
    return this.logits;
  }
}
