import { open as openFile, type FileHandle } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { CompiledQuery, sql, type Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Engine } from '../../db/client.ts';
import type { CampaignStatus, Database, SupporterMailKind } from '../../db/schema.ts';
import { newId } from '../../lib/ids.ts';
import { CONSENT_VERSIONS, PENDING_DAYS, type ConfirmOutcome } from './supporters.store.ts';

/**
 * Group commit for the signing path. Sign requests are queued; while one batch transaction is in
 * flight the next one accumulates (up to {@link MAX_BATCH} requests), and each batch is **one**
 * transaction whose commit acknowledges all its requests at once: a request is answered only
 * after the COMMIT of its batch. That spreads one durable commit (an fsync) over many signatures
 * instead of weakening durability (the issue's benchmark target: ≥5,000 signatures/s on SQLite).
 *
 * One batch, in order, inside its transaction:
 * 1. the campaigns' status (a campaign closed since the request was checked refuses it);
 * 2. repeats within the batch are folded onto their first request (same campaign and e-mail hash);
 *    after a data-key rotation, rows stored under an older key's hash are looked up too;
 * 3. the cap on unconfirmed signatures per e-mail domain and hour (`domain_hash`, pending rows
 *    created in the last hour across all campaigns, plus those of this batch; counted in the
 *    database only when this process's upper bound does not settle it, see {@link DomainCounts});
 * 4. `INSERT … ON CONFLICT (campaign_id, email_hash) DO NOTHING` — the unique key makes concurrent
 *    identical requests (this batch, another batch, another process) one signature (case B14);
 * 5. the rows that conflicted are read for the "already signed" flow: a pending signature gets
 *    its confirmation mail again when the last one is older than {@link RESEND_CONFIRM_AFTER_MS},
 *    a confirmed one an `already_signed` mail at most every {@link ALREADY_SIGNED_EVERY_MS};
 * 6. the outbox rows (`supporter_mails`) of the batch.
 *
 * **SQLite**: the batch runs on one pinned connection (`db.connection()`), `BEGIN IMMEDIATE`
 * taking the write lock up front, and is acknowledged only once its commit is durable on power
 * loss. In WAL mode a commit appends its frames to the `-wal` file, and what makes it durable is
 * the sync of that file — which `synchronous = FULL` does inside COMMIT, on the event loop's
 * thread, for several milliseconds in which no request is read. So the batcher commits under the
 * application's `synchronous = NORMAL` and then syncs the WAL file itself (`FileHandle.sync()`,
 * fsync(2) on libuv's thread pool) before answering: the same guarantee as FULL (frames synced
 * before the acknowledgement; a checkpoint syncs the WAL before copying it under NORMAL too), while
 * the next requests are parsed, checked and sealed during the sync. Where no WAL file can be
 * opened (an in-memory database, another journal mode) the batch commits with
 * `PRAGMA synchronous = FULL` and goes back to `NORMAL` after. WAL checkpoints run on a worker
 * thread ({@link startCheckpointer}) instead of inside COMMIT. Statements are fixed SQL texts, so
 * the driver's prepared-statement cache serves them.
 * **PostgreSQL**: one transaction (READ COMMITTED) with array parameters (`unnest`), a fixed number
 * of statements per batch whatever its size; new rows are inserted in key order so two processes
 * cannot deadlock on each other's unique keys.
 *
 * If a batch throws, its requests are retried one by one, so one bad request cannot fail the others.
 */

/** Largest batch. */
export const MAX_BATCH = 500;
/** A pending signer who signs again gets the confirmation mail again only after this long (15 min). */
export const RESEND_CONFIRM_AFTER_MS = 15 * 60_000;
/** A confirmed signer who signs again gets an `already_signed` mail at most this often (1 h). */
export const ALREADY_SIGNED_EVERY_MS = 60 * 60_000;
/** The window of the per-domain cap on unconfirmed signatures (1 h). */
export const DOMAIN_WINDOW_MS = 60 * 60_000;

/** One checked, sealed and hashed sign request (see `prepareSignature`). */
export interface SignItem {
  /** Id of the supporter row, should it be new. */
  id: string;
  campaignId: string;
  /** `<keyId>.<MAC>` of the duplicate key under the current data key. */
  emailHash: string;
  /** The same key's hashes under older data keys (after a rotation; empty with one key). */
  olderEmailHashes: string[];
  domainHash: string;
  olderDomainHashes: string[];
  /** The address as typed, sealed with aad `supporters:<id>`. */
  emailSealed: string;
  name: string;
  country: string;
  city: string | null;
  affiliation: string | null;
  lang: string;
  listPublicly: boolean;
  contactOk: boolean;
}

/** What became of one request (never shown to the signer: every accepted request is answered alike). */
export type SignOutcome =
  /** A new pending signature with its confirmation mail queued. */
  | { kind: 'signed'; supporterId: string; mail: 'confirm' }
  /** The address had signed (or signed in the same batch): `mail` is the mail queued, if any. */
  | { kind: 'repeat'; supporterId: string | null; status: 'pending' | 'confirmed' | null; mail: SupporterMailKind | null }
  /** Too many unconfirmed signatures of the address's domain in the last hour. */
  | { kind: 'domain_cap' }
  /** The campaign is not (any longer) open; `status` null when it is gone. */
  | { kind: 'not_open'; status: CampaignStatus | null };

