import { inTransaction, type Db } from '../../db/client.ts';
import type { Viewer } from '../../http/viewer.ts';
import type { Visibility } from '../../db/schema.ts';
import { Forbidden, NotFound, SignInRequired, ValidationFailed } from '../../http/errors.ts';
import { FieldChecker, listValue } from '../../lib/validate.ts';
import { SECTOR_CODES, type Sector } from '../../lib/sectors.ts';
import { newId } from '../../lib/ids.ts';
import { nowInstant } from '../../lib/time.ts';
import { searchKey, slugify } from '../../lib/text.ts';
import { retryOnSlugConflict, uniqueSlug, VISIBILITIES } from '../organizations/organizations.service.ts';
import { findStruggleRow } from './struggles.repo.ts';
import { visibleWhere } from '../../db/visibility.ts';
import { changedFields, recordAudit } from '../audit/audit.service.ts';

export const STRUGGLE_KINDS = ['strike', 'protest', 'occupation', 'boycott', 'campaign', 'legal'] as const;
export const STRUGGLE_STATUSES = ['ongoing', 'won', 'lost', 'ended', 'suspended'] as const;
export const STRUGGLE_ROLES = ['initiator', 'supporter'] as const;
export type StruggleKind = (typeof STRUGGLE_KINDS)[number];
export type StruggleStatus = (typeof STRUGGLE_STATUSES)[number];

/** Raw struggle input from a form, the API or an importer. */
export interface StruggleInput {
  title?: unknown;
  slug?: unknown;
  kind?: unknown;
  sector?: unknown;
  country?: unknown;
  locality?: unknown;
  employer?: unknown;
  participants?: unknown;
  demands?: unknown;
  startDate?: unknown;
  endDate?: unknown;
  status?: unknown;
  visibility?: unknown;
  lang?: unknown;
  /** Slug of the publishing organization (whose members decide visibility). */
  organization?: unknown;
  /** Involved organizations by slug: initiators and supporters (lists or comma-separated). */
  initiators?: unknown;
  supporters?: unknown;
  /** Source URLs (list or one per line). */
  sources?: unknown;
}

/** A struggle after validation; organizations still by slug. */
export interface StruggleValues {
  title: string;
  slug: string | null;
  kind: StruggleKind;
  sector: Sector;
  country: string;
  locality: string | null;
  employer: string | null;
  participants: number | null;
  demands: string | null;
  startDate: string;
  endDate: string | null;
  status: StruggleStatus;
  visibility: Visibility;
  lang: string;
  organization: string | null;
  initiators: string[];
  supporters: string[];
  sources: string[];
}

/**
 * Validates and normalizes struggle input. Dates are date-only (`YYYY-MM-DD`); the end date is
 * optional (an ongoing struggle) and not before the start. A struggle with an end date cannot be
 * `ongoing`.
 * @throws {ValidationFailed} listing every bad field.
 */
export function validateStruggle(input: StruggleInput): StruggleValues {
  const c = new FieldChecker();
  const title = c.line('title', input.title, { required: true, max: 300 });
  const slugRaw = c.line('slug', input.slug, { max: 60 });
  const slug = slugRaw && !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(slugRaw) ? c.fail('slug', 'validation.slug') : slugRaw;
  const kind = c.oneOf('kind', input.kind, STRUGGLE_KINDS);
  const sector = c.oneOf('sector', input.sector, SECTOR_CODES);
  const country = c.country('country', input.country);
  const locality = c.line('locality', input.locality, { max: 200 });
  const employer = c.line('employer', input.employer, { max: 300 });
  const participants = c.integer('participants', input.participants, { min: 0, max: 1_000_000_000 });
  const demands = c.text('demands', input.demands, { max: 10000 });
  const startDate = c.date('startDate', input.startDate, { required: true });
  const endDate = c.date('endDate', input.endDate);
  if (startDate && endDate && endDate < startDate) c.fail('endDate', 'validation.end_before_start');
  // No status given (or the form's "from the dates" choice): ongoing without an end date, else ended.
  const status = c.oneOf('status', input.status == null || input.status === '' ? (endDate ? 'ended' : 'ongoing') : input.status, STRUGGLE_STATUSES);
  if (status === 'ongoing' && endDate) c.fail('status', 'validation.ongoing_with_end');
  const visibility = c.oneOf('visibility', input.visibility ?? 'public', VISIBILITIES);
  const lang = c.language('lang', input.lang ?? 'en');
  const organization = c.line('organization', input.organization, { max: 80 });
  const initiators = listValue(input.initiators).slice(0, 50);
  const supporters = listValue(input.supporters).filter((s) => !initiators.includes(s)).slice(0, 200);
  const sources: string[] = [];
  for (const raw of listValue(typeof input.sources === 'string' ? input.sources.split(/\s+/) : input.sources)) {
    const u = c.url('sources', raw);
    if (u && !sources.includes(u)) sources.push(u);
  }
  if (sources.length > 20) c.fail('sources', 'validation.too_many', { max: 20 });
  if (c.errors.length) throw new ValidationFailed(c.errors);
  return {
    title: title!,
    slug,
    kind: kind!,
    sector: sector!,
    country: country!,
    locality,
    employer,
    participants,
    demands,
    startDate: startDate!,
    endDate,
    status: status!,
    visibility: visibility!,
    lang: lang!,
    organization,
    initiators,
    supporters,
    sources,
  };
}

