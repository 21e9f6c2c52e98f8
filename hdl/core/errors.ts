// Errors carry the TypeScript location of the statement that caused them. Elaboration collects every
// error of a design before failing, so one run shows all problems (SpinalHDL's PendingError idea).
import { type SourceLoc, formatLoc } from './source.ts';

export class HdlError extends Error {
  constructor(
    readonly detail: string,
    readonly loc: SourceLoc,
  ) {
    super(`${formatLoc(loc)}: ${detail}`);
    this.name = 'HdlError';
  }
}

/** Thrown at the end of elaboration when any error was found; `errors` lists all of them. */
export class ElaborationError extends Error {
  constructor(readonly errors: HdlError[]) {
    super(`${errors.length} HDL error${errors.length === 1 ? '' : 's'}:\n` + errors.map((e) => `  ${e.message}`).join('\n'));
    this.name = 'ElaborationError';
  }
}

/** Where errors found while a module is being built go; without one they are thrown at once. */
export interface ErrorSink {
  report(err: HdlError): void;
}

const sinks: ErrorSink[] = [];

export function withErrorSink<T>(sink: ErrorSink, fn: () => T): T {
  sinks.push(sink);
  try {
    return fn();
  } finally {
    sinks.pop();
  }
}

export function reportError(detail: string, loc: SourceLoc): void {
  const err = new HdlError(detail, loc);
  const sink = sinks[sinks.length - 1];
  if (!sink) throw err;
  sink.report(err);
}
