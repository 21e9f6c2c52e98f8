// Co-simulation of the generated accelerator against the fixed-point golden engine: build the Verilator
// model of the top level, load the weight image through the weight-load stream (the external target:
// map its DRAM image into the harness's DRAM model behind its native port), run the prompt and the
// generated tokens (each fed back as the next input, as a host would), and compare every step's
// debug read-out (each layer's input, each layer's recurrent state, the logits) and argmax with
// FixedModel.stepInt fed the same tokens, bit for bit.
import fs from 'node:fs';
import os from 'node:os';
import pathMod from 'node:path';
import type { WeightSource } from '../model/config.ts';
import { FixedModel, fixedParams } from '../model/fixed/fixed-model.ts';
import { argmax } from '../model/engine.ts';
import { ACT } from '../numerics/formats.ts';
import { compileProgram, dumpSlots, type AccelProgram, type DumpSlot } from '../accel/program.ts';
import type { AccelConfig } from '../accel/config.ts';
import type { OverlapOption } from '../accel/overlap.ts';
import { accelTop } from '../accel/top.ts';
import { externalTop } from '../accel/external/top.ts';
import { externalImage } from '../accel/external/stream-image.ts';
import { dramSetup, type DramSetup } from './dram-presets.ts';
import type { DramStats } from '../flow/dram.ts';
import { buildGateModel } from './gate-model.ts';
import { buildRtlModel } from './rtl-model.ts';
import { StimulusScript } from '../flow/verilator.ts';
import { VerilatorSession } from '../flow/verilator-session.ts';

export interface Mismatch {
  step: number;
  what: DumpSlot['what'] | 'argmax';
  /** Layer of a hidden vector or state; -1 for logits and argmax. */
  layer: number;
  index: number;
  rtl: number;
  golden: number;
}

export interface AccelSimResult {
  /** Generated tokens (the prompt excluded), as the RTL produced them. */
  tokens: number[];
  /** The golden engine's own greedy continuation of the prompt. */
  goldenTokens: number[];
  bitExact: boolean;
  /** Values compared (vector elements and argmaxes). */
  compared: number;
  mismatchCount: number;
  /** The first few mismatches. */
  mismatches: Mismatch[];
  /** Cycles from token in to token out, per step (debug read-out excluded), and their mean. */
  stepCycles: number[];
  cyclesPerToken: number;
  /**
   * The weight-bandwidth bound: ternary weights per token / lanes; for the external target, the bytes
   * a token reads from DRAM / the memory's peak bytes per cycle (the port's width at most).
   */
  boundCycles: number;
  /** External target: bytes read from DRAM per token, the DRAM's parameters and its counters over the run. */
  weightBytesPerToken?: number;
  /** External target: the bytes the design actually reads per token (instructions and the norms' second copy included). */
  streamBytesPerToken?: number;
  dram?: DramSetup;
  dramStats?: DramStats;
  loadCycles: number;
  simulatedCycles: number;
  wallSeconds: number;
  cyclesPerSecond: number;
  tokensPerSecond: number;
  cached: boolean;
  program: AccelProgram;
}

export interface AccelSimOptions {
  weights: WeightSource;
  /** With `overlap` (accel/overlap.ts) on an on-chip target: the controller that starts a BITLINEAR under the matrix before it. */
  config: AccelConfig & OverlapOption;
  prompt: number[];
  /** Tokens to generate after the prompt. */
  tokens: number;
  trace?: string;
  log?: (msg: string) => void;
  /** Mismatches kept in the result (default 10). */
  keep?: number;
  /**
   * Read out and compare every layer's input and state and the logits (default true). false runs the
   * design as a board does, with its debug read-out off, and compares the argmax alone.
   */
  debug?: boolean;
  /** Simulate the netlist yosys synth_ice40 makes of the design (with yosys's iCE40 cell models), not the RTL. */
  gates?: boolean;
  /** The external target's DRAM (default: the ideal preset at the port's width). */
  dram?: DramSetup;
}

