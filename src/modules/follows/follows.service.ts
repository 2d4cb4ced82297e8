import { sql } from 'kysely';
import { inTransaction, type Db } from '../../db/client.ts';
import type { Viewer } from '../../http/viewer.ts';
import { FOLLOW_TARGETS, type FollowTarget } from '../../db/schema.ts';
import { Conflict, Forbidden, NotFound, SignInRequired, ValidationFailed } from '../../http/errors.ts';
import { FieldChecker } from '../../lib/validate.ts';
import { newId } from '../../lib/ids.ts';
import { nowInstant } from '../../lib/time.ts';
import { canSee, visibleWhere } from '../../db/visibility.ts';
import { canPublishFor } from '../struggles/struggles.service.ts';
import { recordAudit } from '../audit/audit.service.ts';

export { FOLLOW_TARGETS };

/** At most this many follows per organization. */
export const MAX_FOLLOWS = 500;

/**
 * Raw follow input from a form or the API.
 * - `organization`: slug of the following organization (the viewer needs a publishing role in it);
 * - `kind`: one of `FOLLOW_TARGETS`;
 * - `target`: the slug of a struggle, call or network, or an ISO 3166-1 alpha-2 country code.
 */
export interface FollowInput {
  organization?: unknown;
  kind?: unknown;
  target?: unknown;
}

/** A follow as created: ids resolved. */
export interface Follow {
  id: string;
  organizationId: string;
  kind: FollowTarget;
  targetId: string;
}

/**
 * Whether the viewer may make or end follows for an organization: the organization's admins,
 * coordinators and members, and instance admins — the same roles that publish in its name
 * (`viewer` is read-only). Reading the notifications needs only membership.
 */
export function canFollowFor(viewer: Viewer | null, organizationId: string): boolean {
  return canPublishFor(viewer, organizationId);
}

/**
 * The id of a followable record as the viewer sees it: a struggle, call or network by slug
 * (struggles and calls must be visible to the viewer; networks are public), or the upper-cased
 * country code.
 * @returns null when there is no such record the viewer may see.
 */
export async function resolveTarget(db: Db, viewer: Viewer | null, kind: FollowTarget, target: string): Promise<string | null> {
  switch (kind) {
    case 'country': {
      const c = new FieldChecker();
      return c.country('target', target);
    }
    case 'network': {
      const row = await db.selectFrom('networks').select('id').where('slug', '=', target).executeTakeFirst();
      return row?.id ?? null;
    }
    case 'struggle': {
      const row = await db.selectFrom('struggles').select('id').where('slug', '=', target).where(visibleWhere(viewer, 'struggles')).executeTakeFirst();
      return row?.id ?? null;
    }
    case 'call': {
      const row = await db
        .selectFrom('solidarity_calls')
        .innerJoin('struggles', 'struggles.id', 'solidarity_calls.struggle_id')
        .select('solidarity_calls.id')
        .where('solidarity_calls.slug', '=', target)
        .where(visibleWhere(viewer, 'solidarity_calls'))
        .where(visibleWhere(viewer, 'struggles'))
        .executeTakeFirst();
      return row?.id ?? null;
    }
  }
}

/**
 * Checks follow input and loads the organization it is for.
 * @throws {SignInRequired} without a viewer.
 * @throws {ValidationFailed} on `organization`, `kind` or `target` (unknown, invisible or malformed).
 * @throws {Forbidden} when the viewer has no publishing role in the organization.
 */
