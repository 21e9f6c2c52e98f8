// The external target as the co-simulation runs it without the harness's DRAM model: the accelerator and
// an on-chip stand-in for DRAM behind its native port (the image as the memory's initial contents,
// every read answered `latency` cycles after its command, in order). The ports are the accelerator's
// less the native port.
import { buildModule, type Module } from '../hdl/index.ts';
import { lit } from '../hdl/core/expr.ts';
import { Bool, UInt, clog2 } from '../hdl/core/types.ts';
import type { AccelProgram } from '../accel/program.ts';
import { externalTop } from '../accel/external/top.ts';
import { externalImage } from '../accel/external/stream-image.ts';

/** The image as W-bit words (little endian), for a memory's initial contents. */
function imageWords(bytes: Uint8Array, wordBytes: number): bigint[] {
  const out: bigint[] = [];
  for (let a = 0; a < bytes.length; a += wordBytes) {
    let w = 0n;
    for (let i = wordBytes - 1; i >= 0; i--) w = (w << 8n) | BigInt(bytes[a + i]!);
    out.push(w);
  }
  return out;
}

export function externalSimTop(prog: AccelProgram, o: { latency: number }): Module {
  const img = externalImage(prog);
  const accel = externalTop(prog);
  const ports = accel.ports;
  return buildModule('mmf_accel_ext_sim', (m) => {
    const conns: Record<string, ReturnType<typeof m.input>> = {};
    const W = img.wordBits;
    const A = Math.max(1, clog2(img.words));
    const mem = m.memory('dram', UInt(W), img.words, { init: imageWords(img.bytes, img.wordBytes) });
    const cmdValid = m.wire('cmd_valid', Bool);
    const cmdAddr = m.wire('cmd_addr', UInt(A));
    const rdataReady = m.wire('rdata_ready', Bool);
    // a read's data comes out of the memory's read register one cycle after its command; `latency` - 1 more stages follow
    let valid: ReturnType<typeof m.reg> = m.reg('rd_v0', Bool, { reset: 0 });
    let data = mem.read(cmdAddr, { name: 'rd_d0' });
    m.sync(() => valid.set(cmdValid));
    for (let k = 1; k < o.latency; k++) {
      const v = m.reg(`rd_v${k}`, Bool, { reset: 0 });
      const d = m.reg(`rd_d${k}`, UInt(W));
      const pv = valid;
      const pd = data;
      m.sync(() => {
        v.set(pv);
        d.set(pd);
      });
      valid = v;
      data = d;
    }
    for (const p of ports) {
      if (p.name.startsWith('dram_') || p.name === 'clk' || p.name === 'rst') continue;
      if (p.dir === 'input') conns[p.name] = m.input(p.name, p.type);
    }
    const inst = m.instance('u_accel', accel, { ...conns, dram_cmd_ready: lit(1, Bool), dram_rdata_valid: valid, dram_rdata_data: data });
    m.assign(cmdValid, inst.out('dram_cmd_valid'));
    m.assign(cmdAddr, inst.out('dram_cmd_addr'));
    m.assign(rdataReady, inst.out('dram_rdata_ready'));
    m.sink(rdataReady);
    for (const p of ports) {
      if (p.name.startsWith('dram_') || p.dir !== 'output') continue;
      m.assign(m.output(p.name, p.type), inst.out(p.name));
    }
  });
}
