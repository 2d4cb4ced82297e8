import { inTransaction, type Db, type Engine } from '../../db/client.ts';
import type { Viewer } from '../../http/viewer.ts';
import { NotFound, ValidationFailed, type FieldError } from '../../http/errors.ts';
import { LOCALES, isLocale, type Locale } from '../../i18n/i18n.ts';
import { hashPassword, verifyPassword } from '../../lib/passwords.ts';
import { nowInstant } from '../../lib/time.ts';
import { changedFields, recordAudit } from '../audit/audit.service.ts';
import { validateNewUser } from './accounts.service.ts';

/**
 * IANA time zones offered to people: `UTC` and every zone the runtime's ICU knows
 * (`Intl.supportedValuesOf('timeZone')`, ECMA-402 §6.5), which omits `UTC` itself.
 */
export const TIME_ZONES: readonly string[] = ['UTC', ...Intl.supportedValuesOf('timeZone')];
const TIME_ZONE_SET = new Set(TIME_ZONES);

/**
 * True for an IANA time zone name: one of {@link TIME_ZONES}, or another name (such as a newer
 * alias like `Europe/Kyiv`) that ICU accepts. Offsets like `+01:00` are not zones and are refused.
 */
export function isTimeZone(value: string): boolean {
  if (TIME_ZONE_SET.has(value)) return true;
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)+$/.test(value)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** The field errors that `validateNewUser` reports for one of its fields (renamed to `as`). */
function newUserFieldErrors(input: { email: string; displayName: string; password: string }, field: string, as: string): FieldError[] {
  try {
    validateNewUser(input);
    return [];
  } catch (err) {
    if (!(err instanceof ValidationFailed)) throw err;
    return err.errors.filter((e) => e.field === field).map((e) => ({ ...e, field: as }));
  }
}

/** Raw profile input from the account form. */
export interface ProfileInput {
  displayName?: unknown;
  locale?: unknown;
  timeZone?: unknown;
}

/** A profile after validation. */
export interface ProfileValues {
  displayName: string;
  locale: Locale;
  timeZone: string;
}

/**
 * Validates the profile form. The display name follows the sign-up rules of `validateNewUser`
 * (required, NFC, one line, no angle brackets, at most 120 characters); the language must be a UI
 * locale; the time zone an IANA name ({@link isTimeZone}).
 * @throws {ValidationFailed} on `displayName`, `locale`, `timeZone`.
 */
export function validateProfile(input: ProfileInput): ProfileValues {
  const displayName = typeof input.displayName === 'string' ? input.displayName : '';
  // Only the display name is checked here; the e-mail and password given to the shared rule are placeholders that pass.
  const errors = newUserFieldErrors({ email: 'profile@example.org', displayName, password: 'x'.repeat(16) }, 'displayName', 'displayName');
  const locale = typeof input.locale === 'string' ? input.locale.trim() : '';
  if (!locale) errors.push({ field: 'locale', messageId: 'validation.required' });
  else if (!isLocale(locale)) errors.push({ field: 'locale', messageId: 'validation.choice' });
  const timeZone = typeof input.timeZone === 'string' ? input.timeZone.trim() : '';
  if (!timeZone) errors.push({ field: 'timeZone', messageId: 'validation.required' });
  else if (!isTimeZone(timeZone)) errors.push({ field: 'timeZone', messageId: 'account.validation.time_zone' });
  if (errors.length) throw new ValidationFailed(errors);
  return { displayName: displayName.normalize('NFC').trim(), locale: locale as Locale, timeZone };
}

/**
 * Saves the signed-in person's display name, UI language and time zone, and writes
 * `account.profile_updated` (changed field names; organization null) to the audit log in the same
 * transaction. Nothing is logged when nothing changed.
 * @returns the changed field names.
 * @throws {ValidationFailed} see {@link validateProfile}.
 */
export async function updateProfile(db: Db, viewer: Viewer, input: ProfileInput): Promise<string[]> {
  const v = validateProfile(input);
  return inTransaction(db, async (tx) => {
    const row = await tx.selectFrom('users').select(['display_name', 'locale', 'time_zone']).where('id', '=', viewer.userId).executeTakeFirst();
    if (!row) throw new NotFound();
    const fields = changedFields(
      { displayName: row.display_name, locale: row.locale, timeZone: row.time_zone },
      { displayName: v.displayName, locale: v.locale, timeZone: v.timeZone },
    );
    if (!fields.length) return fields;
    await tx
      .updateTable('users')
      .set({ display_name: v.displayName, locale: v.locale, time_zone: v.timeZone, updated_at: nowInstant() })
      .where('id', '=', viewer.userId)
      .execute();
    await recordAudit(tx, viewer, { action: 'account.profile_updated', subjectType: 'account', subjectId: viewer.userId, details: { fields } });
    return fields;
  });
}