async function followParts(db: Db, viewer: Viewer | null, input: FollowInput): Promise<{ organizationId: string; kind: FollowTarget; targetId: string }> {
  if (!viewer) throw new SignInRequired();
  const c = new FieldChecker();
  const orgSlug = c.line('organization', input.organization, { required: true, max: 80 });
  const kind = c.oneOf('kind', input.kind, FOLLOW_TARGETS);
  const target = c.line('target', input.target, { required: true, max: 120 });
  if (c.errors.length) throw new ValidationFailed(c.errors);
  // Its members may follow for an organization whatever its visibility (a plain member of a
  // `private` organization does not see its record in lists, but acts in its name).
  const org = await db.selectFrom('organizations').select(['id', 'visibility', 'created_by']).where('slug', '=', orgSlug!).executeTakeFirst();
  if (!org || (!viewer.roles.has(org.id) && !canSee(viewer, { ...org, organization_id: org.id }))) {
    throw new ValidationFailed([{ field: 'organization', messageId: 'validation.organization_unknown', values: { slugs: orgSlug! } }]);
  }
  if (!canFollowFor(viewer, org.id)) throw new Forbidden();
  const targetId = await resolveTarget(db, viewer, kind!, target!);
  if (!targetId) throw new ValidationFailed([{ field: 'target', messageId: kind === 'country' ? 'validation.country' : 'follows.errors.target_unknown' }]);
  return { organizationId: org.id, kind: kind!, targetId };
}

/**
 * An organization starts following a struggle, a call, a network or a country. Following what
 * is already followed changes nothing and returns the existing follow. Notifications cover what
 * happens from the moment of the follow on.
 * @throws {SignInRequired} | {ValidationFailed} | {Forbidden} — see `followParts`.
 * @throws {Conflict} `too_many_follows` past `MAX_FOLLOWS` for the organization.
 */
export async function follow(db: Db, viewer: Viewer | null, input: FollowInput): Promise<Follow & { created: boolean }> {
  const { organizationId, kind, targetId } = await followParts(db, viewer, input);
  return inTransaction(db, async (trx) => {
    const existing = await trx
      .selectFrom('follows')
      .select('id')
      .where('organization_id', '=', organizationId)
      .where('target_kind', '=', kind)
      .where('target_id', '=', targetId)
      .executeTakeFirst();
    if (existing) return { id: existing.id, organizationId, kind, targetId, created: false };
    const count = await trx.selectFrom('follows').select(sql<number>`count(*)`.as('n')).where('organization_id', '=', organizationId).executeTakeFirstOrThrow();
    if (Number(count.n) >= MAX_FOLLOWS) throw new Conflict('too_many_follows', 'follows.errors.too_many', 'target');
    const id = newId();
    await trx
      .insertInto('follows')
      .values({ id, organization_id: organizationId, target_kind: kind, target_id: targetId, created_by: viewer!.userId, created_at: nowInstant() })
      .onConflict((oc) => oc.columns(['organization_id', 'target_kind', 'target_id']).doNothing())
      .execute();
    await recordAudit(trx, viewer, { organizationId, action: 'follow.created', subjectType: 'follow', subjectId: id, details: { kind, target: targetId } });
    return { id, organizationId, kind, targetId, created: true };
  });
}

/**
 * Ends a follow of an organization: by follow id, or by `kind` + `target` as for `follow`.
 * @throws {SignInRequired} without a viewer.
 * @throws {NotFound} when the organization does not follow it (or the viewer cannot see the organization).
 * @throws {Forbidden} when the viewer has no publishing role in the organization.
 */
export async function unfollow(db: Db, viewer: Viewer | null, organizationSlug: string, followId: string): Promise<void> {
  if (!viewer) throw new SignInRequired();
  const row = await db
    .selectFrom('follows')
    .innerJoin('organizations', 'organizations.id', 'follows.organization_id')
    .select(['follows.id', 'follows.organization_id', 'follows.target_kind', 'follows.target_id'])
    .where('follows.id', '=', followId)
    .where('organizations.slug', '=', organizationSlug)
    .executeTakeFirst();
  if (!row || (!viewer.roles.has(row.organization_id) && !viewer.isAdmin)) throw new NotFound();
  if (!canFollowFor(viewer, row.organization_id)) throw new Forbidden();
  await inTransaction(db, async (trx) => {
    await trx.deleteFrom('follows').where('id', '=', row.id).execute();
    await recordAudit(trx, viewer, {
      organizationId: row.organization_id,
      action: 'follow.deleted',
      subjectType: 'follow',
      subjectId: row.id,
      details: { kind: row.target_kind, target: row.target_id },
    });
  });
}

