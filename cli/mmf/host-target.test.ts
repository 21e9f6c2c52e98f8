// What mmf host uploads for each --board: the ECP5 boards share the ECPIX-5's accelerator and image (so a
// board answers with the hash the host expects), only the ECPIX-5 is simulated, unknown names are refused.
import { describe, expect, it } from 'vitest';
import { openModel } from '../../model/open.ts';
import { ecpix5Program } from '../../fpga/ecp5/build.ts';
import { ecpix5Image } from '../../fpga/ecp5/ecpix5-logic.ts';
import { hostTarget, HOST_TARGET_NAMES } from './host-target.ts';

const tiny = openModel(undefined);

describe('mmf host targets', () => {
  it('gives every ECP5 board the ECPIX-5 image, its own clock and baud, and the simulated timeout\'s floor for a small image', () => {
    const image = ecpix5Image(ecpix5Program(tiny.weights));
    for (const [name, mhz] of [['ecpix5', 75], ['orangecrab', 48], ['butterstick', 75]] as const) {
      const t = hostTarget(name, 'serial', tiny.weights);
      expect(t.board.name).toBe(name);
      expect(t.board.baud).toBe(1_000_000);
      expect(t.image).toEqual(image);
      expect(t.clockHz).toBe(mhz * 1e6);
      expect(t.simTimeoutMs).toBe(20_000); // the tiny image: the floor
    }
    expect(HOST_TARGET_NAMES).toEqual(expect.arrayContaining(['icebreaker', 'generic', 'ecpix5', 'orangecrab', 'butterstick']));
  });

  it('simulates only the ECPIX-5 among the ECP5 boards, and refuses an unknown board, naming the known ones', () => {
    expect(() => hostTarget('orangecrab', 'sim', tiny.weights)).toThrow(/--sim simulates the ECPIX-5 \(--board ecpix5\); the orangecrab carries the same accelerator and image/);
    expect(() => hostTarget('ecp5', 'serial', tiny.weights)).toThrow(/unknown board 'ecp5': one of .*ecpix5, orangecrab, butterstick/);
  });

  it('keeps the iCE40 choice when no board is named: the iCEBreaker for a model its SPRAMs hold', () => {
    const t = hostTarget(undefined, 'sim', tiny.weights);
    expect(t.board.name).toBe('icebreaker');
    expect(t.clockHz).toBeUndefined();
  });
});
