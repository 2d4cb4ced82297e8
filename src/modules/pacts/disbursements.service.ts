import { inTransaction, type Db } from '../../db/client.ts';
import type { Viewer } from '../../http/viewer.ts';
import type { DisbursementsTable, DisbursementStatus } from '../../db/schema.ts';
import { AppError, Conflict, NotFound, ValidationFailed } from '../../http/errors.ts';
import { FieldChecker } from '../../lib/validate.ts';
import { newId } from '../../lib/ids.ts';
import { nowInstant } from '../../lib/time.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { visibleWhere } from '../../db/visibility.ts';
import { amountField, currencyField, getPact, getPactForCoordinator, valueDateField, type PactRecord } from './pacts.service.ts';
import { pactBalances, recordEntries, recordTransfer, type LedgerEntry } from './ledger.service.ts';

/**
 * Disbursements need two people (the four-eyes principle): one coordinator proposes (amount,
 * beneficiary, payee or receiving pact, purpose, receipt), a second, different coordinator
 * approves. A transfer to another pact is such a proposal too. Only approval writes the ledger
 * entry (for a transfer: both `transfer` legs), in the same transaction that marks the proposal approved, and the
 * ledger refuses it when it would overdraw the pact's balance in that currency. The database
 * also refuses a decision by the proposer (CHECK `disbursements_four_eyes`).
 */

/** Raw input of a proposed disbursement. */
export interface DisbursementInput {
  /** Code of a registered beneficiary of the pact (e.g. `H-0007`), or empty with `payee`. */
  beneficiary?: unknown;
  /** Who is paid when it is not a registered beneficiary (a pharmacy, a school). */
  payee?: unknown;
  /**
   * Slug of another pact the money is transferred to (open or paused, visible to the proposer).
   * Exactly one of `beneficiary`, `payee` and `toPact` is given.
   */
  toPact?: unknown;
  /** Decimal text in `currency`, positive. */
  amount?: unknown;
  currency?: unknown;
  purpose?: unknown;
  /** Date-only day of payment; default today in the viewer's time zone. */
  valueDate?: unknown;
  /** Id of an uploaded document of this pact (the receipt), optional. */
  document?: unknown;
}

/** 403 with its own message: the proposer may not approve their own disbursement. */
export class SecondPersonRequired extends AppError {
  constructor() {
    super(403, 'second_person_required', 'pacts.errors.second_person_required');
  }
}

/** 409: the proposal was decided already (by someone else, or a moment ago). */
export class AlreadyDecided extends Conflict {
  constructor() {
    super('disbursement_decided', 'pacts.errors.disbursement_decided');
  }
}

/**
 * Proposes a disbursement — or, with `toPact`, a transfer to another pact — on a pact the viewer
 * coordinates. Exactly one recipient: a beneficiary, a payee or a receiving pact (two or none is
 * a field error on `beneficiary`). Checks the balance now too (a proposal that could never be
 * approved is refused early) — approval checks again.
 * @returns the id. @throws {NotFound}; {SignInRequired}; {Forbidden}; {ValidationFailed} on
 *   `beneficiary` (also `pacts.validation.one_recipient`), `payee`, `toPact`
 *   (`pacts.validation.pact_unknown`: unknown, invisible or closed; `pacts.validation.same_pact`),
 *   `amount` (also `pacts.errors.overdraft`), `currency`, `purpose`, `valueDate`, `document`;
 *   {Conflict} closed pact.
 */
