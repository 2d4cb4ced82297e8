import { createHash, randomBytes } from 'node:crypto';
import { generateSecret, generateURI, verify as verifyOtp } from 'otplib';
import QRCode from 'qrcode';
import { inTransaction, type Db } from '../../db/client.ts';
import type { Viewer } from '../../http/viewer.ts';
import { Conflict, NotFound, ValidationFailed } from '../../http/errors.ts';
import { nowInstant } from '../../lib/time.ts';
import { verifyPassword } from '../../lib/passwords.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { completePendingSession, type PendingSession } from './second-factor.service.ts';

/** Issuer shown in authenticator apps (RFC 6238 key URI `issuer`). */
export const TOTP_ISSUER = 'Solidaris';
/** RFC 6238 time step X in seconds (the default every authenticator app uses). */
const TOTP_PERIOD = 30;
/** Accept the previous and the next time step too (clock drift, RFC 6238 §5.2): ±30 s. */
const TOTP_TOLERANCE_SECONDS = TOTP_PERIOD;
/** Number of recovery codes per set. */
export const RECOVERY_CODE_COUNT = 10;
/**
 * Crockford base32 (no I, L, O, U): 5 bits per character. 12 characters = 60 bits of
 * randomness per code, above the 50 bits the recovery_codes table assumes for a fast hash.
 */
const RECOVERY_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const RECOVERY_LENGTH = 12;

// ---------------------------------------------------------------------------------------------
// TOTP (RFC 6238, on HOTP RFC 4226)

/** `ABCD EFGH …`: the base32 secret in groups of four for typing into an app by hand. */
export function groupSecret(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}

/** What the set-up section shows: the secret, its key URI and a QR code of the URI. */
export interface TotpSetup {
  /** Base32 (RFC 4648 §6) shared secret. */
  secret: string;
  /** `otpauth://totp/Solidaris:<email>?secret=…&issuer=Solidaris` (Key URI Format). */
  uri: string;
  /** `data:image/svg+xml;base64,…` QR code of `uri` (the CSP allows `data:` images). */
  qrDataUri: string;
}

/**
 * The TOTP secret being set up on this session: the pending one (`sessions.totp_pending_secret`)
 * when there is one, so reloading the page does not change the code being scanned, else a new
 * 160-bit secret from otplib (RFC 4226 §4 R6 recommends 160 bits), stored on the session until
 * the person confirms a code from it.
 */
