import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lintYosys, synthIce40 } from './yosys.ts';
import { icepack, placeAndRouteIce40, toolVersions } from './nextpnr.ts';
import { resolveBackend, resolveWasmPackage, runWasmTool, wasmPackageSpec } from './wasm-tools.ts';

const T = 120_000;
let dir: string;

function write(name: string, text: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flow-test-'));
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const COUNTER = `
module counter(input clk, input rst, output [7:0] q);
  reg [7:0] r;
  always @(posedge clk) if (rst) r <= 8'd0; else r <= r + 8'd1;
  assign q = r;
endmodule
`;

// The read is gated by !we because SB_SPRAM256KA only offers no-change
// read-during-write; a read-first memory would be mapped to EBR instead.
const SPRAM = `
module spram_top(input clk, input we, input [13:0] addr, input [15:0] din, output reg [15:0] dout);
  reg [15:0] mem [0:16383];
  always @(posedge clk) begin
    if (we) mem[addr] <= din;
    else dout <= mem[addr];
  end
endmodule
`;

const EBR = `
module ebr_top(input clk, input we, input [7:0] waddr, input [7:0] raddr, input [15:0] din, output reg [15:0] dout);
  reg [15:0] mem [0:255];
  always @(posedge clk) begin
    if (we) mem[waddr] <= din;
    dout <= mem[raddr];
  end
endmodule
`;

describe('iCE40 flow', () => {
  it('reports tool versions', () => {
    const v = toolVersions();
    expect(v.yosys).toMatch(/Yosys/);
    expect(v.nextpnr).toMatch(/nextpnr/);
    expect(v.backend.yosys).toMatch(/^(native|wasm)$/);
    expect(v.backend.nextpnr).toMatch(/^(native|wasm)$/);
    expect(v.backend.icepack).toMatch(/^(native|wasm)$/);
  });

  it('synthesises, places, routes and packs an 8-bit counter', async () => {
    const src = write('counter.v', COUNTER);
    const workDir = path.join(dir, 'counter');
    const syn = await synthIce40({ top: 'counter', sources: [src], workDir, device: 'hx8k' });
    expect(syn.cells.ff).toBeGreaterThanOrEqual(8);
    expect(syn.cells.lut4).toBeGreaterThan(0);
    expect(fs.existsSync(syn.jsonPath)).toBe(true);
    expect(fs.readFileSync(syn.netlistVerilogPath!, 'utf8')).toMatch(/SB_LUT4/);

    const pnr = await placeAndRouteIce40({
      jsonPath: syn.jsonPath, workDir, device: 'hx8k', package: 'ct256', freqMHz: 12, allowUnconstrained: true,
    });
    const fmax = Object.values(pnr.fmaxMHz);
    expect(fmax.length).toBeGreaterThan(0);
    expect(Math.max(...fmax)).toBeGreaterThan(12);
    expect(pnr.passedTiming).toBe(true);
    expect(pnr.seed).toBe(1);
    expect(pnr.utilisation['ICESTORM_LC']!.used).toBeGreaterThan(0);

    const bin = path.join(workDir, 'counter.bin');
    await icepack(pnr.ascPath, bin);
    expect(fs.statSync(bin).size).toBeGreaterThan(0);
    console.log(`counter: synth ${syn.seconds.toFixed(2)} s, pnr ${pnr.seconds.toFixed(2)} s, fmax ${JSON.stringify(pnr.fmaxMHz)}`);
  }, T);

  it('lint reports multiple drivers and undriven wires, and is clean otherwise', async () => {
    const bad = write('bad.v', `
module bad(input a, input b, output y, output z);
  wire w; wire u;
  assign w = a;
  assign w = b;
  assign y = w;
  assign z = u;
endmodule
`);
    const warnings = await lintYosys({ top: 'bad', sources: [bad] });
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.join('\n')).toMatch(/conflicting drivers/);
    expect(warnings.join('\n')).toMatch(/no driver/);

    const good = write('counter_lint.v', COUNTER);
    expect(await lintYosys({ top: 'counter', sources: [good] })).toEqual([]);
  }, T);

  it('lint throws on a missing module', async () => {
    const src = write('missing.v', 'module m(input a, output y); nothere u(.a(a), .y(y)); endmodule\n');
    await expect(lintYosys({ top: 'm', sources: [src] })).rejects.toThrow(/nothere/);
  }, T);

  it('infers block RAM for a 256x16 synchronous-read memory', async () => {
    // Spaces in both paths exercise the script quoting and the stat fallback.
    const src = write('ebr top.v', EBR);
    const syn = await synthIce40({ top: 'ebr_top', sources: [src], workDir: path.join(dir, 'ebr work') });
    expect(syn.cells.ebr).toBeGreaterThanOrEqual(1);
    console.log(`ebr: synth ${syn.seconds.toFixed(2)} s, cells ${JSON.stringify(syn.cells)}`);
  }, T);

  it('infers one SPRAM for a 16384x16 memory with spram enabled', async () => {
    const src = write('spram.v', SPRAM);
    const syn = await synthIce40({ top: 'spram_top', sources: [src], workDir: path.join(dir, 'spram'), spram: true });
    expect(syn.cells.spram).toBe(1);
    expect(syn.cells.ebr).toBe(0);
    console.log(`spram: synth ${syn.seconds.toFixed(2)} s, cells ${JSON.stringify(syn.cells)}`);
  }, T);

  it('rejects an impossible clock target when timing may not fail', async () => {
    const src = write('counter_fast.v', COUNTER);
    const workDir = path.join(dir, 'fast');
    const syn = await synthIce40({ top: 'counter', sources: [src], workDir, device: 'hx8k' });
    const opts = { jsonPath: syn.jsonPath, workDir, device: 'hx8k' as const, package: 'ct256', freqMHz: 2000, allowUnconstrained: true };
    await expect(placeAndRouteIce40(opts)).rejects.toThrow(/FAIL at 2000/);

    // With timingAllowFail the run completes but reports the miss.
    const pnr = await placeAndRouteIce40({ ...opts, timingAllowFail: true });
    expect(pnr.passedTiming).toBe(false);
  }, T);

  it('rejects a design with more flip-flops than the up5k has logic cells', async () => {
    // 6000 FFs cannot fit in 5280 LCs; a shift register synthesises quickly.
    const src = write('big.v', `
module big(input clk, input d, output q);
  reg [5999:0] sr;
  always @(posedge clk) sr <= {sr[5998:0], d};
  assign q = sr[5999];
endmodule
`);
    const workDir = path.join(dir, 'big');
    const syn = await synthIce40({ top: 'big', sources: [src], workDir });
    expect(syn.cells.ff).toBe(6000);
    const t0 = performance.now();
    await expect(
      placeAndRouteIce40({ jsonPath: syn.jsonPath, workDir, device: 'up5k', package: 'sg48', freqMHz: 12, allowUnconstrained: true }),
    ).rejects.toThrow(/no BELs remaining/);
    console.log(`big: synth ${syn.seconds.toFixed(2)} s, failing pnr ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  }, T);
});

describe('tool backend selection', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('honours FPGA_TOOLCHAIN and an explicit backend, and rejects unknown values', () => {
    vi.stubEnv('FPGA_TOOLCHAIN', 'native');
    expect(resolveBackend('yosys')).toBe('native');
    // An explicit option beats the environment.
    if (resolveWasmPackage('yosys')) expect(resolveBackend('yosys', 'wasm')).toBe('wasm');
    vi.stubEnv('FPGA_TOOLCHAIN', 'fpga');
    expect(() => resolveBackend('yosys')).toThrow(/FPGA_TOOLCHAIN must be "native", "wasm" or "auto", got "fpga"/);
  });

  it('falls back to the WebAssembly build when the native binary is missing, else says how to get one', () => {
    vi.stubEnv('FPGA_TOOLCHAIN', '');
    vi.stubEnv('ICEPACK', path.join(os.tmpdir(), 'no-such-dir', 'icepack'));
    if (resolveWasmPackage('icepack')) {
      expect(resolveBackend('icepack')).toBe('wasm');
    } else {
      expect(() => resolveBackend('icepack')).toThrow(
        'icepack not found: install it (apt-get install fpga-icestorm) or run ' +
          `\`npm install ${wasmPackageSpec('icepack')}\` for the WebAssembly build`,
      );
    }
  });
});