/** True when the viewer may edit the struggle: admins/coordinators/members of the publishing organization, its creator, or an instance admin. */
export function canEditStruggle(viewer: Viewer | null, row: { organization_id: string | null; created_by: string | null }): boolean {
  if (!viewer) return false;
  if (viewer.isAdmin || (row.created_by !== null && row.created_by === viewer.userId)) return true;
  return row.organization_id !== null && canPublishFor(viewer, row.organization_id);
}

/**
 * True when the viewer may publish in the name of an organization — as the publishing owner of a
 * struggle or by naming it as initiator or supporter: its admins, coordinators and members
 * (not `viewer`, which is read-only), and instance admins.
 */
export function canPublishFor(viewer: Viewer | null, organizationId: string): boolean {
  if (!viewer) return false;
  if (viewer.isAdmin) return true;
  const role = viewer.roles.get(organizationId);
  return role === 'admin' || role === 'coordinator' || role === 'member';
}

/**
 * Naming an organization as initiator or supporter puts the struggle on its page, so it needs a
 * publishing role in it; links that already exist may stay whoever edits.
 * @throws {ValidationFailed} on `field` listing the organizations the viewer may not name.
 */
function checkNamedOrganizations(viewer: Viewer, named: Map<string, string>, field: string, existing: ReadonlySet<string>): void {
  const refused = [...named].filter(([, id]) => !existing.has(id) && !canPublishFor(viewer, id)).map(([slug]) => slug);
  if (refused.length) throw new ValidationFailed([{ field, messageId: 'validation.organization_not_yours', values: { slugs: refused.join(', ') } }]);
}

/** Resolves organization slugs to ids (visible to the viewer; trusted callers see all). */
async function resolveOrganizations(db: Db, viewer: Viewer | null, slugs: string[], field: string, trusted: boolean): Promise<Map<string, string>> {
  if (!slugs.length) return new Map();
  let q = db.selectFrom('organizations').select(['id', 'slug']).where('slug', 'in', slugs);
  if (!trusted) q = q.where(visibleWhere(viewer, 'organizations'));
  const rows = await q.execute();
  const bySlug = new Map(rows.map((r) => [r.slug, r.id]));
  const unknown = slugs.filter((s) => !bySlug.has(s));
  if (unknown.length) throw new ValidationFailed([{ field, messageId: 'validation.organization_unknown', values: { slugs: unknown.join(', ') } }]);
  return bySlug;
}

interface WriteOptions {
  /** CLI importers and the demo builder: no viewer, no visibility limits on referenced organizations. */
  trusted?: boolean;
  /** Stable key for idempotent imports (`fmcs:<case number>:<start date>`). */
  externalRef?: string;
  /** Organization ids to link directly (importers), in addition to slugs in the input. */
  initiatorIds?: string[];
  supporterIds?: string[];
}

async function writeLinks(db: Db, struggleId: string, v: StruggleValues, ids: { initiators: string[]; supporters: string[] }) {
  await db.deleteFrom('struggle_organizations').where('struggle_id', '=', struggleId).execute();
  const links = [
    ...[...new Set(ids.initiators)].map((organization_id) => ({ struggle_id: struggleId, organization_id, role: 'initiator' as const })),
    ...[...new Set(ids.supporters)].filter((id) => !ids.initiators.includes(id)).map((organization_id) => ({ struggle_id: struggleId, organization_id, role: 'supporter' as const })),
  ];
  if (links.length) await db.insertInto('struggle_organizations').values(links).execute();
  await db.deleteFrom('struggle_sources').where('struggle_id', '=', struggleId).execute();
  if (v.sources.length) {
    await db.insertInto('struggle_sources').values(v.sources.map((url, position) => ({ struggle_id: struggleId, url, position }))).execute();
  }
}

