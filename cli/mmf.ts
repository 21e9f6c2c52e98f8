// mmf: the command line of the golden model (generate, eval, parity, convert), the accelerator's co-simulation (sim)
// and the board host (host). Errors print as one
// line; MMF_DEBUG=1 shows the stack.
import { Command } from 'commander';
import { registerGenerate } from './mmf/generate.ts';
import { registerEval } from './mmf/eval.ts';
import { registerParity } from './mmf/parity.ts';
import { registerConvert } from './mmf/convert.ts';
import { registerSim } from './mmf/sim.ts';
import { registerHost } from './mmf/host.ts';

const program = new Command('mmf').description('MatMul-free language models: CPU engines, parity checks and conversion').showHelpAfterError();
registerGenerate(program);
registerEval(program);
registerParity(program);
registerConvert(program);
registerSim(program);
registerHost(program);

try {
  await program.parseAsync();
} catch (e) {
  if (process.env.MMF_DEBUG) throw e;
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`mmf: ${msg.split('\n')[0]}\n`);
  process.exit(1);
}
