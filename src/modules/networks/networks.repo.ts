import { sql } from 'kysely';
import type { Db } from '../../db/client.ts';
import type { Viewer } from '../../http/viewer.ts';
import type { NetworksTable } from '../../db/schema.ts';
import { visibleWhere } from '../../db/visibility.ts';
import { todayIn } from '../../lib/time.ts';

// Networks themselves are public (no visibility column). Their memberships are only listed and
// counted for organizations the viewer may see: every membership query below joins
// `organizations` and filters with `visibleWhere` (via `organizationVisible`).

export type NetworkRow = NetworksTable;

/**
 * The organizations a viewer may see, as a SQL condition on the `organizations` table. An
 * organization owns itself, so its own `id` is the owning-organization column.
 */
export function organizationVisible(viewer: Viewer | null) {
  return visibleWhere(viewer, 'organizations', { orgColumn: 'id' });
}

/** The network with `slug`, or undefined. */
export async function findNetworkRow(db: Db, slug: string): Promise<NetworkRow | undefined> {
  return db.selectFrom('networks').selectAll().where('slug', '=', slug).executeTakeFirst();
}

/**
 * Ids of the organizations that are `coordinator` members of the network on `today` (date-only;
 * `since ≤ today ≤ until`, `until` null meaning open-ended). Not filtered by visibility: used for
 * permission checks only, never shown.
 */
export async function coordinatorOrganizationIds(db: Db, networkId: string, today: string): Promise<string[]> {
  const rows = await db
    .selectFrom('network_memberships')
    .select('organization_id')
    .where('network_id', '=', networkId)
    .where('role', '=', 'coordinator')
    .where('since', '<=', today)
    .where((eb) => eb.or([eb('until', 'is', null), eb('until', '>=', today)]))
    .execute();
  return rows.map((r) => r.organization_id);
}

export interface NetworkSummary {
  id: string;
  slug: string;
  name: string;
  sector: string;
  /** Organizations the viewer may see with a current membership (since ≤ today ≤ until). */
  member_count: number;
}

export interface NetworkFilters {
  /** A sector code (`lib/sectors.ts`). */
  sector?: string;
}

/** Correlated count of distinct visible organizations currently in `networks.id`. */
function memberCount(viewer: Viewer | null, today: string) {
  return sql<number>`(
    SELECT count(DISTINCT nm.organization_id)
    FROM network_memberships nm
    JOIN organizations ON organizations.id = nm.organization_id
    WHERE nm.network_id = networks.id
      AND nm.since <= ${today}
      AND (nm.until IS NULL OR nm.until >= ${today})
      AND ${organizationVisible(viewer)}
  )`;
}

/**
 * Networks by name with keyset pagination (`after` = the last name and id seen), each with its
 * number of current member organizations the viewer may see. `today` is a date-only value.
 * @returns up to `limit` rows.
 */
export async function listNetworks(
  db: Db,
  viewer: Viewer | null,
  f: NetworkFilters & { after?: { name: string; id: string }; limit: number; today: string },
): Promise<NetworkSummary[]> {
  let q = db.selectFrom('networks').select(['networks.id', 'networks.slug', 'networks.name', 'networks.sector', memberCount(viewer, f.today).as('member_count')]);
  if (f.sector) q = q.where('networks.sector', '=', f.sector);
  if (f.after) {
    const a = f.after;
    q = q.where((eb) => eb.or([eb('networks.name', '>', a.name), eb.and([eb('networks.name', '=', a.name), eb('networks.id', '>', a.id)])]));
  }
  const rows = await q.orderBy('networks.name').orderBy('networks.id').limit(f.limit).execute();
  // count() is a string on PostgreSQL drivers without an int8 parser; normalize.
  return rows.map((r) => ({ ...r, member_count: Number(r.member_count) }));
}

/** Number of networks matching the filters (for "n networks" and the API `total`). */
export async function countNetworks(db: Db, f: NetworkFilters): Promise<number> {
  let q = db.selectFrom('networks').select((eb) => eb.fn.countAll<number>().as('n'));
  if (f.sector) q = q.where('sector', '=', f.sector);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

/** One membership as the detail page and API show it. Dates are date-only (`YYYY-MM-DD`). */
export interface NetworkMember {
  /** Id of the membership (not of the organization). */
  membershipId: string;
  organizationId: string;
  slug: string;
  name: string;
  kind: string;
  role: 'member' | 'observer' | 'coordinator';
  since: string;
  until: string | null;
  /** The membership ended before today. */
  past: boolean;
  /** The membership starts after today. */
  upcoming: boolean;
}

export interface NetworkDetail extends NetworkRow {
  /** Country code (ISO 3166-1 alpha-2) → memberships of organizations from there, by name then start. */
  members: Record<string, NetworkMember[]>;
  /** Visible organizations with a current membership. */
  memberCount: number;
}

/**
 * The network with `slug` and every membership (current, upcoming and past, flagged) of
 * organizations the viewer may see, grouped by the organization's country (keys sorted by code).
 * `today` is the date-only value that decides `past`/`upcoming`.
 * @returns undefined for an unknown slug.
 */
export async function getNetworkDetail(db: Db, viewer: Viewer | null, slug: string, today: string = todayIn('UTC')): Promise<NetworkDetail | undefined> {
  const row = await findNetworkRow(db, slug);
  if (!row) return undefined;
  const rows = await db
    .selectFrom('network_memberships')
    .innerJoin('organizations', 'organizations.id', 'network_memberships.organization_id')
    .select([
      'network_memberships.id as membershipId',
      'organizations.id as organizationId',
      'organizations.slug',
      'organizations.name',
      'organizations.kind',
      'organizations.country',
      'network_memberships.role',
      'network_memberships.since',
      'network_memberships.until',
    ])
    .where('network_memberships.network_id', '=', row.id)
    .where(organizationVisible(viewer))
    .orderBy('organizations.country')
    .orderBy('organizations.name')
    .orderBy('network_memberships.since')
    .execute();
  const members: Record<string, NetworkMember[]> = {};
  const current = new Set<string>();
  for (const { country, ...r } of rows) {
    const past = r.until !== null && r.until < today;
    const upcoming = r.since > today;
    if (!past && !upcoming) current.add(r.organizationId);
    (members[country] ??= []).push({ ...r, past, upcoming });
  }
  return { ...row, members, memberCount: current.size };
}

/**
 * Organizations the viewer is an admin or coordinator of (instance admins: none in particular),
 * by name — the organizations they may sign up to a network.
 */
export async function managedOrganizations(db: Db, viewer: Viewer | null): Promise<{ id: string; slug: string; name: string }[]> {
  if (!viewer) return [];
  const ids = [...viewer.roles].filter(([, r]) => r === 'admin' || r === 'coordinator').map(([id]) => id);
  if (!ids.length) return [];
  return db.selectFrom('organizations').select(['id', 'slug', 'name']).where('id', 'in', ids).orderBy('name').execute();
}
