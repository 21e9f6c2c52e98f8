// The DDR3 start-up of a standalone LiteDRAM core (no CPU: docs/ecp5.md), as a fixed list of CSR writes
// on its `wb_ctrl` port and a small sequencer that plays it after reset.
//
// The list is LiteDRAM's own: `init_sequence()` of the generated software/include/generated/sdram_phy.h
// (release reset, CKE, the mode registers, ZQ calibration), read here line by line, with the CSR addresses
// from the core's csr.csv; then the two writes the LiteX BIOS makes after it (sdram_software_control_off:
// the controller takes the DFI; ddrctrl_init_done). Nothing of it is copied by hand, so a core generated
// for another part or clock gives its own list. The ECP5's read levelling (the BIOS's search over bitslips
// and delays: fpga/ecp5/dram-levelling.ts) is not a list but a loop; given its plan, the sequencer runs it
// just before the hand-over. docs/ecp5.md.
import { buildModule } from '../../hdl/core/generator.ts';
import type { Module } from '../../hdl/core/module.ts';
import { Bool, UInt, clog2 } from '../../hdl/core/types.ts';
import { lit, mux, type Expr } from '../../hdl/core/expr.ts';
import type { LitedramCore } from './litedram.ts';
import { CYCLES_PER_CDELAY, MIN_WAIT, readSdramPhyHeader } from './sdram-phy-header.ts';
import { dramLevelling, type LevellingPlan } from './dram-levelling.ts';

export { CYCLES_PER_CDELAY, MIN_WAIT };

export interface InitStep {
  /** The CSR written, its Wishbone word address and the value. */
  csr: string;
  adr: number;
  dat: number;
  /** Cycles to wait after the write before the next one. */
  wait: number;
  /**
   * The first write of the hand-over to the controller (sdram_software_control_off): read levelling, when
   * the sequencer has it, runs just before this step, while the DFI is still under software control.
   */
  handOver?: boolean;
}

/** LiteDRAM's init sequence for `core` as CSR writes, with the BIOS's hand-over to the controller at the end. */
export function dramInitSteps(core: Pick<LitedramCore, 'dir' | 'csr'>): InitStep[] {
  const { file, text, defines } = readSdramPhyHeader(core.dir);
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
  steps[steps.length - 1]!.handOver = true;
  write('ddrctrl_init_done', 1, 0); // the user ports open
  return steps;
}

/**
 * A Wishbone master that writes `steps` in order after reset (one write at a time, each held until ack,
 * then its wait), and raises `done` after the last. Ports: wb_cyc, wb_stb, wb_we, wb_sel, wb_adr, wb_dat_w,
 * wb_ack; done.
 *
 * With `levelling` (the board's PHY: fpga/ecp5/dram-levelling.ts), read levelling runs on the same bus
 * before the hand-over step, and the sequencer also has the input wb_dat_r and the outputs level_done,
 * level_error, level_lane_error, level_bitslip, level_delay and level_map (dramLevelling's results).
 */
export function dramInitSequencer(steps: readonly InitStep[], name = 'dram_init_seq', levelling: LevellingPlan | null = null): Module {
  if (steps.length === 0) throw new Error('dram init: no steps');
  const levelAt = steps.findIndex((s) => s.handOver);
  if (levelling && levelAt < 0) throw new Error('dram init: read levelling needs the hand-over step (sdram_dfii_control) to run before');
  const level = levelling && dramLevelling(levelling, `${name}_level`);
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
    // With levelling, the step machine holds at the hand-over until the levelling, which owns the bus
    // meanwhile, is done.
    const lv = level && m.instance('u_level', level, { start: step.eq(levelAt), wb_ack: ack, wb_dat_r: m.input('wb_dat_r', UInt(32)) });
    const req = m.let('req', lv ? busy.and(writing).and(step.eq(levelAt).and(lv.out('done').not()).not()) : busy.and(writing));
    const pick = (name: string, mine: Expr): Expr => (lv ? mux(lv.out('wb_cyc'), lv.out(name), mine) : mine);
    m.assign(m.output('wb_cyc', Bool), lv ? req.or(lv.out('wb_cyc')) : req);
    m.assign(m.output('wb_stb', Bool), lv ? req.or(lv.out('wb_stb')) : req);
    m.assign(m.output('wb_we', Bool), pick('wb_we', lit(1, Bool)));
    m.assign(m.output('wb_sel', UInt(4)), lit(0xf, UInt(4)));
    m.assign(m.output('wb_adr', UInt(30)), pick('wb_adr', table((s) => s.adr, 30)));
    m.assign(m.output('wb_dat_w', UInt(32)), pick('wb_dat_w', table((s) => s.dat, 32)));
    if (lv) {
      m.sink(lv.out('wb_sel')); // always all four bytes, as here
      m.assign(m.output('level_done', Bool), lv.out('done'));
      m.assign(m.output('level_error', Bool), lv.out('error'));
      for (const [port, out] of [['level_lane_error', 'lane_error'], ['level_bitslip', 'bitslip'], ['level_delay', 'delay'], ['level_map', 'pass_map']] as const) {
        const v = lv.out(out);
        m.assign(m.output(port, UInt(v.width)), v);
      }
    }
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
