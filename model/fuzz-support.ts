// The input fuzzers' shared harness (tests only): seeded mutations of bytes and of JSON, and a runner that
// sorts every case into a clean one-line error, a correct result, a crash (any other exception, or an
// error that is not one line naming the file) or a silent wrong result (accepted, but the oracle
// disagrees), and prints the counts. Cases: FUZZ_CASES (default 500 in `make test`, 10,000 in
// `make test-long`); seed: FUZZ_SEED (default 1). The same seed gives the same cases on every machine.
import { seededRandom } from '../util/prng.ts';

export const FUZZ_CASES = Number(process.env['FUZZ_CASES'] ?? 500);
export const FUZZ_SEED = Number(process.env['FUZZ_SEED'] ?? 1);

export type Rng = () => number;
export const pick = <T>(rnd: Rng, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
export const int = (rnd: Rng, n: number): number => Math.floor(rnd() * n);

/** Interesting bytes: boundaries of signed / unsigned bytes, JSON punctuation, digits, space. */
const BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x22, 0x2c, 0x3a, 0x7b, 0x7d, 0x5b, 0x5d, 0x2d, 0x2e, 0x30, 0x39, 0x20, 0x65];

/**
 * One to four byte-level mutations of `src`, biased toward `hot` (a region such as a header, where most
 * of a format's structure lives): bit flips, byte sets, 16/32/64-bit interesting words, insertions,
 * deletions, a duplicated or dropped span, truncation.
 */
export function mutateBytes(rnd: Rng, src: Uint8Array, hot?: readonly [number, number]): Buffer {
  let b = Buffer.from(src);
  const n = 1 + int(rnd, 4);
  for (let k = 0; k < n; k++) {
    const where = (): number => (hot && rnd() < 0.5 ? hot[0] + int(rnd, Math.max(1, hot[1] - hot[0])) : int(rnd, Math.max(1, b.length)));
    const op = int(rnd, 9);
    const at = Math.min(where(), Math.max(0, b.length - 1));
    if (b.length === 0) break;
    if (op === 0) b[at] = b[at]! ^ (1 << int(rnd, 8));
    else if (op === 1) b[at] = pick(rnd, BYTES);
    else if (op === 2) b[at] = int(rnd, 256);
    else if (op === 3 && at + 8 <= b.length) {
      const v = pick(rnd, [0n, 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 63n, 2n ** 64n - 1n, BigInt(int(rnd, 2 ** 30))]);
      b.writeBigUInt64LE(v, at);
    } else if (op === 4 && at + 2 <= b.length) b.writeUInt16LE(pick(rnd, [0x7fc0, 0x7f80, 0xff80, 0x7f7f, 0x4780, 0x0001, 0x8000]), at);
    else if (op === 5) b = Buffer.concat([b.subarray(0, at), Buffer.from([pick(rnd, BYTES)]), b.subarray(at)]);
    else if (op === 6) b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + int(rnd, 8))]);
    else if (op === 7) {
      const len = 1 + int(rnd, 32);
      b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + len), b.subarray(at)]);
    } else if (op === 8) b = b.subarray(0, at);
  }
  return b;
}

/** Values that break JSON fields: wrong types, negative, fractional, huge, non-finite-looking, empty. */
const JSON_VALUES: unknown[] = [null, true, false, 0, -1, 1, 2, 0.5, -0.5, 1e300, -1e300, 2 ** 53, 2 ** 31, 1e-308, '', 'a', '1', 'NaN', [], [1], [[]], {}, { a: 1 }, 255, 256, 257, 1000000, 4, 64];

/** All [path, value] pairs of a JSON value, for picking a place to mutate. */
function places(v: unknown, path: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(path);
  if (out.length > 5000) return out;
  if (Array.isArray(v)) v.forEach((x, i) => places(x, [...path, i], out));
  else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) places(x, [...path, k], out);
  return out;
}

/**
 * One to three structure-aware mutations of a JSON document, returned as text: a value replaced (by
 * another type, a boundary number, a copy of another value), a key deleted or renamed, an array entry
 * duplicated or dropped, a key duplicated in the text; or, one time in five, byte mutations of the text.
 */