/** Options of {@link SignBatcher}. */
export interface SignBatcherOptions {
  db: Kysely<Database>;
  engine: Engine;
  /** Unconfirmed signatures per e-mail domain and hour (across campaigns). */
  unconfirmedPerDomainPerHour: number;
  /** Called after each committed batch that queued mails (kicks the mail worker). */
  onMailsQueued?: (count: number) => void;
  log?: Pick<FastifyBaseLogger, 'error'>;
  maxBatch?: number;
  /** The clock (tests). */
  now?: () => Date;
}

/** A confirmation (double opt-in) to make in the next batch: the signature and the campaign its link named. */
export interface ConfirmItem {
  campaignId: string;
  supporterId: string;
}

/** One queued request: a signature or a confirmation. */
type Job = { kind: 'sign'; item: SignItem } | { kind: 'confirm'; item: ConfirmItem };
type JobOutcome = SignOutcome | ConfirmOutcome;

interface Waiting {
  job: Job;
  resolve: (o: JobOutcome) => void;
  reject: (err: unknown) => void;
}

/** The statements of one batch on one engine. */
interface BatchOps {
  campaignStatuses(ids: string[]): Promise<Map<string, string>>;
  /** Pending rows created after `since`, per domain hash, counted up to `limit`. */
  pendingByDomain(hashes: string[], since: string, limit: number): Promise<Map<string, number>>;
  /** Existing rows by `(campaign_id, email_hash)`, keyed `campaignId\0emailHash`. */
  findExisting(pairs: [string, string][]): Promise<Map<string, { id: string; status: 'pending' | 'confirmed' }>>;
  /** Inserts pending rows; returns the ids actually inserted. */
  insertSupporters(items: SignItem[], now: string, expires: string): Promise<Set<string>>;
  /** Latest mail per supporter and kind, keyed `supporterId\0kind`. */
  lastMails(supporterIds: string[]): Promise<Map<string, string>>;
  insertMails(mails: { supporterId: string; kind: SupporterMailKind }[], now: string): Promise<void>;
  /** `pending` → `confirmed` for the named rows still pending, unexpired, of an open campaign; the rows changed. */
  confirm(items: ConfirmItem[], now: string): Promise<{ id: string; campaign_id: string; country: string }[]>;
  /** Adds to the kept counts, one upsert per campaign and country. */
  addCounts(deltas: [campaignId: string, country: string, n: number][]): Promise<void>;
  /** The rows of `ids` with their campaign's status (why a confirmation changed nothing). */
  confirmStates(ids: string[]): Promise<Map<string, { campaign_id: string; status: string; expires_at: string | null; campaign_status: string }>>;
}

const pair = (campaignId: string, emailHash: string) => `${campaignId}\u0000${emailHash}`;

/**
 * A database error without the values it may carry (PostgreSQL puts the failing row — a signer's
 * name — into `detail`): what is logged and what reaches the error handler. Keeps name, message,
 * code and constraint.
 */
export function scrubError(err: unknown): Error {
  const e = err as { name?: unknown; message?: unknown; code?: unknown; constraint?: unknown } | null;
  const out = new Error(typeof e?.message === 'string' ? e.message : 'database error');
  out.name = typeof e?.name === 'string' ? e.name : 'Error';
  return Object.assign(out, typeof e?.code === 'string' ? { code: e.code } : {}, typeof e?.constraint === 'string' ? { constraint: e.constraint } : {});
}

/**
 * Upper bounds of the pending signatures per domain hash within the cap's window, kept by one
 * process so most batches need no count query: a bound is the exact count taken at some instant
 * plus the rows this process inserted since. Rows only leave the window (age, confirmation,
 * withdrawal, expiry), so the bound never undercounts this process's rows; once bound plus
 * demand reaches the cap the count is taken again. A bound older than {@link DOMAIN_COUNT_TTL_MS}
 * is not used, so rows of other processes (PostgreSQL behind a load balancer) are seen within
 * that time: across processes the cap can be exceeded by what the others inserted in that time.
 */
export class DomainCounts {
  readonly #m = new Map<string, { n: number; at: number }>();

  /** The bound for `hash`, or undefined when there is none younger than the TTL at `now` (ms). */
  bound(hash: string, now: number): number | undefined {
    const e = this.#m.get(hash);
    return e && now - e.at < DOMAIN_COUNT_TTL_MS ? e.n : undefined;
  }

  /** An exact count taken at `now` (ms). */
  set(hash: string, n: number, now: number): void {
    if (this.#m.size >= 100_000) this.#m.clear();
    this.#m.set(hash, { n, at: now });
  }

  /** Rows this process inserted since. */
  add(hash: string, k: number): void {
    const e = this.#m.get(hash);
    if (e) e.n += k;
  }
}

/** How long an upper bound of {@link DomainCounts} is used before the count is taken again (10 s). */
export const DOMAIN_COUNT_TTL_MS = 10_000;

/**
 * The queue and its batches. One per application process (`app.signBatcher`).
 */
export class SignBatcher {
  readonly #o: SignBatcherOptions;
  readonly #max: number;
  #queue: Waiting[] = [];
  #scheduled = false;
  #running: Promise<void> | null = null;
  readonly #counts = new DomainCounts();
  /** SQLite: the WAL file handle (undefined: not looked up yet; null: none, commits use `synchronous = FULL`). */
  #wal: FileHandle | null | undefined = undefined;
  /** SQLite: the background checkpointer (see {@link startCheckpointer}). */
  #checkpointer: Checkpointer | null = null;
  /** Committed batches and their sizes (tests, diagnostics). */
  readonly stats = { batches: 0, items: 0, largest: 0, retried: 0 };

