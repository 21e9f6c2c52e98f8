// A serial port (an FTDI UART: the iCEBreaker's is /dev/ttyUSB1), through the `serialport` package.
// The port is opened by its path; the port listing needs udev, which many machines lack.
import fs from 'node:fs';
import { SerialPort } from 'serialport';
import { closeSignal, TransportError, type Transport } from './transport.ts';

export async function openSerial(path: string, baudRate: number): Promise<Transport> {
  if (!fs.existsSync(path)) throw new TransportError(`no serial port at ${path}: is the board plugged in? (looked for ${path}; pass --port to name another)`);
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(new TransportError(`cannot open ${path} at ${baudRate} baud: ${e.message}`)) : resolve())));
  const sig = closeSignal();
  port.on('close', () => sig.closed(`${path} was closed (unplugged?)`));
  port.on('error', (e: Error) => sig.closed(`${path}: ${e.message}`));
  return {
    name: path,
    write: (b) => void port.write(Buffer.from(b)),
    onData: (cb) => void port.on('data', (d: Buffer) => cb(new Uint8Array(d.buffer, d.byteOffset, d.length))),
    onClose: sig.onClose,
    close: async () => {
      sig.quiet();
      if (port.isOpen) await new Promise<void>((r) => port.close(() => r()));
    },
  };
}
