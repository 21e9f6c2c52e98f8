// mmf random: a random-weight checkpoint in the upstream layout, of a released shape or any other,
// reproducible from the seed (model/checkpoint/random.ts). Ctrl-C stops it and leaves nothing behind.
import type { Command } from 'commander';
import { parseShape, writeRandomCheckpoint, type RandomTokenizer } from '../../model/checkpoint/random.ts';
import { FFF_DEPTH_MAX } from '../../model/checkpoint/config.ts';
import { fffNodeCount } from '../../model/config.ts';
import { progress } from './progress.ts';
import { intOption, outputDir } from '../options.ts';

interface RandomOptions {
  shape: string;
  seed: string;
  output: string;
  tokenizer?: string;
  fffDepth?: string;
}

export function registerRandom(program: Command): void {
  program
    .command('random')
    .description('write a random-weight checkpoint (config.json, bf16 model.safetensors) in the upstream hgrn_bit layout')
    .requiredOption('--shape <370m|1.3b|2.7b|D:L:I:V>', 'a released shape, or hidden:layers:intermediate:vocab')
    .option('--seed <n>', 'random seed (0..4294967295): the same shape and seed give the same bytes', '1')
    .requiredOption('-o, --output <dir>', 'the folder to write (created; refused when it already holds a checkpoint)')
    .option('--fff-depth <D>', `a Fast FeedForward tree of depth D (0..${FFF_DEPTH_MAX}) in place of the GLU: its 2^(D+1) - 1 nodes replace I`)
    .option('--tokenizer <byte|none>', 'byte: prompts are UTF-8 bytes (writes tokenizer.json beyond 256 ids); none: prompts are token ids (--prompt-ids). Default: byte for vocab 256, else none')
    .action(async (o: RandomOptions) => {
      let shape = parseShape(o.shape);
      if (o.fffDepth !== undefined) {
        const depth = intOption(o.fffDepth, '--fff-depth', { max: FFF_DEPTH_MAX });
        shape = { ...shape, channelMixer: 'fff', fffDepth: depth, intermediateSize: fffNodeCount(depth) };
      }
      const seed = intOption(o.seed, '--seed', { max: 2 ** 32 - 1 }); // the help's range, not the 2^31 default
      // An empty -o would write into the working folder, /proc/... would spin in Node's recursive mkdir.
      outputDir(o.output, '-o', { create: false });
      if (o.tokenizer !== undefined && o.tokenizer !== 'byte' && o.tokenizer !== 'none') throw new Error(`--tokenizer must be byte or none, got '${o.tokenizer}'`);
      const abort = new AbortController();
      const onSignal = () => abort.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      let bar: ReturnType<typeof progress> | undefined;
      const t0 = performance.now();
      try {
        const r = await writeRandomCheckpoint(shape, seed, o.output, {
          ...(o.tokenizer ? { tokenizer: o.tokenizer as RandomTokenizer } : {}),
          signal: abort.signal,
          onProgress: (written, total) => {
            bar ??= progress('writing model.safetensors (MB)', Math.ceil(total / 1e6));
            bar.update(Math.floor(written / 1e6));
          },
        });
        bar?.stop();
        const s = (performance.now() - t0) / 1000;
        process.stdout.write(
          `wrote ${r.dir}: d ${shape.hiddenSize}, ${shape.numLayers} layers, ${shape.channelMixer === 'fff' ? `FFF depth ${shape.fffDepth} (${shape.intermediateSize} nodes)` : `I ${shape.intermediateSize}`}, vocab ${shape.vocabSize}, seed ${seed}; ` +
            `${r.parameterCount} parameters, ${r.bytes} bytes of bf16 in ${s.toFixed(1)} s\n`,
        );
      } finally {
        bar?.stop();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
