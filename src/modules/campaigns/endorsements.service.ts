import { inTransaction, isUniqueViolation, type Db } from '../../db/client.ts';
import type { EndorsementStatus } from '../../db/schema.ts';
import type { Viewer } from '../../http/viewer.ts';
import { Conflict, Forbidden, NotFound, SignInRequired, ValidationFailed } from '../../http/errors.ts';
import { visibleWhere } from '../../db/visibility.ts';
import { FieldChecker } from '../../lib/validate.ts';
import { newId } from '../../lib/ids.ts';
import { nowInstant } from '../../lib/time.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { getCampaignForCoordinator, isCampaignCoordinator } from './campaigns.access.ts';
import { getCampaignForReader } from './campaigns.service.ts';

/**
 * Organizations as signatories: an admin or coordinator of an organization endorses a campaign
 * for it (optionally with a short statement in a language); the campaign's coordinators confirm
 * or refuse; only confirmed endorsements are shown, grouped by the organization's country. The
 * organization may withdraw its endorsement at any time (the row is deleted; the audit log keeps
 * the event).
 */

/** Longest statement, in characters. */
const MAX_STATEMENT = 1000;

/** Raw endorsement input from a form or the API. */
export interface EndorsementInput {
  /** Slug of the endorsing organization (the person must be its admin or coordinator). */
  organization?: unknown;
  /** Optional short statement, and its BCP 47 language (required with a statement). */
  statement?: unknown;
  statementLang?: unknown;
}

function leads(viewer: Viewer | null, organizationId: string): boolean {
  if (!viewer) return false;
  if (viewer.isAdmin) return true;
  const role = viewer.roles.get(organizationId);
  return role === 'admin' || role === 'coordinator';
}

/** Organization-level conflicts of an endorsement, as field errors of `organization` on forms. */
export class EndorsementConflict extends Conflict {
  constructor(code: 'already_endorsed' | 'issuer_endorses' | 'campaign_not_open' | 'endorsement_decided', messageId: string, field?: string) {
    super(code, messageId, field);
  }
}

/**
 * Endorses the campaign `slug` for `organization` (the viewer must lead it: admin or coordinator,
 * or be an instance admin). The endorsement waits (`pending`) until a coordinator of the
 * campaign decides. Writes `campaign.endorsed` to the endorsing organization's audit log.
 * @returns the endorsement's id.
 * @throws {NotFound} campaign unknown or invisible; {SignInRequired}; {ValidationFailed} bad
 *   input, an unknown organization or one the viewer does not lead
 *   (`campaigns.endorsements.validation.not_led`); {EndorsementConflict} the campaign is not open,
 *   the organization issues it, or it endorsed already (field `organization`).
 */
export async function endorseCampaign(db: Db, viewer: Viewer | null, slug: string, input: EndorsementInput): Promise<{ id: string }> {
  if (!viewer) throw new SignInRequired();
  return inTransaction(db, async (tx) => {
    const campaign = await getCampaignForReader(tx, viewer, slug);
    const c = new FieldChecker();
    const orgSlug = c.line('organization', input.organization, { required: true, max: 80 });
    const statement = c.text('statement', input.statement, { max: MAX_STATEMENT });
    const statementLang = statement ? c.language('statementLang', input.statementLang) : null;
    if (c.errors.length) throw new ValidationFailed(c.errors);
    const org = await tx.selectFrom('organizations').select(['id', 'slug']).where('slug', '=', orgSlug!).where(visibleWhere(viewer, 'organizations')).executeTakeFirst();
    // An organization the viewer cannot see gets the same answer as one they do not lead, without
    // echoing the slug: whether an invisible organization exists is not revealed.
    if (!org || !leads(viewer, org.id)) throw new ValidationFailed([{ field: 'organization', messageId: 'campaigns.endorsements.validation.not_led' }]);
    if (campaign.status !== 'open') throw new EndorsementConflict('campaign_not_open', 'campaigns.endorsements.errors.not_open', 'organization');
    if (campaign.issuerIds.includes(org.id)) throw new EndorsementConflict('issuer_endorses', 'campaigns.endorsements.errors.issuer', 'organization');
    const existing = await tx.selectFrom('campaign_endorsements').select('id').where('campaign_id', '=', campaign.id).where('organization_id', '=', org.id).executeTakeFirst();
    if (existing) throw new EndorsementConflict('already_endorsed', 'campaigns.endorsements.errors.already', 'organization');
    const id = newId();
    try {
      await tx
        .insertInto('campaign_endorsements')
        .values({ id, campaign_id: campaign.id, organization_id: org.id, statement, statement_lang: statementLang, status: 'pending', endorsed_by: viewer.userId, endorsed_at: nowInstant(), decided_by: null, decided_at: null })
        .execute();
    } catch (err) {
      // PostgreSQL aborts the transaction on the violation, so the answer must come from the error itself.
      if (isUniqueViolation(err)) throw new EndorsementConflict('already_endorsed', 'campaigns.endorsements.errors.already', 'organization');
      throw err;
    }
    await recordAudit(tx, viewer, { organizationId: org.id, action: 'campaign.endorsed', subjectType: 'campaign_endorsement', subjectId: id, details: { slug: campaign.slug } });
    return { id };
  });
}

