import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../../db/client.ts';
import type { Viewer } from '../../http/viewer.ts';
import type { OrganizationRole } from '../../db/schema.ts';
import { ValidationFailed, Conflict, type FieldError } from '../../http/errors.ts';
import { newId } from '../../lib/ids.ts';
import { nowInstant } from '../../lib/time.ts';
import { emailKey } from '../../lib/email.ts';
import { cleanText, hasBidiControls, hasControlCharacters } from '../../lib/text.ts';
import { hashPassword, verifyPassword } from '../../lib/passwords.ts';

/** Sessions last 30 days from the last request. */
const SESSION_DAYS = 30;
/** NIST SP 800-63B §3.1.1.2: at least 8 characters; we ask for 10. At most 512 to bound hashing work. */
const PASSWORD_MIN = 10;
const PASSWORD_MAX = 512;

export interface NewUser {
  email: string;
  displayName: string;
  password: string;
  locale?: string;
  timeZone?: string;
  isAdmin?: boolean;
}

/**
 * Checks a new account's fields.
 * @throws {ValidationFailed} with field errors for `email`, `displayName`, `password`.
 */
export function validateNewUser(input: NewUser): { email: string; emailKey: string; displayName: string } {
  const errors: FieldError[] = [];
  const email = cleanText(input.email) ?? '';
  const key = emailKey(email);
  if (!key) errors.push({ field: 'email', messageId: 'validation.email' });
  const displayName = cleanText(input.displayName) ?? '';
  if (!displayName) errors.push({ field: 'displayName', messageId: 'validation.required' });
  else if (hasControlCharacters(displayName) || hasBidiControls(displayName) || /[<>]/.test(displayName))
    errors.push({ field: 'displayName', messageId: 'validation.name_characters' });
  else if (displayName.length > 120) errors.push({ field: 'displayName', messageId: 'validation.too_long', values: { max: 120 } });
  if (input.password.length < PASSWORD_MIN)
    errors.push({ field: 'password', messageId: 'validation.password_short', values: { min: PASSWORD_MIN } });
  else if (input.password.length > PASSWORD_MAX)
    errors.push({ field: 'password', messageId: 'validation.too_long', values: { max: PASSWORD_MAX } });
  if (errors.length) throw new ValidationFailed(errors);
  return { email, emailKey: key!, displayName };
}

/**
 * Creates an account with an Argon2id password hash.
 * @returns the new user's id.
 * @throws {ValidationFailed} for bad fields; {Conflict} `email_taken` when the e-mail key exists.
 */
