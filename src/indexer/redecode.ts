import { sql, type Kysely } from 'kysely';
import type { Hex, Address } from 'viem';
import type { LiqscopeConfig } from '../config/schema.ts';
import { FACT_TABLES, type Database } from '../db/schema.ts';
import { registryDecoder, type DecoderLookup } from './decoder-registry.ts';
import type { RawLog } from './decoder.ts';
import { sourceInfo, upsertSource } from './source-info.ts';
import { decodeAndWrite } from './write-batch.ts';

export interface RedecodeSummary {
  sourceId: string;
  logs: number;
  rows: number;
}

/** Raw logs read per decoder call. */
const CHUNK = 5_000;

/**
 * Re-derives a source's rows from `raw_logs` with no RPC: in one transaction per source, deletes its
 * fact rows, decode errors and pending joins, then runs the decoder over raw_logs in
 * (block_number, log_index) order, chunk by chunk (keyset pagination keeps memory flat).
 */
export async function redecode(
  db: Kysely<Database>,
  config: LiqscopeConfig,
  opts: { sources?: string[]; decoders?: DecoderLookup; onChunk?: (sourceId: string, logs: number) => void } = {},
): Promise<RedecodeSummary[]> {
  for (const name of opts.sources ?? []) {
    if (!config.sources.some((s) => s.name === name)) throw new Error(`unknown source "${name}"`);
  }
  const selected = opts.sources ? config.sources.filter((s) => opts.sources!.includes(s.name)) : config.sources;
  const lookup = opts.decoders ?? registryDecoder;
  const summaries: RedecodeSummary[] = [];
  for (const source of selected) {
    const info = sourceInfo(source, config);
    const decoder = await lookup(source.protocol);
    await upsertSource(db, source, info);
    const summary = await db.transaction().execute(async (trx) => {
      for (const table of FACT_TABLES) await trx.deleteFrom(table).where('source_id', '=', info.id).execute();
      await trx.deleteFrom('decode_errors').where('source_id', '=', info.id).execute();
      await trx.deleteFrom('pending_joins').where('source_id', '=', info.id).execute();
      let after: { block: string; index: number } | null = null;
      let logs = 0;
      let rows = 0;
      for (;;) {
        // Data as hex text, decoded here natively: PGlite's bytea parser builds a JS array of every byte.
        let query = trx
          .selectFrom('raw_logs')
          .select(['chain_id', 'block_number', 'block_hash', 'block_time', 'tx_hash', 'tx_index', 'log_index', 'address', 'topic0', 'topic1', 'topic2', 'topic3'])
          .select(sql<string>`encode(data, 'hex')`.as('data_hex'))
          .where('source_id', '=', info.id);
        if (after) {
          const a = after;
          query = query.where((eb) =>
            eb.or([eb('block_number', '>', a.block), eb.and([eb('block_number', '=', a.block), eb('log_index', '>', a.index)])]),
          );
        }
        const page = await query.orderBy('block_number').orderBy('log_index').limit(CHUNK).execute();
        if (page.length === 0) break;
        const raw: RawLog[] = page.map((r) => ({
          chainId: r.chain_id,
          blockNumber: BigInt(r.block_number),
          blockHash: r.block_hash as Hex,
          blockTime: r.block_time,
          txHash: r.tx_hash as Hex,
          txIndex: r.tx_index,
          logIndex: r.log_index,
          address: r.address as Address,
          topics: [r.topic0, r.topic1, r.topic2, r.topic3].filter((t): t is string => t !== null) as Hex[],
          data: `0x${r.data_hex}` as Hex,
          dataBytes: Buffer.from(r.data_hex, 'hex'),
        }));
        rows += await decodeAndWrite(trx, decoder, info, raw);
        logs += raw.length;
        opts.onChunk?.(info.id, logs);
        const last = page[page.length - 1]!;
        after = { block: last.block_number, index: last.log_index };
      }
      return { sourceId: info.id, logs, rows };
    });
    summaries.push(summary);
  }
  return summaries;
}
