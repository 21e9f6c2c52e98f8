// A TCP connection: how the host reaches the simulated board (sim/board-bridge.cpp).
import net from 'node:net';
import { closeSignal, TransportError, type Transport } from './transport.ts';

export async function openTcp(host: string, port: number, name = `${host}:${port}`): Promise<Transport> {
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect({ host, port });
    s.once('connect', () => resolve(s));
    s.once('error', (e) => reject(new TransportError(`cannot connect to ${name}: ${e.message}`)));
  });
  socket.setNoDelay(true);
  const sig = closeSignal();
  socket.on('error', (e) => sig.closed(`${name}: ${e.message}`));
  socket.on('close', () => sig.closed(`${name} closed the connection`));
  return {
    name,
    write: (b) => void socket.write(b),
    onData: (cb) => void socket.on('data', (d: Buffer) => cb(new Uint8Array(d.buffer, d.byteOffset, d.length))),
    onClose: sig.onClose,
    close: async () => {
      sig.quiet();
      await new Promise<void>((r) => socket.end(() => r()));
      socket.destroy();
    },
  };
}
