// From a model to what the accelerator holds: the per-token program (instruction ROM), the weight-memory
// image (parameter words, ternary matrices, int8 embeddings; loaded through the weight-load stream) and
// the memory map. Everything comes from the fixed-point parameters (model/fixed), so the RTL computes
// exactly what FixedModel.stepInt computes.
import type { FixedParams } from '../model/fixed/fixed-model.ts';
import type { FixedBitLinearParams, FixedVector } from '../numerics/bitlinear.ts';
import { ACT } from '../numerics/formats.ts';
import { packWeightHalfwords } from './units/matvec-unit.ts';
import { isaLayout, encodeInstruction, DST, XSEL, YSEL, WSEL, M1REG, M2REG, WALK, type Instruction, type IsaLayout } from './isa.ts';
import { scalarTable } from './units/scalar-tables.ts';
import { ROW_ZERO_SHIFT } from './units/row-unit.ts';
import { accelGeometry, MAX_INSTRUCTION_BITS, PROGRAM_OPS_FIXED, PROGRAM_OPS_PER_LAYER, type AccelConfig, type AccelGeometry } from './config.ts';
import { withOverlapFlags, type OverlapOption } from './overlap.ts';

/** A named block of the weight memory, in 16-bit words of the load image. */
export interface MemoryRegion {
  name: string;
  /** First 16-bit word (a multiple of the banks for matrices and embeddings: a wide-word boundary). */
  word: number;
  words: number;
}

export interface AccelProgram {
  config: AccelConfig & OverlapOption;
  geometry: AccelGeometry;
  layout: IsaLayout;
  instructions: Instruction[];
  /** The CLEAR routine (zero every recurrent state), run instead of a token when tok_in_clear is 1. */
  clearInstructions: Instruction[];
  /** The program and then the CLEAR routine, one word per instruction, loaded into the weight memory with everything else. */
  rom: bigint[];
  /** Where the program and the CLEAR routine start (wide words) and how many wide words one instruction takes. */
  programWide: number;
  clearWide: number;
  instructionWideWords: number;
  /** The weight-load stream: 16-bit words in load order (word k goes to bank k mod B, address k / B). */
  image: Uint16Array;
  regions: MemoryRegion[];
  /** Ternary weights the program streams per token. */
  weightsPerToken: number;
  /** Parameter words of the scalar units' tables (the UP5K has no block RAM to spare for them). */
  tables: { recip: number; rsqrt: number };
}

/** Lays out words in the load image, wide-word aligned where asked (in typed chunks: a 370M model's image is 43 M words). */
class ImageBuilder {
  private chunks: Uint16Array[] = [];
  private words = 0;
  readonly regions: MemoryRegion[] = [];
  constructor(private readonly banks: number) {}

  get length(): number {
    return this.words;
  }

  /** Pads to a multiple of `k` words (default: a wide word). */
  align(k = this.banks): void {
    const pad = (k - (this.words % k)) % k;
    if (pad > 0) this.add('', new Uint16Array(pad), false);
  }

  add(name: string, words: ArrayLike<number>, named = true): MemoryRegion {
    const r = { name, word: this.words, words: words.length };
    this.chunks.push(words instanceof Uint16Array ? words : Uint16Array.from(words, (w) => w & 0xffff));
    this.words += words.length;
    if (named) this.regions.push(r);
    return r;
  }

