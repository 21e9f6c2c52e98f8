// Everything `npm run gen-rtl` writes for one model: the Verilog of the accelerator, the memory images
// (the instruction ROM, the weight-load stream), and manifest.json (model and hardware config, memory
// map, program listing, predicted cycles per token).
import fs from 'node:fs';
import path from 'node:path';
import type { WeightSource } from '../model/config.ts';
import { fixedParams } from '../model/fixed/fixed-model.ts';
import { elaborate } from '../hdl/ir/elaborate.ts';
import { writeVerilog } from '../hdl/verilog/emit.ts';
import { compileProgram, type AccelProgram } from './program.ts';
import { accelTop } from './top.ts';
import { externalTop, prefetchDepth } from './external/top.ts';
import { externalImage } from './external/stream-image.ts';
import type { AccelConfig } from './config.ts';
import type { OverlapOption } from './overlap.ts';
import { predictCycles, rowUnitFloor } from './timing.ts';
import { writeIfChanged } from '../util/write-if-changed.ts';

export interface GeneratedAccel {
  dir: string;
  top: string;
  files: string[];
  program: AccelProgram;
}

/** One hex word per line, as $readmemh reads it. */
function hexLines(words: ArrayLike<number | bigint>, bits: number): string {
  const digits = Math.ceil(bits / 4);
  let s = '';
  for (let i = 0; i < words.length; i++) s += BigInt(words[i]!).toString(16).padStart(digits, '0') + '\n';
  return s;
}

export function generateAccel(weights: WeightSource, config: AccelConfig & OverlapOption, dir: string, modelLabel: string): GeneratedAccel {
  const prog = compileProgram(fixedParams(weights), config);
  const external = config.target === 'external';
  const img = external ? externalImage(prog) : undefined;
  const top = external ? externalTop(prog) : accelTop(prog);
  fs.mkdirSync(dir, { recursive: true });
  const verilog = writeVerilog(elaborate(top), dir);
  // Verilog left by an earlier design would be read by `yosys *.v` and mislead: keep only this one's.
  const current = new Set(verilog.map((f) => path.basename(f)));
  for (const f of fs.readdirSync(dir)) if (f.endsWith('.v') && !current.has(f)) fs.rmSync(path.join(dir, f));
  // The on-chip targets' load image, or the external target's DRAM image (and not both: a stale one would mislead).
  const imageBin = path.join(dir, img ? 'dram.bin' : 'weights.bin');
  fs.rmSync(path.join(dir, img ? 'weights.bin' : 'dram.bin'), { force: true });
  writeIfChanged(imageBin, img ? Buffer.from(img.bytes.buffer, img.bytes.byteOffset, img.bytes.byteLength) : Buffer.from(prog.image.buffer, prog.image.byteOffset, prog.image.byteLength));
  const programHex = path.join(dir, 'program.hex');
  writeIfChanged(programHex, hexLines(prog.rom, prog.layout.width));
  const g = prog.geometry;
  const timing = predictCycles(prog);
  const manifest = {
    generator: 'mmfree-fpga accel',
    model: {
      source: modelLabel,
      hiddenSize: g.d,
      intermediateSize: g.I,
      numLayers: g.L,
      vocabSize: g.V,
      ...(g.fff
        ? {
            channelMixer: 'fff',
            fffDepth: g.fff.depth,
            fff: {
              nodes: g.fff.nodes,
              levelsPerToken: g.fff.levels,
              wordsPerNode: g.fff.chunks,
              columnLanes: g.fff.columnLanes,
              layout: 'node_in row-major: node n\'s row at wide word n C of its region; node_out by column: node n\'s d weights at n C, chunk c (outputs c P .. c P + P - 1) at n C + c; C = wordsPerNode = ceil(d / lanes)',
            },
          }
        : {}),
    },
    // the on-chip targets' weight memory, or the external target's port (its image is `dramMap`)
    hardware: img
      ? { ...config, rowLanes: g.rowLanes, packing: g.packing, portBits: img.wordBits, prefetchWords: prefetchDepth(img), instructionBits: prog.layout.width }
      : { ...config, weightBanks: g.banks, bankWords: g.weightWords, instructionBits: prog.layout.width },
    top: top.name,
    files: {
      verilog: verilog.map((f) => path.basename(f)).sort(),
      ...(img
        ? { dramImage: { file: 'dram.bin', format: `${img.wordBits}-bit little-endian words, word a at byte a * ${img.wordBytes}, in the order a token consumes them (accel/external/stream-image.ts)`, words: img.words } }
        : { weightImage: { file: 'weights.bin', format: '16-bit little-endian words in load order (word k: bank k mod banks, address k / banks)', words: prog.image.length } }),
      programRom: { file: 'program.hex', words: prog.rom.length, bits: prog.layout.width, note: 'a listing: the controller fetches the program from the weight memory (its region in weights.bin)' },
    },
    ...(img
      ? {
          dramMap: {
            wordBits: img.wordBits,
            head: img.head,
            body: img.body,
            clear: img.clear,
            embeddings: { ...img.embeddings, rows: g.V },
            wordsPerToken: img.wordsPerToken,
            bytesPerToken: img.wordsPerToken * img.wordBytes,
            instructions: img.listing,
          },
        }
      : { memoryMap: prog.regions.map((r) => ({ name: r.name, word: r.word, words: r.words })) }),
    instructionFields: Object.values(prog.layout.fields),
    program: prog.instructions,
    clearRoutine: prog.clearInstructions,
    cycles: {
      weightsPerToken: prog.weightsPerToken,
      boundPerToken: prog.weightsPerToken / g.lanes,
      rowUnitFloorPerToken: rowUnitFloor(prog),
      predictedPerToken: timing.total,
      ...(img ? { streamWordsPerToken: img.wordsPerToken, note: 'external: predictedPerToken is with the words always there; the DRAM adds its waits' } : {}),
      byOp: timing.byOp,
    },
  };
  const manifestPath = path.join(dir, 'manifest.json');
  writeIfChanged(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  return { dir, top: top.name, files: [...verilog, imageBin, programHex, manifestPath], program: prog };
}
