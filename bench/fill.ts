import { sql, type Insertable, type Kysely } from 'kysely';
import type { Database, OrganizationsTable, StrugglesTable, Visibility } from '../src/db/schema.ts';
import { countryCodes } from '../src/lib/countries.ts';
import { SECTOR_CODES } from '../src/lib/sectors.ts';
import { newId } from '../src/lib/ids.ts';
import { searchKey, slugify } from '../src/lib/text.ts';

/**
 * Bulk fill of a fresh, migrated database with synthetic but plausible struggles, for the
 * benchmark (bench/struggles.bench.ts). Rows are written with batched multi-row INSERTs inside
 * transactions, not through `createStruggle`, but every row satisfies the schema's CHECK
 * constraints and the service's own rules (an `ongoing` struggle has no end date; the end date is
 * not before the start; `search_text` is built with the same `searchKey` call as the service).
 *
 * Deterministic for a given `seed` (except the UUIDv7 ids and timestamps of the insert itself).
 */

export interface FillOptions {
  /** Struggles to write (default 100,000). */
  struggles?: number;
  /** Distinct countries the struggles are spread over (default 150). */
  countries?: number;
  /** Publishing organizations to create (default 400). */
  organizations?: number;
  /** Rows per INSERT statement (default 500; 21 columns → 10,500 parameters, within SQLite's 32,766). */
  batchSize?: number;
  /** Rows per transaction (default 10,000). */
  rowsPerTransaction?: number;
  seed?: number;
  /** Last possible start/end date (default 2026-11-28). */
  today?: string;
  onProgress?: (written: number, total: number) => void;
}

export interface FillResult {
  struggles: number;
  organizations: number;
  links: number;
  countries: string[];
  /** Wall time of the whole fill, generation included (ms). */
  ms: number;
  /** Of which generating rows in JavaScript (ms). */
  generateMs: number;
}

/** Small, fast, seedable PRNG (mulberry32). Returns floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks from `items` with the given relative `weights` (cumulative table, binary search). */
function weighted<T>(items: readonly T[], weights: readonly number[]): (r: number) => T {
  const cum: number[] = [];
  let total = 0;
  for (const w of weights) cum.push((total += w));
  return (r) => {
    const x = r * total;
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return items[lo]!;
  };
}

/** Zipf-like weights 1/rank^s: a few countries and sectors hold most struggles, as in real data. */
const zipf = (n: number, s: number) => Array.from({ length: n }, (_, i) => 1 / (i + 1) ** s);

// Countries with many recorded struggles come first so they get the heaviest weights.
const BIG_COUNTRIES = ['US', 'IN', 'FR', 'BR', 'DE', 'GB', 'AR', 'ZA', 'KR', 'TR', 'ES', 'IT', 'BD', 'MX', 'NG', 'CL', 'PH', 'ID', 'CO', 'CA', 'BE', 'GR', 'PK', 'EG', 'PT', 'KE', 'PE', 'AU', 'JP', 'PL'];

// Sectors with the most recorded struggles first (health, education, public services, transport ...).
const SECTOR_RANK: readonly string[] = ['manufacturing', 'health', 'education', 'logistics', 'public_administration', 'automotive', 'textile', 'construction', 'services', 'trade', 'mining', 'agriculture', 'metal', 'food', 'energy', 'hospitality', 'information', 'water_waste', 'chemicals', 'finance', 'arts', 'other'];

const LANG: Record<string, string> = {
  DE: 'de', AT: 'de', CH: 'de', FR: 'fr', BE: 'fr', SN: 'fr', CI: 'fr', ES: 'es', MX: 'es', AR: 'es', CO: 'es', CL: 'es', PE: 'es',
  BR: 'pt', PT: 'pt', TR: 'tr', IT: 'it', GR: 'el', KR: 'ko', JP: 'ja', PL: 'pl', ID: 'id', EG: 'ar', BD: 'bn',
};

