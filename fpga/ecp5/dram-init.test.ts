// The DDR3 start-up list read from LiteDRAM's generated sdram_phy.h, and the sequencer that plays it on
// wb_ctrl, in Verilator against a Wishbone slave that acknowledges late.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { elaborate } from '../../hdl/ir/elaborate.ts';
import { writeVerilog } from '../../hdl/verilog/emit.ts';
import { buildVerilatorModel, runModel, StimulusScript, verilatorVersion } from '../../flow/verilator.ts';
import { CYCLES_PER_CDELAY, dramInitSequencer, dramInitSteps, MIN_WAIT, type InitStep } from './dram-init.ts';

let haveVerilator = true;
try {
  verilatorVersion();
} catch {
  haveVerilator = false;
}

// The shape of litedram_gen's sdram_phy.h (LiteDRAM 2024.12, ECP5DDRPHY, DDR3), cut to what is read.
const HEADER = `#define DFII_CONTROL_SEL 0x01
#define DFII_CONTROL_CKE 0x02
#define DFII_CONTROL_ODT 0x04
#define DFII_CONTROL_RESET_N 0x08
#define DFII_COMMAND_CS 0x01
#define DFII_COMMAND_WE 0x02
#define DFII_COMMAND_CAS 0x04
#define DFII_COMMAND_RAS 0x08
static inline void init_sequence(void)
{
	/* Release reset */
	sdram_dfii_pi0_address_write(0x0);
	sdram_dfii_pi0_baddress_write(0);
	sdram_dfii_control_write(DFII_CONTROL_ODT|DFII_CONTROL_RESET_N);
	cdelay(50000);

	/* Load Mode Register 0, CL=6, BL=8 */
	sdram_dfii_pi0_address_write(0x320);
	sdram_dfii_pi0_baddress_write(0);
	command_p0(DFII_COMMAND_RAS|DFII_COMMAND_CAS|DFII_COMMAND_WE|DFII_COMMAND_CS);
	cdelay(200);
}
`;
const CSR = new Map([
  ['ddrctrl_init_done', 0],
  ['sdram_dfii_control', 0x400],
  ['sdram_dfii_pi0_command', 0x401],
  ['sdram_dfii_pi0_command_issue', 0x402],
  ['sdram_dfii_pi0_address', 0x403],
  ['sdram_dfii_pi0_baddress', 0x404],
]);

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dram-init-test-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function coreWith(header: string): { dir: string; csr: Map<string, number> } {
  const dir = fs.mkdtempSync(path.join(tmp, 'core-'));
  const inc = path.join(dir, 'software', 'include', 'generated');
  fs.mkdirSync(inc, { recursive: true });
  fs.writeFileSync(path.join(inc, 'sdram_phy.h'), header);
  return { dir, csr: CSR };
}

describe('the DDR3 start-up list', () => {
  it("is LiteDRAM's init_sequence as CSR writes, its delays as waits, then the hand-over and init_done", () => {
    const steps = dramInitSteps(coreWith(HEADER));
    expect(steps.map((s) => [s.csr, s.adr, s.dat, s.wait])).toEqual([
      ['sdram_dfii_pi0_address', 0x403, 0, MIN_WAIT],
      ['sdram_dfii_pi0_baddress', 0x404, 0, MIN_WAIT],
      ['sdram_dfii_control', 0x400, 0x0c, 50000 * CYCLES_PER_CDELAY],
      ['sdram_dfii_pi0_address', 0x403, 0x320, MIN_WAIT],
      ['sdram_dfii_pi0_baddress', 0x404, 0, MIN_WAIT],
      ['sdram_dfii_pi0_command', 0x401, 0x0f, MIN_WAIT],
      ['sdram_dfii_pi0_command_issue', 0x402, 1, 200 * CYCLES_PER_CDELAY],
      ['sdram_dfii_control', 0x400, 0x01, MIN_WAIT],
      ['ddrctrl_init_done', 0, 1, MIN_WAIT],
    ]);
    // Read levelling, where the PHY has it, runs before the hand-over to the controller.
    expect(steps.flatMap((s, i) => (s.handOver ? [i] : []))).toEqual([7]);
  });

  it('refuses what it cannot read, naming the file and line', () => {
    const file = (dir: string) => path.join(dir, 'software', 'include', 'generated', 'sdram_phy.h');
    let c = coreWith(HEADER.replace('cdelay(200);', 'sdram_dfii_pi0_wrdata_write(0x1);'));
    expect(() => dramInitSteps(c)).toThrow(`dram init: ${file(c.dir)}:21: no CSR 'sdram_dfii_pi0_wrdata' in csr.csv`);
    c = coreWith(HEADER.replace('DFII_COMMAND_CS);', 'DFII_COMMAND_XX);'));
    expect(() => dramInitSteps(c)).toThrow(`dram init: ${file(c.dir)}:20: unknown value 'DFII_COMMAND_XX'`);
    c = coreWith(HEADER.replace('cdelay(200);', 'for (;;) {}'));
    expect(() => dramInitSteps(c)).toThrow(`dram init: ${file(c.dir)}:21: cannot read 'for (;;) {}'`);
    c = coreWith(HEADER.replace('static inline void init_sequence', 'static inline void other'));
    expect(() => dramInitSteps(c)).toThrow(/no init_sequence\(\)/);
    expect(() => dramInitSteps({ dir: path.join(tmp, 'none'), csr: CSR })).toThrow(/sdram_phy.h: missing/);
  });
});

