import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../db/client.ts';
import type { Viewer } from '../../http/viewer.ts';
import { CALL_ASKS, type CallAsk, type SolidarityCallsTable } from '../../db/schema.ts';
import { visibleWhere } from '../../db/visibility.ts';
import { containsWords } from '../../db/search.ts';
import { todayIn } from '../../lib/time.ts';

// Visibility: a call is read only where the viewer may see the call itself *and* its struggle
// (the call's page shows the struggle); responses only where the viewer may see the call and the
// response; issuing and responding organizations are named only where the viewer may see them.
// Every count below counts only rows that pass the same filters, in SQL.

export type CallRow = SolidarityCallsTable;

/** The calls (joined with their struggle) the viewer may read. */
function visibleCalls(db: Db, viewer: Viewer | null) {
  return db
    .selectFrom('solidarity_calls')
    .innerJoin('struggles', 'struggles.id', 'solidarity_calls.struggle_id')
    .where(visibleWhere(viewer, 'solidarity_calls'))
    .where(visibleWhere(viewer, 'struggles'));
}

/** The call with `slug` if the viewer may see it and its struggle; undefined otherwise (as for a missing one). */
export async function findCallRow(db: Db, viewer: Viewer | null, slug: string): Promise<CallRow | undefined> {
  return visibleCalls(db, viewer).selectAll('solidarity_calls').where('solidarity_calls.slug', '=', slug).executeTakeFirst();
}

/** "Answered by N organizations in M countries": visible responses only. */
export interface AnsweredBy {
  /** Distinct responding organizations. */
  organizations: number;
  /** Distinct countries of those organizations (ISO 3166-1 of the organization, not of the place). */
  countries: number;
  /** Visible responses. */
  responses: number;
}

/** Correlated counts over the visible responses to `solidarity_calls.id`. */
function answeredColumns(viewer: Viewer | null): [RawBuilder<number>, RawBuilder<number>, RawBuilder<number>] {
  const visible = visibleWhere(viewer, 'r');
  return [
    sql<number>`(SELECT count(DISTINCT r.organization_id) FROM solidarity_responses r WHERE r.call_id = solidarity_calls.id AND ${visible})`,
    sql<number>`(SELECT count(DISTINCT o.country) FROM solidarity_responses r JOIN organizations o ON o.id = r.organization_id WHERE r.call_id = solidarity_calls.id AND ${visible})`,
    sql<number>`(SELECT count(*) FROM solidarity_responses r WHERE r.call_id = solidarity_calls.id AND ${visible})`,
  ];
}

/** 1 while the call is open on `today` (no deadline, or deadline ≥ today: the deadline day counts), else 0. */
function openFlag(today: string): RawBuilder<number> {
  return sql<number>`(CASE WHEN solidarity_calls.deadline IS NULL OR solidarity_calls.deadline >= ${today} THEN 1 ELSE 0 END)`;
}

/**
 * True when a call with this deadline (date-only, inclusive; null: no deadline) is still open on
 * `today` (a date-only value in the reader's zone, see `readerToday`).
 */
export function isOpen(deadline: string | null, today: string): boolean {
  return deadline === null || deadline >= today;
}

/** Today's date for a reader: in the account's time zone, UTC for anonymous readers. */
export function readerToday(viewer: Viewer | null): string {
  return todayIn(viewer?.timeZone ?? 'UTC');
}

/** Filters of the calls list (page and API). */
export interface CallFilters {
  /** ISO 3166-1 alpha-2 of the struggle's country. */
  country?: string;
  /** Only calls for this struggle (by id). */
  struggleId?: string;
  /** Every word must appear in the title or body (case-insensitive). */
  q?: string;
}

/** One call in a list. Dates are date-only; `created_at` an instant. */
export interface CallSummary {
  id: string;
  slug: string;
  title: string;
  lang: string;
  deadline: string | null;
  action_date: string | null;
  visibility: string;
  created_at: string;
  struggle: { slug: string; title: string; country: string; lang: string };
  asks: CallAsk[];
  /** Open on the `today` the list was read for. */
  open: boolean;
  answeredBy: AnsweredBy;
}

function filtered(db: Db, viewer: Viewer | null, f: CallFilters) {
  let q = visibleCalls(db, viewer);
  if (f.country) q = q.where('struggles.country', '=', f.country);
  if (f.struggleId) q = q.where('solidarity_calls.struggle_id', '=', f.struggleId);
  if (f.q) q = q.where(containsWords('solidarity_calls.search_text', f.q));
  return q;
}

/** The asks of each call, in `CALL_ASKS` order. */
async function asksOf(db: Db, ids: string[]): Promise<Map<string, CallAsk[]>> {
  const out = new Map<string, CallAsk[]>();
  if (!ids.length) return out;
  const rows = await db.selectFrom('solidarity_call_asks').select(['call_id', 'ask']).where('call_id', 'in', ids).execute();
  for (const id of ids) out.set(id, CALL_ASKS.filter((a) => rows.some((r) => r.call_id === id && r.ask === a)));
  return out;
}

