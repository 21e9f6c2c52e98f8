import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { byteLevelTokenizerJson } from './byte-level-json.ts';
import { loadTokenizer } from './load.ts';

const dir = mkdtempSync(join(tmpdir(), 'mmf-bytejson-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('byteLevelTokenizerJson', () => {
  it.each([256, 257, 1000, 32000])('vocab %i: text is its UTF-8 bytes, every id decodes, placeholders never come from text', (vocab) => {
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(byteLevelTokenizerJson(vocab)));
    const tok = loadTokenizer(dir, vocab);
    expect(tok.vocabSize).toBe(vocab);
    for (const s of ['ROMEO:\n', 'héllo wörld € 😀', ' \t\r\n', `<|${vocab - 1}|>`]) {
      expect(tok.encode(s)).toEqual([...Buffer.from(s, 'utf8')]);
      expect(tok.decode(tok.encode(s))).toBe(s);
    }
    const ids = [82, vocab - 1, 195, 169];
    const want = vocab > 256 ? `R<|${vocab - 1}|>é` : 'R\uFFFDé'; // at 256 the last id is byte 0xff: not UTF-8 alone
    expect(tok.decode(ids)).toBe(want);
  });

  it('refuses a vocabulary below 256', () => {
    expect(() => byteLevelTokenizerJson(255)).toThrow('a byte-level tokenizer needs a vocabulary of at least 256, got 255');
  });
});
