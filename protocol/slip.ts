// SLIP framing (RFC 1055): a frame is sent as END, its bytes with END and ESC escaped, END. The
// leading END flushes whatever line noise came before, so a receiver always finds the next frame.
import { SLIP } from './spec.ts';

/** One frame as it goes on the wire. */
export function slipEncode(frame: ArrayLike<number>): Uint8Array {
  const out: number[] = [SLIP.end];
  for (let i = 0; i < frame.length; i++) {
    const b = frame[i]! & 0xff;
    if (b === SLIP.end) out.push(SLIP.esc, SLIP.escEnd);
    else if (b === SLIP.esc) out.push(SLIP.esc, SLIP.escEsc);
    else out.push(b);
  }
  out.push(SLIP.end);
  return Uint8Array.from(out);
}

/**
 * A streaming decoder: push bytes as they arrive, get whole frames back. Empty frames (END END) are
 * dropped; a frame longer than `maxBytes` is cut off and reported as `oversized` when its END comes,
 * so a line of noise cannot grow a buffer without bound.
 */
export class SlipDecoder {
  private buf: number[] = [];
  private escaped = false;
  private oversized = false;
  private badEscape = false;

  constructor(
    private readonly onFrame: (frame: Uint8Array, info: { oversized: boolean; badEscape: boolean }) => void,
    private readonly maxBytes = 4096,
  ) {}

  push(data: ArrayLike<number>): void {
    for (let i = 0; i < data.length; i++) {
      const b = data[i]! & 0xff;
      if (b === SLIP.end) {
        if (this.buf.length > 0 || this.oversized || this.badEscape) {
          this.onFrame(Uint8Array.from(this.buf), { oversized: this.oversized, badEscape: this.badEscape });
        }
        this.buf = [];
        this.escaped = false;
        this.oversized = false;
        this.badEscape = false;
        continue;
      }
      let v = b;
      if (this.escaped) {
        this.escaped = false;
        if (b === SLIP.escEnd) v = SLIP.end;
        else if (b === SLIP.escEsc) v = SLIP.esc;
        else this.badEscape = true; // kept as is; the CRC decides
      } else if (b === SLIP.esc) {
        this.escaped = true;
        continue;
      }
      if (this.buf.length < this.maxBytes) this.buf.push(v);
      else this.oversized = true;
    }
  }
}
