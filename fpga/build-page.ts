// The build report for people: a plain-text table for the terminal and an HTML page with a bar per
// resource (an inline SVG, no scripts, nothing fetched) to open in a browser. The page's skeleton, its
// resource bars and its facts table serve the ECPIX-5's report too (fpga/ecp5/report-page.ts).
import type { BuildReport, Use } from './board-build.ts';
import type { ModuleUse } from './module-utilisation.ts';

const ROWS: [keyof BuildReport['resources'], string][] = [
  ['logicCells', 'logic cells (LUT4 + DFF + carry)'],
  ['lut4', 'LUT4'],
  ['dff', 'DFF'],
  ['carry', 'carry'],
  ['ebr', 'EBR (4 Kbit block RAM)'],
  ['spram', 'SPRAM (256 Kbit)'],
  ['dsp', 'DSP (SB_MAC16)'],
  ['io', 'IO'],
];

const pct = (u: Use) => (u.available ? `${((100 * u.used) / u.available).toFixed(0)}%` : u.used ? 'none on the part' : '-');
export const mhz = (f: number | null) => (f === null ? '-' : `${f.toFixed(2)} MHz`);
const perS = (t: number | null) => (t === null ? '-' : `${t.toFixed(1)} tokens/s`);
/** The clock the design runs at, and where it comes from. */
const clockText = (r: BuildReport) =>
  r.pll ? `runs at ${r.clockMHz} MHz from the PLL, oscillator ${r.oscillatorMHz} MHz` : `runs at the board clock, ${r.clockMHz} MHz`;

/** The per-instance columns, in the order of the table (own cells; 'below' adds the instances under it). */
const MODULE_COLS: [keyof Omit<ModuleUse, 'name' | 'instancePath'>, string][] = [
  ['logicCells', 'LC'],
  ['logicCellsBelow', 'LC below'],
  ['lut4', 'LUT4'],
  ['carry', 'carry'],
  ['dff', 'DFF'],
  ['ebr', 'EBR'],
  ['dsp', 'DSP'],
  ['spram', 'SPRAM'],
];

/** An instance's label: its own name, indented by its depth (the top by its module name). */
const instanceLabel = (m: ModuleUse) => {
  const parts = m.instancePath ? m.instancePath.split('.') : [];
  return `${'  '.repeat(parts.length)}${parts.at(-1) ?? m.name}`;
};

/** The per-instance table: one row per instance, then what nextpnr's packer did beyond the count (it can be negative). */
export function moduleLines(r: BuildReport): string[] {
  if (!r.modules.length) return [];
  const w = Math.max('instance'.length, ...r.modules.map((m) => instanceLabel(m).length));
  const cell = (v: string | number, i: number) => String(v).padStart(Math.max(MODULE_COLS[i]![1].length, 5));
  const lines = [`${'instance'.padEnd(w)}  ${MODULE_COLS.map(([, l], i) => cell(l, i)).join('  ')}  module`];
  for (const m of r.modules) lines.push(`${instanceLabel(m).padEnd(w)}  ${MODULE_COLS.map(([k], i) => cell(m[k], i)).join('  ')}  ${m.name}`);
  if (r.placerLogicCells !== null) lines.push(`${'(nextpnr)'.padEnd(w)}  ${cell(r.placerLogicCells, 0)}  nextpnr beyond this count: carry-chain feed-ins and constants less LUTs merged into carry cells`);
  return lines;
}

export function summaryLines(r: BuildReport): string[] {
  const lines = [`${r.board}: ${r.device}-${r.package}, ${r.model}, accelerator ${r.accel.target} with ${r.accel.lanes} lanes (model hash ${r.modelHash}, ${r.imageWords} image words)`];
  const w = Math.max(...ROWS.map(([, l]) => l.length));
  lines.push(`${'resource'.padEnd(w)}  ${'used'.padStart(6)}  ${'of'.padStart(6)}  ${'use'.padStart(5)}`);
  for (const [k, label] of ROWS) {
    const u = r.resources[k];
    lines.push(`${label.padEnd(w)}  ${String(u.used).padStart(6)}  ${String(u.available).padStart(6)}  ${pct(u).padStart(5)}`);
  }
  lines.push(...moduleLines(r));
  lines.push(`fmax ${mhz(r.fmaxMHz)} (${clockText(r)}, nextpnr seed ${r.seed})`);
  lines.push(`${r.cyclesPerToken} cycles per token: ${perS(r.tokensPerSecond)} at fmax, ${perS(r.tokensPerSecondAtClock)} at ${r.clockMHz} MHz`);
  lines.push(r.fits ? `fits: bitstream ${r.bitstream}` : `does not fit: ${r.failure}`);
  return lines;
}

