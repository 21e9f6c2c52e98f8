// mmf: the command line of the golden model (generate, eval, parity, convert), the accelerator's co-simulation (sim)
// and the board host (host). Errors print as one line (cli/run-command.ts); MMF_DEBUG=1 shows the stack.
import { mmfProgram } from './mmf/program.ts';
import { main } from './run-command.ts';

await main(mmfProgram(), 'mmf');
