// Hardware configuration of the accelerator and the sizes derived from it and from the model's shape.
import { fffDepthOf, type ModelShape } from '../model/config.ts';
import { clog2 } from '../hdl/core/types.ts';
import { matvecChunks } from './units/matvec-unit.ts';
import { scalarTable } from './units/scalar-tables.ts';
import type { IsaGeometry } from './isa.ts';
import type { OverlapOption } from './overlap.ts';

export const TARGETS = ['up5k', 'generic', 'external'] as const;
export type Target = (typeof TARGETS)[number];

export interface AccelConfig {
  /**
   * up5k: the weight memory is the iCE40UP5K's four 16K x 16 SPRAMs; generic: an on-chip memory as deep as
   * the model needs; external: no weight memory on chip, every weight streams from DRAM through a native
   * read port of 2 P bits (accel/external/).
   */
  target: Target;
  /** P: ternary weights per cycle; the weight memory is P / 8 banks of 16 bits (2-bit codes). */
  lanes: number;
  /**
   * R: elements the row side takes per cycle (R row units side by side, the vector memories in R banks);
   * a power of two, at most P / 8 (a stream word holds P / 8 parameter words), dividing the model's d and
   * I. Only the external target has R > 1 (the on-chip targets read one parameter word a cycle). Default:
   * defaultRowLanes.
   */
  rowLanes?: number;
  /**
   * How the external target's DRAM image stores the matrices: 2-bit codes (P a port word, the port 2 P
   * bits) or five weights a byte (1.6 bits: accel/external/trit5-matrix.ts, decoded by
   * accel/units/trit5-gearbox.ts; the port is portBits). The on-chip targets store 2-bit codes.
   */
  packing?: Packing;
  /**
   * W at 5 trits, when the memory's port is wider than the lanes need (LiteDRAM's native port on the
   * ECPIX-5 is 128 bits; 64 lanes need only 64): a power of two from the default (portBits) to 512. The
   * lanes then set the pace (P weights a cycle out of the 1.6 W a word brings), and no width converter
   * sits in front of the controller. At 2 bits the port is always 2 P.
   */
  portBits?: number;
  /**
   * A: accumulators of the matvec unit's column mode, for an FFF model's node_out (a power of two up to
   * P; default P). Each takes one output at a time, so node_out's words are read P / A times: fewer
   * save logic cells (about 31 LUTs an accumulator on an iCE40) for (D + 1) d / A cycles a layer.
   */
  columnLanes?: number;
}

export const PACKINGS = ['2bit', '5trit'] as const;
export type Packing = (typeof PACKINGS)[number];

/**
 * W, the external port's width in bits: 2 P at 2 bits; at 5 trits the widest power of two, at least 64,
 * whose 1.6-bit weights the P lanes can keep up with (W <= 1.6 P): 64 bits bring 40 weights to 64 lanes.
 */
export function portBits(config: AccelConfig): number {
  if ((config.packing ?? '2bit') === '2bit') return 2 * config.lanes;
  if (config.portBits !== undefined) return config.portBits;
  return narrowest5TritPort(config.lanes);
}

/** The default 5-trit port: the widest power of two, at least 64, that P lanes keep up with (W <= 1.6 P). */
function narrowest5TritPort(lanes: number): number {
  let W = 64;
  while (2 * W <= 1.6 * lanes) W *= 2;
  return W;
}

export const DEFAULT_CONFIG: Record<Target, AccelConfig> = {
  up5k: { target: 'up5k', lanes: 32 },
  generic: { target: 'generic', lanes: 32 },
  external: { target: 'external', lanes: 32 },
};

/** Words per SPRAM bank of an iCE40UP5K (SB_SPRAM256KA: 16K x 16). */
export const UP5K_SPRAM_WORDS = 16384;
export const UP5K_SPRAMS = 4;
/** Lanes the up5k target supports: 32 reads all four SPRAMs every cycle (its full bandwidth). */
export const UP5K_LANES: readonly number[] = [8, 16, 32];

/**
 * Up to this many lanes the row unit's long delay lines go to block-RAM rings: at 8 lanes the matvec
 * unit and the q store leave twelve of the UP5K's 30 EBRs free and the board's host interface needs the
 * logic cells; at 16 and 32 lanes the EBRs are taken.
 */
export const ROW_RINGS_MAX_LANES = 8;

/** The external target keeps the logits on chip for the debug read-out up to this vocabulary (M1 grows by V words). */
export const LOGITS_KEPT_MAX_VOCAB = 4096;

/** Register stages in the matvec unit's adder trees (fewer than clog2(P): flip-flops are scarce on an UP5K). */
export const MATVEC_STAGES = 3;

