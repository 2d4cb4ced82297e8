import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { openDb, type DbHandle } from '../../src/db/client.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';

/** The engines every storage test runs on: SQLite, and PostgreSQL (a server at `TEST_DATABASE_URL`, else in-process PGlite). */
export const ENGINES = ['sqlite', 'postgres'] as const;
export type TestEngine = (typeof ENGINES)[number];

export interface TestDb extends DbHandle {
  /** Empties every application table (keeps the schema). */
  reset(): Promise<void>;
  /** Closes and removes the database (temp file or schema). */
  drop(): Promise<void>;
}


/**
 * A fresh, migrated database for one test file.
 * - `sqlite`: a temp file (WAL, foreign keys), removed by `drop()`.
 * - `postgres`: with `TEST_DATABASE_URL`, a schema of its own (`t_<random>`) so test files can run
 *   in parallel against one server; without it, an in-process PGlite.
 */
export async function createTestDb(engine: TestEngine): Promise<TestDb> {
  let handle: DbHandle;
  let cleanup: () => Promise<void>;
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'solidaris-test-'));
    handle = await openDb({ engine: 'sqlite', path: join(dir, 'test.sqlite') });
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  } else if (process.env.TEST_DATABASE_URL) {
    const url = process.env.TEST_DATABASE_URL;
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.end();
    handle = await openDb({ engine: 'postgres', url, schema, poolSize: 4 });
    cleanup = async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    };
  } else {
    handle = await openDb({ engine: 'pglite' });
    cleanup = async () => {};
  }
  await migrateToLatest(handle.db);
  return {
    ...handle,
    async reset() {
      // Every table the migrations made, so a new module's tables are covered without a list here.
      // On PostgreSQL only this database's schema is read: other test files create and drop
      // their own schemas on the same server meanwhile, and a catalog-wide look-up can trip over
      // one that disappears mid-query.
      const rows =
        handle.engine === 'postgres'
          ? (
              await sql<{ name: string }>`select table_name as name from information_schema.tables
                where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(handle.db)
            ).rows
          : (await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(handle.db)).rows;
      const tables = rows.map((r) => r.name).filter((n) => !n.startsWith('kysely_'));
      if (handle.engine === 'sqlite') {
        // Append-only tables refuse DELETE through triggers: lift them for the reset, then restore them.
        const triggers = (await sql<{ name: string; sql: string }>`select name, sql from sqlite_master where type = 'trigger'`.execute(handle.db)).rows;
        for (const tr of triggers) await sql`DROP TRIGGER ${sql.id(tr.name)}`.execute(handle.db);
        await sql`PRAGMA foreign_keys = OFF`.execute(handle.db);
        for (const t of tables) await sql`DELETE FROM ${sql.table(t)}`.execute(handle.db);
        await sql`PRAGMA foreign_keys = ON`.execute(handle.db);
        for (const tr of triggers) await sql.raw(tr.sql).execute(handle.db);
      } else {
        await sql`TRUNCATE ${sql.join(tables.map((t) => sql.table(t)))} CASCADE`.execute(handle.db);
      }
    },
    async drop() {
      await handle.close();
      await cleanup();
    },
  };
}
