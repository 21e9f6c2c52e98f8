// Byte-level tokenizer for vocab-256 models (the shared tiny/small checkpoints): id = one UTF-8 byte.
import { checkIds, type StreamDecoder, type Tokenizer } from './tokenizer.ts';

const encoder = new TextEncoder();

export function byteTokenizer(): Tokenizer {
  return {
    vocabSize: 256,
    source: 'bytes',
    encode: (text) => Array.from(encoder.encode(text)),
    decode: (ids) => {
      checkIds(ids, 256, 'byte tokenizer');
      // Invalid or incomplete UTF-8 becomes U+FFFD, as Hugging Face decoders do; a BOM is kept (it is data).
      return new TextDecoder('utf-8', { ignoreBOM: true }).decode(Uint8Array.from(ids));
    },
    createDecoder: () => byteStreamDecoder(),
  };
}

function byteStreamDecoder(): StreamDecoder {
  // TextDecoder in streaming mode holds back an incomplete sequence until its last byte arrives and
  // turns a byte that cannot continue it into U+FFFD: exactly "only complete characters".
  let decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  return {
    push(id) {
      checkIds([id], 256, 'byte tokenizer');
      return decoder.decode(Uint8Array.of(id), { stream: true });
    },
    flush() {
      const rest = decoder.decode();
      decoder = new TextDecoder('utf-8', { ignoreBOM: true });
      return rest;
    },
  };
}
