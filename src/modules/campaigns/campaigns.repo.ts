import { sql, type Expression, type SqlBool } from 'kysely';
import type { Db } from '../../db/client.ts';
import type { CampaignStatus } from '../../db/schema.ts';
import type { Viewer } from '../../http/viewer.ts';
import { visibleWhere } from '../../db/visibility.ts';
import type { CampaignText } from './campaigns.service.ts';

/**
 * Read queries behind the campaign pages and API. Visibility is decided by `visibleWhere`
 * (db/visibility.ts) and, for drafts, by the reader coordinating the campaign; supporters'
 * e-mail addresses are never read here.
 */

/** Organization ids the viewer leads (admin or coordinator role). */
function ledIds(viewer: Viewer): string[] {
  return [...viewer.roles].filter(([, r]) => r === 'admin' || r === 'coordinator').map(([id]) => id);
}

/**
 * SQL: the campaign (alias `campaigns`) is no draft, or the viewer coordinates it (leads one of
 * its issuing organizations, or is an instance administrator): drafts are for their coordinators.
 */
function notDraftUnlessCoordinator(viewer: Viewer | null): Expression<SqlBool> {
  if (viewer?.isAdmin) return sql<SqlBool>`1 = 1`;
  const led = viewer ? ledIds(viewer) : [];
  if (!led.length) return sql<SqlBool>`campaigns.status <> 'draft'`;
  return sql<SqlBool>`(campaigns.status <> 'draft' OR EXISTS (SELECT 1 FROM campaign_organizations co WHERE co.campaign_id = campaigns.id AND co.organization_id IN (${sql.join(led)})))`;
}

/** One campaign in the list, with its title in every language (the view picks one) and its total. */
export interface CampaignListRow {
  id: string;
  slug: string;
  status: CampaignStatus;
  originalLang: string;
  goal: number | null;
  startsOn: string;
  endsOn: string | null;
  /** Titles by BCP 47 tag, the original first. */
  titles: { lang: string; title: string; original: boolean }[];
  /** Confirmed supporters plus tallies. */
  total: number;
  organization: { slug: string; name: string } | null;
  createdAt: string;
}

/**
 * Campaigns the viewer may see (drafts only for their coordinators), newest first, keyset-paged
 * by (`created_at`, `id`); optionally only those with `status`. Returns at most `limit` rows (ask
 * for one more to know there is a next page).
 */
export async function listCampaignRows(
  db: Db,
  viewer: Viewer | null,
  o: { status?: CampaignStatus; limit: number; after?: { createdAt: string; id: string } },
): Promise<CampaignListRow[]> {
  let q = db
    .selectFrom('campaigns')
    .leftJoin('organizations as o', (j) => j.onRef('o.id', '=', 'campaigns.organization_id').on(visibleWhere(viewer, 'o', { orgColumn: 'id' })))
    .select(['campaigns.id', 'campaigns.slug', 'campaigns.status', 'campaigns.original_lang', 'campaigns.goal', 'campaigns.starts_on', 'campaigns.ends_on', 'campaigns.created_at', 'o.slug as org_slug', 'o.name as org_name'])
    .where(visibleWhere(viewer, 'campaigns'))
    .where(notDraftUnlessCoordinator(viewer));
  if (o.status) q = q.where('campaigns.status', '=', o.status);
  if (o.after) {
    const a = o.after;
    q = q.where((eb) => eb.or([eb('campaigns.created_at', '<', a.createdAt), eb.and([eb('campaigns.created_at', '=', a.createdAt), eb('campaigns.id', '<', a.id)])]));
  }
  const rows = await q.orderBy('campaigns.created_at', 'desc').orderBy('campaigns.id', 'desc').limit(o.limit).execute();
  if (!rows.length) return [];
  const ids = rows.map((r) => r.id);
  const [titles, online, tallies] = await Promise.all([
    db.selectFrom('campaign_translations').select(['campaign_id', 'lang', 'title', 'is_original']).where('campaign_id', 'in', ids).orderBy('is_original', 'desc').orderBy('lang').execute(),
    db.selectFrom('campaign_counts').select(['campaign_id', (eb) => eb.fn.sum<string | number>('supporters').as('n')]).where('campaign_id', 'in', ids).groupBy('campaign_id').execute(),
    db.selectFrom('campaign_tallies').select(['campaign_id', (eb) => eb.fn.sum<string | number>('count').as('n')]).where('campaign_id', 'in', ids).groupBy('campaign_id').execute(),
  ]);
  const total = new Map<string, number>();
  for (const r of [...online, ...tallies]) total.set(r.campaign_id, (total.get(r.campaign_id) ?? 0) + Number(r.n ?? 0));
  return rows.map((r) => ({
    id: r.id,
    slug: r.slug,
    status: r.status,
    originalLang: r.original_lang,
    goal: r.goal === null ? null : Number(r.goal),
    startsOn: r.starts_on,
    endsOn: r.ends_on,
    titles: titles.filter((t) => t.campaign_id === r.id).map((t) => ({ lang: t.lang, title: t.title, original: t.is_original === 1 })),
    total: total.get(r.id) ?? 0,
    organization: r.org_slug && r.org_name ? { slug: r.org_slug, name: r.org_name } : null,
    createdAt: r.created_at,
  }));
}

