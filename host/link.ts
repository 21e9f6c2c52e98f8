// The frame layer over a transport: SLIP frames in and out, requests matched to replies by their seq,
// retransmission of what may be sent again, and a clear error for everything else: no answer in time,
// an ERROR reply, a board that announced a reset (an unsolicited HELLO with seq 0), a closed line.
import { SlipDecoder, slipEncode } from '../protocol/slip.ts';
import { decodeReply, encodeRequest, FrameError, type Reply, type Request } from '../protocol/frame.ts';
import { ERROR_CODE, MAX_FRAME_BYTES, type ErrorName } from '../protocol/spec.ts';
import type { Transport } from './transport.ts';

export class LinkError extends Error {}
/** No reply in time. */
export class TimeoutError extends LinkError {}
/** The board announced that it was reset (its weights and state are gone). */
export class DeviceResetError extends LinkError {}
/** The line went away. */
export class LinkClosedError extends LinkError {}
/** The board answered with ERROR. */
export class DeviceError extends LinkError {
  constructor(
    readonly request: Request['type'],
    readonly code: ErrorName | `code ${number}`,
    readonly arg: number,
  ) {
    super(`the board refused ${request.toUpperCase()}: ${code} (arg ${arg})`);
  }
}

const ERROR_NAME = new Map<number, ErrorName>(Object.entries(ERROR_CODE).map(([k, v]) => [v, k as ErrorName]));

/**
 * Requests the board may receive twice without harm (LOAD: a chunk already taken is refused by its offset;
 * VERIFY: a second one reads the image back again and gives the same answer).
 */
const IDEMPOTENT: ReadonlySet<Request['type']> = new Set(['hello', 'status', 'reset', 'load', 'verify']);

export interface LinkOptions {
  /** How long a reply may take (a generated token: per token). */
  timeoutMs: number;
  /** Sends of one request at most, before giving up. */
  attempts: number;
  log?: (msg: string) => void;
}

export interface LinkStats {
  requests: number;
  retransmits: number;
  /** Frames that arrived damaged (bad CRC, unknown type or length). */
  badFrames: number;
  /** Bytes received, frames or not: a line that sends only noise has bytes and no good frame. */
  bytesIn: number;
}

interface Waiter {
  seq: number;
  /** Returns true when the wait is over. */
  onReply: (r: Reply) => boolean;
  /** A frame for another seq arrived meanwhile; returns true when the wait is over. */
  onOther?: (r: Reply) => boolean;
  fail: (e: Error) => void;
}

export class Link {
  private seq = 0;
  private waiter: Waiter | undefined;
  private closedWhy: string | undefined;
  /** A reply has come: from then on an announcement (HELLO, seq 0) means the board was reset. */
  private established = false;
  readonly stats: LinkStats = { requests: 0, retransmits: 0, badFrames: 0, bytesIn: 0 };
  private resetListeners: (() => void)[] = [];

  constructor(
    readonly transport: Transport,
    readonly options: LinkOptions,
  ) {
    const dec = new SlipDecoder((f) => this.onFrame(f), 2 * MAX_FRAME_BYTES);
    transport.onData((b) => {
      this.stats.bytesIn += b.length;
      dec.push(b);
    });
    transport.onClose((why) => {
      this.closedWhy = why;
      this.waiter?.fail(new LinkClosedError(why));
    });
  }

  /** Whether the board ever answered a request on this link (a board that never did is not recovered, but reported). */
  get answered(): boolean {
    return this.established;
  }

  /** Called when the board announces a reset outside any request too. */
  onDeviceReset(cb: () => void): void {
    this.resetListeners.push(cb);
  }

  private log(msg: string): void {
    this.options.log?.(msg);
  }

  private onFrame(f: Uint8Array): void {
    let r: Reply;
    try {
      r = decodeReply(f);
    } catch (e) {
      this.stats.badFrames++;
      this.log(`dropped a damaged frame of ${f.length} bytes: ${e instanceof FrameError ? e.message : String(e)}`);
      return;
    }
    if (r.type === 'hello' && r.seq === 0) {
      if (!this.established) {
        this.log('the board announced itself');
        return;
      }
      this.log('the board announced a reset');
      this.waiter?.fail(new DeviceResetError(`${this.transport.name} was reset (it announced itself again)`));
      for (const cb of this.resetListeners) cb();
      return;
    }
    const w = this.waiter;
    if (w && r.seq === w.seq) {
      this.established = true;
      if (w.onReply(r)) this.waiter = undefined;
    } else if (w?.onOther) {
      if (w.onOther(r)) this.waiter = undefined;
    } else this.log(`ignored a ${r.type} reply for seq ${r.seq}`);
  }