const KINDS = ['strike', 'protest', 'occupation', 'boycott', 'campaign', 'legal'] as const;
const KIND_WEIGHTS = [40, 25, 8, 5, 12, 10];
const ENDED_STATUSES = ['won', 'lost', 'ended', 'suspended'] as const;
const ENDED_WEIGHTS = [35, 25, 35, 5];
const VISIBILITY: readonly Visibility[] = ['public', 'network', 'members', 'private'];
const VISIBILITY_WEIGHTS = [92, 2, 4, 2];
const ORG_KINDS = ['party', 'union', 'self_organization', 'women', 'youth', 'refugee_group', 'ngo', 'other'];
const ORG_KIND_WEIGHTS = [5, 60, 10, 6, 5, 3, 8, 3];

const EMPLOYER_HEAD = ['Acme', 'Nordwind', 'Global', 'United', 'Pacific', 'Atlas', 'Delta', 'Sunrise', 'Metro', 'Vega', 'Orion', 'Müller', 'Société Générale', 'Çelik', 'São Jorge', 'Łódź', 'Horizon', 'Kestrel', 'Phoenix', 'Riverside', 'Andes', 'Baltic', 'Saharan', 'Mekong', 'Danube', 'Crescent', 'Summit', 'Evergreen'];
const EMPLOYER_CORE: Record<string, string[]> = {
  agriculture: ['Farms', 'Plantations', 'Agro'], mining: ['Mining', 'Minerals', 'Copper'], energy: ['Energy', 'Power', 'Utilities'],
  water_waste: ['Water', 'Waste Services', 'Recycling'], construction: ['Construction', 'Builders', 'Cement'], manufacturing: ['Industries', 'Manufacturing', 'Works'],
  automotive: ['Motors', 'Auto Parts', 'Automotive'], metal: ['Steel', 'Metals', 'Foundry'], chemicals: ['Chemicals', 'Plastics', 'Pharma'],
  textile: ['Textiles', 'Garments', 'Apparel'], food: ['Foods', 'Dairy', 'Beverages'], trade: ['Retail', 'Supermarkets', 'Stores'],
  logistics: ['Logistics', 'Ports', 'Transport', 'Rail'], hospitality: ['Hotels', 'Restaurants', 'Catering'], information: ['Telecom', 'Media', 'Software'],
  finance: ['Bank', 'Insurance', 'Finance'], services: ['Cleaning', 'Security Services', 'Facility Services'], public_administration: ['City Council', 'Ministry', 'Municipality'],
  education: ['University', 'Schools', 'Academy'], health: ['Hospital', 'Clinics', 'Care Homes'], arts: ['Theatre', 'Studios', 'Orchestra'], other: ['Holdings', 'Group', 'Services'],
};
const EMPLOYER_TAIL = ['Ltd', 'GmbH', 'S.A.', 'Inc.', 'AG', 'SARL', 'Co.', 'Group', '', '', ''];
const CITIES = ['Springfield', 'Riverton', 'Port Elena', 'Nueva Esperanza', 'Saint-Martin', 'Neustadt', 'Kanpur', 'Campinas', 'Rosario', 'Durban', 'Incheon', 'Izmir', 'Valencia', 'Torino', 'Chittagong', 'Monterrey', 'Lagos', 'Antofagasta', 'Cebu', 'Medan', 'Medellín', 'Hamilton', 'Ghent', 'Thessaloniki', 'Faisalabad', 'Alexandria', 'Porto', 'Mombasa', 'Arequipa', 'Newcastle', 'Osaka', 'Gdańsk', 'Lyon', 'Bochum', 'Glasgow', 'Detroit', 'Oakland', 'Mar del Plata', 'Pietermaritzburg', 'Ulsan'];
const WORKERS = ['Dock workers', 'Nurses', 'Teachers', 'Bus drivers', 'Miners', 'Garment workers', 'Warehouse workers', 'Cleaners', 'Delivery riders', 'Farm workers', 'Steelworkers', 'Hotel workers', 'Call-centre staff', 'Railway workers', 'Care workers', 'Journalists', 'Construction workers', 'Bank clerks'];
const DEMANDS = [
  'a living wage', 'an end to subcontracting', 'union recognition', 'safe working conditions', 'reinstatement of dismissed colleagues', 'payment of wage arrears',
  'a 35-hour week', 'permanent contracts', 'equal pay for women', 'an end to forced overtime', 'the right to organize', 'pension protection',
  'inflation-linked pay rises', 'staffing ratios', 'no plant closure', 'heat protection', 'maternity leave', 'collective bargaining',
];
const ISSUES = ['privatization', 'layoffs', 'the pension reform', 'price increases', 'union busting', 'the closure of the plant', 'police repression', 'the new labour law', 'evictions', 'water cuts'];

