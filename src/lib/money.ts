/**
 * Money as integer minor units of an ISO 4217 currency (docs: DESIGN.md, data rules). Amounts
 * never pass through floating point: text is parsed digit by digit, and display goes through
 * `Intl.NumberFormat` with the exact decimal string.
 *
 * Minor-unit digits come from ISO 4217 list one as shipped by the `currency-codes` package (its
 * `publishDate` says which edition). ISO wins over CLDR: `Intl` would show IQD with 0 decimals
 * and ISO gives it 3, so the digits are always forced to ISO's.
 */
import { data as isoCurrencies, publishDate } from 'currency-codes';
import { AppError, type FieldError } from '../http/errors.ts';

/** Edition of ISO 4217 list one behind these functions (`YYYY-MM-DD`). */
export const ISO_4217_PUBLISHED: string = publishDate;

/**
 * Codes whose minor unit is `N.A.` in ISO 4217 list one: precious metals, bond-market units,
 * SDR, Sucre, ADB unit, the testing code and "no currency". `currency-codes` turns `N.A.` into
 * 0, so they are named here; a test compares this set with the XML file the package ships.
 */
export const NO_MINOR_UNIT_CODES: ReadonlySet<string> = new Set([
  'XAG', 'XAU', 'XBA', 'XBB', 'XBC', 'XBD', 'XDR', 'XPD', 'XPT', 'XSU', 'XTS', 'XUA', 'XXX',
]);

interface CurrencyInfo {
  digits: number;
  /** English name as ISO 4217 spells it (`Yen`, `Kuwaiti Dinar`). */
  name: string;
}

const CURRENCIES: ReadonlyMap<string, CurrencyInfo> = new Map(
  isoCurrencies
    .filter((c) => !NO_MINOR_UNIT_CODES.has(c.code) && Number.isInteger(c.digits) && c.digits >= 0 && c.digits <= 4)
    .map((c) => [c.code, { digits: c.digits, name: c.currency }]),
);

/** Every code `minorDigits` accepts, sorted (the choices of a currency field). */
export const CURRENCY_CODES: readonly string[] = [...CURRENCIES.keys()].sort();

/**
 * A currency code that ISO 4217 does not list, or one without minor units (`N.A.`: XAU, XXX …).
 * As an HTTP error: 422 with the generic "some fields need attention" title; forms show
 * `toFieldError(field)`.
 */
export class UnknownCurrency extends AppError {
  readonly currency: string;
  constructor(currency: string) {
    super(422, 'unknown_currency', 'errors.validation_failed');
    this.currency = currency;
  }
  /** The field error for a currency field (`money.currency.unknown`). */
  toFieldError(field: string): FieldError {
    return { field, messageId: 'money.currency.unknown' };
  }
}

/**
 * ISO 4217 minor-unit digits of `currency` (an upper-case alphabetic code): JPY 0, EUR 2, KWD 3,
 * CLF 4.
 * @throws {UnknownCurrency} for a code ISO 4217 does not list (also lower case, CYP, HRK), or
 *   one whose minor unit is `N.A.` (XAU, XDR, XXX).
 */
export function minorDigits(currency: string): number {
  const info = CURRENCIES.get(currency);
  if (!info) throw new UnknownCurrency(currency);
  return info.digits;
}

/** True when `code` is an upper-case ISO 4217 code with minor units (what `minorDigits` accepts). */
export function isCurrency(code: unknown): code is string {
  return typeof code === 'string' && CURRENCIES.has(code);
}

/**
 * A currency code as typed (` eur `) → its canonical form (`EUR`), or null when it is not a
 * code `minorDigits` accepts.
 */
export function canonicalCurrency(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const code = raw.trim().toUpperCase();
  return CURRENCIES.has(code) ? code : null;
}

/**
 * The choices of a currency field: every code `minorDigits` accepts, sorted by code, with its
 * name in `locale` (CLDR via `Intl.DisplayNames`; ISO's English name where CLDR has none).
 */
