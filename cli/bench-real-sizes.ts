// npm run bench, the released shapes: tokens/s and peak RSS of the float and fixed engines on random
// checkpoints of the 370M and 1.3B shapes (mmf random's, seed 1, bf16), made once into
// .cache/bench-models/ and reused. Each engine runs in a process of its own (cli/bench-engine.ts) so
// its peak RSS is its own; the budget it is held to is the 2-bit weight size + 1 GB (issue 12).
// MMF_BENCH_SHAPES picks the shapes (default 370m,1.3b; also 2.7b or D:L:I:V), MMF_THREADS the threads.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseShape, writeRandomCheckpoint } from '../model/checkpoint/random.ts';
import { ternaryWeightCount } from '../model/open.ts';
import type { EngineBench } from './bench-engine.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BENCH_MODELS = path.join(repoRoot, '.cache', 'bench-models');
const SEED = 1;
/** Decimal, as the issue states the sizes (85 MB, 325 MB): the budget is the 2-bit bytes + 10^9. */
const MB = 1e6;

/** The cached random checkpoint of a shape, written first when missing. */
export async function benchCheckpoint(shapeName: string): Promise<string> {
  const dir = path.join(BENCH_MODELS, `${shapeName.replace(/:/g, 'x')}-seed${SEED}`);
  if (existsSync(path.join(dir, 'config.json')) && existsSync(path.join(dir, 'model.safetensors'))) return dir;
  const t0 = performance.now();
  const r = await writeRandomCheckpoint(parseShape(shapeName), SEED, dir);
  console.log(`bench model ${shapeName}: wrote ${(r.bytes / 1e9).toFixed(2)} GB to ${path.relative(process.cwd(), dir)} in ${((performance.now() - t0) / 1000).toFixed(0)} s (kept for the next run)`);
  return dir;
}

/** One engine on one model, in a child process. */
function runEngine(dir: string, engine: 'float' | 'fixed', tokens: number): EngineBench {
  const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'cli', 'bench-engine.ts'), '--model', dir, '--engine', engine, '--tokens', String(tokens)], {
    cwd: repoRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop()!) as EngineBench;
}

export async function benchRealSizes(): Promise<void> {
  const shapes = (process.env['MMF_BENCH_SHAPES'] ?? '370m,1.3b').split(',').filter((s) => s !== '');
  for (const name of shapes) {
    const shape = parseShape(name);
    const dir = await benchCheckpoint(name);
    const packedMB = ternaryWeightCount(shape) / 4 / MB;
    const budgetMB = packedMB + 1000;
    const tokens = ternaryWeightCount(shape) > 5e8 ? 8 : 16;
    for (const engine of ['float', 'fixed'] as const) {
      const r = runEngine(dir, engine, tokens);
      const rssMB = r.peakRssBytes / MB;
      console.log(
        `model ${name} (random, seed ${SEED}): ${engine} engine ${r.tokensPerSecond.toFixed(2)} tokens/s on ${r.threads} thread${r.threads === 1 ? '' : 's'} (${r.tokens} tokens), ` +
          `peak RSS ${rssMB.toFixed(0)} MB of a ${budgetMB.toFixed(0)} MB budget (2-bit weights ${packedMB.toFixed(0)} MB + 1 GB)${rssMB > budgetMB ? ' OVER BUDGET' : ''}, loaded in ${r.loadSeconds.toFixed(1)} s`,
      );
    }
  }
}
