import { inTransaction, type Db } from '../../db/client.ts';
import type { Viewer } from '../../http/viewer.ts';
import type { PactsTable, PactStatus, Visibility } from '../../db/schema.ts';
import { Conflict, Forbidden, NotFound, SignInRequired, ValidationFailed } from '../../http/errors.ts';
import { FieldChecker, listValue } from '../../lib/validate.ts';
import { newId } from '../../lib/ids.ts';
import { nowInstant, todayIn } from '../../lib/time.ts';
import { searchKey, slugify } from '../../lib/text.ts';
import { visibleWhere } from '../../db/visibility.ts';
import { AmountError, isCurrency, parseAmount } from '../../lib/money.ts';
import { resolveOrganizations, retryOnSlugConflict, uniqueSlug, VISIBILITIES } from '../organizations/organizations.service.ts';
import { changedFields, recordAudit } from '../audit/audit.service.ts';
import { initLedger } from './ledger.service.ts';

export const PACT_STATUSES: readonly PactStatus[] = ['open', 'paused', 'closed'];
/** At most this many initiating organizations (the owner included) and linked struggles. */
const MAX_INITIATORS = 20;
const MAX_STRUGGLES = 20;

/**
 * Checks a decimal amount field for `currency` and returns integer minor units (ISO 4217 digits;
 * more fraction digits than the currency has are refused, never rounded: case B07). Adds the
 * field error to `c` and returns null on bad input; null without error when empty and optional.
 */
export function amountField(c: FieldChecker, field: string, raw: unknown, currency: string | null, o: { required?: boolean } = {}): number | null {
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
  if (!text) return o.required ? c.fail(field, 'validation.required') : null;
  if (!currency) return null; // the currency field carries the error
  try {
    return parseAmount(text, currency);
  } catch (err) {
    if (err instanceof AmountError) {
      c.errors.push(err.toFieldError(field));
      return null;
    }
    throw err;
  }
}

/**
 * Checks the value date of money that moved (date-only `YYYY-MM-DD`): empty means today in
 * `timeZone` (IANA); a day after today there is refused (`pacts.validation.value_date_future`),
 * since the ledger records what happened, not what is planned.
 */
export function valueDateField(c: FieldChecker, field: string, raw: unknown, timeZone: string): string {
  const today = todayIn(timeZone);
  const v = c.date(field, raw);
  if (v && v > today) c.fail(field, 'pacts.validation.value_date_future', { date: today });
  return v ?? today;
}

/** Checks an ISO 4217 code field (case-insensitive input, stored upper case). */
export function currencyField(c: FieldChecker, field: string, raw: unknown, o: { required?: boolean } = { required: true }): string | null {
  const v = typeof raw === 'string' ? raw.trim().toUpperCase() : '';
  if (!v) return o.required ? c.fail(field, 'validation.required') : null;
  return isCurrency(v) ? v : c.fail(field, 'money.currency.unknown');
}

/** Raw pact input from a form, the API or the demo. */
export interface PactInput {
  /** Slug of the owning organization (its members decide who sees the pact). */
  organization?: unknown;
  /** Slugs of further initiating organizations (their coordinators co-run the pact). */
  initiators?: unknown;
  /** Slugs of linked struggles. */
  struggles?: unknown;
  title?: unknown;
  slug?: unknown;
  description?: unknown;
  /** BCP 47 tag of title and description; default `en`. */
  lang?: unknown;
  /** Who the pact supports, e.g. "families of the miners of the Kamoto cooperative". */
  beneficiaryGroup?: unknown;
  /** ISO 3166-1 alpha-2, optional. */
  country?: unknown;
  /** Decimal text in `goalCurrency` (e.g. "25000", "12.345"); optional with the currency. */
  goalAmount?: unknown;
  goalCurrency?: unknown;
  /** Date-only `YYYY-MM-DD`; `periodEnd` optional and not before `periodStart`. */
  periodStart?: unknown;
  periodEnd?: unknown;
  visibility?: unknown;
}