  constructor(o: SignBatcherOptions) {
    this.#o = o;
    this.#max = o.maxBatch ?? MAX_BATCH;
  }

  /**
   * Queues one request; resolves once its batch has committed (or was refused as a whole).
   * @throws (rejects) with the database error when even its one-by-one retry failed.
   */
  submit(item: SignItem): Promise<SignOutcome> {
    return this.#enqueue({ kind: 'sign', item }) as Promise<SignOutcome>;
  }

  /**
   * Queues one confirmation (double opt-in) for the next batch: `pending` → `confirmed` plus the
   * kept count, durable like a signature; a confirmation spike follows every signing spike.
   * Same outcomes as `confirmSupporter` (supporters.store.ts): a repeated confirmation, in the
   * same batch or later, counts once.
   * @throws (rejects) with the database error when even its one-by-one retry failed.
   */
  confirm(item: ConfirmItem): Promise<ConfirmOutcome> {
    return this.#enqueue({ kind: 'confirm', item }) as Promise<ConfirmOutcome>;
  }

  #enqueue(job: Job): Promise<JobOutcome> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ job, resolve, reject });
      if (!this.#running && !this.#scheduled) {
        this.#scheduled = true;
        // After the current I/O phase: every request parsed in it joins the batch.
        setImmediate(() => this.#start());
      }
    });
  }

  /** Waits until every queued request has been answered. */
  async drain(): Promise<void> {
    while (this.#running || this.#scheduled || this.#queue.length) {
      if (this.#running) await this.#running;
      else await new Promise((r) => setImmediate(r));
    }
  }

  #start(): void {
    this.#scheduled = false;
    if (this.#running) return;
    this.#running = this.#loop().finally(() => {
      this.#running = null;
      if (this.#queue.length && !this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#start());
      }
    });
  }

  /** Takes batches off the queue, commits each and answers its requests once the commit is durable. */
  async #loop(): Promise<void> {
    while (this.#queue.length) {
      const batch = this.#queue.splice(0, this.#max);
      const results: { w: Waiting; outcome?: JobOutcome; err?: unknown }[] = [];
      let mails = 0;
      let wal: FileHandle | null = null;
      try {
        const r = await this.#commit(batch.map((w) => w.job));
        this.#count(batch.length);
        batch.forEach((w, i) => results.push({ w, outcome: r.outcomes[i]! }));
        mails = r.mails;
        wal = r.wal;
      } catch (err) {
        if (batch.length > 1) {
          // One bad request must not fail the others: each alone, in its own transaction.
          this.stats.retried += 1;
          this.#o.log?.error({ err: scrubError(err), size: batch.length }, 'sign batch failed; retrying its requests one by one');
        }
        for (const w of batch) {
          if (batch.length === 1) {
            results.push({ w, err: scrubError(err) });
            break;
          }
          try {
            const r = await this.#commit([w.job]);
            this.#count(1);
            mails += r.mails;
            wal ??= r.wal;
            results.push({ w, outcome: r.outcomes[0]! });
          } catch (itemErr) {
            results.push({ w, err: scrubError(itemErr) });
          }
        }
      }
      const answer = (syncErr?: unknown) => {
        for (const r of results) {
          const err = r.err ?? syncErr;
          if (err !== undefined) r.w.reject(err);
          else r.w.resolve(r.outcome!);
        }
        if (mails && syncErr === undefined) this.#o.onMailsQueued?.(mails);
      };
      if (!wal) {
        answer();
        continue;
      }
      // Answered once the commit is on the disk. The sync runs on libuv's thread pool: meanwhile
      // the event loop reads and checks the next requests, which form the next batch.
      try {
        await wal.sync();
      } catch (err) {
        this.#o.log?.error({ err }, 'syncing the SQLite WAL failed; the batch is answered with an error');
        answer(err ?? new Error('WAL sync failed'));
        continue;
      }
      answer();
    }
  }

  #count(n: number): void {
    this.stats.batches += 1;
    this.stats.items += n;
    this.stats.largest = Math.max(this.stats.largest, n);
  }

  /**
   * One batch in one transaction. `wal`: the SQLite WAL file the commit is in, not yet synced (the
   * caller syncs it before answering); null when the commit is durable as it returns (PostgreSQL
   * syncs its WAL at COMMIT; SQLite without a WAL file of ours commits with `synchronous = FULL`).
   */
  async #commit(jobs: Job[]): Promise<{ outcomes: JobOutcome[]; mails: number; wal: FileHandle | null }> {
    const now = this.#o.now?.() ?? new Date();
    const cap = this.#o.unconfirmedPerDomainPerHour;
    if (this.#o.engine !== 'sqlite') {
      const r = await this.#o.db.transaction().execute((tx) => runJobs(postgresOps(tx), jobs, now, cap, this.#counts));
      return { ...r, wal: null };
    }
    let wal: FileHandle | null = null;
    const r = await this.#o.db.connection().execute(async (conn) => {
      wal = await this.#walFile(conn);
      // Without a WAL file of our own to sync, SQLite syncs this commit itself.
      if (!wal) await sql`PRAGMA synchronous = FULL`.execute(conn);
      try {
        await sql`BEGIN IMMEDIATE`.execute(conn);
        try {
          const out = await runJobs(sqliteOps(conn), jobs, now, cap, this.#counts);
          await sql`COMMIT`.execute(conn);
          return out;
        } catch (err) {
          await sql`ROLLBACK`.execute(conn).catch(() => {});
          throw err;
        }
      } finally {
        if (!wal) await sql`PRAGMA synchronous = NORMAL`.execute(conn);
      }
    });
    return { ...r, wal };
  }

  /**
   * The SQLite WAL file (`<database>-wal`), opened once for syncing, or null (no file database in
   * WAL mode, or the file cannot be opened: then each batch commits with `synchronous = FULL`).
   */
  async #walFile(conn: Kysely<Database>): Promise<FileHandle | null> {
    if (this.#wal !== undefined) return this.#wal;
    try {
      const mode = (await sql<{ journal_mode: string }>`PRAGMA journal_mode`.execute(conn)).rows[0]?.journal_mode;
      const file = (await sql<{ name: string; file: string }>`PRAGMA database_list`.execute(conn)).rows.find((d) => d.name === 'main')?.file;
      this.#wal = mode?.toLowerCase() === 'wal' && file ? await openFile(`${file}-wal`, 'r') : null;
      if (this.#wal && file) this.#checkpointer = await startCheckpointer(conn, this.#o.db, file, this.#o.log);
    } catch (err) {
      // Not there yet (no write since the database was opened): look again next batch.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      this.#wal = null;
    }
    return this.#wal;
  }

  /** Waits for queued requests, stops the checkpointer and closes the WAL file handle. */
  async close(): Promise<void> {
    await this.drain();
    const wal = this.#wal;
    this.#wal = undefined;
    await this.#checkpointer?.stop(this.#o.db);
    this.#checkpointer = null;
    await wal?.close();
  }
}

