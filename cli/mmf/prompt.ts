// The prompt of generate / sim / host: text through the model's tokenizer (--prompt), or token ids
// (--prompt-ids 1,2,3) for models without a tokenizer; one of the two, each id checked against the
// vocabulary. A prompt given as ids is answered in ids: outputDecoder prints the generated tokens as ids.
import { idsStreamDecoder } from '../../model/tokenizer/ids.ts';
import type { StreamDecoder, Tokenizer } from '../../model/tokenizer/tokenizer.ts';

export const PROMPT_IDS_HELP = 'the prompt as token ids, e.g. 1,2,3 (for models without a tokenizer); the output is printed as ids too';

/** The prompt's token ids, from exactly one of o.prompt (text) and o.promptIds ("1,2,3"). */
export function promptTokens(o: { prompt?: string; promptIds?: string }, tokenizer: Tokenizer, vocabSize: number): number[] {
  if (o.prompt !== undefined && o.promptIds !== undefined) throw new Error('give --prompt TEXT or --prompt-ids 1,2,3, not both');
  if (o.promptIds !== undefined) return parsePromptIds(o.promptIds, vocabSize);
  if (o.prompt === undefined) throw new Error('give --prompt TEXT or --prompt-ids 1,2,3');
  const ids = tokenizer.encode(o.prompt);
  if (ids.length === 0) throw new Error('--prompt is empty');
  return ids;
}

/** "1,2,3" (spaces around the commas allowed) -> [1, 2, 3], each a decimal integer below vocabSize. */
export function parsePromptIds(text: string, vocabSize: number): number[] {
  if (text.trim() === '') throw new Error('--prompt-ids is empty');
  return text.split(',').map((part, i) => {
    const p = part.trim();
    if (!/^\d+$/.test(p)) throw new Error(`--prompt-ids: '${part}' (position ${i}) is not a token id (a decimal integer)`);
    const id = Number(p);
    if (id >= vocabSize) throw new Error(`--prompt-ids: token id ${p} (position ${i}) is not below the vocabulary size ${vocabSize}`);
    return id;
  });
}

/** How generated tokens are printed: as ids when the prompt was given as ids, else as text. */
export function outputDecoder(o: { promptIds?: string }, tokenizer: Tokenizer, vocabSize: number): StreamDecoder {
  return o.promptIds !== undefined ? idsStreamDecoder(vocabSize) : tokenizer.createDecoder();
}
