// The tokenizer interface of the golden model and the CLI. Two implementations: byteTokenizer()
// (byte.ts, vocab 256: token id = UTF-8 byte) and tokenizer.json through @huggingface/tokenizers
// (hf.ts); loadTokenizer (load.ts) picks one for a checkpoint directory.

/** Turns generated ids into text as they come, emitting only complete characters. */
export interface StreamDecoder {
  /** Adds one id; returns the text that became complete ('' while a character is still partial). */
  push(id: number): string;
  /** Returns whatever is still pending, with U+FFFD for an incomplete character, and resets. */
  flush(): string;
}

export interface Tokenizer {
  encode(text: string): number[];
  decode(ids: number[]): string;
  /** Number of ids the tokenizer can produce or decode: every id is in 0 .. vocabSize-1. */
  vocabSize: number;
  createDecoder(): StreamDecoder;
  /** 'bytes' for byteTokenizer(), 'ids' for idsTokenizer() (no text), else the tokenizer.json file it was built from. */
  source: string;
}

export class TokenizerError extends Error {
  constructor(message: string) {
    super(message.replace(/\s*[\r\n\u2028\u2029]+\s*/g, ' '));
    this.name = 'TokenizerError';
  }
}

/** Throws unless every id is an integer in 0 .. vocabSize-1. */
export function checkIds(ids: readonly number[], vocabSize: number, who: string): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new TokenizerError(`${who}: token id ${id} (position ${i}) is outside 0..${vocabSize - 1}`);
    }
  }
}
