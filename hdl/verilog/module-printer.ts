// One module to one Verilog-2005 file: `default_nettype none, ANSI ports, declarations with their
// TypeScript source line, continuous assignments, always blocks and instances. Output depends only
// on the IR, so the same design prints byte for byte the same.
import type { Module } from '../core/module.ts';
import type { Signal } from '../core/signal.ts';
import type { Memory } from '../core/memory.ts';
import type { Process, Stmt } from '../core/statements.ts';
import { assignmentsIn } from '../core/statements.ts';
import { type SourceLoc, formatLoc } from '../core/source.ts';
import type { HdlType } from '../core/types.ts';
import { bitsRead, unreadRanges } from '../ir/usage.ts';
import { NameTable } from './names.ts';
import { ExprPrinter } from './expr-printer.ts';
import { literal, range } from './literal.ts';

const INDENT = '    ';

function src(loc: SourceLoc): string {
  return `// src: ${formatLoc(loc)}`;
}

function typeDecl(t: HdlType): string {
  return [t.signed ? 'signed' : '', range(t.width)].filter(Boolean).join(' ');
}

/** Verilog names of a module's ports and signals (keywords renamed); shared with simulation harnesses. */
export function signalNames(m: Module): NameTable {
  const names = new NameTable();
  for (const s of m.ports) names.name(s, s.name);
  for (const s of m.signals) names.name(s, s.name);
  for (const mem of m.memories) names.name(mem, mem.name);
  for (const inst of m.instances) names.name(inst, inst.name);
  return names;
}

export function printModule(m: Module): string {
  const names = signalNames(m);
  const nameOf = (s: Signal) => names.lookup(s) ?? s.name;
  const memName = (mem: Memory) => names.lookup(mem) ?? mem.name;
  const ex = new ExprPrinter(names, nameOf, memName);
  const combTargets = new Set<Signal>();
  for (const p of m.processes) if (p.kind === 'comb') for (const a of assignmentsIn(p.body)) combTargets.add(a.target);
  const isVerilogReg = (s: Signal) => s.storage === 'reg' || combTargets.has(s);

  // The body is printed first: printing expressions discovers the temporaries and named constants that
  // the declarations section must hold.
  const body: string[] = [];
  const emitBlockComment = (loc: SourceLoc) => body.push(`${INDENT}${src(loc)}`);

  for (const a of m.continuous) body.push(`${INDENT}assign ${nameOf(a.target)} = ${ex.print(a.value)}; ${src(a.loc)}`);
  for (const mem of m.memories) printMemoryPorts(mem, body, ex, nameOf, memName);
  for (const p of m.processes) {
    emitBlockComment(p.loc);
    printProcess(p, m, body, ex, nameOf);
  }
  for (const inst of m.instances) {
    const params = Object.entries(inst.params);
    const paramText = params.length ? ` #(\n${params.map(([k, v]) => `${INDENT}${INDENT}.${k}(${typeof v === 'string' ? v : String(v)})`).join(',\n')}\n${INDENT})` : '';
    const conns: string[] = [];
    const childNames = signalNames(inst.def);
    for (const p of inst.def.ports) {
      const pin = childNames.lookup(p) ?? p.name;
      const text = p.dir === 'output' ? nameOf(inst.outputs.get(p.name)!) : ex.print(inst.inputs.get(p.name)!);
      conns.push(`${INDENT}${INDENT}.${pin}(${text})`);
    }
    body.push(`${INDENT}${inst.def.name}${paramText} ${names.lookup(inst)} ( ${src(inst.loc)}\n${conns.join(',\n')}\n${INDENT});`);
  }
  let sinkText = '';
  if (m.sinks.length > 0) {
    const parts = m.sinks.map((s) => ex.print(s.value));
    sinkText = `${INDENT}// Values the generator declared unused (m.sink at ${formatLoc(m.sinks[0]!.loc)}).\n${INDENT}/* verilator lint_off UNUSEDSIGNAL */\n${INDENT}wire ${names.fresh('_unused_ok')} = &{1'b0, ${parts.join(', ')}, 1'b0};\n${INDENT}/* verilator lint_on UNUSEDSIGNAL */`;
  }

  // Ports.
  const ports = m.ports.map((s, i) => {
    const dir = s.dir === 'input' ? 'input  wire' : isVerilogReg(s) ? 'output reg ' : 'output wire';
    const t = typeDecl(s.type);
    const comma = i < m.ports.length - 1 ? ',' : '';
    return `${INDENT}${dir}${t ? ' ' + t : ''} ${nameOf(s)}${comma} ${src(s.loc)}`;
  });

  // Declarations: named constants, signals, memories, temporaries.
  const decls: string[] = [];
  for (const [name, c] of [...ex.localparams].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    decls.push(`${INDENT}localparam ${range(c.type.width) ? range(c.type.width) + ' ' : ''}${name} = ${c.text};`);
  }
  const unreadInstanceOutputs = unreadInstanceWires(m);
  for (const s of m.signals.filter((x) => x.dir === 'internal')) {
    const kind = isVerilogReg(s) ? 'reg ' : 'wire';
    const t = typeDecl(s.type);
    const line = `${INDENT}${kind}${t ? ' ' + t : ''} ${nameOf(s)}; ${src(s.loc)}`;
    if (unreadInstanceOutputs.has(s)) {
      decls.push(`${INDENT}/* verilator lint_off UNUSEDSIGNAL */`, `${line} // not all bits are read`, `${INDENT}/* verilator lint_on UNUSEDSIGNAL */`);
    } else decls.push(line);
  }
  for (const mem of m.memories) {
    if (mem.style === 'logic') decls.push(`${INDENT}(* ram_style = "logic", rom_style = "logic" *)`);
    decls.push(`${INDENT}reg ${typeDecl(mem.type) ? typeDecl(mem.type) + ' ' : ''}${memName(mem)} [0:${mem.depth - 1}]; ${src(mem.loc)}`);
    if (mem.init) {
      decls.push(`${INDENT}initial begin`);
      mem.init.forEach((v, i) => decls.push(`${INDENT}${INDENT}${memName(mem)}[${i}] = ${literal(v, { width: mem.type.width, signed: false })};`));
      decls.push(`${INDENT}end`);
    }
  }
  if (ex.temps.length > 0) {
    // Temporaries hold values Verilog cannot slice or extend in place; a truncation the generator asked
    // for leaves their top bits unread on purpose, so lint is waived for them (and only them).
    decls.push(`${INDENT}/* verilator lint_off UNUSEDSIGNAL */`);
    for (const t of ex.temps) decls.push(`${INDENT}wire ${typeDecl(t.type) ? typeDecl(t.type) + ' ' : ''}${t.name} = ${t.text};`);
    decls.push(`${INDENT}/* verilator lint_on UNUSEDSIGNAL */`);
  }

  const header = [
    '// Generated by the mmfree-fpga HDL. Do not edit: change the generator and run it again.',
    `// ${m.description || m.name}`,
    `// Generator: ${formatLoc(m.loc)}`,
  ];
  return [
    ...header,
    '`default_nettype none',
    '',
    `module ${m.name} (`,
    ...ports,
    ');',
    ...decls,
    ...(decls.length ? [''] : []),
    ...body,
    ...(sinkText ? [sinkText] : []),
    'endmodule',
    '',
    '`default_nettype wire',
    '',
  ].join('\n');
}

