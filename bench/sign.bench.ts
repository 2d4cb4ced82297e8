/**
 * `npm run bench:sign`: throughput and latency of the real signing endpoint
 * (`POST /api/v1/campaigns/:slug/signatures`: validation, duplicate key, sealing, group-committed
 * durable write, response), next to a bare Fastify route measured in the same run.
 *
 * Processes, so the load generator never shares an event loop with a server:
 * - this process (the driver) parses the options, starts the server, runs autocannon against it
 *   over 127.0.0.1 and prints the report;
 * - SQLite: one server process (this file with `--bench-server`) with the app on a SQLite file in a
 *   temp directory — one writer, as SQLite allows;
 * - PostgreSQL: a cluster primary (`--bench-server`) that migrates a fresh schema `bench_<random>`
 *   (dropped afterwards) and forks two workers (`node:cluster`); both serve the app on **one port**
 *   (the primary hands out connections), each with its own connection pool and batcher.
 * Each server also serves a bare Fastify route, `POST /bare`, that parses the same JSON body and
 * answers 202 — the baseline of the ratio.
 *
 * Runs per engine (after a warm-up): bare; signing as fast as possible (distinct addresses over
 * 1,000 domains, so the per-domain cap is not what is measured); signing at a steady 1,000/s
 * (p99); bare again (drift check). Then the counts are checked: stored signatures = 2xx answers,
 * one per address, none lost or doubled; every signature is confirmed through the real confirm
 * endpoint and the kept per-country counts must equal the number of signatures.
 *
 * The signing limits meant for the public (per address, per network prefix, unconfirmed per
 * domain) are raised for the run: all load comes from 127.0.0.1, which they exist to throttle.
 * Only 127.0.0.1 and the PostgreSQL server are contacted. Figures: docs/PERFORMANCE.md.
 */
import cluster from 'node:cluster';
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import pg from 'pg';
import { sql } from 'kysely';
import { openDb, type DbHandle, type Engine } from '../src/db/client.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { buildApp } from '../src/app.ts';
import { generateDataKeyLine, parseDataKeys } from '../src/lib/sealed.ts';
import { supporterLinkToken } from '../src/modules/campaigns/supporter-keys.ts';
import { makeOrganization } from '../test/helpers/factories.ts';
import { insertCampaign } from '../test/helpers/campaigns.ts';
import { withBenchSchema } from './postgres-schema.ts';

const SLUG = 'bench-campaign';
const DOMAINS = 1_000;

interface Options {
  duration: number;
  warmup: number;
  connections: number;
  rate: number;
  /** Connections of the steady run: autocannon's paced connections fire in step, so fewer, busier ones arrive less in bursts. */
  steadyConnections: number;
  postgres: string | null;
  sqlite: boolean;
  workers: number;
}

const HELP = `npm run bench:sign -- [options]
  --duration S      seconds per measured run (10)
  --warmup S        seconds of warm-up before the runs (3)
  --connections N   autocannon connections for the as-fast-as-possible runs (100)
  --rate N          requests per second of the steady run (1000)
  --steady-connections N  connections of the steady run (20; paced connections fire in step)
  --postgres URL    PostgreSQL server (BENCH_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test);
                    a fresh schema, dropped after; "off" skips PostgreSQL
  --workers N       app processes behind one port on PostgreSQL (2)
  --no-sqlite       skip SQLite`;

function options(): Options {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      rate: { type: 'string' },
      'steady-connections': { type: 'string' },
      postgres: { type: 'string' },
      workers: { type: 'string' },
      'no-sqlite': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const num = (v: string | undefined, env: string, dflt: number) => {
    const n = Number(v ?? process.env[env] ?? dflt);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`not a positive number: ${v ?? process.env[env]}`);
    return n;
  };
  const pgUrl = values.postgres ?? process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  return {
    duration: num(values.duration, 'BENCH_DURATION', 10),
    warmup: num(values.warmup, 'BENCH_WARMUP', 3),
    connections: num(values.connections, 'BENCH_CONNECTIONS', 100),
    rate: num(values.rate, 'BENCH_RATE', 1000),
    steadyConnections: num(values['steady-connections'], 'BENCH_STEADY_CONNECTIONS', 20),
    postgres: pgUrl === 'off' ? null : pgUrl,
    sqlite: !values['no-sqlite'],
    workers: num(values.workers, 'BENCH_WORKERS', 2),
  };
}

