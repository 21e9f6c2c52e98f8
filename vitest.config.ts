// The default run (make test) leaves out the long checks (*.long.test.ts: real-size co-simulations),
// which make test-long runs with MMF_LONG_TESTS=1; nothing is skipped silently: each target names what it runs.
import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    exclude: [...configDefaults.exclude, ...(process.env.MMF_LONG_TESTS ? [] : ['**/*.long.test.ts'])],
  },
});
