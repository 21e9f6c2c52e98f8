// The FIFO in Verilator against a TypeScript queue, cycle by cycle under random pushes and pops, and its
// RAM mapped onto one iCE40 block RAM by yosys.
//
// What is asserted on every cycle (outputs read after the inputs are applied, before the clock edge):
//   in_ready  == (model size < 17)       capacity is depth + 1: 16 RAM words plus the prefetched head;
//   out_valid == (model non-empty and its head word was accepted at least 2 edges ago)
//                                        a word written into an empty FIFO reaches the read register
//                                        one edge after the write edge (the RAM read is registered);
//   out_data  == the model's head word   whenever out_valid is 1.
// A transfer happens when valid and ready are both 1; accepted words are pushed onto the model and
// delivered ones popped, so at the end every accepted word has come out once, in order.
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { elaborate } from '../ir/elaborate.ts';
import { writeVerilog } from '../verilog/emit.ts';
import { StimulusScript, runModel } from '../../flow/verilator.ts';
import { synthIce40 } from '../../flow/yosys.ts';
import { buildRtlModel } from '../../sim/rtl-model.ts';
import { prng } from '../../sim/prng.ts';
import { fifo } from './fifo.ts';

const PARAMS = { width: 8, depth: 16 };
const CAPACITY = PARAMS.depth + 1;
/** Edges from the one that accepts a word into an empty FIFO to the first cycle it is shown valid. */
const PREFETCH_LATENCY = 2;
const CYCLES = 5_000;
const DRAIN = 40;
const SEED = 0x5eed_f1f0;

interface Cycle {
  inValid: number;
  inData: number;
  outReady: number;
}

/**
 * Seeded stimulus. valid and ready are random every cycle, with the odds changing every 250 cycles
 * between filling, draining and balanced phases so that both full and empty are reached many times.
 * The last DRAIN cycles push nothing and always pop, so the FIFO must end empty.
 */
function stimulus(seed: number): Cycle[] {
  const r = prng(seed);
  const phases = [
    { push: 0.9, pop: 0.15 },
    { push: 0.15, pop: 0.9 },
    { push: 0.5, pop: 0.5 },
    { push: 1, pop: 0.5 },
    { push: 0.5, pop: 1 },
    { push: 1, pop: 1 },
  ];
  const cycles: Cycle[] = [];
  let phase = phases[0]!;
  for (let c = 0; c < CYCLES; c++) {
    if (c % 250 === 0) phase = phases[Math.floor(r() * phases.length)]!;
    cycles.push({ inValid: r() < phase.push ? 1 : 0, inData: Math.floor(r() * 256), outReady: r() < phase.pop ? 1 : 0 });
  }
  for (let c = 0; c < DRAIN; c++) cycles.push({ inValid: 0, inData: Math.floor(r() * 256), outReady: 1 });
  return cycles;
}

interface Mismatch {
  cycle: number;
  what: string;
  expected: number;
  got: number;
}

describe('fifo width 8 depth 16 (Verilator)', () => {
  it(`matches a queue model on ${CYCLES} cycles of random push/pop (seed ${SEED})`, { timeout: 120_000 }, async () => {
    const { model } = await buildRtlModel(fifo(PARAMS));
    const stim = stimulus(SEED);
    const s = new StimulusScript(model.ports);
    s.set('rst', 1).set('in_valid', 0).set('in_data', 0).set('out_ready', 0).tick(2).set('rst', 0);
    for (const c of stim) {
      s.set('in_valid', c.inValid).set('in_data', c.inData).set('out_ready', c.outReady);
      s.eval().get('ir', 'in_ready').get('ov', 'out_valid').get('od', 'out_data').tick();
    }
    const r = await runModel(model, s);
    const inReady = r.samples.get('ir')!.map(Number);
    const outValid = r.samples.get('ov')!.map(Number);
    const outData = r.samples.get('od')!.map(Number);
    expect([inReady.length, outValid.length, outData.length]).toEqual([stim.length, stim.length, stim.length]);

    const queue: { data: number; acceptedAt: number }[] = [];
    const accepted: number[] = [];
    const delivered: number[] = [];
    const mismatches: Mismatch[] = [];
    const check = (cycle: number, what: string, expected: number, got: number) => {
      if (expected !== got) mismatches.push({ cycle, what, expected, got });
    };
    const seen = { full: 0, empty: 0, latency: 0, pushWhileFull: 0, pushAndPop: 0, maxSize: 0 };

    stim.forEach((c, cycle) => {
      const head = queue[0];
      check(cycle, 'in_ready', queue.length < CAPACITY ? 1 : 0, inReady[cycle]!);
      check(cycle, 'out_valid', head !== undefined && head.acceptedAt <= cycle - PREFETCH_LATENCY ? 1 : 0, outValid[cycle]!);
      if (outValid[cycle] && head) check(cycle, 'out_data', head.data, outData[cycle]!);
      if (queue.length === CAPACITY) seen.full++;
      if (queue.length === 0) seen.empty++;
      if (head && !outValid[cycle]) seen.latency++;
      if (c.inValid && queue.length === CAPACITY) seen.pushWhileFull++;
      // Transfers as the RTL saw them (the checks above have already compared the handshake outputs).
      const pop = outValid[cycle]! && c.outReady;
      const push = c.inValid && inReady[cycle]!;
      if (pop && push) seen.pushAndPop++;
      if (pop) {
        delivered.push(outData[cycle]!);
        queue.shift();
      }
      if (push) {
        accepted.push(c.inData);
        queue.push({ data: c.inData, acceptedAt: cycle });
      }
      seen.maxSize = Math.max(seen.maxSize, queue.length);
    });

    expect(mismatches.slice(0, 10)).toEqual([]);
    // Nothing lost, duplicated or reordered, and the drain emptied it.
    expect(queue).toEqual([]);
    expect(delivered.length).toBe(accepted.length);
    expect(delivered).toEqual(accepted);
    // The stimulus really exercised the corners.
    expect(accepted.length).toBeGreaterThan(1_000);
    expect(seen.maxSize).toBe(CAPACITY);
    expect(seen.full).toBeGreaterThan(100);
    expect(seen.pushWhileFull).toBeGreaterThan(50);
    expect(seen.empty).toBeGreaterThan(100);
    expect(seen.latency).toBeGreaterThan(50);
    expect(seen.pushAndPop).toBeGreaterThan(200);
  });

  it('yosys synth_ice40 maps the RAM onto one block RAM', { timeout: 120_000 }, async () => {
    const top = fifo(PARAMS);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fifo-synth-'));
    const files = writeVerilog(elaborate(top), dir);
    const synth = await synthIce40({ top: top.name, sources: files, workDir: dir, device: 'up5k' });
    expect(synth.cells.ebr).toBe(1);
    expect(synth.warnings).toEqual([]);
  });
});
