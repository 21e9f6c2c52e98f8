// Loads a Hugging Face MatMul-free LM checkpoint (`model_type: hgrn_bit`) strictly: config.json is
// validated (config.ts), every safetensors file is validated (safetensors.ts), and the tensor set must
// be exactly the one the config implies, with the right shapes. BF16, F16 and F32 tensors are accepted.
//
// Accepted paths:
// - a directory with config.json and model.safetensors;
// - a directory with config.json and model.safetensors.index.json (sharded: "weight_map" maps each
//   tensor name to its shard file in the same directory); every shard must exist, every tensor must be
//   in the shard the index names, no tensor may be in two shards, and every shard tensor must be indexed;
// - a path to a .safetensors file: if the directory's index lists that file as a shard, the whole
//   sharded checkpoint is loaded; otherwise that file alone (with the directory's config.json);
// - a path to a model.safetensors.index.json.
// A directory holding both model.safetensors and model.safetensors.index.json is refused as ambiguous.
//
// Tensor names (upstream HGRNBitForCausalLM), per layer n < num_hidden_layers, d = hidden_size,
// I = intermediate_size, V = vocab_size, L = num_hidden_layers:
//   model.layers.n.attn_norm.weight [d]
//   model.layers.n.attn.{i,f,g,o}_proj.weight [d, d], model.layers.n.attn.{i,f,g,o}_proj.norm.weight [d]
//   model.layers.n.attn.g_norm.weight [d]
//   model.layers.n.mlp_norm.weight [d]
//   model.layers.n.mlp.gate_proj.weight [2I, d], model.layers.n.mlp.gate_proj.norm.weight [d]
//   model.layers.n.mlp.down_proj.weight [d, I], model.layers.n.mlp.down_proj.norm.weight [I]
//   or, with channel_mixer "fff" (N = 2^(fff_depth+1) - 1 nodes), in place of gate_proj and down_proj:
//   model.layers.n.mlp.node_in.weight [N, d], model.layers.n.mlp.node_in.norm.weight [d]
//   model.layers.n.mlp.node_out.weight [d, N], model.layers.n.mlp.node_out.norm.weight [N]
//   model.embeddings.weight [V, d], model.lower_bounds [L, d] (only when use_lower_bound),
//   model.norm.weight [d], lm_head.weight [V, d], lm_head.norm.weight [d].
// With tie_word_embeddings, lm_head.weight may be absent (Hugging Face drops tied copies when saving);
// tensor('lm_head.weight') then returns model.embeddings.weight.
import { existsSync, statSync } from 'node:fs';
import { readRegularFile } from '../../util/read-regular-file.ts';
import { describeDuplicate, findDuplicateKey } from '../../util/json-duplicates.ts';
import { basename, dirname, join, resolve } from 'node:path';
import { parseHgrnBitConfig, type HgrnBitConfig } from './config.ts';
import { modelTensors } from '../config.ts';
import { CheckpointError } from './errors.ts';
import { DTYPE_SIZE, readSafetensors, tensorToFloat32, type Dtype, type SafetensorsFile } from './safetensors.ts';
import { checkSizesBeforeAllocating, checkTensorValues, checkTiedCopy } from './values.ts';

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';
export const CONFIG_FILE = 'config.json';

export interface Checkpoint {
  /** Absolute path of the checkpoint's directory. */
  dir: string;
  config: HgrnBitConfig;
  /** The safetensors files read: one, or the shards in the order the index first names them. */
  files: string[];
  /** Names of the stored tensors, sorted. */
  names: string[];
  shapes: ReadonlyMap<string, readonly number[]>;
  dtypes: ReadonlyMap<string, Dtype>;
  /** Sum of the element counts of the stored tensors. */
  parameterCount: number;
  /**
   * One tensor as float32 (row-major, shape in `shapes`), read and converted on first use, then cached:
   * every call returns the same array, which callers must not modify.
   */
  tensor(name: string): Float32Array;
  /**
   * Where a tensor's bytes are (lm_head.weight: the embeddings' when tied), for readers that stream a
   * tensor from its file instead of holding it as float32 (stream.ts).
   */
  locate(name: string): { file: SafetensorsFile; name: string };
}