export async function totpSetupFor(db: Db, viewer: Pick<Viewer, 'sessionId' | 'email'>): Promise<TotpSetup> {
  const row = await db.selectFrom('sessions').select('totp_pending_secret').where('id', '=', viewer.sessionId).executeTakeFirst();
  let secret = row?.totp_pending_secret ?? null;
  if (!secret) {
    secret = generateSecret({ length: 20 });
    await db.updateTable('sessions').set({ totp_pending_secret: secret }).where('id', '=', viewer.sessionId).execute();
  }
  const uri = generateURI({ issuer: TOTP_ISSUER, label: viewer.email, secret, period: TOTP_PERIOD, digits: 6, algorithm: 'sha1' });
  const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return { secret, uri, qrDataUri: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}` };
}

/** The six digits of a typed TOTP code (spaces and hyphens dropped), or null when it is not six digits. */
export function normalizeTotpCode(raw: unknown): string | null {
  const v = typeof raw === 'string' ? raw.replace(/[\s-]/g, '') : '';
  return /^\d{6}$/.test(v) ? v : null;
}

/**
 * Checks a TOTP code against `secret` (RFC 6238, HMAC-SHA-1, 6 digits, 30 s steps) accepting the
 * previous and next step, and only steps after `afterStep` (RFC 6238 §5.2: a verifier must not
 * accept the same code twice).
 * @returns the matched time step, or null.
 */
async function matchTotp(secret: string, code: string, afterStep: number | null): Promise<number | null> {
  const r = await verifyOtp({
    secret,
    token: code,
    period: TOTP_PERIOD,
    epochTolerance: TOTP_TOLERANCE_SECONDS,
    ...(afterStep !== null ? { afterTimeStep: afterStep } : {}),
  });
  return r.valid ? (r as { timeStep: number }).timeStep : null;
}

/**
 * Verifies an account's TOTP code and consumes its time step: the step is stored in
 * `users.totp_last_step` with a compare-and-set, so the same code (or an older one) is refused
 * even when two requests race (RFC 6238 §5.2).
 * @returns true when the code is right and was not used before.
 */
export async function verifyAccountTotp(db: Db, userId: string, rawCode: unknown): Promise<boolean> {
  const code = normalizeTotpCode(rawCode);
  if (!code) return false;
  const user = await db.selectFrom('users').select(['totp_secret', 'totp_last_step']).where('id', '=', userId).executeTakeFirst();
  if (!user?.totp_secret) return false;
  const last = user.totp_last_step === null ? null : Number(user.totp_last_step);
  const step = await matchTotp(user.totp_secret, code, last);
  if (step === null) return false;
  const r = await db
    .updateTable('users')
    .set({ totp_last_step: step })
    .where('id', '=', userId)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

const wrongCode = (field: string) => new ValidationFailed([{ field, messageId: 'security.errors.code_wrong' }]);

/**
 * Confirms the TOTP set-up of this session with a code from the pending secret (RFC 6238):
 * stores the secret on the account, marks this session as having proven a second factor,
 * replaces the recovery codes with {@link RECOVERY_CODE_COUNT} new ones and audits
 * `second_factor.totp_enabled`. One transaction.
 * @returns the new recovery codes (shown once; only their SHA-256 is stored).
 * @throws {ValidationFailed} `code` when the code is malformed or wrong; {Conflict} when TOTP is on already.
 */
export async function confirmTotp(db: Db, viewer: Pick<Viewer, 'userId' | 'sessionId'>, rawCode: unknown): Promise<string[]> {
  const code = normalizeTotpCode(rawCode);
  if (!code) throw new ValidationFailed([{ field: 'code', messageId: 'security.errors.code_format' }]);
  return inTransaction(db, async (tx) => {
    const user = await tx.selectFrom('users').select('totp_enabled_at').where('id', '=', viewer.userId).executeTakeFirstOrThrow();
    if (user.totp_enabled_at) throw new Conflict('totp_enabled', 'security.errors.totp_on_already', 'code');
    const session = await tx.selectFrom('sessions').select('totp_pending_secret').where('id', '=', viewer.sessionId).executeTakeFirst();
    const secret = session?.totp_pending_secret;
    if (!secret) throw new ValidationFailed([{ field: 'code', messageId: 'security.errors.setup_expired' }]);
    const step = await matchTotp(secret, code, null);
    if (step === null) throw wrongCode('code');
    const now = nowInstant();
    await tx.updateTable('users').set({ totp_secret: secret, totp_enabled_at: now, totp_last_step: step, updated_at: now }).where('id', '=', viewer.userId).execute();
    await tx.updateTable('sessions').set({ totp_pending_secret: null, second_factor_at: now }).where('id', '=', viewer.sessionId).execute();
    const codes = await replaceRecoveryCodes(tx, viewer.userId);
    await recordAudit(tx, viewer, { organizationId: null, action: 'second_factor.totp_enabled', subjectType: 'account', subjectId: viewer.userId });
    return codes;
  });
}

/**
 * Checks the current password and a current second-factor code (a TOTP code, or an unused
 * recovery code, which is then used up) before a change that weakens or resets the second factor.
 * @throws {ValidationFailed} `password` and/or `code`.
 */
async function requirePasswordAndCode(tx: Db, viewer: Pick<Viewer, 'userId' | 'sessionId'>, password: unknown, rawCode: unknown): Promise<void> {
  const user = await tx.selectFrom('users').select('password_hash').where('id', '=', viewer.userId).executeTakeFirstOrThrow();
  const passwordOk = typeof password === 'string' && password !== '' && (await verifyPassword(password, user.password_hash));
  const errors = [];
  if (!passwordOk) errors.push({ field: 'password', messageId: 'security.errors.password_wrong' });
  // The code is checked only after the password: a wrong password must not use up a code.
  else if (!(await verifyAccountTotp(tx, viewer.userId, rawCode)) && !(await useRecoveryCode(tx, viewer, rawCode))) {
    errors.push({ field: 'code', messageId: 'security.errors.code_wrong' });
  }
  if (errors.length) throw new ValidationFailed(errors);
}

/**
 * Turns TOTP off (needs the current password and a current code): removes the secret, and the
 * recovery codes too unless a passkey remains for which they are the fallback. Audits
 * `second_factor.totp_disabled`. One transaction; a wrong password or code changes nothing.
 * @throws {ValidationFailed} `password` / `code`; {NotFound} when TOTP is off.
 */
export async function disableTotp(db: Db, viewer: Pick<Viewer, 'userId' | 'sessionId'>, input: { password: unknown; code: unknown }): Promise<void> {
  // The password and code checks run outside the transaction that removes TOTP, so a used-up
  // step or recovery code stays used up even when the removal is refused.
  const user = await db.selectFrom('users').select('totp_enabled_at').where('id', '=', viewer.userId).executeTakeFirstOrThrow();
  if (!user.totp_enabled_at) throw new NotFound();
  await requirePasswordAndCode(db, viewer, input.password, input.code);
  await inTransaction(db, async (tx) => {
    await tx
      .updateTable('users')
      .set({ totp_secret: null, totp_enabled_at: null, totp_last_step: null, updated_at: nowInstant() })
      .where('id', '=', viewer.userId)
      .execute();
    const passkeys = await tx.selectFrom('passkeys').select('id').where('user_id', '=', viewer.userId).executeTakeFirst();
    if (!passkeys) await tx.deleteFrom('recovery_codes').where('user_id', '=', viewer.userId).execute();
    await recordAudit(tx, viewer, { organizationId: null, action: 'second_factor.totp_disabled', subjectType: 'account', subjectId: viewer.userId });
  });
}

// ---------------------------------------------------------------------------------------------
// Recovery codes

/** `xxxx-xxxx-xxxx` from {@link RECOVERY_LENGTH} random Crockford base32 characters (60 bits). */
function newRecoveryCode(): string {
  const bytes = randomBytes(RECOVERY_LENGTH);
  let s = '';
  for (const b of bytes) s += RECOVERY_ALPHABET[b & 31];
  return s.replace(/(.{4})(?=.)/g, '$1-');
}

/**
 * A typed recovery code in its stored form: lower case, separators and spaces dropped, and the
 * Crockford look-alikes read as what they look like (i, l → 1; o → 0). Null when it cannot be one.
 */
export function normalizeRecoveryCode(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const v = raw
    .toLowerCase()
    .replace(/[\s-]/g, '')
    .replace(/[il]/g, '1')
    .replace(/o/g, '0');
  return v.length === RECOVERY_LENGTH && [...v].every((c) => RECOVERY_ALPHABET.includes(c)) ? v : null;
}

/** SHA-256 (hex) of a normalized recovery code; codes carry 60 random bits, so a fast hash is enough. */
function recoveryHash(normalized: string): string {
  return createHash('sha256').update(normalized).digest('hex');
}

/** Replaces all recovery codes of an account with new ones; returns them (shown once). */
async function replaceRecoveryCodes(tx: Db, userId: string): Promise<string[]> {
  await tx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  const now = nowInstant();
  await tx
    .insertInto('recovery_codes')
    .values(codes.map((c) => ({ user_id: userId, code_hash: recoveryHash(normalizeRecoveryCode(c)!), created_at: now, used_at: null })))
    .execute();
  return codes;
}

/**
 * Uses up one recovery code (sets `used_at` with a compare-and-set, so a code works once even
 * under concurrent requests) and audits `second_factor.recovery_code_used`.
 * @returns true when the code was valid and unused.
 */
export async function useRecoveryCode(db: Db, actor: Pick<Viewer, 'userId' | 'sessionId'>, raw: unknown): Promise<boolean> {
  const code = normalizeRecoveryCode(raw);
  if (!code) return false;
  return inTransaction(db, async (tx) => {
    const r = await tx
      .updateTable('recovery_codes')
      .set({ used_at: nowInstant() })
      .where('user_id', '=', actor.userId)
      .where('code_hash', '=', recoveryHash(code))
      .where('used_at', 'is', null)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) return false;
    const left = await tx
      .selectFrom('recovery_codes')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', actor.userId)
      .where('used_at', 'is', null)
      .executeTakeFirstOrThrow();
    await recordAudit(tx, actor, {
      organizationId: null,
      action: 'second_factor.recovery_code_used',
      subjectType: 'account',
      subjectId: actor.userId,
      details: { remaining: Number(left.n) },
    });
    return true;
  });
}

/**
 * New recovery codes (needs the current password and a current code; the old codes stop
 * working). Audits `second_factor.recovery_codes_regenerated`.
 * @returns the new codes (shown once).
 * @throws {ValidationFailed} `password` / `code`; {NotFound} when the account has no TOTP.
 */
export async function regenerateRecoveryCodes(db: Db, viewer: Pick<Viewer, 'userId' | 'sessionId'>, input: { password: unknown; code: unknown }): Promise<string[]> {
  const user = await db.selectFrom('users').select('totp_enabled_at').where('id', '=', viewer.userId).executeTakeFirstOrThrow();
  if (!user.totp_enabled_at) throw new NotFound();
  await requirePasswordAndCode(db, viewer, input.password, input.code);
  return inTransaction(db, async (tx) => {
    const codes = await replaceRecoveryCodes(tx, viewer.userId);
    await recordAudit(tx, viewer, { organizationId: null, action: 'second_factor.recovery_codes_regenerated', subjectType: 'account', subjectId: viewer.userId });
    return codes;
  });
}

// ---------------------------------------------------------------------------------------------
// Second step of the sign-in (with a passkey: `completeSignInWithPasskey` in passkeys.service.ts)

/**
 * Completes a pending sign-in with a TOTP code (RFC 6238; ±1 step, no replay).
 * @throws {ValidationFailed} `code` when the code is malformed, wrong or used already.
 */
export async function completeSignInWithTotp(db: Db, pending: PendingSession, rawCode: unknown): Promise<void> {
  if (!normalizeTotpCode(rawCode)) throw new ValidationFailed([{ field: 'code', messageId: 'security.errors.code_format' }]);
  if (!(await verifyAccountTotp(db, pending.userId, rawCode))) throw wrongCode('code');
  if (!(await completePendingSession(db, pending.sessionId))) throw wrongCode('code');
}

/**
 * Completes a pending sign-in with a recovery code, which is used up (audited as
 * `second_factor.recovery_code_used`).
 * @throws {ValidationFailed} `recoveryCode` when the code is wrong or used already.
 */
export async function completeSignInWithRecoveryCode(db: Db, pending: PendingSession, raw: unknown): Promise<void> {
  const ok = await inTransaction(db, async (tx) => {
    if (!(await useRecoveryCode(tx, pending, raw))) return false;
    return completePendingSession(tx, pending.sessionId);
  });
  if (!ok) throw new ValidationFailed([{ field: 'recoveryCode', messageId: 'security.errors.recovery_wrong' }]);
}