type Lang = 'de' | 'fr' | 'es' | 'pt' | string;

function title(kind: string, lang: Lang, employer: string | null, locality: string | null, workers: string, demand: string, issue: string): string {
  const at = employer ?? locality ?? 'the region';
  if (kind === 'strike' || kind === 'occupation') {
    if (lang === 'de') return kind === 'strike' ? `Streik bei ${at}` : `Besetzung bei ${at}`;
    if (lang === 'fr') return kind === 'strike' ? `Grève chez ${at}` : `Occupation chez ${at}`;
    if (lang === 'es') return kind === 'strike' ? `Huelga en ${at}` : `Ocupación de ${at}`;
    if (lang === 'pt') return kind === 'strike' ? `Greve na ${at}` : `Ocupação da ${at}`;
    return kind === 'strike' ? `${workers} strike at ${at} for ${demand}` : `Occupation of the ${at} site`;
  }
  if (kind === 'protest') return `Protest against ${issue}${locality ? ` in ${locality}` : ''}`;
  if (kind === 'boycott') return `Boycott of ${at}`;
  if (kind === 'campaign') return `Campaign for ${demand}${employer ? ` at ${employer}` : ''}`;
  return `Legal action against ${at} over ${demand}`;
}

const DAY = 86_400_000;
const dateOnly = (day: number) => new Date(day * DAY).toISOString().slice(0, 10);

/**
 * Fills `db` (migrated, empty) with organizations, struggles and initiator links.
 * @throws whatever the database throws (a CHECK or UNIQUE violation means a bug in this generator).
 */
