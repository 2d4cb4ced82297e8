import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { ENGINES } from '../../../test/helpers/db.ts';
import { useTestApp, loginAs } from '../../../test/helpers/app.ts';
import { makeActionDay, makeLocalAction, makeOrganization } from '../../../test/helpers/factories.ts';
import { loadViewer } from '../accounts/accounts.service.ts';
import { FieldChecker } from '../../lib/validate.ts';

// The JSON API of local actions at its edges: `expectedParticipants: null` is "unknown" (not 0)
// through registering, changing and the participation table; numbers too large for the range get
// the range message; a DELETE with `Content-Type: application/json` and no body is accepted.

describe('FieldChecker.integer', () => {
  test('a whole number too large to hold exactly is out of range, not "not a whole number"', () => {
    const c = new FieldChecker();
    assert.equal(c.integer('n', 99999999999999999999, { min: 0, max: 100 }), null);
    assert.equal(c.integer('n', '99999999999999999999', { min: 0, max: 100 }), null);
    assert.equal(c.integer('n', 12.5), null);
    assert.equal(c.integer('n', 'twelve'), null);
    assert.equal(c.integer('n', ' 42 ', { max: 100 }), 42);
    assert.deepEqual(c.errors, [
      { field: 'n', messageId: 'validation.range', values: { min: 0, max: 100 } },
      { field: 'n', messageId: 'validation.range', values: { min: 0, max: 100 } },
      { field: 'n', messageId: 'validation.integer' },
      { field: 'n', messageId: 'validation.integer' },
    ]);
  });
});

