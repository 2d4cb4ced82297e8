import { inTransaction, type Db } from '../../db/client.ts';
import type { Viewer } from '../../http/viewer.ts';
import { AppError, NotFound, ValidationFailed } from '../../http/errors.ts';
import { nowInstant } from '../../lib/time.ts';
import { emailKey } from '../../lib/email.ts';
import { hashPassword } from '../../lib/passwords.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { tokenHash, validateNewUser } from './accounts.service.ts';
import { newLinkToken } from './invitations.service.ts';
import { revokeAccountFeedTokens } from '../feed-tokens/feed-tokens.service.ts';

/** A password reset link is valid for one hour (OWASP Forgot Password Cheat Sheet: short-lived, single use). */
export const RESET_MINUTES = 60;
/** A new self-service link for the same account is made at most once a minute (no mail flooding). */
const RESEND_GAP_MS = 60_000;

/**
 * 404 for a reset token that is unknown, expired, used or replaced by a newer one: all look the
 * same to the token holder.
 */
export class ResetLinkInvalid extends AppError {
  constructor() {
    super(404, 'password_reset_invalid', 'password_reset.invalid.title');
  }
}

/** A new reset link and what the mail to its account needs. */
export interface ResetLink {
  /** `${baseUrl}/password-reset/<token>`; the token (32 random bytes, base64url) is only here. */
  url: string;
  /** Instant (ISO 8601 UTC) after which the link stops working. */
  expiresAt: string;
  userId: string;
  email: string;
  displayName: string;
  /** The account's UI language, for the mail. */
  locale: string;
}

/** Who asked for a link, for the audit log. */
export interface ResetLinkOptions {
  /** The instance administrator who made the link on a members page; null/absent for the account itself or the CLI. */
  actor?: Pick<Viewer, 'userId' | 'sessionId'> | null;
  /** The organization whose members page it was made on. */
  organizationId?: string | null;
  /** `self` (the e-mail form), `admin` (members page) or `cli`; default `cli`. */
  source?: 'self' | 'admin' | 'cli';
}

/**
 * Makes a single-use password reset link for an account (only the token's SHA-256 is stored);
 * earlier unused links of the account stop working. Writes `account.password_reset_link_created`
 * (details `source`). Callable from the CLI: `createPasswordResetLink(db, baseUrl, userId)`.
 * @param baseUrl public base URL without trailing slash.
 * @returns the link, valid for `RESET_MINUTES` minutes, and the account's address, name and locale.
 * @throws {NotFound} unknown or erased account.
 */
export async function createPasswordResetLink(db: Db, baseUrl: string, userId: string, opts: ResetLinkOptions = {}): Promise<ResetLink> {
  return inTransaction(db, async (tx) => {
    const user = await tx
      .selectFrom('users')
      .select(['id', 'email', 'display_name', 'locale'])
      .where('id', '=', userId)
      .where('erased_at', 'is', null)
      .executeTakeFirst();
    if (!user) throw new NotFound();
    const token = newLinkToken();
    const now = nowInstant();
    const expiresAt = new Date(Date.parse(now) + RESET_MINUTES * 60_000).toISOString();
    await tx.deleteFrom('password_resets').where('user_id', '=', user.id).where('used_at', 'is', null).execute();
    await tx.insertInto('password_resets').values({ token_hash: tokenHash(token), user_id: user.id, created_at: now, expires_at: expiresAt, used_at: null }).execute();
    await recordAudit(tx, opts.actor ?? null, {
      organizationId: opts.organizationId ?? null,
      action: 'account.password_reset_link_created',
      subjectType: 'account',
      subjectId: user.id,
      details: { source: opts.source ?? 'cli' },
    });
    return { url: `${baseUrl}/password-reset/${token}`, expiresAt, userId: user.id, email: user.email, displayName: user.display_name, locale: user.locale };
  });
}

