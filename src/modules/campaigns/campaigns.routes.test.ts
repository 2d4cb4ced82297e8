import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { ENGINES } from '../../../test/helpers/db.ts';
import { useTestApp, loginAs, postForm } from '../../../test/helpers/app.ts';
import { makeOrganization } from '../../../test/helpers/factories.ts';
import { insertCampaign } from '../../../test/helpers/campaigns.ts';
import { newId } from '../../lib/ids.ts';

/**
 * Campaign pages and API through HTTP on every engine: starting a campaign in English and adding
 * German with the translator credited, the public page in the reader's language with the
 * original marked, the counter and the table by country from the kept counts and the tallies,
 * the public list of supporters (only confirmed ones who agreed, never an address), drafts and
 * private campaigns answering like missing ones, field errors as 422 forms and 400 problems.
 */

for (const engine of ENGINES) {
  describe(engine, () => {
    const t = useTestApp(engine);
    const db = () => t.db.db;
    const get = (url: string, cookie?: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers: { ...(cookie ? { cookie } : {}), ...headers } });
    const sendJson = (method: 'POST' | 'PUT', url: string, body: unknown, cookie?: string) =>
      t.app.inject({ method, url, payload: JSON.stringify(body), headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) } });
    const problem = (res: LightMyRequestResponse) => {
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
      return res.json() as { code: string; status: number; errors?: { field: string; code: string }[] };
    };
    /** The page's main content without tags' attributes noise, for assertions that read like the page. */
    const main = (body: string) => body.slice(body.indexOf('<main'), body.indexOf('</main>'));
    const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

    const world = async () => {
      const union = await makeOrganization(db(), { name: 'Kolwezi Miners Union', country: 'CD' });
      const partner = await makeOrganization(db(), { name: 'Metalworkers Essen', country: 'DE' });
      const other = await makeOrganization(db(), { name: 'Dockers Union', country: 'FR' });
      const coordinator = await loginAs(t, { name: 'Coco Ordinator', roles: [[union.id, 'coordinator'], [partner.id, 'admin']] });
      const member = await loginAs(t, { roles: [[union.id, 'member']] });
      const outsider = await loginAs(t, { roles: [[other.id, 'admin']] });
      return { union, partner, other, coordinator, member, outsider };
    };
    type World = Awaited<ReturnType<typeof world>>;
    const start = async (w: World, extra: Record<string, unknown> = {}) => {
      const res = await sendJson(
        'POST',
        '/api/v1/campaigns',
        { organization: w.union.slug, slug: 'pay-the-miners', lang: 'en', title: 'Pay the Kolwezi miners', appeal: 'Eight months without wages.\nWe demand payment now.', startsOn: '2026-03-01', goal: 1000, status: 'open', ...extra },
        w.coordinator.cookie,
      );
      assert.equal(res.statusCode, 201, res.body);
      return res.json() as { id: string; slug: string };
    };
    /** Confirmed supporters written directly, with the kept per-country counts the signing code maintains. */
    const supporters = async (campaignId: string, rows: { name: string; country: string; listed: boolean; confirmedAt: string | null; city?: string; affiliation?: string }[]) => {
      const counts = new Map<string, number>();
      for (const r of rows) {
        const id = newId();
        await db()
          .insertInto('supporters')
          .values({
            id, campaign_id: campaignId, email_hash: `h.${id}`, email_sealed: 'sealed', domain_hash: 'd', name: r.name, country: r.country, city: r.city ?? null, affiliation: r.affiliation ?? null, lang: 'en',
            list_publicly: r.listed ? 1 : 0, list_consent_version: r.listed ? 'v1' : null, list_consented_at: r.listed ? '2026-03-02T10:00:00.000Z' : null,
            contact_ok: 0, contact_consent_version: null, contact_consented_at: null, status: r.confirmedAt ? 'confirmed' : 'pending', source: 'online', consent_basis: null, import_id: null,
            created_at: '2026-03-02T10:00:00.000Z', confirmed_at: r.confirmedAt, expires_at: r.confirmedAt ? null : '2026-03-09T10:00:00.000Z',
          })
          .execute();
        if (r.confirmedAt) counts.set(r.country, (counts.get(r.country) ?? 0) + 1);
      }
      for (const [country, n] of counts) await db().insertInto('campaign_counts').values({ campaign_id: campaignId, country, supporters: n }).execute();
    };

    test('a coordinator starts a campaign through the form; the page shows the appeal, the period and the issuers', async () => {
      const w = await world();
      const form = await get('/campaigns/new', w.coordinator.cookie);
      assert.equal(form.statusCode, 200);
      assert.match(form.body, new RegExp(`<option value="${w.union.slug}"`));
      assert.doesNotMatch(form.body, new RegExp(`<option value="${w.other.slug}"`), 'only organizations the person leads are offered');
      const res = await postForm(t, '/campaigns/new', '/campaigns/new', {
        organization: w.union.slug, issuers: w.partner.slug, lang: 'en', title: 'Pay the Kolwezi miners', appeal: 'Eight months without wages.',
        startsOn: '2026-03-01', endsOn: '2026-06-30', goal: '5000', status: 'open', visibility: 'public',
      }, w.coordinator.cookie);
      assert.equal(res.statusCode, 303, res.body);
      assert.equal(res.headers.location, '/campaigns/pay-the-kolwezi-miners?done=created');
      const page = await get('/campaigns/pay-the-kolwezi-miners');
      assert.equal(page.statusCode, 200);
      const body = text(main(page.body));
      assert.match(main(page.body), /<h1 lang="en" dir="auto"><bdi>Pay the Kolwezi miners<\/bdi><\/h1>/);
      assert.match(body, /Open for signatures · 1 Mar 2026 – 30 Jun 2026 · Issued by Kolwezi Miners Union , Metalworkers Essen/);
      assert.match(body, /Original text, in English\./);
      assert.match(main(page.body), /<div class="prose appeal" lang="en" dir="auto">Eight months without wages\.<\/div>/);
      assert.match(main(page.body), /<progress class="goal" max="5000" value="0" data-live="progress" aria-labelledby="goal-text">0%<\/progress>/);
      assert.match(body, /0% of the goal of 5,000 signatures/);
      assert.match(page.body, /<script type="module" src="\/static\/campaign-counter\.js"><\/script>/);
      assert.doesNotMatch(page.body, /href="\/campaigns\/pay-the-kolwezi-miners\/edit"/, 'no coordinators’ links for an anonymous reader');
      assert.match((await get('/campaigns/pay-the-kolwezi-miners', w.coordinator.cookie)).body, /href="\/campaigns\/pay-the-kolwezi-miners\/edit"/);
      const events = await db().selectFrom('audit_events').select(['action', 'organization_id']).where('subject_type', '=', 'campaign').orderBy('organization_id').execute();
      assert.deepEqual(events.map((e) => e.action), ['campaign.created', 'campaign.created']);
      assert.deepEqual(new Set(events.map((e) => e.organization_id)), new Set([w.union.id, w.partner.id]));
      const original = await db().selectFrom('campaign_translations').selectAll().executeTakeFirstOrThrow();
      assert.deepEqual([original.lang, original.is_original, original.translated_by], ['en', 1, w.coordinator.userId]);
    });

    test('bad input: the form comes back with field errors (422), the API answers 400 naming each field; nothing is written', async () => {
      const w = await world();
      const res = await postForm(t, '/campaigns/new', '/campaigns/new', { organization: w.union.slug, lang: 'xx-!!', title: '', appeal: 'x', startsOn: '2026-05-01', endsOn: '2026-04-01', goal: '0', status: 'open' }, w.coordinator.cookie);
      assert.equal(res.statusCode, 422);
      assert.match(res.body, /class="error-summary"/);
      for (const f of ['lang', 'title', 'endsOn', 'goal']) assert.match(res.body, new RegExp(`id="f-${f}"[^>]*aria-invalid="true"`), f);
      const api = await sendJson('POST', '/api/v1/campaigns', { organization: w.union.slug, title: 'T', appeal: 'A', startsOn: '2026-05-01', endsOn: '2026-04-01', issuers: [w.other.slug] }, w.coordinator.cookie);
      assert.equal(api.statusCode, 400);
      assert.deepEqual(problem(api).errors!.map((e) => [e.field, e.code]), [['endsOn', 'end_before_start']]);
      const notLed = await sendJson('POST', '/api/v1/campaigns', { organization: w.union.slug, title: 'T', appeal: 'A', startsOn: '2026-05-01', issuers: [w.other.slug] }, w.coordinator.cookie);
      assert.equal(notLed.statusCode, 400);
      assert.deepEqual(problem(notLed).errors!.map((e) => [e.field, e.code]), [['issuers', 'campaigns.validation.issuer_not_led']]);
      const member = await sendJson('POST', '/api/v1/campaigns', { organization: w.union.slug, title: 'T', appeal: 'A', startsOn: '2026-05-01' }, w.member.cookie);
      assert.equal(member.statusCode, 403);
      assert.equal((await get('/campaigns/new', w.member.cookie)).statusCode, 403);
      const count = await db().selectFrom('campaigns').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      assert.equal(Number(count.n), 0);
    });

    test('translations: German added with the translator credited; the page follows the reader’s language, links the others and marks the original', async () => {
      const w = await world();
      const { slug } = await start(w);
      const res = await postForm(t, `/campaigns/${slug}/translations`, `/campaigns/${slug}/translations`, { lang: 'de', title: 'Lohn für die Bergleute von Kolwezi', appeal: 'Acht Monate ohne Lohn.', translatorName: 'Anna Schmidt' }, w.coordinator.cookie);
      assert.equal(res.statusCode, 303, res.body);
      assert.equal(res.headers.location, `/campaigns/${slug}/translations?done=translation_saved`);
      const stored = await db().selectFrom('campaign_translations').selectAll().where('lang', '=', 'de').executeTakeFirstOrThrow();
      assert.deepEqual([stored.is_original, stored.translated_by, stored.translator_name], [0, w.coordinator.userId, 'Anna Schmidt']);

      const de = await get(`/campaigns/${slug}`, undefined, { 'accept-language': 'de' });
      const deBody = main(de.body);
      assert.match(deBody, /<h1 lang="de" dir="auto"><bdi>Lohn für die Bergleute von Kolwezi<\/bdi><\/h1>/);
      assert.match(deBody, /lang="de" dir="auto">Acht Monate ohne Lohn\.<\/div>/);
      assert.match(text(deBody), /Übersetzung von Anna Schmidt ; Originalsprache: Englisch\./);
      assert.match(deBody, /<a href="\/campaigns\/pay-the-miners\?lang=en" hreflang="en" lang="en">English<\/a> <span class="badge">Original<\/span>/);
      assert.match(deBody, /<strong lang="de" aria-current="true">Deutsch<\/strong>/, 'the language shown is marked, not linked');
      // A German reader may still ask for the original; an English reader gets it without asking.
      assert.match(main((await get(`/campaigns/${slug}?lang=en`, undefined, { 'accept-language': 'de' })).body), /<h1 lang="en" dir="auto"><bdi>Pay the Kolwezi miners/);
      assert.match(main((await get(`/campaigns/${slug}`)).body), /<h1 lang="en" dir="auto"><bdi>Pay the Kolwezi miners/);
      assert.match(main((await get(`/campaigns/${slug}?lang=de-AT`)).body), /<h1 lang="de"/, 'the same primary language when the exact tag has no text');
      // Without a name given, the account that saved the translation is credited.
      const api = await sendJson('PUT', `/api/v1/campaigns/${slug}/translations/fr`, { title: 'Payez les mineurs', appeal: 'Huit mois sans salaire.' }, w.coordinator.cookie);
      assert.equal(api.statusCode, 201, api.body);
      assert.deepEqual(api.json(), { lang: 'fr', title: 'Payez les mineurs', appeal: 'Huit mois sans salaire.', original: false, translator: 'Coco Ordinator', updatedAt: api.json().updatedAt });
      assert.equal((await sendJson('PUT', `/api/v1/campaigns/${slug}/translations/fr`, { title: 'Payez les mineurs de Kolwezi', appeal: 'Huit mois.' }, w.coordinator.cookie)).statusCode, 200);
      const detail = (await get(`/api/v1/campaigns/${slug}`)).json() as { translations: { lang: string; original: boolean; translator: string | null }[] };
      assert.deepEqual(detail.translations.map((x) => [x.lang, x.original, x.translator]), [['en', true, 'Coco Ordinator'], ['de', false, 'Anna Schmidt'], ['fr', false, 'Coco Ordinator']]);
      // The original language is changed on the campaign itself.
      const orig = await sendJson('PUT', `/api/v1/campaigns/${slug}/translations/en`, { title: 'X', appeal: 'Y' }, w.coordinator.cookie);
      assert.equal(orig.statusCode, 400);
      assert.deepEqual(problem(orig).errors!.map((e) => e.code), ['campaigns.translations.validation.is_original']);
      assert.equal((await sendJson('PUT', `/api/v1/campaigns/${slug}/translations/es`, { title: 'X', appeal: 'Y' }, w.member.cookie)).statusCode, 403);
      const page = await get(`/campaigns/${slug}/translations?lang=de`, w.coordinator.cookie);
      assert.match(page.body, /<input id="f-translatorName" name="translatorName"[^>]*value="Anna Schmidt"/);
      const events = await db().selectFrom('audit_events').select('action').where('action', '=', 'campaign.translation_saved').execute();
      assert.equal(events.length, 3);
    });

    test('signatures by country: confirmed supporters from the kept counts and the tallies, apart and in all; the counts API and its cache header', async () => {
      const w = await world();
      const { id, slug } = await start(w);
      await supporters(id, [
        { name: 'Ana', country: 'DE', listed: true, confirmedAt: '2026-03-03T10:00:00.000Z' },
        { name: 'Ben', country: 'DE', listed: false, confirmedAt: '2026-03-04T10:00:00.000Z' },
        { name: 'Chloé', country: 'FR', listed: true, confirmedAt: '2026-03-05T10:00:00.000Z' },
        { name: 'Dana', country: 'FR', listed: true, confirmedAt: null },
      ]);
      await db().insertInto('campaign_tallies').values({ id: newId(), campaign_id: id, country: 'CD', count: 240, source: 'Rally at the gate', collected_on: '2026-03-01', external_ref: null, entered_by: null, entered_at: '2026-03-02T00:00:00.000Z' }).execute();
      await db().insertInto('campaign_tallies').values({ id: newId(), campaign_id: id, country: 'DE', count: 15, source: 'Info stand', collected_on: null, external_ref: null, entered_by: null, entered_at: '2026-03-02T00:00:00.000Z' }).execute();
      const counts = await get(`/api/v1/campaigns/${slug}/counts`);
      assert.equal(counts.statusCode, 200);
      assert.equal(counts.headers['cache-control'], 'public, max-age=5');
      assert.deepEqual(counts.json(), {
        online: 3, tallies: 255, total: 258, goal: 1000, percent: 25,
        byCountry: [
          { country: 'CD', online: 0, tallies: 240, total: 240 },
          { country: 'DE', online: 2, tallies: 15, total: 17 },
          { country: 'FR', online: 1, tallies: 0, total: 1 },
        ],
      });
      const page = main((await get(`/campaigns/${slug}`)).body);
      assert.match(page, /<data value="258" data-live="total">258<\/data>/);
      assert.match(text(page), /3 signed here \(online or from imported lists\) · 255 on paper lists and elsewhere/);
      assert.match(text(page), /25% of the goal of 1,000 signatures/);
      const rows = [...page.matchAll(/<tr data-country="(\w\w)"><th scope="row">([^<]+)<\/th><td class="num">([\d,]+)<\/td><td class="num">([\d,]+)<\/td><td class="num">([\d,]+)<\/td><\/tr>/g)].map((m) => m.slice(1));
      assert.deepEqual(rows, [
        ['CD', 'Congo - Kinshasa', '0', '240', '240'],
        ['DE', 'Germany', '2', '15', '17'],
        ['FR', 'France', '1', '0', '1'],
      ]);
      assert.match(page, /<tfoot><tr><th scope="row">All countries<\/th><td class="num">3<\/td><td class="num">255<\/td><td class="num">258<\/td><\/tr><\/tfoot>/);
      assert.match(page, /<title>Congo - Kinshasa: 240 signatures<\/title>/, 'the map shades countries by their total');
      const list = (await get('/api/v1/campaigns')).json() as { items: { slug: string; total: number }[] };
      assert.deepEqual(list.items.map((i) => [i.slug, i.total]), [[slug, 258]]);
    });

    test('signatures in 45 countries: the table lists the 40 with most and sums the other 5 in one row; ?countries=all lists every one; the map shades all', async () => {
      const w = await world();
      const { id, slug } = await start(w);
      const codes = ['AR', 'AT', 'AU', 'BD', 'BE', 'BG', 'BO', 'BR', 'CA', 'CH', 'CL', 'CN', 'CO', 'CZ', 'DE', 'DK', 'EC', 'EG', 'ES', 'FI', 'FR', 'GB', 'GH', 'GR', 'HU', 'ID', 'IE', 'IN', 'IT', 'JP', 'KE', 'KR', 'MA', 'MX', 'NG', 'NL', 'NO', 'NZ', 'PE', 'PH', 'PL', 'PT', 'SE', 'TR', 'ZA'];
      await db().insertInto('campaign_tallies').values(codes.map((country, i) => ({ id: newId(), campaign_id: id, country, count: 100 - i, source: 'Petition', collected_on: null, external_ref: `x:${country}`, entered_by: null, entered_at: '2026-03-02T00:00:00.000Z' }))).execute();
      const page = main((await get(`/campaigns/${slug}?lang=en`)).body);
      assert.equal([...page.matchAll(/<tr data-country=/g)].length, 40);
      // The five smallest: 60 + 59 + 58 + 57 + 56.
      assert.match(page, /<tr class="other-countries"><th scope="row">Other countries \(5\)<\/th><td class="num">0<\/td><td class="num">290<\/td><td class="num">290<\/td><\/tr>/);
      assert.match(page, /<a href="\/campaigns\/pay-the-miners\?lang=en&amp;countries=all#countries">Show all 45 countries<\/a>/);
      assert.equal([...page.matchAll(/<title>[^<]+: \d+ signatures<\/title>/g)].length, 45);
      const all = main((await get(`/campaigns/${slug}?countries=all`)).body);
      assert.equal([...all.matchAll(/<tr data-country=/g)].length, 45);
      assert.doesNotMatch(all, /other-countries|Show all/);
    });

    test('the public list: confirmed supporters who agreed to be listed, newest first, 30 a page; never an e-mail address', async () => {
      const w = await world();
      const { id, slug } = await start(w);
      const rows = Array.from({ length: 33 }, (_, i) => ({
        name: `Supporter ${String(i + 1).padStart(2, '0')}`, country: i % 2 ? 'PE' : 'BR', listed: true, city: 'Lima', affiliation: i === 32 ? 'Sindicato Único' : undefined,
        confirmedAt: `2026-03-${String(3 + (i % 20)).padStart(2, '0')}T10:${String(i).padStart(2, '0')}:00.000Z`,
      }));
      await supporters(id, [...rows, { name: 'Hidden Person', country: 'PE', listed: false, confirmedAt: '2026-03-30T10:00:00.000Z' }, { name: 'Unconfirmed Person', country: 'PE', listed: true, confirmedAt: null }]);
      const page = main((await get(`/campaigns/${slug}`)).body);
      assert.match(text(page), /33 people signed and agreed to be listed here\./);
      const names = [...page.matchAll(/<li><strong><bdi>(Supporter \d\d)<\/bdi><\/strong><br\/>/g)].map((m) => m[1]);
      assert.equal(names.length, 30);
      const expected = [...rows].sort((a, b) => (a.confirmedAt < b.confirmedAt ? 1 : -1)).map((r) => r.name);
      assert.deepEqual(names, expected.slice(0, 30));
      assert.doesNotMatch(page, /Hidden Person|Unconfirmed Person|sealed|@/);
      const next = /<a rel="next" href="([^"]+)">Earlier supporters<\/a>/.exec(page)![1]!.replaceAll('&amp;', '&');
      const second = main((await get(next)).body);
      assert.deepEqual([...second.matchAll(/<li><strong><bdi>(Supporter \d\d)<\/bdi><\/strong>/g)].map((m) => m[1]), expected.slice(30));
      assert.match(second, /Back to the newest supporters/);
      const api = (await get(`/api/v1/campaigns/${slug}/public-supporters?limit=2`)).json() as { items: Record<string, unknown>[]; total: number; next: string };
      assert.equal(api.total, 33);
      assert.deepEqual(Object.keys(api.items[0]!).sort(), ['affiliation', 'city', 'confirmedAt', 'country', 'name']);
      assert.deepEqual(api.items.map((s) => s.name), expected.slice(0, 2));
      assert.equal((await get(`/api/v1/campaigns/${slug}/public-supporters?after=garbage`)).statusCode, 400);
    });

    test('drafts are seen by their coordinators only; a private campaign answers outsiders like a missing one', async () => {
      const w = await world();
      const { slug } = await start(w, { status: 'draft' });
      for (const cookie of [undefined, w.member.cookie, w.outsider.cookie]) {
        assert.equal((await get(`/campaigns/${slug}`, cookie)).statusCode, 404);
        assert.equal((await get(`/api/v1/campaigns/${slug}/counts`, cookie)).statusCode, 404);
        assert.deepEqual(((await get('/api/v1/campaigns', cookie)).json() as { items: unknown[] }).items, []);
      }
      const own = await get(`/campaigns/${slug}`, w.coordinator.cookie);
      assert.equal(own.statusCode, 200);
      assert.match(own.body, /This campaign is a draft\./);
      assert.equal(((await get('/api/v1/campaigns', w.coordinator.cookie)).json() as { items: unknown[] }).items.length, 1);

      const priv = await insertCampaign(db(), w.union.id, { slug: 'internal-appeal', visibility: 'private', title: 'Internal appeal' });
      const missing = await get('/campaigns/no-such-campaign', w.outsider.cookie);
      const hidden = await get(`/campaigns/${priv.slug}`, w.outsider.cookie);
      assert.equal(hidden.statusCode, 404);
      assert.equal(text(main(hidden.body)), text(main(missing.body)));
      assert.equal((await get(`/campaigns/${priv.slug}`, w.member.cookie)).statusCode, 404, 'private: admins and coordinators of the owner only');
      assert.equal((await get(`/campaigns/${priv.slug}`, w.coordinator.cookie)).statusCode, 200);
      assert.equal((await get(`/api/v1/campaigns/${priv.slug}/counts`, w.coordinator.cookie)).headers['cache-control'], 'private, no-store');
      assert.doesNotMatch((await get('/campaigns', w.outsider.cookie)).body, /Internal appeal/);
    });

    test('a coordinator changes the campaign; issuers are added only by who leads them; the audit names the changed fields', async () => {
      const w = await world();
      const { slug } = await start(w);
      const edit = await get(`/campaigns/${slug}/edit`, w.coordinator.cookie);
      assert.equal(edit.statusCode, 200);
      assert.match(edit.body, /<textarea id="f-appeal" name="appeal"[^>]*>Eight months without wages\.\nWe demand payment now\.<\/textarea>/);
      const refused = await postForm(t, `/campaigns/${slug}/edit`, `/campaigns/${slug}/edit`, { issuers: w.other.slug, title: 'Pay them', appeal: 'Now.', startsOn: '2026-03-01', status: 'open', visibility: 'public' }, w.coordinator.cookie);
      assert.equal(refused.statusCode, 422);
      assert.match(refused.body, /You do not coordinate these organizations: /);
      const ok = await postForm(t, `/campaigns/${slug}/edit`, `/campaigns/${slug}/edit`, { issuers: w.partner.slug, title: 'Pay them now', appeal: 'Now.', startsOn: '2026-03-01', goal: '2000', status: 'closed', visibility: 'public' }, w.coordinator.cookie);
      assert.equal(ok.statusCode, 303, ok.body);
      const page = main((await get(`/campaigns/${slug}`)).body);
      assert.match(page, /<bdi>Pay them now<\/bdi>/);
      assert.match(page, /This campaign is closed; signatures are no longer collected\./);
      const detail = (await get(`/api/v1/campaigns/${slug}`)).json() as { issuers: string[]; goal: number; status: string };
      assert.deepEqual([detail.issuers, detail.goal, detail.status], [[w.union.slug, w.partner.slug], 2000, 'closed']);
      const updated = await db().selectFrom('audit_events').select(['organization_id', 'details']).where('action', '=', 'campaign.updated').where('organization_id', '=', w.union.id).executeTakeFirstOrThrow();
      assert.deepEqual(JSON.parse(updated.details), { fields: ['title', 'appeal', 'goal', 'status', 'issuers'] });
      assert.equal((await postForm(t, `/campaigns/${slug}`, `/campaigns/${slug}/edit`, { title: 'x', appeal: 'y', startsOn: '2026-03-01' }, w.member.cookie)).statusCode, 403);
    });

    test('the campaigns list: each title in the reader’s language, status filter, paging by cursor', async () => {
      const w = await world();
      for (let i = 1; i <= 27; i++) await insertCampaign(db(), w.union.id, { slug: `appeal-${i}`, title: `Appeal ${i}`, status: i === 1 ? 'closed' : 'open' });
      const de = main((await get('/campaigns', undefined, { 'accept-language': 'de' })).body);
      assert.match(text(de), /27 Kampagnen/);
      assert.equal([...de.matchAll(/<a href="\/campaigns\/appeal-\d+" lang="de">/g)].length, 25, 'German titles from the translations');
      const next = /<a rel="next" href="([^"]+)"/.exec(de)![1]!.replaceAll('&amp;', '&');
      assert.equal([...main((await get(next)).body).matchAll(/<a href="\/campaigns\/appeal-\d+" lang="en">/g)].length, 2);
      const closed = main((await get('/campaigns?status=closed')).body);
      assert.match(text(closed), /1 campaign/);
      assert.match(closed, /<bdi>Appeal 1<\/bdi>/);
      assert.equal((await get('/api/v1/campaigns?status=nonsense')).statusCode, 400);
    });
  });
}
