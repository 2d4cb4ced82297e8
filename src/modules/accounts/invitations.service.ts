import { randomBytes } from 'node:crypto';
import { inTransaction, type Db } from '../../db/client.ts';
import type { OrganizationRole } from '../../db/schema.ts';
import type { Viewer } from '../../http/viewer.ts';
import { AppError, NotFound, ValidationFailed, type FieldError } from '../../http/errors.ts';
import { newId } from '../../lib/ids.ts';
import { TIME_ZONES, canonicalTimeZone, nowInstant } from '../../lib/time.ts';
import { emailKey } from '../../lib/email.ts';
import { cleanText } from '../../lib/text.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { ORGANIZATION_ROLES, assertOrganizationAdmin } from '../organizations/members.service.ts';
import { createSession, createUser, tokenHash, validateNewUser } from './accounts.service.ts';

/** An invitation link is valid for 7 days. */
export const INVITATION_DAYS = 7;

/**
 * 404 for an invitation token that is unknown, expired, revoked or used: all four look the same,
 * so a token holder learns nothing about which it was.
 */
export class InvitationInvalid extends AppError {
  constructor() {
    super(404, 'invitation_invalid', 'invitations.invalid.title');
  }
}

/** Raw invite form input. */
export interface InvitationInput {
  email?: unknown;
  /** One of `ORGANIZATION_ROLES`. */
  role?: unknown;
}

/** A freshly created invitation, with its token (only here; the database keeps its SHA-256). */
export interface CreatedInvitation {
  id: string;
  /** 32 random bytes, base64url (43 characters). */
  token: string;
  email: string;
  role: OrganizationRole;
  expiresAt: string;
  /** How many pending invitations to the same address this one replaced (0 or 1). */
  replaced: number;
}

/** A valid invitation as its link shows it. */
export interface OpenInvitation {
  id: string;
  organizationId: string;
  organizationSlug: string;
  organizationName: string;
  organizationVisibility: string;
  email: string;
  emailKey: string;
  role: OrganizationRole;
  /** Display name of the inviting account; null when it is gone or erased. */
  inviterName: string | null;
  expiresAt: string;
}

/** A new random link token (32 bytes, base64url). */
export function newLinkToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The link a token holder opens. */
export function invitationUrl(baseUrl: string, token: string): string {
  return `${baseUrl}/invitations/${token}`;
}

/**
 * Invites an e-mail address into an organization with a role. A pending invitation to the same
 * address (compared on the normalized key) is revoked and replaced. Writes `invitation.revoked`
 * (details `reason: replaced`) and `invitation.created` (details `role`) — never the address,
 * because the audit log is append-only and outlives an erased account.
 * @param organizationId the organization, already found by the caller.
 * @returns the invitation with its token; expires after `INVITATION_DAYS` days.
 * @throws {SignInRequired}/{NotFound}/{Forbidden} unless the viewer is an admin of the organization
 *   or an instance admin; {ValidationFailed} on `email` (`validation.required`, `validation.email`,
 *   `invitations.validation.already_member`) and `role` (`validation.required`, `validation.choice`).
 */
