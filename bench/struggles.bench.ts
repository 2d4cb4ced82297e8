/**
 * Load benchmark of the filtered struggles list (page and API) — `npm run bench`.
 *
 * Two processes, so the load generator and the server do not share one event loop:
 * - this process (the driver) parses the flags, starts the server process, runs autocannon
 *   against it over 127.0.0.1 and prints the report;
 * - the server process (this same file with `--bench-server`) fills a fresh database, profiles
 *   the list/count queries, then serves the real app (`buildApp`, log level `silent`) and a bare
 *   Fastify route (the baseline) on two free loopback ports, and measures server-side time per
 *   request (`reply.elapsedTime` in an `onResponse` hook), event-loop utilization, CPU and memory.
 *
 * Only 127.0.0.1 is ever contacted (plus the PostgreSQL server given with `--postgres`).
 * See docs/PERFORMANCE.md for what the figures mean and the results of a run.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, totalmem, freemem, loadavg, platform, release, arch } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { CompiledQuery, sql, type Kysely, type KyselyPlugin, type QueryResult, type RootOperationNode, type UnknownRow } from 'kysely';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../src/db/schema.ts';
import type { DbHandle } from '../src/db/client.ts';
import { databaseVersion, fillDatabase, publicCombos, spreadCombos, type Combo, type FillResult } from './fill.ts';
import { explain } from './query-plan.ts';

const PROJECT = fileURLToPath(new URL('..', import.meta.url));
const BENCH_DIR = join(PROJECT, '.bench');

// ---------------------------------------------------------------- options

interface Options {
  struggles: number;
  countries: number;
  connections: number;
  /** Seconds per measured run. */
  duration: number;
  /** Seconds of warm-up before each measured run (not recorded). */
  warmup: number;
  combos: number;
  postgres: string | null;
  sqlite: boolean;
  gzip: boolean;
  profile: boolean;
  keep: boolean;
  json: string;
  /** What-if: partial indexes `WHERE visibility = 'public'` created after the fill (see docs/PERFORMANCE.md). */
  tryPublicIndexes: boolean;
  /** What-if: SQLite page cache in MB for the app's connection (SQLite's default is 2 MB). */
  trySqliteCacheMb: number | null;
}

const HELP = `npm run bench -- [options]      (most options can also be set as BENCH_<NAME>, e.g. BENCH_DURATION=5)
  --struggles N     struggles to fill (100000)
  --countries N     countries they are spread over (150)
  --connections N   autocannon connections (10)
  --duration S      seconds per measured run (10)
  --warmup S        seconds of warm-up before each run (3)
  --combos N        country+sector filters rotated in the list runs (8)
  --postgres URL    also fill and run against PostgreSQL (BENCH_DATABASE_URL); a fresh schema, dropped after
  --no-sqlite       skip SQLite (with --postgres)
  --gzip            send Accept-Encoding: gzip like a browser (responses compressed by @fastify/compress)
  --profile         CPU-profile the server during an extra page run; prints the top functions and
                    writes .bench/page-<engine>.cpuprofile (open in Chrome DevTools)
  --keep            keep the SQLite file (its path is printed)
  --json FILE       where to write the results (.bench/last-run.json)
What-if experiments (not the shipped configuration; each is named in the report):
  --try-public-indexes   add partial indexes WHERE visibility = 'public' after the fill
  --try-sqlite-cache MB  set PRAGMA cache_size on the app's SQLite connection (default 2 MB)`;

