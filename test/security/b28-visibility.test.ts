import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { ENGINES } from '../helpers/db.ts';
import { buildTestApp, loginAs, type TestApp } from '../helpers/app.ts';
import { makeNetwork, makeNetworkMembership, makeOrganization, makeStruggle } from '../helpers/factories.ts';
import { addStruggleUpdate } from '../../src/modules/struggles/struggles.service.ts';
import { readFileSync } from 'node:fs';

/**
 * Case B28 (test/fixtures/cases/B28.json) with what exists today: the private legal-aid circle of the
 * public organization "Kollektiv Nord" is a private struggle with two updates; the public
 * activity is a public struggle with one update. Anonymous visitors and signed-in non-members see
 * only the public one on every surface — pages, counts, the map, search, the API — and every GET
 * route of the app is probed, so a new surface (a feed, an export) is checked the day it lands.
 * Members with the role `private` requires (admin, coordinator) see all three.
 */

const B28 = JSON.parse(readFileSync(new URL('../fixtures/cases/B28.json', import.meta.url), 'utf8')) as {
  org: { id: string };
  circle: { id: string; org: string };
  activities: { id: string; scope: string; summary: string }[];
};
const ORG = { slug: B28.org.id, name: 'Kollektiv Nord' };
const PRIVATE = {
  slug: B28.circle.id,
  title: 'Rechtshilfe-Kreis Fallarbeit',
  demands: 'Begleitung zur Anhörung 2026-06-10 VG Berlin',
  country: 'IR',
  updates: B28.activities.filter((a) => a.scope === B28.circle.id).map((a) => a.summary),
};
const PUBLIC = {
  slug: 'infoabend-asylrecht',
  title: 'Infoabend Asylrecht',
  country: 'DE',
  update: B28.activities.find((a) => a.scope === B28.org.id)!.summary,
};
/** Strings that only the private circle contains (the search word alone is echoed in the search box). */
const SECRETS = [PRIVATE.title, PRIVATE.slug, PRIVATE.updates[0]!, PRIVATE.updates[1]!, 'Fall 2026-017', '2026-06-10', 'VG Berlin'];

const leaks = (body: string) => SECRETS.filter((s) => body.includes(s));
/** The page with the per-response parts (CSRF token, the requested slug echoed in links) made neutral. */
const normalized = (res: LightMyRequestResponse, slug: string) =>
  res.body.replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value=""').replaceAll(slug, '{slug}');

