// A generation on a board, start to end: make sure it runs this model (the handshake), upload the
// weights unless it already holds exactly them (it says so, or a VERIFY finds them in its memory), clear its state, feed the prompt, generate, and stream
// the tokens out. A board that resets in the middle (it announces itself), stops answering for a while,
// or loses a token frame is brought back: handshake, upload again if its weights are gone, RESET, and
// the tokens so far fed again; the model is deterministic, so the text goes on as if nothing happened.
import { Board, imageCrc, type BoardState } from './board.ts';
import { DeviceResetError, LinkClosedError, TimeoutError } from './link.ts';

export interface SessionModel {
  image: Uint16Array;
  modelHash: number;
}

export interface GenerateOptions {
  prompt: number[];
  tokens: number;
  /** Weight upload progress (words so far, total). */
  onProgress?: (words: number, total: number) => void;
  /** Each generated token as it arrives. */
  onToken?: (token: number) => void;
  log?: (msg: string) => void;
  /** Recoveries tried before giving up (default 3). */
  recoveries?: number;
  /** How long the board may take to read its image back for VERIFY (default 30 times the link's timeout). */
  verifyTimeoutMs?: number;
}

export interface GenerateResult {
  tokens: number[];
  /** Whether the weights were uploaded (false: the board already held them). */
  uploaded: boolean;
  uploadSeconds: number;
  /** Generated tokens per second, from the first prompt token to the last generated one. */
  tokensPerSecond: number;
  recoveries: number;
}

/** A token frame went missing in a generation (the next one's position skips it). */
class LostTokenError extends Error {}

/**
 * No board ever answered on the line: a silent line, noise (a wrong baud rate, another device), a
 * connection closed at once (the simulated board refuses a second host). Not recovered: retrying a
 * line that never answered only makes the user wait.
 */
export class NoBoardError extends Error {}

/** Why nothing answered, in one line, from what came back on the line. */
function noBoard(board: Board, e: Error): NoBoardError {
  const { badFrames, bytesIn } = board.link.stats;
  const heard =
    e instanceof LinkClosedError
      ? `${e.message} before answering (is another host connected to it?)`
      : bytesIn === 0
        ? `${e.message}; nothing came back (is the board's bitstream loaded, and is this its UART?)`
        : `${e.message}; ${bytesIn} bytes came back${badFrames ? ` (${badFrames} damaged frames)` : ''} but no reply (a wrong baud rate, or another device on this line?)`;
  return new NoBoardError(`no board answered on ${board.link.transport.name}: ${heard}`);
}

/** A failure that recovery can mend: the board was reset, a reply or a token frame was lost. */
function recoverable(e: unknown): boolean {
  return e instanceof DeviceResetError || e instanceof TimeoutError || e instanceof LostTokenError;
}

export async function generateOnBoard(board: Board, model: SessionModel, o: GenerateOptions): Promise<GenerateResult> {
  if (o.prompt.length === 0) throw new Error('the prompt is empty: give at least one token');
  if (!Number.isInteger(o.tokens) || o.tokens < 1) throw new Error(`tokens must be a positive integer, got ${o.tokens}`);
  const log = o.log ?? (() => {});
  const fullCrc = imageCrc(model.image);
  const out: number[] = [];
  let uploaded = false;
  let uploadSeconds = 0;
  let recoveries = 0;
  let t0 = 0;
  let canVerify = true; // until the board answers VERIFY with ERROR type

  // Brings the board to the state after feeding `fed` (tokens since RESET); returns the last argmax.
  const prepare = async (fed: number[]): Promise<number> => {
    const id = await board.identify({ modelHash: model.modelHash, imageWords: model.image.length });
    // A board that holds nothing (next 0) may still have the image in its memory (DRAM kept over a reset,
    // or preloaded): VERIFY asks it to check. A partial upload (next > 0) resumes instead: a failed VERIFY
    // would send the board back to word 0.
    if (canVerify && !id.loaded && id.next === 0) {
      const hex = (c: number) => `0x${c.toString(16).padStart(4, '0')}`;
      const v = await board.verify(fullCrc, { timeoutMs: o.verifyTimeoutMs ?? 30 * board.link.options.timeoutMs });
      if (v.found) {
        log(`VERIFY: the board holds this image already (CRC ${hex(fullCrc)}): no upload`);
        id.loaded = true;
        id.imageCrc = v.state.imageCrc;
      } else if (v.why === 'mismatch') log(`VERIFY: the board's memory does not hold this image (its CRC ${hex(v.boardCrc)}, the image's ${hex(fullCrc)})`);
      else {
        canVerify = false;
        log('VERIFY: this board cannot read its image back');
      }
    }
    if (!(id.loaded && id.imageCrc === fullCrc)) {
      log(id.loaded ? 'the board holds other weights: uploading' : `uploading ${model.image.length} words`);
      const u0 = performance.now();
      await board.load(model.image, { ...(o.onProgress ? { onProgress: o.onProgress } : {}) });
      uploadSeconds += (performance.now() - u0) / 1000;
      uploaded = true;
    }
    await board.reset();
    if (t0 === 0) t0 = performance.now();
    let st: BoardState | undefined;
    for (const t of fed) st = await board.prompt(t);
    if (st!.position !== fed.length) throw new Error(`the board counts ${st!.position} tokens after ${fed.length} were fed`);
    return st!.token;
  };

  let fed = [...o.prompt];
  for (;;) {
    try {
      const next = await prepare(fed);
      // The argmax after what was fed is the next generated token (on a replay, the one we already have).
      if (out.length < fed.length - o.prompt.length + 1) {
        out.push(next);
        o.onToken?.(next);
      } else if (out[fed.length - o.prompt.length] !== next) {
        throw new Error(`after recovery the board gives token ${next} where it gave ${out[fed.length - o.prompt.length]}`);
      }
      while (out.length < o.tokens) {
        const want = o.tokens - out.length;
        // Each GENERATE step feeds the last token out; its position counts the prompt and every token fed.
        let lost: string | undefined;
        const steps = await board.generate(Math.min(want, 0xffff), (token, position) => {
          const expect = o.prompt.length + out.length;
          if (lost) return;
          if (position !== expect) {
            lost = `lost token: the board is at position ${position}, the host expected ${expect}`;
            return;
          }
          out.push(token);
          o.onToken?.(token);
        });
        if (lost) throw new LostTokenError(lost);
        fed = [...o.prompt, ...out.slice(0, -1)];
        if (steps.length < want) log(`the generation stopped after ${steps.length} of ${want} tokens: going on`);
      }
      const seconds = (performance.now() - t0) / 1000;
      return { tokens: out, uploaded, uploadSeconds, tokensPerSecond: (o.prompt.length + o.tokens - 1) / seconds, recoveries };
    } catch (e) {
      if (!board.link.answered && (e instanceof TimeoutError || e instanceof LinkClosedError)) throw noBoard(board, e);
      if (e instanceof LinkClosedError || !recoverable(e) || recoveries >= (o.recoveries ?? 3)) throw e;
      recoveries++;
      fed = [...o.prompt, ...out.slice(0, -1)];
      log(`${(e as Error).message}: recovering (${recoveries}), feeding ${fed.length} tokens again`);
    }
  }
}
