/**
 * Exchange rates: the only writer of `exchange_rates` (ECB euro reference rates, imported from
 * the ECB's CSV) and the conversions that read them.
 *
 * Rules (docs/IMPORT.md, "ECB exchange rates"):
 * - A rate is units of `quote` for one `base`, kept as the source's decimal string; the ECB's
 *   base is always EUR. Rates are looked up for a date-only value: the latest ECB rate on or
 *   before it (the ECB publishes on TARGET business days, so a Saturday uses Friday's), but
 *   never one older than `RATE_MAX_AGE_DAYS` (7) days.
 * - EUR→X is the stored rate, X→EUR its inverse, X→Y the cross rate Y/X via EUR from the same
 *   publication day. A derived rate is rounded to 20 significant digits (half to even); that
 *   rounded string is the rate returned and the one the amount is computed with, so anyone can
 *   recompute a stored conversion from its stored rate.
 * - A converted amount is `amount × rate` computed exactly with decimal.js and rounded once to
 *   the target currency's ISO 4217 minor unit, half to even (banker's rounding: 162.5 → 162,
 *   163.5 → 164), so rounding errors do not drift one way over many conversions.
 */
import { Decimal } from 'decimal.js';
import { inTransaction, type Db, type Tx } from '../../db/client.ts';
import { AppError, ValidationFailed, type FieldError } from '../../http/errors.ts';
import { AmountError, isCurrency, minorDigits, UnknownCurrency } from '../../lib/money.ts';
import { isDateOnly, nowInstant } from '../../lib/time.ts';
import { readEcbCsv, type RatesInput, type RejectedCell } from './rates.import-ecb.ts';

export { RatesFileError, type RatesInput, type RejectedCell, type RateRejectReason } from './rates.import-ecb.ts';

/** Decimal arithmetic for rates: far more digits than any amount × rate needs, half to even. */
const D = Decimal.clone({ precision: 64, rounding: Decimal.ROUND_HALF_EVEN });

/** Significant digits of a derived (inverse or cross) rate. */
export const DERIVED_RATE_DIGITS = 20;
/** A rate older than this many days before the requested date is not used. */
export const RATE_MAX_AGE_DAYS = 7;
export const ECB_SOURCE = 'ECB';
const ECB_BASE = 'EUR';

/** `ECB` for a looked-up rate; `identity` when both currencies are the same (rate 1, no look-up). */
export type RateSource = 'ECB' | 'identity';

/** The rate to convert `from` → `to`: units of `to` for one unit of `from`. */
export interface RateQuote {
  /** Decimal string, e.g. `163.36`, `0.0061214495592556317336`. */
  rate: string;
  source: RateSource;
  /** Publication day of the rate(s) used (`YYYY-MM-DD`); the requested date for `identity`. */
  rateDate: string;
  /** `EUR` for a cross rate between two other currencies. */
  via?: 'EUR';
}

/** No usable rate: none on the date or in the `RATE_MAX_AGE_DAYS` days before it. */
export class NoRate extends AppError {
  readonly from: string;
  readonly to: string;
  readonly date: string;
  constructor(from: string, to: string, date: string) {
    super(422, 'no_rate', 'rates.no_rate');
    this.from = from;
    this.to = to;
    this.date = date;
    this.message = `no_rate: ${from}→${to} on ${date}`;
  }
  /** The field error for the field that named the date or currency (`rates.no_rate_for`). */
  toFieldError(field: string): FieldError {
    return { field, messageId: 'rates.no_rate_for', values: { from: this.from, to: this.to, date: this.date, days: RATE_MAX_AGE_DAYS } };
  }
}

// ---- Import --------------------------------------------------------------------------------

/** A stored rate that the file gives differently; the stored one is kept unless `replace`. */
export interface RateConflict {
  line: number;
  currency: string;
  date: string;
  stored: string;
  file: string;
}

