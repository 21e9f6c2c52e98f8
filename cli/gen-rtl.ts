// npm run gen-rtl: the accelerator for a model (rtl-out/<model>/: Verilog, memory images, manifest.json);
// with --stdlib DIR also the HDL standard library at its default parameters (DIR/stdlib/). The library is
// a set of independent blocks, many tops, so it stays out of rtl-out/: everything there is one design
// per folder, and all of rtl-out/ lints clean in one `verilator --lint-only -Wall` run.
import path from 'node:path';
import { Command } from 'commander';
import { elaborate } from '../hdl/ir/elaborate.ts';
import { writeVerilog } from '../hdl/verilog/emit.ts';
import { stdlibCatalogue } from '../hdl/lib/catalogue.ts';
import { openModel } from '../model/open.ts';
import { generateAccel } from '../accel/generate.ts';
import { accelGeometry } from '../accel/config.ts';
import { writeIfChanged } from '../util/write-if-changed.ts';
import { addHardwareOptions, hardwareConfig } from './hardware-options.ts';
import { outputDir } from './options.ts';
import { main } from './run-command.ts';

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
  writeIfChanged(manifestPath, manifest);
  return { files: [...files].sort(), manifestPath };
}

/** The gen-rtl command line; its action throws on bad input (cli/run-command.ts makes that one line). */
export function genRtlProgram(): Command {
  const program = new Command('gen-rtl')
    .description('Write the accelerator for a model (default: the embedded tiny model for UP5K) under rtl-out/')
    .option('-o, --out <dir>', 'output folder', 'rtl-out')
    .option('--model <dir|file>', 'checkpoint directory or packed model (default: the embedded tiny model)')
    .option('--stdlib <dir>', 'also write the HDL standard library at its default parameters to <dir>/stdlib');
  return addHardwareOptions(program).action((opts: { out: string; model?: string; target: string; lanes?: string; stdlib?: string }) => {
    const config = hardwareConfig(opts);
    // The folders are tried before the model is read and made only once it is accepted: a refused
    // input leaves nothing behind, and /proc/... is an error, not Node's endless recursive mkdir.
    outputDir(opts.out, '-o', { create: false });
    if (opts.stdlib !== undefined) outputDir(opts.stdlib, '--stdlib', { create: false });
    const m = openModel(opts.model);
    accelGeometry(m.weights.config, config); // a model the target cannot run is refused before its folder is made
    const name = path.basename(m.dir).replace(/[^A-Za-z0-9_.-]/g, '_') || 'model';
    outputDir(path.join(opts.out, name), '-o');
    const acc = generateAccel(m.weights, config, path.join(opts.out, name), m.label);
    const g = acc.program.geometry;
    console.log(
      `wrote ${path.relative(process.cwd(), acc.dir)}/: ${acc.files.length} files (top ${acc.top}; d=${g.d} I=${g.I} L=${g.L} V=${g.V}, ${config.target}, ${g.lanes} lanes; ` +
        `${acc.program.instructions.length} instructions, weight image ${acc.program.image.length} words)`,
    );
    if (opts.stdlib !== undefined) {
      outputDir(path.join(opts.stdlib, 'stdlib'), '--stdlib');
      const { files, manifestPath } = generateStdlib(opts.stdlib);
      console.log(`wrote ${files.length} Verilog files and ${path.relative(process.cwd(), manifestPath)}`);
    }
  });
}

const isMain = import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('gen-rtl.ts');
if (isMain) await main(genRtlProgram(), 'gen-rtl');
