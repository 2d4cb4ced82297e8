import { DateTime, IANAZone } from 'luxon';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../../db/client.ts';
import type { DigestFrequency } from '../../db/schema.ts';
import type { Mailer } from '../../mail/mailer.ts';
import { viewerForAccount } from '../accounts/accounts.service.ts';
import { listNotifications } from '../follows/notifications.repo.ts';
import { digestMail } from './digests.mail.ts';

// The e-mail digest: what an account's organizations' follows brought (`listNotifications`, read
// through the visibility rule), sent once per window in the person's language. A window ends at
// 07:00 wall-clock time in the account's own IANA time zone — every day, or every Monday — and
// `users.digest_sent_until` marks the end of the last window handled. Each run claims at most one
// window per account with a conditional UPDATE on that mark, so any number of processes (the
// server's scheduler, a cron job running the CLI) can run passes at the same time without sending
// a digest twice.

/** Wall-clock hour (in the account's time zone) at which digest windows end. */
export const DIGEST_HOUR = 7;
/** Most items listed in one digest; more are summed up by a link to the notifications page. */
export const DIGEST_MAX_ITEMS = 100;
/** How often the server's scheduler runs a pass, in milliseconds (5 minutes). */
export const DIGEST_INTERVAL_MS = 5 * 60_000;

/** A digest that is actually sent (not `off`). */
export type DigestSchedule = Exclude<DigestFrequency, 'off'>;

function asDate(now: Date | string): Date {
  const d = typeof now === 'string' ? new Date(now) : now;
  if (Number.isNaN(d.getTime())) throw new RangeError(`not an instant: ${String(now)}`);
  return d;
}

function zoneOrThrow(timeZone: string): IANAZone {
  const zone = IANAZone.create(timeZone);
  if (!zone.isValid) throw new RangeError(`unknown time zone ${timeZone}`);
  return zone;
}

/** 07:00 on the calendar day of `day` in its zone (luxon moves a time inside a DST gap forward). */
function atDigestHour(day: DateTime): DateTime {
  return day.set({ hour: DIGEST_HOUR, minute: 0, second: 0, millisecond: 0 });
}

/**
 * The end of the latest digest window at or before `now`: the latest 07:00 local wall-clock time
 * (daily) or the latest Monday 07:00 (weekly, ISO weeks) in the IANA zone `timeZone`. Computed
 * with luxon on the calendar, so a day with a DST switch still has exactly one boundary at 07:00
 * local time (23 or 25 hours after the one before), and half-hour zones (Asia/Kolkata) end at
 * their own 07:00.
 * @param now an instant (`Date` or ISO 8601 string).
 * @returns the boundary as an ISO 8601 UTC instant (`2026-03-29T05:00:00.000Z`).
 * @throws {RangeError} for an unknown time zone or an invalid instant.
 */
export function latestDigestBoundary(frequency: DigestSchedule, timeZone: string, now: Date | string): string {
  const local = DateTime.fromJSDate(asDate(now), { zone: zoneOrThrow(timeZone) });
  let boundary = atDigestHour(local.startOf(frequency === 'weekly' ? 'week' : 'day'));
  if (boundary > local) boundary = atDigestHour(boundary.minus(frequency === 'weekly' ? { weeks: 1 } : { days: 1 }));
  return boundary.toJSDate().toISOString();
}

/**
 * The boundary one window before `boundary` (the previous 07:00, or the Monday 07:00 a week
 * earlier, in local wall-clock time of `timeZone`).
 * @param boundary an ISO 8601 UTC instant returned by {@link latestDigestBoundary}.
 * @returns an ISO 8601 UTC instant.
 * @throws {RangeError} for an unknown time zone or an invalid instant.
 */
export function previousDigestBoundary(frequency: DigestSchedule, timeZone: string, boundary: string): string {
  const local = DateTime.fromJSDate(asDate(boundary), { zone: zoneOrThrow(timeZone) });
  return latestDigestBoundary(frequency, timeZone, local.minus({ minutes: 1 }).toJSDate());
}

/** The account's e-mail digest choice (`off` for an unknown account). */
export async function digestFrequencyOf(db: Db, userId: string): Promise<DigestFrequency> {
  const row = await db.selectFrom('users').select('digest_frequency').where('id', '=', userId).executeTakeFirst();
  return row?.digest_frequency ?? 'off';
}

/** What one pass did (mark advanced for all but `failed`). */
export interface DigestRunSummary {
  /** Digests the SMTP server accepted. */
  sent: number;
  /**
   * Digests only written to the log because no SMTP server is configured (the mailer answered
   * `delivered: false`); nobody received them.
   */
  logged: number;
  /** Windows with nothing new: no mail. */
  empty: number;
  /** Sending failed; the mark was put back for the next pass. */
  failed: number;
}

/** Options of {@link sendDueDigests}. */
export interface SendDigestsOptions {
  /** The instant of the pass (default: the current time). */
  now?: Date | string;
  /** Public base URL for the links in the mail, without trailing slash (`https://solidaris.example`). */
  baseUrl: string;
  /** Where sending failures are logged (warn); silent without one. */
  log?: Pick<FastifyBaseLogger, 'warn' | 'error'>;
  /** Accounts read per query (default 500). */
  batchSize?: number;
}

interface DigestAccount {
  id: string;
  email: string;
  display_name: string;
  locale: string;
  time_zone: string;
  digest_frequency: DigestFrequency;
  digest_sent_until: string | null;
}

