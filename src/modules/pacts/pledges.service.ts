import { DateTime } from 'luxon';
import { inTransaction, type Db } from '../../db/client.ts';
import type { Viewer } from '../../http/viewer.ts';
import type { PledgeFrequency, PledgesTable } from '../../db/schema.ts';
import { Forbidden, NotFound, SignInRequired, ValidationFailed } from '../../http/errors.ts';
import { FieldChecker } from '../../lib/validate.ts';
import { newId } from '../../lib/ids.ts';
import { nowInstant } from '../../lib/time.ts';
import { canSee } from '../../db/visibility.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { canPublishFor } from '../struggles/struggles.service.ts';
import { amountField, currencyField, getPact, isPactCoordinator, type PactRecord } from './pacts.service.ts';

export const PLEDGE_FREQUENCIES: readonly PledgeFrequency[] = ['once', 'monthly', 'quarterly'];
export const PLEDGER_KINDS = ['organization', 'person'] as const;
/** At most this many periods are computed per pledge (ten years of months). */
const MAX_PERIODS = 120;

/** Raw pledge input from a form or the API. */
export interface PledgeInput {
  /** `organization` (then `organization` is the slug of the pledging organization) or `person`. */
  pledgerKind?: unknown;
  organization?: unknown;
  /**
   * For `person`: empty means the signed-in viewer pledges; a name (coordinators only) records
   * the pledge of someone without an account.
   */
  name?: unknown;
  /** Decimal text in `currency` per installment, positive. */
  amount?: unknown;
  currency?: unknown;
  frequency?: unknown;
  /** Date-only; the first period starts in this month (quarter); `endDate` optional, inclusive. */
  startDate?: unknown;
  endDate?: unknown;
  note?: unknown;
}

/**
 * Records a pledge on a pact the viewer can see (an open or paused pact). An organization pledges
 * through someone who may publish for it (admin, coordinator, member) or through a pact
 * coordinator recording it on its behalf; a person pledges for themselves, or a coordinator records
 * a named person's pledge. Writes `pact.pledge_recorded` to the pact owner's audit log.
 * @throws {NotFound}; {SignInRequired}; {Forbidden}; {ValidationFailed} on `pledgerKind`,
 *   `organization`, `name`, `amount`, `currency`, `frequency`, `startDate` (also before the pact's
 *   period starts or after it ends), `endDate`, `note`;
 *   {Conflict} on a closed pact.
 */
export async function createPledge(db: Db, viewer: Viewer | null, slug: string, input: PledgeInput): Promise<{ id: string }> {
  if (!viewer) throw new SignInRequired();
  return inTransaction(db, async (tx) => {
    const pact = await getPact(tx, viewer, slug);
    if (pact.status === 'closed') throw new ValidationFailed([{ field: 'amount', messageId: 'pacts.errors.closed' }]);
    const coordinator = isPactCoordinator(viewer, pact);
    const c = new FieldChecker();
    const kind = c.oneOf('pledgerKind', input.pledgerKind || 'organization', PLEDGER_KINDS);
    const orgSlug = kind === 'organization' ? c.line('organization', input.organization, { required: true, max: 80 }) : null;
    const name = kind === 'person' ? c.line('name', input.name, { max: 200 }) : null;
    if (name && !coordinator) c.fail('name', 'pacts.validation.pledge_name_coordinators');
    const currency = currencyField(c, 'currency', input.currency);
    const amount = amountField(c, 'amount', input.amount, currency, { required: true });
    if (amount !== null && amount <= 0) c.fail('amount', 'money.amount.not_positive');
    const frequency = c.oneOf('frequency', input.frequency || 'monthly', PLEDGE_FREQUENCIES);
    const startDate = c.date('startDate', input.startDate, { required: true });
    const endDate = c.date('endDate', input.endDate);
    if (startDate && endDate && endDate < startDate) c.fail('endDate', 'validation.end_before_start');
    if (startDate && startDate < pact.period_start) c.fail('startDate', 'pacts.validation.before_pact_start', { date: pact.period_start });
    if (startDate && pact.period_end && startDate > pact.period_end) c.fail('startDate', 'pacts.validation.after_pact_end', { date: pact.period_end });
    const note = c.line('note', input.note, { max: 500 });
    if (c.errors.length) throw new ValidationFailed(c.errors);
    let organizationId: string | null = null;
    if (kind === 'organization') {
      const org = await tx.selectFrom('organizations').select('id').where('slug', '=', orgSlug!).executeTakeFirst();
      if (!org) throw new ValidationFailed([{ field: 'organization', messageId: 'validation.organization_unknown', values: { slugs: orgSlug! } }]);
      if (!coordinator && !canPublishFor(viewer, org.id)) throw new Forbidden();
      organizationId = org.id;
    }
    const id = newId();
    await tx
      .insertInto('pledges')
      .values({
        id,
        pact_id: pact.id,
        organization_id: organizationId,
        user_id: kind === 'person' && !name ? viewer.userId : null,
        pledger_name: name,
        amount_minor: amount!,
        currency: currency!,
        frequency: frequency!,
        start_date: startDate!,
        end_date: endDate,
        note,
        cancelled_at: null,
        created_by: viewer.userId,
        created_at: nowInstant(),
      })
      .execute();
    await recordAudit(tx, viewer, {
      organizationId: pact.organization_id,
      action: 'pact.pledge_recorded',
      subjectType: 'pact',
      subjectId: pact.id,
      details: { pledge: id, amountMinor: amount, currency, frequency },
    });
    return { id };
  });
}

