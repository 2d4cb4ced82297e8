import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../db/client.ts';
import type { Viewer } from '../../http/viewer.ts';
import type { FollowTarget } from '../../db/schema.ts';
import { visibleWhere } from '../../db/visibility.ts';
import { todayIn } from '../../lib/time.ts';

// Notifications are not stored: they are what happened under the follows of the reader's
// organizations, read at request time through the same visibility rule as every page
// (`db/visibility.ts`). A record made private later, or a reader who left the organization,
// simply stops seeing the item; nothing has to be retracted.
//
// What a follow brings (only what was created at or after the follow, and never what the
// following organization did itself):
// - a struggle: its updates, calls for it, responses to those calls, action days for it and
//   the local actions registered for those days;
// - a call: its responses;
// - a network: new struggles, calls and responses of its current member organizations,
//   responses given on its behalf, action days called for it and their local actions;
// - a country: new struggles there, their updates, calls and responses, and local actions
//   registered there.

/** What happened. */
export const NOTIFICATION_KINDS = [
  'struggle_created',
  'struggle_update',
  'call_issued',
  'response_recorded',
  'action_day_called',
  'local_action_registered',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** One notification: an event and the follow that brought it. */
export interface Notification {
  kind: NotificationKind;
  /** Id of the record the event created (update, call, response, action day, local action, struggle). */
  eventId: string;
  /** When it was recorded (ISO 8601 UTC instant). */
  at: string;
  /** What the link goes to: a struggle for `struggle_*`, a call for `call_issued`/`response_recorded`, an action day otherwise. */
  subject: { type: 'struggle' | 'call' | 'action_day'; slug: string; title: string };
  /**
   * Kind-specific detail: the update text, the call's struggle title, the response kind,
   * the action day's date (`YYYY-MM-DD`, or `YYYY-MM-DD/YYYY-MM-DD` first and last for one of
   * several days: see `actionDayDates`), the local action's city; null for a new struggle.
   */
  detail: string | null;
  /** ISO 3166-1 alpha-2 code where the event has a place, else null. */
  country: string | null;
  /** The organization that did it (null for imported struggles without one). */
  actor: { slug: string; name: string } | null;
  /** The follow that brought it (the first one when several did). */
  reason: { organizationId: string; kind: FollowTarget; targetId: string };
}

/** Which notifications to read. */
export interface NotificationQuery {
  /** Only events recorded after this instant (exclusive). */
  after?: string | null;
  /** Only events recorded at or before this instant (inclusive). */
  until?: string | null;
  /** Keyset position: events strictly older than this (`at`, `eventId`) pair. */
  before?: { at: string; eventId: string } | null;
  /** Page size (default 50, at most 500). */
  limit?: number;
}

/** Organizations whose follows a viewer reads: every organization the account belongs to, any role. */
function readerOrganizations(viewer: Viewer): string[] {
  return [...viewer.roles.keys()];
}

/** The union of every kind of event matched with the follows of `orgIds`, visible to `viewer`. */
function events(viewer: Viewer, orgIds: string[], q: NotificationQuery): RawBuilder<unknown> {
  const today = todayIn('UTC');
  const v = (alias: string) => visibleWhere(viewer, alias);
  const followers = sql`f.organization_id IN (${sql.join(orgIds)})`;
  // The acting organization must be visible to the reader too (its name is shown), and is never the follower.
  const actor = (col: string) =>
    sql`(${sql.ref(col)} IS NULL OR (${sql.ref(col)} <> f.organization_id AND ${visibleWhere(viewer, 'o', { orgColumn: 'id' })}))`;
  const win = (col: string) => {
    const c = sql.ref(col);
    return sql.join(
      [
        sql`${c} >= f.created_at`,
        ...(q.after ? [sql`${c} > ${q.after}`] : []),
        ...(q.until ? [sql`${c} <= ${q.until}`] : []),
        ...(q.before ? [sql`(${c} < ${q.before.at} OR (${c} = ${q.before.at} AND ${sql.ref(col.replace(/\.\w+$/, '.id'))} < ${q.before.eventId}))`] : []),
      ],
      sql` AND `,
    );
  };
  const member = (org: RawBuilder<unknown>) => sql`EXISTS (SELECT 1 FROM network_memberships nm
      WHERE nm.organization_id = ${org} AND nm.network_id = f.target_id
        AND nm.since <= ${today} AND (nm.until IS NULL OR nm.until >= ${today}))`;
  const reason = sql`f.organization_id AS follower_id, f.target_kind AS target_kind, f.target_id AS target_id`;

  return sql`
    SELECT 'struggle_created' AS kind, s.id AS event_id, s.created_at AS at, s.slug AS subject_slug, s.title AS subject_title,
      CAST(NULL AS text) AS detail, s.country AS country, o.slug AS actor_slug, o.name AS actor_name, ${reason}
    FROM struggles s
    LEFT JOIN organizations o ON o.id = s.organization_id
    JOIN follows f ON ((f.target_kind = 'country' AND f.target_id = s.country)
      OR (f.target_kind = 'network' AND s.organization_id IS NOT NULL AND ${member(sql.ref('s.organization_id'))}))
    WHERE ${followers} AND ${win('s.created_at')} AND ${v('s')} AND ${actor('s.organization_id')}
    UNION ALL
    SELECT 'struggle_update', u.id, u.created_at, s.slug, s.title, u.body, s.country, o.slug, o.name, ${reason}
    FROM struggle_updates u
    JOIN struggles s ON s.id = u.struggle_id
    LEFT JOIN organizations o ON o.id = s.organization_id
    JOIN follows f ON ((f.target_kind = 'struggle' AND f.target_id = s.id) OR (f.target_kind = 'country' AND f.target_id = s.country))
    WHERE ${followers} AND ${win('u.created_at')} AND ${v('s')} AND ${actor('s.organization_id')}
    UNION ALL
    SELECT 'call_issued', c.id, c.created_at, c.slug, c.title, s.title, s.country, o.slug, o.name, ${reason}
    FROM solidarity_calls c
    JOIN struggles s ON s.id = c.struggle_id
    JOIN organizations o ON o.id = c.organization_id
    JOIN follows f ON ((f.target_kind = 'struggle' AND f.target_id = s.id) OR (f.target_kind = 'country' AND f.target_id = s.country)
      OR (f.target_kind = 'network' AND EXISTS (SELECT 1 FROM solidarity_call_issuers ci WHERE ci.call_id = c.id AND ${member(sql.ref('ci.organization_id'))})))
    WHERE ${followers} AND ${win('c.created_at')} AND ${v('c')} AND ${v('s')} AND ${actor('c.organization_id')}
    UNION ALL
    SELECT 'response_recorded', r.id, r.created_at, c.slug, c.title, r.kind, r.country, o.slug, o.name, ${reason}
    FROM solidarity_responses r
    JOIN solidarity_calls c ON c.id = r.call_id
    JOIN struggles s ON s.id = c.struggle_id
    JOIN organizations o ON o.id = r.organization_id
    JOIN follows f ON ((f.target_kind = 'call' AND f.target_id = c.id) OR (f.target_kind = 'struggle' AND f.target_id = s.id)
      OR (f.target_kind = 'country' AND f.target_id = s.country)
      OR (f.target_kind = 'network' AND (f.target_id = r.network_id OR ${member(sql.ref('r.organization_id'))})))
    WHERE ${followers} AND ${win('r.created_at')} AND ${v('r')} AND ${v('c')} AND ${v('s')} AND ${actor('r.organization_id')}
    UNION ALL
    SELECT 'action_day_called', d.id, d.created_at, d.slug, d.title,
      CASE WHEN d.end_date = d.start_date THEN CAST(d.start_date AS text) ELSE CAST(d.start_date AS text) || '/' || CAST(d.end_date AS text) END,
      CAST(NULL AS text), o.slug, o.name, ${reason}
    FROM action_days d
    JOIN organizations o ON o.id = d.organization_id
    JOIN follows f ON ((f.target_kind = 'network' AND f.target_id = d.network_id) OR (f.target_kind = 'struggle' AND f.target_id = d.struggle_id))
    WHERE ${followers} AND ${win('d.created_at')} AND ${v('d')} AND ${actor('d.organization_id')}
    UNION ALL
    SELECT 'local_action_registered', l.id, l.created_at, d.slug, d.title, l.city, l.country, o.slug, o.name, ${reason}
    FROM local_actions l
    JOIN action_days d ON d.id = l.action_day_id
    JOIN organizations o ON o.id = l.organization_id
    JOIN follows f ON ((f.target_kind = 'country' AND f.target_id = l.country)
      OR (f.target_kind = 'network' AND f.target_id = d.network_id) OR (f.target_kind = 'struggle' AND f.target_id = d.struggle_id))
    WHERE ${followers} AND ${win('l.created_at')} AND ${v('l')} AND ${v('d')} AND ${actor('l.organization_id')}`;
}

const SUBJECT_TYPE: Record<NotificationKind, Notification['subject']['type']> = {
  struggle_created: 'struggle',
  struggle_update: 'struggle',
  call_issued: 'call',
  response_recorded: 'call',
  action_day_called: 'action_day',
  local_action_registered: 'action_day',
};

interface EventRow {
  kind: NotificationKind;
  event_id: string;
  at: string;
  subject_slug: string;
  subject_title: string;
  detail: string | null;
  country: string | null;
  actor_slug: string | null;
  actor_name: string | null;
  reason: string;
}

/**
 * The viewer's notifications, newest first: events under the follows of every organization the
 * account belongs to, that the viewer may see. An event several follows bring is listed once.
 * Instants in `q` are ISO 8601 UTC.
 * @returns at most `q.limit` notifications (default 50); empty for anonymous readers.
 */
export async function listNotifications(db: Db, viewer: Viewer | null, q: NotificationQuery = {}): Promise<Notification[]> {
  if (!viewer) return [];
  const orgIds = readerOrganizations(viewer);
  if (!orgIds.length) return [];
  const limit = Math.min(Math.max(1, Math.trunc(q.limit ?? 50)), 500);
  const { rows } = await sql<EventRow>`
    SELECT kind, event_id, at, subject_slug, subject_title, detail, country, actor_slug, actor_name,
      MIN(follower_id || '|' || target_kind || '|' || target_id) AS reason
    FROM (${events(viewer, orgIds, q)}) e
    GROUP BY kind, event_id, at, subject_slug, subject_title, detail, country, actor_slug, actor_name
    ORDER BY at DESC, event_id DESC
    LIMIT ${limit}`.execute(db);
  return rows.map((r) => {
    const [organizationId, kind, targetId] = r.reason.split('|') as [string, FollowTarget, string];
    return {
      kind: r.kind,
      eventId: r.event_id,
      at: r.at,
      subject: { type: SUBJECT_TYPE[r.kind], slug: r.subject_slug, title: r.subject_title },
      detail: r.detail,
      country: r.country,
      actor: r.actor_slug && r.actor_name ? { slug: r.actor_slug, name: r.actor_name } : null,
      reason: { organizationId, kind, targetId },
    };
  });
}

/**
 * How many notifications the viewer has not read: events after the account's
 * `notifications_read_at` (all since the follows when never read), counted up to `cap`.
 * @returns 0..cap; `cap` means "cap or more".
 */
export async function countUnread(db: Db, viewer: Viewer | null, cap = 100): Promise<number> {
  if (!viewer) return 0;
  const orgIds = readerOrganizations(viewer);
  if (!orgIds.length) return 0;
  const user = await db.selectFrom('users').select('notifications_read_at').where('id', '=', viewer.userId).executeTakeFirst();
  const { rows } = await sql<{ n: number | string }>`
    SELECT COUNT(*) AS n FROM (
      SELECT DISTINCT kind, event_id FROM (${events(viewer, orgIds, { after: user?.notifications_read_at ?? null })}) e LIMIT ${cap}
    ) x`.execute(db);
  return Number(rows[0]?.n ?? 0);
}

/** When the account last marked its notifications read (ISO 8601 UTC), or null. */
export async function notificationsReadAt(db: Db, userId: string): Promise<string | null> {
  const row = await db.selectFrom('users').select('notifications_read_at').where('id', '=', userId).executeTakeFirst();
  return row?.notifications_read_at ?? null;
}

/**
 * Marks every notification up to `at` (ISO 8601 UTC instant, default now) read for the account.
 * Never moves the mark backwards.
 */
export async function markNotificationsRead(db: Db, userId: string, at: string): Promise<void> {
  await db
    .updateTable('users')
    .set({ notifications_read_at: at })
    .where('id', '=', userId)
    .where((eb) => eb.or([eb('notifications_read_at', 'is', null), eb('notifications_read_at', '<', at)]))
    .execute();
}
