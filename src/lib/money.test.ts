import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { data as isoCurrencies } from 'currency-codes';
import { XMLParser } from 'fast-xml-parser';
import { loadCatalog, LOCALES } from '../i18n/catalogs.ts';
import { translator } from '../i18n/i18n.ts';
import {
  AMOUNT_ERROR_REASONS,
  AmountError,
  canonicalCurrency,
  CURRENCY_CODES,
  currencyOptions,
  formatMoney,
  isCurrency,
  minorDigits,
  minorToDecimalString,
  NO_MINOR_UNIT_CODES,
  parseAmount,
  sumByCurrency,
  UnknownCurrency,
  type AmountErrorReason,
} from './money.ts';

const B07 = JSON.parse(readFileSync(new URL('../../test/fixtures/cases/B07.json', import.meta.url), 'utf8')) as {
  fund: string;
  pledges: { currency: string; amount_input: string }[];
};

/** Replaces the no-break space CLDR puts between a currency code and the number. */
const plain = (s: string) => s.replace(/\u00a0/g, ' ');

/** Asserts that `fn` throws an AmountError with `reason` and returns it. */
function refuses(fn: () => unknown, reason: AmountErrorReason): AmountError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof AmountError, `expected AmountError(${reason}), got ${String(caught)}`);
  assert.equal(caught.reason, reason);
  return caught;
}

describe('B07: pledges in JPY, KRW, KWD, EUR', () => {
  // Expected values from test/fixtures/cases/README of the case list: stored minor units,
  // the JPY total, the rejection of "5000.7" JPY and the English display.
  const expectedMinor = [5000, 2500, 10000, 12345, 1234];
  const accepted = B07.pledges.slice(0, 5);
  const rejected = B07.pledges[5]!;

  it('stores JPY 5000, 2500; KRW 10000; KWD 12345; EUR 1234', () => {
    assert.deepEqual(
      accepted.map((p) => [p.currency, parseAmount(p.amount_input, p.currency)]),
      [['JPY', 5000], ['JPY', 2500], ['KRW', 10000], ['KWD', 12345], ['EUR', 1234]],
    );
    assert.deepEqual(accepted.map((p) => parseAmount(p.amount_input, p.currency)), expectedMinor);
  });

  it('totals JPY 7500, per currency', () => {
    const totals = sumByCurrency(accepted.map((p) => ({ currency: p.currency, amountMinor: parseAmount(p.amount_input, p.currency) })));
    assert.deepEqual([...totals], [['JPY', 7500], ['KRW', 10000], ['KWD', 12345], ['EUR', 1234]]);
  });

  it('rejects "5000.7" JPY with a field error, never rounded or ×100', () => {
    assert.deepEqual([rejected.currency, rejected.amount_input], ['JPY', '5000.7']);
    const err = refuses(() => parseAmount(rejected.amount_input, rejected.currency), 'too_many_decimals');
    const field = err.toFieldError('amount');
    assert.deepEqual(field, { field: 'amount', messageId: 'money.amount.too_many_decimals', values: { currency: 'JPY', digits: 0 } });
    assert.equal(translator('en').t(field.messageId, field.values), 'JPY has no decimals: enter a whole amount');
    assert.equal(translator('de').t(field.messageId, field.values), 'JPY hat keine Nachkommastellen: Geben Sie einen ganzen Betrag ein');
    assert.equal(err.status, 422, 'as an HTTP error it is bad input, never a 500');
  });

  it('shows ¥5,000 · KWD 12.345 · €12.34 in English', () => {
    assert.equal(formatMoney(5000, 'JPY', 'en'), '¥5,000');
    assert.equal(plain(formatMoney(12345, 'KWD', 'en')), 'KWD 12.345');
    assert.equal(formatMoney(12345, 'KWD', 'en'), 'KWD\u00a012.345');
    assert.equal(formatMoney(1234, 'EUR', 'en'), '€12.34');
    assert.equal(formatMoney(2500, 'JPY', 'en'), '¥2,500');
    assert.equal(formatMoney(7500, 'JPY', 'en'), '¥7,500');
    assert.equal(plain(formatMoney(10000, 'KRW', 'en')), '₩10,000');
  });
});

