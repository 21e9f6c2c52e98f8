// mmf eval: the validation loss as the fixtures define it.
import type { Command } from 'commander';
import { DEFAULT_TEXT, engineKind, openModel } from '../../model/open.ts';
import os from 'node:os';
import { validationWindows, VAL } from '../../model/run/validation.ts';
import { validationLossParallel } from '../../model/run/validation-pool.ts';
import { progress } from './progress.ts';
import { positiveInt } from './generate.ts';
import { readInputFile } from '../options.ts';

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description(`validation loss: the last 10% of --text, ${VAL.windows} windows of ${VAL.length} bytes, fresh state each`)
    .option('--model <dir|file>', 'checkpoint directory or packed model (default: the embedded tiny model)')
    .option('--text <file>', 'the text file (byte-level models: its bytes are the tokens)', DEFAULT_TEXT)
    .option('--engine <float|fixed>', 'engine', 'float')
    .option('--windows <n>', 'number of windows (fewer for a quick estimate)', String(VAL.windows))
    .option('--threads <n>', 'worker threads (the result does not depend on it)', String(os.availableParallelism()))
    .option('--json', 'print one JSON object')
    .action(async (o: { model?: string; text: string; engine: string; windows: string; threads: string; json?: boolean }) => {
      const kind = engineKind(o.engine);
      const windows = positiveInt(o.windows, '--windows');
      const threads = positiveInt(o.threads, '--threads');
      const text = readInputFile(o.text, '--text'); // a directory, a FIFO or a device is refused, naming it
      const m = openModel(o.model); // validates the model and names it before the workers start
      const count = validationWindows(text, m.tokenizer, windows).length;
      const bar = progress(`eval (${kind})`, count);
      const r = await validationLossParallel({ model: o.model, engine: kind, textPath: o.text, windows: count }, Math.min(threads, count), (d) => bar.update(d));
      bar.stop();
      const result = { valLoss: r.loss, engine: kind, model: m.label, predictions: r.predictions, seconds: r.seconds, tokensPerSecond: r.predictions / r.seconds, threads: r.threads };
      if (o.json) console.log(JSON.stringify(result));
      else console.log(`validation loss ${r.loss.toFixed(6)} nats/token over ${r.predictions} predictions (${kind} engine, ${result.tokensPerSecond.toFixed(0)} tokens/s on ${r.threads} threads)`);
    });
}
