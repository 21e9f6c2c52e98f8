// Worker entry: load tsx's loader in this thread, then the TypeScript worker. (execArgv loaders are not
// inherited the same way under every runner, vitest included.)
import { register } from 'tsx/esm/api';

register();
await import('./validation-worker.ts');
