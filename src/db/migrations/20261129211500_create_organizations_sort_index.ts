import type { Kysely } from 'kysely';

// Migrations never import application code.

/** The organizations list sorts by the lower-cased `search_text` (name, city) and id. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('organizations_sort_idx').on('organizations').columns(['search_text', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('organizations_sort_idx').execute();
}