describe('minorDigits', () => {
  it('follows ISO 4217', () => {
    assert.deepEqual(
      ['JPY', 'KRW', 'ISK', 'EUR', 'USD', 'KWD', 'BHD', 'IQD', 'TND', 'CLF', 'UYW'].map((c) => [c, minorDigits(c)]),
      [['JPY', 0], ['KRW', 0], ['ISK', 0], ['EUR', 2], ['USD', 2], ['KWD', 3], ['BHD', 3], ['IQD', 3], ['TND', 3], ['CLF', 4], ['UYW', 4]],
    );
  });

  it('refuses unknown codes, codes ISO dropped, lower case, and codes without minor units', () => {
    for (const code of ['ABC', 'CYP', 'HRK', 'EEK', 'eur', 'EURO', '', 'XAU', 'XAG', 'XDR', 'XTS', 'XXX']) {
      assert.throws(() => minorDigits(code), (err: unknown) => err instanceof UnknownCurrency && err.currency === code, code);
      assert.equal(isCurrency(code), false, code);
    }
    assert.equal(isCurrency(undefined), false);
    assert.equal(isCurrency(978), false);
    const err = new UnknownCurrency('XAU');
    assert.deepEqual(err.toFieldError('currency'), { field: 'currency', messageId: 'money.currency.unknown' });
  });

  it('gives every code currency-codes lists integer digits 0–4, or refuses it', () => {
    let accepted = 0;
    for (const c of isoCurrencies) {
      if (isCurrency(c.code)) {
        const d = minorDigits(c.code);
        assert.ok(Number.isInteger(d) && d >= 0 && d <= 4, `${c.code}: ${d}`);
        assert.equal(d, c.digits, c.code);
        accepted += 1;
      } else {
        assert.throws(() => minorDigits(c.code), UnknownCurrency, c.code);
        assert.ok(NO_MINOR_UNIT_CODES.has(c.code), `${c.code} is refused only when it has no minor unit`);
      }
    }
    assert.equal(accepted, CURRENCY_CODES.length);
    assert.equal(accepted + NO_MINOR_UNIT_CODES.size, isoCurrencies.length);
  });

  it('refuses exactly the codes whose minor unit is N.A. in the ISO list the package ships', () => {
    // currency-codes turns `N.A.` into 0; the shipped XML still says N.A.
    const xmlPath = createRequire(import.meta.url).resolve('currency-codes/iso-4217-list-one.xml');
    const xml = new XMLParser({ parseTagValue: false }).parse(readFileSync(xmlPath, 'utf8')) as {
      ISO_4217: { CcyTbl: { CcyNtry: { Ccy?: string; CcyMnrUnts?: string }[] } };
    };
    const na = new Set(xml.ISO_4217.CcyTbl.CcyNtry.filter((e) => e.Ccy && e.CcyMnrUnts === 'N.A.').map((e) => e.Ccy!));
    assert.deepEqual([...na].sort(), [...NO_MINOR_UNIT_CODES].sort());
    for (const e of xml.ISO_4217.CcyTbl.CcyNtry) {
      if (e.Ccy && e.CcyMnrUnts !== 'N.A.') assert.equal(minorDigits(e.Ccy), Number(e.CcyMnrUnts), e.Ccy);
    }
  });

  it('canonicalizes typed codes and lists the choices with localized names', () => {
    assert.equal(canonicalCurrency(' eur '), 'EUR');
    assert.equal(canonicalCurrency('xau'), null);
    assert.equal(canonicalCurrency(null), null);
    const en = currencyOptions('en');
    const de = currencyOptions('de');
    assert.equal(en.length, CURRENCY_CODES.length);
    assert.deepEqual(en.map((o) => o.code), [...en.map((o) => o.code)].sort());
    assert.deepEqual(en.find((o) => o.code === 'KWD'), { code: 'KWD', name: 'Kuwaiti Dinar' });
    assert.deepEqual(de.find((o) => o.code === 'KWD'), { code: 'KWD', name: 'Kuwait-Dinar' });
    assert.ok(!en.some((o) => o.code === 'XAU' || o.code === 'XXX'));
    assert.ok(en.every((o) => o.name.length > 0));
  });
});

