// tokenizer.json checked before the library sees it: the parts that decide which ids exist and how text
// becomes them (model.vocab, model.merges, model.unk_*, added_tokens) are validated against the model's
// vocabulary, each problem one line naming the file and the field. @huggingface/tokenizers itself checks
// little: negative, fractional or huge ids, two tokens on one id, or a merge of tokens that are not in the
// vocabulary load silently and fail later (or never), and a malformed merges list surfaces as the
// library's own "config.merges.map is not a function".
import { TokenizerError } from './tokenizer.ts';

const SUPPORTED_MODELS = ['BPE', 'WordPiece', 'Unigram'] as const;

/** The component types @huggingface/tokenizers implements, per field; anything else it would reject or ignore. */
const COMPONENT_TYPES: Record<string, readonly string[]> = {
  normalizer: ['BertNormalizer', 'Lowercase', 'NFC', 'NFD', 'NFKC', 'NFKD', 'Precompiled', 'Prepend', 'Replace', 'Sequence', 'Strip', 'StripAccents'],
  pre_tokenizer: ['BertPreTokenizer', 'ByteLevel', 'Digits', 'FixedLength', 'Metaspace', 'Punctuation', 'Sequence', 'Split', 'Whitespace', 'WhitespaceSplit'],
  post_processor: ['BertProcessing', 'ByteLevel', 'RobertaProcessing', 'Sequence', 'TemplateProcessing'],
  decoder: ['BPEDecoder', 'ByteFallback', 'ByteLevel', 'CTC', 'Fuse', 'Metaspace', 'Replace', 'Sequence', 'Strip', 'WordPiece'],
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

/**
 * Throws a TokenizerError (`<file>: <field>: <what>`) unless `json` is a tokenizer.json whose ids are
 * integers in 0 .. vocabSize-1 (the model's vocabulary), one token per id, with merges of tokens that
 * exist (BPE), [piece, score] pairs (Unigram) and an unknown token that exists (WordPiece, BPE when set).
 */
export function checkTokenizerJson(json: unknown, file: string, vocabSize: number): void {
  const fail = (field: string, what: string): never => {
    throw new TokenizerError(`${file}: ${field}: ${what}`);
  };
  if (!isObject(json)) throw new TokenizerError(`${file}: not a JSON object`);
  const model = json['model'];
  if (!isObject(model)) fail('model', `must be an object, got ${show(model)}`);
  const m = model as Record<string, unknown>;
  const type = m['type'];
  if (typeof type !== 'string' || !(SUPPORTED_MODELS as readonly string[]).includes(type)) {
    fail('model.type', `${show(type)} is not supported (supported: ${SUPPORTED_MODELS.join(', ')})`);
  }
  const idOk = (id: unknown): id is number => typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 && id < vocabSize;
  const badId = (field: string, id: unknown): never => fail(field, `id ${show(id)} is not an integer in 0..${vocabSize - 1} (the model's vocab_size ${vocabSize})`);

  // token -> id and id -> token of the model's own vocabulary
  const tokenOf = new Map<number, string>();
  const idOf = new Map<string, number>();
  if (type === 'Unigram') {
    const vocab = m['vocab'];
    if (!Array.isArray(vocab)) fail('model.vocab', `must be an array of [piece, score] pairs, got ${show(vocab)}`);
    const v = vocab as unknown[];
    if (v.length === 0) fail('model.vocab', 'is empty');
    if (v.length > vocabSize) fail('model.vocab', `has ${v.length} pieces, beyond the model's vocab_size ${vocabSize}`);
    v.forEach((entry, id) => {
      const field = `model.vocab[${id}]`;
      if (!Array.isArray(entry) || entry.length !== 2) fail(field, `must be a [piece, score] pair, got ${show(entry)}`);
      const [piece, score] = entry as [unknown, unknown];
      if (typeof piece !== 'string' || piece === '') fail(field, `piece ${show(piece)} must be a non-empty string`);
      if (typeof score !== 'number' || !Number.isFinite(score)) fail(field, `score ${show(score)} must be a finite number`);
      const other = idOf.get(piece as string);
      if (other !== undefined) fail(field, `piece ${show(piece)} is also model.vocab[${other}]`);
      idOf.set(piece as string, id);
      tokenOf.set(id, piece as string);
    });
    const unk = m['unk_id'];
    if (unk !== undefined && unk !== null && !(typeof unk === 'number' && Number.isSafeInteger(unk) && unk >= 0 && unk < v.length)) {
      fail('model.unk_id', `${show(unk)} is not null or an index into model.vocab (0..${v.length - 1})`);
    }
  } else {
    const vocab = m['vocab'];
    if (!isObject(vocab)) fail('model.vocab', `must be an object mapping tokens to ids, got ${show(vocab)}`);
    for (const [token, id] of Object.entries(vocab as Record<string, unknown>)) {
      const field = `model.vocab[${show(token)}]`;
      if (!idOk(id)) badId(field, id);
      const other = tokenOf.get(id as number);
      if (other !== undefined) fail(field, `id ${id} is also the id of ${show(other)}`);
      tokenOf.set(id as number, token);
      idOf.set(token, id as number);
    }
    if (idOf.size === 0) fail('model.vocab', 'is empty');
    const unk = m['unk_token'];
    if (type === 'WordPiece') {
      const u = unk === undefined ? '[UNK]' : unk;
      if (typeof u !== 'string' || !idOf.has(u)) fail('model.unk_token', `${show(u)} is not a token of model.vocab`);
    } else if (unk !== undefined && unk !== null && (typeof unk !== 'string' || !idOf.has(unk))) {
      fail('model.unk_token', `${show(unk)} is not null or a token of model.vocab`);
    }
    for (const k of ['continuing_subword_prefix', 'end_of_word_suffix'] as const) {
      const v = m[k];
      if (v !== undefined && v !== null && typeof v !== 'string') fail(`model.${k}`, `${show(v)} is not null or a string`);
    }
  }
  if (type === 'BPE') checkMerges(m, idOf, fail);

  const added = json['added_tokens'];
  if (added === undefined) fail('added_tokens', 'missing (an array, possibly empty)');
  if (!Array.isArray(added)) fail('added_tokens', `must be an array, got ${show(added)}`);
  const addedIds = new Map<number, string>();
  (added as unknown[]).forEach((t, k) => {
    const field = `added_tokens[${k}]`;
    if (!isObject(t)) fail(field, `must be an object with "id" and "content", got ${show(t)}`);
    const { id, content } = t as Record<string, unknown>;
    if (!idOk(id)) badId(`${field}.id`, id);
    if (typeof content !== 'string' || content === '') fail(`${field}.content`, `${show(content)} must be a non-empty string`);
    const again = addedIds.get(id as number);
    if (again !== undefined) fail(`${field}.id`, `id ${id} is also the id of added token ${show(again)}`);
    addedIds.set(id as number, content as string);
    const inVocab = tokenOf.get(id as number);
    if (inVocab !== undefined && inVocab !== content) fail(`${field}.id`, `id ${id} is ${show(inVocab)} in model.vocab, not ${show(content)}`);
  });

  for (const [field, types] of Object.entries(COMPONENT_TYPES)) {
    const c = json[field];
    if (c === undefined) fail(field, 'missing (tokenizer.json has normalizer, pre_tokenizer, post_processor and decoder, null when unused)');
    if (c === null) continue;
    if (!isObject(c) || typeof c['type'] !== 'string' || !types.includes(c['type'])) {
      fail(field, `${show(isObject(c) ? c['type'] : c)} is not null or a ${field} the tokenizer library implements (${types.join(', ')})`);
    }
  }
}

/** BPE merges: "a b" strings or [a, b] pairs, both parts and their merge in the vocabulary (as the reference Rust library requires). */
function checkMerges(m: Record<string, unknown>, idOf: ReadonlyMap<string, number>, fail: (field: string, what: string) => never): void {
  const merges = m['merges'];
  if (!Array.isArray(merges)) fail('model.merges', `must be an array (possibly empty) of "a b" strings or [a, b] pairs, got ${show(merges)}`);
  // The library decides the format from the first merge and applies it to all.
  const pairs = Array.isArray((merges as unknown[])[0]);
  const prefix = typeof m['continuing_subword_prefix'] === 'string' ? (m['continuing_subword_prefix'] as string) : '';
  (merges as unknown[]).forEach((merge, k) => {
    const field = `model.merges[${k}]`;
    let pair: unknown[];
    if (typeof merge === 'string' && !pairs) {
      pair = merge.split(' ');
    } else if (Array.isArray(merge) && pairs) {
      pair = merge;
    } else {
      fail(field, `must be ${pairs ? 'an [a, b] pair, as model.merges[0]' : 'an "a b" string, as model.merges[0]'}, got ${show(merge)}`);
    }
    if (pair!.length !== 2 || pair!.some((p) => typeof p !== 'string' || p === '')) {
      fail(field, `${show(merge)} is not two non-empty tokens`);
    }
    const [a, b] = pair! as [string, string];
    for (const t of [a, b]) if (!idOf.has(t)) fail(field, `token ${show(t)} is not in model.vocab`);
    const merged = a + (prefix && b.startsWith(prefix) ? b.slice(prefix.length) : b);
    if (!idOf.has(merged)) fail(field, `the merge ${show(merged)} is not in model.vocab`);
  });
}