/** An endorsement as its campaign's coordinators and the endorsing organization see it. */
export interface EndorsementRow {
  id: string;
  status: EndorsementStatus;
  organization: { id: string; slug: string; name: string; country: string; visibility: string };
  statement: string | null;
  statementLang: string | null;
  endorsedAt: string;
  decidedAt: string | null;
}

const SELECT = ['e.id', 'e.status', 'e.statement', 'e.statement_lang', 'e.endorsed_at', 'e.decided_at', 'o.id as org_id', 'o.slug as org_slug', 'o.name as org_name', 'o.country as org_country', 'o.visibility as org_visibility'] as const;

function toRow(r: {
  id: string;
  status: EndorsementStatus;
  statement: string | null;
  statement_lang: string | null;
  endorsed_at: string;
  decided_at: string | null;
  org_id: string;
  org_slug: string;
  org_name: string;
  org_country: string;
  org_visibility: string;
}): EndorsementRow {
  return {
    id: r.id,
    status: r.status,
    organization: { id: r.org_id, slug: r.org_slug, name: r.org_name, country: r.org_country, visibility: r.org_visibility },
    statement: r.statement,
    statementLang: r.statement_lang,
    endorsedAt: r.endorsed_at,
    decidedAt: r.decided_at,
  };
}

/**
 * Every endorsement of a campaign (optionally only those with `status`), waiting ones first, then
 * newest first, for the campaign's coordinators (no access check here). The endorsing
 * organization's name is shown to them whatever its visibility: by endorsing, it made itself
 * known to the campaign's coordinators.
 */
export async function listEndorsements(db: Db, campaignId: string, o: { status?: EndorsementStatus } = {}): Promise<EndorsementRow[]> {
  let q = db.selectFrom('campaign_endorsements as e').innerJoin('organizations as o', 'o.id', 'e.organization_id').select(SELECT).where('e.campaign_id', '=', campaignId);
  if (o.status) q = q.where('e.status', '=', o.status);
  const rows = await q.orderBy('e.endorsed_at', 'desc').orderBy('e.id', 'desc').limit(5000).execute();
  const rank = (s: EndorsementStatus) => (s === 'pending' ? 0 : s === 'confirmed' ? 1 : 2);
  return rows.map(toRow).sort((a, b) => rank(a.status) - rank(b.status));
}

/**
 * Confirmed endorsements of a campaign by organizations the viewer may see (db/visibility.ts:
 * a private organization's endorsement shows only to those who may see the organization), by
 * organization name. The public sign-on list.
 */
export async function confirmedEndorsements(db: Db, viewer: Viewer | null, campaignId: string): Promise<EndorsementRow[]> {
  const rows = await db
    .selectFrom('campaign_endorsements as e')
    .innerJoin('organizations as o', 'o.id', 'e.organization_id')
    .select(SELECT)
    .where('e.campaign_id', '=', campaignId)
    .where('e.status', '=', 'confirmed')
    .where(visibleWhere(viewer, 'o', { orgColumn: 'id' }))
    .orderBy('o.name')
    .limit(5000)
    .execute();
  return rows.map(toRow);
}

/** Endorsements grouped by the organization's country (ISO 3166-1 alpha-2), countries in the given order. */
export function groupByCountry(rows: EndorsementRow[], countryName: (code: string) => string, locale: string): { country: string; endorsements: EndorsementRow[] }[] {
  const collator = new Intl.Collator(locale);
  const groups = new Map<string, EndorsementRow[]>();
  for (const r of rows) {
    const list = groups.get(r.organization.country) ?? [];
    list.push(r);
    groups.set(r.organization.country, list);
  }
  return [...groups]
    .map(([country, endorsements]) => ({ country, endorsements: endorsements.sort((a, b) => collator.compare(a.organization.name, b.organization.name)) }))
    .sort((a, b) => collator.compare(countryName(a.country), countryName(b.country)));
}

/**
 * The endorsements of a campaign by organizations the viewer leads (any status), for the endorse
 * page: what the viewer's organizations have sent, and their withdraw buttons.
 */
