import { inTransaction, isUniqueViolation, type Db } from '../../db/client.ts';
import type { Viewer } from '../../http/viewer.ts';
import type { Visibility } from '../../db/schema.ts';
import { Forbidden, NotFound, ValidationFailed, SignInRequired } from '../../http/errors.ts';
import { FieldChecker, listValue } from '../../lib/validate.ts';
import { emailKey } from '../../lib/email.ts';
import { newId } from '../../lib/ids.ts';
import { nowInstant } from '../../lib/time.ts';
import { searchKey, slugify } from '../../lib/text.ts';
import { setOrganizationRole } from '../accounts/accounts.service.ts';
import { findOrganizationRow } from './organizations.repo.ts';
import { visibleWhere } from '../../db/visibility.ts';
import { changedFields, recordAudit } from '../audit/audit.service.ts';

export const ORGANIZATION_KINDS = ['party', 'union', 'self_organization', 'women', 'youth', 'refugee_group', 'ngo', 'other'] as const;
export const VISIBILITIES = ['public', 'network', 'members', 'private'] as const;
export type OrganizationKind = (typeof ORGANIZATION_KINDS)[number];

/** Raw input from a form, the API or an importer (strings; `languages` comma-separated or a list). */
export interface OrganizationInput {
  name?: unknown;
  slug?: unknown;
  kind?: unknown;
  country?: unknown;
  city?: unknown;
  languages?: unknown;
  website?: unknown;
  contactEmail?: unknown;
  description?: unknown;
  descriptionLang?: unknown;
  visibility?: unknown;
  /** Slug of the parent organization. */
  parent?: unknown;
}

/** An organization after validation. */
export interface OrganizationValues {
  name: string;
  slug: string | null;
  kind: OrganizationKind;
  country: string;
  city: string | null;
  languages: string[];
  website: string | null;
  contactEmail: string | null;
  description: string | null;
  descriptionLang: string;
  visibility: Visibility;
  parent: string | null;
}

/**
 * Validates and normalizes organization input.
 * @throws {ValidationFailed} listing every bad field (catalog ids).
 */
export function validateOrganization(input: OrganizationInput): OrganizationValues {
  const c = new FieldChecker();
  const name = c.line('name', input.name, { required: true, max: 200, noAngles: true });
  const slugRaw = c.line('slug', input.slug, { max: 60 });
  const slug = slugRaw && !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(slugRaw) ? c.fail('slug', 'validation.slug') : slugRaw;
  const kind = c.oneOf('kind', input.kind, ORGANIZATION_KINDS);
  const country = c.country('country', input.country);
  const city = c.line('city', input.city, { max: 120 });
  const languages: string[] = [];
  for (const tag of listValue(input.languages)) {
    const v = c.language('languages', tag);
    if (v && !languages.includes(v)) languages.push(v);
  }
  if (languages.length > 20) c.fail('languages', 'validation.too_many', { max: 20 });
  const website = c.url('website', input.website);
  const contactRaw = c.line('contactEmail', input.contactEmail, { max: 254 });
  const contactEmail = contactRaw && !emailKey(contactRaw) ? c.fail('contactEmail', 'validation.email') : contactRaw;
  const description = c.text('description', input.description, { max: 10000 });
  const descriptionLang = c.language('descriptionLang', input.descriptionLang ?? languages[0] ?? 'en');
  const visibility = c.oneOf('visibility', input.visibility ?? 'public', VISIBILITIES);
  const parent = c.line('parent', input.parent, { max: 60 });
  if (c.errors.length) throw new ValidationFailed(c.errors);
  return {
    name: name!,
    slug,
    kind: kind!,
    country: country!,
    city,
    languages,
    website,
    contactEmail,
    description,
    descriptionLang: descriptionLang!,
    visibility: visibility!,
    parent,
  };
}