for (const engine of ENGINES) {
  describe(`B28: a private circle stays private on every surface (${engine})`, () => {
    let t: TestApp;
    const cookies: Record<'anonymous' | 'outsider' | 'caseworker' | 'member', string> = { anonymous: '', outsider: '', caseworker: '', member: '' };
    const outsiders = ['anonymous', 'outsider'] as const;

    before(async () => {
      t = await buildTestApp(engine);
      const db = t.db.db;
      const org = await makeOrganization(db, { name: ORG.name, slug: ORG.slug, country: 'DE', visibility: 'public' });
      await makeStruggle(db, { title: PRIVATE.title, slug: PRIVATE.slug, demands: PRIVATE.demands, country: PRIVATE.country, kind: 'legal', sector: 'other', visibility: 'private', organization: ORG.slug });
      await makeStruggle(db, { title: PUBLIC.title, slug: PUBLIC.slug, country: PUBLIC.country, kind: 'campaign', sector: 'other', visibility: 'public', organization: ORG.slug });
      for (const body of PRIVATE.updates) await addStruggleUpdate(db, null, PRIVATE.slug, { date: '2026-05-20', body, lang: 'de' }, { trusted: true });
      await addStruggleUpdate(db, null, PUBLIC.slug, { date: '2026-05-20', body: PUBLIC.update, lang: 'de' }, { trusted: true });
      // A network with the organization in it, so network pages list it too.
      await makeNetwork(db, { name: 'Netzwerk Asyl', slug: 'netzwerk-asyl' });
      await makeNetworkMembership(db, 'netzwerk-asyl', ORG.slug);
      cookies.outsider = (await loginAs(t, { name: 'u_other' })).cookie;
      cookies.caseworker = (await loginAs(t, { name: 'u_caseworker', roles: [[org.id, 'coordinator']] })).cookie;
      cookies.member = (await loginAs(t, { name: 'u_member', roles: [[org.id, 'member']] })).cookie;
    });
    after(async () => {
      await t?.close();
    });

    const get = (url: string, who: keyof typeof cookies) => t.app.inject({ method: 'GET', url, headers: cookies[who] ? { cookie: cookies[who], 'accept-language': 'en' } : { 'accept-language': 'en' } });

    test('home page: no private title, and the counts and the map count only the public struggle', async () => {
      for (const who of outsiders) {
        const res = await get('/', who);
        assert.equal(res.statusCode, 200);
        assert.deepEqual(leaks(res.body), [], who);
        assert.ok(res.body.includes(PUBLIC.title), who);
        assert.match(res.body, /1 struggle in 1 country\./, who);
        assert.ok(!res.body.includes(`/struggles?country=${PRIVATE.country}`), `${who}: the map links the private struggle's country`);
        assert.ok(res.body.includes('Iran: no struggles'), `${who}: the map counts the private struggle's country`);
        assert.ok(!/<td><a href="\/struggles\?country=IR">/.test(res.body), `${who}: the country table lists the private struggle's country`);
      }
      const res = await get('/', 'caseworker');
      assert.ok(res.body.includes(PRIVATE.title));
      assert.match(res.body, /2 struggles in 2 countries\./);
      assert.ok(res.body.includes(`/struggles?country=${PRIVATE.country}`));
      assert.ok(res.body.includes('Iran: 1 struggle'));
    });

    test('organization page and API: only the public struggle', async () => {
      for (const who of outsiders) {
        for (const url of [`/organizations/${ORG.slug}`, `/api/v1/organizations/${ORG.slug}`]) {
          const res = await get(url, who);
          assert.equal(res.statusCode, 200, url);
          assert.deepEqual(leaks(res.body), [], `${who} ${url}`);
        }
        assert.ok((await get(`/organizations/${ORG.slug}`, who)).body.includes(PUBLIC.title));
      }
      assert.ok((await get(`/organizations/${ORG.slug}`, 'caseworker')).body.includes(PRIVATE.title));
    });

    test('struggle list and API list: one row, total 1; members with the required role: 2', async () => {
      for (const who of outsiders) {
        const page = await get('/struggles', who);
        assert.deepEqual(leaks(page.body), [], who);
        assert.match(page.body, /<p class="count" role="status">1 struggle<\/p>/, who);
        const api = (await get('/api/v1/struggles', who)).json() as { items: { slug: string }[]; total: number };
        assert.deepEqual(api.items.map((i) => i.slug), [PUBLIC.slug], who);
        assert.equal(api.total, 1, who);
        const country = (await get(`/api/v1/struggles?country=${PRIVATE.country}`, who)).json() as { items: unknown[]; total: number };
        assert.deepEqual([country.items.length, country.total], [0, 0], `${who}: filtering by the private struggle's country`);
      }
      const api = (await get('/api/v1/struggles', 'caseworker')).json() as { total: number };
      assert.equal(api.total, 2);
      // `private` needs admin or coordinator: a plain member does not see it either.
      const member = (await get('/api/v1/struggles', 'member')).json() as { total: number };
      assert.equal(member.total, 1);
    });

    test('search for "Anhörung": no row, no count, no snippet for outsiders; the caseworker finds it', async () => {
      const q = encodeURIComponent('Anhörung');
      for (const who of outsiders) {
        const page = await get(`/struggles?q=${q}`, who);
        assert.equal(page.statusCode, 200);
        assert.deepEqual(leaks(page.body), [], who);
        assert.match(page.body, /<p class="count" role="status">No struggles<\/p>/, who);
        assert.ok(!page.body.includes(`/struggles/${PRIVATE.slug}`), who);
        const api = (await get(`/api/v1/struggles?q=${q}`, who)).json() as { items: unknown[]; total: number };
        assert.deepEqual([api.items.length, api.total], [0, 0], who);
        const orgs = await get(`/organizations?q=${q}`, who);
        assert.deepEqual(leaks(orgs.body), [], who);
      }
      const page = await get(`/struggles?q=${q}`, 'caseworker');
      assert.match(page.body, /<p class="count" role="status">1 struggle<\/p>/);
      assert.ok(page.body.includes(PRIVATE.title));
      const api = (await get(`/api/v1/struggles?q=${q}`, 'caseworker')).json() as { total: number };
      assert.equal(api.total, 1);
    });

    test('the private struggle answers 404 exactly like a slug that never existed (page and API)', async () => {
      for (const who of outsiders) {
        for (const prefix of ['/struggles/', '/api/v1/struggles/']) {
          const hidden = await get(`${prefix}${PRIVATE.slug}`, who);
          const missing = await get(`${prefix}never-existed-x`, who);
          assert.equal(hidden.statusCode, 404, `${who} ${prefix}`);
          assert.equal(missing.statusCode, 404);
          assert.equal(hidden.headers['content-type'], missing.headers['content-type']);
          assert.equal(normalized(hidden, PRIVATE.slug), normalized(missing, 'never-existed-x'), `${who} ${prefix}`);
          assert.deepEqual(leaks(hidden.body.replaceAll(PRIVATE.slug, '')), []);
        }
        const pub = await get(`/struggles/${PUBLIC.slug}`, who);
        assert.equal(pub.statusCode, 200);
        assert.ok(pub.body.includes(PUBLIC.update));
      }
    });

    test('the caseworker sees the circle and both of its updates (page and API)', async () => {
      const page = await get(`/struggles/${PRIVATE.slug}`, 'caseworker');
      assert.equal(page.statusCode, 200);
      for (const u of PRIVATE.updates) assert.ok(page.body.includes(u), u);
      const api = (await get(`/api/v1/struggles/${PRIVATE.slug}`, 'caseworker')).json() as { updates: { body: string }[] };
      assert.deepEqual(api.updates.map((u) => u.body).sort(), [...PRIVATE.updates].sort());
      const pub = await get(`/struggles/${PUBLIC.slug}`, 'caseworker');
      assert.ok(pub.body.includes(PUBLIC.update));
    });

    test('every GET route of the app (with fillable parameters, plain and with ?q=Anhörung) shows outsiders nothing of the circle', async (tt) => {
      const fill: Record<string, string[]> = {
        organizations: [ORG.slug],
        struggles: [PRIVATE.slug, PUBLIC.slug],
        networks: ['netzwerk-asyl'],
      };
      const urls = new Set<string>();
      const unfilled: string[] = [];
      for (const r of t.app.routeTable) {
        if (r.method !== 'GET' || r.url.includes('*')) continue;
        const params = r.url.match(/:\w+/g) ?? [];
        if (!params.length) {
          urls.add(r.url);
          urls.add(`${r.url}?q=${encodeURIComponent('Anhörung')}`);
          continue;
        }
        if (params.length === 1 && params[0] === ':token') {
          urls.add(r.url.replace(':token', 'not-a-valid-token-0000000000'));
          continue;
        }
        const kind = /^\/(?:api\/v1\/)?(\w+)\//.exec(r.url)?.[1] ?? '';
        if (params.length !== 1 || params[0] !== ':slug' || !fill[kind]) {
          unfilled.push(r.url);
          continue;
        }
        for (const slug of fill[kind]!) urls.add(r.url.replace(':slug', slug));
      }
      let probes = 0;
      for (const url of urls) {
        for (const who of outsiders) {
          const res = await get(url, who);
          probes += 1;
          // What the request named (the private slug in its own URL) is echoed in links: no leak.
          const body = res.body.replaceAll(PRIVATE.slug, '');
          assert.deepEqual(leaks(body), [], `${who} GET ${url} (${res.statusCode})`);
          assert.ok(res.statusCode < 500, `${who} GET ${url}: ${res.statusCode}`);
        }
      }
      tt.diagnostic(`B28 ${engine}: ${probes} GET probes over ${urls.size} URLs; not probed (parameters the fixture cannot fill): ${unfilled.join(', ') || 'none'}`);
      assert.ok(urls.size >= 10);
    });
  });
}