/**
 * Checks the person's current password against the stored Argon2id hash.
 * @throws {ValidationFailed} on `field` (`account.validation.password_wrong`, or required when empty).
 */
async function requirePassword(db: Db, userId: string, password: unknown, field: string): Promise<void> {
  const p = typeof password === 'string' ? password : '';
  if (!p) throw new ValidationFailed([{ field, messageId: 'validation.required' }]);
  const row = await db.selectFrom('users').select('password_hash').where('id', '=', userId).where('erased_at', 'is', null).executeTakeFirst();
  if (!row || !(await verifyPassword(p, row.password_hash))) throw new ValidationFailed([{ field, messageId: 'account.validation.password_wrong' }]);
}

/**
 * Changes the password: the current one must be right, the new one follows the sign-up rules of
 * `validateNewUser` (NIST SP 800-63B §3.1.1.2: at least 10, at most 512 characters). Every other
 * session of the account is ended (OWASP Session Management Cheat Sheet: renew on credential
 * change); this session stays. Writes `account.password_changed` with the number of ended sessions.
 * @returns how many other sessions were signed out.
 * @throws {ValidationFailed} on `currentPassword` (required / wrong) and `newPassword` (rules).
 */
export async function changePassword(db: Db, viewer: Viewer, input: { currentPassword?: unknown; newPassword?: unknown }): Promise<number> {
  const next = typeof input.newPassword === 'string' ? input.newPassword : '';
  const ruleErrors = next
    ? newUserFieldErrors({ email: viewer.email || 'profile@example.org', displayName: 'x', password: next }, 'password', 'newPassword')
    : [{ field: 'newPassword', messageId: 'validation.required' }];
  let currentErrors: FieldError[] = [];
  try {
    await requirePassword(db, viewer.userId, input.currentPassword, 'currentPassword');
  } catch (err) {
    if (!(err instanceof ValidationFailed)) throw err;
    currentErrors = err.errors;
  }
  if (currentErrors.length || ruleErrors.length) throw new ValidationFailed([...currentErrors, ...ruleErrors]);
  const hash = await hashPassword(next);
  return inTransaction(db, async (tx) => {
    await tx.updateTable('users').set({ password_hash: hash, updated_at: nowInstant() }).where('id', '=', viewer.userId).execute();
    const r = await tx.deleteFrom('sessions').where('user_id', '=', viewer.userId).where('id', '!=', viewer.sessionId).executeTakeFirst();
    const ended = Number(r.numDeletedRows);
    await recordAudit(tx, viewer, { action: 'account.password_changed', subjectType: 'account', subjectId: viewer.userId, details: { sessionsEnded: ended } });
    return ended;
  });
}

/** One of the person's sessions as the account page lists it. */
export interface SessionSummary {
  /** First 16 hex digits of the session hash (the same reference the audit log shows). */
  ref: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  userAgent: string | null;
  /** The session of the current request. */
  current: boolean;
  /** The password was given but the second factor not yet (someone may know the password). */
  pendingSecondFactor: boolean;
}

/** The account's unexpired sessions, most recently seen first. */
export async function listSessions(db: Db, viewer: Viewer): Promise<SessionSummary[]> {
  const rows = await db
    .selectFrom('sessions')
    .select(['id', 'created_at', 'last_seen_at', 'expires_at', 'user_agent', 'pending_second_factor'])
    .where('user_id', '=', viewer.userId)
    .where('expires_at', '>', nowInstant())
    .orderBy('last_seen_at', 'desc')
    .orderBy('created_at', 'desc')
    .execute();
  return rows.map((r) => ({
    ref: r.id.slice(0, 16),
    createdAt: r.created_at,
    lastSeenAt: r.last_seen_at,
    expiresAt: r.expires_at,
    userAgent: r.user_agent,
    current: r.id === viewer.sessionId,
    pendingSecondFactor: Number(r.pending_second_factor) === 1,
  }));
}

/** Which sessions to end: one by its reference, all but the current one, or all. */
export type SessionScope = { ref: string } | 'others' | 'all';