/** The exact tensor set (name -> shape) a config implies; `lm_head.weight` included even when tied. */
export function expectedTensorShapes(config: HgrnBitConfig): Map<string, number[]> {
  return new Map(modelTensors(config).map((t) => [t.name, t.shape]));
}

type Layout =
  | { dir: string; kind: 'single'; file: string }
  | { dir: string; kind: 'sharded'; index: string };

export function loadCheckpoint(pathToDirOrFile: string): Checkpoint {
  const layout = resolveLayout(resolve(pathToDirOrFile));
  const config = readConfig(join(layout.dir, CONFIG_FILE));

  // tensor name -> the file holding it
  const owner = new Map<string, SafetensorsFile>();
  let files: SafetensorsFile[];
  let setFile: string; // the file named by tensor-set errors
  if (layout.kind === 'single') {
    const f = readSafetensors(layout.file);
    for (const name of f.tensors.keys()) owner.set(name, f);
    files = [f];
    setFile = layout.file;
  } else {
    files = readShards(layout.index, owner);
    setFile = layout.index;
  }

  checkSizesBeforeAllocating(setFile, config, owner);
  checkTensorSet(setFile, config, owner);
  if (config.tieWordEmbeddings && owner.has('lm_head.weight')) {
    const lm = owner.get('lm_head.weight')!;
    checkTiedCopy(lm.path, tensorToFloat32(owner.get('model.embeddings.weight')!, 'model.embeddings.weight'), tensorToFloat32(lm, 'lm_head.weight'), config.hiddenSize);
  }

  const shapes = new Map<string, readonly number[]>();
  const dtypes = new Map<string, Dtype>();
  let parameterCount = 0;
  const names = [...owner.keys()].sort();
  for (const name of names) {
    const info = owner.get(name)!.tensors.get(name)!;
    shapes.set(name, info.shape);
    dtypes.set(name, info.dtype);
    parameterCount += info.shape.reduce((a, b) => a * b, 1);
  }

  const cache = new Map<string, Float32Array>();
  const tensor = (name: string): Float32Array => {
    const cached = cache.get(name);
    if (cached) return cached;
    let stored = name;
    if (!owner.has(name) && name === 'lm_head.weight' && config.tieWordEmbeddings) stored = 'model.embeddings.weight';
    const file = owner.get(stored);
    if (!file) throw new CheckpointError(setFile, 'no such tensor in the checkpoint', { tensor: name });
    let data = cache.get(stored);
    if (!data) {
      data = tensorToFloat32(file, stored);
      const info = file.tensors.get(stored)!;
      checkTensorValues(file.path, stored, data, { shape: info.shape, byteOffset: info.byteOffset, elementBytes: DTYPE_SIZE[info.dtype] });
    }
    cache.set(stored, data);
    cache.set(name, data);
    return data;
  };

  const locate = (name: string): { file: SafetensorsFile; name: string } => {
    const stored = !owner.has(name) && name === 'lm_head.weight' && config.tieWordEmbeddings ? 'model.embeddings.weight' : name;
    const file = owner.get(stored);
    if (!file) throw new CheckpointError(setFile, 'no such tensor in the checkpoint', { tensor: name });
    return { file, name: stored };
  };

  return { dir: layout.dir, config, files: files.map((f) => f.path), names, shapes, dtypes, parameterCount, tensor, locate };
}

