import { sql } from 'kysely';
import { inTransaction, type Db } from '../../db/client.ts';
import type { SupportersTable } from '../../db/schema.ts';
import { ValidationFailed, type FieldError } from '../../http/errors.ts';
import { newId } from '../../lib/ids.ts';
import { seal, type Keyring } from '../../lib/sealed.ts';
import { supporterAad, supporterHashes, supporterHashesAllKeys } from './supporter-keys.ts';

/**
 * Storage of supporters shared by the signing path (double opt-in), the CSV import and the demo:
 * inserting confirmed supporters, confirming and withdrawing a signature, expiring unconfirmed
 * ones, and the kept counts per campaign and country (`campaign_counts`), always changed in the
 * transaction of the change they count.
 */

/**
 * Versions of the consent wordings a supporter agrees to. The wording of each version is in the
 * catalog (`campaigns.signing.consent.list_<version>` / `contact_<version>`, campaigns-signing.yml);
 * a changed wording gets a new version (and new catalog ids) so stored consents keep naming the
 * text that was shown. Each consent given is stored with its version and instant.
 */
export const CONSENT_VERSIONS = { list: '2026-11-30', contact: '2026-11-30' } as const;

/** Catalog ids of the consent wordings of {@link CONSENT_VERSIONS}. */
export const CONSENT_MESSAGE_IDS = {
  list: `campaigns.signing.consent.list_${CONSENT_VERSIONS.list.replaceAll('-', '_')}`,
  contact: `campaigns.signing.consent.contact_${CONSENT_VERSIONS.contact.replaceAll('-', '_')}`,
} as const;

/** Days an unconfirmed signature is kept before it expires. */
export const PENDING_DAYS = 7;

/** A confirmed supporter to insert (import, demo). Values are expected checked already (name ≤ 200, ISO country). */
export interface NewSupporter {
  name: string;
  /** As typed; sealed for contact. Its duplicate key is `supporterEmailKey`. */
  email: string;
  /** ISO 3166-1 alpha-2, upper case. */
  country: string;
  city?: string | null;
  affiliation?: string | null;
  /** BCP 47 tag of the supporter's language (mails go out in it). */
  lang: string;
  listPublicly: boolean;
  contactOk: boolean;
  /** Instant the consents were given (ISO 8601 UTC). */
  consentedAt: string;
}

/** The consent columns of a supporter row for the given flags (version + instant only for a consent given). */
export function consentColumns(listPublicly: boolean, contactOk: boolean, consentedAt: string) {
  return {
    list_publicly: listPublicly ? 1 : 0,
    list_consent_version: listPublicly ? CONSENT_VERSIONS.list : null,
    list_consented_at: listPublicly ? consentedAt : null,
    contact_ok: contactOk ? 1 : 0,
    contact_consent_version: contactOk ? CONSENT_VERSIONS.contact : null,
    contact_consented_at: contactOk ? consentedAt : null,
  };
}

const CHUNK = 200;

function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Adds `delta` to the confirmed count of `campaignId` in `country` (an upsert; a count that
 * reaches 0 is removed, so readers only see countries with supporters). Run it in the
 * transaction of the change it counts.
 */
export async function addToCount(db: Db, campaignId: string, country: string, delta: number): Promise<void> {
  if (delta === 0) return;
  if (delta > 0) {
    await db
      .insertInto('campaign_counts')
      .values({ campaign_id: campaignId, country, supporters: delta })
      .onConflict((oc) => oc.columns(['campaign_id', 'country']).doUpdateSet({ supporters: sql`campaign_counts.supporters + ${delta}` }))
      .execute();
    return;
  }
  await db
    .updateTable('campaign_counts')
    .set({ supporters: sql`supporters + ${delta}` })
    .where('campaign_id', '=', campaignId)
    .where('country', '=', country)
    .where('supporters', '>=', -delta)
    .execute();
  await db.deleteFrom('campaign_counts').where('campaign_id', '=', campaignId).where('country', '=', country).where('supporters', '<=', 0).execute();
}

