import type { Selectable } from 'kysely';
import type { Db } from '../../db/client.ts';
import type { Viewer } from '../../http/viewer.ts';
import type { ActionDaysTable, LocalActionsTable } from '../../db/schema.ts';
import { visibleWhere } from '../../db/visibility.ts';

// Every query here filters action days and local actions with `visibleWhere` (db/visibility.ts):
// lists, details, counts, the participation table and the map all see the same rows. A local
// action's owner is the participating organization, so a members-only local action stays hidden
// from outsiders even on a public action day.

export type ActionDayRow = Selectable<ActionDaysTable>;
export type LocalActionRow = Selectable<LocalActionsTable>;

/** The action day with `slug` if the viewer may see it. */
export async function findActionDayRow(db: Db, viewer: Viewer | null, slug: string): Promise<ActionDayRow | undefined> {
  return db.selectFrom('action_days').selectAll().where('slug', '=', slug).where(visibleWhere(viewer, 'action_days')).executeTakeFirst();
}

export interface ActionDaySummary {
  id: string;
  slug: string;
  title: string;
  lang: string;
  /** Date-only, inclusive. */
  start_date: string;
  end_date: string;
  visibility: string;
  /** Local actions on it the viewer may see. */
  local_actions: number;
}

/**
 * Position in the list: `upcoming` days (end date ≥ `today`) come first, soonest first, ordered by
 * (start_date, id) ascending; then `past` days, most recent first, by (start_date, id) descending.
 */
export interface ActionDayCursor {
  part: 'upcoming' | 'past';
  startDate: string;
  id: string;
}

function summaries(db: Db, viewer: Viewer | null) {
  return db
    .selectFrom('action_days')
    .where(visibleWhere(viewer, 'action_days'))
    .select((eb) => [
      'action_days.id',
      'action_days.slug',
      'action_days.title',
      'action_days.lang',
      'action_days.start_date',
      'action_days.end_date',
      'action_days.visibility',
      eb
        .selectFrom('local_actions')
        .select((e) => e.fn.countAll<number>().as('n'))
        .whereRef('local_actions.action_day_id', '=', 'action_days.id')
        .where(visibleWhere(viewer, 'local_actions'))
        .as('local_actions'),
    ]);
}

/**
 * Visible action days, upcoming first (see {@link ActionDayCursor}), keyset-paginated.
 * @param today date-only `YYYY-MM-DD`: days ending before it are past.
 * @returns up to `limit` rows, each with the part it belongs to.
 */
export async function listActionDays(
  db: Db,
  viewer: Viewer | null,
  page: { today: string; limit: number; after?: ActionDayCursor },
): Promise<(ActionDaySummary & { part: 'upcoming' | 'past' })[]> {
  const out: (ActionDaySummary & { part: 'upcoming' | 'past' })[] = [];
  const a = page.after;
  if (!a || a.part === 'upcoming') {
    let q = summaries(db, viewer).where('action_days.end_date', '>=', page.today);
    if (a) q = q.where((eb) => eb.or([eb('action_days.start_date', '>', a.startDate), eb.and([eb('action_days.start_date', '=', a.startDate), eb('action_days.id', '>', a.id)])]));
    const rows = await q.orderBy('action_days.start_date').orderBy('action_days.id').limit(page.limit).execute();
    out.push(...rows.map((r) => ({ ...r, local_actions: Number(r.local_actions ?? 0), part: 'upcoming' as const })));
  }
  if (out.length < page.limit) {
    let q = summaries(db, viewer).where('action_days.end_date', '<', page.today);
    if (a && a.part === 'past')
      q = q.where((eb) => eb.or([eb('action_days.start_date', '<', a.startDate), eb.and([eb('action_days.start_date', '=', a.startDate), eb('action_days.id', '<', a.id)])]));
    const rows = await q.orderBy('action_days.start_date', 'desc').orderBy('action_days.id', 'desc').limit(page.limit - out.length).execute();
    out.push(...rows.map((r) => ({ ...r, local_actions: Number(r.local_actions ?? 0), part: 'past' as const })));
  }
  return out;
}