/** A pact after validation; organizations and struggles still by slug, the goal in minor units. */
export interface PactValues {
  organization: string;
  initiators: string[];
  struggles: string[];
  title: string;
  slug: string | null;
  description: string;
  lang: string;
  beneficiaryGroup: string;
  country: string | null;
  goalMinor: number | null;
  goalCurrency: string | null;
  periodStart: string;
  periodEnd: string | null;
  visibility: Visibility;
}

/**
 * Validates and normalizes pact input.
 * @throws {ValidationFailed} listing every bad field (`organization`, `initiators`, `struggles`,
 *   `title`, `slug`, `description`, `lang`, `beneficiaryGroup`, `country`, `goalAmount`,
 *   `goalCurrency`, `periodStart`, `periodEnd`, `visibility`).
 */
export function validatePact(input: PactInput): PactValues {
  const c = new FieldChecker();
  const organization = c.line('organization', input.organization, { required: true, max: 80 });
  const initiators: string[] = [];
  for (const s of listValue(input.initiators)) {
    const v = c.line('initiators', s, { max: 80 });
    if (v && v !== organization && !initiators.includes(v)) initiators.push(v);
  }
  if (initiators.length + 1 > MAX_INITIATORS) c.fail('initiators', 'validation.too_many', { max: MAX_INITIATORS - 1 });
  const struggles = [...new Set(listValue(input.struggles))];
  if (struggles.length > MAX_STRUGGLES) c.fail('struggles', 'validation.too_many', { max: MAX_STRUGGLES });
  const title = c.line('title', input.title, { required: true, max: 300 });
  const slugRaw = c.line('slug', input.slug, { max: 60 });
  const slug = slugRaw && !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(slugRaw) ? c.fail('slug', 'validation.slug') : slugRaw;
  const description = c.text('description', input.description, { required: true, max: 20000 });
  const lang = c.language('lang', input.lang || 'en');
  const beneficiaryGroup = c.line('beneficiaryGroup', input.beneficiaryGroup, { required: true, max: 300 });
  const country = c.country('country', input.country, { required: false });
  const hasGoal = (typeof input.goalAmount === 'string' && input.goalAmount.trim() !== '') || typeof input.goalAmount === 'number';
  const goalCurrency = currencyField(c, 'goalCurrency', input.goalCurrency, { required: hasGoal });
  const goalMinor = amountField(c, 'goalAmount', input.goalAmount, goalCurrency, { required: !!goalCurrency });
  if (goalMinor !== null && goalMinor <= 0) c.fail('goalAmount', 'money.amount.not_positive');
  const periodStart = c.date('periodStart', input.periodStart, { required: true });
  const periodEnd = c.date('periodEnd', input.periodEnd);
  if (periodStart && periodEnd && periodEnd < periodStart) c.fail('periodEnd', 'validation.end_before_start');
  const visibility = c.oneOf('visibility', input.visibility || 'public', VISIBILITIES);
  if (c.errors.length) throw new ValidationFailed(c.errors);
  return {
    organization: organization!,
    initiators,
    struggles,
    title: title!,
    slug,
    description: description!,
    lang: lang!,
    beneficiaryGroup: beneficiaryGroup!,
    country,
    goalMinor: goalCurrency ? goalMinor : null,
    goalCurrency: goalMinor !== null ? goalCurrency : null,
    periodStart: periodStart!,
    periodEnd,
    visibility: visibility!,
  };
}

/** A pact row with the ids of its initiating organizations (the owner first). */
export interface PactRecord extends PactsTable {
  initiatorIds: string[];
}

/**
 * The pact by slug if the viewer may see it (visibility of its owning organization).
 * @throws {NotFound} unknown or not visible (the same answer).
 */