/** Outcome of `importEcbRates`. Counts are of cells (one currency on one day) unless named lines. */
export interface EcbImportReport {
  /** Data lines read (header and blank lines excluded), refused ones included. */
  lines: number;
  inserted: number;
  /** Already stored with the same value (compared as decimals: `1.10` = `1.1`). */
  unchanged: number;
  /** Stored with another value and overwritten (only with `replace`). */
  replaced: number;
  /** Stored with another value and kept (without `replace`), by line. */
  conflicts: RateConflict[];
  /** `N/A` cells. */
  skippedNotAvailable: number;
  /** Rates of currencies that ISO 4217 no longer lists (CYP, HRK …): not stored. */
  skippedUnknownCurrency: number;
  /** Those currencies' codes, sorted. */
  unknownCurrencies: string[];
  /** Refused lines and cells, by line. */
  rejected: RejectedCell[];
  /** First and last day of the accepted lines, or null when there were none. */
  firstDate: string | null;
  lastDate: string | null;
  /** Codes with at least one rate stored or confirmed by this file, sorted. */
  currencies: string[];
}

/** Lines per batch: one look-up of the stored rates and a few multi-row inserts each. */
const BATCH_LINES = 250;
/** Rows per INSERT (6 parameters each; well below SQLite's and PostgreSQL's limits). */
const INSERT_ROWS = 1000;

interface RateCell {
  line: number;
  currency: string;
  date: string;
  rate: string;
}

/**
 * Imports ECB euro reference rates (`eurofxref-hist.csv` or the one-day `eurofxref.csv`; rules
 * of the file in rates.import-ecb.ts) into `exchange_rates` with source `ECB`, base `EUR`.
 * - Idempotent: a rate already stored with the same value is counted `unchanged`; one stored
 *   with another value is a conflict (reported by line, the stored rate kept) unless
 *   `replace`, which overwrites it. A day given twice in the file behaves the same way.
 * - `N/A` cells are skipped and counted, never errors. Rates of currencies that ISO 4217 no
 *   longer lists (`minorDigits` refuses them: CYP, EEK, HRK …) are not stored, because no
 *   amount in them can exist here; they are counted in `skippedUnknownCurrency`.
 * - Refused lines and cells are reported by line and column; the rest of the file is imported.
 * - Everything runs in one transaction (the caller's, when `db` is one), in batches of lines:
 *   a failure of the database stores nothing of the file.
 * @param input the file's text or bytes, or a stream of it (read once, as it arrives).
 * @throws {RatesFileError} empty file or a header that is not `Date` + currency codes.
 */
export async function importEcbRates(
  db: Db,
  input: RatesInput,
  o: { replace?: boolean; fileName?: string; importedAt?: string } = {},
): Promise<EcbImportReport> {
  const report: EcbImportReport = {
    lines: 0,
    inserted: 0,
    unchanged: 0,
    replaced: 0,
    conflicts: [],
    skippedNotAvailable: 0,
    skippedUnknownCurrency: 0,
    unknownCurrencies: [],
    rejected: [],
    firstDate: null,
    lastDate: null,
    currencies: [],
  };
  const importedAt = o.importedAt ?? nowInstant();
  const unknown = new Set<string>();
  const currencies = new Set<string>();
  await inTransaction(db, async (tx) => {
    let batch: RateCell[] = [];
    let batchLines = 0;
    for await (const l of readEcbCsv(input, o.fileName)) {
      report.lines += 1;
      report.rejected.push(...l.rejected);
      report.skippedNotAvailable += l.notAvailable.length;
      if (l.date) {
        if (!report.firstDate || l.date < report.firstDate) report.firstDate = l.date;
        if (!report.lastDate || l.date > report.lastDate) report.lastDate = l.date;
      }
      for (const r of l.rates) {
        if (!isCurrency(r.currency)) {
          unknown.add(r.currency);
          report.skippedUnknownCurrency += 1;
        } else {
          batch.push({ line: l.line, currency: r.currency, date: l.date!, rate: r.rate });
          currencies.add(r.currency);
        }
      }
      if (++batchLines >= BATCH_LINES) {
        await storeRates(tx, batch, { replace: !!o.replace, importedAt }, report);
        batch = [];
        batchLines = 0;
      }
    }
    await storeRates(tx, batch, { replace: !!o.replace, importedAt }, report);
  });
  report.rejected.sort((a, b) => a.line - b.line);
  report.conflicts.sort((a, b) => a.line - b.line);
  report.unknownCurrencies = [...unknown].sort();
  report.currencies = [...currencies].sort();
  return report;
}

