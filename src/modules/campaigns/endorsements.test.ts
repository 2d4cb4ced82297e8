import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { ENGINES } from '../../../test/helpers/db.ts';
import { useTestApp, loginAs, postForm } from '../../../test/helpers/app.ts';
import { makeOrganization } from '../../../test/helpers/factories.ts';
import { insertCampaign } from '../../../test/helpers/campaigns.ts';

/**
 * Organizations as signatories, through HTTP on every engine: an admin or coordinator endorses
 * for their organization, the endorsement waits until a campaign coordinator confirms it, then
 * shows on the page under the organization's country; refusals, withdrawals, conflicts, the
 * audit log, a private organization's endorsement kept from those who may not see it, and the API.
 */

for (const engine of ENGINES) {
  describe(engine, () => {
    const t = useTestApp(engine);
    const db = () => t.db.db;
    const get = (url: string, cookie?: string) => t.app.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} });
    const sendJson = (method: 'POST' | 'DELETE', url: string, body: unknown, cookie?: string) =>
      t.app.inject({ method, url, payload: JSON.stringify(body), headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) } });
    const problem = (res: LightMyRequestResponse) => {
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
      return res.json() as { code: string; errors?: { field: string; code: string }[] };
    };
    const main = (body: string) => body.slice(body.indexOf('<main'), body.indexOf('</main>'));
    const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    const endorsementSection = async (slug: string, cookie?: string) => {
      const page = main((await get(`/campaigns/${slug}`, cookie)).body);
      return text(page.slice(page.indexOf('id="endorsements"'), page.indexOf('id="supporters"')));
    };

    const world = async () => {
      const union = await makeOrganization(db(), { name: 'Kolwezi Miners Union', country: 'CD' });
      const metal = await makeOrganization(db(), { name: 'Metalworkers Essen', country: 'DE' });
      const youth = await makeOrganization(db(), { name: 'Young Workers Bochum', country: 'DE' });
      const dockers = await makeOrganization(db(), { name: 'Dockers of Marseille', country: 'FR' });
      const hidden = await makeOrganization(db(), { name: 'Underground Legal Aid', country: 'TR', visibility: 'private' });
      const campaign = await insertCampaign(db(), union.id, { slug: 'pay-the-miners', title: 'Pay the miners' });
      const coordinator = await loginAs(t, { name: 'Campaign Coordinator', roles: [[union.id, 'coordinator']] });
      const metalAdmin = await loginAs(t, { name: 'Metal Admin', roles: [[metal.id, 'admin'], [youth.id, 'coordinator']] });
      const metalMember = await loginAs(t, { roles: [[metal.id, 'member']] });
      const dockersAdmin = await loginAs(t, { roles: [[dockers.id, 'admin']] });
      const hiddenAdmin = await loginAs(t, { roles: [[hidden.id, 'admin']] });
      return { union, metal, youth, dockers, hidden, campaign, coordinator, metalAdmin, metalMember, dockersAdmin, hiddenAdmin };
    };
    type World = Awaited<ReturnType<typeof world>>;
    const endorse = (w: World, cookie: string, organization: string, extra: Record<string, string> = {}) =>
      postForm(t, `/campaigns/${w.campaign.slug}/endorse`, `/campaigns/${w.campaign.slug}/endorse`, { organization, ...extra }, cookie);
    const idOf = async (w: World, organizationId: string) =>
      (await db().selectFrom('campaign_endorsements').select('id').where('campaign_id', '=', w.campaign.id).where('organization_id', '=', organizationId).executeTakeFirstOrThrow()).id;

    test('endorsed, waiting, confirmed: then shown under the organization’s country with its statement; audited for both sides', async () => {
      const w = await world();
      const page = await get(`/campaigns/${w.campaign.slug}/endorse`, w.metalAdmin.cookie);
      assert.equal(page.statusCode, 200);
      assert.match(page.body, new RegExp(`<option value="${w.metal.slug}"`));
      assert.match(page.body, new RegExp(`<option value="${w.youth.slug}"`));
      assert.doesNotMatch(page.body, new RegExp(`<option value="${w.union.slug}"`));
      const res = await endorse(w, w.metalAdmin.cookie, w.metal.slug, { statement: 'Solidarität mit den Bergleuten!', statementLang: 'de' });
      assert.equal(res.statusCode, 303, res.body);
      assert.equal(res.headers.location, `/campaigns/${w.campaign.slug}/endorse?done=endorsed`);
      const own = main((await get(res.headers.location!, w.metalAdmin.cookie)).body);
      assert.match(text(own), /Metalworkers Essen Waiting for the campaign’s coordinators/);
      assert.doesNotMatch(own, new RegExp(`<option value="${w.metal.slug}"`), 'an organization endorses once');
      assert.match(await endorsementSection(w.campaign.slug), /No organization has signed yet\./);

      const admin = main((await get(`/campaigns/${w.campaign.slug}/endorsements`, w.coordinator.cookie)).body);
      assert.match(text(admin), /Waiting for a decision \(1\) Metalworkers Essen Germany/);
      assert.match(admin, /<blockquote lang="de" dir="auto" class="prose">Solidarität mit den Bergleuten!<\/blockquote>/);
      const id = await idOf(w, w.metal.id);
      const confirm = await postForm(t, `/campaigns/${w.campaign.slug}/endorsements`, `/campaigns/${w.campaign.slug}/endorsements/${id}/confirm`, {}, w.coordinator.cookie);
      assert.equal(confirm.statusCode, 303, confirm.body);
      assert.equal(confirm.headers.location, `/campaigns/${w.campaign.slug}/endorsements?done=confirmed`);

      await endorse(w, w.dockersAdmin.cookie, w.dockers.slug);
      await endorse(w, w.metalAdmin.cookie, w.youth.slug);
      for (const o of [w.dockers, w.youth]) await postForm(t, `/campaigns/${w.campaign.slug}/endorsements`, `/campaigns/${w.campaign.slug}/endorsements/${await idOf(w, o.id)}/confirm`, {}, w.coordinator.cookie);
      const shown = await endorsementSection(w.campaign.slug);
      assert.match(shown, /3 organizations from 2 countries France Dockers of Marseille Germany Metalworkers Essen Solidarität mit den Bergleuten! Young Workers Bochum/);

      const events = await db().selectFrom('audit_events').select(['action', 'organization_id', 'details']).where('subject_id', '=', id).orderBy('at').execute();
      assert.deepEqual(events.map((e) => [e.action, e.organization_id]).sort(), [['campaign.endorsed', w.metal.id], ['campaign.endorsement_confirmed', w.metal.id], ['campaign.endorsement_confirmed', w.union.id]].sort());
      assert.deepEqual(JSON.parse(events.find((e) => e.action === 'campaign.endorsement_confirmed')!.details), { organization: w.metal.slug });
    });

    test('refused, decided twice, endorsing twice or as an issuer, without leading the organization: each refused with the reason', async () => {
      const w = await world();
      await endorse(w, w.metalAdmin.cookie, w.metal.slug);
      const id = await idOf(w, w.metal.id);
      const reject = await postForm(t, `/campaigns/${w.campaign.slug}/endorsements`, `/campaigns/${w.campaign.slug}/endorsements/${id}/reject`, {}, w.coordinator.cookie);
      assert.equal(reject.statusCode, 303);
      const again = await postForm(t, `/campaigns/${w.campaign.slug}/endorsements`, `/campaigns/${w.campaign.slug}/endorsements/${id}/confirm`, {}, w.coordinator.cookie);
      assert.equal(again.statusCode, 409);
      assert.match(again.body, /This endorsement has been decided already\./);
      assert.match(await endorsementSection(w.campaign.slug), /No organization has signed yet\./);
      assert.match(text(main((await get(`/campaigns/${w.campaign.slug}/endorse`, w.metalAdmin.cookie)).body)), /Metalworkers Essen Refused/);

      const twice = await sendJson('POST', `/api/v1/campaigns/${w.campaign.slug}/endorsements`, { organization: w.metal.slug }, w.metalAdmin.cookie);
      assert.equal(twice.statusCode, 409);
      assert.equal(problem(twice).code, 'already_endorsed');
      const issuer = await endorse(w, w.coordinator.cookie, w.union.slug);
      assert.equal(issuer.statusCode, 422);
      assert.match(issuer.body, /This organization issues the campaign/);
      const notLed = await sendJson('POST', `/api/v1/campaigns/${w.campaign.slug}/endorsements`, { organization: w.dockers.slug }, w.metalAdmin.cookie);
      assert.equal(notLed.statusCode, 400);
      assert.deepEqual(problem(notLed).errors!.map((e) => [e.field, e.code]), [['organization', 'campaigns.endorsements.validation.not_led']]);
      const noLang = await sendJson('POST', `/api/v1/campaigns/${w.campaign.slug}/endorsements`, { organization: w.youth.slug, statement: 'Yes' }, w.metalAdmin.cookie);
      assert.deepEqual(problem(noLang).errors!.map((e) => [e.field, e.code]), [['statementLang', 'required']]);
      assert.equal((await get(`/campaigns/${w.campaign.slug}/endorse`, w.metalMember.cookie)).statusCode, 403, 'a member leads nothing');
      assert.equal((await get(`/campaigns/${w.campaign.slug}/endorsements`, w.metalAdmin.cookie)).statusCode, 403, 'deciding is for the campaign’s coordinators');
      const closed = await insertCampaign(db(), w.union.id, { slug: 'closed-appeal', status: 'closed' });
      const late = await sendJson('POST', `/api/v1/campaigns/${closed.slug}/endorsements`, { organization: w.metal.slug }, w.metalAdmin.cookie);
      assert.equal(late.statusCode, 409);
      assert.equal(problem(late).code, 'campaign_not_open');
    });

    test('the organization withdraws its endorsement; the campaign’s coordinators cannot do it for them', async () => {
      const w = await world();
      await endorse(w, w.metalAdmin.cookie, w.metal.slug);
      const id = await idOf(w, w.metal.id);
      await postForm(t, `/campaigns/${w.campaign.slug}/endorsements`, `/campaigns/${w.campaign.slug}/endorsements/${id}/confirm`, {}, w.coordinator.cookie);
      assert.equal((await sendJson('DELETE', `/api/v1/campaigns/${w.campaign.slug}/endorsements/${id}`, {}, w.coordinator.cookie)).statusCode, 403);
      assert.equal((await sendJson('DELETE', `/api/v1/campaigns/${w.campaign.slug}/endorsements/${id}`, {}, w.dockersAdmin.cookie)).statusCode, 404);
      const res = await postForm(t, `/campaigns/${w.campaign.slug}/endorse`, `/campaigns/${w.campaign.slug}/endorsements/${id}/withdraw`, {}, w.metalAdmin.cookie);
      assert.equal(res.statusCode, 303);
      assert.equal(res.headers.location, `/campaigns/${w.campaign.slug}/endorse?done=withdrawn`);
      assert.match(await endorsementSection(w.campaign.slug), /No organization has signed yet\./);
      const events = await db().selectFrom('audit_events').select('organization_id').where('action', '=', 'campaign.endorsement_withdrawn').execute();
      assert.deepEqual(new Set(events.map((e) => e.organization_id)), new Set([w.metal.id, w.union.id]));
      // Withdrawn, it may endorse again.
      assert.equal((await sendJson('POST', `/api/v1/campaigns/${w.campaign.slug}/endorsements`, { organization: w.metal.slug }, w.metalAdmin.cookie)).statusCode, 201);
    });

    test('a private organization’s confirmed endorsement shows only to those who may see the organization', async () => {
      const w = await world();
      await endorse(w, w.hiddenAdmin.cookie, w.hidden.slug);
      const id = await idOf(w, w.hidden.id);
      assert.match(text(main((await get(`/campaigns/${w.campaign.slug}/endorsements`, w.coordinator.cookie)).body)), /Underground Legal Aid/, 'the coordinators learn who endorsed');
      await postForm(t, `/campaigns/${w.campaign.slug}/endorsements`, `/campaigns/${w.campaign.slug}/endorsements/${id}/confirm`, {}, w.coordinator.cookie);
      assert.doesNotMatch((await get(`/campaigns/${w.campaign.slug}`)).body, /Underground Legal Aid/);
      assert.doesNotMatch((await get(`/api/v1/campaigns/${w.campaign.slug}/endorsements`, w.metalAdmin.cookie)).body, /Underground Legal Aid/);
      assert.match(await endorsementSection(w.campaign.slug, w.hiddenAdmin.cookie), /Türkiye Underground Legal Aid/);
    });

    test('API: endorse, list (confirmed for everyone, all for coordinators), confirm, reject, withdraw', async () => {
      const w = await world();
      const created = await sendJson('POST', `/api/v1/campaigns/${w.campaign.slug}/endorsements`, { organization: w.metal.slug, statement: 'With you.', statementLang: 'en' }, w.metalAdmin.cookie);
      assert.equal(created.statusCode, 201, created.body);
      const body = created.json() as { id: string; status: string; organization: { slug: string; country: string } };
      assert.deepEqual([body.status, body.organization.slug, body.organization.country], ['pending', w.metal.slug, 'DE']);
      await sendJson('POST', `/api/v1/campaigns/${w.campaign.slug}/endorsements`, { organization: w.dockers.slug }, w.dockersAdmin.cookie);
      const list = (cookie?: string, q = '') => get(`/api/v1/campaigns/${w.campaign.slug}/endorsements${q}`, cookie).then((r) => (r.json() as { items: { status: string; organization: { slug: string } }[] }).items.map((i) => [i.organization.slug, i.status]));
      assert.deepEqual(await list(), []);
      assert.equal((await list(w.coordinator.cookie)).length, 2);
      const confirmed = await sendJson('POST', `/api/v1/campaigns/${w.campaign.slug}/endorsements/${body.id}/confirm`, {}, w.coordinator.cookie);
      assert.equal(confirmed.statusCode, 200);
      assert.equal(confirmed.json().status, 'confirmed');
      const dockersId = await idOf(w, w.dockers.id);
      assert.equal((await sendJson('POST', `/api/v1/campaigns/${w.campaign.slug}/endorsements/${dockersId}/reject`, {}, w.metalAdmin.cookie)).statusCode, 403);
      assert.equal((await sendJson('POST', `/api/v1/campaigns/${w.campaign.slug}/endorsements/${dockersId}/reject`, {}, w.coordinator.cookie)).json().status, 'rejected');
      assert.deepEqual(await list(), [[w.metal.slug, 'confirmed']]);
      assert.deepEqual(await list(w.coordinator.cookie, '?status=rejected'), [[w.dockers.slug, 'rejected']]);
      assert.equal((await sendJson('DELETE', `/api/v1/campaigns/${w.campaign.slug}/endorsements/${body.id}`, {}, w.metalAdmin.cookie)).statusCode, 204);
      assert.deepEqual(await list(), []);
    });
  });
}
