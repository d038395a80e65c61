/**
 * A node fills line that does not have the shape of Hyperliquid's node output (formats.md §6): wrong
 * shape, a missing field, or a field of the wrong type or form. The import stops on it (a guessed
 * fill would corrupt liquidations and bars), naming `file:line`, the field's path in the line and the
 * problem; the runner writes nothing of the batch and the file's cursor stays before it.
 */
export class NodeFillError extends Error {
  override name = 'NodeFillError';

  constructor(
    readonly file: string,
    readonly line: number,
    /** Path of the field in the line's JSON (`events[3][1].px`), or `(line)` for the line itself. */
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${field}: ${reason}`);
  }
}
