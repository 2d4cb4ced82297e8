import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import ICAL from 'ical.js';
import type { LightMyRequestResponse } from 'fastify';
import { ENGINES } from '../../../test/helpers/db.ts';
import { useTestApp, loginAs, formSession, form } from '../../../test/helpers/app.ts';
import { makeActionDay, makeLocalAction, makeOrganization } from '../../../test/helpers/factories.ts';
import { Forbidden, NotFound } from '../../http/errors.ts';
import type { Viewer } from '../../http/viewer.ts';
import { loadViewer } from '../accounts/accounts.service.ts';
import { removeLocalAction, updateLocalAction } from './action-days.service.ts';
import { fieldErrors } from '../../../test/helpers/errors.ts';

// Changing and withdrawing a registered local action: service, pages (form POST → 303, 422 with
// field errors), API (PUT 200 / DELETE 204, 400 problem+json), the calendar feed and the audit log.

/** The VEVENTs of a calendar, parsed by ical.js. */
function parseEvents(text: string): InstanceType<typeof ICAL.Event>[] {
  const cal = new ICAL.Component(ICAL.parse(text));
  assert.equal(cal.name, 'vcalendar');
  return cal.getAllSubcomponents('vevent').map((c) => new ICAL.Event(c));
}

for (const engine of ENGINES) {
  describe(`changing and withdrawing local actions (${engine})`, () => {
    const t = useTestApp(engine);
    const db = () => t.db.db;
    const viewerOf = async (cookie: string): Promise<Viewer> => (await loadViewer(db(), cookie.slice(4)))!;
    const get = (url: string, cookie?: string) => t.app.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} });
    const sendJson = (method: 'PUT' | 'DELETE', url: string, body: unknown, cookie?: string) =>
      t.app.inject({
        method,
        url,
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(cookie ? { cookie } : {}) },
      });
    const problem = (res: LightMyRequestResponse) => {
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
      return res.json() as { status: number; code: string; errors?: { field: string; code: string; detail: string }[] };
    };
    const postPage = async (page: string, action: string, values: Record<string, string>, cookie: string) => {
      const s = await formSession(t, page, cookie);
      return t.app.inject({ method: 'POST', url: action, headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: form({ _csrf: s.csrf, ...values }) });
    };
    const row = (id: string) => db().selectFrom('local_actions').selectAll().where('id', '=', id).executeTakeFirst();
    const audit = (action: string) =>
      db().selectFrom('audit_events').select(['action', 'organization_id', 'actor_user_id', 'subject_id', 'details']).where('action', '=', action).orderBy('at').orderBy('id').execute();

    /** A rally 10:00–12:00 Europe/Berlin on 2026-05-01, registered by a member of Kollektiv Nord on its own action day. */
    async function setup() {
      const org = await makeOrganization(db(), { name: 'Kollektiv Nord', country: 'DE' });
      const member = await loginAs(t, { roles: [[org.id, 'member']] });
      const viewer = await viewerOf(member.cookie);
      const day = await makeActionDay(db(), viewer, org.slug, { title: 'May Day across borders', startDate: '2026-05-01' });
      const rally = await makeLocalAction(db(), viewer, day.slug, org.slug, { title: 'Kundgebung Hafen', city: 'Hamburg', startLocal: '2026-05-01T10:00', endLocal: '2026-05-01T12:00', timeZone: 'Europe/Berlin' });
      const base = `/action-days/${day.slug}/local-actions/${rally.id}`;
      return { org, member, viewer, day, rally, base };
    }

    /** The form fields of the rally as registered (what the change form sends back). */
    const rallyForm = (org: string) => ({ organization: org, title: 'Kundgebung Hafen', kind: 'rally', city: 'Hamburg', country: 'DE', startLocal: '2026-05-01T10:00', endLocal: '2026-05-01T12:00', timeZone: 'Europe/Berlin', visibility: 'public' });

    test('a member moves the rally from 10:00 to 11:00 Europe/Berlin: the instant, the page and the .ics feed show 09:00Z; audited', async () => {
      const { org, member, day, rally, base } = await setup();
      const page = (await get(`/action-days/${day.slug}`, member.cookie)).body;
      assert.ok(page.includes(`href="${base}/edit"`), 'a "Change" link for the member');
      assert.ok(page.includes(`href="${base}/remove"`), 'a "Withdraw" link for the member');
      const edit = await get(`${base}/edit`, member.cookie);
      assert.equal(edit.statusCode, 200);
      // Prefilled with the wall-clock times and zone as entered, not the instants.
      assert.match(edit.body, /id="f-startLocal" name="startLocal"[^>]*value="2026-05-01T10:00"/);
      assert.match(edit.body, /id="f-endLocal" name="endLocal"[^>]*value="2026-05-01T12:00"/);
      assert.match(edit.body, /<option value="Europe\/Berlin" selected>/);
      assert.match(edit.body, /id="f-title" name="title"[^>]*value="Kundgebung Hafen"/);
      assert.match(edit.body, /name="_csrf"/);
      assert.doesNotMatch(edit.body, /name="organization"/, 'the organization is shown, not offered');
      const before = (await row(rally.id))!;

      const { organization: _, ...fields } = rallyForm(org.slug);
      const res = await postPage(`${base}/edit`, `${base}/edit`, { ...fields, startLocal: '2026-05-01T11:00' }, member.cookie);
      assert.equal(res.statusCode, 303, res.body);
      assert.equal(res.headers.location, `/action-days/${day.slug}?done=changed#local-action-${rally.id}`);
      const returned = (await get(res.headers.location as string, member.cookie)).body;
      assert.match(returned, /<p class="flash" role="status">The changes to the local action are saved\.<\/p>/, 'a polite confirmation on the page returned to');
      assert.doesNotMatch((await get(`/action-days/${day.slug}?done=constructor`, member.cookie)).body, /class="flash"/, 'an unknown notice shows nothing');
      const after = (await row(rally.id))!;
      assert.deepEqual(
        [after.start_local, after.end_local, after.time_zone, after.starts_at, after.ends_at, after.start_date, after.end_date, after.organization_id],
        ['2026-05-01T11:00', '2026-05-01T12:00', 'Europe/Berlin', '2026-05-01T09:00:00.000Z', '2026-05-01T10:00:00.000Z', '2026-05-01', '2026-05-01', org.id],
      );
      assert.ok(after.updated_at >= before.updated_at);
      assert.match((await get(`/action-days/${day.slug}`)).body, /1 May 2026, 11:00 – 1 May 2026, 12:00 local time \(Europe\/Berlin, UTC\+02:00\)/);

      const ics = await get(`/action-days/${day.slug}/calendar.ics`);
      assert.equal(ics.statusCode, 200);
      const event = parseEvents(ics.body).find((e) => e.summary === 'Kundgebung Hafen');
      assert.ok(event, 'the rally is in the feed');
      assert.equal(event.startDate.toJSDate().toISOString(), '2026-05-01T09:00:00.000Z');
      assert.equal(event.endDate.toJSDate().toISOString(), '2026-05-01T10:00:00.000Z');
      assert.ok(event.uid.startsWith(`${rally.id}@`), 'same UID: calendars update the event instead of adding one');

      const events = await audit('local_action.updated');
      assert.deepEqual(
        events.map((e) => [e.organization_id, e.actor_user_id, e.subject_id, JSON.parse(e.details)]),
        [[org.id, member.userId, rally.id, { actionDay: day.id, fields: ['startLocal', 'startsAt'] }]],
      );
      // Saving again without a change writes nothing.
      await postPage(`${base}/edit`, `${base}/edit`, { ...fields, startLocal: '2026-05-01T11:00' }, member.cookie);
      assert.equal((await audit('local_action.updated')).length, 1);
    });

    test('moving into the spring-forward gap is refused with the field error (service, page 422 with values kept, API 400); nothing changes', async () => {
      const { org, member, viewer } = await setup();
      const march = await makeActionDay(db(), viewer, org.slug, { title: 'Camp', startDate: '2026-03-28', endDate: '2026-03-29' });
      const vigil = await makeLocalAction(db(), viewer, march.slug, org.slug, { title: 'Night vigil', kind: 'vigil', startLocal: '2026-03-29T01:00', endLocal: '2026-03-29T04:00', timeZone: 'Europe/Berlin' });
      const before = await row(vigil.id);
      const input = { title: 'Night vigil', kind: 'vigil', city: 'Berlin', country: 'DE', startLocal: '2026-03-29T02:30', endLocal: '2026-03-29T04:00', timeZone: 'Europe/Berlin' };
      assert.deepEqual(await fieldErrors(() => updateLocalAction(db(), viewer, march.slug, vigil.id, input)), [['startLocal', 'action_days.validation.nonexistent_time']]);
      const base = `/action-days/${march.slug}/local-actions/${vigil.id}`;
      const page = await postPage(`${base}/edit`, `${base}/edit`, input, member.cookie);
      assert.equal(page.statusCode, 422);
      assert.match(page.body, /id="f-startLocal" name="startLocal"[^>]*aria-invalid="true"[^>]*value="2026-03-29T02:30"/);
      assert.match(page.body, /This time does not exist in Europe\/Berlin/);
      assert.match(page.body, /class="error-summary"/);
      assert.match(page.body, /name="_csrf"/);
      const api = await sendJson('PUT', `/api/v1${base}`, input, member.cookie);
      assert.equal(api.statusCode, 400);
      assert.deepEqual(problem(api).errors?.map((e) => [e.field, e.code]), [['startLocal', 'action_days.validation.nonexistent_time']]);
      assert.deepEqual(await row(vigil.id), before);
      assert.deepEqual(await audit('local_action.updated'), []);
    });

    test('updating recomputes the local dates and instants, all-day ↔ timed, and keeps the organization', async () => {
      const { org, viewer, day, rally } = await setup();
      const base = { title: 'Camp at the gate', kind: 'other', city: 'Hamburg', country: 'DE' };
      await updateLocalAction(db(), viewer, day.slug, rally.id, { ...base, allDay: '1', startDate: '2026-04-30', endDate: '2026-05-02' });
      let r = (await row(rally.id))!;
      assert.deepEqual([Number(r.all_day), r.start_date, r.end_date, r.starts_at, r.ends_at, r.start_local, r.time_zone], [1, '2026-04-30', '2026-05-02', null, null, null, null]);
      // Overnight in São Paulo: the local days, not the UTC ones; without timeZone the account zone (UTC here) would apply, so it is given.
      await updateLocalAction(db(), viewer, day.slug, rally.id, { ...base, startLocal: '2026-05-01T22:00', endLocal: '2026-05-02T02:00', timeZone: 'America/Sao_Paulo' });
      r = (await row(rally.id))!;
      assert.deepEqual([Number(r.all_day), r.start_date, r.end_date, r.starts_at, r.ends_at, r.time_zone], [0, '2026-05-01', '2026-05-02', '2026-05-02T01:00:00.000Z', '2026-05-02T05:00:00.000Z', 'America/Sao_Paulo']);
      // Without timeZone the action keeps its own zone.
      await updateLocalAction(db(), viewer, day.slug, rally.id, { ...base, startLocal: '2026-05-01T10:00', endLocal: '2026-05-01T11:00' });
      r = (await row(rally.id))!;
      assert.deepEqual([r.time_zone, r.starts_at], ['America/Sao_Paulo', '2026-05-01T13:00:00.000Z']);
      // Dates far from the action day, and another organization, are field errors.
      const other = await makeOrganization(db(), { name: 'Other Union' });
      assert.deepEqual(await fieldErrors(() => updateLocalAction(db(), viewer, day.slug, rally.id, { ...base, organization: other.slug, allDay: '1', startDate: '2026-07-01' })), [
        ['organization', 'action_days.validation.organization_fixed'],
        ['startDate', 'action_days.validation.outside_day'],
      ]);
      await updateLocalAction(db(), viewer, day.slug, rally.id, { ...base, organization: org.slug, startLocal: '2026-05-01T10:00', endLocal: '2026-05-01T11:00' });
      assert.equal((await row(rally.id))!.organization_id, org.id);
    });

    test('a member of another organization gets 403 on a visible action and 404 on a hidden one; nothing changes', async () => {
      const { org, viewer, day, rally } = await setup();
      const hidden = await makeLocalAction(db(), viewer, day.slug, org.slug, { title: 'Closed assembly', kind: 'assembly', visibility: 'members' });
      const other = await makeOrganization(db(), { name: 'Other Union', country: 'FR' });
      const stranger = await loginAs(t, { roles: [[other.id, 'admin']] });
      const sv = await viewerOf(stranger.cookie);
      const before = await db().selectFrom('local_actions').selectAll().orderBy('id').execute();
      const body = { ...rallyForm(org.slug), startLocal: '2026-05-01T11:00' };

      await assert.rejects(() => updateLocalAction(db(), sv, day.slug, rally.id, body), Forbidden);
      await assert.rejects(() => removeLocalAction(db(), sv, day.slug, rally.id), Forbidden);
      await assert.rejects(() => updateLocalAction(db(), sv, day.slug, hidden.id, body), NotFound);
      await assert.rejects(() => removeLocalAction(db(), sv, day.slug, hidden.id), NotFound);
      assert.doesNotMatch((await get(`/action-days/${day.slug}`, stranger.cookie)).body, /local-actions\/[^"/]+\/(edit|remove)"/, 'no controls for a stranger');
      for (const [id, status] of [[rally.id, 403], [hidden.id, 404]] as const) {
        const b = `/action-days/${day.slug}/local-actions/${id}`;
        assert.equal((await get(`${b}/edit`, stranger.cookie)).statusCode, status);
        assert.equal((await get(`${b}/remove`, stranger.cookie)).statusCode, status);
        const s = await formSession(t, `/action-days/${day.slug}`, stranger.cookie);
        for (const action of ['edit', 'remove']) {
          const res = await t.app.inject({ method: 'POST', url: `${b}/${action}`, headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: form({ _csrf: s.csrf, ...body }) });
          assert.equal(res.statusCode, status, `${action} ${id}`);
        }
        const put = await sendJson('PUT', `/api/v1${b}`, body, stranger.cookie);
        assert.equal(put.statusCode, status);
        assert.equal(problem(put).status, status);
        assert.equal((await sendJson('DELETE', `/api/v1${b}`, undefined, stranger.cookie)).statusCode, status);
      }
      // An id of this action day's local action under another action day is not found either.
      const otherDay = await makeActionDay(db(), viewer, org.slug, { title: 'Another day', startDate: '2026-05-02' });
      assert.equal((await get(`/action-days/${otherDay.slug}/local-actions/${rally.id}/edit`, (await loginAs(t, { roles: [[org.id, 'admin']] })).cookie)).statusCode, 404);
      assert.deepEqual(await db().selectFrom('local_actions').selectAll().orderBy('id').execute(), before);
    });

    test('a viewer-role account of the owning organization may not change or withdraw (service, pages, API)', async () => {
      const { org, day, rally, base } = await setup();
      const reader = await loginAs(t, { roles: [[org.id, 'viewer']] });
      const v = await viewerOf(reader.cookie);
      const before = await row(rally.id);
      await assert.rejects(() => updateLocalAction(db(), v, day.slug, rally.id, { ...rallyForm(org.slug), startLocal: '2026-05-01T11:00' }), Forbidden);
      await assert.rejects(() => removeLocalAction(db(), v, day.slug, rally.id), Forbidden);
      const page = (await get(`/action-days/${day.slug}`, reader.cookie)).body;
      assert.match(page, /Kundgebung Hafen/);
      assert.ok(!page.includes(`${base}/edit`) && !page.includes(`${base}/remove`), 'no controls for a viewer');
      assert.equal((await get(`${base}/edit`, reader.cookie)).statusCode, 403);
      const posted = await postPage(`/action-days/${day.slug}`, `${base}/remove`, {}, reader.cookie);
      assert.equal(posted.statusCode, 403);
      assert.equal((await sendJson('DELETE', `/api/v1${base}`, undefined, reader.cookie)).statusCode, 403);
      assert.equal((await sendJson('PUT', `/api/v1${base}`, rallyForm(org.slug), reader.cookie)).statusCode, 403);
      // Anonymous: sign in first.
      assert.equal((await sendJson('DELETE', `/api/v1${base}`, undefined)).statusCode, 401);
      assert.equal((await get(`${base}/edit`)).statusCode, 401);
      assert.deepEqual(await row(rally.id), before);
    });

    test("the action day's coordinator withdraws another organization's action: gone from the page, the country table, the feed and the API; audited for the owner", async () => {
      const caller = await makeOrganization(db(), { name: 'Kollektiv Nord', country: 'DE' });
      const coordinator = await loginAs(t, { roles: [[caller.id, 'coordinator']] });
      const day = await makeActionDay(db(), await viewerOf(coordinator.cookie), caller.slug, { title: 'May Day across borders', startDate: '2026-05-01' });
      const participant = await makeOrganization(db(), { name: 'Syndicat Sud', country: 'FR' });
      const member = await loginAs(t, { roles: [[participant.id, 'member']] });
      const action = await makeLocalAction(db(), await viewerOf(member.cookie), day.slug, participant.slug, { title: 'Rassemblement Lyon', city: 'Lyon', country: 'FR', startLocal: '2026-05-01T10:00', endLocal: '2026-05-01T12:00', timeZone: 'Europe/Paris', expectedParticipants: 300 });
      const base = `/action-days/${day.slug}/local-actions/${action.id}`;

      const page = (await get(`/action-days/${day.slug}`, coordinator.cookie)).body;
      assert.ok(page.includes(`href="${base}/remove"`), 'the coordinator of the day sees "Withdraw"');
      assert.match(page, /data-country="FR"/);
      assert.ok(parseEvents((await get(`/action-days/${day.slug}/calendar.ics`)).body).some((e) => e.summary === 'Rassemblement Lyon'));
      const confirm = await get(`${base}/remove`, coordinator.cookie);
      assert.equal(confirm.statusCode, 200);
      assert.match(confirm.body, /Rassemblement Lyon/);
      assert.match(confirm.body, new RegExp(`<form method="post" action="${base}/remove"`));
      assert.match(confirm.body, /Withdraw this local action<\/button>/);

      const res = await postPage(`${base}/remove`, `${base}/remove`, {}, coordinator.cookie);
      assert.equal(res.statusCode, 303);
      assert.equal(res.headers.location, `/action-days/${day.slug}?done=withdrawn#local-actions`);
      assert.match((await get(res.headers.location as string, coordinator.cookie)).body, /<p class="flash" role="status">The local action was withdrawn\.<\/p>/);
      assert.equal(await row(action.id), undefined);
      for (const cookie of [undefined, coordinator.cookie, member.cookie]) {
        const after = (await get(`/action-days/${day.slug}`, cookie)).body;
        assert.doesNotMatch(after, /Rassemblement Lyon/);
        assert.doesNotMatch(after, /data-country="FR"/);
        assert.match(after, /No local actions registered yet/);
      }
      const events = parseEvents((await get(`/action-days/${day.slug}/calendar.ics`)).body);
      assert.deepEqual(events.map((e) => e.summary), ['May Day across borders']);
      const api = (await get(`/api/v1/action-days/${day.slug}`)).json();
      assert.deepEqual([api.localActions, api.participation, api.localActionCount], [[], [], 0]);
      assert.equal((await get('/api/v1/action-days')).json().items[0].localActionCount, 0);
      const removed = await audit('local_action.removed');
      assert.deepEqual(
        removed.map((e) => [e.organization_id, e.actor_user_id, e.subject_id, JSON.parse(e.details)]),
        [[participant.id, coordinator.userId, action.id, { actionDay: day.id, title: 'Rassemblement Lyon', city: 'Lyon', country: 'FR', date: '2026-05-01' }]],
      );
      // Gone: a second withdrawal is a 404.
      assert.equal((await get(`${base}/remove`, coordinator.cookie)).statusCode, 404);
    });

    test('API: PUT changes and answers 200 with the local action; DELETE answers 204; both are in the OpenAPI document', async () => {
      const { org, member, day, rally, base } = await setup();
      const { organization: _, ...withoutOrg } = rallyForm(org.slug);
      const put = await sendJson('PUT', `/api/v1${base}`, { ...withoutOrg, startLocal: '2026-05-01T11:00', venue: 'Tor 3', expectedParticipants: 120 }, member.cookie);
      assert.equal(put.statusCode, 200, put.body);
      const out = put.json();
      assert.deepEqual(
        [out.id, out.organization, out.startLocal, out.endLocal, out.timeZone, out.startsAt, out.endsAt, out.startDate, out.endDate, out.venue, out.expectedParticipants, out.allDay],
        [rally.id, org.slug, '2026-05-01T11:00', '2026-05-01T12:00', 'Europe/Berlin', '2026-05-01T09:00:00.000Z', '2026-05-01T10:00:00.000Z', '2026-05-01', '2026-05-01', 'Tor 3', 120, false],
      );
      // The same body as registering (organization included) is accepted.
      assert.equal((await sendJson('PUT', `/api/v1${base}`, { ...rallyForm(org.slug), startLocal: '2026-05-01T11:00' }, member.cookie)).statusCode, 200);
      const detail = (await get(`/api/v1/action-days/${day.slug}`)).json();
      assert.equal(detail.localActions[0].startsAt, '2026-05-01T09:00:00.000Z');

      const spec = (await get('/api/openapi.json')).json();
      const path = spec.paths['/api/v1/action-days/{slug}/local-actions/{id}'];
      assert.ok(path?.put && path?.delete, 'PUT and DELETE documented');
      assert.equal(path.put.requestBody.content['application/json'].schema.additionalProperties, false);
      assert.ok(path.delete.responses['204']);

      const del = await sendJson('DELETE', `/api/v1${base}`, undefined, member.cookie);
      assert.equal(del.statusCode, 204);
      assert.equal(del.body, '');
      assert.equal(await row(rally.id), undefined);
      assert.deepEqual((await get(`/api/v1/action-days/${day.slug}`)).json().localActions, []);
      const again = await sendJson('DELETE', `/api/v1${base}`, undefined, member.cookie);
      assert.equal(again.statusCode, 404);
      assert.equal(problem(again).code, 'not_found');
    });

    test('API bad input is a 400 problem+json naming the field, never a 500; unknown or impossible ids are 404 (414 past the path length limit)', async () => {
      const { org, member, day, rally, base } = await setup();
      const other = await makeOrganization(db(), { name: 'Other Union' });
      const before = await row(rally.id);
      const good = rallyForm(org.slug);
      const cases: [unknown, string][] = [
        [{ ...good, startLocal: '1.5.2026 10:00' }, 'startLocal'],
        [{ ...good, country: 'XX' }, 'country'],
        [{ ...good, kind: 'riot' }, 'kind'],
        [{ ...good, timeZone: 'Mars/Olympus' }, 'timeZone'],
        [{ ...good, endLocal: '2026-05-01T09:00' }, 'endLocal'],
        [{ ...good, startLocal: '2026-06-20T10:00', endLocal: '2026-06-20T11:00' }, 'startLocal'],
        [{ ...good, organization: other.slug }, 'organization'],
        [{ ...good, expectedParticipants: -1 }, 'expectedParticipants'],
        [{ ...good, surprise: true }, 'surprise'],
        [{ ...good, title: '   ' }, 'title'],
        [{ ...good, allDay: true, startDate: '2026-05-01', endDate: '2026-04-30' }, 'endDate'],
      ];
      for (const [body, field] of cases) {
        const res = await sendJson('PUT', `/api/v1${base}`, body, member.cookie);
        assert.equal(res.statusCode, 400, `${JSON.stringify(body)}: ${res.body}`);
        const p = problem(res);
        assert.ok(p.errors?.some((e) => e.field === field), `${field}: ${res.body}`);
      }
      const notJson = await t.app.inject({ method: 'PUT', url: `/api/v1${base}`, headers: { cookie: member.cookie, 'content-type': 'application/json' }, payload: '{"title":' });
      assert.equal(notJson.statusCode, 400);
      for (const id of ['0190cccc-0000-7000-8000-000000000099', 'not-an-id', '%00', 'a%E2%80%AEb', 'x'.repeat(300)]) {
        for (const method of ['PUT', 'DELETE'] as const) {
          const res = await sendJson(method, `/api/v1/action-days/${day.slug}/local-actions/${id}`, method === 'PUT' ? good : undefined, member.cookie);
          assert.ok([400, 404, 414].includes(res.statusCode), `${method} ${id}: ${res.statusCode} ${res.body}`);
          problem(res);
        }
        const page = await get(`/action-days/${day.slug}/local-actions/${id}/edit`, member.cookie);
        assert.ok([400, 404, 414].includes(page.statusCode), `edit page ${id}: ${page.statusCode}`);
      }
      assert.deepEqual(await row(rally.id), before);
    });
  });
}
