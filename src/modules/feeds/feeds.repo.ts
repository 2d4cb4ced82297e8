import { sql, type Expression, type RawBuilder, type SqlBool } from 'kysely';
import type { Db } from '../../db/client.ts';
import type { LocalActionKind, ResponseKind } from '../../db/schema.ts';
import type { Viewer } from '../../http/viewer.ts';
import { visibleWhere } from '../../db/visibility.ts';

// Feeds are read without a session (calendar clients and feed readers send none), so by default
// every query here filters with `visibleWhere(null, …)`: public records only. A feed URL with a
// personal feed token (modules/feed-tokens) passes that account's viewer instead, and the same
// queries filter with `visibleWhere(viewer, …)`. Either way an item is in a feed only when the
// records it hangs under are visible too (a local action's action day; an update's, call's or
// response's struggle; a response's call) and when its owning organization is visible: a feed
// names the owner (author, description), and the name of a members-only organization is not for
// other readers. Imported struggles without an owner are public data.

/** The visibility filters of one reader: records (`rec`) and organizations (`org`, owner = itself). */
interface Reader {
  rec(alias: string): Expression<SqlBool>;
  org(alias: string): Expression<SqlBool>;
}

/**
 * Filters for `viewer`; without one (anonymous) both are `alias.visibility = 'public'`, the
 * SQL the public feeds have always used.
 */
function reader(viewer: Viewer | null | undefined): Reader {
  if (!viewer) {
    const pub = (alias: string): Expression<SqlBool> => visibleWhere(null, alias, { hasCreator: false });
    return { rec: pub, org: pub };
  }
  return { rec: (alias) => visibleWhere(viewer, alias), org: (alias) => visibleWhere(viewer, alias, { orgColumn: 'id' }) };
}

/**
 * An organization by address name, when the reader may see it (anonymous: public only; a
 * members-only one is not found, like a missing one).
 * @param viewer the account a feed token reads as; absent or null: anonymous.
 */
export async function findPublicOrganization(db: Db, slug: string, viewer?: Viewer | null): Promise<{ id: string; slug: string; name: string; updated_at: string } | undefined> {
  return db.selectFrom('organizations').select(['id', 'slug', 'name', 'updated_at']).where('slug', '=', slug).where(reader(viewer).org('organizations')).executeTakeFirst();
}

/** A network by address name (networks have no visibility of their own: they are public). */
export async function findNetwork(db: Db, slug: string): Promise<{ id: string; slug: string; name: string; updated_at: string } | undefined> {
  return db.selectFrom('networks').select(['id', 'slug', 'name', 'updated_at']).where('slug', '=', slug).executeTakeFirst();
}

/**
 * Ids of the organizations the reader may see (anonymous: public ones) with a membership of
 * `networkId` current on `today` (date-only; `since ≤ today ≤ until`, `until` null meaning
 * open-ended), as a subquery. Members the reader may not see are left out, so no feed reveals
 * that they belong to the network.
 */
function currentPublicMembers(networkId: string, today: string, r: Reader): RawBuilder<unknown> {
  return sql`(SELECT nm.organization_id FROM network_memberships nm
    JOIN organizations mo ON mo.id = nm.organization_id
    WHERE nm.network_id = ${networkId} AND nm.since <= ${today}
      AND (nm.until IS NULL OR nm.until >= ${today}) AND ${r.org('mo')})`;
}

// ---------------------------------------------------------------------------------------------
// Calendars

/** An action day as a calendar shows it. Dates are date-only, `end_date` inclusive. */
export interface CalendarActionDay {
  id: string;
  slug: string;
  title: string;
  call_text: string;
  start_date: string;
  end_date: string;
  updated_at: string;
  organization_name: string;
}

/** A local action as a calendar shows it (never its contact: that is for participants). */
export interface CalendarLocalAction {
  id: string;
  title: string;
  kind: LocalActionKind;
  city: string;
  country: string;
  venue: string | null;
  all_day: number;
  /** ISO 8601 UTC instants; null when all-day. */
  starts_at: string | null;
  ends_at: string | null;
  /** Date-only, inclusive. */
  start_date: string;
  end_date: string;
  updated_at: string;
  organization_name: string;
  action_day_slug: string;
  action_day_title: string;
}

/**
 * What a calendar covers: one action day, an organization's, a network's, or the followed set of
 * some organizations (`following`: the action days called for networks they follow or linked to
 * struggles they follow, with their local actions, and the local actions registered in countries
 * they follow; `organizationIds` non-empty).
 */
