// The board build as `npm run build` runs it: a board that cannot hold the model says why before any
// synthesis. The iCEBreaker's place and route is board-build.long.test.ts (make test-long).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openModel } from '../model/open.ts';
import { BOARDS, boardProgram } from '../board/boards.ts';
import { buildBoard } from './board-build.ts';
import { summaryLines } from './build-page.ts';

const tiny = openModel(undefined);
const out = () => fs.mkdtempSync(path.join(os.tmpdir(), 'board-build-'));

describe('board build', () => {
  it('the HX8K breakout refuses the tiny model, naming the bits it needs and has', async () => {
    const r = await buildBoard({ board: BOARDS['hx8k-breakout'], weights: tiny.weights, modelLabel: tiny.label, outDir: out(), seed: 1 });
    expect(r.fits).toBe(false);
    // the image as the program lays it out: 48,392 words of 16 bits
    const bits = (boardProgram(BOARDS['hx8k-breakout'], tiny.weights).image.length * 16).toLocaleString('en-US');
    expect(r.failure).toMatch(new RegExp(`needs ${bits} bits .* iCE40HX8K has 131,072 \\(32 EBR, no SPRAM\\)`));
    expect(bits).toBe('774,272');
    expect(r.bitstream).toBeNull();
    expect(summaryLines(r).at(-1)).toMatch(/^does not fit: /);
  });
});
