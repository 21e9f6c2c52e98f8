import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { byteTokenizer, loadTokenizer, tokenizerFromJson, TokenizerError, type Tokenizer } from './index.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'mmf-tok-'));
  dirs.push(d);
  return d;
}

function expectTokenizerError(fn: () => unknown, ...contains: string[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(TokenizerError);
  const msg = (caught as Error).message;
  expect(msg).not.toMatch(/[\r\n]/);
  for (const s of contains) expect(msg).toContain(s);
}

/** Feeds ids one by one to a stream decoder; returns what each push emitted and the flush. */
function stream(tok: Tokenizer, ids: number[]): { pieces: string[]; rest: string } {
  const dec = tok.createDecoder();
  const pieces = ids.map((id) => dec.push(id));
  return { pieces, rest: dec.flush() };
}

const SAMPLES = ['', 'hello world', 'héllo wörld € 😀', 'tabs\tand\nnew lines\r\n', '\uFEFFBOM first', 'ὕαλον ϕαγεῖν 日本語'];

describe('byteTokenizer', () => {
  const tok = byteTokenizer();

  it('encodes UTF-8 bytes and round-trips', () => {
    expect(tok.vocabSize).toBe(256);
    expect(tok.encode('A€')).toEqual([0x41, 0xe2, 0x82, 0xac]);
    for (const s of SAMPLES) expect(tok.decode(tok.encode(s))).toBe(s);
  });

  it('decodes invalid UTF-8 to U+FFFD and rejects ids outside 0..255', () => {
    expect(tok.decode([0x41, 0xff, 0x42])).toBe('A\uFFFDB');
    expect(tok.decode([0xe2, 0x82])).toBe('\uFFFD');
    expectTokenizerError(() => tok.decode([65, 256]), 'token id 256 (position 1) is outside 0..255');
    expectTokenizerError(() => tok.decode([1.5]), 'token id 1.5');
    expectTokenizerError(() => tok.createDecoder().push(-1), 'token id -1');
  });

  it('stream decoder emits only complete characters', () => {
    const ids = tok.encode('a€😀b');
    const { pieces, rest } = stream(tok, ids);
    expect(pieces).toEqual(['a', '', '', '€', '', '', '', '😀', 'b']);
    expect(rest).toBe('');
    for (const s of SAMPLES) expect(stream(tok, tok.encode(s)).pieces.join('')).toBe(s);
  });

  it('stream decoder: invalid bytes become U+FFFD, flush reports an incomplete tail and resets', () => {
    const dec = tok.createDecoder();
    expect(dec.push(0xe2)).toBe('');
    expect(dec.push(0x41)).toBe('\uFFFDA'); // 0x41 cannot continue the sequence
    expect(dec.push(0xf0)).toBe('');
    expect(dec.push(0x9f)).toBe('');
    expect(dec.flush()).toBe('\uFFFD');
    expect(dec.push(0x42)).toBe('B'); // fresh after flush
  });
});

// ---- a small byte-level BPE tokenizer.json (GPT-2 style) ---------------------------------------------

/** GPT-2's reversible byte -> printable character map. */
function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const map: string[] = new Array(256);
  for (const b of bs) map[b] = String.fromCodePoint(b);
  let n = 0;
  for (let b = 0; b < 256; b++) if (map[b] === undefined) map[b] = String.fromCodePoint(256 + n++);
  return map;
}

const EOT = '<|endoftext|>';