export function currencyOptions(locale = 'en'): { code: string; name: string }[] {
  const names = new Intl.DisplayNames([locale], { type: 'currency', fallback: 'none' });
  return CURRENCY_CODES.map((code) => ({ code, name: names.of(code) ?? CURRENCIES.get(code)!.name }));
}

/** Why an amount was refused; each has the message `money.amount.<reason>`. */
export type AmountErrorReason = 'format' | 'too_many_decimals' | 'too_large' | 'not_positive' | 'negative' | 'unknown_currency';

/**
 * An amount that cannot be taken as typed. `reason` is stable; `toFieldError(field)` gives the
 * form's translated field message (`money.amount.<reason>` with `values`). As an HTTP error: 422
 * with the generic "some fields need attention" title.
 */
export class AmountError extends AppError {
  readonly reason: AmountErrorReason;
  readonly values: Record<string, string | number>;
  constructor(reason: AmountErrorReason, values: Record<string, string | number> = {}) {
    super(422, 'invalid_amount', 'errors.validation_failed');
    this.reason = reason;
    this.values = values;
    this.message = `invalid_amount: ${reason}`;
  }
  /** Catalog id of the field message. */
  get fieldMessageId(): string {
    return `money.amount.${this.reason}`;
  }
  /** The field error for an amount field. */
  toFieldError(field: string): FieldError {
    return { field, messageId: this.fieldMessageId, ...(Object.keys(this.values).length ? { values: this.values } : {}) };
  }
}

/** Every reason an `AmountError` can carry (the catalogs hold `money.amount.<reason>` for each). */
export const AMOUNT_ERROR_REASONS: readonly AmountErrorReason[] = ['format', 'too_many_decimals', 'too_large', 'not_positive', 'negative', 'unknown_currency'];

/** Whole part, optional separator and fraction; the sign is handled apart. */
const AMOUNT = /^(-)?(\d+)(?:([.,])(\d+))?$/;

/**
 * Decimal text → integer minor units of `currency`, exactly (string arithmetic, no float).
 *
 * Accepted: ASCII digits with at most one decimal separator, surrounded by optional white space,
 * and a leading `-` when `allowNegative`. The separator is `.`; a `,` is taken as the separator
 * too, except before exactly three digits (`1,234` may mean one thousand two hundred thirty-four
 * in English and 1.234 in German, so it is refused as `format`). No thousands separators, no
 * currency signs, no exponent, no `+`, nothing before or after the separator left empty.
 *
 * The fraction may have at most as many digits as the currency's ISO 4217 minor unit — trailing
 * zeros included (`5.000` JPY is refused: it is likely a German "5000") — and is never rounded:
 * JPY `5000.7` → `too_many_decimals`. Examples: EUR `12.34` → 1234, KWD `12.345` → 12345,
 * JPY `5000` → 5000, KRW `10000` → 10000, EUR `12,5` → 1250, EUR `-0.05` → -5 (allowNegative).
 *
 * Checks in this order: currency, format, decimals, size (at most `Number.MAX_SAFE_INTEGER`
 * minor units), sign: zero needs `allowZero`, below zero needs `allowNegative` (reason
 * `not_positive` when zero is not allowed either, else `negative`). `-0` is 0.
 * @throws {AmountError} with `reason` `unknown_currency`, `format`, `too_many_decimals`
 *   (values `currency`, `digits`), `too_large`, `not_positive` or `negative`.
 */
