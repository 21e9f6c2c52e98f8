// The per-instance utilisation: the packing rules on hand-made netlists, then a small real design
// (a UART transmitter wired into a receiver, at several baud divisors) through yosys and nextpnr:
// the rows add up to the synthesis totals, each instance's flip-flops are the ones it has when
// synthesised alone, and the packed count plus what nextpnr adds is the routed total.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { elaborate } from '../hdl/ir/elaborate.ts';
import { writeVerilog } from '../hdl/verilog/emit.ts';
import { uartLoopback } from '../hdl/lib/uart-loopback.ts';
import { uartTx } from '../hdl/lib/uart-tx.ts';
import { uartRx } from '../hdl/lib/uart-rx.ts';
import { synthIce40 } from '../flow/yosys.ts';
import { placeAndRouteIce40 } from '../flow/nextpnr.ts';
import { attributeCells, instanceTree, moduleUtilisation, type InstanceNode } from './module-utilisation.ts';

const tree: InstanceNode[] = [
  { name: 'top', instancePath: '', blackbox: false, outputs: [] },
  { name: 'a', instancePath: 'u_a', blackbox: false, outputs: ['y'] },
  { name: 'b', instancePath: 'u_a.u_b', blackbox: false, outputs: ['z'] },
];
const lut = (i: number[], o: number) => ({ type: 'SB_LUT4', port_directions: { I0: 'input', I1: 'input', I2: 'input', I3: 'input', O: 'output' }, connections: { I0: [i[0]!], I1: [i[1]!], I2: [i[2]!], I3: [i[3]!], O: [o] } });
const dff = (d: number, q: number) => ({ type: 'SB_DFF', port_directions: { C: 'input', D: 'input', Q: 'output' }, connections: { C: [1], D: [d], Q: [q] } });
const carry = (i0: number, i1: number, ci: number, co: number) => ({ type: 'SB_CARRY', connections: { I0: [i0], I1: [i1], CI: [ci], CO: [co] } });
const netlist = (cells: Record<string, unknown>, netnames: Record<string, { bits: number[] }> = {}, ports: Record<string, unknown> = {}) =>
  ({ modules: { top: { ports, cells, netnames } } }) as Parameters<typeof attributeCells>[0];

describe('attributing a flattened netlist', () => {
  it('gives each cell to the longest instance path that prefixes its name', () => {
    const rows = attributeCells(netlist({
      'u_a.x_SB_LUT4_O': lut([2, 3, 4, 5], 10),
      'u_a.u_b.y_SB_LUT4_O': lut([2, 3, 4, 5], 11),
      'u_a.u_bb.z_SB_DFF_Q': dff(2, 12),
      'u_a.u_b.mem.0.0': { type: 'SB_RAM40_4K', connections: {} },
      'w_SB_CARRY_CO': carry(2, 3, 4, 13),
    }), 'top', tree);
    expect(rows.map((r) => [r.instancePath, r.lut4, r.dff, r.ebr, r.carry])).toEqual([
      ['', 0, 0, 0, 1],
      ['u_a', 1, 1, 0, 0],
      ['u_a.u_b', 1, 0, 1, 0],
    ]);
  });

  it('gives a cell with an internal name to the instance of the first named net on it', () => {
    const rows = attributeCells(netlist({ '$abc$12$lut': lut([2, 3, 4, 5], 6) }, { 'u_a.u_b.sum': { bits: [4] } }), 'top', tree);
    expect(rows.find((r) => r.instancePath === 'u_a.u_b')!.lut4).toBe(1);
  });

  it("gives the driver of an instance's output port to that instance (the deepest), whatever net it is named after; its readers stay", () => {
    const rows = attributeCells(netlist(
      { 'line_SB_DFF_Q': dff(2, 50), 'line_SB_LUT4_I0': lut([50, 3, 4, 5], 51), 'u_a.q_SB_LUT4_O': lut([2, 3, 4, 5], 52) },
      { line: { bits: [50] }, 'u_a.y': { bits: [50] }, 'u_a.u_b.z': { bits: [50, 52] } },
    ), 'top', tree);
    expect(rows.map((r) => [r.instancePath, r.lut4, r.dff])).toEqual([['', 1, 0], ['u_a', 0, 0], ['u_a.u_b', 1, 1]]);
  });

  it('moves a cell named after an ancestor down to the one instance of the module its src names, and not when two could be it', () => {
    const cell = { ...dff(2, 60), attributes: { src: 'rtl/b.v:3.5-4.8|/share/ice40/ff_map.v:2.51-2.90' } };
    const one = attributeCells(netlist({ 'u_a.r_SB_DFF_Q': cell }), 'top', tree);
    expect(one.map((r) => r.dff)).toEqual([0, 0, 1]);
    const twice = [...tree, { name: 'b', instancePath: 'u_a.u_b2', blackbox: false, outputs: ['z'] }];
    expect(attributeCells(netlist({ 'u_a.r_SB_DFF_Q': cell }), 'top', twice).map((r) => r.dff)).toEqual([0, 1, 0, 0]);
  });

  for (const n of [1, 3, 8]) {
    it(`packs ${n} LUT+DFF pairs into ${n} logic cells, and a DFF whose LUT drives more than it into its own`, () => {
      const cells: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        cells[`u_a.l${i}_SB_LUT4_O`] = lut([2, 3, 4, 5], 100 + i);
        cells[`u_a.u_b.f${i}_SB_DFF_Q`] = dff(100 + i, 200 + i);
      }
      // A LUT whose output also leaves through a port: its DFF cannot join it.
      cells['u_a.shared_SB_LUT4_O'] = lut([2, 3, 4, 5], 300);
      cells['u_a.u_b.g_SB_DFF_Q'] = dff(300, 301);
      const rows = attributeCells(netlist(cells, {}, { out: { direction: 'output', bits: [300] } }), 'top', tree);
      const [, a, b] = rows;
      expect(a!.logicCells).toBe(n + 1);
      expect(b!.logicCells).toBe(1);
      expect(b!.dff).toBe(n + 1);
      expect(rows[0]!.logicCellsBelow).toBe(n + 2);
      expect(a!.logicCellsBelow).toBe(n + 2);
    });
  }

  it('packs a carry with the LUT its CI drives on I3 when that LUT has its I0 and I1 on I1 and I2; other carries get their own cells', () => {
    const rows = attributeCells(netlist({
      'u_a.s0_SB_LUT4_O': lut([0, 20, 21, 30], 40),
      'u_a.c0_SB_CARRY_CO': carry(20, 21, 30, 31),
      // Same inputs, but its CI (31) drives no LUT: its own cell.
      'u_a.c1_SB_CARRY_CO': carry(20, 21, 31, 32),
      // Its CI drives a LUT on I3 whose I1/I2 are other nets: its own cell, and the LUT keeps its own.
      'u_a.s2_SB_LUT4_O': lut([0, 24, 25, 32], 41),
      'u_a.c2_SB_CARRY_CO': carry(22, 23, 32, 33),
    }), 'top', tree);
    expect(rows[1]).toMatchObject({ lut4: 2, carry: 3, logicCells: 4 });
  });

  it('names the netlist module it cannot find', () => {
    expect(() => attributeCells(netlist({}), 'other', tree)).toThrow(/no module other \(has top\)/);
  });
});

