// The mmf program: every subcommand registered on a fresh Command, so tests can run it in-process
// (runMmf) as cli/mmf.ts runs it for a user.
import { Command } from 'commander';
import { registerGenerate } from './generate.ts';
import { registerEval } from './eval.ts';
import { registerParity } from './parity.ts';
import { registerConvert } from './convert.ts';
import { registerSim } from './sim.ts';
import { registerHost } from './host.ts';
import { registerRandom } from './random.ts';
import { runCommand } from '../run-command.ts';

export function mmfProgram(): Command {
  const program = new Command('mmf').description('MatMul-free language models: CPU engines, parity checks and conversion');
  registerGenerate(program);
  registerEval(program);
  registerParity(program);
  registerConvert(program);
  registerSim(program);
  registerHost(program);
  registerRandom(program);
  return program;
}

/** `mmf ...argv`: 0, or the exit code after one line on stderr. */
export function runMmf(argv: readonly string[]): Promise<number> {
  return runCommand(mmfProgram(), 'mmf', argv);
}
