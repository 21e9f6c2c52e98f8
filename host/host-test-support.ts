// What the host tests share: a small random model on the generic 8-lane board, its image and hash, a
// prompt, and the fixed-point golden engine's greedy continuation to compare the board's tokens with.
import { compileProgram } from '../accel/program.ts';
import { fixedParams, FixedModel } from '../model/fixed/fixed-model.ts';
import { greedy } from '../model/engine.ts';
import { randomModel } from '../sim/random-model.ts';
import { modelHash } from '../protocol/model-hash.ts';

export const SHAPE = { hiddenSize: 16, intermediateSize: 24, numLayers: 2, vocabSize: 50 };
export const weights = randomModel(SHAPE, 11);
export const prog = compileProgram(fixedParams(weights), { target: 'generic', lanes: 8 });
export const model = { image: prog.image, modelHash: modelHash(prog.image) };
export const PROMPT = [3, 14, 15, 9, 26];

/** Greedy continuation by the fixed-point golden engine. */
export function golden(prompt: number[], n: number): number[] {
  return greedy(FixedModel.fromSource(weights), prompt, n);
}