/**
 * Signs the account out of sessions and writes `account.sessions_revoked` (scope and count) in
 * the same transaction. A reference that names no session of this account ends nothing and logs
 * nothing (so one person cannot end another's session by guessing).
 * @returns how many sessions ended and whether the current one is among them (then the caller clears the cookie).
 */
export async function revokeSessions(db: Db, viewer: Viewer, scope: SessionScope): Promise<{ ended: number; endedCurrent: boolean }> {
  return inTransaction(db, async (tx) => {
    const mine = await tx.selectFrom('sessions').select('id').where('user_id', '=', viewer.userId).execute();
    const targets =
      scope === 'all'
        ? mine.map((s) => s.id)
        : scope === 'others'
          ? mine.filter((s) => s.id !== viewer.sessionId).map((s) => s.id)
          : /^[0-9a-f]{16}$/.test(scope.ref)
            ? mine.filter((s) => s.id.startsWith(scope.ref)).map((s) => s.id)
            : [];
    if (!targets.length) return { ended: 0, endedCurrent: false };
    await recordAudit(tx, viewer, {
      action: 'account.sessions_revoked',
      subjectType: 'account',
      subjectId: viewer.userId,
      details: { scope: typeof scope === 'string' ? scope : 'one', count: targets.length },
    });
    await tx.deleteFrom('sessions').where('user_id', '=', viewer.userId).where('id', 'in', targets).execute();
    return { ended: targets.length, endedCurrent: targets.includes(viewer.sessionId) };
  });
}

// ---- GDPR: export (Art. 15 access, Art. 20 portability) and erasure (Art. 17)

/** What erasure does to a column that names the person. */
export type ErasureRule =
  /** The row is deleted. */
  | 'delete'
  /** The row stays and keeps pointing at the tombstone (shared records keep their integrity). */
  | 'keep'
  /** The `users` row itself becomes a tombstone. */
  | 'tombstone'
  /** Pending rows are revoked; answered ones stay. */
  | 'revoke_pending'
  /** The row stays; the person's e-mail address in it is blanked. */
  | 'blank_email';

/**
 * Every column that names an account, with where the export shows it (a dotted path into
 * {@link AccountExport}) and what erasure does to it. The test walks the database schema: a new
 * column that references `users` (or is named `*user_id` / `*_by`) must be added here, to the
 * export and to {@link eraseAccount}.
 */
export const PERSONAL_DATA: Readonly<Record<string, Readonly<Record<string, { export: string; erase: ErasureRule }>>>> = {
  users: { id: { export: 'profile', erase: 'tombstone' } },
  sessions: { user_id: { export: 'sessions', erase: 'delete' } },
  organization_members: { user_id: { export: 'organizationRoles', erase: 'delete' } },
  network_roles: { user_id: { export: 'networkRoles', erase: 'delete' } },
  recovery_codes: { user_id: { export: 'secondFactor.recoveryCodes', erase: 'delete' } },
  passkeys: { user_id: { export: 'secondFactor.passkeys', erase: 'delete' } },
  password_resets: { user_id: { export: 'passwordResets', erase: 'delete' } },
  invitations: {
    invited_by: { export: 'invitations.sent', erase: 'revoke_pending' },
    accepted_by: { export: 'invitations.accepted', erase: 'blank_email' },
  },
  audit_events: { actor_user_id: { export: 'auditEvents', erase: 'keep' } },
  organizations: { created_by: { export: 'created.organizations', erase: 'keep' } },
  networks: { created_by: { export: 'created.networks', erase: 'keep' } },
  struggles: { created_by: { export: 'created.struggles', erase: 'keep' } },
  struggle_updates: { created_by: { export: 'created.struggleUpdates', erase: 'keep' } },
};

