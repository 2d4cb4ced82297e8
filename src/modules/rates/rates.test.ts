import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { createTestDb, ENGINES, type TestDb } from '../../../test/helpers/db.ts';
import { ValidationFailed } from '../../http/errors.ts';
import { translator } from '../../i18n/i18n.ts';
import { AmountError, UnknownCurrency } from '../../lib/money.ts';
import { loadCatalog, LOCALES } from '../../i18n/catalogs.ts';
import { ecbDate, RATE_REJECT_REASONS, readEcbCsv } from './rates.import-ecb.ts';
import {
  applyRate,
  convertMany,
  convertMinor,
  importEcbRates,
  NoRate,
  rateOn,
  RatesFileError,
  type EcbImportReport,
} from './rates.service.ts';

/** The ECB history file as shipped in demo/ (2,000 days, 2017-07-17 … 2025-05-09). */
const REAL_FILE = new URL('../../../demo/ecb_eurofxref_daily.csv', import.meta.url);

/**
 * Invented rates in the ECB layout, with a KWD column (the ECB does not quote KWD) and chosen so
 * that conversions can be checked by hand. 2025-01-17 is a Friday, 01-18/19 the weekend;
 * 01-06 → 01-16 is a 10-day gap. CYP is a currency ISO 4217 no longer lists.
 */
const SMALL = [
  'Date,USD,JPY,KWD,CYP,',
  '2025-01-20,1.0250,163.5,0.32,N/A,',
  '2025-01-17,1.0300,160,0.32,N/A,',
  '2025-01-16,1.0400,162.5,0.3125,N/A,',
  '2025-01-06,1.0500,150.25,0.33,0.5,',
  '',
].join('\n');

/** A file with every kind of problem, each on a known line. */
const BROKEN = [
  'Date,USD,JPY,', // 1
  '2025-01-03,1.0350,161.50,', // 2 fine
  '2025-01-02,abc,N/A,', // 3 USD refused, JPY not available
  '', // 4 blank
  '2025-13-01,1.0,160,', // 5 no such month: line refused
  '2025-01-01,1.0', // 6 a cell missing: line refused
  '2024-12-31,1.0,160,7,', // 7 a value under the nameless column: line refused
  '2024-12-30,-1.5,0,', // 8 both refused (not positive)
  '2024-12-27,1.04,1.5e2,', // 9 JPY refused (exponent)
  '2024-12-24,,164.1,', // 10 USD empty: refused
  '2024-12-23,"1.0"x,160,', // 11 a stray quote: USD refused
  '2024-12-20,"1.0,160,', // 12 a quote never closed: not CSV to the end
  '',
].join('\n');

async function count(db: TestDb): Promise<number> {
  const r = await db.db.selectFrom('exchange_rates').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Awaits `p` and asserts it rejects with a NoRate for that pair and date. */
async function noRate(p: Promise<unknown>, from: string, to: string, date: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => err instanceof NoRate && err.from === from && err.to === to && err.date === date && err.status === 422);
}