const sameRate = (a: string, b: string) => new D(a).eq(b);

/** Writes one batch of ECB cells: inserts new ones, compares existing ones (see importEcbRates). */
async function storeRates(tx: Tx, cells: RateCell[], o: { replace: boolean; importedAt: string }, report: EcbImportReport): Promise<void> {
  if (!cells.length) return;
  let lo = cells[0]!.date;
  let hi = lo;
  for (const c of cells) {
    if (c.date < lo) lo = c.date;
    if (c.date > hi) hi = c.date;
  }
  const stored = new Map<string, string>();
  const rows = await tx
    .selectFrom('exchange_rates')
    .select(['quote', 'rate_date', 'rate'])
    .where('source', '=', ECB_SOURCE)
    .where('base', '=', ECB_BASE)
    .where('rate_date', '>=', lo)
    .where('rate_date', '<=', hi)
    .execute();
  for (const r of rows) stored.set(`${r.rate_date}|${r.quote}`, r.rate);

  const inserts: RateCell[] = [];
  for (const c of cells) {
    const key = `${c.date}|${c.currency}`;
    const before = stored.get(key);
    if (before === undefined) {
      inserts.push(c);
      stored.set(key, c.rate);
    } else if (sameRate(before, c.rate)) {
      report.unchanged += 1;
    } else if (o.replace) {
      // A day given twice in one file: the later line wins; written once the batch's inserts are in.
      const pending = inserts.find((p) => p.date === c.date && p.currency === c.currency);
      if (pending) pending.rate = c.rate;
      else {
        await tx
          .updateTable('exchange_rates')
          .set({ rate: c.rate, imported_at: o.importedAt })
          .where('source', '=', ECB_SOURCE)
          .where('base', '=', ECB_BASE)
          .where('quote', '=', c.currency)
          .where('rate_date', '=', c.date)
          .execute();
      }
      stored.set(key, c.rate);
      report.replaced += 1;
    } else {
      report.conflicts.push({ line: c.line, currency: c.currency, date: c.date, stored: before, file: c.rate });
    }
  }
  for (let i = 0; i < inserts.length; i += INSERT_ROWS) {
    const chunk = inserts.slice(i, i + INSERT_ROWS);
    await tx
      .insertInto('exchange_rates')
      .values(chunk.map((c) => ({ source: ECB_SOURCE, base: ECB_BASE, quote: c.currency, rate_date: c.date, rate: c.rate, imported_at: o.importedAt })))
      .execute();
  }
  report.inserted += inserts.length;
}

// ---- Look-up and conversion ------------------------------------------------------------------

/** `date` (YYYY-MM-DD) moved by `days` calendar days. */
function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** A request to convert: `amountMinor` (integer minor units of `from`) on date-only `date`. */
export interface ConversionRequest {
  amountMinor: number;
  from: string;
  to: string;
  /** Date-only `YYYY-MM-DD` the rate must be valid on. */
  date: string;
}

/** A converted amount with the rate, its source and date, as the ledger stores them. */
export interface Conversion {
  /** Integer minor units of `to`. */
  amountMinor: number;
  rate: string;
  source: RateSource;
  rateDate: string;
  via?: 'EUR';
}

function checkPair(from: string, to: string, date: string): void {
  if (!isCurrency(from)) throw new UnknownCurrency(from);
  if (!isCurrency(to)) throw new UnknownCurrency(to);
  if (typeof date !== 'string' || !isDateOnly(date)) throw new ValidationFailed([{ field: 'date', messageId: 'validation.date' }]);
}