// ---------------------------------------------------------------- SQLite: checkpoints off the event loop

/** Interval of the background checkpoints (ms). */
export const CHECKPOINT_INTERVAL_MS = 200;
/** The application connection's own auto-checkpoint while the background one runs: a safety net only (pages; SQLite's default is 1000). */
const FALLBACK_AUTOCHECKPOINT = 10_000;

interface Checkpointer {
  stop(db: Kysely<Database>): Promise<void>;
}

/**
 * Runs SQLite's WAL checkpoints on a worker thread with a connection of its own. By default the
 * connection that commits also checkpoints (every 1,000 WAL pages, inside COMMIT): it copies the
 * pages into the database file and syncs both files, for tens of milliseconds on the event loop.
 * Under a signing spike that was half of the time spent per signature. Here a worker runs
 * `PRAGMA wal_checkpoint(PASSIVE)` every {@link CHECKPOINT_INTERVAL_MS} (never waiting for a lock,
 * never blocking readers or writers), and the application's connection checkpoints itself only
 * when the WAL outgrows {@link FALLBACK_AUTOCHECKPOINT} pages (the worker fell behind or died).
 * Durability does not change: commits are durable through the WAL sync, checkpoints only move
 * pages into the database file. `stop` runs a last checkpoint and puts the default back.
 */
async function startCheckpointer(conn: Kysely<Database>, db: Kysely<Database>, file: string, log?: Pick<FastifyBaseLogger, 'error'>): Promise<Checkpointer | null> {
  const code = `
    const { DatabaseSync } = require('node:sqlite');
    const { workerData, parentPort } = require('node:worker_threads');
    const db = new DatabaseSync(workerData.file);
    db.exec('PRAGMA busy_timeout = 1000; PRAGMA synchronous = NORMAL');
    const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
    const run = () => { try { checkpoint.all(); } catch (err) { parentPort.postMessage({ error: String(err && err.message) }); } };
    const timer = setInterval(run, workerData.intervalMs);
    parentPort.on('message', (m) => { if (m === 'stop') { clearInterval(timer); run(); db.close(); parentPort.close(); } });`;
  let worker: Worker;
  try {
    worker = new Worker(code, { eval: true, workerData: { file, intervalMs: CHECKPOINT_INTERVAL_MS } });
  } catch (err) {
    log?.error({ err }, 'the SQLite checkpoint worker did not start; checkpoints stay on the main connection');
    return null;
  }
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  let alive = true;
  const restore = (db: Kysely<Database>) => sql`PRAGMA wal_autocheckpoint = 1000`.execute(db).catch(() => {});
  worker.on('message', (m: { error?: string }) => {
    if (m?.error && !/locked|busy/i.test(m.error)) log?.error({ err: { message: m.error } }, 'background SQLite checkpoint failed');
  });
  worker.once('error', (err) => {
    alive = false;
    log?.error({ err }, 'the SQLite checkpoint worker stopped; checkpoints go back to the main connection');
    void restore(db);
  });
  await sql.raw(`PRAGMA wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT}`).execute(conn);
  return {
    async stop(appDb) {
      if (alive) {
        // Keep the process alive until the worker has made its last checkpoint and closed its connection.
        worker.ref();
        worker.postMessage('stop');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
        alive = false;
      }
      await restore(appDb);
    },
  };
}

