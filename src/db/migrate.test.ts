import { describe, test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql, type Insertable } from 'kysely';
import pg from 'pg';
import { ENGINES, createTestDb, type TestDb, type TestEngine } from '../../test/helpers/db.ts';
import { openDb, type DbHandle, type Db } from './client.ts';
import { migrateToLatest } from './migrate.ts';
import { newId } from '../lib/ids.ts';
import type { Database } from './schema.ts';

const MIGRATIONS = readdirSync(fileURLToPath(new URL('./migrations/', import.meta.url)))
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .sort()
  .map((f) => f.slice(0, -3));

const TABLES = [
  'action_days',
  'audit_events',
  'beneficiaries',
  'campaign_counts',
  'campaign_endorsements',
  'campaign_organizations',
  'campaign_tallies',
  'campaign_translations',
  'campaigns',
  'disbursements',
  'exchange_rates',
  'feed_tokens',
  'follows',
  'invitations',
  'ledger_entries',
  'local_actions',
  'network_memberships',
  'network_roles',
  'networks',
  'organization_languages',
  'organization_members',
  'organizations',
  'pact_balances',
  'pact_documents',
  'pact_month_totals',
  'pact_organizations',
  'pact_sequences',
  'pact_struggles',
  'pacts',
  'passkeys',
  'password_resets',
  'pledges',
  'recovery_codes',
  'sessions',
  'solidarity_call_asks',
  'solidarity_call_issuers',
  'solidarity_call_languages',
  'solidarity_calls',
  'solidarity_responses',
  'struggle_organizations',
  'struggle_sources',
  'struggle_updates',
  'struggles',
  'supporter_imports',
  'supporter_mails',
  'supporters',
  'users',
];

/** An empty, unmigrated database of `engine` (same targets as the test helpers use). */
async function openEmptyDb(engine: TestEngine): Promise<{ handle: DbHandle; drop(): Promise<void> }> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'solidaris-migrate-'));
    const handle = await openDb({ engine: 'sqlite', path: join(dir, 'm.sqlite') });
    return { handle, drop: async () => { await handle.close(); rmSync(dir, { recursive: true, force: true }); } };
  }
  const url = process.env.TEST_DATABASE_URL;
  if (!url) {
    const handle = await openDb({ engine: 'pglite' });
    return { handle, drop: () => handle.close() };
  }
  const schema = `m_${randomBytes(6).toString('hex')}`;
  const run = async (q: string) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(q);
    await c.end();
  };
  await run(`CREATE SCHEMA ${schema}`);
  const handle = await openDb({ engine: 'postgres', url, schema, poolSize: 4 });
  return { handle, drop: async () => { await handle.close(); await run(`DROP SCHEMA ${schema} CASCADE`); } };
}

/**
 * Application tables of the schema in use. On PostgreSQL only the current schema is read: other
 * test files create and drop schemas on the same server, and a catalog-wide look-up can trip over
 * one that disappears mid-query.
 */
