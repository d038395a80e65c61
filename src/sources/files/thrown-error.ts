import { FileLineError, FilesSourceError } from './errors.ts';

/**
 * An error thrown in the reading worker, as it crosses to the main thread. Structured cloning keeps an
 * Error's message but drops its class and its own fields, which callers read (`FileLineError.line`, a
 * decoder error's `file`, `line`, `field`, a system error's `code`): they travel here as plain data.
 */
export interface ThrownError {
  name: string;
  message: string;
  stack?: string;
  /** The error's own fields with primitive values. */
  fields: Record<string, string | number | boolean | null>;
}

export function toThrownError(error: unknown): ThrownError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), fields: {} };
  const fields: ThrownError['fields'] = {};
  for (const [key, value] of Object.entries(error)) {
    if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') fields[key] = value;
  }
  return { name: error.name, message: error.message, ...(error.stack !== undefined ? { stack: error.stack } : {}), fields };
}

/**
 * The error again, on this side: the files source's own classes as themselves (callers test them with
 * instanceof); anything else (a decoder's error: the engine knows no protocol's classes) as an Error
 * with the same name, message and fields.
 */
export function fromThrownError(thrown: ThrownError): Error {
  const f = thrown.fields;
  let error: Error;
  if (thrown.name === 'FileLineError' && typeof f.file === 'string' && typeof f.line === 'number' && typeof f.reason === 'string') {
    error = new FileLineError(f.file, f.line, f.reason);
  } else if (thrown.name === 'FilesSourceError' && typeof f.file === 'string' && typeof f.reason === 'string') {
    error = new FilesSourceError(f.file, f.reason);
  } else {
    error = Object.assign(new Error(thrown.message), f);
    error.name = thrown.name;
  }
  if (thrown.stack !== undefined) error.stack = thrown.stack;
  return error;
}
