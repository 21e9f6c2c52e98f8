// DDR3 read levelling for LiteDRAM's ECP5DDRPHY without a CPU: what the LiteX BIOS does in
// sdram_read_leveling() (liblitedram/sdram.c), as a small state machine on the core's `wb_ctrl` port.
//
// Per byte lane (a "module" in LiteDRAM's words), for every read bitslip (0 .. SDRAM_PHY_BITSLIPS - 1) and
// every read delay (0 .. SDRAM_PHY_DELAYS - 1, the DQSBUFM's READCLKSEL), it writes test patterns into the
// DRAM through the DFI phase injectors, reads them back and calls the setting good when the lane's bits
// all match and the PHY saw the read burst (burstdet). That gives a pass map of bitslips x delays. The
// chosen setting is the middle of the longest run of good delays within one bitslip (the first such run on
// a tie); the PHY is then set to it and checked once more. A lane with no good setting, or one that fails
// that last check, is reported as failed (and ddrctrl_init_error is written, as the BIOS does when its
// memory test fails); the start-up still finishes, so a board that fails can say why.
//
// Where it differs from the BIOS, on purpose: the BIOS ranks bitslips by their number of good delays (and
// then its errors), then centres on the longest run within the best; here the longest run decides both. The
// BIOS compares two of the four beats each DFI phase carries per lane; here all four are compared.
//
// Everything it writes comes from the generated core: the PHY's shape (lanes, bitslips, delays, phases, the
// read and write phase, the DFI command bits) from sdram_phy.h, every CSR's address and size from
// csr.json. The sequence is a table of CSR accesses in segments (select a lane and reset or step its
// bitslip or delay; one test; flag the error), which a small controller calls in loops.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildModule } from '../../hdl/core/generator.ts';
import type { Module } from '../../hdl/core/module.ts';
import { Bool, UInt, clog2 } from '../../hdl/core/types.ts';
import { cat, lit, mux, type Expr } from '../../hdl/core/expr.ts';
import { Fsm } from '../../hdl/core/fsm.ts';
import type { LitedramCore } from './litedram.ts';
import { CYCLES_PER_CDELAY, MIN_WAIT, readSdramPhyHeader } from './sdram-phy-header.ts';

/** The kinds of CSR access: a write of the value, a write of the current lane's bit (dly_sel), a read compared
 * with the value on the current lane's bits, a read whose bit for the current lane must be set (burstdet_seen). */
export type LevelOpKind = 'write' | 'select' | 'compare' | 'burst';

export interface LevelOp {
  kind: LevelOpKind;
  csr: string;
  /** Wishbone word address and value (for 'compare', the expected word). */
  adr: number;
  dat: number;
  /** Cycles after the access before the next one. */
  wait: number;
  /** The segment's last access. */
  last: boolean;
}

export const SEGMENTS = ['bitslipReset', 'bitslipInc', 'delayReset', 'delayInc', 'test', 'flagError'] as const;
export type Segment = (typeof SEGMENTS)[number];

export interface LevellingPlan {
  lanes: number;
  bitslips: number;
  delays: number;
  ops: LevelOp[];
  /** Where each segment starts in `ops`; flagError is absent when the core has no ddrctrl_init_error. */
  segments: Partial<Record<Segment, number>> & Omit<Record<Segment, number>, 'flagError'>;
  /** Per lane, the bits of a 32-bit DFI data word that are that lane's DQ lines. */
  laneMasks: number[];
}

/** Test patterns per setting (the BIOS uses three seeds). */
export const LEVELLING_PATTERNS = 3;
/** BIOS's cdelay(15) after each DFI command, long enough for the read latency (CL + the PHY's pipeline). */
const COMMAND_WAIT = 15 * CYCLES_PER_CDELAY;

interface CsrReg {
  adr: number;
  size: number;
}