/**
 * Inserts confirmed supporters (imports, demo) in one transaction on `db` (a Kysely or a
 * transaction), skipping duplicates — rows of the campaign that exist already and repeats within
 * `rows`, compared on the keyed hash of `supporterEmailKey` under every data key (so rows hashed
 * before a key rotation still match) — and adds the inserted ones to `campaign_counts`.
 * A concurrent signer of the same address is skipped too (`ON CONFLICT DO NOTHING`).
 * The first of several rows with one key is the one kept (its address as typed is sealed).
 * @param o.source `import` or `online` (the demo); o.consentBasis what the importer stated
 *   (e.g. "signed paper list"); o.importId the `supporter_imports` row; o.now the instant stored
 *   as `created_at` and `confirmed_at` (default: now).
 * @returns how many rows were inserted and the indexes (into `rows`) skipped as duplicates.
 * @throws {ValidationFailed} with `rows.<i>.email` / `validation.email` for an address
 *   `supporterEmailKey` refuses (nothing is inserted); {DataKeyError} without a data key.
 */
export async function insertConfirmedSupporters(
  db: Db,
  keyring: Keyring,
  campaignId: string,
  rows: NewSupporter[],
  o: { source: 'import' | 'online'; consentBasis: string | null; importId: string | null; now?: string },
): Promise<{ inserted: number; duplicateIndexes: number[] }> {
  const now = o.now ?? new Date().toISOString();
  const errors: FieldError[] = [];
  const multiKey = keyring.ids.length > 1;
  const prepared: { index: number; row: NewSupporter; emailHash: string; domainHash: string; lookup: string[] }[] = [];
  rows.forEach((row, index) => {
    const hashes = supporterHashes(keyring, row.email);
    if (!hashes) {
      errors.push({ field: `rows.${index}.email`, messageId: 'validation.email' });
      return;
    }
    const lookup = multiKey ? supporterHashesAllKeys(keyring, row.email).map((h) => h.emailHash) : [hashes.emailHash];
    prepared.push({ index, row, ...hashes, lookup });
  });
  if (errors.length) throw new ValidationFailed(errors);

  return inTransaction(db, async (tx) => {
    const duplicateIndexes: number[] = [];
    // Repeats within the rows: the first keeps its place.
    const seen = new Set<string>();
    const unique = prepared.filter((p) => {
      if (seen.has(p.emailHash)) {
        duplicateIndexes.push(p.index);
        return false;
      }
      seen.add(p.emailHash);
      return true;
    });
    // Rows of the campaign that exist already (under any key).
    const existing = new Set<string>();
    for (const part of chunks(unique.flatMap((p) => p.lookup), 500)) {
      const found = await tx.selectFrom('supporters').select('email_hash').where('campaign_id', '=', campaignId).where('email_hash', 'in', part).execute();
      for (const f of found) existing.add(f.email_hash);
    }
    const fresh = unique.filter((p) => {
      if (p.lookup.some((h) => existing.has(h))) {
        duplicateIndexes.push(p.index);
        return false;
      }
      return true;
    });

    const byCountry = new Map<string, number>();
    let inserted = 0;
    for (const part of chunks(fresh)) {
      const values: SupportersTable[] = part.map((p) => {
        const id = newId();
        return {
          id,
          campaign_id: campaignId,
          email_hash: p.emailHash,
          email_sealed: seal(keyring, p.row.email.normalize('NFC').trim(), supporterAad(id)),
          domain_hash: p.domainHash,
          name: p.row.name,
          country: p.row.country,
          city: p.row.city ?? null,
          affiliation: p.row.affiliation ?? null,
          lang: p.row.lang,
          ...consentColumns(p.row.listPublicly, p.row.contactOk, p.row.consentedAt),
          status: 'confirmed',
          source: o.source,
          consent_basis: o.consentBasis,
          import_id: o.importId,
          created_at: now,
          confirmed_at: now,
          expires_at: null,
        };
      });
      const returned = await tx
        .insertInto('supporters')
        .values(values)
        .onConflict((oc) => oc.columns(['campaign_id', 'email_hash']).doNothing())
        .returning('id')
        .execute();
      const ids = new Set(returned.map((r) => r.id));
      values.forEach((v, i) => {
        if (ids.has(v.id)) {
          inserted += 1;
          byCountry.set(v.country, (byCountry.get(v.country) ?? 0) + 1);
        } else duplicateIndexes.push(part[i]!.index);
      });
    }
    for (const [country, n] of [...byCountry].sort(([a], [b]) => a.localeCompare(b))) await addToCount(tx, campaignId, country, n);
    return { inserted, duplicateIndexes: duplicateIndexes.sort((a, b) => a - b) };
  });
}