/**
 * Runs one digest pass. For every account that is not erased and has a digest (`daily`/`weekly`):
 * takes the latest boundary ≤ `now` ({@link latestDigestBoundary}; an unknown stored zone counts as
 * UTC); when it lies after `digest_sent_until`, claims the window by moving the mark to the
 * boundary with a conditional UPDATE (only if the mark still holds the value read, so two passes
 * never both claim it, on SQLite and PostgreSQL alike), then reads the account's notifications
 * after the old mark up to the boundary (an account without a mark gets one window's worth) and
 * mails them in the account's language. An empty window sends nothing (the mark still advances).
 * When sending throws, the mark is put back (only if it still holds the claimed boundary) and the
 * pass goes on with the next account. At most one window per account and pass: someone back after
 * ten days gets one digest covering everything since the mark.
 * @returns how many digests were sent, only logged (no SMTP server configured), found empty, or failed.
 */
export async function sendDueDigests(db: Db, mailer: Mailer, o: SendDigestsOptions): Promise<DigestRunSummary> {
  const now = asDate(o.now ?? new Date());
  const batchSize = o.batchSize ?? 500;
  const summary: DigestRunSummary = { sent: 0, logged: 0, empty: 0, failed: 0 };
  let lastId = '';
  for (;;) {
    const accounts = (await db
      .selectFrom('users')
      .select(['id', 'email', 'display_name', 'locale', 'time_zone', 'digest_frequency', 'digest_sent_until'])
      .where('erased_at', 'is', null)
      .where('digest_frequency', 'in', ['daily', 'weekly'])
      .where('id', '>', lastId)
      .orderBy('id')
      .limit(batchSize)
      .execute()) as DigestAccount[];
    for (const account of accounts) {
      const outcome = await digestForAccount(db, mailer, account, now, o);
      if (outcome) summary[outcome] += 1;
    }
    if (accounts.length < batchSize) break;
    lastId = accounts[accounts.length - 1]!.id;
  }
  return summary;
}

/** One account's due window, if any: claimed, read, mailed. Null when nothing was due or another pass claimed it. */
async function digestForAccount(
  db: Db,
  mailer: Mailer,
  account: DigestAccount,
  now: Date,
  o: SendDigestsOptions,
): Promise<keyof DigestRunSummary | null> {
  const frequency = account.digest_frequency as DigestSchedule;
  const timeZone = IANAZone.isValidZone(account.time_zone) ? account.time_zone : 'UTC';
  const boundary = latestDigestBoundary(frequency, timeZone, now);
  const mark = account.digest_sent_until;
  if (mark !== null && Date.parse(mark) >= Date.parse(boundary)) return null;

  const claimed = await db
    .updateTable('users')
    .set({ digest_sent_until: boundary })
    .where('id', '=', account.id)
    .where('erased_at', 'is', null)
    .where('digest_frequency', '=', frequency)
    .where((eb) => (mark === null ? eb('digest_sent_until', 'is', null) : eb('digest_sent_until', '=', mark)))
    .executeTakeFirst();
  if (Number(claimed.numUpdatedRows) !== 1) return null;

  // Everything from here on runs on a claimed window: a failure hands the window back.
  const restore = () =>
    db
      .updateTable('users')
      .set({ digest_sent_until: mark })
      .where('id', '=', account.id)
      .where('digest_sent_until', '=', boundary)
      .execute();
  try {
    const viewer = await viewerForAccount(db, account.id);
    const after = mark ?? previousDigestBoundary(frequency, timeZone, boundary);
    const items = viewer ? await listNotifications(db, viewer, { after, until: boundary, limit: DIGEST_MAX_ITEMS + 1 }) : [];
    if (!items.length) return 'empty';
    const { delivered } = await mailer.send(
      digestMail({
        to: account.email,
        displayName: account.display_name,
        locale: account.locale,
        timeZone,
        frequency,
        from: after,
        until: boundary,
        items: items.slice(0, DIGEST_MAX_ITEMS),
        more: items.length > DIGEST_MAX_ITEMS,
        baseUrl: o.baseUrl,
      }),
    );
    return delivered ? 'sent' : 'logged';
  } catch (err) {
    o.log?.warn({ err, userId: account.id, boundary }, 'digest not sent; the window is handed back for the next pass');
    try {
      await restore();
    } catch (restoreErr) {
      o.log?.error({ err: restoreErr, userId: account.id }, 'digest mark could not be restored');
    }
    return 'failed';
  }
}

/** A running digest scheduler. */
export interface DigestScheduler {
  /** Stops the timer and waits for a pass in progress to end. */
  stop(): Promise<void>;
}

/**
 * Runs {@link sendDueDigests} now and then every `intervalMs` (default {@link DIGEST_INTERVAL_MS})
 * on an unref'd timer, so it never keeps the process alive. A pass never overlaps the previous
 * one; errors are logged, never thrown.
 */
export function startDigestScheduler(o: {
  db: Db;
  mailer: Mailer;
  baseUrl: string;
  log: Pick<FastifyBaseLogger, 'warn' | 'error' | 'info'>;
  intervalMs?: number;
}): DigestScheduler {
  const interval = o.intervalMs ?? DIGEST_INTERVAL_MS;
  let stopped = false;
  let running: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(tick, ms);
    timer.unref();
  };
  const tick = () => {
    running = (async () => {
      try {
        const s = await sendDueDigests(o.db, o.mailer, { baseUrl: o.baseUrl, log: o.log });
        if (s.sent || s.logged || s.failed) o.log.info({ digests: s }, 'digest pass');
      } catch (err) {
        o.log.error({ err }, 'digest pass failed');
      }
    })();
    void running.finally(() => {
      running = null;
      schedule(interval);
    });
  };
  schedule(0);
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