/** One batch of jobs: its signatures, then its confirmations, in the caller's transaction. */
async function runJobs(ops: BatchOps, jobs: Job[], now: Date, cap: number, counts: DomainCounts): Promise<{ outcomes: JobOutcome[]; mails: number }> {
  const outcomes: JobOutcome[] = new Array(jobs.length);
  const signs: number[] = [];
  const confirms: number[] = [];
  jobs.forEach((j, i) => (j.kind === 'sign' ? signs : confirms).push(i));
  let mails = 0;
  if (signs.length) {
    const r = await runBatch(ops, signs.map((i) => jobs[i]!.item as SignItem), now, cap, counts);
    signs.forEach((i, k) => (outcomes[i] = r.outcomes[k]!));
    mails = r.mails;
  }
  if (confirms.length) {
    const r = await runConfirms(ops, confirms.map((i) => jobs[i]!.item as ConfirmItem), now);
    confirms.forEach((i, k) => (outcomes[i] = r[k]!));
  }
  return { outcomes, mails };
}

/**
 * The confirmations of one batch: one conditional update for all (a row changes only while
 * pending, unexpired and its campaign open, so a second confirmation counts nothing), one count
 * upsert per campaign and country, and — for the rows that did not change — why not.
 */
async function runConfirms(ops: BatchOps, items: ConfirmItem[], nowDate: Date): Promise<ConfirmOutcome[]> {
  const now = nowDate.toISOString();
  const first = new Map<string, number>();
  const unique: ConfirmItem[] = [];
  items.forEach((item, i) => {
    if (first.has(item.supporterId)) return;
    first.set(item.supporterId, i);
    unique.push(item);
  });
  // Key order, so two processes confirming the same rows lock them in the same order.
  unique.sort((a, b) => (a.supporterId < b.supporterId ? -1 : a.supporterId > b.supporterId ? 1 : 0));
  const changed = await ops.confirm(unique, now);
  const deltas = new Map<string, [string, string, number]>();
  for (const r of changed) {
    const key = `${r.campaign_id}\u0000${r.country}`;
    const d = deltas.get(key);
    if (d) d[2] += 1;
    else deltas.set(key, [r.campaign_id, r.country, 1]);
  }
  if (deltas.size) await ops.addCounts([...deltas.keys()].sort().map((k) => deltas.get(k)!));
  const done = new Set(changed.map((r) => r.id));
  const rest = unique.filter((u) => !done.has(u.supporterId));
  const states = rest.length ? await ops.confirmStates(rest.map((u) => u.supporterId)) : new Map();
  const outcomeOf = (item: ConfirmItem): ConfirmOutcome => {
    if (done.has(item.supporterId)) return 'confirmed';
    const s = states.get(item.supporterId);
    if (!s || s.campaign_id !== item.campaignId) return 'gone';
    if (s.status === 'confirmed') return 'already_confirmed';
    if (s.expires_at === null || Date.parse(s.expires_at) <= nowDate.getTime()) return 'gone';
    return s.campaign_status === 'open' ? 'already_confirmed' : 'campaign_not_open';
  };
  return items.map((item, i) => {
    const o = outcomeOf(item);
    // A repeat of a confirmation made in this batch finds it done.
    return first.get(item.supporterId) !== i && o === 'confirmed' ? 'already_confirmed' : o;
  });
}