/** Instructions per layer and outside the layers (accel/program.ts, the CLEAR routine's two included), and the widest instruction word. */
export const PROGRAM_OPS_PER_LAYER = 17;
export const PROGRAM_OPS_FIXED = 8;
export const MAX_INSTRUCTION_BITS = 160;

export interface AccelGeometry {
  d: number;
  I: number;
  L: number;
  V: number;
  lanes: number;
  /** R: elements the row side takes per cycle (AccelConfig.rowLanes). */
  rowLanes: number;
  packing: Packing;
  /**
   * Weight-memory banks of 16 bits: a wide word is 16 B bits, P codes on the on-chip targets; on the
   * external target the port word (portBits), which holds B parameter words and 2 B embedding codes.
   */
  banks: number;
  /** Wide words per embedding row (2 B int8 codes each). */
  embedRowWords: number;
  /** Depth of every bank (wide words). */
  weightWords: number;
  /** Wide words the image may use (the program's share is an upper bound). */
  imageWideWords: number;
  paramWords: number;
  /** Width of a token id. */
  tokenBits: number;
  /**
   * Whether the logits are kept in M1 (for the debug read-out): always on chip; on the external target
   * only up to LOGITS_KEPT_MAX_VOCAB, so a 32,000-token lm_head streams through the argmax alone.
   */
  keepLogits: boolean;
  /**
   * The channel mixer's intermediate vector in the vector memories: the GLU's I; an FFF's path, D + 1
   * entries (silu(z) on the nodes visited), not its N nodes.
   */
  inner: number;
  /** The FFF tree of an FFF model (accel/program.ts, accel/control/tree-walk.ts). */
  fff?: FffGeometry;
  /** Longest BitLinear input (q store, quantiser) and most rows. */
  maxCols: number;
  maxRows: number;
  isa: IsaGeometry;
}

/**
 * An FFF channel mixer as the accelerator runs it: node_in row by row along the walk (row n at wide word
 * n C of its matrix), node_out by column (column n's d weights at n C, chunk c at n C + c).
 */
export interface FffGeometry {
  depth: number;
  /** N = 2^(D+1) - 1. */
  nodes: number;
  /** D + 1: the nodes a token visits, the rows of node_in it reads and the columns of node_out. */
  levels: number;
  /** C: words of a node_in row and of a node_out column, ceil(d / P). */
  chunks: number;
  /** A: node_out's outputs taken at a time (AccelConfig.columnLanes). */
  columnLanes: number;
  /** node_out's norm regions start at multiples of this power of two above N, so node n's word is base | n. */
  normAlign: number;
  /**
   * C is a power of two: the tree's matrices start at multiples of matrixAlign wide words (the power of
   * two above N C), so a row's or column's address is base | n C | c (accel/program.ts,
   * accel/control/tree-reader.ts).
   */
  alignedMatrices: boolean;
  matrixAlign: number;
}

/** An FFF model's tree as the accelerator lays it out; undefined for a GLU model. */
function fffGeometry(cfg: ModelShape, config: AccelConfig): FffGeometry | undefined {
  const depth = fffDepthOf(cfg);
  if (depth === undefined) return undefined;
  const nodes = cfg.intermediateSize;
  const chunks = matvecChunks(cfg.hiddenSize, config.lanes);
  return { depth, nodes, levels: depth + 1, chunks, columnLanes: config.columnLanes ?? config.lanes, normAlign: 2 ** (depth + 1), alignedMatrices: (chunks & (chunks - 1)) === 0, matrixAlign: 2 ** clog2(nodes * chunks) };
}

function hasLowerBound(cfg: ModelShape, n: number): boolean {
  return n > 0 && cfg.useLowerBound !== false;
}