function resolveLayout(path: string): Layout {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (err) {
    throw new CheckpointError(path, `cannot open checkpoint (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (isDir) {
    const single = join(path, SINGLE_FILE);
    const index = join(path, INDEX_FILE);
    const hasSingle = existsSync(single);
    const hasIndex = existsSync(index);
    if (hasSingle && hasIndex) {
      throw new CheckpointError(path, `both ${SINGLE_FILE} and ${INDEX_FILE} are present: ambiguous, keep one`);
    }
    if (hasSingle) return { dir: path, kind: 'single', file: single };
    if (hasIndex) return { dir: path, kind: 'sharded', index };
    throw new CheckpointError(path, `neither ${SINGLE_FILE} nor ${INDEX_FILE} found in the directory`);
  }
  const dir = dirname(path);
  if (path.endsWith('.index.json')) return { dir, kind: 'sharded', index: path };
  if (!path.endsWith('.safetensors')) {
    throw new CheckpointError(path, 'not a checkpoint: expected a directory, a .safetensors file or a .index.json file');
  }
  const index = join(dir, INDEX_FILE);
  if (existsSync(index) && shardNamesOf(index).has(basename(path))) return { dir, kind: 'sharded', index };
  return { dir, kind: 'single', file: path };
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readRegularFile(path, MAX_JSON_BYTES).toString('utf8');
  } catch (err) {
    const reason = (err as Error).message;
    throw new CheckpointError(path, reason === 'no such file or directory' ? 'file not found' : `cannot read: ${reason}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CheckpointError(path, `not valid JSON: ${(err as Error).message}`);
  }
  const dup = findDuplicateKey(text);
  if (dup) throw new CheckpointError(path, `ambiguous JSON: ${describeDuplicate(dup)}`, { field: dup.path === '' ? dup.key : `${dup.path}.${dup.key}` });
  return json;
}

/** config.json and the shard index are small; a larger file is not one of them. */
const MAX_JSON_BYTES = 100 * 2 ** 20;

function readConfig(path: string): HgrnBitConfig {
  return parseHgrnBitConfig(readJson(path), path);
}

/** weight_map of an index, validated: tensor name -> shard file name (a plain name in the same directory). */
function readWeightMap(indexPath: string): Map<string, string> {
  const json = readJson(indexPath);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new CheckpointError(indexPath, 'index is not a JSON object');
  }
  const wm = (json as Record<string, unknown>)['weight_map'];
  if (typeof wm !== 'object' || wm === null || Array.isArray(wm)) {
    throw new CheckpointError(indexPath, 'weight_map must be an object mapping tensor names to shard files', { field: 'weight_map' });
  }
  const map = new Map<string, string>();
  for (const [name, shard] of Object.entries(wm as Record<string, unknown>)) {
    if (typeof shard !== 'string' || !isPlainShardName(shard)) {
      throw new CheckpointError(indexPath, `shard ${JSON.stringify(shard)} must be a .safetensors file name in the same directory`, {
        field: 'weight_map',
        tensor: name,
      });
    }
    map.set(name, shard);
  }
  return map;
}

function shardNamesOf(indexPath: string): Set<string> {
  return new Set(readWeightMap(indexPath).values());
}

/** No directories, no '..': a shard can only be a file next to its index. */
function isPlainShardName(s: string): boolean {
  return s.endsWith('.safetensors') && !s.includes('/') && !s.includes('\\') && s !== '.safetensors' && !s.startsWith('.');
}

