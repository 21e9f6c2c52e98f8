// Paths a user names, made safe to write and read: directories made one level at a time, because
// Node 20's mkdirSync({ recursive: true }) loops forever where a parent exists but refuses children with
// ENOENT (as /proc does); and errno codes said in words, so an error names the path and the reason
// instead of "ENOENT: ... rename '.tmp-13928' -> ''". Depends on nothing: any layer may use it.
import fs from 'node:fs';
import path from 'node:path';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EEXIST: 'already exists',
  ENAMETOOLONG: 'name too long',
  ELOOP: 'too many levels of symbolic links',
  EINVAL: 'invalid argument',
  EBUSY: 'busy',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  ENXIO: 'no such device',
  ENODEV: 'no such device',
  ETXTBSY: 'text file busy',
};

/** What went wrong with a file operation, in words (the errno code when it has no words here). */
export function fsReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string') return REASONS[e.code] ?? e.code;
  return (e instanceof Error ? e.message : String(err)).split('\n')[0]!;
}

/** A path that cannot be used as asked; the message names it. */
export class PathError extends Error {}

/** Creates `dir` and its missing parents, one mkdir each; refuses when a part of it is a file. */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  let at = path.resolve(dir);
  for (;;) {
    let st: fs.Stats;
    try {
      st = fs.statSync(at);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new PathError(`${at}: ${fsReason(e)}`);
      missing.push(at);
      const up = path.dirname(at);
      if (up === at) throw new PathError(`${at}: ${fsReason(e)}`);
      at = up;
      continue;
    }
    if (!st.isDirectory()) throw new PathError(`${at} is not a directory`);
    break;
  }
  for (const d of missing.reverse()) {
    try {
      fs.mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && fs.statSync(d).isDirectory()) continue;
      throw new PathError(`cannot create the directory ${d}: ${fsReason(e)}`);
    }
  }
}

/** Throws unless a file can be created in `dir` (an existing directory): creates and removes a probe. */
export function checkWritableDir(dir: string): void {
  const probe = path.join(dir, `.mmf-write-probe-${process.pid}`);
  let fd: number;
  try {
    fd = fs.openSync(probe, 'wx');
  } catch (e) {
    throw new PathError(`cannot write in ${dir}: ${fsReason(e)}`);
  }
  fs.closeSync(fd);
  fs.rmSync(probe, { force: true });
}
