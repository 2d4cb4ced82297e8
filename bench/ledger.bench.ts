/**
 * `npm run bench:ledger`: one solidarity pact with 1,000,000 ledger entries in five currencies, on
 * SQLite (a file in a temp directory) and PostgreSQL when `BENCH_DATABASE_URL` is set (a fresh
 * schema `bench_<random>`, dropped afterwards, also on Ctrl-C).
 *
 * Load: the real ECB reference rates (demo/ecb_eurofxref_daily.csv, through the rates importer),
 * a register of 300 households, then EUR, USD, TRY, CDF and JPY entries (JPY has no minor unit:
 * amounts are whole yen): contributions (about half with a processing fee), disbursements that
 * never overdraw (seven in ten to a household), about 0.5 % reversals, value dates over the five
 * years that end on the rates file's last day. Everything goes through the ledger service:
 * `recordEntries` in batches of 10,000 entries (one transaction each, so the kept aggregates
 * `pact_balances` and `pact_month_totals` are built the real way; the entries of a batch share
 * one group id) and `reverseEntry` one reversal at a time. Load throughput is reported, and the
 * kept balances are checked against the generator's and against a SUM over the entries.
 *
 * Measures (p50 / p90 after three unmeasured runs), after the load:
 * - `pactBalances`, `monthlyTotals` for the whole period, `transparencyReport` (whole period,
 *   converted into EUR), `listEntries` (newest page) — targets: balance and report ≤ 50 ms;
 * - recording one contribution (`recordEntries`, target ≤ 2 ms p50) and reversing one entry,
 *   with the recording split statement by statement, next to a bare round trip and a one-row
 *   write transaction (what COMMIT costs on this disk);
 * - the report split statement by statement, and its slow queries' plans when it misses;
 * - what the kept aggregates save: `SUM(amount_minor) GROUP BY currency` and the monthly
 *   `GROUP BY month, currency, flow` over all the entries;
 * - a bare Fastify route through `inject` in the same process and run: ratios ×bare.
 * `BENCH_SCALE` (default 1) multiplies the number of entries, for a quick smoke run;
 * `BENCH_SKIP_SQLITE=1` runs PostgreSQL only; `BENCH_EXPLAIN=1` prints the plans always;
 * `BENCH_WHAT_IF=1` adds experiments that are not the shipped schema or code (see `whatIf`).
 * Writes nothing into the repository.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { CompiledQuery, sql, type Kysely, type KyselyPlugin, type QueryResult, type UnknownRow } from 'kysely';
import { openDb, type DbHandle, type Engine } from '../src/db/client.ts';
import type { Database } from '../src/db/schema.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { buildApp } from '../src/app.ts';
import { newId } from '../src/lib/ids.ts';
import { minorDigits } from '../src/lib/money.ts';
import { parseDataKeys, seal } from '../src/lib/sealed.ts';
import { nowInstant } from '../src/lib/time.ts';
import { importEcbRates } from '../src/modules/rates/rates.service.ts';
import { transparencyReport } from '../src/modules/pacts/report.service.ts';
import { listEntries, monthlyTotals, pactBalances, recordEntries, reverseEntry, type LedgerEntry, type NewEntry } from '../src/modules/pacts/ledger.service.ts';
import { makeOrganization } from '../test/helpers/factories.ts';
import { makeBarePact } from '../test/helpers/ledger.ts';
import { prng } from './fill.ts';
import { withBenchSchema } from './postgres-schema.ts';
import { explain } from './query-plan.ts';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const ENTRIES = Math.max(1_000, Math.round(1_000_000 * SCALE));
/** Entries per `recordEntries` call (one transaction). */
const BATCH = 10_000;
/** Share of entries that get reversed later (each through its own `reverseEntry`). */
const REVERSAL_SHARE = 0.005;
const RUNS = 50;
const WRITE_RUNS = 200;
/** Five years of value dates, ending on the last day of the ECB rates file (so the report converts with real rates). */
const DAYS = 5 * 365;
const ECB_FILE = new URL('../demo/ecb_eurofxref_daily.csv', import.meta.url);
/** Households in the pact's beneficiary register; most disbursements go to one of them. */
const HOUSEHOLDS = 300;
const DAY = 86_400_000;

/** Targets of the issue (ms). */
const TARGET_READ = 50;
const TARGET_WRITE = 2;

