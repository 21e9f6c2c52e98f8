// The board's protocol engine: reads request frames from the UART receiver, drives the accelerator's
// load and token ports, and sends replies through the UART transmitter (protocol/spec.ts,
// docs/protocol.md). There is no block RAM to spare on an UP5K, so nothing is buffered: a frame is
// parsed byte by byte as it arrives, and only its last two bytes (the CRC) are unknown until END.
//
//   receive   SLIP unescape -> byte position, type, seq, header fields; CRC-16 of every byte (0 at END
//             for a good frame). LOAD words go to the accelerator as they complete, except the
//             chunk's last word (and with it the image's last word, which raises `loaded`): it is written
//             only once the CRC has checked. A LOAD's offset must be the next word expected (chunk_start)
//             or 0, and offset + count within the image, before any word is written (its header's
//             verdict acts in the cycle after the count byte):
//             a damaged frame can only write words that the host sends again.
//   decide    at END: the request (or the error) becomes the one pending command; a frame that
//             ends while a command is still pending is dropped (the host's timeout sends it again).
//   execute   one command at a time; GENERATE feeds the last argmax back until its count is done or
//             another command is pending (a request stops a generation after the current step).
//   transmit  one reply at a time: END, type, seq, the payload fields of REPLY_FIELDS, CRC, END,
//             with SLIP escapes. After reset the engine announces itself with an unsolicited HELLO
//             reply (seq 0): that is how a host sees that the board was reset.
//   verify    (with `verify`, for boards that can read their weight memory back) VERIFY pulses
//             verify_start; the board's reader reads the whole image back and pulses verify_done with
//             its CRC-16 on verify_crc (held until the next start). If it is the host's, verify_ok pulses
//             (the board then reports itself loaded, load_index = imageWords) and the engine takes the CRC as
//             imageCrc; else the load moves to word 0 (load_seek) and the reply is ERROR verify. Without
//             `verify` the engine has none of this and answers VERIFY with ERROR type.
//
// The wire's word offsets are 32 bits (protocol version 2); the engine keeps only as many bits as the
// image needs: a LOAD offset's higher bits fold into one flag (they can only mean `range`), and the
// replies' upper bytes of `next`, `imageWords` and `arg` are constant zero bytes.
import { defineModule } from '../hdl/core/generator.ts';
import { cat, ConstExpr, lit, mux, type Expr } from '../hdl/core/expr.ts';
import type { Module } from '../hdl/core/module.ts';
import { Fsm } from '../hdl/core/fsm.ts';
import { Bool, UInt, clog2 } from '../hdl/core/types.ts';
import {
  CRC16, ERROR_CODE, MAGIC, MAX_CHUNK_WORDS, PROTOCOL_VERSION, REPLY, REPLY_EXTRA_FIELDS, REQUEST, REQUEST_PAYLOAD_BYTES, SLIP, STATE_FIELDS,
  HEADER_BYTES, CRC_BYTES, LOAD_HEADER_BYTES, LOAD_OFFSET_BYTES, POSITION_BITS, type ReplyName,
} from '../protocol/spec.ts';
import { crc16Serial, crc16SerialPair } from './crc16-serial.ts';
import { geConst, gtConst, ltConst } from '../hdl/lib/compare-const.ts';

export interface ProtocolEngineParams {
  /** Words of the weight-load image. */
  imageWords: number;
  /** Width of the accelerator's load index (accel/top.ts loadIndexBits). */
  loadIndexBits: number;
  vocabSize: number;
  tokenBits: number;
  /** protocol/model-hash.ts of the image this board runs. */
  modelHash: number;
  /** The board can read its image back (VERIFY; ports verify_*). Absent or false: VERIFY is an unknown type. */
  verify?: boolean;
}
type EngineGenParams = Omit<ProtocolEngineParams, 'verify'> & { [k: string]: number; verify: number };

/** Bytes of the frame so far, saturating: every fixed-length request is shorter (a LOAD's words are counted apart). */
const POS_BITS = 4;
const LOAD_COUNT_POS = HEADER_BYTES + LOAD_HEADER_BYTES - 1; // 6
const LOAD_DATA_POS = HEADER_BYTES + LOAD_HEADER_BYTES; // 7
const PROMPT_ARG_MISMATCH = REQUEST_PAYLOAD_BYTES.prompt !== REQUEST_PAYLOAD_BYTES.generate || REQUEST_PAYLOAD_BYTES.verify !== REQUEST_PAYLOAD_BYTES.prompt;

