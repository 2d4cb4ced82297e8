import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { inTransaction, isUniqueViolation, type Db } from '../../db/client.ts';
import type { Viewer } from '../../http/viewer.ts';
import { Conflict, NotFound, ValidationFailed } from '../../http/errors.ts';
import { FieldChecker } from '../../lib/validate.ts';
import { nowInstant } from '../../lib/time.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { completePendingSession, type PendingSession } from './second-factor.service.ts';

/** Relying party name shown by the browser's passkey dialog (W3C WebAuthn Level 3 §5.4.1 `rp.name`). */
const RP_NAME = 'Solidaris';
/** Longest accepted passkey name. */
const PASSKEY_NAME_MAX = 60;

// ---------------------------------------------------------------------------------------------
// Passkeys (W3C Web Authentication Level 3, through @simplewebauthn/server)

/** Where WebAuthn ceremonies happen: the RP ID (the host name) and the page origin. */
export interface RelyingParty {
  /** W3C WebAuthn Level 3 §5.1.1 RP ID: the request's host name, without port. */
  rpID: string;
  /** `scheme://host[:port]` of the page that runs the ceremony. */
  origin: string;
}

/** One passkey in the security page's list. */
export interface PasskeyRow {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** An account's passkeys, oldest first. */
export async function listPasskeys(db: Db, userId: string): Promise<PasskeyRow[]> {
  const rows = await db
    .selectFrom('passkeys')
    .select(['id', 'name', 'created_at', 'last_used_at'])
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ id: r.id, name: r.name, createdAt: String(r.created_at), lastUsedAt: r.last_used_at === null ? null : String(r.last_used_at) }));
}

/**
 * Takes the session's outstanding WebAuthn challenge and clears it in one compare-and-set, so a
 * challenge serves one verification at most (W3C WebAuthn Level 3 §13.4.3).
 * @returns the challenge, or null when there is none (or another request took it first).
 */
async function takeChallenge(db: Db, sessionId: string): Promise<string | null> {
  const row = await db.selectFrom('sessions').select('webauthn_challenge').where('id', '=', sessionId).executeTakeFirst();
  const challenge = row?.webauthn_challenge ?? null;
  if (!challenge) return null;
  const r = await db
    .updateTable('sessions')
    .set({ webauthn_challenge: null })
    .where('id', '=', sessionId)
    .where('webauthn_challenge', '=', challenge)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1 ? challenge : null;
}

const passkeyFailed = () => new ValidationFailed([{ field: 'passkey', messageId: 'security.errors.passkey_failed' }]);

/**
 * Options for `navigator.credentials.create()` (W3C WebAuthn Level 3 §5.4): a new challenge
 * (kept in `sessions.webauthn_challenge`), the account's existing passkeys excluded, a
 * discoverable credential preferred, no attestation asked for (`none`: nothing about the
 * device is collected). The user handle is the account id (opaque, not the e-mail).
 */
export async function passkeyRegistrationOptions(db: Db, viewer: Pick<Viewer, 'userId' | 'sessionId' | 'email' | 'displayName'>, rp: RelyingParty): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const existing = await db.selectFrom('passkeys').select(['id', 'transports']).where('user_id', '=', viewer.userId).execute();
  const options = await generateRegistrationOptions({
    rpName: RP_NAME,
    rpID: rp.rpID,
    userName: viewer.email,
    userDisplayName: viewer.displayName,
    userID: new TextEncoder().encode(viewer.userId),
    attestationType: 'none',
    excludeCredentials: existing.map((p) => ({ id: p.id, ...(p.transports ? { transports: p.transports.split(',') } : {}) })) as never,
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
  });
  await db.updateTable('sessions').set({ webauthn_challenge: options.challenge }).where('id', '=', viewer.sessionId).execute();
  return options;
}

/**
 * Verifies a registration response (W3C WebAuthn Level 3 §7.1) against the session's challenge,
 * this origin and RP ID, and stores the credential under `name`. Audits `second_factor.passkey_added`.
 * The challenge is used up whatever the outcome.
 * @throws {ValidationFailed} `name` for a bad name; `passkey` when the response does not verify
 *   (garbage, wrong challenge, origin or RP ID). {Conflict} when the credential is registered already.
 */