  private nextSeq(): number {
    this.seq = (this.seq % 255) + 1; // 1 .. 255: 0 is the board's own announcement
    return this.seq;
  }

  private send(req: Request, seq: number): void {
    if (this.closedWhy) throw new LinkClosedError(this.closedWhy);
    this.transport.write(slipEncode(encodeRequest(req, seq)));
  }

  /**
   * Waits for the replies to `seq` until `onReply` says the wait is over. The timeout runs from the
   * last reply: a stream of tokens may take as long as it likes, so long as each comes in time.
   */
  private wait(seq: number, timeoutMs: number, onReply: (r: Reply) => boolean, onOther?: (r: Reply) => boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout;
      const arm = () => {
        timer = setTimeout(() => {
          this.waiter = undefined;
          reject(new TimeoutError(`no answer from ${this.transport.name} within ${timeoutMs} ms`));
        }, timeoutMs);
      };
      arm();
      const settle = (over: boolean) => {
        clearTimeout(timer);
        if (over) resolve();
        else arm();
        return over;
      };
      this.waiter = {
        seq,
        onReply: (r) => settle(onReply(r)),
        ...(onOther ? { onOther: (r: Reply) => settle(onOther(r)) } : {}),
        fail: (e) => {
          clearTimeout(timer);
          this.waiter = undefined;
          reject(e);
        },
      };
    });
  }

  /**
   * One request and its reply. A request that may be sent twice is sent again when no reply comes in
   * time or the board saw a damaged frame (ERROR crc); other ERROR replies throw DeviceError.
   */
  async request(req: Request, o: { timeoutMs?: number; attempts?: number } = {}): Promise<Reply> {
    const timeoutMs = o.timeoutMs ?? this.options.timeoutMs;
    const attempts = IDEMPOTENT.has(req.type) ? (o.attempts ?? this.options.attempts) : 1;
    this.stats.requests++;
    let last: Error | undefined;
    for (let a = 0; a < attempts; a++) {
      if (a > 0) {
        this.stats.retransmits++;
        this.log(`sending ${req.type} again (${last?.message})`);
      }
      const seq = this.nextSeq();
      let reply: Reply | undefined;
      const waiting = this.wait(seq, timeoutMs, (r) => ((reply = r), true));
      this.send(req, seq);
      try {
        await waiting;
      } catch (e) {
        if (e instanceof TimeoutError) {
          last = e;
          continue;
        }
        throw e;
      }
      const r = reply!;
      if (r.type === 'error') {
        if (r.fields.code === ERROR_CODE.crc && a + 1 < attempts) {
          last = new LinkError('the board received a damaged frame');
          continue;
        }
        throw new DeviceError(req.type, ERROR_NAME.get(r.fields.code!) ?? `code ${r.fields.code}`, r.fields.arg!);
      }
      return r;
    }
    throw new TimeoutError(`no answer from ${this.transport.name} to ${req.type.toUpperCase()} after ${attempts} ${attempts === 1 ? 'try' : 'tries'} of ${timeoutMs} ms${last && !(last instanceof TimeoutError) ? ` (${last.message})` : ''}`);
  }

  /**
   * GENERATE: one TOKEN reply per step, passed on as it arrives. Resolves with the replies when `count`
   * came, or early when the board stopped (a frame for another request came: the board stops a
   * generation for any frame it receives). Rejects on a timeout between tokens or an ERROR.
   */
  async stream(req: Request, count: number, onToken: (r: Reply) => void, o: { timeoutMs?: number } = {}): Promise<Reply[]> {
    const timeoutMs = o.timeoutMs ?? this.options.timeoutMs;
    this.stats.requests++;
    const seq = this.nextSeq();
    const got: Reply[] = [];
    let error: Reply | undefined;
    // One wait for the whole stream: replies that arrive together (one TCP segment, one USB packet)
    // are all taken, none falls between two waits.
    const waiting = this.wait(
      seq,
      timeoutMs,
      (r) => {
        if (r.type === 'error') error = r;
        else {
          got.push(r);
          onToken(r);
        }
        return error !== undefined || got.length >= count;
      },
      (r) => {
        this.log(`a ${r.type} reply for seq ${r.seq} came during GENERATE: the board stopped it`);
        return true;
      },
    );
    this.send(req, seq);
    await waiting;
    if (error) throw new DeviceError(req.type, ERROR_NAME.get(error.fields.code!) ?? `code ${error.fields.code}`, error.fields.arg!);
    return got;
  }
}