/** A slug not yet used in `table`: `base`, else `base-2`, `base-3`, … */
export async function uniqueSlug(
  db: Db,
  table: 'organizations' | 'networks' | 'struggles' | 'solidarity_calls' | 'action_days' | 'pacts' | 'campaigns',
  base: string,
  exceptId?: string,
): Promise<string> {
  const rows = await db
    .selectFrom(table)
    .select(['slug', 'id'])
    .where((eb) => eb.or([eb('slug', '=', base), eb('slug', 'like', `${base}-%`)]))
    .execute();
  const taken = new Set(rows.filter((r) => r.id !== exceptId).map((r) => r.slug));
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}-${i}`)) return `${base}-${i}`;
}

/**
 * Runs a write that picks a slug with `uniqueSlug`, again (up to 5 times) when a concurrent write
 * took the same slug between the check and the insert (a unique violation on `slug`).
 */
export async function retryOnSlugConflict<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= 5 || !isUniqueViolation(err, 'slug')) throw err;
    }
  }
}

/** True when the viewer may edit the organization: its admins and coordinators, or an instance admin. */
export function canManageOrganization(viewer: Viewer | null, organizationId: string): boolean {
  if (!viewer) return false;
  if (viewer.isAdmin) return true;
  const role = viewer.roles.get(organizationId);
  return role === 'admin' || role === 'coordinator';
}

/**
 * The parent organization's id for `slug`. Placing an organization inside another needs the
 * consent of the parent: its admins or coordinators (or an instance admin, or a trusted caller);
 * keeping the current parent needs nothing.
 */
async function resolveParent(
  db: Db,
  viewer: Viewer | null,
  slug: string | null,
  o: { selfId?: string; currentParentId?: string | null; trusted?: boolean } = {},
): Promise<string | null> {
  if (!slug) return null;
  const parent = await findOrganizationRow(db, viewer, slug);
  if (!parent) throw new ValidationFailed([{ field: 'parent', messageId: 'validation.parent_unknown' }]);
  if (!o.trusted && parent.id !== o.currentParentId && !canManageOrganization(viewer, parent.id))
    throw new ValidationFailed([{ field: 'parent', messageId: 'validation.parent_not_yours' }]);
  const selfId = o.selfId;
  if (selfId) {
    // Refuse cycles: walk up from the new parent.
    let cursor: string | null = parent.id;
    for (let depth = 0; cursor && depth < 50; depth++) {
      if (cursor === selfId) throw new ValidationFailed([{ field: 'parent', messageId: 'validation.parent_cycle' }]);
      const up: { parent_id: string | null } | undefined = await db.selectFrom('organizations').select('parent_id').where('id', '=', cursor).executeTakeFirst();
      cursor = up?.parent_id ?? null;
    }
  }
  return parent.id;
}

async function writeLanguages(db: Db, organizationId: string, languages: string[]): Promise<void> {
  await db.deleteFrom('organization_languages').where('organization_id', '=', organizationId).execute();
  if (languages.length) {
    await db
      .insertInto('organization_languages')
      .values(languages.map((language, position) => ({ organization_id: organizationId, language, position })))
      .execute();
  }
}

/**
 * Creates an organization; a signed-in creator becomes its admin. Writes `organization.created`
 * to the audit log in the same transaction (actor null for trusted callers). Pass `viewer: null` only from
 * trusted callers (CLI importers, the demo builder).
 * @returns id and slug.
 * @throws {ValidationFailed} bad fields; {SignInRequired} when `requireViewer` and no viewer.
 */
export async function createOrganization(
  db: Db,
  viewer: Viewer | null,
  input: OrganizationInput,
  o: { trusted?: boolean } = {},
): Promise<{ id: string; slug: string }> {
  if (!viewer && !o.trusted) throw new SignInRequired();
  const v = validateOrganization(input);
  return retryOnSlugConflict(() => inTransaction(db, async (tx) => {
    const parentId = await resolveParent(tx, viewer, v.parent, { trusted: o.trusted });
    const id = newId();
    const slug = await uniqueSlug(tx, 'organizations', v.slug ?? slugify(v.name));
    const now = nowInstant();
    await tx
      .insertInto('organizations')
      .values({
        id,
        slug,
        name: v.name,
        kind: v.kind,
        country: v.country,
        city: v.city,
        website: v.website,
        contact_email: v.contactEmail,
        description: v.description,
        description_lang: v.descriptionLang,
        visibility: v.visibility,
        parent_id: parentId,
        search_text: searchKey(v.name, v.city),
        created_by: viewer?.userId ?? null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await writeLanguages(tx, id, v.languages);
    if (viewer) await setOrganizationRole(tx, id, viewer.userId, 'admin');
    await recordAudit(tx, viewer, { organizationId: id, action: 'organization.created', subjectType: 'organization', subjectId: id, details: { slug } });
    return { id, slug };
  }));
}

/** An organization row's editable values under their API field names (for the audit log's `fields`). */
function auditedFields(r: {
  slug: string; name: string; kind: string; country: string; city: string | null; website: string | null; contact_email: string | null;
  description: string | null; description_lang: string; visibility: string; parent_id: string | null;
}): Record<string, unknown> {
  return {
    name: r.name, slug: r.slug, kind: r.kind, country: r.country, city: r.city, website: r.website, contactEmail: r.contact_email,
    description: r.description, descriptionLang: r.description_lang, visibility: r.visibility, parent: r.parent_id,
  };
}

/**
 * Updates an organization found by slug. Writes `organization.updated` to the audit log with the
 * names of the changed fields (nothing when no field changed), in the same transaction.
 * @throws {NotFound} unknown or invisible; {Forbidden} not an admin/coordinator; {ValidationFailed}.
 */
export async function updateOrganization(db: Db, viewer: Viewer | null, slug: string, input: OrganizationInput): Promise<{ id: string; slug: string }> {
  if (!viewer) throw new SignInRequired();
  const v = validateOrganization(input);
  return inTransaction(db, async (tx) => {
    const row = await findOrganizationRow(tx, viewer, slug);
    if (!row) throw new NotFound();
    if (!canManageOrganization(viewer, row.id)) throw new Forbidden();
    const parentId = await resolveParent(tx, viewer, v.parent, { selfId: row.id, currentParentId: row.parent_id });
    const newSlug = v.slug && v.slug !== row.slug ? await uniqueSlug(tx, 'organizations', v.slug, row.id) : row.slug;
    const oldLanguages = await tx
      .selectFrom('organization_languages')
      .select('language')
      .where('organization_id', '=', row.id)
      .orderBy('position')
      .execute();
    const fields = changedFields(
      { ...auditedFields(row), languages: oldLanguages.map((l) => l.language) },
      { ...auditedFields({ ...row, slug: newSlug, name: v.name, kind: v.kind, country: v.country, city: v.city, website: v.website, contact_email: v.contactEmail, description: v.description, description_lang: v.descriptionLang, visibility: v.visibility, parent_id: parentId }), languages: v.languages },
    );
    await tx
      .updateTable('organizations')
      .set({
        slug: newSlug,
        name: v.name,
        kind: v.kind,
        country: v.country,
        city: v.city,
        website: v.website,
        contact_email: v.contactEmail,
        description: v.description,
        description_lang: v.descriptionLang,
        visibility: v.visibility,
        parent_id: parentId,
        search_text: searchKey(v.name, v.city),
        updated_at: nowInstant(),
      })
      .where('id', '=', row.id)
      .execute();
    await writeLanguages(tx, row.id, v.languages);
    if (fields.length)
      await recordAudit(tx, viewer, { organizationId: row.id, action: 'organization.updated', subjectType: 'organization', subjectId: row.id, details: { fields } });
    return { id: row.id, slug: newSlug };
  });
}

/**
 * Finds an organization by exact name (case-insensitive) and country, or creates a public one.
 * Used by importers, which name organizations but do not describe them.
 */
export async function findOrCreateOrganization(
  db: Db,
  input: { name: string; kind: OrganizationKind; country: string; descriptionLang?: string },
): Promise<{ id: string; slug: string; created: boolean }> {
  const name = input.name.normalize('NFC').trim();
  const existing = await db
    .selectFrom('organizations')
    .select(['id', 'slug'])
    .where((eb) => eb(eb.fn('lower', ['name']), '=', name.toLowerCase()))
    .where('country', '=', input.country)
    .executeTakeFirst();
  if (existing) return { ...existing, created: false };
  const created = await createOrganization(
    db,
    null,
    { name, kind: input.kind, country: input.country, descriptionLang: input.descriptionLang ?? 'en', visibility: 'public' },
    { trusted: true },
  );
  return { ...created, created: true };
}

/**
 * Organization slugs → ids among those the viewer may see (trusted callers: all), for services
 * that name organizations (issuers of a call, initiators of a pact).
 * @throws {ValidationFailed} on `field` naming the unknown or invisible slugs
 *   (`validation.organization_unknown`).
 */
export async function resolveOrganizations(db: Db, viewer: Viewer | null, slugs: string[], field: string, trusted: boolean): Promise<Map<string, string>> {
  if (!slugs.length) return new Map();
  let q = db.selectFrom('organizations').select(['id', 'slug']).where('slug', 'in', slugs);
  if (!trusted) q = q.where(visibleWhere(viewer, 'organizations'));
  const bySlug = new Map((await q.execute()).map((r) => [r.slug, r.id]));
  const unknown = slugs.filter((s) => !bySlug.has(s));
  if (unknown.length) throw new ValidationFailed([{ field, messageId: 'validation.organization_unknown', values: { slugs: unknown.join(', ') } }]);
  return bySlug;
}
