// Picks the tokenizer of a checkpoint directory:
// 1. tokenizer.json present: Hugging Face tokenizer (hf.ts), with tokenizer_config.json if present;
//    its ids must fit the model's vocabulary (models often pad the vocabulary: fewer ids is fine);
// 2. else vocab size 256: byte-level (byte.ts);
// 3. else no text tokenizer: ids only (ids.ts); prompts are token ids, and encoding text is an error that
//    says so (and names a SentencePiece-only tokenizer.model as unsupported).
import { existsSync } from 'node:fs';
import { readRegularFile } from '../../util/read-regular-file.ts';
import { describeDuplicate, findDuplicateKey } from '../../util/json-duplicates.ts';
import { checkTokenizerJson } from './validate.ts';
import { join } from 'node:path';
import { byteTokenizer } from './byte.ts';
import { idsTokenizer } from './ids.ts';
import { tokenizerFromJson } from './hf.ts';
import { TokenizerError, type Tokenizer } from './tokenizer.ts';

export function loadTokenizer(dir: string, vocabSize: number): Tokenizer {
  const jsonPath = join(dir, 'tokenizer.json');
  if (existsSync(jsonPath)) {
    const configPath = join(dir, 'tokenizer_config.json');
    const config = existsSync(configPath) ? readJson(configPath) : {};
    if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new TokenizerError(`${configPath}: not a JSON object`);
    const json = readJson(jsonPath);
    checkTokenizerJson(json, jsonPath, vocabSize);
    const tok = tokenizerFromJson(json, config, jsonPath);
    if (tok.vocabSize > vocabSize) {
      throw new TokenizerError(
        `${jsonPath}: the tokenizer has ids up to ${tok.vocabSize - 1}, beyond the model's vocab_size ${vocabSize}`,
      );
    }
    return tok;
  }
  if (vocabSize === 256) return byteTokenizer();
  const sentencepiece = existsSync(join(dir, 'tokenizer.model'))
    ? ' (tokenizer.model, SentencePiece, is not supported: convert it to tokenizer.json)'
    : '';
  return idsTokenizer(vocabSize, `${dir}: no tokenizer.json, and vocab_size ${vocabSize} is not the byte-level 256${sentencepiece}`);
}

/** tokenizer.json of the largest models is a few MB; anything beyond this is not one. */
const MAX_JSON_BYTES = 512 * 2 ** 20;

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readRegularFile(path, MAX_JSON_BYTES).toString('utf8');
  } catch (err) {
    throw new TokenizerError(`${path}: cannot read: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new TokenizerError(`${path}: not valid JSON: ${(err as Error).message}`);
  }
  // Two equal keys (a token listed twice in model.vocab with two ids): JSON.parse would keep one silently.
  const dup = findDuplicateKey(text);
  if (dup) throw new TokenizerError(`${path}: ambiguous JSON: ${describeDuplicate(dup)}`);
  return json;
}
