// The ECPIX-5 report page from report objects (no build): seeded reports across fits / fails, clocks that
// meet or miss their constraint, no clocks at all (the build stopped before routing), any number of
// notes and a model label that needs escaping. Every figure of the report must be on the page, in the
// same skeleton as the iCE40 boards' page.
import { describe, expect, it } from 'vitest';
import { clockName, ecp5ReportPage } from './report-page.ts';
import type { Ecp5BuildReport, Use } from './build.ts';
import { reportPage } from '../build-page.ts';
import type { BuildReport } from '../board-build.ts';
import { seededRandom } from '../../util/prng.ts';

function randomReport(seed: number): Ecp5BuildReport {
  const rnd = seededRandom(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const use = (available: number): Use => ({ used: int(available * 1.2 + 1), available });
  const fits = rnd() < 0.5;
  const clockCount = int(4);
  const nets = ['$glbnet$u_dram.sys_clk', '$glbnet$clk100$TRELLIS_IO_IN', '$glbnet$u_dram.crg_clkout1'];
  const fmaxByClock: Ecp5BuildReport['fmaxByClock'] = {};
  for (let i = 0; i < clockCount && i < nets.length; i++) {
    const constraint = 25 + int(100) + rnd();
    fmaxByClock[nets[i]!] = { constraint, achieved: constraint * (0.8 + 0.4 * rnd()) };
  }
  const achieved = Object.values(fmaxByClock).map((f) => f.achieved);
  return {
    board: 'ecpix5',
    device: 'LFE5UM5G-85F-8BG554I',
    package: 'CABGA554',
    model: `/tmp/m<${seed}>&"x"`,
    accel: { target: 'external', lanes: [32, 64, 128][int(3)]!, ...(rnd() < 0.5 ? { packing: '5trit', portBits: 128 } : rnd() < 0.5 ? { packing: '2bit' } : {}), ...(rnd() < 0.3 ? { rowLanes: 4 } : {}) },
    modelHash: `0x${int(2 ** 32).toString(16).padStart(8, '0')}`,
    imageWords: 1000 + int(1e6),
    dramBaseWord: 4096,
    fits,
    ...(fits ? {} : { failure: `timing: u_dram.sys_clk reaches <${seed}> MHz` }),
    resources: { lut4: use(83640), ff: use(83640), carry: use(41820), dp16kd: use(208), mult18: use(156), io: clockCount ? use(365) : { used: 0, available: 0 } },
    oscillatorMHz: 100,
    clockMHz: 50 + int(50),
    fmaxMHz: achieved.length ? Math.min(...achieved) : null,
    fmaxByClock,
    dram: { peakMBps: 100 + int(1000), sequentialEfficiency: 0.5 + rnd() / 2, latencyCycles: int(40), source: 'ddr3-x16 <measured>' },
    cyclesPerToken: 1000 + int(1e7),
    tokensPerSecond: rnd() * 1e4,
    seed: int(100),
    bitstream: fits ? `/out/${seed}/mmf_ecpix5.bit` : null,
    verilog: [],
    tools: { yosys: `Yosys 0.${seed} (git sha1 abc)`, nextpnr: `nextpnr-0.${seed}` },
    seconds: { litedram: rnd() * 10, synth: rnd() * 200, pnr: rnd() * 900, pack: rnd() * 5 },
    notes: Array.from({ length: int(3) }, (_, i) => `note ${i} <of ${seed}>`),
  };
}

const escaped = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

describe('ECPIX-5 report page', () => {
  for (let seed = 1; seed <= 24; seed++) {
    const r = randomReport(seed);
    it(`seed ${seed}: ${r.fits ? 'fits' : 'fails'}, ${Object.keys(r.fmaxByClock).length} clocks, ${r.notes.length} notes`, () => {
      const page = ecp5ReportPage(r);
      // Standalone: nothing run, nothing fetched.
      expect(page).not.toMatch(/<script|\bsrc=|\bhref=/i);
      // Escaped: the model label, the failure and the notes never appear raw.
      expect(page).not.toContain(r.model);
      expect(page).toContain(escaped(r.model));
      expect(page).toContain(r.fits ? `Fits. Bitstream: <code>${r.bitstream}</code>` : `Does not build: ${escaped(r.failure!)}`);

      // A bar per resource the part has or the design uses, with its counts.
      const shown = Object.values(r.resources).filter((u) => u.available > 0 || u.used > 0);
      expect(page.match(/<rect /g)).toHaveLength(2 * shown.length);
      for (const u of shown) expect(page).toContain(`${u.used} / ${u.available}`);

      // Every clock with its fmax, the clock it runs at and whether it makes it.
      const clocks = Object.entries(r.fmaxByClock);
      if (!clocks.length) expect(page).toContain('Not routed: no fmax');
      for (const [net, f] of clocks) {
        const row = new RegExp(`<tr><td><code>${clockName(net)}</code></td><td class="n">${f.achieved.toFixed(2)} MHz</td><td class="n">${f.constraint.toFixed(2)} MHz</td><td class="n (ok|bad)">`).exec(page);
        expect(row, net).not.toBeNull();
        expect(row![1]).toBe(f.achieved >= f.constraint ? 'ok' : 'bad');
      }
      expect(page).toContain(r.fmaxMHz === null ? '<td>fmax</td><td>-' : `<td>fmax</td><td>${r.fmaxMHz.toFixed(2)} MHz`);

      // The DRAM, the throughput, the seed, the tools, the notes.
      expect(page).toContain(`${r.dram.peakMBps.toFixed(0)} MB/s`);
      expect(page).toContain(`${(r.dram.peakMBps * r.dram.sequentialEfficiency).toFixed(0)} MB/s (${(100 * r.dram.sequentialEfficiency).toFixed(1)}% of peak`);
      expect(page).toContain(`${r.dram.latencyCycles} cycles`);
      expect(page).toContain(escaped(r.dram.source));
      expect(page).toContain(`${r.cyclesPerToken} (projected`);
      expect(page).toContain(`${r.tokensPerSecond.toFixed(2)} at ${r.clockMHz} MHz`);
      expect(page).toContain(`<td>nextpnr seed</td><td>${r.seed}</td>`);
      expect(page).toContain(`${r.tools.yosys}; ${r.tools.nextpnr}`);
      const accel = /<td>accelerator<\/td><td>([^<]*)<\/td>/.exec(page)?.[1];
      expect(accel).toBe(
        [`external, ${r.accel.lanes} lanes`, r.accel.rowLanes && `${r.accel.rowLanes} row lanes`, r.accel.packing && { '5trit': 'weights 5 trits a byte', '2bit': 'weights 2 bits each' }[r.accel.packing], r.accel.portBits && `${r.accel.portBits}-bit DRAM port`].filter(Boolean).join(', '),
      );
      expect(page).toContain(`hash ${r.modelHash}, ${r.imageWords} image words`);
      expect(page.match(/<li>/g) ?? []).toHaveLength(r.notes.length);
      for (const n of r.notes) expect(page).toContain(`<li>${escaped(n)}</li>`);
    });
  }

  it('has the iCE40 page\'s skeleton: the same head and style, verdict, bars and facts table', () => {
    const r = randomReport(3);
    const u = (used: number, available: number) => ({ used, available });
    const ice: BuildReport = {
      ...r,
      device: 'up5k',
      package: 'sg48',
      resources: { logicCells: u(5267, 5280), lut4: u(4150, 5280), dff: u(2239, 5280), carry: u(1059, 5280), ebr: u(29, 30), spram: u(4, 4), dsp: u(8, 8), io: u(6, 96) },
      modules: [],
      placerLogicCells: null,
      pll: null,
      fmaxByClock: {},
      tokensPerSecond: null,
      tokensPerSecondAtClock: 1,
      seconds: { synth: 1, modules: 1, pnr: 1, pack: 1 },
    };
    const head = (p: string) => p.slice(0, p.indexOf('<h1>'));
    expect(head(ecp5ReportPage(r))).toBe(head(reportPage(ice)));
    for (const page of [ecp5ReportPage(r), reportPage(ice)]) expect(page).toMatch(/<\/h1>\n<p class="(ok|bad)">[^\n]*\n<svg [\s\S]*<table>\n<tr><td>board<\/td>[\s\S]*<\/table>\n<\/body><\/html>\n$/);
  });

  it('names clocks without nextpnr\'s decoration', () => {
    expect(clockName('$glbnet$u_dram.sys_clk')).toBe('u_dram.sys_clk');
    expect(clockName('$glbnet$clk100$TRELLIS_IO_IN')).toBe('clk100');
    expect(clockName('clk')).toBe('clk');
  });
});
