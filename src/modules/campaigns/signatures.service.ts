import type { Db } from '../../db/client.ts';
import type { CampaignStatus } from '../../db/schema.ts';
import type { Viewer } from '../../http/viewer.ts';
import { AppError, Conflict, NotFound, ValidationFailed } from '../../http/errors.ts';
import { newId } from '../../lib/ids.ts';
import { seal, type Keyring } from '../../lib/sealed.ts';
import { FieldChecker } from '../../lib/validate.ts';
import { canonicalLanguageTag, isLanguageTag } from '../../lib/countries.ts';
import { getCampaign, type CampaignRecord } from './campaigns.access.ts';
import { supporterAad, supporterHashes, supporterHashesAllKeys, verifySupporterLinkToken, type SupporterLinkPurpose } from './supporter-keys.ts';
import { withdrawSupporter, type ConfirmOutcome } from './supporters.store.ts';
import type { SignBatcher, SignItem, SignOutcome } from './sign-batcher.ts';
import { pickTranslation } from './supporter-mail.ts';

/**
 * Signing a campaign (the one service behind the signing form and the API), confirming and
 * withdrawing a signature. Rules:
 * - only an `open` campaign the caller may see can be signed (404 otherwise, 409 for a draft or a
 *   closed one);
 * - the answer to an accepted request is the same whatever happened behind it — a new signature,
 *   a repeat signer (pending or confirmed), a request folded into an identical concurrent one, a
 *   filled honeypot — so it never tells whether an address has signed;
 * - only the per-domain cap and invalid input are refused (the cap says nothing about one address).
 * The request path is kept lean for signing spikes: the input is checked, hashed and sealed once,
 * the campaign of an anonymous request comes from a one-second cache, and the only database work
 * is the request's share of a group-committed batch (sign-batcher.ts).
 */

/** The abuse limits of the signing path (config `SIGN_*`, AppOptions `signingLimits`). */
export interface SigningLimits {
  /** Sign requests per client address (IPv6: its /64) and minute, per route. Also applies to confirm and withdraw. */
  perAddressPerMinute: number;
  /** Sign requests per network prefix (IPv4 /24, IPv6 /48) and minute, the form and the API together. */
  perPrefixPerMinute: number;
  /** Unconfirmed signatures per e-mail domain and hour, across all campaigns. */
  unconfirmedPerDomainPerHour: number;
}

/** Defaults of {@link SigningLimits}: 10 per address and minute, 60 per prefix and minute, 300 per domain and hour. */
export const DEFAULT_SIGNING_LIMITS: SigningLimits = { perAddressPerMinute: 10, perPrefixPerMinute: 60, unconfirmedPerDomainPerHour: 300 };

/** 409: the campaign is a draft or closed; the message says which. */
export class CampaignNotOpen extends Conflict {
  readonly campaignStatus: CampaignStatus;
  constructor(status: CampaignStatus) {
    super(`campaign_${status === 'draft' ? 'draft' : 'closed'}`, status === 'draft' ? 'campaigns.signing.errors.draft' : 'campaigns.signing.errors.closed');
    this.campaignStatus = status;
  }
}

/** 429: too many unconfirmed signatures of the address's e-mail domain in the last hour (a field error on `email`). */
export class DomainCapReached extends AppError {
  constructor() {
    super(429, 'domain_cap', 'campaigns.signing.errors.domain_cap');
  }
}

/** The input of a sign request (form fields or API body); unknown values are checked here. */
export interface SignInput {
  name?: unknown;
  email?: unknown;
  country?: unknown;
  city?: unknown;
  affiliation?: unknown;
  listPublicly?: unknown;
  contactOk?: unknown;
  lang?: unknown;
}

const tags = new Map<string, string | null>();

/** A BCP 47 tag, canonicalized (cached: signing spikes repeat the same few tags). */
function languageTag(raw: string): string | null {
  let v = tags.get(raw);
  if (v === undefined) {
    v = isLanguageTag(raw) ? canonicalLanguageTag(raw) : null;
    if (tags.size > 1000) tags.clear();
    tags.set(raw, v);
  }
  return v;
}

/** A checkbox or JSON boolean: true, `"1"`, `"on"`, `"true"`. */
function flag(raw: unknown): boolean {
  return raw === true || raw === '1' || raw === 'on' || raw === 'true';
}

/**
 * Checks one sign request and turns it into a batch item: name (required, one line, ≤ 200, no
 * angle brackets or direction controls), e-mail (its duplicate key must exist), country (ISO
 * 3166-1 alpha-2), city (≤ 200, as for imports) and affiliation (≤ 200) optional, `lang` a BCP 47 tag (default
 * `defaultLang`). The address as typed (NFC, trimmed) is sealed and hashed here, once.
 * @throws {ValidationFailed} with field errors; {DataKeyError} without a data key.
 */
