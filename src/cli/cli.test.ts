import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { openDb } from '../db/client.ts';
import { CLI_TIMEOUT_MS, showRun, solidaris } from '../../test/helpers/cli.ts';

/**
 * End-to-end tests of `solidaris` (bin/solidaris.js) as real processes (test/helpers/cli.ts).
 * Every process is bounded by a timeout.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TIMEOUT_MS = CLI_TIMEOUT_MS;
const MIGRATIONS = readdirSync(fileURLToPath(new URL('../db/migrations/', import.meta.url)))
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .sort()
  .map((f) => f.slice(0, -3));

const show = showRun;

describe('solidaris CLI', { timeout: 10 * TIMEOUT_MS }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'solidaris-cli-'));
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  /** Environment for a fresh SQLite file in the temp directory. */
  const sqlite = (name: string) => ({ SQLITE_PATH: join(dir, `${name}.sqlite`), DATABASE_URL: '' });

  test('--help exits 0 and lists serve, migrate, create-admin, reset-link, import, demo', async () => {
    const r = await solidaris(['--help'], sqlite('help'));
    assert.equal(r.code, 0, show(r));
    for (const command of ['serve', 'migrate', 'create-admin', 'reset-link', 'import', 'demo']) {
      assert.match(r.stdout, new RegExp(`^\\s+${command}\\b`, 'm'), `${command}\n${show(r)}`);
    }
  });

  test('help speaks the shell language (LANG=de_DE.UTF-8)', async () => {
    const r = await solidaris(['--help'], { ...sqlite('help-de'), LANG: 'de_DE.UTF-8' });
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /Ausstehende Datenbankmigrationen anwenden/);
  });

  test('an unknown command exits non-zero', async () => {
    const r = await solidaris(['frobnicate'], sqlite('unknown'));
    assert.notEqual(r.code, 0, show(r));
    assert.match(r.stderr, /frobnicate/);
  });

  test('migrate applies the migrations, then says the database is up to date', async () => {
    const env = sqlite('migrate');
    const first = await solidaris(['migrate'], env);
    assert.equal(first.code, 0, show(first));
    assert.match(first.stdout, new RegExp(`Applied ${MIGRATIONS.length} migrations?: `), show(first));
    for (const m of MIGRATIONS) assert.ok(first.stdout.includes(m), `${m}\n${show(first)}`);

    const second = await solidaris(['migrate'], env);
    assert.equal(second.code, 0, show(second));
    assert.match(second.stdout, /The database is up to date\./, show(second));

    const h = await openDb({ engine: 'sqlite', path: env.SQLITE_PATH });
    try {
      const tables = (await h.db.introspection.getTables()).map((t) => t.name);
      assert.ok(tables.includes('users') && tables.includes('sessions'), tables.join(', '));
    } finally {
      await h.close();
    }
  });

  test('migrate exits non-zero with a message when the database cannot be opened', async () => {
    const pgDown = await solidaris(['migrate'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/x', SQLITE_PATH: undefined });
    assert.notEqual(pgDown.code, 0, show(pgDown));
    assert.equal(pgDown.signal, null, `it ends by itself, not by the timeout\n${show(pgDown)}`);
    assert.match(pgDown.stderr, /^Failed: .*ECONNREFUSED/m, show(pgDown));

    // A SQLite path below a regular file, and a directory where the file should be.
    // (Not a path under /proc: Node's recursive mkdirSync never returns there.)
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    mkdirSync(join(dir, 'a-dir.sqlite'));
    for (const path of [join(file, 'db.sqlite'), join(dir, 'a-dir.sqlite')]) {
      const sqliteDown = await solidaris(['migrate'], { SQLITE_PATH: path, DATABASE_URL: '' });
      assert.notEqual(sqliteDown.code, 0, show(sqliteDown));
      assert.equal(sqliteDown.signal, null, show(sqliteDown));
      assert.match(sqliteDown.stderr, /^Failed: /m, show(sqliteDown));
    }
  });

  test('a DATABASE_URL that is not postgres:// exits non-zero naming the variable', async () => {
    const r = await solidaris(['migrate'], { DATABASE_URL: 'mysql://u@127.0.0.1/x' });
    assert.notEqual(r.code, 0, show(r));
    assert.match(r.stderr, /DATABASE_URL/, show(r));
  });

  describe('reset-link', () => {
    const env = { ...sqlite('reset'), BASE_URL: 'https://solidaris.example' };

    test('prints a single-use link for an existing account and stores only its hash; unknown addresses exit 1', async () => {
      const made = await solidaris(['create-admin', '--email', 'reset@example.org', '--name', 'Forgetful', '--password', 'long enough pw'], env);
      assert.equal(made.code, 0, show(made));
      const r = await solidaris(['reset-link', 'RESET@example.org'], env);
      assert.equal(r.code, 0, show(r));
      assert.match(r.stdout, /Password reset link for reset@example\.org, valid for 60 minutes/, show(r));
      const url = /https:\/\/solidaris\.example\/password-reset\/([A-Za-z0-9_-]{43})/.exec(r.stdout);
      assert.ok(url, show(r));
      const h = await openDb({ engine: 'sqlite', path: env.SQLITE_PATH });
      try {
        const rows = await h.db.selectFrom('password_resets').select(['token_hash', 'used_at']).execute();
        assert.equal(rows.length, 1);
        assert.notEqual(rows[0]!.token_hash, url[1], 'only the hash is stored');
        assert.equal(rows[0]!.used_at, null);
        const audit = await h.db.selectFrom('audit_events').select(['action', 'details']).where('action', '=', 'account.password_reset_link_created').execute();
        assert.deepEqual(audit.map((a) => [a.action, JSON.parse(a.details).source]), [['account.password_reset_link_created', 'cli']]);
      } finally {
        await h.close();
      }
      const unknown = await solidaris(['reset-link', 'nobody@example.org'], env);
      assert.equal(unknown.code, 1, show(unknown));
      assert.match(unknown.stderr, /No account with the e-mail address nobody@example\.org\./);
    });

    test('refuses a SQLite file that does not exist with exit 2 and a translated message, and creates nothing', async () => {
      const path = join(dir, 'no-such-dir', 'solidaris.sqlite');
      const r = await solidaris(['reset-link', 'someone@example.org'], { SQLITE_PATH: path, DATABASE_URL: '', BASE_URL: 'https://solidaris.example' });
      assert.equal(r.code, 2, show(r));
      assert.equal(r.stdout, '', show(r));
      assert.ok(r.stderr.includes(`reset-link needs the database of the server, but there is none at ${path}. Set SQLITE_PATH (or DATABASE_URL) as for the server`), show(r));
      const de = await solidaris(['reset-link', 'someone@example.org'], { SQLITE_PATH: path, DATABASE_URL: '', LANG: 'de_DE.UTF-8' });
      assert.equal(de.code, 2, show(de));
      assert.ok(de.stderr.includes(`reset-link braucht die Datenbank des Servers, unter ${path} gibt es aber keine. Setzen Sie SQLITE_PATH`), show(de));
      assert.equal(existsSync(path), false, 'no database was created');
      assert.equal(existsSync(join(dir, 'no-such-dir')), false, 'not even its directory');
    });
  });

  describe('create-admin', () => {
    const env = sqlite('admin');

    test('creates an instance administrator (migrating first)', async () => {
      const r = await solidaris(['create-admin', '--email', 'a@example.org', '--name', 'Admin', '--password', 'long enough pw'], env);
      assert.equal(r.code, 0, show(r));
      assert.match(r.stdout, /Administrator a@example\.org created\./, show(r));
      const h = await openDb({ engine: 'sqlite', path: env.SQLITE_PATH });
      try {
        const rows = await h.db.selectFrom('users').select(['email', 'email_key', 'display_name', 'is_admin', 'locale', 'password_hash']).execute();
        assert.equal(rows.length, 1);
        assert.equal(rows[0]!.email, 'a@example.org');
        assert.equal(rows[0]!.display_name, 'Admin');
        assert.equal(rows[0]!.is_admin, 1);
        assert.equal(rows[0]!.locale, 'en');
        assert.match(rows[0]!.password_hash, /^\$argon2id\$v=19\$/);
        assert.ok(!rows[0]!.password_hash.includes('long enough pw'));
      } finally {
        await h.close();
      }
    });

    test('a second admin with the same e-mail (any case) exits non-zero with a clear message', async () => {
      const r = await solidaris(['create-admin', '--email', 'A@Example.ORG', '--name', 'Other', '--password', 'another long pw'], env);
      assert.notEqual(r.code, 0, show(r));
      assert.match(r.stderr, /An account with this e-mail address exists already/, show(r));
      const h = await openDb({ engine: 'sqlite', path: env.SQLITE_PATH });
      try {
        const rows = await h.db.selectFrom('users').select('display_name').execute();
        assert.deepEqual(rows.map((x) => x.display_name), ['Admin']);
      } finally {
        await h.close();
      }
    });

    test('a too-short password exits non-zero naming the password field; nobody is created', async () => {
      const fresh = sqlite('admin-short');
      const r = await solidaris(['create-admin', '--email', 'b@example.org', '--name', 'Admin', '--password', 'short'], fresh);
      assert.notEqual(r.code, 0, show(r));
      assert.match(r.stderr, /^password: Use at least 10 characters/m, show(r));
      const h = await openDb({ engine: 'sqlite', path: fresh.SQLITE_PATH });
      try {
        assert.equal((await h.db.selectFrom('users').select('id').execute()).length, 0);
      } finally {
        await h.close();
      }
    });

    test('every bad field is named (e-mail, name)', async () => {
      const r = await solidaris(['create-admin', '--email', 'not-an-email', '--name', 'A <b>', '--password', 'long enough pw'], sqlite('admin-bad'));
      assert.notEqual(r.code, 0, show(r));
      assert.match(r.stderr, /^email: /m, show(r));
      assert.match(r.stderr, /^displayName: /m, show(r));
    });

    test('the password may come from SOLIDARIS_ADMIN_PASSWORD', async () => {
      const fresh = sqlite('admin-env');
      const r = await solidaris(['create-admin', '--email', 'c@example.org', '--name', 'Env'], { ...fresh, SOLIDARIS_ADMIN_PASSWORD: 'from the environment' });
      assert.equal(r.code, 0, show(r));
      const h = await openDb({ engine: 'sqlite', path: fresh.SQLITE_PATH });
      try {
        assert.equal((await h.db.selectFrom('users').select('id').execute()).length, 1);
      } finally {
        await h.close();
      }
    });

    test('without a terminal and without --password it fails instead of waiting', async () => {
      const r = await solidaris(['create-admin', '--email', 'd@example.org', '--name', 'NoTty'], sqlite('admin-notty'));
      assert.equal(r.signal, null, `it ends by itself, not by the timeout\n${show(r)}`);
      assert.notEqual(r.code, 0, show(r));
      // A message for the person, not Node's "unsettled top-level await" warning (exit 13).
      assert.doesNotMatch(r.stderr, /unsettled top-level await/, show(r));
      assert.match(r.stderr, /--password/, show(r));
    });
  });

  describe('import rates', () => {
    const ECB = join(ROOT, 'demo', 'ecb_eurofxref_daily.csv');
    const countRates = async (path: string) => {
      const h = await openDb({ engine: 'sqlite', path });
      try {
        return (await h.db.selectFrom('exchange_rates').select(['quote', 'rate_date', 'rate']).execute()).map((r) => ({ ...r }));
      } finally {
        await h.close();
      }
    };

    test('imports the ECB history file with a summary; a second run adds nothing', async () => {
      const env = sqlite('rates');
      const r = await solidaris(['import', 'rates', '--format', 'ecb', ECB], env);
      assert.equal(r.code, 0, show(r));
      assert.ok(r.stdout.includes('Importing ECB exchange rates from ecb_eurofxref_daily.csv …'), show(r));
      assert.ok(
        r.stdout.includes('2,000 lines (2017-07-17 … 2025-05-09), 31 currencies: 61,045 rates added, 0 unchanged, 0 replaced, 19,555 “N/A” cells skipped'),
        show(r),
      );
      assert.ok(r.stdout.includes('Not stored, as ISO 4217 no longer lists these currencies: HRK (1,400 rates)'), show(r));
      assert.equal((await countRates(env.SQLITE_PATH)).length, 61045);
      const again = await solidaris(['import', 'rates', '--format', 'ecb', ECB], env);
      assert.equal(again.code, 0, show(again));
      assert.ok(again.stdout.includes('31 currencies: 0 rates added, 61,045 unchanged, 0 replaced'), show(again));
      assert.equal((await countRates(env.SQLITE_PATH)).length, 61045);
    });

    test('rejected cells exit 1 and are listed by line and column, in the shell language; the rest is stored', async () => {
      const file = join(dir, 'broken-rates.csv');
      writeFileSync(file, 'Date,USD,JPY,\n2025-01-03,1.0350,161.50,\n2025-01-02,abc,N/A,\n2025-13-01,1.0,160,\n');
      const env = sqlite('rates-broken');
      const r = await solidaris(['import', 'rates', '--format', 'ecb', file], env);
      assert.equal(r.code, 1, show(r));
      assert.ok(r.stdout.includes('3 lines (2025-01-02 … 2025-01-03), 2 currencies: 2 rates added'), show(r));
      assert.ok(r.stdout.includes('  Line 3, column USD: “abc” is neither a positive decimal number nor N/A'), show(r));
      assert.ok(r.stdout.includes('  Line 4, column Date: “2025-13-01” is not a date of the form YYYY-MM-DD; the line was skipped'), show(r));
      assert.deepEqual(
        (await countRates(env.SQLITE_PATH)).sort((a, b) => a.quote.localeCompare(b.quote)),
        [
          { quote: 'JPY', rate_date: '2025-01-03', rate: '161.50' },
          { quote: 'USD', rate_date: '2025-01-03', rate: '1.0350' },
        ],
      );
      const de = await solidaris(['import', 'rates', '--format', 'ecb', file], { ...sqlite('rates-broken-de'), LANG: 'de_DE.UTF-8' });
      assert.equal(de.code, 1, show(de));
      assert.ok(de.stdout.includes('  Zeile 3, Spalte USD: „abc“ ist weder eine positive Dezimalzahl noch N/A'), show(de));
    });

    test('a rate that differs from the stored one is kept and reported (exit 1) unless --replace', async () => {
      const env = sqlite('rates-conflict');
      const first = join(dir, 'rates-1.csv');
      const revised = join(dir, 'rates-2.csv');
      writeFileSync(first, 'Date,USD,\n2025-05-09,1.1252,\n');
      writeFileSync(revised, 'Date,USD,\n2025-05-09,1.1253,\n');
      assert.equal((await solidaris(['import', 'rates', '--format', 'ecb', first], env)).code, 0);
      const kept = await solidaris(['import', 'rates', '--format', 'ecb', revised], env);
      assert.equal(kept.code, 1, show(kept));
      assert.ok(kept.stdout.includes('Line 2, USD on 2025-05-09: stored 1.1252, in the file 1.1253'), show(kept));
      assert.deepEqual(await countRates(env.SQLITE_PATH), [{ quote: 'USD', rate_date: '2025-05-09', rate: '1.1252' }]);
      const replaced = await solidaris(['import', 'rates', '--format', 'ecb', '--replace', revised], env);
      assert.equal(replaced.code, 0, show(replaced));
      assert.ok(replaced.stdout.includes('0 rates added, 0 unchanged, 1 replaced'), show(replaced));
      assert.deepEqual(await countRates(env.SQLITE_PATH), [{ quote: 'USD', rate_date: '2025-05-09', rate: '1.1253' }]);
    });

    test('a missing, unreadable or foreign file exits 1 with a clear message and no stack trace', async () => {
      const notEcb = join(dir, 'not-ecb.csv');
      writeFileSync(notEcb, 'Datum,Kurs\n2025-01-02,1.1\n');
      const cases: [string, string][] = [
        [join(dir, 'missing.csv'), `Failed: Cannot read the file ${join(dir, 'missing.csv')}`],
        [dir, `Failed: Cannot read the file ${dir}`],
        [notEcb, 'Failed: not-ecb.csv is not an ECB reference rate file: its first line must be “Date” followed by currency codes such as USD, JPY'],
      ];
      for (const [file, message] of cases) {
        const r = await solidaris(['import', 'rates', '--format', 'ecb', file], sqlite('rates-missing'));
        assert.equal(r.code, 1, show(r));
        assert.ok(r.stderr.split('\n').includes(message), show(r));
        assert.doesNotMatch(r.stderr, /^\s+at /m, `no stack trace\n${show(r)}`);
      }
    });

    test('a format that does not fit the kind exits non-zero naming both', async () => {
      const r = await solidaris(['import', 'rates', '--format', 'fmcs', ECB], sqlite('rates-format'));
      assert.notEqual(r.code, 0, show(r));
      assert.match(r.stderr, /rates cannot be imported from the format fmcs; use --format ecb/, show(r));
      const s = await solidaris(['import', 'struggles', '--format', 'ecb', ECB], sqlite('rates-format'));
      assert.notEqual(s.code, 0, show(s));
      assert.match(s.stderr, /struggles cannot be imported from the format ecb; use --format fmcs/, show(s));
    });
  });

  describe('on PostgreSQL', { skip: !process.env.TEST_DATABASE_URL && 'TEST_DATABASE_URL is not set' }, () => {
    const url = process.env.TEST_DATABASE_URL!;
    // Two schemas for two instances, and one holding another Kysely application's tables.
    const [one, two, other] = ['c', 'c', 'k'].map((p) => `${p}_${randomBytes(5).toString('hex')}`) as [string, string, string];
    const schemas = [one, two, other];
    const admin = async (q: string) => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(q);
      } finally {
        await c.end();
      }
    };
    /** DATABASE_URL whose connections use `schema` (libpq `options`). */
    const inSchema = (schema: string) => {
      const u = new URL(url);
      u.searchParams.set('options', `-c search_path=${schema}`);
      return u.toString();
    };
    before(async () => {
      for (const s of schemas) await admin(`CREATE SCHEMA ${s}`);
      await admin(`CREATE TABLE ${other}.kysely_migration (name varchar(255) PRIMARY KEY, timestamp varchar(255) NOT NULL)`);
      await admin(`CREATE TABLE ${other}.kysely_migration_lock (id varchar(255) PRIMARY KEY, is_locked integer NOT NULL DEFAULT 0)`);
    });
    after(async () => {
      for (const s of schemas) await admin(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    });

    test('migrate and create-admin work against a server', async () => {
      const env = { DATABASE_URL: inSchema(one), SQLITE_PATH: undefined };
      const first = await solidaris(['migrate'], env);
      assert.equal(first.code, 0, show(first));
      assert.match(first.stdout, /Applied \d+ migrations?: /, show(first));
      const second = await solidaris(['migrate'], env);
      assert.equal(second.code, 0, show(second));
      assert.match(second.stdout, /up to date/, show(second));
      const created = await solidaris(['create-admin', '--email', 'a@example.org', '--name', 'Admin', '--password', 'long enough pw'], env);
      assert.equal(created.code, 0, show(created));
      const again = await solidaris(['create-admin', '--email', 'a@example.org', '--name', 'Admin', '--password', 'long enough pw'], env);
      assert.notEqual(again.code, 0, show(again));
      assert.match(again.stderr, /exists already/, show(again));
    });

    // Kysely's Migrator looks for its own tables in *every* schema unless told which one to use:
    // another Solidaris (or any Kysely app) in another schema of the same database must not
    // make this one skip creating its migration tables. (`other` exists for the whole suite, so
    // the test above meets the same condition.)
    test("migrate works in a schema of its own when another schema already has Kysely's tables", async () => {
      const r = await solidaris(['migrate'], { DATABASE_URL: inSchema(two), SQLITE_PATH: undefined });
      assert.equal(r.code, 0, show(r));
      assert.match(r.stdout, new RegExp(`Applied ${MIGRATIONS.length} migrations?: `), show(r));
    });
  });
});
