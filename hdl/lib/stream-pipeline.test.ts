// Streams as interface values, end to end: FIFO chains and a small pipeline whose every stream is
// connected in one call (no port name strings at any call site), checked by elaboration, lint
// (verilator -Wall, yosys check) and a Verilator run against a TypeScript model.
//
// The pipeline: in -> fifo(8) -> scale (registered, record payload {value, odd}) -> sum (comb) ->
// fifo(13) -> fifo(13) -> out, computing out = (in * K mod 4096) + (in & 1) for every word, in order.
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Bool, UInt } from '../core/types.ts';
import { buildModule, defineModule } from '../core/generator.ts';
import { flip, stream } from '../core/signature.ts';
import { elaborate } from '../ir/elaborate.ts';
import { emitVerilog, writeVerilog } from '../verilog/emit.ts';
import { lintVerilator } from '../../flow/verilator-lint.ts';
import { lintYosys } from '../../flow/yosys.ts';
import { StimulusScript, runModel } from '../../flow/verilator.ts';
import { buildRtlModel } from '../../sim/rtl-model.ts';
import { prng } from '../../sim/prng.ts';
import { fifo } from './fifo.ts';
import { fire } from './stream.ts';

const bytes = stream(UInt(8));
const scaled = stream({ value: UInt(12), odd: Bool });
const sums = stream(UInt(13));

/** A registered stage with a record payload: takes a byte, gives {value: byte * k mod 4096, odd}. */
const scaleStage = defineModule('scale_stage', (m, p: { k: number }) => {
  const input = m.port(flip(bytes), 'in');
  const output = m.port(scaled, 'out', { reg: true, reset: { valid: 0 } });
  // The register takes a new word when it is empty or being emptied this cycle.
  m.assign(input.ready, output.valid.not().or(output.ready));
  m.sync(() => {
    m.if(fire(input), () => {
      output.valid.set(1);
      output.value.set(input.data.mul(p.k).trunc(12));
      output.odd.set(input.data.bit(0));
    }).elif(output.ready, () => output.valid.set(0));
  });
});

/** A combinational stage: value + odd, passing the handshake straight through. */
const sumStage = defineModule('sum_stage', (m) => {
  const input = m.port(flip(scaled), 'in');
  const output = m.port(sums, 'out');
  m.assign(output.valid, input.valid);
  m.assign(input.ready, output.ready);
  m.assign(output.data, input.value.add(input.odd.zext(12)));
});

const K = 37;
const model = (x: number) => ((x * K) % 4096) + (x & 1);

const pipelineTop = () =>
  buildModule('stream_pipeline_top', (m) => {
    const input = m.port(flip(bytes), 'in');
    const output = m.port(sums, 'out');
    const f0 = m.instance('u_f0', fifo({ width: 8, depth: 4 }), { in: input });
    const scale = m.instance('u_scale', scaleStage({ k: K }), { in: f0.io(bytes, 'out') });
    const sum = m.instance('u_sum', sumStage({}), { in: scale.io(scaled, 'out') });
    const f1 = m.instance('u_f1', fifo({ width: 13, depth: 2 }), { in: sum.io(sums, 'out') });
    m.instance('u_f2', fifo({ width: 13, depth: 2 }), { in: f1.io(sums, 'out'), out: output });
  });

/** n FIFOs in a row, each placed and connected in one call. */
const fifoChain = (n: number, width: number, depth: number) =>
  buildModule(`fifo_chain_n${n}_w${width}_d${depth}`, (m) => {
    const words = stream(UInt(width));
    let prev = m.port(flip(words), 'in');
    for (let i = 0; i < n; i++) prev = m.instance(`u${i}`, fifo({ width, depth }), { in: prev }).io(words, 'out');
    m.connect(prev, m.port(words, 'out'));
  });

