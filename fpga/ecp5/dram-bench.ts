// A bench for the LiteDRAM core in Verilator: after reset it sets the core's init_done through wb_ctrl
// (the simulated PHY needs no DDR3 initialisation or levelling: docs/ecp5.md), then on `start` writes
// `count` words of a seeded pattern from `base` through the host's native port at full rate and reads them
// back through the accelerator's at full rate, checking every word against the pattern of `rseed`
// (a `wseed` != `rseed` makes every word wrong, which the tests use to show the check can fail;
// `skip_write` reads what an earlier run left). It keeps the cycles of both streams, the first read's
// latency, the command waits and the most reads in flight.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildVerilatorModel, StimulusScript, type PortSpec, type VerilatorModel } from '../../flow/verilator.ts';
import type { LitedramCore } from './litedram.ts';

const benchVerilog = (aw: number, w: number, initDoneAdr: number): string => `
module ecp5_dram_bench (
  input  wire        clk,
  input  wire        rst,
  input  wire        start,
  input  wire        skip_write,
  input  wire [31:0] base,
  input  wire [31:0] count,
  input  wire [31:0] wseed,
  input  wire [31:0] rseed,
  output reg         ready,
  output reg  [31:0] errors,
  output reg  [31:0] first_error,
  output reg  [31:0] received,
  output reg  [63:0] wr_first_cmd,
  output reg  [63:0] wr_last_data,
  output reg  [63:0] rd_first_cmd,
  output reg  [63:0] rd_first_data,
  output reg  [63:0] rd_last_data,
  output reg  [31:0] rd_cmd_wait,
  output reg  [31:0] max_outstanding,
  output wire        done,
  // where a run stands (state, writes commanded, written, reads commanded), for a run that hangs
  output wire [2:0]  dbg_state,
  output wire [31:0] dbg_wi,
  output wire [31:0] dbg_wd,
  output wire [31:0] dbg_ri
);
  assign dbg_state = state;
  assign dbg_wi = wi;
  assign dbg_wd = wd;
  assign dbg_ri = ri;
  localparam AW = ${aw};
  localparam W = ${w};
  localparam S_RESET = 3'd0, S_INIT = 3'd1, S_IDLE = 3'd2, S_WRITE = 3'd3, S_READ = 3'd4, S_DONE = 3'd5;
  reg [2:0] state;
  reg [63:0] cycle;
  reg [31:0] wi, wd, ri;
  wire [31:0] outstanding = ri - received;

  // 64 bits of the pattern per 64-bit lane of the word, each lane with its own seed
  function [W-1:0] pattern(input [31:0] i, input [31:0] seed);
    integer l;
    reg [31:0] s;
    begin
      for (l = 0; l < W / 64; l = l + 1) begin
        s = seed ^ (l * 32'h7f4a7c15);
        pattern[l*64 +: 64] = {~i ^ {s[24:0], s[31:25]}, (i * 32'h9e3779b9) ^ s};
      end
    end
  endfunction

  // wb_ctrl: one write, init_done := 1 (the user ports are held off until it is set)
  wire wb_ack;
  wire wb_cyc = state == S_INIT;
  // host port: writes
  wire h_cmd_valid = state == S_WRITE && wi != count;
  wire h_wdata_valid = state == S_WRITE && wd != count;
  wire h_cmd_ready, h_wdata_ready;
  // accel port: reads
  wire a_cmd_valid = state == S_READ && ri != count;
  wire a_cmd_ready, a_rdata_valid;
  wire [W-1:0] a_rdata;
  wire init_done;
  assign done = state == S_DONE;

  litedram_core u_dram (
    .clk(clk),
    .sim_trace(1'b0),
    .init_done(init_done),
    .init_error(),
    .user_clk(),
    .user_rst(),
    .wb_ctrl_adr(30'd${initDoneAdr}), .wb_ctrl_dat_w(32'd1), .wb_ctrl_dat_r(), .wb_ctrl_sel(4'hf),
    .wb_ctrl_cyc(wb_cyc), .wb_ctrl_stb(wb_cyc), .wb_ctrl_ack(wb_ack), .wb_ctrl_we(1'b1),
    .wb_ctrl_cti(3'd0), .wb_ctrl_bte(2'd0), .wb_ctrl_err(),
    .user_port_host_cmd_valid(h_cmd_valid), .user_port_host_cmd_ready(h_cmd_ready),
    .user_port_host_cmd_we(1'b1), .user_port_host_cmd_addr(base[AW-1:0] + wi[AW-1:0]),
    .user_port_host_wdata_valid(h_wdata_valid), .user_port_host_wdata_ready(h_wdata_ready),
    .user_port_host_wdata_we({(W/8){1'b1}}), .user_port_host_wdata_data(pattern(wd, wseed)),
    .user_port_host_rdata_valid(), .user_port_host_rdata_ready(1'b1), .user_port_host_rdata_data(),
    .user_port_accel_cmd_valid(a_cmd_valid), .user_port_accel_cmd_ready(a_cmd_ready),
    .user_port_accel_cmd_we(1'b0), .user_port_accel_cmd_addr(base[AW-1:0] + ri[AW-1:0]),
    .user_port_accel_wdata_valid(1'b0), .user_port_accel_wdata_ready(),
    .user_port_accel_wdata_we({(W/8){1'b0}}), .user_port_accel_wdata_data({W{1'b0}}),
    .user_port_accel_rdata_valid(a_rdata_valid), .user_port_accel_rdata_ready(1'b1),
    .user_port_accel_rdata_data(a_rdata)
  );

  always @(posedge clk) begin
    cycle <= cycle + 64'd1;
    if (rst) begin
      state <= S_RESET;
      cycle <= 64'd0;
      ready <= 1'b0;
    end else begin
      case (state)
        S_RESET: state <= S_INIT;
        S_INIT: if (wb_ack) state <= S_IDLE;
        S_IDLE, S_DONE: begin
          ready <= init_done;
          if (start) begin
            state <= skip_write ? S_READ : S_WRITE;
            wi <= 32'd0; wd <= 32'd0; ri <= 32'd0; received <= 32'd0;
            errors <= 32'd0; first_error <= 32'hffffffff; rd_cmd_wait <= 32'd0; max_outstanding <= 32'd0;
            wr_first_cmd <= cycle; wr_last_data <= cycle;
          end
        end
        S_WRITE: begin
          if (h_cmd_valid && h_cmd_ready) begin
            if (wi == 32'd0) wr_first_cmd <= cycle;
            wi <= wi + 32'd1;
          end
          if (h_wdata_valid && h_wdata_ready) begin
            wd <= wd + 32'd1;
            wr_last_data <= cycle;
          end
          if (wi == count && wd == count) state <= S_READ;
        end
        S_READ: begin
          if (a_cmd_valid && a_cmd_ready) begin
            if (ri == 32'd0) rd_first_cmd <= cycle;
            ri <= ri + 32'd1;
          end
          if (a_cmd_valid && !a_cmd_ready) rd_cmd_wait <= rd_cmd_wait + 32'd1;
          if (a_rdata_valid) begin
            if (received == 32'd0) rd_first_data <= cycle;
            rd_last_data <= cycle;
            received <= received + 32'd1;
            if (a_rdata != pattern(received, rseed)) begin
              errors <= errors + 32'd1;
              if (errors == 32'd0) first_error <= received;
            end
          end
          if (outstanding > max_outstanding) max_outstanding <= outstanding;
          if (received == count) state <= S_DONE;
        end
        default: state <= S_IDLE;
      endcase
    end
  end
endmodule
`;

