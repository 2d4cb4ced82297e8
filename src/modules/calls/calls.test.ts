import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { ENGINES } from '../../../test/helpers/db.ts';
import { useTestApp, loginAs, postForm } from '../../../test/helpers/app.ts';
import { makeCall, makeNetwork, makeNetworkMembership, makeOrganization, makeResponse, makeStruggle } from '../../../test/helpers/factories.ts';
import { Forbidden } from '../../http/errors.ts';
import { loadViewer } from '../accounts/accounts.service.ts';
import { loadCatalog } from '../../i18n/catalogs.ts';
import { todayIn } from '../../lib/time.ts';
import { CALL_ASKS, RESPONSE_KINDS } from '../../db/schema.ts';
import { createCall, validateCall, validateResponse, type CallInput } from './calls.service.ts';
import { fieldErrors } from '../../../test/helpers/errors.ts';

const valid: CallInput = { struggle: 'kolwezi', organization: 'miners', title: 'Messages to the Kolwezi strikers', body: 'Send messages.', asks: ['messages'] };

describe('validateCall', () => {
  test('a valid call is normalized: asks in catalog order, lang first among languages, public by default', () => {
    const v = validateCall({ ...valid, asks: 'donation, statement, donation', languages: 'fr, en', lang: 'sw', deadline: '2026-12-31', issuers: 'a, miners, a' });
    assert.deepEqual(v.asks, ['statement', 'donation']);
    assert.deepEqual(v.languages, ['sw', 'fr', 'en']);
    assert.deepEqual(v.issuers, ['a']);
    assert.equal(v.visibility, 'public');
    assert.equal(v.deadline, '2026-12-31');
    assert.equal(v.actionDate, null);
  });

  test('the action ask needs actionDate; actionDate needs the action ask', async () => {
    assert.deepEqual(await fieldErrors(() => validateCall({ ...valid, asks: ['action', 'statement'] })), [['actionDate', 'calls.validation.action_date_required']]);
    assert.deepEqual(await fieldErrors(() => validateCall({ ...valid, actionDate: '2026-05-01' })), [['actionDate', 'calls.validation.action_date_without_action']]);
    assert.equal(validateCall({ ...valid, asks: ['action'], actionDate: '2026-05-01' }).actionDate, '2026-05-01');
  });

  test('impossible or malformed dates fail on their field', async () => {
    assert.deepEqual(await fieldErrors(() => validateCall({ ...valid, deadline: '2026-02-30' })), [['deadline', 'validation.date_impossible']]);
    assert.deepEqual(await fieldErrors(() => validateCall({ ...valid, asks: ['action'], actionDate: '01.05.2026' })), [['actionDate', 'validation.date']]);
  });

  test('unknown or missing asks are refused', async () => {
    assert.deepEqual(await fieldErrors(() => validateCall({ ...valid, asks: ['messages', 'pray'] })), [['asks', 'validation.choice']]);
    assert.deepEqual(await fieldErrors(() => validateCall({ ...valid, asks: [] })), [['asks', 'calls.validation.asks_required']]);
  });

  test('title, body, languages, slug and visibility are checked', async () => {
    assert.deepEqual(
      await fieldErrors(() => validateCall({ ...valid, title: 'Two\nlines', body: '  ', languages: 'en, not a tag!', slug: 'Bad Slug', visibility: 'secret' })),
      [['title', 'validation.single_line'], ['slug', 'validation.slug'], ['body', 'validation.required'], ['languages', 'validation.language'], ['visibility', 'validation.choice']],
    );
    assert.deepEqual(await fieldErrors(() => validateCall({ ...valid, title: 'x'.repeat(301) })), [['title', 'validation.too_long']]);
  });
});

describe('validateResponse', () => {
  test('link must be http(s), country ISO, kind known, date real', async () => {
    assert.deepEqual(
      await fieldErrors(() => validateResponse({ organization: 'a', kind: 'prayer', date: '2026-13-01', country: 'XX', link: 'javascript:alert(1)' })),
      [['kind', 'validation.choice'], ['date', 'validation.date_impossible'], ['country', 'validation.country'], ['link', 'validation.url']],
    );
    const v = validateResponse({ organization: 'a', kind: 'rally_held', date: '2026-03-04', country: 'de', link: 'https://example.org/photo' });
    assert.equal(v.country, 'DE');
    assert.equal(v.network, null);
  });
});