export async function fillDatabase(db: Kysely<Database>, o: FillOptions = {}): Promise<FillResult> {
  const started = performance.now();
  const total = o.struggles ?? 100_000;
  const nCountries = o.countries ?? 150;
  const nOrgs = o.organizations ?? 400;
  const batchSize = o.batchSize ?? 500;
  const perTx = o.rowsPerTransaction ?? 10_000;
  const rnd = prng(o.seed ?? 20261129);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;

  // Countries: the big ones first (heaviest weights), then a seeded shuffle of the rest.
  const all = countryCodes();
  const rest = all.filter((c) => !BIG_COUNTRIES.includes(c));
  for (let i = rest.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [rest[i], rest[j]] = [rest[j]!, rest[i]!];
  }
  const countries = [...BIG_COUNTRIES.filter((c) => all.includes(c)), ...rest].slice(0, nCountries);
  const pickCountry = weighted(countries, zipf(countries.length, 0.8));
  // Each country has its own sector mix (mining in one, textile in another) around a global skew.
  const globalSector = zipf(SECTOR_CODES.length, 0.8);
  const sectorOrder = [...SECTOR_RANK, ...SECTOR_CODES.filter((s) => !SECTOR_RANK.includes(s))];
  const sectorPickers = new Map(
    countries.map((c) => [c, weighted(sectorOrder, globalSector.map((w) => w * (0.3 + 1.4 * rnd())))]),
  );
  const pickKind = weighted(KINDS, KIND_WEIGHTS);
  const pickEnded = weighted(ENDED_STATUSES, ENDED_WEIGHTS);
  const pickVisibility = weighted(VISIBILITY, VISIBILITY_WEIGHTS);
  const pickOrgKind = weighted(ORG_KINDS, ORG_KIND_WEIGHTS);

  const todayDay = Math.floor(Date.parse(`${o.today ?? '2026-11-28'}T00:00:00Z`) / DAY);
  const firstDay = Math.floor(Date.parse('2000-01-01T00:00:00Z') / DAY);
  const recentDay = Math.floor(Date.parse('2024-01-01T00:00:00Z') / DAY);
  const span = todayDay - firstDay;
  const createdAt = new Date().toISOString();
  let generateMs = 0;

  // Organizations, spread over countries like the struggles.
  const orgs: Insertable<OrganizationsTable>[] = [];
  const orgsByCountry = new Map<string, string[]>();
  for (let i = 0; i < nOrgs; i++) {
    const country = pickCountry(rnd());
    const kind = pickOrgKind(rnd());
    const name = `${pick(EMPLOYER_HEAD)} ${kind === 'union' ? 'Workers Union' : kind === 'party' ? 'Labour Party' : 'Solidarity Network'} ${i + 1}`;
    const city = rnd() < 0.7 ? pick(CITIES) : null;
    const id = newId();
    orgs.push({
      id,
      slug: `${slugify(name).slice(0, 48)}-${i.toString(36)}`,
      name,
      kind,
      country,
      city,
      website: rnd() < 0.5 ? `https://example.org/org-${i}` : null,
      contact_email: null,
      description: null,
      description_lang: LANG[country] ?? 'en',
      visibility: rnd() < 0.95 ? 'public' : 'members',
      parent_id: null,
      search_text: searchKey(name, city),
      created_by: null,
      created_at: createdAt,
      updated_at: createdAt,
    });
    orgsByCountry.set(country, [...(orgsByCountry.get(country) ?? []), id]);
  }
  for (let i = 0; i < orgs.length; i += batchSize) await db.insertInto('organizations').values(orgs.slice(i, i + batchSize)).execute();

  let written = 0;
  let links = 0;
  while (written < total) {
    const txRows = Math.min(perTx, total - written);
    const t0 = performance.now();
    const rows: StrugglesTable[] = [];
    const linkRows: { struggle_id: string; organization_id: string; role: 'initiator' }[] = [];
    for (let k = 0; k < txRows; k++) {
      const i = written + k;
      const country = pickCountry(rnd());
      const sector = sectorPickers.get(country)!(rnd());
      const kind = pickKind(rnd());
      const lang = LANG[country] ?? 'en';
      // More struggles recorded in recent years: skew the start towards today.
      const startDay = firstDay + Math.floor((1 - (1 - rnd()) ** 1.6) * span);
      let endDay: number | null = null;
      if (rnd() < (startDay < recentDay ? 0.97 : 0.5)) {
        const length = Math.floor(Math.exp(1 + rnd() * 5)); // 2 days … ~400 days
        endDay = startDay + length <= todayDay ? startDay + length : null;
      }
      const status = endDay === null ? (rnd() < 0.88 ? 'ongoing' : 'suspended') : pickEnded(rnd());
      const employer = kind === 'protest' && rnd() < 0.6 ? null : rnd() < 0.1 ? null : `${pick(EMPLOYER_HEAD)} ${pick(EMPLOYER_CORE[sector] ?? ['Group'])}${((t) => (t ? ` ${t}` : ''))(pick(EMPLOYER_TAIL))}`;
      const locality = rnd() < 0.8 ? pick(CITIES) : null;
      const demandList = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => pick(DEMANDS));
      const demands = rnd() < 0.85 ? `We demand ${[...new Set(demandList)].join(', ')}.` : null;
      const t = title(kind, lang, employer, locality, pick(WORKERS), demandList[0]!, pick(ISSUES));
      let visibility = pickVisibility(rnd());
      const countryOrgs = orgsByCountry.get(country);
      // Non-public records always belong to an organization; a third of public ones do too.
      const organizationId = visibility !== 'public' || rnd() < 0.33 ? (countryOrgs ? pick(countryOrgs) : orgs[Math.floor(rnd() * orgs.length)]!.id) : null;
      if (!organizationId) visibility = 'public';
      const participants = rnd() < 0.15 ? null : Math.round(Math.exp(5 + 1.8 * (rnd() + rnd() + rnd() - 1.5)));
      const created = new Date((startDay + Math.floor(rnd() * 3)) * DAY + Math.floor(rnd() * DAY)).toISOString();
      const id = newId();
      rows.push({
        id,
        slug: `${slugify(t).slice(0, 50).replace(/-+$/, '')}-${i.toString(36)}`,
        title: t,
        kind,
        sector,
        country,
        locality,
        employer,
        participants,
        demands,
        start_date: dateOnly(startDay),
        end_date: endDay === null ? null : dateOnly(endDay),
        status,
        visibility,
        lang,
        organization_id: organizationId,
        external_ref: rnd() < 0.1 ? `bench:${i}` : null,
        search_text: searchKey(t, employer, demands, locality),
        created_by: null,
        created_at: created,
        updated_at: created,
      });
      if (organizationId) linkRows.push({ struggle_id: id, organization_id: organizationId, role: 'initiator' });
    }
    generateMs += performance.now() - t0;
    await db.transaction().execute(async (tx) => {
      for (let i = 0; i < rows.length; i += batchSize) await tx.insertInto('struggles').values(rows.slice(i, i + batchSize)).execute();
      // 3 columns per link row: larger batches stay within the parameter limits.
      for (let i = 0; i < linkRows.length; i += batchSize * 4) await tx.insertInto('struggle_organizations').values(linkRows.slice(i, i + batchSize * 4)).execute();
    });
    written += txRows;
    links += linkRows.length;
    o.onProgress?.(written, total);
  }
  return { struggles: written, organizations: orgs.length, links, countries, ms: performance.now() - started, generateMs };
}

