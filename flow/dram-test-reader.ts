// A small reader on the native read port, for the DRAM model's tests (flow/dram-model.test.ts,
// sim/dram-presets.test.ts): it issues `count` reads, sequential from `base` or random
// (xorshift32 & mask), as fast as the port accepts them, takes data whenever its own ready says
// so (always, or at random below `ready_thr`), and keeps the counts the tests compare with the
// model's: a checksum of the data (rotate left by one, xor the word), the cycles of the first
// command and the last word, waits on both channels, and the most commands it had outstanding.
// The monitors' valid/data pairs are registered, so the harness (which reads monitors after the
// edge) reports the handshake of the cycle just completed.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildVerilatorModel, StimulusScript, type PortSpec, type VerilatorModel } from './verilator.ts';
import type { DramConfig } from './dram.ts';

const READER_V = `
module dram_reader #(parameter W = 64) (
  input  wire          clk,
  input  wire          rst,
  input  wire          start,
  input  wire          random,
  input  wire [31:0]   base,
  input  wire [31:0]   count,
  input  wire [31:0]   seed,
  input  wire [31:0]   mask,
  input  wire [7:0]    ready_thr,
  output wire          dram_cmd_valid,
  output wire [31:0]   dram_cmd_addr,
  input  wire          dram_cmd_ready,
  input  wire          dram_rdata_valid,
  input  wire [W-1:0]  dram_rdata_data,
  output wire          dram_rdata_ready,
  output reg           cmd_seen,
  output reg  [31:0]   cmd_seen_addr,
  output reg           data_seen,
  output reg  [W-1:0]  data_seen_word,
  output reg  [31:0]   issued,
  output reg  [31:0]   received,
  output reg  [W-1:0]  checksum,
  output reg  [63:0]   cycle,
  output reg  [63:0]   first_cmd,
  output reg  [63:0]   last_data,
  output reg  [31:0]   cmd_wait,
  output reg  [31:0]   data_wait,
  output reg  [31:0]   max_outstanding,
  output wire          done
);
  reg running;
  reg [31:0] lfsr;
  reg [31:0] rlfsr;
  wire [31:0] outstanding = issued - received;
  assign dram_cmd_valid = running && issued != count;
  assign dram_cmd_addr = random ? (lfsr & mask) : base + issued;
  assign dram_rdata_ready = ready_thr == 8'd0 || rlfsr[7:0] >= ready_thr;
  assign done = running && received == count;
  wire cmd_fire = dram_cmd_valid && dram_cmd_ready;
  wire data_fire = dram_rdata_valid && dram_rdata_ready;
  always @(posedge clk) begin
    cycle <= cycle + 64'd1;
    cmd_seen <= cmd_fire;
    cmd_seen_addr <= dram_cmd_addr;
    data_seen <= data_fire;
    data_seen_word <= dram_rdata_data;
    rlfsr <= rlfsr ^ (rlfsr << 13) ^ ((rlfsr ^ (rlfsr << 13)) >> 17) ^
             ((rlfsr ^ (rlfsr << 13) ^ ((rlfsr ^ (rlfsr << 13)) >> 17)) << 5);
    if (rst) begin
      running <= 1'b0;
      issued <= 32'd0;
      received <= 32'd0;
      checksum <= {W{1'b0}};
      cycle <= 64'd0;
      first_cmd <= 64'd0;
      last_data <= 64'd0;
      cmd_wait <= 32'd0;
      data_wait <= 32'd0;
      max_outstanding <= 32'd0;
      rlfsr <= 32'h2545f491;
    end else begin
      if (start) begin
        running <= 1'b1;
        lfsr <= seed;
        rlfsr <= seed ^ 32'h9e3779b9;
      end
      if (cmd_fire) begin
        if (issued == 32'd0) first_cmd <= cycle;
        issued <= issued + 32'd1;
        lfsr <= lfsr ^ (lfsr << 13) ^ ((lfsr ^ (lfsr << 13)) >> 17) ^
                ((lfsr ^ (lfsr << 13) ^ ((lfsr ^ (lfsr << 13)) >> 17)) << 5);
      end
      if (data_fire) begin
        received <= received + 32'd1;
        last_data <= cycle;
        checksum <= {checksum[W-2:0], checksum[W-1]} ^ dram_rdata_data;
      end
      if (dram_cmd_valid && !dram_cmd_ready) cmd_wait <= cmd_wait + 32'd1;
      if (dram_rdata_ready && !dram_rdata_valid && outstanding != 32'd0) data_wait <= data_wait + 32'd1;
      if (outstanding > max_outstanding) max_outstanding <= outstanding;
    end
  end
endmodule
`;

