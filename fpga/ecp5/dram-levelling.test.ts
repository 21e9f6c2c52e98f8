// DDR3 read levelling: the plan read from a core's generated files, the window choice, and the controller
// in Verilator, wired into the start-up sequencer, against a behavioural model of LiteDRAM's wb_ctrl CSRs
// and a PHY fake whose read-back is right only at the (bitslip, delay) settings a test gives it per lane.
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { elaborate } from '../../hdl/ir/elaborate.ts';
import { writeVerilog } from '../../hdl/verilog/emit.ts';
import { lintVerilator } from '../../flow/verilator-lint.ts';
import { lintYosys } from '../../flow/yosys.ts';
import { buildVerilatorModel, runModel, StimulusScript } from '../../flow/verilator.ts';
import { dramInitSequencer, type InitStep } from './dram-init.ts';
import { chooseSetting, dramLevelling, dramLevellingPlan, LEVELLING_PATTERNS, type LevellingPlan } from './dram-levelling.ts';
import { haveVerilator, testTempDir } from '../../flow/verilator-test-support.ts';

const tmp = testTempDir('dram-level-test-');

interface Shape {
  lanes: number;
  bitslips: number;
  delays: number;
  phases: number;
  /** DQ lines (SDRAM_PHY_DATABITS); a DFI phase carries 4 beats of them. */
  databits: number;
  rdphase: number;
  wrphase: number;
}
/** The ECPIX-5's core (LiteDRAM 2024.12, ECP5DDRPHY, one x16 part). */
const ECPIX5: Shape = { lanes: 2, bitslips: 4, delays: 8, phases: 2, databits: 16, rdphase: 0, wrphase: 1 };
/** Another shape: four lanes of a x32 bus, other phases, fewer settings. */
const X32: Shape = { lanes: 4, bitslips: 2, delays: 4, phases: 2, databits: 32, rdphase: 1, wrphase: 0 };

const CMD = { CS: 0x01, WE: 0x02, CAS: 0x04, RAS: 0x08, WRDATA: 0x10, RDDATA: 0x20 };

/**
 * A core directory as litedram_gen writes it, cut to what is read: sdram_phy.h's defines and csr.json, laid
 * out as LiteX lays out the banks (ddrctrl at 0, ddrphy at 0x800, sdram at 0x1000; for the ECPIX-5 shape
 * these are the generated core's addresses).
 */
function fakeCore(shape: Shape, o: { phyCsrs?: boolean; drop?: string; capable?: boolean } = {}): string {
  const dir = fs.mkdtempSync(path.join(tmp(), 'core-'));
  const inc = path.join(dir, 'software', 'include', 'generated');
  fs.mkdirSync(inc, { recursive: true });
  const dfiBits = 4 * shape.databits;
  const defs = [
    ...Object.entries(CMD).map(([k, v]) => `#define DFII_COMMAND_${k} 0x${v.toString(16).padStart(2, '0')}`),
    '#define SDRAM_PHY_ECP5DDRPHY',
    `#define SDRAM_PHY_DATABITS ${shape.databits}`,
    `#define SDRAM_PHY_DFI_DATABITS ${dfiBits}`,
    `#define SDRAM_PHY_PHASES ${shape.phases}`,
    `#define SDRAM_PHY_RDPHASE ${shape.rdphase}`,
    `#define SDRAM_PHY_WRPHASE ${shape.wrphase}`,
    ...(o.capable === false ? [] : ['#define SDRAM_PHY_READ_LEVELING_CAPABLE']),
    '#define SDRAM_PHY_DQ_DQS_RATIO 8',
    `#define SDRAM_PHY_MODULES ${shape.lanes}`,
    `#define SDRAM_PHY_DELAYS ${shape.delays}`,
    `#define SDRAM_PHY_BITSLIPS ${shape.bitslips}`,
  ];
  fs.writeFileSync(path.join(inc, 'sdram_phy.h'), `#ifndef X\n${defs.join('\n')}\n#endif\n`);
  const regs: Record<string, { addr: number; size: number; type: string }> = {};
  const bank = (base: number, list: [string, number, string][]) => {
    let a = base;
    for (const [n, size, type] of list) {
      if (n !== o.drop) regs[n] = { addr: a, size, type };
      a += 4 * size;
    }
  };
  bank(0, [['ddrctrl_init_done', 1, 'rw'], ['ddrctrl_init_error', 1, 'rw']]);
  if (o.phyCsrs !== false) {
    bank(0x800, [
      ['ddrphy_dly_sel', 1, 'rw'], ['ddrphy_rdly_dq_rst', 1, 'rw'], ['ddrphy_rdly_dq_inc', 1, 'rw'], ['ddrphy_rdly_dq_bitslip_rst', 1, 'rw'],
      ['ddrphy_rdly_dq_bitslip', 1, 'rw'], ['ddrphy_burstdet_clr', 1, 'rw'], ['ddrphy_burstdet_seen', 1, 'ro'],
    ]);
  }
  const w = dfiBits / 32;
  bank(0x1000, [
    ['sdram_dfii_control', 1, 'rw'],
    ...Array.from({ length: shape.phases }, (_, p): [string, number, string][] => [
      [`sdram_dfii_pi${p}_command`, 1, 'rw'], [`sdram_dfii_pi${p}_command_issue`, 1, 'rw'], [`sdram_dfii_pi${p}_address`, 1, 'rw'],
      [`sdram_dfii_pi${p}_baddress`, 1, 'rw'], [`sdram_dfii_pi${p}_wrdata`, w, 'rw'], [`sdram_dfii_pi${p}_rddata`, w, 'ro'],
    ]).flat(),
  ]);
  fs.writeFileSync(path.join(dir, 'csr.json'), JSON.stringify({ csr_bases: {}, csr_registers: regs, constants: {}, memories: {} }, null, 2));
  return dir;
}