export async function createUser(db: Db, input: NewUser): Promise<string> {
  const v = validateNewUser(input);
  const existing = await db.selectFrom('users').select('id').where('email_key', '=', v.emailKey).executeTakeFirst();
  if (existing) throw new Conflict('email_taken', 'validation.email_taken', 'email');
  const id = newId();
  const now = nowInstant();
  await db
    .insertInto('users')
    .values({
      id,
      email: v.email,
      email_key: v.emailKey,
      display_name: v.displayName,
      password_hash: await hashPassword(input.password),
      locale: input.locale ?? 'en',
      time_zone: input.timeZone ?? 'UTC',
      is_admin: input.isAdmin ? 1 : 0,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return id;
}

/** Number of accounts; an instance with none asks for its first administrator. */
export async function countUsers(db: Db): Promise<number> {
  const r = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

/**
 * Checks an e-mail and password. Runs the same Argon2id work for unknown addresses so response
 * time does not reveal which addresses have accounts.
 * @returns the user id, or null.
 */
export async function authenticate(db: Db, email: string, password: string): Promise<string | null> {
  const key = emailKey(email);
  const user = key
    ? await db.selectFrom('users').select(['id', 'password_hash']).where('email_key', '=', key).executeTakeFirst()
    : undefined;
  if (!user) {
    await verifyPassword(password, DUMMY_HASH);
    return null;
  }
  return (await verifyPassword(password, user.password_hash)) ? user.id : null;
}

const DUMMY_HASH =
  '$argon2id$v=19$m=19456,t=2,p=1$c29saWRhcmlzLWR1bW15$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/** SHA-256 (hex) of a random token, as stored for sessions, invitations and password resets. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface SessionOptions {
  /** Browser's User-Agent, shown in the person's session list (trimmed to 200 characters). */
  userAgent?: string;
  /** The password is proven but the account's second factor is still to come. */
  pendingSecondFactor?: boolean;
  /** The second factor was proven already (e.g. a passkey sign-in). */
  secondFactorVerified?: boolean;
}

/**
 * Starts a server-side session.
 * @returns the opaque session token for the cookie (only its SHA-256 is stored).
 */
export async function createSession(db: Db, userId: string, opts: SessionOptions = {}): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  const now = new Date();
  await db
    .insertInto('sessions')
    .values({
      id: tokenHash(token),
      user_id: userId,
      created_at: now.toISOString(),
      last_seen_at: now.toISOString(),
      expires_at: new Date(now.getTime() + SESSION_DAYS * 86_400_000).toISOString(),
      pending_second_factor: opts.pendingSecondFactor ? 1 : 0,
      second_factor_at: opts.secondFactorVerified ? now.toISOString() : null,
      user_agent: opts.userAgent ? opts.userAgent.slice(0, 200) : null,
    })
    .execute();
  return token;
}

/** Ends a session (sign-out). Unknown tokens are ignored. */
export async function deleteSession(db: Db, token: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', tokenHash(token)).execute();
}

/** A session's `last_seen_at` is refreshed at most this often (milliseconds), to keep reads cheap. */
const LAST_SEEN_RESOLUTION_MS = 5 * 60_000;

/**
 * The viewer for a session token: the account, its organization and network roles and its
 * network peers. A session still waiting for its second factor, an expired session and a session
 * of an erased account give null. An organization that requires a second factor for its admins
 * gets the admin role only when this session proved one; otherwise the role is held back to
 * `member` and listed in `heldBackRoles`.
 * @returns null for an unknown, expired or pending token.
 */
export async function loadViewer(db: Db, token: string): Promise<Viewer | null> {
  const id = tokenHash(token);
  const now = nowInstant();
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select([
      'users.id',
      'users.display_name',
      'users.email',
      'users.is_admin',
      'users.locale',
      'users.time_zone',
      'users.totp_enabled_at',
      'sessions.second_factor_at',
      'sessions.last_seen_at',
    ])
    .select((eb) =>
      eb.exists(eb.selectFrom('passkeys').select('passkeys.id').whereRef('passkeys.user_id', '=', 'users.id')).as('has_passkey'),
    )
    .where('sessions.id', '=', id)
    .where('sessions.expires_at', '>', now)
    .where('sessions.pending_second_factor', '=', 0)
    .where('users.erased_at', 'is', null)
    .executeTakeFirst();
  if (!row) return null;
  if (Date.parse(now) - Date.parse(String(row.last_seen_at)) > LAST_SEEN_RESOLUTION_MS) {
    await db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', id).execute();
  }
  return buildViewer(db, row, { secondFactorVerified: row.second_factor_at !== null, sessionId: id });
}

/** The account columns a viewer is built from. */
interface ViewerAccount {
  id: string;
  display_name: string;
  email: string;
  is_admin: number;
  locale: string;
  time_zone: string;
  totp_enabled_at: string | null;
  has_passkey: unknown;
}

/**
 * The viewer of an account without a session: for work done on the account's behalf where no
 * one signs in — a personal feed token read by a calendar client, an e-mail digest. Such a viewer
 * has not proven a second factor, so an admin role held back by an organization's second-factor
 * rule stays held back (the viewer reads as a `member` there).
 * @returns null for an unknown or erased account.
 */
export async function viewerForAccount(db: Db, userId: string): Promise<Viewer | null> {
  const row = await db
    .selectFrom('users')
    .select(['users.id', 'users.display_name', 'users.email', 'users.is_admin', 'users.locale', 'users.time_zone', 'users.totp_enabled_at'])
    .select((eb) =>
      eb.exists(eb.selectFrom('passkeys').select('passkeys.id').whereRef('passkeys.user_id', '=', 'users.id')).as('has_passkey'),
    )
    .where('users.id', '=', userId)
    .where('users.erased_at', 'is', null)
    .executeTakeFirst();
  return row ? buildViewer(db, row, { secondFactorVerified: false, sessionId: '' }) : null;
}

/** Roles, held-back roles, network roles and network peers of an account, as of now. */
async function buildViewer(db: Db, row: ViewerAccount, session: { secondFactorVerified: boolean; sessionId: string }): Promise<Viewer> {
  const { secondFactorVerified } = session;
  const now = nowInstant();
  const memberships = await db
    .selectFrom('organization_members')
    .innerJoin('organizations', 'organizations.id', 'organization_members.organization_id')
    .select(['organization_members.organization_id', 'organization_members.role', 'organizations.require_second_factor'])
    .where('organization_members.user_id', '=', row.id)
    .execute();
  const roles = new Map<string, OrganizationRole>();
  const heldBackRoles = new Set<string>();
  for (const m of memberships) {
    if (m.role === 'admin' && Number(m.require_second_factor) === 1 && !secondFactorVerified) {
      roles.set(m.organization_id, 'member');
      heldBackRoles.add(m.organization_id);
    } else roles.set(m.organization_id, m.role);
  }
  const networkRoles = await db.selectFrom('network_roles').select(['network_id', 'role']).where('user_id', '=', row.id).execute();
  const orgIds = [...roles.keys()];
  const today = now.slice(0, 10);
  const peers = orgIds.length
    ? await db
        .selectFrom('network_memberships as mine')
        .innerJoin('network_memberships as peer', 'peer.network_id', 'mine.network_id')
        .select('peer.organization_id')
        .distinct()
        .where('mine.organization_id', 'in', orgIds)
        // Current on both sides: started (since ≤ today) and not ended (until ≥ today or open).
        .where('mine.since', '<=', today)
        .where('peer.since', '<=', today)
        .where((eb) => eb.or([eb('mine.until', 'is', null), eb('mine.until', '>=', today)]))
        .where((eb) => eb.or([eb('peer.until', 'is', null), eb('peer.until', '>=', today)]))
        .execute()
    : [];
  // A person with their own role in a network reads `network` records of its current member organizations.
  const networkIds = networkRoles.map((r) => r.network_id);
  if (networkIds.length) {
    peers.push(
      ...(await db
        .selectFrom('network_memberships')
        .select('organization_id')
        .distinct()
        .where('network_id', 'in', networkIds)
        .where('since', '<=', today)
        .where((eb) => eb.or([eb('until', 'is', null), eb('until', '>=', today)]))
        .execute()),
    );
  }
  return {
    userId: row.id,
    displayName: row.display_name,
    email: row.email,
    isAdmin: row.is_admin === 1,
    locale: row.locale,
    timeZone: row.time_zone,
    roles,
    heldBackRoles,
    networkRoles: new Map(networkRoles.map((r) => [r.network_id, r.role])),
    networkPeers: new Set(peers.map((p) => p.organization_id)),
    hasSecondFactor: row.totp_enabled_at !== null || Boolean(row.has_passkey),
    secondFactorVerified,
    sessionId: session.sessionId,
  };
}

/** Removes expired sessions; returns how many. */
export async function purgeExpiredSessions(db: Db): Promise<number> {
  const r = await db.deleteFrom('sessions').where('expires_at', '<=', nowInstant()).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Grants (or changes) an account's role in an organization. */
export async function setOrganizationRole(
  db: Db,
  organizationId: string,
  userId: string,
  role: 'admin' | 'coordinator' | 'member' | 'viewer',
): Promise<void> {
  await db
    .insertInto('organization_members')
    .values({ organization_id: organizationId, user_id: userId, role, created_at: nowInstant() })
    .onConflict((oc) => oc.columns(['organization_id', 'user_id']).doUpdateSet({ role }))
    .execute();
}


/**
 * Grants (or changes) an account's own role in a network: `coordinator` may manage the network,
 * `member` reads the `network` records of its current member organizations.
 */
export async function setNetworkRole(db: Db, networkId: string, userId: string, role: 'coordinator' | 'member'): Promise<void> {
  await db
    .insertInto('network_roles')
    .values({ network_id: networkId, user_id: userId, role, created_at: nowInstant() })
    .onConflict((oc) => oc.columns(['network_id', 'user_id']).doUpdateSet({ role }))
    .execute();
}
