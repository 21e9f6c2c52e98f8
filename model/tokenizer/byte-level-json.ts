// A tokenizer.json (Hugging Face format) that reads text as UTF-8 bytes for a model whose vocabulary
// is larger than 256: ids 0..255 are the bytes (GPT-2's byte-level BPE with no merges), and every
// other id is a placeholder token `<|id|>` that no text encodes to and that decodes to its own name.
// `mmf random --tokenizer byte` writes it so a random checkpoint of any vocabulary takes text prompts.

/** GPT-2's reversible byte -> printable character map (the ByteLevel pre-tokenizer's alphabet). */
function bytesToUnicode(): string[] {
  const map: string[] = new Array(256);
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let n = 0;
  for (let b = 0; b < 256; b++) map[b] = String.fromCodePoint(printable(b) ? b : 256 + n++);
  return map;
}

export function byteLevelTokenizerJson(vocabSize: number): Record<string, unknown> {
  if (!Number.isSafeInteger(vocabSize) || vocabSize < 256) throw new Error(`a byte-level tokenizer needs a vocabulary of at least 256, got ${vocabSize}`);
  const vocab: Record<string, number> = {};
  bytesToUnicode().forEach((c, b) => (vocab[c] = b));
  for (let id = 256; id < vocabSize; id++) vocab[`<|${id}|>`] = id;
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: null,
    decoder: byteLevel,
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab, merges: [] },
  };
}