export function readerPorts(width: number): PortSpec[] {
  const i = (name: string, w: number): PortSpec => ({ name, width: w, dir: 'input' });
  const o = (name: string, w: number): PortSpec => ({ name, width: w, dir: 'output' });
  return [
    i('clk', 1), i('rst', 1), i('start', 1), i('random', 1), i('base', 32), i('count', 32), i('seed', 32),
    i('mask', 32), i('ready_thr', 8),
    o('dram_cmd_valid', 1), o('dram_cmd_addr', 32), i('dram_cmd_ready', 1),
    i('dram_rdata_valid', 1), i('dram_rdata_data', width), o('dram_rdata_ready', 1),
    o('cmd_seen', 1), o('cmd_seen_addr', 32), o('data_seen', 1), o('data_seen_word', width),
    o('issued', 32), o('received', 32), o('checksum', width), o('cycle', 64), o('first_cmd', 64),
    o('last_data', 64), o('cmd_wait', 32), o('data_wait', 32), o('max_outstanding', 32), o('done', 1),
  ];
}

const builds = new Map<number, Promise<VerilatorModel>>();

/** The reader at port width `width` (one Verilator build per width, cached by flow/verilator.ts). */
export function buildReader(width: number, dir: string): Promise<VerilatorModel> {
  let b = builds.get(width);
  if (!b) {
    const src = path.join(dir, 'dram_reader.v');
    if (!fs.existsSync(src)) fs.writeFileSync(src, READER_V);
    b = buildVerilatorModel({ top: 'dram_reader', sources: [src], ports: readerPorts(width), extraFlags: [`-GW=${width}`] });
    builds.set(width, b);
  }
  return b;
}

export interface ReadJob {
  count: number;
  base?: number;
  /** Random addresses (xorshift32 from seed, & mask) in place of a sequential stream. */
  random?: { seed: number; mask: number };
  /** The reader's rdata_ready is low when its own PRNG's low byte is below this (0: always ready). */
  readyThreshold?: number;
  /** Report every command and every word through monitors ('cmd' and 'data'). */
  monitor?: boolean;
}

/** A script that resets the reader, attaches the DRAM, places the image, runs the job and reads everything back. */
export function readScript(model: VerilatorModel, dram: DramConfig, image: string | undefined, job: ReadJob): StimulusScript {
  const s = new StimulusScript(model.ports);
  s.set('rst', 1).set('start', 0).tick(2).set('rst', 0);
  s.dram(dram);
  if (image !== undefined) s.dramImage(image, 0);
  if (job.monitor) s.monitor('cmd', 'cmd_seen', 'cmd_seen_addr').monitor('data', 'data_seen', 'data_seen_word');
  s.set('random', job.random ? 1 : 0)
    .set('base', job.base ?? 0)
    .set('count', job.count)
    .set('seed', job.random?.seed ?? 1)
    .set('mask', job.random?.mask ?? 0)
    .set('ready_thr', job.readyThreshold ?? 0)
    .set('start', 1)
    .tick(1)
    .set('start', 0)
    .waitFor('done', 50_000_000);
  for (const p of ['issued', 'received', 'checksum', 'first_cmd', 'last_data', 'cmd_wait', 'data_wait', 'max_outstanding']) {
    s.get(p, p);
  }
  return s.dramStats('dram');
}

/** The reader's checksum over `words`: rotate left by one bit, then xor the word. */
export function readerChecksum(words: Iterable<bigint>, width: number): bigint {
  const mask = (1n << BigInt(width)) - 1n;
  const top = BigInt(width - 1);
  let c = 0n;
  for (const w of words) c = (((c << 1n) & mask) | (c >> top)) ^ w;
  return c;
}

/** Word `addr` of a byte image at port width `width`: bytes [addr*W/8, (addr+1)*W/8), little endian, 0 beyond the end. */
export function imageWord(image: Uint8Array, addr: number, width: number): bigint {
  const n = width / 8;
  let v = 0n;
  for (let k = n - 1; k >= 0; k--) {
    const i = addr * n + k;
    v = (v << 8n) | BigInt(i < image.length ? image[i]! : 0);
  }
  return v;
}