const csrJson = (dir: string) => (JSON.parse(fs.readFileSync(path.join(dir, 'csr.json'), 'utf8')) as { csr_registers: Record<string, { addr: number; size: number }> }).csr_registers;

describe('the levelling plan', () => {
  it("takes the PHY's shape from sdram_phy.h and every address from csr.json", () => {
    for (const shape of [ECPIX5, X32]) {
      const dir = fakeCore(shape);
      const plan = dramLevellingPlan({ dir })!;
      expect([plan.lanes, plan.bitslips, plan.delays]).toEqual([shape.lanes, shape.bitslips, shape.delays]);
      const regs = csrJson(dir);
      for (const op of plan.ops) {
        const r = regs[op.csr]!;
        expect(op.adr - r.addr / 4, op.csr).toBeGreaterThanOrEqual(0);
        expect(op.adr - r.addr / 4, op.csr).toBeLessThan(r.size);
      }
      // Each lane's mask covers its 8 DQ lines in every beat of a 32-bit word; together they cover the word.
      expect(plan.laneMasks.reduce((a, m) => a | m, 0) >>> 0).toBe(0xffffffff);
      for (const m of plan.laneMasks) expect(m.toString(2).replace(/0/g, '').length).toBe(32 / shape.lanes);
      // The commands go to the phases the header names.
      const issue = (p: number) => plan.ops.filter((o) => o.csr === `sdram_dfii_pi${p}_command`).map((o) => o.dat);
      expect(issue(shape.wrphase)).toContain(CMD.CAS | CMD.WE | CMD.CS | CMD.WRDATA);
      expect(issue(shape.rdphase)).toContain(CMD.CAS | CMD.CS | CMD.RDDATA);
      expect(plan.ops.filter((o) => o.kind === 'burst').length).toBe(LEVELLING_PATTERNS);
      expect(plan.segments.flagError).toBeDefined();
    }
  });

  it('is none for a core without the PHY CSRs (the simulation) or a PHY that is not levelled', () => {
    expect(dramLevellingPlan({ dir: fakeCore(ECPIX5, { phyCsrs: false }) })).toBeNull();
    expect(dramLevellingPlan({ dir: fakeCore(ECPIX5, { capable: false }) })).toBeNull();
  });

  it('refuses a core it cannot level, naming the file and the missing piece', () => {
    const dir = fakeCore(ECPIX5, { drop: 'ddrphy_burstdet_seen' });
    expect(() => dramLevellingPlan({ dir })).toThrow(`dram levelling: ${path.join(dir, 'software', 'include', 'generated', 'sdram_phy.h')}: no CSR 'ddrphy_burstdet_seen' in csr.json (an ECP5DDRPHY core has it)`);
    const d2 = fakeCore(ECPIX5);
    fs.writeFileSync(path.join(d2, 'csr.json'), '{"csr_registers": {"x": {"addr": 3, "size": 1}}}');
    expect(() => dramLevellingPlan({ dir: d2 })).toThrow(/csr.json: csr_registers.x: bad addr or size/);
    const d3 = fakeCore({ ...ECPIX5, databits: 24, lanes: 3 });
    expect(() => dramLevellingPlan({ dir: d3 })).toThrow(/24 data bits, 3 modules of 8, 96 DFI bits: not a shape levelled here/);
    expect(() => dramLevellingPlan({ dir: path.join(tmp(), 'none') })).toThrow(/sdram_phy.h: missing/);
  });
});