/**
 * The five currencies: share of events, contribution and disbursement ranges in whole units of
 * the currency (log-uniform), so amounts look like what each currency's supporters give.
 */
const CURRENCIES = [
  { code: 'EUR', share: 0.4, contribution: [5, 500], disbursement: [100, 2_500] },
  { code: 'USD', share: 0.2, contribution: [5, 500], disbursement: [100, 2_500] },
  { code: 'TRY', share: 0.15, contribution: [100, 15_000], disbursement: [3_000, 80_000] },
  { code: 'CDF', share: 0.15, contribution: [10_000, 1_500_000], disbursement: [250_000, 7_000_000] },
  { code: 'JPY', share: 0.1, contribution: [500, 60_000], disbursement: [15_000, 350_000] },
] as const;
const PAYEES = ['Pharmacy Kolwezi', 'School fees office', 'Food cooperative', 'Clinic Likasi', 'Landlord', 'Transport union', 'Water office'];

function pct(values: number[]): { p50: number; p90: number } {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { p50: at(0.5), p90: at(0.9) };
}

interface Timing {
  p50: number;
  p90: number;
  runs: number;
}

/**
 * `fn(i)` run `runs` times one after the other, after three unmeasured runs: wall ms p50 / p90.
 * With `budgetMs`, stops early once that much time went by (at least 5 runs).
 */
async function timeIt(fn: (i: number) => Promise<unknown>, runs = RUNS, budgetMs = Infinity): Promise<Timing> {
  for (let i = 0; i < 3; i++) await fn(-1 - i);
  const times: number[] = [];
  const started = performance.now();
  for (let i = 0; i < runs && (i < 5 || performance.now() - started < budgetMs); i++) {
    const t0 = performance.now();
    await fn(i);
    times.push(performance.now() - t0);
  }
  return { ...pct(times), runs: times.length };
}

/**
 * Deterministic entries in value-date order (a few days' jitter backwards, as when a bank
 * statement arrives late), tracking the balance each currency will have so that no
 * disbursement overdraws.
 */
class Generator {
  readonly rnd = prng(20261201);
  readonly balances = new Map<string, number>(CURRENCIES.map((c) => [c.code, 0]));
  readonly counts = { contribution: 0, fee: 0, disbursement: 0, reversal: 0 };
  #made = 0;
  readonly #orgId: string;
  readonly #households: string[];
  readonly #firstDay: number;
  readonly #pickCurrency: (r: number) => (typeof CURRENCIES)[number];

  /** @param firstDay the first value date, epoch ms (UTC midnight). */
  constructor(orgId: string, households: string[], firstDay: number) {
    this.#orgId = orgId;
    this.#households = households;
    this.#firstDay = firstDay;
    const cum: number[] = [];
    let total = 0;
    for (const c of CURRENCIES) cum.push((total += c.share));
    this.#pickCurrency = (r) => CURRENCIES[cum.findIndex((x) => r * total < x)] ?? CURRENCIES[0];
  }

