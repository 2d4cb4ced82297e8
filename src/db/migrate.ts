import { Migrator, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely/migration';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { sql, SqliteAdapter, type Kysely } from 'kysely';
import type { Database } from './schema.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
const NAME = /^\d{14}_[a-z]+(_[a-z0-9]+)+\.ts$/;

/** Loads `src/db/migrations/YYYYMMDDHHMMSS_verb_object.ts` files in name order. */
class DirectoryMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).sort();
    const migrations: Record<string, Migration> = {};
    for (const file of files) {
      if (!NAME.test(file)) throw new Error(`Migration file name ${file} is not YYYYMMDDHHMMSS_verb_object.ts`);
      migrations[file.slice(0, -3)] = (await import(new URL(file, `file://${MIGRATIONS_DIR}`).href)) as Migration;
    }
    return migrations;
  }
}

/**
 * Brings the schema to the newest migration, on SQLite and PostgreSQL alike.
 * @returns the names of the migrations applied in this run (empty when already up to date).
 * @throws the first migration's error; the failing migration is rolled back (each runs in a
 *   transaction on PostgreSQL; SQLite DDL is transactional too).
 */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  // On PostgreSQL, Kysely looks for its bookkeeping tables in every schema unless told which one:
  // pin it to the connection's current schema so databases sharing a server stay separate.
  let migrationTableSchema: string | undefined;
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) {
    const r = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
    migrationTableSchema = r.rows[0]?.schema;
  }
  const migrator = new Migrator({ db, provider: new DirectoryMigrationProvider(), migrationTableSchema });
  for (let attempt = 1; ; attempt++) {
    const { error, results }: MigrationResultSet = await migrator.migrateToLatest();
    // Kysely's introspection reads the catalog of every schema; one that another database user
    // drops meanwhile fails the look-up with SQLSTATE 3F000 (invalid_schema_name) although this
    // schema is untouched. Nothing was applied then (the look-up comes first): try again.
    if (error && attempt < 3 && droppedElsewhere(error, migrationTableSchema)) continue;
    if (error) throw error instanceof Error ? error : new Error(String(error));
    return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  }
}

/** True for PostgreSQL's "schema … does not exist" about a schema other than `own`. */
function droppedElsewhere(error: unknown, own: string | undefined): boolean {
  const e = error as { code?: unknown; message?: unknown };
  return own !== undefined && e.code === '3F000' && typeof e.message === 'string' && !e.message.includes(`"${own}"`);
}
