// The default run (make test) leaves out the long checks (*.long.test.ts: real-size co-simulations),
// which make test-long runs with MMF_LONG_TESTS=1; nothing is skipped silently: each target names what it runs.
import os from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Place and route first (*-build.long.test.ts): the ECPIX-5's takes half an hour on one core, about as
 * long as the rest of the long checks together on the other (35 minutes), so it must not start last.
 * The rest keep vitest's order (slowest last time first; on a clean clone, largest file first).
 */
class PlaceAndRouteFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => (/-build\.long\.test\.ts$/.test(f.moduleId) ? 0 : 1);
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    exclude: [...configDefaults.exclude, ...(process.env.MMF_LONG_TESTS ? [] : ['**/*.long.test.ts'])],
    // One test file a core. vitest's default (cores - 1) runs them one at a time on CI's 2 cores, though
    // most of a file's time goes to one single-threaded child (a Verilator model, nextpnr) or to waiting on
    // one: the long checks took the sum of their times (over an hour), not half of it.
    maxWorkers: Math.max(2, os.availableParallelism()),
    sequence: { sequencer: PlaceAndRouteFirst },
    // Two files at once load the machine: a test that spawns the CLI (tsx compiling it first) took 8.8 s
    // on 2 loaded cores against vitest's default limit of 5. Tests check results, not time.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