/** csr.json's registers: word address (the CSR bus is 32 bits wide) and size in words. */
export function readCsrJson(dir: string): Map<string, CsrReg> {
  const file = path.join(dir, 'csr.json');
  if (!fs.existsSync(file)) throw new Error(`dram levelling: ${file}: missing (generate the core with litedram_gen first)`);
  let regs: Record<string, { addr?: unknown; size?: unknown }>;
  try {
    regs = (JSON.parse(fs.readFileSync(file, 'utf8')) as { csr_registers?: typeof regs }).csr_registers ?? {};
  } catch (e) {
    throw new Error(`dram levelling: ${file}: ${(e as Error).message}`);
  }
  const out = new Map<string, CsrReg>();
  for (const [name, r] of Object.entries(regs)) {
    const { addr, size } = r;
    if (typeof addr !== 'number' || typeof size !== 'number' || addr % 4 !== 0 || !(size >= 1)) {
      throw new Error(`dram levelling: ${file}: csr_registers.${name}: bad addr or size`);
    }
    out.set(name, { adr: addr / 4, size });
  }
  return out;
}

/** A small deterministic generator for the patterns (xorshift32). */
function patternWords(seed: number, n: number): number[] {
  let x = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  });
}

/**
 * The read levelling for `core`, or null when its PHY has none (the simulation's PHY model: sdram_phy.h may
 * say READ_LEVELING_CAPABLE, since it carries the board PHY's settings, but there are no ddrphy CSRs).
 */