export async function getPact(db: Db, viewer: Viewer | null, slug: string): Promise<PactRecord> {
  const row = await db.selectFrom('pacts').selectAll().where('slug', '=', slug).where(visibleWhere(viewer, 'pacts')).executeTakeFirst();
  if (!row) throw new NotFound();
  const orgs = await db.selectFrom('pact_organizations').select('organization_id').where('pact_id', '=', row.id).execute();
  const initiatorIds = [row.organization_id, ...orgs.map((o) => o.organization_id).filter((id) => id !== row.organization_id)];
  return { ...row, goal_minor: row.goal_minor === null ? null : Number(row.goal_minor), initiatorIds };
}

/**
 * True when the viewer coordinates the pact: an admin or coordinator of one of its initiating
 * organizations, or an instance admin. Coordinators record contributions, pledges on behalf of
 * others and reversals, propose and approve disbursements, keep the beneficiary register and see
 * receipts. Members and viewers of those organizations only read.
 */
export function isPactCoordinator(viewer: Viewer | null, pact: { initiatorIds: string[] }): boolean {
  if (!viewer) return false;
  if (viewer.isAdmin) return true;
  return pact.initiatorIds.some((id) => {
    const role = viewer.roles.get(id);
    return role === 'admin' || role === 'coordinator';
  });
}

/**
 * The pact by slug for a coordinator.
 * @throws {NotFound} unknown or invisible; {SignInRequired}; {Forbidden} not a coordinator.
 */
export async function getPactForCoordinator(db: Db, viewer: Viewer | null, slug: string): Promise<PactRecord> {
  const pact = await getPact(db, viewer, slug);
  if (!viewer) throw new SignInRequired();
  if (!isPactCoordinator(viewer, pact)) throw new Forbidden();
  return pact;
}

async function resolveStruggles(db: Db, viewer: Viewer | null, slugs: string[], trusted: boolean): Promise<string[]> {
  if (!slugs.length) return [];
  let q = db.selectFrom('struggles').select(['id', 'slug']).where('slug', 'in', slugs);
  if (!trusted) q = q.where(visibleWhere(viewer, 'struggles'));
  const rows = await q.execute();
  const unknown = slugs.filter((s) => !rows.some((r) => r.slug === s));
  if (unknown.length) throw new ValidationFailed([{ field: 'struggles', messageId: 'pacts.validation.struggle_unknown', values: { slugs: unknown.join(', ') } }]);
  return rows.map((r) => r.id);
}

function columns(v: PactValues) {
  return {
    title: v.title,
    description: v.description,
    lang: v.lang,
    beneficiary_group: v.beneficiaryGroup,
    country: v.country,
    goal_minor: v.goalMinor,
    goal_currency: v.goalCurrency,
    period_start: v.periodStart,
    period_end: v.periodEnd,
    visibility: v.visibility,
    search_text: searchKey(v.title, v.description, v.beneficiaryGroup),
  };
}

/**
 * Naming an organization as initiator makes its coordinators co-run the pact's money, so it
 * needs an admin or coordinator role in it; initiators already on the pact may stay.
 */
function checkInitiators(viewer: Viewer, named: Map<string, string>, existing: ReadonlySet<string>): void {
  const refused = [...named].filter(([, id]) => !existing.has(id) && !leads(viewer, id)).map(([slug]) => slug);
  if (refused.length) throw new ValidationFailed([{ field: 'initiators', messageId: 'pacts.validation.initiator_not_led', values: { slugs: refused.join(', ') } }]);
}

function leads(viewer: Viewer | null, organizationId: string): boolean {
  if (!viewer) return false;
  if (viewer.isAdmin) return true;
  const role = viewer.roles.get(organizationId);
  return role === 'admin' || role === 'coordinator';
}

/**
 * Opens a solidarity pact owned by `organization`, co-initiated by `initiators`, linked to
 * `struggles` (visible to the viewer). The viewer needs an admin or coordinator role in the owner
 * and in every co-initiator (they will hold the pact's money). Starts the pact's ledger and writes
 * `pact.created` to the audit log of every initiating organization, in one transaction.
 * @returns id and slug (from the title unless given; `-2`, `-3`… when taken).
 * @throws {SignInRequired}; {ValidationFailed}; {Forbidden} no leading role in the owner.
 */
