import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildVerilatorModel, StimulusScript, verilatorVersion, type PortSpec, type VerilatorModel } from './verilator.ts';
import { VerilatorSession } from './verilator-session.ts';

// The first build compiles C++, so every test gets a long budget.
const T = 120_000;

let haveVerilator = true;
try {
  verilatorVersion();
} catch {
  haveVerilator = false;
}

// A counter with a combinational echo of `d`, a monitor pair that fires
// whenever the counter's low two bits are 3, and a $display on d == 0xdead
// so that error reports can be checked for the design's stderr.
const ECHO_V = `
module sess_echo (
  input  wire        clk,
  input  wire        rst,
  input  wire        en,
  input  wire [15:0] d,
  output wire [15:0] echo,
  output reg  [7:0]  q,
  output wire        mark,
  output wire        never
);
  assign echo = d;
  assign mark = (q[1:0] == 2'b11);
  assign never = 1'b0;
  always @(posedge clk) begin
    if (d == 16'hdead) $display("design saw dead at q=%0d", q);
    if (rst) q <= 8'd0;
    else if (en) q <= q + 8'd1;
  end
endmodule
`;
const ECHO_PORTS: PortSpec[] = [
  { name: 'clk', width: 1, dir: 'input' },
  { name: 'rst', width: 1, dir: 'input' },
  { name: 'en', width: 1, dir: 'input' },
  { name: 'd', width: 16, dir: 'input' },
  { name: 'echo', width: 16, dir: 'output' },
  { name: 'q', width: 8, dir: 'output' },
  { name: 'mark', width: 1, dir: 'output' },
  { name: 'never', width: 1, dir: 'output' },
];

let tmp: string;
let modelPromise: Promise<VerilatorModel> | undefined;

function model(): Promise<VerilatorModel> {
  if (!modelPromise) {
    const src = path.join(tmp, 'sess_echo.v');
    fs.writeFileSync(src, ECHO_V);
    modelPromise = buildVerilatorModel({ top: 'sess_echo', sources: [src], ports: ECHO_PORTS });
  }
  return modelPromise;
}

