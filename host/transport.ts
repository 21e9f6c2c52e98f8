// A byte pipe to a board: a serial port, the simulated board's TCP socket, or a PCIe board's XDMA
// character devices. The protocol above it (host/link.ts) is the same for all of them.
export interface Transport {
  /** What it is connected to, for messages ("/dev/ttyUSB1", "simulated board at 127.0.0.1:40123"). */
  readonly name: string;
  write(bytes: Uint8Array): void;
  /** Bytes as they arrive. */
  onData(cb: (bytes: Uint8Array) => void): void;
  /** Called once if the other end goes away (a closed socket, an unplugged adapter). */
  onClose(cb: (why: string) => void): void;
  close(): Promise<void>;
}

/** A transport that failed to open, with a message naming what was tried. */
export class TransportError extends Error {}

/**
 * The close bookkeeping every transport needs: listeners told once why the line went away, and never
 * after the host closed it itself (`quiet()`).
 */
export function closeSignal(): { onClose(cb: (why: string) => void): void; closed(why: string): void; quiet(): void } {
  const listeners: ((why: string) => void)[] = [];
  let done = false;
  return {
    onClose: (cb) => void listeners.push(cb),
    closed: (why) => {
      if (done) return;
      done = true;
      for (const cb of listeners) cb(why);
    },
    quiet: () => void (done = true),
  };
}
