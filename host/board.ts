// The board as the host sees it: the protocol's requests as methods (docs/protocol.md). Every reply
// carries the board's state, so each method returns it.
import { MAGIC, MAX_CHUNK_WORDS, PROTOCOL_VERSION, CRC16 } from '../protocol/spec.ts';
import type { Reply } from '../protocol/frame.ts';
import { crc16Words } from '../protocol/crc16.ts';
import { DeviceError, Link } from './link.ts';

export interface BoardState {
  loaded: boolean;
  position: number;
  token: number;
  next: number;
  imageCrc: number;
}

export interface BoardIdentity extends BoardState {
  version: number;
  modelHash: number;
  imageWords: number;
  maxChunk: number;
}

/** What VERIFY found: the board holds the image (and is now loaded), holds something else, or cannot read its image back. */
export type VerifyResult = { found: true; state: BoardState } | { found: false; why: 'mismatch'; boardCrc: number } | { found: false; why: 'unsupported' };

/** The board runs a design for another model, or speaks another protocol version. */
export class IdentityError extends Error {}

const MAGIC_VALUE = MAGIC.reduceRight((v, b) => v * 256 + b, 0);

function stateOf(r: Reply): BoardState {
  const f = r.fields;
  return { loaded: f.loaded === 1, position: f.position!, token: f.token!, next: f.next!, imageCrc: f.imageCrc! };
}

/** CRC-16 of an image's words [0, n), as the board computes it (low byte first). */
export function imageCrc(image: Uint16Array, n = image.length, from = CRC16.init as number, start = 0): number {
  return crc16Words(image, start, n, from);
}

export class Board {
  constructor(readonly link: Link) {}

  async hello(): Promise<BoardIdentity> {
    const r = await this.link.request({ type: 'hello' });
    const f = r.fields;
    if (f.magic !== MAGIC_VALUE) throw new IdentityError(`${this.link.transport.name} is not an mmfree board (magic 0x${f.magic!.toString(16)})`);
    return { ...stateOf(r), version: f.version!, modelHash: f.modelHash!, imageWords: f.imageWords!, maxChunk: f.maxChunk! };
  }

  /** The board must run a design for this image (same hash and length) and this protocol version. */
  async identify(expect: { modelHash: number; imageWords: number }): Promise<BoardIdentity> {
    const id = await this.hello();
    if (id.version !== PROTOCOL_VERSION) throw new IdentityError(`the board speaks protocol version ${id.version}; this host speaks ${PROTOCOL_VERSION}`);
    if (id.modelHash !== expect.modelHash || id.imageWords !== expect.imageWords) {
      const hex = (h: number) => `0x${h.toString(16).padStart(8, '0')}`;
      throw new IdentityError(
        `the board holds a design for another model (hash ${hex(id.modelHash)}, ${id.imageWords} image words); this model is ${hex(expect.modelHash)}, ${expect.imageWords} words. ` +
          'Build and flash the bitstream for this model (npm run build -- --model DIR, then npm run flash).',
      );
    }
    return id;
  }

  async status(): Promise<BoardState> {
    return stateOf(await this.link.request({ type: 'status' }));
  }

  /**
   * Upload the image from the word the board expects next (0 after a reset), MAX_CHUNK_WORDS per LOAD,
   * checking the board's running image CRC after every chunk. `restart` loads from word 0 whatever the
   * board holds.
   */
  async load(image: Uint16Array, o: { restart?: boolean; onProgress?: (words: number, total: number) => void } = {}): Promise<BoardState> {
    let st = await this.status();
    let at = o.restart ? 0 : st.next;
    if (at > image.length) at = 0;
    // The board's CRC of what it holds must be ours, or we start over.
    if (at > 0 && imageCrc(image, at) !== st.imageCrc) at = 0;
    let crc = imageCrc(image, at);
    while (at < image.length) {
      const n = Math.min(MAX_CHUNK_WORDS, image.length - at);
      const words = image.subarray(at, at + n);
      try {
        st = stateOf(await this.link.request({ type: 'load', offset: at, words }));
      } catch (e) {
        // A chunk whose reply was lost is refused when sent again: the board names the next word it wants.
        if (e instanceof DeviceError && e.code === 'offset' && e.arg > at && e.arg <= image.length) {
          crc = imageCrc(image, e.arg, crc, at);
          at = e.arg;
          o.onProgress?.(at, image.length);
          continue;
        }
        throw e;
      }
      crc = imageCrc(image, at + n, crc, at);
      if (st.next !== at + n || st.imageCrc !== crc) {
        throw new Error(`the board's image CRC after word ${st.next} is 0x${st.imageCrc.toString(16)}, the host's after word ${at + n} is 0x${crc.toString(16)}`);
      }
      at += n;
      o.onProgress?.(at, image.length);
    }
    if (!st.loaded) throw new Error(`the board took all ${image.length} words but does not report itself loaded`);
    return st;
  }

  /**
   * VERIFY: asks the board to read its whole image back and compare its CRC-16 with `crc` (imageCrc of the
   * whole image). Found: the board is loaded as after an upload. Not found: it holds other words (its
   * load starts over at word 0), or it cannot read its image back (ERROR type). The board reads the
   * whole image before it answers, so the timeout is the caller's (a 370M image is 5.8 M DRAM reads).
   */
  async verify(crc: number, o: { timeoutMs?: number } = {}): Promise<VerifyResult> {
    try {
      const st = stateOf(await this.link.request({ type: 'verify', crc }, o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs }));
      if (!st.loaded || st.imageCrc !== crc) throw new Error(`the board answered VERIFY with loaded ${st.loaded} and CRC 0x${st.imageCrc.toString(16)}, the host's is 0x${crc.toString(16)}`);
      return { found: true, state: st };
    } catch (e) {
      if (e instanceof DeviceError && e.request === 'verify' && e.code === 'type') return { found: false, why: 'unsupported' };
      if (e instanceof DeviceError && e.code === 'verify') return { found: false, why: 'mismatch', boardCrc: e.arg };
      throw e;
    }
  }

  async reset(): Promise<BoardState> {
    return stateOf(await this.link.request({ type: 'reset' }));
  }

  /** Feed one token; the reply is the step's argmax. */
  async prompt(token: number): Promise<BoardState> {
    return stateOf(await this.link.request({ type: 'prompt', token }));
  }

  /** Continue from the last argmax for up to `count` steps; each token as it arrives. May stop early. */
  async generate(count: number, onToken: (token: number, position: number) => void): Promise<BoardState[]> {
    const rs = await this.link.stream({ type: 'generate', count }, count, (r) => onToken(r.fields.token!, r.fields.position!));
    return rs.map(stateOf);
  }
}
