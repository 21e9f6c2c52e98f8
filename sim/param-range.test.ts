// The edges of the parameter range (numerics/ranges.ts) in the RTL: a model with values at the bound
// (|v| = 2^16 in a block norm, a projection and the embedding), an all-zero projection (upstream's
// absmean clamp: it gives 0), a norm vector of denormal-sized values (converted at the exponent floor)
// and a saturating residual stream runs bit-exact against the fixed-point engine.
import { describe, expect, it } from 'vitest';
import { simulateAccel } from './accel-sim.ts';
import { type ModelShape, modelTensors, weightsFromTensors } from '../model/config.ts';
import { fillRandomValues } from '../model/random-values.ts';
import { seededRandom } from '../util/prng.ts';
import { PARAM_MAX_ABS } from '../numerics/ranges.ts';
import { firstBadParameter } from '../numerics/ranges.ts';

function edgeModel() {
  const config: ModelShape = { hiddenSize: 16, intermediateSize: 24, numLayers: 2, vocabSize: 50, rmsNormEps: 1e-6 };
  const rnd = seededRandom(21);
  const tensors = new Map<string, Float32Array>();
  for (const t of modelTensors(config)) {
    const v = new Float32Array(t.shape.reduce((a, b) => a * b, 1));
    fillRandomValues(t, rnd, v);
    tensors.set(t.name, v);
  }
  const set = (name: string, f: (v: Float32Array) => void) => f(tensors.get(name)!);
  set('model.layers.0.attn_norm.weight', (v) => (v[3] = PARAM_MAX_ABS));
  set('model.layers.0.attn.i_proj.weight', (v) => (v[17] = -PARAM_MAX_ABS));
  set('model.layers.1.attn.o_proj.weight', (v) => v.fill(0));
  set('model.layers.1.mlp_norm.weight', (v) => v.forEach((_, i) => (v[i] = (i % 3) - 1 === 0 ? 0 : ((i % 3) - 1) * 1e-30)));
  set('model.embeddings.weight', (v) => (v[16 * 7 + 2] = PARAM_MAX_ABS));
  set('model.norm.weight', (v) => (v[0] = -PARAM_MAX_ABS));
  for (const [name, v] of tensors) expect(firstBadParameter(v), name).toBe(-1);
  return weightsFromTensors(config, (name) => tensors.get(name)!);
}

describe('the parameter range in the RTL', () => {
  it('values at the bound, an all-zero projection and a denormal norm vector: bit-exact', async () => {
    const r = await simulateAccel({ weights: edgeModel(), config: { target: 'generic', lanes: 8 }, prompt: [7, 42, 7], tokens: 6 });
    expect(r.mismatches).toEqual([]);
    expect(r.bitExact).toBe(true);
    expect(r.tokens).toEqual(r.goldenTokens);
  }, 10 * 60_000);
});