/** ECB rates loaded for a period: publication days in order and, per day, quote → rate. */
export interface LoadedRates {
  days: string[];
  byDay: Map<string, Map<string, string>>;
}

/**
 * ECB rates (EUR → quote) for `quotes` published from `lo` to `hi` (date-only, inclusive), by
 * day: one query whatever the number of look-ups it serves (see {@link pickRate}).
 */
export async function loadRates(db: Db, quotes: string[], lo: string, hi: string): Promise<LoadedRates> {
  const byDay = new Map<string, Map<string, string>>();
  if (quotes.length) {
    const rows = await db
      .selectFrom('exchange_rates')
      .select(['quote', 'rate_date', 'rate'])
      .where('source', '=', ECB_SOURCE)
      .where('base', '=', ECB_BASE)
      .where('quote', 'in', quotes)
      .where('rate_date', '>=', lo)
      .where('rate_date', '<=', hi)
      .execute();
    for (const r of rows) {
      let day = byDay.get(r.rate_date);
      if (!day) byDay.set(r.rate_date, (day = new Map()));
      day.set(r.quote, r.rate);
    }
  }
  return { days: [...byDay.keys()].sort(), byDay };
}

/**
 * The rate for `from` → `to` on `date` out of loaded rates (the latest publication day on or
 * before `date` that has what the pair needs, at most `maxAgeDays` older), or null. Derived
 * (inverse and cross) rates are computed exactly as {@link rateOn} does.
 */
export function pickRate(rates: LoadedRates, from: string, to: string, date: string, maxAgeDays: number = RATE_MAX_AGE_DAYS): RateQuote | null {
  if (from === to) return { rate: '1', source: 'identity', rateDate: date };
  const oldest = Number.isFinite(maxAgeDays) ? addDays(date, -maxAgeDays) : '0000-01-01';
  // Latest day ≤ date: binary search for the first day after it, then walk back.
  let lo = 0;
  let hi = rates.days.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (rates.days[mid]! <= date) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo - 1; i >= 0 && rates.days[i]! >= oldest; i--) {
    const day = rates.byDay.get(rates.days[i]!)!;
    const rateDate = rates.days[i]!;
    if (from === ECB_BASE) {
      const r = day.get(to);
      if (r !== undefined) return { rate: r, source: 'ECB', rateDate };
    } else if (to === ECB_BASE) {
      const r = day.get(from);
      if (r !== undefined) return { rate: derived(new D(1).div(r)), source: 'ECB', rateDate };
    } else {
      const rf = day.get(from);
      const rt = day.get(to);
      if (rf !== undefined && rt !== undefined) return { rate: derived(new D(rt).div(rf)), source: 'ECB', rateDate, via: 'EUR' };
    }
  }
  return null;
}

/** A derived rate as a plain decimal string of `DERIVED_RATE_DIGITS` significant digits. */
function derived(value: Decimal): string {
  return value.toSignificantDigits(DERIVED_RATE_DIGITS, Decimal.ROUND_HALF_EVEN).toFixed();
}

const quotesOf = (from: string, to: string) => [from, to].filter((c) => c !== ECB_BASE);

/**
 * The rate to convert `from` → `to` (ISO 4217 codes) valid on the date-only `date`: the latest
 * ECB publication on or before it, at most `RATE_MAX_AGE_DAYS` days older; EUR→X direct, X→EUR
 * inverse, X→Y cross via EUR from one publication day (see the module comment for rounding).
 * Same currency: rate `1`, source `identity`, no look-up.
 * @throws {NoRate} when no such rate is stored.
 * @throws {UnknownCurrency} for a code `minorDigits` refuses.
 * @throws {ValidationFailed} (field `date`) when `date` is not `YYYY-MM-DD`.
 */
