// npm run estimate -- --model DIR [--family ecp5|xc7] [--lanes P] [--json]: synthesis-only resource
// estimates (fpga/vendor-estimate.ts) of the accelerator for a model on FPGAs larger than the iCE40,
// its weights in block RAM. Default: both families, the embedded tiny model, 32 lanes.
import path from 'node:path';
import { Command } from 'commander';
import { elaborate } from '../hdl/ir/elaborate.ts';
import { writeVerilog } from '../hdl/verilog/emit.ts';
import { compileProgram } from '../accel/program.ts';
import { accelTop } from '../accel/top.ts';
import { fixedParams } from '../model/fixed/fixed-model.ts';
import { openModel } from '../model/open.ts';
import { FAMILIES, estimateVendor, type Family } from '../fpga/vendor-estimate.ts';
import { hardwareConfig } from './hardware-options.ts';
import { outputDir } from './options.ts';
import { main } from './run-command.ts';

const program = new Command('estimate')
  .description('synthesis-only resource estimates for Lattice ECP5 (synth_ecp5) and Xilinx 7-series (synth_xilinx)')
  .option('--model <dir|file>', 'checkpoint directory or packed model (default: the embedded tiny model)')
  .option('--family <name>', `${FAMILIES.join(' or ')} (default: both)`)
  .option('--lanes <P>', 'ternary weights per cycle', '32')
  .option('--out <dir>', 'work folder', path.join('build-out', 'estimate'))
  .option('--json', 'print one JSON object')
  .action(async (o: { model?: string; family?: string; lanes: string; out: string; json?: boolean }) => {
    if (o.family !== undefined && !(FAMILIES as readonly string[]).includes(o.family)) throw new Error(`--family must be ${FAMILIES.join(' or ')}, got '${o.family}'`);
    const families: Family[] = o.family ? [o.family as Family] : [...FAMILIES];
    const config = hardwareConfig({ target: 'generic', lanes: o.lanes });
    outputDir(o.out, '--out', { create: false });
    const m = openModel(o.model);
    outputDir(o.out, '--out');
    const prog = compileProgram(fixedParams(m.weights), config);
    const top = accelTop(prog);
    const rtl = path.resolve(o.out, path.basename(m.label), 'rtl');
    const sources = writeVerilog(elaborate(top), rtl);
    const g = prog.geometry;
    const results = [];
    for (const family of families) {
      if (!o.json) process.stderr.write(`yosys ${family}: ${top.name} for ${m.label} (${config.lanes} lanes)\n`);
      const e = await estimateVendor({ top: top.name, sources, family, workDir: path.resolve(o.out, path.basename(m.label), family) });
      results.push(e);
      if (!o.json) {
        const c = e.cells;
        process.stdout.write(
          `${family} (${e.command}): ${c.lut} LUT, ${c.ff} FF, ${c.carry} carry, ${c.bram} BRAM (${(c.bramBits / 1e6).toFixed(2)} Mbit), ${c.lutram} LUT-RAM, ${c.dsp} DSP; ` +
            `${e.fitsPart ? 'fits' : 'does not fit'} an ${e.part.name} (${e.part.lut} LUT, ${(e.part.bramBits / 1e6).toFixed(2)} Mbit BRAM, ${e.part.dsp} DSP) [${e.seconds.toFixed(0)} s]\n`,
        );
      }
    }
    const weightBits = prog.image.length * 16;
    if (o.json) process.stdout.write(JSON.stringify({ model: m.label, shape: { d: g.d, I: g.I, L: g.L, V: g.V }, lanes: config.lanes, imageBits: weightBits, estimates: results }) + '\n');
    else process.stdout.write(`weight image: ${(weightBits / 1e6).toFixed(2)} Mbit (the UP5K's SPRAM holds 1.05 Mbit)\n`);
  });

await main(program, 'estimate');
