import { SqliteAdapter } from 'kysely';
import { inTransaction, type Db, type Tx } from '../../db/client.ts';
import type { OrganizationRole } from '../../db/schema.ts';
import type { Viewer } from '../../http/viewer.ts';
import { Forbidden, NotFound, SignInRequired, ValidationFailed } from '../../http/errors.ts';
import { nowInstant } from '../../lib/time.ts';
import { recordAudit } from '../audit/audit.service.ts';

/** Roles an account can hold in an organization, most powerful first (DESIGN.md, security model). */
export const ORGANIZATION_ROLES = ['admin', 'coordinator', 'member', 'viewer'] as const satisfies readonly OrganizationRole[];

/** The organization behind a members page: found by slug, regardless of its visibility. */
export interface MembersOrganization {
  id: string;
  slug: string;
  name: string;
  visibility: string;
  /** True when admins must have proven a second factor in their session to act as admins. */
  requireSecondFactor: boolean;
}

/** One row of the members list. */
export interface MemberRow {
  userId: string;
  /** Null for an erased account (shown as "former member"). */
  displayName: string | null;
  role: OrganizationRole;
  /** Instant (ISO 8601 UTC) the membership began. */
  since: string;
  erased: boolean;
}

/** A pending (not accepted, not revoked, not expired) invitation, for the admins' list. */
export interface PendingInvitation {
  id: string;
  email: string;
  role: OrganizationRole;
  /** Display name of the inviter; null when unknown or erased. */
  invitedBy: string | null;
  createdAt: string;
  expiresAt: string;
}

/** True when the viewer holds any role in the organization (or is an instance administrator). */
export function isOrganizationMember(viewer: Viewer | null, organizationId: string): boolean {
  return !!viewer && (viewer.isAdmin || viewer.roles.has(organizationId));
}

/**
 * True when the viewer may administer the organization's members: its admins (the effective role,
 * so an admin whose role is held back for want of a second factor is not one) and instance
 * administrators.
 */
export function isOrganizationAdmin(viewer: Viewer | null, organizationId: string): boolean {
  return !!viewer && (viewer.isAdmin || viewer.roles.get(organizationId) === 'admin');
}

/**
 * Authorizes a members-page action: non-members (and unknown organizations, which the caller
 * already turned into 404) learn nothing; members without the admin role get 403.
 * @throws {SignInRequired} no viewer; {NotFound} not a member; {Forbidden} a member but not an admin.
 */
export function assertOrganizationAdmin(viewer: Viewer | null, organizationId: string): Viewer {
  if (!viewer) throw new SignInRequired();
  if (!isOrganizationMember(viewer, organizationId)) throw new NotFound();
  if (!isOrganizationAdmin(viewer, organizationId)) throw new Forbidden();
  return viewer;
}

/** The organization with `slug`, or undefined. Access is decided by membership, not visibility. */
export async function findMembersOrganization(db: Db, slug: string): Promise<MembersOrganization | undefined> {
  const row = await db
    .selectFrom('organizations')
    .select(['id', 'slug', 'name', 'visibility', 'require_second_factor'])
    .where('slug', '=', slug)
    .executeTakeFirst();
  return row && { id: row.id, slug: row.slug, name: row.name, visibility: row.visibility, requireSecondFactor: Number(row.require_second_factor) === 1 };
}

/**
 * The organization's members: by role (admin first), then by name in `locale`'s collation
 * (erased accounts last).
 */
export async function listMembers(db: Db, organizationId: string, locale: string): Promise<MemberRow[]> {
  const rows = await db
    .selectFrom('organization_members')
    .innerJoin('users', 'users.id', 'organization_members.user_id')
    .select(['users.id', 'users.display_name', 'users.erased_at', 'organization_members.role', 'organization_members.created_at'])
    .where('organization_members.organization_id', '=', organizationId)
    .execute();
  const collator = new Intl.Collator(locale);
  const rank = (r: OrganizationRole) => ORGANIZATION_ROLES.indexOf(r);
  return rows
    .map((r): MemberRow => ({
      userId: r.id,
      displayName: r.erased_at ? null : r.display_name,
      role: r.role,
      since: r.created_at,
      erased: r.erased_at !== null,
    }))
    .sort((a, b) => rank(a.role) - rank(b.role) || Number(a.erased) - Number(b.erased) || collator.compare(a.displayName ?? '', b.displayName ?? ''));
}

/** Pending invitations of the organization, newest first. */
export async function listPendingInvitations(db: Db, organizationId: string): Promise<PendingInvitation[]> {
  const rows = await db
    .selectFrom('invitations')
    .leftJoin('users', 'users.id', 'invitations.invited_by')
    .select(['invitations.id', 'invitations.email', 'invitations.role', 'invitations.created_at', 'invitations.expires_at', 'users.display_name', 'users.erased_at'])
    .where('invitations.organization_id', '=', organizationId)
    .where('invitations.accepted_at', 'is', null)
    .where('invitations.revoked_at', 'is', null)
    .where('invitations.expires_at', '>', nowInstant())
    .orderBy('invitations.created_at', 'desc')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    email: r.email,
    role: r.role,
    invitedBy: r.erased_at ? null : (r.display_name ?? null),
    createdAt: r.created_at,
    expiresAt: r.expires_at,
  }));
}

/**
 * Serializes membership changes of one organization: on PostgreSQL a row lock on the organization
 * (two admins demoting each other at once would otherwise both see "another admin remains");
 * SQLite runs one write transaction at a time anyway.
 */
