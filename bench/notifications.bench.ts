/**
 * `npm run bench:notifications`: the notifications page and the header's unread count of a
 * signed-in reader, on SQLite (and PostgreSQL when `BENCH_DATABASE_URL` is set, in a fresh schema
 * `bench_<random>` dropped afterwards).
 *
 * Volume: 100,000 struggles over 150 countries (one holds ~30 %; 1 % created after the follows),
 * 20,000 struggle updates, 2,000 solidarity calls with 20,000 responses, 200 action days with
 * 5,000 local actions, 500 organizations, 30 networks with memberships. One account is a member of
 * 3 organizations that together follow 50 struggles, 20 calls, 5 networks and 10 countries (the
 * ~30 % one among them). Rows are written with batched INSERTs, not through the services, but every
 * column holds a value the services could have written (CHECKs, periods, time zones).
 *
 * Measures, signed in as that account (`sid` cookie of a `createSession` session):
 * - `GET /notifications`, `GET /struggles/:slug` of a followed struggle signed in and anonymous (the
 *   difference is the viewer, the header count and the follow control), under load (autocannon,
 *   10 connections, `BENCH_SECONDS`, default 8) and one request at a time (inject, 30 runs);
 * - `loadViewer`, `listNotifications` (first page) and `countUnread` alone (30 runs: p50 / p90 ms),
 *   the count both never read and just read;
 * - each branch of the notifications UNION alone (what dominates), and the query plans when the
 *   count or the list is slow (or `BENCH_EXPLAIN=1`): `EXPLAIN QUERY PLAN` / `EXPLAIN ANALYZE`;
 * - a bare Fastify route in the same process (the ratios are the comparable figures; machines
 *   here are noisy). The load generator runs in a child process, so a server blocked by a slow
 *   synchronous SQLite query cannot stall it, and each run starts once the server is idle again.
 * `BENCH_SCALE` (default 1) multiplies every volume, for a quick smoke run. Writes nothing into
 * the repository.
 */
import { createRequire } from 'node:module';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { CompiledQuery, type Insertable, type Kysely, type KyselyPlugin, type QueryResult, type RootOperationNode, type UnknownRow } from 'kysely';
import { openDb, type DbHandle, type Engine } from '../src/db/client.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import type { Database, Visibility } from '../src/db/schema.ts';
import { buildApp } from '../src/app.ts';
import { newId } from '../src/lib/ids.ts';
import { countryCodes } from '../src/lib/countries.ts';
import { SECTOR_CODES } from '../src/lib/sectors.ts';
import { searchKey } from '../src/lib/text.ts';
import { localToInstant } from '../src/lib/zoned-time.ts';
import { createSession, createUser, loadViewer } from '../src/modules/accounts/accounts.service.ts';
import { countUnread, listNotifications } from '../src/modules/follows/notifications.repo.ts';
import { prng } from './fill.ts';
import { withBenchSchema } from './postgres-schema.ts';
import { explain } from './query-plan.ts';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const n = (x: number) => Math.max(1, Math.round(x * SCALE));
const STRUGGLES = n(100_000);
const COUNTRIES = 150;
const UPDATES = n(20_000);
const CALLS = n(2_000);
const RESPONSES = n(20_000);
const ACTION_DAYS = n(200);
const LOCAL_ACTIONS = n(5_000);
const ORGANIZATIONS = 500;
const NETWORKS = 30;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const RUNS = 30;
/** Share of the biggest country's struggles (and organizations, so local actions) among all. */
const BIG_SHARE = 0.3;
/** Share of struggles created after the follows; of the other events (calls, updates …). */
const STRUGGLES_AFTER = 0.01;
const EVENTS_AFTER = 0.05;
const DAY = 86_400_000;

