// From a model to what the accelerator holds: the per-token program (instruction ROM), the weight-memory
// image (parameter words, ternary matrices, int8 embeddings; loaded through the weight-load stream) and
// the memory map. Everything comes from the fixed-point parameters (model/fixed), so the RTL computes
// exactly what FixedModel.stepInt computes.
import type { FixedParams } from '../model/fixed/fixed-model.ts';
import type { FixedBitLinearParams, FixedVector } from '../numerics/bitlinear.ts';
import { ACT } from '../numerics/formats.ts';
import { packWeightWords } from './units/matvec-unit.ts';
import { isaLayout, encodeInstruction, DST, SRC, type Instruction, type IsaLayout } from './isa.ts';
import { accelGeometry, type AccelConfig, type AccelGeometry } from './config.ts';

/** A named block of the weight memory, in 16-bit words of the load image. */
export interface MemoryRegion {
  name: string;
  /** First 16-bit word (a multiple of the banks for matrices and embeddings: a wide-word boundary). */
  word: number;
  words: number;
}

export interface AccelProgram {
  config: AccelConfig;
  geometry: AccelGeometry;
  layout: IsaLayout;
  instructions: Instruction[];
  /** The instruction ROM, one word per instruction. */
  rom: bigint[];
  /** The weight-load stream: 16-bit words in load order (word k goes to bank k mod B, address k / B). */
  image: Uint16Array;
  regions: MemoryRegion[];
  /** Ternary weights the program streams per token. */
  weightsPerToken: number;
}

/** Lays out words in the load image, wide-word aligned where asked. */
class ImageBuilder {
  private words: number[] = [];
  readonly regions: MemoryRegion[] = [];
  constructor(private readonly banks: number) {}

  get length(): number {
    return this.words.length;
  }

  align(): void {
    while (this.words.length % this.banks !== 0) this.words.push(0);
  }

  add(name: string, words: ArrayLike<number>): MemoryRegion {
    const r = { name, word: this.words.length, words: words.length };
    for (let i = 0; i < words.length; i++) this.words.push(words[i]! & 0xffff);
    this.regions.push(r);
    return r;
  }

  build(): Uint16Array {
    this.align();
    return Uint16Array.from(this.words);
  }
}

/** A wide word (bank 0 in the low 16 bits) as its B 16-bit words. */
function splitWide(w: bigint, banks: number): number[] {
  return Array.from({ length: banks }, (_, b) => Number((w >> BigInt(16 * b)) & 0xffffn));
}