export async function proposeDisbursement(db: Db, viewer: Viewer | null, slug: string, input: DisbursementInput): Promise<{ id: string }> {
  return inTransaction(db, async (tx) => {
    const pact = await getPactForCoordinator(tx, viewer, slug);
    if (pact.status === 'closed') throw new Conflict('pact_closed', 'pacts.errors.closed');
    const c = new FieldChecker();
    const code = c.line('beneficiary', input.beneficiary, { max: 40 });
    const payee = c.line('payee', input.payee, { max: 200 });
    const toSlug = c.line('toPact', input.toPact, { max: 80 });
    const recipients = [code, payee, toSlug].filter(Boolean).length;
    if (recipients === 0) c.fail('beneficiary', 'pacts.validation.beneficiary_or_payee');
    if (recipients > 1) c.fail('beneficiary', 'pacts.validation.one_recipient');
    const currency = currencyField(c, 'currency', input.currency);
    const amount = amountField(c, 'amount', input.amount, currency, { required: true });
    if (amount !== null && amount <= 0) c.fail('amount', 'money.amount.not_positive');
    const purpose = c.line('purpose', input.purpose, { required: true, max: 500 });
    const valueDate = valueDateField(c, 'valueDate', input.valueDate, viewer!.timeZone);
    const documentId = c.line('document', input.document, { max: 40 });
    if (c.errors.length) throw new ValidationFailed(c.errors);
    let beneficiaryId: string | null = null;
    if (code) {
      const b = await tx.selectFrom('beneficiaries').select(['id', 'archived_at']).where('pact_id', '=', pact.id).where('code', '=', code).executeTakeFirst();
      if (!b || b.archived_at) throw new ValidationFailed([{ field: 'beneficiary', messageId: 'pacts.validation.beneficiary_unknown' }]);
      beneficiaryId = b.id;
    }
    let targetPactId: string | null = null;
    if (toSlug) {
      const target = await getPact(tx, viewer, toSlug).catch((err: unknown) => {
        if (err instanceof NotFound) return null;
        throw err;
      });
      if (!target || target.status === 'closed') throw new ValidationFailed([{ field: 'toPact', messageId: 'pacts.validation.pact_unknown' }]);
      if (target.id === pact.id) throw new ValidationFailed([{ field: 'toPact', messageId: 'pacts.validation.same_pact' }]);
      targetPactId = target.id;
    }
    if (documentId) {
      const d = await tx.selectFrom('pact_documents').select('id').where('id', '=', documentId).where('pact_id', '=', pact.id).executeTakeFirst();
      if (!d) throw new ValidationFailed([{ field: 'document', messageId: 'pacts.validation.document_unknown' }]);
    }
    const balance = (await pactBalances(tx, pact.id)).find((b) => b.currency === currency)?.balanceMinor ?? 0;
    if (amount! > balance) throw new ValidationFailed([{ field: 'amount', messageId: 'pacts.errors.overdraft' }]);
    const id = newId();
    await tx
      .insertInto('disbursements')
      .values({
        id,
        pact_id: pact.id,
        beneficiary_id: beneficiaryId,
        payee_name: payee,
        target_pact_id: targetPactId,
        amount_minor: amount!,
        currency: currency!,
        purpose: purpose!,
        value_date: valueDate,
        document_id: documentId,
        status: 'proposed',
        proposed_by: viewer!.userId,
        proposed_at: nowInstant(),
        decided_by: null,
        decided_at: null,
        decision_note: null,
        entry_id: null,
      })
      .execute();
    await recordAudit(tx, viewer, { organizationId: pact.organization_id, action: 'pact.disbursement_proposed', subjectType: 'pact', subjectId: pact.id, details: { disbursement: id, amountMinor: amount, currency, ...(targetPactId ? { toPact: targetPactId } : {}) } });
    return { id };
  });
}

async function claimProposal(db: Db, pact: PactRecord, id: string): Promise<DisbursementsTable> {
  const d = await db.selectFrom('disbursements').selectAll().where('id', '=', id).where('pact_id', '=', pact.id).executeTakeFirst();
  if (!d) throw new NotFound();
  if (d.status !== 'proposed') throw new AlreadyDecided();
  return { ...d, amount_minor: Number(d.amount_minor) };
}

