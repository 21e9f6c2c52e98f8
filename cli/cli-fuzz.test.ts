// The command line under random option values and paths, as a hostile user types them: every run must
// end in exit 0 with the right output, or exit non-zero with ONE line on stderr naming the option or the
// path; nothing may hang, crash (a stack trace, several lines, a raw "ENOENT: ..." or "is not a
// function") or succeed where the input was bad. Commands run in-process (runMmf, gen-rtl's program) so
// the cases are cheap; each case is labelled valid or invalid by hand-written pools below, not by the
// parser under test. Seeded; MMF_CLI_FUZZ_CASES sets the count (the long run in `make test-long`).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runMmf } from './mmf/program.ts';
import { genRtlProgram } from './gen-rtl.ts';
import { runCommand } from './run-command.ts';
import { EMBEDDED_MODEL, makeEngine, openModel } from '../model/open.ts';
import { makeSampler } from '../model/run/sample.ts';
import { encodePacked } from '../model/packed/index.ts';
import { seededRandom } from '../util/prng.ts';

const CASES = Number(process.env.MMF_CLI_FUZZ_CASES ?? 80);
const SEED = Number(process.env.MMF_CLI_FUZZ_SEED ?? 16);
/** Cases that run real work (a conversion, gen-rtl, an eval) are rarer: they cost 0.1 to 3 s each. */
const HEAVY_SHARE = Number(process.env.MMF_CLI_FUZZ_HEAVY ?? 0.1);

type Value = { v: string; ok: boolean };
const val = (ok: boolean, ...vs: string[]): Value[] => vs.map((v) => ({ v, ok }));

// Hand-labelled pools: what a user may type, and whether the command must take it.
const BAD_NUMBERS = val(false, '', ' ', 'abc', 'NaN', 'Infinity', '-Infinity', '1e400', '0x10', '1,5', '--', 'null', '١', '\u00a01');
const BAD_INTS = [...BAD_NUMBERS, ...val(false, '-1', '1.5', '1e300', '1e3', ' 5', '5 ', '+3', '99999999999999999999', '0.0')];
const COUNTS = [...val(true, '0', '1', '3', '5', '8', '007'), ...val(false, '2147483648'), ...BAD_INTS];
const POSITIVE = [...val(true, '1', '2', '3', '4', '016'), ...val(false, '0', '00', '2147483648'), ...BAD_INTS];
const SEEDS = [...val(true, '0', '1', '42', '2147483648', '4294967295', '123456789'), ...val(false, '4294967296'), ...BAD_INTS];
const TEMPERATURES = [...val(true, '0', '0.0', '0.8', '1', '1.5', '2.', '.5', '1e-3', '1E2', '+0.7', '1e-300', '1e300'), ...val(false, '-1', '-0.5', '-1e-9'), ...BAD_NUMBERS];
const ENGINES = [...val(true, 'float', 'fixed'), ...val(false, '', 'gpu', 'FLOAT', 'fixed ', 'toString', '__proto__')];
const PROMPTS = [...val(true, 'ROMEO:', 'a', 'KING:\n', ' ', 'é', '\u{1F600}', 'x'.repeat(40)), ...val(false, '')];
const LANES = [...val(true, '8', '16', '32'), ...val(false, '24', '3', '0', '64000', '2147483648'), ...BAD_INTS];
const TARGETS = [...val(true, 'up5k', 'generic'), ...val(false, '', 'ecp5', 'UP5K', 'constructor')];
const SHAPES = [...val(true, '16:1:24:50', '8:2:8:16', '4:1:4:256', '016:1:24:50'), ...val(false, '', '0:1:2:3', '16:1:24', 'abc', '16:1:24:50:1', '1e3:1:2:3', '-16:1:24:50', '16:1:24:99999999999', '16:1:24: 50')];
const PACKINGS = [...val(true, '2bit', '5trit'), ...val(false, '', '3bit', '2BIT')];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-fuzz-'));
const aFile = path.join(tmp, 'a-file');
fs.writeFileSync(aFile, 'not a folder');
const fifo = path.join(tmp, 'fifo');
let haveFifo = true;
try {
  execFileSync('mkfifo', [fifo]);
} catch {
  haveFifo = false;
}
const text = path.join(tmp, 'text.txt');
fs.writeFileSync(text, Buffer.from('First Citizen:\nBefore we proceed any further, hear me speak.\nAll:\nSpeak, speak.\n'.repeat(4000)));