const wasmMissing = ['yosys', 'nextpnr-ice40'].filter((t) => !resolveWasmPackage(t as 'yosys' | 'nextpnr-ice40'));
if (wasmMissing.length) {
  console.log(
    `skipping WebAssembly flow tests: ${wasmMissing.join(', ')} not installed ` +
      `(npm install --no-save ${wasmPackageSpec('yosys')} ${wasmPackageSpec('nextpnr-ice40')})`,
  );
}

describe('iCE40 flow on the WebAssembly (YoWASP) tools', () => {
  it.skipIf(wasmMissing.length > 0)('reports the WebAssembly tool versions', () => {
    const v = toolVersions({ backend: 'wasm' });
    expect(v.yosys).toMatch(/^Yosys \d+\.\d+ .*WebAssembly/);
    expect(v.nextpnr).toMatch(/^nextpnr-ice40 \d+\.\d+ .*WebAssembly/);
    expect(v.backend).toEqual({ yosys: 'wasm', nextpnr: 'wasm', icepack: 'wasm' });
  });

  it.skipIf(wasmMissing.length > 0)('synthesises, places, routes and packs an 8-bit counter', async () => {
    // The source lives outside the work directory, in a directory with a space.
    fs.mkdirSync(path.join(dir, 'wasm src'), { recursive: true });
    const src = path.join(dir, 'wasm src', 'counter.v');
    fs.writeFileSync(src, COUNTER);
    const workDir = path.join(dir, 'wasm counter');
    const t0 = performance.now();
    const syn = await synthIce40({ top: 'counter', sources: [src], workDir, device: 'hx8k', backend: 'wasm' });
    expect(syn.backend).toBe('wasm');
    expect(syn.cells.ff).toBeGreaterThanOrEqual(8);
    expect(syn.cells.lut4).toBeGreaterThan(0);
    expect(syn.cells.other).toEqual({});
    expect(fs.readFileSync(syn.jsonPath, 'utf8')).not.toMatch(/\$scopeinfo/);
    expect(fs.readFileSync(syn.netlistVerilogPath!, 'utf8')).toMatch(/SB_LUT4/);
    expect(fs.readFileSync(path.join(workDir, 'counter_synth.ys'), 'utf8')).toMatch(/^read_verilog "counter\.v"$/m);

    const pnr = await placeAndRouteIce40({
      jsonPath: syn.jsonPath, workDir, device: 'hx8k', package: 'ct256', freqMHz: 12, allowUnconstrained: true,
      backend: 'wasm',
    });
    expect(pnr.backend).toBe('wasm');
    const fmax = Object.values(pnr.fmaxMHz);
    expect(fmax.length).toBeGreaterThan(0);
    expect(Math.max(...fmax)).toBeGreaterThan(12);
    expect(pnr.passedTiming).toBe(true);
    expect(pnr.utilisation['ICESTORM_LC']!.used).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(workDir, 'report.json'))).toBe(true);

    const bin = path.join(workDir, 'counter.bin');
    const pack = await icepack(pnr.ascPath, bin, { backend: 'wasm' });
    expect(pack.backend).toBe('wasm');
    expect(fs.statSync(bin).size).toBeGreaterThan(0);
    const total = (performance.now() - t0) / 1000;
    console.log(
      `wasm counter: synth ${syn.seconds.toFixed(2)} s, pnr ${pnr.seconds.toFixed(2)} s, ` +
        `pack ${pack.seconds.toFixed(2)} s, total ${total.toFixed(2)} s, fmax ${JSON.stringify(pnr.fmaxMHz)}`,
    );
  }, T);

  it.skipIf(wasmMissing.length > 0)('lints, and throws on a missing module', async () => {
    const src = write('wasm_missing.v', 'module m(input a, output y); nothere u(.a(a), .y(y)); endmodule\n');
    await expect(lintYosys({ top: 'm', sources: [src], backend: 'wasm' })).rejects.toThrow(/WebAssembly.*\n?.*nothere/);
    const good = write('wasm_lint.v', COUNTER);
    expect(await lintYosys({ top: 'counter', sources: [good], backend: 'wasm' })).toEqual([]);
  }, T);

  it.skipIf(wasmMissing.length > 0)('rejects two sources with the same basename', async () => {
    for (const d of ['a', 'b']) fs.mkdirSync(path.join(dir, d), { recursive: true });
    fs.writeFileSync(path.join(dir, 'a', 'dup.v'), 'module x; endmodule\n');
    fs.writeFileSync(path.join(dir, 'b', 'dup.v'), 'module y; endmodule\n');
    await expect(
      synthIce40({
        top: 'x', sources: [path.join(dir, 'a', 'dup.v'), path.join(dir, 'b', 'dup.v')], workDir: path.join(dir, 'dup'),
        backend: 'wasm',
      }),
    ).rejects.toThrow(/two share the name dup\.v/);
  });

  it.skipIf(wasmMissing.length > 0)('runs a tool on an in-memory tree and writes its outputs back', async () => {
    const out = path.join(dir, 'tree');
    const ok = await runWasmTool(
      'yosys', ['-q', '-p', 'read_verilog src/a.v; write_verilog gen/out.v'], { 'src/a.v': 'module a(input x, output y); assign y = ~x; endmodule\n' }, out,
    );
    expect(ok.code).toBe(0);
    // Inputs are not copied back, only what the tool wrote.
    expect(ok.written).toEqual([path.join(out, 'gen', 'out.v')]);
    expect(fs.readFileSync(path.join(out, 'gen', 'out.v'), 'utf8')).toMatch(/module a/);

    const bad = await runWasmTool('yosys', ['-p', 'read_verilog nope.v'], {}, out);
    expect(bad.code).not.toBe(0);
    expect(bad.output).toMatch(/nope\.v/);
  }, T);
});
