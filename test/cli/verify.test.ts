import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { toHex, type Hex } from 'viem';
import { rpc } from '../../src/sim/log-emitter.ts';
import { withAnvil } from '../helpers/anvil.ts';
import { runCli, urlWithSchema } from '../helpers/cli.ts';
import { TEST_DATABASE_URL } from '../helpers/db.ts';
import { startLyingProxy, type LyingProxy } from '../helpers/lying-proxy.ts';
import { EMITTER, emitPings, PING_TOPIC0 } from '../indexer/support.ts';

/**
 * `liqscope verify` as an operator runs it: a provider that silently drops every log with logIndex 3
 * indexes "successfully"; verify against a second provider (or the block receipts) names exactly the
 * dropped logs and exits 3; --repair makes the store equal the chain as anvil itself reports it.
 */
const chain = withAnvil(42161);

interface Target {
  name: string;
  database: () => string;
  setup(): Promise<void>;
  teardown(): Promise<void>;
}

const work = mkdtempSync(join(tmpdir(), 'liqscope-verify-'));
const targets: Target[] = [{ name: 'embedded PGlite on disk', database: () => join(work, 'db'), setup: async () => {}, teardown: async () => {} }];
if (TEST_DATABASE_URL) {
  const schema = `t_verify_${process.pid}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    await client.query(statement);
    await client.end();
  };
  targets.push({
    name: 'Postgres',
    database: () => urlWithSchema(TEST_DATABASE_URL!, schema),
    setup: () => admin(`drop schema if exists ${schema} cascade; create schema ${schema}`),
    teardown: () => admin(`drop schema if exists ${schema} cascade`),
  });
}

let firstBlock = 0n;
let lastBlock = 0n;
/** Every Ping log as anvil itself serves it (eth_getLogs straight to anvil, not through liqscope). */
let onChain: StoredLog[] = [];
let dropper: LyingProxy;
/** An honest proxy reached with a key in its path, as a paid provider would be. */
let backup: LyingProxy;
const KEY = 'Sup3rSecretKey0123456789';

interface StoredLog {
  block: string;
  logIndex: number;
  blockHash: string;
  txHash: string;
  txIndex: number;
  address: string;
  topics: string[];
  data: string;
}

beforeAll(async () => {
  // 40 blocks of 5 Pings (logIndex 0–4), 4 empty blocks after each: 200 blocks, 200 logs.
  ({ firstBlock, lastBlock } = await emitPings(chain().rpcUrl, { blocksWithLogs: 40, perBlock: 5, gap: 4 }));
  const logs = await rpc<{ blockNumber: Hex; logIndex: Hex; blockHash: Hex; transactionHash: Hex; transactionIndex: Hex; address: Hex; topics: Hex[]; data: Hex }[]>(
    chain().rpcUrl,
    'eth_getLogs',
    [{ fromBlock: toHex(firstBlock), toBlock: toHex(lastBlock), address: EMITTER, topics: [PING_TOPIC0] }],
  );
  onChain = logs.map((l) => ({
    block: BigInt(l.blockNumber).toString(),
    logIndex: Number(BigInt(l.logIndex)),
    blockHash: l.blockHash,
    txHash: l.transactionHash,
    txIndex: Number(BigInt(l.transactionIndex)),
    address: l.address,
    topics: l.topics,
    data: l.data,
  }));
  expect(onChain).toHaveLength(200);
  dropper = await startLyingProxy({ upstream: chain().rpcUrl, lie: { kind: 'drop', logIndex: 3 } });
  backup = await startLyingProxy({ upstream: chain().rpcUrl, lie: { kind: 'drop', logIndex: 99 } }); // drops nothing
  writeFileSync(
    join(work, 'liqscope.config.json'),
    JSON.stringify({
      chains: { local: { chainId: 42161, rpc: [dropper.url], finality: 0, maxBlockRange: 50, concurrency: 2, requestsPerSecond: 1000 } },
      sources: [
        { name: 'pings', protocol: 'raw', chain: 'local', addresses: [EMITTER], startBlock: Number(firstBlock), endBlock: Number(lastBlock), options: { topic0: [PING_TOPIC0] } },
      ],
    }),
  );
}, 120_000);

afterAll(async () => {
  await dropper?.close();
  await backup?.close();
  rmSync(work, { recursive: true, force: true });
});

const backupUrl = () => `${backup.url}/v2/${KEY}`;
const key = (l: { block: string | bigint; logIndex: number }) => `${l.block}:${l.logIndex}`;

for (const target of targets) {
  describe(`liqscope verify on ${target.name}`, () => {
    beforeAll(() => target.setup());
    afterAll(() => target.teardown());
    const cli = (args: string[]) => runCli(['--database', target.database(), ...args], { cwd: work, env: { DATABASE_URL: '', LIQSCOPE_LOG_LEVEL: 'warn' }, timeoutMs: 120_000 });

    async function stored(): Promise<StoredLog[]> {
      const run = await cli([
        'sql',
        '--format',
        'json',
        `select block_number::text as block, log_index as "logIndex", block_hash as "blockHash", tx_hash as "txHash", tx_index as "txIndex", address,
           array_remove(array[topic0, topic1, topic2, topic3], null) as topics, '0x' || encode(data, 'hex') as data
         from raw_logs where source_id = 'pings' order by block_number, log_index`,
      ]);
      expect(run.code, run.stderr).toBe(0);
      return JSON.parse(run.stdout) as StoredLog[];
    }

    it('a provider that drops every logIndex 3 indexes "successfully": 160 of 200 logs stored', async () => {
      const run = await cli(['index']);
      expect(run.code, run.stderr).toBe(0);
      const logs = await stored();
      expect(logs.map(key)).toEqual(onChain.filter((l) => l.logIndex !== 3).map(key));
      // The proxy's own record of what it dropped: every logIndex 3, one per block with logs.
      expect(dropper.dropped.map((d) => key({ block: d.blockNumber, logIndex: d.logIndex })).sort()).toEqual(onChain.filter((l) => l.logIndex === 3).map(key).sort());
    });

    it('verify --against rpc:URL names exactly the dropped logs and exits 3, printing the host but never the key', async () => {
      const run = await cli(['verify', '--source', 'pings', '--against', `rpc:${backupUrl()}`]);
      expect(run.code, run.stderr).toBe(3);
      expect(run.stdout).toContain(`blocks ${firstBlock}–${lastBlock}, against rpc ${new URL(backup.url).host}`);
      expect(run.stdout).toContain('200 logs on the chain, 160 stored: 40 missing, 0 extra, 0 changed');
      for (const dropped of dropper.dropped) expect(run.stdout).toMatch(new RegExp(`│ ${dropped.blockNumber}\\s+│ 3\\s+│ missing │ ${dropped.txHash}`));
      expect(run.stderr).toContain('liqscope: verify: 40 missing, 0 extra, 0 changed in blocks');
      expect(run.stdout + run.stderr).not.toContain(KEY);
    });

    it('--format json lists the same logs, as data', async () => {
      const run = await cli(['verify', '--source', 'pings', '--against', `rpc:${backupUrl()}`, '--format', 'json']);
      expect(run.code, run.stderr).toBe(3);
      const report = JSON.parse(run.stdout) as { missing: number; extra: number; changed: number; discrepancies: { block: string; logIndex: number; kind: string; txHash: string }[] };
      expect([report.missing, report.extra, report.changed]).toEqual([40, 0, 0]);
      // In block order (the proxy lists them in the order parallel requests reached it).
      const expected = [...dropper.dropped]
        .sort((a, b) => (a.blockNumber < b.blockNumber ? -1 : a.blockNumber > b.blockNumber ? 1 : 0))
        .map((d) => ({ block: d.blockNumber.toString(), logIndex: 3, kind: 'missing', txHash: d.txHash }));
      expect(report.discrepancies.map(({ block, logIndex, kind, txHash }) => ({ block, logIndex, kind, txHash }))).toEqual(expected);
    });

    it('verify --against receipts finds the same 40 from the lying provider\'s own block receipts, within --from/--to', async () => {
      const all = await cli(['verify', '--source', 'pings', '--against', 'receipts', '--format', 'json']);
      expect(all.code, all.stderr).toBe(3);
      expect((JSON.parse(all.stdout) as { discrepancies: { block: string; logIndex: number }[] }).discrepancies.map(key).sort()).toEqual(dropper.dropped.map((d) => key({ block: d.blockNumber, logIndex: 3 })).sort());
      // A sub-range: only the dropped logs inside it.
      const to = firstBlock + 49n;
      const part = await cli(['verify', '--source', 'pings', '--against', 'receipts', '--from', String(firstBlock), '--to', String(to), '--format', 'json']);
      expect(part.code, part.stderr).toBe(3);
      const inside = dropper.dropped.filter((d) => d.blockNumber <= to).map((d) => key({ block: d.blockNumber, logIndex: 3 }));
      expect(inside).toHaveLength(10);
      expect((JSON.parse(part.stdout) as { discrepancies: { block: string; logIndex: number }[] }).discrepancies.map(key).sort()).toEqual(inside.sort());
    });

    it('reports a stored log the chain lacks (extra) and one whose data differs (changed)', async () => {
      const [first] = await stored();
      const inventedBlock = BigInt(first!.block) + 1n; // an empty block of the range
      for (const statement of [
        `insert into raw_logs (source_id, chain_id, block_number, block_hash, block_time, tx_hash, tx_index, log_index, address, topic0, topic1, data)
           select source_id, chain_id, ${inventedBlock}, block_hash, block_time, tx_hash, tx_index, 0, address, topic0, topic1, data
           from raw_logs where source_id = 'pings' and block_number = ${first!.block} and log_index = 0`,
        `update raw_logs set data = '\\x00ff'::bytea where source_id = 'pings' and block_number = ${first!.block} and log_index = 1`,
      ]) {
        const write = await cli(['sql', '--write', statement]);
        expect(write.code, write.stderr).toBe(0);
      }
      const run = await cli(['verify', '--source', 'pings', '--against', `rpc:${backupUrl()}`, '--format', 'json']);
      expect(run.code, run.stderr).toBe(3);
      const report = JSON.parse(run.stdout) as { missing: number; extra: number; changed: number; discrepancies: { block: string; logIndex: number; kind: string; fields: string[] }[] };
      expect([report.missing, report.extra, report.changed]).toEqual([40, 1, 1]);
      expect(report.discrepancies.filter((d) => d.kind !== 'missing').map(({ block, logIndex, kind, fields }) => ({ block, logIndex, kind, fields }))).toEqual([
        { block: first!.block, logIndex: 1, kind: 'changed', fields: ['data'] },
        { block: inventedBlock.toString(), logIndex: 0, kind: 'extra', fields: [] },
      ]);
    });

    it('--repair makes the store equal the chain as anvil reports it; verify is then clean (exit 0)', async () => {
      const repair = await cli(['verify', '--source', 'pings', '--against', `rpc:${backupUrl()}`, '--repair']);
      expect(repair.code, repair.stderr).toBe(3); // discrepancies were found (and repaired): a job still alerts
      expect(repair.stdout).toContain('repaired: 41 raw logs stored, 2 deleted');
      expect(repair.stderr).toContain('(repaired)');
      expect(await stored()).toEqual(onChain);
      const again = await cli(['verify', '--source', 'pings', '--against', 'receipts']);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toContain('200 logs on the chain, 200 stored: 0 missing, 0 extra, 0 changed');
      expect(again.stderr).toBe('');
    });

    it('a source or range it cannot verify is a usage error (exit 2)', async () => {
      const cases: [string[], string][] = [
        [['verify', '--source', 'nope', '--against', 'receipts'], 'unknown source "nope" (configured: pings)'],
        [['verify', '--source', 'pings', '--against', 'receipts', '--to', String(lastBlock + 1n)], `past what source "pings" has indexed (up to block ${lastBlock})`],
      ];
      for (const [args, message] of cases) {
        const run = await cli(args);
        expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(2);
        expect(run.stderr).toContain(message);
      }
    });
  });
}

describe('liqscope verify usage', () => {
  it('bad arguments exit 2 with a message naming what is wrong, before touching any database or RPC', async () => {
    const cases: [string[], string][] = [
      [['verify', '--against', 'receipts'], 'say what to check: --source NAME'],
      [['verify', '--source', 'pings'], '--against is required'],
      [['verify', '--source', 'pings', '--against', 'ftp://x'], '--against must be rpc:URL'],
      [['verify', '--source', 'pings', '--against', `rpc:not a url/${KEY}`], 'needs an http(s) URL'],
      [['verify', '--source', 'pings', '--against', 'receipts', '--from', 'abc'], '--from must be a block number, got "abc"'],
      [['verify', '--source', 'pings', '--against', 'receipts', '--format', 'xml'], '--format must be table or json'],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(args, { cwd: work });
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toContain(message);
      expect(run.stderr).not.toContain(KEY);
    }
  });
});