  build(): Uint16Array {
    this.align();
    const out = new Uint16Array(this.words);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

/** A wide word (bank 0 in the low 16 bits) as its B 16-bit words. */
function splitWide(w: bigint, banks: number): number[] {
  return Array.from({ length: banks }, (_, b) => Number((w >> BigInt(16 * b)) & 0xffffn));
}

export function compileProgram(params: FixedParams, config: AccelConfig & OverlapOption): AccelProgram {
  if (config.overlap && config.target === 'external') throw new RangeError('overlap: the external target does not overlap a BitLinear\'s passes with the matrix before it (on-chip targets only)');
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
    proj: Record<'f' | 'i' | 'g' | 'o', number>;
    /** The channel mixer's norms: gate_proj and down_proj's, or an FFF's node_in and node_out (N words, gathered along the path). */
    mixer: { first: number; second: number };
    gNorm: number;
    mlpNorm: number;
    lb: number | undefined;
  }
  // node_out's norms first, each from a multiple of 2^(D+1) (N words and one of padding): the controller
  // gathers node n's word as base | n, with no adder (accel/top.ts)
  const nodeOutNorms = params.layers.map((layer, n) => {
    if (!layer.fff || !geo.fff) return 0;
    img.align(geo.fff.normAlign);
    return param(`layers.${n}.mlp.node_out.norm`, layer.fff.nodeOut.norm.mant);
  });
  const lp: LayerParams[] = params.layers.map((layer, n) => ({
    attnNorm: param(`layers.${n}.attn_norm`, layer.attnNorm.mant),
    proj: {
      f: param(`layers.${n}.f_proj.norm`, layer.f.norm.mant),
      i: param(`layers.${n}.i_proj.norm`, layer.i.norm.mant),
      g: param(`layers.${n}.g_proj.norm`, layer.g.norm.mant),
      o: param(`layers.${n}.o_proj.norm`, layer.o.norm.mant),
    },
    mixer: layer.fff
      ? { first: param(`layers.${n}.mlp.node_in.norm`, layer.fff.nodeIn.norm.mant), second: nodeOutNorms[n]! }
      : { first: param(`layers.${n}.gate_proj.norm`, layer.gateUp.norm.mant), second: param(`layers.${n}.down_proj.norm`, layer.down.norm.mant) },
    gNorm: param(`layers.${n}.g_norm`, layer.gNorm.mant),
    mlpNorm: param(`layers.${n}.mlp_norm`, layer.mlpNorm.mant),
    lb: layer.lowerBound ? param(`layers.${n}.lower_bound`, layer.lowerBound) : undefined,
  }));
  // An FFF model's SiLU is a STATE with forget gate 0 (state' = silu(z) + 0 (state - silu(z))): its f
  // are these D + 1 zero words, shared by every layer.
  const fffZeros = geo.fff ? param('fff.zeros', new Uint16Array(geo.fff.levels)) : 0;
  const finalNorm = param('norm', params.finalNorm.mant);
  const lmNorm = param('lm_head.norm', params.lmHead.norm.mant);
  const rowScale = param('embeddings.row_scale', params.embeddings.rowScale);
  const tables = { recip: param('table.recip', scalarTable('recip')), rsqrt: param('table.rsqrt', scalarTable('rsqrt')) };

  // 1b. An FFF's tree matrices, when C is a power of two: next, each from a multiple of the power of two
  // above its N C wide words (C wide words of padding each, and up to that power once after the
  // parameters), so the controller forms a row's or a column's address as base | n C | c, with no adder
  // on the path from a row's sum to the weight memory (accel/control/tree-reader.ts). node_out goes in
  // by column (its transpose's rows): node n's d weights, chunk c of them at wide word n C + c, as
  // node_in's row n (accel/config.ts FffGeometry). With another C they follow in program order, and
  // the controller adds.
  const trees = (n: number) => {
    const t = params.layers[n]!.fff!;
    const at = (name: string, m: { codes: ArrayLike<number>; rows: number; cols: number }): number => {
      img.align(geo.fff!.alignedMatrices ? geo.fff!.matrixAlign * B : B);
      return img.add(name, packWeightHalfwords(m.codes, m.rows, m.cols, config.lanes)).word / B;
    };
    return { first: at(`layers.${n}.mlp.node_in`, t.nodeIn.weights), second: at(`layers.${n}.mlp.node_out (by column)`, t.nodeOutColumns) };
  };
  const alignedTrees = geo.fff?.alignedMatrices ? params.layers.map((_, n) => trees(n)) : [];

  // 2. Ternary matrices in program order, each from a wide-word boundary.
  const matrix = (name: string, p: FixedBitLinearParams): number => {
    img.align();
    const r = img.add(name, packWeightHalfwords(p.weights.codes, p.weights.rows, p.weights.cols, config.lanes));
    return r.word / B;
  };
  const mats = params.layers.map((layer, n) => ({
    f: matrix(`layers.${n}.f_proj`, layer.f),
    i: matrix(`layers.${n}.i_proj`, layer.i),
    g: matrix(`layers.${n}.g_proj`, layer.g),
    o: matrix(`layers.${n}.o_proj`, layer.o),
    mixer: layer.fff
      ? (alignedTrees[n] ?? trees(n))
      : { first: matrix(`layers.${n}.gate_proj`, layer.gateUp), second: matrix(`layers.${n}.down_proj`, layer.down) },
  }));
  const lmHead = matrix('lm_head', params.lmHead);

  // 3. Embeddings: int8 codes, each row from a wide-word boundary, 2B bytes per wide word.
  img.align();
  const rowBytes = geo.embedRowWords * 2 * B;
  const emb = new Uint16Array((V * rowBytes) / 2);
  for (let v = 0; v < V; v++) {
    for (let j = 0; j < d; j++) {
      const byte = params.embeddings.codes[v * d + j]! & 0xff;
      const at = v * rowBytes + j;
      emb[at >> 1] |= (at & 1) === 0 ? byte : byte << 8;
    }
  }
  const embBase = img.add('embeddings', emb).word / B;

  // The per-token program (model/fixed/fixed-model.ts stepInt, op for op).
  const prog: Instruction[] = [];
  const S = (n: number) => n * d; // layer n's state within the S region
  const prescale = (note: string, m1reg: number, w: FixedVector, at: number) =>
    prog.push({ op: 'element', rowop: 'prescale', note, n: d, xsel: XSEL.m1, m1reg, wsel: WSEL.param, param: at, shift: -w.exp, dst: DST.u });
  const bitlinear = (note: string, p: FixedBitLinearParams, normAt: number, wbase: number, dst: number) =>
    prog.push({ op: 'bitlinear', note, n: p.weights.cols, rows: p.weights.rows, xsel: XSEL.m2, m2reg: M2REG.u, wsel: WSEL.param, param: normAt, wbase, dst, cmant: p.outScale.mant, sexp: p.outScale.exp + p.norm.exp });
  const dump = (note: string, x: Omit<Instruction, 'op' | 'note'>) => prog.push({ op: 'dump', note: `debug: ${note}`, ...x });
  prog.push({ op: 'embed', rowop: 'prescale', note: 'h = embedding', n: d, xsel: XSEL.emb, wsel: WSEL.emb, param: rowScale, wbase: embBase, shift: -(params.embeddings.exp + ACT.frac), dst: DST.h });
  params.layers.forEach((layer, n) => {
    const at = lp[n]!;
    const m = mats[n]!;
    dump(`layer ${n} input h`, { n: d, xsel: XSEL.m1, m1reg: M1REG.h });
    prescale(`layer ${n}: u = h * attn_norm`, M1REG.h, layer.attnNorm, at.attnNorm);
    bitlinear(`layer ${n}: f = f_proj(u)`, layer.f, at.proj.f, m.f, DST.a);
    bitlinear(`layer ${n}: i = i_proj(u)`, layer.i, at.proj.i, m.i, DST.b);
    bitlinear(`layer ${n}: g = g_proj(u)`, layer.g, at.proj.g, m.g, DST.g);
    prog.push({ op: 'element', rowop: 'gate', note: `layer ${n}: f = forget gate (lower bound) of sigmoid(f)`, n: d, xsel: XSEL.m1, m1reg: M1REG.a, wsel: WSEL.param, param: at.lb ?? 0, haslb: at.lb === undefined ? 0 : 1, dst: DST.a });
    prog.push({ op: 'element', rowop: 'state', note: `layer ${n}: state = f state + (1 - f) silu(i)`, n: d, xsel: XSEL.m3, ysel: YSEL.m2, m2reg: M2REG.s, sbase: S(n), wsel: WSEL.m1, m1reg: M1REG.a, dst: DST.s });
    dump(`layer ${n} state`, { n: d, xsel: XSEL.m2, m2reg: M2REG.s, sbase: S(n) });
    prog.push({ op: 'element', rowop: 'gated', note: `layer ${n}: g = g * silu(state)`, n: d, xsel: XSEL.m2, m2reg: M2REG.s, sbase: S(n), ysel: YSEL.m1, m1reg: M1REG.g, dst: DST.g });
    prescale(`layer ${n}: u = g * g_norm`, M1REG.g, layer.gNorm, at.gNorm);
    bitlinear(`layer ${n}: o = o_proj(u)`, layer.o, at.proj.o, m.o, DST.b);
    prog.push({ op: 'element', rowop: 'residual', note: `layer ${n}: h += o`, n: d, xsel: XSEL.m1, m1reg: M1REG.h, ysel: YSEL.m3, dst: DST.h });
    prescale(`layer ${n}: u = h * mlp_norm`, M1REG.h, layer.mlpNorm, at.mlpNorm);
    if (layer.fff) {
      // numerics/fff.ts: node_in's D + 1 rows along the walk (z to A), silu(z) to U, then node_out's D + 1
      // columns (its norm gathered along the path) to B
      const { nodeIn, nodeOut, depth } = layer.fff;
      const levels = depth + 1;
      prog.push({ op: 'bitlinear', note: `layer ${n}: z = node_in(u) along the tree walk`, n: d, rows: levels, xsel: XSEL.m2, m2reg: M2REG.u, wsel: WSEL.param, param: at.mixer.first, wbase: m.mixer.first, dst: DST.a, cmant: nodeIn.outScale.mant, sexp: nodeIn.outScale.exp + nodeIn.norm.exp, walk: WALK.tree });
      prog.push({ op: 'element', rowop: 'state', note: `layer ${n}: u = silu(z) (a STATE with f = 0)`, n: levels, xsel: XSEL.m1, m1reg: M1REG.a, wsel: WSEL.param, param: fffZeros, dst: DST.u });
      prog.push({ op: 'bitlinear', note: `layer ${n}: down = node_out(u) on the path, by column`, n: levels, rows: d, xsel: XSEL.m2, m2reg: M2REG.u, wsel: WSEL.param, param: at.mixer.second, wbase: m.mixer.second, dst: DST.b, cmant: nodeOut.outScale.mant, sexp: nodeOut.outScale.exp + nodeOut.norm.exp, walk: WALK.columns });
    } else {
      bitlinear(`layer ${n}: gate, up = gate_proj(u)`, layer.gateUp, at.mixer.first, m.mixer.first, DST.split);
      prog.push({ op: 'element', rowop: 'gated', note: `layer ${n}: u = silu(gate) * up`, n: I, xsel: XSEL.m1, m1reg: M1REG.a, ysel: YSEL.m3, dst: DST.u });
      bitlinear(`layer ${n}: down = down_proj(u)`, layer.down, at.mixer.second, m.mixer.second, DST.b);
    }
    prog.push({ op: 'element', rowop: 'residual', note: `layer ${n}: h += down`, n: d, xsel: XSEL.m1, m1reg: M1REG.h, ysel: YSEL.m3, dst: DST.h });
  });
  dump('final h', { n: d, xsel: XSEL.m1, m1reg: M1REG.h });
  prescale('u = h * norm', M1REG.h, params.finalNorm, finalNorm);
  bitlinear('logits = lm_head(u)', params.lmHead, lmNorm, lmHead, DST.logits);
  if (geo.keepLogits) dump('logits', { n: V, xsel: XSEL.m1, m1reg: M1REG.a });
  prog.push({ op: 'end', note: 'token out = argmax(logits)' });
  // which BITLINEARs the next one may start under (accel/overlap.ts: derived from the regions)
  prog.splice(0, prog.length, ...withOverlapFlags(prog, config.overlap === true));

  // CLEAR: a PRESCALE over the whole state region with a shift that rounds every product to 0 (its x
  // are the states and its w the embedding scale register, whatever it holds: any value gives 0; no
  // parameter words, so an external weight stream carries none for it), then END.
  const clear: Instruction[] = [
    { op: 'element', rowop: 'prescale', note: 'clear: every layer\'s state = 0', n: L * d, xsel: XSEL.m2, m2reg: M2REG.s, sbase: 0, wsel: WSEL.emb, shift: ROW_ZERO_SHIFT, dst: DST.s },
    { op: 'end', note: 'clear done' },
  ];

  const layout = isaLayout(geo.isa, { overlapFlag: config.overlap === true });
  const external = config.target === 'external';
  const rom = [...prog, ...clear].map((ins) => encodeInstruction(external ? { ...ins, param: 0, wbase: 0 } : ins, layout));
  if (layout.width > MAX_INSTRUCTION_BITS || rom.length > PROGRAM_OPS_PER_LAYER * L + PROGRAM_OPS_FIXED) throw new Error('accel/config.ts underestimates the program');

  // 4. The program, last: the controller fetches each instruction as instructionWideWords wide words.
  const instructionWideWords = Math.ceil(layout.width / (16 * B));
  img.align();
  const programWide = img.add('program', rom.flatMap((w) => splitWide(w, B * instructionWideWords))).word / B;
  const clearWide = programWide + prog.length * instructionWideWords;
  const image = img.build();
  if (image.length > geo.weightWords * B) throw new Error(`weight image of ${image.length} words does not fit the weight memory (${geo.weightWords * B} words)`);
  // an FFF layer reads D + 1 rows of node_in and D + 1 columns of node_out
  const weightsPerToken = L * (4 * d * d + (geo.fff ? 2 * geo.fff.levels * d : 3 * I * d)) + V * d;
  return { config, geometry: geo, layout, instructions: prog, clearInstructions: clear, rom, programWide, clearWide, instructionWideWords, image, regions: img.regions, weightsPerToken, tables };
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
    if (ins.xsel === XSEL.m1 && ins.m1reg === M1REG.h) out.push({ what: 'hidden', layer: hidden++, n: ins.n! });
    else if (ins.xsel === XSEL.m2 && ins.m2reg === M2REG.s) out.push({ what: 'state', layer: (ins.sbase ?? 0) / p.geometry.d, n: ins.n! });
    else if (ins.xsel === XSEL.m1 && ins.m1reg === M1REG.a) out.push({ what: 'logits', layer: -1, n: ins.n! });
    else throw new Error(`dump '${ins.note}' reads a vector the co-simulation does not compare`);
  }
  return out;
}
