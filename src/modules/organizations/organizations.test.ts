import { describe, test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { ENGINES } from '../../../test/helpers/db.ts';
import { useTestApp, loginAs, formSession, form, type TestApp } from '../../../test/helpers/app.ts';
import { makeOrganization } from '../../../test/helpers/factories.ts';
import { ValidationFailed } from '../../http/errors.ts';
import type { Viewer } from '../../http/viewer.ts';
import { loadViewer } from '../accounts/accounts.service.ts';
import { createOrganization, updateOrganization, validateOrganization, type OrganizationInput } from './organizations.service.ts';

/** The `[field, messageId]` pairs of the ValidationFailed that `fn` throws. */
function fieldErrors(fn: () => unknown): [string, string][] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ValidationFailed, `expected ValidationFailed, got ${String(err)}`);
    return err.errors.map((e) => [e.field, e.messageId]);
  }
  assert.fail('no ValidationFailed thrown');
}

async function rejectedFields(p: Promise<unknown>): Promise<[string, string][]> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ValidationFailed, `expected ValidationFailed, got ${String(err)}`);
    return err.errors.map((e) => [e.field, e.messageId]);
  }
  assert.fail('no ValidationFailed thrown');
}

const valid: OrganizationInput = { name: 'Miners Union', kind: 'union', country: 'DE' };

describe('validateOrganization', () => {
  test('normalizes a valid organization', () => {
    const v = validateOrganization({
      name: '  Gewerkschaft Bergbau\u0301  ',
      kind: 'union',
      country: 'de',
      city: ' Bochum ',
      languages: 'de-de, tr, de-DE',
      website: 'https://ig.example.org',
    });
    assert.equal(v.name, 'Gewerkschaft Bergbaú'.normalize('NFC'));
    assert.equal(v.country, 'DE');
    assert.equal(v.city, 'Bochum');
    assert.deepEqual(v.languages, ['de-DE', 'tr']);
    assert.equal(v.descriptionLang, 'de-DE');
    assert.equal(v.visibility, 'public');
    assert.equal(v.website, 'https://ig.example.org/');
    assert.equal(v.slug, null);
    assert.equal(v.parent, null);
  });

  test("country 'XX' fails on field country", () => {
    assert.deepEqual(fieldErrors(() => validateOrganization({ ...valid, country: 'XX' })), [['country', 'validation.country']]);
  });

  test('a malformed language tag fails on field languages or descriptionLang', () => {
    assert.deepEqual(fieldErrors(() => validateOrganization({ ...valid, languages: 'de, not a tag!' })), [['languages', 'validation.language']]);
    assert.deepEqual(fieldErrors(() => validateOrganization({ ...valid, descriptionLang: 'en_US' })), [['descriptionLang', 'validation.language']]);
  });

  test("a name with '<' or a line break fails on field name", () => {
    assert.deepEqual(fieldErrors(() => validateOrganization({ ...valid, name: 'Union <script>' })), [['name', 'validation.name_characters']]);
    assert.deepEqual(fieldErrors(() => validateOrganization({ ...valid, name: 'Miners\nUnion' })), [['name', 'validation.single_line']]);
    assert.deepEqual(fieldErrors(() => validateOrganization({ ...valid, name: 'Miners\r\nUnion' })), [['name', 'validation.single_line']]);
  });

  test('a website that is not an absolute http(s) URL fails on field website', () => {
    for (const website of ['example.org', 'javascript:alert(1)', 'ftp://example.org/x', 'http://']) {
      assert.deepEqual(fieldErrors(() => validateOrganization({ ...valid, website })), [['website', 'validation.url']], website);
    }
  });

  test('every bad field is reported at once, in form order', () => {
    assert.deepEqual(
      fieldErrors(() => validateOrganization({ name: '', kind: 'company', country: 'XX', contactEmail: 'nobody', slug: 'Bad Slug', visibility: 'hidden' })),
      [
        ['name', 'validation.required'],
        ['slug', 'validation.slug'],
        ['kind', 'validation.choice'],
        ['country', 'validation.country'],
        ['contactEmail', 'validation.email'],
        ['visibility', 'validation.choice'],
      ],
    );
  });
});