describe('parseAmount', () => {
  it('takes a point, or a comma before one, two or four digits, and surrounding white space', () => {
    assert.equal(parseAmount(' 12.34 ', 'EUR'), 1234);
    assert.equal(parseAmount('12,34', 'EUR'), 1234);
    assert.equal(parseAmount('12,5', 'EUR'), 1250);
    assert.equal(parseAmount('12.5', 'EUR'), 1250);
    assert.equal(parseAmount('12', 'EUR'), 1200);
    assert.equal(parseAmount('0.01', 'EUR'), 1);
    assert.equal(parseAmount('007', 'JPY'), 7);
    assert.equal(parseAmount('12.345', 'KWD'), 12345);
    assert.equal(parseAmount('0.001', 'KWD'), 1);
    assert.equal(parseAmount('1,2345', 'CLF'), 12345);
    assert.equal(parseAmount('\t10000\n', 'KRW'), 10000);
  });

  it('refuses anything but digits and one separator', () => {
    for (const input of ['', ' ', '12.', '.5', ',5', '1,234.56', '1.234,56', '1 234', '1e3', '+5', '€5', '5 EUR', '12.34.5', '0x10', '١٢', 'NaN', 'Infinity', '- 5', '--5']) {
      refuses(() => parseAmount(input, 'EUR'), 'format');
    }
    refuses(() => parseAmount(undefined as unknown as string, 'EUR'), 'format');
  });

  it('refuses a comma before exactly three digits as ambiguous', () => {
    refuses(() => parseAmount('5,000', 'JPY'), 'format');
    refuses(() => parseAmount('12,345', 'KWD'), 'format');
    refuses(() => parseAmount('1,234', 'EUR'), 'format');
    assert.equal(parseAmount('12.345', 'KWD'), 12345);
  });

  it('refuses more decimals than the currency has, trailing zeros included, never rounding', () => {
    const e = refuses(() => parseAmount('12.345', 'EUR'), 'too_many_decimals');
    assert.deepEqual(e.values, { currency: 'EUR', digits: 2 });
    assert.equal(translator('en').t(e.fieldMessageId, e.values), 'EUR has 2 decimals: enter at most 2 digits after the point');
    refuses(() => parseAmount('12.340', 'EUR'), 'too_many_decimals');
    refuses(() => parseAmount('5.000', 'JPY'), 'too_many_decimals');
    refuses(() => parseAmount('5000,7', 'JPY'), 'too_many_decimals');
    refuses(() => parseAmount('12.3456', 'KWD'), 'too_many_decimals');
    refuses(() => parseAmount('1.23456', 'CLF'), 'too_many_decimals');
  });

  it('needs allowZero for zero and allowNegative for negative amounts', () => {
    refuses(() => parseAmount('0', 'EUR'), 'not_positive');
    refuses(() => parseAmount('0.00', 'EUR'), 'not_positive');
    refuses(() => parseAmount('-0', 'EUR'), 'not_positive');
    refuses(() => parseAmount('-5', 'EUR'), 'not_positive');
    refuses(() => parseAmount('-5', 'EUR', { allowZero: true }), 'negative');
    assert.equal(parseAmount('0', 'EUR', { allowZero: true }), 0);
    assert.ok(Object.is(parseAmount('-0.00', 'EUR', { allowZero: true, allowNegative: true }), 0), 'never -0');
    assert.equal(parseAmount('-0.05', 'EUR', { allowNegative: true }), -5);
    assert.equal(parseAmount('-5000', 'JPY', { allowNegative: true }), -5000);
    refuses(() => parseAmount('0', 'EUR', { allowNegative: true }), 'not_positive');
  });

  it('accepts up to Number.MAX_SAFE_INTEGER minor units and refuses more', () => {
    assert.equal(parseAmount('9007199254740991', 'JPY'), Number.MAX_SAFE_INTEGER);
    assert.equal(parseAmount('90071992547409.91', 'EUR'), Number.MAX_SAFE_INTEGER);
    assert.equal(parseAmount('-9007199254740.991', 'KWD', { allowNegative: true }), -Number.MAX_SAFE_INTEGER);
    assert.equal(parseAmount('0000000000000000000000001', 'JPY'), 1);
    refuses(() => parseAmount('9007199254740992', 'JPY'), 'too_large');
    refuses(() => parseAmount('9007199254740993', 'JPY'), 'too_large');
    refuses(() => parseAmount('90071992547409.92', 'EUR'), 'too_large');
    refuses(() => parseAmount('99999999999999999999', 'JPY'), 'too_large');
    refuses(() => parseAmount(`1${'0'.repeat(400)}`, 'EUR'), 'too_large');
    refuses(() => parseAmount('-99999999999999999999', 'JPY', { allowNegative: true }), 'too_large');
  });

  it('refuses an unknown currency', () => {
    const e = refuses(() => parseAmount('5', 'XAU'), 'unknown_currency');
    assert.deepEqual(e.toFieldError('amount'), { field: 'amount', messageId: 'money.amount.unknown_currency', values: { currency: 'XAU' } });
    refuses(() => parseAmount('5', 'eur'), 'unknown_currency');
  });

  it('has an English and a German message for every reason', () => {
    for (const locale of LOCALES) {
      const catalog = loadCatalog(locale);
      for (const reason of AMOUNT_ERROR_REASONS) assert.ok(catalog.has(`money.amount.${reason}`), `${locale}: money.amount.${reason}`);
      assert.ok(catalog.has('money.currency.unknown'));
    }
    assert.equal(translator('de').t('money.amount.not_positive'), 'Geben Sie einen Betrag größer als null ein');
  });
});

