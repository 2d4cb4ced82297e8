import { inTransaction, type Db } from '../../db/client.ts';
import { CAMPAIGN_STATUSES, type CampaignStatus, type Visibility } from '../../db/schema.ts';
import type { Viewer } from '../../http/viewer.ts';
import { Forbidden, NotFound, SignInRequired, ValidationFailed } from '../../http/errors.ts';
import { FieldChecker, listValue } from '../../lib/validate.ts';
import { newId } from '../../lib/ids.ts';
import { nowInstant } from '../../lib/time.ts';
import { searchKey, slugify } from '../../lib/text.ts';
import { resolveOrganizations, retryOnSlugConflict, uniqueSlug, VISIBILITIES } from '../organizations/organizations.service.ts';
import { changedFields, recordAudit } from '../audit/audit.service.ts';
import { getCampaign, getCampaignForCoordinator, isCampaignCoordinator, type CampaignRecord } from './campaigns.access.ts';

export { CAMPAIGN_STATUSES };

/** At most this many issuing organizations (the owner included). */
const MAX_ISSUERS = 20;
/** Largest goal accepted: a billion signatures. */
export const MAX_GOAL = 1_000_000_000;
/** Longest appeal text, in characters. */
const MAX_APPEAL = 20_000;

/** Raw campaign input from a form, the API or the demo. */
export interface CampaignInput {
  /** Slug of the owning organization (its members decide who sees the campaign); on create only. */
  organization?: unknown;
  /** Slugs of further issuing organizations (their admins and coordinators co-run the campaign). */
  issuers?: unknown;
  /** Address name; made from the title when absent (create only). */
  slug?: unknown;
  /** BCP 47 tag of the original language (create only; default `en`). */
  lang?: unknown;
  /** Title and appeal in the original language. */
  title?: unknown;
  appeal?: unknown;
  /** Date-only `YYYY-MM-DD`; `endsOn` optional, not before `startsOn`. */
  startsOn?: unknown;
  endsOn?: unknown;
  /** Number of signatures aimed for (confirmed supporters plus tallies), optional, 1 … {@link MAX_GOAL}. */
  goal?: unknown;
  /** `draft` (only its coordinators see it), `open` (signing) or `closed`; default `draft`. */
  status?: unknown;
  visibility?: unknown;
}

/** Campaign input after validation (organizations still by slug). */
export interface CampaignValues {
  organization: string | null;
  issuers: string[];
  slug: string | null;
  lang: string;
  title: string;
  appeal: string;
  startsOn: string;
  endsOn: string | null;
  goal: number | null;
  status: CampaignStatus;
  visibility: Visibility;
}

/**
 * Validates and normalizes campaign input (text in NFC, the language tag canonical). With
 * `editing`, the owner, slug and original language are not read (they stay).
 * @throws {ValidationFailed} listing every bad field (`organization`, `issuers`, `slug`, `lang`,
 *   `title`, `appeal`, `startsOn`, `endsOn`, `goal`, `status`, `visibility`).
 */
export function validateCampaign(input: CampaignInput, o: { editing?: boolean } = {}): CampaignValues {
  const c = new FieldChecker();
  const organization = o.editing ? null : c.line('organization', input.organization, { required: true, max: 80 });
  const issuers: string[] = [];
  for (const s of listValue(input.issuers)) {
    const v = c.line('issuers', s, { max: 80 });
    if (v && v !== organization && !issuers.includes(v)) issuers.push(v);
  }
  if (issuers.length + 1 > MAX_ISSUERS) c.fail('issuers', 'validation.too_many', { max: MAX_ISSUERS - 1 });
  let slug: string | null = null;
  if (!o.editing) {
    const raw = c.line('slug', input.slug, { max: 60 });
    slug = raw && !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(raw) ? c.fail('slug', 'validation.slug') : raw;
  }
  const lang = o.editing ? '' : c.language('lang', input.lang || 'en');
  const title = c.line('title', input.title, { required: true, max: 300 });
  const appeal = c.text('appeal', input.appeal, { required: true, max: MAX_APPEAL });
  const startsOn = c.date('startsOn', input.startsOn, { required: true });
  const endsOn = c.date('endsOn', input.endsOn);
  if (startsOn && endsOn && endsOn < startsOn) c.fail('endsOn', 'validation.end_before_start');
  const goal = c.integer('goal', typeof input.goal === 'string' ? input.goal.trim() : input.goal, { min: 1, max: MAX_GOAL });
  const status = c.oneOf('status', input.status || 'draft', CAMPAIGN_STATUSES);
  const visibility = c.oneOf('visibility', input.visibility || 'public', VISIBILITIES);
  if (c.errors.length) throw new ValidationFailed(c.errors);
  return {
    organization,
    issuers,
    slug,
    lang: lang ?? 'en',
    title: title!,
    appeal: appeal!,
    startsOn: startsOn!,
    endsOn,
    goal,
    status: status!,
    visibility: visibility!,
  };
}

