export { TokenizerError, type StreamDecoder, type Tokenizer } from './tokenizer.ts';
export { byteTokenizer } from './byte.ts';
export { idsTokenizer, idsStreamDecoder } from './ids.ts';
export { tokenizerFromJson, incrementalDecoder } from './hf.ts';
export { loadTokenizer } from './load.ts';
