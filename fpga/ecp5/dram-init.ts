// The DDR3 start-up of a standalone LiteDRAM core (no CPU: docs/ecp5.md), as a fixed list of CSR writes
// on its `wb_ctrl` port and a small sequencer that plays it after reset.
//
// The list is LiteDRAM's own: `init_sequence()` of the generated software/include/generated/sdram_phy.h
// (release reset, CKE, the mode registers, ZQ calibration), read here line by line, with the CSR addresses
// from the core's csr.csv; then the two writes the LiteX BIOS makes after it (sdram_software_control_off:
// the controller takes the DFI; ddrctrl_init_done). Nothing of it is copied by hand, so a core generated
// for another part or clock gives its own list. Not in it: the ECP5's read levelling (the BIOS's search
// over bitslips and delays); the PHY keeps its reset values (bitslip 0, delay 0). docs/ecp5.md.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildModule } from '../../hdl/core/generator.ts';
import type { Module } from '../../hdl/core/module.ts';
import { Bool, UInt, clog2 } from '../../hdl/core/types.ts';
import { lit, mux, type Expr } from '../../hdl/core/expr.ts';
import type { LitedramCore } from './litedram.ts';

export interface InitStep {
  /** The CSR written, its Wishbone word address and the value. */
  csr: string;
  adr: number;
  dat: number;
  /** Cycles to wait after the write before the next one. */
  wait: number;
}

/**
 * Cycles waited per unit of the BIOS's cdelay(): a loop of a few instructions on a CPU at the system clock;
 * 4 cycles an iteration keeps every wait at least as long as the BIOS's (50,000 -> 2.7 ms at 75 MHz, the
 * reset release JEDEC wants >= 200 us; 10,000 -> 0.53 ms for CKE, >= 500 us).
 */
export const CYCLES_PER_CDELAY = 4;
/** Every write waits at least this long: more than tMOD (12 clocks, 6 system cycles) after a mode register write. */
export const MIN_WAIT = 16;

