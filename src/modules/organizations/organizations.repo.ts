import type { Db } from '../../db/client.ts';
import type { Viewer } from '../../http/viewer.ts';
import type { Selectable } from 'kysely';
import type { OrganizationsTable } from '../../db/schema.ts';
import { visibleWhere } from '../../db/visibility.ts';
import { containsWords } from '../../db/search.ts';

export type OrganizationRow = Selectable<OrganizationsTable>;

/** The organization with `slug` if the viewer may see it, else undefined. */
export async function findOrganizationRow(db: Db, viewer: Viewer | null, slug: string): Promise<OrganizationRow | undefined> {
  return db
    .selectFrom('organizations')
    .selectAll()
    .where('slug', '=', slug)
    .where(visibleWhere(viewer, 'organizations'))
    .executeTakeFirst();
}

export interface OrganizationSummary {
  id: string;
  /** Sort key: lower-cased name and city. */
  search_text: string;
  slug: string;
  name: string;
  kind: string;
  country: string;
  city: string | null;
}

export interface OrganizationFilters {
  country?: string;
  kind?: string;
  /** Case-insensitive substring of the name. */
  q?: string;
  /** Keyset cursor: the sort key (`search_text`) and id of the last row seen. */
  after?: { key: string; id: string };
  limit: number;
}

/**
 * Organizations the viewer may see, by name ignoring case (the lower-cased `search_text`, so
 * "Amalgamated" and "AWPPW" sort together on both engines), with keyset pagination.
 * @returns up to `limit` rows.
 */
export async function listOrganizations(db: Db, viewer: Viewer | null, f: OrganizationFilters): Promise<OrganizationSummary[]> {
  let q = db
    .selectFrom('organizations')
    .select(['id', 'slug', 'name', 'kind', 'country', 'city', 'search_text'])
    .where(visibleWhere(viewer, 'organizations'));
  if (f.country) q = q.where('country', '=', f.country);
  if (f.kind) q = q.where('kind', '=', f.kind);
  if (f.q) q = q.where(containsWords('organizations.search_text', f.q));
  if (f.after) {
    const a = f.after;
    q = q.where((eb) => eb.or([eb('search_text', '>', a.key), eb.and([eb('search_text', '=', a.key), eb('id', '>', a.id)])]));
  }
  return q.orderBy('search_text').orderBy('id').limit(f.limit).execute();
}

/** Counts of visible organizations matching the same filters (for "n results"). */
export async function countOrganizations(db: Db, viewer: Viewer | null, f: Omit<OrganizationFilters, 'after' | 'limit'>): Promise<number> {
  let q = db.selectFrom('organizations').select((eb) => eb.fn.countAll<number>().as('n')).where(visibleWhere(viewer, 'organizations'));
  if (f.country) q = q.where('country', '=', f.country);
  if (f.kind) q = q.where('kind', '=', f.kind);
  if (f.q) q = q.where(containsWords('organizations.search_text', f.q));
  return Number((await q.executeTakeFirstOrThrow()).n);
}

export interface OrganizationDetail extends OrganizationRow {
  languages: string[];
  parent: { slug: string; name: string } | null;
  children: { slug: string; name: string; kind: string }[];
  networks: { slug: string; name: string; role: string; since: string; until: string | null }[];
  struggles: { slug: string; title: string; role: string; start_date: string; status: string; country: string }[];
}

/** Everything the detail page and API show, limited to what the viewer may see. */
export async function getOrganizationDetail(db: Db, viewer: Viewer | null, slug: string): Promise<OrganizationDetail | undefined> {
  const row = await findOrganizationRow(db, viewer, slug);
  if (!row) return undefined;
  const [languages, parent, children, networks, struggles] = await Promise.all([
    db.selectFrom('organization_languages').select('language').where('organization_id', '=', row.id).orderBy('position').execute(),
    row.parent_id
      ? db.selectFrom('organizations').select(['slug', 'name']).where('id', '=', row.parent_id).where(visibleWhere(viewer, 'organizations')).executeTakeFirst()
      : undefined,
    db.selectFrom('organizations').select(['slug', 'name', 'kind']).where('parent_id', '=', row.id).where(visibleWhere(viewer, 'organizations')).orderBy('name').execute(),
    db
      .selectFrom('network_memberships')
      .innerJoin('networks', 'networks.id', 'network_memberships.network_id')
      .select(['networks.slug', 'networks.name', 'network_memberships.role', 'network_memberships.since', 'network_memberships.until'])
      .where('network_memberships.organization_id', '=', row.id)
      .orderBy('networks.name')
      .execute(),
    // Struggles the organization takes part in, and those it published without a listed role.
    db
      .selectFrom('struggles')
      .leftJoin('struggle_organizations', (j) =>
        j.onRef('struggle_organizations.struggle_id', '=', 'struggles.id').on('struggle_organizations.organization_id', '=', row.id),
      )
      .select([
        'struggles.slug',
        'struggles.title',
        (eb) => eb.fn.coalesce('struggle_organizations.role', eb.val('publisher')).as('role'),
        'struggles.start_date',
        'struggles.status',
        'struggles.country',
      ])
      .where((eb) => eb.or([eb('struggle_organizations.organization_id', '=', row.id), eb('struggles.organization_id', '=', row.id)]))
      .where(visibleWhere(viewer, 'struggles'))
      .orderBy('struggles.start_date', 'desc')
      .limit(50)
      .execute(),
  ]);
  return {
    ...row,
    languages: languages.map((l) => l.language),
    parent: parent ?? null,
    children,
    networks,
    struggles,
  };
}

/** The organizations the viewer has a role in, by name (for "published by" choices). */
export async function organizationsOfViewer(db: Db, viewer: Viewer): Promise<{ slug: string; name: string }[]> {
  const ids = [...viewer.roles.keys()];
  if (!ids.length) return [];
  return db.selectFrom('organizations').select(['slug', 'name']).where('id', 'in', ids).orderBy('search_text').execute();
}