export function compileProgram(params: FixedParams, config: AccelConfig): AccelProgram {
  const cfg = params.config;
  const d = cfg.hiddenSize;
  const I = cfg.intermediateSize;
  const V = cfg.vocabSize;
  const L = cfg.numLayers;
  const geo = accelGeometry(cfg, config);
  const B = geo.banks;
  const img = new ImageBuilder(B);

  // 1. Parameter words: norm mantissas, lower bounds, embedding row scales (16 bits each).
  const param = (name: string, v: ArrayLike<number>): number => img.add(`param ${name}`, v).word;
  interface LayerParams {
    attnNorm: number;
    proj: Record<'f' | 'i' | 'g' | 'o' | 'gateUp' | 'down', number>;
    gNorm: number;
    mlpNorm: number;
    lb: number | undefined;
  }
  const lp: LayerParams[] = params.layers.map((layer, n) => ({
    attnNorm: param(`layers.${n}.attn_norm`, layer.attnNorm.mant),
    proj: {
      f: param(`layers.${n}.f_proj.norm`, layer.f.norm.mant),
      i: param(`layers.${n}.i_proj.norm`, layer.i.norm.mant),
      g: param(`layers.${n}.g_proj.norm`, layer.g.norm.mant),
      o: param(`layers.${n}.o_proj.norm`, layer.o.norm.mant),
      gateUp: param(`layers.${n}.gate_proj.norm`, layer.gateUp.norm.mant),
      down: param(`layers.${n}.down_proj.norm`, layer.down.norm.mant),
    },
    gNorm: param(`layers.${n}.g_norm`, layer.gNorm.mant),
    mlpNorm: param(`layers.${n}.mlp_norm`, layer.mlpNorm.mant),
    lb: layer.lowerBound ? param(`layers.${n}.lower_bound`, layer.lowerBound) : undefined,
  }));
  const finalNorm = param('norm', params.finalNorm.mant);
  const lmNorm = param('lm_head.norm', params.lmHead.norm.mant);
  const rowScale = param('embeddings.row_scale', params.embeddings.rowScale);

  // 2. Ternary matrices in program order, each from a wide-word boundary.
  const matrix = (name: string, p: FixedBitLinearParams): number => {
    img.align();
    const wide = packWeightWords(p.weights.codes, p.weights.rows, p.weights.cols, config.lanes);
    const r = img.add(name, wide.flatMap((w) => splitWide(w, B)));
    return r.word / B;
  };
  const mats = params.layers.map((layer, n) => ({
    f: matrix(`layers.${n}.f_proj`, layer.f),
    i: matrix(`layers.${n}.i_proj`, layer.i),
    g: matrix(`layers.${n}.g_proj`, layer.g),
    o: matrix(`layers.${n}.o_proj`, layer.o),
    gateUp: matrix(`layers.${n}.gate_proj`, layer.gateUp),
    down: matrix(`layers.${n}.down_proj`, layer.down),
  }));
  const lmHead = matrix('lm_head', params.lmHead);

  // 3. Embeddings: int8 codes, each row from a wide-word boundary, 2B bytes per wide word.
  img.align();
  const rowBytes = geo.embedRowWords * 2 * B;
  const emb = new Array<number>((V * rowBytes) / 2).fill(0);
  for (let v = 0; v < V; v++) {
    for (let j = 0; j < d; j++) {
      const byte = params.embeddings.codes[v * d + j]! & 0xff;
      const at = v * rowBytes + j;
      emb[at >> 1] |= (at & 1) === 0 ? byte : byte << 8;
    }
  }
  const embBase = img.add('embeddings', emb).word / B;
  const image = img.build();
  if (image.length > geo.weightWords * B) throw new Error(`weight image of ${image.length} words does not fit the weight memory (${geo.weightWords * B} words)`);

  // The per-token program (model/fixed/fixed-model.ts stepInt, op for op).
  const prog: Instruction[] = [];
  const prescale = (note: string, src: number, w: FixedVector, at: number, dst: number, n = d) =>
    prog.push({ op: 'prescale', note, n, src, dst, param: at, shift: -w.exp });
  const bitlinear = (note: string, p: FixedBitLinearParams, normAt: number, wbase: number, dst: number) =>
    prog.push({ op: 'bitlinear', note, n: p.weights.cols, rows: p.weights.rows, param: normAt, wbase, dst, cmant: p.outScale.mant, cexp: p.outScale.exp, nexp: p.norm.exp });
  prog.push({ op: 'embed', note: 'h = embedding', n: d, param: rowScale, wbase: embBase, shift: -(params.embeddings.exp + ACT.frac), dst: DST.h });
  params.layers.forEach((layer, n) => {
    const at = lp[n]!;
    const m = mats[n]!;
    prog.push({ op: 'dump', note: `debug: layer ${n} input h`, n: d, src: SRC.h });
    prescale(`layer ${n}: u = h * attn_norm`, SRC.h, layer.attnNorm, at.attnNorm, DST.u);
    bitlinear(`layer ${n}: f = f_proj(u)`, layer.f, at.proj.f, m.f, DST.a);
    bitlinear(`layer ${n}: i = i_proj(u)`, layer.i, at.proj.i, m.i, DST.b);
    bitlinear(`layer ${n}: g = g_proj(u)`, layer.g, at.proj.g, m.g, DST.g);
    prog.push({ op: 'mlgru', note: `layer ${n}: MLGRU state update, g = g * silu(state)`, n: d, sbase: n * d, param: at.lb ?? 0, haslb: at.lb === undefined ? 0 : 1, dst: DST.g });
    prog.push({ op: 'dump', note: `debug: layer ${n} state`, n: d, src: SRC.s, sbase: n * d });
    prescale(`layer ${n}: u = g * g_norm`, SRC.g, layer.gNorm, at.gNorm, DST.u);
    bitlinear(`layer ${n}: a = o_proj(u)`, layer.o, at.proj.o, m.o, DST.a);
    prog.push({ op: 'residual', note: `layer ${n}: h += a`, n: d, dst: DST.h });
    prescale(`layer ${n}: u = h * mlp_norm`, SRC.h, layer.mlpNorm, at.mlpNorm, DST.u);
    bitlinear(`layer ${n}: gate, up = gate_proj(u)`, layer.gateUp, at.proj.gateUp, m.gateUp, DST.split);
    prog.push({ op: 'glu', note: `layer ${n}: u = silu(gate) * up`, n: I, dst: DST.u });
    bitlinear(`layer ${n}: a = down_proj(u)`, layer.down, at.proj.down, m.down, DST.a);
    prog.push({ op: 'residual', note: `layer ${n}: h += a`, n: d, dst: DST.h });
  });
  prog.push({ op: 'dump', note: `debug: final h`, n: d, src: SRC.h });
  prescale('u = h * norm', SRC.h, params.finalNorm, finalNorm, DST.u);
  bitlinear('logits = lm_head(u)', params.lmHead, lmNorm, lmHead, DST.logits);
  prog.push({ op: 'dump', note: 'debug: logits', n: V, src: SRC.a });
  prog.push({ op: 'end', note: 'token out = argmax(logits)' });

  const layout = isaLayout(geo.isa);
  const rom = prog.map((ins) => encodeInstruction(ins, layout));
  const weightsPerToken = L * (4 * d * d + 2 * I * d + d * I) + V * d;
  return { config, geometry: geo, layout, instructions: prog, rom, image, regions: img.regions, weightsPerToken };
}

/** What the debug port streams per token, in order: the co-simulation's map from words to values. */
export interface DumpSlot {
  what: 'hidden' | 'state' | 'logits';
  layer: number;
  n: number;
}

export function dumpSlots(p: AccelProgram): DumpSlot[] {
  const out: DumpSlot[] = [];
  let hidden = 0;
  for (const ins of p.instructions) {
    if (ins.op !== 'dump') continue;
    if (ins.src === SRC.h) out.push({ what: 'hidden', layer: hidden++, n: ins.n! });
    else if (ins.src === SRC.s) out.push({ what: 'state', layer: (ins.sbase ?? 0) / p.geometry.d, n: ins.n! });
    else out.push({ what: 'logits', layer: -1, n: ins.n! });
  }
  return out;
}
