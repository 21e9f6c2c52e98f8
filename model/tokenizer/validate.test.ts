// tokenizer.json validation (validate.ts, through loadTokenizer): every malformed part is one line
// naming the file and the field, never the library's own message, and nothing malformed loads.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTokenizer } from './load.ts';
import { TokenizerError } from './tokenizer.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A small valid BPE: bytes a..e, merges "a b" -> ab, "ab c" -> abc; ids 0..6 in a model of `vocab`. */
function bpe(): any {
  return {
    version: '1.0',
    added_tokens: [{ id: 7, content: '<eos>', special: true, single_word: false, lstrip: false, rstrip: false, normalized: false }],
    normalizer: null,
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: null,
    decoder: null,
    model: { type: 'BPE', unk_token: 'e', vocab: { a: 0, b: 1, c: 2, d: 3, e: 4, ab: 5, abc: 6 }, merges: ['a b', 'ab c'] },
  };
}
const NONE = { added_tokens: [], normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null };
function unigram(): any {
  return { ...NONE, model: { type: 'Unigram', unk_id: 0, vocab: [['<unk>', 0], ['a', -1], ['b', -2], ['ab', -1.5]] }, pre_tokenizer: { type: 'Whitespace' } };
}
function wordpiece(): any {
  return { ...NONE, model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', vocab: { '[UNK]': 0, a: 1, '##b': 2 } }, pre_tokenizer: { type: 'Whitespace' } };
}

function load(json: unknown, vocab = 16, raw?: string): () => unknown {
  const dir = mkdtempSync(join(tmpdir(), 'mmf-tokval-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'tokenizer.json'), raw ?? JSON.stringify(json));
  return () => loadTokenizer(dir, vocab);
}

function expectRefused(fn: () => unknown, ...contains: string[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, contains.join(' ')).toBeInstanceOf(TokenizerError);
  const msg = (caught as Error).message;
  expect(msg).not.toMatch(/[\r\n]/);
  expect(msg).toMatch(/^\/.*tokenizer\.json: /);
  expect(msg).not.toMatch(/is not a function|Cannot read properties/);
  for (const s of contains) expect(msg).toContain(s);
}

describe('valid tokenizers load and encode', () => {
  it('BPE, Unigram and WordPiece fixtures', () => {
    const b = load(bpe())() as { encode(t: string): number[] };
    expect(b.encode('abc ab d')).toEqual([6, 5, 3]);
    expect((load(unigram())() as { encode(t: string): number[] }).encode('ab')).toEqual([3]);
    expect((load(wordpiece())() as { encode(t: string): number[] }).encode('ab')).toEqual([1, 2]);
  });
});

describe('malformed tokenizer.json: one line naming the file and the field', () => {
  const cases: [string, () => any, string[], number?][] = [
    ['negative id', () => ((j) => ((j.model.vocab.d = -3), j))(bpe()), ['model.vocab["d"]: id -3 is not an integer in 0..15']],
    ['fractional id', () => ((j) => ((j.model.vocab.d = 2.5), j))(bpe()), ['model.vocab["d"]: id 2.5 is not an integer']],
    ['huge id', () => ((j) => ((j.model.vocab.d = 1e15), j))(bpe()), ['model.vocab["d"]: id 1000000000000000 is not an integer in 0..15']],
    ['id beyond the model vocabulary', () => bpe(), ['added_tokens[0].id: id 7 is not an integer in 0..6'], 7],
    ['string id', () => ((j) => ((j.model.vocab.d = '3'), j))(bpe()), ['model.vocab["d"]: id "3"']],
    ['two tokens on one id', () => ((j) => ((j.model.vocab.d = 2), j))(bpe()), ['model.vocab["d"]: id 2 is also the id of "c"']],
    ['merges missing', () => ((j) => (delete j.model.merges, j))(bpe()), ['model.merges: must be an array (possibly empty)']],
    ['merges an object', () => ((j) => ((j.model.merges = { a: 'b' }), j))(bpe()), ['model.merges: must be an array']],
    ['merge of one token', () => ((j) => ((j.model.merges = ['a']), j))(bpe()), ['model.merges[0]: "a" is not two non-empty tokens']],
    ['merge of three tokens', () => ((j) => ((j.model.merges = ['a b c']), j))(bpe()), ['model.merges[0]: "a b c" is not two non-empty tokens']],
    ['merge a number', () => ((j) => ((j.model.merges = ['a b', 5]), j))(bpe()), ['model.merges[1]: must be an "a b" string, as model.merges[0], got 5']],
    ['merges of mixed formats', () => ((j) => ((j.model.merges = [['a', 'b'], 'ab c']), j))(bpe()), ['model.merges[1]: must be an [a, b] pair']],
    ['merge of an unknown token', () => ((j) => ((j.model.merges = ['a z']), j))(bpe()), ['model.merges[0]: token "z" is not in model.vocab']],
    ['merge whose result is unknown', () => ((j) => ((j.model.merges = ['b a']), j))(bpe()), ['model.merges[0]: the merge "ba" is not in model.vocab']],
    ['unknown unk_token', () => ((j) => ((j.model.unk_token = '<unk>'), j))(bpe()), ['model.unk_token: "<unk>" is not null or a token of model.vocab']],
    ['vocab an array in BPE', () => ((j) => ((j.model.vocab = [['a', 0]]), j))(bpe()), ['model.vocab: must be an object mapping tokens to ids']],
    ['empty vocab', () => ((j) => ((j.model.vocab = {}), (j.model.merges = []), (j.model.unk_token = null), (j.added_tokens = []), j))(bpe()), ['model.vocab: is empty']],
    ['model missing', () => ({ added_tokens: [] }), ['model: must be an object']],
    ['model type WordLevel', () => ((j) => ((j.model.type = 'WordLevel'), j))(bpe()), ['model.type: "WordLevel" is not supported']],
    ['added token with a negative id', () => ((j) => ((j.added_tokens[0].id = -1), j))(bpe()), ['added_tokens[0].id: id -1 is not an integer']],
    ['added token on a vocabulary id with another content', () => ((j) => ((j.added_tokens[0].id = 3), j))(bpe()), ['added_tokens[0].id: id 3 is "d" in model.vocab, not "<eos>"']],
    ['two added tokens on one id', () => ((j) => (j.added_tokens.push({ id: 7, content: '<pad>' }), j))(bpe()), ['added_tokens[1].id: id 7 is also the id of added token "<eos>"']],
    ['added token without content', () => ((j) => (delete j.added_tokens[0].content, j))(bpe()), ['added_tokens[0].content: undefined must be a non-empty string']],
    ['added_tokens an object', () => ((j) => ((j.added_tokens = { id: 1 }), j))(bpe()), ['added_tokens: must be an array']],
    ['unknown pre_tokenizer', () => ((j) => ((j.pre_tokenizer = { type: 'Foo' }), j))(bpe()), ['pre_tokenizer: "Foo" is not null or a pre_tokenizer the tokenizer library implements']],
    ['decoder not an object', () => ((j) => ((j.decoder = 'ByteLevel'), j))(bpe()), ['decoder: "ByteLevel" is not null or a decoder']],
    ['Unigram [["a"]]', () => ({ ...NONE, model: { type: 'Unigram', vocab: [['a']] } }), ['model.vocab[0]: must be a [piece, score] pair, got ["a"]']],
    ['decoder missing', () => ((j) => (delete j.decoder, j))(bpe()), ['decoder: missing (tokenizer.json has normalizer']],
    ['added_tokens missing', () => ((j) => (delete j.added_tokens, j))(bpe()), ['added_tokens: missing (an array, possibly empty)']],
    ['Unigram score a string', () => ((j) => ((j.model.vocab[2] = ['b', 'x']), j))(unigram()), ['model.vocab[2]: score "x" must be a finite number']],
    ['Unigram piece twice', () => ((j) => ((j.model.vocab[2] = ['a', -3]), j))(unigram()), ['model.vocab[2]: piece "a" is also model.vocab[1]']],
    ['Unigram unk_id outside', () => ((j) => ((j.model.unk_id = 4), j))(unigram()), ['model.unk_id: 4 is not null or an index into model.vocab (0..3)']],
    ['Unigram larger than the model', () => unigram(), ['model.vocab: has 4 pieces, beyond the model\'s vocab_size 3'], 3],
    ['WordPiece without its unk token', () => ((j) => (delete j.model.vocab['[UNK]'], (j.model.vocab.c = 0), j))(wordpiece()), ['model.unk_token: "[UNK]" is not a token of model.vocab']],
  ];
  for (const [name, json, says, vocab] of cases) {
    it(name, () => expectRefused(load(json(), vocab ?? 16), ...says.filter((s) => s !== '')));
  }

  it('a token listed twice in model.vocab (a duplicated JSON key), and a non-object', () => {
    const text = JSON.stringify(bpe()).replace('"d":3', '"d":3,"d":4');
    expectRefused(load(undefined, 16, text), 'ambiguous JSON: key "d" appears twice in model.vocab');
    expectRefused(load([1, 2]), 'not a JSON object');
  });
});
