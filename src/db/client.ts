import { Kysely, PostgresDialect, SqliteDialect, PGliteDialect, type Transaction } from 'kysely';
import pg from 'pg';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SqliteDatabase } from './sqlite-database.ts';
import type { Database } from './schema.ts';

/** Any executor a repository or service may be handed: the database or an open transaction. */
export type Db = Kysely<Database> | Transaction<Database>;
export type Tx = Transaction<Database>;
export type Engine = 'sqlite' | 'postgres';

/** Where the data lives. */
export type DbTarget =
  | { engine: 'sqlite'; path: string }
  | { engine: 'postgres'; url: string; schema?: string; poolSize?: number }
  | { engine: 'pglite' };

export interface DbHandle {
  db: Kysely<Database>;
  /** The SQL dialect in use; PGlite reports `postgres`. */
  engine: Engine;
  close(): Promise<void>;
}

// PostgreSQL type OIDs whose default parsing would change a value's meaning.
const INT8 = 20;
const TIMESTAMPTZ = 1184;
const TIMESTAMP = 1114;
const DATE = 1082;

/** Instants leave PostgreSQL as ISO 8601 UTC strings, the same shape SQLite stores. */
function parseInstant(value: string): string {
  return new Date(value.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00')).toISOString();
}

/** Counts (`bigint`) become numbers; they stay far below 2^53 here. */
/** PostgreSQL `bigint` as a JS number; throws beyond 2^53 rather than silently losing digits (money is in minor units). */
function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`bigint ${value} is beyond the safe integer range`);
  return n;
}

/**
 * Opens a database.
 * - `sqlite`: a file (directories created), WAL mode, foreign keys on, via `node:sqlite`.
 * - `postgres`: a `pg` pool on `url`; with `schema`, every connection uses that schema first in
 *   its search path (tests use one schema per test file).
 * - `pglite`: an in-process PostgreSQL (tests only; not crash-durable).
 * Date-only columns come back as `YYYY-MM-DD` strings and instants as ISO 8601 UTC strings on
 * every engine.
 */
export async function openDb(target: DbTarget): Promise<DbHandle> {
  if (target.engine === 'sqlite') {
    if (target.path !== ':memory:') mkdirSync(dirname(target.path), { recursive: true });
    const database = new SqliteDatabase(target.path);
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
    return { db, engine: 'sqlite', close: () => db.destroy() };
  }
  if (target.engine === 'postgres') {
    const types = {
      getTypeParser(oid: number, format?: string) {
        if (oid === INT8) return parseInt8;
        if (oid === TIMESTAMPTZ || oid === TIMESTAMP) return parseInstant;
        if (oid === DATE) return (v: string) => v;
        return pg.types.getTypeParser(oid, format as 'text');
      },
    };
    const pool = new pg.Pool({
      connectionString: target.url,
      max: target.poolSize ?? 10,
      types: types as pg.CustomTypesConfig,
      ...(target.schema ? { options: `-c search_path=${target.schema}` } : {}),
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, engine: 'postgres', close: () => db.destroy() };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const pglite = new PGlite({
    parsers: {
      [INT8]: parseInt8,
      [TIMESTAMPTZ]: parseInstant,
      [TIMESTAMP]: parseInstant,
      [DATE]: (v: string) => v,
    },
  });
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
  return { db, engine: 'postgres', close: () => db.destroy() };
}

/**
 * Runs `fn` in a transaction: the caller's when `db` already is one (so a unit of work spanning
 * several services commits or rolls back as a whole), else a new one.
 */
export async function inTransaction<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  if (db.isTransaction) return fn(db as Tx);
  return db.transaction().execute(fn);
}

/**
 * True when `err` is a unique-constraint violation (PostgreSQL SQLSTATE 23505; SQLite
 * SQLITE_CONSTRAINT_UNIQUE), optionally on a constraint/column whose name contains `name`.
 */
export function isUniqueViolation(err: unknown, name?: string): boolean {
  const e = err as { code?: string; constraint?: string; message?: string; errcode?: number } | null;
  if (!e) return false;
  if (e.code === '23505') return name === undefined || (e.constraint ?? '').includes(name);
  if (e.errcode === 2067 || /UNIQUE constraint failed/.test(e.message ?? '')) return name === undefined || (e.message ?? '').includes(name);
  return false;
}