export const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** One bar per resource the part has or the design uses: blue, orange above 90%, red when over or absent. */
export function resourceBars(all: readonly { label: string; use: Use }[]): string {
  const rows = all.filter(({ use }) => use.available > 0 || use.used > 0);
  const h = 26;
  const labelW = 250;
  const barW = 420;
  const body = rows
    .map(({ label, use: u }, i) => {
      const frac = u.available ? Math.min(1, u.used / u.available) : 1;
      const colour = !u.available || u.used > u.available ? '#c0392b' : frac > 0.9 ? '#e67e22' : '#2e86c1';
      const y = i * h;
      return (
        `<text x="0" y="${y + 17}">${esc(label)}</text>` +
        `<rect x="${labelW}" y="${y + 4}" width="${barW}" height="${h - 8}" fill="#eee"/>` +
        `<rect x="${labelW}" y="${y + 4}" width="${(barW * frac).toFixed(1)}" height="${h - 8}" fill="${colour}"/>` +
        `<text x="${labelW + barW + 8}" y="${y + 17}">${u.used} / ${u.available} (${pct(u)})</text>`
      );
    })
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${labelW + barW + 170}" height="${rows.length * h}" font-family="sans-serif" font-size="13">\n${body}\n</svg>`;
}

/** The per-instance table of the page, indented by depth, with a bar of each instance's share of the logic cells below it. */
function moduleTable(r: BuildReport): string {
  if (!r.modules.length) return '';
  const total = r.resources.logicCells.used || r.modules.reduce((s, m) => s + m.logicCells, 0);
  const head = `<tr><th>instance</th><th>module</th>${MODULE_COLS.map(([, l]) => `<th>${esc(l)}</th>`).join('')}<th>share of LC (with below)</th></tr>`;
  const rows = r.modules.map((m) => {
    const depth = m.instancePath ? m.instancePath.split('.').length : 0;
    const frac = total ? Math.min(1, m.logicCellsBelow / total) : 0;
    const bar = `<svg width="160" height="12"><rect width="160" height="12" fill="#eee"/><rect width="${(160 * frac).toFixed(1)}" height="12" fill="#2e86c1"/></svg> ${(100 * frac).toFixed(1)}%`;
    return `<tr><td style="padding-left:${depth}em">${esc(m.instancePath.split('.').at(-1) || m.name)}</td><td><code>${esc(m.name)}</code></td>${MODULE_COLS.map(([k]) => `<td class="n">${m[k]}</td>`).join('')}<td>${bar}</td></tr>`;
  });
  if (r.placerLogicCells !== null) rows.push(`<tr><td>(nextpnr)</td><td>nextpnr beyond this count: carry-chain feed-ins and constants less LUTs merged into carry cells</td><td class="n">${r.placerLogicCells}</td></tr>`);
  return `<h2>Per instance</h2>
<p>Each instance's own cells in the flattened netlist, attributed by the names yosys gives them; LC counts the logic cells as nextpnr packs them, LC below adds the instances under it.</p>
<table class="modules">
${head}
${rows.join('\n')}
</table>`;
}

/** What a board's report page shows: the verdict, the resource bars, sections of its own, a table of facts. */
export interface PageParts {
  board: string;
  device: string;
  model: string;
  fits: boolean;
  bitstream: string | null;
  failure?: string;
  /** How the page words a failure (default "Does not fit"). */
  failedAs?: string;
  resources: { label: string; use: Use }[];
  /** HTML sections between the bars and the facts, already escaped. */
  sections: string[];
  facts: [string, string][];
}

/** The page every board's build writes beside its bitstream: standalone HTML, no scripts, nothing fetched. */
export function htmlPage(p: PageParts): string {
  const verdict = p.fits ? `<p class="ok">Fits. Bitstream: <code>${esc(p.bitstream ?? '')}</code></p>` : `<p class="bad">${esc(p.failedAs ?? 'Does not fit')}: ${esc(p.failure ?? '')}</p>`;
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${esc(p.board)} build: ${esc(p.model)}</title>
<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}td{padding:2px 12px 2px 0}.n{text-align:right}.modules th{text-align:right}.ok{color:#1e8449}.bad{color:#c0392b}</style>
</head><body>
<h1>${esc(p.board)}: ${esc(p.device)}</h1>
${verdict}
${resourceBars(p.resources)}
${p.sections.join('\n')}
<table>
${p.facts.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('\n')}
</table>
</body></html>
`;
}

export function reportPage(r: BuildReport): string {
  const facts: [string, string][] = [
    ['board', r.board],
    ['part', `${r.device}-${r.package}`],
    ['model', `${r.model} (hash ${r.modelHash}, ${r.imageWords} image words)`],
    ['accelerator', `${r.accel.target}, ${r.accel.lanes} lanes`],
    ['fmax', `${mhz(r.fmaxMHz)} (${clockText(r)})`],
    ['cycles per token', String(r.cyclesPerToken)],
    ['tokens/s', `${perS(r.tokensPerSecond)} at fmax; ${perS(r.tokensPerSecondAtClock)} at ${r.clockMHz} MHz`],
    ['nextpnr seed', String(r.seed)],
    ['tools', `${r.tools.yosys}; ${r.tools.nextpnr}`],
  ];
  const resources = ROWS.map(([k, label]) => ({ label, use: r.resources[k] }));
  return htmlPage({ ...r, resources, sections: [moduleTable(r)], facts });
}