for (const engine of ENGINES) {
  describe(engine, () => {
    const t = useTestApp(engine);

    const db = () => t.db.db;
    const countOrganizations = async () =>
      Number((await db().selectFrom('organizations').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const viewerOf = async (cookie: string): Promise<Viewer> => (await loadViewer(db(), cookie.replace(/^sid=/, '')))!;
    const get = (url: string, cookie?: string) => t.app.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} });
    const postJson = (url: string, body: unknown, cookie?: string, method: 'POST' | 'PUT' = 'POST') =>
      t.app.inject({ method, url, payload: JSON.stringify(body), headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) } });
    const problem = (res: LightMyRequestResponse) => {
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
      return res.json() as { type: string; title: string; status: number; code: string; errors?: { field: string; code: string; detail: string }[] };
    };

    describe('service', () => {
      test('invalid input is refused with field errors and nothing is written', async () => {
        const admin = await viewerOf((await loginAs(t, { admin: true })).cookie);
        assert.deepEqual(await rejectedFields(createOrganization(db(), admin, { ...valid, country: 'XX', website: 'www.example.org' })), [
          ['country', 'validation.country'],
          ['website', 'validation.url'],
        ]);
        assert.equal(await countOrganizations(), 0);
      });

      test('slugs come from the name and get -2, -3 suffixes when taken', async () => {
        const a = await makeOrganization(db(), { name: 'Miners Union' });
        const b = await makeOrganization(db(), { name: 'Miners  Union' });
        const c = await makeOrganization(db(), { name: 'miners union' });
        const d = await makeOrganization(db(), { name: 'Maden-İş Sendikası' });
        assert.deepEqual([a.slug, b.slug, c.slug], ['miners-union', 'miners-union-2', 'miners-union-3']);
        assert.equal(d.slug, 'maden-is-sendikasi');
        // A slug that merely starts with the base does not count as taken.
        const e = await makeOrganization(db(), { name: 'Miners', slug: 'miners' });
        assert.equal(e.slug, 'miners');
        const f = await makeOrganization(db(), { name: 'Other', slug: 'miners' });
        assert.equal(f.slug, 'miners-2');
      });

      // Only a real server runs the transactions in parallel (SQLite and PGlite have one connection).
      test('organizations with the same name created at the same time get distinct slugs', async () => {
        const made = await Promise.all(Array.from({ length: 5 }, () => makeOrganization(db(), { name: 'Solidarity Circle' })));
        assert.deepEqual(made.map((m) => m.slug).sort(), ['solidarity-circle', 'solidarity-circle-2', 'solidarity-circle-3', 'solidarity-circle-4', 'solidarity-circle-5']);
        assert.equal(await countOrganizations(), 5);
      });

      test('an organization cannot become its own ancestor', async () => {
        const admin = await viewerOf((await loginAs(t, { admin: true })).cookie);
        const a = await makeOrganization(db(), { name: 'Federation' });
        const b = await makeOrganization(db(), { name: 'Region', parent: a.slug });
        const c = await makeOrganization(db(), { name: 'Local', parent: b.slug });
        assert.deepEqual(await rejectedFields(updateOrganization(db(), admin, a.slug, { ...valid, name: 'Federation', parent: c.slug })), [['parent', 'validation.parent_cycle']]);
        assert.deepEqual(await rejectedFields(updateOrganization(db(), admin, a.slug, { ...valid, name: 'Federation', parent: a.slug })), [['parent', 'validation.parent_cycle']]);
        assert.deepEqual(await rejectedFields(updateOrganization(db(), admin, a.slug, { ...valid, name: 'Federation', parent: 'nowhere' })), [['parent', 'validation.parent_unknown']]);
        const row = await db().selectFrom('organizations').select(['name', 'parent_id']).where('id', '=', a.id).executeTakeFirstOrThrow();
        assert.deepEqual(row, { name: 'Federation', parent_id: null });
        // Moving a leaf under another branch is fine.
        const other = await makeOrganization(db(), { name: 'Other federation' });
        await updateOrganization(db(), admin, c.slug, { ...valid, name: 'Local', parent: other.slug });
        assert.equal((await db().selectFrom('organizations').select('parent_id').where('id', '=', c.id).executeTakeFirstOrThrow()).parent_id, other.id);
      });
      test('placing an organization inside another needs a role that manages the parent; keeping the parent needs none', async () => {
        const federation = await makeOrganization(db(), { name: 'Federation' });
        const me = await loginAs(t);
        const viewer = await viewerOf(me.cookie);
        assert.deepEqual(await rejectedFields(createOrganization(db(), viewer, { ...valid, name: 'Squatter', parent: federation.slug })), [['parent', 'validation.parent_not_yours']]);
        const coordinator = await loginAs(t, { roles: [[federation.id, 'coordinator']] });
        const local = await createOrganization(db(), await viewerOf(coordinator.cookie), { ...valid, name: 'Local branch', parent: federation.slug });
        // The local's own admin (no role in the federation) may edit it and keep the parent.
        const localAdmin = await loginAs(t, { roles: [[local.id, 'admin']] });
        await updateOrganization(db(), await viewerOf(localAdmin.cookie), local.slug, { ...valid, name: 'Local branch', city: 'Essen', parent: federation.slug });
        const row = await db().selectFrom('organizations').select(['city', 'parent_id']).where('id', '=', local.id).executeTakeFirstOrThrow();
        assert.deepEqual({ ...row }, { city: 'Essen', parent_id: federation.id });
      });
    });

    describe('organization page links', () => {
      test('members see the members page link; only admins see the audit log link', async () => {
        const org = await makeOrganization(db(), { name: 'Ortsgruppe Süd' });
        const page = async (cookie?: string) =>
          (await t.app.inject({ method: 'GET', url: `/organizations/${org.slug}`, headers: cookie ? { cookie } : {} })).body;
        const anonymous = await page();
        assert.ok(!anonymous.includes(`/organizations/${org.slug}/members`));
        const member = await page((await loginAs(t, { roles: [[org.id, 'member']] })).cookie);
        assert.ok(member.includes(`href="/organizations/${org.slug}/members"`));
        assert.ok(!member.includes(`/organizations/${org.slug}/audit`));
        const admin = await page((await loginAs(t, { roles: [[org.id, 'admin']] })).cookie);
        assert.ok(admin.includes(`href="/organizations/${org.slug}/audit"`));
      });
    });

    describe('page form', () => {
      test('a signed-in person creates an organization: 303 to its page, stored, and becomes its admin', async () => {
        const me = await loginAs(t);
        const s = await formSession(t, '/organizations/new', me.cookie);
        const res = await t.app.inject({
          method: 'POST',
          url: '/organizations/new',
          headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: form({
            _csrf: s.csrf,
            name: 'Maden-İş Sendikası',
            kind: 'union',
            country: 'tr',
            city: 'Soma',
            languages: 'tr, ku',
            website: 'https://maden-is.example.org',
            contactEmail: '',
            description: 'Miners in Soma.\r\nSince 1947.',
            descriptionLang: 'tr',
            visibility: 'public',
            parent: '',
          }),
        });
        assert.equal(res.statusCode, 303);
        assert.equal(res.headers.location, '/organizations/maden-is-sendikasi');
        const row = await db().selectFrom('organizations').selectAll().where('slug', '=', 'maden-is-sendikasi').executeTakeFirstOrThrow();
        assert.equal(row.name, 'Maden-İş Sendikası');
        assert.equal(row.country, 'TR');
        assert.equal(row.city, 'Soma');
        assert.equal(row.website, 'https://maden-is.example.org/');
        assert.equal(row.contact_email, null);
        assert.equal(row.description, 'Miners in Soma.\nSince 1947.');
        assert.equal(row.created_by, me.userId);
        const langs = await db().selectFrom('organization_languages').select(['language', 'position']).where('organization_id', '=', row.id).orderBy('position').execute();
        assert.deepEqual(langs, [{ language: 'tr', position: 0 }, { language: 'ku', position: 1 }]);
        const members = await db().selectFrom('organization_members').select(['user_id', 'role']).where('organization_id', '=', row.id).execute();
        assert.deepEqual(members, [{ user_id: me.userId, role: 'admin' }]);
        const audit = await db().selectFrom('audit_events').select(['action', 'actor_user_id', 'organization_id', 'subject_id', 'details']).execute();
        assert.deepEqual(audit.map((a) => ({ ...a })), [
          { action: 'organization.created', actor_user_id: me.userId, organization_id: row.id, subject_id: row.id, details: '{"slug":"maden-is-sendikasi"}' },
        ]);
      });

      test('the creator then sees the new page with an edit link', async () => {
        const me = await loginAs(t);
        const s = await formSession(t, '/organizations/new', me.cookie);
        const res = await t.app.inject({
          method: 'POST',
          url: '/organizations/new',
          headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: form({ _csrf: s.csrf, name: 'Kolwezi Miners', kind: 'union', country: 'CD', visibility: 'members' }),
        });
        assert.equal(res.statusCode, 303);
        const page = await get(res.headers.location as string, me.cookie);
        assert.equal(page.statusCode, 200);
        assert.match(page.body, /<h1><bdi>Kolwezi Miners<\/bdi><\/h1>/);
        assert.match(page.body, /href="\/organizations\/kolwezi-miners\/edit"/);
      });

      test('bad input re-renders the form with 422, field errors and the typed values; nothing is saved', async () => {
        const me = await loginAs(t);
        const s = await formSession(t, '/organizations/new', me.cookie);
        const res = await t.app.inject({
          method: 'POST',
          url: '/organizations/new',
          headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: form({ _csrf: s.csrf, name: 'Union <b>', kind: 'union', country: 'XX', website: 'not a url', city: 'Lubumbashi' }),
        });
        assert.equal(res.statusCode, 422);
        assert.match(String(res.headers['content-type']), /^text\/html/);
        assert.match(res.body, /<div class="error-summary" role="alert">/);
        for (const name of ['name', 'country', 'website']) {
          assert.match(res.body, new RegExp(`id="f-${name}" name="${name}"[^>]*aria-invalid="true"`), name);
        }
        assert.doesNotMatch(res.body, /id="f-city" name="city"[^>]*aria-invalid/);
        assert.match(res.body, /Names may not contain line breaks, angle brackets/);
        assert.match(res.body, /Choose a country \(ISO 3166-1 code such as DE or CD\)/);
        assert.match(res.body, /Use a full web address starting with http:\/\/ or https:\/\//);
        // Typed values come back, escaped.
        assert.match(res.body, /value="Lubumbashi"/);
        assert.doesNotMatch(res.body, /Union <b>/);
        assert.match(res.body, /value="Union &lt;b>"|value="Union &lt;b&gt;"/);
        assert.equal(await countOrganizations(), 0);
      });

      test('a form POST without a CSRF token (or with a wrong one) is refused with 403 and nothing is saved', async () => {
        const me = await loginAs(t);
        const body = { name: 'Forged Union', kind: 'union', country: 'DE' };
        const none = await t.app.inject({
          method: 'POST',
          url: '/organizations/new',
          headers: { cookie: me.cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: form(body),
        });
        assert.equal(none.statusCode, 403);
        assert.match(String(none.headers['content-type']), /^text\/html/);
        assert.match(none.body, /The form has expired/);
        const s = await formSession(t, '/organizations/new', me.cookie);
        const wrong = await t.app.inject({
          method: 'POST',
          url: '/organizations/new',
          headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: form({ ...body, _csrf: `${s.csrf.slice(0, -2)}xx` }),
        });
        assert.equal(wrong.statusCode, 403);
        assert.equal(await countOrganizations(), 0);
      });

      test('the new-organization page needs a signed-in account (401)', async () => {
        const res = await get('/organizations/new');
        assert.equal(res.statusCode, 401);
        assert.match(res.body, /Please sign in to continue/);
      });
    });

    describe('API create', () => {
      const body = { name: 'Syndicat des mineurs', kind: 'union', country: 'cd', city: 'Kolwezi', languages: ['fr', 'sw'], visibility: 'public' };

      test('201 with Location and the stored organization', async () => {
        const me = await loginAs(t);
        const res = await postJson('/api/v1/organizations', body, me.cookie);
        assert.equal(res.statusCode, 201);
        assert.equal(res.headers.location, '/api/v1/organizations/syndicat-des-mineurs');
        const out = res.json();
        assert.deepEqual(Object.keys(out).sort(), [
          'children', 'city', 'contactEmail', 'country', 'createdAt', 'description', 'descriptionLang', 'id', 'kind',
          'languages', 'name', 'networks', 'parent', 'slug', 'updatedAt', 'visibility', 'website',
        ]);
        assert.equal(out.slug, 'syndicat-des-mineurs');
        assert.equal(out.name, 'Syndicat des mineurs');
        assert.equal(out.country, 'CD');
        assert.equal(out.city, 'Kolwezi');
        assert.deepEqual(out.languages, ['fr', 'sw']);
        assert.equal(out.descriptionLang, 'fr');
        assert.equal(out.parent, null);
        assert.deepEqual(out.children, []);
        assert.deepEqual(out.networks, []);
        assert.match(out.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        const row = await db().selectFrom('organizations').select(['id', 'created_by']).where('slug', '=', out.slug).executeTakeFirstOrThrow();
        assert.deepEqual(row, { id: out.id, created_by: me.userId });
      });

      test('401 problem+json for an anonymous request; nothing saved', async () => {
        const res = await postJson('/api/v1/organizations', body);
        assert.equal(res.statusCode, 401);
        const p = problem(res);
        assert.equal(p.code, 'sign_in_required');
        assert.equal(p.status, 401);
        assert.equal(p.type, 'urn:solidaris:problem:sign_in_required');
        assert.equal(await countOrganizations(), 0);
      });

      test('400 naming an unknown body field in errors[0].field', async () => {
        const me = await loginAs(t);
        const res = await postJson('/api/v1/organizations', { ...body, founded: 1947 }, me.cookie);
        assert.equal(res.statusCode, 400);
        const p = problem(res);
        assert.equal(p.code, 'invalid_request');
        assert.equal(p.errors?.[0]?.field, 'founded');
        assert.equal(p.errors?.[0]?.code, 'unknown_field');
        assert.equal(await countOrganizations(), 0);
      });

      test('400 with the field of a domain rule (country XX)', async () => {
        const me = await loginAs(t);
        const res = await postJson('/api/v1/organizations', { ...body, country: 'XX' }, me.cookie);
        assert.equal(res.statusCode, 400);
        const p = problem(res);
        assert.equal(p.code, 'validation_failed');
        assert.deepEqual(p.errors, [{ field: 'country', code: 'country', detail: 'Choose a country (ISO 3166-1 code such as DE or CD)' }]);
        assert.equal(await countOrganizations(), 0);
      });

      test('415 for a body that is not application/json', async () => {
        const me = await loginAs(t);
        for (const [type, payload] of [
          ['text/plain', JSON.stringify(body)],
          ['application/x-www-form-urlencoded', form({ name: 'X', kind: 'union', country: 'DE' })],
        ]) {
          const res = await t.app.inject({ method: 'POST', url: '/api/v1/organizations', payload, headers: { 'content-type': type!, cookie: me.cookie } });
          assert.equal(res.statusCode, 415, type);
          assert.equal(problem(res).code, 'unsupported_media_type');
        }
        assert.equal(await countOrganizations(), 0);
      });
    });

    describe('API list', () => {
      const NAMES = 'ABCDEFGHIJKL'.split('').map((c) => `Federation ${c}`);
      let created: string[];

      beforeEach(async () => {
        created = [];
        // One transaction: the same service calls, much faster on PostgreSQL.
        await db().transaction().execute(async (tx) => {
          for (let i = 0; i < 120; i++) {
            const { slug } = await makeOrganization(tx, {
              name: NAMES[i % NAMES.length],
              country: ['DE', 'TR', 'CD'][i % 3],
              kind: i % 2 ? 'union' : 'women',
              city: i % 5 === 0 ? 'Essen' : null,
            });
            created.push(slug);
          }
        });
      });

      async function pageThrough(query: string, limit: number) {
        const slugs: string[] = [];
        const sizes: number[] = [];
        const totals = new Set<number>();
        let after: string | null = null;
        for (let guard = 0; guard < 50; guard++) {
          const res = await get(`/api/v1/organizations?${query}&limit=${limit}${after ? `&after=${after}` : ''}`);
          assert.equal(res.statusCode, 200);
          const out = res.json() as { items: { slug: string; name: string }[]; total: number; next: string | null };
          slugs.push(...out.items.map((i) => i.slug));
          sizes.push(out.items.length);
          totals.add(out.total);
          after = out.next;
          if (!after) break;
        }
        return { slugs, sizes, totals: [...totals] };
      }

      test('120 organizations paged 50 at a time: 50, 50, 20, no duplicates, total 120 on every page', async () => {
        const r = await pageThrough('', 50);
        assert.deepEqual(r.sizes, [50, 50, 20]);
        assert.deepEqual(r.totals, [120]);
        assert.equal(new Set(r.slugs).size, 120);
        assert.deepEqual([...r.slugs].sort(), [...created].sort());
      });

      test('items come sorted by name with the fields of a summary', async () => {
        const res = await get('/api/v1/organizations?limit=100');
        const out = res.json() as { items: Record<string, unknown>[] };
        assert.deepEqual(Object.keys(out.items[0]!).sort(), ['city', 'country', 'kind', 'name', 'slug']);
        const names = out.items.map((i) => i.name as string);
        assert.deepEqual(names, [...names].sort());
        assert.deepEqual(out.items.slice(0, 10).map((i) => i.name), Array(10).fill('Federation A'));
      });

      test('filters by country (any case), kind and words of name or city, with paging', async () => {
        const total = async (q: string) => (await get(`/api/v1/organizations?${q}`)).json().total as number;
        assert.equal(await total('country=DE'), 40);
        assert.equal(await total('country=de'), 40);
        assert.equal(await total('kind=women'), 60);
        assert.equal(await total('country=TR&kind=union'), 20);
        assert.equal(await total('q=federation%20b'), 10);
        assert.equal(await total('q=ESSEN'), 24);
        assert.equal(await total('q=essen&country=DE'), 8);
        assert.equal(await total('country=FR'), 0);
        const r = await pageThrough('country=DE', 15);
        assert.deepEqual(r.sizes, [15, 15, 10]);
        assert.deepEqual(r.totals, [40]);
        assert.equal(new Set(r.slugs).size, 40);
      });

      test('bad limits, kinds and cursors are 400 with the field named', async () => {
        for (const [q, field] of [
          ['limit=0', 'limit'],
          ['limit=101', 'limit'],
          ['kind=company', 'kind'],
          ['after=not-a-cursor', 'after'],
          ['sort=name', 'sort'],
        ]) {
          const res = await get(`/api/v1/organizations?${q}`);
          assert.equal(res.statusCode, 400, q);
          assert.equal(problem(res).errors?.[0]?.field, field, q);
        }
      });

      test('the page lists the same organizations with a count and a next-page link', async () => {
        const res = await get('/organizations?country=TR&kind=union');
        assert.equal(res.statusCode, 200);
        assert.match(res.body, /<p class="count" role="status">20 organizations<\/p>/);
        assert.equal(res.body.match(/<li>\s*<a href="\/organizations\//g)?.length, 20);
        assert.doesNotMatch(res.body, /rel="next"/);
        const all = await get('/organizations');
        assert.match(all.body, /120 organizations/);
        assert.equal(all.body.match(/<li>\s*<a href="\/organizations\//g)?.length, 50);
        const next = /<a rel="next" href="([^"]+)"/.exec(all.body)?.[1]?.replace(/&amp;/g, '&');
        assert.ok(next?.startsWith('/organizations?after='));
        const second = await get(next!);
        assert.equal(second.body.match(/<li>\s*<a href="\/organizations\//g)?.length, 50);
      });
    });

    describe('visibility', () => {
      let open: { id: string; slug: string };
      let closed: { id: string; slug: string };
      beforeEach(async () => {
        open = await makeOrganization(db(), { name: 'Open Union' });
        closed = await makeOrganization(db(), { name: 'Closed Circle', visibility: 'members' });
      });

      async function assertHidden(cookie?: string) {
        const page = await get(`/organizations/${closed.slug}`, cookie);
        assert.equal(page.statusCode, 404);
        assert.match(String(page.headers['content-type']), /^text\/html/);
        const api = await get(`/api/v1/organizations/${closed.slug}`, cookie);
        assert.equal(api.statusCode, 404);
        assert.equal(problem(api).code, 'not_found');
        const list = (await get('/api/v1/organizations', cookie)).json();
        assert.deepEqual(list.items.map((i: { slug: string }) => i.slug), [open.slug]);
        assert.equal(list.total, 1);
        const html = (await get('/organizations', cookie)).body;
        assert.match(html, /1 organization</);
        assert.doesNotMatch(html, /Closed Circle/);
      }

      test('a members-only organization is invisible to anonymous visitors', async () => {
        await assertHidden();
      });

      test('… and to a signed-in person who belongs to no organization', async () => {
        await assertHidden((await loginAs(t)).cookie);
      });

      test('… and to a member of another organization', async () => {
        await assertHidden((await loginAs(t, { roles: [[open.id, 'admin']] })).cookie);
      });

      test('a member (any role) sees it in the list, the count and the detail', async () => {
        const { cookie } = await loginAs(t, { roles: [[closed.id, 'viewer']] });
        const page = await get(`/organizations/${closed.slug}`, cookie);
        assert.equal(page.statusCode, 200);
        assert.match(page.body, /Closed Circle/);
        assert.equal((await get(`/api/v1/organizations/${closed.slug}`, cookie)).json().visibility, 'members');
        const list = (await get('/api/v1/organizations', cookie)).json();
        assert.deepEqual(list.items.map((i: { slug: string }) => i.slug), [closed.slug, open.slug]);
        assert.equal(list.total, 2);
      });

      test('an instance administrator sees it', async () => {
        const { cookie } = await loginAs(t, { admin: true });
        assert.equal((await get(`/organizations/${closed.slug}`, cookie)).statusCode, 200);
        assert.equal((await get('/api/v1/organizations', cookie)).json().total, 2);
      });
    });

    describe('editing', () => {
      let org: { id: string; slug: string };
      const update = { name: 'Miners Union Ruhr', kind: 'union', country: 'DE', city: 'Bochum', visibility: 'public' };
      beforeEach(async () => {
        org = await makeOrganization(db(), { name: 'Miners Union' });
      });

      test('anonymous: API PUT 401, page edit 401', async () => {
        assert.equal((await postJson(`/api/v1/organizations/${org.slug}`, update, undefined, 'PUT')).statusCode, 401);
        assert.equal((await get(`/organizations/${org.slug}/edit`)).statusCode, 401);
      });

      test('a plain member may not edit: API PUT 403, page POST 403, record unchanged', async () => {
        const { cookie } = await loginAs(t, { roles: [[org.id, 'member']] });
        const api = await postJson(`/api/v1/organizations/${org.slug}`, update, cookie, 'PUT');
        assert.equal(api.statusCode, 403);
        assert.equal(problem(api).code, 'forbidden');
        const s = await formSession(t, `/organizations/${org.slug}`, cookie);
        const page = await t.app.inject({
          method: 'POST',
          url: `/organizations/${org.slug}/edit`,
          headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: form({ _csrf: s.csrf, ...update }),
        });
        assert.equal(page.statusCode, 403);
        assert.doesNotMatch((await get(`/organizations/${org.slug}`, cookie)).body, new RegExp(`/organizations/${org.slug}/edit`));
        const row = await db().selectFrom('organizations').select(['name', 'city']).where('id', '=', org.id).executeTakeFirstOrThrow();
        assert.deepEqual(row, { name: 'Miners Union', city: null });
      });

      test('a plain member asking for the edit page gets 403 (the record is visible to them)', async () => {
        const { cookie } = await loginAs(t, { roles: [[org.id, 'member']] });
        assert.equal((await get(`/organizations/${org.slug}/edit`, cookie)).statusCode, 403);
      });

      test('a coordinator may edit through the API and the page form', async () => {
        const { cookie } = await loginAs(t, { roles: [[org.id, 'coordinator']] });
        const api = await postJson(`/api/v1/organizations/${org.slug}`, update, cookie, 'PUT');
        assert.equal(api.statusCode, 200);
        assert.equal(api.json().name, 'Miners Union Ruhr');
        assert.equal(api.json().slug, 'miners-union');
        const s = await formSession(t, `/organizations/${org.slug}/edit`, cookie);
        const page = await t.app.inject({
          method: 'POST',
          url: `/organizations/${org.slug}/edit`,
          headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: form({ _csrf: s.csrf, ...update, name: 'IG Bergbau', slug: 'ig-bergbau' }),
        });
        assert.equal(page.statusCode, 303);
        assert.equal(page.headers.location, '/organizations/ig-bergbau');
        const row = await db().selectFrom('organizations').select(['name', 'slug', 'city']).where('id', '=', org.id).executeTakeFirstOrThrow();
        assert.deepEqual(row, { name: 'IG Bergbau', slug: 'ig-bergbau', city: 'Bochum' });
        // Each edit is in the organization's audit log with the names of the fields it changed.
        const audit = await db().selectFrom('audit_events').select(['action', 'organization_id', 'details']).where('action', '=', 'organization.updated').orderBy('at').orderBy('id').execute();
        assert.deepEqual(audit.map((a) => [a.action, a.organization_id, JSON.parse(a.details)]), [
          ['organization.updated', org.id, { fields: ['name', 'city'] }],
          ['organization.updated', org.id, { fields: ['name', 'slug'] }],
        ]);
      });

      test('an instance administrator may edit', async () => {
        const { cookie } = await loginAs(t, { admin: true });
        const api = await postJson(`/api/v1/organizations/${org.slug}`, update, cookie, 'PUT');
        assert.equal(api.statusCode, 200);
        assert.equal(api.json().city, 'Bochum');
      });
    });
  });
}
