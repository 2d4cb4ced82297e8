// The node:sqlite adapter (SQLite only by nature: it is the SQLite driver itself).
import { describe, test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { SqliteDatabase, checkParameters } from './sqlite-database.ts';
import { openDb, type DbHandle } from './client.ts';

const INSERT = 'INSERT INTO t (a, b) VALUES (?, ?)';

describe('checkParameters', () => {
  test('passes null, strings, numbers, bigints and Uint8Arrays through unchanged', () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const params = [null, '', 'text', 0, -1.5, 42n, bytes];
    assert.deepEqual(checkParameters(params), params);
    assert.equal(checkParameters(params)[6], bytes);
  });

  const bad: [string, unknown, string][] = [
    ['a Date', new Date('2026-01-01T00:00:00Z'), 'Date'],
    ['a boolean', true, 'boolean'],
    ['false', false, 'boolean'],
    ['a plain object', { a: 1 }, 'object'],
    ['an array', ['a'], 'array'],
    ['undefined', undefined, 'undefined'],
  ];
  for (const [label, value, kind] of bad) {
    test(`throws a TypeError naming the position for ${label}`, () => {
      assert.throws(() => checkParameters(['ok', value]), {
        name: 'TypeError',
        message: `SQLite parameter 2 is a ${kind}; bind a string, number, bigint, Uint8Array or null`,
      });
    });
  }
});

describe('SqliteDatabase', () => {
  let dir: string;
  let database: SqliteDatabase;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'solidaris-sqlite-'));
    database = new SqliteDatabase(join(dir, 'adapter.sqlite'));
    database.exec('CREATE TABLE t (a, b)');
    database.exec('CREATE TABLE parent (id TEXT PRIMARY KEY)');
    database.exec('CREATE TABLE child (id TEXT PRIMARY KEY, parent_id TEXT NOT NULL REFERENCES parent(id))');
  });
  after(() => {
    database.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    database.exec('DELETE FROM t; DELETE FROM child; DELETE FROM parent');
  });

  const count = () => (database.prepare('SELECT count(*) AS n FROM t').all([])[0] as { n: number }).n;

  const rejected: [string, unknown][] = [
    ['a Date', new Date('2026-01-01T00:00:00Z')],
    ['a boolean', true],
    ['an object', { a: 1 }],
    ['an array', [1, 2]],
    ['undefined', undefined],
  ];
  for (const [label, value] of rejected) {
    test(`binding ${label} first throws a TypeError and writes nothing`, () => {
      assert.throws(() => database.prepare(INSERT).run([value, 'x']), TypeError);
      assert.equal(count(), 0);
    });
    test(`binding ${label} second throws a TypeError and writes nothing`, () => {
      assert.throws(() => database.prepare(INSERT).run(['x', value]), TypeError);
      assert.equal(count(), 0);
    });
    test(`binding ${label} to a query (all/iterate) throws a TypeError`, () => {
      const stmt = database.prepare('SELECT * FROM t WHERE a = ?');
      assert.throws(() => stmt.all([value]), TypeError);
      assert.throws(() => [...stmt.iterate([value])], TypeError);
    });
  }

  test('strings, numbers, bigints, null and Uint8Arrays are stored and read back', () => {
    const run = (a: unknown, b: unknown) => database.prepare(INSERT).run([a, b]);
    assert.equal(run('grève ✊ 罢工', 3.25).changes, 1);
    run(42n, null);
    run(new Uint8Array([0, 255, 7]), -7);
    run(2n ** 53n + 1n, 'big');
    const rows = database.prepare('SELECT typeof(a) AS ta, typeof(b) AS tb FROM t ORDER BY rowid').all([]);
    assert.deepEqual(rows, [
      { ta: 'text', tb: 'real' },
      { ta: 'integer', tb: 'null' },
      // node:sqlite binds every JS number as a double; only a column with INTEGER affinity makes it an integer.
      { ta: 'blob', tb: 'real' },
      { ta: 'integer', tb: 'text' },
    ]);
    const [first, second, third] = database.prepare('SELECT a, b FROM t WHERE b IS NULL OR b <> ? ORDER BY rowid').all(['big']) as {
      a: unknown;
      b: unknown;
    }[];
    assert.deepEqual(first, { a: 'grève ✊ 罢工', b: 3.25 });
    assert.deepEqual(second, { a: 42, b: null });
    assert.ok(third!.a instanceof Uint8Array);
    assert.deepEqual([...(third!.a as Uint8Array)], [0, 255, 7]);
    assert.equal(third!.b, -7);
    // A bigint beyond 2^53 is stored exactly.
    assert.deepEqual(database.prepare("SELECT CAST(a AS TEXT) AS s FROM t WHERE b = 'big'").all([]), [{ s: '9007199254740993' }]);
  });

  test('rows are plain objects (Object.prototype), so deepStrictEqual works', () => {
    database.prepare(INSERT).run(['x', 1]);
    const [row] = database.prepare('SELECT a, b FROM t').all([]);
    assert.equal(Object.getPrototypeOf(row), Object.prototype);
    assert.deepEqual(row, { a: 'x', b: 1 });
    const [iterated] = [...database.prepare('SELECT a, b FROM t').iterate([])];
    assert.equal(Object.getPrototypeOf(iterated), Object.prototype);
    assert.deepEqual(iterated, { a: 'x', b: 1 });
  });

  test('a statement reads rows when it has result columns, else it is a writer', () => {
    assert.equal(database.prepare('SELECT 1 AS one').reader, true);
    assert.equal(database.prepare('INSERT INTO t (a) VALUES (?) RETURNING a').reader, true);
    assert.equal(database.prepare(INSERT).reader, false);
    assert.equal(database.prepare('DELETE FROM t').reader, false);
  });

  test('prepared statements are reused for the same SQL', () => {
    assert.equal(database.prepare('SELECT 2 AS two'), database.prepare('SELECT 2 AS two'));
  });

  test('journal mode is WAL, foreign keys are on, synchronous is NORMAL, busy timeout 5 s', () => {
    assert.deepEqual(database.prepare('PRAGMA journal_mode').all([]), [{ journal_mode: 'wal' }]);
    assert.deepEqual(database.prepare('PRAGMA foreign_keys').all([]), [{ foreign_keys: 1 }]);
    // 1 = NORMAL
    assert.deepEqual(database.prepare('PRAGMA synchronous').all([]), [{ synchronous: 1 }]);
    assert.deepEqual(database.prepare('PRAGMA busy_timeout').all([]), [{ timeout: 5000 }]);
  });

  test('foreign keys are enforced', () => {
    assert.throws(() => database.prepare('INSERT INTO child (id, parent_id) VALUES (?, ?)').run(['c1', 'missing']), /FOREIGN KEY constraint failed/);
    database.prepare('INSERT INTO parent (id) VALUES (?)').run(['p1']);
    assert.equal(database.prepare('INSERT INTO child (id, parent_id) VALUES (?, ?)').run(['c1', 'p1']).changes, 1);
  });

  test('close() is idempotent', () => {
    const other = new SqliteDatabase(join(dir, 'closing.sqlite'));
    other.close();
    assert.doesNotThrow(() => other.close());
  });
});