/** Position of a call in the list order, for keyset pagination. */
export interface CallCursor {
  open: number;
  createdAt: string;
  id: string;
}

/**
 * Visible calls: open ones first (on `today`, date-only), then newest first; keyset-paginated on
 * (open, created_at, id) with `after` = the last row of the previous page.
 * @returns up to `limit` summaries with their asks and answered-by counts.
 */
export async function listCalls(
  db: Db,
  viewer: Viewer | null,
  f: CallFilters,
  page: { limit: number; today: string; after?: CallCursor },
): Promise<(CallSummary & { cursor: CallCursor })[]> {
  const open = openFlag(page.today);
  const [orgs, countries, responses] = answeredColumns(viewer);
  let q = filtered(db, viewer, f).select([
    'solidarity_calls.id',
    'solidarity_calls.slug',
    'solidarity_calls.title',
    'solidarity_calls.lang',
    'solidarity_calls.deadline',
    'solidarity_calls.action_date',
    'solidarity_calls.visibility',
    'solidarity_calls.created_at',
    'struggles.slug as struggle_slug',
    'struggles.title as struggle_title',
    'struggles.country as struggle_country',
    'struggles.lang as struggle_lang',
    open.as('open'),
    orgs.as('answered_orgs'),
    countries.as('answered_countries'),
    responses.as('answered_responses'),
  ]);
  if (page.after) {
    const a = page.after;
    q = q.where((eb) =>
      eb.or([
        eb(open, '<', a.open),
        eb.and([
          eb(open, '=', a.open),
          eb.or([eb('solidarity_calls.created_at', '<', a.createdAt), eb.and([eb('solidarity_calls.created_at', '=', a.createdAt), eb('solidarity_calls.id', '<', a.id)])]),
        ]),
      ]),
    );
  }
  const rows = await q.orderBy(open, 'desc').orderBy('solidarity_calls.created_at', 'desc').orderBy('solidarity_calls.id', 'desc').limit(page.limit).execute();
  const asks = await asksOf(db, rows.map((r) => r.id));
  return rows.map((r) => ({
    id: r.id,
    slug: r.slug,
    title: r.title,
    lang: r.lang,
    deadline: r.deadline,
    action_date: r.action_date,
    visibility: r.visibility,
    created_at: r.created_at,
    struggle: { slug: r.struggle_slug, title: r.struggle_title, country: r.struggle_country, lang: r.struggle_lang },
    asks: asks.get(r.id) ?? [],
    open: Number(r.open) === 1,
    answeredBy: { organizations: Number(r.answered_orgs), countries: Number(r.answered_countries), responses: Number(r.answered_responses) },
    cursor: { open: Number(r.open), createdAt: r.created_at, id: r.id },
  }));
}

