// Test support for the HDL's error reporting: where a test file's statements are (by marker comments),
// and what elaboration reports, as plain data to compare.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Module } from '../hdl/core/module.ts';
import { ElaborationError } from '../hdl/core/errors.ts';
import type { SourceLoc } from '../hdl/core/source.ts';
import { elaborate } from '../hdl/ir/elaborate.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Lines of a test file found by marker: a statement that should be blamed ends in `//@tag`, and
 * `lineOf('tag')` finds it, so editing the file never breaks the expected locations.
 */
export function sourceMarkers(testFileUrl: string) {
  const abs = fileURLToPath(testFileUrl);
  const file = path.relative(repoRoot, abs).split(path.sep).join('/');
  const src = fs.readFileSync(abs, 'utf8').split('\n');
  const lineOf = (tag: string): number => {
    const marker = '//' + '@' + tag;
    const hits = src.flatMap((l, i) => (l.trimEnd().endsWith(marker) ? [i + 1] : []));
    if (hits.length !== 1) throw new Error(`marker ${marker} occurs ${hits.length} times`);
    return hits[0]!;
  };
  return {
    file,
    lineOf,
    at: (tag: string): SourceLoc => ({ file, line: lineOf(tag) }),
    /** `file:line` of a marker, as messages print it. */
    where: (tag: string): string => `${file}:${lineOf(tag)}`,
  };
}

/** An error as the tests compare it: the text and where it points. */
export interface Reported {
  detail: string;
  loc: SourceLoc;
}

/** Every error elaboration reports for `top` (empty when it elaborates cleanly). */
export function elabErrors(top: Module): Reported[] {
  try {
    elaborate(top);
  } catch (e) {
    if (!(e instanceof ElaborationError)) throw e;
    return e.errors.map((x) => ({ detail: x.detail, loc: x.loc }));
  }
  return [];
}
