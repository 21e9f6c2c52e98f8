// mmf convert: a checkpoint to the packed model format (docs/packed-format.md).
import fs from 'node:fs';
import type { Command } from 'commander';
import { openModel } from '../../model/open.ts';
import { writePacked } from '../../model/packed/index.ts';
import { outputFile } from '../options.ts';
import { fsReason } from '../../util/fs-paths.ts';

export function registerConvert(program: Command): void {
  program
    .command('convert')
    .description('write the packed model file (ternary codes, scales, vectors, config, checksum)')
    .requiredOption('--model <dir>', 'checkpoint directory')
    .requiredOption('-o, --output <file>', 'packed model file to write')
    .option('--packing <2bit|5trit>', 'ternary code packing', '2bit')
    .action((o: { model: string; output: string; packing: string }) => {
      if (o.packing !== '2bit' && o.packing !== '5trit') throw new Error(`--packing must be 2bit or 5trit, got '${o.packing}'`);
      outputFile(o.output, '-o'); // tried before the model is read: a refused path costs nothing
      const m = openModel(o.model);
      let bytes: number;
      try {
        ({ bytes } = writePacked(m.weights, o.output, { packing: o.packing }));
      } catch (e) {
        // writePacked removes its temporary file: a failed write leaves nothing behind.
        if ((e as NodeJS.ErrnoException).code) throw new Error(`-o ${o.output}: cannot write (${fsReason(e)})`);
        throw e;
      }
      const source = fs.readdirSync(m.dir).filter((f) => f.endsWith('.safetensors') && !f.startsWith('reference')).reduce((s, f) => s + fs.statSync(`${m.dir}/${f}`).size, 0);
      console.log(`wrote ${o.output}: ${bytes} bytes (${o.packing}); the checkpoint's safetensors: ${source} bytes (${((100 * bytes) / source).toFixed(1)}%)`);
    });
}