/** Paths for a file to be written: `ok` when the command must write it. `fresh` gives a new folder per case. */
function outputFiles(fresh: string): Value[] {
  return [
    ...val(true, path.join(fresh, 'out.mmf'), path.join(fresh, 'a b ü.mmf'), aFile + '-copy'),
    ...val(false, '', fresh, fresh + '/', path.join(aFile, 'x.mmf'), path.join(fresh, 'missing', 'x.mmf'), '/proc/mmf-fuzz.mmf', '/proc/self/status', '/dev/null/x', ...(haveFifo ? [fifo] : [])),
  ];
}
/** Folders to be written into (gen-rtl -o): created when missing. */
function outputDirs(fresh: string): Value[] {
  return [...val(true, fresh, path.join(fresh, 'new', 'deeper')), ...val(false, '', aFile, path.join(aFile, 'x'), '/proc/mmf-fuzz', '/proc/self/status/x')];
}
const TEXTS = [...val(true, text), ...val(false, '', tmp, path.join(tmp, 'missing.txt'), '/dev/null', '/dev/zero', ...(haveFifo ? [fifo] : []))];
const MODELS = [...val(true, EMBEDDED_MODEL), ...val(false, '', tmp, aFile, path.join(tmp, 'missing'), '/dev/zero', ...(haveFifo ? [fifo] : []))];

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
  hung: boolean;
}

/** Runs one command in-process with its output captured; a case that takes over `limitMs` is a hang. */
async function run(argv: string[], which: 'mmf' | 'gen-rtl', limitMs = 60_000): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (stdout += a.join(' ') + '\n'));
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const work = which === 'mmf' ? runMmf(argv) : runCommand(genRtlProgram(), 'gen-rtl', argv);
    const hang = new Promise<'hang'>((r) => (timer = setTimeout(() => r('hang'), limitMs)));
    const code = await Promise.race([work, hang]);
    return { code: code === 'hang' ? -1 : code, stdout, stderr, ms: performance.now() - t0, hung: code === 'hang' };
  } catch (e) {
    // runCommand catches everything: an exception here is a crash.
    return { code: -2, stdout, stderr: stderr + `THROWN ${(e as Error)?.stack ?? String(e)}`, ms: performance.now() - t0, hung: false };
  } finally {
    clearTimeout(timer);
    out.mockRestore();
    err.mockRestore();
    log.mockRestore();
  }
}

