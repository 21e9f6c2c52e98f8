// npm run estimate -- --model DIR [--family ecp5|xc7] [--target generic|external|up5k] [--lanes P] [--json]:
// synthesis-only resource estimates (fpga/vendor-estimate.ts) of the accelerator for a model on FPGAs
// larger than the iCE40: the generic target holds its weights in block RAM, the external target streams
// them from DRAM (its DRAM controller and PHY are not counted). Default: both families, the embedded tiny
// model, the generic target, 32 lanes.
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { elaborate } from '../hdl/ir/elaborate.ts';
import { writeVerilog } from '../hdl/verilog/emit.ts';
import { compileProgram } from '../accel/program.ts';
import { accelTop } from '../accel/top.ts';
import { externalTop } from '../accel/external/top.ts';
import { fixedParams } from '../model/fixed/fixed-model.ts';
import { openModel } from '../model/open.ts';
import { FAMILIES, estimateVendor, type Family } from '../fpga/vendor-estimate.ts';
import { addHardwareOptions, hardwareConfig } from './hardware-options.ts';
import { outputDir } from './options.ts';
import { main } from './run-command.ts';

const program = addHardwareOptions(new Command('estimate'), 'generic')
  .description('synthesis-only resource estimates for Lattice ECP5 (synth_ecp5) and Xilinx 7-series (synth_xilinx)')
  .option('--model <dir|file>', 'checkpoint directory or packed model (default: the embedded tiny model)')
  .option('--family <name>', `${FAMILIES.join(' or ')} (default: both)`)
  .option('--out <dir>', 'work folder', path.join('build-out', 'estimate'))
  .option('--json', 'print one JSON object')
  .action(async (o: { model?: string; family?: string; target: string; lanes?: string; out: string; json?: boolean }) => {
    if (o.family !== undefined && !(FAMILIES as readonly string[]).includes(o.family)) throw new Error(`--family must be ${FAMILIES.join(' or ')}, got '${o.family}'`);
    const families: Family[] = o.family ? [o.family as Family] : [...FAMILIES];
    const config = hardwareConfig(o);
    outputDir(o.out, '--out', { create: false });
    const m = openModel(o.model);
    outputDir(o.out, '--out');
    const prog = compileProgram(fixedParams(m.weights), config);
    const external = config.target === 'external';
    const top = external ? externalTop(prog) : accelTop(prog);
    // one work folder per design: the external and generic Verilog of a model must not mix
    const work = path.resolve(o.out, `${path.basename(m.label)}-${config.target}-${config.lanes}`);
    const rtl = path.join(work, 'rtl');
    fs.rmSync(rtl, { recursive: true, force: true });
    const sources = writeVerilog(elaborate(top), rtl);
    const g = prog.geometry;
    const results = [];
    for (const family of families) {
      if (!o.json) process.stderr.write(`yosys ${family}: ${top.name} for ${m.label} (${config.target}, ${config.lanes} lanes)\n`);
      const e = await estimateVendor({ top: top.name, sources, family, workDir: path.join(work, family) });
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
    if (o.json) process.stdout.write(JSON.stringify({ model: m.label, shape: { d: g.d, I: g.I, L: g.L, V: g.V }, target: config.target, lanes: config.lanes, imageBits: weightBits, estimates: results }) + '\n');
    else if (external) process.stdout.write(`weight image: ${(weightBits / 8e6).toFixed(1)} MB in DRAM, none on chip (${2 * config.lanes}-bit read port; the DRAM controller is not counted)\n`);
    else process.stdout.write(`weight image: ${(weightBits / 1e6).toFixed(2)} Mbit (the UP5K's SPRAM holds 1.05 Mbit)\n`);
  });

await main(program, 'estimate');
