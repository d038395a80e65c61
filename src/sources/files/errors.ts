/**
 * Errors of a files source. Each names the file (its key: the path relative to the configured root)
 * and, for a line, its 1-based number, so that `file:line: reason` leads straight to the input.
 * The runner surfaces the message and writes nothing of the batch; the file's cursor stays.
 */
export class FilesSourceError extends Error {
  override name = 'FilesSourceError';

  constructor(
    /** The file's key, or the configured path when the error is about the path itself. */
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

/** A line that is not JSON (or not readable). */
export class FileLineError extends Error {
  override name = 'FileLineError';

  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
  }
}
