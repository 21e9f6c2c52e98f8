// The hardware configuration's derived choices: the external port's width and the default row lanes.
import { describe, expect, it } from 'vitest';
import { defaultRowLanes, portBits, checkConfig, type AccelConfig } from './config.ts';

const shape = (hiddenSize: number, intermediateSize: number) => ({ hiddenSize, intermediateSize }) as Parameters<typeof defaultRowLanes>[0];

describe('the external target\'s configuration', () => {
  it('takes a port of 2 P bits at 2 bits, and the widest power of two up to 1.6 P (at least 64) at 5 trits', () => {
    for (const [lanes, bits2, bits5] of [[8, 16, 64], [32, 64, 64], [64, 128, 64], [128, 256, 128], [256, 512, 256]] as const) {
      expect(portBits({ target: 'external', lanes })).toBe(bits2);
      expect(portBits({ target: 'external', lanes, packing: '5trit' })).toBe(bits5);
    }
  });

  it('takes a wider 5-trit port when asked (a memory port wider than the lanes need), and refuses one it cannot use', () => {
    for (const [lanes, W] of [[64, 128], [64, 512], [32, 128], [128, 256]] as const) {
      const c: AccelConfig = { target: 'external', lanes, packing: '5trit', portBits: W };
      expect(() => checkConfig(c)).not.toThrow();
      expect(portBits(c)).toBe(W);
    }
    expect(() => checkConfig({ target: 'external', lanes: 64, portBits: 256 })).toThrow(/needs 5trit packing/);
    expect(() => checkConfig({ target: 'external', lanes: 128, packing: '5trit', portBits: 64 })).toThrow(/from 128 .* to 512, got 64/);
    expect(() => checkConfig({ target: 'external', lanes: 64, packing: '5trit', portBits: 96 })).toThrow(/power of two/);
    expect(() => checkConfig({ target: 'external', lanes: 64, packing: '5trit', portBits: 1024 })).toThrow(/to 512, got 1024/);
  });

  it('gives the row side one lane where its work hides behind the matrices, else a port word\'s parameter words dividing d and I', () => {
    const ext = (lanes: number, packing: '2bit' | '5trit' = '2bit'): AccelConfig => ({ target: 'external', lanes, packing });
    // 370M (d 1024, I 2816): the matrices dwarf the row work at a 64-bit port, not at a 512-bit one
    expect(defaultRowLanes(shape(1024, 2816), ext(32))).toBe(1);
    expect(defaultRowLanes(shape(1024, 2816), ext(64, '5trit'))).toBe(1);
    expect(defaultRowLanes(shape(1024, 2816), ext(256))).toBe(32);
    // small (256, 768) and tiny (64, 256): row-work heavy
    expect(defaultRowLanes(shape(256, 768), ext(256))).toBe(32);
    expect(defaultRowLanes(shape(64, 256), ext(32))).toBe(4);
    // widths that are not powers of two: the largest power of two dividing both
    expect(defaultRowLanes(shape(72, 200), ext(256))).toBe(8);
    expect(defaultRowLanes(shape(40, 72), ext(64))).toBe(8);
    expect(defaultRowLanes(shape(24, 40), ext(8))).toBe(1);
    // the on-chip targets keep one
    expect(defaultRowLanes(shape(64, 256), { target: 'up5k', lanes: 32 })).toBe(1);
  });

  it('refuses row lanes and packings a target cannot take, naming them', () => {
    expect(() => checkConfig({ target: 'external', lanes: 32, rowLanes: 8 })).toThrow(/row lanes must be at most 4/);
    expect(() => checkConfig({ target: 'external', lanes: 32, rowLanes: 6 })).toThrow(/power of two/);
    expect(() => checkConfig({ target: 'generic', lanes: 32, rowLanes: 2 })).toThrow(/need the external target/);
    expect(() => checkConfig({ target: 'up5k', lanes: 32, packing: '5trit' })).toThrow(/5trit packing needs the external target/);
  });
});

describe('an FFF model\'s configuration', () => {
  it('takes column lanes that are a power of two up to the lanes, and refuses others, naming them', () => {
    for (const A of [1, 2, 8, 32]) expect(() => checkConfig({ target: 'up5k', lanes: 32, columnLanes: A })).not.toThrow();
    for (const A of [0, 3, 64, 1.5]) expect(() => checkConfig({ target: 'up5k', lanes: 32, columnLanes: A })).toThrow(/^column lanes must be a power of two from 1 to the lanes \(32\), got /);
  });
});
