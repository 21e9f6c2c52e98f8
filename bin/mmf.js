#!/usr/bin/env node
// `npx mmf`: the CLI is TypeScript, run through tsx's loader (a dependency), so there is no build step.
import { register } from 'tsx/esm/api';

register();
await import('../cli/mmf.ts');
