import { readdir, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { FilesSourceError } from './errors.ts';

/** A file to read, as enumerated at the start of a pull. */
export interface FileEntry {
  /** Path relative to its root, with `/` separators: the cursor stream and the name in messages. */
  key: string;
  /** Absolute path. */
  path: string;
  /** Size on disk when enumerated. */
  size: number;
}

/**
 * The files under `paths`, ordered by `compare` over their keys. A directory is walked recursively
 * and its files are keyed relative to it; a file given directly is keyed by its name. Names starting
 * with a dot (files and directories: editors' and downloaders' temporary files) are skipped, and so
 * is anything that is not a regular file. A key names the data, not its encoding: `hourly/20251010/21`
 * whether the file is plain or `.lz4`, so an hour imported from the archive is not imported again from
 * a decompressed copy (trade bars add up what they are given: a second copy would double them). Two
 * files with the same key (a plain and an LZ4 copy, or the same relative path under two roots) are an
 * error: they would share a cursor.
 */
export async function listFiles(paths: readonly string[], compare: (a: string, b: string) => number): Promise<FileEntry[]> {
  const byKey = new Map<string, FileEntry>();
  const add = (entry: FileEntry): void => {
    const other = byKey.get(entry.key);
    if (other) throw new FilesSourceError(entry.key, `two files have this key (${other.path} and ${entry.path}); give one root per dataset`);
    byKey.set(entry.key, entry);
  };
  for (const given of paths) {
    const root = resolve(given);
    const info = await statOrNull(root);
    if (!info) throw new FilesSourceError(given, 'no such file or directory');
    if (info.isDirectory()) {
      await walk(root, root, add);
    } else if (info.isFile()) {
      add({ key: dataKey(basename(root)), path: root, size: info.size });
    } else {
      throw new FilesSourceError(given, 'not a regular file or a directory');
    }
  }
  return [...byKey.values()].sort((a, b) => compare(a.key, b.key));
}

async function walk(root: string, dir: string, add: (entry: FileEntry) => void): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    let size = -1;
    if (entry.isSymbolicLink()) {
      const target = await statOrNull(path);
      if (!target) continue; // a dangling link
      isDir = target.isDirectory();
      isFile = target.isFile();
      size = target.size;
    }
    if (isDir) {
      await walk(root, path, add);
    } else if (isFile) {
      if (size < 0) size = (await stat(path)).size;
      add({ key: dataKey(relative(root, path).split(sep).join('/')), path, size });
    }
  }
}

/** A file's key without its compression suffix (see listFiles). */
function dataKey(path: string): string {
  return path.replace(/\.lz4$/i, '');
}

async function statOrNull(path: string): Promise<Stats | null> {
  try {
    return await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