export async function endorsementsLedBy(db: Db, viewer: Viewer | null, campaignId: string): Promise<EndorsementRow[]> {
  if (!viewer) return [];
  let q = db.selectFrom('campaign_endorsements as e').innerJoin('organizations as o', 'o.id', 'e.organization_id').select(SELECT).where('e.campaign_id', '=', campaignId);
  if (!viewer.isAdmin) {
    const led = [...viewer.roles].filter(([, r]) => r === 'admin' || r === 'coordinator').map(([id]) => id);
    if (!led.length) return [];
    q = q.where('e.organization_id', 'in', led);
  }
  return (await q.orderBy('o.name').limit(1000).execute()).map(toRow);
}

/**
 * Confirms or refuses a waiting endorsement of the campaign `slug` (its coordinators). Writes
 * `campaign.endorsement_confirmed` / `campaign.endorsement_rejected` (with the organization's slug)
 * to the audit log of every issuing organization and of the endorsing one, in one transaction.
 * @throws {NotFound} unknown campaign or endorsement (or one of another campaign);
 *   {SignInRequired}; {Forbidden} not a coordinator; {EndorsementConflict}
 *   `endorsement_decided` when it was decided already.
 */
export async function decideEndorsement(db: Db, viewer: Viewer | null, slug: string, id: string, decision: 'confirmed' | 'rejected'): Promise<{ status: EndorsementStatus }> {
  return inTransaction(db, async (tx) => {
    const campaign = await getCampaignForCoordinator(tx, viewer, slug);
    const e = await tx
      .selectFrom('campaign_endorsements as e')
      .innerJoin('organizations as o', 'o.id', 'e.organization_id')
      .select(['e.id', 'e.status', 'e.organization_id', 'o.slug'])
      .where('e.id', '=', id)
      .where('e.campaign_id', '=', campaign.id)
      .executeTakeFirst();
    if (!e) throw new NotFound();
    if (e.status !== 'pending') throw new EndorsementConflict('endorsement_decided', 'campaigns.endorsements.errors.decided');
    const updated = await tx
      .updateTable('campaign_endorsements')
      .set({ status: decision, decided_by: viewer!.userId, decided_at: nowInstant() })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    // Two coordinators deciding at once: the second finds it decided.
    if (Number(updated.numUpdatedRows) !== 1) throw new EndorsementConflict('endorsement_decided', 'campaigns.endorsements.errors.decided');
    const action = decision === 'confirmed' ? 'campaign.endorsement_confirmed' : 'campaign.endorsement_rejected';
    for (const org of new Set([...campaign.issuerIds, e.organization_id]))
      await recordAudit(tx, viewer, { organizationId: org, action, subjectType: 'campaign_endorsement', subjectId: id, details: { organization: e.slug } });
    return { status: decision };
  });
}

/**
 * Withdraws an organization's endorsement of the campaign `slug`, whatever its status: an admin or
 * coordinator of the endorsing organization (or an instance admin). The row is deleted;
 * `campaign.endorsement_withdrawn` goes to the audit log of the endorsing organization and of
 * every issuing organization.
 * @throws {NotFound} unknown campaign or endorsement, or one of an organization the viewer does
 *   not lead and whose endorsement the viewer may not see as coordinator; {SignInRequired};
 *   {Forbidden} a campaign coordinator who does not lead the endorsing organization.
 */
export async function withdrawEndorsement(db: Db, viewer: Viewer | null, slug: string, id: string): Promise<void> {
  if (!viewer) throw new SignInRequired();
  await inTransaction(db, async (tx) => {
    const campaign = await getCampaignForReader(tx, viewer, slug);
    const e = await tx
      .selectFrom('campaign_endorsements as e')
      .innerJoin('organizations as o', 'o.id', 'e.organization_id')
      .select(['e.id', 'e.organization_id', 'o.slug'])
      .where('e.id', '=', id)
      .where('e.campaign_id', '=', campaign.id)
      .executeTakeFirst();
    if (!e) throw new NotFound();
    if (!leads(viewer, e.organization_id)) {
      // Coordinators know of the endorsement (403); anyone else learns nothing (404).
      if (isCampaignCoordinator(viewer, campaign)) throw new Forbidden();
      throw new NotFound();
    }
    await tx.deleteFrom('campaign_endorsements').where('id', '=', id).execute();
    for (const org of new Set([e.organization_id, ...campaign.issuerIds]))
      await recordAudit(tx, viewer, { organizationId: org, action: 'campaign.endorsement_withdrawn', subjectType: 'campaign_endorsement', subjectId: id, details: { organization: e.slug } });
  });
}