export type CalendarScope =
  | { kind: 'action_day'; actionDayId: string }
  | { kind: 'organization'; organizationId: string }
  | { kind: 'network'; networkId: string; today: string }
  | { kind: 'following'; organizationIds: string[] };

/** The action day (alias `action_days`) is called for a network or linked to a struggle one of `orgIds` follows. */
function followedDay(orgIds: string[]): Expression<SqlBool> {
  return sql<SqlBool>`EXISTS (SELECT 1 FROM follows f WHERE f.organization_id IN (${sql.join(orgIds)})
    AND ((f.target_kind = 'network' AND f.target_id = action_days.network_id)
      OR (f.target_kind = 'struggle' AND f.target_id = action_days.struggle_id)))`;
}

/** Upper bound of events of each kind in one calendar (the most recent ones by date). */
const CALENDAR_LIMIT = 1000;

/**
 * An action day the reader may see, called by an organization the reader may see, by address
 * name (anonymous: both public).
 * @param viewer the account a feed token reads as; absent or null: anonymous.
 */
export async function findPublicActionDay(db: Db, slug: string, viewer?: Viewer | null): Promise<CalendarActionDay | undefined> {
  return actionDaysQuery(db, reader(viewer)).where('action_days.slug', '=', slug).executeTakeFirst();
}

function actionDaysQuery(db: Db, r: Reader) {
  return db
    .selectFrom('action_days')
    .innerJoin('organizations as day_owner', 'day_owner.id', 'action_days.organization_id')
    .select([
      'action_days.id',
      'action_days.slug',
      'action_days.title',
      'action_days.call_text',
      'action_days.start_date',
      'action_days.end_date',
      'action_days.updated_at',
      'day_owner.name as organization_name',
    ])
    .where(r.rec('action_days'))
    .where(r.org('day_owner'));
}

/**
 * Action days of a scope the reader may see (anonymous: public ones): the one action day, those
 * an organization calls, those called on behalf of a network, or those of a followed set. Most
 * recent first, at most `CALENDAR_LIMIT`.
 * @param viewer the account a feed token reads as; absent or null: anonymous.
 */
export async function calendarActionDays(db: Db, scope: CalendarScope, viewer?: Viewer | null): Promise<CalendarActionDay[]> {
  let q = actionDaysQuery(db, reader(viewer));
  if (scope.kind === 'action_day') q = q.where('action_days.id', '=', scope.actionDayId);
  else if (scope.kind === 'organization') q = q.where('action_days.organization_id', '=', scope.organizationId);
  else if (scope.kind === 'following') q = q.where(followedDay(scope.organizationIds));
  else q = q.where('action_days.network_id', '=', scope.networkId);
  return q.orderBy('action_days.start_date', 'desc').orderBy('action_days.id', 'desc').limit(CALENDAR_LIMIT).execute();
}

/**
 * Local actions of a scope the reader may see (anonymous: public ones), each on an action day
 * and registered by an organization the reader may see: those on the action day; those the
 * organization registers (on any such action day); those of the network's current member
 * organizations on the action days called on behalf of the network; for a followed set, those on
 * its action days and those registered in its followed countries. Most recent first, at most
 * `CALENDAR_LIMIT`.
 * @param viewer the account a feed token reads as; absent or null: anonymous.
 */
export async function calendarLocalActions(db: Db, scope: CalendarScope, viewer?: Viewer | null): Promise<CalendarLocalAction[]> {
  const r = reader(viewer);
  let q = db
    .selectFrom('local_actions')
    .innerJoin('action_days', 'action_days.id', 'local_actions.action_day_id')
    .innerJoin('organizations as owner', 'owner.id', 'local_actions.organization_id')
    .innerJoin('organizations as day_owner', 'day_owner.id', 'action_days.organization_id')
    .select([
      'local_actions.id',
      'local_actions.title',
      'local_actions.kind',
      'local_actions.city',
      'local_actions.country',
      'local_actions.venue',
      'local_actions.all_day',
      'local_actions.starts_at',
      'local_actions.ends_at',
      'local_actions.start_date',
      'local_actions.end_date',
      'local_actions.updated_at',
      'owner.name as organization_name',
      'action_days.slug as action_day_slug',
      'action_days.title as action_day_title',
    ])
    .where(r.rec('local_actions'))
    .where(r.rec('action_days'))
    .where(r.org('owner'))
    .where(r.org('day_owner'));
  if (scope.kind === 'action_day') q = q.where('local_actions.action_day_id', '=', scope.actionDayId);
  else if (scope.kind === 'organization') q = q.where('local_actions.organization_id', '=', scope.organizationId);
  else if (scope.kind === 'following') {
    q = q.where(sql<SqlBool>`(${followedDay(scope.organizationIds)} OR EXISTS (SELECT 1 FROM follows f
      WHERE f.organization_id IN (${sql.join(scope.organizationIds)}) AND f.target_kind = 'country' AND f.target_id = local_actions.country))`);
  } else {
    q = q
      .where('action_days.network_id', '=', scope.networkId)
      .where(sql<SqlBool>`local_actions.organization_id IN ${currentPublicMembers(scope.networkId, scope.today, r)}`);
  }
  return q.orderBy('local_actions.start_date', 'desc').orderBy('local_actions.id', 'desc').limit(CALENDAR_LIMIT).execute();
}

