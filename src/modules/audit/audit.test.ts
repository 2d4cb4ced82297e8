import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { ENGINES } from '../../../test/helpers/db.ts';
import { useTestApp, loginAs } from '../../../test/helpers/app.ts';
import { makeOrganization } from '../../../test/helpers/factories.ts';
import { loadViewer } from '../accounts/accounts.service.ts';
import { newId } from '../../lib/ids.ts';
import type { Db } from '../../db/client.ts';
import { changedFields, recordAudit } from './audit.service.ts';
import { createOrganization, updateOrganization } from '../organizations/organizations.service.ts';
import { addNetworkMembership, createNetwork, endNetworkMembership, updateNetwork } from '../networks/networks.service.ts';
import { addStruggleUpdate, createStruggle, updateStruggle } from '../struggles/struggles.service.ts';

test('changedFields names the keys whose values differ, lists compared element-wise', () => {
  assert.deepEqual(changedFields({ a: 1, b: ['x', 'y'], c: null }, { a: 1, b: ['x', 'y'], c: undefined }), []);
  assert.deepEqual(changedFields({ a: 1, b: ['x'], c: 'k' }, { a: 2, b: ['x', 'y'], c: 'k' }), ['a', 'b']);
});

for (const engine of ENGINES) {
  describe(engine, () => {
    const t = useTestApp(engine);
    const db = (): Db => t.db.db;
    const viewerOf = async (cookie: string) => (await loadViewer(db(), cookie.slice(4)))!;
    const events = (organizationId?: string | null) => {
      let q = db().selectFrom('audit_events').selectAll().orderBy('at').orderBy('id');
      if (organizationId !== undefined) q = organizationId === null ? q.where('organization_id', 'is', null) : q.where('organization_id', '=', organizationId);
      return q.execute();
    };
    const summary = async (organizationId?: string | null) =>
      (await events(organizationId)).map((e) => [e.action, e.organization_id, e.actor_user_id, JSON.parse(e.details)]);

    test('audit_events is append-only: UPDATE and DELETE raise on the database itself', async () => {
      await recordAudit(db(), null, { action: 'test.done', subjectType: 'test' });
      await assert.rejects(sql`UPDATE audit_events SET action = 'rewritten'`.execute(db()), /append-only/);
      await assert.rejects(sql`DELETE FROM audit_events`.execute(db()), /append-only/);
      await assert.rejects(db().updateTable('audit_events').set({ details: '{}' }).execute(), /append-only/);
      const rows = await events();
      assert.deepEqual(rows.map((r) => r.action), ['test.done']);
    });

    describe('instrumented writes (same transaction)', () => {
      test('organizations: created and updated with the changed field names', async () => {
        const me = await loginAs(t);
        const v = await viewerOf(me.cookie);
        const org = await createOrganization(db(), v, { name: 'Miners', kind: 'union', country: 'DE', languages: 'de' });
        const admin = await viewerOf(me.cookie); // now with the admin role of the new organization
        await updateOrganization(db(), admin, org.slug, { name: 'Miners', kind: 'union', country: 'DE', languages: 'de, tr', city: 'Bochum' });
        // An update that changes nothing is not logged.
        await updateOrganization(db(), admin, org.slug, { name: 'Miners', kind: 'union', country: 'DE', languages: 'de, tr', city: 'Bochum' });
        assert.deepEqual(await summary(org.id), [
          ['organization.created', org.id, me.userId, { slug: 'miners' }],
          ['organization.updated', org.id, me.userId, { fields: ['city', 'languages'] }],
        ]);
      });

      test('a refused write leaves no audit row (one transaction)', async () => {
        const me = await loginAs(t);
        const v = await viewerOf(me.cookie);
        await assert.rejects(createOrganization(db(), v, { name: 'Child', kind: 'union', country: 'DE', parent: 'no-such-parent' }));
        assert.equal((await events()).length, 0);
      });

      test('networks: created, updated, membership added and ended (logged for the member organization)', async () => {
        const me = await loginAs(t, { admin: true });
        const v = await viewerOf(me.cookie);
        const org = await makeOrganization(db(), { name: 'Auto Workers' });
        const net = await createNetwork(db(), v, { name: 'Auto Net', sector: 'automotive' });
        await updateNetwork(db(), v, net.slug, { name: 'Auto Network', sector: 'automotive' });
        const m = await addNetworkMembership(db(), v, net.slug, { organization: org.slug, role: 'member', since: '2026-01-01' });
        await endNetworkMembership(db(), v, m.id, '2026-06-30');
        const instance = (await summary(null)).filter(([a]) => String(a).startsWith('network.'));
        assert.deepEqual(instance, [
          ['network.created', null, me.userId, { slug: 'auto-net' }],
          ['network.updated', null, me.userId, { fields: ['name'] }],
        ]);
        assert.deepEqual((await summary(org.id)).filter(([a]) => String(a).startsWith('network.')), [
          ['network.membership_added', org.id, me.userId, { membership: m.id, network: 'auto-net', role: 'member', since: '2026-01-01', until: null }],
          ['network.membership_ended', org.id, me.userId, { membership: m.id, until: '2026-06-30', previousUntil: null }],
        ]);
      });

      test('struggles: created, updated (fields), timeline entry — for the owning organization; imported ones with organization null', async () => {
        const org = await makeOrganization(db(), { name: 'Dockers' });
        const me = await loginAs(t, { roles: [[org.id, 'member']] });
        const v = await viewerOf(me.cookie);
        const s = await createStruggle(db(), v, { title: 'Port strike', kind: 'strike', sector: 'logistics', country: 'DE', startDate: '2026-04-01', organization: org.slug });
        await updateStruggle(db(), v, s.slug, { title: 'Port strike', kind: 'strike', sector: 'logistics', country: 'DE', startDate: '2026-04-01', organization: org.slug, participants: '300', sources: 'https://example.org/a' });
        await addStruggleUpdate(db(), v, s.slug, { date: '2026-04-02', body: 'Second day', lang: 'en' });
        const rows = await events(org.id);
        assert.deepEqual(
          rows.filter((r) => r.action.startsWith('struggle.')).map((r) => [r.action, r.subject_id, r.actor_user_id, JSON.parse(r.details)]),
          [
            ['struggle.created', s.id, me.userId, { slug: 'port-strike' }],
            ['struggle.updated', s.id, me.userId, { fields: ['participants', 'sources'] }],
            ['struggle.update_added', s.id, me.userId, { update: (await db().selectFrom('struggle_updates').select('id').executeTakeFirstOrThrow()).id, date: '2026-04-02' }],
          ],
        );
        // Imported public data: no actor, no organization; a re-import that changes nothing logs nothing.
        const input = { title: 'Imported', kind: 'strike', sector: 'mining', country: 'US', startDate: '2015-01-01' } as const;
        const imported = await createStruggle(db(), null, input, { trusted: true, externalRef: 'fmcs:1:2015-01-01' });
        await createStruggle(db(), null, input, { trusted: true, externalRef: 'fmcs:1:2015-01-01' });
        await createStruggle(db(), null, { ...input, participants: 40 }, { trusted: true, externalRef: 'fmcs:1:2015-01-01' });
        assert.deepEqual(
          (await events(null)).filter((e) => e.subject_id === imported.id).map((e) => [e.action, e.actor_user_id, e.session_ref, JSON.parse(e.details)]),
          [
            ['struggle.created', null, null, { slug: 'imported' }],
            ['struggle.updated', null, null, { fields: ['participants'] }],
          ],
        );
      });
    });

    describe('audit log page and API', () => {
      async function setting() {
        const org = await makeOrganization(db(), { name: 'Sindicato Único' });
        const other = await makeOrganization(db(), { name: 'Other Union' });
        const people = {
          admin: await loginAs(t, { roles: [[org.id, 'admin']], name: 'Admin Ana' }),
          coordinator: await loginAs(t, { roles: [[org.id, 'coordinator']] }),
          member: await loginAs(t, { roles: [[org.id, 'member']] }),
          otherAdmin: await loginAs(t, { roles: [[other.id, 'admin']] }),
          instanceAdmin: await loginAs(t, { admin: true }),
        };
        return { org, other, people };
      }
      const get = (url: string, cookie?: string) => t.app.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} });

      test('organization admins and instance admins read it; coordinators, members, other admins and anonymous get 404', async () => {
        const { org, people } = await setting();
        for (const url of [`/organizations/${org.slug}/audit`, `/api/v1/organizations/${org.slug}/audit`]) {
          for (const who of ['admin', 'instanceAdmin'] as const) assert.equal((await get(url, people[who].cookie)).statusCode, 200, `${who} ${url}`);
          for (const who of ['coordinator', 'member', 'otherAdmin'] as const) assert.equal((await get(url, people[who].cookie)).statusCode, 404, `${who} ${url}`);
          assert.equal((await get(url)).statusCode, 404, `anonymous ${url}`);
        }
        const api = await get(`/api/v1/organizations/${org.slug}/audit`, people.member.cookie);
        assert.match(String(api.headers['content-type']), /^application\/problem\+json/);
        assert.equal(api.json().code, 'not_found');
        // An unknown organization looks the same.
        assert.equal((await get('/organizations/nowhere/audit', people.instanceAdmin.cookie)).statusCode, 404);
      });

      test('an admin held back for a missing second factor does not read it', async () => {
        const { org, people } = await setting();
        await db().updateTable('organizations').set({ require_second_factor: 1 }).where('id', '=', org.id).execute();
        assert.equal((await get(`/organizations/${org.slug}/audit`, people.admin.cookie)).statusCode, 404);
      });

      test('rows show time in the viewer’s zone, actor isolated, system, session, translated action, subject and details', async () => {
        const { org, people } = await setting();
        await db().updateTable('users').set({ time_zone: 'Asia/Kolkata' }).where('id', '=', people.admin.userId).execute();
        const admin = await viewerOf(people.admin.cookie);
        await updateOrganization(db(), admin, org.slug, { name: 'Sindicato Único', kind: 'union', country: 'DE', city: 'Köln' });
        await recordAudit(db(), null, { organizationId: org.id, action: 'future.thing', subjectType: 'gizmo', details: { n: 3 } });
        const res = await get(`/organizations/${org.slug}/audit`, people.admin.cookie);
        assert.equal(res.statusCode, 200);
        const rows = await events(org.id);
        const updated = rows.find((r) => r.action === 'organization.updated')!;
        const local = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Asia/Kolkata' }).format(new Date(updated.at));
        assert.ok(
          res.body.includes(
            `<tr><td><time datetime="${updated.at}">${local}</time></td><td><bdi>Admin Ana</bdi></td><td><code>${admin.sessionId.slice(0, 16)}</code></td><td>Organization changed</td><td><span>Organization: <a href="/organizations/${org.slug}"><bdi>Sindicato Único</bdi></a></span></td><td><ul class="details"><li>Changed fields: <code><bdi>city</bdi></code></li></ul></td></tr>`,
          ),
          res.body.slice(res.body.indexOf('<tbody>'), res.body.indexOf('</tbody>')),
        );
        // Unknown actions fall back to their raw name; no actor is "system".
        assert.match(res.body, /<td>system<\/td><td>–<\/td><td>future\.thing<\/td><td><span>gizmo<\/span><\/td>/);
        assert.match(res.body, /<h1>Audit log of <bdi>Sindicato Único<\/bdi><\/h1>/);
        // German labels.
        const de = await t.app.inject({ method: 'GET', url: `/organizations/${org.slug}/audit`, headers: { cookie: `${people.admin.cookie}; locale=de` } });
        assert.match(de.body, /<td>Organisation geändert<\/td>/);
        assert.match(de.body, /<td>System<\/td>/);
      });

      test('newest first with keyset pagination on the page and in the API', async () => {
        const { org, people } = await setting();
        // 62 events over a minute, two sharing each instant (the id breaks the tie), plus organization.created.
        const base = Date.parse('2026-01-01T00:00:00.000Z');
        for (let i = 0; i < 62; i++) {
          await db()
            .insertInto('audit_events')
            .values({ id: newId(), at: new Date(base + Math.floor(i / 2) * 1000).toISOString(), actor_user_id: people.admin.userId, session_ref: null, organization_id: org.id, action: 'test.step', subject_type: 'test', subject_id: null, details: JSON.stringify({ i }) })
            .execute();
        }
        const all = await db().selectFrom('audit_events').select(['id', 'at']).where('organization_id', '=', org.id).orderBy('at', 'desc').orderBy('id', 'desc').execute();
        assert.equal(all.length, 63);

        // Page: 50, then 13.
        const first = await get(`/organizations/${org.slug}/audit`, people.admin.cookie);
        assert.equal(first.body.match(/<tr><td><time/g)?.length, 50);
        assert.ok(first.body.indexOf(`datetime="${all[0]!.at}"`) < first.body.indexOf(`datetime="${all[49]!.at}"`));
        const next = /<a rel="next" href="([^"]+)"/.exec(first.body)![1]!.replace(/&amp;/g, '&');
        const second = await get(next, people.admin.cookie);
        assert.equal(second.body.match(/<tr><td><time/g)?.length, 13);
        assert.doesNotMatch(second.body, /rel="next"/);

        // API: pages of 20 cover every event once, in order.
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const url: string = `/api/v1/organizations/${org.slug}/audit?limit=20${cursor ? `&before=${encodeURIComponent(cursor)}` : ''}`;
          const body = (await get(url, people.admin.cookie)).json() as { items: { id: string; actor: unknown }[]; next: string | null };
          seen.push(...body.items.map((i) => i.id));
          cursor = body.next;
        } while (cursor);
        assert.deepEqual(seen, all.map((r) => r.id));

        // A broken cursor is a 4xx with the field named, not a 500.
        const bad = await get(`/api/v1/organizations/${org.slug}/audit?before=garbage`, people.admin.cookie);
        assert.equal(bad.statusCode, 400);
        assert.equal(bad.json().errors[0].field, 'before');
        assert.equal((await get(`/organizations/${org.slug}/audit?before=garbage`, people.admin.cookie)).statusCode, 422);
        assert.equal((await get(`/api/v1/organizations/${org.slug}/audit?limit=0`, people.admin.cookie)).statusCode, 400);
      });

      test('the OpenAPI document describes the audit endpoint', async () => {
        const doc = (await get('/api/openapi.json')).json() as { paths: Record<string, { get?: { responses: Record<string, unknown> } }> };
        assert.ok(doc.paths['/api/v1/organizations/{slug}/audit']?.get?.responses['200']);
      });
    });
  });
}