/** Raw system or JavaScript errors that reached the user: a crash, whatever the exit code. */
const RAW = /\bat .+:\d+:\d+|TypeError|ReferenceError|RangeError|is not a function|Cannot read propert|undefined|\[object |^\w+: E[A-Z]+: /;

type Verdict = 'clean error' | 'correct result' | 'crash' | 'hang' | 'silent wrong' | 'wrong refusal';
interface Case {
  category: string;
  argv: string[];
  which: 'mmf' | 'gen-rtl';
  valid: boolean;
  /** The option names or paths one of which a refusal must name. */
  names: string[];
  /** For a valid case: null when the output is right, else what is wrong. */
  check: (o: Outcome) => string | null;
  after?: (o: Outcome) => string | null;
}

function verdict(c: Case, o: Outcome): { v: Verdict; why: string } {
  if (o.hung) return { v: 'hang', why: `no end within the limit` };
  if (o.code === -2) return { v: 'crash', why: o.stderr };
  const lines = o.stderr.split('\n').filter((l) => l !== '');
  if (o.code !== 0) {
    if (lines.length !== 1 || RAW.test(lines[0]!) || !/^(mmf|gen-rtl): /.test(lines[0]!)) return { v: 'crash', why: o.stderr };
    if (c.valid) return { v: 'wrong refusal', why: lines[0]! };
    if (!c.names.some((n) => lines[0]!.includes(n))) return { v: 'crash', why: `the error names none of ${JSON.stringify(c.names)}: ${lines[0]}` };
    const left = c.after?.(o) ?? null;
    return left ? { v: 'silent wrong', why: left } : { v: 'clean error', why: '' };
  }
  if (!c.valid) return { v: 'silent wrong', why: `exit 0 on bad input; stdout ${JSON.stringify(o.stdout.slice(0, 120))}` };
  const bad = c.check(o) ?? c.after?.(o) ?? null;
  return bad ? { v: 'silent wrong', why: bad } : { v: 'correct result', why: '' };
}

// What a right answer is, computed here from the engine and the sampler, not through the CLI.
const tiny = openModel(EMBEDDED_MODEL);
const engines = { float: makeEngine('float', tiny.weights), fixed: makeEngine('fixed', tiny.weights) };
function expectedTokens(engine: 'float' | 'fixed', prompt: string, n: number, temperature: number, topK: number, seed: number): number[] {
  const e = engines[engine];
  const s = e.newState();
  let logits: Float32Array | undefined;
  for (const id of tiny.tokenizer.encode(prompt)) logits = e.step(s, id);
  const sample = makeSampler({ temperature, topK, seed });
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    out.push(sample(logits!));
    logits = e.step(s, out[k]!);
  }
  return out;
}
const packed = { '2bit': encodePacked(tiny.weights, { packing: '2bit' }), '5trit': encodePacked(tiny.weights, { packing: '5trit' }) } as Record<string, Buffer>;