function script(m: VerilatorModel): StimulusScript {
  return new StimulusScript(m.ports);
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'verilator-session-test-'));
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!haveVerilator)('VerilatorSession', () => {
  it(
    'feeds values read in one run into the next',
    async () => {
      const m = await model();
      const s = await VerilatorSession.open(m);
      try {
        const r1 = await s.run(script(m).set('rst', 1).set('en', 0).tick().set('rst', 0).set('en', 1).tick(5).get('q', 'q'));
        expect(r1.samples.get('q')).toEqual([5n]);
        expect(r1.cycles).toBe(6);

        // The second run's stimulus depends on the first run's answer.
        const next = r1.samples.get('q')![0]! + 1n;
        const r2 = await s.run(script(m).set('d', next).eval().get('echo', 'echo').tick(2).get('q', 'q'));
        expect(r2.samples.get('echo')).toEqual([6n]);
        expect(r2.samples.get('q')).toEqual([7n]);
        expect(r2.cycles).toBe(8);

        // An autoregressive loop: each step feeds back the previous echo.
        let token = 6n;
        let lastCycles = r2.cycles;
        for (let i = 0; i < 20; i++) {
          const r = await s.run(script(m).set('d', (token * 3n + 1n) & 0xffffn).eval().get('echo', 'echo').tick());
          const echoed = r.samples.get('echo')!;
          expect(echoed).toEqual([(token * 3n + 1n) & 0xffffn]);
          token = echoed[0]!;
          expect(r.cycles).toBe(lastCycles + 1);
          lastCycles = r.cycles;
        }

        // A run with no commands still round-trips.
        const empty = await s.run(new StimulusScript());
        expect(empty.samples.size).toBe(0);
        expect(empty.cycles).toBe(lastCycles);

        const total = await s.close();
        expect(total).toBe(lastCycles);
        expect(await s.close()).toBe(total);
        await expect(s.run(new StimulusScript())).rejects.toThrow(/after close/);
      } finally {
        await s.close();
      }
    },
    T,
  );

  it(
    'keeps monitors across runs and queues concurrent runs in order',
    async () => {
      const m = await model();
      const s = await VerilatorSession.open(m);
      try {
        const r1 = await s.run(script(m).set('rst', 1).set('en', 0).tick().set('rst', 0).set('en', 1).monitor('m3', 'mark', 'q').tick(4));
        expect(r1.monitors.get('m3')).toEqual([3n]);

        // No re-registration: the harness keeps the monitor, and the session maps it by name.
        const r2 = await s.run(script(m).tick(8));
        expect(r2.monitors.get('m3')).toEqual([7n, 11n]);
        expect(r2.cycles).toBe(r1.cycles + 8);

        // A run without ticks still lists the known monitor, with no reports.
        const r3 = await s.run(script(m).get('q', 'q'));
        expect(r3.monitors.get('m3')).toEqual([]);
        expect(r3.samples.get('q')).toEqual([12n]);

        // Fired without awaiting: each run gets exactly its own results.
        const [a, b, c] = await Promise.all([
          s.run(script(m).tick(3).get('q', 'q')),
          s.run(script(m).set('en', 0).tick(10).get('q', 'q')),
          s.run(script(m).set('en', 1).tick().get('q', 'q')),
        ]);
        expect(a.samples.get('q')).toEqual([15n]);
        expect(a.monitors.get('m3')).toEqual([15n]);
        expect(b.samples.get('q')).toEqual([15n]);
        // q stays at 15 while disabled, so the monitor fires on every posedge.
        expect(b.monitors.get('m3')).toEqual(Array(10).fill(15n));
        expect(c.samples.get('q')).toEqual([16n]);
        expect(c.monitors.get('m3')).toEqual([]);
        expect([a.cycles, b.cycles, c.cycles]).toEqual([r3.cycles + 3, r3.cycles + 13, r3.cycles + 14]);

        // Validation happens client-side and does not hurt the session.
        await expect(s.run(new StimulusScript().set('nope', 1))).rejects.toThrow(/unknown port 'nope'/);
        const after = await s.run(script(m).get('q', 'q'));
        expect(after.samples.get('q')).toEqual([16n]);

        expect(await s.close()).toBe(c.cycles);
      } finally {
        await s.close();
      }
    },
    T,
  );

  it(
    'rejects on a harness error with the stderr tail, then closes safely',
    async () => {
      const m = await model();
      const s = await VerilatorSession.open(m);
      const ok = await s.run(script(m).set('rst', 1).tick().set('rst', 0).set('en', 1).tick(2).get('q', 'q'));
      expect(ok.samples.get('q')).toEqual([2n]);
      const bad = s.run(script(m).set('d', 0xdead).tick().waitFor('never', 5));
      // Queued behind the failing run.
      const queued = s.run(script(m).get('q', 'q'));
      await expect(bad).rejects.toThrow(/verilator harness error: timeout waiting for never[\s\S]*design saw dead/);
      await expect(queued).rejects.toThrow(/unusable after an earlier failure/);
      await expect(s.run(script(m).tick())).rejects.toThrow(/unusable/);
      // The last cycle count the host saw (from the first run's F line).
      expect(await s.close()).toBe(ok.cycles);
      expect(await s.close()).toBe(ok.cycles);
    },
    T,
  );

  it(
    'kills the model on a timeout',
    async () => {
      const m = await model();
      const s = await VerilatorSession.open(m);
      await expect(s.run(script(m).set('en', 1).tick(1e15), { timeoutMs: 300 })).rejects.toThrow(/timed out after 300 ms/);
      await expect(s.run(script(m).tick())).rejects.toThrow(/unusable/);
      expect(await s.close()).toBe(0);
    },
    T,
  );

  it(
    'dumps an FST trace when asked',
    async () => {
      const src = path.join(tmp, 'sess_echo_t.v');
      fs.writeFileSync(src, ECHO_V);
      const m = await buildVerilatorModel({ top: 'sess_echo', sources: [src], ports: ECHO_PORTS, trace: true });
      const fst = path.join(tmp, 'sess.fst');
      const s = await VerilatorSession.open(m, { traceFile: fst });
      const r = await s.run(script(m).set('rst', 1).tick().set('rst', 0).set('en', 1).tick(10).get('q', 'q'));
      expect(r.samples.get('q')).toEqual([10n]);
      expect(await s.close()).toBe(11);
      expect(fs.statSync(fst).size).toBeGreaterThan(0);
    },
    T,
  );

  it('rejects open() for a missing binary', async () => {
    const m = await model();
    await expect(VerilatorSession.open({ ...m, binary: path.join(tmp, 'no-such-binary') })).rejects.toThrow(/cannot run/);
  }, T);
});
