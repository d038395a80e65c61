import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { arraysOf } from '../../src/db/row-arrays.ts';
import { unnestInsert } from '../../src/db/unnest-insert.ts';
import type { ColumnSpec } from '../../src/db/row-columns.ts';
import { forEachDatabase } from '../helpers/db.ts';

/**
 * The array literals of an unnest() insert read back as the values they were made from, whatever the
 * repetition: runs of one value, long strings that alternate (remembered by value), more distinct long
 * strings than are remembered, NULLs between repeats, and text that needs escaping.
 */
const COLUMNS: readonly ColumnSpec[] = [
  { name: 'label', type: 'text' },
  { name: 'doc', type: 'jsonb' },
  { name: 'amount', type: 'numeric' },
  { name: 'ratio', type: 'float8' },
];

const long = (i: number) => JSON.stringify({ venue: `v"${i % 3}`, path: 'C:\\feeds\\' + i, note: 'x'.repeat(80), i });

function rows(): { label: string | null; doc: string | null | undefined; amount: string | null; ratio: number | null }[] {
  const out = [];
  for (let i = 0; i < 300; i++) {
    out.push({
      // runs of five, then NULL every seventh row
      label: i % 7 === 6 ? null : `run "${Math.floor(i / 5)}" \\ end`,
      // three long strings alternating for 100 rows, then 100 distinct ones, then undefined and a repeat
      doc: i < 100 ? long(i % 3) : i < 200 ? long(i) : i % 2 === 0 ? undefined : long(1),
      amount: i % 4 === 0 ? '123456789012345678901234567890.000000000000000001' : `${i}`,
      ratio: i % 11 === 0 ? null : i / 7,
    });
  }
  return out;
}

forEachDatabase((dbName, open) => {
  describe(`unnest array literals on ${dbName}`, () => {
    it('read back exactly as the rows held them, repeated or not', async () => {
      const handle = await open({ migrate: false });
      try {
        const input = rows();
        const [labels, docs, amounts, ratios] = arraysOf('test', COLUMNS, input);
        const { rows: back } = await sql<{ label: string | null; doc: unknown; amount: string | null; ratio: number | null }>`
          select u.label, u.doc, u.amount::text as amount, u.ratio
            from unnest(${labels}::text[], ${docs}::jsonb[], ${amounts}::numeric[], ${ratios}::float8[]) with ordinality as u(label, doc, amount, ratio, n)
           order by n`.execute(handle.db);
        expect(back).toHaveLength(input.length);
        expect(back.map((r) => r.label)).toEqual(input.map((r) => r.label));
        expect(back.map((r) => (typeof r.doc === 'string' ? JSON.parse(r.doc) : r.doc))).toEqual(input.map((r) => (r.doc == null ? null : JSON.parse(r.doc))));
        expect(back.map((r) => r.amount)).toEqual(input.map((r) => r.amount));
        expect(back.map((r) => (r.ratio === null ? null : Number(r.ratio)))).toEqual(input.map((r) => r.ratio));
      } finally {
        await handle.close();
      }
    });

    it('repeated columns (each distinct value sent once) insert the same rows as plain ones', async () => {
      const handle = await open({ migrate: false });
      try {
        await sql`create temp table repeated_rows (n int4 not null, label text, doc jsonb, tags text[] not null default '{}')`.execute(handle.db);
        const plain: readonly ColumnSpec[] = [
          { name: 'n', type: 'int4' }, { name: 'label', type: 'text' }, { name: 'doc', type: 'jsonb' }, { name: 'tags', type: 'text[]', default: "'{}'" },
        ];
        const repeated = plain.map((c) => (c.name === 'n' ? c : { ...c, repeated: true as const }));
        // Three labels (one needing escapes) and NULLs, two documents and undefined, tag lists with a quote and an empty one.
        const input = Array.from({ length: 50 }, (_, i) => ({
          n: i,
          label: i % 5 === 4 ? null : ['a', 'b "quoted" \\ b', 'c'][i % 3]!,
          doc: i % 7 === 0 ? undefined : long(i % 2),
          tags: i % 4 === 0 ? [] : ['x', i % 2 === 0 ? 'y"z' : 'w'],
        }));
        const half = input.length / 2;
        await unnestInsert('repeated_rows', plain, arraysOf('test', plain, input.slice(0, half))).execute(handle.db);
        await unnestInsert('repeated_rows', repeated, arraysOf('test', repeated, input.slice(half))).execute(handle.db);
        const { rows: back } = await sql<{ n: number; label: string | null; doc: unknown; tags: string[] }>`
          select n, label, doc, tags from repeated_rows order by n`.execute(handle.db);
        expect(back.map((r) => ({ ...r, doc: typeof r.doc === 'string' ? JSON.parse(r.doc) : r.doc }))).toEqual(
          input.map((r) => ({ n: r.n, label: r.label, doc: r.doc === undefined ? null : JSON.parse(r.doc), tags: r.tags })),
        );
        // The repeated part sent each distinct value once.
        const [, labels, docs] = arraysOf('test', repeated, input.slice(half));
        expect(labels).toMatchObject({ dictionary: expect.any(String) });
        expect(typeof docs === 'object' && docs.dictionary.split('\\"venue\\"').length - 1).toBe(2);
      } finally {
        await handle.close();
      }
    });

    it('a value of the wrong type is refused even when it repeats a valid one', () => {
      const input = [{ label: 'a', doc: null, amount: '1', ratio: 1 }, { label: 'a', doc: null, amount: '1', ratio: Number.NaN }];
      expect(() => arraysOf('test', COLUMNS, input)).toThrow(/test\.ratio: cannot write number NaN to a float8 column/);
    });
  });
});
