import { sql, type Expression, type SqlBool } from 'kysely';
import type { Viewer } from '../http/viewer.ts';
import type { Visibility } from './schema.ts';

/**
 * The one place that decides who may read a shareable record. Every read path (pages, API,
 * search, counts, exports, feeds) filters with `visibleWhere` in SQL or checks a loaded row with
 * `canSee`; both implement the same rule:
 * - `public`: everyone, signed in or not;
 * - `network`: members of the owning organization and of organizations that share a current
 *   network membership with it;
 * - `members`: members of the owning organization (any role);
 * - `private`: admins and coordinators of the owning organization;
 * - the account that created a record and instance administrators always see it.
 * A record without an owning organization is visible beyond its creator only when public.
 */
export function canSee(
  viewer: Viewer | null,
  row: { visibility: Visibility | string; organization_id: string | null; created_by?: string | null },
): boolean {
  if (row.visibility === 'public') return true;
  if (!viewer) return false;
  if (viewer.isAdmin || (row.created_by && row.created_by === viewer.userId)) return true;
  const org = row.organization_id;
  if (!org) return false;
  const role = viewer.roles.get(org);
  switch (row.visibility) {
    case 'network':
      return role !== undefined || viewer.networkPeers.has(org);
    case 'members':
      return role !== undefined;
    case 'private':
      return role === 'admin' || role === 'coordinator';
    default:
      return false;
  }
}

/**
 * SQL form of `canSee` for a table with `visibility`, an owning-organization column and
 * optionally `created_by`. `table` is the alias used in the query (e.g. `struggles`).
 */
export function visibleWhere(
  viewer: Viewer | null,
  table: string,
  opts: { orgColumn?: string; hasCreator?: boolean } = {},
): Expression<SqlBool> {
  const col = (c: string) => sql.ref(`${table}.${c}`);
  const vis = col('visibility');
  if (!viewer) return sql<SqlBool>`${vis} = 'public'`;
  if (viewer.isAdmin) return sql<SqlBool>`1 = 1`;
  // An organization owns itself; every other record names its owner in `organization_id`.
  const org = col(opts.orgColumn ?? (table === 'organizations' ? 'id' : 'organization_id'));
  const members = [...viewer.roles.keys()];
  const leaders = [...viewer.roles].filter(([, r]) => r === 'admin' || r === 'coordinator').map(([id]) => id);
  const network = [...new Set([...members, ...viewer.networkPeers])];
  const inList = (ids: string[]) => (ids.length ? sql`${org} IN (${sql.join(ids)})` : sql`1 = 0`);
  const parts = [
    sql`${vis} = 'public'`,
    sql`(${vis} = 'network' AND ${inList(network)})`,
    sql`(${vis} = 'members' AND ${inList(members)})`,
    sql`(${vis} = 'private' AND ${inList(leaders)})`,
  ];
  if (opts.hasCreator !== false) parts.push(sql`${col('created_by')} = ${viewer.userId}`);
  return sql<SqlBool>`(${sql.join(parts, sql` OR `)})`;
}
