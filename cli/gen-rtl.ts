// npm run gen-rtl: elaborate the designs and write their Verilog (and a manifest) under rtl-out/.
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { elaborate } from '../hdl/ir/elaborate.ts';
import { writeVerilog } from '../hdl/verilog/emit.ts';
import { ElaborationError } from '../hdl/core/errors.ts';
import { stdlibCatalogue } from '../hdl/lib/catalogue.ts';

export function generateStdlib(outDir: string): { files: string[]; manifestPath: string } {
  const dir = path.join(outDir, 'stdlib');
  const files = new Set<string>();
  const blocks = stdlibCatalogue().map((e) => {
    const written = writeVerilog(elaborate(e.module), dir);
    written.forEach((f) => files.add(f));
    return { top: e.module.name, what: e.what, files: written.map((f) => path.basename(f)), synth: e.synth ?? {} };
  });
  const manifestPath = path.join(dir, 'manifest.json');
  const manifest = JSON.stringify({ generator: 'mmfree-fpga hdl', blocks }, null, 2) + '\n';
  if (!fs.existsSync(manifestPath) || fs.readFileSync(manifestPath, 'utf8') !== manifest) fs.writeFileSync(manifestPath, manifest);
  return { files: [...files].sort(), manifestPath };
}

const isMain = import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('gen-rtl.ts');
if (isMain) {
  const program = new Command('gen-rtl')
    .description('Write the generated Verilog to rtl-out/ (today: the HDL standard library at its default parameters)')
    .option('-o, --out <dir>', 'output folder', 'rtl-out')
    .action((opts: { out: string }) => {
      try {
        const { files, manifestPath } = generateStdlib(opts.out);
        console.log(`wrote ${files.length} Verilog files and ${path.relative(process.cwd(), manifestPath)}`);
      } catch (e) {
        if (e instanceof ElaborationError) {
          console.error(e.message);
          process.exit(1);
        }
        throw e;
      }
    });
  program.parse();
}
