// The fixed-point engine: the accelerator's arithmetic, integer for integer (numerics/). Per token:
//   h = embedding (int8 x row scale)
//   per layer:  u = h * attn_norm;           i, f, g = BitLinear(u)          (one S for all three)
//               f = sigmoid(f), for layers > 0 f = lb + (1 - lb) f
//               state = f state + (1 - f) silu(i)                           (one rounding)
//               u = (g * silu(state)) * g_norm; h += BitLinear_o(u)
//               u = h * mlp_norm; gate, up = BitLinear(u); z = silu(gate) up; h += BitLinear_down(z)
//               (an FFF model: u = h * mlp_norm; h += FFF(u), the tree's path only: numerics/fff.ts)
//   logits = BitLinear_lm_head(h * final_norm)
// RMSNorm's 1/rms never appears on its own: it cancels in every int8 quantisation and lives in each
// BitLinear's output scale (numerics/bitlinear.ts).
import type { Engine } from '../engine.ts';
import { type ModelShape, type WeightSource, MODEL_TENSORS, fffDepthOf, layerTensorNames, tableOf } from '../config.ts';
import { ACT, GATE } from '../../numerics/formats.ts';
import { saturate, shiftRound } from '../../numerics/integer.ts';
import { sigmoidFixed, siluFixed } from '../../numerics/nonlinear.ts';
import { BitLinearScratch, bitLinearFixed, sumOfSquares, type FixedBitLinearParams, type FixedVector } from '../../numerics/bitlinear.ts';
import { bitLinearOutScale, quantizeEmbeddings, toFixedVector, toGate, type FixedEmbeddings } from '../../numerics/convert.ts';
import { lowerBounds } from '../float/float-model.ts';
import { FffScratch, fffFixed, fffFixedDense, type FixedFffParams } from '../../numerics/fff.ts';

export interface FixedLayer {
  attnNorm: FixedVector;
  i: FixedBitLinearParams;
  f: FixedBitLinearParams;
  g: FixedBitLinearParams;
  o: FixedBitLinearParams;
  gNorm: FixedVector;
  mlpNorm: FixedVector;
  /**
   * gate rows [0, I), up rows [I, 2I): one tensor, one scale, one int8 quantisation. An FFF layer has
   * neither: reading gateUp or down there throws (a clear error instead of a wrong matrix).
   */
  gateUp: FixedBitLinearParams;
  down: FixedBitLinearParams;
  /** The FFF tree in place of the GLU, for models with channel mixer fff. */
  fff?: FixedFffParams;
  /** GATE format; undefined for layer 0 and for models without lower bounds (as upstream). */
  lowerBound: Int32Array | undefined;
}

export interface FixedParams {
  config: ModelShape;
  layers: FixedLayer[];
  embeddings: FixedEmbeddings;
  finalNorm: FixedVector;
  lmHead: FixedBitLinearParams;
}

export interface FixedState {
  /** Per layer, the MLGRU state in ACT format. */
  recurrent: Int32Array[];
}