function columns(v: StruggleValues) {
  return {
    title: v.title,
    kind: v.kind,
    sector: v.sector,
    country: v.country,
    locality: v.locality,
    employer: v.employer,
    participants: v.participants,
    demands: v.demands,
    start_date: v.startDate,
    end_date: v.endDate,
    status: v.status,
    visibility: v.visibility,
    lang: v.lang,
    search_text: searchKey(v.title, v.employer, v.demands, v.locality),
  };
}

/**
 * A struggle's stored values under their API field names, with linked organizations as sorted id
 * lists and sources in order: the "before" and "after" of the audit log's changed `fields`.
 */
async function auditSnapshot(db: Db, struggleId: string): Promise<Record<string, unknown>> {
  const row = await db.selectFrom('struggles').selectAll().where('id', '=', struggleId).executeTakeFirstOrThrow();
  const links = await db.selectFrom('struggle_organizations').select(['organization_id', 'role']).where('struggle_id', '=', struggleId).execute();
  const sources = await db.selectFrom('struggle_sources').select('url').where('struggle_id', '=', struggleId).orderBy('position').execute();
  const ids = (role: string) => links.filter((l) => l.role === role).map((l) => l.organization_id).sort();
  return {
    title: row.title,
    slug: row.slug,
    kind: row.kind,
    sector: row.sector,
    country: row.country,
    locality: row.locality,
    employer: row.employer,
    participants: row.participants === null ? null : Number(row.participants),
    demands: row.demands,
    startDate: row.start_date,
    endDate: row.end_date,
    status: row.status,
    visibility: row.visibility,
    lang: row.lang,
    organization: row.organization_id,
    initiators: ids('initiator'),
    supporters: ids('supporter'),
    sources: sources.map((r) => r.url),
  };
}

/**
 * Creates a struggle, or — with `externalRef` — updates the one imported earlier under that key
 * (idempotent re-import). The publishing organization must be one the viewer belongs to.
 * Writes `struggle.created` (or, for a re-import that changed something, `struggle.updated` with
 * the changed field names) to the audit log of the publishing organization (null for imported
 * public data), in the same transaction.
 * @returns id, slug and whether it was created (false: updated).
 * @throws {SignInRequired}; {ValidationFailed} bad fields or unknown organizations; {Forbidden}
 *   publishing for an organization the viewer is not a member of.
 */