export function parseAmount(input: string, currency: string, o: { allowNegative?: boolean; allowZero?: boolean } = {}): number {
  if (!isCurrency(currency)) throw new AmountError('unknown_currency', { currency: String(currency) });
  const digits = minorDigits(currency);
  const m = typeof input === 'string' ? AMOUNT.exec(input.trim()) : null;
  if (!m) throw new AmountError('format');
  const [, minus, whole, separator, fraction = ''] = m;
  if (separator === ',' && fraction.length === 3) throw new AmountError('format');
  if (fraction.length > digits) throw new AmountError('too_many_decimals', { currency, digits });
  const text = `${whole!}${fraction.padEnd(digits, '0')}`.replace(/^0+(?=\d)/, '');
  // At most 16 digits can be a safe integer; Number() is exact for every safe one, and any
  // larger 16-digit value comes out ≥ 2^53, which is not safe.
  const magnitude = text.length > 16 ? Infinity : Number(text);
  if (!Number.isSafeInteger(magnitude)) throw new AmountError('too_large');
  if (magnitude === 0 && !o.allowZero) throw new AmountError('not_positive');
  if (minus && magnitude !== 0 && !o.allowNegative) throw new AmountError(o.allowZero ? 'negative' : 'not_positive');
  return minus && magnitude !== 0 ? -magnitude : magnitude;
}

function checkMinor(minor: number): void {
  if (!Number.isSafeInteger(minor)) throw new RangeError(`minor units must be a safe integer, not ${minor}`);
}

/**
 * Integer minor units → the exact decimal string in major units, with exactly the currency's
 * ISO 4217 digits and `.` as separator (for CSV, the API and `Intl`): EUR 1234 → `12.34`,
 * EUR -5 → `-0.05`, JPY 5000 → `5000`, KWD 12345 → `12.345`, CLF 1 → `0.0001`.
 * @throws {UnknownCurrency} for a currency `minorDigits` refuses.
 * @throws {RangeError} when `minor` is not a safe integer.
 */
export function minorToDecimalString(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  checkMinor(minor);
  const sign = minor < 0 ? '-' : '';
  const abs = String(Math.abs(minor));
  if (digits === 0) return sign + abs;
  const padded = abs.padStart(digits + 1, '0');
  return `${sign}${padded.slice(0, -digits)}.${padded.slice(-digits)}`;
}

const formatters = new Map<string, Intl.NumberFormat>();

/**
 * Integer minor units → a display string for `locale` (BCP 47), e.g. in `en`: JPY 5000 → `¥5,000`,
 * KWD 12345 → `KWD 12.345`, EUR 1234 → `€12.34`; in `de`: `12,34 €`. CLDR's symbols and
 * patterns, but always the ISO 4217 number of decimals (ISO wins where CLDR differs, e.g. IQD).
 * The amount is handed to `Intl.NumberFormat` as an exact decimal string (ECMA-402 treats it
 * as a decimal, not a double), so no digit is lost up to `Number.MAX_SAFE_INTEGER`. The space
 * between a code and the number is the no-break space CLDR uses (U+00A0).
 * @throws {UnknownCurrency} for a currency `minorDigits` refuses.
 * @throws {RangeError} when `minor` is not a safe integer or `locale` is malformed.
 */
export function formatMoney(minor: number, currency: string, locale: string): string {
  const digits = minorDigits(currency);
  const key = `${locale}\u0000${currency}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits });
    formatters.set(key, f);
  }
  return f.format(minorToDecimalString(minor, currency) as Intl.StringNumericLiteral);
}

/**
 * Totals per currency of `amounts` (minor units), in the order currencies first appear.
 * Amounts of different currencies are never added together (DESIGN.md: sums are per currency).
 * @throws {UnknownCurrency} for a currency `minorDigits` refuses.
 * @throws {RangeError} when an amount or a total is not a safe integer.
 */
export function sumByCurrency(amounts: Iterable<{ amountMinor: number; currency: string }>): Map<string, number> {
  const totals = new Map<string, number>();
  for (const a of amounts) {
    minorDigits(a.currency);
    checkMinor(a.amountMinor);
    const total = (totals.get(a.currency) ?? 0) + a.amountMinor;
    checkMinor(total);
    totals.set(a.currency, total);
  }
  return totals;
}
