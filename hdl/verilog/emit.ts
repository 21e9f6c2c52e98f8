// A design to files: one `<module>.v` per module (Verilator's DECLFILENAME wants file = module name),
// vendor black boxes left to the tools that know them.
import fs from 'node:fs';
import path from 'node:path';
import type { Design } from '../ir/elaborate.ts';
import { printModule } from './module-printer.ts';
import { writeIfChanged } from '../../util/write-if-changed.ts';

export function emitVerilog(design: Design): Map<string, string> {
  const files = new Map<string, string>();
  for (const m of design.modules) if (!m.blackbox) files.set(`${m.name}.v`, printModule(m));
  return files;
}

/** Write the design's files into `dir` (created if missing); returns their paths in design order. */
export function writeVerilog(design: Design, dir: string): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const paths: string[] = [];
  for (const [name, text] of emitVerilog(design)) {
    const p = path.join(dir, name);
    writeIfChanged(p, text);
    paths.push(p);
  }
  return paths;
}
