import { inTransaction, type Db } from '../../db/client.ts';
import type { Viewer } from '../../http/viewer.ts';
import { Forbidden, NotFound, SignInRequired, ValidationFailed } from '../../http/errors.ts';
import { FieldChecker } from '../../lib/validate.ts';
import { SECTOR_CODES, type Sector } from '../../lib/sectors.ts';
import { newId } from '../../lib/ids.ts';
import { nowInstant, todayIn } from '../../lib/time.ts';
import { slugify } from '../../lib/text.ts';
import { canManageOrganization, retryOnSlugConflict, uniqueSlug } from '../organizations/organizations.service.ts';
import { changedFields, recordAudit } from '../audit/audit.service.ts';
import { coordinatorOrganizationIds, findNetworkRow, organizationVisible, type NetworkRow } from './networks.repo.ts';

/** Roles of an organization in a sector network. */
export const NETWORK_ROLES = ['member', 'observer', 'coordinator'] as const;
export type NetworkRole = (typeof NETWORK_ROLES)[number];

/** Raw network input from a form, the API or an importer. */
export interface NetworkInput {
  name?: unknown;
  slug?: unknown;
  /** One of the codes in `lib/sectors.ts`. */
  sector?: unknown;
  description?: unknown;
  /** BCP 47 tag of `description`; default `en`. */
  descriptionLang?: unknown;
}

/** A network after validation. */
export interface NetworkValues {
  name: string;
  slug: string | null;
  sector: Sector;
  description: string | null;
  descriptionLang: string;
}

/** Raw membership input: the organization by slug, its role, and the date-only period. */
export interface NetworkMembershipInput {
  /** Slug of the joining organization. */
  organization?: unknown;
  /** `member` (default), `observer` or `coordinator`. */
  role?: unknown;
  /** First day of the membership, `YYYY-MM-DD` (required). */
  since?: unknown;
  /** Last day of the membership (inclusive), `YYYY-MM-DD`; empty while it lasts. */
  until?: unknown;
}

/**
 * Today as a date-only value. Membership periods are calendar dates without a time zone; "current"
 * is judged on the UTC date, the same rule `loadViewer` uses for network peers.
 */
export function networkToday(): string {
  return todayIn('UTC');
}

/**
 * Validates and normalizes network input.
 * @throws {ValidationFailed} listing every bad field (`name`, `slug`, `sector`, `description`, `descriptionLang`).
 */
export function validateNetwork(input: NetworkInput): NetworkValues {
  const c = new FieldChecker();
  const name = c.line('name', input.name, { required: true, max: 200, noAngles: true });
  const slugRaw = c.line('slug', input.slug, { max: 60 });
  const slug = slugRaw && !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(slugRaw) ? c.fail('slug', 'validation.slug') : slugRaw;
  const sector = c.oneOf('sector', input.sector, SECTOR_CODES);
  const description = c.text('description', input.description, { max: 10000 });
  const descriptionLang = c.language('descriptionLang', input.descriptionLang || 'en');
  if (c.errors.length) throw new ValidationFailed(c.errors);
  return { name: name!, slug, sector: sector!, description, descriptionLang: descriptionLang! };
}

/**
 * True when the viewer may edit the network and manage all its memberships: instance admins, the
 * account that created the network, accounts with the network role `coordinator`, and admins/coordinators of an organization that is a current
 * `coordinator` member of it. `coordinatorOrgIds` are those organizations (see
 * `coordinatorOrganizationIds` in the repo).
 */
export function canManageNetwork(viewer: Viewer | null, network: { id: string; created_by: string | null }, coordinatorOrgIds: readonly string[]): boolean {
  if (!viewer) return false;
  if (viewer.isAdmin || (network.created_by !== null && network.created_by === viewer.userId)) return true;
  if (viewer.networkRoles.get(network.id) === 'coordinator') return true;
  return coordinatorOrgIds.some((id) => canManageOrganization(viewer, id));
}

/** `canManageNetwork` with the current coordinators looked up in `db`. */
export async function mayManageNetwork(db: Db, viewer: Viewer | null, network: NetworkRow): Promise<boolean> {
  if (!viewer) return false;
  if (viewer.isAdmin || network.created_by === viewer.userId || viewer.networkRoles.get(network.id) === 'coordinator') return true;
  return canManageNetwork(viewer, network, await coordinatorOrganizationIds(db, network.id, networkToday()));
}

/**
 * Creates a network. Any signed-in account may; it is recorded as `created_by` and may manage the
 * network from then on. Pass `viewer: null` with `trusted` only from the CLI and the demo builder.
 * Writes `network.created` to the audit log (organization null) in the same transaction.
 * @returns id and slug (the requested slug, or one made from the name; `-2`, `-3`… when taken).
 * @throws {SignInRequired} no viewer and not trusted; {ValidationFailed} bad fields.
 */
