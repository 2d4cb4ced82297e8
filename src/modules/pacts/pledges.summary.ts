import { DateTime } from 'luxon';
import type { PledgeFrequency } from '../../db/schema.ts';
import type { PledgeView } from './pledges.service.ts';

/**
 * Pledged against fulfilled, in aggregate, for the pact's public page: per currency and
 * frequency, what the running pledges promise for the current period and what arrived for them
 * in it. Amounts are never added across currencies or across period lengths (a month and a
 * quarter are shown apart, so nothing is divided or rounded).
 */

/** One line of the summary (minor units of `currency`). */
export interface PledgeSummaryLine {
  currency: string;
  frequency: PledgeFrequency;
  /** Number of pledges counted. */
  pledges: number;
  /** Sum of what they promise for `period` (for one-off pledges: their whole amount). */
  dueMinor: number;
  /** Sum of contributions naming them with a value date in their current period (one-off: in their period). */
  fulfilledMinor: number;
  /** The current calendar month or quarter (date-only, inclusive); null for one-off pledges. */
  period: { start: string; end: string } | null;
}

export interface PledgeSummary {
  lines: PledgeSummaryLine[];
  /** Pledges not cancelled that have at least one overdue period. */
  overduePledges: number;
  /** All pledges of the pact, running or not (so an empty table can tell "none yet" from "none running now"). */
  pledgeCount: number;
}

const ORDER: Record<PledgeFrequency, number> = { monthly: 0, quarterly: 1, once: 2 };

/**
 * Summarizes `pledges` (as `listPledges` returns them, periods computed up to `today`, date-only).
 * Counted: pledges not cancelled; a monthly or quarterly one only while it runs (its current
 * period holds `today`: started, not ended before this month or quarter); a one-off pledge always,
 * with what arrived in its period. The current period of every monthly pledge is this calendar
 * month and of every quarterly one this calendar quarter (see `pledgePeriods`), so they add up.
 */
export function summarizePledges(pledges: readonly PledgeView[], today: string): PledgeSummary {
  const lines = new Map<string, PledgeSummaryLine>();
  const day = DateTime.fromISO(today, { zone: 'UTC' });
  for (const p of pledges) {
    if (p.cancelledAt) continue;
    let due: number;
    let fulfilled: number;
    let period: PledgeSummaryLine['period'] = null;
    if (p.frequency === 'once') {
      due = p.amountMinor;
      fulfilled = p.periods[0]?.fulfilledMinor ?? 0;
    } else {
      const current = p.periods.find((x) => x.start <= today && today <= x.end);
      if (!current) continue;
      due = current.dueMinor;
      fulfilled = current.fulfilledMinor;
      const unit = p.frequency === 'monthly' ? 'month' : 'quarter';
      period = { start: day.startOf(unit).toISODate()!, end: day.endOf(unit).toISODate()! };
    }
    const key = `${p.currency}|${p.frequency}`;
    const line = lines.get(key) ?? { currency: p.currency, frequency: p.frequency, pledges: 0, dueMinor: 0, fulfilledMinor: 0, period };
    line.pledges += 1;
    line.dueMinor += due;
    line.fulfilledMinor += fulfilled;
    lines.set(key, line);
  }
  return {
    lines: [...lines.values()].sort((a, b) => a.currency.localeCompare(b.currency) || ORDER[a.frequency] - ORDER[b.frequency]),
    overduePledges: pledges.filter((p) => !p.cancelledAt && p.overdue > 0).length,
    pledgeCount: pledges.length,
  };
}
