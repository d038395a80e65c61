import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { acquireEmbeddedOwner, EmbeddedDirectoryBusyError, OWNER_FILE, OWNER_SOCKET_FILE } from '../../src/db/embedded-owner.ts';
import { openDatabase } from '../../src/db/connect.ts';
import { REPO_ROOT } from '../helpers/cli.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/hold-owner.ts', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'liqscope-owner-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Holder {
  child: ChildProcessWithoutNullStreams;
  /** The child's one line: owned, or busy with the holder's pid. */
  answer: Promise<{ owned: boolean; pid?: number; holder?: number | null; message?: string }>;
  exited: Promise<number | null>;
}

const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** Another process that tries to own `dir` (a real child process: the lock is between processes). */
function holder(dir: string, mechanism: 'auto' | 'socket-file'): Holder {
  const env = { ...process.env };
  delete env.VITEST;
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dir, mechanism], { cwd: REPO_ROOT, env });
  children.push(child);
  let out = '';
  const answer = new Promise<Holder['answer'] extends Promise<infer T> ? T : never>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!));
    });
    child.once('exit', (code) => reject(new Error(`holder exited ${code} before answering`)));
  });
  answer.catch(() => {});
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, answer, exited };
}

function killed(child: ChildProcessWithoutNullStreams): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

for (const mechanism of ['auto', 'socket-file'] as const) {
  const label = mechanism === 'auto' ? `the platform's socket (${process.platform === 'linux' ? 'abstract namespace' : process.platform})` : 'a socket file in the directory';
  describe(`one owner process per embedded directory, with ${label}`, () => {
    it('refuses a second process, naming the owner, and frees the directory the moment the owner is SIGKILLed', async () => {
      const dir = join(work, `kill-${mechanism}`);
      const first = holder(dir, mechanism);
      expect(await first.answer).toEqual({ owned: true, pid: first.child.pid });
      const owner = readFileSync(join(dir, OWNER_FILE), 'utf8');
      expect(owner).toContain(`pid: ${first.child.pid}\n`);

      const error = await acquireEmbeddedOwner(dir, { mechanism }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(EmbeddedDirectoryBusyError);
      expect((error as EmbeddedDirectoryBusyError).holder?.pid).toBe(first.child.pid);
      expect((error as EmbeddedDirectoryBusyError).holder?.command).toContain('hold-owner.ts');
      expect((error as Error).message).toContain(`pid ${first.child.pid}`);

      await killed(first.child);
      if (mechanism === 'socket-file') expect(existsSync(join(dir, OWNER_SOCKET_FILE))).toBe(true); // left behind, stale
      const started = Date.now();
      const mine = await acquireEmbeddedOwner(dir, { mechanism });
      // No waiting for a timeout: the kernel released the socket with the process.
      expect(Date.now() - started).toBeLessThan(1000);
      expect(readFileSync(join(dir, OWNER_FILE), 'utf8')).toContain(`pid: ${process.pid}\n`);
      await mine.release();
      expect(existsSync(join(dir, OWNER_FILE))).toBe(false);
    });

    it('lets exactly one of six processes starting at once own the directory', async () => {
      const dir = join(work, `race-${mechanism}`);
      if (mechanism === 'socket-file') {
        // Start from a dead owner's socket file, so that every process goes through the takeover.
        const dead = holder(dir, mechanism);
        await dead.answer;
        await killed(dead.child);
      }
      const racers = Array.from({ length: 6 }, () => holder(dir, mechanism));
      const answers = await Promise.all(racers.map((r) => r.answer));
      const winners = racers.filter((_, i) => answers[i]!.owned);
      expect(winners).toHaveLength(1);
      const winnerPid = winners[0]!.child.pid;
      for (const answer of answers.filter((a) => !a.owned)) expect(answer.holder).toBe(winnerPid);
      const codes = await Promise.all(racers.filter((r) => r !== winners[0]).map((r) => r.exited));
      expect(codes).toEqual([75, 75, 75, 75, 75]);
    });

    it('is shared within one process and released when the last handle is', async () => {
      const dir = join(work, `shared-${mechanism}`);
      const a = await acquireEmbeddedOwner(dir, { mechanism });
      const b = await acquireEmbeddedOwner(dir, { mechanism });
      await a.release();
      const whileHeld = holder(dir, mechanism);
      expect(await whileHeld.answer).toMatchObject({ owned: false, holder: process.pid });
      await b.release();
      const after = holder(dir, mechanism);
      expect(await after.answer).toMatchObject({ owned: true });
      after.child.stdin.end();
      expect(await after.exited).toBe(0);
      expect(existsSync(join(dir, OWNER_FILE))).toBe(false);
    });
  });
}

describe('openDatabase on an embedded directory', () => {
  it('refuses a directory another process owns, and a second engine on one directory in this process', async () => {
    const dir = join(work, 'open');
    mkdirSync(dir, { recursive: true });
    const other = holder(dir, 'auto');
    await other.answer;
    await expect(openDatabase({ path: dir, useEnvUrl: false })).rejects.toThrow(new RegExp(`open in another process \\(pid ${other.child.pid}`));
    other.child.stdin.end();
    await other.exited;

    const first = await openDatabase({ path: dir, useEnvUrl: false });
    try {
      await expect(openDatabase({ path: dir, useEnvUrl: false })).rejects.toThrow(/already open in this process/);
      const busy = holder(dir, 'auto');
      expect(await busy.answer).toMatchObject({ owned: false, holder: process.pid });
    } finally {
      await first.close();
    }
    const again = holder(dir, 'auto');
    expect(await again.answer).toMatchObject({ owned: true });
  });
});
