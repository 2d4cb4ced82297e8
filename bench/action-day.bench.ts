/**
 * `npm run bench:action-day`: an action day with 5,000 local actions across 150 countries, on
 * SQLite (and PostgreSQL when `BENCH_DATABASE_URL` is set). Measures, in one run:
 * - the action-day page and its `.ics` feed under load (autocannon, 10 connections, 8 s each),
 *   against a bare Fastify route served by the same process (the ratio is the comparable figure;
 *   machines here are noisy);
 * - the feed generation alone (route handler through `app.inject`, 30 runs): p50 / p90.
 * Prints a table; writes nothing into the repository.
 */
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import { openDb, type DbTarget } from '../src/db/client.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { buildApp } from '../src/app.ts';
import { newId } from '../src/lib/ids.ts';
import { localToInstant } from '../src/lib/zoned-time.ts';
import { countryCodes } from '../src/lib/countries.ts';

const LOCAL_ACTIONS = 5000;
const COUNTRIES = 150;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);

interface AutocannonResult {
  requests: { average: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (o: object) => Promise<AutocannonResult>;

/** Zones spread over the world, half-hour and 45-minute ones included. */
const ZONES = ['Europe/Berlin', 'America/Sao_Paulo', 'Asia/Tehran', 'Asia/Kolkata', 'Asia/Kathmandu', 'Africa/Lubumbashi', 'America/Lima', 'Asia/Manila', 'Australia/Sydney', 'America/St_Johns', 'Europe/Istanbul', 'Pacific/Auckland'];

async function fill(target: DbTarget): Promise<{ slug: string; close: () => Promise<void>; db: Awaited<ReturnType<typeof openDb>> }> {
  const h = await openDb(target);
  await migrateToLatest(h.db);
  const now = new Date().toISOString();
  const countries = countryCodes().slice(0, COUNTRIES);
  const orgIds: string[] = [];
  for (const [i, country] of countries.entries()) {
    const id = newId();
    orgIds.push(id);
    await h.db
      .insertInto('organizations')
      .values({ id, slug: `bench-org-${i}`, name: `Bench union ${i}`, kind: 'union', country, city: null, website: null, contact_email: null, description: null, description_lang: 'en', visibility: 'public', parent_id: null, search_text: `bench union ${i}`, created_by: null, created_at: now, updated_at: now })
      .execute();
  }
  const dayId = newId();
  const slug = 'bench-action-day';
  await h.db
    .insertInto('action_days')
    .values({ id: dayId, slug, title: 'International day of action (bench)', call_text: 'Act everywhere.', lang: 'en', start_date: '2027-05-01', end_date: '2027-05-01', organization_id: orgIds[0]!, network_id: null, struggle_id: null, visibility: 'public', search_text: 'international day of action', created_by: null, created_at: now, updated_at: now })
    .execute();
  const rows = Array.from({ length: LOCAL_ACTIONS }, (_, i) => {
    const zone = ZONES[i % ZONES.length]!;
    const hour = 8 + (i % 10);
    const startLocal = `2027-05-01T${String(hour).padStart(2, '0')}:00`;
    const endLocal = `2027-05-01T${String(hour + 2).padStart(2, '0')}:00`;
    const org = i % COUNTRIES;
    return {
      id: newId(),
      action_day_id: dayId,
      organization_id: orgIds[org]!,
      title: `Local action ${i}`,
      kind: 'rally' as const,
      city: `City ${i % 700}`,
      country: countries[org]!,
      venue: null,
      all_day: 0,
      start_local: startLocal,
      end_local: endLocal,
      time_zone: zone,
      starts_at: localToInstant(startLocal, zone),
      ends_at: localToInstant(endLocal, zone),
      start_date: '2027-05-01',
      end_date: '2027-05-01',
      expected_participants: 10 + (i % 500),
      contact: null,
      visibility: 'public' as const,
      created_by: null,
      created_at: now,
      updated_at: now,
    };
  });
  for (let i = 0; i < rows.length; i += 200) await h.db.insertInto('local_actions').values(rows.slice(i, i + 200)).execute();
  return { slug, close: h.close, db: h };
}

function ms(values: number[]): { p50: number; p90: number } {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { p50: at(0.5), p90: at(0.9) };
}

async function runEngine(label: string, target: DbTarget): Promise<void> {
  const filled = await fill(target);
  const app = await buildApp({ db: filled.db.db, engine: filled.db.engine, logLevel: 'silent', rateLimitPerMinute: 1_000_000 });
  const bare = Fastify({ logger: false });
  bare.get('/bare', async () => ({ hello: 'world' }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  await bare.listen({ host: '127.0.0.1', port: 0 });
  const appUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const bareUrl = `http://127.0.0.1:${(bare.server.address() as AddressInfo).port}`;

  // Feed generation alone: the whole route through inject (query + ical-generator + serialization).
  const feedTimes: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    const res = await app.inject({ method: 'GET', url: `/action-days/${filled.slug}/calendar.ics` });
    feedTimes.push(performance.now() - t0);
    bytes = res.rawPayload.length;
    if (res.statusCode !== 200) throw new Error(`feed answered ${res.statusCode}`);
  }
  const pageTimes: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    const res = await app.inject({ method: 'GET', url: `/action-days/${filled.slug}`, headers: { 'accept-language': 'en' } });
    pageTimes.push(performance.now() - t0);
    if (res.statusCode !== 200) throw new Error(`page answered ${res.statusCode}`);
  }

  const load = (url: string, headers: Record<string, string> = {}) => autocannon({ url, connections: 10, duration: SECONDS, headers });
  const bareRun = await load(`${bareUrl}/bare`);
  const pageRun = await load(`${appUrl}/action-days/${filled.slug}`, { 'accept-encoding': 'gzip', 'accept-language': 'en' });
  const feedRun = await load(`${appUrl}/action-days/${filled.slug}/calendar.ics`, { 'accept-encoding': 'gzip' });
  const bareAgain = await load(`${bareUrl}/bare`);
  const bareRps = (bareRun.requests.average + bareAgain.requests.average) / 2;

  const f = ms(feedTimes);
  const p = ms(pageTimes);
  console.log(`\n${label}: action day with ${LOCAL_ACTIONS} local actions in ${COUNTRIES} countries (${ZONES.length} time zones)`);
  console.log(`  single request (inject, 30 runs)   page p50 ${p.p50.toFixed(1)} ms, p90 ${p.p90.toFixed(1)} ms; .ics p50 ${f.p50.toFixed(1)} ms, p90 ${f.p90.toFixed(1)} ms (${Math.round(bytes / 1024)} KiB)`);
  console.log(`  ${'route'.padEnd(34)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'×bare'.padStart(7)}`);
  for (const [name, r] of [
    ['bare Fastify GET /bare', bareRun],
    ['GET /action-days/:slug', pageRun],
    ['GET /action-days/:slug/calendar.ics', feedRun],
    ['bare Fastify GET /bare (again)', bareAgain],
  ] as const) {
    const bad = r.non2xx + r.errors ? ` (${r.non2xx} non-2xx, ${r.errors} errors)` : '';
    console.log(`  ${name.padEnd(34)} ${r.requests.average.toFixed(0).padStart(8)} ${String(r.latency.p50).padStart(7)} ${String(r.latency.p99).padStart(7)} ${(r.requests.average / bareRps).toFixed(4).padStart(7)}${bad}`);
  }
  await app.close();
  await bare.close();
  await filled.close();
}

const dir = mkdtempSync(join(tmpdir(), 'solidaris-bench-day-'));
try {
  await runEngine('SQLite', { engine: 'sqlite', path: join(dir, 'bench.sqlite') });
  if (process.env.BENCH_DATABASE_URL) await runEngine('PostgreSQL', { engine: 'postgres', url: process.env.BENCH_DATABASE_URL });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