/**
 * Ends a pledge from today on (it stays in the history with its periods so far): the person who
 * made it, someone who may publish for the pledging organization, or a pact coordinator.
 * @throws {NotFound}; {SignInRequired}; {Forbidden}.
 */
export async function cancelPledge(db: Db, viewer: Viewer | null, slug: string, pledgeId: string): Promise<void> {
  if (!viewer) throw new SignInRequired();
  await inTransaction(db, async (tx) => {
    const pact = await getPact(tx, viewer, slug);
    const pledge = await tx.selectFrom('pledges').selectAll().where('id', '=', pledgeId).where('pact_id', '=', pact.id).executeTakeFirst();
    if (!pledge) throw new NotFound();
    if (!canManagePledge(viewer, pact, pledge)) throw new Forbidden();
    if (pledge.cancelled_at) return;
    await tx.updateTable('pledges').set({ cancelled_at: nowInstant() }).where('id', '=', pledge.id).execute();
    await recordAudit(tx, viewer, { organizationId: pact.organization_id, action: 'pact.pledge_cancelled', subjectType: 'pact', subjectId: pact.id, details: { pledge: pledge.id } });
  });
}

/** Who may cancel a pledge: its maker, the pledging organization's publishers, pact coordinators. */
export function canManagePledge(viewer: Viewer | null, pact: PactRecord, pledge: Pick<PledgesTable, 'created_by' | 'user_id' | 'organization_id'>): boolean {
  if (!viewer) return false;
  if (isPactCoordinator(viewer, pact)) return true;
  if (pledge.created_by === viewer.userId || pledge.user_id === viewer.userId) return true;
  return pledge.organization_id !== null && canPublishFor(viewer, pledge.organization_id);
}

/** One period of a pledge: what was due and what arrived (minor units of the pledge's currency). */
export interface PledgePeriod {
  /** Date-only, inclusive. */
  start: string;
  end: string;
  dueMinor: number;
  fulfilledMinor: number;
  /**
   * `fulfilled` (arrived ≥ due), `overdue` (the period ended before `today` with less), `open`
   * (the current period, not complete yet).
   */
  state: 'fulfilled' | 'overdue' | 'open';
}

/**
 * The periods of a pledge up to `today` (date-only), each with the contributions that name the
 * pledge and whose value date falls in it. Monthly pledges have calendar months, quarterly ones
 * calendar quarters (Jan–Mar, …), starting with the month/quarter of `start_date` (the first
 * period begins on `start_date`); the last is the one holding `end_date`, the cancellation day, or
 * `today`, whichever comes first. A one-off pledge has one period from `start_date` to `end_date`
 * (or `start_date` when none): it is due by its end. Periods beyond `today` are not listed.
 * Calendar arithmetic by luxon (ISO 8601 calendar dates).
 * @param contributions `[{ valueDate, amountMinor }]` of the pledge's currency, reversals
 *   included with their negative amounts.
 */
