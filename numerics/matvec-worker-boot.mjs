// Worker entry: load tsx's loader in this thread, then the TypeScript worker (as model/run's
// validation-worker-boot.mjs does, for the same reason: loaders are not inherited alike under every runner).
import { register } from 'tsx/esm/api';

register();
await import('./matvec-worker.ts');
