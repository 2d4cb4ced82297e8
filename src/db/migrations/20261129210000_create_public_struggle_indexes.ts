import { sql, type Kysely } from 'kysely';

// Migrations never import application code.

/**
 * Partial indexes over the public struggles. Anonymous readers (and the public parts of everyone
 * else's lists) filter on `visibility = 'public'`; with these indexes the list's `count(*)` is
 * answered from the index alone instead of reading every matching row (docs/PERFORMANCE.md).
 * Both engines support partial indexes; the condition is written as a literal, and the visibility
 * filter in `src/db/visibility.ts` keeps `'public'` a literal so the planner can match it.
 */
const INDEXES: [string, string[]][] = [
  ['struggles_public_country_sector_start_idx', ['country', 'sector', 'start_date', 'id']],
  ['struggles_public_sector_start_idx', ['sector', 'start_date', 'id']],
  ['struggles_public_start_idx', ['start_date', 'id']],
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const [name, columns] of INDEXES) {
    await db.schema.createIndex(name).on('struggles').columns(columns).where(sql.ref('visibility'), '=', 'public').execute();
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const [name] of INDEXES) await db.schema.dropIndex(name).execute();
}