export async function createStruggle(db: Db, viewer: Viewer | null, input: StruggleInput, o: WriteOptions = {}): Promise<{ id: string; slug: string; created: boolean }> {
  if (!viewer && !o.trusted) throw new SignInRequired();
  const v = validateStruggle(input);
  return retryOnSlugConflict(() => inTransaction(db, async (tx) => {
    const trusted = !!o.trusted;
    const [owner, initiators, supporters] = await Promise.all([
      resolveOrganizations(tx, viewer, v.organization ? [v.organization] : [], 'organization', trusted),
      resolveOrganizations(tx, viewer, v.initiators, 'initiators', trusted),
      resolveOrganizations(tx, viewer, v.supporters, 'supporters', trusted),
    ]);
    const organizationId = v.organization ? owner.get(v.organization)! : null;
    if (organizationId && !trusted && !canPublishFor(viewer, organizationId)) throw new Forbidden();
    if (!trusted) {
      checkNamedOrganizations(viewer!, initiators, 'initiators', new Set());
      checkNamedOrganizations(viewer!, supporters, 'supporters', new Set());
    }
    const now = nowInstant();
    const ids = {
      initiators: [...initiators.values(), ...(o.initiatorIds ?? [])],
      supporters: [...supporters.values(), ...(o.supporterIds ?? [])],
    };
    if (o.externalRef) {
      const existing = await tx.selectFrom('struggles').select(['id', 'slug']).where('external_ref', '=', o.externalRef).executeTakeFirst();
      if (existing) {
        const before = await auditSnapshot(tx, existing.id);
        await tx.updateTable('struggles').set({ ...columns(v), organization_id: organizationId, updated_at: now }).where('id', '=', existing.id).execute();
        await writeLinks(tx, existing.id, v, ids);
        const fields = changedFields(before, await auditSnapshot(tx, existing.id));
        if (fields.length)
          await recordAudit(tx, viewer, { organizationId, action: 'struggle.updated', subjectType: 'struggle', subjectId: existing.id, details: { fields } });
        return { ...existing, created: false };
      }
    }
    const id = newId();
    const slug = await uniqueSlug(tx, 'struggles', v.slug ?? slugify(v.title));
    await tx
      .insertInto('struggles')
      .values({
        id,
        slug,
        ...columns(v),
        organization_id: organizationId,
        external_ref: o.externalRef ?? null,
        created_by: viewer?.userId ?? null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await writeLinks(tx, id, v, ids);
    await recordAudit(tx, viewer, { organizationId, action: 'struggle.created', subjectType: 'struggle', subjectId: id, details: { slug } });
    return { id, slug, created: true };
  }));
}

/**
 * Replaces a struggle's fields, organizations and sources. Writes `struggle.updated` with the
 * changed field names (nothing when none changed) to the publishing organization's audit log — to
 * both organizations' logs when the struggle moves — in the same transaction.
 * @throws {NotFound} unknown or invisible; {Forbidden} not allowed to edit; {ValidationFailed}.
 */
export async function updateStruggle(db: Db, viewer: Viewer | null, slug: string, input: StruggleInput): Promise<{ id: string; slug: string }> {
  if (!viewer) throw new SignInRequired();
  const v = validateStruggle(input);
  return inTransaction(db, async (tx) => {
    const row = await findStruggleRow(tx, viewer, slug);
    if (!row) throw new NotFound();
    if (!canEditStruggle(viewer, row)) throw new Forbidden();
    const [owner, initiators, supporters] = await Promise.all([
      resolveOrganizations(tx, viewer, v.organization ? [v.organization] : [], 'organization', false),
      resolveOrganizations(tx, viewer, v.initiators, 'initiators', false),
      resolveOrganizations(tx, viewer, v.supporters, 'supporters', false),
    ]);
    const organizationId = v.organization ? owner.get(v.organization)! : null;
    if (organizationId && organizationId !== row.organization_id && !canPublishFor(viewer, organizationId)) throw new Forbidden();
    const linked = await tx.selectFrom('struggle_organizations').select('organization_id').where('struggle_id', '=', row.id).execute();
    const existing = new Set(linked.map((l) => l.organization_id));
    checkNamedOrganizations(viewer, initiators, 'initiators', existing);
    checkNamedOrganizations(viewer, supporters, 'supporters', existing);
    const newSlug = v.slug && v.slug !== row.slug ? await uniqueSlug(tx, 'struggles', v.slug, row.id) : row.slug;
    const before = await auditSnapshot(tx, row.id);
    await tx
      .updateTable('struggles')
      .set({ ...columns(v), slug: newSlug, organization_id: organizationId, updated_at: nowInstant() })
      .where('id', '=', row.id)
      .execute();
    await writeLinks(tx, row.id, v, { initiators: [...initiators.values()], supporters: [...supporters.values()] });
    const fields = changedFields(before, await auditSnapshot(tx, row.id));
    if (fields.length) {
      // Logged for the (new) publishing organization; a move between organizations is logged for both.
      const owners = [...new Set([organizationId, row.organization_id])];
      for (const owner of owners)
        await recordAudit(tx, viewer, { organizationId: owner, action: 'struggle.updated', subjectType: 'struggle', subjectId: row.id, details: { fields } });
    }
    return { id: row.id, slug: newSlug };
  });
}

/** Raw input for a timeline entry. */
export interface StruggleUpdateInput {
  date?: unknown;
  body?: unknown;
  lang?: unknown;
}

/**
 * Adds a dated entry to a struggle's timeline (date-only; may be in the past). Writes
 * `struggle.update_added` to the publishing organization's audit log in the same transaction.
 * @throws {NotFound}; {Forbidden}; {ValidationFailed} for `date`, `body`, `lang`.
 */
export async function addStruggleUpdate(db: Db, viewer: Viewer | null, slug: string, input: StruggleUpdateInput, o: { trusted?: boolean } = {}): Promise<{ id: string }> {
  if (!viewer && !o.trusted) throw new SignInRequired();
  const c = new FieldChecker();
  const date = c.date('date', input.date, { required: true });
  const body = c.text('body', input.body, { required: true, max: 5000 });
  const lang = c.language('lang', input.lang ?? 'en');
  if (c.errors.length) throw new ValidationFailed(c.errors);
  return inTransaction(db, async (tx) => {
    const row = o.trusted
      ? await tx.selectFrom('struggles').selectAll().where('slug', '=', slug).executeTakeFirst()
      : await findStruggleRow(tx, viewer, slug);
    if (!row) throw new NotFound();
    if (!o.trusted && !canEditStruggle(viewer, row)) throw new Forbidden();
    const id = newId();
    await tx
      .insertInto('struggle_updates')
      .values({ id, struggle_id: row.id, date: date!, body: body!, lang: lang!, created_by: viewer?.userId ?? null, created_at: nowInstant() })
      .execute();
    await recordAudit(tx, viewer, {
      organizationId: row.organization_id,
      action: 'struggle.update_added',
      subjectType: 'struggle',
      subjectId: row.id,
      details: { update: id, date: date! },
    });
    await tx.updateTable('struggles').set({ updated_at: nowInstant() }).where('id', '=', row.id).execute();
    return { id };
  });
}