export async function createNetwork(db: Db, viewer: Viewer | null, input: NetworkInput, o: { trusted?: boolean } = {}): Promise<{ id: string; slug: string }> {
  if (!viewer && !o.trusted) throw new SignInRequired();
  const v = validateNetwork(input);
  return retryOnSlugConflict(() => inTransaction(db, async (tx) => {
    const id = newId();
    const slug = await uniqueSlug(tx, 'networks', v.slug ?? slugify(v.name));
    const now = nowInstant();
    await tx
      .insertInto('networks')
      .values({
        id,
        slug,
        name: v.name,
        sector: v.sector,
        description: v.description,
        description_lang: v.descriptionLang,
        created_by: viewer?.userId ?? null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    // A network belongs to no single organization: its events are in the instance-wide log (organization null).
    await recordAudit(tx, viewer, { action: 'network.created', subjectType: 'network', subjectId: id, details: { slug } });
    return { id, slug };
  }));
}

/**
 * Replaces a network's fields (found by slug). A new slug that is taken gets a `-2`… suffix.
 * Writes `network.updated` with the changed field names (nothing when none changed).
 * @throws {SignInRequired}; {NotFound} unknown slug; {Forbidden} the viewer may not manage it
 *   (see `canManageNetwork`); {ValidationFailed} bad fields.
 */
export async function updateNetwork(db: Db, viewer: Viewer | null, slug: string, input: NetworkInput): Promise<{ id: string; slug: string }> {
  if (!viewer) throw new SignInRequired();
  const v = validateNetwork(input);
  return inTransaction(db, async (tx) => {
    const row = await findNetworkRow(tx, slug);
    if (!row) throw new NotFound();
    if (!(await mayManageNetwork(tx, viewer, row))) throw new Forbidden();
    const newSlug = v.slug && v.slug !== row.slug ? await uniqueSlug(tx, 'networks', v.slug, row.id) : row.slug;
    const fields = changedFields(
      { name: row.name, slug: row.slug, sector: row.sector, description: row.description, descriptionLang: row.description_lang },
      { name: v.name, slug: newSlug, sector: v.sector, description: v.description, descriptionLang: v.descriptionLang },
    );
    await tx
      .updateTable('networks')
      .set({
        slug: newSlug,
        name: v.name,
        sector: v.sector,
        description: v.description,
        description_lang: v.descriptionLang,
        updated_at: nowInstant(),
      })
      .where('id', '=', row.id)
      .execute();
    if (fields.length) await recordAudit(tx, viewer, { action: 'network.updated', subjectType: 'network', subjectId: row.id, details: { fields } });
    return { id: row.id, slug: newSlug };
  });
}

/** Periods are inclusive date ranges; `null` as `until` means open-ended. */
function overlaps(a: { since: string; until: string | null }, b: { since: string; until: string | null }): boolean {
  return (a.until === null || b.since <= a.until) && (b.until === null || a.since <= b.until);
}

/**
 * Fails with a field error when the period would duplicate or overlap another membership of the
 * same organization in the same network (one organization is in a network at most once at a time).
 */
async function checkPeriod(
  tx: Db,
  m: { networkId: string; organizationId: string; since: string; until: string | null; exceptId?: string },
  fields: { since: string; until: string },
): Promise<void> {
  let q = tx
    .selectFrom('network_memberships')
    .select(['id', 'since', 'until'])
    .where('network_id', '=', m.networkId)
    .where('organization_id', '=', m.organizationId);
  if (m.exceptId) q = q.where('id', '!=', m.exceptId);
  const others = await q.execute();
  if (others.some((o) => o.since === m.since)) {
    throw new ValidationFailed([{ field: fields.since, messageId: 'networks.validation.duplicate' }]);
  }
  const clash = others.find((o) => overlaps(o, m));
  if (clash) {
    throw new ValidationFailed([
      { field: fields.until, messageId: 'networks.validation.overlap', values: { since: clash.since, until: clash.until ?? '…' } },
    ]);
  }
}

/** True for a unique-constraint violation on either engine (a concurrent insert won the race). */
function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return !!e && (e.code === '23505' || (typeof e.message === 'string' && e.message.includes('UNIQUE constraint failed')));
}

/**
 * Adds an organization to a network for a period (date-only, `until` inclusive and optional).
 * Who may: admins and coordinators of the joining organization (joining shares its `network`
 * records with the other members, so it needs the organization's own consent); taking the
 * `coordinator` role also needs the right to manage the network. Trusted callers (CLI, demo) may
 * do anything.
 * Writes `network.membership_added` to the member organization's audit log.
 * @throws {SignInRequired}; {NotFound} unknown network; {Forbidden} not allowed;
 *   {ValidationFailed} on `organization` (required / unknown or invisible), `role`, `since`
 *   (required, date, duplicate of an existing membership's start), `until` (date, before `since`,
 *   overlapping another membership of the same organization in this network).
 */
export async function addNetworkMembership(
  db: Db,
  viewer: Viewer | null,
  networkSlug: string,
  input: NetworkMembershipInput,
  o: { trusted?: boolean } = {},
): Promise<{ id: string }> {
  if (!viewer && !o.trusted) throw new SignInRequired();
  const c = new FieldChecker();
  const organization = c.line('organization', input.organization, { required: true, max: 80 });
  const role = c.oneOf('role', input.role || 'member', NETWORK_ROLES);
  const since = c.date('since', input.since, { required: true });
  const until = c.date('until', input.until);
  if (since && until && until < since) c.fail('until', 'networks.validation.until_before_since');
  if (c.errors.length) throw new ValidationFailed(c.errors);
  return inTransaction(db, async (tx) => {
    const network = await findNetworkRow(tx, networkSlug);
    if (!network) throw new NotFound();
    let orgQuery = tx.selectFrom('organizations').select(['id', 'slug']).where('slug', '=', organization!);
    if (!o.trusted) orgQuery = orgQuery.where(organizationVisible(viewer));
    const org = await orgQuery.executeTakeFirst();
    if (!org) throw new ValidationFailed([{ field: 'organization', messageId: 'validation.organization_unknown', values: { slugs: organization! } }]);
    if (!o.trusted) {
      // Joining shares the organization's `network` records with every member: only its own
      // admins and coordinators (or an instance admin) may do that. Managing the network is
      // not enough, and the `coordinator` role needs both.
      if (!canManageOrganization(viewer, org.id)) throw new Forbidden();
      if (role === 'coordinator' && !(await mayManageNetwork(tx, viewer, network))) throw new Forbidden();
    }
    await checkPeriod(tx, { networkId: network.id, organizationId: org.id, since: since!, until }, { since: 'since', until: 'until' });
    const id = newId();
    try {
      await tx
        .insertInto('network_memberships')
        .values({ id, network_id: network.id, organization_id: org.id, role: role!, since: since!, until, created_at: nowInstant() })
        .execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new ValidationFailed([{ field: 'since', messageId: 'networks.validation.duplicate' }]);
      throw err;
    }
    // Logged for the member organization, whose admins see their organization join a network.
    await recordAudit(tx, viewer, {
      organizationId: org.id,
      action: 'network.membership_added',
      subjectType: 'network',
      subjectId: network.id,
      details: { membership: id, network: network.slug, role: role!, since: since!, until },
    });
    return { id };
  });
}

/**
 * Ends a membership: sets its last day (inclusive, date-only `YYYY-MM-DD`); a later call corrects it.
 * Who may: those who may manage the network, and admins/coordinators of the member organization.
 * Writes `network.membership_ended` to the member organization's audit log.
 * @throws {SignInRequired}; {NotFound} unknown membership (or one of an organization the viewer
 *   cannot see and does not manage the network of); {Forbidden}; {ValidationFailed} on `until`
 *   (required, date, before `since`, overlapping a later membership of the same organization).
 */
export async function endNetworkMembership(
  db: Db,
  viewer: Viewer | null,
  membershipId: string,
  until: unknown,
  o: { trusted?: boolean } = {},
): Promise<{ id: string; until: string }> {
  if (!viewer && !o.trusted) throw new SignInRequired();
  const c = new FieldChecker();
  const end = c.date('until', until, { required: true });
  if (c.errors.length) throw new ValidationFailed(c.errors);
  return inTransaction(db, async (tx) => {
    const m = await tx.selectFrom('network_memberships').selectAll().where('id', '=', membershipId).executeTakeFirst();
    if (!m) throw new NotFound();
    if (!o.trusted) {
      const network = await tx.selectFrom('networks').selectAll().where('id', '=', m.network_id).executeTakeFirstOrThrow();
      const manager = await mayManageNetwork(tx, viewer, network);
      if (!manager) {
        const visible = await tx
          .selectFrom('organizations')
          .select('id')
          .where('id', '=', m.organization_id)
          .where(organizationVisible(viewer))
          .executeTakeFirst();
        if (!visible) throw new NotFound();
        if (!canManageOrganization(viewer, m.organization_id)) throw new Forbidden();
      }
    }
    if (end! < m.since) throw new ValidationFailed([{ field: 'until', messageId: 'networks.validation.until_before_since' }]);
    await checkPeriod(tx, { networkId: m.network_id, organizationId: m.organization_id, since: m.since, until: end, exceptId: m.id }, { since: 'until', until: 'until' });
    await tx.updateTable('network_memberships').set({ until: end }).where('id', '=', m.id).execute();
    await recordAudit(tx, viewer, {
      organizationId: m.organization_id,
      action: 'network.membership_ended',
      subjectType: 'network',
      subjectId: m.network_id,
      details: { membership: m.id, until: end!, previousUntil: m.until },
    });
    return { id: m.id, until: end! };
  });
}