describe('ECB file reading (no database)', () => {
  it('reads both date forms of the ECB files', () => {
    assert.equal(ecbDate('2025-05-09'), '2025-05-09');
    assert.equal(ecbDate('09 May 2025'), '2025-05-09');
    assert.equal(ecbDate('9 May 2025'), '2025-05-09');
    assert.equal(ecbDate('1 Sep 2025'), '2025-09-01');
    assert.equal(ecbDate('29 February 2024'), '2024-02-29');
    assert.equal(ecbDate('29 February 2025'), null);
    assert.equal(ecbDate('2025-02-29'), null);
    assert.equal(ecbDate('09 Mai 2025'), null);
    assert.equal(ecbDate('05/09/2025'), null);
  });

  it('gives the same lines for LF and CRLF, with or without BOM', async () => {
    const read = async (text: string) => {
      const out = [];
      for await (const l of readEcbCsv(text)) out.push(l);
      return out;
    };
    const lf = await read(BROKEN);
    assert.deepEqual(await read(`\ufeff${BROKEN.replace(/\n/g, '\r\n')}`), lf);
    assert.deepEqual(
      lf.map((l) => l.line),
      [2, 3, 5, 6, 7, 8, 9, 10, 11, 12],
    );
  });

  it('has an English and a German message for every reason a line or cell is refused', () => {
    for (const locale of LOCALES) {
      const catalog = loadCatalog(locale);
      for (const reason of RATE_REJECT_REASONS) assert.ok(catalog.has(`rates.import.reject.${reason}`), `${locale}: ${reason}`);
    }
  });

  it('refuses a file whose header is not Date + currency codes, before reading any line', async () => {
    for (const [text, id] of [
      ['', 'rates.import.file.empty'],
      ['\n\n', 'rates.import.file.empty'],
      ['Datum,USD\n2025-01-02,1.1\n', 'rates.import.file.not_ecb'],
      ['Date\n2025-01-02\n', 'rates.import.file.not_ecb'],
      ['Date,USD,,JPY\n2025-01-02,1.1,,160\n', 'rates.import.file.not_ecb'],
      ['Date,USD,USD,\n2025-01-02,1.1,1.1,\n', 'rates.import.file.not_ecb'],
      ['Date,US Dollar,\n2025-01-02,1.1,\n', 'rates.import.file.not_ecb'],
    ] as const) {
      await assert.rejects(
        async () => {
          for await (const _ of readEcbCsv(text, 'f.csv')) assert.fail('no line may be read');
        },
        (err: unknown) => err instanceof RatesFileError && err.messageId === id && err.values.file === 'f.csv',
        JSON.stringify(text),
      );
    }
  });
});

describe('applyRate (half to even, exact)', () => {
  it('rounds ties to the even neighbour and nothing else', () => {
    // EUR 1.00 × 162.5 = 162.5 JPY → 162; × 163.5 = 163.5 → 164; the sign does not matter.
    assert.equal(applyRate(100, 'EUR', 'JPY', '162.5'), 162);
    assert.equal(applyRate(100, 'EUR', 'JPY', '163.5'), 164);
    assert.equal(applyRate(-100, 'EUR', 'JPY', '162.5'), -162);
    assert.equal(applyRate(-100, 'EUR', 'JPY', '163.5'), -164);
    // 0.01 EUR × 149.99 = 1.4999 JPY → 1; × 150.01 = 1.5001 → 2 (not a tie).
    assert.equal(applyRate(1, 'EUR', 'JPY', '149.99'), 1);
    assert.equal(applyRate(1, 'EUR', 'JPY', '150.01'), 2);
    // KWD 12.345 × 500 = 6172.5 JPY → 6172; KWD 12.347 × 500 = 6173.5 → 6174.
    assert.equal(applyRate(12345, 'KWD', 'JPY', '500'), 6172);
    assert.equal(applyRate(12347, 'KWD', 'JPY', '500'), 6174);
    // JPY 1 × 0.002 = 0.002 KWD = 2 fils; CLF has 4 digits: EUR 0.01 × 0.03 = 0.0003 CLF = 3.
    assert.equal(applyRate(1, 'JPY', 'KWD', '0.002'), 2);
    assert.equal(applyRate(1, 'EUR', 'CLF', '0.03'), 3);
    // A tiny amount rounds to 0, never -0.
    assert.ok(Object.is(applyRate(-1, 'KWD', 'JPY', '0.4'), 0));
  });

  it('is exact where floating point is not', () => {
    // 1.005 EUR × 1 = 1.005 … as a float 1.005 * 100 = 100.49999999999999; exact: 100.5 → 100.
    assert.equal(applyRate(1005, 'KWD', 'EUR', '1'), 100);
    assert.equal(applyRate(1015, 'KWD', 'EUR', '1'), 102);
    // The largest safe amount times 1 stays itself; times 2 it is too large.
    assert.equal(applyRate(Number.MAX_SAFE_INTEGER, 'EUR', 'USD', '1'), Number.MAX_SAFE_INTEGER);
    assert.throws(() => applyRate(Number.MAX_SAFE_INTEGER, 'EUR', 'USD', '2'), (e: unknown) => e instanceof AmountError && e.reason === 'too_large');
    assert.throws(() => applyRate(1.5, 'EUR', 'USD', '1'), RangeError);
    assert.throws(() => applyRate(1, 'EUR', 'USD', '0'), RangeError);
    assert.throws(() => applyRate(1, 'EUR', 'USD', '-1'), RangeError);
    assert.throws(() => applyRate(1, 'EUR', 'XAU', '1'), UnknownCurrency);
  });
});