/** Convert a float checkpoint's tensors into the integers the accelerator stores. */
export function fixedParams(src: WeightSource): FixedParams {
  const cfg = src.config;
  const d = cfg.hiddenSize;
  const I = cfg.intermediateSize;
  const bit = (name: string, norm: string, rows: number, cols: number): FixedBitLinearParams => {
    const weights = src.ternary(name, rows, cols);
    return { weights, norm: toFixedVector(src.vector(norm)), outScale: bitLinearOutScale(cols, weights.scale) };
  };
  const lbs = cfg.useLowerBound === false ? undefined : lowerBounds(src.vector(MODEL_TENSORS.lowerBounds), cfg.numLayers, d);
  const depth = fffDepthOf(cfg);
  return {
    config: cfg,
    layers: Array.from({ length: cfg.numLayers }, (_, n) => {
      const t = layerTensorNames(n);
      const layer = {
        attnNorm: toFixedVector(src.vector(t.attnNorm)),
        i: bit(t.proj('i'), t.projNorm('i'), d, d),
        f: bit(t.proj('f'), t.projNorm('f'), d, d),
        g: bit(t.proj('g'), t.projNorm('g'), d, d),
        o: bit(t.proj('o'), t.projNorm('o'), d, d),
        gNorm: toFixedVector(src.vector(t.gNorm)),
        mlpNorm: toFixedVector(src.vector(t.mlpNorm)),
        ...(depth === undefined ? { gateUp: bit(t.gateUp, t.gateUpNorm, 2 * I, d), down: bit(t.down, t.downNorm, d, I) } : {}),
        lowerBound: n > 0 && lbs ? toGate(lbs[n]!) : undefined,
      } as FixedLayer;
      if (depth !== undefined) {
        const nodeOut = bit(t.nodeOut, t.nodeOutNorm, d, I);
        withFff(layer, { depth, nodeIn: bit(t.nodeIn, t.nodeInNorm, I, d), nodeOut, nodeOutColumns: nodeOut.weights.transposed() }, t);
      }
      return layer;
    }),
    embeddings: (() => {
      const table = tableOf(src, MODEL_TENSORS.embeddings, cfg.vocabSize, d);
      return quantizeEmbeddings((v, out) => table.row(v, out), cfg.vocabSize, d);
    })(),
    finalNorm: toFixedVector(src.vector(MODEL_TENSORS.finalNorm)),
    lmHead: bit(MODEL_TENSORS.lmHead, MODEL_TENSORS.lmHeadNorm, cfg.vocabSize, d),
  };
}

/** Makes `layer` an FFF layer: its tree, and gateUp / down that refuse to be read (a clear error, not a wrong matrix). */
function withFff(layer: FixedLayer, fff: FixedFffParams, t: ReturnType<typeof layerTensorNames>): void {
  const refuse = (what: string) => (): never => {
    throw new Error(`${t.nodeIn}: this layer has an FFF channel mixer (depth ${fff.depth}), no ${what} (read layer.fff)`);
  };
  Object.defineProperties(layer, { gateUp: { get: refuse('gate_proj'), enumerable: false }, down: { get: refuse('down_proj'), enumerable: false } });
  layer.fff = fff;
}

/** u_i = sat24(shiftRound(v_i w_i, -exp)): a vector times a norm weight, staying in ACT format. */
export function prescale(v: Int32Array, w: FixedVector, out: Int32Array): void {
  for (let i = 0; i < v.length; i++) out[i] = saturate(shiftRound(v[i]! * w.mant[i]!, -w.exp), ACT.bits);
}

export class FixedModel implements Engine<FixedState> {
  readonly kind = 'fixed' as const;
  readonly config: ModelShape;
  private readonly h: Int32Array;
  private readonly u: Int32Array;
  private readonly a: Int32Array;
  private readonly b: Int32Array;
  private readonly c: Int32Array;
  private readonly wide: Int32Array;
  private readonly z: Int32Array;
  private readonly logitsInt: Int32Array;
  private readonly logits: Float32Array;
  private readonly scratch: BitLinearScratch;
  private readonly fffScratch: FffScratch | undefined;
  private readonly fffDense: boolean;
  /** When set, receives each layer's input (ACT integers) and the last layer's output. */
  onHidden: ((k: number, h: Int32Array) => void) | undefined;

  /** opts.fffDense: an FFF model evaluates all N nodes then masks (the bench's baseline), not the path alone. */
  constructor(readonly params: FixedParams, opts: { fffDense?: boolean } = {}) {
    this.fffDense = opts.fffDense === true;
    const cfg = (this.config = params.config);
    const d = cfg.hiddenSize;
    const depth = fffDepthOf(cfg);
    // The GLU's buffers are I wide; an FFF model's tree keeps its own (FffScratch), N wide only when dense.
    const I = depth === undefined ? cfg.intermediateSize : 0;
    this.h = new Int32Array(d);
    this.u = new Int32Array(Math.max(d, I));
    this.a = new Int32Array(d);
    this.b = new Int32Array(d);
    this.c = new Int32Array(d);
    this.wide = new Int32Array(2 * I);
    this.z = new Int32Array(I);
    this.logitsInt = new Int32Array(cfg.vocabSize);
    this.logits = new Float32Array(cfg.vocabSize);
    this.scratch = new BitLinearScratch(Math.max(d, I), Math.max(2 * I, cfg.vocabSize, d));
    this.fffScratch = depth === undefined ? undefined : new FffScratch(depth, d, cfg.intermediateSize, this.fffDense);
  }

