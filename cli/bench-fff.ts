// npm run bench, the FFF part: what conditional execution buys on the CPU. Tokens/s of tiny-fff8
// (models/tiny-fff8: depth 8, 511 nodes, 9 on a token's path) evaluating the path alone, against the
// same tree evaluated densely (all 511 nodes of node_in and node_out, then masked) and against the GLU
// tiny model of the same hidden size; in both engines, single thread, whole model and channel mixer
// alone. And what it buys the accelerator on the UP5K target: cycles per token of both models at each
// lane count, from accel/timing.ts (which sim/accel-sim-fff.test.ts holds equal to the co-simulation),
// against the weight bound (weights read per token / lanes) and the row unit's floor. Printed, never
// asserted.
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { EMBEDDED_MODEL, openModel } from '../model/open.ts';
import { FloatModel } from '../model/float/float-model.ts';
import { FixedModel, fixedParams } from '../model/fixed/fixed-model.ts';
import type { Engine } from '../model/engine.ts';
import { FloatFff } from '../model/float/fff.ts';
import { FffScratch, fffFixed, fffFixedDense } from '../numerics/fff.ts';
import { sumOfSquares } from '../numerics/bitlinear.ts';
import { layerTensorNames } from '../model/config.ts';
import { seededRandom } from '../util/prng.ts';
import { compileProgram } from '../accel/program.ts';
import { UP5K_LANES } from '../accel/config.ts';
import { predictCycles, rowUnitFloor } from '../accel/timing.ts';
import { BOARDS, boardAccel } from '../board/boards.ts';

export const FFF8_MODEL = path.join(path.dirname(EMBEDDED_MODEL), 'tiny-fff8');

/** Steps per second over `tokens` steps after 64 warm-up steps (the JIT compiles the kernels first). */
function stepsPerSecond(engine: Engine, text: Uint8Array, tokens: number): number {
  const state = engine.newState();
  for (let t = 0; t < 64; t++) engine.step(state, text[t]!);
  const t0 = performance.now();
  for (let t = 0; t < tokens; t++) engine.step(state, text[t % text.length]!);
  return tokens / ((performance.now() - t0) / 1000);
}

/** Calls per second of `f`, timed over `n` calls after n/8 warm-up calls. */
function callsPerSecond(f: (k: number) => void, n: number): number {
  for (let k = 0; k < n / 8; k++) f(k);
  const t0 = performance.now();
  for (let k = 0; k < n; k++) f(k);
  return n / ((performance.now() - t0) / 1000);
}

