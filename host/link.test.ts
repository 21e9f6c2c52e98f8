// The frame layer's GENERATE stream against a scripted line: replies that arrive together in one chunk
// (one TCP segment: what a loaded host sees when it reads late) are all taken, and the timeout runs
// per token, so a long generation is not cut off while a stalled one is.
import { describe, expect, it } from 'vitest';
import { SlipDecoder, slipEncode } from '../protocol/slip.ts';
import { decodeRequest, encodeReply } from '../protocol/frame.ts';
import type { Transport } from './transport.ts';
import { Link, TimeoutError } from './link.ts';

/** A line that answers GENERATE with `count` TOKEN frames, delivered in groups of `together` every `gapMs`. */
function scriptedLine(o: { together: number; gapMs: number; stallAfter?: number }): Transport {
  let listener: ((b: Uint8Array) => void) | undefined;
  const dec = new SlipDecoder((f) => {
    const r = decodeRequest(f);
    if (r.type !== 'generate') return;
    const frames = Array.from({ length: Math.min(r.count, o.stallAfter ?? r.count) }, (_, i) =>
      slipEncode(encodeReply('token', r.seq, { loaded: 1, position: i + 1, token: (3 * i) % 50, next: 0, imageCrc: 0 })),
    );
    for (let g = 0; g * o.together < frames.length; g++) {
      const chunk = frames.slice(g * o.together, (g + 1) * o.together);
      const bytes = Uint8Array.from(chunk.flatMap((c) => [...c]));
      setTimeout(() => listener?.(bytes), (g + 1) * o.gapMs);
    }
  });
  return { name: 'scripted', write: (b) => dec.push(b), onData: (cb) => void (listener = cb), onClose: () => {}, close: async () => {} };
}

describe('Link.stream (GENERATE)', () => {
  it.each([1, 2, 3, 7, 12])('takes every token when %i arrive in one chunk', async (together) => {
    const link = new Link(scriptedLine({ together, gapMs: 1 }), { timeoutMs: 1_000, attempts: 1 });
    const seen: number[] = [];
    const got = await link.stream({ type: 'generate', count: 12 }, 12, (r) => seen.push(r.fields.position!));
    expect(got).toHaveLength(12);
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });

  it('the timeout runs per token: 6 tokens 40 ms apart pass a 100 ms timeout', async () => {
    const link = new Link(scriptedLine({ together: 1, gapMs: 40 }), { timeoutMs: 100, attempts: 1 });
    const got = await link.stream({ type: 'generate', count: 6 }, 6, () => {});
    expect(got).toHaveLength(6);
  });

  it('a board that stops sending gives a TimeoutError, after the tokens it sent', async () => {
    const link = new Link(scriptedLine({ together: 1, gapMs: 5, stallAfter: 3 }), { timeoutMs: 100, attempts: 1 });
    const seen: number[] = [];
    await expect(link.stream({ type: 'generate', count: 6 }, 6, (r) => seen.push(r.fields.position!))).rejects.toThrow(TimeoutError);
    expect(seen).toEqual([1, 2, 3]);
  });
});
