import { DateTime } from 'luxon';
import type { Db } from '../../db/client.ts';
import { isCurrency } from '../../lib/money.ts';
import { ECB_SOURCE, RATE_MAX_AGE_DAYS, applyRate, loadRates, pickRate, type LoadedRates } from '../rates/rates.service.ts';
import { monthlyTotals, pactBalances, type MonthLine } from './ledger.service.ts';

/**
 * The transparency report of a pact: per month and currency what came in, went out and was
 * charged in fees, and the balance at the month's end (all from the kept month totals, so it
 * costs the same for ten entries or a million); plus, per month, the total converted into one
 * currency with the exchange rates used, each named with its source and publication day.
 *
 * Conversion rule: the rate valid on the month's last day (for the current month: `today`), the
 * latest ECB publication on or before it. When the stored rates end earlier (the rates file was
 * not updated), the latest stored rate is used and marked `stale` with its date, so a reader sees
 * how old it is; a currency the ECB does not publish (e.g. CDF) cannot be converted and is listed
 * under `unconverted` instead of being guessed. Each amount is converted on its own and rounded
 * half to even to the target's minor unit (rates.service `applyRate`), then summed.
 */

/** The rate used for one currency in one month. */
export interface RateUsed {
  currency: string;
  rate: string;
  source: string;
  rateDate: string;
  /** The rate is older than `RATE_MAX_AGE_DAYS` days before the month's end. */
  stale: boolean;
}

/** One month of the report. */
export interface ReportMonth {
  /** `YYYY-MM`. */
  month: string;
  /** Per currency, minor units (see `MonthLine`). */
  lines: MonthLine[];
  /** Sum of every convertible currency in `currency` (minor units), or null without any rate at all. */
  converted: { inMinor: number; outMinor: number; feesMinor: number; closingMinor: number } | null;
  rates: RateUsed[];
  /** Currencies with money in that month that could not be converted. */
  unconverted: string[];
}

export interface TransparencyReport {
  /** The currency of the converted totals (ISO 4217). */
  currency: string;
  months: ReportMonth[];
  /** Current balances per currency. */
  balances: { currency: string; balanceMinor: number }[];
  /** Number of distinct beneficiaries that received at least one disbursement (net of reversals). */
  householdsSupported: number;
}

/** The last day (`YYYY-MM-DD`) of a `YYYY-MM` month. */
function monthEnd(month: string): string {
  return DateTime.fromISO(`${month}-01`, { zone: 'UTC' }).endOf('month').toISODate()!;
}

/** Whole days from `a` to `b` (date-only). */
function daysBetween(a: string, b: string): number {
  return Math.round(DateTime.fromISO(b, { zone: 'UTC' }).diff(DateTime.fromISO(a, { zone: 'UTC' }), 'days').days);
}

/**
 * Rates for a whole report: the ECB rates of the report's currencies over its period, loaded in
 * one query, and per currency at most one more query for the latest rate before the period when
 * the period itself has none (a stale rate), remembered also when there is none at all (CDF).
 */
class ReportRates {
  private readonly db: Db;
  private readonly target: string;
  private loaded: LoadedRates = { days: [], byDay: new Map() };
  private readonly olderTried = new Set<string>();

  constructor(db: Db, target: string) {
    this.db = db;
    this.target = target;
  }

  /** Loads the period `lo`…`hi` (date-only) for `currencies` (and the target). */
  async load(currencies: string[], lo: string, hi: string): Promise<void> {
    const quotes = [...new Set([...currencies, this.target])].filter((c) => c !== 'EUR');
    this.loaded = await loadRates(this.db, quotes, addDays(lo, -RATE_MAX_AGE_DAYS), hi);
  }

  /** The rate used for `from` on `date`: fresh, else the latest stored before it (stale), else null. */
  async rate(from: string, date: string): Promise<RateUsed | null> {
    let quote = pickRate(this.loaded, from, this.target, date) ?? pickRate(this.loaded, from, this.target, date, Infinity);
    if (!quote && !this.olderTried.has(from)) {
      this.olderTried.add(from);
      await this.loadOlder(from, date);
      quote = pickRate(this.loaded, from, this.target, date, Infinity);
    }
    if (!quote) return null;
    return { currency: from, rate: quote.rate, source: quote.source, rateDate: quote.rateDate, stale: daysBetween(quote.rateDate, date) > RATE_MAX_AGE_DAYS };
  }

  /** Adds the latest publication day before the loaded period that has every quote `from` needs. */
  private async loadOlder(from: string, date: string): Promise<void> {
    const quotes = [from, this.target].filter((c) => c !== 'EUR');
    const row = await this.db
      .selectFrom('exchange_rates')
      .select('rate_date')
      .where('source', '=', ECB_SOURCE)
      .where('base', '=', 'EUR')
      .where('quote', 'in', quotes)
      .where('rate_date', '<=', date)
      .groupBy('rate_date')
      .having((eb) => eb.fn.count('quote'), '=', quotes.length)
      .orderBy('rate_date', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!row) return;
    const day = String(row.rate_date);
    const older = await loadRates(this.db, quotes, day, day);
    for (const [d, rates] of older.byDay) {
      const merged = this.loaded.byDay.get(d) ?? new Map<string, string>();
      for (const [q, r] of rates) merged.set(q, r);
      this.loaded.byDay.set(d, merged);
    }
    this.loaded.days = [...this.loaded.byDay.keys()].sort();
  }
}