for (const engine of ENGINES) {
  describe(`local actions API: expected participants and bodiless DELETE (${engine})`, () => {
    const t = useTestApp(engine);
    const db = () => t.db.db;
    const send = (method: 'POST' | 'PUT' | 'DELETE', url: string, cookie: string, o: { body?: unknown; raw?: string; headers?: Record<string, string> } = {}) =>
      t.app.inject({
        method,
        url,
        headers: { cookie, ...(o.body !== undefined || o.raw !== undefined ? { 'content-type': 'application/json' } : {}), ...o.headers },
        ...(o.body !== undefined ? { payload: JSON.stringify(o.body) } : o.raw !== undefined ? { payload: o.raw } : {}),
      });
    const problem = (res: LightMyRequestResponse) => {
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
      return res.json() as { status: number; code: string; title: string; errors?: { field: string; code: string; detail: string }[] };
    };
    const stored = async (id: string) => (await db().selectFrom('local_actions').select('expected_participants').where('id', '=', id).executeTakeFirstOrThrow()).expected_participants;

    async function setup() {
      const org = await makeOrganization(db(), { name: 'Kollektiv Nord', country: 'DE' });
      const member = await loginAs(t, { roles: [[org.id, 'member']] });
      const viewer = (await loadViewer(db(), member.cookie.slice(4)))!;
      const day = await makeActionDay(db(), viewer, org.slug, { title: 'May Day across borders', startDate: '2026-05-01' });
      const body = { organization: org.slug, title: 'Kundgebung', kind: 'rally', city: 'Hamburg', country: 'DE', startLocal: '2026-05-01T10:00', endLocal: '2026-05-01T12:00', timeZone: 'Europe/Berlin' };
      return { org, member, viewer, day, body };
    }

    test('expectedParticipants: null is stored and answered as null (unknown) on POST and PUT; a number stays a number', async () => {
      const { member, day, body } = await setup();
      const posted = await send('POST', `/api/v1/action-days/${day.slug}/local-actions`, member.cookie, { body: { ...body, expectedParticipants: null } });
      assert.equal(posted.statusCode, 201, posted.body);
      const action = posted.json().localActions[0];
      assert.equal(action.expectedParticipants, null);
      assert.equal(await stored(action.id), null);

      const url = `/api/v1/action-days/${day.slug}/local-actions/${action.id}`;
      const withNumber = await send('PUT', url, member.cookie, { body: { ...body, expectedParticipants: 0 } });
      assert.equal(withNumber.statusCode, 200, withNumber.body);
      assert.equal(withNumber.json().expectedParticipants, 0, 'zero is a number, not unknown');
      assert.equal(await stored(action.id), 0);
      const cleared = await send('PUT', url, member.cookie, { body: { ...body, expectedParticipants: null } });
      assert.equal(cleared.statusCode, 200, cleared.body);
      assert.equal(cleared.json().expectedParticipants, null);
      assert.equal(await stored(action.id), null);
      const asText = await send('PUT', url, member.cookie, { body: { ...body, expectedParticipants: '120' } });
      assert.equal(asText.json().expectedParticipants, 120, 'digits in a string are still accepted');
      const negative = await send('PUT', url, member.cookie, { body: { ...body, expectedParticipants: -1 } });
      assert.equal(negative.statusCode, 400);
      assert.deepEqual(problem(negative).errors?.map((e) => e.field), ['expectedParticipants']);
    });

    test('a number beyond the range gets the range message ("from 0 to 100,000,000"), not "use a whole number"; nothing is stored', async () => {
      const { member, day, body } = await setup();
      for (const raw of ['99999999999999999999', '100000001', '"99999999999999999999"']) {
        const json = JSON.stringify({ ...body, expectedParticipants: 0 }).replace('"expectedParticipants":0', `"expectedParticipants":${raw}`);
        const res = await send('POST', `/api/v1/action-days/${day.slug}/local-actions`, member.cookie, { raw: json });
        assert.equal(res.statusCode, 400, `${raw}: ${res.body}`);
        assert.deepEqual(problem(res).errors, [{ field: 'expectedParticipants', code: 'range', detail: 'Use a number from 0 to 100,000,000' }], raw);
      }
      assert.equal(await db().selectFrom('local_actions').select('id').executeTakeFirst(), undefined);
    });

    test('participation by country sums only the numbers given; a country where none is given shows unknown, not 0', async () => {
      const { org, viewer, day } = await setup();
      await makeLocalAction(db(), viewer, day.slug, org.slug, { country: 'DE', expectedParticipants: 120 });
      await makeLocalAction(db(), viewer, day.slug, org.slug, { country: 'DE' });
      await makeLocalAction(db(), viewer, day.slug, org.slug, { country: 'DE', expectedParticipants: 30 });
      await makeLocalAction(db(), viewer, day.slug, org.slug, { country: 'CL', city: 'Santiago', startLocal: '2026-05-01T09:00', endLocal: '2026-05-01T10:00', timeZone: 'America/Santiago' });
      await makeLocalAction(db(), viewer, day.slug, org.slug, { country: 'FR', city: 'Lyon', startLocal: '2026-05-01T10:00', endLocal: '2026-05-01T11:00', timeZone: 'Europe/Paris', expectedParticipants: 0 });
      const api = (await t.app.inject({ method: 'GET', url: `/api/v1/action-days/${day.slug}` })).json();
      assert.deepEqual(api.participation, [
        { country: 'DE', localActions: 3, expectedParticipants: 150 },
        { country: 'CL', localActions: 1, expectedParticipants: null },
        { country: 'FR', localActions: 1, expectedParticipants: 0 },
      ]);
      const cell = (html: string, country: string) => new RegExp(`<tr data-country="${country}">.*?</tr>`, 's').exec(html)?.[0].match(/<td>([^<]*)<\/td>/g)?.map((td) => td.slice(4, -5));
      const en = (await t.app.inject({ method: 'GET', url: `/action-days/${day.slug}`, headers: { 'accept-language': 'en' } })).body;
      assert.deepEqual(cell(en, 'DE'), ['3', '150']);
      assert.deepEqual(cell(en, 'CL'), ['1', 'unknown']);
      assert.deepEqual(cell(en, 'FR'), ['1', '0']);
      const de = (await t.app.inject({ method: 'GET', url: `/action-days/${day.slug}`, headers: { 'accept-language': 'de' } })).body;
      assert.deepEqual(cell(de, 'CL'), ['1', 'unbekannt']);
    });

    test('DELETE of a local action answers 204 with or without Content-Type: application/json and an empty body; malformed JSON on POST stays a 400 problem', async () => {
      const { org, member, viewer, day, body } = await setup();
      for (const headers of [{}, { 'content-type': 'application/json' }, { 'content-type': 'application/json; charset=utf-8' }] as Record<string, string>[]) {
        const { id } = await makeLocalAction(db(), viewer, day.slug, org.slug);
        const res = await send('DELETE', `/api/v1/action-days/${day.slug}/local-actions/${id}`, member.cookie, { headers });
        assert.equal(res.statusCode, 204, `${JSON.stringify(headers)}: ${res.body}`);
        assert.equal(res.body, '');
        assert.equal(await db().selectFrom('local_actions').select('id').where('id', '=', id).executeTakeFirst(), undefined);
      }
      for (const raw of ['{"organization":', '', 'null x']) {
        const res = await send('POST', `/api/v1/action-days/${day.slug}/local-actions`, member.cookie, { raw });
        assert.equal(res.statusCode, 400, JSON.stringify(raw));
        const p = problem(res);
        assert.deepEqual([p.status, p.code, p.title], [400, 'bad_request', 'The request could not be processed'], JSON.stringify(raw));
      }
      // PUT with an empty JSON body is still refused (only DELETE may come without one).
      const { id } = await makeLocalAction(db(), viewer, day.slug, org.slug, body);
      const emptyPut = await send('PUT', `/api/v1/action-days/${day.slug}/local-actions/${id}`, member.cookie, { raw: '' });
      assert.equal(emptyPut.statusCode, 400);
      assert.equal(problem(emptyPut).code, 'bad_request');
    });
  });
}