export async function rateOn(db: Db, q: { from: string; to: string; date: string }): Promise<RateQuote> {
  checkPair(q.from, q.to, q.date);
  if (q.from === q.to) return { rate: '1', source: 'identity', rateDate: q.date };
  const rates = await loadRates(db, quotesOf(q.from, q.to), addDays(q.date, -RATE_MAX_AGE_DAYS), q.date);
  const found = pickRate(rates, q.from, q.to, q.date);
  if (!found) throw new NoRate(q.from, q.to, q.date);
  return found;
}

/**
 * `amountMinor` (integer minor units of `from`, any sign) × `rate` (units of `to` per unit of
 * `from`, a decimal string) → integer minor units of `to`: computed exactly, then rounded once
 * to the target's ISO 4217 minor unit, half to even. Pure; what `convertMinor` uses.
 * @throws {RangeError} when `amountMinor` is not a safe integer or `rate` not a positive decimal.
 * @throws {AmountError} `too_large` when the result is beyond `Number.MAX_SAFE_INTEGER`.
 * @throws {UnknownCurrency} for a code `minorDigits` refuses.
 */
export function applyRate(amountMinor: number, from: string, to: string, rate: string): number {
  if (!Number.isSafeInteger(amountMinor)) throw new RangeError(`minor units must be a safe integer, not ${amountMinor}`);
  if (!/^\d+(\.\d+)?$/.test(rate) || new D(rate).isZero()) throw new RangeError(`not a positive decimal rate: ${rate}`);
  const shift = minorDigits(to) - minorDigits(from);
  const exact = new D(amountMinor).times(rate).times(new D(10).pow(shift));
  const n = exact.toDecimalPlaces(0, Decimal.ROUND_HALF_EVEN).toNumber();
  if (!Number.isSafeInteger(n)) throw new AmountError('too_large');
  return n === 0 ? 0 : n;
}

/**
 * Converts integer minor units of `from` into minor units of `to` with the rate valid on `date`
 * (`rateOn`), rounding half to even to the target's ISO 4217 minor unit (`applyRate`). Returns
 * the amount with the rate string, source and publication day used, as a ledger entry stores
 * them. Same currency: the amount itself, rate `1`, source `identity`, no look-up.
 * @throws {NoRate}, {UnknownCurrency}, {ValidationFailed} as `rateOn`; {AmountError} `too_large`;
 *   {RangeError} when `amountMinor` is not a safe integer.
 */
export async function convertMinor(db: Db, c: ConversionRequest): Promise<Conversion> {
  const [result] = await convertMany(db, [c]);
  return result!;
}

/**
 * `convertMinor` for many requests (e.g. a report over months) with a single query for all
 * their dates and currencies. Results are in the order of `requests`.
 * @throws the first error any request would throw in `convertMinor` (checked before the query
 *   for currencies, dates and amounts; `NoRate` after it).
 */
export async function convertMany(db: Db, requests: readonly ConversionRequest[]): Promise<Conversion[]> {
  const quotes = new Set<string>();
  let lo: string | null = null;
  let hi: string | null = null;
  for (const r of requests) {
    checkPair(r.from, r.to, r.date);
    if (!Number.isSafeInteger(r.amountMinor)) throw new RangeError(`minor units must be a safe integer, not ${r.amountMinor}`);
    if (r.from === r.to) continue;
    for (const q of quotesOf(r.from, r.to)) quotes.add(q);
    const oldest = addDays(r.date, -RATE_MAX_AGE_DAYS);
    if (lo === null || oldest < lo) lo = oldest;
    if (hi === null || r.date > hi) hi = r.date;
  }
  const rates = lo && hi ? await loadRates(db, [...quotes], lo, hi) : { days: [], byDay: new Map() };
  return requests.map((r) => {
    if (r.from === r.to) return { amountMinor: r.amountMinor, rate: '1', source: 'identity', rateDate: r.date };
    const q = pickRate(rates, r.from, r.to, r.date);
    if (!q) throw new NoRate(r.from, r.to, r.date);
    return { amountMinor: applyRate(r.amountMinor, r.from, r.to, q.rate), ...q };
  });
}