export function prepareSignature(keyring: Keyring, campaignId: string, input: SignInput, defaultLang: string): SignItem {
  const c = new FieldChecker();
  const name = c.line('name', input.name, { required: true, max: 200, noAngles: true });
  const email = typeof input.email === 'string' ? input.email.normalize('NFC').trim() : '';
  const hashes = email ? supporterHashes(keyring, email) : null;
  if (!email) c.fail('email', 'validation.required');
  else if (!hashes) c.fail('email', 'validation.email');
  const country = c.country('country', input.country);
  const city = c.line('city', input.city, { max: 200, noAngles: true });
  const affiliation = c.line('affiliation', input.affiliation, { max: 200, noAngles: true });
  let lang = defaultLang;
  if (typeof input.lang === 'string' && input.lang.trim()) {
    const tag = languageTag(input.lang.trim());
    if (tag) lang = tag;
    else c.fail('lang', 'validation.language');
  }
  if (c.errors.length) throw new ValidationFailed(c.errors);
  const id = newId();
  const older = keyring.ids.length > 1 ? supporterHashesAllKeys(keyring, email).slice(1) : [];
  return {
    id,
    campaignId,
    emailHash: hashes!.emailHash,
    olderEmailHashes: older.map((h) => h.emailHash),
    domainHash: hashes!.domainHash,
    olderDomainHashes: older.map((h) => h.domainHash),
    emailSealed: seal(keyring, email, supporterAad(id)),
    name: name!,
    country: country!,
    city,
    affiliation,
    lang,
    listPublicly: flag(input.listPublicly),
    contactOk: flag(input.contactOk),
  };
}

/** Campaigns by slug for anonymous requests, for one second (a closed campaign is still refused by the batch). */
export class CampaignCache {
  readonly #entries = new Map<string, { value: CampaignRecord | null; until: number }>();
  readonly #ttlMs: number;
  constructor(ttlMs = 1000) {
    this.#ttlMs = ttlMs;
  }

