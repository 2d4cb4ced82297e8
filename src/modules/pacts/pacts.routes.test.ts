import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { ENGINES } from '../../../test/helpers/db.ts';
import { useTestApp, loginAs, postForm, formSession, form } from '../../../test/helpers/app.ts';
import { makeOrganization, makeStruggle } from '../../../test/helpers/factories.ts';
import { ledgerTable } from '../../../test/helpers/ledger.ts';
import { recordEntries } from './ledger.service.ts';

/**
 * Pages and API of solidarity pacts and their ledger, through HTTP on every engine: starting a
 * pact, its page with the progress bar, recording contributions (coordinators only), reversals,
 * overdrafts and closed pacts as form errors and 409 problems, 405 for changing an entry, and
 * private pacts answering like missing ones.
 */

for (const engine of ENGINES) {
  describe(engine, () => {
    const t = useTestApp(engine);
    const db = () => t.db.db;
    const get = (url: string, cookie?: string) => t.app.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} });
    const sendJson = (method: 'POST' | 'PUT' | 'DELETE' | 'PATCH', url: string, body: unknown, cookie?: string, headers: Record<string, string> = {}) =>
      t.app.inject({ method, url, payload: JSON.stringify(body), headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}), ...headers } });
    const problem = (res: LightMyRequestResponse) => {
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
      return res.json() as { code: string; status: number; title: string; errors?: { field: string; code: string; detail: string }[] };
    };
    const count = async (table: 'pacts' | 'ledger_entries') => Number((await db().selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const pactId = async (slug: string) => (await db().selectFrom('pacts').select('id').where('slug', '=', slug).executeTakeFirstOrThrow()).id;
    /** The page's main content, without the ledger cells' column labels (for narrow screens), so assertions read like the table. */
    const main = (body: string) => body.slice(body.indexOf('<main'), body.indexOf('</main>')).replace(/ data-label="[^"]*"/g, '');
    const entryIdBySeq = async (slug: string, seq: number) =>
      (await db().selectFrom('ledger_entries').select('id').where('pact_id', '=', await pactId(slug)).where('seq', '=', seq).executeTakeFirstOrThrow()).id;

    /** Kolwezi miners' union with a coordinator, a member and a viewer; an unrelated union's admin; a struggle. */
    const world = async () => {
      const union = await makeOrganization(db(), { name: 'Kolwezi Miners Union', country: 'CD' });
      const other = await makeOrganization(db(), { name: 'Dockers Union', country: 'FR' });
      const struggle = await makeStruggle(db(), { title: 'Strike at the Kamoto mine', country: 'CD' });
      const coordinator = await loginAs(t, { name: 'Coco Ordinator', roles: [[union.id, 'coordinator']] });
      const member = await loginAs(t, { roles: [[union.id, 'member']] });
      const outsider = await loginAs(t, { roles: [[other.id, 'admin']] });
      return { union, other, struggle, coordinator, member, outsider };
    };
    type World = Awaited<ReturnType<typeof world>>;
    const pactBody = (w: World, extra: Record<string, unknown> = {}) => ({
      organization: w.union.slug,
      title: 'Families of the Kamoto miners',
      slug: 'kamoto-families',
      description: 'Monthly support for the families while the strike lasts.',
      lang: 'en',
      beneficiaryGroup: 'Families of the miners of the Kamoto cooperative',
      country: 'CD',
      struggles: [w.struggle.slug],
      goalAmount: '25000',
      goalCurrency: 'EUR',
      periodStart: '2026-01-01',
      ...extra,
    });
    const startPact = async (w: World, extra: Record<string, unknown> = {}) => {
      const res = await sendJson('POST', '/api/v1/pacts', pactBody(w, extra), w.coordinator.cookie);
      assert.equal(res.statusCode, 201, res.body);
      return res.json().slug as string;
    };
    const contribute = (slug: string, cookie: string, body: Record<string, string>) => postForm(t, `/pacts/${slug}/ledger`, `/pacts/${slug}/ledger/contributions`, body, cookie);

    test('the description of an entry and the reason of a reversal show to coordinators only', async () => {
      const w = await world();
      const slug = await startPact(w);
      const res = await contribute(slug, w.coordinator.cookie, { amount: '40', currency: 'EUR', valueDate: '2026-03-02', contributorKind: 'external', name: 'Gate collection', reference: 'GC-1', description: 'Collected at the gate of shaft 4' });
      assert.equal(res.statusCode, 303, res.body);
      const id = await entryIdBySeq(slug, 1);
      const rev = await postForm(t, `/pacts/${slug}/ledger`, `/pacts/${slug}/ledger/${id}/reverse`, { reason: 'Counted twice in March', valueDate: '2026-03-03' }, w.coordinator.cookie);
      assert.equal(rev.statusCode, 303, rev.body);
      const own = main((await get(`/pacts/${slug}/ledger`, w.coordinator.cookie)).body);
      assert.match(own, /Collected at the gate of shaft 4/);
      assert.match(own, /Counted twice in March/);
      for (const cookie of [undefined, w.member.cookie]) {
        const page = main((await get(`/pacts/${slug}/ledger`, cookie)).body);
        assert.match(page, /GC-1/);
        assert.doesNotMatch(page, /shaft 4|Counted twice/);
        assert.match(page, /the purposes, notes and reasons of entries, are shown to the pact's coordinators only/);
      }
    });

    test('a coordinator starts a pact through the form; its page shows it with a progress bar toward the goal', async () => {
      const w = await world();
      const newPage = await get('/pacts/new', w.coordinator.cookie);
      assert.equal(newPage.statusCode, 200);
      assert.match(newPage.body, /<option value="EUR">EUR – Euro<\/option>/);
      assert.match(newPage.body, new RegExp(`<option value="${w.union.slug}"`), 'the union the coordinator leads is offered as owner');
      assert.doesNotMatch(newPage.body, new RegExp(`<option value="${w.other.slug}"`));
      const res = await postForm(t, '/pacts/new', '/pacts/new', {
        organization: w.union.slug,
        title: 'Families of the Kamoto miners',
        description: 'Monthly support.',
        lang: 'en',
        beneficiaryGroup: 'Families of the miners',
        country: 'CD',
        struggles: w.struggle.slug,
        goalAmount: '25000',
        goalCurrency: 'EUR',
        periodStart: '2026-01-01',
        visibility: 'public',
      }, w.coordinator.cookie);
      assert.equal(res.statusCode, 303, res.body);
      assert.equal(res.headers.location, '/pacts/families-of-the-kamoto-miners?done=created');
      const page = await get('/pacts/families-of-the-kamoto-miners');
      assert.equal(page.statusCode, 200);
      const body = main(page.body);
      assert.match(body, /<h1><bdi>Families of the Kamoto miners<\/bdi><\/h1>/);
      assert.match(body, /<progress class="goal" max="2500000" value="0" aria-label="Contributions toward the goal"/);
      assert.match(body, /€0\.00 of €25,000\.00 raised \(0%\)/);
      assert.match(body, /Strike at the Kamoto mine/);
      assert.match(body, /Kolwezi Miners Union/);
      assert.match(body, /Nothing has been recorded yet\./);
      assert.doesNotMatch(body, /\/edit"/, 'no edit link for an anonymous reader');
      assert.match((await get('/pacts')).body, /Families of the Kamoto miners/);
      const events = await db().selectFrom('audit_events').select('action').where('subject_type', '=', 'pact').execute();
      assert.deepEqual(events.map((e) => e.action), ['pact.created']);
    });

    test('the form comes back with translated field errors (422) and nothing is stored; a member cannot open it', async () => {
      const w = await world();
      const res = await postForm(t, '/pacts/new', '/pacts/new', { organization: w.union.slug, title: '', description: 'x', beneficiaryGroup: 'families', goalAmount: '5000.7', goalCurrency: 'JPY', periodStart: '2026-13-01' }, w.coordinator.cookie);
      assert.equal(res.statusCode, 422);
      assert.match(res.body, /Title: This field is required/);
      assert.match(res.body, /JPY has no decimals: enter a whole amount/);
      assert.match(res.body, /There is no such day in the calendar/);
      assert.equal(await count('pacts'), 0);
      assert.equal((await get('/pacts/new', w.member.cookie)).statusCode, 403);
      const byMember = await postForm(t, '/pacts', '/pacts/new', { organization: w.union.slug, title: 'x', description: 'x', beneficiaryGroup: 'x', periodStart: '2026-01-01' }, w.member.cookie);
      assert.equal(byMember.statusCode, 403);
      // Another organization's admin may start pacts of their own, not of this union.
      const byOutsider = await sendJson('POST', '/api/v1/pacts', pactBody(w), w.outsider.cookie);
      assert.equal(byOutsider.statusCode, 403);
      assert.equal(await count('pacts'), 0);
    });

    test('a member cannot record a contribution: no form on the page, 403 for the form post and the API, nothing written', async () => {
      const w = await world();
      const slug = await startPact(w);
      const ledger = await get(`/pacts/${slug}/ledger`, w.member.cookie);
      assert.equal(ledger.statusCode, 200);
      assert.doesNotMatch(ledger.body, /ledger\/contributions/);
      assert.doesNotMatch(ledger.body, /Record a contribution/);
      const page = await contribute(slug, w.member.cookie, { amount: '10', currency: 'EUR', contributorKind: 'external', name: 'Someone' });
      assert.equal(page.statusCode, 403);
      const api = await sendJson('POST', `/api/v1/pacts/${slug}/entries`, { amount: '10', currency: 'EUR', contributorKind: 'external', name: 'Someone' }, w.member.cookie);
      assert.equal(api.statusCode, 403);
      assert.equal(problem(api).code, 'forbidden');
      assert.equal((await sendJson('POST', `/api/v1/pacts/${slug}/entries`, { amount: '10', currency: 'EUR' })).statusCode, 401);
      assert.equal(await count('ledger_entries'), 0);
      assert.equal((await get(`/pacts/${slug}/edit`, w.member.cookie)).statusCode, 403);
    });

    test('a recorded contribution shows on the ledger and in the balance, progress bar and monthly table', async () => {
      const w = await world();
      const slug = await startPact(w);
      const res = await contribute(slug, w.coordinator.cookie, { amount: '1234.50', currency: 'EUR', valueDate: '2026-03-04', contributorKind: 'person', name: 'Maria Lopez', reference: 'SEPA 0042', fee: '2.50' });
      assert.equal(res.statusCode, 303, res.body);
      assert.equal(res.headers.location, `/pacts/${slug}/ledger?done=recorded`);
      await contribute(slug, w.coordinator.cookie, { amount: '5000', currency: 'JPY', valueDate: '2026-04-01', contributorKind: 'organization', organization: w.other.slug });
      assert.equal(
        await ledgerTable(db(), await pactId(slug)),
        [
          'seq  kind          flow          amount  cur  value_date  balance  rev  grp',
          '1    contribution  contribution  123450  EUR  2026-03-04   123450       A',
          '2    fee           fee             -250  EUR  2026-03-04   123200       A',
          '3    contribution  contribution    5000  JPY  2026-04-01     5000       B',
        ].join('\n'),
      );
      const coordinatorView = main((await get(`/pacts/${slug}/ledger?done=recorded`, w.coordinator.cookie)).body);
      assert.match(coordinatorView, /The contribution has been recorded\./);
      assert.match(coordinatorView, /<td class="num amount">\+€1,234\.50<\/td><td><bdi>Maria Lopez<\/bdi><\/td><td><bdi>SEPA 0042<\/bdi><\/td><td class="num">€1,234\.50<\/td>/);
      assert.match(coordinatorView, /<td class="num amount">-€2\.50<\/td>/);
      assert.match(coordinatorView, /\+¥5,000<\/td><td><a href="\/organizations\/[^"]+"><bdi>Dockers Union<\/bdi><\/a>/);
      // Others see that a person gave, never who.
      const publicView = main((await get(`/pacts/${slug}/ledger`)).body);
      assert.doesNotMatch(publicView, /Maria Lopez/);
      assert.match(publicView, /\+€1,234\.50<\/td><td>a person<\/td>/);
      const apiEntries = (await get(`/api/v1/pacts/${slug}/entries`)).json() as { items: { seq: number; counterparty: { name: string | null }; amount: string; amountMinor: number }[] };
      assert.deepEqual(apiEntries.items.map((e) => [e.seq, e.counterparty.name, e.amount, e.amountMinor]), [[3, 'Dockers Union', '5000', 5000], [2, null, '-2.50', -250], [1, null, '1234.50', 123450]]);
      const page = main((await get(`/pacts/${slug}`)).body);
      assert.match(page, /<progress class="goal" max="2500000" value="123450"/);
      assert.match(page, /€1,234\.50 of €25,000\.00 raised \(4%\)/);
      assert.match(page, /Contributions in other currencies<\/h3><ul class="amounts"><li>¥5,000<\/li>/);
      assert.match(page, /not converted into the goal's currency here/);
      assert.match(page, /<tr><th scope="row">EUR<\/th><td class="num">€1,232\.00<\/td><\/tr>/);
      assert.match(page, /<th scope="row"><time datetime="2026-03">Mar 2026<\/time><\/th><td>EUR<\/td><td class="num">€1,234\.50<\/td><td class="num">€0\.00<\/td><td class="num">-€2\.50<\/td><td class="num">€0\.00<\/td><td class="num">€1,232\.00<\/td>/);
      const balances = (await get(`/api/v1/pacts/${slug}/balances`)).json();
      assert.deepEqual(balances, {
        items: [
          { amountMinor: 123200, amount: '1232.00', currency: 'EUR', digits: 2, entryCount: 2 },
          { amountMinor: 5000, amount: '5000', currency: 'JPY', digits: 0, entryCount: 1 },
        ],
      });
      const events = await db().selectFrom('audit_events').select('action').where('action', '=', 'pact.entry_recorded').execute();
      assert.equal(events.length, 3);
    });

    test('bad contribution input comes back on the form (422); amounts in the API must be decimal strings', async () => {
      const w = await world();
      const slug = await startPact(w);
      const res = await contribute(slug, w.coordinator.cookie, { amount: '12.345', currency: 'EUR', contributorKind: 'organization', organization: '', fee: '20' });
      assert.equal(res.statusCode, 422);
      assert.match(res.body, /<details class="record" id="record" open>/);
      assert.match(res.body, /Amount: EUR has 2 decimals: enter at most 2 digits after the point/);
      assert.match(res.body, /Contributing organization: This field is required/);
      assert.match(res.body, /value="12\.345"/, 'the typed amount is kept');
      const floaty = await sendJson('POST', `/api/v1/pacts/${slug}/entries`, { amount: 12.5, currency: 'EUR', fee: 0.3 }, w.coordinator.cookie);
      assert.equal(floaty.statusCode, 400);
      assert.deepEqual(problem(floaty).errors?.map((e) => [e.field, e.code]), [['amount', 'pacts.api.amount_not_string'], ['fee', 'pacts.api.amount_not_string']]);
      const kwd = await sendJson('POST', `/api/v1/pacts/${slug}/entries`, { amount: '12.345', currency: 'KWD', contributorKind: 'external', name: 'Kuwait collection' }, w.coordinator.cookie);
      assert.equal(kwd.statusCode, 201, kwd.body);
      assert.deepEqual(kwd.json().items.map((e: { amountMinor: number; amount: string; balanceAfter: unknown }) => [e.amountMinor, e.amount, e.balanceAfter]), [[12345, '12.345', { amountMinor: 12345, amount: '12.345', currency: 'KWD' }]]);
      assert.match(String(kwd.headers.location), new RegExp(`^/api/v1/pacts/${slug}/entries/`));
      assert.equal(await count('ledger_entries'), 1);
    });

    test('a reversal through the form marks both entries; reversing again is a 409 form error; a whole group via the API', async () => {
      const w = await world();
      const slug = await startPact(w);
      await contribute(slug, w.coordinator.cookie, { amount: '100', currency: 'EUR', valueDate: '2026-03-01', contributorKind: 'external', name: 'Solidarity concert' });
      await contribute(slug, w.coordinator.cookie, { amount: '50', currency: 'EUR', valueDate: '2026-03-02', contributorKind: 'external', name: 'Gate collection', fee: '1' });
      const first = await entryIdBySeq(slug, 1);
      // No reason: the reverse form comes back open at its entry.
      const empty = await postForm(t, `/pacts/${slug}/ledger`, `/pacts/${slug}/ledger/${first}/reverse`, { reason: '' }, w.coordinator.cookie);
      assert.equal(empty.statusCode, 422);
      assert.match(empty.body, /<details class="reverse" open><summary>Reverse entry 1<\/summary>/);
      assert.match(empty.body, /<p class="error" id="r1-error" role="alert">This field is required<\/p>/);
      const ok = await postForm(t, `/pacts/${slug}/ledger`, `/pacts/${slug}/ledger/${first}/reverse`, { reason: 'Counted twice' }, w.coordinator.cookie);
      assert.equal(ok.statusCode, 303, ok.body);
      assert.equal(ok.headers.location, `/pacts/${slug}/ledger?done=reversed`);
      const ledger = main((await get(`/pacts/${slug}/ledger`, w.coordinator.cookie)).body);
      assert.match(ledger, /<tr id="entry-4"><th scope="row" class="num">4<\/th><td class="date"><time datetime="[0-9-]+">[^<]+<\/time><\/td><td>Reversal<br\/><span class="meta">Reverses <a href="\/pacts\/kamoto-families\/ledger\?before=2#entry-1">No\. 1<\/a><\/span><\/td><td class="num amount">-€100\.00<\/td>/);
      assert.match(ledger, /<tr id="entry-1" class="reversed">.*?Reversed by <a href="\/pacts\/kamoto-families\/ledger\?before=5#entry-4">No\. 4<\/a>/s);
      assert.doesNotMatch(ledger, /Reverse entry 1</, 'a reversed entry has no reverse form');
      assert.doesNotMatch(ledger, /Reverse entry 4</, 'a reversal has no reverse form');
      // Reversing it again (a stale page): 409, the message at the form.
      const again = await postForm(t, `/pacts/${slug}/ledger`, `/pacts/${slug}/ledger/${first}/reverse`, { reason: 'Again' }, w.coordinator.cookie);
      assert.equal(again.statusCode, 409);
      assert.match(main(again.body), /<tr id="entry-1" class="reversed">.*?<div class="error-summary" role="alert"><ul><li>This entry has been reversed already<\/li>/s);
      const apiAgain = await sendJson('POST', `/api/v1/pacts/${slug}/entries/${first}/reversal`, { reason: 'Again' }, w.coordinator.cookie);
      assert.equal(apiAgain.statusCode, 409);
      assert.equal(problem(apiAgain).code, 'not_reversible_already_reversed');
      // The contribution of 50 with its fee, reversed as one event.
      const second = await entryIdBySeq(slug, 2);
      const group = await sendJson('POST', `/api/v1/pacts/${slug}/entries/${second}/reversal`, { reason: 'Bounced', wholeGroup: true, valueDate: '2026-03-10' }, w.coordinator.cookie);
      assert.equal(group.statusCode, 201, group.body);
      assert.deepEqual(group.json().items.map((e: { kind: string; amount: string; reverses: { seq: number } }) => [e.kind, e.amount, e.reverses.seq]), [['reversal', '1.00', 3], ['reversal', '-50.00', 2]], 'the fee first, so the event never overdraws');
      const balances = (await get(`/api/v1/pacts/${slug}/balances`)).json();
      assert.deepEqual(balances.items.map((b: { amount: string }) => b.amount), ['0.00']);
      const one = (await get(`/api/v1/pacts/${slug}/entries/${first}`)).json();
      assert.equal(one.reversedBy.seq, 4);
      assert.equal((await db().selectFrom('audit_events').select('action').where('action', '=', 'pact.entry_reversed').execute()).length, 3);
    });

    test('a reversal that would overdraw is refused: 409 at the form and as a problem, nothing written', async () => {
      const w = await world();
      const slug = await startPact(w);
      await contribute(slug, w.coordinator.cookie, { amount: '100', currency: 'EUR', contributorKind: 'external', name: 'Concert' });
      // 80 of it paid out (a disbursement, recorded on the ledger directly here).
      await recordEntries(db(), { pactId: await pactId(slug), recordedBy: null, entries: [{ kind: 'disbursement', amountMinor: -8000, currency: 'EUR', valueDate: '2026-03-05', counterparty: { kind: 'external', name: 'Pharmacy' } }] });
      const first = await entryIdBySeq(slug, 1);
      const before = await count('ledger_entries');
      const page = await postForm(t, `/pacts/${slug}/ledger`, `/pacts/${slug}/ledger/${first}/reverse`, { reason: 'Bounced' }, w.coordinator.cookie);
      assert.equal(page.statusCode, 409);
      assert.match(page.body, /<details class="reverse" open><summary>Reverse entry 1<\/summary>/);
      assert.match(page.body, /This would take the pact&#39;s balance in this currency below zero|This would take the pact's balance in this currency below zero/);
      const api = await sendJson('POST', `/api/v1/pacts/${slug}/entries/${first}/reversal`, { reason: 'Bounced' }, w.coordinator.cookie);
      assert.equal(api.statusCode, 409);
      assert.equal(problem(api).code, 'overdraft');
      assert.equal(await count('ledger_entries'), before);
    });

    test('closing asks for confirmation; a closed pact refuses entries (409) and changes, its ledger stays readable', async () => {
      const w = await world();
      const slug = await startPact(w);
      await contribute(slug, w.coordinator.cookie, { amount: '10', currency: 'EUR', contributorKind: 'external', name: 'Concert' });
      const pause = await postForm(t, `/pacts/${slug}/edit`, `/pacts/${slug}/status`, { status: 'paused' }, w.coordinator.cookie);
      assert.equal(pause.statusCode, 303);
      assert.match(main((await get(`/pacts/${slug}?done=status`)).body), /The status has been changed\..*Paused/s);
      const ask = await postForm(t, `/pacts/${slug}/edit`, `/pacts/${slug}/status`, { status: 'closed' }, w.coordinator.cookie);
      assert.equal(ask.statusCode, 200);
      assert.match(ask.body, /Close the pact for good\?/);
      assert.match(ask.body, /Closing is final\./);
      assert.match(ask.body, /<input type="hidden" name="confirm" value="yes"\/>/);
      assert.equal((await db().selectFrom('pacts').select('status').executeTakeFirstOrThrow()).status, 'paused', 'asking changes nothing');
      const close = await postForm(t, `/pacts/${slug}/edit`, `/pacts/${slug}/status`, { status: 'closed', confirm: 'yes' }, w.coordinator.cookie);
      assert.equal(close.statusCode, 303);
      const actions = (await db().selectFrom('audit_events').select('action').where('subject_type', '=', 'pact').orderBy('at').orderBy('id').execute()).map((e) => e.action);
      assert.deepEqual(actions, ['pact.created', 'pact.entry_recorded', 'pact.paused', 'pact.closed']);
      // The ledger stays readable, without forms; a stale form gets 409 and the page says why.
      const ledger = await get(`/pacts/${slug}/ledger`, w.coordinator.cookie);
      assert.equal(ledger.statusCode, 200);
      assert.match(ledger.body, /This pact is closed\./);
      assert.doesNotMatch(ledger.body, /Record a contribution|Reverse entry/);
      const stale = await contribute(slug, w.coordinator.cookie, { amount: '10', currency: 'EUR', contributorKind: 'external', name: 'Late' });
      assert.equal(stale.statusCode, 409);
      assert.match(stale.body, /<div class="error-summary" role="alert"><ul><li>This pact is closed; nothing more can be recorded on it<\/li><\/ul><\/div>/);
      const api = await sendJson('POST', `/api/v1/pacts/${slug}/entries`, { amount: '10', currency: 'EUR', contributorKind: 'external', name: 'Late' }, w.coordinator.cookie);
      assert.equal(api.statusCode, 409);
      assert.equal(problem(api).code, 'pact_closed');
      assert.equal(problem(api).title, 'This pact is closed; nothing more can be recorded on it');
      assert.equal((await sendJson('POST', `/api/v1/pacts/${slug}/status`, { status: 'open' }, w.coordinator.cookie)).statusCode, 409);
      assert.equal((await sendJson('PUT', `/api/v1/pacts/${slug}`, { ...pactBody(w), organization: undefined, slug: undefined }, w.coordinator.cookie)).statusCode, 409);
      assert.equal(await count('ledger_entries'), 1);
      assert.doesNotMatch(main((await get(`/pacts/${slug}`, w.coordinator.cookie)).body), /\/edit"/, 'no edit link on a closed pact');
      const edit = await get(`/pacts/${slug}/edit`, w.coordinator.cookie);
      assert.equal(edit.statusCode, 409);
      assert.match(edit.body, /This pact is closed; nothing more can be recorded on it/);
    });

    test('PUT, PATCH and DELETE of an entry answer 405 with Allow and a translated problem, for everyone and every id', async () => {
      const w = await world();
      const slug = await startPact(w, { visibility: 'private' });
      await contribute(slug, w.coordinator.cookie, { amount: '10', currency: 'EUR', contributorKind: 'external', name: 'Concert' });
      const id = await entryIdBySeq(slug, 1);
      const bodies = new Set<string>();
      for (const method of ['PUT', 'PATCH', 'DELETE'] as const) {
        for (const [url, cookie] of [
          [`/api/v1/pacts/${slug}/entries/${id}`, w.coordinator.cookie],
          [`/api/v1/pacts/${slug}/entries/${id}`, w.outsider.cookie],
          [`/api/v1/pacts/${slug}/entries/${id}`, undefined],
          ['/api/v1/pacts/no-such-pact/entries/no-such-entry', w.outsider.cookie],
        ] as const) {
          const res = await sendJson(method, url, { amount: '99' }, cookie);
          assert.equal(res.statusCode, 405, `${method} ${url}`);
          assert.equal(res.headers.allow, 'GET, HEAD');
          const p = problem(res);
          assert.equal(p.code, 'method_not_allowed');
          assert.equal(p.title, 'Ledger entries cannot be changed or deleted; record a reversal instead');
          bodies.add(res.body);
        }
      }
      assert.equal(bodies.size, 1, 'a hidden entry, a missing one and a visible one answer alike');
      const de = await sendJson('DELETE', `/api/v1/pacts/${slug}/entries/${id}`, {}, undefined, { 'accept-language': 'de' });
      assert.equal(problem(de).title, 'Buchungen können nicht geändert oder gelöscht werden; buchen Sie stattdessen ein Storno');
      // A body that is not JSON at all is still answered about the method.
      const text = await t.app.inject({ method: 'PUT', url: `/api/v1/pacts/${slug}/entries/${id}`, payload: 'x', headers: { 'content-type': 'text/plain', cookie: w.coordinator.cookie } });
      assert.equal(text.statusCode, 405);
      assert.equal(await count('ledger_entries'), 1);
      const row = await db().selectFrom('ledger_entries').select('amount_minor').executeTakeFirstOrThrow();
      assert.equal(Number(row.amount_minor), 1000);
    });

    test('a private pact is a 404 for outsiders on every page and API route, the same as a missing one', async () => {
      const w = await world();
      const slug = await startPact(w, { visibility: 'private', title: 'Legal aid ZQHIDDENFUND' });
      await contribute(slug, w.coordinator.cookie, { amount: '10', currency: 'EUR', contributorKind: 'external', name: 'ZQHIDDENDONOR' });
      const id = await entryIdBySeq(slug, 1);
      const same = (body: string, s: string) => body.replaceAll(s, 'SLUG').replace(/name="_csrf" value="[^"]+"/g, '');
      for (const path of ['/pacts/SLUG', '/pacts/SLUG/ledger', '/pacts/SLUG/edit', '/api/v1/pacts/SLUG', '/api/v1/pacts/SLUG/balances', '/api/v1/pacts/SLUG/entries', `/api/v1/pacts/SLUG/entries/${id}`]) {
        for (const who of [undefined, w.member.cookie, w.outsider.cookie]) {
          const hidden = await get(path.replace('SLUG', slug), who);
          const missing = await get(path.replace('SLUG', 'no-such-pact'), who);
          assert.equal(hidden.statusCode, 404, `${path} ${who ? 'signed in' : 'anonymous'}`);
          assert.equal(same(hidden.body, slug), same(missing.body, 'no-such-pact'), path);
          assert.doesNotMatch(hidden.body, /ZQHIDDEN/);
        }
      }
      for (const who of [undefined, w.member.cookie, w.outsider.cookie]) {
        assert.doesNotMatch((await get('/pacts', who)).body, /ZQHIDDEN/);
        assert.doesNotMatch((await get('/api/v1/pacts', who)).body, /ZQHIDDEN/);
      }
      const write = await sendJson('POST', `/api/v1/pacts/${slug}/entries`, { amount: '10', currency: 'EUR', contributorKind: 'external', name: 'x' }, w.outsider.cookie);
      assert.equal(write.statusCode, 404);
      // The coordinator sees it.
      assert.match((await get(`/pacts/${slug}/ledger`, w.coordinator.cookie)).body, /ZQHIDDENDONOR/);
    });

    test('the pact page and the ledger speak German with German amounts', async () => {
      const w = await world();
      const slug = await startPact(w);
      await contribute(slug, w.coordinator.cookie, { amount: '1234.5', currency: 'EUR', valueDate: '2026-03-04', contributorKind: 'external', name: 'Konzert' });
      const de = `${w.coordinator.cookie}; locale=de`;
      const page = await get(`/pacts/${slug}`, de);
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /<html lang="de"/);
      assert.match(page.body, /Fortschritt zum Ziel/);
      assert.match(page.body, /1\.234,50\s€ von 25\.000,00\s€ gesammelt \(4 %\)/);
      assert.match(page.body, /März 2026/);
      assert.match(page.body, /<a href="\/pacts" aria-current="page">Pakte<\/a>/);
      const ledger = await get(`/pacts/${slug}/ledger`, de);
      assert.match(ledger.body, /Kassenbuch: <span lang="en"><bdi>Families of the Kamoto miners<\/bdi><\/span>/);
      assert.match(ledger.body, /\+1\.234,50\s€/);
      assert.match(ledger.body, /Beitrag buchen/);
      assert.match(ledger.body, /Buchung 1 stornieren/);
      const edit = await get(`/pacts/${slug}/edit`, de);
      assert.match(edit.body, /Status des Pakts/);
      assert.match(edit.body, /value="25000\.00"/);
    });

    test('the ledger pages by number, newest first; the list filters by status', async () => {
      const w = await world();
      const slug = await startPact(w);
      const id = await pactId(slug);
      await recordEntries(db(), {
        pactId: id,
        recordedBy: null,
        entries: Array.from({ length: 55 }, (_, i) => ({ kind: 'contribution' as const, amountMinor: 100 + i, currency: 'EUR', valueDate: '2026-03-01', counterparty: { kind: 'external' as const, name: `Donor ${i + 1}` } })),
      });
      const first = main((await get(`/pacts/${slug}/ledger`)).body);
      assert.equal((first.match(/<tr id="entry-/g) ?? []).length, 50);
      assert.match(first, /<tr id="entry-55">/);
      assert.match(first, /<a rel="next" href="\/pacts\/kamoto-families\/ledger\?before=6">Older entries<\/a>/);
      const second = main((await get(`/pacts/${slug}/ledger?before=6`)).body);
      assert.deepEqual([...second.matchAll(/<tr id="entry-(\d+)"/g)].map((m) => Number(m[1])), [5, 4, 3, 2, 1]);
      assert.doesNotMatch(second, /rel="next"/);
      const api = (await get(`/api/v1/pacts/${slug}/entries?limit=20&before=30`)).json();
      assert.deepEqual([api.items[0].seq, api.items.at(-1).seq, api.next], [29, 10, 10]);
      // A broken page link shows the newest entries.
      assert.match(main((await get(`/pacts/${slug}/ledger?before=abc`)).body), /<tr id="entry-55">/);
      await sendJson('POST', `/api/v1/pacts/${slug}/status`, { status: 'paused' }, w.coordinator.cookie);
      const second2 = await startPact(w, { slug: 'second-fund', title: 'Second fund' });
      assert.equal(second2, 'second-fund');
      const paused = (await get('/api/v1/pacts?status=paused')).json();
      assert.deepEqual(paused.items.map((p: { slug: string }) => p.slug), [slug]);
      const all = (await get('/api/v1/pacts?limit=1')).json();
      assert.deepEqual(all.items.map((p: { slug: string; raised: unknown }) => [p.slug, p.raised]), [['second-fund', { amountMinor: 0, amount: '0.00', currency: 'EUR' }]]);
      const next = (await get(`/api/v1/pacts?limit=1&after=${all.next}`)).json();
      assert.deepEqual(next.items.map((p: { slug: string }) => p.slug), [slug]);
      assert.match(main((await get('/pacts?status=paused')).body), /1 solidarity pact</);
    });

    test('the edit form keeps every initiator; a coordinator changes the pact, another union’s admin cannot', async () => {
      const w = await world();
      const slug = await startPact(w);
      const edit = await get(`/pacts/${slug}/edit`, w.coordinator.cookie);
      assert.equal(edit.statusCode, 200);
      assert.match(edit.body, new RegExp(`name="struggles"[^>]* value="${w.struggle.slug}"`));
      assert.match(edit.body, /Kolwezi Miners Union/, 'the owner is shown, not offered');
      assert.doesNotMatch(edit.body, /name="organization"/);
      const res = await postForm(t, `/pacts/${slug}/edit`, `/pacts/${slug}/edit`, { title: 'Kamoto families fund', description: 'Changed.', lang: 'en', beneficiaryGroup: 'Families', periodStart: '2026-02-01', goalAmount: '30000', goalCurrency: 'EUR', visibility: 'public' }, w.coordinator.cookie);
      assert.equal(res.statusCode, 303, res.body);
      assert.equal(res.headers.location, `/pacts/${slug}?done=updated`);
      const p = (await get(`/api/v1/pacts/${slug}`)).json();
      assert.deepEqual([p.title, p.goal, p.struggles, p.periodStart], ['Kamoto families fund', { amountMinor: 3000000, amount: '30000.00', currency: 'EUR' }, [], '2026-02-01']);
      const hijack = await sendJson('PUT', `/api/v1/pacts/${slug}`, { title: 'Hijacked', description: 'x', beneficiaryGroup: 'x', periodStart: '2026-01-01' }, w.outsider.cookie);
      assert.equal(hijack.statusCode, 403);
      assert.equal((await postForm(t, `/pacts/${slug}`, `/pacts/${slug}/edit`, { title: 'Hijacked' }, w.outsider.cookie)).statusCode, 403);
      assert.equal((await get(`/api/v1/pacts/${slug}`)).json().title, 'Kamoto families fund');
    });

    test('the API lists its routes in the OpenAPI document', async () => {
      const doc = (await get('/api/openapi.json')).json() as { paths: Record<string, Record<string, unknown>> };
      for (const [path, methods] of [
        ['/api/v1/pacts', ['get', 'post']],
        ['/api/v1/pacts/{slug}', ['get', 'put']],
        ['/api/v1/pacts/{slug}/status', ['post']],
        ['/api/v1/pacts/{slug}/balances', ['get']],
        ['/api/v1/pacts/{slug}/entries', ['get', 'post']],
        ['/api/v1/pacts/{slug}/entries/{id}', ['get', 'put', 'patch', 'delete']],
        ['/api/v1/pacts/{slug}/entries/{id}/reversal', ['post']],
      ] as const) {
        for (const m of methods) assert.ok(doc.paths[path]?.[m], `${m.toUpperCase()} ${path} in /api/openapi.json`);
      }
    });

    test('a CSRF-less contribution form is refused and writes nothing', async () => {
      const w = await world();
      const slug = await startPact(w);
      const s = await formSession(t, `/pacts/${slug}/ledger`, w.coordinator.cookie);
      const res = await t.app.inject({ method: 'POST', url: `/pacts/${slug}/ledger/contributions`, headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: form({ amount: '10', currency: 'EUR', contributorKind: 'external', name: 'x' }) });
      assert.equal(res.statusCode, 403);
      assert.equal(await count('ledger_entries'), 0);
    });
  });
}