/**
 * Approves a proposed disbursement: a coordinator other than the proposer. In one transaction the
 * proposal is claimed (a conditional UPDATE: of two approvals at the same moment only one wins)
 * and the `disbursement` entry is recorded (negative amount, counterparty the beneficiary or the
 * payee, the receipt as its document). A proposed transfer (`target_pact_id`) records instead the
 * two `transfer` legs (ledger.service `recordTransfer`: value date, purpose as description, the
 * receipt on the source leg); the proposal keeps the source leg as its entry, so the integrity
 * check `disbursement` (same pact, opposite amount, same currency) holds for both. The receiving
 * pact's owner gets `pact.entry_recorded` in its audit log.
 * @returns the id of the entry on this pact.
 * @throws {NotFound}; {SignInRequired}; {Forbidden}; {SecondPersonRequired}; {AlreadyDecided};
 *   {Overdraft} when the balance no longer covers it; {PactClosed} (this pact, or the receiving
 *   one closed meanwhile).
 */
export async function approveDisbursement(db: Db, viewer: Viewer | null, slug: string, id: string): Promise<{ entryId: string }> {
  return inTransaction(db, async (tx) => {
    const pact = await getPactForCoordinator(tx, viewer, slug);
    const d = await claimProposal(tx, pact, id);
    if (d.proposed_by === viewer!.userId) throw new SecondPersonRequired();
    const now = nowInstant();
    const claimed = await tx
      .updateTable('disbursements')
      .set({ status: 'approved', decided_by: viewer!.userId, decided_at: now })
      .where('id', '=', d.id)
      .where('status', '=', 'proposed')
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) throw new AlreadyDecided();
    let entry: LedgerEntry | undefined;
    if (d.target_pact_id) {
      const legs = await recordTransfer(tx, {
        fromPactId: pact.id,
        toPactId: d.target_pact_id,
        amountMinor: d.amount_minor,
        currency: d.currency,
        valueDate: d.value_date,
        description: d.purpose,
        documentId: d.document_id,
        recordedBy: viewer!.userId,
      });
      entry = legs.find((e) => e.pact_id === pact.id);
      const incoming = legs.find((e) => e.pact_id === d.target_pact_id)!;
      const owner = await tx.selectFrom('pacts').select('organization_id').where('id', '=', d.target_pact_id).executeTakeFirstOrThrow();
      await recordAudit(tx, viewer, {
        organizationId: owner.organization_id,
        action: 'pact.entry_recorded',
        subjectType: 'pact',
        subjectId: d.target_pact_id,
        details: { seq: Number(incoming.seq), kind: incoming.kind, amountMinor: Number(incoming.amount_minor), currency: incoming.currency, valueDate: incoming.value_date },
      });
    } else {
      [entry] = await recordEntries(tx, {
        pactId: pact.id,
        recordedBy: viewer!.userId,
        entries: [
          {
            kind: 'disbursement',
            amountMinor: -d.amount_minor,
            currency: d.currency,
            valueDate: d.value_date,
            counterparty: d.beneficiary_id ? { kind: 'beneficiary', beneficiaryId: d.beneficiary_id } : { kind: 'external', name: d.payee_name },
            description: d.purpose,
            documentId: d.document_id,
          },
        ],
      });
    }
    await tx.updateTable('disbursements').set({ entry_id: entry!.id }).where('id', '=', d.id).execute();
    await recordAudit(tx, viewer, { organizationId: pact.organization_id, action: 'pact.disbursement_approved', subjectType: 'pact', subjectId: pact.id, details: { disbursement: d.id, seq: Number(entry!.seq) } });
    return { entryId: entry!.id };
  });
}

/**
 * Refuses a proposed disbursement (another coordinator, with a note) or withdraws it (the
 * proposer). Nothing is written to the ledger.
 * @throws {NotFound}; {SignInRequired}; {Forbidden}; {ValidationFailed} on `note` (required when
 *   refusing); {AlreadyDecided}.
 */
