import { describe, test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES } from '../../../test/helpers/db.ts';
import { useTestApp, form, formSession, loginAs, type TestApp } from '../../../test/helpers/app.ts';
import { makeNetwork, makeNetworkMembership, makeOrganization } from '../../../test/helpers/factories.ts';

const JSON_HEADERS = { 'content-type': 'application/json' };

for (const engine of ENGINES) {
  describe(engine, () => {
    const t = useTestApp(engine);

    /** A network with a public German and Brazilian member, a members-only Turkish one and a former French one. */
    async function scenario() {
      const net = await makeNetwork(t.db.db, { name: 'Automotive workers', sector: 'automotive', description: 'Gemeinsam gegen Werksschließungen', descriptionLang: 'de' });
      const de = await makeOrganization(t.db.db, { name: 'Betriebsgruppe Rüsselsheim', country: 'DE' });
      const br = await makeOrganization(t.db.db, { name: 'Metalúrgicos do ABC', country: 'BR' });
      const hidden = await makeOrganization(t.db.db, { name: 'Secret cell', country: 'TR', visibility: 'members' });
      const former = await makeOrganization(t.db.db, { name: 'Former friends', country: 'FR' });
      await makeNetworkMembership(t.db.db, net.slug, de.slug, { role: 'coordinator', since: '2023-01-01' });
      const brM = await makeNetworkMembership(t.db.db, net.slug, br.slug, { role: 'observer', since: '2024-03-01' });
      await makeNetworkMembership(t.db.db, net.slug, hidden.slug, { since: '2024-01-01' });
      await makeNetworkMembership(t.db.db, net.slug, former.slug, { since: '2019-01-01', until: '2020-01-01' });
      await makeNetwork(t.db.db, { name: 'Miners', sector: 'mining' });
      return { net, de, br, brM, hidden, former };
    }

    describe('pages', () => {
      test('the list filters by sector and counts visible current members', async () => {
        const { net } = await scenario();
        const all = await t.app.inject({ url: '/networks' });
        assert.equal(all.statusCode, 200);
        assert.match(all.body, /2 networks/);
        assert.match(all.body, /Automotive workers/);
        assert.match(all.body, /2 member organizations/, 'the members-only and the former member are not counted');
        const mining = await t.app.inject({ url: '/networks?sector=mining' });
        assert.match(mining.body, /1 network</);
        assert.doesNotMatch(mining.body, new RegExp(`/networks/${net.slug}"`));
        const bogus = await t.app.inject({ url: '/networks?sector=nonsense&after=garbage' });
        assert.equal(bogus.statusCode, 200);
        assert.match(bogus.body, /2 networks/);
      });

      test('the detail page hides members-only organizations from outsiders and shows them to their members', async () => {
        const { net, hidden } = await scenario();
        const anon = await t.app.inject({ url: `/networks/${net.slug}` });
        assert.equal(anon.statusCode, 200);
        assert.match(anon.body, /<div class="prose" lang="de" dir="auto">Gemeinsam gegen Werksschließungen<\/div>/);
        assert.match(anon.body, /<h3>Germany<\/h3>/);
        assert.match(anon.body, /<h3>Brazil<\/h3>/);
        assert.match(anon.body, /Betriebsgruppe Rüsselsheim/);
        assert.match(anon.body, /Coordinator/);
        assert.match(anon.body, /former member/);
        assert.doesNotMatch(anon.body, /Secret cell/);
        assert.doesNotMatch(anon.body, /Turkey|Türkiye/);
        assert.doesNotMatch(anon.body, /action="\/networks\/[^"]+\/members"/, 'no join form for anonymous readers');

        const member = await loginAs(t, { roles: [[hidden.id, 'member']] });
        const inside = await t.app.inject({ url: `/networks/${net.slug}`, headers: { cookie: member.cookie } });
        assert.match(inside.body, /Secret cell/);
        assert.match(inside.body, /<h3>(Turkey|Türkiye)<\/h3>/);
        const missing = await t.app.inject({ url: '/networks/nope' });
        assert.equal(missing.statusCode, 404);
      });

      test('German readers get German texts, country names and dates', async () => {
        const { net } = await scenario();
        const list = await t.app.inject({ url: '/networks', headers: { 'accept-language': 'de-DE,de;q=0.9' } });
        assert.match(list.body, /<h1>Branchennetzwerke<\/h1>/);
        assert.match(list.body, /Automobil · 2 Mitgliedsorganisationen/);
        const detail = await t.app.inject({ url: `/networks/${net.slug}`, headers: { 'accept-language': 'de' } });
        assert.match(detail.body, /<h3>Deutschland<\/h3>/);
        assert.match(detail.body, /Mitgliedsorganisationen nach Land/);
        assert.match(detail.body, /Koordination/);
        assert.match(detail.body, /seit <time datetime="2023-01-01">01\.01\.2023<\/time>/);
        assert.match(detail.body, /ehemaliges Mitglied/);
      });

      test('creating a network: sign-in needed, 422 with field errors and kept values, then a redirect', async () => {
        const anon = await t.app.inject({ url: '/networks/new' });
        assert.equal(anon.statusCode, 401);
        const me = await loginAs(t);
        const s = await formSession(t, '/networks/new', me.cookie);
        const bad = await t.app.inject({
          method: 'POST',
          url: '/networks/new',
          headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: form({ _csrf: s.csrf, name: '', sector: 'steel-ish', description: 'Kept text', descriptionLang: 'en' }),
        });
        assert.equal(bad.statusCode, 422);
        assert.match(bad.body, /id="f-name"[^>]*aria-invalid="true"/);
        assert.match(bad.body, /id="f-sector"[^>]*aria-invalid="true"/);
        assert.match(bad.body, /This field is required/);
        assert.match(bad.body, /Choose one of the offered values/);
        assert.match(bad.body, />Kept text<\/textarea>/);
        const ok = await t.app.inject({
          method: 'POST',
          url: '/networks/new',
          headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: form({ _csrf: s.csrf, name: 'Women of the mines', sector: 'mining', description: '', descriptionLang: 'en' }),
        });
        assert.equal(ok.statusCode, 303);
        assert.equal(ok.headers.location, '/networks/women-of-the-mines');
        const row = await t.db.db.selectFrom('networks').selectAll().executeTakeFirstOrThrow();
        assert.equal(row.created_by, me.userId);
        const noCsrf = await t.app.inject({
          method: 'POST',
          url: '/networks/new',
          headers: { cookie: me.cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: form({ name: 'Forged', sector: 'mining' }),
        });
        assert.equal(noCsrf.statusCode, 403);
      });

      test('editing: only managers get the form; bad input re-renders with 422', async () => {
        const { net, de } = await scenario();
        const stranger = await loginAs(t);
        assert.equal((await t.app.inject({ url: `/networks/${net.slug}/edit`, headers: { cookie: stranger.cookie } })).statusCode, 404);
        const coordinator = await loginAs(t, { roles: [[de.id, 'coordinator']] });
        const s = await formSession(t, `/networks/${net.slug}/edit`, coordinator.cookie);
        const post = (values: Record<string, string>) =>
          t.app.inject({ method: 'POST', url: `/networks/${net.slug}/edit`, headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: form({ _csrf: s.csrf, ...values }) });
        const bad = await post({ name: 'Auto', sector: 'automotive', descriptionLang: 'en', slug: 'Bad Slug' });
        assert.equal(bad.statusCode, 422);
        assert.match(bad.body, /Use lower-case letters, digits and single hyphens/);
        const ok = await post({ name: 'Automotive workers worldwide', sector: 'automotive', descriptionLang: 'en', slug: 'auto-world' });
        assert.equal(ok.statusCode, 303);
        assert.equal(ok.headers.location, '/networks/auto-world');
        const strangerSession = await formSession(t, '/networks', stranger.cookie);
        const denied = await t.app.inject({
          method: 'POST',
          url: '/networks/auto-world/edit',
          headers: { cookie: strangerSession.cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: form({ _csrf: strangerSession.csrf, name: 'Taken over', sector: 'automotive' }),
        });
        assert.equal(denied.statusCode, 403);
      });

      test('an organization leader joins through the page; bad dates re-render with 422', async () => {
        const { net } = await scenario();
        const org = await makeOrganization(t.db.db, { name: 'Ford Workers Group', country: 'ZA' });
        const leader = await loginAs(t, { roles: [[org.id, 'admin']] });
        const s = await formSession(t, `/networks/${net.slug}`, leader.cookie);
        const page = await t.app.inject({ url: `/networks/${net.slug}`, headers: { cookie: leader.cookie } });
        assert.match(page.body, new RegExp(`<option value="${org.slug}"[^>]*>Ford Workers Group</option>`));
        assert.match(page.body, /<option value="observer"/);
        assert.doesNotMatch(page.body, /<option value="coordinator"/, 'a joining organization cannot make itself coordinator');
        const post = (values: Record<string, string>) =>
          t.app.inject({ method: 'POST', url: `/networks/${net.slug}/members`, headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: form({ _csrf: s.csrf, ...values }) });
        const bad = await post({ organization: org.slug, role: 'member', since: '2025-05-01', until: '2025-04-30' });
        assert.equal(bad.statusCode, 422);
        assert.match(bad.body, /The last day cannot be before the first day/);
        assert.match(bad.body, /id="f-until"[^>]*value="2025-04-30"|value="2025-04-30"[^>]*id="f-until"/);
        const ok = await post({ organization: org.slug, role: 'member', since: '2025-05-01', until: '' });
        assert.equal(ok.statusCode, 303);
        const row = await t.db.db.selectFrom('network_memberships').selectAll().where('organization_id', '=', org.id).executeTakeFirstOrThrow();
        assert.deepEqual([row.role, row.since, row.until], ['member', '2025-05-01', null]);
        const dup = await post({ organization: org.slug, role: 'observer', since: '2025-05-01' });
        assert.equal(dup.statusCode, 422);
        assert.match(dup.body, /already has a membership starting on this day/);
        const coord = await post({ organization: org.slug, role: 'coordinator', since: '2026-01-01' });
        assert.equal(coord.statusCode, 403);

        // Ending its own membership from the page.
        const end = await t.app.inject({
          method: 'POST',
          url: `/networks/${net.slug}/members/${row.id}/end`,
          headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: form({ _csrf: s.csrf, until: '2025-04-01' }),
        });
        assert.equal(end.statusCode, 422);
        assert.match(end.body, /The last day cannot be before the first day/);
        const ended = await t.app.inject({
          method: 'POST',
          url: `/networks/${net.slug}/members/${row.id}/end`,
          headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: form({ _csrf: s.csrf, until: '2025-12-31' }),
        });
        assert.equal(ended.statusCode, 303);
        const after = await t.db.db.selectFrom('network_memberships').select('until').where('id', '=', row.id).executeTakeFirstOrThrow();
        assert.equal(after.until, '2025-12-31');
      });
    });

    describe('API', () => {
      test('lists with cursor pagination and rejects unknown query parameters by name', async () => {
        const { net } = await scenario();
        const first = await t.app.inject({ url: '/api/v1/networks?limit=1' });
        assert.equal(first.statusCode, 200);
        const p1 = first.json();
        assert.deepEqual(p1.items, [{ slug: net.slug, name: 'Automotive workers', sector: 'automotive', memberCount: 2 }]);
        assert.equal(p1.total, 2);
        assert.equal(typeof p1.next, 'string');
        const p2 = (await t.app.inject({ url: `/api/v1/networks?limit=1&after=${p1.next}` })).json();
        assert.deepEqual(p2.items.map((n: { name: string }) => n.name), ['Miners']);
        assert.equal(p2.next, null);
        const mining = (await t.app.inject({ url: '/api/v1/networks?sector=mining' })).json();
        assert.equal(mining.total, 1);

        const unknown = await t.app.inject({ url: '/api/v1/networks?colour=red' });
        assert.equal(unknown.statusCode, 400);
        assert.match(String(unknown.headers['content-type']), /application\/problem\+json/);
        assert.deepEqual(unknown.json().errors.map((e: { field: string; code: string }) => [e.field, e.code]), [['colour', 'unknown_field']]);
        const badCursor = await t.app.inject({ url: '/api/v1/networks?after=xyz' });
        assert.equal(badCursor.statusCode, 400);
        assert.equal(badCursor.json().errors[0].field, 'after');
        const badSector = await t.app.inject({ url: '/api/v1/networks?sector=steel-ish' });
        assert.equal(badSector.statusCode, 400);
        assert.equal(badSector.json().errors[0].field, 'sector');
      });

      test('detail lists members by country, hiding members-only organizations from outsiders', async () => {
        const { net, hidden, de } = await scenario();
        const anon = await t.app.inject({ url: `/api/v1/networks/${net.slug}` });
        assert.equal(anon.statusCode, 200);
        const body = anon.json();
        assert.equal(body.descriptionLang, 'de');
        assert.equal(body.memberCount, 2);
        assert.deepEqual(Object.keys(body.members), ['BR', 'DE', 'FR']);
        assert.deepEqual(
          { ...body.members.DE[0], membershipId: 'x' },
          { membershipId: 'x', organization: de.slug, name: 'Betriebsgruppe Rüsselsheim', kind: 'union', role: 'coordinator', since: '2023-01-01', until: null, past: false, upcoming: false },
        );
        assert.equal(body.members.FR[0].past, true);
        const member = await loginAs(t, { roles: [[hidden.id, 'member']] });
        const inside = (await t.app.inject({ url: `/api/v1/networks/${net.slug}`, headers: { cookie: member.cookie } })).json();
        assert.deepEqual(inside.members.TR.map((m: { organization: string }) => m.organization), [hidden.slug]);
        assert.equal(inside.memberCount, 3);
        assert.equal((await t.app.inject({ url: '/api/v1/networks/nope' })).statusCode, 404);
      });

      test('writes: 401 anonymous, 415 not JSON, 400 bad fields, 201 created, 403 for strangers', async () => {
        const payload = JSON.stringify({ name: 'Miners of the Copperbelt', sector: 'mining', description: 'Kolwezi, Lubumbashi', descriptionLang: 'fr' });
        const anon = await t.app.inject({ method: 'POST', url: '/api/v1/networks', headers: JSON_HEADERS, payload });
        assert.equal(anon.statusCode, 401);
        const me = await loginAs(t);
        const notJson = await t.app.inject({ method: 'POST', url: '/api/v1/networks', headers: { cookie: me.cookie, 'content-type': 'text/plain' }, payload });
        assert.equal(notJson.statusCode, 415);
        const bad = await t.app.inject({ method: 'POST', url: '/api/v1/networks', headers: { ...JSON_HEADERS, cookie: me.cookie }, payload: JSON.stringify({ name: '  ', sector: 'mining', descriptionLang: '??' }) });
        assert.equal(bad.statusCode, 400);
        assert.deepEqual(bad.json().errors.map((e: { field: string }) => e.field).sort(), ['descriptionLang', 'name']);
        const extra = await t.app.inject({ method: 'POST', url: '/api/v1/networks', headers: { ...JSON_HEADERS, cookie: me.cookie }, payload: JSON.stringify({ name: 'X', sector: 'mining', visibility: 'public' }) });
        assert.equal(extra.statusCode, 400);
        assert.equal(extra.json().errors[0].field, 'visibility');

        const created = await t.app.inject({ method: 'POST', url: '/api/v1/networks', headers: { ...JSON_HEADERS, cookie: me.cookie }, payload });
        assert.equal(created.statusCode, 201);
        assert.equal(created.headers.location, '/api/v1/networks/miners-of-the-copperbelt');
        assert.deepEqual(
          (({ id, createdAt, updatedAt, ...rest }) => rest)(created.json()),
          { slug: 'miners-of-the-copperbelt', name: 'Miners of the Copperbelt', sector: 'mining', description: 'Kolwezi, Lubumbashi', descriptionLang: 'fr', memberCount: 0, members: {} },
        );

        const stranger = await loginAs(t);
        const put = (cookie: string, body: object) =>
          t.app.inject({ method: 'PUT', url: '/api/v1/networks/miners-of-the-copperbelt', headers: { ...JSON_HEADERS, cookie }, payload: JSON.stringify(body) });
        assert.equal((await put(stranger.cookie, { name: 'Mine now', sector: 'mining' })).statusCode, 403);
        const updated = await put(me.cookie, { name: 'Copperbelt miners', sector: 'mining' });
        assert.equal(updated.statusCode, 200);
        assert.equal(updated.json().name, 'Copperbelt miners');
        assert.equal(updated.json().description, null);
      });

      test('memberships: 201, field errors as 400, 401 anonymous, 403 without rights, end', async () => {
        const { net, de, br, brM } = await scenario();
        const org = await makeOrganization(t.db.db, { name: 'Zwickau workers', country: 'DE' });
        const coordinator = await loginAs(t, { roles: [[de.id, 'admin'], [org.id, 'admin']] });
        const url = `/api/v1/networks/${net.slug}/members`;
        const post = (cookie: string | null, body: object) =>
          t.app.inject({ method: 'POST', url, headers: { ...JSON_HEADERS, ...(cookie ? { cookie } : {}) }, payload: JSON.stringify(body) });

        assert.equal((await post(null, { organization: org.slug, since: '2025-01-01' })).statusCode, 401);
        const backwards = await post(coordinator.cookie, { organization: org.slug, since: '2025-01-01', until: '2024-12-31' });
        assert.equal(backwards.statusCode, 400);
        assert.deepEqual(backwards.json().errors.map((e: { field: string; code: string }) => [e.field, e.code]), [['until', 'networks.validation.until_before_since']]);
        const notADate = await post(coordinator.cookie, { organization: org.slug, since: '2025-02-30' });
        assert.equal(notADate.statusCode, 400);
        assert.equal(notADate.json().errors[0].field, 'since');

        const created = await post(coordinator.cookie, { organization: org.slug, role: 'coordinator', since: '2025-01-01' });
        assert.equal(created.statusCode, 201);
        const m = created.json();
        assert.deepEqual({ ...m, id: 'x' }, { id: 'x', network: net.slug, organization: org.slug, role: 'coordinator', since: '2025-01-01', until: null });
        const overlap = await post(coordinator.cookie, { organization: org.slug, since: '2025-06-01' });
        assert.equal(overlap.statusCode, 400);
        assert.equal(overlap.json().errors[0].field, 'until');
        const dup = await post(coordinator.cookie, { organization: org.slug, since: '2025-01-01', until: '2025-02-01' });
        assert.equal(dup.statusCode, 400);
        assert.equal(dup.json().errors[0].field, 'since');

        // Managing the network is not enough to enrol an organization one does not lead.
        const stranger = await makeOrganization(t.db.db, { name: 'Unasked workers', country: 'FR' });
        assert.equal((await post(coordinator.cookie, { organization: stranger.slug, since: '2025-01-01' })).statusCode, 403);
        assert.equal((await t.db.db.selectFrom('network_memberships').select('id').where('organization_id', '=', stranger.id).execute()).length, 0);

        const outsider = await loginAs(t, { roles: [[br.id, 'member']] });
        assert.equal((await post(outsider.cookie, { organization: br.slug, since: '2026-01-01' })).statusCode, 403);

        const endUrl = `/api/v1/networks/${net.slug}/members/${brM.id}/end`;
        const end = (cookie: string, until: string) => t.app.inject({ method: 'POST', url: endUrl, headers: { ...JSON_HEADERS, cookie }, payload: JSON.stringify({ until }) });
        assert.equal((await end(outsider.cookie, '2026-01-01')).statusCode, 403);
        const ended = await end(coordinator.cookie, '2025-12-31');
        assert.equal(ended.statusCode, 200);
        assert.equal(ended.json().until, '2025-12-31');
        const wrongNetwork = await t.app.inject({ method: 'POST', url: `/api/v1/networks/nope/members/${brM.id}/end`, headers: { ...JSON_HEADERS, cookie: coordinator.cookie }, payload: JSON.stringify({ until: '2025-12-31' }) });
        assert.equal(wrongNetwork.statusCode, 404);
      });

      test('the OpenAPI document describes the network endpoints', async () => {
        const doc = (await t.app.inject({ url: '/api/openapi.json' })).json();
        assert.ok(doc.paths['/api/v1/networks']);
        assert.ok(doc.paths['/api/v1/networks/{slug}/members']);
        assert.ok(doc.paths['/api/v1/networks/{slug}'].get.responses['200']);
      });
    });
  });
}
