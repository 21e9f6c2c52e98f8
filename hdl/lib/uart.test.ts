// The UART in Verilator: TX looped into RX at a slow and a fast baud setting (random bytes, back-to-back
// handshakes, exact byte sequence, no frame errors), the transmitter's line waveform bit by bit, the
// receiver alone on hand-made waveforms (a glitch, a bad stop bit), and the baud divisor's range checks.
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectLintClean } from '../../flow/verilator-test-support.ts';
import { StimulusScript, runModel } from '../../flow/verilator.ts';
import { buildRtlModel } from '../../sim/rtl-model.ts';
import { prng } from '../../sim/prng.ts';
import { baudDivisor } from './uart-baud.ts';
import { uartLoopback } from './uart-loopback.ts';
import { uartRx } from './uart-rx.ts';
import type { UartParams } from './uart-tx.ts';

const SLOW: UartParams = { clockHz: 12_000_000, baud: 115_200 };
const FAST: UartParams = { clockHz: 12_000_000, baud: 3_000_000 };
const SETTINGS = [
  { p: SLOW, div: 104, count: 64, seed: 115_200 },
  { p: FAST, div: 4, count: 256, seed: 3_000_000 },
];

/** The corner bytes first, then seeded random ones. */
function testBytes(count: number, seed: number): number[] {
  const r = prng(seed);
  const bytes = [0x00, 0xff, 0x55, 0xaa, 0x01, 0x80, 0xff, 0x00, 0x00];
  while (bytes.length < count) bytes.push(Math.floor(r() * 256));
  return bytes;
}

/** The 8N1 line levels of one frame: start 0, eight data bits LSB first, stop (normally 1). */
function frameBits(byte: number, stop = 1): number[] {
  return [0, ...Array.from({ length: 8 }, (_, i) => (byte >> i) & 1), stop];
}

const num = (xs: bigint[] | undefined) => (xs ?? []).map(Number);

describe('UART loopback (Verilator)', () => {
  it('the loopback wrapper lints clean with verilator -Wall at both settings', () => {
    for (const { p } of SETTINGS) {
      expectLintClean(uartLoopback(p), fs.mkdtempSync(path.join(os.tmpdir(), 'uart-loopback-')));
    }
  });

  for (const { p, div, count, seed } of SETTINGS) {
    it(`${p.clockHz} Hz / ${p.baud} baud (${div} cycles/bit): ${count} random bytes come back exactly, no frame errors`, { timeout: 120_000 }, async () => {
      expect(baudDivisor(p.clockHz, p.baud)).toBe(div);
      const { model } = await buildRtlModel(uartLoopback(p));
      const bytes = testBytes(count, seed);
      const s = new StimulusScript(model.ports);
      // Monitors from the first edge on, so a spurious pulse during or right after reset is caught too.
      s.monitor('rx', 'out_valid', 'out_data').monitor('fe', 'frame_error', 'frame_error');
      s.set('rst', 1).set('in_valid', 0).set('in_data', 0).tick(3).set('rst', 0);
      // The line idles high (and the transmitter is ready) for two bit times after reset.
      const idleCycles = 2 * div;
      for (let i = 0; i < idleCycles; i++) s.eval().get('idle_line', 'line').get('idle_ready', 'in_ready').tick();
      // Back to back: each byte is offered until the transmitter takes it, the next one right after.
      s.set('in_valid', 1);
      for (const b of bytes) s.set('in_data', b).waitFor('in_ready', 12 * div + 10);
      s.set('in_valid', 0);
      // The last frame plus the receiver's synchroniser and half-bit slack.
      s.tick(11 * div + 8).eval().get('end_line', 'line').get('end_ready', 'in_ready');
      const r = await runModel(model, s);

      expect(num(r.samples.get('idle_line'))).toEqual(Array(idleCycles).fill(1));
      expect(num(r.samples.get('idle_ready'))).toEqual(Array(idleCycles).fill(1));
      const got = num(r.monitors.get('rx'));
      expect(got.length).toBe(bytes.length);
      expect(got).toEqual(bytes);
      expect(num(r.monitors.get('fe'))).toEqual([]);
      expect(num(r.samples.get('end_line'))).toEqual([1]);
      expect(num(r.samples.get('end_ready'))).toEqual([1]);
      // Back to back really: at most one idle cycle between frames (10 bit times + 1 per byte).
      const sendCycles = r.cycles - 3 - idleCycles - (11 * div + 8);
      expect(sendCycles).toBeLessThanOrEqual(bytes.length * (10 * div + 1));
    });
  }

  for (const { p, div } of SETTINGS) {
    it(`${div} cycles/bit: the transmitter line, cycle by cycle: start bit, data LSB first, stop bit, each exactly one bit time`, { timeout: 120_000 }, async () => {
      const { model } = await buildRtlModel(uartLoopback(p));
      const bytes = [0x01, 0x80, 0xa5, 0x00, 0xff];
      const window = 11 * div;
      const s = new StimulusScript(model.ports);
      s.set('rst', 1).set('in_valid', 0).set('in_data', 0).tick(3).set('rst', 0).tick(2);
      for (const b of bytes) {
        // The transfer is on the last edge of waitFor; from then on the frame is on the line.
        s.set('in_data', b).set('in_valid', 1).waitFor('in_ready', 12 * div).set('in_valid', 0).set('in_data', 0);
        for (let i = 0; i < window; i++) s.eval().get('line', 'line').get('ready', 'in_ready').tick();
      }
      const r = await runModel(model, s);
      const line = num(r.samples.get('line'));
      const ready = num(r.samples.get('ready'));
      bytes.forEach((b, k) => {
        const expectedLine = [...frameBits(b).flatMap((bit) => Array(div).fill(bit)), ...Array(div).fill(1)];
        const expectedReady = [...Array(10 * div).fill(0), ...Array(div).fill(1)];
        expect({ byte: b, line: line.slice(k * window, (k + 1) * window) }).toEqual({ byte: b, line: expectedLine });
        expect({ byte: b, ready: ready.slice(k * window, (k + 1) * window) }).toEqual({ byte: b, ready: expectedReady });
      });
    });
  }
});