describe('minorToDecimalString and formatMoney', () => {
  it('writes the exact decimal with the ISO digits', () => {
    assert.deepEqual(
      [
        [1234, 'EUR'],
        [-5, 'EUR'],
        [5, 'EUR'],
        [0, 'EUR'],
        [5000, 'JPY'],
        [-5000, 'JPY'],
        [12345, 'KWD'],
        [1, 'KWD'],
        [1, 'CLF'],
        [Number.MAX_SAFE_INTEGER, 'EUR'],
        [-Number.MAX_SAFE_INTEGER, 'KWD'],
      ].map(([m, c]) => minorToDecimalString(m as number, c as string)),
      ['12.34', '-0.05', '0.05', '0.00', '5000', '-5000', '12.345', '0.001', '0.0001', '90071992547409.91', '-9007199254740.991'],
    );
    assert.throws(() => minorToDecimalString(1.5, 'EUR'), RangeError);
    assert.throws(() => minorToDecimalString(2 ** 53, 'EUR'), RangeError);
    assert.throws(() => minorToDecimalString(1, 'XAU'), UnknownCurrency);
  });

  it('round-trips parse(minorToDecimalString(x)) for JPY, KWD, EUR, CLF', () => {
    const samples = [1, 5, 9, 10, 99, 100, 101, 999, 1000, 1001, 12345, 500070, 9999999, 123456789012, Number.MAX_SAFE_INTEGER];
    for (const currency of ['JPY', 'KWD', 'EUR', 'CLF']) {
      for (const m of samples) {
        for (const minor of [m, -m]) {
          const text = minorToDecimalString(minor, currency);
          assert.equal(parseAmount(text, currency, { allowNegative: true }), minor, `${currency} ${minor} → ${text}`);
        }
      }
    }
    assert.equal(minorToDecimalString(parseAmount('0.0001', 'CLF'), 'CLF'), '0.0001');
  });

  it('forces the ISO digits where CLDR differs, in any locale', () => {
    // CLDR shows IQD with 0 decimals; ISO 4217 gives it 3.
    assert.equal(plain(formatMoney(1234, 'IQD', 'en')), 'IQD 1.234');
    assert.equal(plain(formatMoney(5, 'ISK', 'en')), 'ISK 5');
    assert.equal(plain(formatMoney(12345, 'CLF', 'en')), 'CLF 1.2345');
    assert.equal(plain(formatMoney(1234, 'EUR', 'de')), '12,34 €');
    assert.equal(plain(formatMoney(12345, 'KWD', 'de')), '12,345 KWD');
    assert.equal(plain(formatMoney(5000, 'JPY', 'de')), '5.000 ¥');
    assert.equal(formatMoney(-5, 'EUR', 'en'), '-€0.05');
  });

  it('loses no digit up to Number.MAX_SAFE_INTEGER', () => {
    assert.equal(formatMoney(Number.MAX_SAFE_INTEGER, 'JPY', 'en'), '¥9,007,199,254,740,991');
    assert.equal(formatMoney(Number.MAX_SAFE_INTEGER, 'EUR', 'en'), '€90,071,992,547,409.91');
    assert.throws(() => formatMoney(0.1, 'EUR', 'en'), RangeError);
    assert.throws(() => formatMoney(1, 'XXX', 'en'), UnknownCurrency);
  });

  it('refuses a total beyond the safe range', () => {
    assert.throws(() => sumByCurrency([{ amountMinor: Number.MAX_SAFE_INTEGER, currency: 'JPY' }, { amountMinor: 1, currency: 'JPY' }]), RangeError);
    assert.deepEqual([...sumByCurrency([{ amountMinor: 5, currency: 'EUR' }, { amountMinor: -7, currency: 'EUR' }])], [['EUR', -2]]);
  });
});