async function lockOrganization(tx: Tx, organizationId: string): Promise<void> {
  if (tx.getExecutor().adapter instanceof SqliteAdapter) return;
  await tx.selectFrom('organizations').select('id').where('id', '=', organizationId).forUpdate().execute();
}

/** Admins of the organization whose accounts are not erased, other than `exceptUserId`. */
async function otherActiveAdmins(tx: Tx, organizationId: string, exceptUserId: string): Promise<number> {
  const r = await tx
    .selectFrom('organization_members')
    .innerJoin('users', 'users.id', 'organization_members.user_id')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('organization_members.organization_id', '=', organizationId)
    .where('organization_members.role', '=', 'admin')
    .where('organization_members.user_id', '!=', exceptUserId)
    .where('users.erased_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

async function loadMembership(tx: Tx, organizationId: string, userId: string) {
  const m = await tx
    .selectFrom('organization_members')
    .innerJoin('users', 'users.id', 'organization_members.user_id')
    .select(['organization_members.role', 'users.erased_at'])
    .where('organization_members.organization_id', '=', organizationId)
    .where('organization_members.user_id', '=', userId)
    .executeTakeFirst();
  if (!m) throw new NotFound();
  return m;
}

/**
 * Changes a member's role. The organization always keeps at least one admin with a live account,
 * so the last one cannot be demoted. Writes `member.role_changed` (details `from`, `to`) in the
 * same transaction; an unchanged role writes nothing.
 * @param role raw form value; one of `ORGANIZATION_ROLES`.
 * @throws {SignInRequired}/{NotFound}/{Forbidden} see `assertOrganizationAdmin`; {NotFound} the
 *   account is not a member; {ValidationFailed} on `role` (`validation.required`,
 *   `validation.choice`, `members.validation.last_admin`).
 */
export async function changeMemberRole(db: Db, viewer: Viewer | null, organizationId: string, userId: string, role: unknown): Promise<void> {
  const actor = assertOrganizationAdmin(viewer, organizationId);
  const value = typeof role === 'string' ? role.trim() : '';
  if (!value) throw new ValidationFailed([{ field: 'role', messageId: 'validation.required' }]);
  if (!(ORGANIZATION_ROLES as readonly string[]).includes(value)) throw new ValidationFailed([{ field: 'role', messageId: 'validation.choice' }]);
  const next = value as OrganizationRole;
  await inTransaction(db, async (tx) => {
    await lockOrganization(tx, organizationId);
    const m = await loadMembership(tx, organizationId, userId);
    if (m.role === next) return;
    if (m.role === 'admin' && m.erased_at === null && (await otherActiveAdmins(tx, organizationId, userId)) === 0) {
      throw new ValidationFailed([{ field: 'role', messageId: 'members.validation.last_admin' }]);
    }
    await tx.updateTable('organization_members').set({ role: next }).where('organization_id', '=', organizationId).where('user_id', '=', userId).execute();
    await recordAudit(tx, actor, { organizationId, action: 'member.role_changed', subjectType: 'member', subjectId: userId, details: { from: m.role, to: next } });
  });
}

/**
 * Removes a member from the organization (the account itself stays). The last admin with a live
 * account cannot be removed. Writes `member.removed` (details `role`).
 * @throws {SignInRequired}/{NotFound}/{Forbidden} see `assertOrganizationAdmin`; {NotFound} not a
 *   member; {ValidationFailed} on `member` (`members.validation.last_admin`).
 */
export async function removeMember(db: Db, viewer: Viewer | null, organizationId: string, userId: string): Promise<void> {
  const actor = assertOrganizationAdmin(viewer, organizationId);
  await inTransaction(db, async (tx) => {
    await lockOrganization(tx, organizationId);
    const m = await loadMembership(tx, organizationId, userId);
    if (m.role === 'admin' && m.erased_at === null && (await otherActiveAdmins(tx, organizationId, userId)) === 0) {
      throw new ValidationFailed([{ field: 'member', messageId: 'members.validation.last_admin' }]);
    }
    await tx.deleteFrom('organization_members').where('organization_id', '=', organizationId).where('user_id', '=', userId).execute();
    await recordAudit(tx, actor, { organizationId, action: 'member.removed', subjectType: 'member', subjectId: userId, details: { role: m.role } });
  });
}

/**
 * Turns "admins need a second factor" on or off. Turning it on needs a session that proved a second
 * factor (or an instance administrator), so an admin cannot lock themselves out by accident.
 * Writes `organization.second_factor_required` (details `required`) when the setting changes.
 * @throws {SignInRequired}/{NotFound}/{Forbidden} see `assertOrganizationAdmin`;
 *   {ValidationFailed} on `required` (`members.validation.second_factor_first`).
 */
export async function setSecondFactorRequired(db: Db, viewer: Viewer | null, organizationId: string, required: boolean): Promise<void> {
  const actor = assertOrganizationAdmin(viewer, organizationId);
  if (required && !actor.isAdmin && !actor.secondFactorVerified) {
    throw new ValidationFailed([{ field: 'required', messageId: 'members.validation.second_factor_first' }]);
  }
  await inTransaction(db, async (tx) => {
    const r = await tx
      .updateTable('organizations')
      .set({ require_second_factor: required ? 1 : 0, updated_at: nowInstant() })
      .where('id', '=', organizationId)
      .where('require_second_factor', '=', required ? 0 : 1)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return;
    await recordAudit(tx, actor, {
      organizationId,
      action: 'organization.second_factor_required',
      subjectType: 'organization',
      subjectId: organizationId,
      details: { required },
    });
  });
}
