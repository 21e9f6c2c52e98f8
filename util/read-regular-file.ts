// Reading a file a user names, when it must be a regular file: a FIFO would block the open until a
// writer comes (forever), /dev/zero would be read until memory runs out, a directory gives EISDIR. The
// file is opened without blocking, checked with fstat, and its size checked against a limit before a
// buffer is allocated. Depends on nothing: any layer may use it.
import fs from 'node:fs';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'name too long',
  ENXIO: 'no such device',
};

function fsReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (typeof code === 'string') return REASONS[code] ?? code;
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}

/** Why a path could not be read as a regular file: the reason alone, for the caller's own error class. */
export class NotRegularFileError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * The whole content of the regular file at `path`, at most `maxBytes` long. Throws NotRegularFileError
 * with the reason in words ("is a directory", "is a FIFO, not a regular file", "1.2 GB, over the
 * limit of ...", "no such file or directory").
 */
export function readRegularFile(path: string, maxBytes = 2 ** 31 - 1): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    throw new NotRegularFileError(fsReason(e));
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) {
      const kind = kindOf(st);
      throw new NotRegularFileError(kind === 'not a regular file' ? kind : `is ${kind}, not a regular file`);
    }
    if (st.size > maxBytes) throw new NotRegularFileError(`${st.size} bytes, over the limit of ${maxBytes}`);
    const buf = Buffer.alloc(st.size);
    let done = 0;
    while (done < buf.length) {
      const k = fs.readSync(fd, buf, done, buf.length - done, done);
      if (k === 0) throw new NotRegularFileError(`file shrank while being read (${done} of ${buf.length} bytes)`);
      done += k;
    }
    return buf;
  } catch (e) {
    if (e instanceof NotRegularFileError) throw e;
    throw new NotRegularFileError(fsReason(e));
  } finally {
    fs.closeSync(fd);
  }
}

/** Throws NotRegularFileError unless `path` is a regular file (stat only: nothing is opened). */
export function checkRegularFile(path: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(path);
  } catch (e) {
    throw new NotRegularFileError(fsReason(e));
  }
  if (!st.isFile()) throw new NotRegularFileError(`is ${kindOf(st)}, not a regular file`);
}