/** Commands the receiver hands to the executor: a good request's type (its low bits), or an error reply. */
const CMD = { error: 0, hello: REQUEST.hello, load: REQUEST.load, reset: REQUEST.reset, prompt: REQUEST.prompt, generate: REQUEST.generate, status: REQUEST.status, verify: REQUEST.verify } as const;
const CMD_BITS = 3;
if (Object.values(REQUEST).some((t: number) => t === 0 || t >= 1 << CMD_BITS)) throw new Error('protocol engine: request types must be 1 .. 7');

const engineGen = defineModule('protocol_engine', (m: Module, p: EngineGenParams) => {
  const liW = p.loadIndexBits;
  const tokW = p.tokenBits;
  const verify = p.verify === 1;
  // A board without read-back knows neither the request nor its reply: not a single cell for them.
  const REPLY_ORDER = (Object.keys(REPLY_EXTRA_FIELDS) as ReplyName[]).filter((r) => verify || r !== 'verify');
  const REPLY_KIND_BITS = clog2(REPLY_ORDER.length);
  const REQUEST_ORDER = (Object.keys(REQUEST) as (keyof typeof REQUEST)[]).filter((t) => verify || t !== 'verify');
  // ---- ports ----------------------------------------------------------------------------------------
  const rxValid = m.input('rx_valid', Bool);
  const rxData = m.input('rx_data', UInt(8));
  const txValid = m.output('tx_valid', Bool);
  const txReady = m.input('tx_ready', Bool);
  const txData = m.output('tx_data', UInt(8));
  const loadValid = m.output('load_valid', Bool, { reg: true, reset: 0 });
  const loadData = m.output('load_data', UInt(16));
  const loadSeek = m.output('load_seek', Bool, { reg: true, reset: 0 });
  const loadSeekAddr = m.output('load_seek_addr', UInt(liW));
  const loadIndex = m.input('load_index', UInt(liW));
  const loaded = m.input('loaded', Bool);
  const tokInValid = m.output('tok_in_valid', Bool);
  const tokInReady = m.input('tok_in_ready', Bool);
  const tokInData = m.output('tok_in_data', UInt(tokW));
  const tokInClear = m.output('tok_in_clear', Bool);
  const tokOutValid = m.input('tok_out_valid', Bool);
  const tokOutReady = m.output('tok_out_ready', Bool);
  const tokOutData = m.input('tok_out_data', UInt(tokW));
  const busyOut = m.output('busy', Bool);
  const verifyStart = verify ? m.output('verify_start', Bool, { reg: true, reset: 0 }) : undefined;
  const verifyOk = verify ? m.output('verify_ok', Bool, { reg: true, reset: 0 }) : undefined;
  const verifyDone = verify ? m.input('verify_done', Bool) : undefined;
  const verifyCrc = verify ? m.input('verify_crc', UInt(16)) : undefined;

  const k8 = (v: number) => lit(v, UInt(8));
  const cmd = (c: number) => lit(c, UInt(CMD_BITS));

  // ---- SLIP: END ends a frame (even after ESC); a byte after ESC is unescaped ---------------------------
  const escaped = m.reg('rx_escaped', Bool, { reset: 0 });
  const isEnd = m.let('rx_is_end', rxData.eq(SLIP.end));
  const endEv = m.let('rx_end', rxValid.and(isEnd));
  const byteEv = m.let('rx_byte', rxValid.and(isEnd.not()).and(escaped.or(rxData.ne(SLIP.esc))));
  const rxByte = m.let('rx_unescaped', mux(escaped.and(rxData.eq(SLIP.escEnd)), k8(SLIP.end), mux(escaped.and(rxData.eq(SLIP.escEsc)), k8(SLIP.esc), rxData)));

  // ---- what the requests read and the executor keeps -----------------------------------------------------------
  const imageCrc = m.reg('image_crc', UInt(16), { reset: CRC16.init }); // CRC of words [0, load_index)
  const position = m.reg('position', UInt(POSITION_BITS), { reset: 0 });
  const stateValid = m.reg('state_valid', Bool, { reset: 0 }); // a RESET ran since reset and since the last LOAD
  const lastTok = m.reg('last_token', UInt(tokW), { reset: 0 });
  const pending = m.reg('pending', Bool, { reset: 0 });
  const errCode = m.reg('err_code', UInt(4), { reset: 0 });
  // ERROR's arg is made when the reply goes out: the load index and the constants as they are then, or the
  // one byte a frame gave (its type, or its length) kept here.
  const errByte = m.reg('err_byte', UInt(8), { reset: 0 });
  const pendCmd = m.reg('pend_cmd', UInt(CMD_BITS), { reset: 0 });
  const pendSeq = m.reg('pend_seq', UInt(8), { reset: 0 });
  const pendArg = m.reg('pend_arg', UInt(16), { reset: 0 });
  // A pending error reply (line noise) gives way to the frame after it; any other pending request keeps
  // its place, and a frame that ends meanwhile is dropped (its sender times out and sends it again).
  const accepting = m.let('rx_accepting', pending.not().or(pendCmd.eq(CMD.error)));

  // ---- transmit: one reply at a time -------------------------------------------------------------------------
  // Body byte k of every reply: 0 type, 1 seq, then the state fields (the same for every reply), then the
  // reply's own fields, then the CRC. One multiplexer on k makes every byte; only the extra fields and
  // the CRC's place depend on the reply.
  type Entry = { kind: 'type' } | { kind: 'seq' } | { kind: 'field'; name: string; byte: number } | { kind: 'crc'; byte: number };
  const fieldEntries = (fields: readonly (readonly [string, number])[]): Entry[] => fields.flatMap(([name, w]) => Array.from({ length: w }, (_, byte) => ({ kind: 'field' as const, name, byte })));
  const common: Entry[] = [{ kind: 'type' }, { kind: 'seq' }, ...fieldEntries(STATE_FIELDS)];
  const bodyOf = (r: ReplyName): Entry[] => [...common, ...fieldEntries(REPLY_EXTRA_FIELDS[r]), { kind: 'crc', byte: 0 }, { kind: 'crc', byte: 1 }];
  const longest = Math.max(...REPLY_ORDER.map((r) => bodyOf(r).length));
  const table = { length: longest };
  const tW = Math.max(1, clog2(table.length));
  const txStart = m.wire('tx_start', Bool);
  const txStartKind = m.wire('tx_start_kind', UInt(REPLY_KIND_BITS));
  const txKind = m.reg('tx_kind', UInt(REPLY_KIND_BITS), { reset: 0 });
  // The reply's seq is the command's (cur_seq, 0 until the first command: the boot HELLO's): cur_seq changes
  // only when a command is taken, which waits for the transmitter to be idle.
  const curSeq = m.reg('cur_seq', UInt(8), { reset: 0 });
  const txFsm = new Fsm(m, 'tx_phase', ['idle', 'sof', 'body', 'eof'] as const);
  const txIdx = m.reg('tx_idx', UInt(tW), { reset: 0 });
  const txEscNext = m.reg('tx_esc_next', Bool, { reset: 0 });
  const txCrc = m.wire('tx_crc', UInt(16));
  const txCrcBusy = m.wire('tx_crc_busy', Bool);
  // ERROR's arg is only as wide as what it can carry; byteOf sends the bytes above as constant zeros (as it
  // does for `next`, whose width is the load index's).
  const argW = Math.max(8, liW, bitLength(p.imageWords), bitLength(p.vocabSize), verify ? 16 : 0);
  const errArg = m.let(
    'err_arg',
    mux(
      errCode.eq(ERROR_CODE.offset).or(errCode.eq(ERROR_CODE.notLoaded)),
      loadIndex.zext(argW),
      mux(errCode.eq(ERROR_CODE.range), lit(p.imageWords, UInt(argW)), mux(errCode.eq(ERROR_CODE.token), lit(p.vocabSize, UInt(argW)), errByte.zext(argW))),
    ),
  );
  // A failed VERIFY's ERROR: its own flag rather than err_code, which a frame ending meanwhile may set.
  const verifyBad = verify ? m.reg('verify_bad', Bool, { reset: 0 }) : undefined;
  const sources: Record<string, Expr> = {
    magic: lit(MAGIC.reduceRight((v, b) => v * 256 + b, 0), UInt(32)),
    version: lit(PROTOCOL_VERSION, UInt(8)),
    modelHash: lit(p.modelHash >>> 0, UInt(32)),
    imageWords: lit(p.imageWords, UInt(bitLength(p.imageWords))),
    maxChunk: lit(MAX_CHUNK_WORDS, UInt(8)),
    loaded,
    next: loadIndex,
    imageCrc,
    position,
    token: lastTok,
    code: verifyBad ? mux(verifyBad, lit(ERROR_CODE.verify, UInt(4)), errCode) : errCode,
    arg: verifyBad ? mux(verifyBad, verifyCrc!.zext(argW), errArg) : errArg,
  };
  const typeCode = m.let('tx_type_code', REPLY_ORDER.reduceRight<Expr>((acc, r, k) => mux(txKind.eq(k), k8(REPLY[r]), acc), k8(0)));
  const byteOf = (v: Expr, b: number): Expr => (8 * b < v.width ? v.slice(Math.min(8 * b + 7, v.width - 1), 8 * b).zext(8) : k8(0));
  const bodyByte = m.wire('tx_body_byte', UInt(8));
  const txInCrc = m.wire('tx_in_crc', Bool);
  const txLast = m.wire('tx_last', Bool);
  const byteFor = (e: Entry): Expr =>
    e.kind === 'type' ? typeCode : e.kind === 'seq' ? curSeq : e.kind === 'field' ? byteOf(sources[e.name]!, e.byte) : byteOf(txCrc, e.byte);
  // The body byte is the OR of two tables on (tx_idx, tx_kind): the constant bytes (HELLO's identity, the
  // zero bytes), 0 elsewhere, and the variable ones, 0 where a constant goes. Apart, the constants make a
  // small ROM and the variable bytes a multiplexer that need not also encode them (fewer LUTs).
  const isConst = (e: Entry) => e.kind === 'field' && sources[e.name] instanceof ConstExpr;
  const bodyTable = (name: string, constants: boolean, flags: boolean): Expr => {
    const out = m.wire(name, UInt(8));
    const byteIn = (e: Entry) => (isConst(e) === constants ? byteFor(e) : k8(0));
    m.comb(() => {
      out.set(k8(0));
      if (flags) {
        txInCrc.set(0);
        txLast.set(0);
      }
      const sw = m.switch(txIdx);
      for (let i = 0; i < longest; i++) {
        const at = REPLY_ORDER.map((r) => ({ r, e: bodyOf(r)[i] }));
        const same = at.every(({ e }) => e !== undefined && JSON.stringify(e) === JSON.stringify(at[0]!.e));
        sw.case(i, () => {
          if (same) {
            out.set(byteIn(at[0]!.e!));
            if (flags && at[0]!.e!.kind === 'crc') txInCrc.set(1);
            return;
          }
          const byKind = m.switch(txKind);
          at.forEach(({ r, e }, k) => {
            if (!e) return;
            byKind.case(k, () => {
              out.set(byteIn(e));
              if (flags && e.kind === 'crc') txInCrc.set(1);
              if (flags && i === bodyOf(r).length - 1) txLast.set(1);
            });
          });
          byKind.default(() => {});
        });
      }
      sw.default(() => {});
    });
    return out;
  };
  m.assign(bodyByte, bodyTable('tx_var_byte', false, true).or(bodyTable('tx_const_byte', true, false)));
  const special = bodyByte.eq(SLIP.end).or(bodyByte.eq(SLIP.esc));
  const escCode = mux(bodyByte.eq(SLIP.end), k8(SLIP.escEnd), k8(SLIP.escEsc));
  const inBody = txFsm.is('body');
  // The CRC bytes wait for the serial CRC to take in the last payload byte.
  m.assign(txValid, txFsm.is('sof').or(txFsm.is('eof')).or(inBody.and(txInCrc.and(txCrcBusy).not())));
  m.comb(() => {
    txData.set(k8(SLIP.end));
    m.if(inBody, () => txData.set(mux(txEscNext, escCode, mux(special, k8(SLIP.esc), bodyByte))));
  });
  const txFire = m.let('tx_fire', txValid.and(txReady));
  // A body byte enters the CRC on its first transfer: the plain byte, or the ESC before it.
  const feedCrc = m.let('tx_feed_crc', txFire.and(inBody).and(txEscNext.not()).and(txInCrc.not()));
  const crcTx = m.instance('u_tx_crc', crc16Serial({}), { preset: txStart, preset_value: lit(CRC16.init, UInt(16)), in_valid: feedCrc, in_byte: bodyByte });
  m.assign(txCrc, crcTx.out('crc'));
  m.assign(txCrcBusy, crcTx.out('busy'));
  const txIdle = m.let('tx_idle', txFsm.is('idle'));
  m.sync(() => {
    m.if(txStart, () => {
      txKind.set(txStartKind);
      txIdx.set(lit(0, UInt(tW)));
      txEscNext.set(0);
      txFsm.goto('sof');
    });
    m.if(txFire, () => {
      txFsm.switch({
        sof: () => txFsm.goto('body'),
        body: () => {
          m.if(special.and(txEscNext.not()), () => txEscNext.set(1)).else(() => {
            txEscNext.set(0);
            txIdx.set(txIdx.add(1).trunc(tW));
            m.if(txLast, () => txFsm.goto('eof'));
          });
        },
        eof: () => txFsm.goto('idle'),
      });
    });
  });
  const kindOf = (r: ReplyName) => lit(REPLY_ORDER.indexOf(r), UInt(REPLY_KIND_BITS));

  // ---- execute: one command at a time ----------------------------------------------------------------------------
  type ExecState = 'boot' | 'idle' | 'feed' | 'wait' | 'verify' | 'vsettle' | 'vreply';
  // verify: the reader runs; vsettle: the board takes verify_ok (loaded, load_index); vreply: the reply goes out.
  const execStates: ExecState[] = ['boot', 'idle', 'feed', 'wait', ...(verify ? (['verify', 'vsettle', 'vreply'] as const) : [])];
  const ex = new Fsm<ExecState>(m, 'exec', execStates);
  const execIdle = m.let('exec_idle', ex.is('idle'));
  m.assign(busyOut, execIdle.not().or(pending));
  const feedClear = m.reg('feed_clear', Bool, { reset: 0 });
  // A GENERATE counts its steps down in pend_arg itself: a frame that ends meanwhile overwrites the count,
  // but that frame is then pending, which ends the generation after the current step whatever the count.
  // A PROMPT is one step (feed_once).
  const genLeft = pendArg;
  const feedOnce = m.reg('feed_once', Bool, { reset: 0 });
  const hostCrc = verify ? m.reg('verify_host_crc', UInt(16), { reset: 0 }) : undefined;
  m.assign(tokInValid, ex.is('feed'));
  // The token fed is last_token: a PROMPT's token goes there when the command is taken. No reply can show
  // it there (a reply starts only with the transmitter idle and the executor idle, or as the step that
  // overwrites it ends), so every reply's `token` is still the last step's argmax.
  m.assign(tokInData, lastTok);
  m.assign(tokInClear, feedClear);
  // A step's token is taken only when the transmitter can announce it at once.
  const stepDone = m.let('step_done', ex.is('wait').and(tokOutValid).and(txIdle));
  m.assign(tokOutReady, ex.is('wait').and(txIdle));
  const take = m.let('exec_take', execIdle.and(pending).and(txIdle));
  m.comb(() => {
    txStart.set(0);
    txStartKind.set(kindOf('hello'));
    m.if(ex.is('boot').and(txIdle), () => {
      txStart.set(1);
    });
    m.if(take, () => {
      m.switch(pendCmd)
        .case(CMD.hello, () => txStart.set(1))
        .case(CMD.status, () => {
          txStart.set(1);
          txStartKind.set(kindOf('status'));
        })
        .case(CMD.load, () => {
          txStart.set(1);
          txStartKind.set(kindOf('load'));
        })
        .case(CMD.error, () => {
          txStart.set(1);
          txStartKind.set(kindOf('error'));
        })
        .default(() => {});
    });
    m.if(stepDone, () => {
      txStart.set(1);
      txStartKind.set(mux(feedClear, kindOf('reset'), kindOf('token')));
    });
    if (verifyBad) {
      m.if(ex.is('vreply').and(txIdle), () => {
        txStart.set(1);
        txStartKind.set(mux(verifyBad, kindOf('error'), kindOf('verify')));
      });
    }
  });
  const execute = () => {
    ex.switch({
      boot: () => m.if(txIdle, () => ex.goto('idle')),
      idle: () => {
        m.if(take, () => {
          pending.set(0);
          curSeq.set(pendSeq);
          feedClear.set(0);
          const sw = m.switch(pendCmd)
            .case(CMD.reset, () => {
              feedClear.set(1);
              ex.goto('feed');
            })
            .case(CMD.prompt, () => {
              lastTok.set(pendArg.trunc(tokW));
              feedOnce.set(1);
              ex.goto('feed');
            })
            .case(CMD.generate, () => {
              feedOnce.set(0);
              ex.goto('feed');
            });
          // VERIFY: verify_host_crc keeps the host's CRC (pend_arg may take the next frame's while the reader runs).
          if (verify) sw.case(CMD.verify, () => {
            hostCrc!.set(pendArg);
            ex.goto('verify');
          });
          sw.default(() => {});
        });
      },
      feed: () => m.if(tokInReady, () => ex.goto('wait')),
      wait: () => {
        m.if(stepDone, () => {
          m.if(feedClear, () => {
            position.set(0);
            stateValid.set(1);
            ex.goto('idle');
          }).else(() => {
            m.if(position.andR().not(), () => position.set(position.add(1).trunc(POSITION_BITS)));
            lastTok.set(tokOutData);
            genLeft.set(genLeft.sub(1).trunc(16));
            m.if(genLeft.eq(1).or(feedOnce).or(pending), () => ex.goto('idle')).else(() => ex.goto('feed'));
          });
        });
      },
      verify: () => m.if(verifyDone!, () => ex.goto('vsettle')),
      vsettle: () => ex.goto('vreply'),
      vreply: () => m.if(txIdle, () => ex.goto('idle')),
    });
  };

  // ---- receive: position, header fields, CRC ---------------------------------------------------------------------
  const pos = m.reg('rx_pos', UInt(POS_BITS), { reset: 0 }); // bytes so far, saturating
  const fType = m.reg('rx_type', UInt(8), { reset: 0 });
  const fSeq = m.reg('rx_seq', UInt(8), { reset: 0 });
  // Bytes 2 .. 5: PROMPT's token, GENERATE's count, VERIFY's CRC (16 bits), LOAD's offset (32). Only the low
  // HW bits are kept; any bit set above them sets rx_hdr_high (such an offset is out of range anyway).
  const HW = Math.max(16, liW);
  const hdr = m.reg('rx_hdr', UInt(HW), { reset: 0 });
  const hdrHigh = m.reg('rx_hdr_high', Bool, { reset: 0 });
  const typeIs = (t: number) => fType.eq(t);
  const isLoad = typeIs(REQUEST.load);

  // ---- LOAD: the header decides, then the words stream in one behind ------------------------------------------
  const loadOk = m.reg('load_ok', Bool, { reset: 0 });
  const loadErr = m.reg('load_err', UInt(4), { reset: 0 });
  const wordsLeft = m.reg('words_left', UInt(8), { reset: 0 });
  const crcBytes = m.reg('crc_bytes', UInt(2), { reset: 0 }); // bytes after the words, saturating at 3
  const haveLow = m.reg('have_low', Bool, { reset: 0 });
  // A word's bytes go straight into load_data: the word before it was written when it completed.
  const loadLow = m.reg('load_low', UInt(8));
  const loadHigh = m.reg('load_high', UInt(8));
  m.assign(loadData, cat(loadHigh, loadLow));
  const atCount = m.let('load_at_count', byteEv.and(isLoad).and(pos.eq(LOAD_COUNT_POS)));
  // The header's verdict (load_err, taken with the count byte) acts one cycle later (load_decide): the
  // checks' long path (offset + count against the image) ends in a flip-flop, not in the chunk CRC's
  // preset and the seek. Nothing else happens meanwhile: the next byte is a UART frame away.
  const loadDecide = m.reg('load_decide', Bool, { reset: 0 });
  const headerGood = m.let('load_header_good', loadDecide.and(loadErr.eq(0)));
  const count = rxByte; // in the cycle the count arrives
  const offset = hdr.slice(liW - 1, 0);
  const offsetHigh = HW > liW ? hdr.slice(HW - 1, liW).orR().or(hdrHigh) : hdrHigh;
  // A LOAD's seeks go to its offset, which stays in rx_hdr until the next frame's bytes 2 .. 5 (load_seek is
  // read in the cycle after the count byte or the END); a failed VERIFY's goes to word 0.
  const seekZero = verify ? m.reg('load_seek_zero', Bool, { reset: 0 }) : undefined;
  m.assign(loadSeekAddr, seekZero ? mux(seekZero, lit(0, UInt(liW)), offset) : offset);
  const offsetZero = m.let('load_offset_zero', hdr.eq(0).and(hdrHigh.not()));
  const hdrErr = m.wire('load_hdr_err', UInt(4));
  m.comb(() => {
    hdrErr.set(lit(0, UInt(4)));
    m.if(offsetHigh.or(gtConst(offset.zext(liW + 1).add(count.zext(liW + 1)).trunc(liW + 1), p.imageWords)), () => hdrErr.set(lit(ERROR_CODE.range, UInt(4))));
    m.if(count.eq(0).or(gtConst(count, MAX_CHUNK_WORDS)), () => hdrErr.set(lit(ERROR_CODE.length, UInt(4))));
    m.if(offset.ne(loadIndex).and(offsetZero.not()), () => hdrErr.set(lit(ERROR_CODE.offset, UInt(4))));
    m.if(execIdle.not().or(accepting.not()), () => hdrErr.set(lit(ERROR_CODE.busy, UInt(4))));
  });
  // A rejected LOAD's words are counted all the same, so that its ERROR names the header's fault rather
  // than a length; only an accepted one's words are written.
  const inData = m.let('load_in_data', byteEv.and(isLoad).and(geConst(pos, LOAD_DATA_POS)));
  const dataByte = m.let('load_data_byte', inData.and(wordsLeft.ne(0)));
  const wordDone = m.let('load_word_done', dataByte.and(haveLow));
  // The frame's CRC (a: every byte) and the chunk's (b: a LOAD's words, continuing image_crc) share one
  // bit shifter: a data byte enters both.
  const rxCrc = m.instance('u_rx_crc', crc16SerialPair({}), {
    init_a: endEv,
    init_b: headerGood.and(offsetZero),
    load_b: headerGood,
    load_value_b: imageCrc,
    in_valid: byteEv,
    in_b: dataByte,
    in_byte: rxByte,
  });
  m.sink(rxCrc.out('busy'));

  // ---- END: the verdict ---------------------------------------------------------------------------------------
  const crcOk = m.let('rx_crc_ok', rxCrc.out('crc_a').eq(0));
  const frameLen = (payload: number) => pos.eq(HEADER_BYTES + payload + CRC_BYTES);
  const known = REQUEST_ORDER.map((t) => typeIs(REQUEST[t])).reduce((a, b) => a.or(b));
  const lengthOk = m.let(
    'rx_length_ok',
    // A LOAD's word count and CRC bytes are this frame's only once its count byte came (pos past it).
    mux(isLoad, wordsLeft.eq(0).and(crcBytes.eq(CRC_BYTES)).and(gtConst(pos, LOAD_COUNT_POS)), mux(typeIs(REQUEST.prompt).or(typeIs(REQUEST.generate)).or(verify ? typeIs(REQUEST.verify) : lit(0, Bool)), frameLen(REQUEST_PAYLOAD_BYTES.prompt), frameLen(0))),
  );
  const arg16 = hdr.slice(15, 0);
  const frameEnd = m.let('rx_frame_end', endEv.and(pos.ne(0)));
  const loadGood = m.let('load_good', crcOk.and(lengthOk).and(accepting));
  if (PROMPT_ARG_MISMATCH) throw new Error('PROMPT and GENERATE payloads differ in length');
  // The frame's verdict at END: 0 for a good request, else its ERROR_CODE. Lowest precedence first: the
  // last check that applies wins (a frame too short to have a CRC says LENGTH, a bad CRC says CRC, ...).
  const verdict = m.wire('rx_verdict', UInt(4));
  const isPrompt = typeIs(REQUEST.prompt);
  const isGenerate = typeIs(REQUEST.generate);
  m.comb(() => {
    const code = (c: number) => lit(c, UInt(4));
    verdict.set(code(0));
    m.if(isLoad, () => verdict.set(loadErr));
    m.if(isPrompt.and(geConst(arg16, p.vocabSize)), () => verdict.set(code(ERROR_CODE.token)));
    m.if(isGenerate.and(arg16.eq(0)), () => verdict.set(code(ERROR_CODE.range)));
    m.if(isGenerate.and(position.eq(0)), () => verdict.set(code(ERROR_CODE.noToken)));
    m.if(isPrompt.or(isGenerate).and(stateValid.not()), () => verdict.set(code(ERROR_CODE.noReset)));
    m.if(isPrompt.or(isGenerate).or(typeIs(REQUEST.reset)).and(loaded.not()), () => verdict.set(code(ERROR_CODE.notLoaded)));
    m.if(known.and(lengthOk.not()), () => verdict.set(code(ERROR_CODE.length)));
    m.if(known.not(), () => verdict.set(code(ERROR_CODE.type)));
    m.if(crcOk.not(), () => verdict.set(code(ERROR_CODE.crc)));
    m.if(ltConst(pos, HEADER_BYTES + CRC_BYTES), () => verdict.set(code(ERROR_CODE.length)));
  });
  m.sync(() => {
    execute();
    loadValid.set(0);
    loadSeek.set(0);
    if (verify) {
      verifyStart!.set(take.and(pendCmd.eq(CMD.verify)));
      verifyOk!.set(0);
      m.if(ex.is('verify').and(verifyDone!), () => {
        // The image the board holds is the host's: loaded as after an upload (a RESET must follow, as after a LOAD).
        m.if(verifyCrc!.eq(hostCrc!), () => {
          verifyOk!.set(1);
          imageCrc.set(verifyCrc!);
          verifyBad!.set(0);
        }).else(() => {
          loadSeek.set(1);
          seekZero!.set(1);
          imageCrc.set(lit(CRC16.init, UInt(16)));
          verifyBad!.set(1);
        });
        stateValid.set(0);
      });
      m.if(txStart.and(ex.is('vreply').not()), () => verifyBad!.set(0));
    }
    m.if(rxValid, () => escaped.set(isEnd.not().and(escaped.not()).and(rxData.eq(SLIP.esc))));
    m.if(byteEv, () => {
      m.if(pos.andR().not(), () => pos.set(pos.add(1).trunc(POS_BITS)));
      const sw = m.switch(pos)
        .case(0, () => fType.set(rxByte))
        .case(1, () => fSeq.set(rxByte));
      for (let k = 0; k < LOAD_OFFSET_BYTES; k++) {
        const lo = 8 * k;
        const n = Math.min(8, Math.max(0, HW - lo)); // this byte's bits that rx_hdr keeps
        sw.case(HEADER_BYTES + k, () => {
          if (n > 0) {
            const parts: Expr[] = [];
            if (lo + n < HW) parts.push(hdr.slice(HW - 1, lo + n));
            parts.push(rxByte.slice(n - 1, 0));
            if (lo > 0) parts.push(hdr.slice(lo - 1, 0));
            hdr.set(parts.length === 1 ? parts[0]! : cat(...parts));
          }
          const above = n < 8 ? rxByte.slice(7, n).orR() : undefined;
          if (k === 0) hdrHigh.set(above ?? lit(0, Bool));
          else if (above) hdrHigh.set(hdrHigh.or(above));
        });
      }
      sw.default(() => {});
    });
    m.if(endEv, () => pos.set(0));

    loadDecide.set(atCount);
    m.if(atCount, () => {
      loadErr.set(hdrErr);
      wordsLeft.set(count);
      crcBytes.set(0);
      haveLow.set(0);
    });
    m.if(loadDecide, () => loadOk.set(loadErr.eq(0)));
    m.if(headerGood, () => {
      loadSeek.set(1);
      seekZero?.set(0);
      stateValid.set(0);
    });
    m.if(inData.and(wordsLeft.eq(0)).and(crcBytes.andR().not()), () => crcBytes.set(crcBytes.add(1).trunc(2)));
    m.if(dataByte, () => {
      haveLow.set(haveLow.not());
      m.if(haveLow.not(), () => loadLow.set(rxByte)).else(() => loadHigh.set(rxByte));
    });
    m.if(wordDone, () => {
      wordsLeft.set(wordsLeft.sub(1).trunc(8));
      // Every word but the chunk's last is written as it completes; the last waits for the CRC (END).
      m.if(loadOk.and(wordsLeft.ne(1)), () => loadValid.set(1));
    });
    m.if(frameEnd.and(isLoad).and(loadOk), () => {
      // A good chunk's last word goes in now; a bad chunk moves the load back to where it started.
      m.if(loadGood, () => {
        loadValid.set(1);
        imageCrc.set(rxCrc.out('crc_b'));
      }).else(() => {
        loadSeek.set(1);
        seekZero?.set(0);
      });
    });
    m.if(frameEnd, () => {
      loadOk.set(0);
      m.if(accepting, () => {
        pending.set(1);
        pendSeq.set(fSeq);
        pendArg.set(arg16);
        pendCmd.set(mux(verdict.eq(0), fType.slice(CMD_BITS - 1, 0), cmd(CMD.error)));
        errCode.set(verdict);
        errByte.set(mux(verdict.eq(ERROR_CODE.type), fType, pos.zext(8)));
      });
    });
  });
});

/** Bits of a non-negative integer's binary form (at least 1). */
function bitLength(v: number): number {
  return Math.max(1, v.toString(2).length);
}

export function protocolEngine(p: ProtocolEngineParams): Module {
  if (p.tokenBits > 16) throw new RangeError(`protocol engine: token ids travel in 16 bits, the model needs ${p.tokenBits}`);
  if (p.imageWords >= 2 ** (8 * LOAD_OFFSET_BYTES)) throw new RangeError(`protocol engine: LOAD offsets are ${8 * LOAD_OFFSET_BYTES} bits, the image has ${p.imageWords} words`);
  if (p.loadIndexBits !== Math.max(1, clog2(p.imageWords + 1))) throw new RangeError('protocol engine: loadIndexBits does not match imageWords');
  const { verify, ...rest } = p;
  return engineGen({ ...rest, verify: verify ? 1 : 0 });
}