export function checkConfig(config: AccelConfig): void {
  const P = config.lanes;
  if (!Number.isInteger(P) || P < 8 || P > 256 || (P & (P - 1)) !== 0) throw new RangeError(`lanes must be a power of two from 8 to 256, got ${P}`);
  if (!(TARGETS as readonly string[]).includes(config.target)) throw new RangeError(`target must be one of ${TARGETS.join(', ')}, got '${config.target}'`);
  // Four 16-bit SPRAMs read in parallel give 64 bits: 32 two-bit codes per cycle. Fewer lanes read fewer
  // SPRAMs at a time (a bank two or four SPRAMs deep): half or a quarter of the bandwidth, for the
  // logic cells a board's host interface needs (board/).
  if (config.target === 'up5k' && !UP5K_LANES.includes(P)) {
    throw new RangeError(`the up5k target reads its four SPRAMs as 1, 2 or 4 banks of 16 bits: lanes must be ${UP5K_LANES.join(', ')}, got ${P}`);
  }
  const packing = config.packing ?? '2bit';
  if (!(PACKINGS as readonly string[]).includes(packing)) throw new RangeError(`packing must be one of ${PACKINGS.join(', ')}, got '${packing}'`);
  if (packing !== '2bit' && config.target !== 'external') throw new RangeError(`${packing} packing needs the external target (the ${config.target} target's weight memory holds 2-bit codes)`);
  if (config.portBits !== undefined) {
    const W = config.portBits;
    if (packing !== '5trit') throw new RangeError(`a port width of its own (${W} bits) needs 5trit packing (at 2 bits the port is 2 x lanes = ${2 * P} bits)`);
    const least = narrowest5TritPort(P);
    if (!Number.isInteger(W) || (W & (W - 1)) !== 0 || W < least || W > 512) throw new RangeError(`port bits must be a power of two from ${least} (what ${P} lanes need at 5 trits) to 512, got ${W}`);
  }
  const A = config.columnLanes;
  if (A !== undefined && (!Number.isInteger(A) || A < 1 || A > P || (A & (A - 1)) !== 0)) throw new RangeError(`column lanes must be a power of two from 1 to the lanes (${P}), got ${A}`);
  const R = config.rowLanes;
  if (R !== undefined) {
    if (!Number.isInteger(R) || R < 1 || (R & (R - 1)) !== 0) throw new RangeError(`row lanes must be a power of two, got ${R}`);
    if (R > 1 && config.target !== 'external') throw new RangeError(`row lanes above 1 need the external target (the ${config.target} target reads one parameter word a cycle), got ${R}`);
    const B = portBits(config) / 16;
    if (R > B) throw new RangeError(`row lanes must be at most ${B} (the parameter words a ${16 * B}-bit stream word holds), got ${R}`);
  }
}

/**
 * R by default, from the lanes and the model's shape. A layer's row work is 18 d + 3 I elements (the
 * element ops and both passes of each BitLinear); its matrices take (4 d^2 + 3 d I) / w cycles, w the
 * weights a cycle (P; at 5 trits at most the 64-bit-per-40-weights port's). While the row work is under
 * a tenth of that, one row lane hides behind the prefetch FIFO entirely (the memory keeps streaming while
 * it runs: 370M at 32 lanes takes the same 11,573,393 cycles a token with 1 row lane as with 4), and
 * the simulation runs faster. Otherwise the row side gets as many lanes as a port word holds parameter
 * words (portBits / 16: P / 8 at 2 bits), the largest power of two up to that dividing d and I. The
 * on-chip targets have one.
 */
export function defaultRowLanes(cfg: ModelShape, config: AccelConfig): number {
  if (config.target !== 'external') return 1;
  const d = cfg.hiddenSize;
  const I = cfg.intermediateSize;
  const weightsPerCycle = (config.packing ?? '2bit') === '5trit' ? Math.min(config.lanes, (portBits(config) / 8) * 5) : config.lanes;
  if (10 * (18 * d + 3 * I) <= (4 * d * d + 3 * d * I) / weightsPerCycle) return 1;
  let R = 1;
  while (2 * R <= portBits(config) / 16 && d % (2 * R) === 0 && I % (2 * R) === 0) R *= 2;
  return R;
}

/** The weight memory's size in wide words: what the model's image takes, and what the target has (undefined: as deep as needed). */
function weightMemory(cfg: ModelShape, config: AccelConfig): { banks: number; paramWords: number; embedRowWords: number; imageWideWords: number; targetWideWords: number | undefined } {
  const d = cfg.hiddenSize;
  const I = cfg.intermediateSize;
  const L = cfg.numLayers;
  const V = cfg.vocabSize;
  const P = config.lanes;
  const banks = portBits(config) / 16;
  // final and lm_head norms, embedding row scales, the scalar unit's tables (scalar-tables.ts)
  let paramWords = 2 * d + V + scalarTable('recip').length + scalarTable('rsqrt').length;
  for (let n = 0; n < L; n++) paramWords += 8 * d + I + (hasLowerBound(cfg, n) ? d : 0);
  // wide words of a matrix's 2-bit codes (P / 8 halfwords a chunk)
  const mat = (rows: number, cols: number) => Math.ceil((rows * matvecChunks(cols, P) * (P / 8)) / banks);
  // the channel mixer: gate_up and down, or an FFF's node_in and node_out (N rows of d each: node_out by
  // column), and a region of D + 1 zero words (the SiLU's STATE weights, accel/program.ts)
  // (aligned, FffGeometry: each from a multiple of the power of two above it, the first after up to that much padding)
  const fff = fffGeometry(cfg, config);
  const tree = fff?.alignedMatrices ? fff.matrixAlign : mat(I, d);
  const mixer = fff ? 2 * tree : mat(2 * I, d) + mat(d, I);
  const treePadding = fff?.alignedMatrices ? fff.matrixAlign : 0;
  // (node_out's norms each start at a multiple of 2^(D+1): N words and one of padding, accel/program.ts)
  if (fff) paramWords += fff.levels + L;
  const embedRowWords = Math.ceil(d / (2 * banks));
  // The program sits at the end of the image: at most PROGRAM_OPS_PER_LAYER L + PROGRAM_OPS_FIXED
  // instructions of at most MAX_INSTRUCTION_BITS each (accel/isa.ts), each from a wide-word boundary.
  const programWideWords = (PROGRAM_OPS_PER_LAYER * L + PROGRAM_OPS_FIXED) * Math.ceil(MAX_INSTRUCTION_BITS / (16 * banks));
  const imageWideWords = Math.ceil(paramWords / banks) + treePadding + L * (4 * mat(d, d) + mixer) + mat(V, d) + V * embedRowWords + programWideWords;
  const targetWideWords = config.target === 'up5k' ? (UP5K_SPRAM_WORDS * UP5K_SPRAMS) / banks : undefined;
  return { banks, paramWords, embedRowWords, imageWideWords, targetWideWords };
}