// ---------------------------------------------------------------------------------------------
// Atom

/** What an Atom feed covers. */
export type AtomScope =
  | { kind: 'organization'; organizationId: string }
  | { kind: 'network'; networkId: string; today: string }
  | { kind: 'country'; country: string };

/** The organizations whose struggles, calls and responses a scope follows (org and network scopes). */
function scopeOrganizations(scope: AtomScope, r: Reader): RawBuilder<unknown> | null {
  if (scope.kind === 'organization') return sql`(${scope.organizationId})`;
  if (scope.kind === 'network') return currentPublicMembers(scope.networkId, scope.today, r);
  return null;
}

/** The scope's struggles: owned by or linked to its organizations, or in its country. */
function struggleInScope(scope: AtomScope, r: Reader): Expression<SqlBool> {
  const orgs = scopeOrganizations(scope, r);
  if (!orgs) return sql<SqlBool>`struggles.country = ${scope.kind === 'country' ? scope.country : ''}`;
  return sql<SqlBool>`(struggles.organization_id IN ${orgs} OR EXISTS (
    SELECT 1 FROM struggle_organizations so JOIN organizations lo ON lo.id = so.organization_id
    WHERE so.struggle_id = struggles.id AND so.organization_id IN ${orgs} AND ${r.org('lo')}))`;
}

/** The scope's calls: on its struggles, or (org and network scopes) issued by its organizations. */
function callInScope(scope: AtomScope, r: Reader): Expression<SqlBool> {
  const orgs = scopeOrganizations(scope, r);
  if (!orgs) return struggleInScope(scope, r);
  return sql<SqlBool>`(${struggleInScope(scope, r)} OR EXISTS (
    SELECT 1 FROM solidarity_call_issuers sci WHERE sci.call_id = solidarity_calls.id AND sci.organization_id IN ${orgs}))`;
}

/** The scope's responses: to its calls, made by its organizations, for its network, or in its country. */
function responseInScope(scope: AtomScope, r: Reader): Expression<SqlBool> {
  const orgs = scopeOrganizations(scope, r);
  const own =
    scope.kind === 'country'
      ? sql`solidarity_responses.country = ${scope.country}`
      : scope.kind === 'network'
        ? sql`(solidarity_responses.organization_id IN ${orgs} OR solidarity_responses.network_id = ${scope.networkId})`
        : sql`solidarity_responses.organization_id IN ${orgs}`;
  return sql<SqlBool>`(${callInScope(scope, r)} OR ${own})`;
}

/** A struggle the reader may see whose owner, if any, the reader may see (anonymous: both public). */
function strugglePublic(r: Reader): Expression<SqlBool> {
  return sql<SqlBool>`(${r.rec('struggles')} AND (struggles.organization_id IS NULL OR ${r.org('struggle_owner')}))`;
}

export interface AtomStruggle {
  id: string;
  slug: string;
  title: string;
  demands: string | null;
  country: string;
  start_date: string;
  updated_at: string;
  organization_name: string | null;
  organization_slug: string | null;
}

export interface AtomStruggleUpdate {
  id: string;
  date: string;
  body: string;
  created_at: string;
  struggle_slug: string;
  struggle_title: string;
  organization_name: string | null;
  organization_slug: string | null;
}

export interface AtomCall {
  id: string;
  slug: string;
  title: string;
  body: string;
  deadline: string | null;
  updated_at: string;
  struggle_title: string;
  organization_name: string;
  organization_slug: string;
}

export interface AtomResponse {
  id: string;
  kind: ResponseKind;
  date: string;
  place: string | null;
  country: string | null;
  report: string | null;
  updated_at: string;
  call_slug: string;
  call_title: string;
  organization_name: string;
  organization_slug: string;
}

export interface AtomItems {
  struggles: AtomStruggle[];
  updates: AtomStruggleUpdate[];
  calls: AtomCall[];
  responses: AtomResponse[];
}

