import { inTransaction, type Db } from '../../db/client.ts';
import type { Viewer } from '../../http/viewer.ts';
import { NotFound, ValidationFailed } from '../../http/errors.ts';
import { FieldChecker } from '../../lib/validate.ts';

import { Decimal } from 'decimal.js';
import { minorDigits } from '../../lib/money.ts';
import { convertMinor, NoRate } from '../rates/rates.service.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { amountField, currencyField, getPactForCoordinator, valueDateField } from './pacts.service.ts';
import { proposeDisbursement } from './disbursements.service.ts';
import { NotReversible, recordEntries, recordExchange, reverseEntry, reverseGroup, type Counterparty, type LedgerEntry, type NewEntry } from './ledger.service.ts';
import { newId } from '../../lib/ids.ts';

/** Who a contribution comes from, as a form or the API names it. */
export const CONTRIBUTOR_KINDS = ['organization', 'person', 'external'] as const;

/** Raw input of a contribution recorded by a coordinator (money that arrived). */
export interface ContributionInput {
  /** Decimal text in `currency`, positive. */
  amount?: unknown;
  currency?: unknown;
  /** Date-only `YYYY-MM-DD` the money arrived; default today in the viewer's time zone. */
  valueDate?: unknown;
  /** `organization` (then `organization` is a slug), `person` or `external` (then `name`). */
  contributorKind?: unknown;
  organization?: unknown;
  name?: unknown;
  reference?: unknown;
  description?: unknown;
  /** Id of the pledge this contribution fulfils (same pact and currency). */
  pledge?: unknown;
  /** Processing fee charged on it (decimal text, positive; recorded as a negative `fee` entry in the same group). */
  fee?: unknown;
}

/** Audit details of an entry: what a coordinator reads in the log, no personal names. */
function auditDetails(e: LedgerEntry): Record<string, unknown> {
  return { seq: Number(e.seq), kind: e.kind, amountMinor: Number(e.amount_minor), currency: e.currency, valueDate: e.value_date };
}

/**
 * Records a contribution (and its fee, when given) on a pact the viewer coordinates, as one
 * group, and writes `pact.entry_recorded` to the audit log of the owning organization.
 * @returns the stored entries (contribution first).
 * @throws {NotFound} unknown/invisible pact or pledge; {SignInRequired}; {Forbidden} not a
 *   coordinator; {ValidationFailed} on `amount`, `currency`, `valueDate`, `contributorKind`,
 *   `organization`, `name`, `reference`, `description`, `pledge`, `fee`;
 *   {PactClosed}.
 */