const i = (name: string, width: number): PortSpec => ({ name, width, dir: 'input' });
const o = (name: string, width: number): PortSpec => ({ name, width, dir: 'output' });
export const BENCH_PORTS: PortSpec[] = [
  i('clk', 1), i('rst', 1), i('start', 1), i('skip_write', 1), i('base', 32), i('count', 32), i('wseed', 32),
  i('rseed', 32), o('ready', 1), o('errors', 32), o('first_error', 32), o('received', 32), o('wr_first_cmd', 64),
  o('wr_last_data', 64), o('rd_first_cmd', 64), o('rd_first_data', 64), o('rd_last_data', 64),
  o('rd_cmd_wait', 32), o('max_outstanding', 32), o('done', 1),
  o('dbg_state', 3), o('dbg_wi', 32), o('dbg_wd', 32), o('dbg_ri', 32),
];
const RESULTS = ['errors', 'first_error', 'received', 'wr_first_cmd', 'wr_last_data', 'rd_first_cmd', 'rd_first_data', 'rd_last_data', 'rd_cmd_wait', 'max_outstanding'];

/** The bench around a simulated core (its Verilog is written beside the core's). */
export function buildBench(core: LitedramCore, log?: (m: string) => void): Promise<VerilatorModel> {
  const adr = core.csr.get('ddrctrl_init_done');
  if (adr === undefined) throw new Error(`dram bench: ${core.dir}/csr.csv has no ddrctrl_init_done`);
  if (core.portBits % 64 !== 0) throw new Error(`dram bench: a port of 64-bit lanes (the core's is ${core.portBits} bits)`);
  const src = path.join(core.dir, 'ecp5_dram_bench.v');
  const text = benchVerilog(core.portAddressBits, core.portBits, adr);
  if (!fs.existsSync(src) || fs.readFileSync(src, 'utf8') !== text) fs.writeFileSync(src, text);
  return buildVerilatorModel({
    top: 'ecp5_dram_bench',
    sources: [src, core.verilog],
    ports: BENCH_PORTS,
    // LiteDRAM's Verilog is not ours to make -Wall clean; its widths are what migen printed.
    extraFlags: ['-Wno-WIDTH', '-Wno-CASEINCOMPLETE', '-Wno-MULTIDRIVEN', '-Wno-UNOPTFLAT'],
    ...(log ? { log } : {}),
  });
}

