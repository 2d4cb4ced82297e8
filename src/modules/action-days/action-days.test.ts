import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { LightMyRequestResponse } from 'fastify';
import { ENGINES } from '../../../test/helpers/db.ts';
import { useTestApp, loginAs, formSession, form } from '../../../test/helpers/app.ts';
import { makeActionDay, makeLocalAction, makeNetwork, makeNetworkMembership, makeOrganization, makeStruggle } from '../../../test/helpers/factories.ts';
import type { Viewer } from '../../http/viewer.ts';
import { loadViewer } from '../accounts/accounts.service.ts';
import { addLocalAction, createActionDay, updateActionDay, validateLocalAction } from './action-days.service.ts';
import { fieldErrors } from '../../../test/helpers/errors.ts';

const CASES = fileURLToPath(new URL('../../../test/fixtures/cases/', import.meta.url));
interface B01Event { id: string; title: string; start_local: string; end_local: string; timezone: string }
interface B02Event { id: string; title: string; all_day: boolean; start_date: string; end_date_inclusive: string }
const B01 = JSON.parse(readFileSync(`${CASES}B01.json`, 'utf8')) as { events: B01Event[] };
const B02 = JSON.parse(readFileSync(`${CASES}B02.json`, 'utf8')) as { events: B02Event[]; view_web_page_with_browser_TZ: string[] };
/** Expected instants of B01 (cases/README.md). */
const B01_INSTANTS: Record<string, [string, string]> = {
  'evt-b01-1': ['2026-05-01T08:00:00.000Z', '2026-05-01T10:00:00.000Z'],
  'evt-b01-2': ['2026-05-01T13:00:00.000Z', '2026-05-01T14:30:00.000Z'],
  'evt-b01-3': ['2026-05-01T13:30:00.000Z', '2026-05-01T14:30:00.000Z'],
};
const B01_COUNTRY: Record<string, string> = { 'Europe/Berlin': 'DE', 'America/Sao_Paulo': 'BR', 'Asia/Tehran': 'IR' };

describe('validateLocalAction (no database)', () => {
  const day = { start_date: '2026-05-01', end_date: '2026-05-01' };
  const base = { organization: 'x', title: 'Rally', kind: 'rally', city: 'Berlin', country: 'DE' };
  test('the zone defaults to the account zone; the instants follow that date’s offset', () => {
    const v = validateLocalAction({ ...base, startLocal: '2026-05-01T17:00', endLocal: '2026-05-01T18:00' }, day, 'Asia/Tehran');
    assert.deepEqual([v.timeZone, v.startsAt, v.endsAt, v.startDate, v.endDate], ['Asia/Tehran', '2026-05-01T13:30:00.000Z', '2026-05-01T14:30:00.000Z', '2026-05-01', '2026-05-01']);
  });
  test('an end not after the start, a bad zone, dates far from the day are field errors', async () => {
    assert.deepEqual(await fieldErrors(() => validateLocalAction({ ...base, startLocal: '2026-05-01T12:00', endLocal: '2026-05-01T12:00', timeZone: 'Europe/Berlin' }, day, 'UTC')), [['endLocal', 'action_days.validation.end_not_after_start']]);
    assert.deepEqual(await fieldErrors(() => validateLocalAction({ ...base, startLocal: '2026-05-01T10:00', endLocal: '2026-05-01T12:00', timeZone: 'GMT+2' }, day, 'UTC')), [['timeZone', 'action_days.validation.time_zone']]);
    assert.deepEqual(await fieldErrors(() => validateLocalAction({ ...base, allDay: '1', startDate: '2026-06-01' }, day, 'UTC')), [['startDate', 'action_days.validation.outside_day']]);
    assert.deepEqual(await fieldErrors(() => validateLocalAction({ ...base, startLocal: '1.5.2026 10:00', endLocal: '2026-05-01T12:00' }, day, 'UTC')), [['startLocal', 'action_days.validation.local_time']]);
  });
});

// A child run (below) sets this: the file runs again under another process TZ.
const CHILD = process.env.SOLIDARIS_TZ_CHILD === '1';

