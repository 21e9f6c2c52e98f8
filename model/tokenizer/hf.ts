// tokenizer.json (Hugging Face `tokenizers` format) through @huggingface/tokenizers, the pure
// JavaScript implementation kept by Hugging Face (Tokenizers.js; no native code, no dependencies).
// Only the model types it implements properly are accepted: BPE, WordPiece, Unigram. For anything
// else (e.g. WordLevel) the library silently falls back to a "legacy" model that does not map tokens
// to ids, so those are refused here.
//
// Defaults are the Hugging Face ones: encode adds the special tokens the post-processor defines (e.g.
// BOS), decode keeps special tokens.
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { checkIds, TokenizerError, type StreamDecoder, type Tokenizer } from './tokenizer.ts';

const SUPPORTED_MODELS = ['BPE', 'WordPiece', 'Unigram'];

/** Letters, digits, punctuation, spaces, a newline and a multi-byte character. */
const SAMPLE = 'ROMEO: Hello, world! 123\n\u00e9t\u00e9 \u4e16';

// The package's .d.ts files use extensionless relative imports, which TypeScript's NodeNext resolution
// rejects (hidden by skipLibCheck, leaving the class typed `any`); so the part used here is typed here.
interface HfTokenizerApi {
  encode(text: string): { ids: number[] };
  decode(ids: number[]): string;
  get_vocab(withAddedTokens?: boolean): Map<string, number>;
}

/**
 * Builds a tokenizer from parsed tokenizer.json (and optional tokenizer_config.json) contents.
 * `source` names the file in errors.
 */
export function tokenizerFromJson(json: unknown, tokenizerConfig: unknown, source: string): Tokenizer {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new TokenizerError(`${source}: not a JSON object`);
  }
  const model = (json as Record<string, unknown>)['model'];
  const type = typeof model === 'object' && model !== null ? (model as Record<string, unknown>)['type'] : undefined;
  if (typeof type !== 'string' || !SUPPORTED_MODELS.includes(type)) {
    throw new TokenizerError(
      `${source}: model.type ${JSON.stringify(type)} is not supported (supported: ${SUPPORTED_MODELS.join(', ')})`,
    );
  }
  let hf: HfTokenizerApi;
  try {
    hf = new HfTokenizer(json, (tokenizerConfig ?? {}) as object) as HfTokenizerApi;
  } catch (err) {
    throw new TokenizerError(`${source}: cannot build the tokenizer: ${(err as Error).message}`);
  }
  let maxId = -1;
  for (const id of hf.get_vocab(true).values()) maxId = Math.max(maxId, id);
  const vocabSize = maxId + 1;
  if (vocabSize === 0) throw new TokenizerError(`${source}: the vocabulary is empty`);
  // The library builds lazily: some broken components fail only when text goes through them. A sample
  // through encode and decode now makes that a load error, not a failure in the middle of a command.
  try {
    const ids = hf.encode(SAMPLE).ids;
    checkIds(ids, vocabSize, `${source}: encoding a sample text`);
    if (ids.length > 0) hf.decode(ids);
  } catch (err) {
    if (err instanceof TokenizerError) throw err;
    throw new TokenizerError(`${source}: the tokenizer fails on a sample text: ${(err as Error).message}`);
  }

  const decode = (ids: number[]): string => {
    checkIds(ids, vocabSize, source);
    return ids.length === 0 ? '' : hf.decode(ids); // the library refuses an empty array
  };
  return {
    vocabSize,
    source,
    encode: (text) => hf.encode(text).ids,
    decode,
    createDecoder: () => incrementalDecoder(decode),
  };
}

/**
 * Streaming decode for any tokenizer whose decode turns incomplete characters into U+FFFD (byte-level
 * BPE, byte fallback): the usual prefix/read-offset scheme. Text is emitted once the decode of the
 * pending ids grows and does not end in U+FFFD; decoding from a little before the new ids keeps
 * decoders that depend on the neighbour (spaces of Metaspace / WordPiece) right.
 */
export function incrementalDecoder(decode: (ids: number[]) => string): StreamDecoder {
  let ids: number[] = [];
  let prefixOffset = 0;
  let readOffset = 0;
  return {
    push(id) {
      decode([id]); // validates the id before it is kept
      ids.push(id);
      const prefixText = decode(ids.slice(prefixOffset, readOffset));
      const newText = decode(ids.slice(prefixOffset));
      if (newText.length > prefixText.length && !newText.endsWith('\uFFFD')) {
        prefixOffset = readOffset;
        readOffset = ids.length;
        return newText.slice(prefixText.length);
      }
      return '';
    },
    flush() {
      const prefixText = decode(ids.slice(prefixOffset, readOffset));
      const newText = decode(ids.slice(prefixOffset));
      ids = [];
      prefixOffset = 0;
      readOffset = 0;
      return newText.slice(prefixText.length);
    },
  };
}