export async function recordContribution(db: Db, viewer: Viewer | null, slug: string, input: ContributionInput): Promise<LedgerEntry[]> {
  return inTransaction(db, async (tx) => {
    const pact = await getPactForCoordinator(tx, viewer, slug);
    const c = new FieldChecker();
    const currency = currencyField(c, 'currency', input.currency);
    const amount = amountField(c, 'amount', input.amount, currency, { required: true });
    if (amount !== null && amount <= 0) c.fail('amount', 'money.amount.not_positive');
    const feeMinor = amountField(c, 'fee', input.fee, currency);
    if (feeMinor !== null && feeMinor < 0) c.fail('fee', 'money.amount.not_positive');
    if (feeMinor !== null && amount !== null && feeMinor >= amount) c.fail('fee', 'pacts.validation.fee_too_large');
    const valueDate = valueDateField(c, 'valueDate', input.valueDate, viewer!.timeZone);
    const kind = c.oneOf('contributorKind', input.contributorKind || 'external', CONTRIBUTOR_KINDS);
    const orgSlug = kind === 'organization' ? c.line('organization', input.organization, { required: true, max: 80 }) : null;
    const name = c.line('name', input.name, { max: 200 });
    const reference = c.line('reference', input.reference, { max: 200 });
    const description = c.text('description', input.description, { max: 2000 });
    const pledgeId = c.line('pledge', input.pledge, { max: 40 });
    if (c.errors.length) throw new ValidationFailed(c.errors);
    let counterparty: Counterparty;
    if (kind === 'organization') {
      const org = await tx.selectFrom('organizations').select('id').where('slug', '=', orgSlug!).executeTakeFirst();
      if (!org) throw new ValidationFailed([{ field: 'organization', messageId: 'validation.organization_unknown', values: { slugs: orgSlug! } }]);
      counterparty = { kind: 'organization', organizationId: org.id, name };
    } else if (kind === 'person') {
      counterparty = { kind: 'person', name };
    } else counterparty = { kind: 'external', name };
    if (pledgeId) {
      const pledge = await tx.selectFrom('pledges').select(['currency', 'cancelled_at']).where('id', '=', pledgeId).where('pact_id', '=', pact.id).executeTakeFirst();
      if (!pledge) throw new ValidationFailed([{ field: 'pledge', messageId: 'pacts.validation.pledge_unknown' }]);
      if (pledge.currency !== currency) throw new ValidationFailed([{ field: 'pledge', messageId: 'pacts.validation.pledge_currency', values: { currency: pledge.currency } }]);
    }
    const entries: NewEntry[] = [{ kind: 'contribution', amountMinor: amount!, currency: currency!, valueDate, counterparty, reference, description, pledgeId }];
    if (feeMinor) entries.push({ kind: 'fee', amountMinor: -feeMinor, currency: currency!, valueDate, counterparty: { kind: 'external', name: null }, reference, description: null });
    const stored = await recordEntries(tx, { pactId: pact.id, entries, recordedBy: viewer!.userId });
    for (const e of stored)
      await recordAudit(tx, viewer, { organizationId: pact.organization_id, action: 'pact.entry_recorded', subjectType: 'pact', subjectId: pact.id, details: auditDetails(e) });
    return stored;
  });
}

/**
 * Reverses one entry of a pact the viewer coordinates (a correction; the original stays) — or,
 * with `wholeGroup`, every entry of its event (a contribution and its fee). `reason` is kept as
 * the reversal's description. Writes `pact.entry_reversed` to the audit log.
 * @throws {NotFound} unknown pact or entry; {Forbidden}; {ValidationFailed} on `reason` (required)
 *   or `valueDate`; {NotReversible}; {Overdraft}; {PactClosed}.
 */
export async function reverseEntryAsCoordinator(
  db: Db,
  viewer: Viewer | null,
  slug: string,
  entryId: string,
  input: { reason?: unknown; valueDate?: unknown; wholeGroup?: unknown },
): Promise<LedgerEntry[]> {
  return inTransaction(db, async (tx) => {
    const pact = await getPactForCoordinator(tx, viewer, slug);
    const c = new FieldChecker();
    const reason = c.line('reason', input.reason, { required: true, max: 500 });
    const valueDate = valueDateField(c, 'valueDate', input.valueDate, viewer!.timeZone);
    if (c.errors.length) throw new ValidationFailed(c.errors);
    const entry = await tx.selectFrom('ledger_entries').select(['id', 'group_id', 'kind']).where('id', '=', entryId).where('pact_id', '=', pact.id).executeTakeFirst();
    if (!entry) throw new NotFound();
    // Half an exchange or half a transfer would leave money that came from nowhere: their legs are
    // always reversed together (a transfer's on both pacts, as one new group).
    const whole = entry.kind === 'exchange' || input.wholeGroup === true || input.wholeGroup === 'true' || input.wholeGroup === 'on';
    let stored: LedgerEntry[];
    if (entry.kind === 'transfer') {
      const legs = await tx
        .selectFrom('ledger_entries as e')
        .select(['e.id', 'e.pact_id', 'e.amount_minor'])
        .where('e.group_id', '=', entry.group_id)
        .where('e.kind', '=', 'transfer')
        .where((eb) => eb.not(eb.exists(eb.selectFrom('ledger_entries as r').select('r.id').whereRef('r.reverses_id', '=', 'e.id'))))
        .execute();
      if (!legs.some((l) => l.id === entry.id)) throw new NotReversible('already_reversed');
      const groupId = newId();
      stored = [];
      // The receiving pact gives the money back first, then the sending pact gets it.
      for (const leg of legs.sort((a, b) => Number(b.amount_minor) - Number(a.amount_minor)))
        stored.push(await reverseEntry(tx, { pactId: leg.pact_id, entryId: leg.id, valueDate, recordedBy: viewer!.userId, description: reason, groupId }));
    } else {
      stored = whole
        ? await reverseGroup(tx, { pactId: pact.id, groupId: entry.group_id, valueDate, recordedBy: viewer!.userId, description: reason })
        : [await reverseEntry(tx, { pactId: pact.id, entryId, valueDate, recordedBy: viewer!.userId, description: reason })];
      if (!stored.length) throw new NotReversible('already_reversed');
    }
    const owners = new Map([[pact.id, pact.organization_id]]);
    for (const e of stored) {
      if (!owners.has(e.pact_id)) owners.set(e.pact_id, (await tx.selectFrom('pacts').select('organization_id').where('id', '=', e.pact_id).executeTakeFirstOrThrow()).organization_id);
      await recordAudit(tx, viewer, { organizationId: owners.get(e.pact_id)!, action: 'pact.entry_reversed', subjectType: 'pact', subjectId: e.pact_id, details: { ...auditDetails(e), reverses: e.reverses_id } });
    }
    return stored;
  });
}