describe('the window choice', () => {
  const row = (b: number, from: number, to: number, D = 8) => {
    let m = 0n;
    for (let d = from; d <= to; d++) m |= 1n << BigInt(b * D + d);
    return m;
  };
  it('takes the middle of the longest run of good delays, the first on a tie', () => {
    expect(chooseSetting(0n, 4, 8)).toBeNull();
    expect(chooseSetting(row(1, 2, 5), 4, 8)).toEqual({ bitslip: 1, delay: 3 });
    expect(chooseSetting(row(2, 0, 7), 4, 8)).toEqual({ bitslip: 2, delay: 3 });
    expect(chooseSetting(row(3, 7, 7), 4, 8)).toEqual({ bitslip: 3, delay: 7 });
    expect(chooseSetting(row(0, 3, 5) | row(3, 0, 1) | row(3, 4, 7), 4, 8)).toEqual({ bitslip: 3, delay: 5 });
    expect(chooseSetting(row(1, 6, 7) | row(2, 6, 7), 4, 8)).toEqual({ bitslip: 1, delay: 6 });
    // A run does not continue from one bitslip's last delay into the next bitslip's first.
    expect(chooseSetting(row(0, 6, 7) | row(1, 0, 0), 4, 8)).toEqual({ bitslip: 0, delay: 6 });
  });
});

// ---- in Verilator -------------------------------------------------------------------------------------

/**
 * The bench: the start-up sequencer (a few init writes, then levelling, then the hand-over) against a model
 * of wb_ctrl: the CSRs of csr.json at their addresses, acknowledged `lag` cycles late; the DFI injectors
 * (a write command stores both phases' wrdata, a read command returns it); and a PHY fake with per-lane
 * bitslip and delay, stepped and reset only for the lanes dly_sel selects. A read is right on a lane when
 * good[lane] has the lane's current (bitslip, delay), else the lane's bits come back flipped; burstdet is seen
 * when burst[lane] has it. vbreak[lane] breaks the lane's reads after its scan (the check of the chosen
 * setting fails). Anything out of protocol counts in `violations`.
 */
