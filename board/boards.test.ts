// Which accelerator the host prepares the image for: the board named, else one that can hold the model.
import { describe, expect, it } from 'vitest';
import { BOARDS, GENERIC_BOARD, boardAccel, boardProgram, boardSpec, hostBoard } from './boards.ts';
import { openModel } from '../model/open.ts';
import { FFF8_MODEL } from '../model/checkpoint/test-support.ts';

const TINY = { hiddenSize: 64, intermediateSize: 256, numLayers: 4, vocabSize: 256, rmsNormEps: 1e-6 };
const SMALL = { hiddenSize: 256, intermediateSize: 768, numLayers: 6, vocabSize: 256, rmsNormEps: 1e-6 };

describe('hostBoard', () => {
  it('a named board is that board, whatever the link and the model', () => {
    expect(hostBoard('upduino3', 'sim', SMALL).board).toBe(BOARDS.upduino3);
    expect(hostBoard('generic', 'serial', TINY).board).toBe(GENERIC_BOARD);
    expect(() => hostBoard('arty', 'serial', TINY)).toThrow("unknown board 'arty': one of icebreaker, upduino3, hx8k-breakout, generic");
    // names every object has are not boards
    expect(() => hostBoard('toString', 'serial', TINY)).toThrow("unknown board 'toString': one of icebreaker, upduino3, hx8k-breakout, generic");
    expect(() => boardSpec('toString')).toThrow("unknown board 'toString': one of icebreaker, upduino3, hx8k-breakout");
  });

  it('unnamed: an iCEBreaker on a serial line, the generic accelerator behind XDMA', () => {
    expect(hostBoard(undefined, 'serial', SMALL).board).toBe(BOARDS.icebreaker);
    expect(hostBoard(undefined, 'xdma', TINY).board).toBe(GENERIC_BOARD);
  });

  it('the simulated board is the iCEBreaker while the model fits its SPRAMs, else the generic accelerator, and says so', () => {
    expect(hostBoard(undefined, 'sim', TINY)).toEqual({ board: BOARDS.icebreaker });
    const big = hostBoard(undefined, 'sim', SMALL);
    expect(big.board).toBe(GENERIC_BOARD);
    expect(big.note).toMatch(/does not fit the icebreaker's SPRAMs: simulating the generic accelerator/);
  });
});

describe('boardAccel', () => {
  it("an FFF model gets the board's fffAccel where it has one, every other model its accel; the program follows", () => {
    const fff = { ...TINY, channelMixer: 'fff' as const, fffDepth: 8 };
    expect(boardAccel(BOARDS.icebreaker, TINY)).toBe(BOARDS.icebreaker.accel);
    expect(boardAccel(BOARDS.icebreaker, fff)).toBe(BOARDS.icebreaker.fffAccel);
    expect(BOARDS.icebreaker.fffAccel.lanes).not.toBe(BOARDS.icebreaker.accel.lanes);
    // a board without fffAccel runs both kinds on its accel
    expect(boardAccel(BOARDS.upduino3, fff)).toBe(BOARDS.upduino3.accel);
    expect(boardProgram(BOARDS.icebreaker, openModel(undefined).weights).geometry.lanes).toBe(BOARDS.icebreaker.accel.lanes);
    expect(boardProgram(BOARDS.icebreaker, openModel(FFF8_MODEL).weights).geometry.lanes).toBe(BOARDS.icebreaker.fffAccel.lanes);
  });
});