/** A (country, sector) filter and how many public struggles match it. */
export interface Combo {
  country: string;
  sector: string;
  count: number;
}

/**
 * Every (country, sector) pair with public struggles, largest first — what an anonymous visitor
 * can filter on.
 */
export async function publicCombos(db: Kysely<Database>): Promise<Combo[]> {
  const rows = await db
    .selectFrom('struggles')
    .select(['country', 'sector', (eb) => eb.fn.countAll<number>().as('n')])
    .where('visibility', '=', 'public')
    .groupBy(['country', 'sector'])
    .orderBy('n', 'desc')
    .orderBy('country')
    .orderBy('sector')
    .execute();
  return rows.map((r) => ({ country: r.country, sector: r.sector, count: Number(r.n) }));
}

/**
 * `n` combinations spread over the sizes of the combinations that fill at least one page
 * (`minCount` rows): the largest one, then log-spaced sizes down to `minCount`, so both the
 * big-country filters and the long tail are exercised.
 */
export function spreadCombos(combos: Combo[], n: number, minCount = 25): Combo[] {
  const pool = combos.filter((c) => c.count >= minCount);
  if (pool.length <= n) return pool.length ? pool : combos.slice(0, n);
  // Log-spaced target sizes from the largest down to `minCount`, each taken once.
  const max = pool[0]!.count;
  const chosen = new Set<Combo>();
  for (let i = 0; i < n; i++) {
    const target = max * (minCount / max) ** (i / (n - 1));
    let best: Combo | undefined;
    for (const c of pool) if (!chosen.has(c) && (!best || Math.abs(Math.log(c.count / target)) < Math.abs(Math.log(best.count / target)))) best = c;
    chosen.add(best!);
  }
  return [...chosen];
}

/** SQLite: the library version; PostgreSQL: `server_version`. */
export async function databaseVersion(db: Kysely<Database>, engine: 'sqlite' | 'postgres'): Promise<string> {
  if (engine === 'sqlite') {
    const r = await sql<{ v: string }>`select sqlite_version() as v`.execute(db);
    return `SQLite ${r.rows[0]!.v}`;
  }
  const r = await sql<{ v: string }>`show server_version`.execute(db);
  return `PostgreSQL ${Object.values(r.rows[0]!)[0]}`;
}