export function dramLevellingPlan(core: Pick<LitedramCore, 'dir'>, patterns = LEVELLING_PATTERNS): LevellingPlan | null {
  const hdr = readSdramPhyHeader(core.dir);
  const regs = readCsrJson(core.dir);
  if (!hdr.flags.has('SDRAM_PHY_READ_LEVELING_CAPABLE') || !regs.has('ddrphy_dly_sel')) return null;
  const where = `dram levelling: ${hdr.file}`;
  if (!hdr.flags.has('SDRAM_PHY_ECP5DDRPHY')) throw new Error(`${where}: read levelling is known only for ECP5DDRPHY`);
  if (!(Number.isInteger(patterns) && patterns >= 1 && patterns <= 16)) throw new RangeError(`dram levelling: ${patterns} patterns: 1 to 16`);
  const num = (k: string): number => {
    const v = hdr.defines.get(k);
    if (v === undefined) throw new Error(`${where}: no ${k}`);
    return v;
  };
  const lanes = num('SDRAM_PHY_MODULES');
  const bitslips = num('SDRAM_PHY_BITSLIPS');
  const delays = num('SDRAM_PHY_DELAYS');
  const phases = num('SDRAM_PHY_PHASES');
  const databits = num('SDRAM_PHY_DATABITS');
  const dfiBits = num('SDRAM_PHY_DFI_DATABITS');
  const ratio = num('SDRAM_PHY_DQ_DQS_RATIO');
  const rd = num('SDRAM_PHY_RDPHASE');
  const wr = num('SDRAM_PHY_WRPHASE');
  const cmd = (...bits: string[]) => bits.reduce((a, b) => a | num(`DFII_COMMAND_${b}`), 0);
  // A 32-bit CSR word holds whole DFI beats, so each lane's bits sit at the same places in every word.
  if (!(databits >= 8 && 32 % databits === 0 && lanes * ratio === databits && dfiBits % 32 === 0)) {
    throw new Error(`${where}: ${databits} data bits, ${lanes} modules of ${ratio}, ${dfiBits} DFI bits: not a shape levelled here`);
  }
  if (!(bitslips >= 1 && delays >= 1 && delays >= 2 && bitslips * delays <= 64)) {
    throw new Error(`${where}: ${bitslips} bitslips x ${delays} delays: levelled here are at least 2 delays and at most 64 settings`);
  }
  if (!(rd < phases && wr < phases)) throw new Error(`${where}: read phase ${rd} or write phase ${wr} outside ${phases} phases`);
  const words = dfiBits / 32;
  const reg = (name: string, size = 1): CsrReg => {
    const r = regs.get(name);
    if (!r) throw new Error(`${where}: no CSR '${name}' in csr.json (an ECP5DDRPHY core has it)`);
    if (r.size !== size) throw new Error(`${where}: CSR '${name}' is ${r.size} words, expected ${size}`);
    return r;
  };

  const ops: LevelOp[] = [];
  const segments: Partial<Record<Segment, number>> = {};
  const access = (kind: LevelOpKind, csr: string, dat: number, wait: number, word = 0, size = 1) =>
    ops.push({ kind, csr, adr: reg(csr, size).adr + word, dat: dat >>> 0, wait, last: false });
  const segment = (s: Segment, body: () => void) => {
    segments[s] = ops.length;
    body();
    ops[ops.length - 1]!.last = true;
  };
  const allLanes = 2 ** lanes - 1;
  // sdram_leveling_action(): select the lane (dly_sel also pauses its DQSBUFM), act, deselect, then pulse
  // every lane's pause to bring the DQSBUFMs back in step.
  const action = (s: Segment, csr: string) =>
    segment(s, () => {
      access('select', 'ddrphy_dly_sel', 0, MIN_WAIT);
      access('write', csr, 1, MIN_WAIT);
      access('write', 'ddrphy_dly_sel', 0, MIN_WAIT);
      access('write', 'ddrphy_dly_sel', allLanes, MIN_WAIT);
      access('write', 'ddrphy_dly_sel', 0, MIN_WAIT);
    });
  action('bitslipReset', 'ddrphy_rdly_dq_bitslip_rst');
  action('bitslipInc', 'ddrphy_rdly_dq_bitslip');
  action('delayReset', 'ddrphy_rdly_dq_rst');
  action('delayInc', 'ddrphy_rdly_dq_inc');
  // A DFI command on phase p: row, column and bank 0 (the first 64 KB of the DRAM stay free for this).
  const command = (p: number, c: number) => {
    access('write', `sdram_dfii_pi${p}_address`, 0, 1);
    access('write', `sdram_dfii_pi${p}_baddress`, 0, 1);
    access('write', `sdram_dfii_pi${p}_command`, c, 1);
    access('write', `sdram_dfii_pi${p}_command_issue`, 1, COMMAND_WAIT);
  };
  // One stream of pseudo-random words, so that every pattern differs from the one read before it.
  const stream = patternWords(0x2545f491, patterns * phases * words);
  segment('test', () => {
    command(0, cmd('RAS', 'CS')); // activate
    for (let k = 0; k < patterns; k++) {
      const pat = stream.slice(k * phases * words, (k + 1) * phases * words);
      for (let p = 0; p < phases; p++) for (let j = 0; j < words; j++) access('write', `sdram_dfii_pi${p}_wrdata`, pat[p * words + j]!, 1, j, words);
      command(wr, cmd('CAS', 'WE', 'CS', 'WRDATA'));
      access('write', 'ddrphy_burstdet_clr', 1, 1);
      command(rd, cmd('CAS', 'CS', 'RDDATA'));
      for (let p = 0; p < phases; p++) for (let j = 0; j < words; j++) access('compare', `sdram_dfii_pi${p}_rddata`, pat[p * words + j]!, 1, j, words);
      access('burst', 'ddrphy_burstdet_seen', 0, 1);
    }
    command(0, cmd('RAS', 'WE', 'CS')); // precharge
  });
  if (regs.has('ddrctrl_init_error')) segment('flagError', () => access('write', 'ddrctrl_init_error', 1, MIN_WAIT));
  const laneMasks = Array.from({ length: lanes }, (_, m) => {
    let mask = 0;
    for (let i = 0; i < 32; i++) if (Math.floor((i % databits) / ratio) === m) mask |= 1 << i;
    return mask >>> 0;
  });
  return { lanes, bitslips, delays, ops, segments: segments as LevellingPlan['segments'], laneMasks };
}

/** The setting chosen for one lane's pass map (bit b * delays + d: bitslip b, delay d read right), or null. */
export function chooseSetting(map: bigint, bitslips: number, delays: number): { bitslip: number; delay: number } | null {
  let best: { bitslip: number; start: number; len: number } | null = null;
  for (let b = 0; b < bitslips; b++) {
    let start = 0;
    let len = 0;
    for (let d = 0; d < delays; d++) {
      if ((map >> BigInt(b * delays + d)) & 1n) {
        if (len === 0) start = d;
        len++;
        if (!best || len > best.len) best = { bitslip: b, start, len };
      } else len = 0;
    }
  }
  return best && { bitslip: best.bitslip, delay: best.start + ((best.len - 1) >> 1) };
}