// The sequencer behind a slave that takes `lag` cycles to acknowledge; every accepted write comes out as
// {adr, dat, cycle of the request's first cycle, cycle of the ack}.
const bench = (lag: number) => `
module seq_bench (input wire clk, input wire rst, output reg wr_valid, output reg [159:0] wr, output wire done);
  reg [31:0] cycle;
  reg [31:0] first;
  reg [7:0] held;
  wire cyc, stb, we, ack;
  wire [3:0] sel;
  wire [29:0] adr;
  wire [31:0] dat;
  assign ack = cyc && stb && held == 8'd${lag};
  always @(posedge clk) begin
    // registered: the harness looks after each clock edge, when the acknowledged write has moved on
    wr_valid <= !rst && ack && we && sel == 4'hf;
    wr <= {2'b0, adr, dat, (held == 8'd0 ? cycle : first), cycle, 32'd0};
    cycle <= rst ? 32'd0 : cycle + 32'd1;
    if (rst || !cyc || ack) held <= 8'd0; else held <= held + 8'd1;
    if (cyc && held == 8'd0) first <= cycle;
  end
  dram_init_seq u (.clk(clk), .rst(rst), .wb_cyc(cyc), .wb_stb(stb), .wb_we(we), .wb_sel(sel), .wb_adr(adr),
                   .wb_dat_w(dat), .wb_ack(ack), .done(done));
endmodule
`;

describe.skipIf(!haveVerilator)('the start-up sequencer', () => {
  it('writes every step in order, holds each until acknowledged, waits its cycles, then says done', async () => {
    const rnd = (() => {
      let s = 12345;
      return (n: number) => ((s = (s * 1103515245 + 12345) >>> 0) >>> 8) % n;
    })();
    for (const [count, lag] of [[1, 0], [5, 2], [23, 1]] as const) {
      const steps: InitStep[] = Array.from({ length: count }, (_, i) => ({
        csr: `r${i}`,
        adr: rnd(2 ** 30),
        dat: (rnd(2 ** 16) * 2 ** 16 + rnd(2 ** 16)) >>> 0,
        wait: 1 + rnd(i % 4 === 0 ? 300 : 20),
      }));
      const dir = fs.mkdtempSync(path.join(tmp, 'seq-'));
      const files = writeVerilog(elaborate(dramInitSequencer(steps)), dir);
      const b = path.join(dir, 'seq_bench.v');
      fs.writeFileSync(b, bench(lag));
      const ports = [
        { name: 'clk', width: 1, dir: 'input' as const },
        { name: 'rst', width: 1, dir: 'input' as const },
        { name: 'wr_valid', width: 1, dir: 'output' as const },
        { name: 'wr', width: 160, dir: 'output' as const },
        { name: 'done', width: 1, dir: 'output' as const },
      ];
      const model = await buildVerilatorModel({ top: 'seq_bench', sources: [b, ...files], ports, cacheDir: path.join(tmp, 'cache') });
      const total = steps.reduce((n, s) => n + s.wait + lag + 1, 0);
      const script = new StimulusScript(model.ports).set('rst', 1).tick(2).monitor('wr', 'wr_valid', 'wr').set('rst', 0).tick(1);
      script.get('done0', 'done').waitFor('done', total + 10).get('done1', 'done');
      const r = await runModel(model, script, { timeoutMs: 120_000 });
      const writes = (r.monitors.get('wr') ?? []).map((v) => ({
        adr: Number((v >> 128n) & 0x3fffffffn),
        dat: Number((v >> 96n) & 0xffffffffn),
        first: Number((v >> 64n) & 0xffffffffn),
        ack: Number((v >> 32n) & 0xffffffffn),
      }));
      expect(writes.map((w) => [w.adr, w.dat]), `${count} steps, lag ${lag}`).toEqual(steps.map((s) => [s.adr, s.dat]));
      for (let k = 0; k < writes.length; k++) {
        expect(writes[k]!.ack - writes[k]!.first).toBe(lag);
        if (k > 0) expect(writes[k]!.first - writes[k - 1]!.ack, `gap before write ${k}`).toBe(steps[k - 1]!.wait + 1);
      }
      expect(r.samples.get('done0')![0]).toBe(0n);
      expect(r.samples.get('done1')![0]).toBe(1n);
    }
  }, 300_000);

  it('refuses a table it cannot hold', () => {
    expect(() => dramInitSequencer([])).toThrow('dram init: no steps');
    expect(() => dramInitSequencer([{ csr: 'x', adr: 2 ** 30, dat: 0, wait: 1 }])).toThrow(/x: address .* 30-bit/);
    expect(() => dramInitSequencer([{ csr: 'y', adr: 0, dat: 0, wait: 0 }])).toThrow(/y: wait 0/);
  });
});
