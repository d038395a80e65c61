import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { indexConfig, SourceLockedError } from '../../src/indexer/index-config.ts';
import { openDatabase } from '../../src/db/connect.ts';
import { withAnvil } from '../helpers/anvil.ts';
import { CLI, REPO_ROOT, urlWithSchema } from '../helpers/cli.ts';
import { openPostgresTestDb, TEST_DATABASE_URL } from '../helpers/db.ts';
import { decoders, EMITTER, emitPings, pingConfig, PING_TOPIC0, storedPings } from './support.ts';

const chain = withAnvil(42161);

// Advisory locks exist only on a Postgres server; PGlite is single-process by construction.
describe.skipIf(!TEST_DATABASE_URL)('two index runs on one Postgres (needs LIQSCOPE_TEST_DATABASE_URL)', () => {
  it('the second run in-process gets SourceLockedError while the first holds the lock; data stays exact', async () => {
    const { emitted, firstBlock } = await emitPings(chain().rpcUrl, { blocksWithLogs: 50, perBlock: 10, gap: 1 });
    const first = await openPostgresTestDb();
    // A second pool on the same schema: another "process" as far as Postgres is concerned.
    const second = await openDatabase({ url: TEST_DATABASE_URL!, schema: first.schema, poolSize: 2 });
    const controller = new AbortController();
    try {
      const config = pingConfig([chain().rpcUrl], { chainId: 42161, startBlock: Number(firstBlock) });
      const run = indexConfig(first.db, config, { decoders, follow: true, signal: controller.signal, dbKind: 'postgres' });
      run.catch(() => {});
      for (let i = 0; i < 200 && (await storedPings(first.db)).raw.length < emitted.length; i++) await new Promise((r) => setTimeout(r, 100));
      await expect(indexConfig(second.db, config, { decoders, dbKind: 'postgres' })).rejects.toBeInstanceOf(SourceLockedError);
      controller.abort();
      await run;
      // With the first run gone, the lock is free again.
      const again = await indexConfig(second.db, config, { decoders, dbKind: 'postgres' });
      expect(again.sources[0]!.events).toBe(0);
      const stored = await storedPings(first.db);
      expect(stored.raw).toEqual(emitted);
      expect(stored.decoded).toEqual(emitted);
    } finally {
      controller.abort();
      await second.close();
      await first.close();
    }
  });

  it('`liqscope index` exits 75 while another run holds the lock', async () => {
    const { firstBlock } = await emitPings(chain().rpcUrl, { blocksWithLogs: 5, perBlock: 2, gap: 0 });
    const db = await openPostgresTestDb();
    const dir = mkdtempSync(join(tmpdir(), 'liqscope-lock-'));
    const controller = new AbortController();
    try {
      const source = { name: 'locked', protocol: 'raw', chain: 'local', addresses: [EMITTER], startBlock: Number(firstBlock), options: { topic0: [PING_TOPIC0] } };
      const chains = { local: { chainId: 42161, rpc: [chain().rpcUrl], finality: 0, pollInterval: 0.2 } };
      const config = pingConfig([chain().rpcUrl], { chainId: 42161, startBlock: Number(firstBlock) });
      const holder = indexConfig(db.db, { ...config, sources: [{ ...config.sources[0]!, ...source, endBlock: undefined }] }, { follow: true, signal: controller.signal, dbKind: 'postgres' });
      holder.catch(() => {});
      await new Promise((r) => setTimeout(r, 1000));
      const configPath = join(dir, 'liqscope.config.json');
      writeFileSync(configPath, JSON.stringify({ database: { url: urlWithSchema(TEST_DATABASE_URL!, db.schema) }, chains, sources: [source] }));
      const code = await new Promise<number | null>((resolve, reject) => {
        const env = { ...process.env };
        delete env.VITEST;
        const child = spawn(process.execPath, [CLI, 'index', '--config', configPath], { cwd: REPO_ROOT, env, stdio: 'ignore' });
        child.once('error', reject);
        child.once('exit', (c) => resolve(c));
      });
      expect(code).toBe(75);
      controller.abort();
      await holder;
    } finally {
      controller.abort();
      rmSync(dir, { recursive: true, force: true });
      await db.close();
    }
  });
});