for (const engine of ENGINES) {
  describe(`exchange rates (${engine})`, () => {
    let db: TestDb;
    before(async () => {
      db = await createTestDb(engine);
    });
    after(async () => {
      await db.drop();
    });

    describe('the real ECB history file', () => {
      let first: EcbImportReport;
      before(async () => {
        await db.reset();
        first = await importEcbRates(db.db, createReadStream(REAL_FILE), { fileName: 'ecb.csv' });
      });

      it('imports every quoted rate of a known currency', async () => {
        // Counted independently with awk over the file: 2,000 lines × 41 currency columns =
        // 82,000 cells; 19,555 are N/A (CYP EEK LTL LVL MTL ROL SIT SKK TRL always, HRK 600,
        // ISK 140, RUB 815); of the 62,445 rates 1,400 are HRK, which ISO 4217 no longer lists.
        assert.equal(first.lines, 2000);
        assert.equal(first.skippedNotAvailable, 19555);
        assert.equal(first.skippedUnknownCurrency, 1400);
        assert.deepEqual(first.unknownCurrencies, ['HRK']);
        assert.equal(first.inserted, 62445 - 1400);
        assert.equal(first.unchanged, 0);
        assert.deepEqual(first.rejected, [], 'the trailing comma of every line is harmless');
        assert.deepEqual(first.conflicts, []);
        assert.equal(first.firstDate, '2017-07-17');
        assert.equal(first.lastDate, '2025-05-09');
        assert.deepEqual(
          first.currencies,
          ['AUD', 'BGN', 'BRL', 'CAD', 'CHF', 'CNY', 'CZK', 'DKK', 'GBP', 'HKD', 'HUF', 'IDR', 'ILS', 'INR', 'ISK', 'JPY', 'KRW', 'MXN', 'MYR', 'NOK', 'NZD', 'PHP', 'PLN', 'RON', 'RUB', 'SEK', 'SGD', 'THB', 'TRY', 'USD', 'ZAR'],
        );
        assert.equal(await count(db), 61045);
        const row = await db.db
          .selectFrom('exchange_rates')
          .selectAll()
          .where('quote', '=', 'USD')
          .where('rate_date', '=', '2025-05-09')
          .executeTakeFirstOrThrow();
        assert.deepEqual({ ...row, imported_at: typeof row.imported_at }, {
          source: 'ECB',
          base: 'EUR',
          quote: 'USD',
          rate_date: '2025-05-09',
          rate: '1.1252',
          imported_at: 'string',
        });
        // No row for a day the ECB did not quote a currency (RUB is N/A since March 2022).
        const rub = await db.db.selectFrom('exchange_rates').select('rate').where('quote', '=', 'RUB').where('rate_date', '=', '2025-05-09').execute();
        assert.deepEqual(rub, []);
      });

      it('inserts nothing and changes nothing on a second import', async () => {
        const before = await db.db.selectFrom('exchange_rates').select(['quote', 'rate_date', 'rate', 'imported_at']).orderBy('quote').orderBy('rate_date').execute();
        const again = await importEcbRates(db.db, readFileSync(REAL_FILE));
        assert.equal(again.inserted, 0);
        assert.equal(again.unchanged, 61045);
        assert.equal(again.replaced, 0);
        assert.deepEqual(again.conflicts, []);
        const afterRows = await db.db.selectFrom('exchange_rates').select(['quote', 'rate_date', 'rate', 'imported_at']).orderBy('quote').orderBy('rate_date').execute();
        assert.deepEqual(afterRows.map((r) => ({ ...r })), before.map((r) => ({ ...r })));
      });

      it('reports a different rate for a stored day as a conflict by line, keeps it, and replaces it only when asked', async () => {
        // USD differs (1.1252 stored), JPY is the same written differently (163.36 = 163.360).
        const revised = 'Date,USD,JPY,\n2025-05-09,1.1253,163.360,\n';
        const kept = await importEcbRates(db.db, revised);
        assert.deepEqual(kept.conflicts, [{ line: 2, currency: 'USD', date: '2025-05-09', stored: '1.1252', file: '1.1253' }]);
        assert.equal(kept.unchanged, 1);
        assert.equal(kept.inserted + kept.replaced, 0);
        assert.equal((await rateOn(db.db, { from: 'EUR', to: 'USD', date: '2025-05-09' })).rate, '1.1252');

        const replaced = await importEcbRates(db.db, revised, { replace: true, importedAt: '2026-01-01T00:00:00.000Z' });
        assert.equal(replaced.replaced, 1);
        assert.deepEqual(replaced.conflicts, []);
        const row = await db.db.selectFrom('exchange_rates').select(['rate', 'imported_at']).where('quote', '=', 'USD').where('rate_date', '=', '2025-05-09').executeTakeFirstOrThrow();
        assert.deepEqual({ ...row }, { rate: '1.1253', imported_at: '2026-01-01T00:00:00.000Z' });
        assert.equal(await count(db), 61045);
        // Back to the ECB's value for the tests below.
        await importEcbRates(db.db, 'Date,USD,\n2025-05-09,1.1252,\n', { replace: true });
      });

      it("uses Friday's rate on a Saturday and Sunday, and Thursday's over Easter", async () => {
        for (const date of ['2025-05-09', '2025-05-10', '2025-05-11']) {
          assert.deepEqual(await rateOn(db.db, { from: 'EUR', to: 'JPY', date }), { rate: '163.36', source: 'ECB', rateDate: '2025-05-09' });
        }
        // Good Friday 2025-04-18 and Easter Monday 04-21 are TARGET holidays.
        assert.deepEqual(await rateOn(db.db, { from: 'EUR', to: 'JPY', date: '2025-04-21' }), { rate: '161.98', source: 'ECB', rateDate: '2025-04-17' });
        // 2025-05-16 is 7 days after the last day of the file: still valid; 05-17 is not.
        assert.equal((await rateOn(db.db, { from: 'EUR', to: 'JPY', date: '2025-05-16' })).rateDate, '2025-05-09');
        await noRate(rateOn(db.db, { from: 'EUR', to: 'JPY', date: '2025-05-17' }), 'EUR', 'JPY', '2025-05-17');
        await noRate(rateOn(db.db, { from: 'EUR', to: 'JPY', date: '2017-07-16' }), 'EUR', 'JPY', '2017-07-16');
        // ISK was not quoted until 2018: no rate, though other currencies have one.
        await noRate(rateOn(db.db, { from: 'EUR', to: 'ISK', date: '2017-07-18' }), 'EUR', 'ISK', '2017-07-18');
      });

      it('converts EUR → JPY and back with the rate of 2025-05-09', async () => {
        // EUR 12.34 × 163.36 = 2015.8624 JPY → 2016.
        assert.deepEqual(await convertMinor(db.db, { amountMinor: 1234, from: 'EUR', to: 'JPY', date: '2025-05-10' }), {
          amountMinor: 2016,
          rate: '163.36',
          source: 'ECB',
          rateDate: '2025-05-09',
        });
        // JPY 5000 / 163.36 = 30.60724… EUR → 3061 cents; the inverse rate 1/163.36 to 20
        // significant digits is 0.0061214495592556317336 (…3173366… rounded).
        assert.deepEqual(await convertMinor(db.db, { amountMinor: 5000, from: 'JPY', to: 'EUR', date: '2025-05-09' }), {
          amountMinor: 3061,
          rate: '0.0061214495592556317336',
          source: 'ECB',
          rateDate: '2025-05-09',
        });
        // USD → JPY via EUR: 163.36 / 1.1252 = 145.18307856381087806… → 20 digits
        // 145.18307856381087807; USD 10.00 × that = 1451.83… JPY → 1452.
        assert.deepEqual(await convertMinor(db.db, { amountMinor: 1000, from: 'USD', to: 'JPY', date: '2025-05-09' }), {
          amountMinor: 1452,
          rate: '145.18307856381087807',
          source: 'ECB',
          rateDate: '2025-05-09',
          via: 'EUR',
        });
      });

      it('converts many amounts over many dates with one result per request, in order', async () => {
        const results = await convertMany(db.db, [
          { amountMinor: 1234, from: 'EUR', to: 'JPY', date: '2025-05-10' },
          { amountMinor: 100, from: 'EUR', to: 'USD', date: '2017-07-17' },
          { amountMinor: 500, from: 'GBP', to: 'GBP', date: '2030-01-01' },
          { amountMinor: 100, from: 'EUR', to: 'JPY', date: '2025-04-20' },
        ]);
        // 1.00 EUR × 1.1462 USD = 1.1462 → 115 cents; 1.00 EUR × 161.98 = 161.98 JPY → 162.
        assert.deepEqual(
          results.map((r) => [r.amountMinor, r.rate, r.rateDate]),
          [
            [2016, '163.36', '2025-05-09'],
            [115, '1.1462', '2017-07-17'],
            [500, '1', '2030-01-01'],
            [162, '161.98', '2025-04-17'],
          ],
        );
        assert.equal(results[2]!.source, 'identity');
        await noRate(
          convertMany(db.db, [
            { amountMinor: 1, from: 'EUR', to: 'JPY', date: '2025-05-09' },
            { amountMinor: 1, from: 'EUR', to: 'JPY', date: '2026-01-01' },
          ]),
          'EUR',
          'JPY',
          '2026-01-01',
        );
      });
    });

    describe('a small file with KWD and a gap', () => {
      let report: EcbImportReport;
      before(async () => {
        await db.reset();
        report = await importEcbRates(db.db, SMALL);
      });

      it('stores the known currencies and skips CYP with its reason', () => {
        assert.equal(report.lines, 4);
        assert.equal(report.inserted, 12);
        assert.equal(report.skippedNotAvailable, 3);
        assert.equal(report.skippedUnknownCurrency, 1);
        assert.deepEqual(report.unknownCurrencies, ['CYP']);
        assert.deepEqual(report.currencies, ['JPY', 'KWD', 'USD']);
      });

      it('refuses rates more than 7 days old: a 10-day gap has no rate in its second half', async () => {
        // 01-06 → 01-13 is 7 days: still valid; 01-14 and 01-15 are 8 and 9 days after 01-06.
        assert.deepEqual(await rateOn(db.db, { from: 'EUR', to: 'JPY', date: '2025-01-13' }), { rate: '150.25', source: 'ECB', rateDate: '2025-01-06' });
        await noRate(rateOn(db.db, { from: 'EUR', to: 'JPY', date: '2025-01-14' }), 'EUR', 'JPY', '2025-01-14');
        await noRate(convertMinor(db.db, { amountMinor: 100, from: 'JPY', to: 'KWD', date: '2025-01-15' }), 'JPY', 'KWD', '2025-01-15');
        const err = new NoRate('JPY', 'KWD', '2025-01-15');
        const field = err.toFieldError('valueDate');
        assert.equal(translator('en').t(field.messageId, field.values), 'No ECB exchange rate from JPY to KWD on 2025-01-15 or in the 7 days before');
        assert.equal(translator('de').t(field.messageId, field.values), 'Kein EZB-Wechselkurs von JPY nach KWD am 2025-01-15 oder in den 7 Tagen davor');
      });

      it('converts EUR → JPY → KWD and back with exact minor units', async () => {
        const on = (amountMinor: number, from: string, to: string, date = '2025-01-18') => convertMinor(db.db, { amountMinor, from, to, date });
        // Saturday 2025-01-18 uses Friday 01-17: EUR→JPY 160, EUR→KWD 0.32.
        // EUR 12.34 × 160 = 1974.4 JPY → 1974.
        assert.deepEqual(await on(1234, 'EUR', 'JPY'), { amountMinor: 1974, rate: '160', source: 'ECB', rateDate: '2025-01-17' });
        // JPY 1974 → KWD: cross rate 0.32 / 160 = 0.002; 1974 × 0.002 = 3.948 KWD = 3948 fils.
        assert.deepEqual(await on(1974, 'JPY', 'KWD'), { amountMinor: 3948, rate: '0.002', source: 'ECB', rateDate: '2025-01-17', via: 'EUR' });
        // JPY 5000 × 0.002 = 10.000 KWD = 10000 fils.
        assert.equal((await on(5000, 'JPY', 'KWD')).amountMinor, 10000);
        // EUR 12.34 × 0.32 = 3.9488 KWD → 3948.8 fils → 3949.
        assert.equal((await on(1234, 'EUR', 'KWD')).amountMinor, 3949);
        // KWD → JPY: 160 / 0.32 = 500; KWD 12.345 × 500 = 6172.5 JPY → half to even 6172.
        assert.deepEqual(await on(12345, 'KWD', 'JPY'), { amountMinor: 6172, rate: '500', source: 'ECB', rateDate: '2025-01-17', via: 'EUR' });
        // KWD 12.347 × 500 = 6173.5 → 6174.
        assert.equal((await on(12347, 'KWD', 'JPY')).amountMinor, 6174);
        // JPY → EUR: 1 / 160 = 0.00625; JPY 5000 × 0.00625 = 31.25 EUR = 3125 cents.
        assert.deepEqual(await on(5000, 'JPY', 'EUR'), { amountMinor: 3125, rate: '0.00625', source: 'ECB', rateDate: '2025-01-17' });
        // JPY → USD via EUR: 1.03 / 160 = 0.0064375; 5000 × that = 32.1875 USD → 3218.75 → 3219.
        assert.equal((await on(5000, 'JPY', 'USD')).amountMinor, 3219);
        // On 01-16 (EUR→JPY 162.5, EUR→KWD 0.3125): KWD → EUR 1 / 0.3125 = 3.2; 12.345 × 3.2
        // = 39.504 EUR → 3950.4 cents → 3950.
        assert.deepEqual(await on(12345, 'KWD', 'EUR', '2025-01-16'), { amountMinor: 3950, rate: '3.2', source: 'ECB', rateDate: '2025-01-16' });
        // JPY → KWD on 01-16: 0.3125 / 162.5 = 0.00192307692307692307692… → 20 significant
        // digits 0.0019230769230769230769; JPY 5000 × that = 9.6153846… KWD → 9615 fils.
        assert.deepEqual(await on(5000, 'JPY', 'KWD', '2025-01-16'), {
          amountMinor: 9615,
          rate: '0.0019230769230769230769',
          source: 'ECB',
          rateDate: '2025-01-16',
          via: 'EUR',
        });
        // Ties with the ECB's own rates: EUR 1.00 × 162.5 = 162.5 → 162 (01-16); × 163.5 → 164 (01-20).
        assert.equal((await on(100, 'EUR', 'JPY', '2025-01-16')).amountMinor, 162);
        assert.equal((await on(100, 'EUR', 'JPY', '2025-01-20')).amountMinor, 164);
        assert.equal((await on(-100, 'EUR', 'JPY', '2025-01-16')).amountMinor, -162);
      });

      it('needs no rate for the same currency, and refuses bad currencies and dates', async () => {
        assert.deepEqual(await convertMinor(db.db, { amountMinor: 5000, from: 'JPY', to: 'JPY', date: '1999-01-01' }), {
          amountMinor: 5000,
          rate: '1',
          source: 'identity',
          rateDate: '1999-01-01',
        });
        await assert.rejects(rateOn(db.db, { from: 'EUR', to: 'CYP', date: '2025-01-17' }), UnknownCurrency);
        await assert.rejects(rateOn(db.db, { from: 'XAU', to: 'EUR', date: '2025-01-17' }), UnknownCurrency);
        for (const date of ['2025-02-30', '17.01.2025', '2025-01-17T00:00:00Z', '']) {
          await assert.rejects(rateOn(db.db, { from: 'EUR', to: 'JPY', date }), (e: unknown) => e instanceof ValidationFailed && e.errors[0]!.field === 'date', date);
        }
        await assert.rejects(convertMinor(db.db, { amountMinor: 0.5, from: 'EUR', to: 'JPY', date: '2025-01-17' }), RangeError);
      });
    });

    describe('a broken file', () => {
      it('reports each refused line and cell by line and column, and stores the rest', async () => {
        await db.reset();
        const report = await importEcbRates(db.db, BROKEN);
        assert.deepEqual(
          report.rejected.map((r) => [r.line, r.column, r.reason, r.values ?? null]),
          [
            [3, 'USD', 'rate', { value: 'abc' }],
            [5, 'Date', 'date', { value: '2025-13-01' }],
            [6, null, 'columns', { expected: 3, found: 2 }],
            [7, null, 'columns', { expected: 3, found: 4 }],
            [8, 'USD', 'rate', { value: '-1.5' }],
            [8, 'JPY', 'rate', { value: '0' }],
            [9, 'JPY', 'rate', { value: '1.5e2' }],
            [10, 'USD', 'rate', { value: '' }],
            [11, 'USD', 'rate', { value: '"1.0"x' }],
            [12, null, 'csv_syntax', null],
          ],
        );
        assert.equal(report.lines, 10);
        assert.equal(report.skippedNotAvailable, 1);
        // Line 2 (USD, JPY), line 9 (USD), line 10 (JPY), line 11 (JPY).
        assert.equal(report.inserted, 5);
        assert.equal(report.firstDate, '2024-12-23');
        assert.equal(report.lastDate, '2025-01-03');
        const rows = await db.db.selectFrom('exchange_rates').select(['rate_date', 'quote', 'rate']).orderBy('rate_date').orderBy('quote').execute();
        assert.deepEqual(rows.map((r) => ({ ...r })), [
          { rate_date: '2024-12-23', quote: 'JPY', rate: '160' },
          { rate_date: '2024-12-24', quote: 'JPY', rate: '164.1' },
          { rate_date: '2024-12-27', quote: 'USD', rate: '1.04' },
          { rate_date: '2025-01-03', quote: 'JPY', rate: '161.50' },
          { rate_date: '2025-01-03', quote: 'USD', rate: '1.0350' },
        ]);
        const en = translator('en');
        assert.equal(en.t('rates.import.reject.rate', report.rejected[0]!.values), '“abc” is neither a positive decimal number nor N/A');
      });

      it('stores nothing when the file cannot be read to its end', async () => {
        await db.reset();
        const lines = readFileSync(REAL_FILE, 'utf8').split('\n').slice(0, 1200);
        async function* failing() {
          yield `${lines.join('\n')}\n`;
          throw new Error('disk went away');
        }
        await assert.rejects(importEcbRates(db.db, Readable.from(failing())), /disk went away/);
        assert.equal(await count(db), 0, 'the batches written before the error were rolled back');
        await assert.rejects(importEcbRates(db.db, 'Date,Foo,\n2025-01-02,1,\n'), RatesFileError);
        assert.equal(await count(db), 0);
      });

      it('reads the one-day file with its spaces and long date', async () => {
        await db.reset();
        const report = await importEcbRates(db.db, 'Date, USD, JPY, CYP, \n09 May 2025, 1.1252, 163.36, N/A, \n');
        assert.equal(report.inserted, 2);
        assert.deepEqual(report.rejected, []);
        assert.deepEqual(await rateOn(db.db, { from: 'JPY', to: 'USD', date: '2025-05-10' }), {
          // 1.1252 / 163.36 = 0.0068878550440744368266… (20 significant digits)
          rate: '0.0068878550440744368266',
          source: 'ECB',
          rateDate: '2025-05-09',
          via: 'EUR',
        });
      });
    });
  });
}
