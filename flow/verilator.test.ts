import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  buildVerilatorModel,
  runModel,
  StimulusScript,
  verilatorVersion,
  type PortSpec,
  type VerilatorModel,
} from './verilator.ts';

// The first build of each design compiles C++, so every test gets a long budget.
const T = 120_000;

const COUNTER_V = `
module counter (
  input  wire       clk,
  input  wire       rst,
  input  wire       en,
  output reg  [7:0] q
);
  always @(posedge clk) begin
    if (rst) q <= 8'd0;
    else if (en) q <= q + 8'd1;
  end
endmodule
`;
const COUNTER_PORTS: PortSpec[] = [
  { name: 'clk', width: 1, dir: 'input' },
  { name: 'rst', width: 1, dir: 'input' },
  { name: 'en', width: 1, dir: 'input' },
  { name: 'q', width: 8, dir: 'output' },
];

const ADDER_V = `
module adder100 (
  input  wire [99:0]  a,
  input  wire [99:0]  b,
  output wire [100:0] s
);
  assign s = {1'b0, a} + {1'b0, b};
endmodule
`;
const ADDER_PORTS: PortSpec[] = [
  { name: 'a', width: 100, dir: 'input' },
  { name: 'b', width: 100, dir: 'input' },
  { name: 's', width: 101, dir: 'output' },
];

// Accepts a byte when in_valid && in_ready, is busy for 3 cycles, then emits
// a one-cycle out_valid pulse carrying din * 3 + 0xff_0000_0000 (40 bits, so
// the QData path is exercised).
const TRIPLER_V = `
module tripler (
  input  wire        clk,
  input  wire        rst,
  input  wire        in_valid,
  input  wire [7:0]  din,
  output wire        in_ready,
  output reg         out_valid,
  output reg  [39:0] dout
);
  reg [1:0] busy;
  reg [7:0] held;
  assign in_ready = (busy == 2'd0);
  always @(posedge clk) begin
    out_valid <= 1'b0;
    if (rst) begin
      busy <= 2'd0;
      held <= 8'd0;
      dout <= 40'd0;
    end else if (busy != 2'd0) begin
      busy <= busy - 2'd1;
      if (busy == 2'd1) begin
        out_valid <= 1'b1;
        dout <= {32'd0, held} * 40'd3 + 40'hff_0000_0000;
      end
    end else if (in_valid) begin
      // Looks like protocol output; the harness must keep it off stdout.
      $display("M out 1234");
      held <= din;
      busy <= 2'd3;
    end
  end
endmodule
`;
const TRIPLER_PORTS: PortSpec[] = [
  { name: 'clk', width: 1, dir: 'input' },
  { name: 'rst', width: 1, dir: 'input' },
  { name: 'in_valid', width: 1, dir: 'input' },
  { name: 'din', width: 8, dir: 'input' },
  { name: 'in_ready', width: 1, dir: 'output' },
  { name: 'out_valid', width: 1, dir: 'output' },
  { name: 'dout', width: 40, dir: 'output' },
];

let tmp: string;
const models = new Map<string, Promise<VerilatorModel>>();

function write(name: string, text: string): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, text);
  return p;
}

// Shared so tests reuse one build per design within this file.
function model(top: string, src: string, ports: PortSpec[]): Promise<VerilatorModel> {
  let m = models.get(top);
  if (!m) {
    m = buildVerilatorModel({ top, sources: [write(`${top}.v`, src)], ports });
    models.set(top, m);
  }
  return m;
}