/** Raw input of a currency exchange inside a pact. */
export interface ExchangeInput {
  fromCurrency?: unknown;
  /** Decimal text in `fromCurrency`, positive: what left the pact. */
  fromAmount?: unknown;
  toCurrency?: unknown;
  /** Decimal text in `toCurrency` that arrived, as the bank booked it; empty: converted at the ECB rate of `valueDate`. */
  toAmount?: unknown;
  /** Date-only; default today in the viewer's time zone. */
  valueDate?: unknown;
  /** Who exchanged (a bank, an exchange office). */
  name?: unknown;
  reference?: unknown;
}

/** Digits kept of a rate computed from two booked amounts. */
const BOOKED_RATE_DIGITS = 12;

/**
 * Records a currency exchange on a pact the viewer coordinates: one group of two `exchange`
 * entries (the outgoing amount and the incoming one), both carrying the rate, its source and date.
 * With `toAmount` the rate is the one the bank applied (to ÷ from, in major units, 12 significant
 * digits; source `booked`, date = value date); without it the amount is converted at the ECB
 * reference rate valid on the value date (rates.service `convertMinor`; source `ECB` and its
 * publication day). The outgoing leg may not overdraw. Writes `pact.entry_recorded` per leg.
 * @throws {NotFound}; {SignInRequired}; {Forbidden}; {ValidationFailed} on `fromCurrency`,
 *   `fromAmount`, `toCurrency` (also the same currency twice), `toAmount`, `valueDate` (also
 *   when no ECB rate is stored for that day), `name`, `reference`; {Overdraft}; {PactClosed}.
 */