function leads(viewer: Viewer | null, organizationId: string): boolean {
  if (!viewer) return false;
  if (viewer.isAdmin) return true;
  const role = viewer.roles.get(organizationId);
  return role === 'admin' || role === 'coordinator';
}

/**
 * Naming an organization as issuer makes its admins and coordinators co-run the campaign, so the
 * person needs an admin or coordinator role in it; issuers already on the campaign may stay.
 */
function checkIssuers(viewer: Viewer, named: Map<string, string>, existing: ReadonlySet<string>): void {
  const refused = [...named].filter(([, id]) => !existing.has(id) && !leads(viewer, id)).map(([slug]) => slug);
  if (refused.length) throw new ValidationFailed([{ field: 'issuers', messageId: 'campaigns.validation.issuer_not_led', values: { slugs: refused.join(', ') } }]);
}

/**
 * The campaign `slug` for a reader: visible by its visibility (db/visibility.ts), and, while it
 * is a `draft`, only to its coordinators (a draft is not launched yet).
 * @throws {NotFound} unknown, invisible, or a draft the viewer does not coordinate (the same answer).
 */
export async function getCampaignForReader(db: Db, viewer: Viewer | null, slug: string): Promise<CampaignRecord> {
  const campaign = await getCampaign(db, viewer, slug);
  if (campaign.status === 'draft' && !isCampaignCoordinator(viewer, campaign)) throw new NotFound();
  return campaign;
}

/**
 * Starts a campaign owned by `organization`, issued also by `issuers`, with its title and appeal
 * in the original language `lang` (the translation row marked `is_original`, written by the
 * viewer). The viewer needs an admin or coordinator role in the owner and in every further
 * issuer. Writes `campaign.created` to the audit log of every issuing organization, all in one
 * transaction.
 * @returns id and slug (from the title unless given; `-2`, `-3`… when taken; `new` is never used).
 * @throws {SignInRequired}; {ValidationFailed}; {Forbidden} no leading role in the owner.
 */
