// The upload into DRAM: words streamed as the protocol engine streams them (with a seek back, as a resumed
// chunk does) come out as LiteDRAM writes that leave exactly the image in memory, behind a port that takes
// commands when it likes and the data some cycles later; words too fast for it set `overrun`.
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { elaborate } from '../../hdl/ir/elaborate.ts';
import { writeVerilog } from '../../hdl/verilog/emit.ts';
import { buildVerilatorModel, runModel, StimulusScript, type PortSpec } from '../../flow/verilator.ts';
import { dramLoadWriter, loadIndexBitsFor } from './dram-load-writer.ts';
import { haveVerilator, testTempDir } from '../../flow/verilator-test-support.ts';

const tmp = testTempDir('load-writer-test-');

const AW = 10;
const W = 128;

// A LiteDRAM-like port: cmd_ready from an LFSR, the data taken `lag` cycles after the command; every
// write taken comes out registered as {addr, we, data}.
const bench = (iw: number, lag: number) => `
module lw_bench (
  input wire clk, input wire rst,
  input wire load_valid, input wire [15:0] load_data, input wire load_seek, input wire [${iw - 1}:0] load_seek_addr,
  output reg w_valid, output reg [${AW + W / 8 + W - 1}:0] w,
  output wire loaded, output wire [${iw - 1}:0] load_index, output wire overrun
);
  reg [15:0] lfsr;
  reg taken;
  reg [7:0] held;
  reg [${AW - 1}:0] addr;
  wire cmd_valid, cmd_we, wdata_valid;
  wire [${AW - 1}:0] cmd_addr;
  wire [${W / 8 - 1}:0] wdata_we;
  wire [${W - 1}:0] wdata_data;
  wire cmd_ready = !taken && (lfsr[0] || lfsr[5]);
  wire wdata_ready = taken && held == 8'd${lag};
  always @(posedge clk) begin
    lfsr <= rst ? 16'hace1 : {lfsr[14:0], lfsr[15] ^ lfsr[13] ^ lfsr[12] ^ lfsr[10]};
    if (rst) taken <= 1'b0;
    else if (cmd_valid && cmd_ready && cmd_we) begin taken <= 1'b1; held <= 8'd0; addr <= cmd_addr; end
    else if (wdata_ready) taken <= 1'b0;
    else if (taken) held <= held + 8'd1;
    w_valid <= !rst && wdata_ready && wdata_valid;
    w <= {addr, wdata_we, wdata_data};
  end
  dram_load_writer u (.clk(clk), .rst(rst), .load_valid(load_valid), .load_data(load_data), .load_seek(load_seek),
    .load_seek_addr(load_seek_addr), .load_index(load_index), .loaded(loaded), .cmd_valid(cmd_valid), .cmd_ready(cmd_ready),
    .cmd_we(cmd_we), .cmd_addr(cmd_addr), .wdata_valid(wdata_valid), .wdata_ready(wdata_ready), .wdata_we(wdata_we),
    .wdata_data(wdata_data), .overrun(overrun));
endmodule
`;

async function model(words: number, base: number, lag: number) {
  const iw = loadIndexBitsFor(words);
  const dir = fs.mkdtempSync(path.join(tmp(), 'lw-'));
  const files = writeVerilog(elaborate(dramLoadWriter({ imageWords: words, addressBits: AW, baseWord: base, portBits: W })), dir);
  const b = path.join(dir, 'lw_bench.v');
  fs.writeFileSync(b, bench(iw, lag));
  const p = (name: string, width: number, dir: 'input' | 'output'): PortSpec => ({ name, width, dir });
  const ports = [
    p('clk', 1, 'input'), p('rst', 1, 'input'), p('load_valid', 1, 'input'), p('load_data', 16, 'input'), p('load_seek', 1, 'input'),
    p('load_seek_addr', iw, 'input'), p('w_valid', 1, 'output'), p('w', AW + W / 8 + W, 'output'), p('loaded', 1, 'output'),
    p('load_index', iw, 'output'), p('overrun', 1, 'output'),
  ];
  return buildVerilatorModel({ top: 'lw_bench', sources: [b, ...files], ports, cacheDir: path.join(tmp(), 'cache') });
}