/** Number of visible calls matching the filters. */
export async function countCalls(db: Db, viewer: Viewer | null, f: CallFilters): Promise<number> {
  const r = await filtered(db, viewer, f).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** A struggle's calls visible to the viewer (open first, newest first; at most 50) for the struggle's page. */
export async function listCallsForStruggle(db: Db, viewer: Viewer | null, struggleId: string, today: string): Promise<CallSummary[]> {
  return listCalls(db, viewer, { struggleId }, { limit: 50, today });
}

/** One response as pages and the API show it. `date` is date-only. */
export interface ResponseItem {
  id: string;
  kind: string;
  date: string;
  place: string | null;
  country: string | null;
  report: string | null;
  lang: string;
  link: string | null;
  visibility: string;
  created_at: string;
  /** The responding organization, null when the viewer may not see it (the response is still shown). */
  organization: { slug: string; name: string; country: string } | null;
  network: { slug: string; name: string } | null;
}

export interface CallDetail extends CallRow {
  struggle: { slug: string; title: string; country: string; lang: string };
  /** The owning issuer, null when the viewer may not see it. */
  organization: { slug: string; name: string } | null;
  /** Issuing organizations the viewer may see (owner first, then by name). */
  issuers: { slug: string; name: string; country: string }[];
  asks: CallAsk[];
  languages: string[];
  open: boolean;
  answeredBy: AnsweredBy;
  /** Responses the viewer may see, newest date first. */
  responses: ResponseItem[];
}

/**
 * The call with `slug`, if the viewer may see it and its struggle, with its issuers, asks,
 * languages and the responses the viewer may see. `today` (date-only) decides `open`.
 */
export async function getCallDetail(db: Db, viewer: Viewer | null, slug: string, today: string): Promise<CallDetail | undefined> {
  const row = await findCallRow(db, viewer, slug);
  if (!row) return undefined;
  const [struggle, issuers, asks, languages, responses] = await Promise.all([
    db.selectFrom('struggles').select(['slug', 'title', 'country', 'lang']).where('id', '=', row.struggle_id).executeTakeFirstOrThrow(),
    db
      .selectFrom('solidarity_call_issuers')
      .innerJoin('organizations', 'organizations.id', 'solidarity_call_issuers.organization_id')
      .select(['organizations.id', 'organizations.slug', 'organizations.name', 'organizations.country'])
      .where('solidarity_call_issuers.call_id', '=', row.id)
      .where(visibleWhere(viewer, 'organizations'))
      .orderBy('organizations.name')
      .execute(),
    asksOf(db, [row.id]),
    db.selectFrom('solidarity_call_languages').select('language').where('call_id', '=', row.id).orderBy('position').execute(),
    db
      .selectFrom('solidarity_responses')
      .leftJoin('organizations', (j) =>
        j.onRef('organizations.id', '=', 'solidarity_responses.organization_id').on(visibleWhere(viewer, 'organizations')),
      )
      .leftJoin('networks', 'networks.id', 'solidarity_responses.network_id')
      .select([
        'solidarity_responses.id',
        'solidarity_responses.kind',
        'solidarity_responses.date',
        'solidarity_responses.place',
        'solidarity_responses.country',
        'solidarity_responses.report',
        'solidarity_responses.lang',
        'solidarity_responses.link',
        'solidarity_responses.visibility',
        'solidarity_responses.created_at',
        'organizations.slug as org_slug',
        'organizations.name as org_name',
        'organizations.country as org_country',
        'networks.slug as network_slug',
        'networks.name as network_name',
      ])
      .where('solidarity_responses.call_id', '=', row.id)
      .where(visibleWhere(viewer, 'solidarity_responses'))
      .orderBy('solidarity_responses.date', 'desc')
      .orderBy('solidarity_responses.id', 'desc')
      .execute(),
  ]);
  const [orgs, countries, count] = answeredColumns(viewer);
  const answered = await db
    .selectFrom('solidarity_calls')
    .select([orgs.as('o'), countries.as('c'), count.as('n')])
    .where('solidarity_calls.id', '=', row.id)
    .executeTakeFirstOrThrow();
  const owner = issuers.find((i) => i.id === row.organization_id);
  return {
    ...row,
    struggle,
    organization: owner ? { slug: owner.slug, name: owner.name } : null,
    issuers: [...(owner ? [owner] : []), ...issuers.filter((i) => i !== owner)].map(({ slug, name, country }) => ({ slug, name, country })),
    asks: asks.get(row.id) ?? [],
    languages: languages.map((l) => l.language),
    open: isOpen(row.deadline, today),
    answeredBy: { organizations: Number(answered.o), countries: Number(answered.c), responses: Number(answered.n) },
    responses: responses.map((r) => ({
      id: r.id,
      kind: r.kind,
      date: r.date,
      place: r.place,
      country: r.country,
      report: r.report,
      lang: r.lang,
      link: r.link,
      visibility: r.visibility,
      created_at: r.created_at,
      organization: r.org_slug && r.org_name && r.org_country ? { slug: r.org_slug, name: r.org_name, country: r.org_country } : null,
      network: r.network_slug && r.network_name ? { slug: r.network_slug, name: r.network_name } : null,
    })),
  };
}

/**
 * Organizations the viewer may issue calls and record responses for (admin, coordinator or
 * member role; instance admins: their own roles only), by name.
 */
export async function publishingOrganizations(db: Db, viewer: Viewer | null): Promise<{ id: string; slug: string; name: string }[]> {
  if (!viewer) return [];
  const ids = [...viewer.roles].filter(([, r]) => r !== 'viewer').map(([id]) => id);
  if (!ids.length) return [];
  return db.selectFrom('organizations').select(['id', 'slug', 'name']).where('id', 'in', ids).orderBy('name').execute();
}

/**
 * Networks in which one of `organizationIds` is a current `member` or `coordinator` on `today`
 * (date-only), by name: the networks a response may be recorded on behalf of.
 */
export async function networksOfOrganizations(db: Db, organizationIds: string[], today: string): Promise<{ slug: string; name: string }[]> {
  if (!organizationIds.length) return [];
  return db
    .selectFrom('networks')
    .select(['networks.slug', 'networks.name'])
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('network_memberships')
          .select('network_memberships.id')
          .whereRef('network_memberships.network_id', '=', 'networks.id')
          .where('network_memberships.organization_id', 'in', organizationIds)
          .where('network_memberships.role', 'in', ['member', 'coordinator'])
          .where('network_memberships.since', '<=', today)
          .where((e) => e.or([e('network_memberships.until', 'is', null), e('network_memberships.until', '>=', today)])),
      ),
    )
    .orderBy('networks.name')
    .execute();
}