/** Instance output wires the parent leaves (partly) unread: declared with a lint waiver. */
function unreadInstanceWires(m: Module): Set<Signal> {
  const used = bitsRead(m);
  const out = new Set<Signal>();
  for (const inst of m.instances) {
    for (const s of inst.outputs.values()) if (unreadRanges(used.get(s), s.width).length > 0) out.add(s);
  }
  return out;
}

function printMemoryPorts(mem: Memory, body: string[], ex: ExprPrinter, nameOf: (s: Signal) => string, memName: (m: Memory) => string): void {
  const clk = nameOf(mem.owner.clk);
  for (const w of mem.writePorts) {
    body.push(
      `${INDENT}always @(posedge ${clk}) begin ${src(w.loc)}`,
      `${INDENT}${INDENT}if (${ex.print(w.enable)}) ${memName(mem)}[${ex.print(w.addr)}] <= ${ex.print(w.data)};`,
      `${INDENT}end`,
    );
  }
  for (const r of mem.readPorts) {
    const read = `${nameOf(r.data)} <= ${memName(mem)}[${ex.print(r.addr)}];`;
    body.push(
      `${INDENT}always @(posedge ${clk}) begin ${src(r.loc)}`,
      `${INDENT}${INDENT}${r.enable ? `if (${ex.print(r.enable)}) ` : ''}${read}`,
      `${INDENT}end`,
    );
  }
}

function printProcess(p: Process, m: Module, body: string[], ex: ExprPrinter, nameOf: (s: Signal) => string): void {
  const op = p.kind === 'comb' ? '=' : '<=';
  const stmts = (list: readonly Stmt[], depth: number): void => {
    const ind = INDENT.repeat(depth);
    for (const s of list) {
      if (s.kind === 'assign') {
        body.push(`${ind}${nameOf(s.target)} ${op} ${ex.print(s.value)};`);
      } else if (s.kind === 'if') {
        s.branches.forEach((b, i) => {
          body.push(`${ind}${i === 0 ? 'if' : 'end else if'} (${ex.print(b.cond)}) begin`);
          stmts(b.body, depth + 1);
        });
        if (s.elseBody) {
          body.push(`${ind}end else begin`);
          stmts(s.elseBody, depth + 1);
        }
        body.push(`${ind}end`);
      } else {
        body.push(`${ind}case (${ex.print(s.sel)})`);
        for (const c of s.cases) {
          body.push(`${ind}${INDENT}${c.values.map((v) => ex.print(v)).join(', ')}: begin`);
          stmts(c.body, depth + 2);
          body.push(`${ind}${INDENT}end`);
        }
        if (s.defaultBody && s.defaultBody.length > 0) {
          body.push(`${ind}${INDENT}default: begin`);
          stmts(s.defaultBody, depth + 2);
          body.push(`${ind}${INDENT}end`);
        } else body.push(`${ind}${INDENT}default: ;`);
        body.push(`${ind}endcase`);
      }
    }
  };
  if (p.kind === 'comb') {
    body.push(`${INDENT}always @(*) begin`);
    stmts(p.body, 2);
    body.push(`${INDENT}end`);
    return;
  }
  body.push(`${INDENT}always @(posedge ${nameOf(m.clk)}) begin`);
  stmts(p.body, 2);
  // Reset last: in Verilog the last nonblocking assignment wins, so registers without a reset value
  // keep their plain enable logic and only the reset registers get the synchronous reset.
  const resets = [...new Set([...assignmentsIn(p.body)].map((a) => a.target))].filter((t) => t.resetValue !== undefined);
  if (resets.length > 0) {
    body.push(`${INDENT}${INDENT}if (${nameOf(m.rst)}) begin`);
    for (const r of resets) body.push(`${INDENT}${INDENT}${INDENT}${nameOf(r)} <= ${literal(r.resetValue!, r.type)};`);
    body.push(`${INDENT}${INDENT}end`);
  }
  body.push(`${INDENT}end`);
}
