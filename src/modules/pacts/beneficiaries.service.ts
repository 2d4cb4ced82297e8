import { inTransaction, type Db } from '../../db/client.ts';
import type { Viewer } from '../../http/viewer.ts';
import { Conflict, NotFound, ValidationFailed } from '../../http/errors.ts';
import { FieldChecker } from '../../lib/validate.ts';
import { newId } from '../../lib/ids.ts';
import { nowInstant } from '../../lib/time.ts';
import { openJson, seal, type Keyring } from '../../lib/sealed.ts';
import { isUniqueViolation } from '../../db/client.ts';
import { beneficiaryAad } from '../../db/sealed-columns.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { getPactForCoordinator } from './pacts.service.ts';

/**
 * The private beneficiary register of a pact. Known to the pact's coordinators only; personal
 * fields (name, contact, address, notes) are sealed with AES-256-GCM (lib/sealed.ts) under a key
 * kept outside the database, bound to the row (`beneficiaries:<id>`), so the database file alone
 * does not reveal them. Everything else refers to a beneficiary by a pseudonymous code (`H-0007`
 * for a household, `P-0003` for a person). Every read of the personal fields is written to the
 * audit log of the pact's owning organization.
 */

export const BENEFICIARY_KINDS = ['household', 'person'] as const;

/** The sealed part of a beneficiary. */
export interface BeneficiaryPersonal {
  name: string;
  contact: string | null;
  address: string | null;
  notes: string | null;
}

/** Raw register input. */
export interface BeneficiaryInput {
  kind?: unknown;
  /** Number of people in a household (optional). */
  householdSize?: unknown;
  name?: unknown;
  contact?: unknown;
  address?: unknown;
  notes?: unknown;
}

/** A beneficiary as coordinators see it, with allocations per currency (minor units, net of reversals). */
export interface BeneficiaryView {
  id: string;
  code: string;
  kind: 'household' | 'person';
  householdSize: number | null;
  personal: BeneficiaryPersonal;
  allocations: { currency: string; totalMinor: number }[];
  archivedAt: string | null;
}

function validate(input: BeneficiaryInput): { kind: 'household' | 'person'; householdSize: number | null; personal: BeneficiaryPersonal } {
  const c = new FieldChecker();
  const kind = c.oneOf('kind', input.kind || 'household', BENEFICIARY_KINDS);
  const householdSize = c.integer('householdSize', input.householdSize, { min: 1, max: 100 });
  const name = c.line('name', input.name, { required: true, max: 200 });
  const contact = c.line('contact', input.contact, { max: 200 });
  const address = c.text('address', input.address, { max: 500 });
  const notes = c.text('notes', input.notes, { max: 5000 });
  if (c.errors.length) throw new ValidationFailed(c.errors);
  return { kind: kind!, householdSize: kind === 'household' ? householdSize : null, personal: { name: name!, contact, address, notes } };
}

const aad = beneficiaryAad;

/**
 * Adds a beneficiary to the register of a pact the viewer coordinates; the code is the next free
 * `H-nnnn` (household) or `P-nnnn` (person). Writes `pact.beneficiary_added` (code only).
 * @throws {NotFound}; {SignInRequired}; {Forbidden}; {ValidationFailed} on `kind`,
 *   `householdSize`, `name`, `contact`, `address`, `notes`; {Conflict} `pact_closed` on a closed pact
 *   (its register stays readable); {DataKeyError} when no data key is configured.
 */
export async function addBeneficiary(db: Db, keyring: Keyring, viewer: Viewer | null, slug: string, input: BeneficiaryInput): Promise<{ id: string; code: string }> {
  const v = validate(input);
  for (let attempt = 1; ; attempt++) {
    try {
      return await inTransaction(db, async (tx) => {
        const pact = await getPactForCoordinator(tx, viewer, slug);
        if (pact.status === 'closed') throw new Conflict('pact_closed', 'pacts.errors.closed');
        const prefix = v.kind === 'household' ? 'H' : 'P';
        const taken = await tx.selectFrom('beneficiaries').select('code').where('pact_id', '=', pact.id).where('code', 'like', `${prefix}-%`).execute();
        const next = Math.max(0, ...taken.map((r) => Number(r.code.slice(2)) || 0)) + 1;
        const code = `${prefix}-${String(next).padStart(4, '0')}`;
        const id = newId();
        const now = nowInstant();
        await tx
          .insertInto('beneficiaries')
          .values({ id, pact_id: pact.id, code, kind: v.kind, household_size: v.householdSize, sealed_personal: seal(keyring, v.personal, aad(id)), archived_at: null, created_by: viewer!.userId, created_at: now, updated_at: now })
          .execute();
        await recordAudit(tx, viewer, { organizationId: pact.organization_id, action: 'pact.beneficiary_added', subjectType: 'pact', subjectId: pact.id, details: { code } });
        return { id, code };
      });
    } catch (err) {
      if (attempt >= 5 || !isUniqueViolation(err, 'code')) throw err;
    }
  }
}

