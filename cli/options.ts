// The checks every command's options go through before any work starts: numbers parsed strictly (no
// empty string read as 0, no "1e300" seed, no NaN or -Infinity temperature), output paths tried before
// hours of work are spent on them, input files refused when they are directories, FIFOs or devices.
// Each failure is one line naming the option, the value and what it must be.
import fs from 'node:fs';
import path from 'node:path';
import { checkWritableDir, fsReason, makeDirs, PathError } from '../util/fs-paths.ts';
import { checkRegularFile, readRegularFile } from '../util/read-regular-file.ts';

/** A bad option value; the message names the option. */
export class OptionError extends Error {}

const DECIMAL_INT = /^\d+$/;
const DECIMAL_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
/** Counts, seeds and milliseconds stay below 2^31: timers and nextpnr take no more. */
export const INT_MAX = 2 ** 31 - 1;

/** A decimal integer in [min, max] (default [0, 2^31 - 1]); nothing else, not even spaces or 0x. */
export function intOption(value: string, name: string, o: { min?: number; max?: number } = {}): number {
  const min = o.min ?? 0;
  const max = o.max ?? INT_MAX;
  const n = DECIMAL_INT.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) {
    const kind = min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : `an integer >= ${min}`;
    throw new OptionError(`${name} must be ${kind}${max !== INT_MAX || n > max ? ` up to ${max}` : ''}, got '${value}'`);
  }
  return n;
}

/** A finite decimal number (1, 0.8, 1e-3) in [min, max]. */
export function numberOption(value: string, name: string, o: { min?: number; max?: number } = {}): number {
  const min = o.min ?? -Number.MAX_VALUE;
  const max = o.max ?? Number.MAX_VALUE;
  const n = DECIMAL_NUMBER.test(value) ? Number(value) : NaN;
  if (!(Number.isFinite(n) && n >= min && n <= max)) {
    const range = o.min !== undefined && o.max !== undefined ? ` in [${min}, ${max}]` : o.min !== undefined ? ` >= ${min}` : o.max !== undefined ? ` <= ${max}` : '';
    throw new OptionError(`${name} must be a finite number${range}, got '${value}'`);
  }
  return n;
}

/** One of a fixed set of words. */
export function choiceOption<T extends string>(value: string, name: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value)) throw new OptionError(`${name} must be one of ${choices.join(', ')}, got '${value}'`);
  return value as T;
}

function pathError(name: string, file: string, e: unknown): OptionError {
  return new OptionError(`${name} ${file}: ${e instanceof PathError ? e.message : fsReason(e)}`);
}

/**
 * A file about to be written: not empty, not a directory, in an existing directory where a file can be
 * created. Checked before the work, so a refused path costs nothing and leaves nothing behind.
 */
export function outputFile(file: string, name: string): string {
  if (file.trim() === '') throw new OptionError(`${name}: empty path`);
  if (file.endsWith('/') || file.endsWith(path.sep)) throw new OptionError(`${name} ${file}: names a directory, not a file`);
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw pathError(name, file, e); // ENOTDIR: said below, naming the part
  }
  if (st?.isDirectory()) throw new OptionError(`${name} ${file}: is a directory`);
  if (st && !st.isFile()) throw new OptionError(`${name} ${file}: not a regular file`);
  const dir = path.dirname(path.resolve(file));
  let d: fs.Stats;
  try {
    d = fs.statSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new OptionError(`${name} ${file}: the directory ${dir} does not exist`);
    if (code === 'ENOTDIR') throw new OptionError(`${name} ${file}: a part of ${dir} is a file, not a directory`);
    throw pathError(name, file, e);
  }
  if (!d.isDirectory()) throw new OptionError(`${name} ${file}: ${dir} is not a directory`);
  try {
    checkWritableDir(dir);
  } catch (e) {
    throw pathError(name, file, e);
  }
  return file;
}

/**
 * A folder about to be written into: created when missing (with its parents), then tried. With
 * `create: false` nothing is made yet: the nearest part of it that exists must be a folder where one
 * can write (so a refused model leaves no empty folder behind; makeDirs it once the work is sure).
 */
export function outputDir(dir: string, name: string, o: { create?: boolean } = {}): string {
  if (dir.trim() === '') throw new OptionError(`${name}: empty path`);
  try {
    if (o.create === false) {
      let at = path.resolve(dir);
      while (!fs.existsSync(at) && path.dirname(at) !== at) at = path.dirname(at);
      if (!fs.statSync(at).isDirectory()) throw new PathError(`${at} is not a directory`);
      checkWritableDir(at);
    } else {
      makeDirs(dir);
      checkWritableDir(dir);
    }
  } catch (e) {
    throw pathError(name, dir, e);
  }
  return dir;
}

/** A file to be read whole: it must exist and be a regular file (not a directory, a FIFO or a device). */
export function inputFile(file: string, name: string): string {
  if (file.trim() === '') throw new OptionError(`${name}: empty path`);
  try {
    checkRegularFile(file);
  } catch (e) {
    throw new OptionError(`${name} ${file}: ${(e as Error).message}`);
  }
  return file;
}

/** The bytes of an input file, read without blocking on a FIFO (util/read-regular-file.ts). */
export function readInputFile(file: string, name: string): Buffer {
  if (file.trim() === '') throw new OptionError(`${name}: empty path`);
  try {
    return readRegularFile(file);
  } catch (e) {
    throw new OptionError(`${name} ${file}: ${(e as Error).message}`);
  }
}
