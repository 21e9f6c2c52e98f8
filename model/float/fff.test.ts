// The float FFF: the path alone (D+1 rows of node_in, D+1 columns of node_out, node_out's RMSNorm over
// the path with its mean over N) gives exactly what the dense tree gives (all N nodes, masked), layer by
// layer and through whole models of several depths and widths; and the walk follows the rule.
import { describe, expect, it } from 'vitest';
import { randomFffSource } from '../fff-test-support.ts';
import { seededRandom } from '../../util/prng.ts';
import { TernaryMatrix } from '../../numerics/ternary.ts';
import { FloatFff } from './fff.ts';
import { FloatModel } from './float-model.ts';
import { FloatBitLinear } from './bitlinear.ts';

const silu = (x: number) => x / (1 + Math.exp(-x));

describe('FloatFff: path-only equals dense', () => {
  it.each([[0, 8], [2, 17], [4, 64], [7, 40]])('depth %i, d %i: 50 random inputs, y bit for bit, path by the rule', (depth, d) => {
    const rnd = seededRandom(depth * 31 + d);
    const N = 2 ** (depth + 1) - 1;
    const codes = (n: number) => Int8Array.from({ length: n }, () => (rnd() < 0.3 ? 0 : rnd() < 0.5 ? 1 : -1));
    const norm = (n: number) => Float32Array.from({ length: n }, () => (rnd() < 0.1 ? -1 : 1) * (0.5 + rnd()));
    const nodeIn = new TernaryMatrix(N, d, codes(N * d), Math.fround(1 + rnd()));
    const nodeOut = new TernaryMatrix(d, N, codes(N * d), Math.fround(1 + rnd()));
    const fff = new FloatFff(depth, nodeIn, norm(d), nodeOut, norm(N), 1e-6);
    const z = new Float64Array(N);
    const inLinear = new FloatBitLinear(nodeIn, fff.nodeInNorm, 1e-6);
    const leaves = new Set<number>();
    for (let k = 0; k < 50; k++) {
      const x = Float64Array.from({ length: d }, () => (rnd() * 2 - 1) * 10 ** (rnd() * 4 - 2));
      const a = new Float64Array(d);
      const b = new Float64Array(d);
      fff.forward(x, a);
      const path = [...fff.path];
      fff.forwardDense(x, b);
      expect([...fff.path]).toEqual(path);
      expect(a).toEqual(b);
      // The walk, from the dense z: left when z_n <= 0.
      inLinear.forward(x, z);
      for (let l = 0; l < depth; l++) expect(path[l + 1]).toBe(z[path[l]!]! <= 0 ? 2 * path[l]! + 1 : 2 * path[l]! + 2);
      leaves.add(path[depth]!);
      // y is not 0 whenever some visited node has a non-zero silu (the mask kept something).
      if (path.some((n) => silu(z[n]!) !== 0) && a.every((v) => v === 0)) expect.fail('y is 0 with live nodes on the path');
    }
    if (depth > 0) expect(leaves.size).toBeGreaterThan(1);
  });
});

describe('FloatModel on FFF checkpoints', () => {
  it.each([[16, 1, 2], [32, 3, 1], [24, 6, 3]])('d %i, depth %i, %i layers: the path-only model gives the dense model logits exactly', (d, depth, layers) => {
    const src = randomFffSource(d, depth, layers, 50, d + depth);
    const path = new FloatModel(src);
    const dense = new FloatModel(src, { fffDense: true });
    const s1 = path.newState();
    const s2 = dense.newState();
    for (const tok of [1, 7, 3, 49, 0, 22, 22, 5]) expect(Float32Array.from(path.step(s1, tok))).toEqual(Float32Array.from(dense.step(s2, tok)));
  });
});
