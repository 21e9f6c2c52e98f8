// Every problem found in a checkpoint (safetensors file, shard index, config.json, tensor set) is a
// CheckpointError whose message is ONE line:
//   <file>: <what> (tensor <name>, bytes <a>..<b>)
// The parenthesis lists only what applies. Byte ranges are absolute offsets in <file>, end exclusive.

export interface CheckpointErrorWhere {
  /** The tensor concerned, when there is one. */
  tensor?: string;
  /** Absolute byte range [begin, end) in the file, when there is one. */
  bytes?: readonly [number | bigint, number | bigint];
  /** A config.json / index field, when there is one. */
  field?: string;
}

export class CheckpointError extends Error {
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly where: CheckpointErrorWhere = {},
  ) {
    super(formatCheckpointError(file, detail, where));
    this.name = 'CheckpointError';
  }
}

/** Collapses any line break (e.g. from a JSON.parse message or a file name) so the message is one line. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n\u2028\u2029]+\s*/g, ' ');
}

function formatCheckpointError(file: string, detail: string, where: CheckpointErrorWhere): string {
  const parts: string[] = [];
  if (where.field !== undefined) parts.push(`field ${where.field}`);
  if (where.tensor !== undefined) parts.push(`tensor ${where.tensor}`);
  if (where.bytes !== undefined) parts.push(`bytes ${where.bytes[0]}..${where.bytes[1]}`);
  const suffix = parts.length > 0 ? ` (${parts.join(', ')})` : '';
  return oneLine(`${file}: ${detail}${suffix}`);
}