// ---------------------------------------------------------------- server side

interface ServerConfig {
  engine: Engine;
  sqliteFile?: string;
  postgresUrl?: string;
  schema?: string;
  dataKeys: string;
  poolSize?: number;
}

/** Limits for the public, raised for a load test from one address (see the module docs). */
const BENCH_SIGNING_LIMITS = { perAddressPerMinute: 10_000_000, perPrefixPerMinute: 10_000_000, unconfirmedPerDomainPerHour: 10_000_000 };

async function openServerDb(c: ServerConfig): Promise<DbHandle> {
  return c.engine === 'sqlite'
    ? openDb({ engine: 'sqlite', path: c.sqliteFile! })
    : openDb({ engine: 'postgres', url: c.postgresUrl!, schema: c.schema!, poolSize: c.poolSize ?? 10 });
}

/** Serves the app and the bare route; answers the driver's commands on IPC. */
async function serve(c: ServerConfig, handle: DbHandle, send: (msg: unknown) => void): Promise<void> {
  const app = await buildApp({
    db: handle.db,
    engine: c.engine,
    logLevel: 'silent',
    dataKeys: { kind: 'env', value: c.dataKeys },
    signingLimits: BENCH_SIGNING_LIMITS,
  });
  const bare = Fastify({ logger: false });
  bare.post('/bare', async (req, reply) => {
    const body = req.body as { email?: string };
    return reply.code(202).send({ status: 'received', email: typeof body.email === 'string' });
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  await bare.listen({ host: '127.0.0.1', port: 0 });
  const port = (f: typeof bare) => (f.server.address() as { port: number }).port;
  send({ type: 'ready', appPort: port(app as unknown as typeof bare), barePort: port(bare) });
  process.on('message', async (msg: { cmd: string }) => {
    if (msg.cmd === 'close') {
      await app.close();
      await bare.close();
      await handle.close();
      process.exit(0);
    }
  });
}

async function seed(handle: DbHandle): Promise<void> {
  await migrateToLatest(handle.db);
  const org = await makeOrganization(handle.db, { name: 'Bench Union', country: 'DE' });
  await insertCampaign(handle.db, org.id, { slug: SLUG, title: 'Bench campaign' });
}

/** Counts after the runs, and the confirm tokens of every stored signature. */
async function inspect(handle: DbHandle, dataKeys: string, withTokens: boolean) {
  const db = handle.db;
  const one = async <T>(q: Promise<T[]>) => (await q)[0]!;
  const totals = await one(
    db
      .selectFrom('supporters')
      .select((eb) => [eb.fn.countAll<number>().as('rows'), sql<number>`count(distinct email_hash)`.as('keys'), sql<number>`sum(case when status = 'confirmed' then 1 else 0 end)`.as('confirmed')])
      .execute(),
  );
  const counted = await one(db.selectFrom('campaign_counts').select(sql<number>`coalesce(sum(supporters), 0)`.as('n')).execute());
  const mails = await one(db.selectFrom('supporter_mails').select((eb) => eb.fn.countAll<number>().as('n')).execute());
  let tokens: { id: string; token: string }[] = [];
  if (withTokens) {
    const keyring = parseDataKeys(dataKeys, 'bench');
    const ids = await db.selectFrom('supporters').select('id').where('status', '=', 'pending').execute();
    tokens = ids.map(({ id }) => ({ id, token: supporterLinkToken(keyring, 'confirm', id) }));
  }
  return { rows: Number(totals.rows), keys: Number(totals.keys), confirmed: Number(totals.confirmed ?? 0), counted: Number(counted.n), mails: Number(mails.n), tokens };
}

async function serverMain(c: ServerConfig): Promise<void> {
  const send = (msg: unknown) => process.send!(msg);
  if (c.engine === 'sqlite') {
    const handle = await openServerDb(c);
    await seed(handle);
    await serve(c, handle, send);
    process.on('message', async (msg: { cmd: string; id: number; tokens?: boolean }) => {
      if (msg.cmd === 'inspect') send({ type: 'reply', id: msg.id, body: await inspect(handle, c.dataKeys, msg.tokens ?? false) });
    });
    return;
  }
  // PostgreSQL: this process is the cluster primary; the workers serve.
  const handle = await openServerDb({ ...c, poolSize: 2 });
  await seed(handle);
  cluster.setupPrimary({ exec: fileURLToPath(import.meta.url), args: ['--bench-worker', JSON.stringify(c)] });
  const workers = Array.from({ length: Number(process.env.BENCH_WORKERS_N ?? 2) }, () => cluster.fork());
  const ports = await Promise.all(workers.map((w) => new Promise<{ appPort: number; barePort: number }>((res) => w.once('message', res))));
  send({ type: 'ready', appPort: ports[0]!.appPort, barePort: ports[0]!.barePort, workers: workers.length, samePort: ports.every((p) => p.appPort === ports[0]!.appPort) });
  process.on('message', async (msg: { cmd: string; id: number; tokens?: boolean }) => {
    if (msg.cmd === 'inspect') send({ type: 'reply', id: msg.id, body: await inspect(handle, c.dataKeys, msg.tokens ?? false) });
    if (msg.cmd === 'close') {
      for (const w of workers) w.send({ cmd: 'close' });
      await Promise.all(workers.map((w) => new Promise((res) => w.once('exit', res))));
      await handle.close();
      process.exit(0);
    }
  });
}

async function workerMain(c: ServerConfig): Promise<void> {
  const handle = await openServerDb(c);
  await serve(c, handle, (msg) => process.send!(msg));
}

// ---------------------------------------------------------------- driver side

interface AutocannonResult {
  latency: { p50: number; p99: number; average: number; max: number };
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
// autocannon ships no types; load it through require so the type checker does not need them.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

class ServerProcess {
  readonly child: ChildProcess;
  #next = 1;
  #pending = new Map<number, (v: unknown) => void>();
  readonly ready: Promise<{ appPort: number; barePort: number; workers?: number; samePort?: boolean }>;

  constructor(config: ServerConfig, workers: number) {
    this.child = fork(fileURLToPath(import.meta.url), ['--bench-server', JSON.stringify(config)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, BENCH_WORKERS_N: String(workers) },
    });
    this.ready = new Promise((resolve, reject) => {
      this.child.on('message', (msg: { type: string; id?: number; body?: unknown }) => {
        if (msg.type === 'ready') resolve(msg as never);
        else if (msg.type === 'reply') {
          this.#pending.get(msg.id!)?.(msg.body);
          this.#pending.delete(msg.id!);
        }
      });
      this.child.once('exit', (code) => reject(new Error(`server process exited with code ${code}`)));
    });
  }

  inspect(tokens: boolean): Promise<Awaited<ReturnType<typeof inspect>>> {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve as (v: unknown) => void);
      this.child.send({ cmd: 'inspect', id, tokens });
    });
  }

  async close(): Promise<void> {
    const exited = new Promise((res) => this.child.once('exit', res));
    this.child.send({ cmd: 'close' });
    await exited;
  }
}

