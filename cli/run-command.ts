// How every command line ends: its result, or ONE line on stderr ("mmf: --seed must be ...") and a
// non-zero exit, never a stack trace; commander's own errors (an unknown option, a missing value) too,
// and errors that escape the action (an event handler's, a promise nobody awaited). MMF_DEBUG=1 shows
// the stack.
import { Command, CommanderError } from 'commander';

/** The first line of an error's message, or its kind when it has none. */
export function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const first = msg.split('\n').find((l) => l.trim() !== '')?.trim();
  return first ?? (e instanceof Error ? e.name : 'failed');
}

function quietCommander(cmd: Command): void {
  cmd.exitOverride().configureOutput({ outputError: () => {} });
  for (const sub of cmd.commands) quietCommander(sub);
}

/**
 * Parses `argv` (user arguments, no node and script) and runs the action. Returns the exit code: 0, or
 * the code of the failure after its one line went to stderr. An action may set process.exitCode itself
 * (sim: 2 on a mismatch); that stands.
 */
export async function runCommand(program: Command, name: string, argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  quietCommander(program);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return 0; // --help, --version
      if (e.code === 'commander.help' || e.code === 'commander.helpDisplayed' || e.code === 'commander.executeSubCommandAsync') return e.exitCode;
      process.stderr.write(`${name}: ${oneLine(e).replace(/^error: /, '')}\n`);
      return e.exitCode || 1;
    }
    if (process.env.MMF_DEBUG) throw e;
    process.stderr.write(`${name}: ${oneLine(e)}\n`);
    return 1;
  }
}

/** For a command's main module: what escapes the action ends the process with one line too. */
export function exitOnUncaught(name: string): void {
  const die = (e: unknown) => {
    if (process.env.MMF_DEBUG) process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.stderr.write(`${name}: ${oneLine(e)}\n`);
    process.exit(1);
  };
  process.on('uncaughtException', die);
  process.on('unhandledRejection', die);
}

/** Runs a command as the process's main: the exit code as runCommand gives it. */
export async function main(program: Command, name: string): Promise<void> {
  exitOnUncaught(name);
  const code = await runCommand(program, name);
  if (code !== 0) process.exit(code);
}