function readShards(indexPath: string, owner: Map<string, SafetensorsFile>): SafetensorsFile[] {
  const dir = dirname(indexPath);
  const weightMap = readWeightMap(indexPath);
  const shardNames: string[] = [];
  const firstTensorOf = new Map<string, string>();
  for (const [name, shard] of weightMap) {
    if (!firstTensorOf.has(shard)) {
      firstTensorOf.set(shard, name);
      shardNames.push(shard);
    }
  }
  const shards = new Map<string, SafetensorsFile>();
  for (const shard of shardNames) {
    const shardPath = join(dir, shard);
    if (!existsSync(shardPath)) {
      throw new CheckpointError(indexPath, `shard ${shard} does not exist`, { tensor: firstTensorOf.get(shard)! });
    }
    shards.set(shard, readSafetensors(shardPath));
  }
  // A tensor in two shards first (the index can name only one of them).
  const holder = new Map<string, string>();
  for (const [shard, f] of shards) {
    for (const name of f.tensors.keys()) {
      const other = holder.get(name);
      if (other !== undefined) {
        throw new CheckpointError(indexPath, `tensor is in both shards ${other} and ${shard}`, { tensor: name });
      }
      holder.set(name, shard);
    }
  }
  for (const [name, shard] of holder) {
    const indexed = weightMap.get(name);
    const f = shards.get(shard)!;
    const info = f.tensors.get(name)!;
    const bytes = [info.byteOffset, info.byteOffset + info.byteLength] as const;
    if (indexed === undefined) {
      throw new CheckpointError(f.path, `tensor is not listed in the weight_map of ${basename(indexPath)}`, { tensor: name, bytes });
    }
    if (indexed !== shard) {
      throw new CheckpointError(f.path, `tensor is in shard ${shard} but ${basename(indexPath)} says ${indexed}`, { tensor: name, bytes });
    }
  }
  for (const [name, shard] of weightMap) {
    if (!shards.get(shard)!.tensors.has(name)) {
      throw new CheckpointError(indexPath, `the index puts the tensor in shard ${shard}, which does not hold it`, { tensor: name });
    }
  }
  for (const [name, shard] of holder) owner.set(name, shards.get(shard)!);
  return [...shards.values()];
}

const LIST_AT_MOST = 5;

function listSome(names: string[], sep = ', '): string {
  const shown = names.slice(0, LIST_AT_MOST).join(sep);
  return names.length > LIST_AT_MOST ? `${shown}, ... (${names.length} in all)` : shown;
}

function checkTensorSet(file: string, config: HgrnBitConfig, owner: Map<string, SafetensorsFile>): void {
  const expected = expectedTensorShapes(config);
  const optional = new Set<string>(config.tieWordEmbeddings ? ['lm_head.weight'] : []);
  const missing = [...expected.keys()].filter((n) => !owner.has(n) && !optional.has(n));
  if (missing.length > 0) {
    throw new CheckpointError(file, `${missing.length} tensor${missing.length === 1 ? '' : 's'} missing for the config: ${listSome(missing)}`, {
      tensor: missing[0]!,
    });
  }
  const extra = [...owner.keys()].filter((n) => !expected.has(n)).sort();
  if (extra.length > 0) {
    throw new CheckpointError(file, `${extra.length} tensor${extra.length === 1 ? '' : 's'} not expected for the config: ${listSome(extra)}`, {
      tensor: extra[0]!,
    });
  }
  const wrong: string[] = [];
  for (const [name, want] of expected) {
    const f = owner.get(name);
    if (!f) continue;
    const got = f.tensors.get(name)!.shape;
    if (got.length !== want.length || got.some((v, i) => v !== want[i])) {
      wrong.push(`${name} expected [${want.join(', ')}], got [${got.join(', ')}]`);
    }
  }
  if (wrong.length > 0) {
    const first = wrong[0]!.split(' ')[0]!;
    const info = owner.get(first)!.tensors.get(first)!;
    throw new CheckpointError(
      owner.get(first)!.path,
      `${wrong.length} tensor${wrong.length === 1 ? ' has' : 's have'} the wrong shape for the config: ${listSome(wrong, '; ')}${fffHint(config, first)}`,
      { tensor: first, bytes: [info.byteOffset, info.byteOffset + info.byteLength] },
    );
  }
}

/** For a tree tensor of the wrong shape: where the config's N comes from (another depth is the usual cause). */
function fffHint(config: HgrnBitConfig, tensor: string): string {
  if (config.channelMixer !== 'fff' || !/\.mlp\.node_(in|out)\./.test(tensor)) return '';
  return ` (fff_depth ${config.fffDepth}: N = 2^(${config.fffDepth}+1) - 1 = ${config.intermediateSize} nodes)`;
}