let signer = 0;
/** A distinct signer per request: addresses over DOMAINS domains, countries over a few. */
function nextSignature(): string {
  signer += 1;
  const countries = ['DE', 'FR', 'TR', 'CD', 'BR', 'GB', 'IN', 'ZA'];
  return JSON.stringify({
    name: `Signer ${signer}`,
    email: `signer.${signer}@d${signer % DOMAINS}.example.org`,
    country: countries[signer % countries.length],
    listPublicly: signer % 3 === 0,
    contactOk: signer % 2 === 0,
  });
}

interface Run {
  label: string;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  ok: number;
  non2xx: number;
  errors: number;
  ratio?: number;
}

async function run(label: string, port: number, path: string, body: () => string, o: { seconds: number; connections: number; rate?: number; amount?: number }): Promise<Run> {
  const r = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: o.connections,
    ...(o.amount ? { amount: o.amount } : { duration: o.seconds }),
    timeout: 20,
    ...(o.rate ? { overallRate: o.rate } : {}),
    requests: [
      {
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        setupRequest: (req: Record<string, unknown>) => ({ ...req, body: body() }),
      },
    ],
  });
  return { label, rps: Math.round(r['2xx'] / r.duration), p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max, ok: r['2xx'], non2xx: r.non2xx, errors: r.errors + r.timeouts };
}

