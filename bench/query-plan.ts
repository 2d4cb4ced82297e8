import { CompiledQuery, type Kysely } from 'kysely';
import type { Engine } from '../src/db/client.ts';
import type { Database } from '../src/db/schema.ts';

/**
 * The query plan of `q` as lines: `EXPLAIN QUERY PLAN` on SQLite (indented by depth), `EXPLAIN
 * (ANALYZE, BUFFERS)` on PostgreSQL (which runs the query). For benchmarks that print why a
 * measure missed its target.
 */
export async function explain(db: Kysely<Database>, engine: Engine, q: CompiledQuery): Promise<string[]> {
  if (engine === 'sqlite') {
    const r = await db.executeQuery<{ id: number; parent: number; detail: string }>(CompiledQuery.raw(`EXPLAIN QUERY PLAN ${q.sql}`, [...q.parameters]));
    const depth = new Map<number, number>([[0, 0]]);
    return r.rows.map((row) => {
      const d = (depth.get(row.parent) ?? 0) + 1;
      depth.set(row.id, d);
      return `${'  '.repeat(d - 1)}${row.detail}`;
    });
  }
  const r = await db.executeQuery<Record<string, string>>(CompiledQuery.raw(`EXPLAIN (ANALYZE, BUFFERS) ${q.sql}`, [...q.parameters]));
  return r.rows.map((row) => Object.values(row)[0]!);
}