describe('process time zone', { skip: CHILD ? 'already a child run' : false }, () => {
  const zones = ['Pacific/Kiritimati', 'Pacific/Pago_Pago'];
  test(`zoned-time and action-days tests pass with TZ=${zones.join(' and TZ=')}`, async () => {
    const files = [fileURLToPath(new URL('../../lib/zoned-time.test.ts', import.meta.url)), fileURLToPath(import.meta.url)];
    // Without NODE_TEST_CONTEXT: the runner sets it in the files it runs, and a child that inherits
    // it would report to this runner's protocol instead of printing its own results.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const runs = await Promise.all(
      zones.map(
        (tz) =>
          new Promise<{ tz: string; status: number | null; out: string }>((resolve) => {
            const child = spawn(process.execPath, ['--test', '--test-reporter=spec', ...files], {
              env: { ...env, TZ: tz, SOLIDARIS_TZ_CHILD: '1', SOLIDARIS_EXPECTED_TZ: tz },
              stdio: ['ignore', 'pipe', 'pipe'],
            });
            let out = '';
            child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
            child.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')));
            child.on('close', (status) => resolve({ tz, status, out }));
          }),
      ),
    );
    for (const r of runs) {
      assert.equal(r.status, 0, `TZ=${r.tz}\n${r.out}`);
      assert.match(r.out, /process TZ is in effect/, r.tz);
      assert.match(r.out, /ℹ fail 0/, r.tz);
    }
  });
});

if (CHILD) {
  test('process TZ is in effect', () => {
    const tz = process.env.SOLIDARIS_EXPECTED_TZ!;
    assert.equal(Intl.DateTimeFormat().resolvedOptions().timeZone, tz);
    // Kiritimati is UTC+14, Pago Pago UTC−11: the local date differs from the UTC date for half of each day.
    assert.equal(new Date(Date.UTC(2026, 0, 1)).getTimezoneOffset(), tz === 'Pacific/Kiritimati' ? -840 : 660);
  });
}