describe('FIFO chains connected in one call each', () => {
  for (const [n, width, depth] of [
    [1, 8, 2],
    [2, 1, 4],
    [3, 16, 8],
    [5, 33, 2],
  ] as const) {
    it(`${n} FIFOs of ${width}-bit words, depth ${depth}: every stream wired both ways`, () => {
      const top = fifoChain(n, width, depth);
      const text = [...emitVerilog(elaborate(top)).values()].join('\n');
      const body = text.slice(text.indexOf(`module ${top.name}`));
      const from = (i: number) => (i === 0 ? 'in' : `u${i - 1}_out`);
      for (let i = 0; i < n; i++) {
        expect(body).toMatch(new RegExp(`\\.in_valid\\(${from(i)}_valid\\)`));
        expect(body).toMatch(new RegExp(`\\.in_data\\(${from(i)}_data\\)`));
        expect(body).toContain(i === 0 ? 'assign in_ready = u0_in_ready;' : `assign u${i - 1}_out_ready = u${i}_in_ready;`);
      }
      expect(body).toContain(`assign out_valid = u${n - 1}_out_valid;`);
      expect(body).toContain(`assign u${n - 1}_out_ready = out_ready;`);
      expect(body).toContain(`assign out_data = u${n - 1}_out_data;`);
    });
  }

  it('a chain lints clean under verilator -Wall and yosys check', { timeout: 120_000 }, async () => {
    const top = fifoChain(3, 8, 4);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fifo-chain-'));
    const files = writeVerilog(elaborate(top), dir);
    expect(lintVerilator(files, top.name).messages).toEqual([]);
    expect(await lintYosys({ top: top.name, sources: files })).toEqual([]);
  });
});

describe('a pipeline of interface-connected stages (Verilator)', () => {
  const CYCLES = 4_000;
  const SEED = 0x57ea_3001;

  it('lints clean', { timeout: 120_000 }, async () => {
    const top = pipelineTop();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stream-pipeline-'));
    const files = writeVerilog(elaborate(top), dir);
    expect(lintVerilator(files, top.name).messages).toEqual([]);
    expect(await lintYosys({ top: top.name, sources: files })).toEqual([]);
  });

  it(`delivers f(x) for every accepted word, in order, under random valid and ready (${CYCLES} cycles)`, { timeout: 180_000 }, async () => {
    const { model: rtl } = await buildRtlModel(pipelineTop());
    const r = prng(SEED);
    const s = new StimulusScript(rtl.ports);
    s.set('rst', 1).set('in_valid', 0).set('in_data', 0).set('out_ready', 0).tick(2).set('rst', 0);
    const stim: { v: number; d: number; rdy: number }[] = [];
    for (let c = 0; c < CYCLES; c++) {
      // Phases of 200 cycles: a fast or slow producer against a fast or slow consumer.
      const phase = Math.floor(c / 200) % 4;
      const pIn = [0.9, 0.3, 0.9, 0.6][phase]!;
      const pOut = c >= CYCLES - 100 ? 1 : [0.9, 0.9, 0.2, 0.6][phase]!;
      stim.push({ v: c >= CYCLES - 100 ? 0 : r() < pIn ? 1 : 0, d: Math.floor(r() * 256), rdy: r() < pOut ? 1 : 0 });
    }
    for (const c of stim) {
      s.set('in_valid', c.v).set('in_data', c.d).set('out_ready', c.rdy);
      s.eval().get('ir', 'in_ready').get('ov', 'out_valid').get('od', 'out_data').tick();
    }
    const res = await runModel(rtl, s);
    const [ir, ov, od] = ['ir', 'ov', 'od'].map((k) => res.samples.get(k)!.map(Number));
    const accepted: number[] = [];
    const delivered: number[] = [];
    let stalledIn = 0;
    let stalledOut = 0;
    stim.forEach((c, i) => {
      if (c.v && ir![i]) accepted.push(c.d);
      if (c.v && !ir![i]) stalledIn++;
      if (ov![i] && c.rdy) delivered.push(od![i]!);
      if (ov![i] && !c.rdy) stalledOut++;
    });
    expect(delivered).toEqual(accepted.map(model));
    // The run really moved data and exercised back-pressure on both ends.
    expect(accepted.length).toBeGreaterThan(1_000);
    expect(stalledIn).toBeGreaterThan(100);
    expect(stalledOut).toBeGreaterThan(100);
  });
});
