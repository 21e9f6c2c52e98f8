// mmf generate: stream text from a prompt.
import type { Command } from 'commander';
import { engineKind, makeEngine, openModel } from '../../model/open.ts';
import { makeSampler } from '../../model/run/sample.ts';
import { outputDecoder, promptTokens, PROMPT_IDS_HELP } from './prompt.ts';
import { intOption, numberOption } from '../options.ts';

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('generate text from a prompt; text on stdout, speed on stderr')
    .option('--model <dir|file>', 'checkpoint directory or packed model (default: the embedded tiny model)')
    .option('--prompt <text>', 'the prompt (or --prompt-ids)')
    .option('--prompt-ids <ids>', PROMPT_IDS_HELP)
    .option('--max-tokens <n>', 'tokens to generate', '64')
    .option('--engine <float|fixed>', 'float: upstream semantics; fixed: the accelerator arithmetic', 'float')
    .option('--temperature <t>', 'sampling temperature; 0 is greedy', '0')
    .option('--top-k <k>', 'sample from the k most likely tokens (0: all)', '0')
    .option('--seed <s>', 'random seed for sampling', '1')
    .option('--json', 'print one JSON object (text, tokens: the generated ones only, tokensPerSecond) instead of streaming the text')
    .action((o: { model?: string; prompt?: string; promptIds?: string; maxTokens: string; engine: string; temperature: string; topK: string; seed: string; json?: boolean }) => {
      // Every option is checked before the model is opened: a bad value costs nothing and runs nothing.
      const max = intOption(o.maxTokens, '--max-tokens');
      const sampling = { temperature: numberOption(o.temperature, '--temperature', { min: 0 }), topK: intOption(o.topK, '--top-k'), seed: intOption(o.seed, '--seed', { max: 2 ** 32 - 1 }) };
      const kind = engineKind(o.engine);
      const m = openModel(o.model);
      const ids = promptTokens(o, m.tokenizer, m.weights.config.vocabSize); // before the engine: a bad id costs nothing
      const engine = makeEngine(kind, m.weights);
      const sample = makeSampler(sampling);
      const state = engine.newState();
      let logits: Float32Array | undefined;
      for (const id of ids) logits = engine.step(state, id);
      const decoder = outputDecoder(o, m.tokenizer, m.weights.config.vocabSize);
      const tokens: number[] = [];
      const t0 = performance.now();
      for (let n = 0; n < max; n++) {
        const next = sample(logits!);
        tokens.push(next);
        if (!o.json) process.stdout.write(decoder.push(next));
        logits = engine.step(state, next);
      }
      const s = (performance.now() - t0) / 1000;
      if (o.json) {
        const summary = { model: m.label, engine: engine.kind, prompt: o.prompt, promptTokens: ids, tokens, text: m.tokenizer.decode(tokens), tokensPerSecond: max / s };
        process.stdout.write(JSON.stringify(summary) + '\n');
        return;
      }
      process.stdout.write(decoder.flush() + '\n');
      process.stderr.write(`${max} tokens in ${s.toFixed(2)} s: ${(max / s).toFixed(1)} tokens/s (${engine.kind} engine)\n`);
    });
}

/** A decimal integer option, at least 1 (0 too with allowZero): cli/options.ts's strict parse. */
export function positiveInt(v: string, what: string, allowZero = false): number {
  return intOption(v, what, { min: allowZero ? 0 : 1 });
}
