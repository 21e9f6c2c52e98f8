// Source locations: every IR object remembers the line of the user's TypeScript that created it, so
// errors and the emitted Verilog (`// src: file.ts:line`) point back at the generator, not at the HDL.
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export interface SourceLoc {
  file: string; // relative to the repository root, forward slashes
  line: number;
}

const hdlInternals = path.dirname(fileURLToPath(import.meta.url)); // hdl/core
const hdlRoot = path.dirname(hdlInternals);
const repoRoot = path.dirname(hdlRoot);
// Files directly inside these folders are the HDL's own machinery; the first frame outside them is the
// user's. Tests and subfolders (golden designs, fixtures) count as users.
const internalDirs = ['core', 'ir', 'verilog'].map((d) => path.join(hdlRoot, d));

function isInternal(file: string): boolean {
  return internalDirs.includes(path.dirname(file)) && !file.endsWith('.test.ts');
}

function frameFile(frame: string): { file: string; line: number } | undefined {
  const m = /\(?((?:file:\/\/)?[^\s()]+?):(\d+):\d+\)?\s*$/.exec(frame);
  if (!m) return undefined;
  let file = m[1]!;
  if (file.startsWith('file://')) file = fileURLToPath(file);
  return { file, line: Number(m[2]) };
}

/** Call sites of the outermost hdlHelper calls in progress (see hdlHelper). */
const helperSites: SourceLoc[] = [];

/**
 * Mark a function of the user's as an HDL helper (a pipeline-stage or register maker, say): what it
 * builds is attributed to the line that called it, not to the helper's own body.
 */
export function hdlHelper<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  return (...args: A): R => {
    helperSites.push(callerLocation());
    try {
      return fn(...args);
    } finally {
      helperSites.pop();
    }
  };
}

/** The first stack frame outside the HDL core: where the user wrote the statement. */
export function callerLocation(): SourceLoc {
  // Inside a helper, the outermost helper call is the user's statement.
  if (helperSites.length > 0) return helperSites[0]!;
  // Builders nest (generator -> if -> collect -> body -> ...): keep enough frames to reach the user.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 64;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  for (const frame of stack.split('\n').slice(1)) {
    const f = frameFile(frame);
    if (!f || f.file.startsWith('node:') || f.file.includes(`${path.sep}node_modules${path.sep}`)) continue;
    if (isInternal(f.file)) continue;
    const rel = path.relative(repoRoot, f.file).split(path.sep).join('/');
    return { file: rel, line: f.line };
  }
  return { file: '<unknown>', line: 0 };
}

export function formatLoc(loc: SourceLoc): string {
  return `${loc.file}:${loc.line}`;
}