/** Number of campaigns the viewer may see (drafts only for their coordinators), optionally with `status`. */
export async function countCampaigns(db: Db, viewer: Viewer | null, o: { status?: CampaignStatus } = {}): Promise<number> {
  let q = db.selectFrom('campaigns').select((eb) => eb.fn.countAll<string | number>().as('n')).where(visibleWhere(viewer, 'campaigns')).where(notDraftUnlessCoordinator(viewer));
  if (o.status) q = q.where('campaigns.status', '=', o.status);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

/** Organizations the viewer leads (admin or coordinator role), by name; an instance admin leads every one. */
export async function ledOrganizations(db: Db, viewer: Viewer | null): Promise<{ id: string; slug: string; name: string; country: string; visibility: string }[]> {
  if (!viewer) return [];
  let q = db.selectFrom('organizations').select(['id', 'slug', 'name', 'country', 'visibility']);
  if (!viewer.isAdmin) {
    const ids = ledIds(viewer);
    if (!ids.length) return [];
    q = q.where('id', 'in', ids);
  }
  return q.orderBy('name').limit(1000).execute();
}

/** True when the viewer leads some organization (or is an instance admin): may start a campaign or endorse one. */
export function leadsAnywhere(viewer: Viewer | null): boolean {
  return !!viewer && (viewer.isAdmin || ledIds(viewer).length > 0);
}

/**
 * Every language version of a campaign, the original first, then by tag, each with the name to
 * credit (`translator_name`, else the display name of the account that saved it).
 */
export async function campaignTexts(db: Db, campaignId: string): Promise<CampaignText[]> {
  const rows = await db
    .selectFrom('campaign_translations as t')
    .leftJoin('users as u', 'u.id', 't.translated_by')
    .select(['t.lang', 't.title', 't.appeal', 't.is_original', 't.translator_name', 't.updated_at', 'u.display_name'])
    .where('t.campaign_id', '=', campaignId)
    .orderBy('t.is_original', 'desc')
    .orderBy('t.lang')
    .execute();
  return rows.map((r) => ({
    lang: r.lang,
    title: r.title,
    appeal: r.appeal,
    original: r.is_original === 1,
    translator: r.translator_name ?? r.display_name ?? null,
    updatedAt: r.updated_at,
  }));
}

/** The campaign's issuing organizations the viewer may see (the owner first, then by name). */
export async function visibleIssuers(db: Db, viewer: Viewer | null, campaign: { id: string; organization_id: string }): Promise<{ id: string; slug: string; name: string }[]> {
  const rows = await db
    .selectFrom('campaign_organizations as co')
    .innerJoin('organizations as o', 'o.id', 'co.organization_id')
    .select(['o.id', 'o.slug', 'o.name'])
    .where('co.campaign_id', '=', campaign.id)
    .where(visibleWhere(viewer, 'o', { orgColumn: 'id' }))
    .orderBy('o.name')
    .execute();
  return [...rows.filter((r) => r.id === campaign.organization_id), ...rows.filter((r) => r.id !== campaign.organization_id)];
}

/** A supporter on the public list: what they agreed to show; never the e-mail address. */
export interface ListedSupporter {
  id: string;
  name: string;
  city: string | null;
  affiliation: string | null;
  /** ISO 3166-1 alpha-2. */
  country: string;
  confirmedAt: string;
}

/**
 * Confirmed supporters of a campaign who agreed to be listed publicly, newest confirmation first,
 * keyset-paged by (`confirmed_at`, `id`); at most `limit` rows. Served by the index
 * `supporters_campaign_idx` (campaign, status, confirmed_at).
 */
export async function listedSupporters(db: Db, campaignId: string, o: { limit: number; after?: { confirmedAt: string; id: string } }): Promise<ListedSupporter[]> {
  let q = db
    .selectFrom('supporters')
    .select(['id', 'name', 'city', 'affiliation', 'country', 'confirmed_at'])
    .where('campaign_id', '=', campaignId)
    .where('status', '=', 'confirmed')
    .where('list_publicly', '=', 1);
  if (o.after) {
    const a = o.after;
    q = q.where((eb) => eb.or([eb('confirmed_at', '<', a.confirmedAt), eb.and([eb('confirmed_at', '=', a.confirmedAt), eb('id', '<', a.id)])]));
  }
  const rows = await q.orderBy('confirmed_at', 'desc').orderBy('id', 'desc').limit(o.limit).execute();
  return rows.map((r) => ({ id: r.id, name: r.name, city: r.city, affiliation: r.affiliation, country: r.country, confirmedAt: String(r.confirmed_at) }));
}

/** Number of confirmed supporters of a campaign who agreed to be listed publicly. */
export async function countListedSupporters(db: Db, campaignId: string): Promise<number> {
  const r = await db
    .selectFrom('supporters')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('campaign_id', '=', campaignId)
    .where('status', '=', 'confirmed')
    .where('list_publicly', '=', 1)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