function makeCase(rnd: () => number, k: number): Case {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  /** Mostly valid values, so that one bad value at a time is what usually gets tested. */
  const choose = (pool: Value[], pBad = 0.25): Value => {
    const want = rnd() >= pBad;
    const of = pool.filter((x) => x.ok === want);
    return pick(of.length ? of : pool);
  };
  const heavy = rnd() < HEAVY_SHARE;
  const fresh = fs.mkdtempSync(path.join(tmp, `case${k}-`));
  const roll = rnd();
  if (roll < 0.36) {
    const max = choose(COUNTS), temp = choose(TEMPERATURES), topk = choose(COUNTS), seed = choose(SEEDS), engine = choose(ENGINES, 0.1), prompt = choose(PROMPTS, 0.1);
    const model = heavy ? choose(MODELS, 0.5) : { v: EMBEDDED_MODEL, ok: true };
    const parts: [string, Value][] = [['--max-tokens', max], ['--temperature', temp], ['--top-k', topk], ['--seed', seed], ['--engine', engine], ['--prompt', prompt], ['--model', model]];
    const used = parts.filter(([n]) => n === '--prompt' || rnd() < 0.8);
    const argv = ['generate', '--json', ...used.flatMap(([n, x]) => [n, x.v])];
    const valid = used.every(([, x]) => x.ok);
    const get = (n: string, d: string) => used.find(([m]) => m === n)?.[1].v ?? d;
    return {
      category: 'generate options',
      argv,
      which: 'mmf',
      valid,
      names: [...used.filter(([, x]) => !x.ok).map(([n]) => (n === '--model' ? '' : n)), ...used.filter(([n, x]) => n === '--model' && !x.ok).map(([, x]) => x.v || '--model')].map((n) => n || '--model'),
      check: (o) => {
        const j = JSON.parse(o.stdout) as { tokens: number[] };
        const n = Number(get('--max-tokens', '64'));
        const want = expectedTokens(get('--engine', 'float') as 'float' | 'fixed', get('--prompt', ''), n, Number(get('--temperature', '0')), Number(get('--top-k', '0')), Number(get('--seed', '1')));
        return JSON.stringify(j.tokens) === JSON.stringify(want) ? null : `tokens ${JSON.stringify(j.tokens)}, expected ${JSON.stringify(want)}`;
      },
    };
  }
  if (roll < 0.54) {
    const out = choose(outputFiles(fresh), heavy ? 0.3 : 1);
    const packing = choose(PACKINGS, 0.15);
    const before = fs.readdirSync(fresh).length;
    const existed = fs.existsSync(out.v) && out.v !== '' ? fs.statSync(out.v).mtimeMs : undefined;
    return {
      category: 'convert -o and --packing',
      argv: ['convert', '--model', EMBEDDED_MODEL, '-o', out.v, '--packing', packing.v],
      which: 'mmf',
      valid: out.ok && packing.ok,
      names: [...(out.ok ? [] : [out.v === '' ? '-o' : out.v]), ...(packing.ok ? [] : ['--packing'])],
      check: () => (fs.readFileSync(out.v).equals(packed[packing.v]!) ? null : `${out.v} differs from the packed model`),
      after: (o) => {
        if (o.code === 0) return null;
        const now = fs.readdirSync(fresh).length;
        if (now !== before) return `a refused convert left ${now - before} files in ${fresh}`;
        if (out.v.startsWith(tmp) && fs.existsSync(out.v) && fs.statSync(out.v).isFile() && fs.statSync(out.v).mtimeMs !== existed) return `a refused convert wrote ${out.v}`;
        return null;
      },
    };
  }
  if (roll < 0.68) {
    const out = choose(outputDirs(fresh), heavy ? 0.3 : 1);
    const lanes = choose(LANES, heavy ? 0.3 : 0.6), target = choose(TARGETS, 0.2);
    const useLanes = rnd() < 0.6;
    const valid = out.ok && target.ok && (!useLanes || lanes.ok) && !(target.v === 'up5k' && useLanes && lanes.v !== '32' && lanes.v !== '8' && lanes.v !== '16');
    return {
      category: 'gen-rtl -o, --target, --lanes',
      argv: ['-o', out.v, '--target', target.v, ...(useLanes ? ['--lanes', lanes.v] : [])],
      which: 'gen-rtl',
      valid,
      names: [...(out.ok ? [] : [out.v === '' ? '-o' : out.v]), ...(target.ok ? [] : ['--target']), ...(useLanes && !lanes.ok ? ['--lanes'] : [])],
      check: (o) => {
        const m = /^wrote (.+)\/: (\d+) files/.exec(o.stdout);
        if (!m) return `no "wrote" line: ${o.stdout.slice(0, 100)}`;
        const dir = path.resolve(m[1]!);
        const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { hardware: { target: string; lanes: number } };
        if (manifest.hardware.target !== target.v) return `manifest target ${manifest.hardware.target}`;
        if (useLanes && manifest.hardware.lanes !== Number(lanes.v)) return `manifest lanes ${manifest.hardware.lanes}`;
        return null;
      },
      after: (o) => (o.code !== 0 && out.v.startsWith(fresh) && fs.existsSync(out.v) && fs.readdirSync(fresh).length > 0 ? `a refused gen-rtl made ${out.v}` : null),
    };
  }
  if (roll < 0.8) {
    const textV = choose(TEXTS, heavy ? 0.3 : 1), windows = choose(POSITIVE, heavy ? 0.2 : 0.5), threads = choose(POSITIVE, heavy ? 0.2 : 0.5), engine = choose(ENGINES, 0.15);
    const valid = textV.ok && windows.ok && threads.ok && engine.ok;
    return {
      category: 'eval --text, --windows, --threads',
      argv: ['eval', '--json', '--text', textV.v, '--windows', windows.v, '--threads', threads.v, '--engine', engine.v],
      which: 'mmf',
      valid,
      names: [...(textV.ok ? [] : ['--text']), ...(windows.ok ? [] : ['--windows']), ...(threads.ok ? [] : ['--threads']), ...(engine.ok ? [] : ['--engine'])],
      check: (o) => {
        const j = JSON.parse(o.stdout) as { valLoss: number; predictions: number };
        return Number.isFinite(j.valLoss) && j.valLoss > 0 && j.predictions === Number(windows.v) * 256 ? null : `eval gave ${o.stdout.slice(0, 120)}`;
      },
    };
  }
  if (roll < 0.9) {
    const out = choose(outputDirs(fresh), 0.3), shape = choose(SHAPES, 0.3), seed = choose(SEEDS, 0.2);
    return {
      category: 'random -o, --shape, --seed',
      argv: ['random', '-o', out.v, '--shape', shape.v, '--seed', seed.v],
      which: 'mmf',
      valid: out.ok && shape.ok && seed.ok,
      names: [...(out.ok ? [] : [out.v === '' ? '-o' : out.v]), ...(shape.ok ? [] : ['shape']), ...(seed.ok ? [] : ['--seed'])],
      check: () => {
        const m = openModel(out.v);
        const [d, l, i, v] = shape.v.split(':').map(Number);
        const c = m.weights.config;
        return c.hiddenSize === d && c.numLayers === l && c.intermediateSize === i && c.vocabSize === v ? null : `wrote a ${JSON.stringify(c)} checkpoint for --shape ${shape.v}`;
      },
      after: (o) => (o.code !== 0 && fs.readdirSync(fresh).length > 0 ? `a refused random left ${fs.readdirSync(fresh).join(', ')} in ${fresh}` : null),
    };
  }
  // sim: only what is refused before Verilator runs (a valid sim is the mmf and accel-sim tests' job).
  const tokens = choose(POSITIVE, 0.6), lanes = choose(LANES, 0.5), target = choose(TARGETS, 0.4), trace = choose(outputFiles(fresh).map((x) => ({ ...x, v: x.v.replace(/\.mmf$/, '.fst') })), 0.7);
  const forceBad = [!tokens.ok, !lanes.ok || (target.v === 'up5k' && !['8', '16', '32'].includes(lanes.v)), !target.ok, !trace.ok];
  if (!forceBad.some(Boolean)) return makeCase(rnd, k); // a valid sim would run Verilator: draw again
  return {
    category: 'sim options (refused before Verilator)',
    argv: ['sim', '--json', '--tokens', tokens.v, '--lanes', lanes.v, '--target', target.v, '--trace', trace.v],
    which: 'mmf',
    valid: false,
    names: ['--tokens', '--lanes', '--target', '--trace', trace.v],
    check: () => 'unreachable',
  };
}

