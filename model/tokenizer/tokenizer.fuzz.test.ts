// Fuzzing tokenizer.json: seeded mutations (structure-aware and byte-level) of small BPE, Unigram and
// WordPiece tokenizers, each loaded as a command would and run on a sample text. Every case must end in
// a clean one-line error naming the file, or in a correct result: an independent check of what was
// accepted (ids integers in the model's vocabulary, one token per id) and a sample encoded into ids of
// the vocabulary and decoded. FUZZ_CASES / FUZZ_SEED set the run (model/fuzz-support.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTokenizer } from './load.ts';
import { TokenizerError } from './tokenizer.ts';
import { FUZZ_CASES, FUZZ_SEED, cleanErrorOf, mutateJson, pick, runFuzz, type Outcome } from '../fuzz-support.ts';

const dir = mkdtempSync(join(tmpdir(), 'mmf-fuzz-tok-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'tokenizer.json');
const VOCAB = 16;
const NONE = { normalizer: null, pre_tokenizer: { type: 'Whitespace' }, post_processor: null, decoder: null };

const DOCS = [
  {
    version: '1.0',
    ...NONE,
    added_tokens: [{ id: 7, content: '<eos>', special: true, single_word: false, lstrip: false, rstrip: false, normalized: false }],
    model: { type: 'BPE', unk_token: 'e', vocab: { a: 0, b: 1, c: 2, d: 3, e: 4, ab: 5, abc: 6 }, merges: ['a b', 'ab c'] },
  },
  { ...NONE, added_tokens: [], model: { type: 'Unigram', unk_id: 0, vocab: [['<unk>', 0], ['a', -1], ['b', -2], ['ab', -1.5], ['c', -3]] } },
  { ...NONE, added_tokens: [], model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', vocab: { '[UNK]': 0, a: 1, '##b': 2, c: 3 } } },
];

const isId = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v < VOCAB;

/** What the loader must never accept, checked independently of validate.ts. */
function independentProblem(json: any): string | null {
  const m = json?.model;
  const seen = new Set<number>();
  if (m?.type === 'Unigram') {
    if (!Array.isArray(m.vocab) || m.vocab.length > VOCAB) return 'Unigram vocabulary not an array within the model';
  } else {
    for (const id of Object.values(m?.vocab ?? {})) {
      if (!isId(id)) return `vocabulary id ${JSON.stringify(id)} accepted`;
      if (seen.has(id as number)) return `two tokens on id ${String(id)} accepted`;
      seen.add(id as number);
    }
  }
  for (const t of Array.isArray(json?.added_tokens) ? json.added_tokens : []) if (!isId(t?.id)) return `added token id ${JSON.stringify(t?.id)} accepted`;
  return null;
}

describe('fuzz: tokenizer.json', () => {
  it(`${FUZZ_CASES} seeded mutations, each a clean error or a correct result`, () => {
    const r = runFuzz(
      'tokenizer.json',
      FUZZ_CASES,
      FUZZ_SEED,
      (rnd): Outcome => {
        const text = mutateJson(rnd, pick(rnd, DOCS));
        writeFileSync(file, text, 'latin1');
        const tok = loadTokenizer(dir, VOCAB);
        const problem = independentProblem(JSON.parse(Buffer.from(text, 'latin1').toString('utf8')));
        if (problem) return { kind: 'wrong', why: problem };
        const ids = tok.encode('abc ab ca b d');
        if (!ids.every(isId)) return { kind: 'wrong', why: `encode gave ids ${JSON.stringify(ids)}` };
        if (typeof tok.decode(ids) !== 'string') return { kind: 'wrong', why: 'decode gave no text' };
        return { kind: 'correct' };
      },
      cleanErrorOf([TokenizerError], file),
    );
    expect(r.examples).toEqual([]);
    expect([r.crashes, r.hangs, r.silentWrong]).toEqual([0, 0, 0]);
    expect(r.correct).toBeGreaterThan(0);
  }, 30 * 60_000);
});