export async function createInvitation(db: Db, viewer: Viewer | null, organizationId: string, input: InvitationInput): Promise<CreatedInvitation> {
  const actor = assertOrganizationAdmin(viewer, organizationId);
  const errors: FieldError[] = [];
  const email = cleanText(typeof input.email === 'string' ? input.email : null);
  const key = email ? emailKey(email) : null;
  if (!email) errors.push({ field: 'email', messageId: 'validation.required' });
  else if (!key || email.length > 254) errors.push({ field: 'email', messageId: 'validation.email' });
  const roleRaw = typeof input.role === 'string' ? input.role.trim() : '';
  if (!roleRaw) errors.push({ field: 'role', messageId: 'validation.required' });
  else if (!(ORGANIZATION_ROLES as readonly string[]).includes(roleRaw)) errors.push({ field: 'role', messageId: 'validation.choice' });
  if (errors.length) throw new ValidationFailed(errors);
  const role = roleRaw as OrganizationRole;

  return inTransaction(db, async (tx) => {
    const member = await tx
      .selectFrom('organization_members')
      .innerJoin('users', 'users.id', 'organization_members.user_id')
      .select('users.id')
      .where('organization_members.organization_id', '=', organizationId)
      .where('users.email_key', '=', key!)
      .where('users.erased_at', 'is', null)
      .executeTakeFirst();
    if (member) throw new ValidationFailed([{ field: 'email', messageId: 'invitations.validation.already_member' }]);

    const now = nowInstant();
    const pending = await tx
      .selectFrom('invitations')
      .select('id')
      .where('organization_id', '=', organizationId)
      .where('email_key', '=', key!)
      .where('accepted_at', 'is', null)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .execute();
    for (const p of pending) {
      await tx.updateTable('invitations').set({ revoked_at: now }).where('id', '=', p.id).execute();
      await recordAudit(tx, actor, { organizationId, action: 'invitation.revoked', subjectType: 'invitation', subjectId: p.id, details: { reason: 'replaced' } });
    }

    const id = newId();
    const token = newLinkToken();
    const expiresAt = new Date(Date.parse(now) + INVITATION_DAYS * 86_400_000).toISOString();
    await tx
      .insertInto('invitations')
      .values({
        id,
        organization_id: organizationId,
        email: email!,
        email_key: key!,
        role,
        token_hash: tokenHash(token),
        invited_by: actor.userId,
        created_at: now,
        expires_at: expiresAt,
        accepted_at: null,
        accepted_by: null,
        revoked_at: null,
      })
      .execute();
    await recordAudit(tx, actor, { organizationId, action: 'invitation.created', subjectType: 'invitation', subjectId: id, details: { role } });
    return { id, token, email: email!, role, expiresAt, replaced: pending.length };
  });
}

/**
 * Revokes a pending invitation of the organization. Writes `invitation.revoked`.
 * @throws {SignInRequired}/{NotFound}/{Forbidden} as `createInvitation`; {NotFound} when the
 *   invitation is not a pending one of this organization.
 */
export async function revokeInvitation(db: Db, viewer: Viewer | null, organizationId: string, invitationId: string): Promise<void> {
  const actor = assertOrganizationAdmin(viewer, organizationId);
  await inTransaction(db, async (tx) => {
    const r = await tx
      .updateTable('invitations')
      .set({ revoked_at: nowInstant() })
      .where('id', '=', invitationId)
      .where('organization_id', '=', organizationId)
      .where('accepted_at', 'is', null)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) throw new NotFound();
    await recordAudit(tx, actor, { organizationId, action: 'invitation.revoked', subjectType: 'invitation', subjectId: invitationId });
  });
}

/**
 * The invitation a link token names, when it is still open (not accepted, not revoked, not
 * expired); null otherwise, whatever the reason.
 */
export async function findOpenInvitation(db: Db, token: string): Promise<OpenInvitation | null> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const r = await db
    .selectFrom('invitations')
    .innerJoin('organizations', 'organizations.id', 'invitations.organization_id')
    .leftJoin('users', 'users.id', 'invitations.invited_by')
    .select([
      'invitations.id',
      'invitations.organization_id',
      'invitations.email',
      'invitations.email_key',
      'invitations.role',
      'invitations.expires_at',
      'organizations.slug',
      'organizations.name',
      'organizations.visibility',
      'users.display_name',
      'users.erased_at',
    ])
    .where('invitations.token_hash', '=', tokenHash(token))
    .where('invitations.accepted_at', 'is', null)
    .where('invitations.revoked_at', 'is', null)
    .where('invitations.expires_at', '>', nowInstant())
    .executeTakeFirst();
  if (!r) return null;
  return {
    id: r.id,
    organizationId: r.organization_id,
    organizationSlug: r.slug,
    organizationName: r.name,
    organizationVisibility: r.visibility,
    email: r.email,
    emailKey: r.email_key,
    role: r.role,
    inviterName: r.erased_at ? null : (r.display_name ?? null),
    expiresAt: r.expires_at,
  };
}

/**
 * True when an account uses the e-mail key (an erased one included: its key still blocks a new
 * account, so the sign-up form would fail).
 */
export async function accountExistsFor(db: Db, key: string): Promise<boolean> {
  return !!(await db.selectFrom('users').select('id').where('email_key', '=', key).executeTakeFirst());
}

/**
 * Marks the invitation accepted by `userId` and grants its role. Decided by one conditional
 * UPDATE, so of two concurrent acceptances exactly one wins. An account that is a member already
 * keeps its role (role changes go through the members page). Writes `invitation.accepted`
 * (details `role`, `newAccount`). Run it inside the caller's transaction.
 * @returns the role the account now holds in the organization.
 * @throws {InvitationInvalid} when the invitation is no longer open.
 */