export function benchFff(tokens = 2048): void {
  const text = Buffer.from('First Citizen:\nBefore we proceed any further, hear me speak.\n'.repeat(40));
  const fff = openModel(FFF8_MODEL).weights;
  const glu = openModel(EMBEDDED_MODEL).weights;
  const fmt = (x: number) => x.toFixed(0);
  const builds = {
    float: { path: () => new FloatModel(fff), dense: () => new FloatModel(fff, { fffDense: true }), glu: () => new FloatModel(glu) },
    fixed: { path: () => FixedModel.fromSource(fff), dense: () => FixedModel.fromSource(fff, { fffDense: true }), glu: () => FixedModel.fromSource(glu) },
  };
  // Best of three rounds, the three variants interleaved in each: on a shared machine the best is the
  // least disturbed, and interleaving gives each variant the same chances.
  const best = (runs: (() => number)[]) => {
    const top = runs.map(() => 0);
    for (let round = 0; round < 3; round++) runs.forEach((r, i) => (top[i] = Math.max(top[i]!, r())));
    return top;
  };
  for (const [kind, b] of Object.entries(builds)) {
    const engines = [b.path(), b.dense(), b.glu()];
    const [path, dense, g] = best(engines.map((e) => () => stepsPerSecond(e, text, tokens))) as [number, number, number];
    console.log(
      `model tiny-fff8: ${kind} engine ${fmt(path)} tokens/s on the path (9 of 511 nodes), ${fmt(dense)} dense (all nodes, masked): ` +
        `${(path / dense).toFixed(2)}x; GLU tiny ${fmt(g)} tokens/s (${(path / g).toFixed(2)}x) (single thread, ${tokens} tokens, best of 3)`,
    );
  }
  // The channel mixer alone (layer 0's tree, random inputs): where the whole model's other parts
  // (the token mixer, lm_head) do not dilute the difference.
  const cfg = fff.config;
  const d = cfg.hiddenSize;
  const N = cfg.intermediateSize;
  const depth = cfg.fffDepth!;
  const t = layerTensorNames(0);
  const rnd = seededRandom(1);
  const xs = Array.from({ length: 64 }, () => Float64Array.from({ length: d }, () => rnd() * 2 - 1));
  const us = Array.from({ length: 64 }, () => Int32Array.from({ length: d }, () => Math.round((rnd() * 2 - 1) * 4096)));
  const ff = new FloatFff(depth, fff.ternary(t.nodeIn, N, d), fff.vector(t.nodeInNorm), fff.ternary(t.nodeOut, d, N), fff.vector(t.nodeOutNorm), cfg.rmsNormEps);
  const y = new Float64Array(d);
  const calls = 20_000;
  const [fPath, fDense] = best([() => callsPerSecond((k) => ff.forward(xs[k & 63]!, y), calls), () => callsPerSecond((k) => ff.forwardDense(xs[k & 63]!, y), calls)]) as [number, number];
  const prm = fixedParams(fff).layers[0]!.fff!;
  const yi = new Int32Array(d);
  const sp = new FffScratch(depth, d, N, false);
  const sd = new FffScratch(depth, d, N, true);
  const [xPath, xDense] = best([
    () => callsPerSecond((k) => fffFixed(us[k & 63]!, sumOfSquares(us[k & 63]!), prm, yi, sp), calls),
    () => callsPerSecond((k) => fffFixedDense(us[k & 63]!, sumOfSquares(us[k & 63]!), prm, yi, sd), calls),
  ]) as [number, number];
  console.log(
    `tiny-fff8 channel mixer alone (d ${d}, depth ${depth}): float ${fmt(fPath)} calls/s on the path, ${fmt(fDense)} dense (${(fPath / fDense).toFixed(1)}x); ` +
      `fixed ${fmt(xPath)} on the path, ${fmt(xDense)} dense (${(xPath / xDense).toFixed(1)}x)`,
  );
}

/** Cycles per token on the up5k target, tiny-fff8 against the GLU tiny model, at each lane count. */
export function benchFffAccelerator(): void {
  const models = { 'tiny-fff8': fixedParams(openModel(FFF8_MODEL).weights), 'tiny (GLU)': fixedParams(openModel(EMBEDDED_MODEL).weights) };
  for (const lanes of UP5K_LANES) {
    const parts = Object.entries(models).map(([name, params]) => {
      const prog = compileProgram(params, { target: 'up5k', lanes });
      const c = predictCycles(prog).total;
      return `${name} ${c} cycles/token (weights ${prog.weightsPerToken}, bound ${prog.weightsPerToken / lanes}, row-unit floor ${rowUnitFloor(prog)})`;
    });
    console.log(`accelerator, up5k, ${lanes} lanes: ${parts.join('; ')}`);
  }
  // the iCEBreaker's accelerator: node_out one output at a time (board/boards.ts)
  const board = boardAccel(BOARDS.icebreaker, models['tiny-fff8'].config);
  const prog = compileProgram(models['tiny-fff8'], board);
  console.log(`accelerator, the iCEBreaker's (${board.lanes} lanes, ${board.columnLanes} column lane): tiny-fff8 ${predictCycles(prog).total} cycles/token`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchFff();
  benchFffAccelerator();
}