describe('Kysely on node:sqlite (openDb)', () => {
  let dir: string;
  let handle: DbHandle;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'solidaris-kysely-'));
    handle = await openDb({ engine: 'sqlite', path: join(dir, 'nested', 'k.sqlite') });
    await sql`CREATE TABLE t (a, b)`.execute(handle.db);
  });
  after(async () => {
    await handle.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await sql`DELETE FROM t`.execute(handle.db);
  });

  const count = async () => (await sql<{ n: number }>`SELECT count(*) AS n FROM t`.execute(handle.db)).rows[0]!.n;

  test('creates missing directories and opens in WAL mode with foreign keys on', async () => {
    assert.equal(handle.engine, 'sqlite');
    assert.deepEqual((await sql`PRAGMA journal_mode`.execute(handle.db)).rows, [{ journal_mode: 'wal' }]);
    assert.deepEqual((await sql`PRAGMA foreign_keys`.execute(handle.db)).rows, [{ foreign_keys: 1 }]);
  });

  for (const [label, value] of [
    ['a Date', new Date('2026-01-01T00:00:00Z')],
    ['a boolean', false],
    ['an object', { at: '2026-01-01' }],
    ['an array', ['x']],
  ] as [string, unknown][]) {
    test(`a query binding ${label} rejects with a TypeError and writes nothing`, async () => {
      await assert.rejects(sql`INSERT INTO t (a, b) VALUES (${value}, ${'x'})`.execute(handle.db), TypeError);
      await assert.rejects(sql`INSERT INTO t (a, b) VALUES (${'x'}, ${value})`.execute(handle.db), TypeError);
      assert.equal(await count(), 0);
    });
  }

  test('a failing statement inside a transaction rolls the whole transaction back', async () => {
    await assert.rejects(
      handle.db.transaction().execute(async (tx) => {
        await sql`INSERT INTO t (a, b) VALUES (${'kept?'}, ${1})`.execute(tx);
        await sql`INSERT INTO t (a, b) VALUES (${'x'}, ${new Date()})`.execute(tx);
      }),
      TypeError,
    );
    assert.equal(await count(), 0);
  });

  test('rows from Kysely are plain objects with the bound values', async () => {
    await sql`INSERT INTO t (a, b) VALUES (${'2026-03-01'}, ${7})`.execute(handle.db);
    const { rows } = await sql<{ a: string; b: number }>`SELECT a, b FROM t`.execute(handle.db);
    assert.deepEqual(rows, [{ a: '2026-03-01', b: 7 }]);
    assert.equal(Object.getPrototypeOf(rows[0]), Object.prototype);
  });

  test('streaming a query yields plain rows', async () => {
    for (let i = 0; i < 3; i++) await sql`INSERT INTO t (a, b) VALUES (${`r${i}`}, ${i})`.execute(handle.db);
    const seen: unknown[] = [];
    const db = handle.db as unknown as Kysely<{ t: { a: string; b: number } }>;
    for await (const row of db.selectFrom('t').select('a').orderBy('b').stream()) seen.push(row);
    assert.deepEqual(seen, [{ a: 'r0' }, { a: 'r1' }, { a: 'r2' }]);
  });
});