function bench(plan: LevellingPlan, shape: Shape, dir: string, lag: number): string {
  const regs = csrJson(dir);
  const A = (n: string, k = 0) => `30'd${regs[n]!.addr / 4 + k}`;
  const { lanes: L, bitslips: B, delays: D } = plan;
  const BD = B * D;
  const W = (4 * shape.databits) / 32;
  const P = shape.phases;
  const bW = Math.max(1, Math.ceil(Math.log2(B)));
  const dW = Math.max(1, Math.ceil(Math.log2(D)));
  const lanesLoop = (f: (i: number) => string) => Array.from({ length: L }, (_, i) => f(i)).join('\n');
  const words = (f: (p: number, j: number) => string) =>
    Array.from({ length: P }, (_, p) => Array.from({ length: W }, (_, j) => f(p, j))).flat().join('\n');
  const cell = (i: number) => `({${32 - bW - dW}'d0, bs${i}, dl${i}})`;
  const perScan = BD * LEVELLING_PATTERNS;
  return `
/* verilator lint_off UNUSEDSIGNAL */
/* verilator lint_off WIDTH */
module lev_bench (
  input wire clk, input wire rst,
  input wire [${L * BD - 1}:0] good, input wire [${L * BD - 1}:0] burst, input wire [${L - 1}:0] vbreak,
  output wire done, output wire lev_done, output wire lev_error, output wire [${L - 1}:0] lane_error,
  output wire [${L * bW - 1}:0] lev_bs, output wire [${L * dW - 1}:0] lev_dl, output wire [${L * BD - 1}:0] lev_map,
  output wire [${L * bW - 1}:0] phy_bs, output wire [${L * dW - 1}:0] phy_dl,
  output reg init_done, output reg init_error, output reg [31:0] control, output reg [15:0] violations, output reg [15:0] reads
);
  wire cyc, stb, we, ack;
  wire [3:0] sel;
  wire [29:0] adr;
  wire [31:0] dat_w;
  reg [31:0] dat_r;
  reg [7:0] held;
  assign ack = cyc && stb && held == 8'd${lag};
  reg [${L - 1}:0] dly_sel;
  reg [${L - 1}:0] seen;
  reg row_open;
${lanesLoop((i) => `  reg [${bW - 1}:0] bs${i};\n  reg [${dW - 1}:0] dl${i};\n  reg [15:0] lane_reads${i};`)}
${words((p, j) => `  reg [31:0] wr${p}_${j}, st${p}_${j}, rd${p}_${j};`)}
${Array.from({ length: P }, (_, p) => `  reg [31:0] cmd${p}, addr${p}, baddr${p};`).join('\n')}
  // The lanes a read gets wrong: outside the good settings, or broken after the scan.
  wire [31:0] flip = 32'd0${lanesLoop((i) => ` | ((!good[${i * BD} + ${cell(i)}] || (vbreak[${i}] && lane_reads${i} >= 16'd${perScan})) ? 32'h${plan.laneMasks[i]!.toString(16)} & 32'h5a5a5a5a : 32'd0)`)};
  wire [${L - 1}:0] burst_now = {${Array.from({ length: L }, (_, i) => `burst[${(L - 1 - i) * BD} + ${cell(L - 1 - i)}]`).join(', ')}};
  assign phy_bs = {${Array.from({ length: L }, (_, i) => `bs${L - 1 - i}`).join(', ')}};
  assign phy_dl = {${Array.from({ length: L }, (_, i) => `dl${L - 1 - i}`).join(', ')}};
  // The lane whose scan is running: the one selected last (reads count against it).
  reg [${L - 1}:0] last_sel;
  always @(posedge clk) begin
    if (rst || !cyc || ack) held <= 8'd0; else held <= held + 8'd1;
    if (rst) begin
      dly_sel <= 0; last_sel <= 0; seen <= 0; row_open <= 0; init_done <= 0; init_error <= 0; control <= 0; violations <= 0; reads <= 0;
${lanesLoop((i) => `      bs${i} <= 0; dl${i} <= 0; lane_reads${i} <= 0;`)}
${words((p, j) => `      wr${p}_${j} <= 0; st${p}_${j} <= 0; rd${p}_${j} <= 0;`)}
${Array.from({ length: P }, (_, p) => `      cmd${p} <= 0; addr${p} <= 0; baddr${p} <= 0;`).join('\n')}
    end else if (ack) begin
      if (sel != 4'hf) violations <= violations + 16'd1;
      if (we) begin
        case (adr)
          ${A('ddrctrl_init_done')}: init_done <= dat_w[0];
          ${A('ddrctrl_init_error')}: init_error <= dat_w[0];
          ${A('sdram_dfii_control')}: control <= dat_w;
          ${A('ddrphy_dly_sel')}: begin dly_sel <= dat_w[${L - 1}:0]; if (dat_w[${L - 1}:0] != 0 && dat_w[${L - 1}:0] != {${L}{1'b1}}) last_sel <= dat_w[${L - 1}:0]; end
          ${A('ddrphy_rdly_dq_rst')}: begin
${lanesLoop((i) => `            if (dly_sel[${i}]) dl${i} <= 0;`)}
          end
          ${A('ddrphy_rdly_dq_inc')}: begin
${lanesLoop((i) => `            if (dly_sel[${i}]) dl${i} <= dl${i} + 1'b1;`)}
          end
          ${A('ddrphy_rdly_dq_bitslip_rst')}: begin
${lanesLoop((i) => `            if (dly_sel[${i}]) bs${i} <= 0;`)}
          end
          ${A('ddrphy_rdly_dq_bitslip')}: begin
${lanesLoop((i) => `            if (dly_sel[${i}]) bs${i} <= bs${i} + 1'b1;`)}
          end
          ${A('ddrphy_burstdet_clr')}: seen <= 0;
${words((p, j) => `          ${A(`sdram_dfii_pi${p}_wrdata`, j)}: wr${p}_${j} <= dat_w;`)}
${Array.from({ length: P }, (_, p) => `          ${A(`sdram_dfii_pi${p}_command`)}: cmd${p} <= dat_w;
          ${A(`sdram_dfii_pi${p}_address`)}: addr${p} <= dat_w;
          ${A(`sdram_dfii_pi${p}_baddress`)}: baddr${p} <= dat_w;
          ${A(`sdram_dfii_pi${p}_command_issue`)}: begin
            // Commands only under software control (CKE, ODT, RESET_N), before the hand-over, at row, bank and column 0.
            if (control != 32'h0e || init_done || addr${p} != 0 || baddr${p} != 0) violations <= violations + 16'd1;
            if (${p} == 0 && cmd${p} == 32'h${(CMD.RAS | CMD.CS).toString(16)}) begin
              if (row_open) violations <= violations + 16'd1;
              row_open <= 1;
            end else if (${p} == 0 && cmd${p} == 32'h${(CMD.RAS | CMD.WE | CMD.CS).toString(16)}) row_open <= 0;
            else if (${p} == ${shape.wrphase} && cmd${p} == 32'h${(CMD.CAS | CMD.WE | CMD.CS | CMD.WRDATA).toString(16)} && row_open) begin
${words((q, j) => `              st${q}_${j} <= wr${q}_${j};`)}
            end else if (${p} == ${shape.rdphase} && cmd${p} == 32'h${(CMD.CAS | CMD.CS | CMD.RDDATA).toString(16)} && row_open) begin
${words((q, j) => `              rd${q}_${j} <= st${q}_${j} ^ flip;`)}
              seen <= burst_now;
              reads <= reads + 16'd1;
${lanesLoop((i) => `              if (last_sel[${i}]) lane_reads${i} <= lane_reads${i} + 16'd1;`)}
            end else violations <= violations + 16'd1;
          end`).join('\n')}
          default: violations <= violations + 16'd1;
        endcase
      end else begin
        case (adr)
          ${A('ddrphy_burstdet_seen')}: ;
${words((p, j) => `          ${A(`sdram_dfii_pi${p}_rddata`, j)}: ;`)}
          default: violations <= violations + 16'd1;
        endcase
      end
    end
  end
  always @(*) begin
    case (adr)
      ${A('ddrphy_burstdet_seen')}: dat_r = {${32 - L}'d0, seen};
${words((p, j) => `      ${A(`sdram_dfii_pi${p}_rddata`, j)}: dat_r = rd${p}_${j};`)}
      default: dat_r = 32'hdeadbeef;
    endcase
  end
  dram_init_seq u (.clk(clk), .rst(rst), .wb_cyc(cyc), .wb_stb(stb), .wb_we(we), .wb_sel(sel), .wb_adr(adr),
                   .wb_dat_w(dat_w), .wb_ack(ack), .wb_dat_r(dat_r), .done(done),
                   .level_done(lev_done), .level_error(lev_error), .level_lane_error(lane_error),
                   .level_bitslip(lev_bs), .level_delay(lev_dl), .level_map(lev_map));
endmodule
`;
}

/** The start-up list around the levelling: software control, then the hand-over and init_done. */
function initSteps(dir: string): InitStep[] {
  const regs = csrJson(dir);
  const a = (n: string) => regs[n]!.addr / 4;
  return [
    { csr: 'sdram_dfii_control', adr: a('sdram_dfii_control'), dat: 0x0e, wait: 40 },
    { csr: 'sdram_dfii_control', adr: a('sdram_dfii_control'), dat: 0x01, wait: 16, handOver: true },
    { csr: 'ddrctrl_init_done', adr: a('ddrctrl_init_done'), dat: 1, wait: 16 },
  ];
}

interface Case {
  name: string;
  good: bigint[];
  burst?: bigint[];
  vbreak?: number[];
}

async function runCases(shape: Shape, cases: Case[], lag: number) {
  const dir = fakeCore(shape);
  const plan = dramLevellingPlan({ dir })!;
  const { lanes: L, bitslips: B, delays: D } = plan;
  const BD = B * D;
  const bW = Math.max(1, Math.ceil(Math.log2(B)));
  const dW = Math.max(1, Math.ceil(Math.log2(D)));
  const rtl = fs.mkdtempSync(path.join(tmp(), 'rtl-'));
  const seq = dramInitSequencer(initSteps(dir), 'dram_init_seq', plan);
  const files = writeVerilog(elaborate(seq), rtl);
  expect(lintVerilator(files, seq.name).messages).toEqual([]);
  expect(await lintYosys({ top: seq.name, sources: files })).toEqual([]);
  const b = path.join(rtl, 'lev_bench.v');
  fs.writeFileSync(b, bench(plan, shape, dir, lag));
  const outs: [string, number][] = [
    ['done', 1], ['lev_done', 1], ['lev_error', 1], ['lane_error', L], ['lev_bs', L * bW], ['lev_dl', L * dW], ['lev_map', L * BD],
    ['phy_bs', L * bW], ['phy_dl', L * dW], ['init_done', 1], ['init_error', 1], ['control', 32], ['violations', 16], ['reads', 16],
  ];
  const ports = [
    { name: 'clk', width: 1, dir: 'input' as const },
    { name: 'rst', width: 1, dir: 'input' as const },
    { name: 'good', width: L * BD, dir: 'input' as const },
    { name: 'burst', width: L * BD, dir: 'input' as const },
    { name: 'vbreak', width: L, dir: 'input' as const },
    ...outs.map(([name, width]) => ({ name, width, dir: 'output' as const })),
  ];
  const model = await buildVerilatorModel({ top: 'lev_bench', sources: [b, ...files], ports, cacheDir: path.join(tmp(), 'cache') });
  const join = (v: bigint[]) => v.reduce((acc, x, i) => acc | (x << BigInt(i * BD)), 0n);
  const script = new StimulusScript(model.ports);
  cases.forEach((c, k) => {
    script.set('good', join(c.good)).set('burst', join(c.burst ?? c.good)).set('vbreak', (c.vbreak ?? []).reduce((a, i) => a | (1 << i), 0));
    script.set('rst', 1).tick(2).set('rst', 0).tick(1).get(`c${k}_before`, 'done');
    // Bounded: no window must end in an error, not a hang (the harness fails the run on a timeout).
    script.waitFor('done', 2_000_000).tick(1);
    for (const [o] of outs) script.get(`c${k}_${o}`, o);
  });
  const r = await runModel(model, script, { timeoutMs: 240_000 });
  const field = (v: bigint, i: number, w: number) => Number((v >> BigInt(i * w)) & ((1n << BigInt(w)) - 1n));
  cases.forEach((c, k) => {
    const g = (o: string) => r.samples.get(`c${k}_${o}`)![0]!;
    const at = `${c.name} (${L} lanes, ${B} bitslips, ${D} delays, lag ${lag})`;
    expect(g('before'), at).toBe(0n);
    expect([g('done'), g('lev_done'), g('init_done'), g('control'), g('violations')], at).toEqual([1n, 1n, 1n, 1n, 0n]);
    let anyErr = false;
    for (let i = 0; i < L; i++) {
      const passMap = c.good[i]! & (c.burst ?? c.good)[i]!;
      const want = chooseSetting(passMap, B, D);
      const err = !want || (c.vbreak ?? []).includes(i);
      anyErr ||= err;
      const lane = `${at}, lane ${i}`;
      expect(BigInt(field(g('lev_map'), i, BD)), `${lane}: pass map`).toBe(passMap);
      expect({ bitslip: field(g('lev_bs'), i, bW), delay: field(g('lev_dl'), i, dW), error: field(g('lane_error'), i, 1) === 1 }, lane).toEqual({
        bitslip: want?.bitslip ?? 0,
        delay: want?.delay ?? 0,
        error: err,
      });
      // The PHY was left at the chosen setting (reset for a lane with none).
      expect({ bitslip: field(g('phy_bs'), i, bW), delay: field(g('phy_dl'), i, dW) }, `${lane}: PHY`).toEqual({ bitslip: want?.bitslip ?? 0, delay: want?.delay ?? 0 });
    }
    expect([g('lev_error'), g('init_error')], at).toEqual([BigInt(anyErr), BigInt(anyErr)]);
    // Every setting of every lane read with every pattern, and one check per lane that has a window.
    const checks = c.good.filter((_, i) => chooseSetting(c.good[i]! & (c.burst ?? c.good)[i]!, B, D)).length;
    expect(Number(g('reads')), `${at}: reads`).toBe((L * BD + checks) * LEVELLING_PATTERNS);
  });
}

/** Settings (b, from..to) good in a lane's map of B bitslips x D delays. */
function windows(D: number, ...runs: [number, number, number][]): bigint {
  let m = 0n;
  for (const [b, from, to] of runs) for (let d = from; d <= to; d++) m |= 1n << BigInt(b * D + d);
  return m;
}

function randomMaps(seed: number, n: number, lanes: number, bits: number): bigint[][] {
  let s = seed;
  const r = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 8) & 0xffff;
  return Array.from({ length: n }, () =>
    Array.from({ length: lanes }, () => {
      let m = 0n;
      // Sparse to dense: a setting is good with probability 1/4, 1/2 or 3/4.
      const p = 1 + (r() % 3);
      for (let i = 0; i < bits; i++) if (r() % 4 < p) m |= 1n << BigInt(i);
      return m;
    }),
  );
}

describe.skipIf(!haveVerilator)('read levelling in the start-up sequencer, in Verilator', () => {
  it('finds the window the PHY fake reads right in, on the ECPIX-5 shape', async () => {
    const w = (...runs: [number, number, number][]) => windows(8, ...runs);
    const all = w([0, 0, 7], [1, 0, 7], [2, 0, 7], [3, 0, 7]);
    const cases: Case[] = [
      { name: 'one window per lane', good: [w([1, 2, 5]), w([2, 0, 7])] },
      { name: 'a single good setting; none on the other lane', good: [0n, w([0, 0, 0])] },
      { name: 'no good setting at all', good: [0n, 0n] },
      { name: 'the longest of several runs; the first of two equal ones', good: [w([0, 3, 5], [3, 0, 1], [3, 4, 7]), w([1, 6, 7], [2, 6, 7])] },
      { name: 'every setting good', good: [all, all] },
      { name: 'data right but no burst detected', good: [w([2, 1, 6]), w([3, 0, 7])], burst: [w([2, 1, 3]), 0n] },
      { name: 'the chosen setting fails its check', good: [w([1, 0, 3]), w([3, 2, 7])], vbreak: [1] },
      { name: 'at the last bitslip and delay', good: [w([3, 7, 7]), w([3, 5, 7])] },
      ...randomMaps(7, 3, 2, 32).map((good, k) => ({ name: `random maps ${k}`, good })),
    ];
    await runCases(ECPIX5, cases, 1);
  }, 600_000);

  it('levels other shapes from their headers: four lanes, other phases, acknowledged late', async () => {
    const w = (...runs: [number, number, number][]) => windows(4, ...runs);
    const cases: Case[] = [
      { name: 'one window per lane', good: [w([0, 1, 2]), w([1, 0, 3]), 0n, w([1, 3, 3])] },
      ...randomMaps(11, 2, 4, 8).map((good, k) => ({ name: `random maps ${k}`, good })),
    ];
    await runCases(X32, cases, 3);
  }, 600_000);

  it('refuses a plan it cannot hold', () => {
    const plan = dramLevellingPlan({ dir: fakeCore(ECPIX5) })!;
    expect(() => dramLevelling({ ...plan, ops: [] })).toThrow('dram levelling: no accesses');
    expect(() => dramLevelling({ ...plan, ops: [{ ...plan.ops[0]!, adr: 2 ** 30 }] })).toThrow(/ddrphy_dly_sel: address .* 30-bit/);
    expect(() => dramLevelling({ ...plan, laneMasks: [1] })).toThrow('dram levelling: 1 lane masks for 2 lanes');
    expect(() => dramInitSequencer([{ csr: 'x', adr: 0, dat: 0, wait: 1 }], 'seq', plan)).toThrow(/needs the hand-over step/);
  });
});