/**
 * Changes a beneficiary's fields (re-sealed with the current key) or archives it (`archived`:
 * no new disbursements; history stays). Writes `pact.beneficiary_updated` (code only).
 * @throws {NotFound} unknown code; as {@link addBeneficiary}.
 */
export async function updateBeneficiary(db: Db, keyring: Keyring, viewer: Viewer | null, slug: string, code: string, input: BeneficiaryInput & { archived?: unknown }): Promise<void> {
  const v = validate(input);
  await inTransaction(db, async (tx) => {
    const pact = await getPactForCoordinator(tx, viewer, slug);
    if (pact.status === 'closed') throw new Conflict('pact_closed', 'pacts.errors.closed');
    const row = await tx.selectFrom('beneficiaries').select(['id', 'archived_at']).where('pact_id', '=', pact.id).where('code', '=', code).executeTakeFirst();
    if (!row) throw new NotFound();
    const archived = input.archived === true || input.archived === 'true' || input.archived === 'on';
    const now = nowInstant();
    await tx
      .updateTable('beneficiaries')
      .set({ kind: v.kind, household_size: v.householdSize, sealed_personal: seal(keyring, v.personal, aad(row.id)), archived_at: archived ? (row.archived_at ?? now) : null, updated_at: now })
      .where('id', '=', row.id)
      .execute();
    await recordAudit(tx, viewer, { organizationId: pact.organization_id, action: 'pact.beneficiary_updated', subjectType: 'pact', subjectId: pact.id, details: { code, archived } });
  });
}

/**
 * The register of a pact for its coordinators: personal fields opened, allocations per currency
 * from the ledger (disbursements net of their reversals). Writes `pact.beneficiaries_read` to the
 * audit log (who read the register, when), in the same transaction.
 * @throws {NotFound}; {SignInRequired}; {Forbidden}; {SealError} when a row cannot be opened
 *   (wrong or missing key).
 */
export async function listBeneficiaries(db: Db, keyring: Keyring, viewer: Viewer | null, slug: string, o: { code?: string } = {}): Promise<BeneficiaryView[]> {
  return inTransaction(db, async (tx) => {
    const pact = await getPactForCoordinator(tx, viewer, slug);
    let q = tx.selectFrom('beneficiaries').selectAll().where('pact_id', '=', pact.id);
    if (o.code) q = q.where('code', '=', o.code);
    const rows = await q.orderBy('code').execute();
    if (o.code && !rows.length) throw new NotFound();
    const sums = await tx
      .selectFrom('ledger_entries')
      .select(['counterparty_beneficiary_id as id', 'currency'])
      .select((eb) => eb.fn.sum<number>('amount_minor').as('total'))
      .where('pact_id', '=', pact.id)
      .where('flow', '=', 'disbursement')
      .where('counterparty_beneficiary_id', 'is not', null)
      .groupBy(['counterparty_beneficiary_id', 'currency'])
      .execute();
    await recordAudit(tx, viewer, { organizationId: pact.organization_id, action: 'pact.beneficiaries_read', subjectType: 'pact', subjectId: pact.id, details: o.code ? { code: o.code } : { count: rows.length } });
    return rows.map((r) => ({
      id: r.id,
      code: r.code,
      kind: r.kind,
      householdSize: r.household_size === null ? null : Number(r.household_size),
      personal: openJson<BeneficiaryPersonal>(keyring, r.sealed_personal, aad(r.id)),
      allocations: sums
        .filter((s) => s.id === r.id)
        .map((s) => ({ currency: s.currency, totalMinor: -Number(s.total) }))
        .sort((a, b) => a.currency.localeCompare(b.currency)),
      archivedAt: r.archived_at,
    }));
  });
}

/** Codes of the active beneficiaries of a pact (for the disbursement form), without opening anything. */
export async function beneficiaryCodes(db: Db, pactId: string): Promise<{ code: string; kind: 'household' | 'person' }[]> {
  return db.selectFrom('beneficiaries').select(['code', 'kind']).where('pact_id', '=', pactId).where('archived_at', 'is', null).orderBy('code').execute();
}
