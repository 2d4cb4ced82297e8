import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { ENGINES } from '../../../test/helpers/db.ts';
import { useTestApp, loginAs, postForm, formSession, form } from '../../../test/helpers/app.ts';
import { makeOrganization } from '../../../test/helpers/factories.ts';
import { ledgerTable } from '../../../test/helpers/ledger.ts';

/**
 * Currency exchanges and transfers between pacts on the ledger page and in the API, through HTTP
 * on every engine: an exchange at the stored ECB rate or at the rate the bank booked, a missing
 * rate as a field error, a transfer that is a proposal until a second coordinator approves it, then shows on both ledgers, the pact sub-navigation, and who
 * may not record (403), overdrafts and closed pacts (409).
 */

interface ApiEntry {
  kind: string;
  amount: string;
  amountMinor: number;
  currency: string;
  valueDate: string;
  balanceAfter: { amount: string };
  counterparty: { kind: string; name: string | null; pact: string | null };
  reference: string | null;
  description: string | null;
  conversion: { rate: string; source: string; date: string; from: string | null; to: string | null } | null;
}

for (const engine of ENGINES) {
  describe(engine, () => {
    const t = useTestApp(engine);
    const db = () => t.db.db;
    const get = (url: string, cookie?: string) => t.app.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} });
    const sendJson = (url: string, body: unknown, cookie?: string) =>
      t.app.inject({ method: 'POST', url, payload: JSON.stringify(body), headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) } });
    const problem = (res: LightMyRequestResponse) => {
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
      return res.json() as { code: string; status: number; title: string; errors?: { field: string; code: string; detail: string }[] };
    };
    const count = async () => Number((await db().selectFrom('ledger_entries').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const pactId = async (slug: string) => (await db().selectFrom('pacts').select('id').where('slug', '=', slug).executeTakeFirstOrThrow()).id;
    /** The page's main content without the ledger cells' column labels (for narrow screens). */
    const main = (body: string) => body.slice(body.indexOf('<main'), body.indexOf('</main>')).replace(/ data-label="[^"]*"/g, '');
    const balances = async (slug: string) => ((await get(`/api/v1/pacts/${slug}/balances`)).json().items as { amount: string; currency: string }[]).map((b) => `${b.amount} ${b.currency}`);
    const ecbRate = (quote: string, date: string, rate: string) =>
      db().insertInto('exchange_rates').values({ source: 'ECB', base: 'EUR', quote, rate_date: date, rate, imported_at: '2026-01-01T00:00:00.000Z' }).execute();

    /** Kolwezi miners' union with a coordinator and a member; an unrelated union's admin. */
    const world = async () => {
      const union = await makeOrganization(db(), { name: 'Kolwezi Miners Union', country: 'CD' });
      const other = await makeOrganization(db(), { name: 'Dockers Union', country: 'FR' });
      const coordinator = await loginAs(t, { name: 'Coco Ordinator', roles: [[union.id, 'coordinator']] });
      const member = await loginAs(t, { roles: [[union.id, 'member']] });
      const outsider = await loginAs(t, { roles: [[other.id, 'admin']] });
      return { union, other, coordinator, member, outsider };
    };
    type World = Awaited<ReturnType<typeof world>>;
    const startPact = async (w: World, slug: string, title: string, extra: Record<string, unknown> = {}) => {
      const res = await sendJson(
        '/api/v1/pacts',
        { organization: w.union.slug, slug, title, description: 'Support for the families.', lang: 'en', beneficiaryGroup: 'Families of the miners', goalAmount: '25000', goalCurrency: 'EUR', periodStart: '2025-01-01', ...extra },
        w.coordinator.cookie,
      );
      assert.equal(res.statusCode, 201, res.body);
      return res.json().slug as string;
    };
    const contribute = async (w: World, slug: string, amount: string, currency: string, valueDate: string) => {
      const res = await sendJson(`/api/v1/pacts/${slug}/entries`, { amount, currency, valueDate, contributorKind: 'external', name: 'Solidarity concert' }, w.coordinator.cookie);
      assert.equal(res.statusCode, 201, res.body);
    };
    const exchangeForm = (slug: string, cookie: string, body: Record<string, string>) => postForm(t, `/pacts/${slug}/ledger`, `/pacts/${slug}/ledger/exchanges`, body, cookie);
    const transferForm = (slug: string, cookie: string, body: Record<string, string>) => postForm(t, `/pacts/${slug}/ledger`, `/pacts/${slug}/ledger/transfers`, body, cookie);

    test('an exchange through the form converts at the ECB rate of the day and shows the rate, its source and date', async () => {
      const w = await world();
      const slug = await startPact(w, 'kamoto-families', 'Families of the Kamoto miners');
      await contribute(w, slug, '1000', 'EUR', '2025-05-02');
      await ecbRate('USD', '2025-05-09', '1.1252');
      // Saturday 10 May 2025: the rate published on Friday 9 May applies.
      const res = await exchangeForm(slug, w.coordinator.cookie, { fromAmount: '100', fromCurrency: 'EUR', toCurrency: 'USD', toAmount: '', valueDate: '2025-05-10', name: 'Rawbank Kolwezi', reference: 'FX 0510' });
      assert.equal(res.statusCode, 303, res.body);
      assert.equal(res.headers.location, `/pacts/${slug}/ledger?done=exchanged`);
      assert.equal(
        await ledgerTable(db(), await pactId(slug)),
        [
          'seq  kind          flow          amount  cur  value_date  balance  rev  grp',
          '1    contribution  contribution  100000  EUR  2025-05-02   100000       A',
          '2    exchange      exchange      -10000  EUR  2025-05-10    90000       B',
          '3    exchange      exchange       11252  USD  2025-05-10    11252       B',
        ].join('\n'),
      );
      const page = main((await get(`/pacts/${slug}/ledger?done=exchanged`, w.coordinator.cookie)).body);
      assert.match(page, /The exchange has been recorded\./);
      const rate = '1 EUR = <data value="1.1252">1.1252</data> USD · ECB <time datetime="2025-05-09">9 May 2025</time>';
      assert.equal(page.split(rate).length - 1, 2, 'both legs show the rate');
      assert.match(page, /<td class="num amount">-€100\.00<\/td><td><bdi>Rawbank Kolwezi<\/bdi><\/td><td><bdi>FX 0510<\/bdi><\/td><td class="num">€900\.00<\/td>/);
      assert.match(page, /<td class="num amount">\+\$112\.52<\/td>/);
      // Readers who do not coordinate see the same rate.
      assert.match(main((await get(`/pacts/${slug}/ledger`)).body), /1 EUR = <data value="1\.1252">1\.1252<\/data> USD · ECB/);
      const api = (await get(`/api/v1/pacts/${slug}/entries`)).json().items as ApiEntry[];
      assert.deepEqual(
        api.slice(0, 2).map((e) => [e.kind, e.amount, e.currency, e.conversion]),
        [
          ['exchange', '112.52', 'USD', { rate: '1.1252', source: 'ECB', date: '2025-05-09', from: 'EUR', to: 'USD' }],
          ['exchange', '-100.00', 'EUR', { rate: '1.1252', source: 'ECB', date: '2025-05-09', from: 'EUR', to: 'USD' }],
        ],
      );
      assert.equal(api[2]!.conversion, null, 'a contribution carries no rate');
      assert.deepEqual(await balances(slug), ['900.00 EUR', '112.52 USD']);
      const audit = await db().selectFrom('audit_events').select('action').where('action', '=', 'pact.entry_recorded').execute();
      assert.equal(audit.length, 3);
    });

    test('an exchange through the API at the rate the bank booked: 201 with both entries; the page says "booked by the bank"', async () => {
      const w = await world();
      const slug = await startPact(w, 'kamoto-families', 'Families of the Kamoto miners');
      await contribute(w, slug, '1000', 'EUR', '2025-05-02');
      const res = await sendJson(`/api/v1/pacts/${slug}/exchanges`, { fromCurrency: 'EUR', fromAmount: '200', toCurrency: 'USD', toAmount: '221.50', valueDate: '2025-05-12', name: 'Equity Bank', reference: 'FX 0512' }, w.coordinator.cookie);
      assert.equal(res.statusCode, 201, res.body);
      const items = res.json().items as ApiEntry[];
      assert.deepEqual(
        items.map((e) => [e.kind, e.amount, e.amountMinor, e.currency, e.valueDate, e.balanceAfter.amount, e.counterparty.name, e.reference]),
        [
          ['exchange', '-200.00', -20000, 'EUR', '2025-05-12', '800.00', 'Equity Bank', 'FX 0512'],
          ['exchange', '221.50', 22150, 'USD', '2025-05-12', '221.50', 'Equity Bank', 'FX 0512'],
        ],
      );
      for (const e of items) assert.deepEqual(e.conversion, { rate: '1.1075', source: 'booked', date: '2025-05-12', from: 'EUR', to: 'USD' });
      assert.match(String(res.headers.location), new RegExp(`^/api/v1/pacts/${slug}/entries/`));
      // A currency without minor units (ISO 4217: JPY 0 digits): 10.00 EUR became 1,634 yen.
      const yen = await sendJson(`/api/v1/pacts/${slug}/exchanges`, { fromCurrency: 'EUR', fromAmount: '10', toCurrency: 'JPY', toAmount: '1634', valueDate: '2025-05-13' }, w.coordinator.cookie);
      assert.equal(yen.statusCode, 201, yen.body);
      assert.deepEqual((yen.json().items as ApiEntry[]).map((e) => [e.amountMinor, e.currency, e.conversion!.rate]), [[-1000, 'EUR', '163.4'], [1634, 'JPY', '163.4']]);
      const page = main((await get(`/pacts/${slug}/ledger`, w.coordinator.cookie)).body);
      assert.match(page, /1 EUR = <data value="1\.1075">1\.1075<\/data> USD · booked by the bank/);
      assert.match(page, /1 EUR = <data value="163\.4">163\.4<\/data> JPY · booked by the bank/);
      assert.deepEqual(await balances(slug), ['790.00 EUR', '1634 JPY', '221.50 USD']);
    });

    test('an exchange without a stored rate is a field error at the date (422 form, 400 API); bad input is refused; nothing is written', async () => {
      const w = await world();
      const slug = await startPact(w, 'kamoto-families', 'Families of the Kamoto miners');
      await contribute(w, slug, '100', 'EUR', '2025-05-02');
      await ecbRate('USD', '2025-05-09', '1.1252');
      const before = await count();
      const page = await exchangeForm(slug, w.coordinator.cookie, { fromAmount: '10', fromCurrency: 'EUR', toCurrency: 'TRY', valueDate: '2025-05-12' });
      assert.equal(page.statusCode, 422);
      const body = main(page.body);
      assert.match(body, /<details class="record" id="exchange" open>/);
      assert.match(body, /<a href="#x-valueDate">Date of the exchange: No ECB exchange rate from EUR to TRY on 2025-05-12 or in the 7 days before<\/a>/);
      assert.match(body, /<p class="error" id="x-valueDate-error">No ECB exchange rate from EUR to TRY on 2025-05-12 or in the 7 days before<\/p>/);
      assert.match(body, /id="x-fromAmount"[^>]* value="10"/, 'the typed amount is kept');
      assert.match(body, /<details class="record" id="record">/, 'the contribution form stays folded');
      // A rate more than a week old is not used either.
      const stale = await sendJson(`/api/v1/pacts/${slug}/exchanges`, { fromCurrency: 'EUR', fromAmount: '10', toCurrency: 'USD', valueDate: '2025-05-20' }, w.coordinator.cookie);
      assert.equal(stale.statusCode, 400);
      assert.deepEqual(problem(stale).errors?.map((e) => [e.field, e.code]), [['valueDate', 'rates.no_rate_for']]);
      const same = await sendJson(`/api/v1/pacts/${slug}/exchanges`, { fromCurrency: 'EUR', fromAmount: '10', toCurrency: 'EUR', toAmount: '10' }, w.coordinator.cookie);
      assert.equal(same.statusCode, 400);
      assert.deepEqual(problem(same).errors?.map((e) => [e.field, e.code]), [['toCurrency', 'pacts.validation.same_currency']]);
      const floaty = await sendJson(`/api/v1/pacts/${slug}/exchanges`, { fromCurrency: 'EUR', fromAmount: 10.5, toCurrency: 'USD', toAmount: 11.6 }, w.coordinator.cookie);
      assert.equal(floaty.statusCode, 400);
      assert.deepEqual(problem(floaty).errors?.map((e) => [e.field, e.code]), [['fromAmount', 'pacts.api.amount_not_string'], ['toAmount', 'pacts.api.amount_not_string']]);
      const digits = await exchangeForm(slug, w.coordinator.cookie, { fromAmount: '10', fromCurrency: 'EUR', toCurrency: 'JPY', toAmount: '1634.5' });
      assert.equal(digits.statusCode, 422);
      assert.match(digits.body, /Amount received: JPY has no decimals: enter a whole amount/);
      assert.equal(await count(), before);
    });

    test('a transfer through the form or the API is a proposal: nothing moves until a second coordinator approves it; then both ledgers show it', async () => {
      const w = await world();
      const second = await loginAs(t, { name: 'Dora Second', roles: [[w.union.id, 'coordinator']] });
      const from = await startPact(w, 'kamoto-families', 'Families of the Kamoto miners');
      const to = await startPact(w, 'strike-fund', 'Strike fund of the Kamoto miners');
      const closed = await startPact(w, 'old-fund', 'Old fund, closed');
      assert.equal((await sendJson(`/api/v1/pacts/${closed}/status`, { status: 'closed' }, w.coordinator.cookie)).statusCode, 200);
      await contribute(w, from, '100', 'EUR', '2026-03-01');
      const ledger = main((await get(`/pacts/${from}/ledger`, w.coordinator.cookie)).body);
      assert.match(ledger, /<summary>Propose a transfer to another pact<\/summary>/);
      assert.match(ledger, /a second coordinator of this pact approves it on the Disbursements page/);
      const select = /<select id="tr-toPact" name="toPact" required[^>]*>(.*?)<\/select>/s.exec(ledger)?.[1] ?? '';
      assert.deepEqual([...select.matchAll(/<option value(?:="([^"]*)")?/g)].map((m) => m[1] ?? ''), ['', 'strike-fund'], 'open pacts but this one and the closed one');
      const before = await count();
      const res = await transferForm(from, w.coordinator.cookie, { toPact: to, amount: '30', currency: 'EUR', valueDate: '2026-03-05', description: 'The strike fund ran dry' });
      assert.equal(res.statusCode, 303, res.body);
      assert.equal(res.headers.location, `/pacts/${from}/ledger?done=transfer_proposed`);
      const notice = main((await get(`/pacts/${from}/ledger?done=transfer_proposed`, w.coordinator.cookie)).body);
      assert.match(notice, /<p class="flash" role="status">The transfer has been proposed\. It waits for a second coordinator of this pact, who approves it on the <a href="\/pacts\/kamoto-families\/disbursements">Disbursements page<\/a>; until then neither ledger changes\.<\/p>/);
      // Through the API: the proposal, not entries.
      const api = await sendJson(`/api/v1/pacts/${from}/transfers`, { toPact: to, amount: '20.50', currency: 'EUR', valueDate: '2026-03-06', description: 'Second share' }, w.coordinator.cookie);
      assert.equal(api.statusCode, 201, api.body);
      const proposal = api.json() as { id: string; status: string };
      assert.deepEqual(Object.keys(proposal).sort(), ['id', 'status']);
      assert.equal(proposal.status, 'proposed');
      assert.equal(await count(), before, 'nothing reaches a ledger before approval');
      assert.deepEqual(await balances(from), ['100.00 EUR']);
      assert.deepEqual(await balances(to), []);
      // The disbursements page names the receiving pact in place of a beneficiary or payee.
      const waiting = main((await get(`/pacts/${from}/disbursements`, second.cookie)).body);
      assert.match(waiting, /<h3>€30\.00 · Transfer to <a href="\/pacts\/strike-fund"><bdi>Strike fund of the Kamoto miners<\/bdi><\/a><\/h3>/);
      assert.match(waiting, /<h3>€20\.50 · Transfer to <a href="\/pacts\/strike-fund">/);
      // The proposer cannot approve; a second coordinator does, through the disbursements API.
      assert.equal((await sendJson(`/api/v1/pacts/${from}/disbursements/${proposal.id}/approve`, {}, w.coordinator.cookie)).statusCode, 403);
      const approved = await sendJson(`/api/v1/pacts/${from}/disbursements/${proposal.id}/approve`, {}, second.cookie);
      assert.equal(approved.statusCode, 200, approved.body);
      const d = approved.json() as { status: string; toPact: { slug: string; title: string } | null; transfer: boolean; beneficiary: string | null; payee: string | null; entry: { seq: number } | null };
      assert.deepEqual([d.status, d.toPact, d.transfer, d.beneficiary, d.payee, d.entry?.seq], ['approved', { slug: 'strike-fund', title: 'Strike fund of the Kamoto miners' }, true, null, null, 2]);
      assert.deepEqual(await balances(from), ['79.50 EUR']);
      assert.deepEqual(await balances(to), ['20.50 EUR']);
      const entries = (await get(`/api/v1/pacts/${from}/entries`, w.coordinator.cookie)).json().items as ApiEntry[];
      assert.deepEqual(entries.map((e) => [e.kind, e.amount, e.balanceAfter.amount, e.counterparty.kind, e.counterparty.pact, e.description]), [
        ['transfer', '-20.50', '79.50', 'pact', 'strike-fund', 'Second share'],
        ['contribution', '100.00', '100.00', 'external', null, null],
      ]);
      const target = main((await get(`/pacts/${to}/ledger`)).body);
      assert.match(target, /<td class="num amount">\+€20\.50<\/td><td><a href="\/pacts\/kamoto-families"><bdi>Families of the Kamoto miners<\/bdi><\/a><\/td>/);
      const audit = await db().selectFrom('audit_events').select(['subject_id']).where('action', '=', 'pact.entry_recorded').where('details', 'like', '%transfer%').execute();
      assert.deepEqual(audit.map((a) => a.subject_id), [await pactId(to)], 'the receiving pact\'s owner learns of the money');
      // The form's proposal, approved through the page by the second coordinator.
      const formProposal = await db().selectFrom('disbursements').select('id').where('amount_minor', '=', 3000).executeTakeFirstOrThrow();
      const page = await postForm(t, `/pacts/${from}/disbursements`, `/pacts/${from}/disbursements/${formProposal.id}/approve`, {}, second.cookie);
      assert.equal(page.statusCode, 303, page.body);
      assert.deepEqual(await balances(from), ['49.50 EUR']);
      assert.deepEqual(await balances(to), ['50.50 EUR']);
      const history = main((await get(`/pacts/${from}/disbursements`, second.cookie)).body);
      assert.match(history, /<td>Transfer to <a href="\/pacts\/strike-fund"><bdi>Strike fund of the Kamoto miners<\/bdi><\/a><\/td><td><bdi>The strike fund ran dry<\/bdi><\/td>/);
    });

    test('a member cannot record either: no forms on the page, 403 for form posts and API, nothing written', async () => {
      const w = await world();
      const from = await startPact(w, 'kamoto-families', 'Families of the Kamoto miners');
      const to = await startPact(w, 'strike-fund', 'Strike fund of the Kamoto miners');
      await contribute(w, from, '100', 'EUR', '2026-03-01');
      const before = await count();
      const page = main((await get(`/pacts/${from}/ledger`, w.member.cookie)).body);
      assert.doesNotMatch(page, /ledger\/exchanges|ledger\/transfers|Exchange currency|transfer to another pact/);
      const exchange = { fromCurrency: 'EUR', fromAmount: '10', toCurrency: 'USD', toAmount: '11' };
      const transfer = { toPact: to, amount: '10', currency: 'EUR', description: 'Share' };
      assert.equal((await exchangeForm(from, w.member.cookie, exchange)).statusCode, 403);
      assert.equal((await transferForm(from, w.member.cookie, transfer)).statusCode, 403);
      for (const [path, body] of [['exchanges', exchange], ['transfers', transfer]] as const) {
        const member = await sendJson(`/api/v1/pacts/${from}/${path}`, body, w.member.cookie);
        assert.equal(member.statusCode, 403, path);
        assert.equal(problem(member).code, 'forbidden');
        assert.equal((await sendJson(`/api/v1/pacts/${from}/${path}`, body, w.outsider.cookie)).statusCode, 403, `${path}: another union's admin`);
        assert.equal((await sendJson(`/api/v1/pacts/${from}/${path}`, body)).statusCode, 401, `${path}: anonymous`);
      }
      // Without the form's CSRF token, even the coordinator is refused.
      const s = await formSession(t, `/pacts/${from}/ledger`, w.coordinator.cookie);
      const noCsrf = await t.app.inject({ method: 'POST', url: `/pacts/${from}/ledger/transfers`, headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: form(transfer) });
      assert.equal(noCsrf.statusCode, 403);
      assert.equal(await count(), before);
      assert.equal(Number((await db().selectFrom('disbursements').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n), 0, 'no proposal either');
    });

    test('overdrafts and closed pacts are refused: 409 at the form and as problems, nothing written', async () => {
      const w = await world();
      const from = await startPact(w, 'kamoto-families', 'Families of the Kamoto miners');
      const to = await startPact(w, 'strike-fund', 'Strike fund of the Kamoto miners');
      await contribute(w, from, '100', 'EUR', '2026-03-01');
      const before = await count();
      const page = await exchangeForm(from, w.coordinator.cookie, { fromAmount: '150', fromCurrency: 'EUR', toCurrency: 'USD', toAmount: '160' });
      assert.equal(page.statusCode, 409);
      assert.match(main(page.body), /<details class="record" id="exchange" open>/);
      assert.match(main(page.body), /<p class="error" id="x-fromAmount-error">This would take the pact(&#39;|')s balance in this currency below zero<\/p>/);
      const exchange = await sendJson(`/api/v1/pacts/${from}/exchanges`, { fromCurrency: 'EUR', fromAmount: '150', toCurrency: 'USD', toAmount: '160' }, w.coordinator.cookie);
      assert.equal(exchange.statusCode, 409);
      assert.equal(problem(exchange).code, 'overdraft');
      // A transfer that would overdraw is refused when proposed (a field error on the amount).
      const form422 = await transferForm(from, w.coordinator.cookie, { toPact: to, amount: '100.01', currency: 'EUR', description: 'Too much' });
      assert.equal(form422.statusCode, 422);
      assert.match(main(form422.body), /<p class="error" id="tr-amount-error">This would take the pact(&#39;|')s balance in this currency below zero<\/p>/);
      const transfer = await sendJson(`/api/v1/pacts/${from}/transfers`, { toPact: to, amount: '100.01', currency: 'EUR', description: 'Too much' }, w.coordinator.cookie);
      assert.equal(transfer.statusCode, 400);
      assert.deepEqual(problem(transfer).errors?.map((e) => [e.field, e.code]), [['amount', 'pacts.errors.overdraft']]);
      // The receiving pact closed after the proposal: approving it is refused, nothing is written;
      // a new proposal to it is a field error.
      const second = await loginAs(t, { roles: [[w.union.id, 'coordinator']] });
      const waiting = await sendJson(`/api/v1/pacts/${from}/transfers`, { toPact: to, amount: '10', currency: 'EUR', description: 'Before it closed' }, w.coordinator.cookie);
      assert.equal(waiting.statusCode, 201, waiting.body);
      assert.equal((await sendJson(`/api/v1/pacts/${to}/status`, { status: 'closed' }, w.coordinator.cookie)).statusCode, 200);
      const approveClosed = await sendJson(`/api/v1/pacts/${from}/disbursements/${waiting.json().id}/approve`, {}, second.cookie);
      assert.equal(approveClosed.statusCode, 409);
      assert.equal(problem(approveClosed).code, 'pact_closed');
      const toClosed = await sendJson(`/api/v1/pacts/${from}/transfers`, { toPact: to, amount: '10', currency: 'EUR', description: 'After it closed' }, w.coordinator.cookie);
      assert.equal(toClosed.statusCode, 400);
      assert.deepEqual(problem(toClosed).errors?.map((e) => [e.field, e.code]), [['toPact', 'pacts.validation.pact_unknown']]);
      // This pact closed: no forms any more; a stale form is told why.
      assert.equal((await sendJson(`/api/v1/pacts/${from}/status`, { status: 'closed' }, w.coordinator.cookie)).statusCode, 200);
      const ledger = main((await get(`/pacts/${from}/ledger`, w.coordinator.cookie)).body);
      assert.doesNotMatch(ledger, /Exchange currency|transfer to another pact/);
      const stale = await exchangeForm(from, w.coordinator.cookie, { fromAmount: '10', fromCurrency: 'EUR', toCurrency: 'USD', toAmount: '11' });
      assert.equal(stale.statusCode, 409);
      assert.match(main(stale.body), /<div class="error-summary" role="alert"><ul><li>This pact is closed; nothing more can be recorded on it<\/li><\/ul><\/div>/);
      const closedApi = await sendJson(`/api/v1/pacts/${from}/exchanges`, { fromCurrency: 'EUR', fromAmount: '10', toCurrency: 'USD', toAmount: '11' }, w.coordinator.cookie);
      assert.equal(closedApi.statusCode, 409);
      assert.equal(problem(closedApi).code, 'pact_closed');
      assert.equal(await count(), before);
    });

    test('a transfer to a pact the coordinator cannot see, or to this one, is a field error', async () => {
      const w = await world();
      const from = await startPact(w, 'kamoto-families', 'Families of the Kamoto miners');
      await contribute(w, from, '100', 'EUR', '2026-03-01');
      const foreign = await sendJson(
        '/api/v1/pacts',
        { organization: w.other.slug, slug: 'dockers-fund', title: 'Dockers fund', description: 'x', lang: 'en', beneficiaryGroup: 'Dockers', periodStart: '2026-01-01', visibility: 'private' },
        w.outsider.cookie,
      );
      assert.equal(foreign.statusCode, 201, foreign.body);
      const page = main((await get(`/pacts/${from}/ledger`, w.coordinator.cookie)).body);
      assert.doesNotMatch(page, /dockers-fund/, 'a pact the coordinator cannot see is not offered');
      assert.match(page, /There is no other open pact you can see to transfer money to\./);
      const hidden = await sendJson(`/api/v1/pacts/${from}/transfers`, { toPact: 'dockers-fund', amount: '10', currency: 'EUR', description: 'Share' }, w.coordinator.cookie);
      assert.equal(hidden.statusCode, 400);
      assert.deepEqual(problem(hidden).errors?.map((e) => [e.field, e.code]), [['toPact', 'pacts.validation.pact_unknown']]);
      const self = await transferForm(from, w.coordinator.cookie, { toPact: from, amount: '10', currency: 'EUR', description: 'Share' });
      assert.equal(self.statusCode, 422);
      assert.match(main(self.body), /<a href="#tr-toPact">Receiving pact: Choose another pact than this one<\/a>/);
      assert.deepEqual(await balances(from), ['100.00 EUR']);
    });

    test('the ledger page links the pact pages and speaks German; the API lists the new routes', async () => {
      const w = await world();
      const slug = await startPact(w, 'kamoto-families', 'Families of the Kamoto miners');
      await startPact(w, 'strike-fund', 'Strike fund of the Kamoto miners');
      await contribute(w, slug, '1000', 'EUR', '2025-05-02');
      await sendJson(`/api/v1/pacts/${slug}/exchanges`, { fromCurrency: 'EUR', fromAmount: '200', toCurrency: 'USD', toAmount: '221.50', valueDate: '2025-05-12' }, w.coordinator.cookie);
      const en = main((await get(`/pacts/${slug}/ledger`, w.coordinator.cookie)).body);
      assert.match(en, /<nav class="pact-nav" aria-label="Pages of this pact">/);
      assert.match(en, /<a href="\/pacts\/kamoto-families\/ledger" aria-current="page">Ledger<\/a>/);
      assert.match(en, /<a href="\/pacts\/kamoto-families\/disbursements">Disbursements<\/a>/, 'coordinators also get their pages');
      assert.doesNotMatch(main((await get(`/pacts/${slug}/ledger`)).body), /\/disbursements"/);
      const ids = [...en.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
      assert.deepEqual(ids.filter((id, i) => ids.indexOf(id) !== i), [], 'the three forms share no id');
      const de = main((await get(`/pacts/${slug}/ledger`, `${w.coordinator.cookie}; locale=de`)).body);
      assert.match(de, /<summary>Währung tauschen<\/summary>/);
      assert.match(de, /<summary>Übertrag an einen anderen Pakt vorschlagen<\/summary>/);
      assert.match(de, /Leer lassen, um zum Referenzkurs der Europäischen Zentralbank an diesem Tag umzurechnen\./);
      assert.match(de, /1 EUR = <data value="1\.1075">1,1075<\/data> USD · von der Bank gebucht/);
      assert.match(de, /<a href="\/pacts\/kamoto-families\/ledger" aria-current="page">Kassenbuch<\/a>/);
      const doc = (await get('/api/openapi.json')).json() as { paths: Record<string, Record<string, { requestBody?: unknown }>> };
      for (const path of ['/api/v1/pacts/{slug}/exchanges', '/api/v1/pacts/{slug}/transfers']) assert.ok(doc.paths[path]?.post?.requestBody, `POST ${path} with its body in /api/openapi.json`);
    });
  });
}
