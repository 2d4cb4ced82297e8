import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { inTransaction, type Db } from '../../db/client.ts';
import type { Viewer } from '../../http/viewer.ts';
import { NotFound, SignInRequired, ValidationFailed } from '../../http/errors.ts';
import { FieldChecker } from '../../lib/validate.ts';
import { newId } from '../../lib/ids.ts';
import { nowInstant } from '../../lib/time.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { tokenHash, viewerForAccount } from '../accounts/accounts.service.ts';

// Personal feed tokens: a calendar client or feed reader sends no session, so a subscription URL
// may carry a token that reads as its account. The token is 32 random bytes (base64url, 43
// characters); only its SHA-256 is stored, like session and link tokens. A token is revoked,
// never deleted (the account sees what it had), except when the account is erased.

/** At most this many tokens of an account are active (not revoked) at once. */
export const MAX_ACTIVE_FEED_TOKENS = 20;
/** Longest label, in characters (after NFC normalization and trimming). */
export const FEED_TOKEN_LABEL_MAX = 80;
/** `last_used_at` is written at most this often (milliseconds), so feed polling stays a read. */
const LAST_USED_RESOLUTION_MS = 60 * 60_000;
/** 32 random bytes in base64url without padding: exactly 43 characters of the URL-safe alphabet (RFC 4648 §5). */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** One token as its account sees it (never the token itself: it is not stored). */
export interface FeedTokenSummary {
  id: string;
  label: string;
  /** ISO 8601 UTC instants. */
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/**
 * Whether `token` has the shape of a feed token (43 base64url characters). Anything else — empty,
 * too long, with NUL, other control characters or non-ASCII — is not looked up at all.
 */
export function isFeedTokenShape(token: unknown): token is string {
  return typeof token === 'string' && TOKEN_SHAPE.test(token);
}

/**
 * Makes a personal feed token for the viewer's account and writes `feed_token.created`.
 * @param input.label required single line, at most `FEED_TOKEN_LABEL_MAX` characters (where the
 *   link is used: "Phone calendar").
 * @returns the new token's id and the token (shown once; only its SHA-256 is stored).
 * @throws {SignInRequired} without a viewer.
 * @throws {ValidationFailed} on `label` (missing, multi-line, too long), or on `label` with
 *   `feed_tokens.errors.too_many` when the account has `MAX_ACTIVE_FEED_TOKENS` active tokens.
 */
export async function createFeedToken(db: Db, viewer: Viewer | null, input: { label?: unknown }): Promise<{ id: string; token: string }> {
  if (!viewer) throw new SignInRequired();
  const c = new FieldChecker();
  const label = c.line('label', input.label, { required: true, max: FEED_TOKEN_LABEL_MAX });
  if (c.errors.length) throw new ValidationFailed(c.errors);
  const token = randomBytes(32).toString('base64url');
  const id = newId();
  await inTransaction(db, async (tx) => {
    const active = await tx
      .selectFrom('feed_tokens')
      .select(sql<number>`count(*)`.as('n'))
      .where('user_id', '=', viewer.userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirstOrThrow();
    if (Number(active.n) >= MAX_ACTIVE_FEED_TOKENS) {
      throw new ValidationFailed([{ field: 'label', messageId: 'feed_tokens.errors.too_many', values: { max: MAX_ACTIVE_FEED_TOKENS } }]);
    }
    await tx
      .insertInto('feed_tokens')
      .values({ id, user_id: viewer.userId, token_hash: tokenHash(token), label: label!, created_at: nowInstant(), last_used_at: null, revoked_at: null })
      .execute();
    await recordAudit(tx, viewer, { action: 'feed_token.created', subjectType: 'feed_token', subjectId: id });
  });
  return { id, token };
}

/**
 * The viewer's feed tokens, newest first (active and revoked), at most 100.
 * @throws {SignInRequired} without a viewer.
 */
export async function listFeedTokens(db: Db, viewer: Viewer | null): Promise<FeedTokenSummary[]> {
  if (!viewer) throw new SignInRequired();
  const rows = await db
    .selectFrom('feed_tokens')
    .select(['id', 'label', 'created_at', 'last_used_at', 'revoked_at'])
    .where('user_id', '=', viewer.userId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(100)
    .execute();
  return rows.map((r) => ({ id: r.id, label: r.label, createdAt: r.created_at, lastUsedAt: r.last_used_at, revokedAt: r.revoked_at }));
}

/**
 * Revokes one of the viewer's own feed tokens: feeds read with it answer 404 from now on.
 * Writes `feed_token.revoked`. Revoking a token that is already revoked changes nothing.
 * @throws {SignInRequired} without a viewer.
 * @throws {NotFound} when the viewer has no token with this id (another account's token included).
 */
export async function revokeFeedToken(db: Db, viewer: Viewer | null, id: unknown): Promise<void> {
  if (!viewer) throw new SignInRequired();
  // Ids are UUIDs; any other value names no token (and is never sent to the database).
  if (typeof id !== 'string' || !/^[0-9a-f-]{1,64}$/i.test(id)) throw new NotFound();
  await inTransaction(db, async (tx) => {
    const row = await tx.selectFrom('feed_tokens').select(['id', 'revoked_at']).where('id', '=', id).where('user_id', '=', viewer.userId).executeTakeFirst();
    if (!row) throw new NotFound();
    if (row.revoked_at !== null) return;
    await tx.updateTable('feed_tokens').set({ revoked_at: nowInstant() }).where('id', '=', row.id).where('revoked_at', 'is', null).execute();
    await recordAudit(tx, viewer, { action: 'feed_token.revoked', subjectType: 'feed_token', subjectId: row.id });
  });
}

/**
 * Revokes every active feed token of an account (a completed password reset: whoever took over
 * the account may have made links). Runs on the caller's executor, so it joins its transaction.
 * @returns how many tokens were revoked.
 */
export async function revokeAccountFeedTokens(db: Db, userId: string): Promise<number> {
  const r = await db.updateTable('feed_tokens').set({ revoked_at: nowInstant() }).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/**
 * The viewer a feed token reads as: its account's viewer without a session (`viewerForAccount`:
 * an admin role held back by a second-factor rule stays held back). Marks the token used
 * (`last_used_at`) at most once an hour.
 * @returns null for a malformed, unknown or revoked token, or a token of an erased account.
 */
export async function viewerForFeedToken(db: Db, token: unknown): Promise<Viewer | null> {
  if (!isFeedTokenShape(token)) return null;
  const row = await db
    .selectFrom('feed_tokens')
    .select(['id', 'user_id', 'last_used_at'])
    .where('token_hash', '=', tokenHash(token))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row) return null;
  const viewer = await viewerForAccount(db, row.user_id);
  if (!viewer) return null;
  const now = nowInstant();
  if (row.last_used_at === null || Date.parse(now) - Date.parse(String(row.last_used_at)) >= LAST_USED_RESOLUTION_MS) {
    await db.updateTable('feed_tokens').set({ last_used_at: now }).where('id', '=', row.id).execute();
  }
  return viewer;
}

/**
 * The address name of one organization the viewer belongs to (the first by name), for the example
 * feed address shown with a new token; null when the account belongs to none.
 */
export async function exampleOrganizationSlug(db: Db, viewer: Viewer): Promise<string | null> {
  const ids = [...viewer.roles.keys()];
  if (!ids.length) return null;
  const row = await db.selectFrom('organizations').select('slug').where('id', 'in', ids).orderBy('name').orderBy('id').executeTakeFirst();
  return row?.slug ?? null;
}