for (const engine of ENGINES) {
  describe(engine, () => {
    const t = useTestApp(engine);
    const db = () => t.db.db;
    const viewerOf = async (cookie: string): Promise<Viewer> => (await loadViewer(db(), cookie.slice(4)))!;
    const get = (url: string, cookie?: string) => t.app.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} });
    const sendJson = (method: 'POST' | 'PUT', url: string, body: unknown, cookie?: string) =>
      t.app.inject({ method, url, payload: JSON.stringify(body), headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) } });
    const problem = (res: LightMyRequestResponse) => {
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
      return res.json() as { code: string; errors?: { field: string; code: string; detail: string }[] };
    };
    const count = async (table: 'action_days' | 'local_actions') => Number((await db().selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const postPage = async (page: string, action: string, values: Record<string, string>, cookie: string) => {
      const s = await formSession(t, page, cookie);
      return t.app.inject({ method: 'POST', url: action, headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: form({ _csrf: s.csrf, ...values }) });
    };

    /** An organization with a member (publishing role) and the action day it called on 2026-05-01. */
    async function setup() {
      const org = await makeOrganization(db(), { name: 'Kollektiv Nord', country: 'DE' });
      const member = await loginAs(t, { roles: [[org.id, 'member']] });
      const viewer = await viewerOf(member.cookie);
      const day = await makeActionDay(db(), viewer, org.slug, { title: 'May Day across borders', startDate: '2026-05-01' });
      return { org, member, viewer, day };
    }

    describe('B01: local times in their own zones become the right instants', () => {
      test('through the service: stored as entered, with instants and local dates', async () => {
        const { org, viewer, day } = await setup();
        for (const e of B01.events)
          await addLocalAction(db(), viewer, day.slug, { organization: org.slug, title: e.title, kind: 'rally', city: 'X', country: B01_COUNTRY[e.timezone], startLocal: e.start_local, endLocal: e.end_local, timeZone: e.timezone });
        const rows = await db().selectFrom('local_actions').select(['title', 'start_local', 'end_local', 'time_zone', 'starts_at', 'ends_at', 'start_date', 'end_date', 'all_day']).execute();
        for (const e of B01.events) {
          const row = rows.find((r) => r.title === e.title);
          assert.ok(row, e.title);
          assert.deepEqual({ ...row }, {
            title: e.title,
            start_local: e.start_local,
            end_local: e.end_local,
            time_zone: e.timezone,
            starts_at: B01_INSTANTS[e.id]![0],
            ends_at: B01_INSTANTS[e.id]![1],
            start_date: '2026-05-01',
            end_date: '2026-05-01',
            all_day: 0,
          });
        }
      });

      test('through the API: create the day, register the actions, read them back with local times, zones and instants', async () => {
        const org = await makeOrganization(db(), { name: 'Kollektiv Nord' });
        const member = await loginAs(t, { roles: [[org.id, 'coordinator']] });
        const created = await sendJson('POST', '/api/v1/action-days', { title: 'Erster Mai', callText: 'Heraus zum 1. Mai!', lang: 'de', startDate: '2026-05-01', organization: org.slug }, member.cookie);
        assert.equal(created.statusCode, 201, created.body);
        const slug = created.json().slug as string;
        assert.equal(created.headers.location, `/api/v1/action-days/${slug}`);
        for (const e of B01.events) {
          const res = await sendJson('POST', `/api/v1/action-days/${slug}/local-actions`, { organization: org.slug, title: e.title, kind: 'rally', city: 'X', country: B01_COUNTRY[e.timezone], startLocal: e.start_local, endLocal: e.end_local, timeZone: e.timezone }, member.cookie);
          assert.equal(res.statusCode, 201, res.body);
        }
        const out = (await get(`/api/v1/action-days/${slug}`)).json() as { startDate: string; endDate: string; localActions: Record<string, unknown>[]; participation: unknown[] };
        assert.deepEqual([out.startDate, out.endDate], ['2026-05-01', '2026-05-01']);
        for (const e of B01.events) {
          const a = out.localActions.find((x) => x.title === e.title)!;
          assert.deepEqual([a.startLocal, a.endLocal, a.timeZone, a.startsAt, a.endsAt, a.allDay], [e.start_local, e.end_local, e.timezone, ...B01_INSTANTS[e.id]!, false]);
        }
        assert.deepEqual(out.participation, [
          // No number given: unknown (null), not zero.
          { country: 'BR', localActions: 1, expectedParticipants: null },
          { country: 'DE', localActions: 1, expectedParticipants: null },
          { country: 'IR', localActions: 1, expectedParticipants: null },
        ]);
        const audit = await db().selectFrom('audit_events').select('action').where('organization_id', '=', org.id).where('subject_type', 'in', ['action_day', 'local_action']).orderBy('at').orderBy('id').execute();
        assert.deepEqual(audit.map((a) => a.action), ['action_day.created', 'local_action.added', 'local_action.added', 'local_action.added']);
      });

      test('the page shows each local time with its zone, and the reader’s own time', async () => {
        const { org, viewer, day } = await setup();
        await makeLocalAction(db(), viewer, day.slug, org.slug, { title: 'تجمع همبستگی', city: 'Tehran', country: 'IR', startLocal: '2026-05-01T17:00', endLocal: '2026-05-01T18:00', timeZone: 'Asia/Tehran' });
        const reader = await loginAs(t);
        await db().updateTable('users').set({ time_zone: 'America/Sao_Paulo' }).where('id', '=', reader.userId).execute();
        const page = (await get(`/action-days/${day.slug}`, reader.cookie)).body;
        assert.match(page, /<bdi>تجمع همبستگی<\/bdi>/);
        assert.match(page, /1 May 2026, 17:00 – 1 May 2026, 18:00 local time \(Asia\/Tehran, UTC\+03:30\)/);
        assert.match(page, /Your time: 1 May 2026, 10:30 – 1 May 2026, 11:30 \(America\/Sao_Paulo\)/);
        const anonymous = (await get(`/action-days/${day.slug}`)).body;
        assert.match(anonymous, /local time \(Asia\/Tehran, UTC\+03:30\)/);
        assert.doesNotMatch(anonymous, /Your time/);
      });
    });

    describe('daylight-saving switches', () => {
      test('a wall time in the spring-forward gap is refused with a field error (service, page 422, API 400); nothing is written', async () => {
        const { org, member, viewer } = await setup();
        const march = await makeActionDay(db(), viewer, org.slug, { title: 'Camp', startDate: '2026-03-28', endDate: '2026-03-29' });
        const input = { organization: org.slug, title: 'Night vigil', kind: 'vigil', city: 'Berlin', country: 'DE', startLocal: '2026-03-29T02:30', endLocal: '2026-03-29T04:00', timeZone: 'Europe/Berlin' };
        assert.deepEqual(await fieldErrors(() => addLocalAction(db(), viewer, march.slug, input)), [['startLocal', 'action_days.validation.nonexistent_time']]);
        const page = await postPage(`/action-days/${march.slug}`, `/action-days/${march.slug}/local-actions`, input, member.cookie);
        assert.equal(page.statusCode, 422);
        assert.match(page.body, /id="f-startLocal" name="startLocal"[^>]*aria-invalid="true"/);
        assert.match(page.body, /This time does not exist in Europe\/Berlin/);
        // The form posts to its own section, so the browser shows the re-rendered form (and its
        // error summary, first in the section) instead of the top of the page.
        const section = /<section lang="en" id="register">([\s\S]*?)<\/section>/.exec(page.body)?.[1] ?? '';
        assert.ok(section.includes(`<form method="post" action="/action-days/${march.slug}/local-actions#register"`), 'the action ends with the section id');
        assert.match(section, /^<form[^>]*><h2>Register a local action<\/h2><input type="hidden" name="_csrf"[^>]*\/><div class="error-summary" role="alert">/, 'the error summary tops the section');
        const api = await sendJson('POST', `/api/v1/action-days/${march.slug}/local-actions`, input, member.cookie);
        assert.equal(api.statusCode, 400);
        assert.deepEqual(problem(api).errors?.map((e) => [e.field, e.code]), [['startLocal', 'action_days.validation.nonexistent_time']]);
        assert.equal(await count('local_actions'), 0);
      });

      test('a fall-back time means its first occurrence; Berlin on 03-28 vs 03-29; Sydney; Santiago', async () => {
        const { org, viewer } = await setup();
        const oct = await makeActionDay(db(), viewer, org.slug, { title: 'October', startDate: '2026-10-25' });
        const march = await makeActionDay(db(), viewer, org.slug, { title: 'March', startDate: '2026-03-28', endDate: '2026-03-29' });
        const april = await makeActionDay(db(), viewer, org.slug, { title: 'April', startDate: '2026-04-04', endDate: '2026-04-05' });
        const add = async (slug: string, title: string, startLocal: string, endLocal: string, timeZone: string, country = 'DE') =>
          addLocalAction(db(), viewer, slug, { organization: org.slug, title, kind: 'rally', city: 'X', country, startLocal, endLocal, timeZone });
        await add(oct.slug, 'overlap', '2026-10-25T02:30', '2026-10-25T03:30', 'Europe/Berlin');
        await add(march.slug, 'saturday', '2026-03-28T10:00', '2026-03-28T12:00', 'Europe/Berlin');
        await add(march.slug, 'sunday', '2026-03-29T10:00', '2026-03-29T12:00', 'Europe/Berlin');
        await add(march.slug, 'across the switch', '2026-03-29T01:00', '2026-03-29T04:00', 'Europe/Berlin');
        await add(april.slug, 'sydney', '2026-04-05T02:30', '2026-04-05T04:00', 'Australia/Sydney', 'AU');
        await add(april.slug, 'santiago', '2026-04-04T23:30', '2026-04-05T01:00', 'America/Santiago', 'CL');
        const rows = await db().selectFrom('local_actions').select(['title', 'starts_at', 'ends_at', 'start_date', 'end_date']).orderBy('title').execute();
        assert.deepEqual(rows.map((r) => ({ ...r })), [
          { title: 'across the switch', starts_at: '2026-03-29T00:00:00.000Z', ends_at: '2026-03-29T02:00:00.000Z', start_date: '2026-03-29', end_date: '2026-03-29' },
          { title: 'overlap', starts_at: '2026-10-25T00:30:00.000Z', ends_at: '2026-10-25T02:30:00.000Z', start_date: '2026-10-25', end_date: '2026-10-25' },
          { title: 'santiago', starts_at: '2026-04-05T02:30:00.000Z', ends_at: '2026-04-05T05:00:00.000Z', start_date: '2026-04-04', end_date: '2026-04-05' },
          { title: 'saturday', starts_at: '2026-03-28T09:00:00.000Z', ends_at: '2026-03-28T11:00:00.000Z', start_date: '2026-03-28', end_date: '2026-03-28' },
          { title: 'sunday', starts_at: '2026-03-29T08:00:00.000Z', ends_at: '2026-03-29T10:00:00.000Z', start_date: '2026-03-29', end_date: '2026-03-29' },
          { title: 'sydney', starts_at: '2026-04-04T15:30:00.000Z', ends_at: '2026-04-04T18:00:00.000Z', start_date: '2026-04-05', end_date: '2026-04-05' },
        ]);
      });
    });

    describe('registering from the page', () => {
      test('the time hints show an example on the day’s own first date; success returns to the new action with a polite notice', async () => {
        const { org, member, viewer } = await setup();
        const day = await makeActionDay(db(), viewer, org.slug, { title: 'Dock day 2027', startDate: '2027-06-12', endDate: '2027-06-13' });
        const page = (await get(`/action-days/${day.slug}`, member.cookie)).body;
        assert.match(page, /id="f-startLocal-hint">Date and time on the clocks where the action takes place, e\.g\. 2027-06-12T10:00\.<\/p>/);
        assert.match(page, /id="f-endLocal-hint">Date and time on the clocks where the action takes place, e\.g\. 2027-06-12T12:00\.<\/p>/);
        assert.doesNotMatch(page, /2026-05-01T10:00/);
        const german = (await get(`/action-days/${day.slug}`, `${member.cookie}; locale=de`)).body;
        assert.match(german, /z\. B\. 2027-06-12T10:00\./);
        // The example's format is the one accepted.
        const input = { organization: org.slug, title: 'Picket', kind: 'rally', city: 'Hamburg', country: 'DE', startLocal: '2027-06-12T10:00', endLocal: '2027-06-12T12:00', timeZone: 'Europe/Berlin' };
        const res = await postPage(`/action-days/${day.slug}`, `/action-days/${day.slug}/local-actions`, input, member.cookie);
        assert.equal(res.statusCode, 303, res.body);
        const id = (await db().selectFrom('local_actions').select('id').executeTakeFirstOrThrow()).id;
        assert.equal(res.headers.location, `/action-days/${day.slug}?done=registered#local-action-${id}`);
        const returned = (await get(res.headers.location as string, member.cookie)).body;
        assert.match(returned, /<h2>Local actions<\/h2><p class="flash" role="status">Your local action is registered\.<\/p>/);
        assert.doesNotMatch((await get(`/action-days/${day.slug}`, member.cookie)).body, /class="flash"/, 'no notice without ?done=');
      });
    });

    describe('B02: all-day dates are calendar dates for every reader', () => {
      test('the page shows 29 Dec 2026 and the camp 27–29 Mar 2026 whatever the reader’s zone', async () => {
        const { org, viewer } = await setup();
        const [global, camp] = B02.events as [B02Event, B02Event];
        const day = await makeActionDay(db(), viewer, org.slug, { title: global.title, startDate: global.start_date, endDate: global.end_date_inclusive });
        await makeLocalAction(db(), viewer, day.slug, org.slug, { title: 'Vigil', allDay: true, startDate: global.start_date, endDate: global.end_date_inclusive, startLocal: undefined, endLocal: undefined });
        const spring = await makeActionDay(db(), viewer, org.slug, { title: 'Spring camp', startDate: '2026-03-28' });
        await makeLocalAction(db(), viewer, spring.slug, org.slug, { title: camp.title, allDay: '1', startDate: camp.start_date, endDate: camp.end_date_inclusive });
        const stored = await db().selectFrom('local_actions').select(['title', 'all_day', 'start_date', 'end_date', 'starts_at', 'time_zone']).orderBy('title').execute();
        assert.deepEqual(stored.map((r) => ({ ...r })), [
          { title: 'Protest camp', all_day: 1, start_date: '2026-03-27', end_date: '2026-03-29', starts_at: null, time_zone: null },
          { title: 'Vigil', all_day: 1, start_date: '2026-12-29', end_date: '2026-12-29', starts_at: null, time_zone: null },
        ]);
        for (const zone of [...B02.view_web_page_with_browser_TZ, 'UTC', 'America/Los_Angeles']) {
          const reader = await loginAs(t);
          await db().updateTable('users').set({ time_zone: zone }).where('id', '=', reader.userId).execute();
          const page = (await get(`/action-days/${day.slug}`, reader.cookie)).body;
          assert.match(page, /<time datetime="2026-12-29">29 Dec 2026<\/time>/, zone);
          assert.match(page, /29 Dec 2026<\/time> \(all day\)/, zone);
          assert.doesNotMatch(page, /(28|30) Dec 2026/, zone);
          const campPage = (await get(`/action-days/${spring.slug}`, reader.cookie)).body;
          assert.match(campPage, /<time datetime="2026-03-27">27 Mar 2026 – 29 Mar 2026<\/time> \(all day\)/, zone);
        }
        const german = await t.app.inject({ method: 'GET', url: `/action-days/${day.slug}`, headers: { 'accept-language': 'de' } });
        assert.match(german.body, /<time datetime="2026-12-29">29\.12\.2026<\/time>/);
        const api = (await get(`/api/v1/action-days/${day.slug}`)).json();
        assert.deepEqual([api.startDate, api.endDate, api.localActions[0].startDate, api.localActions[0].endDate, api.localActions[0].allDay, api.localActions[0].startsAt], ['2026-12-29', '2026-12-29', '2026-12-29', '2026-12-29', true, null]);
      });
    });

    describe('permissions', () => {
      test('a viewer-role account cannot register a local action (service, page, API), nor call a day', async () => {
        const { org, day } = await setup();
        const reader = await loginAs(t, { roles: [[org.id, 'viewer']] });
        const v = await viewerOf(reader.cookie);
        const input = { organization: org.slug, title: 'Rally', kind: 'rally', city: 'Berlin', country: 'DE', startLocal: '2026-05-01T10:00', endLocal: '2026-05-01T11:00', timeZone: 'Europe/Berlin' };
        assert.deepEqual(await fieldErrors(() => addLocalAction(db(), v, day.slug, input)), [['organization', 'validation.organization_not_yours']]);
        const page = (await get(`/action-days/${day.slug}`, reader.cookie)).body;
        assert.doesNotMatch(page, /action="\/action-days\/[^"]+\/local-actions"/);
        const api = await sendJson('POST', `/api/v1/action-days/${day.slug}/local-actions`, input, reader.cookie);
        assert.equal(api.statusCode, 400);
        assert.equal(problem(api).errors?.[0]?.field, 'organization');
        const anonymous = await sendJson('POST', `/api/v1/action-days/${day.slug}/local-actions`, input);
        assert.equal(anonymous.statusCode, 401);
        assert.deepEqual(await fieldErrors(() => createActionDay(db(), v, { title: 'Mine', callText: 'x', startDate: '2026-06-01', organization: org.slug })), [['organization', 'validation.organization_not_yours']]);
        assert.equal(await count('local_actions'), 0);
        assert.equal(await count('action_days'), 1);
      });

      test("another organization's admin cannot edit (page 403, API 403); the caller's member can, and it is audited", async () => {
        const { org, member, day } = await setup();
        const other = await makeOrganization(db(), { name: 'Other Union' });
        const stranger = await loginAs(t, { roles: [[other.id, 'admin']] });
        const body = { title: 'Hijacked', callText: 'x', startDate: '2026-05-01', organization: other.slug };
        assert.equal((await get(`/action-days/${day.slug}/edit`, stranger.cookie)).statusCode, 403);
        assert.equal((await sendJson('PUT', `/api/v1/action-days/${day.slug}`, body, stranger.cookie)).statusCode, 403);
        const s = await formSession(t, `/action-days/${day.slug}`, stranger.cookie);
        const posted = await t.app.inject({ method: 'POST', url: `/action-days/${day.slug}/edit`, headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: form({ _csrf: s.csrf, ...body }) });
        assert.equal(posted.statusCode, 403);
        assert.equal((await db().selectFrom('action_days').select('title').executeTakeFirstOrThrow()).title, 'May Day across borders');
        const ok = await postPage(`/action-days/${day.slug}/edit`, `/action-days/${day.slug}/edit`, { title: 'May Day 2026', callText: 'Join!', lang: 'en', startDate: '2026-05-01', endDate: '2026-05-02', organization: org.slug, visibility: 'public' }, member.cookie);
        assert.equal(ok.statusCode, 303);
        const row = await db().selectFrom('action_days').select(['title', 'end_date']).executeTakeFirstOrThrow();
        assert.deepEqual({ ...row }, { title: 'May Day 2026', end_date: '2026-05-02' });
        const audit = await db().selectFrom('audit_events').select(['action', 'details']).where('action', '=', 'action_day.updated').execute();
        assert.deepEqual(audit.map((a) => [a.action, JSON.parse(a.details).fields]), [['action_day.updated', ['title', 'callText', 'endDate']]]);
      });

      test('end before start, unknown struggle and a network the organization is not a member of are field errors', async () => {
        const { org, viewer } = await setup();
        const net = await makeNetwork(db(), { name: 'Dockers International' });
        const base = { title: 'Day', callText: 'x', startDate: '2026-06-02', organization: org.slug };
        assert.deepEqual(await fieldErrors(() => createActionDay(db(), viewer, { ...base, endDate: '2026-06-01' })), [['endDate', 'validation.end_before_start']]);
        assert.deepEqual(await fieldErrors(() => createActionDay(db(), viewer, { ...base, network: net.slug })), [['network', 'action_days.validation.network_not_member']]);
        assert.deepEqual(await fieldErrors(() => createActionDay(db(), viewer, { ...base, struggle: 'no-such-struggle' })), [['struggle', 'action_days.validation.struggle_unknown']]);
        await makeNetworkMembership(db(), net.slug, org.slug);
        const struggle = await makeStruggle(db());
        const made = await createActionDay(db(), viewer, { ...base, network: net.slug, struggle: struggle.slug });
        const api = (await get(`/api/v1/action-days/${made.slug}`)).json();
        assert.deepEqual([api.network, api.struggle], [net.slug, struggle.slug]);
        const page = await postPage('/action-days/new', '/action-days/new', { ...base, endDate: '2026-06-01' }, (await loginAs(t, { roles: [[org.id, 'member']] })).cookie);
        assert.equal(page.statusCode, 422);
        assert.match(page.body, /The end date cannot be before the start date/);
      });
    });

    describe('visibility', () => {
      test('a members-only local action is not in outsiders’ lists, counts, table, map or API; members see it', async () => {
        const { org, member, viewer, day } = await setup();
        await makeLocalAction(db(), viewer, day.slug, org.slug, { title: 'Public rally', country: 'DE' });
        await makeLocalAction(db(), viewer, day.slug, org.slug, { title: 'Secret assembly', kind: 'assembly', city: 'Santiago', country: 'CL', startLocal: '2026-05-01T09:00', endLocal: '2026-05-01T10:00', timeZone: 'America/Santiago', visibility: 'members', expectedParticipants: 40 });
        const outsider = await loginAs(t);
        for (const cookie of [undefined, outsider.cookie]) {
          const page = (await get(`/action-days/${day.slug}`, cookie)).body;
          assert.match(page, /Public rally/);
          assert.doesNotMatch(page, /Secret assembly|Santiago/);
          assert.doesNotMatch(page, /data-country="CL"/);
          assert.doesNotMatch(page, /Chile: 1 local action/);
          assert.match(page, /Germany: 1 local action/);
          const api = (await get(`/api/v1/action-days/${day.slug}`, cookie)).json();
          assert.deepEqual(api.localActions.map((a: { title: string }) => a.title), ['Public rally']);
          assert.deepEqual(api.participation, [{ country: 'DE', localActions: 1, expectedParticipants: null }]);
          const list = (await get('/api/v1/action-days', cookie)).json();
          assert.equal(list.items[0].localActionCount, 1);
          assert.match((await get('/action-days', cookie)).body, /· 1 local action ·/);
        }
        const page = (await get(`/action-days/${day.slug}`, member.cookie)).body;
        assert.match(page, /Secret assembly/);
        assert.match(page, /Chile: 1 local action/);
        const api = (await get(`/api/v1/action-days/${day.slug}`, member.cookie)).json();
        assert.deepEqual(api.participation, [{ country: 'CL', localActions: 1, expectedParticipants: 40 }, { country: 'DE', localActions: 1, expectedParticipants: null }]);
        assert.equal((await get('/api/v1/action-days', member.cookie)).json().items[0].localActionCount, 2);
      });

      test('a members-only action day is invisible to outsiders: 404 and not listed or counted', async () => {
        const { org, member, viewer } = await setup();
        const hidden = await makeActionDay(db(), viewer, org.slug, { title: 'Internal day', visibility: 'members', startDate: '2026-06-01' });
        const outsider = await loginAs(t);
        assert.equal((await get(`/action-days/${hidden.slug}`, outsider.cookie)).statusCode, 404);
        assert.equal((await get(`/api/v1/action-days/${hidden.slug}`)).statusCode, 404);
        assert.equal((await get('/api/v1/action-days')).json().total, 1);
        assert.equal((await get('/api/v1/action-days', member.cookie)).json().total, 2);
        const input = { organization: org.slug, title: 'x', kind: 'rally', city: 'x', country: 'DE', startLocal: '2026-06-01T10:00', endLocal: '2026-06-01T11:00' };
        const outsiderOrg = await makeOrganization(db());
        const theirs = await loginAs(t, { roles: [[outsiderOrg.id, 'admin']] });
        assert.equal((await sendJson('POST', `/api/v1/action-days/${hidden.slug}/local-actions`, { ...input, organization: outsiderOrg.slug }, theirs.cookie)).statusCode, 404);
      });
    });

    describe('list', () => {
      test('upcoming first (soonest first), then past (latest first); the API pages with after=', async () => {
        const { org, viewer } = await setup(); // 2026-05-01
        const today = new Date().toISOString().slice(0, 10);
        const year = Number(today.slice(0, 4));
        await makeActionDay(db(), viewer, org.slug, { title: 'Far future', startDate: `${year + 3}-03-08` });
        await makeActionDay(db(), viewer, org.slug, { title: 'Near future', startDate: `${year + 2}-03-08` });
        await makeActionDay(db(), viewer, org.slug, { title: 'Long ago', startDate: '2001-03-08' });
        await makeActionDay(db(), viewer, org.slug, { title: 'Less long ago', startDate: '2011-03-08' });
        const titles: string[] = [];
        let next: string | null = null;
        do {
          const res = await get(`/api/v1/action-days?limit=2${next ? `&after=${next}` : ''}`);
          assert.equal(res.statusCode, 200, res.body);
          const out = res.json() as { items: { title: string }[]; next: string | null; total: number };
          assert.equal(out.total, 5);
          titles.push(...out.items.map((i) => i.title));
          next = out.next;
        } while (next);
        const may = today <= '2026-05-01' ? ['May Day across borders', 'Near future', 'Far future', 'Less long ago', 'Long ago'] : ['Near future', 'Far future', 'May Day across borders', 'Less long ago', 'Long ago'];
        assert.deepEqual(titles, may);
        assert.equal((await get('/api/v1/action-days?after=garbage')).statusCode, 400);
        const page = (await get('/action-days')).body;
        assert.ok(page.indexOf('Near future') < page.indexOf('Long ago'));
      });
    });
  });
}