/**
 * The on-chip targets run both channel mixers; the external target the GLU only (its weight stream is
 * read in program order, and a tree's rows are picked as the token goes: it would need a read port that
 * seeks). Overlap (accel/overlap.ts) is not combined with an FFF tree either.
 */
function checkChannelMixer(cfg: ModelShape, config: AccelConfig & OverlapOption): void {
  if (cfg.channelMixer !== 'fff') return;
  if (config.target === 'external') throw new RangeError(`the external target does not run Fast FeedForward channel mixers (fff_depth ${cfg.fffDepth}): its weights stream in program order; use the up5k or generic target`);
  if (config.overlap === true) throw new RangeError(`overlap is not available for Fast FeedForward channel mixers (fff_depth ${cfg.fffDepth})`);
}

/** Whether the model's image fits the target's weight memory (a generic target's is sized to the model). */
export function fitsWeightMemory(cfg: ModelShape, config: AccelConfig): boolean {
  checkConfig(config);
  checkChannelMixer(cfg, config);
  const w = weightMemory(cfg, config);
  return w.targetWideWords === undefined || w.imageWideWords <= w.targetWideWords;
}

export function accelGeometry(cfg: ModelShape, config: AccelConfig): AccelGeometry {
  checkConfig(config);
  checkChannelMixer(cfg, config);
  const d = cfg.hiddenSize;
  const I = cfg.intermediateSize;
  const L = cfg.numLayers;
  const V = cfg.vocabSize;
  const P = config.lanes;
  const { banks, paramWords, embedRowWords, imageWideWords, targetWideWords } = weightMemory(cfg, config);
  if (targetWideWords !== undefined && imageWideWords > targetWideWords) {
    throw new RangeError(`the model needs ${imageWideWords * banks} words of weight memory (weights, embeddings, parameters); an UP5K's SPRAMs hold ${UP5K_SPRAM_WORDS * UP5K_SPRAMS} (use the generic target for larger models)`);
  }
  const weightWords = targetWideWords ?? imageWideWords;
  const rowLanes = config.rowLanes ?? defaultRowLanes(cfg, config);
  if (d % rowLanes !== 0 || I % rowLanes !== 0) throw new RangeError(`row lanes ${rowLanes} must divide the hidden size ${d} and the intermediate size ${I}`);
  const fff = fffGeometry(cfg, config);
  const inner = fff ? fff.levels : I;
  const maxCols = Math.max(d, inner);
  // an FFF's node_in runs D + 1 rows, its node_out d outputs
  const maxRows = Math.max(d, fff ? fff.levels : 2 * I, V);
  const keepLogits = config.target !== 'external' || V <= LOGITS_KEPT_MAX_VOCAB;
  return {
    d,
    I,
    L,
    V,
    lanes: P,
    rowLanes,
    packing: config.packing ?? '2bit',
    banks,
    embedRowWords,
    weightWords,
    imageWideWords,
    paramWords,
    tokenBits: Math.max(1, clog2(V)),
    keepLogits,
    inner,
    ...(fff ? { fff } : {}),
    maxCols,
    maxRows,
    // The external target's instructions carry no addresses: their words follow them in the stream.
    isa: config.target === 'external'
      ? { maxN: Math.max(maxCols, V, L * d), maxRows, paramWords: 1, stateWords: L * d, weightWords: 1 }
      : { maxN: Math.max(maxCols, V, L * d), maxRows, paramWords, stateWords: L * d, weightWords, fff: fff !== undefined },
  };
}