export async function createPact(db: Db, viewer: Viewer | null, input: PactInput, o: { trusted?: boolean } = {}): Promise<{ id: string; slug: string }> {
  if (!viewer && !o.trusted) throw new SignInRequired();
  const v = validatePact(input);
  const trusted = !!o.trusted;
  return retryOnSlugConflict(() =>
    inTransaction(db, async (tx) => {
      const owner = await resolveOrganizations(tx, viewer, [v.organization], 'organization', trusted);
      const organizationId = owner.get(v.organization)!;
      if (!trusted && !leads(viewer, organizationId)) throw new Forbidden();
      const initiators = await resolveOrganizations(tx, viewer, v.initiators, 'initiators', trusted);
      if (!trusted) checkInitiators(viewer!, initiators, new Set());
      const struggleIds = await resolveStruggles(tx, viewer, v.struggles, trusted);
      const id = newId();
      // `new` names the creation page (/pacts/new); a pact of that name gets `new-2`.
      const base = v.slug ?? slugify(v.title);
      const slug = await uniqueSlug(tx, 'pacts', base === 'new' ? 'new-2' : base);
      const now = nowInstant();
      await tx
        .insertInto('pacts')
        .values({ id, slug, organization_id: organizationId, ...columns(v), status: 'open', closed_at: null, created_by: viewer?.userId ?? null, created_at: now, updated_at: now })
        .execute();
      const orgIds = [...new Set([organizationId, ...initiators.values()])];
      await tx.insertInto('pact_organizations').values(orgIds.map((organization_id) => ({ pact_id: id, organization_id }))).execute();
      if (struggleIds.length) await tx.insertInto('pact_struggles').values(struggleIds.map((struggle_id) => ({ pact_id: id, struggle_id }))).execute();
      await initLedger(tx, id);
      for (const org of orgIds) await recordAudit(tx, viewer, { organizationId: org, action: 'pact.created', subjectType: 'pact', subjectId: id, details: { slug } });
      return { id, slug };
    }),
  );
}

/**
 * Changes a pact's description, goal, period, links and visibility (a coordinator). The slug and
 * the owning organization stay. Initiators may be added by someone who leads them, and removed.
 * @throws {NotFound}; {SignInRequired}; {Forbidden}; {ValidationFailed}; {Conflict} on a closed pact.
 */
export async function updatePact(db: Db, viewer: Viewer | null, slug: string, input: PactInput): Promise<{ id: string; slug: string }> {
  return inTransaction(db, async (tx) => {
    const pact = await getPactForCoordinator(tx, viewer, slug);
    if (pact.status === 'closed') throw new Conflict('pact_closed', 'pacts.errors.closed');
    const ownerSlug = await tx.selectFrom('organizations').select('slug').where('id', '=', pact.organization_id).executeTakeFirstOrThrow();
    const v = validatePact({ ...input, organization: ownerSlug.slug });
    const initiators = await resolveOrganizations(tx, viewer, v.initiators, 'initiators', false);
    checkInitiators(viewer!, initiators, new Set(pact.initiatorIds));
    const struggleIds = await resolveStruggles(tx, viewer, v.struggles, false);
    const before = { ...columns(validatePactRowBack(pact)), initiators: [...pact.initiatorIds].sort() };
    const orgIds = [...new Set([pact.organization_id, ...initiators.values()])];
    await tx.updateTable('pacts').set({ ...columns(v), updated_at: nowInstant() }).where('id', '=', pact.id).execute();
    await tx.deleteFrom('pact_organizations').where('pact_id', '=', pact.id).execute();
    await tx.insertInto('pact_organizations').values(orgIds.map((organization_id) => ({ pact_id: pact.id, organization_id }))).execute();
    await tx.deleteFrom('pact_struggles').where('pact_id', '=', pact.id).execute();
    if (struggleIds.length) await tx.insertInto('pact_struggles').values(struggleIds.map((struggle_id) => ({ pact_id: pact.id, struggle_id }))).execute();
    const fields = changedFields(before, { ...columns(v), initiators: [...orgIds].sort() }).filter((f) => f !== 'search_text');
    for (const org of new Set([...orgIds, ...pact.initiatorIds]))
      await recordAudit(tx, viewer, { organizationId: org, action: 'pact.updated', subjectType: 'pact', subjectId: pact.id, details: { fields } });
    return { id: pact.id, slug: pact.slug };
  });
}