/** The batch logic, on either engine's statements (see the module docs for the steps). */
async function runBatch(ops: BatchOps, items: SignItem[], nowDate: Date, cap: number, counts: DomainCounts): Promise<{ outcomes: SignOutcome[]; mails: number }> {
  const now = nowDate.toISOString();
  const since = new Date(nowDate.getTime() - DOMAIN_WINDOW_MS).toISOString();
  const expires = new Date(nowDate.getTime() + PENDING_DAYS * 86_400_000).toISOString();
  const outcomes: SignOutcome[] = new Array(items.length);

  // 1. Campaign status.
  const statuses = await ops.campaignStatuses([...new Set(items.map((i) => i.campaignId))]);
  // 2. Fold repeats within the batch onto their first request.
  const leaders = new Map<string, number>();
  const followerOf = new Map<number, number>();
  items.forEach((item, i) => {
    const status = statuses.get(item.campaignId);
    if (status !== 'open') {
      outcomes[i] = { kind: 'not_open', status: (status as CampaignStatus | undefined) ?? null };
      return;
    }
    const key = pair(item.campaignId, item.emailHash);
    const leader = leaders.get(key);
    if (leader === undefined) leaders.set(key, i);
    else followerOf.set(i, leader);
  });
  const repeats = new Map<number, { id: string; status: 'pending' | 'confirmed' } | null>();
  let candidates = [...leaders.values()];
  // Rows hashed under an older data key (before `rotate-data-key` rewrote them) are the same signer.
  const older = candidates.filter((i) => items[i]!.olderEmailHashes.length);
  if (older.length) {
    const found = await ops.findExisting(older.flatMap((i) => items[i]!.olderEmailHashes.map((h): [string, string] => [items[i]!.campaignId, h])));
    for (const i of older) {
      const hit = items[i]!.olderEmailHashes.map((h) => found.get(pair(items[i]!.campaignId, h))).find(Boolean);
      if (hit) repeats.set(i, hit);
    }
    candidates = candidates.filter((i) => !repeats.has(i));
  }

  // 3. The cap on unconfirmed signatures per domain and hour. The count is taken from the
  //    database when this process has no fresh upper bound for the domain, or when the bound plus
  //    this batch's demand reaches the cap (see DomainCounts); counting stops at the cap.
  const nowMs = nowDate.getTime();
  const groups = new Map<string, { hashes: string[]; demand: number; before: number }>();
  for (const i of candidates) {
    const item = items[i]!;
    let g = groups.get(item.domainHash);
    if (!g) groups.set(item.domainHash, (g = { hashes: [item.domainHash, ...item.olderDomainHashes], demand: 0, before: 0 }));
    g.demand += 1;
  }
  const toCount: string[] = [];
  for (const g of groups.values()) {
    const bounds = g.hashes.map((h) => counts.bound(h, nowMs));
    const bound = bounds.every((b) => b !== undefined) ? bounds.reduce((a, b) => a! + b!, 0)! : undefined;
    if (bound !== undefined && bound + g.demand <= cap) g.before = bound;
    else toCount.push(...g.hashes);
  }
  if (toCount.length) {
    const exact = await ops.pendingByDomain(toCount, since, cap);
    for (const [h, n] of exact) counts.set(h, n, nowMs);
    for (const g of groups.values()) if (g.hashes.some((h) => exact.has(h))) g.before = g.hashes.reduce((a, h) => a + (exact.get(h) ?? counts.bound(h, nowMs) ?? 0), 0);
  }
  candidates = candidates.filter((i) => {
    const g = groups.get(items[i]!.domainHash)!;
    if (g.before >= cap) {
      outcomes[i] = { kind: 'domain_cap' };
      return false;
    }
    g.before += 1;
    return true;
  });

  // 4. Insert; the unique key turns concurrent identical requests into one row.
  candidates.sort((a, b) => (pair(items[a]!.campaignId, items[a]!.emailHash) < pair(items[b]!.campaignId, items[b]!.emailHash) ? -1 : 1));
  const inserted = candidates.length ? await ops.insertSupporters(candidates.map((i) => items[i]!), now, expires) : new Set<string>();
  const conflicted = candidates.filter((i) => !inserted.has(items[i]!.id));
  for (const i of candidates) if (inserted.has(items[i]!.id)) counts.add(items[i]!.domainHash, 1);

  // 5. The rows the conflicts ran into.
  if (conflicted.length) {
    const found = await ops.findExisting(conflicted.map((i) => [items[i]!.campaignId, items[i]!.emailHash]));
    for (const i of conflicted) repeats.set(i, found.get(pair(items[i]!.campaignId, items[i]!.emailHash)) ?? null);
  }

  // 6. Mails: one confirmation per new row; for repeat signers at most one mail each, throttled.
  const mails: { supporterId: string; kind: SupporterMailKind }[] = [];
  for (const i of candidates) {
    if (!inserted.has(items[i]!.id)) continue;
    mails.push({ supporterId: items[i]!.id, kind: 'confirm' });
    outcomes[i] = { kind: 'signed', supporterId: items[i]!.id, mail: 'confirm' };
  }
  const repeatIds = [...new Set([...repeats.values()].filter((r) => r !== null).map((r) => r.id))];
  const last = repeatIds.length ? await ops.lastMails(repeatIds) : new Map<string, string>();
  const mailed = new Map<string, SupporterMailKind | null>();
  for (const [i, row] of repeats) {
    if (!row) {
      outcomes[i] = { kind: 'repeat', supporterId: null, status: null, mail: null };
      continue;
    }
    let mail: SupporterMailKind | null = null;
    if (!mailed.has(row.id)) {
      const kind: SupporterMailKind = row.status === 'pending' ? 'confirm' : 'already_signed';
      const wait = kind === 'confirm' ? RESEND_CONFIRM_AFTER_MS : ALREADY_SIGNED_EVERY_MS;
      const previous = last.get(`${row.id}\u0000${kind}`);
      if (!previous || Date.parse(previous) <= nowDate.getTime() - wait) mail = kind;
      mailed.set(row.id, mail);
      if (mail) mails.push({ supporterId: row.id, kind: mail });
    }
    outcomes[i] = { kind: 'repeat', supporterId: row.id, status: row.status, mail };
  }
  if (mails.length) await ops.insertMails(mails, now);

  // Followers share their first request's fate, without a mail of their own.
  for (const [i, leader] of followerOf) {
    const o = outcomes[leader]!;
    outcomes[i] =
      o.kind === 'signed' ? { kind: 'repeat', supporterId: o.supporterId, status: 'pending', mail: null } : o.kind === 'repeat' ? { ...o, mail: null } : o;
  }
  return { outcomes, mails: mails.length };
}

// ---------------------------------------------------------------- SQLite: one statement per step, rows as JSON

