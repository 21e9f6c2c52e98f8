// The checks on a checkpoint's values and sizes, beyond its layout: what the loader runs on every
// tensor as it is decoded (one pass over the decoded values, never a second read of the file) and on
// the config before anything the config implies is allocated. Kept in one module so a restructured
// (streaming) loader calls the same functions on each chunk.
import { CheckpointError } from './errors.ts';
import type { HgrnBitConfig } from './config.ts';
import { firstBadParameter, parameterProblem, PARAM_MAX_ABS } from '../../numerics/ranges.ts';

/**
 * Refuses a tensor (or a chunk of one) holding a value outside the parameter range of
 * numerics/ranges.ts: NaN, +-Infinity or |v| > 2^16. The error names the file, the tensor, the element
 * index (as a flat index and, for a matrix, as [row, col]) and the element's bytes.
 * `first` is the flat index of values[0] in the tensor (for chunks); `elementBytes` and `byteOffset`
 * (the tensor's absolute offset in the file) locate the bytes.
 */
export function checkTensorValues(
  file: string,
  tensor: string,
  values: ArrayLike<number>,
  where: { first?: number; shape?: readonly number[]; byteOffset?: number; elementBytes?: number } = {},
): void {
  const i = firstBadParameter(values);
  if (i < 0) return;
  const index = (where.first ?? 0) + i;
  const shape = where.shape;
  const at = shape && shape.length === 2 ? `[${Math.floor(index / shape[1]!)}, ${index % shape[1]!}]` : `[${index}]`;
  const bytes =
    where.byteOffset !== undefined && where.elementBytes !== undefined
      ? { bytes: [where.byteOffset + index * where.elementBytes, where.byteOffset + (index + 1) * where.elementBytes] as const }
      : {};
  throw new CheckpointError(
    file,
    `element ${at} ${parameterProblem(values[i]!)}: parameters must be finite with |value| <= ${PARAM_MAX_ABS} (docs/numerics.md, parameter ranges)`,
    { tensor, ...bytes },
  );
}

/** Tensors per layer and outside the layers (modelTensors in model/config.ts). */
const PER_LAYER = 15;
const OUTSIDE_LAYERS = 4;

/** How many tensors the config implies (with lm_head.weight, which tie_word_embeddings may leave out). */
export function impliedTensorCount(config: Pick<HgrnBitConfig, 'numLayers' | 'useLowerBound'>): number {
  return OUTSIDE_LAYERS + (config.useLowerBound !== false ? 1 : 0) + PER_LAYER * config.numLayers;
}

/** Below this many missing tensors the loader's own tensor-set check lists them exactly. */
const LIST_EXACTLY = 1024;

/**
 * Refuses a config that implies far more tensors than the files hold, BEFORE the loader builds the list
 * of expected names (num_hidden_layers: 1000000 would be 15 million names, and engines would then
 * allocate for a million layers): the error says how many tensors the config implies, how many the
 * files hold, and which layers are missing.
 */
export function checkSizesBeforeAllocating(file: string, config: HgrnBitConfig, present: ReadonlyMap<string, unknown>): void {
  const implied = impliedTensorCount(config);
  const optional = config.tieWordEmbeddings ? 1 : 0;
  if (implied - optional - present.size <= LIST_EXACTLY) return;
  // Layers the files have, by the names model.layers.<n>.*: the missing ones are the others below numLayers.
  const layers = new Set<number>();
  for (const name of present.keys()) {
    const m = /^model\.layers\.(\d+)\./.exec(name);
    if (m) layers.add(Number(m[1]));
  }
  let firstMissing = 0;
  while (layers.has(firstMissing)) firstMissing++;
  throw new CheckpointError(
    file,
    `the config implies ${implied} tensors (num_hidden_layers ${config.numLayers}), the files hold ${present.size}: ` +
      `the tensors of layers ${firstMissing} to ${config.numLayers - 1} are missing (model.layers.${firstMissing}.attn_norm.weight first; the files have ${layers.size} layer${layers.size === 1 ? '' : 's'})`,
    { field: 'num_hidden_layers' },
  );
}

/**
 * With tie_word_embeddings, upstream (Hugging Face's weight tying) computes the logits with the
 * embeddings, whatever lm_head.weight a file also stores. A stored copy that differs from the
 * embeddings leaves two meanings: refused, naming the first element that differs.
 */
export function checkTiedCopy(file: string, embeddings: Float32Array, lmHead: Float32Array, cols: number): void {
  const n = Math.min(embeddings.length, lmHead.length);
  for (let i = 0; i < n; i++) {
    if (!Object.is(embeddings[i], lmHead[i])) {
      throw new CheckpointError(
        file,
        `tie_word_embeddings is true but the stored lm_head.weight differs from model.embeddings.weight at [${Math.floor(i / cols)}, ${i % cols}] (${lmHead[i]} vs ${embeddings[i]}): drop the copy or set tie_word_embeddings false`,
        { tensor: 'lm_head.weight', field: 'tie_word_embeddings' },
      );
    }
  }
}