test('every ask and response kind has a label in every locale', () => {
  for (const locale of ['en', 'de']) {
    const c = loadCatalog(locale);
    for (const a of CALL_ASKS) assert.ok(c.has(`calls.asks.${a}`), `${locale} calls.asks.${a}`);
    for (const k of RESPONSE_KINDS) assert.ok(c.has(`calls.kinds.${k}`), `${locale} calls.kinds.${k}`);
  }
});

for (const engine of ENGINES) {
  describe(engine, () => {
    const t = useTestApp(engine);
    const db = () => t.db.db;
    const get = (url: string, cookie?: string) => t.app.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} });
    const sendJson = (method: 'POST' | 'PUT', url: string, body: unknown, cookie?: string) =>
      t.app.inject({ method, url, payload: JSON.stringify(body), headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) } });
    const problem = (res: LightMyRequestResponse) => {
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
      return res.json() as { code: string; status: number; errors?: { field: string; code: string }[] };
    };
    const count = async (table: 'solidarity_calls' | 'solidarity_responses' | 'solidarity_call_issuers') =>
      Number((await db().selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const viewerOf = async (cookie: string) => (await loadViewer(db(), cookie.slice(4)))!;

    /** Organizations in three countries, a public struggle, a network. */
    const world = async () => {
      const miners = await makeOrganization(db(), { name: 'Kolwezi Miners', country: 'CD' });
      const ig = await makeOrganization(db(), { name: 'IG Solidarität', country: 'DE' });
      const tr = await makeOrganization(db(), { name: 'Maden İşçileri', country: 'TR' });
      const fr = await makeOrganization(db(), { name: 'Mineurs de France', country: 'FR' });
      const struggle = await makeStruggle(db(), { title: 'Strike at the Kolwezi mine', country: 'CD' });
      return { miners, ig, tr, fr, struggle };
    };
    const callBody = (w: Awaited<ReturnType<typeof world>>, extra: Record<string, unknown> = {}) => ({
      struggle: w.struggle.slug,
      organization: w.miners.slug,
      title: 'Messages to the Kolwezi strikers',
      body: 'Send messages of solidarity to the strike committee.',
      lang: 'en',
      asks: ['messages', 'action'],
      actionDate: '2026-05-01',
      deadline: '2026-12-31',
      languages: ['fr', 'sw'],
      ...extra,
    });

    describe('permissions', () => {
      test('a viewer of the organization cannot issue a call (service, page, API); a member can', async () => {
        const w = await world();
        const reader = await loginAs(t, { roles: [[w.miners.id, 'viewer']] });
        await assert.rejects(createCall(db(), await viewerOf(reader.cookie), callBody(w)), Forbidden);
        assert.equal((await sendJson('POST', '/api/v1/calls', callBody(w), reader.cookie)).statusCode, 403);
        assert.equal((await get(`/calls/new?struggle=${w.struggle.slug}`, reader.cookie)).statusCode, 403);
        assert.equal(await count('solidarity_calls'), 0);
        const member = await loginAs(t, { roles: [[w.miners.id, 'member']] });
        const res = await sendJson('POST', '/api/v1/calls', callBody(w), member.cookie);
        assert.equal(res.statusCode, 201, res.body);
        assert.equal(await count('solidarity_calls'), 1);
      });

      test('every named co-issuer needs a publishing role; unknown ones are named', async () => {
        const w = await world();
        const member = await loginAs(t, { roles: [[w.miners.id, 'member'], [w.tr.id, 'viewer']] });
        for (const [issuers, field, code] of [
          [[w.ig.slug], 'issuers', 'organization_not_yours'],
          [[w.tr.slug], 'issuers', 'organization_not_yours'],
          [['ghost-union'], 'issuers', 'organization_unknown'],
        ] as const) {
          const res = await sendJson('POST', '/api/v1/calls', callBody(w, { issuers }), member.cookie);
          assert.equal(res.statusCode, 400, res.body);
          assert.deepEqual(problem(res).errors?.map((e) => [e.field, e.code]), [[field, code]]);
        }
        assert.equal(await count('solidarity_calls'), 0);
        assert.equal(await count('solidarity_call_issuers'), 0);
      });

      test("another organization's admin cannot edit; the owner's coordinator can; a plain member only their own", async () => {
        const w = await world();
        const creator = await loginAs(t, { roles: [[w.miners.id, 'member']] });
        const created = await sendJson('POST', '/api/v1/calls', callBody(w), creator.cookie);
        const slug = created.json().slug as string;
        const otherAdmin = await loginAs(t, { roles: [[w.ig.id, 'admin']] });
        const put = await sendJson('PUT', `/api/v1/calls/${slug}`, callBody(w, { title: 'Hijacked' }), otherAdmin.cookie);
        assert.equal(put.statusCode, 403);
        assert.equal(problem(put).code, 'forbidden');
        assert.equal((await get(`/calls/${slug}/edit`, otherAdmin.cookie)).statusCode, 403);
        const formRes = await postForm(t, `/calls/${slug}`, `/calls/${slug}/edit`, { struggle: w.struggle.slug, organization: w.miners.slug, title: 'Hijacked', body: 'x', ask_messages: '1' }, otherAdmin.cookie);
        assert.equal(formRes.statusCode, 403);
        const otherMember = await loginAs(t, { roles: [[w.miners.id, 'member']] });
        assert.equal((await sendJson('PUT', `/api/v1/calls/${slug}`, callBody(w, { title: 'Renamed' }), otherMember.cookie)).statusCode, 403);
        const coordinator = await loginAs(t, { roles: [[w.miners.id, 'coordinator']] });
        const ok = await sendJson('PUT', `/api/v1/calls/${slug}`, callBody(w, { title: 'Renamed by the coordinator' }), coordinator.cookie);
        assert.equal(ok.statusCode, 200, ok.body);
        const mine = await sendJson('PUT', `/api/v1/calls/${slug}`, callBody(w, { title: 'Renamed by the creator' }), creator.cookie);
        assert.equal(mine.statusCode, 200, mine.body);
        const row = await db().selectFrom('solidarity_calls').select('title').executeTakeFirstOrThrow();
        assert.equal(row.title, 'Renamed by the creator');
      });

      test('responding for an organization one is not in is 403; for a network needs a current membership', async () => {
        const w = await world();
        const call = await makeCall(db(), w.struggle.slug, w.miners.slug);
        const igMember = await loginAs(t, { roles: [[w.ig.id, 'member']] });
        const response = { organization: w.tr.slug, kind: 'message', date: '2026-03-04', report: 'Greetings' };
        const denied = await sendJson('POST', `/api/v1/calls/${call.slug}/responses`, response, igMember.cookie);
        assert.equal(denied.statusCode, 403);
        const viewerOnly = await loginAs(t, { roles: [[w.tr.id, 'viewer']] });
        assert.equal((await sendJson('POST', `/api/v1/calls/${call.slug}/responses`, response, viewerOnly.cookie)).statusCode, 403);
        const page = await postForm(t, `/calls/${call.slug}`, `/calls/${call.slug}/responses`, { organization: w.tr.slug, kind: 'message', date: '2026-03-04' }, igMember.cookie);
        assert.equal(page.statusCode, 403);
        const network = await makeNetwork(db(), { name: 'International Miners' });
        const past = await makeNetwork(db(), { name: 'Former Coordination' });
        await makeNetworkMembership(db(), network.slug, w.ig.slug);
        await makeNetworkMembership(db(), past.slug, w.ig.slug, { since: '2020-01-01', until: '2021-01-01' });
        for (const slug of [past.slug, 'no-such-network']) {
          const res = await sendJson('POST', `/api/v1/calls/${call.slug}/responses`, { ...response, organization: w.ig.slug, network: slug }, igMember.cookie);
          assert.equal(res.statusCode, 400, res.body);
          assert.deepEqual(problem(res).errors?.map((e) => [e.field, e.code]), [['network', slug === past.slug ? 'calls.validation.not_network_member' : 'calls.validation.network_unknown']]);
        }
        assert.equal(await count('solidarity_responses'), 0);
        const ok = await sendJson('POST', `/api/v1/calls/${call.slug}/responses`, { ...response, organization: w.ig.slug, network: network.slug }, igMember.cookie);
        assert.equal(ok.statusCode, 201, ok.body);
        assert.deepEqual(ok.json().responses.map((r: { organization: string; network: string }) => [r.organization, r.network]), [[w.ig.slug, network.slug]]);
      });

      test('anonymous writes are refused with 401 and nothing is written', async () => {
        const w = await world();
        const call = await makeCall(db(), w.struggle.slug, w.miners.slug);
        assert.equal((await sendJson('POST', '/api/v1/calls', callBody(w))).statusCode, 401);
        assert.equal((await sendJson('POST', `/api/v1/calls/${call.slug}/responses`, { organization: w.ig.slug, kind: 'message', date: '2026-03-04' })).statusCode, 401);
        assert.equal(await count('solidarity_calls'), 1);
        assert.equal(await count('solidarity_responses'), 0);
      });
    });

    describe('visibility', () => {
      test('a members-only call is 404 for outsiders, with the same body as a missing one', async () => {
        const w = await world();
        const call = await makeCall(db(), w.struggle.slug, w.miners.slug, { title: 'Internal call ZQHIDDEN', visibility: 'members' });
        // The page repeats its own address (language switch, sign-in link) and a fresh CSRF token.
        const same = (body: string, slug: string) => body.replaceAll(slug, 'SLUG').replace(/name="_csrf" value="[^"]+"/g, '');
        for (const prefix of ['/calls/', '/api/v1/calls/']) {
          const hidden = await get(`${prefix}${call.slug}`);
          const missing = await get(`${prefix}no-such-call`);
          assert.equal(hidden.statusCode, 404);
          assert.equal(missing.statusCode, 404);
          assert.equal(same(hidden.body, call.slug), same(missing.body, 'no-such-call'));
          assert.doesNotMatch(hidden.body, /ZQHIDDEN/);
        }
        const outsider = await loginAs(t, { roles: [[w.ig.id, 'admin']] });
        assert.equal((await get(`/api/v1/calls/${call.slug}`, outsider.cookie)).statusCode, 404);
        assert.equal((await sendJson('POST', `/api/v1/calls/${call.slug}/responses`, { organization: w.ig.slug, kind: 'message', date: '2026-03-04' }, outsider.cookie)).statusCode, 404);
        const list = await get('/api/v1/calls', outsider.cookie);
        assert.equal(list.json().total, 0);
        const member = await loginAs(t, { roles: [[w.miners.id, 'viewer']] });
        const seen = await get(`/calls/${call.slug}`, member.cookie);
        assert.equal(seen.statusCode, 200);
        assert.match(seen.body, /ZQHIDDEN/);
      });

      test('a public call on a struggle the reader may not see is hidden too', async () => {
        const w = await world();
        const hiddenStruggle = await makeStruggle(db(), { title: 'Internal struggle', organization: w.miners.slug, visibility: 'members' });
        const call = await makeCall(db(), hiddenStruggle.slug, w.miners.slug, { visibility: 'public' });
        assert.equal((await get(`/calls/${call.slug}`)).statusCode, 404);
        assert.equal((await get('/api/v1/calls')).json().total, 0);
      });

      test('answered-by counts only responses the reader may see (page, API detail and list)', async () => {
        const w = await world();
        const call = await makeCall(db(), w.struggle.slug, w.miners.slug, { title: 'Messages please' });
        await makeResponse(db(), call.slug, w.ig.slug, { report: 'Rally in Essen ZQPUB1', country: 'DE' });
        await makeResponse(db(), call.slug, w.ig.slug, { kind: 'statement_sent', report: 'Statement ZQPUB2' });
        await makeResponse(db(), call.slug, w.tr.slug, { report: 'Message from Soma ZQPUB3' });
        await makeResponse(db(), call.slug, w.fr.slug, { report: 'Private note ZQPRIV', visibility: 'private' });
        const anon = await get(`/calls/${call.slug}`);
        assert.equal(anon.statusCode, 200);
        assert.match(anon.body, /Answered by 2 organizations in 2 countries/);
        assert.match(anon.body, /ZQPUB1[\s\S]*ZQPUB3|ZQPUB3[\s\S]*ZQPUB1/);
        assert.doesNotMatch(anon.body, /ZQPRIV|Mineurs de France/);
        const api = (await get(`/api/v1/calls/${call.slug}`)).json();
        assert.deepEqual(api.answeredBy, { organizations: 2, countries: 2, responses: 3 });
        assert.equal(api.responses.length, 3);
        assert.deepEqual((await get('/api/v1/calls')).json().items[0].answeredBy, { organizations: 2, countries: 2, responses: 3 });
        // The French organization's coordinator sees its private response.
        const frLead = await loginAs(t, { roles: [[w.fr.id, 'coordinator']] });
        const inside = await get(`/calls/${call.slug}`, frLead.cookie);
        assert.match(inside.body, /Answered by 3 organizations in 3 countries/);
        assert.match(inside.body, /ZQPRIV/);
        assert.deepEqual((await get('/api/v1/calls', frLead.cookie)).json().items[0].answeredBy, { organizations: 3, countries: 3, responses: 4 });
        // German page.
        const de = await t.app.inject({ method: 'GET', url: `/calls/${call.slug}`, headers: { 'accept-language': 'de' } });
        assert.match(de.body, /Beantwortet von 2 Organisationen in 2 Ländern/);
      });

      test('a response of an organization the reader may not see shows without its name', async () => {
        const w = await world();
        const hiddenOrg = await makeOrganization(db(), { name: 'Secret Committee ZQORG', country: 'PE', visibility: 'members' });
        const call = await makeCall(db(), w.struggle.slug, w.miners.slug);
        await makeResponse(db(), call.slug, hiddenOrg.slug, { report: 'Public greeting' });
        const page = await get(`/calls/${call.slug}`);
        assert.match(page.body, /Public greeting/);
        assert.match(page.body, /An organization/);
        assert.doesNotMatch(page.body, /ZQORG/);
        assert.equal((await get(`/api/v1/calls/${call.slug}`)).json().responses[0].organization, null);
      });
    });

    describe('API', () => {
      test('round trip: create, read, update, respond, list with cursor; open calls first', async () => {
        const w = await world();
        const member = await loginAs(t, { roles: [[w.miners.id, 'admin'], [w.ig.id, 'member']] });
        const res = await sendJson('POST', '/api/v1/calls', callBody(w, { issuers: [w.ig.slug] }), member.cookie);
        assert.equal(res.statusCode, 201, res.body);
        assert.equal(res.headers.location, '/api/v1/calls/messages-to-the-kolwezi-strikers');
        const out = res.json();
        assert.equal(out.organization, w.miners.slug);
        assert.deepEqual(out.issuers, [w.miners.slug, w.ig.slug]);
        assert.deepEqual(out.asks, ['action', 'messages']);
        assert.equal(out.actionDate, '2026-05-01');
        assert.equal(out.deadline, '2026-12-31');
        assert.deepEqual(out.languages, ['en', 'fr', 'sw']);
        assert.deepEqual(out.struggle, { slug: w.struggle.slug, title: 'Strike at the Kolwezi mine', country: 'CD' });
        assert.deepEqual(out.answeredBy, { organizations: 0, countries: 0, responses: 0 });
        // The same title again gets a suffixed slug.
        assert.equal((await sendJson('POST', '/api/v1/calls', callBody(w), member.cookie)).json().slug, 'messages-to-the-kolwezi-strikers-2');
        const put = await sendJson('PUT', `/api/v1/calls/${out.slug}`, callBody(w, { asks: ['donation'], actionDate: null, deadline: null, slug: 'kolwezi-donations' }), member.cookie);
        assert.equal(put.statusCode, 200, put.body);
        assert.equal(put.json().slug, 'kolwezi-donations');
        assert.deepEqual(put.json().asks, ['donation']);
        assert.deepEqual(put.json().issuers, [w.miners.slug]);
        assert.equal(put.json().deadline, null);
        const resp = await sendJson('POST', '/api/v1/calls/kolwezi-donations/responses', { organization: w.ig.slug, kind: 'donation_made', date: '2026-04-02', place: 'Essen', country: 'DE', report: 'Collected at the gate', lang: 'de', link: 'https://example.org/photo' }, member.cookie);
        assert.equal(resp.statusCode, 201, resp.body);
        const r = resp.json().responses[0];
        assert.deepEqual([r.organization, r.kind, r.date, r.place, r.country, r.lang, r.link, r.visibility], [w.ig.slug, 'donation_made', '2026-04-02', 'Essen', 'DE', 'de', 'https://example.org/photo', 'public']);
        // A closed call, created last, comes after both open ones.
        await makeCall(db(), w.struggle.slug, w.miners.slug, { title: 'Closed call', deadline: '2020-01-31' });
        const p1 = (await get('/api/v1/calls?limit=2')).json();
        assert.equal(p1.total, 3);
        assert.deepEqual(p1.items.map((i: { slug: string }) => i.slug), ['messages-to-the-kolwezi-strikers-2', 'kolwezi-donations']);
        assert.deepEqual(p1.items.map((i: { open: boolean }) => i.open), [true, true]);
        const p2 = (await get(`/api/v1/calls?limit=2&after=${p1.next}`)).json();
        assert.deepEqual(p2.items.map((i: { slug: string; open: boolean }) => [i.slug, i.open]), [['closed-call', false]]);
        assert.equal(p2.next, null);
        assert.equal((await get('/api/v1/calls?after=garbage')).statusCode, 400);
        assert.equal((await get('/api/v1/calls?country=DE')).json().total, 0);
        assert.equal((await get('/api/v1/calls?country=CD')).json().total, 3);
        assert.equal((await get(`/api/v1/calls?struggle=${w.struggle.slug}`)).json().total, 3);
      });

      test('bad input: 400 naming the field; unknown properties refused; nothing written', async () => {
        const w = await world();
        const member = await loginAs(t, { roles: [[w.miners.id, 'member']] });
        const cases: [Record<string, unknown>, string, string][] = [
          [{ actionDate: null }, 'actionDate', 'calls.validation.action_date_required'],
          [{ deadline: '2026-02-30' }, 'deadline', 'date_impossible'],
          [{ asks: ['pray'] }, 'asks.0', 'invalid'],
          [{ struggle: 'no-such-struggle' }, 'struggle', 'calls.validation.struggle_unknown'],
          [{ title: 'Line\nbreak' }, 'title', 'single_line'],
          [{ extra: 1 }, 'extra', 'unknown_field'],
        ];
        for (const [extra, field, code] of cases) {
          const res = await sendJson('POST', '/api/v1/calls', callBody(w, extra), member.cookie);
          assert.equal(res.statusCode, 400, JSON.stringify(extra));
          const p = problem(res);
          assert.equal(p.errors?.[0]?.field, field, JSON.stringify(extra));
          assert.equal(p.errors?.[0]?.code, code, JSON.stringify(extra));
        }
        assert.equal(await count('solidarity_calls'), 0);
        const spec = (await get('/api/openapi.json')).json();
        assert.equal(spec.paths['/api/v1/calls'].post.requestBody.content['application/json'].schema.additionalProperties, false);
        assert.ok(spec.paths['/api/v1/calls/{slug}/responses'].post);
        assert.ok(spec.paths['/api/v1/calls/{slug}'].put);
      });

      test('a response with an unknown kind names the field once (not once per allowed kind); several bad fields once each', async () => {
        const w = await world();
        const member = await loginAs(t, { roles: [[w.miners.id, 'member']] });
        const created = await sendJson('POST', '/api/v1/calls', callBody(w), member.cookie);
        assert.equal(created.statusCode, 201, created.body);
        const url = `/api/v1/calls/${created.json().slug}/responses`;
        const good = { organization: w.miners.slug, kind: 'message', date: '2026-04-02' };
        const cases: [Record<string, unknown>, [string, string][]][] = [
          [{ kind: 'carrier_pigeon' }, [['kind', 'invalid']]],
          [{ kind: 7 }, [['kind', 'invalid']]],
          [{ kind: 'carrier_pigeon', visibility: 'everyone', date: 'soon', extra: 1 }, [['extra', 'unknown_field'], ['kind', 'invalid'], ['date', 'invalid'], ['visibility', 'invalid']]],
          [{ kind: undefined }, [['kind', 'required']]],
        ];
        for (const [extra, expected] of cases) {
          const res = await sendJson('POST', url, { ...good, ...extra }, member.cookie);
          assert.equal(res.statusCode, 400, JSON.stringify(extra));
          const p = problem(res);
          assert.equal(p.code, 'invalid_request');
          assert.deepEqual(p.errors?.map((e) => [e.field, e.code]).sort(), expected.sort(), JSON.stringify(extra));
        }
        assert.equal(await count('solidarity_responses'), 0);
      });
    });

    describe('audit', () => {
      test('call.created for every issuer, call.updated with the changed fields, call.response_added for the responder', async () => {
        const w = await world();
        const member = await loginAs(t, { roles: [[w.miners.id, 'coordinator'], [w.ig.id, 'member']] });
        const created = (await sendJson('POST', '/api/v1/calls', callBody(w, { issuers: [w.ig.slug] }), member.cookie)).json();
        await sendJson('PUT', `/api/v1/calls/${created.slug}`, callBody(w, { issuers: [w.ig.slug], title: 'New title', deadline: '2027-01-31' }), member.cookie);
        await sendJson('POST', `/api/v1/calls/${created.slug}/responses`, { organization: w.ig.slug, kind: 'rally_held', date: '2026-03-08' }, member.cookie);
        const rows = await db()
          .selectFrom('audit_events')
          .select(['action', 'organization_id', 'actor_user_id', 'subject_id', 'details'])
          .where('action', 'like', 'call.%')
          .orderBy('at')
          .orderBy('id')
          .execute();
        const simple = rows.map((r) => [r.action, r.organization_id, r.actor_user_id, r.subject_id]);
        assert.deepEqual(simple.slice(0, 2).sort(), [
          ['call.created', w.ig.id, member.userId, created.id],
          ['call.created', w.miners.id, member.userId, created.id],
        ].sort());
        assert.deepEqual(simple.slice(2, 4).map((r) => r[0]), ['call.updated', 'call.updated']);
        assert.deepEqual(JSON.parse(rows[2]!.details).fields, ['title', 'deadline']);
        assert.deepEqual(simple[4], ['call.response_added', w.ig.id, member.userId, created.id]);
        assert.equal(rows.length, 5);
      });
    });

    describe('pages', () => {
      test('issue form: 422 with the field marked for an action without a date; success redirects', async () => {
        const w = await world();
        const member = await loginAs(t, { roles: [[w.miners.id, 'member']] });
        const page = `/calls/new?struggle=${w.struggle.slug}`;
        const form = await get(page, member.cookie);
        assert.equal(form.statusCode, 200);
        assert.match(form.body, /Strike at the Kolwezi mine/);
        const values = { struggle: w.struggle.slug, organization: w.miners.slug, title: 'Day of action', body: 'Join us', lang: 'en', ask_action: '1', deadline: '' };
        const bad = await postForm(t, page, '/calls/new', values, member.cookie);
        assert.equal(bad.statusCode, 422);
        assert.match(bad.body, /id="f-actionDate" name="actionDate"[^>]*aria-invalid="true"/);
        assert.match(bad.body, /Give the day of the action/);
        assert.match(bad.body, /name="ask_action" value="1" checked/);
        assert.equal(await count('solidarity_calls'), 0);
        const ok = await postForm(t, page, '/calls/new', { ...values, actionDate: '2026-05-01', ask_statement: '1' }, member.cookie);
        assert.equal(ok.statusCode, 303);
        assert.equal(ok.headers.location, '/calls/day-of-action');
        const detail = await get('/calls/day-of-action', member.cookie);
        assert.match(detail.body, /Action on 1 May 2026/);
        assert.match(detail.body, /Statement of solidarity/);
        assert.match(detail.body, /id="respond"/);
        // An anonymous reader sees the call but no response form.
        const anon = await get('/calls/day-of-action');
        assert.doesNotMatch(anon.body, /id="respond"/);
        // German form errors.
        const de = await postForm(t, page, '/calls/new', { ...values, ask_action: '' }, member.cookie, { 'accept-language': 'de' });
        assert.equal(de.statusCode, 422);
      });

      test("edit form: prefilled with the call's values; saving keeps unchanged asks and moves the slug", async () => {
        const w = await world();
        const call = await makeCall(db(), w.struggle.slug, w.miners.slug, { title: 'Hearing in Lubumbashi', asks: ['hearing', 'statement'], deadline: '2026-12-31', languages: 'fr' });
        const lead = await loginAs(t, { roles: [[w.miners.id, 'admin']] });
        const edit = await get(`/calls/${call.slug}/edit`, lead.cookie);
        assert.equal(edit.statusCode, 200);
        assert.match(edit.body, /name="ask_hearing" value="1" checked/);
        assert.match(edit.body, /name="ask_statement" value="1" checked/);
        assert.doesNotMatch(edit.body, /name="ask_donation" value="1" checked/);
        assert.match(edit.body, /id="f-deadline" name="deadline"[^>]*value="2026-12-31"/);
        assert.match(edit.body, /value="en, fr"/);
        const values = { struggle: w.struggle.slug, organization: w.miners.slug, title: 'Hearing in Lubumbashi', body: 'Come to the court.', lang: 'en', ask_hearing: '1', deadline: '2027-01-15', languages: 'en, fr', visibility: 'network', slug: 'lubumbashi-hearing' };
        const res = await postForm(t, `/calls/${call.slug}/edit`, `/calls/${call.slug}/edit`, values, lead.cookie);
        assert.equal(res.statusCode, 303);
        assert.equal(res.headers.location, '/calls/lubumbashi-hearing');
        const out = (await get('/api/v1/calls/lubumbashi-hearing', lead.cookie)).json();
        assert.deepEqual([out.asks, out.deadline, out.visibility, out.body], [['hearing'], '2027-01-15', 'network', 'Come to the court.']);
        // Network visibility: anonymous readers no longer see it.
        assert.equal((await get('/calls/lubumbashi-hearing')).statusCode, 404);
      });

      test('response form: 422 for a bad link, then a response is listed', async () => {
        const w = await world();
        const call = await makeCall(db(), w.struggle.slug, w.miners.slug);
        const member = await loginAs(t, { roles: [[w.ig.id, 'member']] });
        const values = { organization: w.ig.slug, kind: 'rally_held', date: '2026-03-08', place: 'Essen', country: 'DE', report: 'Rally at the gate', lang: 'en', link: 'ftp://example.org/x', visibility: 'public' };
        const bad = await postForm(t, `/calls/${call.slug}`, `/calls/${call.slug}/responses`, values, member.cookie);
        assert.equal(bad.statusCode, 422);
        assert.match(bad.body, /id="f-link" name="link"[^>]*aria-invalid="true"/);
        // The form posts to its own id: the browser shows the re-rendered form, summary first, not the page top.
        assert.match(bad.body, new RegExp(`<form method="post" action="/calls/${call.slug}/responses#respond" class="narrow" id="respond" novalidate><h3>[^<]*</h3><input type="hidden" name="_csrf"[^>]*/><div class="error-summary" role="alert">`));
        assert.equal(await count('solidarity_responses'), 0);
        const ok = await postForm(t, `/calls/${call.slug}`, `/calls/${call.slug}/responses`, { ...values, link: 'https://example.org/x' }, member.cookie);
        assert.equal(ok.statusCode, 303);
        const page = await get(`/calls/${call.slug}`);
        assert.match(page.body, /Rally held/);
        assert.match(page.body, /Answered by 1 organization in 1 country/);
      });

      test('the deadline day is open in the reader’s time zone; the list shows open calls first', async () => {
        const w = await world();
        // Pago Pago (UTC−11) and Kiritimati (UTC+14) never share a date.
        const deadline = todayIn('Pacific/Pago_Pago');
        await makeCall(db(), w.struggle.slug, w.miners.slug, { title: 'Closing call', deadline });
        await makeCall(db(), w.struggle.slug, w.miners.slug, { title: 'Old closed call', deadline: '2020-01-31' });
        const west = await loginAs(t);
        const east = await loginAs(t);
        await db().updateTable('users').set({ time_zone: 'Pacific/Pago_Pago' }).where('id', '=', west.userId).execute();
        await db().updateTable('users').set({ time_zone: 'Pacific/Kiritimati' }).where('id', '=', east.userId).execute();
        const openFor = async (cookie: string) => (await get('/api/v1/calls', cookie)).json().items.map((i: { title: string; open: boolean }) => [i.title, i.open]);
        assert.deepEqual(await openFor(west.cookie), [['Closing call', true], ['Old closed call', false]]);
        assert.deepEqual(await openFor(east.cookie), [['Old closed call', false], ['Closing call', false]]);
        const list = await get('/calls', west.cookie);
        assert.match(list.body, /Closing call[\s\S]*Old closed call/);
        assert.match(list.body, /2 solidarity calls/);
      });

      test("the struggle page lists its calls the reader may see, with the answered-by summary and an issue link", async () => {
        const w = await world();
        const pub = await makeCall(db(), w.struggle.slug, w.miners.slug, { title: 'Public call ZQCALLPUB' });
        await makeCall(db(), w.struggle.slug, w.miners.slug, { title: 'Members call ZQCALLMEM', visibility: 'members' });
        await makeResponse(db(), pub.slug, w.ig.slug);
        await makeResponse(db(), pub.slug, w.tr.slug, { visibility: 'private' });
        const anon = await get(`/struggles/${w.struggle.slug}`);
        assert.equal(anon.statusCode, 200);
        assert.match(anon.body, /<h2>Solidarity calls<\/h2>/);
        assert.match(anon.body, /ZQCALLPUB/);
        assert.doesNotMatch(anon.body, /ZQCALLMEM/);
        assert.match(anon.body, /Answered by 1 organization in 1 country/);
        assert.doesNotMatch(anon.body, /\/calls\/new\?struggle=/);
        const member = await loginAs(t, { roles: [[w.miners.id, 'member']] });
        const inside = await get(`/struggles/${w.struggle.slug}`, member.cookie);
        assert.match(inside.body, /ZQCALLMEM/);
        assert.match(inside.body, new RegExp(`href="/calls/new\\?struggle=${w.struggle.slug}"`));
        const de = await t.app.inject({ method: 'GET', url: `/struggles/${w.struggle.slug}`, headers: { 'accept-language': 'de' } });
        assert.match(de.body, /Solidaritätsaufrufe/);
        assert.match(de.body, /Beantwortet von 1 Organisation in 1 Land/);
      });
    });
  });
}