/** The JSON document of `GET /account/export`. Instants are ISO 8601 UTC; dates `YYYY-MM-DD`. */
export interface AccountExport {
  format: 'solidaris-account-export';
  version: 1;
  exportedAt: string;
  /** A translated explanation of the document (the request's UI language). */
  about: string;
  profile: {
    id: string;
    email: string;
    displayName: string;
    locale: string;
    timeZone: string;
    instanceAdministrator: boolean;
    createdAt: string;
    updatedAt: string;
  };
  /** Stored secrets: `withheld` when one exists (never included), `none` otherwise. */
  credentials: {
    passwordHash: 'withheld';
    totpSecret: 'withheld' | 'none';
    recoveryCodeHashes: 'withheld' | 'none';
  };
  secondFactor: {
    totpEnabledAt: string | null;
    recoveryCodes: { unused: number; used: number };
    passkeys: { name: string; createdAt: string; lastUsedAt: string | null }[];
  };
  organizationRoles: { organization: { id: string; slug: string; name: string }; role: string; since: string }[];
  networkRoles: { network: { id: string; slug: string; name: string }; role: string; since: string }[];
  sessions: { createdAt: string; lastSeenAt: string; expiresAt: string; userAgent: string | null; current: boolean }[];
  invitations: {
    sent: { id: string; organization: string; email: string; role: string; createdAt: string; expiresAt: string; acceptedAt: string | null; revokedAt: string | null }[];
    accepted: { id: string; organization: string; role: string; createdAt: string; acceptedAt: string | null }[];
  };
  passwordResets: { createdAt: string; expiresAt: string; usedAt: string | null }[];
  auditEvents: { id: string; at: string; action: string; organizationId: string | null; subjectType: string; subjectId: string | null; sessionRef: string | null; details: unknown }[];
  created: {
    organizations: { id: string; slug: string; name: string; createdAt: string }[];
    networks: { id: string; slug: string; name: string; createdAt: string }[];
    struggles: { id: string; slug: string; title: string; createdAt: string }[];
    struggleUpdates: { id: string; struggle: { id: string; slug: string; title: string }; date: string; createdAt: string }[];
  };
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/**
 * Everything stored about the signed-in person (GDPR Art. 15 right of access, Art. 20 data
 * portability: structured, commonly used, machine-readable). Secrets — the password hash, the TOTP
 * secret, recovery code hashes, session token hashes, pending WebAuthn challenges — are named as
 * existing but never included. `about` is the translated explanation. The export itself is
 * written to the audit log (`account.exported`), so a person can see when their data left.
 * @throws {NotFound} when the account is gone or erased.
 */
export async function exportAccount(db: Db, viewer: Viewer, about: string): Promise<AccountExport> {
  const uid = viewer.userId;
  const user = await db.selectFrom('users').selectAll().where('id', '=', uid).where('erased_at', 'is', null).executeTakeFirst();
  if (!user) throw new NotFound();
  const [codes, passkeys, orgRoles, netRoles, sessions, sent, accepted, resets, events, orgs, nets, struggles, updates] = await Promise.all([
    db.selectFrom('recovery_codes').select(['used_at']).where('user_id', '=', uid).execute(),
    db.selectFrom('passkeys').select(['name', 'created_at', 'last_used_at']).where('user_id', '=', uid).orderBy('created_at').execute(),
    db
      .selectFrom('organization_members')
      .innerJoin('organizations', 'organizations.id', 'organization_members.organization_id')
      .select(['organizations.id', 'organizations.slug', 'organizations.name', 'organization_members.role', 'organization_members.created_at'])
      .where('organization_members.user_id', '=', uid)
      .orderBy('organization_members.created_at')
      .execute(),
    db
      .selectFrom('network_roles')
      .innerJoin('networks', 'networks.id', 'network_roles.network_id')
      .select(['networks.id', 'networks.slug', 'networks.name', 'network_roles.role', 'network_roles.created_at'])
      .where('network_roles.user_id', '=', uid)
      .orderBy('network_roles.created_at')
      .execute(),
    db.selectFrom('sessions').select(['id', 'created_at', 'last_seen_at', 'expires_at', 'user_agent']).where('user_id', '=', uid).orderBy('created_at').execute(),
    db
      .selectFrom('invitations')
      .innerJoin('organizations', 'organizations.id', 'invitations.organization_id')
      .select(['invitations.id', 'organizations.slug', 'invitations.email', 'invitations.role', 'invitations.created_at', 'invitations.expires_at', 'invitations.accepted_at', 'invitations.revoked_at'])
      .where('invitations.invited_by', '=', uid)
      .orderBy('invitations.created_at')
      .execute(),
    db
      .selectFrom('invitations')
      .innerJoin('organizations', 'organizations.id', 'invitations.organization_id')
      .select(['invitations.id', 'organizations.slug', 'invitations.role', 'invitations.created_at', 'invitations.accepted_at'])
      .where('invitations.accepted_by', '=', uid)
      .orderBy('invitations.created_at')
      .execute(),
    db.selectFrom('password_resets').select(['created_at', 'expires_at', 'used_at']).where('user_id', '=', uid).orderBy('created_at').execute(),
    db.selectFrom('audit_events').selectAll().where('actor_user_id', '=', uid).orderBy('at').orderBy('id').execute(),
    db.selectFrom('organizations').select(['id', 'slug', 'name', 'created_at']).where('created_by', '=', uid).orderBy('created_at').execute(),
    db.selectFrom('networks').select(['id', 'slug', 'name', 'created_at']).where('created_by', '=', uid).orderBy('created_at').execute(),
    db.selectFrom('struggles').select(['id', 'slug', 'title', 'created_at']).where('created_by', '=', uid).orderBy('created_at').execute(),
    db
      .selectFrom('struggle_updates')
      .innerJoin('struggles', 'struggles.id', 'struggle_updates.struggle_id')
      .select(['struggle_updates.id', 'struggles.id as struggle_id', 'struggles.slug', 'struggles.title', 'struggle_updates.date', 'struggle_updates.created_at'])
      .where('struggle_updates.created_by', '=', uid)
      .orderBy('struggle_updates.created_at')
      .execute(),
  ]);
  const stored = 'withheld' as const;
  await recordAudit(db, viewer, { action: 'account.exported', subjectType: 'account', subjectId: uid });
  return {
    format: 'solidaris-account-export',
    version: 1,
    exportedAt: nowInstant(),
    about,
    profile: {
      id: user.id,
      email: user.email,
      displayName: user.display_name,
      locale: user.locale,
      timeZone: user.time_zone,
      instanceAdministrator: Number(user.is_admin) === 1,
      createdAt: user.created_at,
      updatedAt: user.updated_at,
    },
    credentials: {
      passwordHash: stored,
      totpSecret: user.totp_secret ? stored : 'none',
      recoveryCodeHashes: codes.length ? stored : 'none',
    },
    secondFactor: {
      totpEnabledAt: user.totp_enabled_at,
      recoveryCodes: { unused: codes.filter((c) => c.used_at === null).length, used: codes.filter((c) => c.used_at !== null).length },
      passkeys: passkeys.map((p) => ({ name: p.name, createdAt: p.created_at, lastUsedAt: p.last_used_at })),
    },
    organizationRoles: orgRoles.map((r) => ({ organization: { id: r.id, slug: r.slug, name: r.name }, role: r.role, since: r.created_at })),
    networkRoles: netRoles.map((r) => ({ network: { id: r.id, slug: r.slug, name: r.name }, role: r.role, since: r.created_at })),
    sessions: sessions.map((s) => ({ createdAt: s.created_at, lastSeenAt: s.last_seen_at, expiresAt: s.expires_at, userAgent: s.user_agent, current: s.id === viewer.sessionId })),
    invitations: {
      sent: sent.map((i) => ({
        id: i.id,
        organization: i.slug,
        email: i.email,
        role: i.role,
        createdAt: i.created_at,
        expiresAt: i.expires_at,
        acceptedAt: i.accepted_at,
        revokedAt: i.revoked_at,
      })),
      accepted: accepted.map((i) => ({ id: i.id, organization: i.slug, role: i.role, createdAt: i.created_at, acceptedAt: i.accepted_at })),
    },
    passwordResets: resets.map((r) => ({ createdAt: r.created_at, expiresAt: r.expires_at, usedAt: r.used_at })),
    auditEvents: events.map((e) => ({
      id: e.id,
      at: e.at,
      action: e.action,
      organizationId: e.organization_id,
      subjectType: e.subject_type,
      subjectId: e.subject_id,
      sessionRef: e.session_ref,
      details: parseJson(e.details),
    })),
    created: {
      organizations: orgs.map((o) => ({ id: o.id, slug: o.slug, name: o.name, createdAt: o.created_at })),
      networks: nets.map((n) => ({ id: n.id, slug: n.slug, name: n.name, createdAt: n.created_at })),
      struggles: struggles.map((s) => ({ id: s.id, slug: s.slug, title: s.title, createdAt: s.created_at })),
      struggleUpdates: updates.map((u) => ({ id: u.id, struggle: { id: u.struggle_id, slug: u.slug, title: u.title }, date: u.date, createdAt: u.created_at })),
    },
  };
}

/** Organizations (id, slug, name) where the account is the only stored `admin`. */
export async function organizationsWithSoleAdmin(db: Db, userId: string, engine?: Engine): Promise<{ id: string; slug: string; name: string }[]> {
  const adminOf = await db
    .selectFrom('organization_members')
    .innerJoin('organizations', 'organizations.id', 'organization_members.organization_id')
    .select(['organizations.id', 'organizations.slug', 'organizations.name'])
    .where('organization_members.user_id', '=', userId)
    .where('organization_members.role', '=', 'admin')
    .orderBy('organizations.name')
    .execute();
  if (!adminOf.length) return [];
  const ids = adminOf.map((o) => o.id);
  // On PostgreSQL two admins erasing at once must not both see the other as the remaining admin:
  // lock the organizations' rows so the second transaction counts after the first committed.
  // (SQLite runs one write transaction at a time.)
  if (engine === 'postgres') await db.selectFrom('organizations').select('id').where('id', 'in', ids).orderBy('id').forUpdate().execute();
  const others = await db
    .selectFrom('organization_members')
    .select('organization_id')
    .where('organization_id', 'in', ids)
    .where('role', '=', 'admin')
    .where('user_id', '!=', userId)
    .execute();
  const covered = new Set(others.map((o) => o.organization_id));
  return adminOf.filter((o) => !covered.has(o.id));
}

/**
 * Erases the signed-in person's account (GDPR Art. 17 right to erasure), in one transaction:
 * deletes their sessions, recovery codes, passkeys, password resets, organization memberships and
 * network roles; revokes the invitations they sent that are still pending; blanks the e-mail
 * address on invitations they accepted; and turns the `users` row into a tombstone (e-mail empty,
 * e-mail key `erased:<id>` so the address can open a new account, name empty, password hash `!`
 * which no password matches, second factor cleared, language and time zone reset, `erased_at`
 * set). Records they created (organizations, networks, struggles, timeline entries) and the audit
 * log keep pointing at the tombstone, shown as "former member". Writes `account.erased` (counts
 * only, no personal data) to the instance log and to the log of every organization they belonged to.
 * See {@link PERSONAL_DATA} for the rule per column.
 * @throws {ValidationFailed} `password` (required / wrong); `organizations`
 *   (`account.erase.last_admin`, one error per organization, value `organization` = its name) when
 *   they are the only admin of an organization and must hand over first. Nothing is changed then.
 */
export async function eraseAccount(db: Db, viewer: Viewer, input: { password?: unknown }, engine?: Engine): Promise<void> {
  await requirePassword(db, viewer.userId, input.password, 'password');
  await inTransaction(db, async (tx) => {
    const sole = await organizationsWithSoleAdmin(tx, viewer.userId, engine);
    if (sole.length) {
      throw new ValidationFailed(sole.map((o) => ({ field: 'organizations', messageId: 'account.erase.last_admin', values: { organization: o.name } })));
    }
    const uid = viewer.userId;
    const now = nowInstant();
    const memberships = await tx.selectFrom('organization_members').select('organization_id').where('user_id', '=', uid).execute();
    const count = async (table: 'sessions' | 'recovery_codes' | 'passkeys' | 'password_resets' | 'network_roles') =>
      Number((await tx.deleteFrom(table).where('user_id', '=', uid).executeTakeFirst()).numDeletedRows);
    const details = {
      organizationsLeft: memberships.length,
      networkRolesEnded: await count('network_roles'),
      sessionsEnded: await count('sessions'),
      passkeysDeleted: await count('passkeys'),
      recoveryCodesDeleted: await count('recovery_codes'),
      passwordResetsDeleted: await count('password_resets'),
      invitationsRevoked: Number(
        (
          await tx
            .updateTable('invitations')
            .set({ revoked_at: now })
            .where('invited_by', '=', uid)
            .where('accepted_at', 'is', null)
            .where('revoked_at', 'is', null)
            .executeTakeFirst()
        ).numUpdatedRows,
      ),
    };
    await tx.deleteFrom('organization_members').where('user_id', '=', uid).execute();
    await tx.updateTable('invitations').set({ email: '', email_key: '' }).where('accepted_by', '=', uid).execute();
    await tx
      .updateTable('users')
      .set({
        email: '',
        email_key: `erased:${uid}`,
        display_name: '',
        password_hash: '!',
        locale: LOCALES[0],
        time_zone: 'UTC',
        is_admin: 0,
        totp_secret: null,
        totp_enabled_at: null,
        totp_last_step: null,
        erased_at: now,
        updated_at: now,
      })
      .where('id', '=', uid)
      .execute();
    const event = { action: 'account.erased', subjectType: 'account', subjectId: uid } as const;
    await recordAudit(tx, viewer, { ...event, details });
    for (const m of memberships) await recordAudit(tx, viewer, { ...event, organizationId: m.organization_id, details: {} });
  });
}
