// The fixed-point engine on FFF models: the path alone (numerics/fff.ts) gives exactly the dense tree's
// logits through whole models of several depths and widths, and a
// reader of the GLU's matrices (the accelerator today) is told the layer has none.
import { describe, expect, it } from 'vitest';
import { randomFffSource } from '../fff-test-support.ts';
import { FixedModel, fixedParams } from './fixed-model.ts';

describe('FixedModel on FFF checkpoints', () => {
  it.each([[16, 0, 2], [32, 3, 1], [24, 6, 3], [64, 8, 1]])('d %i, depth %i, %i layers: path-only logits equal the dense ones', (d, depth, layers) => {
    const src = randomFffSource(d, depth, layers, 50, 100 + d + depth);
    const path = FixedModel.fromSource(src);
    const dense = FixedModel.fromSource(src, { fffDense: true });
    const s1 = path.newState();
    const s2 = dense.newState();
    let live = 0;
    for (const tok of [1, 7, 3, 49, 0, 22, 22, 5, 11, 30]) {
      const a = Int32Array.from(path.stepInt(s1, tok));
      expect(a).toEqual(dense.stepInt(s2, tok));
      if (a.some((v) => v !== 0)) live++;
    }
    expect(live).toBeGreaterThan(0);
  });

  it('an FFF layer has no gate_proj or down_proj to read: a one-line error', () => {
    const L = fixedParams(randomFffSource(16, 2, 1, 20, 3)).layers[0]!;
    expect(L.fff?.depth).toBe(2);
    expect(() => L.gateUp).toThrow(/^model\.layers\.0\.mlp\.node_in\.weight: this layer has an FFF channel mixer \(depth 2\), no gate_proj/);
    expect(() => L.down).toThrow(/no down_proj/);
  });
});
