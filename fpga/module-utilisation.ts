// Where the cells go: the flattened synth_ice40 netlist's cells attributed to the instances of the
// design's hierarchy by their names. Yosys names every flattened cell after its instance path
// ("u_core.u_accel.u_row._add_3_SB_CARRY_CO", "u_core.u_accel.u_wmem0.ram.0.0"), so the longest
// instance path that prefixes a cell's name is where it came from. This reads the netlist the build
// places and routes anyway: no second synthesis (one more would cost a minute; a -noflatten one would
// count another netlist, whose modules are not optimised across their ports), nothing added to the
// build but a parse of about a second, and the rows add up exactly to the flattened totals. What it
// cannot see: logic that abc merged across a module boundary carries the name of one side's net (the
// totals are exact, the split at the boundaries approximate), and logic cells exist only after
// nextpnr packs LUT, DFF and carry together, so each instance's logic cells are counted with nextpnr's
// packing rules (a DFF joins the LUT that alone drives its D; a carry joins the LUT its CI drives, when
// that LUT has the carry's inputs); what nextpnr does beyond them (carry-chain feed-ins and constant
// drivers, less LUTs it merges into carry cells) is the gap to the routed total: -15 of 5,255 on the
// iCEBreaker build (yosys 0.23), -1 of 5,242 with yosys 0.70.
import fs from 'node:fs';
import type { Module } from '../hdl/core/module.ts';

export interface ModuleUse {
  /** The module's name (its Verilog module). */
  name: string;
  /** Dotted instance path from the top ('' for the top itself). */
  instancePath: string;
  lut4: number;
  carry: number;
  dff: number;
  ebr: number;
  dsp: number;
  spram: number;
  /** Logic cells of this instance alone, packed as nextpnr packs them. */
  logicCells: number;
  /** Logic cells of this instance and everything below it. */
  logicCellsBelow: number;
}

export interface InstanceNode {
  name: string;
  instancePath: string;
  /** Vendor primitives (SB_PLL40_PAD, ...) instantiated by hand: counted in their parent. */
  blackbox: boolean;
  /** The module's output ports: a cell driving one of them is inside this instance, whatever its name says. */
  outputs: string[];
}

/** Every instance of the design under `top`, parents before children, in declaration order. */
export function instanceTree(top: Module): InstanceNode[] {
  const out: InstanceNode[] = [];
  const visit = (m: Module, p: string) => {
    out.push({ name: m.name, instancePath: p, blackbox: m.blackbox, outputs: m.ports.filter((s) => s.dir === 'output').map((s) => s.name) });
    if (m.blackbox) return;
    for (const inst of m.instances) visit(inst.def, p ? `${p}.${inst.name}` : inst.name);
  };
  visit(top, '');
  return out;
}

type Bit = number | string;
interface JsonCell {
  type: string;
  attributes?: Record<string, unknown>;
  port_directions?: Record<string, string>;
  connections: Record<string, Bit[]>;
}
interface JsonModule {
  ports?: Record<string, { direction: string; bits: Bit[] }>;
  cells: Record<string, JsonCell>;
  netnames: Record<string, { bits: Bit[]; hide_name?: number }>;
}

const depth = (r: { instancePath: string }) => (r.instancePath ? r.instancePath.split('.').length : 0);

type Kind = 'lut4' | 'carry' | 'dff' | 'ebr' | 'dsp' | 'spram';
function kindOf(type: string): Kind | undefined {
  if (type === 'SB_LUT4') return 'lut4';
  if (type === 'SB_CARRY') return 'carry';
  if (type.startsWith('SB_DFF')) return 'dff';
  if (type.startsWith('SB_RAM40_4K')) return 'ebr';
  if (type === 'SB_MAC16') return 'dsp';
  if (type === 'SB_SPRAM256KA') return 'spram';
  return undefined;
}

/**
 * The per-instance use of a flattened netlist (yosys write_json after synth_ice40). `instances` is
 * the design's tree (instanceTree); the rows come back in its order, one per non-blackbox instance.
 */