/**
 * The records of a scope the reader may see (anonymous: public ones) for its Atom feed, each
 * kind newest first (by `updated_at`, for updates `created_at`; then id) and at most `limit` of
 * each: the caller merges them.
 * @param viewer the account a feed token reads as; absent or null: anonymous.
 */
export async function atomItems(db: Db, scope: AtomScope, limit: number, viewer?: Viewer | null): Promise<AtomItems> {
  const r = reader(viewer);
  const [struggles, updates, calls, responses] = await Promise.all([
    db
      .selectFrom('struggles')
      .leftJoin('organizations as struggle_owner', 'struggle_owner.id', 'struggles.organization_id')
      .select([
        'struggles.id',
        'struggles.slug',
        'struggles.title',
        'struggles.demands',
        'struggles.country',
        'struggles.start_date',
        'struggles.updated_at',
        'struggle_owner.name as organization_name',
        'struggle_owner.slug as organization_slug',
      ])
      .where(strugglePublic(r))
      .where(struggleInScope(scope, r))
      .orderBy('struggles.updated_at', 'desc')
      .orderBy('struggles.id', 'desc')
      .limit(limit)
      .execute(),
    db
      .selectFrom('struggle_updates')
      .innerJoin('struggles', 'struggles.id', 'struggle_updates.struggle_id')
      .leftJoin('organizations as struggle_owner', 'struggle_owner.id', 'struggles.organization_id')
      .select([
        'struggle_updates.id',
        'struggle_updates.date',
        'struggle_updates.body',
        'struggle_updates.created_at',
        'struggles.slug as struggle_slug',
        'struggles.title as struggle_title',
        'struggle_owner.name as organization_name',
        'struggle_owner.slug as organization_slug',
      ])
      .where(strugglePublic(r))
      .where(struggleInScope(scope, r))
      .orderBy('struggle_updates.created_at', 'desc')
      .orderBy('struggle_updates.id', 'desc')
      .limit(limit)
      .execute(),
    db
      .selectFrom('solidarity_calls')
      .innerJoin('struggles', 'struggles.id', 'solidarity_calls.struggle_id')
      .leftJoin('organizations as struggle_owner', 'struggle_owner.id', 'struggles.organization_id')
      .innerJoin('organizations as call_owner', 'call_owner.id', 'solidarity_calls.organization_id')
      .select([
        'solidarity_calls.id',
        'solidarity_calls.slug',
        'solidarity_calls.title',
        'solidarity_calls.body',
        'solidarity_calls.deadline',
        'solidarity_calls.updated_at',
        'struggles.title as struggle_title',
        'call_owner.name as organization_name',
        'call_owner.slug as organization_slug',
      ])
      .where(r.rec('solidarity_calls'))
      .where(r.org('call_owner'))
      .where(strugglePublic(r))
      .where(callInScope(scope, r))
      .orderBy('solidarity_calls.updated_at', 'desc')
      .orderBy('solidarity_calls.id', 'desc')
      .limit(limit)
      .execute(),
    db
      .selectFrom('solidarity_responses')
      .innerJoin('solidarity_calls', 'solidarity_calls.id', 'solidarity_responses.call_id')
      .innerJoin('struggles', 'struggles.id', 'solidarity_calls.struggle_id')
      .leftJoin('organizations as struggle_owner', 'struggle_owner.id', 'struggles.organization_id')
      .innerJoin('organizations as call_owner', 'call_owner.id', 'solidarity_calls.organization_id')
      .innerJoin('organizations as response_owner', 'response_owner.id', 'solidarity_responses.organization_id')
      .select([
        'solidarity_responses.id',
        'solidarity_responses.kind',
        'solidarity_responses.date',
        'solidarity_responses.place',
        'solidarity_responses.country',
        'solidarity_responses.report',
        'solidarity_responses.updated_at',
        'solidarity_calls.slug as call_slug',
        'solidarity_calls.title as call_title',
        'response_owner.name as organization_name',
        'response_owner.slug as organization_slug',
      ])
      .where(r.rec('solidarity_responses'))
      .where(r.org('response_owner'))
      .where(r.rec('solidarity_calls'))
      .where(r.org('call_owner'))
      .where(strugglePublic(r))
      .where(responseInScope(scope, r))
      .orderBy('solidarity_responses.updated_at', 'desc')
      .orderBy('solidarity_responses.id', 'desc')
      .limit(limit)
      .execute(),
  ]);
  return { struggles, updates, calls, responses };
}