// Fixed statement texts (the driver prepares each once). Look-ups and the outbox rows travel as one
// JSON array read with `json_each` (one statement whatever the batch size); signatures are
// inserted row by row, which for their twelve columns beats extracting them from JSON.
const SQLITE = {
  status: 'select status from campaigns where id = ?',
  // Bounded by the cap: counting stops once the cap is reached.
  pending: `select count(*) as n from (select 1 from supporters where domain_hash = ? and created_at > ? and status = 'pending' limit ?)`,
  existing: `select s.campaign_id, s.email_hash, s.id, s.status from json_each(?) j
    cross join supporters s on s.campaign_id = j.value ->> 0 and s.email_hash = j.value ->> 1`,
  // Row by row: for twelve columns this beats extracting them from JSON.
  insert: `insert into supporters (id, campaign_id, email_hash, email_sealed, domain_hash, name, country, city, affiliation, lang,
    list_publicly, list_consent_version, list_consented_at, contact_ok, contact_consent_version, contact_consented_at,
    status, source, created_at, expires_at)
    values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 'online', ?, ?)
    on conflict (campaign_id, email_hash) do nothing`,
  lastMails: `select m.supporter_id, m.kind, max(m.created_at) as last from json_each(?) j
    cross join supporter_mails m on m.supporter_id = j.value group by m.supporter_id, m.kind`,
  insertMails: `insert into supporter_mails (id, supporter_id, kind, created_at, attempts)
    select value ->> 0, value ->> 1, value ->> 2, ?, 0 from json_each(?)`,
  // ?1 the instant, ?2 the JSON array of [supporterId, campaignId].
  confirm: `update supporters set status = 'confirmed', confirmed_at = ?1, expires_at = null
    where id in (select value ->> 0 from json_each(?2)) and status = 'pending' and expires_at > ?1
      and exists (select 1 from json_each(?2) j where j.value ->> 0 = supporters.id and j.value ->> 1 = supporters.campaign_id)
      and exists (select 1 from campaigns c where c.id = supporters.campaign_id and c.status = 'open')
    returning id, campaign_id, country`,
  addCount: `insert into campaign_counts (campaign_id, country, supporters) values (?, ?, ?)
    on conflict (campaign_id, country) do update set supporters = campaign_counts.supporters + excluded.supporters`,
  confirmStates: `select s.id, s.campaign_id, s.status, s.expires_at, c.status as campaign_status from json_each(?) j
    cross join supporters s on s.id = j.value join campaigns c on c.id = s.campaign_id`,
};

function sqliteOps(conn: Kysely<Database>): BatchOps {
  const q = <R>(text: string, params: unknown[]) => conn.executeQuery<R>(CompiledQuery.raw(text, params));
  return {
    async campaignStatuses(ids) {
      const out = new Map<string, string>();
      for (const id of ids) {
        const r = await q<{ status: string }>(SQLITE.status, [id]);
        if (r.rows[0]) out.set(id, r.rows[0].status);
      }
      return out;
    },
    async pendingByDomain(hashes, since, limit) {
      const out = new Map<string, number>();
      for (const h of hashes) out.set(h, Number((await q<{ n: number }>(SQLITE.pending, [h, since, limit])).rows[0]!.n));
      return out;
    },
    async findExisting(pairs) {
      const { rows } = await q<{ campaign_id: string; email_hash: string; id: string; status: 'pending' | 'confirmed' }>(SQLITE.existing, [JSON.stringify(pairs)]);
      return new Map(rows.map((r) => [pair(r.campaign_id, r.email_hash), { id: r.id, status: r.status }]));
    },
    async insertSupporters(items, now, expires) {
      const ids = new Set<string>();
      for (const s of items) {
        const r = await q(SQLITE.insert, [
          s.id, s.campaignId, s.emailHash, s.emailSealed, s.domainHash, s.name, s.country, s.city, s.affiliation, s.lang,
          s.listPublicly ? 1 : 0, s.listPublicly ? CONSENT_VERSIONS.list : null, s.listPublicly ? now : null,
          s.contactOk ? 1 : 0, s.contactOk ? CONSENT_VERSIONS.contact : null, s.contactOk ? now : null,
          now, expires,
        ]);
        if (Number(r.numAffectedRows ?? 0) === 1) ids.add(s.id);
      }
      return ids;
    },
    async lastMails(supporterIds) {
      const { rows } = await q<{ supporter_id: string; kind: string; last: string }>(SQLITE.lastMails, [JSON.stringify(supporterIds)]);
      return new Map(rows.map((r) => [`${r.supporter_id}\u0000${r.kind}`, r.last]));
    },
    async insertMails(mails, now) {
      await q(SQLITE.insertMails, [now, JSON.stringify(mails.map((m) => [newId(), m.supporterId, m.kind]))]);
    },
    async confirm(items, now) {
      const r = await q<{ id: string; campaign_id: string; country: string }>(SQLITE.confirm, [now, JSON.stringify(items.map((i) => [i.supporterId, i.campaignId]))]);
      return r.rows;
    },
    async addCounts(deltas) {
      for (const [c, country, n] of deltas) await q(SQLITE.addCount, [c, country, n]);
    },
    async confirmStates(ids) {
      const { rows } = await q<{ id: string; campaign_id: string; status: string; expires_at: string | null; campaign_status: string }>(SQLITE.confirmStates, [JSON.stringify(ids)]);
      return new Map(rows.map((r) => [r.id, r]));
    },
  };
}

// ---------------------------------------------------------------- PostgreSQL: array parameters