export function attributeCells(netlist: { modules: Record<string, JsonModule> }, top: string, instances: InstanceNode[]): ModuleUse[] {
  const mod = netlist.modules[top];
  if (!mod) throw new Error(`netlist has no module ${top} (has ${Object.keys(netlist.modules).join(', ')})`);
  const rows = instances.filter((n) => !n.blackbox).map((n): ModuleUse => ({ name: n.name, instancePath: n.instancePath, lut4: 0, carry: 0, dff: 0, ebr: 0, dsp: 0, spram: 0, logicCells: 0, logicCellsBelow: 0 }));
  const byPath = new Map(rows.map((r) => [r.instancePath, r]));
  const owner = (name: string): ModuleUse | undefined => {
    const parts = name.replace(/^\\/, '').split('.');
    for (let k = parts.length - 1; k >= 1; k--) {
      const r = byPath.get(parts.slice(0, k).join('.'));
      if (r) return r;
    }
    return undefined;
  };
  // A cell yosys left with an internal name ($abc$...) goes where the first named net on it goes.
  const netName = new Map<Bit, string>();
  for (const [n, w] of Object.entries(mod.netnames)) if (!w.hide_name && !n.startsWith('$')) for (const b of w.bits) if (!netName.has(b)) netName.set(b, n);
  // A net that is an instance's output port is driven from inside that instance: yosys may have named
  // its driver after the parent's name of the net ("line_SB_DFFESS_Q" for u_tx's tx), so the deepest
  // such instance on a cell's outputs overrides a shallower name.
  const drivenFrom = new Map<Bit, ModuleUse>();
  const outputsOf = new Map(instances.filter((n) => !n.blackbox && n.instancePath).map((n) => [n.instancePath, new Set(n.outputs)]));
  for (const [n, w] of Object.entries(mod.netnames)) {
    const dot = n.lastIndexOf('.');
    if (dot < 0 || !outputsOf.get(n.slice(0, dot))?.has(n.slice(dot + 1))) continue;
    const r = byPath.get(n.slice(0, dot))!;
    for (const b of w.bits) {
      const had = drivenFrom.get(b);
      if (!had || depth(r) > depth(had)) drivenFrom.set(b, r);
    }
  }
  const within = (inner: ModuleUse, outer: ModuleUse) => inner.instancePath === outer.instancePath || inner.instancePath.startsWith(`${outer.instancePath}.`);
  const topRow = byPath.get('')!;
  // The src attribute names the Verilog file the cell came from, one file per module (<module>.v): a
  // cell named after a net of an ancestor (newer yosys keeps fewer of the children's port names) goes
  // down to the one instance below it of the module its source says, when there is exactly one.
  const bySource = (r: ModuleUse, c: JsonCell): ModuleUse | undefined => {
    const src = c.attributes?.src;
    if (typeof src !== 'string') return undefined;
    const mods = new Set(src.split('|').map((s) => /([^/\\]+)\.s?v:/.exec(s)?.[1]));
    if (mods.has(r.name)) return undefined;
    const below = rows.filter((x) => x !== r && within(x, r) && mods.has(x.name));
    const deepest = Math.max(...below.map(depth));
    const pick = below.filter((x) => depth(x) === deepest);
    return pick.length === 1 ? pick[0] : undefined;
  };
  const where = (cellName: string, c: JsonCell): ModuleUse => {
    const named = cellName.startsWith('$') ? undefined : owner(cellName);
    let driver: ModuleUse | undefined;
    for (const [port, bits] of Object.entries(c.connections)) {
      if (c.port_directions?.[port] !== 'output') continue;
      for (const b of bits) {
        const r = drivenFrom.get(b);
        if (r && (!driver || depth(r) > depth(driver))) driver = r;
      }
    }
    const chosen = driver && !(named && within(named, driver)) ? driver : named;
    if (chosen) return bySource(chosen, c) ?? chosen;
    for (const bits of Object.values(c.connections)) for (const b of bits) {
      const n = netName.get(b);
      const r = n && owner(n);
      if (r) return r;
    }
    return topRow;
  };

  // Packing, as nextpnr-ice40 does it: one LC per LUT; a DFF whose D net is driven by a LUT and used by
  // nothing else joins that LUT's LC; a carry joins an LC whose LUT has its I0 on I1 and its I1 on I2.
  const users = new Map<Bit, number>();
  const lutByOut = new Map<Bit, string>();
  const cellOwner = new Map<string, ModuleUse>();
  for (const [n, c] of Object.entries(mod.cells)) {
    const k = kindOf(c.type);
    const r = where(n, c);
    cellOwner.set(n, r);
    if (k) r[k]++;
    for (const [port, bits] of Object.entries(c.connections)) {
      const out = (c.type === 'SB_LUT4' && port === 'O') || (k === 'dff' && port === 'Q') || (c.type === 'SB_CARRY' && port === 'CO');
      if (!out) for (const b of bits) users.set(b, (users.get(b) ?? 0) + 1);
    }
    if (c.type === 'SB_LUT4') lutByOut.set(c.connections.O![0]!, n);
  }
  // A net that leaves through a top-level port has one more user than its cells show.
  for (const p of Object.values(mod.ports ?? {})) if (p.direction !== 'input') for (const b of p.bits) users.set(b, (users.get(b) ?? 0) + 1);
  const lutsByI3 = new Map<Bit, JsonCell[]>();
  for (const [n, c] of Object.entries(mod.cells)) {
    if (c.type !== 'SB_LUT4') continue;
    cellOwner.get(n)!.logicCells++;
    const i3 = c.connections.I3?.[0];
    if (i3 === undefined) continue;
    const list = lutsByI3.get(i3);
    if (list) list.push(c);
    else lutsByI3.set(i3, [c]);
  }
  const withDff = new Set<string>();
  for (const [n, c] of Object.entries(mod.cells)) {
    if (kindOf(c.type) !== 'dff') continue;
    const d = c.connections.D?.[0];
    const lut = d === undefined ? undefined : lutByOut.get(d);
    if (lut && users.get(d!) === 1 && !withDff.has(lut)) withDff.add(lut);
    else cellOwner.get(n)!.logicCells++;
  }
  // nextpnr's pack_carries: the carry joins a LUT its CI drives on I3, when that LUT's I1 and I2 are the
  // carry's I0 and I1 (a constant 0 on both counts as a match) and it has no carry yet; a constant CI,
  // or no such LUT, makes a new cell. (nextpnr tries only the first LUT on the CI net, in an order the
  // netlist does not give: where several LUTs sit there this may pack one carry it does not.)
  const withCarry = new Set<JsonCell>();
  for (const [n, c] of Object.entries(mod.cells)) {
    if (c.type !== 'SB_CARRY') continue;
    const ci = c.connections.CI?.[0];
    const onI3 = typeof ci === 'number' ? lutsByI3.get(ci) : undefined;
    const lut = onI3?.find((l) => !withCarry.has(l) && l.connections.I1?.[0] === c.connections.I0?.[0] && l.connections.I2?.[0] === c.connections.I1?.[0]);
    if (lut) withCarry.add(lut);
    else cellOwner.get(n)!.logicCells++;
  }

  // Totals below each instance: its own and every row whose path extends it.
  for (const r of rows) {
    const pre = r.instancePath ? `${r.instancePath}.` : '';
    r.logicCellsBelow = rows.filter((x) => x === r || x.instancePath.startsWith(pre)).reduce((s, x) => s + x.logicCells, 0);
  }
  return rows;
}

/** attributeCells on a netlist file. */
export function moduleUtilisation(netlistPath: string, top: Module): ModuleUse[] {
  const netlist = JSON.parse(fs.readFileSync(netlistPath, 'utf8')) as { modules: Record<string, JsonModule> };
  return attributeCells(netlist, top.name, instanceTree(top));
}
