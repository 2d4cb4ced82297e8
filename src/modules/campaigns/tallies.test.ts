import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { ENGINES } from '../../../test/helpers/db.ts';
import { useTestApp, loginAs, postForm } from '../../../test/helpers/app.ts';
import { makeOrganization } from '../../../test/helpers/factories.ts';
import { insertCampaign } from '../../../test/helpers/campaigns.ts';
import { todayIn } from '../../lib/time.ts';
import { campaignCounts, insertTallies } from './tallies.service.ts';

/**
 * Paper-list tallies on every engine: entered by a campaign's coordinators (form and API), listed
 * with who entered them, removed with an audit entry that keeps what they said, refused with
 * field errors, summed per country apart from the online signatures by `campaignCounts`, and
 * imported idempotently by external reference.
 */

for (const engine of ENGINES) {
  describe(engine, () => {
    const t = useTestApp(engine);
    const db = () => t.db.db;
    const get = (url: string, cookie?: string) => t.app.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} });
    const sendJson = (method: 'POST' | 'DELETE', url: string, body: unknown, cookie?: string) =>
      t.app.inject({ method, url, payload: JSON.stringify(body), headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) } });
    const problem = (res: LightMyRequestResponse) => res.json() as { errors?: { field: string; code: string }[] };
    const main = (body: string) => body.slice(body.indexOf('<main'), body.indexOf('</main>'));
    const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

    const world = async () => {
      const union = await makeOrganization(db(), { name: 'Dockers Union', country: 'FR' });
      const campaign = await insertCampaign(db(), union.id, { slug: 'port-appeal', goal: 500 });
      const coordinator = await loginAs(t, { name: 'Tally Keeper', roles: [[union.id, 'coordinator']] });
      const member = await loginAs(t, { roles: [[union.id, 'member']] });
      return { union, campaign, coordinator, member };
    };

    test('campaignCounts: kept counts and tallies per country, apart and summed, most first', async () => {
      const w = await world();
      assert.deepEqual(await campaignCounts(db(), w.campaign.id), { byCountry: [], online: 0, tallies: 0, total: 0 });
      await db().insertInto('campaign_counts').values([
        { campaign_id: w.campaign.id, country: 'FR', supporters: 120 },
        { campaign_id: w.campaign.id, country: 'BE', supporters: 7 },
        { campaign_id: w.campaign.id, country: 'LU', supporters: 0 },
      ]).execute();
      const other = await insertCampaign(db(), w.union.id, { slug: 'other-appeal' });
      await insertTallies(db(), other.id, [{ country: 'FR', count: 999, source: 'Elsewhere', collectedOn: null }], { enteredBy: null });
      await insertTallies(db(), w.campaign.id, [
        { country: 'FR', count: 300, source: 'Rally at the port, 1 May', collectedOn: '2026-05-01' },
        { country: 'FR', count: 45, source: 'Market stall', collectedOn: null },
        { country: 'SN', count: 7, source: 'Dakar assembly', collectedOn: null },
      ], { enteredBy: w.coordinator.userId });
      assert.deepEqual(await campaignCounts(db(), w.campaign.id), {
        byCountry: [
          { country: 'FR', online: 120, tallies: 345, total: 465 },
          { country: 'BE', online: 7, tallies: 0, total: 7 },
          { country: 'SN', online: 0, tallies: 7, total: 7 },
        ],
        online: 127,
        tallies: 352,
        total: 479,
      });
    });

    test('insertTallies skips rows whose external reference the campaign has already (a file imported twice adds nothing)', async () => {
      const w = await world();
      const rows = [
        { country: 'GB', count: 5000, source: 'UK petition 584632', collectedOn: null, externalRef: 'uk-petition:584632:GB' },
        { country: 'DE', count: 12, source: 'UK petition 584632', collectedOn: null, externalRef: 'uk-petition:584632:DE' },
      ];
      assert.equal((await insertTallies(db(), w.campaign.id, rows, { enteredBy: null })).length, 2);
      assert.deepEqual(await insertTallies(db(), w.campaign.id, rows, { enteredBy: null }), []);
      assert.equal((await insertTallies(db(), w.campaign.id, [{ country: 'DE', count: 3, source: 'By hand', collectedOn: null }, { country: 'DE', count: 3, source: 'By hand', collectedOn: null }], { enteredBy: null })).length, 2, 'tallies without a reference are never merged');
      assert.equal((await campaignCounts(db(), w.campaign.id)).tallies, 5018);
    });

    test('a coordinator enters tallies through the form; the page lists them; the campaign page shows them apart from online signatures', async () => {
      const w = await world();
      const page = await get(`/campaigns/${w.campaign.slug}/tallies`, w.coordinator.cookie);
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /Nothing has been entered yet\./);
      const res = await postForm(t, `/campaigns/${w.campaign.slug}/tallies`, `/campaigns/${w.campaign.slug}/tallies`, { country: 'FR', count: '312', source: 'Rally at the port, 1 May', collectedOn: '2026-05-01' }, w.coordinator.cookie);
      assert.equal(res.statusCode, 303, res.body);
      assert.equal(res.headers.location, `/campaigns/${w.campaign.slug}/tallies?done=added#tallies`);
      await postForm(t, `/campaigns/${w.campaign.slug}/tallies`, `/campaigns/${w.campaign.slug}/tallies`, { country: 'sn', count: '40', source: 'Dakar assembly' }, w.coordinator.cookie);
      const list = text(main((await get(`/campaigns/${w.campaign.slug}/tallies?done=added`, w.coordinator.cookie)).body));
      assert.match(list, /The signatures have been entered\./);
      assert.match(list, /2 entries with 352 signatures/);
      assert.match(list, /Dakar assembly Senegal 40 — .*Tally Keeper Remove/);
      assert.match(list, /Rally at the port, 1 May France 312 1 May 2026/);
      await db().insertInto('campaign_counts').values({ campaign_id: w.campaign.id, country: 'FR', supporters: 10 }).execute();
      const pub = main((await get(`/campaigns/${w.campaign.slug}`)).body);
      assert.match(pub, /<tr data-country="FR"><th scope="row">France<\/th><td class="num">10<\/td><td class="num">312<\/td><td class="num">322<\/td><\/tr>/);
      assert.match(text(pub), /72% of the goal of 500 signatures/);
      assert.doesNotMatch(pub, /Rally at the port|Dakar assembly/, 'sources are for the coordinators');
      const events = await db().selectFrom('audit_events').select(['action', 'details']).where('action', '=', 'campaign.tally_added').execute();
      assert.equal(events.length, 2);
    });

    test('bad tallies come back with field errors; members and outsiders are refused', async () => {
      const w = await world();
      const tomorrow = new Date(Date.parse(`${todayIn('UTC')}T00:00:00Z`) + 2 * 86_400_000).toISOString().slice(0, 10);
      const res = await postForm(t, `/campaigns/${w.campaign.slug}/tallies`, `/campaigns/${w.campaign.slug}/tallies`, { country: 'XX', count: '0', source: '', collectedOn: tomorrow }, w.coordinator.cookie);
      assert.equal(res.statusCode, 422);
      for (const f of ['country', 'count', 'source', 'collectedOn']) assert.match(res.body, new RegExp(`id="f-${f}"[^>]*aria-invalid="true"`), f);
      assert.match(res.body, /The day of the collection cannot be after today/);
      const api = await sendJson('POST', `/api/v1/campaigns/${w.campaign.slug}/tallies`, { country: 'FR', count: 1.5, source: 'x' }, w.coordinator.cookie);
      assert.equal(api.statusCode, 400);
      assert.deepEqual(problem(api).errors!.map((e) => e.field), ['count']);
      assert.equal((await get(`/campaigns/${w.campaign.slug}/tallies`, w.member.cookie)).statusCode, 403);
      assert.equal((await sendJson('POST', `/api/v1/campaigns/${w.campaign.slug}/tallies`, { country: 'FR', count: 1, source: 'x' }, w.member.cookie)).statusCode, 403);
      const tallies = await db().selectFrom('campaign_tallies').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      assert.equal(Number(tallies.n), 0);
    });

    test('a mistaken tally is removed; the audit log keeps its country, count and source; API add, list and remove', async () => {
      const w = await world();
      const created = await sendJson('POST', `/api/v1/campaigns/${w.campaign.slug}/tallies`, { country: 'FR', count: 1200, source: 'Typed one zero too many', collectedOn: '2026-04-30' }, w.coordinator.cookie);
      assert.equal(created.statusCode, 201, created.body);
      const tally = created.json() as { id: string; country: string; count: number; enteredBy: string };
      assert.deepEqual([tally.country, tally.count, tally.enteredBy], ['FR', 1200, 'Tally Keeper']);
      const listed = (await get(`/api/v1/campaigns/${w.campaign.slug}/tallies`, w.coordinator.cookie)).json() as { items: unknown[]; sum: number };
      assert.deepEqual([listed.items.length, listed.sum], [1, 1200]);
      assert.equal((await get(`/api/v1/campaigns/${w.campaign.slug}/tallies`)).statusCode, 401);
      const removed = await postForm(t, `/campaigns/${w.campaign.slug}/tallies`, `/campaigns/${w.campaign.slug}/tallies/${tally.id}/remove`, {}, w.coordinator.cookie);
      assert.equal(removed.statusCode, 303);
      assert.equal((await campaignCounts(db(), w.campaign.id)).total, 0);
      const event = await db().selectFrom('audit_events').select(['details', 'organization_id', 'subject_type']).where('action', '=', 'campaign.tally_removed').executeTakeFirstOrThrow();
      assert.deepEqual([JSON.parse(event.details), event.organization_id, event.subject_type], [{ country: 'FR', count: 1200, source: 'Typed one zero too many' }, w.union.id, 'campaign_tally']);
      assert.equal((await sendJson('DELETE', `/api/v1/campaigns/${w.campaign.slug}/tallies/${tally.id}`, {}, w.coordinator.cookie)).statusCode, 404, 'gone already');
      const again = (await sendJson('POST', `/api/v1/campaigns/${w.campaign.slug}/tallies`, { country: 'FR', count: 120, source: 'Rally' }, w.coordinator.cookie)).json() as { id: string };
      assert.equal((await sendJson('DELETE', `/api/v1/campaigns/${w.campaign.slug}/tallies/${again.id}`, {}, w.member.cookie)).statusCode, 403);
      assert.equal((await sendJson('DELETE', `/api/v1/campaigns/${w.campaign.slug}/tallies/${again.id}`, {}, w.coordinator.cookie)).statusCode, 204);
    });
  });
}