/** What a confirmation did. */
export type ConfirmOutcome = 'confirmed' | 'already_confirmed' | 'gone' | 'campaign_not_open';

/**
 * Confirms the pending signature `supporterId` of `campaignId` (double opt-in): a conditional
 * update `pending` → `confirmed` (only while unexpired and the campaign is open) plus the count
 * upsert, in one transaction — so a second confirmation, concurrent or later, counts nothing.
 * @returns `confirmed`; `already_confirmed` when it was confirmed before; `gone` when there is no
 *   such signature (withdrawn, expired, never made); `campaign_not_open` when the campaign is a
 *   draft or closed (nothing changes).
 */
export async function confirmSupporter(db: Db, campaignId: string, supporterId: string, now = new Date().toISOString()): Promise<ConfirmOutcome> {
  return inTransaction(db, async (tx) => {
    // The common case in two statements: the conditional update (only while the campaign is open)
    // and the count.
    const updated = await tx
      .updateTable('supporters')
      .set({ status: 'confirmed', confirmed_at: now, expires_at: null })
      .where('id', '=', supporterId)
      .where('campaign_id', '=', campaignId)
      .where('status', '=', 'pending')
      .where('expires_at', '>', now)
      .where((eb) => eb.exists(eb.selectFrom('campaigns').select('id').where('id', '=', campaignId).where('status', '=', 'open')))
      .returning('country')
      .executeTakeFirst();
    if (updated) {
      await addToCount(tx, campaignId, updated.country, 1);
      return 'confirmed';
    }
    // Why not: read what is there.
    const row = await tx.selectFrom('supporters').select(['status', 'expires_at']).where('id', '=', supporterId).where('campaign_id', '=', campaignId).executeTakeFirst();
    if (!row || (row.status === 'pending' && (row.expires_at === null || row.expires_at <= now))) return 'gone';
    if (row.status === 'confirmed') return 'already_confirmed';
    return 'campaign_not_open';
  });
}

/**
 * Withdraws signature `supporterId` of `campaignId`: the row is deleted (data minimization; its
 * queued mails go with it) and, when it was confirmed, the count goes down by one — in one
 * transaction, so a repeated withdrawal changes nothing.
 * @returns true when a signature was removed, false when there was none.
 */
export async function withdrawSupporter(db: Db, campaignId: string, supporterId: string): Promise<boolean> {
  return inTransaction(db, async (tx) => {
    const removed = await tx.deleteFrom('supporters').where('id', '=', supporterId).where('campaign_id', '=', campaignId).returning(['status', 'country']).executeTakeFirst();
    if (!removed) return false;
    if (removed.status === 'confirmed') await addToCount(tx, campaignId, removed.country, -1);
    return true;
  });
}

/**
 * Deletes unconfirmed signatures whose `expires_at` lies before `now` (their queued mails go with
 * them: foreign key `ON DELETE CASCADE`). They were never counted, so no count changes.
 * @returns how many were deleted.
 */
export async function expirePendingSupporters(db: Db, now = new Date().toISOString()): Promise<number> {
  const r = await db.deleteFrom('supporters').where('status', '=', 'pending').where('expires_at', '<=', now).executeTakeFirst();
  return Number(r.numDeletedRows ?? 0);
}