describe('CLI fuzz', () => {
  const table = new Map<string, Record<Verdict | 'cases', number>>();
  const failures: string[] = [];
  afterAll(() => {
    const rows = [...table].map(([c, r]) => `${c.padEnd(40)} ${String(r.cases).padStart(6)} ${String(r['clean error']).padStart(7)} ${String(r['correct result']).padStart(8)} ${String(r.crash).padStart(6)} ${String(r.hang).padStart(5)} ${String(r['silent wrong'] + r['wrong refusal']).padStart(7)}`);
    process.stdout.write(`\nCLI fuzz, seed ${SEED}, ${CASES} cases\n${'category'.padEnd(40)}  cases   clean  correct  crash  hang  silent\n${rows.join('\n')}\n`);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it(`${CASES} seeded cases: a correct result or one clean line, never a crash, hang or silent wrong result`, { timeout: 3_600_000 }, async () => {
    const rnd = seededRandom(SEED);
    const cwd = process.cwd();
    process.chdir(tmp); // gen-rtl and relative paths write here, not into the repository
    try {
      for (let k = 0; k < CASES; k++) {
        const c = makeCase(rnd, k);
        const o = await run(c.argv, c.which);
        const { v, why } = verdict(c, o);
        const row = table.get(c.category) ?? { cases: 0, 'clean error': 0, 'correct result': 0, crash: 0, hang: 0, 'silent wrong': 0, 'wrong refusal': 0 };
        row.cases++;
        row[v]++;
        table.set(c.category, row);
        if (v !== 'clean error' && v !== 'correct result') failures.push(`#${k} ${v}: ${c.which} ${JSON.stringify(c.argv)} -> ${why.split('\n').slice(0, 3).join(' | ')}`);
      }
    } finally {
      process.chdir(cwd);
    }
    expect(failures).toEqual([]);
  });
});
