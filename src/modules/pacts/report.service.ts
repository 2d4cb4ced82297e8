import { DateTime } from 'luxon';
import type { Db } from '../../db/client.ts';
import { isCurrency } from '../../lib/money.ts';
import { ECB_SOURCE, NoRate, RATE_MAX_AGE_DAYS, applyRate, rateOn, type RateQuote } from '../rates/rates.service.ts';
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
 * The rate to convert `from` → `to` for a report date: the valid one when stored, else the
 * latest stored before the date (stale), else null (no ECB rate for that currency at all).
 */
async function reportRate(db: Db, from: string, to: string, date: string, cache: Map<string, RateQuote | null>): Promise<RateUsed | null> {
  const key = `${from}|${to}|${date}`;
  let quote = cache.get(key);
  if (quote === undefined) {
    try {
      quote = await rateOn(db, { from, to, date });
    } catch (err) {
      if (!(err instanceof NoRate)) throw err;
      // The latest publication day on or before `date` that has every quote the pair needs.
      const quotes = [from, to].filter((c) => c !== 'EUR');
      const row = await db
        .selectFrom('exchange_rates')
        .select((eb) => eb.fn.max('rate_date').as('d'))
        .where('source', '=', ECB_SOURCE)
        .where('quote', 'in', quotes)
        .where('rate_date', '<=', date)
        .groupBy('rate_date')
        .having((eb) => eb.fn.count('quote'), '=', quotes.length)
        .orderBy('rate_date', 'desc')
        .limit(1)
        .executeTakeFirst();
      quote = row?.d ? await rateOn(db, { from, to, date: String(row.d) }).catch(() => null) : null;
    }
    cache.set(key, quote);
  }
  if (!quote) return null;
  return { currency: from, rate: quote.rate, source: quote.source, rateDate: quote.rateDate, stale: daysBetween(quote.rateDate, date) > RATE_MAX_AGE_DAYS };
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
  const cache = new Map<string, RateQuote | null>();
  const currentMonth = o.today.slice(0, 7);
  const months: ReportMonth[] = [];
  for (const [month, monthLines] of byMonth) {
    if ((o.from && month < o.from) || (o.to && month > o.to)) continue;
    const day = month === currentMonth ? o.today : monthEnd(month);
    const converted = { inMinor: 0, outMinor: 0, feesMinor: 0, closingMinor: 0 };
    const rates: RateUsed[] = [];
    const unconverted: string[] = [];
    let any = false;
    for (const l of monthLines) {
      const rate = await reportRate(db, l.currency, currency, day, cache);
      if (!rate) {
        if (l.closingMinor !== 0 || l.inMinor !== 0 || l.outMinor !== 0 || l.feesMinor !== 0) unconverted.push(l.currency);
        continue;
      }
      any = true;
      if (rate.source !== 'identity') rates.push(rate);
      converted.inMinor += applyRate(l.inMinor, l.currency, currency, rate.rate);
      converted.outMinor += applyRate(l.outMinor, l.currency, currency, rate.rate);
      converted.feesMinor += applyRate(l.feesMinor, l.currency, currency, rate.rate);
      converted.closingMinor += applyRate(l.closingMinor, l.currency, currency, rate.rate);
    }
    months.push({ month, lines: monthLines, converted: any ? converted : null, rates, unconverted });
  }
  return {
    currency,
    months,
    balances: balances.map((b) => ({ currency: b.currency, balanceMinor: b.balanceMinor })),
    householdsSupported: households.length,
  };
}