interface AutocannonResult {
  requests: { average: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (o: object) => Promise<AutocannonResult>;

const ZONES = ['Europe/Berlin', 'America/Sao_Paulo', 'Asia/Tehran', 'Asia/Kolkata', 'Asia/Kathmandu', 'Africa/Lubumbashi', 'America/Lima', 'Asia/Manila', 'Australia/Sydney', 'Europe/Istanbul'];
const STRUGGLE_KINDS = ['strike', 'protest', 'occupation', 'boycott', 'campaign', 'legal'] as const;
const ENDED = ['won', 'lost', 'ended', 'suspended'] as const;
const ORG_KINDS = ['union', 'union', 'union', 'party', 'self_organization', 'women', 'youth', 'refugee_group', 'ngo', 'other'] as const;
const ASKS = ['statement', 'donation', 'action', 'boycott', 'hearing', 'messages'] as const;
const RESPONSE_KINDS = ['statement_sent', 'rally_held', 'donation_made', 'delegation', 'boycott_joined', 'message'] as const;
const LOCAL_KINDS = ['rally', 'strike', 'vigil', 'assembly', 'info_stand', 'online', 'other'] as const;
const CITIES = ['Springfield', 'Riverton', 'Port Elena', 'Nueva Esperanza', 'Saint-Martin', 'Neustadt', 'Kanpur', 'Campinas', 'Rosario', 'Durban', 'Incheon', 'Izmir', 'Valencia', 'Torino', 'Lagos', 'Cebu', 'Medellín', 'Ghent', 'Porto', 'Mombasa', 'Osaka', 'Gdańsk', 'Lyon', 'Glasgow'];
const WORKERS = ['Dock workers', 'Nurses', 'Teachers', 'Bus drivers', 'Miners', 'Garment workers', 'Warehouse workers', 'Cleaners', 'Delivery riders', 'Care workers'];
const EMPLOYERS = ['Acme Industries', 'Nordwind Logistics', 'Atlas Mining', 'Delta Foods', 'Metro Transport', 'Vega Textiles', 'Orion Hospital', 'Kestrel Steel', 'Baltic Ports', 'Summit Retail'];
const BIG_FIRST = ['US', 'IN', 'FR', 'BR', 'DE', 'GB', 'AR', 'ZA', 'KR', 'TR', 'ES', 'IT', 'BD', 'MX', 'NG'];

/** What the fill made that the measurements need. */
interface Filled {
  userId: string;
  token: string;
  /** A public followed struggle with updates and calls: its page is measured. */
  struggleSlug: string;
  followedAt: string;
  bigCountry: string;
  counts: Record<string, number>;
  fillMs: number;
}

/** Weighted pick over `weights` (cumulative table, binary search). */
function weighted(weights: readonly number[]): (r: number) => number {
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
    return lo;
  };
}

/** Inserts `rows` in batches that stay within SQLite's 32,766 parameters, in one transaction. */
async function insertAll<T extends keyof Database>(db: Kysely<Database>, table: T, rows: Insertable<Database[T]>[]): Promise<void> {
  if (!rows.length) return;
  const perBatch = Math.max(1, Math.floor(30_000 / Object.keys(rows[0]!).length));
  await db.transaction().execute(async (tx) => {
    // Kysely cannot type a generic table's values; the rows are typed by the caller.
    for (let i = 0; i < rows.length; i += perBatch) await tx.insertInto(table).values(rows.slice(i, i + perBatch) as never).execute();
  });
}

async function fill(db: Kysely<Database>): Promise<Filled> {
  const started = performance.now();
  const rnd = prng(20261130);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const chance = (p: number) => rnd() < p;
  const now = Date.now();
  const followedAtMs = now - 30 * DAY;
  const followedAt = new Date(followedAtMs).toISOString();
  const iso = (ms: number) => new Date(Math.round(ms)).toISOString();
  const dateOf = (ms: number) => iso(ms).slice(0, 10);
  /** An instant at or after `from`: after the follows with probability `pAfter`, else before them (when `from` allows). */
  const eventAt = (from: number, pAfter: number) => {
    if (from >= followedAtMs - 120_000 || chance(pAfter)) {
      const lo = Math.max(from, followedAtMs) + 60_000;
      return lo + rnd() * Math.max(0, now - 60_000 - lo);
    }
    return from + rnd() * (followedAtMs - 60_000 - from);
  };

  // Countries: the big ones first; one holds BIG_SHARE, the others Zipf-like.
  const all = countryCodes();
  const countries = [...BIG_FIRST, ...all.filter((c) => !BIG_FIRST.includes(c))].slice(0, COUNTRIES);
  const zipfRest = Array.from({ length: COUNTRIES - 1 }, (_, i) => 1 / (i + 1) ** 0.8);
  const restTotal = zipfRest.reduce((a, b) => a + b, 0);
  const countryWeights = [(BIG_SHARE / (1 - BIG_SHARE)) * restTotal, ...zipfRest];
  const pickCountry = weighted(countryWeights);
  const bigCountry = countries[0]!;

  // ---- account and organizations
  const userId = await createUser(db, { email: 'bench-reader@example.org', displayName: 'Bench reader', password: 'bench-reader-password-1', locale: 'en', timeZone: 'Europe/Berlin' });
  const orgs: { id: string; country: string; networks: number[] }[] = [];
  const orgRows: Insertable<Database['organizations']>[] = [];
  const oldMs = now - 6 * 365 * DAY;
  for (let i = 0; i < ORGANIZATIONS; i++) {
    // The reader's three organizations: in the big country, the second and the tenth.
    const country = i < 3 ? countries[[0, 1, 9][i]!]! : countries[pickCountry(rnd())]!;
    const kind = pick(ORG_KINDS);
    const name = `${pick(['United', 'Free', 'General', 'National', 'Independent', 'Rank-and-file'])} ${kind === 'union' ? 'Workers Union' : kind === 'party' ? 'Labour Party' : 'Solidarity Group'} ${i + 1}`;
    const city = chance(0.7) ? pick(CITIES) : null;
    const id = newId();
    orgs.push({ id, country, networks: [] });
    const created = iso(oldMs + rnd() * 365 * DAY);
    orgRows.push({
      id,
      slug: `bench-org-${i}`,
      name,
      kind,
      country,
      city,
      website: chance(0.5) ? `https://example.org/org-${i}` : null,
      contact_email: chance(0.3) ? `contact-${i}@example.org` : null,
      description: null,
      description_lang: 'en',
      visibility: i < 3 || chance(0.95) ? 'public' : 'members',
      parent_id: null,
      search_text: searchKey(name, city),
      created_by: null,
      created_at: created,
      updated_at: created,
    });
  }
  await insertAll(db, 'organizations', orgRows);
  const [orgA, orgB, orgC] = [orgs[0]!, orgs[1]!, orgs[2]!];
  const memberRoles = ['admin', 'coordinator', 'member'] as const;
  await insertAll(db, 'organization_members', [orgA, orgB, orgC].map((o, i) => ({ organization_id: o.id, user_id: userId, role: memberRoles[i]!, created_at: iso(oldMs + DAY) })));

  // ---- networks and memberships (a tenth of them ended)
  const networkIds: string[] = [];
  const networkRows: Insertable<Database['networks']>[] = [];
  for (let i = 0; i < NETWORKS; i++) {
    const id = newId();
    networkIds.push(id);
    const created = iso(oldMs + rnd() * 365 * DAY);
    networkRows.push({ id, slug: `bench-network-${i}`, name: `${pick(SECTOR_CODES)} network ${i}`, sector: pick(SECTOR_CODES), description: null, description_lang: 'en', created_by: null, created_at: created, updated_at: created });
  }
  await insertAll(db, 'networks', networkRows);
  const membershipRows: Insertable<Database['network_memberships']>[] = [];
  const members = networkIds.map(() => [] as number[]);
  const join = (org: number, net: number, ended: boolean) => {
    const sinceMs = oldMs + 400 * DAY + rnd() * 3 * 365 * DAY;
    membershipRows.push({
      id: newId(),
      network_id: networkIds[net]!,
      organization_id: orgs[org]!.id,
      role: members[net]!.length === 0 ? 'coordinator' : chance(0.05) ? 'observer' : 'member',
      since: dateOf(sinceMs),
      until: ended ? dateOf(sinceMs + (30 + rnd() * 300) * DAY) : null,
      created_at: iso(sinceMs),
    });
    if (!ended) {
      members[net]!.push(org);
      orgs[org]!.networks.push(net);
    }
  };
  // The reader's organizations: A in networks 0 and 1, B in 1 and 2, C in 3.
  for (const [org, net] of [[0, 0], [0, 1], [1, 1], [1, 2], [2, 3]] as const) join(org, net, false);
  for (let i = 3; i < ORGANIZATIONS; i++) {
    const k = chance(0.6) ? 1 : chance(0.5) ? 2 : 0;
    const nets = new Set<number>();
    while (nets.size < k) nets.add(Math.floor(rnd() * NETWORKS));
    for (const net of nets) join(i, net, chance(0.1));
  }
  await insertAll(db, 'network_memberships', membershipRows);
  const orgsByCountry = new Map<string, number[]>();
  for (const [i, o] of orgs.entries()) orgsByCountry.set(o.country, [...(orgsByCountry.get(o.country) ?? []), i]);
  const orgIn = (country: string) => {
    const local = orgsByCountry.get(country);
    return local && chance(0.9) ? pick(local) : Math.floor(rnd() * ORGANIZATIONS);
  };
  const visibility = (weights: readonly number[]): Visibility => (['public', 'network', 'members', 'private'] as const)[weighted(weights)(rnd())]!;

  // ---- struggles: 99 % created before the follows (over six years), 1 % after
  const struggles: { id: string; created: number; country: string; public: boolean }[] = [];
  const struggleRows: Insertable<Database['struggles']>[] = [];
  const initiators: Insertable<Database['struggle_organizations']>[] = [];
  for (let i = 0; i < STRUGGLES; i++) {
    const country = countries[pickCountry(rnd())]!;
    const created = chance(STRUGGLES_AFTER) ? followedAtMs + 60_000 + rnd() * (30 * DAY - 120_000) : oldMs + rnd() * (followedAtMs - 60_000 - oldMs);
    const startMs = Math.min(created, created - rnd() * 20 * DAY);
    const ongoing = created > now - 200 * DAY ? chance(0.7) : chance(0.1);
    const endMs = ongoing ? null : Math.min(now - DAY, startMs + (2 + rnd() * 300) * DAY);
    const kind = pick(STRUGGLE_KINDS);
    const employer = kind === 'protest' ? null : pick(EMPLOYERS);
    const locality = chance(0.8) ? pick(CITIES) : null;
    const title = kind === 'strike' ? `${pick(WORKERS)} strike at ${employer} (${i})` : `${kind[0]!.toUpperCase()}${kind.slice(1)} in ${locality ?? country} (${i})`;
    const demands = chance(0.85) ? 'We demand a living wage and union recognition.' : null;
    let vis = visibility([92, 2, 4, 2]);
    const orgIndex = vis !== 'public' || chance(0.33) ? orgIn(country) : null;
    if (orgIndex === null) vis = 'public';
    const id = newId();
    struggles.push({ id, created, country, public: vis === 'public' });
    struggleRows.push({
      id,
      slug: `bench-struggle-${i}`,
      title,
      kind,
      sector: pick(SECTOR_CODES),
      country,
      locality,
      employer,
      participants: chance(0.15) ? null : Math.round(20 + rnd() * 5000),
      demands,
      start_date: dateOf(startMs),
      end_date: endMs === null ? null : dateOf(Math.max(endMs, startMs)),
      status: endMs === null ? (chance(0.9) ? 'ongoing' : 'suspended') : pick(ENDED),
      visibility: vis,
      lang: 'en',
      organization_id: orgIndex === null ? null : orgs[orgIndex]!.id,
      external_ref: orgIndex === null && chance(0.3) ? `bench:${i}` : null,
      search_text: searchKey(title, employer, demands, locality),
      created_by: null,
      created_at: iso(created),
      updated_at: iso(created),
    });
    if (orgIndex !== null) initiators.push({ struggle_id: id, organization_id: orgs[orgIndex]!.id, role: 'initiator' });
  }
  await insertAll(db, 'struggles', struggleRows);
  await insertAll(db, 'struggle_organizations', initiators);
  struggleRows.length = 0;

  // Followed struggles: public ones, spread over countries (some in followed countries).
  const followedStruggles = new Set<number>();
  while (followedStruggles.size < Math.min(50, STRUGGLES)) {
    const i = Math.floor(rnd() * STRUGGLES);
    if (struggles[i]!.public) followedStruggles.add(i);
  }
  const followedList = [...followedStruggles];
  /** A struggle for an update, call or action day: a followed one with probability `p`. */
  const struggleFor = (p: number) => (chance(p) ? followedList[Math.floor(rnd() * followedList.length)]! : Math.floor(rnd() * STRUGGLES));

  // ---- struggle updates (5 % on the followed struggles)
  const updateRows: Insertable<Database['struggle_updates']>[] = [];
  for (let i = 0; i < UPDATES; i++) {
    const s = struggles[struggleFor(0.05)]!;
    const at = eventAt(s.created, EVENTS_AFTER);
    updateRows.push({ id: newId(), struggle_id: s.id, date: dateOf(at), body: `Day ${i % 90}: ${pick(WORKERS).toLowerCase()} held the line; talks resume next week.`, lang: 'en', created_by: null, created_at: iso(at) });
  }
  await insertAll(db, 'struggle_updates', updateRows);

  // ---- solidarity calls (5 % for the followed struggles), their asks, languages, issuers
  const calls: { id: string; created: number; owner: number }[] = [];
  const callRows: Insertable<Database['solidarity_calls']>[] = [];
  const askRows: Insertable<Database['solidarity_call_asks']>[] = [];
  const langRows: Insertable<Database['solidarity_call_languages']>[] = [];
  const issuerRows: Insertable<Database['solidarity_call_issuers']>[] = [];
  for (let i = 0; i < CALLS; i++) {
    const s = struggles[struggleFor(0.05)]!;
    const owner = orgIn(s.country);
    const at = eventAt(s.created, EVENTS_AFTER);
    const id = newId();
    const title = `Solidarity with the ${s.country} struggle (${i})`;
    calls.push({ id, created: at, owner });
    callRows.push({
      id,
      slug: `bench-call-${i}`,
      struggle_id: s.id,
      organization_id: orgs[owner]!.id,
      title,
      body: 'Send a statement, join the rally, donate to the strike fund.',
      lang: 'en',
      deadline: chance(0.7) ? dateOf(at + (14 + rnd() * 60) * DAY) : null,
      action_date: chance(0.3) ? dateOf(at + (7 + rnd() * 30) * DAY) : null,
      visibility: visibility([85, 5, 8, 2]),
      search_text: searchKey(title),
      created_by: null,
      created_at: iso(at),
      updated_at: iso(at),
    });
    const asks = new Set([pick(ASKS), pick(ASKS)]);
    for (const ask of asks) askRows.push({ call_id: id, ask });
    langRows.push({ call_id: id, language: 'en', position: 0 });
    issuerRows.push({ call_id: id, organization_id: orgs[owner]!.id });
    if (chance(0.2)) {
      const co = Math.floor(rnd() * ORGANIZATIONS);
      if (co !== owner) issuerRows.push({ call_id: id, organization_id: orgs[co]!.id });
    }
  }
  await insertAll(db, 'solidarity_calls', callRows);
  await insertAll(db, 'solidarity_call_asks', askRows);
  await insertAll(db, 'solidarity_call_languages', langRows);
  await insertAll(db, 'solidarity_call_issuers', issuerRows);

  // ---- responses: a few calls get many (Zipf), 10 % on behalf of a network of the responder
  const pickCall = weighted(calls.map((_, i) => 1 / (i + 1) ** 0.6));
  const responseRows: Insertable<Database['solidarity_responses']>[] = [];
  for (let i = 0; i < RESPONSES; i++) {
    const c = calls[pickCall(rnd())]!;
    let org = Math.floor(rnd() * ORGANIZATIONS);
    if (org === c.owner) org = (org + 1) % ORGANIZATIONS;
    const o = orgs[org]!;
    const at = eventAt(c.created, EVENTS_AFTER);
    responseRows.push({
      id: newId(),
      call_id: c.id,
      organization_id: o.id,
      network_id: o.networks.length && chance(0.1) ? networkIds[pick(o.networks)]! : null,
      kind: pick(RESPONSE_KINDS),
      date: dateOf(at),
      place: chance(0.6) ? pick(CITIES) : null,
      country: chance(0.9) ? o.country : null,
      report: chance(0.5) ? 'We gathered outside the consulate with banners.' : null,
      lang: 'en',
      link: null,
      visibility: visibility([90, 4, 5, 1]),
      created_by: null,
      created_at: iso(at),
      updated_at: iso(at),
    });
  }
  await insertAll(db, 'solidarity_responses', responseRows);

  // ---- action days (a quarter for a network, 15 % for a struggle) and local actions
  const days: { id: string; created: number; start: number }[] = [];
  const dayRows: Insertable<Database['action_days']>[] = [];
  // Followed networks: two of the organizations' own, three others. The first three action days
  // are called after the follows for two of those networks and a followed struggle, so every kind
  // of notification shows up (at random, ~0.4 would).
  const followNetworks = [0, 2, 10, 17, 25];
  for (let i = 0; i < ACTION_DAYS; i++) {
    const owner = Math.floor(rnd() * ORGANIZATIONS);
    const o = orgs[owner]!;
    const at = eventAt(oldMs + 3 * 365 * DAY, i < 3 ? 1 : EVENTS_AFTER);
    const start = at + (14 + rnd() * 60) * DAY;
    const id = newId();
    const title = `International day of action ${i}`;
    days.push({ id, created: at, start });
    dayRows.push({
      id,
      slug: `bench-action-day-${i}`,
      title,
      call_text: 'Act in your town, wherever you are.',
      lang: 'en',
      start_date: dateOf(start),
      end_date: dateOf(start + (chance(0.2) ? DAY : 0)),
      organization_id: o.id,
      network_id: i < 2 ? networkIds[followNetworks[i + 2]!]! : chance(0.25) ? networkIds[o.networks.length ? pick(o.networks) : Math.floor(rnd() * NETWORKS)]! : null,
      struggle_id: i === 2 ? struggles[followedList[0]!]!.id : chance(0.15) ? struggles[struggleFor(0.2)]!.id : null,
      visibility: visibility([90, 5, 5, 0]),
      search_text: searchKey(title),
      created_by: null,
      created_at: iso(at),
      updated_at: iso(at),
    });
  }
  await insertAll(db, 'action_days', dayRows);
  const pickDay = weighted(days.map((_, i) => 1 / (i + 1) ** 0.5));
  const localRows: Insertable<Database['local_actions']>[] = [];
  for (let i = 0; i < LOCAL_ACTIONS; i++) {
    const d = days[pickDay(rnd())]!;
    const o = orgs[Math.floor(rnd() * ORGANIZATIONS)]!;
    const at = eventAt(d.created, EVENTS_AFTER);
    const date = dateOf(d.start);
    const allDay = chance(0.1);
    const zone = pick(ZONES);
    const hour = 8 + (i % 10);
    const startLocal = `${date}T${String(hour).padStart(2, '0')}:00`;
    const endLocal = `${date}T${String(hour + 2).padStart(2, '0')}:00`;
    localRows.push({
      id: newId(),
      action_day_id: d.id,
      organization_id: o.id,
      title: `Local action ${i}`,
      kind: pick(LOCAL_KINDS),
      city: pick(CITIES),
      country: o.country,
      venue: chance(0.5) ? 'Town hall square' : null,
      all_day: allDay ? 1 : 0,
      start_local: allDay ? null : startLocal,
      end_local: allDay ? null : endLocal,
      time_zone: allDay ? null : zone,
      starts_at: allDay ? null : localToInstant(startLocal, zone),
      ends_at: allDay ? null : localToInstant(endLocal, zone),
      start_date: date,
      end_date: date,
      expected_participants: chance(0.2) ? null : 10 + (i % 500),
      contact: null,
      visibility: visibility([95, 3, 2, 0]),
      created_by: null,
      created_at: iso(at),
      updated_at: iso(at),
    });
  }
  await insertAll(db, 'local_actions', localRows);

  // ---- follows of the three organizations, all made 30 days ago (within an hour)
  const followRows: Insertable<Database['follows']>[] = [];
  const followCalls = new Set<number>();
  while (followCalls.size < Math.min(20, CALLS)) followCalls.add(Math.floor(rnd() * CALLS));
  // The big country and nine others down the ranks.
  const followCountries = [0, 2, 4, 9, 19, 34, 49, 79, 109, 139].map((r) => countries[r]!);
  const plan = [
    { org: orgA, struggles: followedList.slice(0, 20), calls: [...followCalls].slice(0, 10), networks: followNetworks.slice(0, 2), countries: followCountries.slice(0, 4) },
    { org: orgB, struggles: followedList.slice(20, 40), calls: [...followCalls].slice(10, 15), networks: followNetworks.slice(2, 4), countries: followCountries.slice(4, 7) },
    { org: orgC, struggles: followedList.slice(40), calls: [...followCalls].slice(15), networks: followNetworks.slice(4), countries: followCountries.slice(7) },
  ];
  for (const p of plan) {
    const add = (target_kind: 'struggle' | 'call' | 'network' | 'country', target_id: string) =>
      followRows.push({ id: newId(), organization_id: p.org.id, target_kind, target_id, created_by: userId, created_at: iso(followedAtMs - rnd() * 3_600_000) });
    for (const s of p.struggles) add('struggle', struggles[s]!.id);
    for (const c of p.calls) add('call', calls[c]!.id);
    for (const net of p.networks) add('network', networkIds[net]!);
    for (const c of p.countries) add('country', c);
  }
  await insertAll(db, 'follows', followRows);

  // The measured struggle page: the followed struggle with the most updates.
  const updatesOf = new Map<string, number>();
  for (const u of updateRows) updatesOf.set(u.struggle_id, (updatesOf.get(u.struggle_id) ?? 0) + 1);
  const shown = followedList.reduce((best, i) => ((updatesOf.get(struggles[i]!.id) ?? 0) > (updatesOf.get(struggles[best]!.id) ?? 0) ? i : best), followedList[0]!);
  const token = await createSession(db, userId, { userAgent: 'bench' });
  const bigShare = struggles.filter((s) => s.country === bigCountry).length / STRUGGLES;
  return {
    userId,
    token,
    struggleSlug: `bench-struggle-${shown}`,
    followedAt,
    bigCountry: `${bigCountry} (${(bigShare * 100).toFixed(1)} % of struggles)`,
    counts: {
      struggles: STRUGGLES,
      'created after the follows': struggles.filter((s) => s.created > followedAtMs).length,
      updates: UPDATES,
      calls: CALLS,
      responses: RESPONSES,
      'action days': ACTION_DAYS,
      'local actions': LOCAL_ACTIONS,
      organizations: ORGANIZATIONS,
      networks: NETWORKS,
      'network memberships': membershipRows.length,
      follows: followRows.length,
    },
    fillMs: performance.now() - started,
  };
}

// ---------------------------------------------------------------- measuring

function pct(values: number[]): { p50: number; p90: number } {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { p50: at(0.5), p90: at(0.9) };
}

/**
 * `fn` run `runs` times one after the other, after three unmeasured runs: wall ms p50 / p90 and
 * the number of runs. With `budgetMs`, stops early once that much time went by (at least 5 runs).
 */
async function timeIt(fn: () => Promise<unknown>, runs = RUNS, budgetMs = Infinity): Promise<{ p50: number; p90: number; runs: number }> {
  for (let i = 0; i < 3; i++) await fn();
  const times: number[] = [];
  const started = performance.now();
  for (let i = 0; i < runs && (i < 5 || performance.now() - started < budgetMs); i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return { ...pct(times), runs: times.length };
}

/** Captures the SQL of the queries run through it (for EXPLAIN), without changing them. */
function capturing(db: Kysely<Database>): { db: Kysely<Database>; queries: CompiledQuery[] } {
  const queries: CompiledQuery[] = [];
  const plugin: KyselyPlugin = {
    transformQuery(args) {
      queries.push(db.getExecutor().compileQuery(args.node as RootOperationNode, args.queryId));
      return args.node;
    },
    async transformResult(args): Promise<QueryResult<UnknownRow>> {
      return args.result;
    },
  };
  return { db: db.withPlugin(plugin), queries };
}

/**
 * The branches of the notifications UNION ALL in a captured statement, each as a standalone
 * `SELECT COUNT(*)` with its own parameters (`?` on SQLite, `$n` renumbered on PostgreSQL).
 */
function unionBranches(q: CompiledQuery, engine: Engine): { kind: string; query: CompiledQuery }[] {
  const start = q.sql.indexOf("SELECT 'struggle_created'");
  const end = q.sql.lastIndexOf(') e');
  if (start < 0 || end < 0) return [];
  const params = [...q.parameters];
  const parts = q.sql.slice(start, end).split(/\n\s*UNION ALL\n/);
  let offset = (q.sql.slice(0, start).match(/\?/g) ?? []).length;
  return parts.map((part) => {
    const kind = /SELECT '(\w+)'/.exec(part)?.[1] ?? '?';
    if (engine === 'sqlite') {
      const count = (part.match(/\?/g) ?? []).length;
      const query = CompiledQuery.raw(`SELECT COUNT(*) AS n FROM (${part}) b`, params.slice(offset, offset + count));
      offset += count;
      return { kind, query };
    }
    const used = [...part.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]));
    const lo = Math.min(...used);
    const hi = Math.max(...used);
    const sqlText = part.replace(/\$(\d+)/g, (_, d: string) => `$${Number(d) - lo + 1}`);
    return { kind, query: CompiledQuery.raw(`SELECT COUNT(*) AS n FROM (${sqlText}) b`, params.slice(lo - 1, hi)) };
  });
}

