// A PCIe board through the Xilinx XDMA driver's character devices: host-to-card writes go to
// /dev/xdma<N>_h2c_<ch>, card-to-host reads come from /dev/xdma<N>_c2h_<ch>. The byte stream carries
// the same frames as the UART; a design with an AXI-Stream front end in place of the UART speaks it.
import fs from 'node:fs';
import { closeSignal, TransportError, type Transport } from './transport.ts';

export interface XdmaPaths {
  h2c: string;
  c2h: string;
}

export function xdmaPaths(device = 'xdma0', channel = 0): XdmaPaths {
  return { h2c: `/dev/${device}_h2c_${channel}`, c2h: `/dev/${device}_c2h_${channel}` };
}

export async function openXdma(p: XdmaPaths): Promise<Transport> {
  for (const f of [p.h2c, p.c2h]) if (!fs.existsSync(f)) throw new TransportError(`no XDMA device at ${f} (is the xdma driver loaded?)`);
  const out = fs.createWriteStream(p.h2c, { flags: 'w' });
  const inp = fs.createReadStream(p.c2h, { highWaterMark: 4096 });
  await Promise.all([new Promise<void>((r, j) => out.once('open', () => r()).once('error', j)), new Promise<void>((r, j) => inp.once('open', () => r()).once('error', j))]).catch((e: Error) => {
    throw new TransportError(`cannot open ${p.h2c} / ${p.c2h}: ${e.message}`);
  });
  const sig = closeSignal();
  inp.on('end', () => sig.closed(`${p.c2h} ended`));
  inp.on('error', (e) => sig.closed(`${p.c2h}: ${e.message}`));
  out.on('error', (e) => sig.closed(`${p.h2c}: ${e.message}`));
  return {
    name: `${p.h2c} / ${p.c2h}`,
    write: (b) => void out.write(Buffer.from(b)),
    onData: (cb) => void inp.on('data', (d) => cb(typeof d === 'string' ? Buffer.from(d) : new Uint8Array(d.buffer, d.byteOffset, d.length))),
    onClose: sig.onClose,
    close: async () => {
      sig.quiet();
      inp.destroy();
      await new Promise<void>((r) => out.end(() => r()));
    },
  };
}
