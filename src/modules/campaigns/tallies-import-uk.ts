import { DateTime } from 'luxon';
import { inTransaction, type Db } from '../../db/client.ts';
import { isCountryCode } from '../../lib/countries.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { insertTallies, MAX_TALLY } from './tallies.service.ts';
import { ukPetitionShapeError, type UkPetitionFileValue } from './supporters-io.schemas.ts';

/**
 * Tallies from a UK Parliament petition (petition.parliament.uk, Open Parliament Licence v3.0):
 * the petitions API's JSON (`/petitions/<id>.json`) gives a petition's `signature_count` and its
 * `signatures_by_country`. Each entry whose code is an ISO 3166-1 alpha-2 country becomes one
 * campaign tally (source naming the petition and its number, `collected_on` the closing date in
 * UK time, `external_ref` `uk-petition:<id>:<code>`, so a re-import adds nothing). Entries the
 * file gives under a code that is not an ISO 3166-1 country cannot be placed on the campaign's
 * country table: the site lists Kosovo as `XK`, a user-assigned code (ISO 3166-1 §8.1.3 reserves
 * AA, QM–QZ, XA–XZ and ZZ for such use), which `isCountryCode` refuses.
 * They are reported with their counts, with the difference between the file's total and what was
 * placed.
 */

/** A file the import cannot read (nothing is written). */
export class UkPetitionFileError extends Error {
  readonly messageId: string;
  readonly values: Record<string, string | number>;
  constructor(messageId: string, values: Record<string, string | number> = {}) {
    super(messageId);
    this.name = 'UkPetitionFileError';
    this.messageId = messageId;
    this.values = values;
  }
}

/** One entry of `signatures_by_country`. */
export interface CountryEntry {
  /** The code as the file gives it. */
  code: string;
  /** The name as the file gives it. */
  name: string;
  count: number;
}

/** What a petition file says, split into what can and cannot be placed. */
export interface UkPetition {
  /** The petition's number (`data.id`), e.g. `584632`. */
  id: string;
  /** Its text (`action`). */
  action: string;
  /** The file's total (`signature_count`). */
  signatureCount: number;
  /** Closing date in UK time (Europe/London), `YYYY-MM-DD`; null while it is open. */
  closedOn: string | null;
  /** Entries with an ISO 3166-1 country code and at least one signature, by code. */
  placed: CountryEntry[];
  /** Entries that cannot be placed (code not an ISO 3166-1 country), by code. */
  unplaceable: CountryEntry[];
  /** Sum of `placed`. */
  placedSum: number;
  /** `signatureCount` minus `placedSum`: what the country table cannot show. */
  difference: number;
}

/**
 * Reads a UK Parliament petition file (JSON text).
 * @throws {UkPetitionFileError} `supporters_io.uk.not_json` (with `message`),
 *   `supporters_io.uk.shape` (with `path`, where the file departs from the API's shape),
 *   `supporters_io.uk.repeated_code` (a country listed twice), `supporters_io.uk.too_large`.
 */
export function readUkPetition(text: string): UkPetition {
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new UkPetitionFileError('supporters_io.uk.not_json', { message: (err as Error).message });
  }
  const path = ukPetitionShapeError(json);
  if (path !== null) throw new UkPetitionFileError('supporters_io.uk.shape', { path });
  const data = (json as UkPetitionFileValue).data;
  const a = data.attributes;
  const seen = new Set<string>();
  const placed: CountryEntry[] = [];
  const unplaceable: CountryEntry[] = [];
  for (const e of a.signatures_by_country) {
    const code = e.code.trim().toUpperCase();
    if (seen.has(code)) throw new UkPetitionFileError('supporters_io.uk.repeated_code', { code });
    seen.add(code);
    if (e.signature_count > MAX_TALLY) throw new UkPetitionFileError('supporters_io.uk.too_large', { code, max: MAX_TALLY });
    if (e.signature_count === 0) continue;
    (isCountryCode(code) ? placed : unplaceable).push({ code, name: e.name, count: e.signature_count });
  }
  const byCode = (x: CountryEntry, y: CountryEntry) => (x.code < y.code ? -1 : x.code > y.code ? 1 : 0);
  placed.sort(byCode);
  unplaceable.sort(byCode);
  const closed = a.closed_at ? DateTime.fromISO(a.closed_at, { zone: 'utc' }) : null;
  if (closed && !closed.isValid) throw new UkPetitionFileError('supporters_io.uk.shape', { path: '/data/attributes/closed_at' });
  const placedSum = placed.reduce((s, e) => s + e.count, 0);
  return {
    id: String(data.id),
    action: a.action.normalize('NFC').trim(),
    signatureCount: a.signature_count,
    closedOn: closed ? closed.setZone('Europe/London').toISODate() : null,
    placed,
    unplaceable,
    placedSum,
    difference: a.signature_count - placedSum,
  };
}

