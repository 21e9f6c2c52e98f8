// `verilator --lint-only -Wall`: the lint gate every generated file must pass with zero warnings.
import { spawnSync } from 'node:child_process';

export interface LintResult {
  ok: boolean;
  /** The warning and error lines (first line of each message). */
  messages: string[];
  output: string;
}

export function lintVerilator(sources: string[], top: string, extraFlags: string[] = []): LintResult {
  const r = spawnSync('verilator', ['--lint-only', '-Wall', '--top-module', top, ...extraFlags, ...sources], { encoding: 'utf8' });
  if (r.error) throw new Error(`verilator could not be run (${r.error.message}); install it with apt-get install verilator`);
  const output = `${r.stdout}${r.stderr}`;
  const messages = output.split('\n').filter((l) => /^%(Warning|Error)/.test(l) && !/^%Error: Exiting due to/.test(l));
  return { ok: r.status === 0 && messages.length === 0, messages, output };
}