  /** Whole units drawn log-uniformly from `[lo, hi]`, in minor units of `code` (round amounts 70 %). */
  #amount(code: string, [lo, hi]: readonly [number, number]): number {
    const major = Math.exp(Math.log(lo) + this.rnd() * (Math.log(hi) - Math.log(lo)));
    const unit = 10 ** minorDigits(code);
    return this.rnd() < 0.7 ? Math.max(1, Math.round(major)) * unit : Math.max(1, Math.round(major * unit));
  }

  /** `YYYY-MM-DD` for the `#made`-th entry: the period spread evenly, sometimes a few days back. */
  #valueDate(): string {
    const day = Math.floor((this.#made / ENTRIES) * DAYS) - (this.rnd() < 0.1 ? Math.floor(this.rnd() * 5) : 0);
    return new Date(this.#firstDay + Math.max(0, day) * DAY).toISOString().slice(0, 10);
  }

  /** The next `size` entries (the last event may make it one more: a contribution and its fee). */
  batch(size: number): NewEntry[] {
    const out: NewEntry[] = [];
    while (out.length < size) {
      const c = this.#pickCurrency(this.rnd());
      const valueDate = this.#valueDate();
      const balance = this.balances.get(c.code)!;
      if (this.rnd() < 0.12) {
        const amount = Math.min(this.#amount(c.code, c.disbursement), Math.floor(balance * 0.6));
        if (amount > 0) {
          // Seven in ten to a household of the register, the rest to a payee without an account.
          const counterparty: NewEntry['counterparty'] =
            this.rnd() < 0.7
              ? { kind: 'beneficiary', beneficiaryId: this.#households[Math.floor(this.rnd() * this.#households.length)]! }
              : { kind: 'external', name: PAYEES[Math.floor(this.rnd() * PAYEES.length)]! };
          out.push({ kind: 'disbursement', amountMinor: -amount, currency: c.code, valueDate, counterparty, reference: `PAY-${this.#made}`, description: 'Monthly support' });
          this.balances.set(c.code, balance - amount);
          this.counts.disbursement++;
          this.#made++;
          continue;
        }
      }
      const amount = this.#amount(c.code, c.contribution);
      const fromOrg = this.rnd() < 0.3;
      out.push({
        kind: 'contribution',
        amountMinor: amount,
        currency: c.code,
        valueDate,
        counterparty: fromOrg ? { kind: 'organization', organizationId: this.#orgId } : { kind: 'external', name: `Supporter ${Math.floor(this.rnd() * 20_000)}` },
        reference: `TX-${this.#made}`,
      });
      let delta = amount;
      this.counts.contribution++;
      this.#made++;
      if (this.rnd() < 0.55) {
        const fee = Math.max(1, Math.round(amount * 0.029));
        out.push({ kind: 'fee', amountMinor: -fee, currency: c.code, valueDate, counterparty: { kind: 'external', name: 'Payment processor' }, reference: `TX-${this.#made - 1}` });
        delta -= fee;
        this.counts.fee++;
        this.#made++;
      }
      this.balances.set(c.code, balance + delta);
    }
    return out;
  }

  /** Entries of `stored` to reverse (about `REVERSAL_SHARE`), and a correction date for each. */
  reversals(stored: LedgerEntry[]): { entry: LedgerEntry; valueDate: string }[] {
    const out: { entry: LedgerEntry; valueDate: string }[] = [];
    const picked = new Set<number>();
    const want = Math.round(stored.length * REVERSAL_SHARE);
    for (let tries = 0; out.length < want && tries < want * 10; tries++) {
      const i = Math.floor(this.rnd() * stored.length);
      if (picked.has(i)) continue;
      const entry = stored[i]!;
      const amount = Number(entry.amount_minor);
      const balance = this.balances.get(entry.currency)!;
      // Reversing a contribution takes it out again: only while the balance covers it.
      if (amount > 0 && balance < amount) continue;
      picked.add(i);
      this.balances.set(entry.currency, balance - amount);
      const ms = Math.min(this.#firstDay + DAYS * DAY, Date.parse(entry.value_date) + (1 + Math.floor(this.rnd() * 20)) * DAY);
      out.push({ entry, valueDate: new Date(ms).toISOString().slice(0, 10) });
      this.counts.reversal++;
    }
    return out;
  }
}

/**
 * `db` with a plugin that times each statement run through it (from compiled to result, so the
 * round trip and the engine's work), by the statement's first words; BEGIN and COMMIT are not
 * statements Kysely compiles, so they fall in what is left of the caller's wall time.
 */
function timingStatements(db: Kysely<Database>): { db: Kysely<Database>; times: Map<string, number[]>; queries: Map<string, CompiledQuery> } {
  const times = new Map<string, number[]>();
  const queries = new Map<string, CompiledQuery>();
  const open = new Map<string, { name: string; t0: number }>();
  const plugin: KyselyPlugin = {
    transformQuery(args) {
      const compiled = db.getExecutor().compileQuery(args.node, args.queryId);
      const text = compiled.sql.replace(/\s+/g, ' ');
      const first = /^(select .*? from "?\w+"?|update "?\w+"?|insert into "?\w+"?)/i.exec(text)?.[1]?.replace(/"/g, '').replace(/^select .* from/i, 'select … from') ?? text.slice(0, 40);
      const name = / group by /i.test(text) ? `${first} … group by` : first;
      if (!queries.has(name)) queries.set(name, compiled);
      open.set(args.queryId.queryId, { name, t0: performance.now() });
      return args.node;
    },
    async transformResult(args): Promise<QueryResult<UnknownRow>> {
      const o = open.get(args.queryId.queryId);
      if (o) {
        open.delete(args.queryId.queryId);
        times.set(o.name, [...(times.get(o.name) ?? []), performance.now() - o.t0]);
      }
      return args.result;
    },
  };
  return { db: db.withPlugin(plugin), times, queries };
}

interface Loaded {
  pactId: string;
  entries: number;
  batchMs: number[];
  reversalMs: number[];
  loadMs: number;
  expected: Map<string, number>;
  counts: Generator['counts'];
}

async function load(handle: DbHandle, pactId: string, orgId: string, households: string[], firstDay: number): Promise<Loaded> {
  const { db } = handle;
  const gen = new Generator(orgId, households, firstDay);
  const batchMs: number[] = [];
  const reversalMs: number[] = [];
  let entries = 0;
  const started = performance.now();
  let lastReport = started;
  while (entries < ENTRIES) {
    const batch = gen.batch(Math.min(BATCH, ENTRIES - entries));
    const t0 = performance.now();
    const stored = await recordEntries(db, { pactId, entries: batch, recordedBy: null });
    batchMs.push(performance.now() - t0);
    entries += stored.length;
    for (const r of gen.reversals(stored)) {
      const t1 = performance.now();
      await reverseEntry(db, { pactId, entryId: r.entry.id, valueDate: r.valueDate, recordedBy: null, description: 'Correction' });
      reversalMs.push(performance.now() - t1);
      entries++;
    }
    if (performance.now() - lastReport > 15_000) {
      lastReport = performance.now();
      const s = (lastReport - started) / 1000;
      process.stderr.write(`  … ${entries.toLocaleString('en')} entries in ${s.toFixed(0)} s (${Math.round(entries / s).toLocaleString('en')}/s)\n`);
    }
  }
  return { pactId, entries, batchMs, reversalMs, loadMs: performance.now() - started, expected: gen.balances, counts: gen.counts };
}

/** Per-currency sums over every entry of the pact (what a balance costs without the aggregate). */
async function scanBalances(handle: DbHandle, pactId: string): Promise<Map<string, number>> {
  const r = await sql<{ currency: string; total: number | string }>`
    SELECT currency, SUM(amount_minor) AS total FROM ledger_entries WHERE pact_id = ${pactId} GROUP BY currency`.execute(handle.db);
  return new Map(r.rows.map((x) => [x.currency, Number(x.total)]));
}

/** Monthly totals by currency and flow over every entry (what a report costs without the aggregate). */
async function scanMonths(handle: DbHandle, pactId: string): Promise<number> {
  const month = handle.engine === 'sqlite' ? sql`substr(value_date, 1, 7)` : sql`to_char(value_date, 'YYYY-MM')`;
  const r = await sql<{ month: string }>`
    SELECT ${month} AS month, currency, flow, SUM(amount_minor) AS total, COUNT(*) AS n
    FROM ledger_entries WHERE pact_id = ${pactId} GROUP BY 1, currency, flow`.execute(handle.db);
  return r.rows.length;
}

/** The SQLite file (WAL included) or, on PostgreSQL, `ledger_entries` with its indexes, as text. */
async function sizeOf(handle: DbHandle, file: string | null): Promise<string> {
  const mib = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MiB`;
  if (file) return `${mib(statSync(file).size + (statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0))} database file (WAL included)`;
  const r = await sql<{ table: string }>`SELECT pg_total_relation_size('ledger_entries') AS table`.execute(handle.db);
  return `${mib(Number(r.rows[0]!.table))} ledger_entries with indexes`;
}

/** Loads, checks and measures one engine, printing the figures (`file`: the SQLite file; `workDir`: temp directory for the app's documents). */
async function runEngine(label: string, handle: DbHandle, file: string | null, workDir: string): Promise<void> {
  const { db, engine } = handle;
  await migrateToLatest(db);
  const ratesStarted = performance.now();
  const rates = await importEcbRates(db, readFileSync(ECB_FILE), { fileName: 'ecb_eurofxref_daily.csv' });
  const ratesMs = performance.now() - ratesStarted;
  const lastDay = rates.lastDate!;
  const firstDay = Date.parse(lastDay) - DAYS * DAY;
  const org = await makeOrganization(db, { name: 'Bench solidarity committee' });
  const pact = await makeBarePact(db, org.id, 'bench-pact');
  // The register's rows written directly (as makeBarePact writes the pact), personal fields
  // sealed with a throw-away key: only their ids matter to the ledger.
  const keyring = parseDataKeys(`bench:${randomBytes(32).toString('base64')}`, 'bench');
  const households = Array.from({ length: HOUSEHOLDS }, () => newId());
  const now = nowInstant();
  await db
    .insertInto('beneficiaries')
    .values(households.map((id, i) => ({ id, pact_id: pact.id, code: `H-${String(i + 1).padStart(4, '0')}`, kind: 'household' as const, household_size: 1 + (i % 7), sealed_personal: seal(keyring, { name: `Household ${i + 1}` }, `beneficiary:${id}`), archived_at: null, created_by: null, created_at: now, updated_at: now })))
    .execute();
  process.stderr.write(`${label}: loading ${ENTRIES.toLocaleString('en')} entries through recordEntries (batches of ${BATCH.toLocaleString('en')}) and reverseEntry …\n`);
  const l = await load(handle, pact.id, org.id, households, firstDay);
  if (engine === 'postgres') {
    // Steady state after a bulk load, as autovacuum leaves it: statistics and the visibility map.
    for (const t of ['ledger_entries', 'pact_balances', 'pact_month_totals', 'pact_sequences', 'pacts', 'beneficiaries', 'exchange_rates']) await sql`VACUUM (ANALYZE) ${sql.table(t)}`.execute(db);
  }

  // The kept balances must be what the generator expects and what a SUM over the entries says.
  const kept = await pactBalances(db, pact.id);
  const summed = await scanBalances(handle, pact.id);
  const keptCount = kept.reduce((a, b) => a + b.entryCount, 0);
  for (const b of kept) {
    if (b.balanceMinor !== l.expected.get(b.currency) || b.balanceMinor !== summed.get(b.currency)) {
      throw new Error(`${b.currency}: kept balance ${b.balanceMinor}, expected ${l.expected.get(b.currency)}, SUM ${summed.get(b.currency)}`);
    }
  }
  if (keptCount !== l.entries) throw new Error(`kept entry count ${keptCount}, loaded ${l.entries}`);
  const months = await monthlyTotals(db, pact.id);
  const report = await transparencyReport(db, { id: pact.id, goal_currency: null }, { currency: 'EUR', today: lastDay });
  const lastMonth = report.months[report.months.length - 1]!;
  const aggregateRows = Number((await db.selectFrom('pact_month_totals').select((eb) => eb.fn.countAll().as('n')).where('pact_id', '=', pact.id).executeTakeFirstOrThrow()).n);
  const size = await sizeOf(handle, file);

  const bare = Fastify({ logger: false });
  bare.get('/bare', async () => ({ hello: 'world' }));
  await bare.ready();

  // Reads first (the ledger exactly as loaded), then writes.
  const reads = {
    bare: await timeIt(() => bare.inject({ method: 'GET', url: '/bare' }), 200),
    balances: await timeIt(() => pactBalances(db, pact.id)),
    monthly: await timeIt(() => monthlyTotals(db, pact.id)),
    report: await timeIt(() => transparencyReport(db, { id: pact.id, goal_currency: null }, { currency: 'EUR', today: lastDay })),
    page: await timeIt(() => listEntries(db, pact.id, { limit: 50 })),
  };
  // The same through the API, anonymous (the pact is public): routing, visibility, serialization.
  const app = await buildApp({ db, engine, logLevel: 'silent', rateLimitPerMinute: 1_000_000, documentsDir: join(workDir, 'documents') });
  const http: { name: string; status: number; t: Timing | null }[] = [];
  for (const [name, url] of [
    ['GET /api/v1/pacts/:slug/balances', `/api/v1/pacts/${pact.slug}/balances`],
    ['GET /api/v1/pacts/:slug/report?currency=EUR', `/api/v1/pacts/${pact.slug}/report?currency=EUR`],
  ] as const) {
    const first = await app.inject({ method: 'GET', url, headers: { 'accept-language': 'en' } });
    http.push({ name, status: first.statusCode, t: first.statusCode === 200 ? await timeIt(() => app.inject({ method: 'GET', url, headers: { 'accept-language': 'en' } }), RUNS, 60_000) : null });
  }
  await app.close();
  const scans = {
    sum: await timeIt(() => scanBalances(handle, pact.id), 10, 60_000),
    months: await timeIt(() => scanMonths(handle, pact.id), 10, 60_000),
  };
  const recorded: LedgerEntry[] = [];
  const recordOne = await timeIt(async () => {
    const [e] = await recordEntries(db, { pactId: pact.id, recordedBy: null, entries: [{ kind: 'contribution', amountMinor: 2_500, currency: 'EUR', valueDate: lastDay, counterparty: { kind: 'organization', organizationId: org.id }, reference: 'bench' }] });
    recorded.push(e!);
  }, WRITE_RUNS);
  const reverseOne = await timeIt(async () => {
    const e = recorded.pop()!;
    await reverseEntry(db, { pactId: pact.id, entryId: e.id, valueDate: lastDay, recordedBy: null });
  }, RUNS);
  // Where the time of one recorded entry goes: each statement, the round trip alone, and a
  // transaction with one small write (its COMMIT: the WAL write, and on PostgreSQL the flush).
  const traced = timingStatements(db);
  const recordTraced = await timeIt(
    () => recordEntries(traced.db, { pactId: pact.id, recordedBy: null, entries: [{ kind: 'contribution', amountMinor: 2_500, currency: 'EUR', valueDate: lastDay, counterparty: { kind: 'organization', organizationId: org.id }, reference: 'bench' }] }),
    WRITE_RUNS,
  );
  // Where the report's time goes: its statements by kind, over a few runs.
  const tracedReport = timingStatements(db);
  const reportRuns = 5;
  const reportStarted = performance.now();
  for (let i = 0; i < reportRuns; i++) await transparencyReport(tracedReport.db, { id: pact.id, goal_currency: null }, { currency: 'EUR', today: lastDay });
  const reportWall = (performance.now() - reportStarted) / reportRuns;
  await sql`CREATE TABLE bench_probe (id integer PRIMARY KEY, n integer NOT NULL)`.execute(db);
  await sql`INSERT INTO bench_probe (id, n) VALUES (1, 0)`.execute(db);
  const probes = {
    roundTrip: await timeIt(() => sql`SELECT 1`.execute(db), WRITE_RUNS),
    commit: await timeIt(() => db.transaction().execute((tx) => sql`UPDATE bench_probe SET n = n + 1 WHERE id = 1`.execute(tx)), WRITE_RUNS),
  };
  await sql`DROP TABLE bench_probe`.execute(db);
  const bareAgain = await timeIt(() => bare.inject({ method: 'GET', url: '/bare' }), 200);
  await bare.close();
  const bareP50 = (reads.bare.p50 + bareAgain.p50) / 2;

  const fmt = (x: number) => (x < 10 ? x.toFixed(3) : x < 100 ? x.toFixed(1) : x.toFixed(0));
  const ratio = (x: number) => (x < 10 ? x.toFixed(1) : Math.round(x).toLocaleString('en'));
  const n = (x: number) => x.toLocaleString('en');
  const batches = l.batchMs;
  const head = batches.slice(0, Math.min(10, batches.length));
  const tail = batches.slice(-Math.min(10, batches.length));
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const batchTotal = batches.reduce((a, b) => a + b, 0);
  const reversalTotal = l.reversalMs.reduce((a, b) => a + b, 0);
  const rev = l.reversalMs.length ? pct(l.reversalMs) : { p50: 0, p90: 0 };
  const c = l.counts;
  console.log(`\n${label}: one pact, ${n(l.entries)} entries in ${CURRENCIES.length} currencies, value dates ${new Date(firstDay).toISOString().slice(0, 10)} … ${lastDay} (${new Set(months.map((m) => m.month)).size} months)`);
  console.log(`  mix: ${n(c.contribution)} contributions, ${n(c.fee)} fees, ${n(c.disbursement)} disbursements, ${n(c.reversal)} reversals; ${size}`);
  console.log(`  load ${(l.loadMs / 1000).toFixed(1)} s = ${n(Math.round(l.entries / (l.loadMs / 1000)))} entries/s overall:`);
  console.log(`    recordEntries, ${batches.length} batches of ≤${n(BATCH)}: ${(batchTotal / 1000).toFixed(1)} s, ${n(Math.round((l.entries - l.reversalMs.length) / (batchTotal / 1000)))} entries/s; first ${head.length} batches ${fmt(avg(head))} ms each, last ${tail.length} ${fmt(avg(tail))} ms`);
  console.log(`    reverseEntry, ${n(l.reversalMs.length)} one at a time: ${(reversalTotal / 1000).toFixed(1)} s, p50 ${fmt(rev.p50)} ms, p90 ${fmt(rev.p90)} ms`);
  console.log(`  ECB rates: ${n(rates.inserted)} stored (${rates.firstDate} … ${rates.lastDate}) in ${(ratesMs / 1000).toFixed(1)} s; ${n(HOUSEHOLDS)} households in the register`);
  console.log(`  report: ${report.months.length} months in EUR, ${report.householdsSupported} households supported; ${lastMonth.month} closing ${n(lastMonth.converted?.closingMinor ?? 0)} EUR minor units with ${lastMonth.rates.map((r) => `${r.currency} ${r.rate} (${r.source} ${r.rateDate}${r.stale ? ', stale' : ''})`).join(', ')}; not converted: ${lastMonth.unconverted.join(', ') || 'none'}`);
  console.log(`  kept aggregates: ${kept.length} balance rows, ${n(aggregateRows)} month-total rows; balances = generator's = SUM over the entries: ${kept.map((b) => `${b.currency} ${n(b.balanceMinor)}`).join(', ')} (minor units)`);
  console.log(`\n  ${'measure'.padEnd(52)} ${'p50 ms'.padStart(9)} ${'p90 ms'.padStart(9)} ${'×bare p50'.padStart(10)}  target`);
  const line = (name: string, t: Timing, target?: number) => {
    const verdict = target === undefined ? '' : t.p50 <= target ? `≤${target} ms: met` : `≤${target} ms: MISSED`;
    const runs = t.runs < RUNS ? ` (${t.runs} runs)` : '';
    console.log(`  ${(name + runs).padEnd(52)} ${fmt(t.p50).padStart(9)} ${fmt(t.p90).padStart(9)} ${ratio(t.p50 / bareP50).padStart(10)}  ${verdict}`);
  };
  line('bare Fastify GET /bare (inject), before', reads.bare);
  line('bare Fastify GET /bare (inject), after', bareAgain);
  line(`pactBalances (${kept.length} rows)`, reads.balances, TARGET_READ);
  line(`monthlyTotals, whole period (${n(months.length)} lines)`, reads.monthly, TARGET_READ);
  line(`transparencyReport, whole period, in EUR`, reads.report, TARGET_READ);
  line('listEntries, newest 50', reads.page);
  for (const h of http) {
    if (h.t) line(`${h.name} (inject)`, h.t, TARGET_READ);
    else console.log(`  ${h.name.padEnd(52)} answered ${h.status}: not measured`);
  }
  line('recordEntries, one contribution', recordOne, TARGET_WRITE);
  line('reverseEntry, one entry', reverseOne);
  console.log(`\n  one recorded contribution, statement by statement (${WRITE_RUNS} runs, p50 of each):`);
  let statements = 0;
  for (const [name, ts] of traced.times) {
    const p = pct(ts.slice(3)).p50;
    statements += p;
    console.log(`    ${name.padEnd(50)} ${fmt(p).padStart(9)}`);
  }
  console.log(`    ${'BEGIN, COMMIT, JavaScript (the rest of the p50)'.padEnd(50)} ${fmt(Math.max(0, recordTraced.p50 - statements)).padStart(9)}   of ${fmt(recordTraced.p50)} ms`);
  console.log(`    for comparison: SELECT 1 round trip p50 ${fmt(probes.roundTrip.p50)} ms; a transaction with one one-row UPDATE p50 ${fmt(probes.commit.p50)} ms, p90 ${fmt(probes.commit.p90)} ms`);
  console.log(`\n  transparencyReport, statement by statement (${reportRuns} runs; per run: statements, their summed ms):`);
  let reportStatements = 0;
  for (const [name, ts] of tracedReport.times) {
    const total = ts.reduce((a, b) => a + b, 0) / reportRuns;
    reportStatements += total;
    console.log(`    ${name.padEnd(50)} ${String(ts.length / reportRuns).padStart(5)} × = ${fmt(total).padStart(9)} ms`);
  }
  console.log(`    ${'the rest (JavaScript: months, conversions)'.padEnd(50)}         ≈ ${fmt(Math.max(0, reportWall - reportStatements)).padStart(9)} ms   of ${fmt(reportWall)} ms per run (the first three statements run concurrently)`);
  console.log(`\n  without the kept aggregates (over all ${n(l.entries)} entries):`);
  line('SUM(amount_minor) GROUP BY currency', scans.sum);
  line('GROUP BY month, currency, flow', scans.months);
  console.log(`  → the aggregates make a balance ${Math.round(scans.sum.p50 / reads.balances.p50).toLocaleString('en')}× and the monthly totals ${Math.round(scans.months.p50 / reads.monthly.p50).toLocaleString('en')}× faster (p50)`);

  const householdsQuery = tracedReport.queries.get('select … from ledger_entries … group by');
  const fallback = tracedReport.queries.get('select … from exchange_rates … group by');
  if (reads.report.p50 > TARGET_READ || process.env.BENCH_EXPLAIN) {
    console.log(`\n  ${reads.report.p50 > TARGET_READ ? 'SLOW (the report above its target): ' : ''}query plans (${engine === 'sqlite' ? 'EXPLAIN QUERY PLAN' : 'EXPLAIN (ANALYZE, BUFFERS)'})`);
    for (const [name, q] of [['households supported (ledger_entries … group by)', householdsQuery], ['latest stored rate before a day (exchange_rates … group by)', fallback]] as const) {
      if (!q) continue;
      console.log(`  -- ${name}`);
      for (const planLine of await explain(db, engine, q)) console.log(`    ${planLine}`);
    }
  }
  if (process.env.BENCH_WHAT_IF) await whatIf(handle, { households: householdsQuery, firstDay: new Date(firstDay - 7 * DAY).toISOString().slice(0, 10), lastDay, fmt });
}

/**
 * What-if experiments (`BENCH_WHAT_IF=1`), after every other measure and undone afterwards: the
 * report's look-ups as they could be, not as the project ships them.
 * - the households query with an index `(pact_id, flow, counterparty_beneficiary_id, amount_minor)`
 *   that covers it;
 * - every ECB rate the report needs in one query for the whole period, instead of one per month
 *   and currency.
 */
async function whatIf(handle: DbHandle, o: { households: CompiledQuery | undefined; firstDay: string; lastDay: string; fmt: (x: number) => string }): Promise<void> {
  const { db, engine } = handle;
  console.log('\n  WHAT-IF EXPERIMENTS (not the shipped schema or code):');
  if (o.households) {
    const q = o.households;
    const before = await timeIt(() => db.executeQuery(q), 5, 30_000);
    await sql`CREATE INDEX bench_whatif_beneficiary_idx ON ledger_entries (pact_id, flow, counterparty_beneficiary_id, amount_minor)`.execute(db);
    await sql`ANALYZE ledger_entries`.execute(db);
    const after = await timeIt(() => db.executeQuery(q), 20, 30_000);
    const plan = await explain(db, engine, q);
    await sql`DROP INDEX bench_whatif_beneficiary_idx`.execute(db);
    console.log(`    households supported: p50 ${o.fmt(before.p50)} ms as shipped → p50 ${o.fmt(after.p50)} ms, p90 ${o.fmt(after.p90)} ms with a covering index (pact_id, flow, counterparty_beneficiary_id, amount_minor); plan:`);
    for (const planLine of plan) console.log(`      ${planLine}`);
  }
  let rows = 0;
  const rates = await timeIt(async () => {
    const r = await db
      .selectFrom('exchange_rates')
      .select(['quote', 'rate_date', 'rate'])
      .where('source', '=', 'ECB')
      .where('base', '=', 'EUR')
      .where('quote', 'in', CURRENCIES.map((c) => c.code).filter((c) => c !== 'EUR'))
      .where('rate_date', '>=', o.firstDay)
      .where('rate_date', '<=', o.lastDay)
      .execute();
    rows = r.length;
  }, 20);
  console.log(`    every rate of the period in one query (${rows.toLocaleString('en')} rows, 4 quotes): p50 ${o.fmt(rates.p50)} ms, p90 ${o.fmt(rates.p90)} ms`);
}

const dir = mkdtempSync(join(tmpdir(), 'solidaris-bench-ledger-'));
try {
  if (!process.env.BENCH_SKIP_SQLITE) {
    const file = join(dir, 'bench.sqlite');
    const sqlite = await openDb({ engine: 'sqlite', path: file });
    try {
      await runEngine('SQLite', sqlite, file, dir);
    } finally {
      await sqlite.close();
    }
  }
  const url = process.env.BENCH_DATABASE_URL;
  if (url) {
    await withBenchSchema(url, 4, async (handle, schema) => {
      await runEngine(`PostgreSQL (schema ${schema})`, handle, null, dir);
    });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
