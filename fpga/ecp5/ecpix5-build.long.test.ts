// The ECPIX-5 bitstream through the command a user runs (npm run build -- --board ecpix5 --json): LiteDRAM
// for the board, the start-up sequencer, the upload path and the accelerator at 64 lanes, synthesised,
// placed and routed on the LFE5UM5G-85F and packed, meeting LiteDRAM's 75 MHz system clock. Long: the
// YoWASP tools took 31 minutes with one core free (synthesis 4, place and route 27), which is why the
// long run starts it first (vitest.config.ts). Also: the committed LPF is what litex-boards gives.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ECPIX5 } from './ecpix5.ts';
import { boardLpf, ECPIX5_LPF } from './ecpix5-top.ts';
import { REPO_ROOT } from './venv.ts';
import type { Ecp5BuildReport } from './build.ts';

const run = promisify(execFile);

describe('the ECPIX-5 build', () => {
  it('has the pins and IO standards of litex-boards in constraints/ecpix5.lpf', () => {
    expect(fs.readFileSync(ECPIX5_LPF, 'utf8')).toBe(boardLpf(ECPIX5));
  }, 120_000);

  it('fits the 85F and meets the 75 MHz system clock (tiny model, seed 1), with a bitstream', async () => {
    const out = path.join(REPO_ROOT, 'build-out', 'ecpix5-test');
    const r = await run('npx', ['tsx', 'cli/build.ts', '--board', 'ecpix5', '--seed', '1', '--out', out, '--json'], { cwd: REPO_ROOT, maxBuffer: 64 << 20, timeout: 60 * 60_000 }).catch((e: { stdout?: string }) => e);
    const report = JSON.parse(String(r.stdout).trim().split('\n').pop()!) as Ecp5BuildReport;
    console.log(
      `ecpix5 (seed ${report.seed}): LUT4 ${report.resources.lut4.used}/${report.resources.lut4.available}, FF ${report.resources.ff.used}, ` +
        `DP16KD ${report.resources.dp16kd.used}/${report.resources.dp16kd.available}, MULT18 ${report.resources.mult18.used}/${report.resources.mult18.available}, ` +
        `fmax ${JSON.stringify(report.fmaxByClock)}, ${report.tokensPerSecond.toFixed(1)} tokens/s projected; seconds ${JSON.stringify(report.seconds)}`,
    );
    expect(report.failure).toBeUndefined();
    expect(report.fits).toBe(true);
    expect(report.clockMHz).toBe(75);
    expect(report.fmaxMHz).not.toBeNull();
    for (const [clock, f] of Object.entries(report.fmaxByClock)) expect(f.achieved, clock).toBeGreaterThanOrEqual(f.constraint);
    for (const [k, u] of Object.entries(report.resources)) expect(u.used, k).toBeLessThanOrEqual(u.available);
    expect(report.resources.lut4.used).toBeGreaterThan(1000);
    expect(report.resources.io.used).toBe(48); // clk100, rst_n, 2 serial, 44 DDR3
    const bit = fs.readFileSync(report.bitstream!);
    expect(bit.length).toBeGreaterThan(100_000);
    expect(bit.includes(Buffer.from([0xff, 0x00]))).toBe(true);
  }, 60 * 60_000);
});
