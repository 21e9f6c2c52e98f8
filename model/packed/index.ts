// The packed model format: a converted model both engines run from (docs/packed-format.md).
export { writePacked, encodePacked, type WritePackedOptions } from './write.ts';
export { readPacked, decodePacked, isPackedFile, PackedModel, type PackedTensorInfo } from './read.ts';
export {
  PACKED_MAGIC,
  PACKED_VERSION,
  HEADER_BYTES,
  RECORD_HEADER_BYTES,
  CHECKSUM_BYTES,
  ENCODING,
  PackedFormatError,
  packedTensorCount,
  packedTensorList,
  pack2bit,
  unpack2bit,
  pack5trit,
  unpack5trit,
  ternaryPayloadBytes,
  type Packing,
  type PackedTensorSpec,
} from './format.ts';
