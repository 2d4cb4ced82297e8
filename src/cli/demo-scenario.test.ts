import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDb, ENGINES, type TestDb } from '../../test/helpers/db.ts';
import { authenticate, createUser } from '../modules/accounts/accounts.service.ts';
import { buildDemoScenario, DEMO_ACCOUNTS, DEMO_CONGO_STRUGGLE, DemoDatabaseNotEmpty, type DemoAccount } from './demo-scenario.ts';

const TABLES = [
  'users',
  'organizations',
  'organization_languages',
  'organization_members',
  'networks',
  'network_memberships',
  'struggles',
  'struggle_organizations',
  'struggle_sources',
  'struggle_updates',
] as const;

/** Row count of every scenario table, e.g. `{ organizations: 13, … }`. */
async function counts(t: TestDb): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of TABLES) {
    const r = await t.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    out[table] = Number(r.n);
  }
  return out;
}

for (const engine of ENGINES) {
  describe(engine, () => {
    let t: TestDb;
    let accounts: DemoAccount[];
    before(async () => {
      t = await createTestDb(engine);
      accounts = await buildDemoScenario(t.db);
    });
    after(() => t.drop());

    test('three sector networks: automotive, mining, other, each description language-tagged', async () => {
      const networks = await t.db.selectFrom('networks').select(['sector', 'description', 'description_lang']).orderBy('sector').execute();
      assert.deepEqual(networks.map((n) => n.sector), ['automotive', 'mining', 'other']);
      for (const n of networks) {
        assert.ok(n.description);
        assert.ok(['de', 'en'].includes(n.description_lang));
      }
    });

    test('organizations in at least 8 countries, including CD, DE and TR; one members-only', async () => {
      const orgs = await t.db.selectFrom('organizations').select(['country', 'kind', 'visibility', 'description_lang']).execute();
      const countries = new Set(orgs.map((o) => o.country));
      assert.ok(countries.size >= 8, `${countries.size} countries`);
      for (const c of ['CD', 'DE', 'TR']) assert.ok(countries.has(c), c);
      assert.equal(orgs.filter((o) => o.visibility === 'members').length, 1);
      assert.ok(orgs.filter((o) => o.visibility === 'public').length > orgs.length / 2);
      for (const kind of ['union', 'self_organization', 'women', 'youth', 'party', 'refugee_group']) assert.ok(orgs.some((o) => o.kind === kind), kind);
    });

    test('the refugee-solidarity circle sits inside the self-organization', async () => {
      const circle = await t.db
        .selectFrom('organizations as c')
        .innerJoin('organizations as p', 'p.id', 'c.parent_id')
        .select(['c.kind as kind', 'c.country as country', 'c.description_lang as lang', 'c.description as description', 'p.kind as parentKind', 'p.slug as parentSlug'])
        .where('c.name', '=', 'Freundeskreis Flüchtlingssolidarität')
        .executeTakeFirstOrThrow();
      assert.equal(circle.kind, 'refugee_group');
      assert.equal(circle.parentKind, 'self_organization');
      assert.equal(circle.parentSlug, 'solidaritaet-grenzenlos');
      assert.equal(circle.lang, 'de');
      assert.match(circle.description ?? '', /Tandems/);
    });

    test('network memberships: coordinators, an observer and one ended membership', async () => {
      const rows = await t.db.selectFrom('network_memberships').select(['role', 'since', 'until']).execute();
      assert.ok(rows.filter((r) => r.role === 'coordinator').length >= 3);
      assert.ok(rows.some((r) => r.role === 'observer'));
      const ended = rows.filter((r) => r.until !== null);
      assert.equal(ended.length, 1);
      assert.ok(ended[0]!.until! > ended[0]!.since);
    });

    test("the Congolese miners' struggle has organizations from several countries and a dated timeline", async () => {
      const s = await t.db.selectFrom('struggles').selectAll().where('slug', '=', DEMO_CONGO_STRUGGLE).executeTakeFirstOrThrow();
      assert.equal(s.country, 'CD');
      assert.equal(s.sector, 'mining');
      assert.ok(s.demands && s.participants);
      const links = await t.db
        .selectFrom('struggle_organizations')
        .innerJoin('organizations', 'organizations.id', 'struggle_organizations.organization_id')
        .select(['struggle_organizations.role', 'organizations.country'])
        .where('struggle_id', '=', s.id)
        .execute();
      assert.ok(links.some((l) => l.role === 'initiator'));
      assert.ok(new Set(links.filter((l) => l.role === 'supporter').map((l) => l.country)).size >= 3);
      const updates = await t.db.selectFrom('struggle_updates').select(['date', 'lang']).where('struggle_id', '=', s.id).orderBy('date').execute();
      assert.ok(updates.length >= 3 && updates.length <= 5);
      assert.ok(updates.every((u) => /^\d{4}-\d{2}-\d{2}$/.test(u.date) && u.date >= s.start_date));
      const langs = new Set(updates.map((u) => u.lang));
      assert.ok(langs.has('de') && langs.has('en'));
    });

    test('several struggles of varied kinds, statuses and years; texts tagged de and en', async () => {
      const struggles = await t.db.selectFrom('struggles').select(['kind', 'status', 'start_date', 'lang', 'country']).execute();
      assert.ok(struggles.length >= 6);
      assert.ok(new Set(struggles.map((s) => s.kind)).size >= 4);
      assert.ok(new Set(struggles.map((s) => s.status)).size >= 3);
      assert.ok(struggles.some((s) => s.kind === 'legal'));
      for (const year of ['2024', '2025', '2026']) assert.ok(struggles.some((s) => s.start_date.startsWith(year)), year);
      const tags = new Set([
        ...struggles.map((s) => s.lang),
        ...(await t.db.selectFrom('struggle_updates').select('lang').execute()).map((r) => r.lang),
        ...(await t.db.selectFrom('organizations').select('description_lang').execute()).map((r) => r.description_lang),
        ...(await t.db.selectFrom('networks').select('description_lang').execute()).map((r) => r.description_lang),
      ]);
      assert.ok(tags.has('de') && tags.has('en'), [...tags].join(' '));
    });

    test('the four demo accounts sign in and hold their roles', async () => {
      assert.deepEqual(accounts, DEMO_ACCOUNTS);
      assert.equal(accounts.length, 4);
      for (const a of accounts) {
        assert.match(a.email, /\.invalid$/);
        assert.ok(a.password.length >= 10);
        assert.ok(await authenticate(t.db, a.email, a.password), a.email);
      }
      const roles = await t.db
        .selectFrom('organization_members')
        .innerJoin('users', 'users.id', 'organization_members.user_id')
        .innerJoin('organizations', 'organizations.id', 'organization_members.organization_id')
        .select(['users.email', 'organizations.slug', 'organizations.kind', 'organization_members.role'])
        .execute();
      const has = (email: string, kind: string, role: string) => roles.some((r) => r.email === email && r.kind === kind && r.role === role);
      assert.ok(has('grenzenlos@demo.solidaris.invalid', 'self_organization', 'admin'));
      assert.ok(roles.some((r) => r.email === 'kolwezi@demo.solidaris.invalid' && r.slug === 'smk-kolwezi' && r.role === 'coordinator'));
      assert.ok(has('freundeskreis@demo.solidaris.invalid', 'refugee_group', 'member'));
      const admins = await t.db.selectFrom('users').select('email').where('is_admin', '=', 1).execute();
      assert.deepEqual(admins.map((u) => u.email), ['admin@demo.solidaris.invalid']);
    });

    test('a second run is refused before writing anything', async () => {
      const before = await counts(t);
      await assert.rejects(buildDemoScenario(t.db), (err: unknown) => {
        assert.ok(err instanceof DemoDatabaseNotEmpty);
        assert.equal(err.code, 'demo_not_empty');
        assert.deepEqual(err.values, { organizations: before.organizations, networks: 3 });
        return true;
      });
      assert.deepEqual(await counts(t), before);
    });

    test('a failure late in the build rolls back everything written before it', async () => {
      await t.reset();
      // The last demo account's e-mail is taken, so the build fails after every other write.
      const last = DEMO_ACCOUNTS.at(-1)!;
      await createUser(t.db, { email: last.email, password: 'someone-else-entirely', displayName: 'Existing' });
      await assert.rejects(buildDemoScenario(t.db), { code: 'email_taken' });
      const after = await counts(t);
      assert.deepEqual(after, { ...Object.fromEntries(TABLES.map((n) => [n, 0])), users: 1 });
    });
  });
}