function postgresOps(tx: Kysely<Database>): BatchOps {
  return {
    async campaignStatuses(ids) {
      const { rows } = await sql<{ id: string; status: string }>`select id, status from campaigns where id = any(${ids}::text[])`.execute(tx);
      return new Map(rows.map((r) => [r.id, r.status]));
    },
    async pendingByDomain(hashes, since, limit) {
      const { rows } = await sql<{ h: string; n: number }>`select h, (select count(*)::int from (select 1 from supporters
          where domain_hash = h and status = 'pending' and created_at > ${since}::timestamptz limit ${limit}) x) as n
        from unnest(${hashes}::text[]) as h`.execute(tx);
      return new Map(rows.map((r) => [r.h, Number(r.n)]));
    },
    async findExisting(pairs) {
      // Both columns of the unique index as `= any(…)` (an index scan); the pairs are checked after.
      const { rows } = await sql<{ campaign_id: string; email_hash: string; id: string; status: 'pending' | 'confirmed' }>`
        select s.campaign_id, s.email_hash, s.id, s.status from supporters s
        where s.campaign_id = any(${[...new Set(pairs.map((p) => p[0]))]}::text[]) and s.email_hash = any(${pairs.map((p) => p[1])}::text[])`.execute(tx);
      const wanted = new Set(pairs.map(([c, h]) => pair(c, h)));
      return new Map(rows.filter((r) => wanted.has(pair(r.campaign_id, r.email_hash))).map((r) => [pair(r.campaign_id, r.email_hash), { id: r.id, status: r.status }]));
    },
    async insertSupporters(items, now, expires) {
      const col = <T>(f: (s: SignItem) => T) => items.map(f);
      const { rows } = await sql<{ id: string }>`
        insert into supporters (id, campaign_id, email_hash, email_sealed, domain_hash, name, country, city, affiliation, lang,
          list_publicly, list_consent_version, list_consented_at, contact_ok, contact_consent_version, contact_consented_at,
          status, source, created_at, expires_at)
        select t.id, t.campaign_id, t.email_hash, t.email_sealed, t.domain_hash, t.name, t.country, t.city, t.affiliation, t.lang,
          t.list_publicly, case when t.list_publicly = 1 then ${CONSENT_VERSIONS.list} end, case when t.list_publicly = 1 then ${now}::timestamptz end,
          t.contact_ok, case when t.contact_ok = 1 then ${CONSENT_VERSIONS.contact} end, case when t.contact_ok = 1 then ${now}::timestamptz end,
          'pending', 'online', ${now}::timestamptz, ${expires}::timestamptz
        from unnest(${col((s) => s.id)}::text[], ${col((s) => s.campaignId)}::text[], ${col((s) => s.emailHash)}::text[],
          ${col((s) => s.emailSealed)}::text[], ${col((s) => s.domainHash)}::text[], ${col((s) => s.name)}::text[],
          ${col((s) => s.country)}::text[], ${col((s) => s.city)}::text[], ${col((s) => s.affiliation)}::text[], ${col((s) => s.lang)}::text[],
          ${col((s) => (s.listPublicly ? 1 : 0))}::int[], ${col((s) => (s.contactOk ? 1 : 0))}::int[])
          with ordinality as t(id, campaign_id, email_hash, email_sealed, domain_hash, name, country, city, affiliation, lang, list_publicly, contact_ok, n)
        order by t.n
        on conflict (campaign_id, email_hash) do nothing
        returning id`.execute(tx);
      return new Set(rows.map((r) => r.id));
    },
    async lastMails(supporterIds) {
      const { rows } = await sql<{ supporter_id: string; kind: string; last: string }>`select supporter_id, kind, max(created_at) as last
        from supporter_mails where supporter_id = any(${supporterIds}::text[]) group by supporter_id, kind`.execute(tx);
      return new Map(rows.map((r) => [`${r.supporter_id}\u0000${r.kind}`, r.last]));
    },
    async insertMails(mails, now) {
      await sql`insert into supporter_mails (id, supporter_id, kind, created_at, attempts)
        select t.id, t.supporter_id, t.kind, ${now}::timestamptz, 0
        from unnest(${mails.map(() => newId())}::text[], ${mails.map((m) => m.supporterId)}::text[], ${mails.map((m) => m.kind)}::text[]) as t(id, supporter_id, kind)`.execute(tx);
    },
    async confirm(items, now) {
      // `id = any(…)` lets the planner take the primary key (a join with unnest may scan the table).
      const { rows } = await sql<{ id: string; campaign_id: string; country: string }>`
        update supporters s set status = 'confirmed', confirmed_at = ${now}::timestamptz, expires_at = null
        where s.id = any(${items.map((i) => i.supporterId)}::text[])
          and (s.id || ' ' || s.campaign_id) = any(${items.map((i) => `${i.supporterId} ${i.campaignId}`)}::text[])
          and s.status = 'pending' and s.expires_at > ${now}::timestamptz
          and exists (select 1 from campaigns c where c.id = s.campaign_id and c.status = 'open')
        returning s.id, s.campaign_id, s.country`.execute(tx);
      return rows;
    },
    async addCounts(deltas) {
      for (const [c, country, n] of deltas) {
        await sql`insert into campaign_counts (campaign_id, country, supporters) values (${c}, ${country}, ${n})
          on conflict (campaign_id, country) do update set supporters = campaign_counts.supporters + excluded.supporters`.execute(tx);
      }
    },
    async confirmStates(ids) {
      const { rows } = await sql<{ id: string; campaign_id: string; status: string; expires_at: string | null; campaign_status: string }>`
        select s.id, s.campaign_id, s.status, s.expires_at, c.status as campaign_status
        from supporters s join campaigns c on c.id = s.campaign_id where s.id = any(${ids}::text[])`.execute(tx);
      return new Map(rows.map((r) => [r.id, r]));
    },
  };
}
