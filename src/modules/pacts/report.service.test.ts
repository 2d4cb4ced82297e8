import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES, createTestDb, type TestDb } from '../../../test/helpers/db.ts';
import { makeOrganization } from '../../../test/helpers/factories.ts';
import { makeBarePact } from '../../../test/helpers/ledger.ts';
import { recordEntries, type NewEntry } from './ledger.service.ts';
import { transparencyReport } from './report.service.ts';

const ext = { kind: 'external' as const, name: 'x' };
const e = (kind: NewEntry['kind'], amountMinor: number, currency: string, valueDate: string): NewEntry => ({ kind, amountMinor, currency, valueDate, counterparty: ext });

for (const engine of ENGINES) {
  describe(`transparency report (${engine})`, () => {
    let t: TestDb;
    let pactId: string;
    before(async () => {
      t = await createTestDb(engine);
      const org = await makeOrganization(t.db);
      pactId = (await makeBarePact(t.db, org.id)).id;
      const rate = (rate_date: string, quote: string, r: string) => ({ source: 'ECB', base: 'EUR', quote, rate_date, rate: r, imported_at: '2026-01-01T00:00:00.000Z' });
      await t.db
        .insertInto('exchange_rates')
        .values([rate('2025-03-31', 'USD', '1.25'), rate('2025-03-31', 'JPY', '160'), rate('2025-04-30', 'USD', '1.28'), rate('2025-05-09', 'USD', '1.125')])
        .execute();
      await recordEntries(t.db, { pactId, recordedBy: null, entries: [e('contribution', 10000, 'EUR', '2025-03-03'), e('fee', -100, 'EUR', '2025-03-03')] });
      await recordEntries(t.db, { pactId, recordedBy: null, entries: [e('contribution', 12500, 'USD', '2025-03-10')] });
      await recordEntries(t.db, { pactId, recordedBy: null, entries: [e('contribution', 4000, 'JPY', '2025-03-11')] });
      await recordEntries(t.db, { pactId, recordedBy: null, entries: [e('contribution', 500000, 'CDF', '2025-03-12')] });
      await recordEntries(t.db, { pactId, recordedBy: null, entries: [e('disbursement', -6400, 'USD', '2025-04-15')] });
      await recordEntries(t.db, { pactId, recordedBy: null, entries: [e('contribution', 2250, 'USD', '2025-05-20')] });
    });
    after(() => t.drop());

    test('months carry every currency held; totals are converted at month end with the rates named; CDF stays unconverted', async () => {
      const r = await transparencyReport(t.db, { id: pactId, goal_currency: 'EUR' }, { today: '2025-06-15' });
      assert.equal(r.currency, 'EUR');
      assert.deepEqual(r.months.map((m) => m.month), ['2025-03', '2025-04', '2025-05']);
      const [march, april, may] = r.months;
      // March: EUR 100.00 in, 1.00 fee; USD 125.00 / 1.25 = 100.00; JPY 4000 / 160 = 25.00; CDF not published by the ECB.
      assert.deepEqual(march!.converted, { inMinor: 10000 + 10000 + 2500, outMinor: 0, feesMinor: -100, closingMinor: 9900 + 10000 + 2500 });
      assert.deepEqual(march!.unconverted, ['CDF']);
      assert.deepEqual(march!.rates.map((x) => [x.currency, x.rate, x.rateDate, x.stale]).sort(), [['JPY', '0.00625', '2025-03-31', false], ['USD', '0.8', '2025-03-31', false]]);
      // April: USD 64.00 out at 1.28 → 50.00; closing USD 61.00 / 1.28 = 47.65625 → 47.66 (half to even at 4765.625 → 4766);
      // JPY 4000 has no April rate in the table: the March rate is the latest stored, 30 days old → stale.
      assert.equal(april!.converted!.outMinor, -5000);
      assert.deepEqual(april!.lines.map((l) => [l.currency, l.closingMinor]), [['CDF', 500000], ['EUR', 9900], ['JPY', 4000], ['USD', 6100]]);
      assert.equal(april!.converted!.closingMinor, 9900 + 2500 + 4766);
      assert.deepEqual(april!.rates.find((x) => x.currency === 'JPY'), { currency: 'JPY', rate: '0.00625', source: 'ECB', rateDate: '2025-03-31', stale: true });
      // May: the month's end is after the last stored rate (2025-05-09): that rate, marked stale.
      const usd = may!.rates.find((x) => x.currency === 'USD')!;
      assert.deepEqual([usd.rateDate, usd.stale], ['2025-05-09', true]);
      assert.equal(may!.converted!.inMinor, 2000);
      assert.deepEqual(r.balances, [{ currency: 'CDF', balanceMinor: 500000 }, { currency: 'EUR', balanceMinor: 9900 }, { currency: 'JPY', balanceMinor: 4000 }, { currency: 'USD', balanceMinor: 8350 }]);
    });

    test('a range keeps closing balances from before it; the target currency can be chosen', async () => {
      const r = await transparencyReport(t.db, { id: pactId, goal_currency: null }, { today: '2025-06-15', from: '2025-04', to: '2025-04', currency: 'USD' });
      assert.deepEqual(r.months.map((m) => m.month), ['2025-04']);
      const april = r.months[0]!;
      // EUR 99.00 × 1.28 = 126.72 USD. JPY → USD is a cross rate from one publication day that has
      // both: 2025-03-31 (1.25 / 160 = 0.0078125), so JPY 4000 → USD 31.25, marked stale.
      assert.equal(april.converted!.outMinor, -6400);
      assert.equal(april.converted!.closingMinor, 6100 + 12672 + 3125);
      assert.deepEqual(april.rates.find((x) => x.currency === 'JPY'), { currency: 'JPY', rate: '0.0078125', source: 'ECB', rateDate: '2025-03-31', stale: true });
    });
  });
}