async function accept(tx: Db, inv: OpenInvitation, userId: string, newAccount: boolean): Promise<{ role: OrganizationRole }> {
  const now = nowInstant();
  const r = await tx
    .updateTable('invitations')
    .set({ accepted_at: now, accepted_by: userId })
    .where('id', '=', inv.id)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) throw new InvitationInvalid();
  await tx
    .insertInto('organization_members')
    .values({ organization_id: inv.organizationId, user_id: userId, role: inv.role, created_at: now })
    .onConflict((oc) => oc.columns(['organization_id', 'user_id']).doNothing())
    .execute();
  const m = await tx
    .selectFrom('organization_members')
    .select('role')
    .where('organization_id', '=', inv.organizationId)
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  await recordAudit(tx, null, {
    actorUserId: userId,
    organizationId: inv.organizationId,
    action: 'invitation.accepted',
    subjectType: 'invitation',
    subjectId: inv.id,
    details: { role: m.role, newAccount },
  });
  return { role: m.role };
}

/**
 * A signed-in account accepts an invitation addressed to its own e-mail key.
 * @throws {InvitationInvalid} the token is not open; {WrongAccount} the invitation is for another address.
 */
export async function joinWithInvitation(db: Db, viewer: Viewer, token: string): Promise<{ invitation: OpenInvitation; role: OrganizationRole }> {
  return inTransaction(db, async (tx) => {
    const inv = await findOpenInvitation(tx, token);
    if (!inv) throw new InvitationInvalid();
    if (emailKey(viewer.email) !== inv.emailKey) throw new WrongAccount();
    const { role } = await accept(tx, inv, viewer.userId, false);
    return { invitation: inv, role };
  });
}

/** 403: a signed-in account tries to accept an invitation addressed to someone else. */
export class WrongAccount extends AppError {
  constructor() {
    super(403, 'invitation_wrong_account', 'invitations.wrong_account.title');
  }
}

/** Sign-up input on an invitation page; the e-mail comes from the invitation. */
export interface InvitationSignUp {
  displayName?: unknown;
  password?: unknown;
  /** IANA time zone, one of `timeZoneChoices()`. */
  timeZone?: unknown;
  /** UI language of the request (a catalog locale). */
  locale: string;
}

/** Time zones offered at sign-up: `UTC` and every IANA zone the runtime knows. */
export function timeZoneChoices(): readonly string[] {
  return TIME_ZONES;
}

/**
 * Creates an account for the invited address, its membership with the invited role and a session,
 * and marks the invitation accepted — one transaction, so a failure leaves nothing behind.
 * Field rules are `validateNewUser`'s (password length, name without line breaks or `< >`) plus a
 * known time zone.
 * @returns the session token for the `sid` cookie and the invitation.
 * @throws {InvitationInvalid}; {ValidationFailed} on `displayName`, `password`, `timeZone`;
 *   {Conflict} `email_taken` when an account with the address appeared meanwhile.
 */
export async function signUpWithInvitation(db: Db, token: string, input: InvitationSignUp): Promise<{ sessionToken: string; invitation: OpenInvitation; userId: string }> {
  const inv = await findOpenInvitation(db, token);
  if (!inv) throw new InvitationInvalid();
  const displayName = typeof input.displayName === 'string' ? input.displayName : '';
  const password = typeof input.password === 'string' ? input.password : '';
  const timeZone = input.timeZone === undefined || input.timeZone === '' ? 'UTC' : canonicalTimeZone(input.timeZone);
  const errors: FieldError[] = [];
  try {
    validateNewUser({ email: inv.email, displayName, password });
  } catch (err) {
    if (!(err instanceof ValidationFailed)) throw err;
    errors.push(...err.errors);
  }
  if (!timeZone) errors.push({ field: 'timeZone', messageId: 'validation.choice' });
  if (errors.length) throw new ValidationFailed(errors);
  return inTransaction(db, async (tx) => {
    const userId = await createUser(tx, { email: inv.email, displayName, password, locale: input.locale, timeZone: timeZone! });
    await accept(tx, inv, userId, true);
    const sessionToken = await createSession(tx, userId);
    return { sessionToken, invitation: inv, userId };
  });
}

/**
 * An address with most of its local part hidden (`m•••@example.org`), to tell a signed-in person
 * which of their addresses an invitation is for without showing it to whoever holds the link.
 */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '•••';
  return `${[...email.slice(0, at)][0]}•••${email.slice(at)}`;
}
