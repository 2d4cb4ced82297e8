import type { Db } from '../../db/client.ts';
import type { Viewer } from '../../http/viewer.ts';

/** One audit log entry as the log viewer shows it. */
export interface AuditEntry {
  id: string;
  /** ISO 8601 UTC instant. */
  at: string;
  /** Null for the CLI, importers and the system. */
  actor: { id: string; displayName: string; erased: boolean } | null;
  /** First 16 hex digits of the acting session's hash, or null. */
  sessionRef: string | null;
  organizationId: string | null;
  action: string;
  subjectType: string;
  subjectId: string | null;
  /** Name (organization, network, account), title (struggle) or null when the subject is gone or has no name. */
  subjectName: string | null;
  /** Slug of an organization, network or struggle subject, for a link; null otherwise. */
  subjectSlug: string | null;
  /** The subject is an account that was erased (shown as "former member"). */
  subjectErased: boolean;
  details: Record<string, unknown>;
}

/** Keyset position in the newest-first order: instant and id of the last row shown. */
export interface AuditCursor {
  at: string;
  id: string;
}

/** The organization's audit log may be read by its admins (effective role) and instance admins. */
export function canReadAuditLog(viewer: Viewer | null, organizationId: string): boolean {
  if (!viewer) return false;
  return viewer.isAdmin || viewer.roles.get(organizationId) === 'admin';
}

/** The organization with `slug` (id, slug, name) regardless of visibility; the caller checks access. */
export async function findOrganizationBySlug(db: Db, slug: string): Promise<{ id: string; slug: string; name: string } | undefined> {
  return db.selectFrom('organizations').select(['id', 'slug', 'name']).where('slug', '=', slug).executeTakeFirst();
}

function parseDetails(raw: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(raw);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * An organization's audit events, newest first (`at` descending, then `id` descending — ids are
 * UUIDv7, so events of the same millisecond keep their order), with keyset pagination: pass the
 * last entry's `at` and `id` as `before`. Actor names come from `users`; an erased account is
 * reported with `erased: true` and an empty name (the views say "former member").
 * @param limit rows to return (the caller asks one more to learn whether a next page exists).
 */
export async function listAuditEvents(
  db: Db,
  organizationId: string,
  o: { before?: AuditCursor; limit: number },
): Promise<AuditEntry[]> {
  let q = db
    .selectFrom('audit_events')
    .leftJoin('users', 'users.id', 'audit_events.actor_user_id')
    .select([
      'audit_events.id',
      'audit_events.at',
      'audit_events.actor_user_id',
      'audit_events.session_ref',
      'audit_events.organization_id',
      'audit_events.action',
      'audit_events.subject_type',
      'audit_events.subject_id',
      'audit_events.details',
      'users.display_name',
      'users.erased_at',
    ])
    .where('audit_events.organization_id', '=', organizationId);
  if (o.before) {
    const b = o.before;
    q = q.where((eb) =>
      eb.or([eb('audit_events.at', '<', b.at), eb.and([eb('audit_events.at', '=', b.at), eb('audit_events.id', '<', b.id)])]),
    );
  }
  const rows = await q.orderBy('audit_events.at', 'desc').orderBy('audit_events.id', 'desc').limit(o.limit).execute();
  const names = await subjectNames(db, rows);
  return rows.map((r) => {
    const subject = r.subject_id ? names.get(`${r.subject_type}:${r.subject_id}`) : undefined;
    return {
      id: r.id,
      at: r.at,
      actor: r.actor_user_id
        ? {
            id: r.actor_user_id,
            // An id without a users row (should not happen: accounts are tombstoned, not deleted) counts as erased.
            displayName: r.erased_at === null && r.display_name !== null ? r.display_name : '',
            erased: r.erased_at !== null || r.display_name === null,
          }
        : null,
      sessionRef: r.session_ref,
      organizationId: r.organization_id,
      action: r.action,
      subjectType: r.subject_type,
      subjectId: r.subject_id,
      subjectName: subject?.name ?? null,
      subjectSlug: subject?.slug ?? null,
      subjectErased: subject?.erased ?? false,
      details: parseDetails(r.details),
    };
  });
}

/** Names of the subjects on a page of events, keyed `<type>:<id>` (one query per subject type). */
async function subjectNames(
  db: Db,
  rows: { subject_type: string; subject_id: string | null }[],
): Promise<Map<string, { name: string | null; slug: string | null; erased?: boolean }>> {
  const out = new Map<string, { name: string | null; slug: string | null; erased?: boolean }>();
  const ids = (type: string) => [...new Set(rows.filter((r) => r.subject_type === type && r.subject_id).map((r) => r.subject_id!))];
  const orgs = ids('organization');
  if (orgs.length)
    for (const r of await db.selectFrom('organizations').select(['id', 'slug', 'name']).where('id', 'in', orgs).execute())
      out.set(`organization:${r.id}`, { name: r.name, slug: r.slug });
  const nets = ids('network');
  if (nets.length)
    for (const r of await db.selectFrom('networks').select(['id', 'slug', 'name']).where('id', 'in', nets).execute())
      out.set(`network:${r.id}`, { name: r.name, slug: r.slug });
  const struggles = ids('struggle');
  if (struggles.length)
    for (const r of await db.selectFrom('struggles').select(['id', 'slug', 'title']).where('id', 'in', struggles).execute())
      out.set(`struggle:${r.id}`, { name: r.title, slug: r.slug });
  const people = [...new Set([...ids('account'), ...ids('member')])];
  if (people.length)
    for (const r of await db.selectFrom('users').select(['id', 'display_name', 'erased_at']).where('id', 'in', people).execute()) {
      const v = { name: r.erased_at === null ? r.display_name : null, slug: null, erased: r.erased_at !== null };
      out.set(`account:${r.id}`, v);
      out.set(`member:${r.id}`, v);
    }
  return out;
}