/** LiteDRAM's init sequence for `core` as CSR writes, with the BIOS's hand-over to the controller at the end. */
export function dramInitSteps(core: Pick<LitedramCore, 'dir' | 'csr'>): InitStep[] {
  const file = path.join(core.dir, 'software', 'include', 'generated', 'sdram_phy.h');
  if (!fs.existsSync(file)) throw new Error(`dram init: ${file}: missing (generate the core with litedram_gen first)`);
  const text = fs.readFileSync(file, 'utf8');
  const defines = new Map<string, number>();
  for (const m of text.matchAll(/^#define\s+(\w+)\s+(0x[0-9a-fA-F]+|\d+)\s*$/gm)) defines.set(m[1]!, Number(m[2]));
  const body = /static inline void init_sequence\(void\)\s*\{([\s\S]*?)\n\}/.exec(text);
  if (!body) throw new Error(`dram init: ${file}: no init_sequence()`);
  // Line numbers of the file: the body starts on the line of its opening brace.
  const firstLine = text.slice(0, body.index + body[0].indexOf('{')).split('\n').length;
  const steps: InitStep[] = [];
  const value = (expr: string, line: number): number =>
    expr.split('|').reduce((acc, t) => {
      const s = t.trim();
      const v = /^(0x[0-9a-fA-F]+|\d+)$/.test(s) ? Number(s) : defines.get(s);
      if (v === undefined) throw new Error(`dram init: ${file}:${line}: unknown value '${s}'`);
      return acc | v;
    }, 0) >>> 0;
  const write = (csr: string, dat: number, line: number) => {
    const adr = core.csr.get(csr);
    if (adr === undefined) throw new Error(`dram init: ${file}:${line}: no CSR '${csr}' in csr.csv`);
    steps.push({ csr, adr, dat, wait: MIN_WAIT });
  };
  body[1]!.split('\n').forEach((raw, i) => {
    const at = firstLine + i;
    const line = raw.replace(/\/\*.*?\*\//g, '').trim();
    if (line === '') return;
    let m: RegExpExecArray | null;
    if ((m = /^(\w+)_write\((.+)\);$/.exec(line))) write(m[1]!, value(m[2]!, at), at);
    else if ((m = /^command_p(\d)\((.+)\);$/.exec(line))) {
      write(`sdram_dfii_pi${m[1]}_command`, value(m[2]!, at), at);
      write(`sdram_dfii_pi${m[1]}_command_issue`, 1, at);
    } else if ((m = /^cdelay\((\d+)\);$/.exec(line))) {
      const last = steps[steps.length - 1];
      if (!last) throw new Error(`dram init: ${file}:${at}: a delay before any write`);
      last.wait = Math.max(last.wait, Number(m[1]) * CYCLES_PER_CDELAY);
    } else throw new Error(`dram init: ${file}:${at}: cannot read '${line}'`);
  });
  if (steps.length === 0) throw new Error(`dram init: ${file}: init_sequence() writes nothing`);
  const sel = defines.get('DFII_CONTROL_SEL');
  if (sel === undefined) throw new Error(`dram init: ${file}: no DFII_CONTROL_SEL`);
  write('sdram_dfii_control', sel, 0); // sdram_software_control_off(): the controller drives the DFI
  write('ddrctrl_init_done', 1, 0); // the user ports open
  return steps;
}

/**
 * A Wishbone master that writes `steps` in order after reset (one write at a time, each held until ack,
 * then its wait), and raises `done` after the last. Ports: wb_cyc, wb_stb, wb_we, wb_sel, wb_adr, wb_dat_w,
 * wb_ack; done.
 */
export function dramInitSequencer(steps: readonly InitStep[], name = 'dram_init_seq'): Module {
  if (steps.length === 0) throw new Error('dram init: no steps');
  for (const s of steps) {
    if (!(Number.isInteger(s.adr) && s.adr >= 0 && s.adr < 2 ** 30)) throw new RangeError(`dram init: ${s.csr}: address ${s.adr} is not a 30-bit word address`);
    if (!(Number.isInteger(s.wait) && s.wait >= 1 && s.wait < 2 ** 24)) throw new RangeError(`dram init: ${s.csr}: wait ${s.wait} is not 1 .. 2^24 - 1 cycles`);
  }
  const n = steps.length;
  const stepW = clog2(n + 1);
  const waitW = clog2(Math.max(...steps.map((s) => s.wait)) + 1);
  return buildModule(name, (m) => {
    const ack = m.input('wb_ack', Bool);
    const step = m.reg('step', UInt(stepW), { reset: 0 });
    const writing = m.reg('writing', Bool, { reset: 1 });
    const waitLeft = m.reg('wait_left', UInt(waitW), { reset: 0 });
    // The table, as a chain of comparisons on the step (a few dozen entries: no memory needed).
    const table = (f: (s: InitStep) => number, w: number): Expr =>
      steps.reduceRight<Expr>((rest, s, i) => mux(step.eq(i), lit(f(s), UInt(w)), rest), lit(0, UInt(w)));
    const busy = m.let('busy', step.lt(n));
    const req = m.let('req', busy.and(writing));
    m.assign(m.output('wb_cyc', Bool), req);
    m.assign(m.output('wb_stb', Bool), req);
    m.assign(m.output('wb_we', Bool), lit(1, Bool));
    m.assign(m.output('wb_sel', UInt(4)), lit(0xf, UInt(4)));
    m.assign(m.output('wb_adr', UInt(30)), table((s) => s.adr, 30));
    m.assign(m.output('wb_dat_w', UInt(32)), table((s) => s.dat, 32));
    m.assign(m.output('done', Bool), busy.not());
    m.sync(() => {
      m.if(req.and(ack), () => {
        writing.set(0);
        waitLeft.set(table((s) => s.wait - 1, waitW));
      });
      m.if(busy.and(writing.not()), () => {
        m.if(waitLeft.eq(0), () => {
          step.set(step.add(1).trunc(stepW));
          writing.set(1);
        }).else(() => waitLeft.set(waitLeft.sub(1).trunc(waitW)));
      });
    });
  });
}