/** A follow as listed for its organization, with what it points at (null when that is gone or not visible). */
export interface FollowListing {
  id: string;
  kind: FollowTarget;
  targetId: string;
  /** Slug of the struggle, call or network; the country code for a country. */
  slug: string | null;
  /** Title or name of the struggle, call or network; null for a country (translate the code). */
  label: string | null;
  createdAt: string;
}

/**
 * What an organization follows, newest first. Only the organization's members (and instance
 * admins) may list it: what an organization watches is its own business.
 * @throws {NotFound} when the viewer is not a member of the organization.
 */
export async function listFollows(db: Db, viewer: Viewer | null, organizationId: string): Promise<FollowListing[]> {
  if (!viewer || (!viewer.roles.has(organizationId) && !viewer.isAdmin)) throw new NotFound();
  const rows = await db
    .selectFrom('follows')
    .leftJoin('struggles', (j) => j.on('follows.target_kind', '=', 'struggle').onRef('struggles.id', '=', 'follows.target_id').on(visibleWhere(viewer, 'struggles')))
    .leftJoin('solidarity_calls', (j) =>
      j.on('follows.target_kind', '=', 'call').onRef('solidarity_calls.id', '=', 'follows.target_id').on(visibleWhere(viewer, 'solidarity_calls')),
    )
    .leftJoin('networks', (j) => j.on('follows.target_kind', '=', 'network').onRef('networks.id', '=', 'follows.target_id'))
    .select([
      'follows.id',
      'follows.target_kind',
      'follows.target_id',
      'follows.created_at',
      'struggles.slug as struggle_slug',
      'struggles.title as struggle_title',
      'solidarity_calls.slug as call_slug',
      'solidarity_calls.title as call_title',
      'networks.slug as network_slug',
      'networks.name as network_name',
    ])
    .where('follows.organization_id', '=', organizationId)
    .orderBy('follows.created_at', 'desc')
    .orderBy('follows.id', 'desc')
    .execute();
  return rows.map((r) => {
    const kind = r.target_kind;
    const [slug, label] =
      kind === 'struggle'
        ? [r.struggle_slug, r.struggle_title]
        : kind === 'call'
          ? [r.call_slug, r.call_title]
          : kind === 'network'
            ? [r.network_slug, r.network_name]
            : [r.target_id, null];
    return { id: r.id, kind, targetId: r.target_id, slug: slug ?? null, label: label ?? null, createdAt: r.created_at };
  });
}

/** For a follow button: each organization the viewer may follow for, and its follow of the target if any. */
export interface FollowOption {
  organizationId: string;
  slug: string;
  name: string;
  /** The organization's follow of the target, or null. */
  followId: string | null;
}

/**
 * The organizations the viewer can follow a target for (publishing roles, see `canFollowFor`),
 * each with its existing follow of the target. Empty for anonymous readers and read-only roles.
 */
export async function followOptions(db: Db, viewer: Viewer | null, kind: FollowTarget, targetId: string): Promise<FollowOption[]> {
  if (!viewer) return [];
  const orgIds = [...viewer.roles.keys()].filter((id) => canFollowFor(viewer, id));
  if (!orgIds.length) return [];
  const rows = await db
    .selectFrom('organizations')
    .leftJoin('follows', (j) =>
      j.onRef('follows.organization_id', '=', 'organizations.id').on('follows.target_kind', '=', kind).on('follows.target_id', '=', targetId),
    )
    .select(['organizations.id', 'organizations.slug', 'organizations.name', 'follows.id as follow_id'])
    .where('organizations.id', 'in', orgIds)
    .orderBy('organizations.name')
    .execute();
  return rows.map((r) => ({ organizationId: r.id, slug: r.slug, name: r.name, followId: r.follow_id ?? null }));
}
