// The ECPIX-5 build report as the same HTML page as the iCE40 boards' (fpga/build-page.ts htmlPage): the
// verdict, a bar per resource, then what an ECP5 build adds: fmax of every clock against the clock it
// runs at (LiteDRAM's PLL makes several), the DDR3's bandwidth as the projection takes it, the model's
// cycles and tokens/s, and the notes on what the bitstream does not do yet.
import { esc, htmlPage, mhz } from '../build-page.ts';
import type { Ecp5BuildReport } from './build.ts';
import type { AccelConfig } from '../../accel/config.ts';

/** nextpnr's clock net names without its decoration: "$glbnet$u_dram.sys_clk" -> "u_dram.sys_clk". */
export const clockName = (net: string) => net.replace(/^\$glbnet\$/, '').replace(/\$TRELLIS_IO_IN$/, '') || net;

/** Every routed clock: what it reaches, what it must run at, and the margin. */
function clockTable(r: Ecp5BuildReport): string {
  const clocks = Object.entries(r.fmaxByClock);
  if (!clocks.length) return `<h2>Clocks</h2>\n<p>Not routed: no fmax. The system clock would run at ${r.clockMHz} MHz from LiteDRAM's PLL (oscillator ${r.oscillatorMHz} MHz).</p>`;
  const rows = clocks.map(([net, f]) => {
    const margin = (100 * (f.achieved - f.constraint)) / f.constraint;
    const cls = f.achieved >= f.constraint ? 'ok' : 'bad';
    return `<tr><td><code>${esc(clockName(net))}</code></td><td class="n">${esc(mhz(f.achieved))}</td><td class="n">${esc(mhz(f.constraint))}</td><td class="n ${cls}">${margin >= 0 ? '+' : ''}${margin.toFixed(1)}%</td></tr>`;
  });
  return `<h2>Clocks</h2>
<p>fmax of each clock after routing (nextpnr seed ${r.seed}) against the clock it runs at; the system clock is ${r.clockMHz} MHz from LiteDRAM's PLL on the ${r.oscillatorMHz} MHz oscillator, the DDR3 runs at twice it.</p>
<table>
<tr><th>clock</th><th>fmax</th><th>runs at</th><th>margin</th></tr>
${rows.join('\n')}
</table>`;
}

/** The DDR3 as the projection takes it, and what the model gets out of it. */
function throughputTable(r: Ecp5BuildReport): string {
  const d = r.dram;
  const rows: [string, string][] = [
    ['DDR3 peak', `${d.peakMBps.toFixed(0)} MB/s`],
    ['sustained through LiteDRAM', `${((d.peakMBps * d.sequentialEfficiency)).toFixed(0)} MB/s (${(100 * d.sequentialEfficiency).toFixed(1)}% of peak, sequential reads)`],
    ['read latency', `${d.latencyCycles} cycles`],
    ['DRAM figures from', d.source],
    ['cycles per token', `${r.cyclesPerToken} (projected from the program and the DRAM above)`],
    ['tokens/s', `${r.tokensPerSecond.toFixed(2)} at ${r.clockMHz} MHz (projected)`],
  ];
  return `<h2>DRAM and throughput</h2>
<table>
${rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('\n')}
</table>`;
}

function notesList(r: Ecp5BuildReport): string {
  if (!r.notes.length) return '';
  return `<h2>Notes</h2>\n<ul>\n${r.notes.map((n) => `<li>${esc(n)}</li>`).join('\n')}\n</ul>`;
}

/** The accelerator's configuration as far as it is set: target, lanes, then row lanes, packing, port width. */
const accelText = (a: AccelConfig) =>
  [`${a.target}`, `${a.lanes} lanes`, ...(a.rowLanes ? [`${a.rowLanes} row lanes`] : []), ...(a.packing ? [a.packing === '5trit' ? 'weights 5 trits a byte' : 'weights 2 bits each'] : []), ...(a.portBits ? [`${a.portBits}-bit DRAM port`] : [])].join(', ');

export function ecp5ReportPage(r: Ecp5BuildReport): string {
  const s = r.seconds;
  const resources = [
    { label: 'LUT4 (carry halves included)', use: r.resources.lut4 },
    { label: 'FF', use: r.resources.ff },
    { label: 'carry (CCU2C, in synthesis)', use: r.resources.carry },
    { label: 'DP16KD (18 Kbit block RAM)', use: r.resources.dp16kd },
    { label: 'MULT18X18D', use: r.resources.mult18 },
    { label: 'IO', use: r.resources.io },
  ];
  const facts: [string, string][] = [
    ['board', r.board],
    ['part', `${r.device} (${r.package})`],
    ['model', `${r.model} (hash ${r.modelHash}, ${r.imageWords} image words into DRAM from 16-byte word ${r.dramBaseWord})`],
    ['accelerator', accelText(r.accel)],
    ['fmax', `${mhz(r.fmaxMHz)} (the slowest clock's; the system clock runs at ${r.clockMHz} MHz)`],
    ['nextpnr seed', String(r.seed)],
    ['tools', `${r.tools.yosys}; ${r.tools.nextpnr}`],
    ['build time', `LiteDRAM ${s.litedram.toFixed(0)} s, synthesis ${s.synth.toFixed(0)} s, place and route ${s.pnr.toFixed(0)} s, pack ${s.pack.toFixed(0)} s`],
  ];
  // As the build's lines word it (ecp5SummaryLines): the failure may be a tool's error as well as over-use or timing.
  return htmlPage({ ...r, device: `${r.device} (${r.package})`, failedAs: 'Does not build', resources, sections: [clockTable(r), throughputTable(r), notesList(r)], facts });
}
