// Fuzzing the packed format: seeded byte mutations of a small model's packed file, half of them with the
// checksum recomputed so they reach the structural and value checks. Every case must end in a clean
// one-line error naming the file, or in a correct result: the file is exactly what the reader returned
// (re-encoding the decoded model gives the same bytes: nothing was dropped or guessed), and both engines
// step with finite logits. FUZZ_CASES / FUZZ_SEED set the run (model/fuzz-support.ts).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseHgrnBitConfig } from '../checkpoint/config.ts';
import { smallConfigJson, syntheticValue } from '../checkpoint/test-support.ts';
import { modelTensors, weightsFromTensors } from '../config.ts';
import { FloatModel } from '../float/float-model.ts';
import { FixedModel } from '../fixed/fixed-model.ts';
import { CHECKSUM_BYTES, PackedFormatError, decodePacked, encodePacked } from './index.ts';
import { FUZZ_CASES, FUZZ_SEED, cleanErrorOf, mutateBytes, runFuzz, type Outcome } from '../fuzz-support.ts';

const config = parseHgrnBitConfig(smallConfigJson({ vocab_size: 256 }), 'config.json');
const tensors = new Map(modelTensors(config).map((t, k) => [t.name, Float32Array.from({ length: t.shape.reduce((a, b) => a * b, 1) }, (_, i) => syntheticValue(k, i))]));
const FILE = 'fuzz.mmfp';

describe('fuzz: packed format', () => {
  for (const packing of ['2bit', '5trit'] as const) {
    const original = encodePacked(weightsFromTensors(config, (n) => tensors.get(n)!), { packing });
    it(`${packing}: ${FUZZ_CASES} seeded mutations, each a clean error or a correct result`, () => {
      const r = runFuzz(
        `packed ${packing}`,
        FUZZ_CASES,
        FUZZ_SEED,
        (rnd): Outcome => {
          const b = mutateBytes(rnd, original);
          if (rnd() < 0.5 && b.length >= CHECKSUM_BYTES) {
            const end = b.length - CHECKSUM_BYTES;
            createHash('sha256').update(b.subarray(0, end)).digest().copy(b, end);
          }
          const m = decodePacked(b, FILE);
          for (const e of [new FloatModel(m), FixedModel.fromSource(m)]) {
            if (!Array.from(e.step(e.newState() as never, 65)).every(Number.isFinite)) return { kind: 'wrong', why: 'non-finite logits' };
          }
          if (!encodePacked(m, { packing: m.packing }).equals(b)) return { kind: 'wrong', why: 'the accepted file is not what re-encoding its contents gives' };
          return { kind: 'correct' };
        },
        cleanErrorOf([PackedFormatError], FILE),
      );
      expect(r.examples).toEqual([]);
      expect([r.crashes, r.hangs, r.silentWrong]).toEqual([0, 0, 0]);
      expect(r.correct).toBeGreaterThan(0);
    }, 30 * 60_000);
  }
});