/** The stored row in the shape `columns` compares (for the audit log's changed fields). */
function validatePactRowBack(p: PactsTable): PactValues {
  return {
    organization: p.organization_id,
    initiators: [],
    struggles: [],
    title: p.title,
    slug: p.slug,
    description: p.description,
    lang: p.lang,
    beneficiaryGroup: p.beneficiary_group,
    country: p.country,
    goalMinor: p.goal_minor === null ? null : Number(p.goal_minor),
    goalCurrency: p.goal_currency,
    periodStart: p.period_start,
    periodEnd: p.period_end,
    visibility: p.visibility,
  };
}

/**
 * Sets a pact's status: `open` ↔ `paused` freely; `closed` is final (records `closed_at`; from
 * then on nothing is recorded on the ledger and `check-integrity` flags any later entry).
 * Disbursements still waiting are withdrawn when the pact closes.
 * @throws {NotFound}; {SignInRequired}; {Forbidden}; {ValidationFailed} unknown status;
 *   {Conflict} `pact_closed` when it is already closed.
 */
export async function setPactStatus(db: Db, viewer: Viewer | null, slug: string, status: unknown): Promise<{ status: PactStatus }> {
  const c = new FieldChecker();
  const next = c.oneOf('status', status, PACT_STATUSES);
  if (c.errors.length) throw new ValidationFailed(c.errors);
  return inTransaction(db, async (tx) => {
    const pact = await getPactForCoordinator(tx, viewer, slug);
    if (pact.status === 'closed') throw new Conflict('pact_closed', 'pacts.errors.closed');
    if (pact.status === next) return { status: next! };
    const now = nowInstant();
    // Taking the sequence row first orders the close after any entry being written right now.
    await tx.updateTable('pact_sequences').set((eb) => ({ last_seq: eb('last_seq', '+', 0) })).where('pact_id', '=', pact.id).execute();
    await tx.updateTable('pacts').set({ status: next!, closed_at: next === 'closed' ? now : null, updated_at: now }).where('id', '=', pact.id).execute();
    if (next === 'closed')
      await tx.updateTable('disbursements').set({ status: 'withdrawn', decided_at: now }).where('pact_id', '=', pact.id).where('status', '=', 'proposed').execute();
    for (const org of pact.initiatorIds)
      await recordAudit(tx, viewer, { organizationId: org, action: `pact.${next === 'closed' ? 'closed' : next === 'paused' ? 'paused' : 'reopened'}`, subjectType: 'pact', subjectId: pact.id, details: { from: pact.status, to: next } });
    return { status: next! };
  });
}

/** Initiating organizations and linked struggles of a pact that the viewer may see (names and slugs). */
export async function pactLinks(db: Db, viewer: Viewer | null, pactId: string): Promise<{ initiators: { id: string; slug: string; name: string }[]; struggles: { slug: string; title: string }[] }> {
  const [initiators, struggles] = await Promise.all([
    db
      .selectFrom('pact_organizations as po')
      .innerJoin('organizations as o', 'o.id', 'po.organization_id')
      .select(['o.id', 'o.slug', 'o.name'])
      .where('po.pact_id', '=', pactId)
      .where(visibleWhere(viewer, 'o', { orgColumn: 'id' }))
      .orderBy('o.name')
      .execute(),
    db
      .selectFrom('pact_struggles as ps')
      .innerJoin('struggles as s', 's.id', 'ps.struggle_id')
      .select(['s.slug', 's.title'])
      .where('ps.pact_id', '=', pactId)
      .where(visibleWhere(viewer, 's'))
      .orderBy('s.title')
      .execute(),
  ]);
  return { initiators, struggles };
}