/**
 * One autocannon run from a child process: in this process, a server that blocks the event loop
 * for seconds (synchronous SQLite) would also stall the load generator's timers and sockets.
 */
function loadRun(options: { url: string; connections: number; duration: number; headers: Record<string, string> }): Promise<AutocannonResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--load', JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: AutocannonResult | null = null;
    child.on('message', (m) => {
      result = m as AutocannonResult;
    });
    child.on('error', reject);
    child.on('exit', (code) => (result ? resolve(result) : reject(new Error(`load generator exited with ${code}`))));
  });
}

async function runEngine(label: string, handle: DbHandle): Promise<void> {
  const { db, engine } = handle;
  await migrateToLatest(db);
  const f = await fill(db);
  // Steady state after a bulk load, as autovacuum leaves it: statistics and the visibility map.
  if (engine === 'postgres') {
    for (const t of ['organizations', 'networks', 'network_memberships', 'struggles', 'struggle_organizations', 'struggle_updates', 'solidarity_calls', 'solidarity_call_issuers', 'solidarity_responses', 'action_days', 'local_actions', 'follows', 'users', 'sessions', 'organization_members']) {
      await db.executeQuery(CompiledQuery.raw(`VACUUM (ANALYZE) ${t}`));
    }
  }
  const viewer = await loadViewer(db, f.token);
  if (!viewer) throw new Error('the bench session does not sign in');

  const app = await buildApp({ db, engine, logLevel: (process.env.BENCH_LOG_LEVEL ?? 'silent'), rateLimitPerMinute: 1_000_000 });
  // Requests still running when a load run ends (autocannon stops waiting, the server does not)
  // would be counted against the next run: each run starts once the server has been idle for a
  // second (SQLite blocks the event loop, so requests already received may not have started yet).
  let inFlight = 0;
  let lastActivity = 0;
  // Counted on the HTTP server itself: a client may hang up while a hook is still awaiting, and
  // `close` comes once per response, whether it was sent or cut off.
  app.server.on('request', (_req: unknown, res: { once(event: 'close', fn: () => void): void }) => {
    inFlight++;
    lastActivity = performance.now();
    res.once('close', () => {
      inFlight--;
      lastActivity = performance.now();
    });
  });
  const drained = async () => {
    const until = performance.now() + 300_000;
    while ((inFlight > 0 || performance.now() - lastActivity < 1000) && performance.now() < until) await new Promise((r) => setTimeout(r, 100));
  };
  const bare = Fastify({ logger: false });
  bare.get('/bare', async () => ({ hello: 'world' }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  await bare.listen({ host: '127.0.0.1', port: 0 });
  const appUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const bareUrl = `http://127.0.0.1:${(bare.server.address() as AddressInfo).port}`;
  const signedIn = { cookie: `sid=${f.token}`, 'accept-language': 'en' };
  const anonymous = { 'accept-language': 'en' };
  const strugglePath = `/struggles/${f.struggleSlug}`;

  // What the reader has: every visible notification (up to 500) and the header count.
  const visible = await listNotifications(db, viewer, { limit: 500 });
  const byKind = new Map<string, number>();
  for (const x of visible) byKind.set(x.kind, (byKind.get(x.kind) ?? 0) + 1);
  const unread = await countUnread(db, viewer, 100);
  const check = await app.inject({ method: 'GET', url: '/notifications', headers: signedIn });
  if (check.statusCode !== 200) throw new Error(`/notifications answered ${check.statusCode}`);
  const page = await app.inject({ method: 'GET', url: strugglePath, headers: signedIn });
  if (page.statusCode !== 200 || !page.body.includes('unread-count')) throw new Error(`${strugglePath} answered ${page.statusCode} without the unread count`);

  // One at a time, no load.
  const inject = (url: string, headers: Record<string, string>) => async () => {
    const res = await app.inject({ method: 'GET', url, headers });
    if (res.statusCode !== 200) throw new Error(`${url} answered ${res.statusCode}`);
  };
  // Whole pages get a minute each at most (a slow page on a slow engine would take many).
  const single = {
    bare: await timeIt(async () => bare.inject({ method: 'GET', url: '/bare' })),
    notifications: await timeIt(inject('/notifications', signedIn), RUNS, 60_000),
    struggleSignedIn: await timeIt(inject(strugglePath, signedIn), RUNS, 60_000),
    struggleAnonymous: await timeIt(inject(strugglePath, anonymous), RUNS, 60_000),
    loadViewer: await timeIt(() => loadViewer(db, f.token)),
    list: await timeIt(() => listNotifications(db, viewer, { limit: 51 })),
    count: await timeIt(() => countUnread(db, viewer, 100)),
  };
  // The steady state of a reader who keeps up: everything read, the count finds nothing.
  await db.updateTable('users').set({ notifications_read_at: new Date().toISOString() }).where('id', '=', f.userId).execute();
  const countRead = await timeIt(() => countUnread(db, viewer, 100));
  const struggleSignedInRead = await timeIt(inject(strugglePath, signedIn), RUNS, 60_000);
  await db.updateTable('users').set({ notifications_read_at: null }).where('id', '=', f.userId).execute();

  // Under load.
  const load = async (url: string, headers: Record<string, string> = {}) => {
    const r = await loadRun({ url, connections: 10, duration: SECONDS, headers });
    await drained();
    return r;
  };
  const bareRun = await load(`${bareUrl}/bare`);
  const anonRun = await load(`${appUrl}${strugglePath}`, anonymous);
  const signedRun = await load(`${appUrl}${strugglePath}`, signedIn);
  const notificationsRun = await load(`${appUrl}/notifications`, signedIn);
  const bareAgain = await load(`${bareUrl}/bare`);
  const bareRps = (bareRun.requests.average + bareAgain.requests.average) / 2;

  // Which branch of the UNION costs what (each alone, all rows, reader never read).
  const cap = capturing(db);
  await countUnread(cap.db, viewer, 100);
  await listNotifications(cap.db, viewer, { limit: 51 });
  const countQuery = cap.queries.find((q) => q.sql.includes('COUNT(*) AS n'))!;
  const listQuery = cap.queries.find((q) => q.sql.includes('MIN(follower_id'))!;
  const branches: { kind: string; rows: number; p50: number }[] = [];
  for (const b of unionBranches(countQuery, engine)) {
    let rows = 0;
    const t = await timeIt(async () => {
      const r = await db.executeQuery<{ n: number | string }>(b.query);
      rows = Number(r.rows[0]?.n ?? 0);
    }, 5);
    branches.push({ kind: b.kind, rows, p50: t.p50 });
  }

  const fmt = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(1));
  console.log(`\n${label}: notifications of one reader (3 organizations, ${f.counts.follows} follows made ${f.followedAt})`);
  console.log(`  fill ${(f.fillMs / 1000).toFixed(1)} s: ${Object.entries(f.counts).map(([k, v]) => `${v.toLocaleString('en')} ${k}`).join(', ')}; biggest country ${f.bigCountry}`);
  console.log(`  the reader sees ${visible.length}${visible.length === 500 ? '+' : ''} notifications (${[...byKind].map(([k, v]) => `${k} ${v}`).join(', ')}); header count ${unread}${unread === 100 ? ' (capped)' : ''}`);
  console.log(`\n  single request / call (${RUNS} runs)           ${'p50 ms'.padStart(8)} ${'p90 ms'.padStart(8)} ${'×bare p50'.padStart(10)}`);
  for (const [name, t] of [
    ['bare Fastify GET /bare (inject)', single.bare],
    ['GET /notifications, signed in', single.notifications],
    ['GET /struggles/:slug, signed in', single.struggleSignedIn],
    ['GET /struggles/:slug, anonymous', single.struggleAnonymous],
    ['  … signed in, all read', struggleSignedInRead],
    ['loadViewer (session → viewer)', single.loadViewer],
    ['listNotifications (51 rows)', single.list],
    ['countUnread (never read, cap 100)', single.count],
    ['countUnread (all read → 0)', countRead],
  ] as const) {
    console.log(`  ${name.padEnd(42)} ${fmt(t.p50).padStart(8)} ${fmt(t.p90).padStart(8)} ${(t.p50 / single.bare.p50).toFixed(0).padStart(10)}${t.runs < RUNS ? ` (${t.runs} runs: one-minute budget)` : ''}`);
  }
  console.log(`\n  under load (10 connections, ${SECONDS} s)     ${'req/s'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'×bare'.padStart(8)} ${'ms/req'.padStart(7)}`);
  for (const [name, r] of [
    ['bare Fastify GET /bare', bareRun],
    ['GET /struggles/:slug, anonymous', anonRun],
    ['GET /struggles/:slug, signed in', signedRun],
    ['GET /notifications, signed in', notificationsRun],
    ['bare Fastify GET /bare (again)', bareAgain],
  ] as const) {
    const bad = r.non2xx + r.errors ? ` (${r.non2xx} non-2xx, ${r.errors} errors${r.timeouts ? `, ${r.timeouts} timed out after 10 s` : ''})` : '';
    const perRequest = r.requests.average ? (1000 / r.requests.average).toFixed(2) : '–';
    console.log(`  ${name.padEnd(42)} ${r.requests.average.toFixed(0).padStart(8)} ${String(r.latency.p50).padStart(7)} ${String(r.latency.p99).padStart(7)} ${(r.requests.average / bareRps).toFixed(4).padStart(8)} ${perRequest.padStart(7)}${bad}`);
  }
  const underLoad = signedRun.requests.average && anonRun.requests.average ? `${fmt(1000 / signedRun.requests.average - 1000 / anonRun.requests.average)} ms` : 'n/a (no signed-in request completed)';
  console.log(`\n  signed-in minus anonymous struggle page: ${fmt(single.struggleSignedIn.p50 - single.struggleAnonymous.p50)} ms one at a time (p50), ${underLoad} of server time per request under load`);
  console.log(`  of which loadViewer ${fmt(single.loadViewer.p50)} ms and countUnread ${fmt(single.count.p50)} ms (p50, alone); the rest is the page's other viewer-dependent work (follow control, visibility filters)`);
  console.log(`\n  UNION branches alone (all matching rows, never read)  ${'rows'.padStart(7)} ${'p50 ms'.padStart(8)}`);
  for (const b of branches) console.log(`  ${b.kind.padEnd(53)} ${String(b.rows).padStart(7)} ${fmt(b.p50).padStart(8)}`);

  const slow = single.count.p50 > 50 || countRead.p50 > 50 || single.list.p50 > 50;
  if (slow || process.env.BENCH_EXPLAIN) {
    console.log(`\n  ${slow ? 'SLOW (a query above 50 ms): ' : ''}query plans (${engine === 'sqlite' ? 'EXPLAIN QUERY PLAN' : 'EXPLAIN (ANALYZE, BUFFERS)'})`);
    for (const [name, q] of [['countUnread', countQuery], ['listNotifications', listQuery]] as const) {
      console.log(`  -- ${name}`);
      for (const line of await explain(db, engine, q)) console.log(`    ${line}`);
    }
  }
  await app.close();
  await bare.close();
}

if (process.argv[2] === '--load') {
  // Child process of `loadRun`: one run, its figures back to the parent.
  const r = await autocannon(JSON.parse(process.argv[3]!) as object);
  process.send!({ requests: { average: r.requests.average }, latency: { p50: r.latency.p50, p99: r.latency.p99 }, non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts });
  process.disconnect();
} else {
  await main();
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'solidaris-bench-notifications-'));
  try {
    const sqlite = await openDb({ engine: 'sqlite', path: join(dir, 'bench.sqlite') });
    try {
      await runEngine('SQLite', sqlite);
    } finally {
      await sqlite.close();
    }
    const url = process.env.BENCH_DATABASE_URL;
    if (url) {
      await withBenchSchema(url, 10, async (handle, schema) => {
        await runEngine(`PostgreSQL (schema ${schema})`, handle);
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