/** A signed value from a `bits`-wide two's-complement word. */
function signed(v: bigint, bits: number): number {
  return Number(BigInt.asIntN(bits, v));
}

/** Cycles a step may take before the simulation is declared hung: far above any program's length. */
function stepLimit(p: AccelProgram): number {
  return 64 * (p.weightsPerToken / p.geometry.lanes) + 1_000_000;
}

export async function simulateAccel(o: AccelSimOptions): Promise<AccelSimResult> {
  const log = o.log ?? (() => {});
  if (o.prompt.length === 0) throw new Error('the prompt is empty: give at least one token');
  if (!Number.isInteger(o.tokens) || o.tokens < 1) throw new Error(`--tokens must be a positive integer, got ${o.tokens}`);
  const params = fixedParams(o.weights);
  const prog = compileProgram(params, o.config);
  const external = o.config.target === 'external';
  const top = external ? externalTop(prog) : accelTop(prog);
  // The external target's DRAM: the harness's model behind its native port, the image placed by the back door.
  const img = external ? externalImage(prog) : undefined;
  const dram = img ? (o.dram ?? dramSetup('ideal', img.wordBits)) : undefined;
  if (dram && img && dram.portBits !== img.wordBits) throw new Error(`the DRAM setup is for a ${dram.portBits}-bit port, the accelerator's is ${img.wordBits} bits`);
  if (o.gates && o.trace) throw new Error('a waveform (--trace) comes from the RTL simulation, not the gate-level one (--gates)');
  if (o.gates && o.config.target === 'external') throw new Error('--gates simulates the iCE40 netlist: not for the external target');
  const rtl = o.gates ? await buildGateModel(top, { device: o.config.target === 'up5k' ? 'up5k' : 'generic', log }) : await buildRtlModel(top, { ...(o.trace ? { trace: true } : {}), log });
  const slots = dumpSlots(prog);
  const t0 = performance.now();
  const session = await VerilatorSession.open(rtl.model, o.trace ? { traceFile: o.trace } : {});
  try {
    // Reset, then the weight image, one 16-bit word per cycle (load_ready is 1 until the last word).
    const debug = o.debug ?? true;
    const load = new StimulusScript(rtl.model.ports);
    let imageFile: string | undefined;
    if (img && dram) {
      imageFile = pathMod.join(fs.mkdtempSync(pathMod.join(os.tmpdir(), 'mmf-dram-')), 'dram.bin');
      fs.writeFileSync(imageFile, img.bytes);
      load.dram(dram.timing).dramImage(imageFile);
    }
    load.set('rst', 1).set('debug_en', debug ? 1 : 0).set('tok_out_ready', 1).tick(2).set('rst', 0);
    load.monitor('dbg', 'dbg_valid', 'dbg_data');
    if (!external) {
      load.set('load_valid', 1);
      for (const w of prog.image) load.set('load_data', w).tick(1);
      load.set('load_valid', 0).tick(1).get('loaded', 'loaded');
    }
    const loadRun = await session.run(load, { timeoutMs: 600_000 });
    if (!external && loadRun.samples.get('loaded')?.[0] !== 1n) throw new Error('the accelerator did not report `loaded` after the whole weight image');
    const loadCycles = loadRun.cycles;

    const golden = FixedModel.fromSource(o.weights);
    const gState = golden.newState();
    const hidden: Int32Array[] = [];
    golden.onHidden = (k, h) => (hidden[k] = Int32Array.from(h));
    // With the weights in DRAM a step may wait for the memory: the limit grows as the memory slows.
    const limit = img && dram ? Math.ceil(64 * Math.max(prog.weightsPerToken / prog.geometry.lanes, (img.wordsPerToken * img.wordBytes) / dram.timing.bytesPerCycle) + 1_000_000) : stepLimit(prog);
    const keep = o.keep ?? 10;
    const mismatches: Mismatch[] = [];
    let mismatchCount = 0;
    let compared = 0;
    const note = (mm: Mismatch) => {
      mismatchCount++;
      if (mismatches.length < keep) mismatches.push(mm);
    };
    const tokens: number[] = [];
    const stepCycles: number[] = [];
    const steps = o.prompt.length + o.tokens - 1;
    let input = o.prompt[0]!;
    for (let step = 0; step < steps; step++) {
      const s = new StimulusScript(rtl.model.ports);
      s.set('tok_in_data', input).set('tok_in_valid', 1).waitFor('tok_in_ready', limit).set('tok_in_valid', 0);
      s.waitFor('tok_out_valid', limit).get('tok', 'tok_out_data').get('cycles', 'step_cycles');
      if (external) s.get('stream_error', 'stream_error');
      const r = await session.run(s, { timeoutMs: 600_000 });
      const out = Number(r.samples.get('tok')![0]!);
      if (external && r.samples.get('stream_error')![0] !== 0n) throw new Error(`step ${step}: the controller popped a word the weight stream did not have (stream_error): controller and image disagree`);
      stepCycles.push(Number(r.samples.get('cycles')![0]!));

      // The golden engine, fed the same token.
      const logits = golden.stepInt(gState, input);
      const words = r.monitors.get('dbg') ?? [];
      const expectWords = debug ? slots.reduce((n, sl) => n + sl.n, 0) : 0;
      if (words.length !== expectWords) throw new Error(`step ${step}: the debug read-out gave ${words.length} words, the program dumps ${expectWords}`);
      let at = 0;
      for (const sl of debug ? slots : []) {
        const ref = sl.what === 'logits' ? logits : sl.what === 'state' ? gState.recurrent[sl.layer]! : hidden[sl.layer]!;
        for (let i = 0; i < sl.n; i++, at++) {
          const v = signed(words[at]!, ACT.bits);
          compared++;
          if (v !== ref[i]) note({ step, what: sl.what, layer: sl.layer, index: i, rtl: v, golden: ref[i]! });
        }
      }
      const want = argmax(logits);
      compared++;
      if (out !== want) note({ step, what: 'argmax', layer: -1, index: 0, rtl: out, golden: want });
      if (step >= o.prompt.length - 1) tokens.push(out);
      input = step + 1 < o.prompt.length ? o.prompt[step + 1]! : out;
      log(`step ${step + 1}/${steps}: token ${out}, ${stepCycles.at(-1)} cycles`);
    }
    const dramStats = dram ? await session.dramStats() : undefined;
    if (imageFile) fs.rmSync(pathMod.dirname(imageFile), { recursive: true, force: true });
    const simulatedCycles = await session.close();
    const wallSeconds = (performance.now() - t0) / 1000;

    // The golden engine's own continuation.
    const free = FixedModel.fromSource(o.weights);
    const fState = free.newState();
    let logits: Int32Array = new Int32Array(0);
    for (const t of o.prompt) logits = free.stepInt(fState, t);
    const goldenTokens: number[] = [];
    for (let k = 0; k < o.tokens; k++) {
      const t = argmax(logits);
      goldenTokens.push(t);
      if (k + 1 < o.tokens) logits = free.stepInt(fState, t);
    }
    const genCycles = stepCycles.reduce((a, b) => a + b, 0);
    return {
      tokens,
      goldenTokens,
      bitExact: mismatchCount === 0,
      compared,
      mismatchCount,
      mismatches,
      stepCycles,
      cyclesPerToken: genCycles / stepCycles.length,
      boundCycles: img && dram ? img.modelBytesPerToken / dram.timing.bytesPerCycle : prog.weightsPerToken / prog.geometry.lanes,
      ...(img && dram ? { weightBytesPerToken: img.modelBytesPerToken, streamBytesPerToken: img.wordsPerToken * img.wordBytes, dram, ...(dramStats ? { dramStats } : {}) } : {}),
      loadCycles,
      simulatedCycles,
      wallSeconds,
      cyclesPerSecond: simulatedCycles / wallSeconds,
      tokensPerSecond: steps / wallSeconds,
      cached: rtl.model.cached,
      program: prog,
    };
  } finally {
    await session.close().catch(() => 0);
  }
}
