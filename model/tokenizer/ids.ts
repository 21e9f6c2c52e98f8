// The tokenizer of a model that has none (no tokenizer.json and a vocabulary other than the byte-level
// 256, e.g. a random 370M-shape checkpoint): text cannot be encoded, so prompts are given as token ids
// (--prompt-ids), and decoding prints the ids, space-separated, so generated tokens still show.
import { checkIds, TokenizerError, type StreamDecoder, type Tokenizer } from './tokenizer.ts';

/** `why` says why there is no text tokenizer; encode's error repeats it and names --prompt-ids. */
export function idsTokenizer(vocabSize: number, why: string): Tokenizer {
  const who = 'ids-only tokenizer';
  return {
    vocabSize,
    source: 'ids',
    encode: () => {
      throw new TokenizerError(`${why}: text cannot be encoded; give the prompt as token ids, e.g. --prompt-ids 1,2,3`);
    },
    decode: (ids) => {
      checkIds(ids, vocabSize, who);
      return ids.join(' ');
    },
    createDecoder: () => idsStreamDecoder(vocabSize, who),
  };
}

/** Each id as it comes, separated from the one before by a space (as decode joins them). */
export function idsStreamDecoder(vocabSize: number, who = 'token ids'): StreamDecoder {
  let first = true;
  return {
    push(id) {
      checkIds([id], vocabSize, who);
      const text = first ? String(id) : ` ${id}`;
      first = false;
      return text;
    },
    flush() {
      first = true;
      return '';
    },
  };
}