  static fromSource(src: WeightSource, opts: { fffDense?: boolean } = {}): FixedModel {
    return new FixedModel(fixedParams(src), opts);
  }

  newState(): FixedState {
    return { recurrent: this.params.layers.map(() => new Int32Array(this.config.hiddenSize)) };
  }

  /** Feed one token; returns the next-token logits in ACT integers (a buffer reused by the next call). */
  stepInt(state: FixedState, token: number): Int32Array {
    const { h, a, b, c, wide, z, scratch } = this;
    const cfg = this.config;
    const d = cfg.hiddenSize;
    const I = cfg.intermediateSize;
    if (!Number.isInteger(token) || token < 0 || token >= cfg.vocabSize) throw new RangeError(`token ${token} outside the vocabulary of ${cfg.vocabSize}`);
    const emb = this.params.embeddings;
    const rs = emb.rowScale[token]!;
    for (let j = 0; j < d; j++) h[j] = saturate(shiftRound(emb.codes[token * d + j]! * rs, -(emb.exp + ACT.frac)), ACT.bits);
    const u = this.u.subarray(0, d);
    this.params.layers.forEach((L, n) => {
      this.onHidden?.(n, h);
      const s = state.recurrent[n]!;
      prescale(h, L.attnNorm, u);
      let energy = sumOfSquares(u);
      bitLinearFixed(u, energy, L.f, a, scratch);
      bitLinearFixed(u, energy, L.i, b, scratch);
      bitLinearFixed(u, energy, L.g, c, scratch);
      const lb = L.lowerBound;
      for (let j = 0; j < d; j++) {
        const sig = sigmoidFixed(a[j]!);
        const f = lb ? lb[j]! + shiftRound((GATE.one - lb[j]!) * sig, GATE.frac) : sig;
        s[j] = saturate(shiftRound(f * s[j]! + (GATE.one - f) * siluFixed(b[j]!), GATE.frac), ACT.bits);
        c[j] = saturate(shiftRound(c[j]! * siluFixed(s[j]!), ACT.frac), ACT.bits);
      }
      prescale(c, L.gNorm, u);
      bitLinearFixed(u, sumOfSquares(u), L.o, a, scratch);
      for (let j = 0; j < d; j++) h[j] = saturate(h[j]! + a[j]!, ACT.bits);
      prescale(h, L.mlpNorm, u);
      if (L.fff) {
        (this.fffDense ? fffFixedDense : fffFixed)(u, sumOfSquares(u), L.fff, a, this.fffScratch!);
      } else {
        bitLinearFixed(u, sumOfSquares(u), L.gateUp, wide, scratch);
        for (let k = 0; k < I; k++) z[k] = saturate(shiftRound(siluFixed(wide[k]!) * wide[I + k]!, ACT.frac), ACT.bits);
        energy = sumOfSquares(z);
        bitLinearFixed(z, energy, L.down, a, scratch);
      }
      for (let j = 0; j < d; j++) h[j] = saturate(h[j]! + a[j]!, ACT.bits);
    });
    this.onHidden?.(this.params.layers.length, h);
    prescale(h, this.params.finalNorm, u);
    bitLinearFixed(u, sumOfSquares(u), this.params.lmHead, this.logitsInt, scratch);
    return this.logitsInt;
  }

  /** The same step with logits as numbers (ACT integers / 2^12, exact) for evaluation. */
  step(state: FixedState, token: number): Float32Array {
    const li = this.stepInt(state, token);
    for (let v = 0; v < li.length; v++) this.logits[v] = li[v]! / 2 ** ACT.frac;
    return this.logits;
  }
}