/** Memory (port word -> 16-bit lanes) after the monitored writes, each lane written only where its two byte enables are. */
function memoryAfter(writes: bigint[]): Map<number, (number | undefined)[]> {
  const mem = new Map<number, (number | undefined)[]>();
  for (const v of writes) {
    const data = v & ((1n << BigInt(W)) - 1n);
    const we = Number((v >> BigInt(W)) & 0xffffn);
    const addr = Number(v >> BigInt(W + W / 8));
    const lanes = mem.get(addr) ?? new Array<number | undefined>(W / 16).fill(undefined);
    for (let l = 0; l < W / 16; l++) {
      const en = (we >> (2 * l)) & 3;
      expect(en === 0 || en === 3, `byte enables of lane ${l} at word ${addr}: ${we.toString(2)}`).toBe(true);
      if (en === 3) lanes[l] = Number((data >> BigInt(16 * l)) & 0xffffn);
    }
    mem.set(addr, lanes);
  }
  return mem;
}

describe.skipIf(!haveVerilator)('the DRAM load writer', () => {
  it('leaves the image in memory from its base word, across a seek back, sizes, bases and port lags', async () => {
    for (const [words, base, lag, gap] of [[1, 0, 0, 3], [37, 5, 2, 8], [130, 1000, 5, 16]] as const) {
      const m = await model(words, base, lag);
      const image = Array.from({ length: words }, (_, i) => (i * 40503 + 7 + words) & 0xffff);
      const s = new StimulusScript(m.ports).set('rst', 1).set('load_valid', 0).set('load_seek', 0).tick(2).set('rst', 0);
      s.monitor('w', 'w_valid', 'w');
      const send = (from: number, to: number, junk = false) => {
        for (let i = from; i < to; i++) s.set('load_valid', 1).set('load_data', junk ? 0xdead : image[i]!).tick(1).set('load_valid', 0).tick(gap);
      };
      // A chunk of junk, a seek back to its start (the host sending it again), then the rest in order.
      const cut = Math.floor(words / 2);
      send(0, cut);
      send(cut, Math.min(words - 1, cut + 3), true);
      s.set('load_seek', 1).set('load_seek_addr', cut).tick(1).set('load_seek', 0).tick(1);
      s.get('mid_loaded', 'loaded');
      send(cut, words);
      s.tick(lag + 20).get('loaded', 'loaded').get('index', 'load_index').get('overrun', 'overrun');
      const r = await runModel(m, s, { timeoutMs: 120_000 });
      const mem = memoryAfter(r.monitors.get('w') ?? []);
      const want = new Map<number, (number | undefined)[]>();
      image.forEach((v, i) => {
        const a = base + Math.floor(i / 8);
        const lanes = want.get(a) ?? new Array<number | undefined>(8).fill(undefined);
        lanes[i % 8] = v;
        want.set(a, lanes);
      });
      expect(mem, `${words} words from ${base}, lag ${lag}`).toEqual(want);
      expect(r.samples.get('mid_loaded')![0]).toBe(0n);
      expect(r.samples.get('loaded')![0]).toBe(1n);
      expect(Number(r.samples.get('index')![0])).toBe(words);
      expect(r.samples.get('overrun')![0]).toBe(0n);
    }
  }, 300_000);

  it('says overrun when words come faster than the port takes them', async () => {
    const m = await model(16, 0, 6);
    const s = new StimulusScript(m.ports).set('rst', 1).set('load_valid', 0).set('load_seek', 0).tick(2).set('rst', 0);
    s.set('load_data', 1).set('load_valid', 1).tick(4).set('load_valid', 0).tick(20).get('overrun', 'overrun');
    const r = await runModel(m, s, { timeoutMs: 60_000 });
    expect(r.samples.get('overrun')![0]).toBe(1n);
  }, 120_000);

  it('refuses an image its port cannot address', () => {
    expect(() => dramLoadWriter({ imageWords: 8 * 1024 + 1, addressBits: 10, baseWord: 0, portBits: 128 })).toThrow(/1025 port words from word 0 do not fit 10 address bits/);
    expect(() => dramLoadWriter({ imageWords: 0, addressBits: 10, baseWord: 0, portBits: 128 })).toThrow(/imageWords 0/);
    expect(() => dramLoadWriter({ imageWords: 8, addressBits: 10, baseWord: 0, portBits: 96 })).toThrow(/portBits 96/);
  });
});