/**
 * The levelling controller: after `start`, levels every lane in turn through a Wishbone master (wb_cyc,
 * wb_stb, wb_we, wb_sel, wb_adr, wb_dat_w; wb_ack, wb_dat_r), then raises `done`. Results, lane 0 in the
 * low bits: `bitslip` and `delay` (the setting chosen; 0 when none), `pass_map` (bitslips x delays bits per
 * lane, bit b * delays + d), `lane_error` (no good setting, or the chosen one failed its check) and `error`.
 */
export function dramLevelling(plan: LevellingPlan, name = 'dram_level'): Module {
  const { lanes: L, bitslips: B, delays: D, ops } = plan;
  if (ops.length === 0) throw new Error('dram levelling: no accesses');
  for (const o of ops) {
    if (!(Number.isInteger(o.adr) && o.adr >= 0 && o.adr < 2 ** 30)) throw new RangeError(`dram levelling: ${o.csr}: address ${o.adr} is not a 30-bit word address`);
    if (!(Number.isInteger(o.wait) && o.wait >= 1 && o.wait < 2 ** 24)) throw new RangeError(`dram levelling: ${o.csr}: wait ${o.wait} is not 1 .. 2^24 - 1 cycles`);
  }
  if (plan.laneMasks.length !== L) throw new Error(`dram levelling: ${plan.laneMasks.length} lane masks for ${L} lanes`);
  if (!(L >= 1 && B >= 1 && D >= 2)) throw new RangeError(`dram levelling: ${L} lanes, ${B} bitslips, ${D} delays: at least 1, 1 and 2`);
  const pcW = Math.max(1, clog2(ops.length));
  const adrW = Math.max(1, clog2(Math.max(...ops.map((o) => o.adr)) + 1));
  const waitW = Math.max(1, clog2(Math.max(...ops.map((o) => o.wait))));
  const laneW = Math.max(1, clog2(L));
  const bW = Math.max(1, clog2(B));
  const dW = Math.max(1, clog2(D));
  const lenW = clog2(D + 1);
  const cntW = Math.max(bW, dW);
  const mapW = B * D;
  const KIND: Record<LevelOpKind, number> = { write: 0, select: 1, compare: 2, burst: 3 };
  return buildModule(name, (m) => {
    const start = m.input('start', Bool);
    const ack = m.input('wb_ack', Bool);
    const datR = m.input('wb_dat_r', UInt(32));

    // ---- the access runner: plays ops from pc to the end of its segment -------------------------------
    const pc = m.reg('pc', UInt(pcW), { reset: 0 });
    const running = m.reg('running', Bool, { reset: 0 });
    const req = m.reg('req', Bool, { reset: 0 });
    const waitLeft = m.reg('wait_left', UInt(waitW), { reset: 0 });
    const fail = m.reg('fail', Bool, { reset: 0 });
    const lane = m.reg('lane', UInt(laneW), { reset: 0 });
    // The table, as a chain of comparisons on pc (under a hundred entries: no memory needed).
    const table = (f: (o: LevelOp) => number, w: number): Expr =>
      ops.reduceRight<Expr>((rest, o, i) => mux(pc.eq(i), lit(f(o), UInt(w)), rest), lit(0, UInt(w)));
    const kind = m.let('op_kind', table((o) => KIND[o.kind], 2));
    const opDat = m.let('op_dat', table((o) => o.dat, 32));
    const opWait = m.let('op_wait', table((o) => o.wait - 1, waitW));
    const opLast = m.let('op_last', table((o) => (o.last ? 1 : 0), 1));
    const laneMask = m.let('lane_mask', plan.laneMasks.reduceRight<Expr>((rest, k, i) => mux(lane.eq(i), lit(k, UInt(32)), rest), lit(0, UInt(32))));
    const laneBit = m.let('lane_bit', lit(1, UInt(32)).shl(lane).trunc(32));
    const mismatch = m.let(
      'mismatch',
      mux(kind.eq(KIND.compare), datR.xor(opDat).and(laneMask).orR(), mux(kind.eq(KIND.burst), datR.shr(lane).bit(0).not(), lit(0, Bool))),
    );
    m.assign(m.output('wb_cyc', Bool), req);
    m.assign(m.output('wb_stb', Bool), req);
    m.assign(m.output('wb_we', Bool), kind.lt(KIND.compare));
    m.assign(m.output('wb_sel', UInt(4)), lit(0xf, UInt(4)));
    m.assign(m.output('wb_adr', UInt(30)), table((o) => o.adr, adrW).zext(30));
    m.assign(m.output('wb_dat_w', UInt(32)), mux(kind.eq(KIND.select), laneBit, opDat));

    // ---- the controller: the loops over lanes, bitslips and delays -------------------------------------
    const fsm = new Fsm(m, 'state', [
      'idle', 'scanBitslipReset', 'scanDelayReset', 'scanTest', 'scanDelayInc', 'scanBitslipInc',
      'setBitslipReset', 'setBitslipInc', 'setDelayReset', 'setDelayInc', 'verify', 'next', 'flag', 'done',
    ] as const);
    const called = m.reg('called', Bool, { reset: 0 });
    const b = m.reg('bitslip_at', UInt(bW), { reset: 0 });
    const d = m.reg('delay_at', UInt(dW), { reset: 0 });
    const cnt = m.reg('count', UInt(cntW), { reset: 0 });
    const scanMap = m.reg('scan_map', UInt(mapW), { reset: 0 });
    // The run of good delays ending at the current one, and the longest so far in this lane.
    const curStart = m.reg('run_start', UInt(dW), { reset: 0 });
    const curLen = m.reg('run_len', UInt(lenW), { reset: 0 });
    const bestB = m.reg('best_bitslip', UInt(bW), { reset: 0 });
    const bestStart = m.reg('best_start', UInt(dW), { reset: 0 });
    const bestLen = m.reg('best_len', UInt(lenW), { reset: 0 });
    const laneFail = m.reg('lane_fail', Bool, { reset: 0 });
    const found = m.let('found', bestLen.ne(0));
    const targetB = m.let('target_bitslip', mux(found, bestB, lit(0, UInt(bW))));
    const mid = bestStart.zext(lenW + 1).add(bestLen.sub(1).trunc(lenW).shr(1)).trunc(dW);
    const targetD = m.let('target_delay', mux(found, mid, lit(0, UInt(dW))));
    const resMap = Array.from({ length: L }, (_, i) => m.reg(`map_${i}`, UInt(mapW), { reset: 0 }));
    const resB = Array.from({ length: L }, (_, i) => m.reg(`bitslip_${i}`, UInt(bW), { reset: 0 }));
    const resD = Array.from({ length: L }, (_, i) => m.reg(`delay_${i}`, UInt(dW), { reset: 0 }));
    const resErr = Array.from({ length: L }, (_, i) => m.reg(`error_${i}`, Bool, { reset: 0 }));
    const anyErr = m.let('any_error', resErr.reduce<Expr>((a, e) => a.or(e), lit(0, Bool)));
    const pass = fail.not();
    const runLen = curLen.add(1).trunc(lenW);
    const runStart = mux(curLen.eq(0), d, curStart);

    m.sync(() => {
      // Starts a segment; the controller stays in its state and, once the segment is done, runs `after`.
      const call = (s: Segment, after: () => void) => {
        const at = plan.segments[s];
        if (at === undefined) throw new Error(`dram levelling: no segment ${s}`);
        m.if(called.not(), () => {
          pc.set(lit(at, UInt(pcW)));
          running.set(1);
          req.set(1);
          fail.set(0);
          called.set(1);
        }).else(() => {
          called.set(0);
          after();
        });
      };
      m.if(running, () => {
        m.if(req, () => {
          m.if(ack, () => {
            req.set(0);
            waitLeft.set(opWait);
            m.if(mismatch, () => fail.set(1));
          });
        }).else(() => {
          m.if(waitLeft.eq(0), () => {
            m.if(opLast, () => running.set(0)).else(() => {
              pc.set(pc.add(1).trunc(pcW));
              req.set(1);
            });
          }).else(() => waitLeft.set(waitLeft.sub(1).trunc(waitW)));
        });
      }).else(() => {
        fsm.switch({
          idle: () => m.if(start, () => fsm.goto('scanBitslipReset')),
          scanBitslipReset: () =>
            call('bitslipReset', () => {
              b.set(0);
              bestLen.set(0);
              scanMap.set(0);
              fsm.goto('scanDelayReset');
            }),
          scanDelayReset: () =>
            call('delayReset', () => {
              d.set(0);
              curLen.set(0);
              fsm.goto('scanTest');
            }),
          scanTest: () =>
            call('test', () => {
              // Shifted in from the top: after the last test, bit b * D + d holds setting (b, d).
              scanMap.set(cat(pass, scanMap.slice(mapW - 1, 1)));
              m.if(pass, () => {
                curLen.set(runLen);
                curStart.set(runStart);
                m.if(runLen.gt(bestLen), () => {
                  bestLen.set(runLen);
                  bestB.set(b);
                  bestStart.set(runStart);
                });
              }).else(() => curLen.set(0));
              fsm.goto('scanDelayInc');
            }),
          scanDelayInc: () =>
            call('delayInc', () => {
              m.if(d.eq(D - 1), () => fsm.goto('scanBitslipInc')).else(() => {
                d.set(d.add(1).trunc(dW));
                fsm.goto('scanTest');
              });
            }),
          scanBitslipInc: () =>
            call('bitslipInc', () => {
              m.if(b.eq(B - 1), () => fsm.goto('setBitslipReset')).else(() => {
                b.set(b.add(1).trunc(bW));
                fsm.goto('scanDelayReset');
              });
            }),
          setBitslipReset: () =>
            call('bitslipReset', () => {
              cnt.set(0);
              fsm.goto('setBitslipInc');
            }),
          setBitslipInc: () =>
            m.if(called.not().and(cnt.eq(targetB)), () => fsm.goto('setDelayReset')).else(() => call('bitslipInc', () => cnt.set(cnt.add(1).trunc(cntW)))),
          setDelayReset: () =>
            call('delayReset', () => {
              cnt.set(0);
              fsm.goto('setDelayInc');
            }),
          setDelayInc: () =>
            m.if(called.not().and(cnt.eq(targetD)), () => fsm.goto('verify')).else(() => call('delayInc', () => cnt.set(cnt.add(1).trunc(cntW)))),
          verify: () =>
            m.if(found.not(), () => {
              laneFail.set(1);
              fsm.goto('next');
            }).else(() =>
              call('test', () => {
                laneFail.set(fail);
                fsm.goto('next');
              }),
            ),
          next: () => {
            for (let i = 0; i < L; i++) {
              m.if(lane.eq(i), () => {
                resMap[i]!.set(scanMap);
                resB[i]!.set(targetB);
                resD[i]!.set(targetD);
                resErr[i]!.set(laneFail);
              });
            }
            m.if(lane.eq(L - 1), () => fsm.goto('flag')).else(() => {
              lane.set(lane.add(1).trunc(laneW));
              fsm.goto('scanBitslipReset');
            });
          },
          flag: () => {
            if (plan.segments.flagError === undefined) fsm.goto('done');
            else m.if(anyErr, () => call('flagError', () => fsm.goto('done'))).else(() => fsm.goto('done'));
          },
        });
      });
    });
    const lanesCat = (regs: Expr[]): Expr => (regs.length === 1 ? regs[0]! : cat(...[...regs].reverse()));
    m.assign(m.output('done', Bool), fsm.is('done'));
    m.assign(m.output('error', Bool), anyErr);
    m.assign(m.output('lane_error', UInt(L)), lanesCat(resErr));
    m.assign(m.output('bitslip', UInt(L * bW)), lanesCat(resB));
    m.assign(m.output('delay', UInt(L * dW)), lanesCat(resD));
    m.assign(m.output('pass_map', UInt(L * mapW)), lanesCat(resMap));
  });
}
