import { DatabaseSync, type StatementSync, type SQLInputValue } from 'node:sqlite';

/**
 * A `better-sqlite3`-shaped wrapper around Node's built-in `node:sqlite`, so Kysely's own
 * `SqliteDialect` (driver, compiler, introspector, connection mutex) can drive it.
 *
 * Guard: `node:sqlite` silently binds NULL for some non-primitive values (a `Date` passed as the
 * first parameter, for example). That would lose data without an error, so every parameter is
 * checked and anything that is not `null`, a string, a number, a bigint or a `Uint8Array` throws
 * a `TypeError` before the statement runs.
 */
export class SqliteDatabase {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, SqliteStatement>();

  /**
   * Opens (creating if needed) the SQLite file at `path` (`:memory:` for a throw-away database),
   * with WAL journaling, `synchronous = NORMAL`, foreign keys on, a 5 s busy timeout and a 64 MiB
   * page cache.
   */
  constructor(path: string) {
    this.#db = new DatabaseSync(path);
    this.#db.exec('PRAGMA journal_mode = WAL');
    this.#db.exec('PRAGMA synchronous = NORMAL');
    this.#db.exec('PRAGMA foreign_keys = ON');
    this.#db.exec('PRAGMA busy_timeout = 5000');
    // 64 MiB page cache (the default is 2 MB): list counts over large tables stay in memory.
    this.#db.exec('PRAGMA cache_size = -65536');
  }

  /** Prepares (or reuses from a bounded cache) a statement for `sql`. */
  prepare(sql: string): SqliteStatement {
    let stmt = this.#statements.get(sql);
    if (!stmt) {
      if (this.#statements.size >= 500) this.#statements.clear();
      stmt = new SqliteStatement(this.#db.prepare(sql));
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  /** Runs one or more statements without parameters (pragmas, DDL). */
  exec(sql: string): void {
    this.#db.exec(sql);
  }

  close(): void {
    this.#statements.clear();
    if (this.#db.isOpen) this.#db.close();
  }
}

class SqliteStatement {
  readonly #stmt: StatementSync;
  readonly reader: boolean;

  constructor(stmt: StatementSync) {
    this.#stmt = stmt;
    this.reader = stmt.columns().length > 0;
  }

  all(parameters: readonly unknown[]): unknown[] {
    // Rows come back with a null prototype; spread them into plain objects.
    return this.#stmt.all(...checkParameters(parameters)).map((row) => ({ ...row }));
  }

  run(parameters: readonly unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint } {
    return this.#stmt.run(...checkParameters(parameters));
  }

  *iterate(parameters: readonly unknown[]): IterableIterator<unknown> {
    for (const row of this.#stmt.iterate(...checkParameters(parameters))) yield { ...row };
  }
}

/**
 * Returns the parameters typed for `node:sqlite`.
 * @throws {TypeError} for a `Date`, a boolean, `undefined`, a plain object or an array.
 */
export function checkParameters(parameters: readonly unknown[]): SQLInputValue[] {
  parameters.forEach((value, index) => {
    const ok =
      value === null ||
      typeof value === 'string' ||
      typeof value === 'number' ||
      typeof value === 'bigint' ||
      value instanceof Uint8Array;
    if (!ok) {
      const kind = value instanceof Date ? 'Date' : Array.isArray(value) ? 'array' : typeof value;
      throw new TypeError(`SQLite parameter ${index + 1} is a ${kind}; bind a string, number, bigint, Uint8Array or null`);
    }
  });
  return parameters as SQLInputValue[];
}
