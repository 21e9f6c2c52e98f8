// The host <-> board protocol: the single source of truth for the Node host (host/) and the board's
// protocol engine in RTL (board/protocol-engine.ts). docs/protocol.md explains every choice.
//
// A frame is SLIP-delimited (RFC 1055) and, unescaped, reads
//   type (1) | seq (1) | payload (per type) | CRC-16 of everything before it (2, little-endian)
// All multi-byte fields are little-endian. The CRC is CRC-16/MCRF4XX (reflected 0x1021, init 0xFFFF,
// no final xor): a reflected CRC shifts bits in LSB first, the order a UART delivers them, and with
// the CRC appended little-endian the CRC over the whole frame is 0, so the device checks a frame
// without knowing where its payload ended.

// Version 2: word offsets and counts of image words are 32 bits (LOAD offset, `next`, HELLO `imageWords`,
// ERROR `arg`), for images past 16 M words (a 370M model); VERIFY.
export const PROTOCOL_VERSION = 2;

/** The first four bytes of a HELLO reply: 'M', 'M', 'F', 'A'. */
export const MAGIC = Uint8Array.from([0x4d, 0x4d, 0x46, 0x41]);

/** SLIP's special bytes: END delimits frames; ESC escapes END (ESC ESC_END) and ESC (ESC ESC_ESC). */
export const SLIP = { end: 0xc0, esc: 0xdb, escEnd: 0xdc, escEsc: 0xdd } as const;

/** CRC-16/MCRF4XX: the reflected polynomial and the initial value. Check value of "123456789": 0x6F91. */
export const CRC16 = { poly: 0x8408, init: 0xffff, check: 0x6f91 } as const;

/**
 * Request types (host to device). VERIFY carries the CRC-16 of the whole image (as `imageCrc`) the host
 * expects: a board that can read its weight memory back computes the CRC of what it holds and, if it is
 * the host's, counts itself loaded without an upload (reply VERIFY); else ERROR verify. A board that
 * cannot read its image back answers ERROR type.
 */
export const REQUEST = { hello: 0x01, load: 0x02, reset: 0x03, prompt: 0x04, generate: 0x05, status: 0x06, verify: 0x07 } as const;
export type RequestName = keyof typeof REQUEST;

/** Reply types (device to host). A PROMPT and every GENERATE step answer with TOKEN. */
export const REPLY = { hello: 0x81, load: 0x82, reset: 0x83, token: 0x84, status: 0x86, verify: 0x87, error: 0xff } as const;
export type ReplyName = keyof typeof REPLY;

/** ERROR reply codes; `arg` (32 bits) carries the detail named here. */
export const ERROR_CODE = {
  /** The frame's CRC does not check. arg: 0. */
  crc: 1,
  /** Unknown request type. arg: the type byte. */
  type: 2,
  /** Wrong length for the type (LOAD: not 7 + 2 count + 2 bytes; count 0 or above MAX_CHUNK_WORDS). arg: bytes received, counted up to 15 (the device counts no further: every fixed-length frame is shorter). */
  length: 3,
  /** LOAD at an offset other than the next word expected (or 0 to start over). arg: the offset expected. */
  offset: 4,
  /** PROMPT or GENERATE before the whole image is loaded. arg: the next word expected. */
  notLoaded: 5,
  /** GENERATE with no token fed since the last RESET (nothing to continue). arg: 0. */
  noToken: 6,
  /** A token id outside the vocabulary. arg: the vocabulary size. */
  token: 7,
  /** LOAD past the end of the image, or GENERATE of 0 tokens. arg: the image's length in words (LOAD), 0 (GENERATE). */
  range: 8,
  /** LOAD while a command runs or waits. arg: 0. */
  busy: 9,
  /** PROMPT or GENERATE before a RESET since the board started or last loaded (its states are undefined). arg: 0. */
  noReset: 10,
  /** VERIFY: the CRC-16 of the image the board read back from its weight memory is not the one the host sent. arg: the board's CRC. */
  verify: 11,
} as const;
export type ErrorName = keyof typeof ERROR_CODE;

/** Words a LOAD frame may carry. */
export const MAX_CHUNK_WORDS = 128;

/** Bytes before the payload (type, seq) and after it (CRC). */
export const HEADER_BYTES = 2;
export const CRC_BYTES = 2;

/** Request payloads, in bytes. LOAD's is LOAD_HEADER_BYTES + 2 count. */
export const REQUEST_PAYLOAD_BYTES: Record<Exclude<RequestName, 'load'>, number> = { hello: 0, reset: 0, status: 0, prompt: 2, generate: 2, verify: 2 };
/** LOAD: offset (LOAD_OFFSET_BYTES) and count (1), then count 16-bit words. */
export const LOAD_OFFSET_BYTES = 4;
export const LOAD_HEADER_BYTES = LOAD_OFFSET_BYTES + 1;

/**
 * Every reply starts with the device's state, the same eleven bytes at the same place (so the device's
 * transmitter needs one multiplexer for them, whatever the reply), and HELLO and ERROR add theirs:
 *   loaded    1 when the whole image is in
 *   position  tokens fed since the last RESET (the step that made `token` included)
 *   token     the argmax of the last step
 *   next      the next image word a LOAD must start at (the image's length once loaded)
 *   imageCrc  CRC-16 of the bytes of words [0, next), low byte of each word first
 * HELLO adds the device's identity: magic, protocol version, the hash of the image it was built for
 * (protocol/model-hash.ts), the image's length in words and the most words a LOAD may carry.
 * ERROR adds its code (ERROR_CODE) and arg.
 */
export const STATE_FIELDS = [['loaded', 1], ['position', 2], ['token', 2], ['next', 4], ['imageCrc', 2]] as const;
export const REPLY_EXTRA_FIELDS = {
  hello: [['magic', 4], ['version', 1], ['modelHash', 4], ['imageWords', 4], ['maxChunk', 1]],
  load: [],
  reset: [],
  token: [],
  status: [],
  verify: [],
  error: [['code', 1], ['arg', 4]],
} as const satisfies Record<ReplyName, readonly (readonly [string, number])[]>;
export const REPLY_FIELDS = Object.fromEntries(
  (Object.keys(REPLY_EXTRA_FIELDS) as ReplyName[]).map((r) => [r, [...STATE_FIELDS, ...REPLY_EXTRA_FIELDS[r]]]),
) as unknown as Record<ReplyName, readonly (readonly [string, number])[]>;

/** Payload bytes of a reply type. */
export function replyPayloadBytes(r: ReplyName): number {
  return REPLY_FIELDS[r].reduce((n, [, w]) => n + w, 0);
}

/** The longest frame either side sends, unescaped (a LOAD of MAX_CHUNK_WORDS). */
export const MAX_FRAME_BYTES = HEADER_BYTES + LOAD_HEADER_BYTES + 2 * MAX_CHUNK_WORDS + CRC_BYTES;

/** The position counter (tokens since RESET) is 16 bits and stops at its maximum. */
export const POSITION_BITS = 16;
