import type { Db } from '../../db/client.ts';
import type { Viewer } from '../../http/viewer.ts';
import type { StrugglesTable } from '../../db/schema.ts';
import { visibleWhere } from '../../db/visibility.ts';
import { containsWords } from '../../db/search.ts';

export type StruggleRow = StrugglesTable;

/** The struggle with `slug` if the viewer may see it. */
export async function findStruggleRow(db: Db, viewer: Viewer | null, slug: string): Promise<StruggleRow | undefined> {
  return db.selectFrom('struggles').selectAll().where('slug', '=', slug).where(visibleWhere(viewer, 'struggles')).executeTakeFirst();
}

/** Filters of the struggles list (page and API). Dates are date-only, inclusive. */
export interface StruggleFilters {
  country?: string;
  sector?: string;
  kind?: string;
  status?: string;
  /** Struggles active on or after this date (end date null or ≥ from). */
  from?: string;
  /** Struggles that started on or before this date. */
  to?: string;
  /** Every word must appear in title, employer, demands or locality (case-insensitive). */
  q?: string;
  /** Only struggles an organization is involved in (by id). */
  organizationId?: string;
}

export interface StruggleSummary {
  id: string;
  slug: string;
  title: string;
  kind: string;
  sector: string;
  country: string;
  locality: string | null;
  employer: string | null;
  participants: number | null;
  start_date: string;
  end_date: string | null;
  status: string;
  lang: string;
}

function filtered(db: Db, viewer: Viewer | null, f: StruggleFilters) {
  let q = db.selectFrom('struggles').where(visibleWhere(viewer, 'struggles'));
  if (f.country) q = q.where('struggles.country', '=', f.country);
  if (f.sector) q = q.where('struggles.sector', '=', f.sector);
  if (f.kind) q = q.where('struggles.kind', '=', f.kind);
  if (f.status) q = q.where('struggles.status', '=', f.status);
  if (f.from) {
    const from = f.from;
    q = q.where((eb) => eb.or([eb('struggles.end_date', 'is', null), eb('struggles.end_date', '>=', from)]));
  }
  if (f.to) q = q.where('struggles.start_date', '<=', f.to);
  if (f.q) q = q.where(containsWords('struggles.search_text', f.q));
  if (f.organizationId) {
    const id = f.organizationId;
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('struggle_organizations')
          .select('struggle_organizations.struggle_id')
          .whereRef('struggle_organizations.struggle_id', '=', 'struggles.id')
          .where('struggle_organizations.organization_id', '=', id),
      ),
    );
  }
  return q;
}

/**
 * Visible struggles, newest start first, keyset-paginated on (start_date, id).
 * @param after the last row of the previous page.
 */
export async function listStruggles(
  db: Db,
  viewer: Viewer | null,
  f: StruggleFilters,
  page: { limit: number; after?: { startDate: string; id: string } },
): Promise<StruggleSummary[]> {
  let q = filtered(db, viewer, f).select([
    'struggles.id',
    'struggles.slug',
    'struggles.title',
    'struggles.kind',
    'struggles.sector',
    'struggles.country',
    'struggles.locality',
    'struggles.employer',
    'struggles.participants',
    'struggles.start_date',
    'struggles.end_date',
    'struggles.status',
    'struggles.lang',
  ]);
  if (page.after) {
    const a = page.after;
    q = q.where((eb) =>
      eb.or([eb('struggles.start_date', '<', a.startDate), eb.and([eb('struggles.start_date', '=', a.startDate), eb('struggles.id', '<', a.id)])]),
    );
  }
  return q.orderBy('struggles.start_date', 'desc').orderBy('struggles.id', 'desc').limit(page.limit).execute();
}

/** Number of visible struggles matching the filters. */
export async function countStruggles(db: Db, viewer: Viewer | null, f: StruggleFilters): Promise<number> {
  const r = await filtered(db, viewer, f).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Visible struggles per value of `column` (country, sector, kind or status), largest first. */
export async function countStrugglesBy(
  db: Db,
  viewer: Viewer | null,
  column: 'country' | 'sector' | 'kind' | 'status',
  f: StruggleFilters = {},
): Promise<{ key: string; count: number }[]> {
  const rows = await filtered(db, viewer, f)
    .select([`struggles.${column} as key`, (eb) => eb.fn.countAll<number>().as('count')])
    .groupBy(`struggles.${column}`)
    .orderBy('count', 'desc')
    .orderBy('key')
    .execute();
  return rows.map((r) => ({ key: String(r.key), count: Number(r.count) }));
}

export interface StruggleDetail extends StruggleRow {
  organization: { slug: string; name: string } | null;
  organizations: { slug: string; name: string; role: string; country: string }[];
  sources: string[];
  updates: { id: string; date: string; body: string; lang: string }[];
}

/** A struggle with its organizations (those the viewer may see), sources and timeline (oldest first). */
export async function getStruggleDetail(db: Db, viewer: Viewer | null, slug: string): Promise<StruggleDetail | undefined> {
  const row = await findStruggleRow(db, viewer, slug);
  if (!row) return undefined;
  const [owner, organizations, sources, updates] = await Promise.all([
    row.organization_id
      ? db.selectFrom('organizations').select(['slug', 'name']).where('id', '=', row.organization_id).where(visibleWhere(viewer, 'organizations')).executeTakeFirst()
      : undefined,
    db
      .selectFrom('struggle_organizations')
      .innerJoin('organizations', 'organizations.id', 'struggle_organizations.organization_id')
      .select(['organizations.slug', 'organizations.name', 'organizations.country', 'struggle_organizations.role'])
      .where('struggle_organizations.struggle_id', '=', row.id)
      .where(visibleWhere(viewer, 'organizations'))
      .orderBy('struggle_organizations.role')
      .orderBy('organizations.name')
      .execute(),
    db.selectFrom('struggle_sources').select('url').where('struggle_id', '=', row.id).orderBy('position').execute(),
    db.selectFrom('struggle_updates').select(['id', 'date', 'body', 'lang']).where('struggle_id', '=', row.id).orderBy('date').orderBy('id').execute(),
  ]);
  return { ...row, organization: owner ?? null, organizations, sources: sources.map((s) => s.url), updates };
}