export async function registerPasskey(
  db: Db,
  viewer: Pick<Viewer, 'userId' | 'sessionId'>,
  input: { name: unknown; response: unknown },
  rp: RelyingParty,
): Promise<PasskeyRow> {
  const check = new FieldChecker();
  const name = check.line('name', input.name, { required: true, max: PASSKEY_NAME_MAX, noAngles: true });
  if (check.errors.length) throw new ValidationFailed(check.errors);
  const challenge = await takeChallenge(db, viewer.sessionId);
  if (!challenge) throw passkeyFailed();
  let info;
  try {
    const v = await verifyRegistrationResponse({
      response: input.response as RegistrationResponseJSON,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpID,
      requireUserVerification: false,
    });
    if (!v.verified) throw passkeyFailed();
    info = v.registrationInfo;
  } catch {
    // Malformed JSON shapes make the library throw TypeErrors: all of them are the client's fault.
    throw passkeyFailed();
  }
  const now = nowInstant();
  const row = {
    id: info.credential.id,
    user_id: viewer.userId,
    public_key: Buffer.from(info.credential.publicKey).toString('base64url'),
    counter: info.credential.counter,
    transports: info.credential.transports?.length ? info.credential.transports.join(',') : null,
    name: name!,
    created_at: now,
    last_used_at: null,
  };
  try {
    await inTransaction(db, async (tx) => {
      await tx.insertInto('passkeys').values(row).execute();
      await recordAudit(tx, viewer, {
        organizationId: null,
        action: 'second_factor.passkey_added',
        subjectType: 'passkey',
        subjectId: row.id,
        details: { name: row.name },
      });
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new Conflict('passkey_exists', 'security.errors.passkey_exists', 'passkey');
    throw err;
  }
  return { id: row.id, name: row.name, createdAt: now, lastUsedAt: null };
}

/**
 * Removes one of the viewer's passkeys. Audits `second_factor.passkey_removed`.
 * @throws {NotFound} for an unknown id or another account's passkey.
 */
export async function removePasskey(db: Db, viewer: Pick<Viewer, 'userId' | 'sessionId'>, passkeyId: string): Promise<void> {
  await inTransaction(db, async (tx) => {
    const row = await tx.selectFrom('passkeys').select(['id', 'name']).where('id', '=', passkeyId).where('user_id', '=', viewer.userId).executeTakeFirst();
    if (!row) throw new NotFound();
    await tx.deleteFrom('passkeys').where('id', '=', row.id).where('user_id', '=', viewer.userId).execute();
    // Recovery codes back up the second factor: without TOTP and passkeys they have nothing to back up.
    const user = await tx.selectFrom('users').select('totp_enabled_at').where('id', '=', viewer.userId).executeTakeFirstOrThrow();
    const more = await tx.selectFrom('passkeys').select('id').where('user_id', '=', viewer.userId).executeTakeFirst();
    if (!user.totp_enabled_at && !more) await tx.deleteFrom('recovery_codes').where('user_id', '=', viewer.userId).execute();
    await recordAudit(tx, viewer, {
      organizationId: null,
      action: 'second_factor.passkey_removed',
      subjectType: 'passkey',
      subjectId: row.id,
      details: { name: row.name },
    });
  });
}

/**
 * Options for `navigator.credentials.get()` (W3C WebAuthn Level 3 §5.5) for the account of a
 * pending session: its passkeys allowed, a new challenge kept on that session.
 * @throws {NotFound} when the account has no passkey.
 */
export async function passkeyAuthenticationOptions(db: Db, pending: PendingSession, rp: RelyingParty): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const keys = await db.selectFrom('passkeys').select(['id', 'transports']).where('user_id', '=', pending.userId).execute();
  if (keys.length === 0) throw new NotFound();
  const options = await generateAuthenticationOptions({
    rpID: rp.rpID,
    allowCredentials: keys.map((p) => ({ id: p.id, ...(p.transports ? { transports: p.transports.split(',') } : {}) })) as never,
    userVerification: 'preferred',
  });
  await db.updateTable('sessions').set({ webauthn_challenge: options.challenge }).where('id', '=', pending.sessionId).execute();
  return options;
}

/**
 * Verifies an authentication assertion (W3C WebAuthn Level 3 §7.2) for the pending session's
 * account against the session's challenge, updates the passkey's signature counter and
 * last use, and completes the sign-in. The challenge is used up whatever the outcome.
 * @throws {ValidationFailed} `passkey` for a response that does not verify (garbage, unknown or
 *   another account's credential, wrong challenge, origin or RP ID, a counter that went backwards).
 */
export async function completeSignInWithPasskey(db: Db, pending: PendingSession, response: unknown, rp: RelyingParty): Promise<void> {
  const challenge = await takeChallenge(db, pending.sessionId);
  if (!challenge) throw passkeyFailed();
  const credentialId = typeof (response as { id?: unknown } | null)?.id === 'string' ? (response as { id: string }).id : null;
  if (!credentialId) throw passkeyFailed();
  const key = await db
    .selectFrom('passkeys')
    .select(['id', 'public_key', 'counter', 'transports'])
    .where('id', '=', credentialId)
    .where('user_id', '=', pending.userId)
    .executeTakeFirst();
  if (!key) throw passkeyFailed();
  let newCounter: number;
  try {
    const v = await verifyAuthenticationResponse({
      response: response as AuthenticationResponseJSON,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpID,
      credential: {
        id: key.id,
        publicKey: new Uint8Array(Buffer.from(key.public_key, 'base64url')),
        counter: Number(key.counter),
        ...(key.transports ? { transports: key.transports.split(',') } : {}),
      } as never,
      requireUserVerification: false,
    });
    if (!v.verified) throw passkeyFailed();
    newCounter = v.authenticationInfo.newCounter;
  } catch {
    throw passkeyFailed();
  }
  const ok = await inTransaction(db, async (tx) => {
    await tx.updateTable('passkeys').set({ counter: newCounter, last_used_at: nowInstant() }).where('id', '=', key.id).execute();
    return completePendingSession(tx, pending.sessionId);
  });
  if (!ok) throw passkeyFailed();
}
