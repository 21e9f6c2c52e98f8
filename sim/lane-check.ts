// The ternary lane in Verilator against its TypeScript reference: random vectors streamed one per
// cycle through the pipeline, the extremes (-128 everywhere, all -1 weights) always included.
import { ternaryLane, ternaryDotReference, ternaryLaneLatency, ternaryLaneWidth, TERNARY_CODE, type TernaryLaneParams } from '../hdl/lib/ternary-lane.ts';
import { StimulusScript, runModel } from '../flow/verilator.ts';
import { buildRtlModel } from './rtl-model.ts';
import { prng, packLanes } from './prng.ts';

export interface LaneVector {
  acts: number[];
  codes: number[];
}

const CODES = [TERNARY_CODE.zero, TERNARY_CODE.plus, TERNARY_CODE.minus];

export function laneVectors(n: number, count: number, seed: number): LaneVector[] {
  const r = prng(seed);
  const out: LaneVector[] = [];
  const fill = (a: () => number, c: () => number) => out.push({ acts: Array.from({ length: n }, a), codes: Array.from({ length: n }, c) });
  // The extremes: the largest magnitudes the sum can reach, and the negation of -128.
  fill(() => -128, () => TERNARY_CODE.minus);
  fill(() => -128, () => TERNARY_CODE.plus);
  fill(() => 127, () => TERNARY_CODE.plus);
  fill(() => 127, () => TERNARY_CODE.minus);
  fill(() => 0, () => TERNARY_CODE.minus);
  fill(() => -1, () => TERNARY_CODE.minus);
  fill(() => -128, () => TERNARY_CODE.zero);
  while (out.length < count) {
    const mode = r();
    // Mix uniform vectors with ones pinned to the rails, and some with every weight -1.
    const act = mode < 0.2 ? () => (r() < 0.5 ? -128 : 127) : () => Math.floor(r() * 256) - 128;
    const code = mode > 0.9 ? () => TERNARY_CODE.minus : () => CODES[Math.floor(r() * 3)]!;
    fill(act, code);
  }
  return out;
}

export interface LaneCheck {
  vectors: LaneVector[];
  expected: number[];
  got: number[];
  mismatches: { index: number; expected: number; got: number }[];
  cycles: number;
  wallSeconds: number;
  cached: boolean;
}

export async function checkLane(p: TernaryLaneParams, count: number, seed: number): Promise<LaneCheck> {
  const { model } = await buildRtlModel(ternaryLane(p));
  const vectors = laneVectors(p.n, count, seed);
  const script = new StimulusScript().set('rst', 1).tick(2).set('rst', 0);
  script.monitor('dot', 'out_valid', 'dot');
  for (const v of vectors) script.set('act', packLanes(v.acts, 8)).set('codes', packLanes(v.codes, 2)).set('in_valid', 1).tick();
  script.set('in_valid', 0).tick(ternaryLaneLatency(p) + 2);
  const result = await runModel(model, script);
  const width = ternaryLaneWidth(p.n);
  const got = (result.monitors.get('dot') ?? []).map((x) => Number(BigInt.asIntN(width, x)));
  const expected = vectors.map((v) => ternaryDotReference(v.acts, v.codes));
  const mismatches = expected.flatMap((e, index) => (got[index] === e ? [] : [{ index, expected: e, got: got[index] ?? NaN }]));
  if (got.length !== expected.length) mismatches.push({ index: got.length, expected: expected.length, got: got.length });
  return { vectors, expected, got, mismatches, cycles: result.cycles, wallSeconds: result.wallSeconds, cached: model.cached };
}
