import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DateTime } from 'luxon';
import { ENGINES } from '../../../test/helpers/db.ts';
import { useTestApp, postForm } from '../../../test/helpers/app.ts';
import { mainOf, pactWorld } from '../../../test/helpers/pacts.ts';
import { todayIn } from '../../lib/time.ts';
import { recordEntries } from './ledger.service.ts';

/**
 * Pledges through the pages and the API on every engine: pledging for an organization, for
 * oneself and (coordinators) for a named person; the periods with what arrived, overdue marks,
 * the pledged-against-fulfilled summary on the pact page and the overdue notice for coordinators;
 * cancelling; names of persons kept from everyone but coordinators and the person. Dates are
 * relative to today (UTC, the accounts' time zone), as the periods are.
 */

const today = todayIn('UTC');
const monthStart = (back: number) => DateTime.fromISO(today, { zone: 'UTC' }).startOf('month').minus({ months: back }).toISODate()!;
const monthDay = (back: number, day: number) => DateTime.fromISO(monthStart(back), { zone: 'UTC' }).set({ day }).toISODate()!;
const monthName = (back: number, locale = 'en-GB') => new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date(`${monthStart(back)}T00:00:00Z`));

for (const engine of ENGINES) {
  describe(`pledges (${engine})`, () => {
    const t = useTestApp(engine);
    const db = () => t.db.db;
    const get = (url: string, cookie?: string) => t.app.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} });
    const json = (url: string, body: unknown, cookie: string) => t.app.inject({ method: 'POST', url, payload: JSON.stringify(body), headers: { 'content-type': 'application/json', cookie } });
    const pledge = (slug: string, cookie: string, body: Record<string, string>) => postForm(t, `/pacts/${slug}/pledges`, `/pacts/${slug}/pledges`, body, cookie);

    test('a member pledges for the union; periods show what arrived, an unpaid month is overdue; the pact page sums the current month', async () => {
      const w = await pactWorld(t);
      const slug = w.pact.slug;
      const page = await get(`/pacts/${slug}/pledges`, w.member.cookie);
      assert.equal(page.statusCode, 200);
      assert.match(page.body, new RegExp(`<option value="${w.union.slug}" selected>Kolwezi Miners Union</option>`), 'the one organization the member belongs to is chosen');
      assert.doesNotMatch(mainOf(page), /name="name"/, 'only coordinators name someone else');

      const res = await pledge(slug, w.member.cookie, { pledgerKind: 'organization', organization: w.union.slug, amount: '50', currency: 'EUR', frequency: 'monthly', startDate: monthDay(2, 10) });
      assert.equal(res.statusCode, 303, res.body);
      assert.equal(res.headers.location, `/pacts/${slug}/pledges?done=pledged`);
      const row = await db().selectFrom('pledges').selectAll().executeTakeFirstOrThrow();
      assert.deepEqual([Number(row.amount_minor), row.currency, row.frequency, row.created_by], [5000, 'EUR', 'monthly', w.member.userId]);

      // Two months ago paid in full, last month nothing, this month 20 of 50 so far.
      const orgCounterparty = { kind: 'organization' as const, organizationId: w.union.id };
      await recordEntries(db(), { pactId: w.pact.id, recordedBy: null, entries: [{ kind: 'contribution', amountMinor: 5000, currency: 'EUR', valueDate: monthDay(2, 15), counterparty: orgCounterparty, pledgeId: row.id }] });
      await recordEntries(db(), { pactId: w.pact.id, recordedBy: null, entries: [{ kind: 'contribution', amountMinor: 2000, currency: 'EUR', valueDate: monthStart(0), counterparty: orgCounterparty, pledgeId: row.id }] });

      const list = mainOf(await get(`/pacts/${slug}/pledges?done=pledged`));
      assert.match(list, /The pledge has been recorded\. Thank you!/);
      assert.match(list, new RegExp(`<a href="/organizations/${w.union.slug}"><bdi>Kolwezi Miners Union</bdi></a> <span class="badge pledge-overdue">1 period overdue</span>`));
      assert.match(list, /<td class="num">€50\.00<\/td><td>Monthly<\/td>/);
      assert.match(list, new RegExp(`${monthName(0)}: €20\\.00 of €50\\.00 <span class="badge pledge-open">open</span>`));
      assert.match(list, new RegExp(`${monthName(1)}: €0\\.00 of €50\\.00 <span class="badge pledge-overdue">overdue</span>`));
      assert.match(list, new RegExp(`${monthName(2)}: €50\\.00 of €50\\.00 <span class="badge pledge-fulfilled">fulfilled</span>`));
      assert.doesNotMatch(list, /cancel"/, 'an anonymous reader cancels nothing');
      assert.match(list, /Sign in to make a pledge/);

      const pactPage = mainOf(await get(`/pacts/${slug}`));
      assert.match(pactPage, /<th scope="row">EUR<\/th><td>1 monthly pledge<\/td><td>[^<]+<\/td><td class="num">€50\.00<\/td><td class="num">€20\.00<\/td>/);
      assert.match(pactPage, new RegExp(`<td>${monthName(0)}</td>`));
      assert.doesNotMatch(pactPage, /overdue/, 'the overdue notice is for coordinators');
      assert.match(pactPage, /href="\/pacts\/kamoto-families\/pledges">Pledges<\/a>/);
      const forCoordinator = mainOf(await get(`/pacts/${slug}`, w.coordinator.cookie));
      assert.match(forCoordinator, /<p class="notice"><a href="\/pacts\/kamoto-families\/pledges">1 pledge is overdue: a period ended with less than was promised\.<\/a><\/p>/);
      assert.match(mainOf(await get(`/pacts/${slug}/pledges`, w.coordinator.cookie)), /1 pledge is overdue/);

      // German.
      const de = mainOf(await get(`/pacts/${slug}/pledges`, `${w.member.cookie}; locale=de`));
      assert.match(de, /<h1 class="pact-heading">Zusagen: <span lang="en">/);
      assert.match(de, /<td class="num">50,00\s€<\/td><td>Monatlich<\/td>/);
      assert.match(de, /1 Zeitraum überfällig/);
      assert.match(de, new RegExp(`${monthName(1, 'de')}: 0,00\\s€ von 50,00\\s€ <span class="badge pledge-overdue">überfällig</span>`));
    });

    test('a coordinator records a named person’s pledge: the name is for coordinators only; others may not name someone; a viewer may not pledge for the union', async () => {
      const w = await pactWorld(t);
      const slug = w.pact.slug;
      const named = await pledge(slug, w.coordinator.cookie, { pledgerKind: 'person', name: 'Maria Lopez', amount: '300', currency: 'EUR', frequency: 'quarterly', startDate: monthStart(0), note: 'Pays by standing order' });
      assert.equal(named.statusCode, 303, named.body);
      for (const cookie of [undefined, w.member.cookie, w.outsider.cookie]) {
        const body = (await get(`/pacts/${slug}/pledges`, cookie)).body;
        assert.doesNotMatch(body, /Maria Lopez|standing order/);
        assert.match(mainOf(body), /<th scope="row">a person/);
      }
      const theirs = mainOf(await get(`/pacts/${slug}/pledges`, w.coordinator.cookie));
      assert.match(theirs, /<bdi>Maria Lopez<\/bdi>/);
      assert.match(theirs, /Pays by standing order/);
      assert.doesNotMatch((await get(`/api/v1/pacts/${slug}/pledges`)).body, /Maria Lopez/);
      assert.match(mainOf(await get(`/pacts/${slug}`)), /1 quarterly pledge/);

      const byMember = await pledge(slug, w.member.cookie, { pledgerKind: 'person', name: 'Someone Else', amount: '10', currency: 'EUR', startDate: monthStart(0) });
      assert.equal(byMember.statusCode, 422);
      assert.match(mainOf(byMember), /Only the pact's coordinators record a pledge in someone else's name/);
      const byViewer = await pledge(slug, w.viewer.cookie, { pledgerKind: 'organization', organization: w.union.slug, amount: '10', currency: 'EUR', startDate: monthStart(0) });
      assert.equal(byViewer.statusCode, 403);
      const bad = await pledge(slug, w.member.cookie, { pledgerKind: 'organization', organization: w.union.slug, amount: '10.5.1', currency: 'JPY', frequency: 'weekly', startDate: '2026-02-30' });
      assert.equal(bad.statusCode, 422);
      const errors = mainOf(bad);
      assert.match(errors, /Amount per installment: Enter an amount such as 1250 or 12\.50/);
      assert.match(errors, /How often: /);
      assert.match(errors, /Starts on: There is no such day in the calendar/);
      assert.match(errors, /<details class="record" id="pledge" open>/);
      assert.equal(Number((await db().selectFrom('pledges').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n), 1);
      assert.equal((await pledge(slug, '', { pledgerKind: 'person', amount: '10', currency: 'EUR', startDate: monthStart(0) })).statusCode, 401);
    });

    test('cancelling: the pledger’s organization or a coordinator, not a viewer; the API lists periods and the summary, and pledges for oneself', async () => {
      const w = await pactWorld(t);
      const slug = w.pact.slug;
      const created = await json(`/api/v1/pacts/${slug}/pledges`, { pledgerKind: 'organization', organization: w.union.slug, amount: '25.50', currency: 'EUR', frequency: 'monthly', startDate: monthStart(1) }, w.member.cookie);
      assert.equal(created.statusCode, 201, created.body);
      const p = created.json();
      assert.deepEqual({ amountMinor: p.amountMinor, amount: p.amount, pledger: p.pledger, canCancel: p.canCancel }, { amountMinor: 2550, amount: '25.50', pledger: { name: 'Kolwezi Miners Union', organization: w.union.slug }, canCancel: true });
      assert.deepEqual(p.periods.map((x: { start: string; state: string; due: { amount: string } }) => [x.start, x.state, x.due.amount]), [[monthStart(1), 'overdue', '25.50'], [monthStart(0), 'open', '25.50']]);
      assert.equal(p.overdue, 1);
      const self = await json(`/api/v1/pacts/${slug}/pledges`, { pledgerKind: 'person', amount: '10', currency: 'USD', frequency: 'once', startDate: monthStart(0) }, w.outsider.cookie);
      assert.equal(self.statusCode, 201, self.body);
      assert.deepEqual(self.json().pledger, { name: 'Otto Outsider', organization: null });
      const asNumber = await json(`/api/v1/pacts/${slug}/pledges`, { pledgerKind: 'person', amount: 10, currency: 'USD', startDate: monthStart(0) }, w.outsider.cookie);
      assert.equal(asNumber.statusCode, 400);

      const listed = (await get(`/api/v1/pacts/${slug}/pledges`)).json();
      assert.deepEqual(listed.items.map((x: { pledger: { name: string | null } }) => x.pledger.name), ['Kolwezi Miners Union', null]);
      assert.deepEqual(
        listed.summary.map((s: { frequency: string; pledges: number; due: { amount: string; currency: string }; fulfilled: { amount: string } }) => [s.due.currency, s.frequency, s.pledges, s.due.amount, s.fulfilled.amount]),
        [['EUR', 'monthly', 1, '25.50', '0.00'], ['USD', 'once', 1, '10.00', '0.00']],
      );

      const byViewer = await postForm(t, `/pacts/${slug}/pledges`, `/pacts/${slug}/pledges/${p.id}/cancel`, {}, w.viewer.cookie);
      assert.equal(byViewer.statusCode, 403);
      const cancelled = await postForm(t, `/pacts/${slug}/pledges`, `/pacts/${slug}/pledges/${p.id}/cancel`, {}, w.member.cookie);
      assert.equal(cancelled.statusCode, 303);
      assert.equal(cancelled.headers.location, `/pacts/${slug}/pledges?done=cancelled`);
      const after = mainOf(await get(`/pacts/${slug}/pledges?done=cancelled`, w.member.cookie));
      assert.match(after, /The pledge has been cancelled from today on\./);
      assert.match(after, /<tr id="pledge-[^"]+" class="cancelled">/);
      assert.match(after, /Cancelled on/);
      const byApi = await json(`/api/v1/pacts/${slug}/pledges/${self.json().id}/cancel`, {}, w.coordinator.cookie);
      assert.equal(byApi.statusCode, 200);
      assert.ok(byApi.json().cancelledAt);
      const events = await db().selectFrom('audit_events').select('action').where('action', 'like', 'pact.pledge%').execute();
      assert.deepEqual(events.map((e) => e.action).sort(), ['pact.pledge_cancelled', 'pact.pledge_cancelled', 'pact.pledge_recorded', 'pact.pledge_recorded']);
      assert.match(mainOf(await get(`/pacts/${slug}`)), /None of the 2 pledges made runs in the current period\./, 'cancelled pledges leave the running summary');
    });

    test('a private pact: its pledges are a 404 for whoever cannot see it', async () => {
      const w = await pactWorld(t, { visibility: 'private' });
      for (const cookie of [undefined, w.member.cookie, w.outsider.cookie]) {
        assert.equal((await get(`/pacts/${w.pact.slug}/pledges`, cookie)).statusCode, 404);
        assert.equal((await get(`/api/v1/pacts/${w.pact.slug}/pledges`, cookie)).statusCode, 404);
      }
      const res = await pledge(w.pact.slug, w.coordinator.cookie, { pledgerKind: 'organization', organization: w.union.slug, amount: '10', currency: 'EUR', startDate: monthStart(0) });
      assert.equal(res.statusCode, 303);
      const denied = await t.app.inject({ method: 'POST', url: `/pacts/${w.pact.slug}/pledges`, headers: { cookie: w.member.cookie, 'content-type': 'application/json' }, payload: '{}' });
      assert.ok([403, 404].includes(denied.statusCode));
    });
  });
}
