import { FilesSourceError } from './errors.ts';

/**
 * How far a file has been read: the cursor position of its stream, written as
 * `<lines>[ bytes=<offset>][ size=<bytes on disk>]`, e.g. `20000 bytes=8123456` or
 * `131072 bytes=52428800 size=9876543`.
 *
 * - `lines`: complete lines imported (the next line to read is `lines + 1`).
 * - `bytes`: offset, in the decompressed content, just after the last imported line. A plain file
 *   is resumed by seeking there (the node appends to the current hour's file all hour long), and a
 *   file that shrank below it was replaced, which is an error, not a reason to import it again.
 * - `size`: set once an LZ4 file was read to its end: its size on disk then. An archive file is
 *   complete, so the same size means nothing new and the file is skipped without decompressing it.
 *
 * A bare `<lines>` (written by hand, or by an older version) is accepted: the file is read from the
 * start and its first `lines` lines are skipped.
 */
export interface FilePosition {
  lines: number;
  bytes: number | null;
  size: number | null;
}

export const START: FilePosition = { lines: 0, bytes: 0, size: null };

const PATTERN = /^(\d+)(?: bytes=(\d+))?(?: size=(\d+))?$/;

export function parseFilePosition(file: string, position: string): FilePosition {
  const m = PATTERN.exec(position.trim());
  if (!m) {
    throw new FilesSourceError(file, `stored cursor position "${position}" is not "<lines>[ bytes=<n>][ size=<n>]"`);
  }
  const toNumber = (text: string | undefined): number | null => {
    if (text === undefined) return null;
    const n = Number(text);
    if (!Number.isSafeInteger(n)) throw new FilesSourceError(file, `stored cursor position "${position}" holds a number too large`);
    return n;
  };
  return { lines: toNumber(m[1])!, bytes: toNumber(m[2]), size: toNumber(m[3]) };
}

export function formatFilePosition(p: FilePosition): string {
  return `${p.lines}${p.bytes !== null ? ` bytes=${p.bytes}` : ''}${p.size !== null ? ` size=${p.size}` : ''}`;
}