  /**
   * The campaign as `viewer` may see it: from the cache for anonymous viewers, else `getCampaign`.
   * @throws {NotFound} unknown or not visible.
   */
  async get(db: Db, viewer: Viewer | null, slug: string): Promise<CampaignRecord> {
    if (viewer) return getCampaign(db, viewer, slug);
    const now = Date.now();
    const hit = this.#entries.get(slug);
    if (hit && hit.until > now) {
      if (!hit.value) throw new NotFound();
      return hit.value;
    }
    let value: CampaignRecord | null = null;
    try {
      value = await getCampaign(db, null, slug);
    } catch (err) {
      if (!(err instanceof NotFound)) throw err;
    }
    if (this.#entries.size > 1000) this.#entries.clear();
    this.#entries.set(slug, { value, until: now + this.#ttlMs });
    if (!value) throw new NotFound();
    return value;
  }

  /** Forgets everything (tests that change a campaign). */
  clear(): void {
    this.#entries.clear();
  }
}

/** What signing needs from the application. */
export interface SigningDeps {
  db: Db;
  keyring: Keyring;
  batcher: SignBatcher;
  campaigns: CampaignCache;
}

/** The result of {@link signCampaign}: accepted (the same for every signer) with what happened, for tests and logs only. */
export interface SignResult {
  campaign: CampaignRecord;
  /** Null for a filled honeypot (nothing stored). */
  outcome: SignOutcome | null;
}

/**
 * Signs campaign `slug` for `viewer` (anonymous or signed in): checks the campaign, then — unless
 * the honeypot is filled, which is answered as accepted with nothing stored — checks the input and
 * queues it for the next batch; resolves after the batch committed.
 * @param o.lang the request's negotiated language (default of `input.lang`); o.honeypot the
 *   honeypot field's value.
 * @throws {NotFound} unknown or invisible campaign; {CampaignNotOpen} draft or closed;
 *   {ValidationFailed} bad input; {DomainCapReached} the per-domain cap.
 */
export async function signCampaign(deps: SigningDeps, viewer: Viewer | null, slug: string, input: SignInput, o: { lang: string; honeypot?: unknown }): Promise<SignResult> {
  const campaign = await deps.campaigns.get(deps.db, viewer, slug);
  if (campaign.status !== 'open') throw new CampaignNotOpen(campaign.status);
  if (typeof o.honeypot === 'string' && o.honeypot.trim() !== '') return { campaign, outcome: null };
  const item = prepareSignature(deps.keyring, campaign.id, input, o.lang);
  const outcome = await deps.batcher.submit(item);
  if (outcome.kind === 'domain_cap') throw new DomainCapReached();
  if (outcome.kind === 'not_open') {
    if (!outcome.status) throw new NotFound();
    throw new CampaignNotOpen(outcome.status);
  }
  return { campaign, outcome };
}

/** A signature reached through the link of a mail. */
export interface LinkedSignature {
  campaign: { id: string; slug: string; status: CampaignStatus; original_lang: string };
  supporter: { id: string; status: 'pending' | 'confirmed'; expired: boolean } | null;
}

/**
 * The campaign and signature a mail link points to, when `token` is the link's token for
 * `purpose`. The campaign is found by slug whatever its visibility: the token proves the holder
 * got the mail. The signature is null when it is gone (withdrawn, expired).
 * @throws {NotFound} for a wrong token or an unknown campaign (checked before anything is read).
 */
export async function signatureForLink(db: Db, keyring: Keyring, purpose: SupporterLinkPurpose, slug: string, id: string, token: unknown): Promise<LinkedSignature> {
  if (typeof token !== 'string' || !verifySupporterLinkToken(keyring, purpose, id, token)) throw new NotFound();
  const campaign = await db.selectFrom('campaigns').select(['id', 'slug', 'status', 'original_lang']).where('slug', '=', slug).executeTakeFirst();
  if (!campaign) throw new NotFound();
  const row = await db.selectFrom('supporters').select(['id', 'status', 'expires_at']).where('id', '=', id).where('campaign_id', '=', campaign.id).executeTakeFirst();
  const supporter = row ? { id: row.id, status: row.status, expired: row.status === 'pending' && row.expires_at !== null && Date.parse(row.expires_at) <= Date.now() } : null;
  return { campaign, supporter };
}

/**
 * Confirms signature `id` of campaign `slug` with the confirmation link's `token` (double opt-in;
 * a repeated confirmation counts once), in the next group-committed batch (sign-batcher.ts), so a
 * confirmation is durable before it is answered and a spike of them shares commits and count
 * updates.
 * @returns `confirmed` or `already_confirmed`.
 * @throws {NotFound} wrong token, unknown campaign, or no such signature (withdrawn, expired);
 *   {CampaignNotOpen} when the campaign is a draft or closed (nothing changes).
 */
export async function confirmSignature(deps: SigningDeps, slug: string, id: string, token: unknown): Promise<'confirmed' | 'already_confirmed'> {
  const db = deps.db;
  const campaign = await campaignForLink(db, deps.keyring, 'confirm', slug, id, token);
  const outcome: ConfirmOutcome = await deps.batcher.confirm({ campaignId: campaign.id, supporterId: id });
  if (outcome === 'gone') throw new NotFound();
  if (outcome === 'campaign_not_open') {
    const now = await db.selectFrom('campaigns').select('status').where('id', '=', campaign.id).executeTakeFirst();
    throw new CampaignNotOpen(now?.status === 'draft' ? 'draft' : 'closed');
  }
  return outcome;
}

/**
 * The campaign a mail link names, after checking the link's token (before anything is read).
 * @throws {NotFound} for a wrong token or an unknown campaign.
 */
async function campaignForLink(db: Db, keyring: Keyring, purpose: SupporterLinkPurpose, slug: string, id: string, token: unknown): Promise<{ id: string }> {
  if (typeof token !== 'string' || !verifySupporterLinkToken(keyring, purpose, id, token)) throw new NotFound();
  const campaign = await db.selectFrom('campaigns').select('id').where('slug', '=', slug).executeTakeFirst();
  if (!campaign) throw new NotFound();
  return campaign;
}

/**
 * Withdraws signature `id` of campaign `slug` with the withdrawal link's `token`: the row is
 * deleted and, if it was confirmed, the count goes down. Works whatever the campaign's status.
 * @throws {NotFound} wrong token, unknown campaign, or no such signature (withdrawn already).
 */
export async function withdrawSignature(db: Db, keyring: Keyring, slug: string, id: string, token: unknown): Promise<void> {
  const campaign = await campaignForLink(db, keyring, 'withdraw', slug, id, token);
  if (!(await withdrawSupporter(db, campaign.id, id))) throw new NotFound();
}

/** Title and appeal of a campaign in the reader's language (exact, same base language, else the original), with the text's language. */
export async function campaignText(db: Db, campaignId: string, lang: string): Promise<{ title: string; appeal: string; lang: string } | null> {
  const rows = await db.selectFrom('campaign_translations').select(['lang', 'title', 'appeal', 'is_original']).where('campaign_id', '=', campaignId).execute();
  const t = pickTranslation(rows, lang);
  return t ? { title: t.title, appeal: t.appeal, lang: t.lang } : null;
}