describe('a UART loopback through yosys and nextpnr', () => {
  for (const baud of [115_200, 1_000_000]) {
    it(`at ${baud} baud from 12 MHz: rows add up, flip-flops match each half alone, packing matches the router`, { timeout: 300_000 }, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'module-use-'));
      const p = { clockHz: 12_000_000, baud };
      const top = uartLoopback(p);
      expect(instanceTree(top).map((n) => n.instancePath)).toEqual(['', 'u_tx', 'u_rx']);
      const syn = await synthIce40({ top: top.name, sources: writeVerilog(elaborate(top), path.join(dir, 'rtl')), workDir: dir, device: 'up5k' });
      const rows = moduleUtilisation(syn.jsonPath, top);
      for (const k of ['lut4', 'carry', 'ebr', 'dsp', 'spram'] as const) expect(rows.reduce((s, r) => s + r[k], 0), k).toBe(syn.cells[k]);
      expect(rows.reduce((s, r) => s + r.dff, 0)).toBe(syn.cells.ff);

      for (const [inst, def] of [['u_tx', uartTx(p)], ['u_rx', uartRx(p)]] as const) {
        const alone = await synthIce40({ top: def.name, sources: writeVerilog(elaborate(def), path.join(dir, inst, 'rtl')), workDir: path.join(dir, inst), device: 'up5k' });
        const row = rows.find((r) => r.instancePath === inst)!;
        expect(row.name).toBe(def.name);
        expect(row.dff, inst).toBe(alone.cells.ff);
        expect(row.lut4, inst).toBeGreaterThan(0);
      }

      const pnr = await placeAndRouteIce40({ jsonPath: syn.jsonPath, workDir: dir, device: 'up5k', package: 'sg48', freqMHz: 12, allowUnconstrained: true });
      const routed = pnr.utilisation['ICESTORM_LC']!.used;
      const packed = rows[0]!.logicCellsBelow;
      // What nextpnr does beyond the packing: each carry may take in one more LUT, each chain may need a
      // feed-in and a feed-out cell, and the constant drivers take two.
      expect(routed - packed).toBeGreaterThanOrEqual(-syn.cells.carry);
      expect(routed - packed).toBeLessThanOrEqual(2 * syn.cells.carry + 2);
      fs.rmSync(dir, { recursive: true, force: true });
    });
  }
});
