import { inTransaction, type Db } from '../../db/client.ts';
import type { Viewer } from '../../http/viewer.ts';
import { NotFound, ValidationFailed, type FieldError } from '../../http/errors.ts';
import { isLocale, type Locale } from '../../i18n/i18n.ts';
import { hashPassword, verifyPassword } from '../../lib/passwords.ts';
import { canonicalTimeZone, nowInstant } from '../../lib/time.ts';
import { DIGEST_FREQUENCIES, type DigestFrequency } from '../../db/schema.ts';
import { changedFields, recordAudit } from '../audit/audit.service.ts';
import { validateNewUser } from './accounts.service.ts';

export { TIME_ZONES } from '../../lib/time.ts';

/** True for an IANA time zone name (see `canonicalTimeZone`). */
export function isTimeZone(value: string): boolean {
  return canonicalTimeZone(value) !== null;
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
  /** E-mail digest choice (`off`, `daily`, `weekly`); absent leaves it as it is. */
  digestFrequency?: unknown;
}

/** A profile after validation. */
export interface ProfileValues {
  displayName: string;
  locale: Locale;
  timeZone: string;
  /** Only present when the input carried it. */
  digestFrequency?: DigestFrequency;
}

/**
 * Validates the profile form. The display name follows the sign-up rules of `validateNewUser`
 * (required, NFC, one line, no angle brackets, at most 120 characters); the language must be a UI
 * locale; the time zone an IANA name ({@link isTimeZone}); the digest choice, when given, one of
 * `DIGEST_FREQUENCIES`.
 * @throws {ValidationFailed} on `displayName`, `locale`, `timeZone`, `digestFrequency`.
 */
export function validateProfile(input: ProfileInput): ProfileValues {
  const displayName = typeof input.displayName === 'string' ? input.displayName : '';
  // Only the display name is checked here; the e-mail and password given to the shared rule are placeholders that pass.
  const errors = newUserFieldErrors({ email: 'profile@example.org', displayName, password: 'x'.repeat(16) }, 'displayName', 'displayName');
  const locale = typeof input.locale === 'string' ? input.locale.trim() : '';
  if (!locale) errors.push({ field: 'locale', messageId: 'validation.required' });
  else if (!isLocale(locale)) errors.push({ field: 'locale', messageId: 'validation.choice' });
  const rawZone = typeof input.timeZone === 'string' ? input.timeZone.trim() : '';
  const timeZone = canonicalTimeZone(rawZone) ?? '';
  if (!rawZone) errors.push({ field: 'timeZone', messageId: 'validation.required' });
  else if (!timeZone) errors.push({ field: 'timeZone', messageId: 'account.validation.time_zone' });
  const digest = input.digestFrequency === undefined ? undefined : typeof input.digestFrequency === 'string' ? input.digestFrequency.trim() : '';
  if (digest !== undefined && !(DIGEST_FREQUENCIES as readonly string[]).includes(digest)) errors.push({ field: 'digestFrequency', messageId: 'validation.choice' });
  if (errors.length) throw new ValidationFailed(errors);
  const values: ProfileValues = { displayName: displayName.normalize('NFC').trim(), locale: locale as Locale, timeZone };
  if (digest !== undefined) values.digestFrequency = digest as DigestFrequency;
  return values;
}

/**
 * Saves the signed-in person's display name, UI language, time zone and (when given) e-mail digest
 * choice, and writes `account.profile_updated` (changed field names; organization null) to the
 * audit log in the same transaction. Nothing is logged when nothing changed. Turning the digest on from `off` sets
 * `digest_sent_until` to now, so the first digest covers only what comes after.
 * @returns the changed field names.
 * @throws {ValidationFailed} see {@link validateProfile}.
 */
export async function updateProfile(db: Db, viewer: Viewer, input: ProfileInput): Promise<string[]> {
  const v = validateProfile(input);
  return inTransaction(db, async (tx) => {
    const row = await tx
      .selectFrom('users')
      .select(['display_name', 'locale', 'time_zone', 'digest_frequency'])
      .where('id', '=', viewer.userId)
      .executeTakeFirst();
    if (!row) throw new NotFound();
    const digest = v.digestFrequency ?? row.digest_frequency;
    const fields = changedFields(
      { displayName: row.display_name, locale: row.locale, timeZone: row.time_zone, digestFrequency: row.digest_frequency },
      { displayName: v.displayName, locale: v.locale, timeZone: v.timeZone, digestFrequency: digest },
    );
    if (!fields.length) return fields;
    const now = nowInstant();
    const digestOn = row.digest_frequency === 'off' && digest !== 'off';
    await tx
      .updateTable('users')
      .set({
        display_name: v.displayName,
        locale: v.locale,
        time_zone: v.timeZone,
        digest_frequency: digest,
        ...(digestOn ? { digest_sent_until: now } : {}),
        updated_at: now,
      })
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
export async function requirePassword(db: Db, userId: string, password: unknown, field: string): Promise<void> {
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