export async function declineDisbursement(db: Db, viewer: Viewer | null, slug: string, id: string, input: { note?: unknown }): Promise<{ status: DisbursementStatus }> {
  return inTransaction(db, async (tx) => {
    const pact = await getPactForCoordinator(tx, viewer, slug);
    const d = await claimProposal(tx, pact, id);
    const own = d.proposed_by === viewer!.userId;
    const c = new FieldChecker();
    const note = c.line('note', input.note, { required: !own, max: 500 });
    if (c.errors.length) throw new ValidationFailed(c.errors);
    const status: DisbursementStatus = own ? 'withdrawn' : 'rejected';
    const done = await tx
      .updateTable('disbursements')
      .set({ status, decided_by: own ? null : viewer!.userId, decided_at: nowInstant(), decision_note: note })
      .where('id', '=', d.id)
      .where('status', '=', 'proposed')
      .executeTakeFirst();
    if (Number(done.numUpdatedRows) !== 1) throw new AlreadyDecided();
    await recordAudit(tx, viewer, { organizationId: pact.organization_id, action: `pact.disbursement_${status}`, subjectType: 'pact', subjectId: pact.id, details: { disbursement: d.id } });
    return { status };
  });
}

/** A disbursement as coordinators see it (names of proposer/decider; beneficiary by code). */
export interface DisbursementView {
  id: string;
  status: DisbursementStatus;
  amountMinor: number;
  currency: string;
  purpose: string;
  valueDate: string;
  beneficiaryCode: string | null;
  payeeName: string | null;
  /** Receiving pact of a transfer, when the viewer can see it; null otherwise (see `transfer`). */
  toPact: { slug: string; title: string } | null;
  /** True for a transfer to another pact (even when the viewer cannot see that pact). */
  transfer: boolean;
  documentId: string | null;
  proposedBy: string | null;
  proposedById: string | null;
  proposedAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionNote: string | null;
  entryId: string | null;
}

/**
 * Disbursements of a pact for its coordinators, proposals first, then newest first. The receiving
 * pact of a transfer is named only when the viewer may see it.
 */
export async function listDisbursements(db: Db, viewer: Viewer | null, slug: string): Promise<{ pact: PactRecord; items: DisbursementView[] }> {
  const pact = await getPactForCoordinator(db, viewer, slug);
  const rows = await db
    .selectFrom('disbursements as d')
    .leftJoin('beneficiaries as b', 'b.id', 'd.beneficiary_id')
    .leftJoin('users as p', 'p.id', 'd.proposed_by')
    .leftJoin('users as a', 'a.id', 'd.decided_by')
    .selectAll('d')
    .select(['b.code as beneficiary_code', 'p.display_name as proposer_name', 'a.display_name as decider_name'])
    .where('d.pact_id', '=', pact.id)
    .orderBy('d.proposed_at', 'desc')
    .execute();
  const targetIds = [...new Set(rows.map((r) => r.target_pact_id).filter((id): id is string => !!id))];
  const targets = new Map(
    targetIds.length
      ? (await db.selectFrom('pacts').select(['id', 'slug', 'title']).where('id', 'in', targetIds).where(visibleWhere(viewer, 'pacts')).execute()).map((p) => [p.id, { slug: p.slug, title: p.title }])
      : [],
  );
  const items = rows.map((r) => ({
    id: r.id,
    status: r.status,
    amountMinor: Number(r.amount_minor),
    currency: r.currency,
    purpose: r.purpose,
    valueDate: r.value_date,
    beneficiaryCode: r.beneficiary_code,
    payeeName: r.payee_name,
    toPact: (r.target_pact_id && targets.get(r.target_pact_id)) || null,
    transfer: r.target_pact_id !== null,
    documentId: r.document_id,
    proposedBy: r.proposer_name,
    proposedById: r.proposed_by,
    proposedAt: r.proposed_at,
    decidedBy: r.decider_name,
    decidedAt: r.decided_at,
    decisionNote: r.decision_note,
    entryId: r.entry_id,
  }));
  items.sort((a, b) => Number(b.status === 'proposed') - Number(a.status === 'proposed'));
  return { pact, items };
}