export async function recordExchangeAsCoordinator(db: Db, viewer: Viewer | null, slug: string, input: ExchangeInput): Promise<LedgerEntry[]> {
  return inTransaction(db, async (tx) => {
    const pact = await getPactForCoordinator(tx, viewer, slug);
    const c = new FieldChecker();
    const from = currencyField(c, 'fromCurrency', input.fromCurrency);
    const to = currencyField(c, 'toCurrency', input.toCurrency);
    if (from && to && from === to) c.fail('toCurrency', 'pacts.validation.same_currency');
    const fromMinor = amountField(c, 'fromAmount', input.fromAmount, from, { required: true });
    if (fromMinor !== null && fromMinor <= 0) c.fail('fromAmount', 'money.amount.not_positive');
    const bookedMinor = amountField(c, 'toAmount', input.toAmount, to);
    if (bookedMinor !== null && bookedMinor <= 0) c.fail('toAmount', 'money.amount.not_positive');
    const valueDate = valueDateField(c, 'valueDate', input.valueDate, viewer!.timeZone);
    const name = c.line('name', input.name, { max: 200 });
    const reference = c.line('reference', input.reference, { max: 200 });
    if (c.errors.length) throw new ValidationFailed(c.errors);
    let toMinor: number;
    let conversion: { rate: string; source: string; date: string };
    if (bookedMinor !== null) {
      toMinor = bookedMinor;
      const rate = new Decimal(bookedMinor).div(new Decimal(10).pow(minorDigits(to!))).div(new Decimal(fromMinor!).div(new Decimal(10).pow(minorDigits(from!))));
      conversion = { rate: rate.toSignificantDigits(BOOKED_RATE_DIGITS, Decimal.ROUND_HALF_EVEN).toFixed(), source: 'booked', date: valueDate };
    } else {
      try {
        const converted = await convertMinor(tx, { amountMinor: fromMinor!, from: from!, to: to!, date: valueDate });
        toMinor = converted.amountMinor;
        conversion = { rate: converted.rate, source: converted.source, date: converted.rateDate };
      } catch (err) {
        if (err instanceof NoRate) throw new ValidationFailed([err.toFieldError('valueDate')]);
        throw err;
      }
      if (toMinor <= 0) throw new ValidationFailed([{ field: 'fromAmount', messageId: 'money.amount.not_positive' }]);
    }
    const stored = await recordExchange(tx, {
      pactId: pact.id,
      from: { currency: from!, amountMinor: fromMinor! },
      to: { currency: to!, amountMinor: toMinor },
      conversion,
      valueDate,
      counterparty: { kind: 'external', name },
      reference,
      recordedBy: viewer!.userId,
    });
    for (const e of stored)
      await recordAudit(tx, viewer, { organizationId: pact.organization_id, action: 'pact.entry_recorded', subjectType: 'pact', subjectId: pact.id, details: auditDetails(e) });
    return stored;
  });
}

/** Raw input of a transfer from one pact to another. */
export interface TransferInput {
  /** Slug of the receiving pact (open or paused, visible to the viewer). */
  toPact?: unknown;
  amount?: unknown;
  currency?: unknown;
  valueDate?: unknown;
  /** Why the money moves: the proposal's purpose and, once approved, both legs' description. */
  description?: unknown;
}

/**
 * Proposes moving money from a pact the viewer coordinates to another pact the viewer can see.
 * Money leaving a pact needs two people: this records a disbursement proposal with the receiving
 * pact (disbursements.service `proposeDisbursement` with `toPact`); nothing reaches the ledger
 * until a second coordinator approves it on the disbursements page, which records one group with
 * a `transfer` entry on each pact.
 * @returns the proposal's id.
 * @throws {NotFound} unknown source pact; {SignInRequired}; {Forbidden}; {ValidationFailed} on
 *   `toPact` (unknown, invisible, closed or the same pact), `amount` (also
 *   `pacts.errors.overdraft`), `currency`, `valueDate`, `description` (required: the purpose);
 *   {Conflict} when this pact is closed.
 */
export async function proposeTransferAsCoordinator(db: Db, viewer: Viewer | null, slug: string, input: TransferInput): Promise<{ id: string }> {
  try {
    return await proposeDisbursement(db, viewer, slug, { toPact: input.toPact ?? '', amount: input.amount, currency: input.currency, valueDate: input.valueDate, purpose: input.description });
  } catch (err) {
    // The transfer form and API name the purpose `description`, and the receiving pact is required.
    if (err instanceof ValidationFailed)
      throw new ValidationFailed(err.errors.map((e) => (e.field === 'purpose' ? { ...e, field: 'description' } : e.field === 'beneficiary' ? { field: 'toPact', messageId: 'validation.required' } : e)));
    throw err;
  }
}