describe('UART receiver alone on hand-made waveforms (Verilator)', () => {
  for (const { p, div } of SETTINGS) {
    it(`${div} cycles/bit: a glitch is ignored, a bad stop bit pulses frame_error with no byte, good bytes still decode`, { timeout: 120_000 }, async () => {
      const { model } = await buildRtlModel(uartRx(p));
      const s = new StimulusScript(model.ports);
      s.monitor('rx', 'out_valid', 'out_data').monitor('fe', 'frame_error', 'frame_error');
      s.set('rst', 1).set('rx', 1).tick(3).set('rst', 0);
      const idle = (bits: number) => s.set('rx', 1).tick(bits * div);
      const frame = (byte: number, stop = 1) => {
        for (const bit of frameBits(byte, stop)) s.set('rx', bit).tick(div);
      };
      // None of the good bytes is its own bit reversal, so a receiver that shifts the wrong way fails.
      idle(2);
      frame(0x31);
      idle(1);
      // Low for under half a bit: the start bit is confirmed at its middle, so this is no start bit.
      s.set('rx', 0).tick(Math.max(1, Math.floor(div / 4)));
      idle(2);
      // 0x3c has bit 7 low, and the stop bit is low too: the line is low from bit 7 to the frame's end.
      frame(0x3c, 0);
      idle(2);
      frame(0xe4);
      frame(0x00);
      frame(0xff);
      idle(2);
      const r = await runModel(model, s);
      expect(num(r.monitors.get('rx'))).toEqual([0x31, 0xe4, 0x00, 0xff]);
      // One pulse, one cycle long (the monitor reports every edge on which frame_error is 1).
      expect(num(r.monitors.get('fe')).length).toBe(1);
    });

    it(`${div} cycles/bit: a line held low (a break) gives one frame_error and no bytes, then reception resumes`, { timeout: 120_000 }, async () => {
      const { model } = await buildRtlModel(uartRx(p));
      const s = new StimulusScript(model.ports);
      s.monitor('rx', 'out_valid', 'out_data').monitor('fe', 'frame_error', 'frame_error');
      s.set('rst', 1).set('rx', 1).tick(3).set('rst', 0).tick(2 * div);
      s.set('rx', 0).tick(40 * div); // four frames' worth of low line
      s.set('rx', 1).tick(2 * div);
      for (const bit of frameBits(0x4b)) s.set('rx', bit).tick(div);
      s.set('rx', 1).tick(2 * div);
      const r = await runModel(model, s);
      expect(num(r.monitors.get('fe')).length).toBe(1);
      expect(num(r.monitors.get('rx'))).toEqual([0x4b]);
    });

    it(`${div} cycles/bit: frame_error pulses for exactly one cycle, in the bad frame's stop bit, and out_valid stays 0`, { timeout: 120_000 }, async () => {
      const { model } = await buildRtlModel(uartRx(p));
      const s = new StimulusScript(model.ports);
      s.set('rst', 1).set('rx', 1).tick(3).set('rst', 0).tick(2 * div);
      // Sample every cycle from the bad frame's start to two bit times after its end.
      const bits = [...frameBits(0x3c, 0), 1, 1];
      for (const bit of bits) {
        s.set('rx', bit);
        for (let i = 0; i < div; i++) s.eval().get('fe', 'frame_error').get('ov', 'out_valid').tick();
      }
      const r = await runModel(model, s);
      const fe = num(r.samples.get('fe'));
      const ov = num(r.samples.get('ov'));
      expect(ov).toEqual(Array(bits.length * div).fill(0));
      const pulses = fe.flatMap((v, i) => (v ? [i] : []));
      expect(pulses.length).toBe(1);
      // The stop bit occupies cycles [9 div, 10 div) of the frame; the receiver decides at its middle, a
      // few cycles late (two synchroniser flip-flops, the start-bit detection cycle, the output register).
      const stopMiddle = 9 * div + Math.floor(div / 2);
      expect(pulses[0]).toBeGreaterThanOrEqual(stopMiddle);
      expect(pulses[0]).toBeLessThanOrEqual(stopMiddle + 4);
    });
  }
});