export function pledgePeriods(
  pledge: Pick<PledgesTable, 'frequency' | 'start_date' | 'end_date' | 'cancelled_at' | 'amount_minor'>,
  contributions: { valueDate: string; amountMinor: number }[],
  today: string,
): PledgePeriod[] {
  const cancelledOn = pledge.cancelled_at ? pledge.cancelled_at.slice(0, 10) : null;
  const stopCandidates = [pledge.end_date, cancelledOn, today].filter((d): d is string => !!d).sort();
  const stop = stopCandidates[0]!;
  const due = Number(pledge.amount_minor);
  const spans: { start: string; end: string }[] = [];
  if (pledge.frequency === 'once') {
    spans.push({ start: pledge.start_date, end: pledge.end_date ?? pledge.start_date });
  } else if (pledge.start_date <= stop) {
    const months = pledge.frequency === 'monthly' ? 1 : 3;
    const first = DateTime.fromISO(pledge.start_date, { zone: 'UTC' });
    let periodStart = pledge.frequency === 'monthly' ? first.startOf('month') : first.startOf('quarter');
    while (spans.length < MAX_PERIODS) {
      const periodEnd = periodStart.plus({ months }).minus({ days: 1 });
      const s = periodStart.toISODate()!;
      if (s > stop) break;
      spans.push({ start: s < pledge.start_date ? pledge.start_date : s, end: periodEnd.toISODate()! });
      periodStart = periodStart.plus({ months });
    }
  }
  return spans
    .filter((p) => p.start <= today || pledge.frequency === 'once')
    .map((p) => {
      const fulfilled = contributions.filter((c) => c.valueDate >= p.start && c.valueDate <= p.end).reduce((sum, c) => sum + c.amountMinor, 0);
      const state: PledgePeriod['state'] = fulfilled >= due ? 'fulfilled' : p.end < today ? 'overdue' : 'open';
      return { start: p.start, end: p.end, dueMinor: due, fulfilledMinor: fulfilled, state };
    });
}

/** A pledge as the pact page and API show it. */
export interface PledgeView {
  id: string;
  /** `organization` or `person`. */
  pledgerKind: 'organization' | 'person';
  /** Organization name (when visible to the viewer) or the person's name for coordinators and the person; null otherwise. */
  pledgerName: string | null;
  organizationSlug: string | null;
  amountMinor: number;
  currency: string;
  frequency: PledgeFrequency;
  startDate: string;
  endDate: string | null;
  cancelledAt: string | null;
  note: string | null;
  periods: PledgePeriod[];
  overdue: number;
  canManage: boolean;
}

/**
 * The pledges of a pact with their periods up to `today` and overdue counts. Persons' names are
 * shown to pact coordinators and to the person only; organization names when the viewer may see
 * the organization. Notes are for coordinators only.
 */
export async function listPledges(db: Db, viewer: Viewer | null, pact: PactRecord, today: string): Promise<PledgeView[]> {
  const coordinator = isPactCoordinator(viewer, pact);
  const rows = await db
    .selectFrom('pledges as p')
    .leftJoin('organizations as o', 'o.id', 'p.organization_id')
    .leftJoin('users as u', 'u.id', 'p.user_id')
    .select(['p.id', 'p.organization_id', 'p.user_id', 'p.pledger_name', 'p.amount_minor', 'p.currency', 'p.frequency', 'p.start_date', 'p.end_date', 'p.cancelled_at', 'p.note', 'p.created_by'])
    .select(['o.name as org_name', 'o.slug as org_slug', 'o.visibility as org_visibility', 'o.created_by as org_created_by', 'u.display_name as user_name'])
    .where('p.pact_id', '=', pact.id)
    .orderBy('p.created_at')
    .orderBy('p.id')
    .execute();
  const ids = rows.map((r) => r.id);
  const contributions = ids.length
    ? await db
        .selectFrom('ledger_entries')
        .select(['pledge_id', 'value_date', 'amount_minor'])
        .where('pact_id', '=', pact.id)
        .where('pledge_id', 'in', ids)
        .where('flow', '=', 'contribution')
        .execute()
    : [];
  return rows.map((r) => {
    const mine = contributions.filter((c) => c.pledge_id === r.id).map((c) => ({ valueDate: c.value_date, amountMinor: Number(c.amount_minor) }));
    const periods = pledgePeriods({ frequency: r.frequency, start_date: r.start_date, end_date: r.end_date, cancelled_at: r.cancelled_at, amount_minor: Number(r.amount_minor) }, mine, today);
    const isOrg = r.organization_id !== null;
    const orgVisible = isOrg && canSee(viewer, { visibility: r.org_visibility ?? 'private', organization_id: r.organization_id, created_by: r.org_created_by });
    const self = viewer !== null && r.user_id === viewer.userId;
    const personName = r.user_id ? r.user_name : r.pledger_name;
    return {
      id: r.id,
      pledgerKind: isOrg ? 'organization' : 'person',
      pledgerName: isOrg ? (orgVisible ? r.org_name : null) : coordinator || self ? (personName ?? null) : null,
      organizationSlug: orgVisible ? r.org_slug : null,
      amountMinor: Number(r.amount_minor),
      currency: r.currency,
      frequency: r.frequency,
      startDate: r.start_date,
      endDate: r.end_date,
      cancelledAt: r.cancelled_at,
      note: coordinator ? r.note : null,
      periods,
      overdue: periods.filter((p) => p.state === 'overdue').length,
      // Nothing left to cancel once a pledge is cancelled or over.
      canManage: !r.cancelled_at && !(r.end_date && r.end_date < today) && canManagePledge(viewer, pact, r),
    };
  });
}