async function tableNames(db: Db, engine: TestEngine): Promise<string[]> {
  const rows =
    engine === 'postgres'
      ? (
          await sql<{ name: string }>`SELECT table_name AS name FROM information_schema.tables
            WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`.execute(db)
        ).rows
      : (await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`.execute(db)).rows;
  return rows
    .map((r) => r.name)
    .filter((n) => !n.startsWith('kysely_'))
    .sort();
}

test('migration files are named YYYYMMDDHHMMSS_verb_object and the first creates the core tables', () => {
  assert.ok(MIGRATIONS.length >= 1);
  assert.equal(MIGRATIONS[0], '20261129190000_create_core_tables');
  for (const m of MIGRATIONS) assert.match(m, /^\d{14}_[a-z]+(_[a-z0-9]+)+$/);
});

for (const engine of ENGINES) {
  describe(engine, () => {
    describe('migrateToLatest on an empty database', () => {
      let empty: Awaited<ReturnType<typeof openEmptyDb>>;
      before(async () => {
        empty = await openEmptyDb(engine);
      });
      after(async () => {
        await empty.drop();
      });

      test('applies every migration once, in name order; a second run applies nothing', async () => {
        assert.deepEqual(await tableNames(empty.handle.db, engine), []);
        assert.deepEqual(await migrateToLatest(empty.handle.db), MIGRATIONS);
        assert.deepEqual(await tableNames(empty.handle.db, engine), TABLES);
        assert.deepEqual(await migrateToLatest(empty.handle.db), []);
        const recorded = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(empty.handle.db);
        assert.deepEqual(recorded.rows.map((r) => r.name), MIGRATIONS);
      });

      test('a third, concurrent pair of runs still applies nothing and leaves the schema intact', async () => {
        assert.deepEqual(await Promise.all([migrateToLatest(empty.handle.db), migrateToLatest(empty.handle.db)]), [[], []]);
        assert.deepEqual(await tableNames(empty.handle.db, engine), TABLES);
      });
    });

    if (engine === 'postgres') {
      describe('migrateToLatest next to another schema that has its own migration tables', () => {
        let empty: Awaited<ReturnType<typeof openEmptyDb>>;
        const other = `other_${randomBytes(4).toString('hex')}`;
        before(async () => {
          empty = await openEmptyDb(engine);
          // What another application (or another test file's schema) on the same server looks like.
          await sql`CREATE SCHEMA ${sql.id(other)}`.execute(empty.handle.db);
          await sql`CREATE TABLE ${sql.id(other, 'kysely_migration')} (name varchar(255) PRIMARY KEY, timestamp varchar(255) NOT NULL)`.execute(empty.handle.db);
          await sql`CREATE TABLE ${sql.id(other, 'kysely_migration_lock')} (id varchar(255) PRIMARY KEY, is_locked integer NOT NULL DEFAULT 0)`.execute(empty.handle.db);
        });
        after(async () => {
          await sql`DROP SCHEMA ${sql.id(other)} CASCADE`.execute(empty.handle.db);
          await empty.drop();
        });

        test('still creates its own migration tables and applies every migration', async () => {
          assert.deepEqual(await migrateToLatest(empty.handle.db), MIGRATIONS);
          assert.deepEqual(await tableNames(empty.handle.db, engine), TABLES);
          assert.deepEqual(await migrateToLatest(empty.handle.db), []);
        });
      });
    }

    describe('constraints', () => {
      let t: TestDb;
      before(async () => {
        t = await createTestDb(engine);
      });
      after(async () => {
        await t.drop();
      });
      beforeEach(async () => {
        await t.reset();
      });

      const NOW = '2026-11-29T19:00:00.000Z';
      const CHECK = /CHECK constraint failed|violates check constraint/;
      // SQLite: the text-date CHECK; PostgreSQL: the `date` type itself refuses the value.
      const BAD_DATE = /CHECK constraint failed|date\/time field value out of range|invalid input syntax for type date/;

      async function insertOrganization(o: Partial<Insertable<Database['organizations']>> = {}): Promise<string> {
        const id = o.id ?? newId();
        await t.db
          .insertInto('organizations')
          .values({
            id,
            slug: `org-${id.slice(-12)}`,
            name: 'Miners Union',
            kind: 'union',
            country: 'DE',
            city: null,
            website: null,
            contact_email: null,
            description: null,
            description_lang: 'de',
            visibility: 'public',
            parent_id: null,
            search_text: 'miners union',
            created_by: null,
            created_at: NOW,
            updated_at: NOW,
            ...o,
          })
          .execute();
        return id;
      }

      async function insertStruggle(o: Partial<Database['struggles']> = {}): Promise<string> {
        const id = o.id ?? newId();
        await t.db
          .insertInto('struggles')
          .values({
            id,
            slug: `s-${id.slice(-12)}`,
            title: 'Strike at the Kolwezi mine',
            kind: 'strike',
            sector: 'mining',
            country: 'CD',
            locality: null,
            employer: null,
            participants: null,
            demands: null,
            start_date: '2026-03-01',
            end_date: null,
            status: 'ongoing',
            visibility: 'public',
            lang: 'fr',
            organization_id: null,
            external_ref: null,
            search_text: 'strike at the kolwezi mine',
            created_by: null,
            created_at: NOW,
            updated_at: NOW,
            ...o,
          })
          .execute();
        return id;
      }

      const count = async (table: 'struggles' | 'organizations' | 'struggle_updates' | 'network_memberships') =>
        Number((await t.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

      test('a valid struggle is stored; dates come back as YYYY-MM-DD and instants as ISO 8601 UTC', async () => {
        const id = await insertStruggle({ start_date: '2024-02-29', end_date: '2024-02-29', status: 'won', participants: 0 });
        const row = await t.db.selectFrom('struggles').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
        assert.equal(row.start_date, '2024-02-29');
        assert.equal(row.end_date, '2024-02-29');
        assert.equal(row.created_at, NOW);
        assert.equal(row.participants, 0);
        assert.equal(await count('struggles'), 1);
      });

      test('a struggle ending before it starts is refused', async () => {
        await assert.rejects(insertStruggle({ start_date: '2026-03-10', end_date: '2026-03-09', status: 'ended' }), CHECK);
        assert.equal(await count('struggles'), 0);
      });

      test('an unknown visibility is refused on struggles and organizations', async () => {
        await assert.rejects(insertStruggle({ visibility: 'secret' as never }), CHECK);
        await assert.rejects(insertOrganization({ visibility: 'everyone' as never }), CHECK);
        assert.equal(await count('struggles'), 0);
        assert.equal(await count('organizations'), 0);
      });

      test('unknown kinds and statuses, negative participants and 3-letter countries are refused', async () => {
        await assert.rejects(insertStruggle({ kind: 'riot' }), CHECK);
        await assert.rejects(insertStruggle({ status: 'pending' }), CHECK);
        await assert.rejects(insertStruggle({ participants: -1 }), CHECK);
        await assert.rejects(insertStruggle({ country: 'COD' }), CHECK);
        await assert.rejects(insertOrganization({ kind: 'company' }), CHECK);
        await assert.rejects(insertOrganization({ country: 'D' }), CHECK);
        assert.equal(await count('struggles'), 0);
        assert.equal(await count('organizations'), 0);
      });

      test('an impossible calendar date (2021-02-30) is refused by the database', async () => {
        await assert.rejects(insertStruggle({ start_date: '2021-02-30' }), BAD_DATE);
        await assert.rejects(insertStruggle({ start_date: '2021-01-01', end_date: '2021-02-31', status: 'ended' }), BAD_DATE);
        const struggleId = await insertStruggle();
        await assert.rejects(
          t.db.insertInto('struggle_updates').values({ id: newId(), struggle_id: struggleId, date: '2023-02-29', body: 'x', lang: 'en', created_by: null, created_at: NOW }).execute(),
          BAD_DATE,
        );
        assert.equal(await count('struggles'), 1);
        assert.equal(await count('struggle_updates'), 0);
      });

      // SQLite's date() returns NULL for text it cannot parse at all; `NULL = value` is NULL and a
      // CHECK that evaluates to NULL passes, so such text is stored.
      test('text that is no date at all (month 13, words) is refused by the database', async () => {
        await assert.rejects(insertStruggle({ start_date: '2021-13-01' }), BAD_DATE);
        await assert.rejects(insertStruggle({ start_date: 'soon' }), BAD_DATE);
        await assert.rejects(insertStruggle({ start_date: '2021-01-01', end_date: 'unknown', status: 'ended' }), BAD_DATE);
        assert.equal(await count('struggles'), 0);
      });

      test('a network membership cannot end before it starts', async () => {
        const orgId = await insertOrganization();
        const networkId = newId();
        await t.db
          .insertInto('networks')
          .values({ id: networkId, slug: 'miners', name: 'Miners', sector: 'mining', description: null, description_lang: 'en', created_by: null, created_at: NOW, updated_at: NOW })
          .execute();
        const membership = (o: { since: string; until: string | null }) =>
          t.db.insertInto('network_memberships').values({ id: newId(), network_id: networkId, organization_id: orgId, role: 'member', created_at: NOW, ...o }).execute();
        await assert.rejects(membership({ since: '2025-06-01', until: '2025-05-31' }), CHECK);
        await membership({ since: '2025-06-01', until: '2025-06-01' });
        assert.equal(await count('network_memberships'), 1);
      });

      test('flags and roles are limited to their values', async () => {
        const user = (is_admin: number) =>
          t.db
            .insertInto('users')
            .values({ id: newId(), email: `u${is_admin}@example.org`, email_key: `u${is_admin}@example.org`, display_name: 'U', password_hash: 'x', locale: 'en', time_zone: 'UTC', is_admin, created_at: NOW, updated_at: NOW })
            .execute();
        await assert.rejects(user(2), CHECK);
        await user(1);
        const orgId = await insertOrganization();
        const userId = (await t.db.selectFrom('users').select('id').executeTakeFirstOrThrow()).id;
        await assert.rejects(
          t.db.insertInto('organization_members').values({ organization_id: orgId, user_id: userId, role: 'owner' as never, created_at: NOW }).execute(),
          CHECK,
        );
      });

      test('slugs are unique and foreign keys are enforced', async () => {
        await insertOrganization({ slug: 'taken' });
        await assert.rejects(insertOrganization({ slug: 'taken' }), /UNIQUE constraint failed|duplicate key value/);
        await assert.rejects(insertStruggle({ organization_id: newId() }), /FOREIGN KEY constraint failed|violates foreign key constraint/);
        assert.equal(await count('organizations'), 1);
        assert.equal(await count('struggles'), 0);
      });

      test('deleting an organization unlinks its struggles and removes its involvement rows', async () => {
        const orgId = await insertOrganization();
        const struggleId = await insertStruggle({ organization_id: orgId });
        await t.db.insertInto('struggle_organizations').values({ struggle_id: struggleId, organization_id: orgId, role: 'initiator' }).execute();
        await t.db.deleteFrom('organizations').where('id', '=', orgId).execute();
        const row = await t.db.selectFrom('struggles').select('organization_id').where('id', '=', struggleId).executeTakeFirstOrThrow();
        assert.equal(row.organization_id, null);
        assert.deepEqual(await t.db.selectFrom('struggle_organizations').selectAll().execute(), []);
      });
    });
  });
}