/** Number of visible action days. */
export async function countActionDays(db: Db, viewer: Viewer | null): Promise<number> {
  const r = await db.selectFrom('action_days').where(visibleWhere(viewer, 'action_days')).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** A local action as shown, with its organization when the viewer may see that organization. */
export interface LocalActionView extends LocalActionRow {
  organization: { slug: string; name: string } | null;
}

export interface ActionDayDetail extends ActionDayRow {
  organization: { slug: string; name: string } | null;
  network: { slug: string; name: string } | null;
  struggle: { slug: string; title: string } | null;
  /** Visible local actions by start (all-day ones by date first), then country and city; one page of them when paged. */
  localActions: LocalActionView[];
  /** How many visible local actions match (all pages; the country filter applied). */
  localActionTotal: number;
  /** Visible local actions per country (ISO 3166-1 alpha-2), most first; counted in SQL. */
  byCountry: CountryParticipation[];
}

/** One row of an action day's participation table. */
export interface CountryParticipation {
  /** ISO 3166-1 alpha-2. */
  country: string;
  /** Visible local actions in the country. */
  count: number;
  /**
   * Sum of the expected participants the visible local actions state; an action without a number
   * adds nothing (it is unknown, not zero). Null when none of them states a number.
   */
  participants: number | null;
}

/**
 * Visible local actions of an action day, counted per country (in SQL, with the same filter).
 * Expected participants are summed over the actions that state a number (SQL `SUM` skips nulls;
 * it is null when all are null).
 */
export async function countLocalActionsByCountry(db: Db, viewer: Viewer | null, actionDayId: string): Promise<CountryParticipation[]> {
  const rows = await db
    .selectFrom('local_actions')
    .where('local_actions.action_day_id', '=', actionDayId)
    .where(visibleWhere(viewer, 'local_actions'))
    .select((eb) => ['local_actions.country', eb.fn.countAll<number>().as('count'), eb.fn.sum<number | null>('local_actions.expected_participants').as('participants')])
    .groupBy('local_actions.country')
    .orderBy('count', 'desc')
    .orderBy('local_actions.country')
    .execute();
  return rows.map((r) => ({ country: r.country, count: Number(r.count), participants: r.participants === null ? null : Number(r.participants) }));
}

/** Which local actions of an action day to load: a page of them, optionally of one country. */
export interface LocalActionPage {
  /** ISO 3166-1 alpha-2; only this country's local actions (the country table stays complete). */
  country?: string;
  /** Skip this many (0-based position in the list order). */
  offset?: number;
  /** At most this many; all when absent. */
  limit?: number;
}

/** An action day with its references and the local actions the viewer may see (all, or one page). */
export async function getActionDayDetail(db: Db, viewer: Viewer | null, slug: string, page: LocalActionPage = {}): Promise<ActionDayDetail | undefined> {
  const row = await findActionDayRow(db, viewer, slug);
  if (!row) return undefined;
  const orgVisible = visibleWhere(viewer, 'organizations', { orgColumn: 'id' });
  const [organization, network, struggle, actions, byCountry] = await Promise.all([
    db.selectFrom('organizations').select(['slug', 'name']).where('id', '=', row.organization_id).where(orgVisible).executeTakeFirst(),
    row.network_id ? db.selectFrom('networks').select(['slug', 'name']).where('id', '=', row.network_id).executeTakeFirst() : undefined,
    row.struggle_id
      ? db.selectFrom('struggles').select(['slug', 'title']).where('id', '=', row.struggle_id).where(visibleWhere(viewer, 'struggles')).executeTakeFirst()
      : undefined,
    db
      .selectFrom('local_actions')
      .leftJoin('organizations', (j) => j.onRef('organizations.id', '=', 'local_actions.organization_id').on(orgVisible))
      .selectAll('local_actions')
      .select(['organizations.slug as org_slug', 'organizations.name as org_name'])
      .where('local_actions.action_day_id', '=', row.id)
      .where(visibleWhere(viewer, 'local_actions'))
      .$if(page.country !== undefined, (q) => q.where('local_actions.country', '=', page.country!))
      .$if(page.limit !== undefined, (q) => q.limit(page.limit!).offset(page.offset ?? 0))
      .orderBy('local_actions.start_date')
      .orderBy('local_actions.all_day', 'desc')
      .orderBy('local_actions.starts_at')
      .orderBy('local_actions.country')
      .orderBy('local_actions.city')
      .orderBy('local_actions.id')
      .execute(),
    countLocalActionsByCountry(db, viewer, row.id),
  ]);
  const localActions = actions.map(({ org_slug, org_name, ...a }) => ({
    ...a,
    all_day: Number(a.all_day),
    expected_participants: a.expected_participants === null ? null : Number(a.expected_participants),
    organization: org_slug && org_name ? { slug: org_slug, name: org_name } : null,
  }));
  const localActionTotal = page.country !== undefined ? (byCountry.find((c) => c.country === page.country)?.count ?? 0) : byCountry.reduce((n, c) => n + c.count, 0);
  return { ...row, organization: organization ?? null, network: network ?? null, struggle: struggle ?? null, localActions, localActionTotal, byCountry };
}

/**
 * One local action of a visible action day, if the viewer may see both, with its organization
 * (slug and name) when the viewer may see that organization. `actionDaySlug` and `id` come from
 * a URL: values no record can have (empty, over 200 characters, control characters such as NUL,
 * which PostgreSQL refuses in text, or lone surrogates) are simply not found.
 * @returns the action day row and the local action (numbers as numbers), or undefined.
 */
export async function findLocalAction(
  db: Db,
  viewer: Viewer | null,
  actionDaySlug: string,
  id: string,
): Promise<{ day: ActionDayRow; action: LocalActionView } | undefined> {
  if (!isLookupKey(actionDaySlug) || !isLookupKey(id)) return undefined;
  const day = await findActionDayRow(db, viewer, actionDaySlug);
  if (!day) return undefined;
  const row = await db
    .selectFrom('local_actions')
    .leftJoin('organizations', (j) => j.onRef('organizations.id', '=', 'local_actions.organization_id').on(visibleWhere(viewer, 'organizations', { orgColumn: 'id' })))
    .selectAll('local_actions')
    .select(['organizations.slug as org_slug', 'organizations.name as org_name'])
    .where('local_actions.id', '=', id)
    .where('local_actions.action_day_id', '=', day.id)
    .where(visibleWhere(viewer, 'local_actions'))
    .executeTakeFirst();
  if (!row) return undefined;
  const { org_slug, org_name, ...a } = row;
  return {
    day,
    action: {
      ...a,
      all_day: Number(a.all_day),
      expected_participants: a.expected_participants === null ? null : Number(a.expected_participants),
      organization: org_slug && org_name ? { slug: org_slug, name: org_name } : null,
    },
  };
}

/** True when `value` could be a slug or an id at all (see {@link findLocalAction}). */
function isLookupKey(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 200 && value.isWellFormed() && !/[\u0000-\u001F\u007F]/.test(value);
}