describe('baudDivisor', () => {
  it('returns the rounded cycles per bit when the error is within 2%', () => {
    expect(baudDivisor(12_000_000, 115_200)).toBe(104);
    expect(baudDivisor(12_000_000, 3_000_000)).toBe(4);
    expect(baudDivisor(12_000_000, 9_600)).toBe(1250);
  });

  it('rejects a setting more than 2% off with a RangeError naming the numbers', () => {
    // 12 MHz / 2.2 Mbaud = 5.45 cycles -> 5 -> 2.4 Mbaud, 9.1% fast.
    expect(() => baudDivisor(12_000_000, 2_200_000)).toThrow(RangeError);
    expect(() => baudDivisor(12_000_000, 2_200_000)).toThrow('UART: 12000000 Hz / 5 = 2400000 baud is 9.1% off 2200000 baud');
    // Just over the line: 12 MHz / 4 = 3 Mbaud is 2.12% slow for 3.065 Mbaud; 2.950 Mbaud (1.69%) passes.
    expect(() => baudDivisor(12_000_000, 3_065_000)).toThrow(RangeError);
    expect(() => baudDivisor(12_000_000, 3_065_000)).toThrow('UART: 12000000 Hz / 4 = 3000000 baud is 2.1% off 3065000 baud');
    expect(baudDivisor(12_000_000, 2_950_000)).toBe(4);
  });

  it('rejects fewer than 4 cycles per bit with a RangeError naming the numbers', () => {
    expect(() => baudDivisor(12_000_000, 4_000_000)).toThrow(RangeError);
    expect(() => baudDivisor(12_000_000, 4_000_000)).toThrow('UART: 12000000 Hz gives 3 cycles per bit at 4000000 baud; need at least 4');
    // 3.43 cycles rounds down to 3: still rejected.
    expect(() => baudDivisor(12_000_000, 3_500_000)).toThrow(/12000000 Hz gives 3\.4\d* cycles per bit at 3500000 baud; need at least 4/);
  });
});