function randBig(bits: number): bigint {
  let v = 0n;
  for (let i = 0; i < bits; i += 30) v = (v << 30n) | BigInt(Math.floor(Math.random() * 2 ** 30));
  return BigInt.asUintN(bits, v);
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'verilator-test-'));
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('verilator harness', () => {
  it('reports the installed version', () => {
    expect(verilatorVersion()).toMatch(/^Verilator \d+\.\d+/);
  });

  it(
    'drives an 8-bit counter',
    async () => {
      const m = await model('counter', COUNTER_V, COUNTER_PORTS);
      expect(m.clock).toBe('clk');
      const s = new StimulusScript()
        .set('rst', 1)
        .set('en', 0)
        .tick()
        .get('q', 'q')
        .set('rst', 0)
        .set('en', 1)
        .tick(5)
        .get('q', 'q')
        .set('en', 0)
        .tick(3)
        .get('q', 'q')
        .set('en', 1)
        .tick(300)
        .get('q', 'q');
      const r = await runModel(m, s);
      expect(r.samples.get('q')).toEqual([0n, 5n, 5n, BigInt((5 + 300) & 0xff)]);
      expect(r.cycles).toBe(1 + 5 + 3 + 300);
    },
    T,
  );

  it(
    'computes a 100-bit adder against BigInt arithmetic',
    async () => {
      const m = await model('adder100', ADDER_V, ADDER_PORTS);
      expect(m.clock).toBeUndefined();
      const vectors: Array<[bigint, bigint]> = [
        [0n, 0n],
        [(1n << 100n) - 1n, (1n << 100n) - 1n],
        [(1n << 100n) - 1n, 1n],
        [0xffff_ffffn, 1n],
        [(1n << 64n) - 1n, 1n],
      ];
      while (vectors.length < 200) vectors.push([randBig(100), randBig(100)]);
      const s = new StimulusScript(m.ports);
      vectors.forEach(([a, b]) => s.set('a', a).set('b', b).eval().get('s', 's'));
      const r = await runModel(m, s);
      expect(r.samples.get('s')).toEqual(vectors.map(([a, b]) => a + b));
      // Values wider than the port are masked by the harness.
      const masked = await runModel(m, new StimulusScript().set('a', (1n << 120n) | 7n).set('b', 1n).eval().get('s', 's'));
      expect(masked.samples.get('s')).toEqual([8n]);
    },
    T,
  );

  it(
    'monitors a valid/ready stream and waits for ready',
    async () => {
      const m = await model('tripler', TRIPLER_V, TRIPLER_PORTS);
      const inputs = [1n, 7n, 200n, 255n, 0n];
      const s = new StimulusScript(m.ports)
        .set('rst', 1)
        .set('in_valid', 0)
        .tick(2)
        .set('rst', 0)
        .monitor('out', 'out_valid', 'dout');
      for (const v of inputs) s.set('din', v).set('in_valid', 1).waitFor('in_ready', 10).set('in_valid', 0);
      s.tick(10).get('ready', 'in_ready');
      const r = await runModel(m, s);
      expect(r.monitors.get('out')).toEqual(inputs.map((v) => v * 3n + 0xff_0000_0000n));
      expect(r.samples.get('ready')).toEqual([1n]);

      // out_valid never rises without input, so waiting on it must time out.
      const stuck = new StimulusScript().set('rst', 1).tick().set('rst', 0).waitFor('out_valid', 5);
      await expect(runModel(m, stuck)).rejects.toThrow(/timeout waiting for out_valid/);
    },
    T,
  );

  it(
    'reuses the build cache and survives concurrent builds',
    async () => {
      const cacheDir = path.join(tmp, 'cache');
      const src = write('counter_c.v', COUNTER_V);
      const logs: string[] = [];
      const opts = { top: 'counter', sources: [src], ports: COUNTER_PORTS, cacheDir, log: (m: string) => logs.push(m) };
      const [a, b] = await Promise.all([buildVerilatorModel(opts), buildVerilatorModel(opts)]);
      expect(a.binary).toBe(b.binary);
      expect(a.hash).toBe(b.hash);
      const again = await buildVerilatorModel(opts);
      expect(again.cached).toBe(true);
      expect(again.binary).toBe(a.binary);
      expect(logs.some((l) => l.includes('cache hit'))).toBe(true);
      expect(path.basename(path.dirname(again.binary))).toBe(`counter-${again.hash.slice(0, 16)}`);
      // No stray temp dirs left behind by the losing builder.
      expect(fs.readdirSync(cacheDir).filter((d) => d.startsWith('.tmp-'))).toEqual([]);
      const r = await runModel(again, new StimulusScript().set('rst', 1).tick().set('rst', 0).set('en', 1).tick(4).get('q', 'q'));
      expect(r.samples.get('q')).toEqual([4n]);
    },
    T,
  );

  it(
    'names the offending port on bad names and directions',
    async () => {
      const m = await model('counter', COUNTER_V, COUNTER_PORTS);
      await expect(runModel(m, new StimulusScript().set('nope', 1).tick())).rejects.toThrow(/nope/);
      await expect(runModel(m, new StimulusScript().get('x', 'qq'))).rejects.toThrow(/unknown port 'qq'/);
      await expect(runModel(m, new StimulusScript().set('q', 1))).rejects.toThrow(/output port 'q'/);
      expect(() => new StimulusScript(m.ports).monitor('m', 'valid', 'q')).toThrow(/'valid'/);
    },
    T,
  );

  it(
    'reports build errors with compiler output',
    async () => {
      const src = write('broken.v', 'module broken(input wire clk, output wire y);\n assign y = undefined_sig;\nendmodule\n');
      await expect(
        buildVerilatorModel({
          top: 'broken',
          sources: [src],
          ports: [
            { name: 'clk', width: 1, dir: 'input' },
            { name: 'y', width: 1, dir: 'output' },
          ],
          cacheDir: path.join(tmp, 'cache-broken'),
        }),
      ).rejects.toThrow(/undefined_sig/);
    },
    T,
  );

  it(
    'dumps an FST trace when built with trace',
    async () => {
      const src = write('counter_t.v', COUNTER_V);
      const m = await buildVerilatorModel({ top: 'counter', sources: [src], ports: COUNTER_PORTS, trace: true });
      const fst = path.join(tmp, 'counter.fst');
      const r = await runModel(m, new StimulusScript().set('rst', 1).tick().set('rst', 0).set('en', 1).tick(10).get('q', 'q'), {
        traceFile: fst,
      });
      expect(r.samples.get('q')).toEqual([10n]);
      expect(fs.statSync(fst).size).toBeGreaterThan(0);
    },
    T,
  );
});
