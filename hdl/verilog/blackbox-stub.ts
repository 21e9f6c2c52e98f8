// Port-only stand-ins for vendor black boxes, so Verilator can lint a design that instantiates them.
// They are for lint only: synthesis uses the vendor's own cells, simulation their models.
import fs from 'node:fs';
import path from 'node:path';
import type { Module } from '../core/module.ts';
import { range } from './literal.ts';

export function printBlackboxStub(m: Module): string {
  const ports = m.ports.map((p) => `    ${p.dir === 'input' ? 'input  wire' : 'output wire'} ${range(p.width) ? range(p.width) + ' ' : ''}${p.name}`);
  const params = Object.entries(m.params).map(([k, v]) => `    parameter ${k} = ${String(v)}`);
  const outs = m.ports.filter((p) => p.dir === 'output').map((p) => `    assign ${p.name} = ${p.width}'d0;`);
  return [
    `// Lint stand-in for the vendor primitive ${m.name}: ports only, outputs tied to zero.`,
    '`default_nettype none',
    '/* verilator lint_off UNUSEDSIGNAL */',
    '/* verilator lint_off UNUSEDPARAM */',
    `module ${m.name}${params.length ? ` #(\n${params.join(',\n')}\n)` : ''} (`,
    ports.join(',\n'),
    ');',
    ...outs,
    'endmodule',
    '/* verilator lint_on UNUSEDPARAM */',
    '/* verilator lint_on UNUSEDSIGNAL */',
    '`default_nettype wire',
    '',
  ].join('\n');
}

/** Each black box's stub as `dir/stubs/<name>.v`; returns the files, to lint beside the design. */
export function writeBlackboxStubs(dir: string, ...boxes: Module[]): string[] {
  const stubs = path.join(dir, 'stubs');
  fs.mkdirSync(stubs, { recursive: true });
  return boxes.map((bb) => {
    const f = path.join(stubs, `${bb.name}.v`);
    fs.writeFileSync(f, printBlackboxStub(bb));
    return f;
  });
}