/** The `external_ref` of a petition's country tally. */
export function ukPetitionRef(petitionId: string, code: string): string {
  return `uk-petition:${petitionId}:${code}`;
}

/** What an import did. */
export interface UkTallyImport {
  /** Tallies written now. */
  inserted: number;
  /** Countries whose tally was on the campaign already (left as it was). */
  alreadyPresent: number;
  /** Of those, the ones whose stored count differs from the file (a newer file of an open petition): not changed. */
  changed: { code: string; stored: number; file: number }[];
}

/**
 * Writes one tally per placeable country of `petition` to the campaign (the caller has checked who
 * may), all in one transaction with `campaign.tallies_imported` in the audit log of every issuing
 * organization (when anything was written); countries already imported (same `external_ref`) are
 * skipped.
 * @param o.source the tally source text (≤ 200 characters, e.g. “UK Parliament petition 584632: …”).
 * @param o.enteredBy the account that imported, null from the command line.
 */
export async function importUkPetitionTallies(db: Db, campaignId: string, petition: UkPetition, o: { source: string; enteredBy: string | null }): Promise<UkTallyImport> {
  return inTransaction(db, async (tx) => {
    const refs = petition.placed.map((e) => ukPetitionRef(petition.id, e.code));
    const stored = new Map<string, number>();
    for (let i = 0; i < refs.length; i += 500) {
      const rows = await tx.selectFrom('campaign_tallies').select(['external_ref', 'count']).where('campaign_id', '=', campaignId).where('external_ref', 'in', refs.slice(i, i + 500)).execute();
      for (const r of rows) stored.set(r.external_ref!, Number(r.count));
    }
    const source = o.source.slice(0, 200);
    const written = await insertTallies(
      tx,
      campaignId,
      petition.placed.map((e) => ({ country: e.code, count: e.count, source, collectedOn: petition.closedOn, externalRef: ukPetitionRef(petition.id, e.code) })),
      { enteredBy: o.enteredBy },
    );
    const changed = petition.placed.flatMap((e) => {
      const s = stored.get(ukPetitionRef(petition.id, e.code));
      return s !== undefined && s !== e.count ? [{ code: e.code, stored: s, file: e.count }] : [];
    });
    const campaign = await tx.selectFrom('campaigns').select('organization_id').where('id', '=', campaignId).executeTakeFirstOrThrow();
    const issuers = await tx.selectFrom('campaign_organizations').select('organization_id').where('campaign_id', '=', campaignId).execute();
    const details = { petition: petition.id, inserted: written.length, placed: petition.placedSum, unplaceable: petition.difference };
    // A re-import that adds nothing changes nothing, and is not recorded.
    if (written.length)
      for (const org of new Set([campaign.organization_id, ...issuers.map((r) => r.organization_id)]))
        await recordAudit(tx, null, { organizationId: org, actorUserId: o.enteredBy ?? undefined, action: 'campaign.tallies_imported', subjectType: 'campaign', subjectId: campaignId, details });
    return { inserted: written.length, alreadyPresent: petition.placed.length - written.length, changed };
  });
}