/** `date` moved by `days` (date-only). */
function addDays(date: string, days: number): string {
  return DateTime.fromISO(date, { zone: 'UTC' }).plus({ days }).toISODate()!;
}

/**
 * Every month from the first with entries to `to` (or the last with entries), each with a line
 * for every currency the pact held by then: a month or currency without entries carries the
 * previous closing balance with zero flows, so the converted closing total counts all money.
 */
function fillMonths(lines: MonthLine[], to?: string): Map<string, MonthLine[]> {
  const out = new Map<string, MonthLine[]>();
  if (!lines.length) return out;
  const last = to && to > lines[lines.length - 1]!.month ? to : lines[lines.length - 1]!.month;
  const closing = new Map<string, number>();
  let i = 0;
  for (let m = DateTime.fromISO(`${lines[0]!.month}-01`, { zone: 'UTC' }); m.toFormat('yyyy-MM') <= last; m = m.plus({ months: 1 })) {
    const month = m.toFormat('yyyy-MM');
    const own = new Map<string, MonthLine>();
    while (i < lines.length && lines[i]!.month === month) {
      own.set(lines[i]!.currency, lines[i]!);
      closing.set(lines[i]!.currency, lines[i]!.closingMinor);
      i++;
    }
    out.set(
      month,
      [...closing.keys()].sort().map(
        (currency) => own.get(currency) ?? { month, currency, inMinor: 0, outMinor: 0, feesMinor: 0, movedMinor: 0, closingMinor: closing.get(currency)!, entryCount: 0 },
      ),
    );
  }
  return out;
}

/**
 * Builds the transparency report of a pact for the months `from`…`to` (`YYYY-MM`, inclusive;
 * default all months with entries), converted into `currency` (default: the pact's goal
 * currency, else EUR). `today` (date-only) is the conversion day of the current month.
 * @throws {RangeError} for a target currency that is not ISO 4217.
 */
export async function transparencyReport(
  db: Db,
  pact: { id: string; goal_currency: string | null },
  o: { currency?: string; from?: string; to?: string; today: string },
): Promise<TransparencyReport> {
  const currency = o.currency ?? pact.goal_currency ?? 'EUR';
  if (!isCurrency(currency)) throw new RangeError(`not an ISO 4217 currency: ${currency}`);
  const [lines, balances, households] = await Promise.all([
    monthlyTotals(db, pact.id),
    pactBalances(db, pact.id),
    db
      .selectFrom('ledger_entries')
      .select('counterparty_beneficiary_id as b')
      .where('pact_id', '=', pact.id)
      .where('flow', '=', 'disbursement')
      .where('counterparty_beneficiary_id', 'is not', null)
      .groupBy('counterparty_beneficiary_id')
      .having((eb) => eb.fn.sum('amount_minor'), '<', 0)
      .execute(),
  ]);
  const byMonth = fillMonths(lines, o.to);
  const currentMonth = o.today.slice(0, 7);
  const rates = new ReportRates(db, currency);
  const shown = [...byMonth.keys()].filter((m) => !((o.from && m < o.from) || (o.to && m > o.to)));
  if (shown.length) {
    const held = new Set(shown.flatMap((m) => byMonth.get(m)!.map((l) => l.currency)));
    const lastDay = shown[shown.length - 1]! === currentMonth ? o.today : monthEnd(shown[shown.length - 1]!);
    await rates.load([...held], monthEnd(shown[0]!), lastDay);
  }
  const months: ReportMonth[] = [];
  for (const [month, monthLines] of byMonth) {
    if ((o.from && month < o.from) || (o.to && month > o.to)) continue;
    const day = month === currentMonth ? o.today : monthEnd(month);
    const converted = { inMinor: 0, outMinor: 0, feesMinor: 0, closingMinor: 0 };
    const used: RateUsed[] = [];
    const unconverted: string[] = [];
    let any = false;
    for (const l of monthLines) {
      const rate = await rates.rate(l.currency, day);
      if (!rate) {
        if (l.closingMinor !== 0 || l.inMinor !== 0 || l.outMinor !== 0 || l.feesMinor !== 0) unconverted.push(l.currency);
        continue;
      }
      any = true;
      if (rate.source !== 'identity') used.push(rate);
      converted.inMinor += applyRate(l.inMinor, l.currency, currency, rate.rate);
      converted.outMinor += applyRate(l.outMinor, l.currency, currency, rate.rate);
      converted.feesMinor += applyRate(l.feesMinor, l.currency, currency, rate.rate);
      converted.closingMinor += applyRate(l.closingMinor, l.currency, currency, rate.rate);
    }
    months.push({ month, lines: monthLines, converted: any ? converted : null, rates: used, unconverted });
  }
  return {
    currency,
    months,
    balances: balances.map((b) => ({ currency: b.currency, balanceMinor: b.balanceMinor })),
    householdsSupported: households.length,
  };
}