export function mutateJson(rnd: Rng, doc: unknown): string {
  if (rnd() < 0.2) return mutateBytes(rnd, Buffer.from(JSON.stringify(doc))).toString('latin1');
  const d = structuredClone(doc) as Record<string, unknown>;
  let dupKeyText: ((t: string) => string) | undefined;
  const n = 1 + int(rnd, 3);
  for (let k = 0; k < n; k++) {
    const all = places(d).filter((p) => p.length > 0);
    if (all.length === 0) break;
    const p = pick(rnd, all);
    const parent = p.slice(0, -1).reduce<any>((o, key) => o[key], d);
    const key = p[p.length - 1]!;
    const op = int(rnd, 6);
    if (op <= 1) parent[key] = structuredClone(pick(rnd, JSON_VALUES));
    else if (op === 2) {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
    } else if (op === 3) {
      if (Array.isArray(parent)) parent.splice(key as number, 0, structuredClone(parent[key as number]));
      else parent[`${String(key)}${pick(rnd, ['', '_', 'x'])}`] = structuredClone(parent[key]);
    } else if (op === 4) {
      const other = pick(rnd, all).reduce<any>((o, kk) => (o === undefined || o === null ? o : o[kk]), d);
      parent[key] = structuredClone(other);
    } else if (!Array.isArray(parent)) {
      // a key twice in the text: `"key": value` written again after itself, with another value
      const value = JSON.stringify(pick(rnd, JSON_VALUES));
      const name = JSON.stringify(String(key));
      dupKeyText = (t) => t.replace(`${name}:`, `${name}:${value},${name}:`);
    }
  }
  const text = JSON.stringify(d);
  return dupKeyText ? dupKeyText(text) : text;
}

export type Outcome = { kind: 'correct' } | { kind: 'wrong'; why: string };

export interface FuzzReport {
  category: string;
  cases: number;
  cleanErrors: number;
  correct: number;
  crashes: number;
  hangs: number;
  silentWrong: number;
  /** The slowest case, in ms (a hang would time the test out; this shows how far from it each run is). */
  slowestMs: number;
  examples: string[];
}

/**
 * Runs `cases` cases of `one(rnd, i)`. `clean(err)` says whether an exception is a clean refusal (the
 * input's own error class, one line, naming the file). Prints one line of counts.
 */
export function runFuzz(category: string, cases: number, seed: number, one: (rnd: Rng, i: number) => Outcome, clean: (err: unknown) => boolean): FuzzReport {
  const r: FuzzReport = { category, cases, cleanErrors: 0, correct: 0, crashes: 0, hangs: 0, silentWrong: 0, slowestMs: 0, examples: [] };
  for (let i = 0; i < cases; i++) {
    const rnd = seededRandom(seed * 1_000_003 + i);
    const t0 = performance.now();
    try {
      const o = one(rnd, i);
      if (o.kind === 'correct') r.correct++;
      else {
        r.silentWrong++;
        if (r.examples.length < 5) r.examples.push(`case ${i}: silently wrong: ${o.why}`);
      }
    } catch (err) {
      if (clean(err)) r.cleanErrors++;
      else {
        r.crashes++;
        if (r.examples.length < 5) r.examples.push(`case ${i}: ${(err as Error)?.stack?.split('\n').slice(0, 3).join(' | ') ?? String(err)}`);
      }
    }
    r.slowestMs = Math.max(r.slowestMs, performance.now() - t0);
  }
  console.log(
    `fuzz ${category} (seed ${seed}): ${r.cases} cases, ${r.cleanErrors} clean errors, ${r.correct} correct results, ${r.crashes} crashes, ${r.hangs} hangs, ${r.silentWrong} silent wrong results; slowest case ${r.slowestMs.toFixed(0)} ms`,
  );
  for (const e of r.examples) console.log(`  ${e}`);
  return r;
}

/** An error is clean when it is one of `classes`, one line, and starts with `file: `. */
export function cleanErrorOf(classes: (abstract new (...a: any[]) => Error)[], file: string): (err: unknown) => boolean {
  return (err) => classes.some((c) => err instanceof c) && !/[\r\n]/.test((err as Error).message) && (err as Error).message.startsWith(`${file}: `);
}