export interface BenchJob {
  base: number;
  count: number;
  wseed: number;
  rseed?: number;
  skipWrite?: boolean;
}

/** A script for several jobs in one run (the memory keeps what earlier jobs wrote); results tagged `j<k>.`. */
export function benchScript(model: VerilatorModel, jobs: BenchJob[]): StimulusScript {
  const s = new StimulusScript(model.ports);
  s.set('rst', 1).set('start', 0).set('skip_write', 0).tick(4).set('rst', 0).waitFor('ready', 100_000);
  jobs.forEach((j, k) => {
    s.set('base', j.base).set('count', j.count).set('wseed', j.wseed).set('rseed', j.rseed ?? j.wseed)
      .set('skip_write', j.skipWrite ? 1 : 0).set('start', 1).tick(1).set('start', 0)
      .waitFor('done', 200 * j.count + 100_000);
    for (const r of RESULTS) s.get(`j${k}.${r}`, r);
    s.tick(2);
  });
  return s;
}

export interface BenchResult {
  errors: number;
  firstError: number;
  received: number;
  /** Cycles from the first write command to the last word written. */
  writeCycles: number;
  /** Cycles from the first read command to the last word back, and from the first word to the last. */
  readCycles: number;
  readStreamCycles: number;
  /** Cycles from the first read command to its word (rows closed after the writes). */
  firstReadLatency: number;
  readCmdWaits: number;
  maxOutstanding: number;
}

export function benchResult(samples: Map<string, bigint[]>, k: number): BenchResult {
  const g = (n: string): number => {
    const v = samples.get(`j${k}.${n}`)?.[0];
    if (v === undefined) throw new Error(`dram bench: no sample j${k}.${n}`);
    return Number(v);
  };
  return {
    errors: g('errors'),
    firstError: g('first_error'),
    received: g('received'),
    writeCycles: g('wr_last_data') - g('wr_first_cmd') + 1,
    readCycles: g('rd_last_data') - g('rd_first_cmd') + 1,
    readStreamCycles: g('rd_last_data') - g('rd_first_data') + 1,
    firstReadLatency: g('rd_first_data') - g('rd_first_cmd'),
    readCmdWaits: g('rd_cmd_wait'),
    maxOutstanding: g('max_outstanding'),
  };
}
