// The upload bar's numbers: MB/s and the time left from the words since the first update, and the time's format.
import { describe, expect, it } from 'vitest';
import { formatSeconds, uploadRate } from './progress.ts';

describe('upload progress', () => {
  it('rates the words since the first update, 2 bytes each, and the time left at that rate', () => {
    // 50,000 words (100 kB) in 1 s of a 1,000,000-word image: 0.1 MB/s, 940,000 words left = 18.8 s.
    expect(uploadRate(60_000, 10_000, 1_000_000, 2, 1)).toEqual({ mbPerSecond: 0.1, secondsLeft: 18.8 });
    for (const [done, from, sec] of [[10, 10, 1], [20, 10, 0], [5, 10, 1]] as const) expect(uploadRate(done, from, 100, 2, sec)).toBeUndefined();
    expect(uploadRate(100, 0, 100, 2, 4)!.secondsLeft).toBe(0);
  });
  it('formats seconds, minutes and hours', () => {
    expect([9, 75, 599.6, 3725, 36_000].map(formatSeconds)).toEqual(['9s', '1m 15s', '10m 00s', '1h 02m', '10h 00m']);
  });
});
