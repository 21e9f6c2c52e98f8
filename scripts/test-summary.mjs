// Prints vitest's totals as one plain line ("Tests: N passed, N failed, N skipped") so CI can read
// the outcome without parsing vitest's own formatting.
import fs from 'node:fs';
const file = process.argv[2];
const r = JSON.parse(fs.readFileSync(file, 'utf8'));
console.log(`Tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + (r.numTodoTests ?? 0)} skipped`);
process.exit(r.success ? 0 : 1);
