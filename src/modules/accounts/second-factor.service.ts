import type { Db } from '../../db/client.ts';
import { nowInstant } from '../../lib/time.ts';
import { tokenHash } from './accounts.service.ts';

// The second factors themselves live next to this file: TOTP and recovery codes in
// `totp.service.ts`, passkeys in `passkeys.service.ts`. Both complete a pending session here.

/** A session that has proven the password but not the second factor expires after this long. */
const PENDING_SESSION_MINUTES = 10;
/** Sessions last 30 days (as `createSession` sets them), restored once the second factor is proven. */
const SESSION_DAYS = 30;

// ---------------------------------------------------------------------------------------------
// What an account has

/** Second factors of an account (for the sign-in decision and the second-step page). */
export interface SecondFactors {
  totp: boolean;
  passkeys: number;
  /** Unused recovery codes. */
  recoveryCodes: number;
}

/** The second factors an account has set up. */
export async function secondFactorsOf(db: Db, userId: string): Promise<SecondFactors> {
  const user = await db.selectFrom('users').select('totp_enabled_at').where('id', '=', userId).executeTakeFirst();
  const passkeys = await db.selectFrom('passkeys').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow();
  const codes = await db
    .selectFrom('recovery_codes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow();
  return { totp: Boolean(user?.totp_enabled_at), passkeys: Number(passkeys.n), recoveryCodes: Number(codes.n) };
}

/** True when the account must prove a second factor after its password (TOTP or a passkey). */
export function needsSecondFactor(f: SecondFactors): boolean {
  return f.totp || f.passkeys > 0;
}

// ---------------------------------------------------------------------------------------------
// Pending sessions (password proven, second factor to come)

/** A session waiting for its second factor, as the second-step page needs it. */
export interface PendingSession {
  /** SHA-256 of the session token (the `sessions.id`). */
  sessionId: string;
  userId: string;
  email: string;
  locale: string;
}

/**
 * The pending (password proven, second factor not yet) session for a cookie token, or null for an
 * unknown, expired, complete or erased-account session. `loadViewer` treats the same session as
 * anonymous, so nothing but the second-step routes can use it.
 */
export async function loadPendingSession(db: Db, token: string | undefined): Promise<PendingSession | null> {
  if (!token) return null;
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['sessions.id as sessionId', 'users.id as userId', 'users.email', 'users.locale'])
    .where('sessions.id', '=', tokenHash(token))
    .where('sessions.pending_second_factor', '=', 1)
    .where('sessions.expires_at', '>', nowInstant())
    .where('users.erased_at', 'is', null)
    .executeTakeFirst();
  return row ?? null;
}

/**
 * Shortens a freshly created pending session to {@link PENDING_SESSION_MINUTES}, so a password
 * without its second factor opens nothing for long.
 */
export async function limitPendingSession(db: Db, token: string): Promise<void> {
  const expires = new Date(Date.now() + PENDING_SESSION_MINUTES * 60_000).toISOString();
  await db.updateTable('sessions').set({ expires_at: expires }).where('id', '=', tokenHash(token)).where('pending_second_factor', '=', 1).execute();
}

/**
 * Marks a pending session as complete: `pending_second_factor = 0`, `second_factor_at = now`,
 * and the usual 30-day lifetime. Only a still-pending session changes.
 * @returns false when the session was not pending (any more).
 */
export async function completePendingSession(db: Db, sessionId: string): Promise<boolean> {
  const now = new Date();
  const r = await db
    .updateTable('sessions')
    .set({
      pending_second_factor: 0,
      second_factor_at: now.toISOString(),
      expires_at: new Date(now.getTime() + SESSION_DAYS * 86_400_000).toISOString(),
      webauthn_challenge: null,
    })
    .where('id', '=', sessionId)
    .where('pending_second_factor', '=', 1)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
