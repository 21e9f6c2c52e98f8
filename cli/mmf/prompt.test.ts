import { describe, expect, it } from 'vitest';
import { byteTokenizer } from '../../model/tokenizer/byte.ts';
import { idsTokenizer } from '../../model/tokenizer/ids.ts';
import { outputDecoder, parsePromptIds, promptTokens } from './prompt.ts';

const bytes = byteTokenizer();
const ids = idsTokenizer(32000, 'm: no tokenizer.json');

function oneLineError(fn: () => unknown, ...contains: string[]): void {
  expect(fn).toThrow();
  try {
    fn();
  } catch (e) {
    const msg = (e as Error).message;
    expect(msg).not.toMatch(/[\r\n]/);
    for (const s of contains) expect(msg).toContain(s);
  }
}

describe('promptTokens', () => {
  it.each([
    ['0', 1, [0]],
    ['1,2,3', 4, [1, 2, 3]],
    [' 7 , 8,9 ', 10, [7, 8, 9]],
    ['31999,0', 32000, [31999, 0]],
  ])('--prompt-ids %j (vocab %i)', (text, vocab, want) => {
    expect(parsePromptIds(text, vocab)).toEqual(want);
    expect(promptTokens({ promptIds: text }, ids, vocab)).toEqual(want);
    expect(promptTokens({ promptIds: text }, bytes, vocab)).toEqual(want); // ids work with a text tokenizer too
  });

  it.each([
    ['', 10, '--prompt-ids is empty'],
    ['  ', 10, '--prompt-ids is empty'],
    ['1,,2', 10, "'' (position 1) is not a token id"],
    ['1,2,', 10, "'' (position 2) is not a token id"],
    ['-1', 10, "'-1' (position 0) is not a token id"],
    ['1.5', 10, "'1.5' (position 0)"],
    ['0x10', 100, "'0x10' (position 0)"],
    ['1e3', 32000, "'1e3' (position 0)"],
    ['3,10', 10, 'token id 10 (position 1) is not below the vocabulary size 10'],
    ['32000', 32000, 'token id 32000 (position 0) is not below the vocabulary size 32000'],
    ['99999999999999999999', 32000, 'is not below the vocabulary size 32000'],
  ])('refuses --prompt-ids %j (vocab %i)', (text, vocab, message) => {
    oneLineError(() => promptTokens({ promptIds: text }, ids, vocab), message);
  });

  it('text goes through the tokenizer; one of the two, not both, not neither, not empty', () => {
    expect(promptTokens({ prompt: 'KING' }, bytes, 256)).toEqual([...Buffer.from('KING')]);
    oneLineError(() => promptTokens({ prompt: 'KING', promptIds: '1' }, bytes, 256), 'not both');
    oneLineError(() => promptTokens({}, bytes, 256), 'give --prompt TEXT or --prompt-ids 1,2,3');
    oneLineError(() => promptTokens({ prompt: '' }, bytes, 256), '--prompt is empty');
    oneLineError(() => promptTokens({ prompt: 'KING' }, ids, 32000), 'm: no tokenizer.json', '--prompt-ids');
  });

  it('output is ids when the prompt was ids, text otherwise', () => {
    const asIds = outputDecoder({ promptIds: '1' }, bytes, 256);
    expect([75, 73, 78, 71].map((t) => asIds.push(t)).join('') + asIds.flush()).toBe('75 73 78 71');
    const asText = outputDecoder({}, bytes, 256);
    expect([75, 73, 78, 71].map((t) => asText.push(t)).join('') + asText.flush()).toBe('KING');
    oneLineError(() => outputDecoder({ promptIds: '1' }, bytes, 256).push(256), 'token id 256');
  });
});