function byteLevelBpeJson(): Record<string, unknown> {
  const chars = bytesToUnicode();
  const vocab: Record<string, number> = {};
  chars.forEach((c, b) => (vocab[c] = b));
  const merges = ['h e', 'l l', 'he ll', 'Ġ w', 'Ã ©']; // 'Ġ' is the space byte, 'Ã ©' the UTF-8 of é
  merges.forEach((m, i) => (vocab[m.replace(' ', '')] = 256 + i));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [{ id: 261, content: EOT, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
}

describe('tokenizer.json through @huggingface/tokenizers', () => {
  const tok = tokenizerFromJson(byteLevelBpeJson(), {}, 'test/tokenizer.json');

  it('applies the merges and round-trips any text', () => {
    expect(tok.vocabSize).toBe(262);
    // hello -> hell + o; " world" -> Ġw + o r l d
    expect(tok.encode('hello world')).toEqual([258, 111, 259, 111, 114, 108, 100]);
    expect(tok.encode('é')).toEqual([260]);
    expect(tok.encode(`hi${EOT}`)).toEqual([104, 105, 261]);
    for (const s of SAMPLES) expect(tok.decode(tok.encode(s))).toBe(s);
    expect(tok.decode([258, 111, 261])).toBe(`hello${EOT}`);
  });

  it('stream decoder emits only complete characters and joins to the text', () => {
    const ids = tok.encode('é€ hello😀');
    const { pieces, rest } = stream(tok, ids);
    expect(pieces.join('') + rest).toBe('é€ hello😀');
    // '€' is three byte tokens with no merge: nothing until its last byte
    const euro = tok.encode('€');
    expect(euro.length).toBe(3);
    expect(stream(tok, euro).pieces).toEqual(['', '', '€']);
    for (const s of SAMPLES) {
      const r = stream(tok, tok.encode(s));
      expect(r.pieces.join('') + r.rest).toBe(s);
    }
    const partial = stream(tok, euro.slice(0, 2));
    expect(partial.pieces).toEqual(['', '']);
    expect(partial.rest).toBe('\uFFFD');
  });

  it('rejects ids beyond its vocabulary', () => {
    expectTokenizerError(() => tok.decode([5, 262]), 'test/tokenizer.json: token id 262 (position 1) is outside 0..261');
    expectTokenizerError(() => tok.createDecoder().push(1000), 'token id 1000');
  });

  it('refuses model types the library does not implement (WordLevel) and non-objects', () => {
    const json = byteLevelBpeJson();
    json['model'] = { type: 'WordLevel', vocab: { a: 0 }, unk_token: 'a' };
    expectTokenizerError(() => tokenizerFromJson(json, {}, 'x/tokenizer.json'), 'x/tokenizer.json: model.type "WordLevel" is not supported (supported: BPE, WordPiece, Unigram)');
    expectTokenizerError(() => tokenizerFromJson([], {}, 'x/tokenizer.json'), 'x/tokenizer.json: not a JSON object');
    expectTokenizerError(() => tokenizerFromJson({ version: '1.0' }, {}, 'x/tokenizer.json'), 'model.type undefined is not supported');
  });
});

describe('loadTokenizer', () => {
  it('uses tokenizer.json when present', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(byteLevelBpeJson()));
    const tok = loadTokenizer(dir, 320); // a padded model vocabulary is fine
    expect(tok.source).toBe(join(dir, 'tokenizer.json'));
    expect(tok.encode('hello')).toEqual([258, 111]);
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ model_max_length: 2048 }));
    expect(loadTokenizer(dir, 262).decode([258, 111])).toBe('hello');
  });

  it('refuses a tokenizer whose ids exceed the model vocabulary, and a tokenizer.json that is not JSON', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(byteLevelBpeJson()));
    expectTokenizerError(() => loadTokenizer(dir, 256), `${join(dir, 'tokenizer.json')}: model.vocab["`);
    expectTokenizerError(() => loadTokenizer(dir, 256), `id 256 is not an integer in 0..255 (the model's vocab_size 256)`);
    writeFileSync(join(dir, 'tokenizer.json'), '{"model": ');
    expectTokenizerError(() => loadTokenizer(dir, 256), `${join(dir, 'tokenizer.json')}: not valid JSON`);
  });

  it('falls back to bytes for vocab 256 (the shared models), to ids only otherwise: text refused, ids printed', () => {
    const dir = tempDir();
    expect(loadTokenizer(dir, 256).source).toBe('bytes');
    for (const vocab of [32000, 300, 100]) {
      const tok = loadTokenizer(dir, vocab);
      expect(tok.source).toBe('ids');
      expect(tok.vocabSize).toBe(vocab);
      expectTokenizerError(() => tok.encode('ROMEO:'), `${dir}: no tokenizer.json, and vocab_size ${vocab} is not the byte-level 256`, '--prompt-ids');
      const ids = [0, vocab - 1, 7];
      expect(tok.decode(ids)).toBe(ids.join(' '));
      expect(stream(tok, ids).pieces.join('')).toBe(tok.decode(ids));
      expectTokenizerError(() => tok.decode([1, vocab]), `token id ${vocab} (position 1) is outside 0..${vocab - 1}`);
      expectTokenizerError(() => tok.createDecoder().push(-1), 'token id -1');
    }
    const dec = loadTokenizer(dir, 50).createDecoder();
    expect([3, 4].map((id) => dec.push(id)).join('') + dec.flush()).toBe('3 4');
    expect(dec.push(5)).toBe('5'); // fresh after flush
    writeFileSync(join(dir, 'tokenizer.model'), 'sentencepiece');
    expectTokenizerError(() => loadTokenizer(dir, 32000).encode('x'), 'tokenizer.model, SentencePiece, is not supported', '--prompt-ids');
  });
});