export async function createCampaign(db: Db, viewer: Viewer | null, input: CampaignInput, o: { trusted?: boolean } = {}): Promise<{ id: string; slug: string }> {
  if (!viewer && !o.trusted) throw new SignInRequired();
  const v = validateCampaign(input);
  const trusted = !!o.trusted;
  return retryOnSlugConflict(() =>
    inTransaction(db, async (tx) => {
      const owner = await resolveOrganizations(tx, viewer, [v.organization!], 'organization', trusted);
      const organizationId = owner.get(v.organization!)!;
      if (!trusted && !leads(viewer, organizationId)) throw new Forbidden();
      const issuers = await resolveOrganizations(tx, viewer, v.issuers, 'issuers', trusted);
      if (!trusted) checkIssuers(viewer!, issuers, new Set());
      const id = newId();
      // `new` names the creation page (/campaigns/new).
      const base = v.slug ?? slugify(v.title);
      const slug = await uniqueSlug(tx, 'campaigns', base === 'new' ? 'new-2' : base);
      const now = nowInstant();
      await tx
        .insertInto('campaigns')
        .values({
          id,
          slug,
          organization_id: organizationId,
          original_lang: v.lang,
          goal: v.goal,
          starts_on: v.startsOn,
          ends_on: v.endsOn,
          status: v.status,
          visibility: v.visibility,
          search_text: searchKey(v.title, v.appeal),
          created_by: viewer?.userId ?? null,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await tx
        .insertInto('campaign_translations')
        .values({ campaign_id: id, lang: v.lang, title: v.title, appeal: v.appeal, is_original: 1, translated_by: viewer?.userId ?? null, translator_name: null, created_at: now, updated_at: now })
        .execute();
      const orgIds = [...new Set([organizationId, ...issuers.values()])];
      await tx.insertInto('campaign_organizations').values(orgIds.map((organization_id) => ({ campaign_id: id, organization_id }))).execute();
      for (const org of orgIds) await recordAudit(tx, viewer, { organizationId: org, action: 'campaign.created', subjectType: 'campaign', subjectId: id, details: { slug } });
      return { id, slug };
    }),
  );
}

/** The original language's title and appeal of a campaign. */
async function originalText(db: Db, campaign: { id: string; original_lang: string }): Promise<{ title: string; appeal: string }> {
  const row = await db.selectFrom('campaign_translations').select(['title', 'appeal']).where('campaign_id', '=', campaign.id).where('is_original', '=', 1).executeTakeFirst();
  return row ?? { title: '', appeal: '' };
}

/**
 * Changes a campaign (its coordinators): further issuers, the original title and appeal, period,
 * goal, status and visibility. Owner, slug and original language stay. Issuers may be added by
 * someone who leads them, and removed. Writes `campaign.updated` (the changed fields) to the
 * audit log of every organization that issues or issued it.
 * @throws {NotFound}; {SignInRequired}; {Forbidden}; {ValidationFailed}.
 */
export async function updateCampaign(db: Db, viewer: Viewer | null, slug: string, input: CampaignInput): Promise<{ id: string; slug: string }> {
  return inTransaction(db, async (tx) => {
    const campaign = await getCampaignForCoordinator(tx, viewer, slug);
    const v = validateCampaign(input, { editing: true });
    const issuers = await resolveOrganizations(tx, viewer, v.issuers, 'issuers', false);
    checkIssuers(viewer!, issuers, new Set(campaign.issuerIds));
    const orgIds = [...new Set([campaign.organization_id, ...issuers.values()])];
    const text = await originalText(tx, campaign);
    const before = {
      title: text.title,
      appeal: text.appeal,
      startsOn: campaign.starts_on,
      endsOn: campaign.ends_on,
      goal: campaign.goal === null ? null : Number(campaign.goal),
      status: campaign.status,
      visibility: campaign.visibility,
      issuers: [...campaign.issuerIds].sort(),
    };
    const after = { title: v.title, appeal: v.appeal, startsOn: v.startsOn, endsOn: v.endsOn, goal: v.goal, status: v.status, visibility: v.visibility, issuers: [...orgIds].sort() };
    const now = nowInstant();
    await tx
      .updateTable('campaigns')
      .set({ goal: v.goal, starts_on: v.startsOn, ends_on: v.endsOn, status: v.status, visibility: v.visibility, search_text: searchKey(v.title, v.appeal), updated_at: now })
      .where('id', '=', campaign.id)
      .execute();
    if (text.title !== v.title || text.appeal !== v.appeal) {
      await tx
        .updateTable('campaign_translations')
        .set({ title: v.title, appeal: v.appeal, updated_at: now })
        .where('campaign_id', '=', campaign.id)
        .where('is_original', '=', 1)
        .execute();
    }
    await tx.deleteFrom('campaign_organizations').where('campaign_id', '=', campaign.id).execute();
    await tx.insertInto('campaign_organizations').values(orgIds.map((organization_id) => ({ campaign_id: campaign.id, organization_id }))).execute();
    const fields = changedFields(before, after);
    for (const org of new Set([...orgIds, ...campaign.issuerIds]))
      await recordAudit(tx, viewer, { organizationId: org, action: 'campaign.updated', subjectType: 'campaign', subjectId: campaign.id, details: { fields } });
    return { id: campaign.id, slug: campaign.slug };
  });
}

/** Raw input for a language version of a campaign's title and appeal. */
export interface TranslationInput {
  /** BCP 47 tag; not the campaign's original language (that is changed on the campaign itself). */
  lang?: unknown;
  title?: unknown;
  appeal?: unknown;
  /** Name of the person who translated, when not the signed-in account (someone without an account). */
  translatorName?: unknown;
}

/**
 * Adds or replaces the campaign's title and appeal in another language (its coordinators). The
 * translation is recorded with the signed-in account (`translated_by`) and, when given, the name
 * of the person who translated it (`translator_name`, for someone without an account). Writes
 * `campaign.translation_saved` (with the language) to the audit log of every issuing organization.
 * @returns the canonical language tag and whether the language is new.
 * @throws {NotFound}; {SignInRequired}; {Forbidden}; {ValidationFailed} on `lang`, `title`,
 *   `appeal`, `translatorName` (`campaigns.translations.validation.is_original` for the original language).
 */
export async function saveTranslation(db: Db, viewer: Viewer | null, slug: string, input: TranslationInput): Promise<{ lang: string; created: boolean }> {
  return inTransaction(db, async (tx) => {
    const campaign = await getCampaignForCoordinator(tx, viewer, slug);
    const c = new FieldChecker();
    const lang = c.language('lang', input.lang);
    if (lang && lang.toLowerCase() === campaign.original_lang.toLowerCase()) c.fail('lang', 'campaigns.translations.validation.is_original');
    const title = c.line('title', input.title, { required: true, max: 300 });
    const appeal = c.text('appeal', input.appeal, { required: true, max: MAX_APPEAL });
    const translatorName = c.line('translatorName', input.translatorName, { max: 200, noAngles: true });
    if (c.errors.length) throw new ValidationFailed(c.errors);
    const now = nowInstant();
    const existing = await tx.selectFrom('campaign_translations').select('lang').where('campaign_id', '=', campaign.id).where('lang', '=', lang!).executeTakeFirst();
    if (existing) {
      await tx
        .updateTable('campaign_translations')
        .set({ title: title!, appeal: appeal!, translated_by: viewer!.userId, translator_name: translatorName, updated_at: now })
        .where('campaign_id', '=', campaign.id)
        .where('lang', '=', lang!)
        .execute();
    } else {
      await tx
        .insertInto('campaign_translations')
        .values({ campaign_id: campaign.id, lang: lang!, title: title!, appeal: appeal!, is_original: 0, translated_by: viewer!.userId, translator_name: translatorName, created_at: now, updated_at: now })
        .execute();
    }
    await tx.updateTable('campaigns').set({ updated_at: now }).where('id', '=', campaign.id).execute();
    for (const org of campaign.issuerIds)
      await recordAudit(tx, viewer, { organizationId: org, action: 'campaign.translation_saved', subjectType: 'campaign', subjectId: campaign.id, details: { lang } });
    return { lang: lang!, created: !existing };
  });
}

/** One language version of a campaign as shown: the text, whether it is the original, and who wrote it. */
export interface CampaignText {
  lang: string;
  title: string;
  appeal: string;
  original: boolean;
  /** Who to credit: `translator_name` when given, else the display name of the account that saved it. */
  translator: string | null;
  updatedAt: string;
}

/**
 * The language version to show: the one `requested` names (`?lang=`; exact tag first, then the
 * same primary language), else the reader's UI language (`de` also picks `de-CH`), else the
 * original. `texts` must hold the original.
 */
export function pickText(texts: CampaignText[], o: { requested?: string | null; locale: string }): CampaignText {
  const primary = (tag: string) => tag.toLowerCase().split('-')[0]!;
  const find = (tag: string) => texts.find((t) => t.lang.toLowerCase() === tag.toLowerCase()) ?? texts.find((t) => primary(t.lang) === primary(tag));
  return (o.requested ? find(o.requested) : undefined) ?? find(o.locale) ?? texts.find((t) => t.original) ?? texts[0]!;
}