const pad = (s: string | number, n: number) => String(s).padStart(n);

function print(runs: Run[]): void {
  console.log(`  ${'run'.padEnd(46)} ${pad('req/s', 7)} ${pad('×bare', 6)} ${pad('p50 ms', 7)} ${pad('p99 ms', 7)} ${pad('max ms', 7)} ${pad('2xx', 8)} ${pad('other', 6)}`);
  for (const r of runs)
    console.log(`  ${r.label.padEnd(46)} ${pad(r.rps, 7)} ${pad(r.ratio === undefined ? '-' : r.ratio.toFixed(2), 6)} ${pad(r.p50, 7)} ${pad(r.p99, 7)} ${pad(r.max, 7)} ${pad(r.ok, 8)} ${pad(r.non2xx + r.errors, 6)}`);
}

async function runEngine(engine: Engine, config: ServerConfig, o: Options): Promise<boolean> {
  const workers = engine === 'postgres' ? o.workers : 1;
  console.log(`\n=== ${engine}${engine === 'postgres' ? `: ${workers} app processes behind one port` : ': one app process, SQLite file, durable commits'}`);
  const server = new ServerProcess(config, workers);
  try {
    const ready = await server.ready;
    const signerAtStart = signer;
    if (ready.samePort === false) throw new Error('the workers did not share one port');
    const signPath = `/api/v1/campaigns/${SLUG}/signatures`;
    let bareN = 0;
    const bareBody = () => JSON.stringify({ name: `Signer ${++bareN}`, email: `signer.${bareN}@d${bareN % DOMAINS}.example.org`, country: 'DE', listPublicly: false, contactOk: true });
    const warm = await run('warm-up', ready.appPort, signPath, nextSignature, { seconds: o.warmup, connections: o.connections });
    await run('warm-up', ready.barePort, '/bare', bareBody, { seconds: o.warmup, connections: o.connections });
    const runs: Run[] = [];
    runs.push(await run('bare Fastify POST /bare (baseline)', ready.barePort, '/bare', bareBody, { seconds: o.duration, connections: o.connections }));
    runs.push(await run(`sign, as fast as possible (${o.connections} connections)`, ready.appPort, signPath, nextSignature, { seconds: o.duration, connections: o.connections }));
    // The steady run sends a fixed number of requests and waits for every answer, so its count is
    // exact — once the requests still in flight when the timed run stopped have landed.
    let before = await server.inspect(false);
    for (let settled = 0; settled < 3; ) {
      await new Promise((r) => setTimeout(r, 300));
      const again = await server.inspect(false);
      settled = again.rows === before.rows ? settled + 1 : 0;
      before = again;
    }
    const steadyAmount = Math.round(o.rate * o.duration);
    runs.push(await run(`sign at a steady ${o.rate}/s (${o.steadyConnections} connections)`, ready.appPort, signPath, nextSignature, { seconds: o.duration, connections: o.steadyConnections, rate: o.rate, amount: steadyAmount }));
    const afterSteady = await server.inspect(false);
    runs.push(await run('bare again (drift check)', ready.barePort, '/bare', bareBody, { seconds: o.duration, connections: o.connections }));
    const bareRps = (runs[0]!.rps + runs[3]!.rps) / 2;
    for (const r of runs) r.ratio = r.rps / bareRps;
    print(runs);

    // No signature lost or doubled. Timed runs end with requests in flight: the server may have
    // stored (and committed) some whose answer autocannon no longer read, so for them stored lies
    // between the 2xx answers and the requests sent; the steady run's count must be exact.
    const after = await server.inspect(true);
    const signRuns = [warm, runs[1]!, runs[2]!];
    const failed = signRuns.reduce((a, r) => a + r.non2xx + r.errors, 0);
    const accepted = signRuns.reduce((a, r) => a + r.ok, 0);
    const steadyStored = afterSteady.rows - before.rows;
    const sent = signer - signerAtStart;
    console.log(`\n  sign requests sent ${sent.toLocaleString('en')}, answered 2xx ${accepted.toLocaleString('en')}, failed ${failed}; stored signatures ${after.rows.toLocaleString('en')}, distinct e-mail keys ${after.keys.toLocaleString('en')}; steady run: ${steadyAmount.toLocaleString('en')} sent, ${runs[2]!.ok.toLocaleString('en')} answered 2xx, ${steadyStored.toLocaleString('en')} stored; mails in the outbox ${after.mails.toLocaleString('en')}`);
    let exact = after.rows === after.keys && after.rows >= accepted && after.rows <= sent && failed === 0 && steadyStored === steadyAmount && runs[2]!.ok === steadyAmount;

    // Confirm every signature through the real endpoint; the kept counts must match exactly.
    const confirmRuns: Run[] = [];
    // Each request takes the next token; the path carries its id, so requests are built one by one.
    const idQueue = [...after.tokens];
    const r = await autocannon({
      url: `http://127.0.0.1:${ready.appPort}`,
      connections: Math.min(o.connections, 50),
      amount: idQueue.length,
      timeout: 20,
      requests: [
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          setupRequest: (req: Record<string, unknown>) => {
            const t = idQueue.pop();
            if (!t) return { ...req, path: `/api/v1/campaigns/${SLUG}/signatures/none/confirm`, body: '{"token":"none"}' };
            return { ...req, path: `/api/v1/campaigns/${SLUG}/signatures/${t.id}/confirm`, body: JSON.stringify({ token: t.token }) };
          },
        },
      ],
    });
    confirmRuns.push({ label: `confirm ${after.tokens.length.toLocaleString('en')} signatures`, rps: Math.round(r['2xx'] / r.duration), p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max, ok: r['2xx'], non2xx: r.non2xx, errors: r.errors + r.timeouts, ratio: Math.round(r['2xx'] / r.duration) / bareRps });
    print(confirmRuns);
    const confirmed = await server.inspect(false);
    console.log(`  confirmed ${confirmed.confirmed.toLocaleString('en')} of ${confirmed.rows.toLocaleString('en')}; kept counts sum ${confirmed.counted.toLocaleString('en')}`);
    exact = exact && confirmed.confirmed === confirmed.rows && confirmed.counted === confirmed.rows;
    const fast = runs[1]!;
    const steady = runs[2]!;
    console.log(`\n  ${engine}: ${fast.rps.toLocaleString('en')} signatures/s (×bare ${fast.ratio!.toFixed(2)}), steady ${o.rate}/s p99 ${steady.p99} ms, counts ${exact ? 'exact' : 'NOT EXACT'}; loadavg ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    return exact;
  } finally {
    await server.close().catch(() => {});
  }
}

async function postgresReachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const o = options();
  const dataKeys = generateDataKeyLine('bench');
  console.log(`bench:sign — ${cpus().length} cores, Node ${process.version}, ${o.duration} s per run, loadavg ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  let ok = true;
  if (o.sqlite) {
    const dir = mkdtempSync(join(tmpdir(), 'solidaris-bench-sign-'));
    try {
      ok = (await runEngine('sqlite', { engine: 'sqlite', sqliteFile: join(dir, 'bench.sqlite'), dataKeys }, o)) && ok;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (o.postgres) {
    if (!(await postgresReachable(o.postgres))) console.log(`\n=== postgres: ${o.postgres} cannot be reached; skipped`);
    else
      await withBenchSchema(o.postgres, 2, async (_handle, schema) => {
        ok = (await runEngine('postgres', { engine: 'postgres', postgresUrl: o.postgres!, schema, dataKeys, poolSize: 10 }, o)) && ok;
      });
  }
  if (!ok) process.exitCode = 1;
}

const mode = process.argv[2];
if (mode === '--bench-server') await serverMain(JSON.parse(process.argv[3]!) as ServerConfig);
else if (mode === '--bench-worker') await workerMain(JSON.parse(process.argv[3]!) as ServerConfig);
else await main();
