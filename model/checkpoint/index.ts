export { CheckpointError } from './errors.ts';
export {
  readSafetensors,
  tensorToFloat32,
  tensorBytes,
  tensorInfo,
  decodeToFloat32,
  bf16ToFloat32,
  f16ToFloat32,
  DTYPE_SIZE,
  MAX_HEADER_LENGTH,
  type Dtype,
  type TensorInfo,
  type SafetensorsFile,
} from './safetensors.ts';
export { parseHgrnBitConfig, deriveIntermediateSize, type HgrnBitConfig } from './config.ts';
export { loadCheckpoint, expectedTensorShapes, type Checkpoint } from './load.ts';