function options(): Options {
  const { values } = parseArgs({
    options: {
      struggles: { type: 'string' },
      countries: { type: 'string' },
      connections: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      combos: { type: 'string' },
      postgres: { type: 'string' },
      'no-sqlite': { type: 'boolean' },
      gzip: { type: 'boolean' },
      profile: { type: 'boolean' },
      keep: { type: 'boolean' },
      json: { type: 'string' },
      'try-public-indexes': { type: 'boolean' },
      'try-sqlite-cache': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const env = process.env;
  const num = (name: keyof typeof values, fallback: number) => {
    const raw = (values[name] as string | undefined) ?? env[`BENCH_${name.toUpperCase().replaceAll('-', '_')}`];
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${raw}`);
    return n;
  };
  const flag = (name: 'gzip' | 'profile' | 'keep') => !!values[name] || env[`BENCH_${name.toUpperCase()}`] === '1';
  const postgres = values.postgres ?? env.BENCH_DATABASE_URL ?? null;
  if (postgres && !/^postgres(ql)?:\/\//.test(postgres)) throw new Error('--postgres must be a postgres:// URL');
  return {
    struggles: Math.round(num('struggles', 100_000)),
    countries: Math.round(num('countries', 150)),
    connections: Math.round(num('connections', 10)),
    duration: num('duration', 10),
    warmup: num('warmup', 3),
    combos: Math.round(num('combos', 8)),
    postgres,
    sqlite: !values['no-sqlite'],
    gzip: flag('gzip'),
    profile: flag('profile'),
    keep: flag('keep'),
    json: resolve(values.json ?? env.BENCH_JSON ?? join(BENCH_DIR, 'last-run.json')),
    tryPublicIndexes: !!values['try-public-indexes'] || env.BENCH_TRY_PUBLIC_INDEXES === '1',
    trySqliteCacheMb: values['try-sqlite-cache'] !== undefined || env.BENCH_TRY_SQLITE_CACHE ? num('try-sqlite-cache', 2) : null,
  };
}

// ---------------------------------------------------------------- shared shapes

type Engine = 'sqlite' | 'postgres';

interface ServerConfig {
  engine: Engine;
  postgresUrl: string | null;
  struggles: number;
  countries: number;
  combos: number;
  keep: boolean;
  tryPublicIndexes: boolean;
  trySqliteCacheMb: number | null;
}

interface Memory {
  rssMb: number;
  heapUsedMb: number;
  /** Peak resident set size of the process so far. */
  maxRssMb: number;
}

interface Distribution {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  max: number;
}

/** Wall-time distribution of an operation repeated one at a time, and its mean CPU time (ms). */
interface Timing extends Distribution {
  cpuMs: number;
}

interface QueryProfile {
  /** `US+manufacturing`, `sector=health` or `no filter`. */
  label: string;
  /** Public struggles matching. */
  rows: number;
  /** `listStruggles` (one page + 1) and `countStruggles`, awaited one after the other. */
  list: Timing;
  count: Timing;
  /** Whole request through `app.inject` (no sockets): page and API. */
  page: Timing;
  api: Timing;
}

interface Ready {
  type: 'ready';
  engine: Engine;
  database: string;
  version: string;
  /** What-if changes applied to this run (empty: the shipped configuration). */
  experiments: string[];
  fill: FillResult;
  memAfterFill: Memory;
  combos: Combo[];
  largest: Combo;
  totalCombos: number;
  plans: { query: string; sql: string; plan: string[] }[];
  queries: QueryProfile[];
  appPort: number;
  barePort: number;
}

interface RunStats {
  /** Server time (`reply.elapsedTime`, ms) per route URL pattern. */
  serverTime: Record<string, Distribution>;
  /** The same per filter: `country+sector` → distribution (list routes only). */
  serverTimeByFilter: Record<string, Distribution>;
  statuses: Record<string, number>;
  /** Responses the server completed while recording. */
  requests: number;
  /** Event-loop utilization of the server over the run (1 = saturated). */
  elu: number;
  /** CPU time of the server process over the run, in cores (1 = one core fully busy). */
  cpuCores: number;
  /** Server CPU time per response (ms): what a request costs, whatever else the machine runs. */
  cpuMsPerRequest: number;
  memory: Memory;
}

interface ProfileSummary {
  file: string;
  topFunctions: { name: string; where: string; selfMs: number; share: number }[];
  byOrigin: { origin: string; selfMs: number; share: number }[];
}

const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

function memory(): Memory {
  const m = process.memoryUsage();
  return { rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed), maxRssMb: mb(process.resourceUsage().maxRSS * 1024) };
}

/** Exact percentiles of a sample (nearest-rank). */
export function distribution(values: number[]): Distribution {
  if (!values.length) return { count: 0, p50: 0, p90: 0, p99: 0, mean: 0, max: 0 };
  const s = Float64Array.from(values).sort();
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return { count: s.length, p50: round(at(0.5)), p90: round(at(0.9)), p99: round(at(0.99)), mean: round(s.reduce((a, b) => a + b, 0) / s.length), max: round(s[s.length - 1]!) };
}

// ---------------------------------------------------------------- server process

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
 * Runs `fn` `n` times one after the other (after a few unmeasured runs). CPU time is the
 * process's (all threads, so GC helpers count), which a busy machine disturbs less than wall time.
 */
async function timeIt(n: number, fn: () => Promise<unknown>): Promise<Timing> {
  for (let i = 0; i < Math.min(10, n); i++) await fn();
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  return { ...distribution(times), cpuMs: Math.round(((cpu.user + cpu.system) / 1000 / n) * 1000) / 1000 };
}

const gc = () => (globalThis as { gc?: () => void }).gc?.();

async function serverMain(config: ServerConfig): Promise<void> {
  const send = (msg: unknown) => process.send!(msg);
  const { openDb } = await import('../src/db/client.ts');
  const { migrateToLatest } = await import('../src/db/migrate.ts');
  const { buildApp } = await import('../src/app.ts');
  const { listStruggles, countStruggles } = await import('../src/modules/struggles/struggles.repo.ts');
  const Fastify = (await import('fastify')).default;
  const pg = (await import('pg')).default;

  let cleanup: () => Promise<void>;
  let handle: DbHandle;
  let database: string;
  if (config.engine === 'sqlite') {
    const dir = config.keep ? (mkdirSync(BENCH_DIR, { recursive: true }), mkdtempSync(join(BENCH_DIR, 'db-'))) : mkdtempSync(join(tmpdir(), 'solidaris-bench-'));
    database = join(dir, 'bench.sqlite');
    handle = await openDb({ engine: 'sqlite', path: database });
    cleanup = async () => {
      if (!config.keep) rmSync(dir, { recursive: true, force: true });
    };
  } else {
    const url = config.postgresUrl!;
    const schema = `bench_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.end();
    database = `${url.replace(/\/\/[^@/]*@/, '//')} schema ${schema}`;
    handle = await openDb({ engine: 'postgres', url, schema, poolSize: 10 });
    cleanup = async () => {
      if (config.keep) return;
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    };
  }
  const { db, engine } = handle;
  await migrateToLatest(db);
  const version = await databaseVersion(db, engine);

  const fill = await fillDatabase(db, {
    struggles: config.struggles,
    countries: config.countries,
    onProgress: (written, total) => send({ type: 'progress', written, total }),
  });
  const experiments: string[] = [];
  if (config.tryPublicIndexes) {
    // What-if: the partial indexes recommended in docs/PERFORMANCE.md, so counts for anonymous
    // visitors (`visibility = 'public'`, a literal in visibleWhere) read the index only.
    const indexes: [string, ('country' | 'sector' | 'start_date' | 'id')[]][] = [
      ['bench_public_country_sector_start_idx', ['country', 'sector', 'start_date', 'id']],
      ['bench_public_sector_start_idx', ['sector', 'start_date', 'id']],
      ['bench_public_start_idx', ['start_date', 'id']],
    ];
    for (const [name, columns] of indexes) {
      await db.schema.createIndex(name).ifNotExists().on('struggles').columns(columns).where(sql.ref('visibility'), '=', 'public').execute();
    }
    experiments.push('partial indexes WHERE visibility = public');
  }
  if (engine === 'sqlite' && config.trySqliteCacheMb) {
    await sql.raw(`PRAGMA cache_size = -${Math.round(config.trySqliteCacheMb * 1024)}`).execute(db);
    experiments.push(`SQLite cache_size ${config.trySqliteCacheMb} MB`);
  }
  // Steady state after a bulk load: statistics and the visibility map (index-only scans), as autovacuum leaves them.
  if (engine === 'postgres') await db.executeQuery(CompiledQuery.raw('VACUUM (ANALYZE) struggles'));
  gc();
  const memAfterFill = memory();

  const all = await publicCombos(db);
  const combos = spreadCombos(all, config.combos);
  const largest = all[0]!;

  // Query plans of the two statements behind one filtered list request (anonymous viewer).
  const cap = capturing(db);
  const filters = { country: largest.country, sector: largest.sector };
  await listStruggles(cap.db, null, filters, { limit: 26 });
  await countStruggles(cap.db, null, filters);
  const plans = [];
  for (const [i, q] of cap.queries.entries()) plans.push({ query: i === 0 ? 'listStruggles' : 'countStruggles', sql: q.sql, plan: await explain(db, engine, q) });

  // The app, as production builds it; server time of every response while recording.
  const app = await buildApp({ db, engine, logLevel: 'silent' });
  const bare: FastifyInstance = Fastify({ logger: false });
  bare.get('/bare', async () => ({ hello: 'world', ok: true }));
  let recording = false;
  let samples = new Map<string, number[]>();
  let byFilter = new Map<string, number[]>();
  let statuses: Record<string, number> = {};
  for (const instance of [app, bare]) {
    instance.addHook('onResponse', async (request, reply) => {
      if (!recording) return;
      const key = request.routeOptions.url ?? '(no route)';
      let list = samples.get(key);
      if (!list) samples.set(key, (list = []));
      list.push(reply.elapsedTime);
      const q = request.query as { country?: string; sector?: string };
      if (q.country && q.sector) {
        const f = `${q.country}+${q.sector}`;
        let perFilter = byFilter.get(f);
        if (!perFilter) byFilter.set(f, (perFilter = []));
        perFilter.push(reply.elapsedTime);
      }
      statuses[reply.statusCode] = (statuses[reply.statusCode] ?? 0) + 1;
    });
  }
  await app.ready();
  await bare.ready();

  // Repository and in-process request timings per filter (before any load): the rotated
  // country+sector filters, plus the largest sector alone and no filter (the list's landing page).
  const bySector = new Map<string, number>();
  for (const c of all) bySector.set(c.sector, (bySector.get(c.sector) ?? 0) + c.count);
  const [topSector, topSectorRows] = [...bySector].sort((a, b) => b[1] - a[1])[0]!;
  const profiled: { label: string; rows: number; f: { country?: string; sector?: string } }[] = [
    ...[largest, ...combos.filter((c) => c !== largest)].map((c) => ({ label: `${c.country}+${c.sector}`, rows: c.count, f: { country: c.country, sector: c.sector } })),
    { label: `sector=${topSector}`, rows: topSectorRows, f: { sector: topSector } },
    { label: 'no filter', rows: all.reduce((a, c) => a + c.count, 0), f: {} },
  ];
  const queries: QueryProfile[] = [];
  for (const { label, rows, f } of profiled) {
    const qs = new URLSearchParams(f).toString();
    const n = rows > 5000 ? 15 : 60;
    queries.push({
      label,
      rows,
      list: await timeIt(n, () => listStruggles(db, null, f, { limit: 26 })),
      count: await timeIt(n, () => countStruggles(db, null, f)),
      page: await timeIt(n, () => app.inject({ url: `/struggles?${qs}`, headers: { 'accept-language': 'en' } })),
      api: await timeIt(n, () => app.inject({ url: `/api/v1/struggles?${qs}` })),
    });
  }

  await app.listen({ host: '127.0.0.1', port: 0 });
  await bare.listen({ host: '127.0.0.1', port: 0 });
  const port = (f: FastifyInstance) => {
    const a = f.server.address();
    return typeof a === 'object' && a ? a.port : 0;
  };
  send({
    type: 'ready', engine, database, version, experiments, fill, memAfterFill, combos, largest, totalCombos: all.length, plans, queries,
    appPort: port(app), barePort: port(bare),
  } satisfies Ready);

  let elu0 = performance.eventLoopUtilization();
  let cpu0 = process.cpuUsage();
  let wall0 = performance.now();
  let session: import('node:inspector/promises').Session | null = null;

  process.on('message', async (msg: { id: number; cmd: string; label?: string }) => {
    const reply = (body: unknown) => send({ type: 'reply', id: msg.id, body });
    try {
      switch (msg.cmd) {
        case 'start':
          samples = new Map();
          byFilter = new Map();
          statuses = {};
          gc();
          elu0 = performance.eventLoopUtilization();
          cpu0 = process.cpuUsage();
          wall0 = performance.now();
          recording = true;
          return reply(null);
        case 'stop': {
          recording = false;
          const elu = performance.eventLoopUtilization(elu0).utilization;
          const cpu = process.cpuUsage(cpu0);
          const wallMs = performance.now() - wall0;
          const serverTime: Record<string, Distribution> = {};
          let requests = 0;
          for (const [k, v] of samples) {
            serverTime[k] = distribution(v);
            requests += v.length;
          }
          const cpuMs = (cpu.user + cpu.system) / 1000;
          const serverTimeByFilter: Record<string, Distribution> = {};
          for (const [k, v] of byFilter) serverTimeByFilter[k] = distribution(v);
          return reply({ serverTime, serverTimeByFilter, statuses, requests, elu, cpuCores: cpuMs / wallMs, cpuMsPerRequest: requests ? cpuMs / requests : 0, memory: memory() } satisfies RunStats);
        }
        case 'profile-start': {
          const { Session } = await import('node:inspector/promises');
          session = new Session();
          session.connect();
          await session.post('Profiler.enable');
          await session.post('Profiler.setSamplingInterval', { interval: 200 });
          await session.post('Profiler.start');
          return reply(null);
        }
        case 'profile-stop': {
          const { profile } = await session!.post('Profiler.stop');
          session!.disconnect();
          mkdirSync(BENCH_DIR, { recursive: true });
          const file = join(BENCH_DIR, `page-${engine}.cpuprofile`);
          writeFileSync(file, JSON.stringify(profile));
          return reply(summarizeProfile(profile, file));
        }
        case 'close':
          await app.close();
          await bare.close();
          await handle.close();
          await cleanup();
          reply(null);
          return setTimeout(() => process.exit(0), 50);
      }
    } catch (err) {
      send({ type: 'reply', id: msg.id, error: String((err as Error).stack ?? err) });
    }
  });
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

/** Self time per function and per origin (npm package, project file, Node internals, GC). */
function summarizeProfile(profile: CpuProfile, file: string): ProfileSummary {
  const totalHits = profile.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0) || 1;
  const msPerHit = (profile.endTime - profile.startTime) / 1000 / totalHits;
  const fns = new Map<string, { name: string; where: string; hits: number }>();
  const origins = new Map<string, number>();
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    if (!hits) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    const where = url ? `${url.replace(`file://${PROJECT}`, '').replace(/^.*node_modules\//, '')}:${lineNumber + 1}` : '';
    const key = `${functionName}@${where}`;
    const f = fns.get(key) ?? { name: functionName || '(anonymous)', where, hits: 0 };
    f.hits += hits;
    fns.set(key, f);
    const origin = !url
      ? functionName.startsWith('(') ? functionName : '(native / V8 builtins)'
      : url.includes('node_modules/')
        ? url.replace(/^.*node_modules\/((@[^/]+\/)?[^/]+).*$/, '$1')
        : url.startsWith('node:')
          ? 'node: internals'
          : url.replace(`file://${PROJECT}`, '');
    origins.set(origin, (origins.get(origin) ?? 0) + hits);
  }
  const share = (hits: number) => Math.round((hits / totalHits) * 1000) / 10;
  return {
    file,
    topFunctions: [...fns.values()].sort((a, b) => b.hits - a.hits).slice(0, 15).map((f) => ({ name: f.name, where: f.where, selfMs: Math.round(f.hits * msPerHit), share: share(f.hits) })),
    byOrigin: [...origins].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([origin, hits]) => ({ origin, selfMs: Math.round(hits * msPerHit), share: share(hits) })),
  };
}

// ---------------------------------------------------------------- driver

interface AutocannonResult {
  duration: number;
  requests: { total: number; average: number };
  latency: { p50: number; p99: number; average: number };
  throughput: { average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
// autocannon ships no types; load it through require so the type checker does not need them.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

interface Target {
  key: string;
  label: string;
  route: string;
  port: number;
  requests: { path: string; headers: Record<string, string> }[];
  /** Fixed request rate (req/s over all connections) instead of as fast as possible. */
  rate?: number;
  /** Connections for this target (default: --connections). */
  connections?: number;
}

interface RunResult {
  target: string;
  label: string;
  rps: number;
  p50: number;
  p99: number;
  meanMs: number;
  kbPerRequest: number;
  errors: number;
  non2xx: number;
  server: RunStats;
  /** req/s against the bare route's req/s. */
  ratio?: number;
  /** Server CPU per request of the bare route against this route's: the ratio a saturated, otherwise idle core would show. */
  cpuRatio?: number;
}

class ServerProcess {
  readonly child: ChildProcess;
  #next = 1;
  #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly ready: Promise<Ready>;

  constructor(config: ServerConfig) {
    this.child = fork(fileURLToPath(import.meta.url), ['--bench-server', JSON.stringify(config)], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let lastShown = 0;
    this.ready = new Promise((resolveReady, rejectReady) => {
      this.child.on('message', (msg: { type: string; id?: number; body?: unknown; error?: string; written?: number; total?: number }) => {
        if (msg.type === 'progress') {
          const pct = Math.floor((msg.written! / msg.total!) * 100);
          if (pct >= lastShown + 20 || msg.written === msg.total) {
            lastShown = pct;
            console.log(`  filled ${msg.written!.toLocaleString('en')} / ${msg.total!.toLocaleString('en')}`);
          }
        } else if (msg.type === 'ready') resolveReady(msg as unknown as Ready);
        else if (msg.type === 'reply') {
          const p = this.#pending.get(msg.id!);
          this.#pending.delete(msg.id!);
          if (msg.error) p?.reject(new Error(`server process: ${msg.error}`));
          else p?.resolve(msg.body);
        }
      });
      this.child.on('exit', (code) => {
        const err = new Error(`server process exited with code ${code}`);
        rejectReady(err);
        for (const p of this.#pending.values()) p.reject(err);
        this.#pending.clear();
      });
    });
  }

  call<T>(cmd: string): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolveCall, reject) => {
      this.#pending.set(id, { resolve: resolveCall as (v: unknown) => void, reject });
      this.child.send({ id, cmd });
    });
  }
}

async function load(t: Target, o: Options, seconds: number): Promise<AutocannonResult> {
  return autocannon({
    url: `http://127.0.0.1:${t.port}`,
    connections: t.connections ?? o.connections,
    duration: seconds,
    requests: t.requests.map((r) => ({ method: 'GET', ...r })),
    timeout: 10,
    ...(t.rate ? { overallRate: t.rate } : {}),
  });
}

async function measure(server: ServerProcess, t: Target, o: Options): Promise<RunResult> {
  await load(t, o, o.warmup);
  await server.call('start');
  const r = await load(t, o, o.duration);
  const stats = await server.call<RunStats>('stop');
  const ok = r['2xx'];
  return {
    target: t.key,
    label: t.label,
    rps: Math.round(ok / r.duration),
    p50: r.latency.p50,
    p99: r.latency.p99,
    meanMs: r.latency.average,
    kbPerRequest: ok ? Math.round((r.throughput.average * r.duration) / ok / 102.4) / 10 : 0,
    errors: r.errors,
    non2xx: r.non2xx,
    server: stats,
  };
}

const pad = (s: string | number, n: number) => String(s).padStart(n);
const padEnd = (s: string | number, n: number) => String(s).padEnd(n);
const fmt = (x: number | undefined, digits = 2) => (x === undefined ? '-' : x.toFixed(digits));

function printRuns(runs: RunResult[]): void {
  console.log(`  ${padEnd('route', 44)} ${pad('req/s', 7)} ${pad('p50 ms', 7)} ${pad('p99 ms', 7)} ${pad('×bare', 6)} ${pad('srv p50', 8)} ${pad('srv p99', 8)} ${pad('CPU ms', 7)} ${pad('×bare', 6)} ${pad('ELU', 5)} ${pad('cores', 5)} ${pad('KB/req', 7)}`);
  for (const r of runs) {
    const st = Object.values(r.server.serverTime)[0];
    console.log(
      `  ${padEnd(r.label, 44)} ${pad(r.rps, 7)} ${pad(r.p50, 7)} ${pad(r.p99, 7)} ${pad(fmt(r.ratio, 3), 6)} ${pad(fmt(st?.p50, 3), 8)} ${pad(fmt(st?.p99, 3), 8)} ${pad(fmt(r.server.cpuMsPerRequest, 3), 7)} ${pad(fmt(r.cpuRatio, 3), 6)} ${pad(fmt(r.server.elu), 5)} ${pad(fmt(r.server.cpuCores), 5)} ${pad(r.kbPerRequest, 7)}`,
    );
  }
}

async function runEngine(engine: Engine, o: Options): Promise<Record<string, unknown>> {
  console.log(`\n=== ${engine}: filling ${o.struggles.toLocaleString('en')} struggles over ${o.countries} countries`);
  const server = new ServerProcess({
    engine, postgresUrl: o.postgres, struggles: o.struggles, countries: o.countries, combos: o.combos, keep: o.keep,
    tryPublicIndexes: o.tryPublicIndexes, trySqliteCacheMb: o.trySqliteCacheMb,
  });
  try {
    const ready = await server.ready;
    const f = ready.fill;
    console.log(`  ${ready.version}; database ${ready.database}${o.keep ? ' (kept)' : ''}`);
    if (ready.experiments.length) console.log(`  WHAT-IF EXPERIMENTS (not the shipped configuration): ${ready.experiments.join('; ')}`);
    console.log(`  fill: ${(f.ms / 1000).toFixed(1)} s (${Math.round(f.struggles / (f.ms / 1000)).toLocaleString('en')} struggles/s; generating rows ${(f.generateMs / 1000).toFixed(1)} s), ${f.organizations} organizations, ${f.links.toLocaleString('en')} links`);
    console.log(`  server RSS after fill: ${ready.memAfterFill.rssMb} MB (heap ${ready.memAfterFill.heapUsedMb} MB, peak ${ready.memAfterFill.maxRssMb} MB)`);
    console.log(`  ${ready.totalCombos} country+sector combinations with public struggles; rotating over: ${ready.combos.map((c) => `${c.country}+${c.sector} (${c.count})`).join(', ')}`);

    console.log(`\n  Query plans (anonymous viewer, ${ready.largest.country}+${ready.largest.sector}):`);
    for (const p of ready.plans) {
      console.log(`  ${p.query}: ${p.sql.replace(/\s+/g, ' ').slice(0, 240)}`);
      for (const line of p.plan) console.log(`      ${line}`);
    }
    console.log('\n  Per-request cost without load, one at a time: wall p50 / mean CPU, ms (list = listStruggles, count = countStruggles, page/api = app.inject):');
    console.log(`  ${padEnd('filter (anonymous)', 30)} ${pad('rows', 6)} ${pad('list', 13)} ${pad('count', 15)} ${pad('page', 15)} ${pad('api', 15)}`);
    const cell = (t: Timing, w: number) => pad(`${fmt(t.p50, 2)} / ${fmt(t.cpuMs, 2)}`, w);
    for (const q of ready.queries) {
      console.log(`  ${padEnd(q.label, 30)} ${pad(q.rows, 6)} ${cell(q.list, 13)} ${cell(q.count, 15)} ${cell(q.page, 15)} ${cell(q.api, 15)}`);
    }

    // Sanity: every URL answers 200 and the API's total matches the public count.
    for (const c of ready.combos) {
      const qs = `country=${c.country}&sector=${c.sector}`;
      const api = await fetch(`http://127.0.0.1:${ready.appPort}/api/v1/struggles?${qs}`);
      const body = (await api.json()) as { total: number; items: unknown[] };
      if (api.status !== 200 || body.total !== c.count || !body.items.length) throw new Error(`sanity check failed for ${qs}: ${api.status} total ${body.total}, expected ${c.count}`);
      const page = await fetch(`http://127.0.0.1:${ready.appPort}/struggles?${qs}`);
      if (page.status !== 200 || !/href="\/struggles\/[a-z0-9-]+"/.test(await page.text())) throw new Error(`sanity check failed for page ${qs}: ${page.status}`);
    }

    const encoding: Record<string, string> = o.gzip ? { 'accept-encoding': 'gzip, deflate, br' } : {};
    const qs = ready.combos.map((c) => `country=${c.country}&sector=${c.sector}`);
    const bareTarget: Target = { key: 'bare', label: 'bare Fastify GET /bare (baseline)', route: '/bare', port: ready.barePort, requests: [{ path: '/bare', headers: { accept: 'application/json', ...encoding } }] };
    const targets: Target[] = [
      bareTarget,
      // The app's floor: every plugin hook (helmet, cookies, locale negotiation, compress) plus `select 1`.
      { key: 'healthz', label: 'app GET /healthz (plugin stack + select 1)', route: '/healthz', port: ready.appPort, requests: [{ path: '/healthz', headers: { accept: 'application/json', ...encoding } }] },
      {
        key: 'page', label: `page /struggles?country&sector (${qs.length} filters)`, route: '/struggles', port: ready.appPort,
        requests: qs.map((q) => ({ path: `/struggles?${q}`, headers: { accept: 'text/html,application/xhtml+xml', 'accept-language': 'en-GB,en;q=0.9', ...encoding } })),
      },
      {
        key: 'api', label: `api /api/v1/struggles?country&sector`, route: '/api/v1/struggles', port: ready.appPort,
        requests: qs.map((q) => ({ path: `/api/v1/struggles?${q}`, headers: { accept: 'application/json', ...encoding } })),
      },
      { ...bareTarget, key: 'bare-again', label: 'bare Fastify GET /bare (again, drift check)' },
    ];
    console.log(`\n  Load: ${o.connections} connections, ${o.warmup} s warm-up + ${o.duration} s per route${o.gzip ? ', gzip' : ''}; loadavg before ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    const runs: RunResult[] = [];
    for (const t of targets) {
      const r = await measure(server, t, o);
      runs.push(r);
      console.log(`  … ${padEnd(t.key, 10)} ${r.rps} req/s`);
      if (r.errors || r.non2xx) throw new Error(`${t.key}: ${r.errors} errors, ${r.non2xx} non-2xx responses`);
      if (t.key === 'page') {
        // Saturated, concurrent requests share one event loop and each one's server time includes
        // the others' work whenever it awaits real I/O (PostgreSQL). At half the saturating rate on
        // 2 connections (autocannon's paced connections fire in step, so 10 would arrive in bursts
        // of 10) the server time is close to what one request costs on a server with headroom.
        const rate = Math.max(1, Math.floor(r.rps / 2));
        const half: Target = { ...t, key: 'page-half', label: `page at half that rate (${rate} req/s, 2 conn.)`, rate, connections: 2 };
        const h = await measure(server, half, o);
        runs.push(h);
        console.log(`  … ${padEnd(half.key, 10)} ${h.rps} req/s`);
        if (h.errors || h.non2xx) throw new Error(`${half.key}: ${h.errors} errors, ${h.non2xx} non-2xx responses`);
      }
    }
    const bares = runs.filter((r) => r.target.startsWith('bare'));
    const bareRps = bares.reduce((a, r) => a + r.rps, 0) / bares.length;
    const bareCpu = bares.reduce((a, r) => a + r.server.cpuMsPerRequest, 0) / bares.length;
    for (const r of runs) {
      if (r.target !== 'page-half') r.ratio = r.rps / bareRps;
      r.cpuRatio = bareCpu / r.server.cpuMsPerRequest;
    }

    let profile: ProfileSummary | null = null;
    if (o.profile) {
      await server.call('profile-start');
      await load(targets.find((t) => t.key === 'page')!, o, Math.min(o.duration, 5));
      profile = await server.call<ProfileSummary>('profile-stop');
    }
    const memAfterLoad = runs.find((r) => r.target === 'api')!.server.memory;

    console.log(`\n  Results (${engine}; ratio against the mean of the two bare runs, ${Math.round(bareRps)} req/s; loadavg after ${loadavg().map((x) => x.toFixed(2)).join(' ')}):`);
    printRuns(runs);
    console.log('  req/s and p50/p99 are client-side (autocannon, whole ms); srv = server time, reply.elapsedTime in an onResponse hook (ms);');
    console.log('  CPU ms = server CPU time per response, ×bare on that basis; ELU = server event-loop utilization; cores = server CPU time / wall time.');
    console.log(`  server RSS after load: ${memAfterLoad.rssMb} MB (heap ${memAfterLoad.heapUsedMb} MB, peak ${memAfterLoad.maxRssMb} MB)`);

    const page = runs.find((r) => r.target === 'page')!;
    const half = runs.find((r) => r.target === 'page-half')!;
    const api = runs.find((r) => r.target === 'api')!;
    const pageSrv = page.server.serverTime['/struggles']!;
    const halfSrv = half.server.serverTime['/struggles']!;
    console.log('\n  Server time per filter, p50 / p99 ms:');
    console.log(`  ${padEnd('filter', 30)} ${pad('rows', 6)} ${pad('page, half rate', 17)} ${pad('page, saturated', 17)} ${pad('api, saturated', 17)}`);
    for (const c of ready.combos) {
      const k = `${c.country}+${c.sector}`;
      const cell = (d: Distribution | undefined) => pad(d ? `${fmt(d.p50, 2)} / ${fmt(d.p99, 2)}` : '-', 17);
      console.log(`  ${padEnd(k, 30)} ${pad(c.count, 6)} ${cell(half.server.serverTimeByFilter[k])} ${cell(page.server.serverTimeByFilter[k])} ${cell(api.server.serverTimeByFilter[k])}`);
    }
    const worst = Object.entries(half.server.serverTimeByFilter).sort((a, b) => b[1].p50 - a[1].p50)[0]!;
    const verdict = (ok: boolean) => (ok ? 'MET' : 'MISSED');
    console.log('\n  Targets:');
    console.log(`    filtered page server time p50 ≤ 5 ms at half the saturating rate (2 connections), all filters: ${fmt(halfSrv.p50, 3)} ms → ${verdict(halfSrv.p50 <= 5)}`);
    console.log(`    … for the slowest filter (${worst[0]}): ${fmt(worst[1].p50, 3)} ms → ${verdict(worst[1].p50 <= 5)}`);
    console.log(`    … saturated (${o.connections} connections, as fast as possible; includes interleaving with other requests): ${fmt(pageSrv.p50, 3)} ms → ${verdict(pageSrv.p50 <= 5)}`);
    console.log(`    filtered page server time p50 ≤ 5 ms without load (largest filter, app.inject): ${fmt(ready.queries[0]!.page.p50, 3)} ms → ${verdict(ready.queries[0]!.page.p50 <= 5)}`);
    console.log(`    filtered page throughput ≥ 0.3× bare: ${fmt(page.ratio, 3)}× (CPU basis ${fmt(page.cpuRatio, 3)}×) → ${verdict(page.ratio! >= 0.3)}`);
    console.log(`    filtered API throughput ≥ 0.3× bare: ${fmt(api.ratio, 3)}× (CPU basis ${fmt(api.cpuRatio, 3)}×) → ${verdict(api.ratio! >= 0.3)}`);

    if (profile) {
      console.log(`\n  CPU profile of the server during a page run (${profile.file}); self time:`);
      for (const p of profile.byOrigin) console.log(`    ${pad(p.share.toFixed(1), 5)}%  ${p.origin}`);
      console.log('  Top functions:');
      for (const p of profile.topFunctions) console.log(`    ${pad(p.share.toFixed(1), 5)}%  ${p.name}  ${p.where}`);
    }
    await server.call('close');
    const { type: _type, ...summary } = ready;
    return { ...summary, runs, memAfterLoad, profile };
  } finally {
    if (server.child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 200));
      if (server.child.exitCode === null) server.child.kill();
    }
  }
}

async function main(): Promise<void> {
  const o = options();
  const cpu = cpus();
  const machine = {
    cpu: `${cpu[0]?.model ?? 'unknown'} × ${cpu.length}`,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB total, ${(freemem() / 2 ** 30).toFixed(1)} GiB free`,
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    loadavg: loadavg().map((x) => Number(x.toFixed(2))),
  };
  console.log('Solidaris struggles benchmark');
  console.log(`  CPU: ${machine.cpu}\n  memory: ${machine.memory}\n  OS: ${machine.os}\n  Node: ${machine.node}\n  loadavg: ${machine.loadavg.join(' ')}`);
  const engines: Engine[] = [...(o.sqlite ? (['sqlite'] as const) : []), ...(o.postgres ? (['postgres'] as const) : [])];
  const results = [];
  for (const engine of engines) results.push(await runEngine(engine, o));
  mkdirSync(join(o.json, '..'), { recursive: true });
  writeFileSync(o.json, JSON.stringify({ date: new Date().toISOString(), machine, options: { ...o, postgres: o.postgres ? '(set)' : null }, results }, null, 2));
  console.log(`\nResults written to ${o.json}`);
}

const serverArg = process.argv.indexOf('--bench-server');
if (serverArg >= 0) {
  await serverMain(JSON.parse(process.argv[serverArg + 1]!) as ServerConfig);
} else {
  try {
    await main();
  } catch (err) {
    console.error(err);
    process.exitCode = 1;
  }
}