/**
 * Self-service request from the e-mail form. Answers the same way whether or not an account has
 * the address, and does comparable work in both cases (a token is drawn and hashed either way;
 * the caller sends the mail off the request path). A link for the same account is made at most
 * once a minute.
 * @param email the address typed (already checked to be well-formed by the caller).
 * @returns the link to mail, or null (no such account, or a link was sent moments ago).
 */
export async function requestPasswordReset(db: Db, baseUrl: string, email: string): Promise<ResetLink | null> {
  const key = emailKey(email);
  const user = key
    ? await db.selectFrom('users').select('id').where('email_key', '=', key).where('erased_at', 'is', null).executeTakeFirst()
    : undefined;
  const recent = await db
    .selectFrom('password_resets')
    .select('token_hash')
    .where('user_id', '=', user?.id ?? '')
    .where('used_at', 'is', null)
    .where('created_at', '>', new Date(Date.now() - RESEND_GAP_MS).toISOString())
    .executeTakeFirst();
  if (!user || recent) {
    tokenHash(newLinkToken());
    return null;
  }
  return createPasswordResetLink(db, baseUrl, user.id, { source: 'self' });
}

/** The account a reset token is for, while the token is open (unused, unexpired, account not erased); else null. */
export async function findPasswordReset(db: Db, token: string): Promise<{ userId: string; email: string; displayName: string } | null> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const r = await db
    .selectFrom('password_resets')
    .innerJoin('users', 'users.id', 'password_resets.user_id')
    .select(['users.id', 'users.email', 'users.display_name'])
    .where('password_resets.token_hash', '=', tokenHash(token))
    .where('password_resets.used_at', 'is', null)
    .where('password_resets.expires_at', '>', nowInstant())
    .where('users.erased_at', 'is', null)
    .executeTakeFirst();
  return r ? { userId: r.id, email: r.email, displayName: r.display_name } : null;
}

/**
 * Sets a new password through a reset link: checks it with the account rules (`validateNewUser`),
 * stores its Argon2id hash, marks the link used, ends every session of the account (signed out
 * everywhere), revokes its personal feed tokens (whoever had the account may have made links)
 * and writes `account.password_reset` (details: `feedTokensRevoked`) — one transaction; the link is claimed by a
 * conditional UPDATE, so it works exactly once even under concurrent use.
 * @returns the account's id.
 * @throws {ResetLinkInvalid} the link is not open; {ValidationFailed} on `password`.
 */
export async function resetPassword(db: Db, token: string, password: unknown): Promise<{ userId: string }> {
  const reset = await findPasswordReset(db, token);
  if (!reset) throw new ResetLinkInvalid();
  const value = typeof password === 'string' ? password : '';
  try {
    validateNewUser({ email: reset.email, displayName: reset.displayName, password: value });
  } catch (err) {
    if (!(err instanceof ValidationFailed)) throw err;
    const own = err.errors.filter((e) => e.field === 'password');
    if (own.length) throw new ValidationFailed(own);
  }
  const hash = await hashPassword(value);
  return inTransaction(db, async (tx) => {
    const now = nowInstant();
    const claimed = await tx
      .updateTable('password_resets')
      .set({ used_at: now })
      .where('token_hash', '=', tokenHash(token))
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) throw new ResetLinkInvalid();
    await tx.updateTable('users').set({ password_hash: hash, updated_at: now }).where('id', '=', reset.userId).execute();
    await tx.deleteFrom('sessions').where('user_id', '=', reset.userId).execute();
    await tx.deleteFrom('password_resets').where('user_id', '=', reset.userId).where('used_at', 'is', null).execute();
    const feedTokensRevoked = await revokeAccountFeedTokens(tx, reset.userId);
    await recordAudit(tx, null, {
      actorUserId: reset.userId,
      action: 'account.password_reset',
      subjectType: 'account',
      subjectId: reset.userId,
      details: { feedTokensRevoked },
    });
    return { userId: reset.userId };
  });
}
