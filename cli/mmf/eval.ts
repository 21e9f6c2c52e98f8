// mmf eval: the validation loss as the fixtures define it.
import fs from 'node:fs';
import type { Command } from 'commander';
import { engineKind, makeEngine, openModel } from './open-model.ts';
import { validationLoss, validationWindows, VAL } from '../../model/run/validation.ts';
import { progress } from './progress.ts';
import { positiveInt } from './generate.ts';

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description(`validation loss: the last 10% of --text, ${VAL.windows} windows of ${VAL.length} bytes, fresh state each`)
    .option('--model <dir|file>', 'checkpoint directory or packed model (default: the embedded tiny model)')
    .requiredOption('--text <file>', 'the text file (byte-level models: its bytes are the tokens)')
    .option('--engine <float|fixed>', 'engine', 'float')
    .option('--windows <n>', 'number of windows (fewer for a quick estimate)', String(VAL.windows))
    .option('--json', 'print one JSON object')
    .action((o: { model?: string; text: string; engine: string; windows: string; json?: boolean }) => {
      const m = openModel(o.model);
      const engine = makeEngine(engineKind(o.engine), m.weights);
      if (!fs.existsSync(o.text)) throw new Error(`${o.text}: no such file`);
      const windows = validationWindows(fs.readFileSync(o.text), positiveInt(o.windows, '--windows'));
      const bar = progress(`eval (${engine.kind})`, windows.length);
      const r = validationLoss(engine, windows, (d) => bar.update(d));
      bar.stop();
      const result = { valLoss: r.loss, engine: engine.kind, model: m.label, predictions: r.predictions, seconds: r.seconds, tokensPerSecond: r.predictions / r.seconds };
      if (o.json) console.log(JSON.stringify(result));
      else console.log(`validation loss ${r.loss.toFixed(6)} nats/token over ${r.predictions} predictions (${engine.kind} engine, ${result.tokensPerSecond.toFixed(0)} tokens/s)`);
    });
}
