import { sql, type Kysely } from 'kysely';

/**
 * Provenance (issue 12): one liquidation seen by a chain source and by a subgraph source is stored once,
 * and the store says which sources saw it and what each said.
 *
 * - `liquidations.match_key`: a second natural key, `(venue, chain_id, match_key)`, for records whose
 *   identity does not depend on where they were read. A GMX v2 subgraph's TradeAction is keyed by its
 *   OrderExecuted log, the chain row by its PositionDecrease log: both carry the order key
 *   (`order:<key>`); a GMX v1 LiquidatedPosition has no transaction at all: both carry the position key
 *   and the second (`position:<key>:<unix seconds>`). Writes stay `ON CONFLICT DO NOTHING` with no
 *   target, so a conflict on either key keeps the row already stored. The index is partial: rows without
 *   a match key (every other venue) cost it nothing.
 * - `fact_provenance`: written only when a source's row meets a row another source stored first: which
 *   source, and its own version of the row (`row`, the columns as that source decoded them), so that
 *   `liqscope verify --venue` can compare the two. `block_number` is the source's own, so that a rewind
 *   or a redecode of that source deletes its provenance with its rows.
 * - `fact_sources`: which sources saw each fact row (the one that stored it, then the others).
 */
const FACTS = ['liquidations', 'adl_events', 'oracle_prices', 'trades', 'venue_events'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  const run = (text: string) => sql.raw(text).execute(db);
  await run(`alter table liquidations add column match_key text`);
  await run(`create unique index liquidations_match_key on liquidations (venue, chain_id, match_key) nulls not distinct where match_key is not null`);
  await run(`create table fact_provenance (
    table_name text not null check (table_name in (${FACTS.map((t) => `'${t}'`).join(', ')})),
    venue text not null,
    chain_id integer,
    uid text not null,
    source_id text not null,
    block_number bigint,
    row jsonb not null,
    seen_at timestamptz not null default now(),
    unique nulls not distinct (table_name, venue, chain_id, uid, source_id)
  )`);
  await run(`create index fact_provenance_source on fact_provenance (source_id, block_number)`);
  const stored = FACTS.map(
    (t) => `select '${t}'::text as table_name, f.venue, f.chain_id, f.uid, f.source_id, s.kind as source_kind, true as stored
      from ${t} f left join sources s on s.id = f.source_id`,
  );
  await run(`create view fact_sources as
    ${stored.join('\n    union all\n    ')}
    union all
    select p.table_name, p.venue, p.chain_id, p.uid, p.source_id, s.kind, false from fact_provenance p left join sources s on s.id = p.source_id`);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const run = (text: string) => sql.raw(text).execute(db);
  await run(`drop view if exists fact_sources`);
  await run(`drop table if exists fact_provenance`);
  await run(`drop index if exists liquidations_match_key`);
  await run(`alter table liquidations drop column if exists match_key`);
}
