// Picks the tokenizer of a checkpoint directory:
// 1. tokenizer.json present: Hugging Face tokenizer (hf.ts), with tokenizer_config.json if present;
//    its ids must fit the model's vocabulary (models often pad the vocabulary: fewer ids is fine);
// 2. else vocab size 256: byte-level (byte.ts);
// 3. else no text tokenizer: ids only (ids.ts); prompts are token ids, and encoding text is an error that
//    says so (and names a SentencePiece-only tokenizer.model as unsupported).
import { existsSync, readFileSync } from 'node:fs';
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
    const tok = tokenizerFromJson(readJson(jsonPath), config, jsonPath);
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

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new TokenizerError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new TokenizerError(`${path}: not valid JSON: ${(err as Error).message}`);
  }
}
