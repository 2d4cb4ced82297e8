import { randomUUID } from 'node:crypto';
import { html } from 'htm/preact';
import { sql } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../../db/client.ts';
import type { Engine } from '../../db/client.ts';
import type { SupporterMailKind } from '../../db/schema.ts';
import { isolate, translator } from '../../i18n/i18n.ts';
import type { MailMessage, Mailer } from '../../mail/mailer.ts';
import { bdi, htmlDocument, mailLocale } from '../../mail/messages.ts';
import { open, type Keyring } from '../../lib/sealed.ts';
import { supporterAad, supporterLinkToken } from './supporter-keys.ts';
import { expirePendingSupporters, PENDING_DAYS } from './supporters.store.ts';

/**
 * The mail worker of the signing path: sends the rows of the outbox `supporter_mails` (written in
 * the transaction of the signature) — the confirmation mail of the double opt-in and the
 * "already signed" mail — and expires unconfirmed signatures.
 *
 * **Claims.** A pass claims up to `batchSize` unsent rows with one conditional UPDATE
 * (`sent_at IS NULL` re-checked by the UPDATE itself; on PostgreSQL the candidate rows are taken
 * `FOR UPDATE SKIP LOCKED`), so two processes never send the same row. The outbox has no claim
 * column: a claimed row carries `sent_at` = the claim instant and `last_error` = `claim:<pass id>`
 * until the send ends — success clears `last_error`, a failure puts `sent_at` back to NULL and
 * records the error's code in `last_error` (never the SMTP server's text, which may quote the
 * address) with `attempts` + 1. A claim left behind by a crashed process is released after
 * {@link STALE_CLAIM_MS}. A row is given up after {@link MAX_ATTEMPTS} attempts.
 *
 * **Content.** In the signer's language (`supporters.lang`, catalog locale by `mailLocale`), the
 * campaign title in that language (exact tag, then the same base language), else the original;
 * user values isolated (U+2068…U+2069 in plain text, `<bdi>` in HTML; case B23). Every mail carries
 * the withdrawal link; links are built from `baseUrl` with the HMAC tokens of supporter-keys.ts.
 *
 * **Privacy.** Without an SMTP server the mailer would write mails to the log; supporter mails are
 * then *not* handed to it (the log would hold the address and working links): only the row id and
 * kind are logged, and the row counts as sent. Only with `logUnsentMails` (outside
 * `NODE_ENV=production`: development and demos, so the confirmation link can be followed) is the
 * whole mail written to the log.
 */

/** Attempts before a mail is given up. */
export const MAX_ATTEMPTS = 5;
/** A claim older than this (10 min) is considered abandoned by a crashed process and released. */
export const STALE_CLAIM_MS = 10 * 60_000;
/** Sent outbox rows are deleted after this long (2 days): the resend throttles look back at most an hour. */
export const SENT_RETENTION_MS = 2 * 86_400_000;
/** Mails sent in parallel within a pass. */
const PARALLEL = 8;

/** What the mail of one outbox row says. */
export interface SupporterMailInput {
  to: string;
  kind: SupporterMailKind;
  /** BCP 47 tag of the signer's language. */
  lang: string;
  name: string;
  /** Campaign title (in the signer's language where a translation exists). */
  title: string;
  /** BCP 47 tag of the title's language. */
  titleLang: string;
  /** The confirmation page (`confirm` mails). */
  confirmUrl: string | null;
  withdrawUrl: string;
}

/**
 * The confirmation or "already signed" mail: plain text with user values isolated, and HTML with
 * them in `<bdi>`; the withdrawal link in both kinds.
 */
export function supporterMail(o: SupporterMailInput): MailMessage {
  const tr = translator(mailLocale(o.lang));
  const { t } = tr;
  const p = `campaigns.signing.mail.${o.kind}`;
  const subject = t(`${p}.subject`, { title: isolate(o.title) });
  const greeting = t('campaigns.signing.mail.greeting', { name: isolate(o.name) });
  const body = t(`${p}.body`, { title: isolate(o.title), days: PENDING_DAYS });
  const footer = t('campaigns.signing.mail.footer');
  const text = [
    greeting,
    body,
    ...(o.kind === 'confirm' ? [`${t('campaigns.signing.mail.confirm.link', { days: PENDING_DAYS })}\n${o.confirmUrl}`, t('campaigns.signing.mail.confirm.ignore')] : [t('campaigns.signing.mail.already_signed.not_you')]),
    `${t('campaigns.signing.mail.withdraw')}\n${o.withdrawUrl}`,
    `-- \n${footer}`,
  ].join('\n\n');
  const titleHtml = html`<bdi lang=${o.titleLang}>${o.title}</bdi>`;
  const htmlBody = html`<p>${tr.tRich('campaigns.signing.mail.greeting', { name: bdi(o.name) })}</p>
    <p>${tr.tRich(`${p}.body`, { title: titleHtml, days: PENDING_DAYS })}</p>
    ${o.kind === 'confirm'
      ? html`<p>${t('campaigns.signing.mail.confirm.link', { days: PENDING_DAYS })}<br /><a href=${o.confirmUrl}>${o.confirmUrl}</a></p>
          <p>${t('campaigns.signing.mail.confirm.ignore')}</p>`
      : html`<p>${t('campaigns.signing.mail.already_signed.not_you')}</p>`}
    <p>${t('campaigns.signing.mail.withdraw')}<br /><a href=${o.withdrawUrl}>${o.withdrawUrl}</a></p>`;
  return { to: o.to, subject, text: `${text}\n`, html: htmlDocument(tr, htmlBody, footer) };
}

/** The link of a signature's confirmation or withdrawal page. */
export function supporterLink(baseUrl: string, keyring: Keyring, purpose: 'confirm' | 'withdraw', slug: string, supporterId: string): string {
  return `${baseUrl}/campaigns/${encodeURIComponent(slug)}/signatures/${supporterId}/${purpose}?token=${supporterLinkToken(keyring, purpose, supporterId)}`;
}

/**
 * The translation to show for `lang`: the exact tag (case-insensitive), else one of the same
 * base language (`de-AT` → `de`), else the original, else the first.
 */
export function pickTranslation<T extends { lang: string; is_original: number }>(rows: T[], lang: string): T | undefined {
  const l = lang.toLowerCase();
  const base = l.split('-')[0];
  return (
    rows.find((r) => r.lang.toLowerCase() === l) ??
    rows.find((r) => r.lang.toLowerCase().split('-')[0] === base) ??
    rows.find((r) => r.is_original === 1) ??
    rows[0]
  );
}

/** What one pass did. */
export interface SupporterMailSummary {
  /** Accepted by the SMTP server. */
  sent: number;
  /** No SMTP server configured: only the row id was logged. */
  logged: number;
  /** Not sent because no longer meaningful (a confirmation for a signature confirmed meanwhile). */
  skipped: number;
  failed: number;
  /** Unconfirmed signatures deleted after their `expires_at`. */
  expired: number;
}

/** Options of {@link drainSupporterMails}. */
export interface DrainOptions {
  db: Db;
  engine: Engine;
  keyring: Keyring;
  mailer: Mailer;
  /** Public base URL for the links, without trailing slash. */
  baseUrl: string;
  log?: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;
  /** Rows claimed at once (default 100). */
  batchSize?: number;
  /** The clock (tests). */
  now?: () => Date;
  /** Also expire pending signatures and purge old outbox rows (default true). */
  expire?: boolean;
  /** Stop after the first failure (the worker backs off); default false. */
  stopOnFailure?: boolean;
  /**
   * Without an SMTP server, hand the mail to the mailer anyway, which writes it — address and
   * links — to the log (development and demos only; default false: only id and kind are logged).
   */
  logUnsentMails?: boolean;
}

interface ClaimedRow {
  id: string;
  kind: SupporterMailKind;
  supporter_id: string;
  email_sealed: string;
  name: string;
  lang: string;
  status: string;
  campaign_id: string;
  slug: string;
}

/** A short, address-free description of a sending error for `last_error`. */
function errorCode(err: unknown): string {
  const e = err as { code?: unknown; responseCode?: unknown; name?: unknown } | null;
  const parts = [typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : 'Error', typeof e?.responseCode === 'number' ? String(e.responseCode) : null];
  return parts.filter(Boolean).join(' ').slice(0, 100);
}

/**
 * Sends every unsent outbox row that can be claimed, pass after pass until none is left (rows
 * failing now are left for a later call); then, unless `o.expire` is false, deletes expired
 * unconfirmed signatures and sent outbox rows older than {@link SENT_RETENTION_MS}. Tests call
 * this to drain the outbox; the worker calls it on its interval and after each batch.
 * @returns counts of what was done. Never throws for a failed send (recorded on the row).
 */
export async function drainSupporterMails(o: DrainOptions): Promise<SupporterMailSummary> {
  const summary: SupporterMailSummary = { sent: 0, logged: 0, skipped: 0, failed: 0, expired: 0 };
  const clock = o.now ?? (() => new Date());
  const batchSize = o.batchSize ?? 100;
  const staleBefore = new Date(clock().getTime() - STALE_CLAIM_MS).toISOString();
  await o.db
    .updateTable('supporter_mails')
    .set({ sent_at: null, last_error: 'claim abandoned' })
    .where('last_error', 'like', 'claim:%')
    .where('sent_at', '<', staleBefore)
    .execute();
  const titles = new Map<string, { lang: string; title: string; is_original: number }[]>();
  // Rows that failed in this call wait for the next one (no retries in a tight loop).
  const failedHere: string[] = [];
  for (;;) {
    const token = `claim:${randomUUID()}`;
    const claimedAt = clock().toISOString();
    let candidates = o.db.selectFrom('supporter_mails').select('id').where('sent_at', 'is', null).where('attempts', '<', MAX_ATTEMPTS);
    if (failedHere.length) candidates = candidates.where('id', 'not in', failedHere);
    candidates = candidates.orderBy('created_at').limit(batchSize);
    const claim = await o.db
      .updateTable('supporter_mails')
      .set({ sent_at: claimedAt, last_error: token, attempts: sql`attempts + 1` })
      .where('id', 'in', o.engine === 'postgres' ? candidates.forUpdate().skipLocked() : candidates)
      .where('sent_at', 'is', null)
      .executeTakeFirst();
    if (Number(claim.numUpdatedRows) === 0) break;
    const rows = (await o.db
      .selectFrom('supporter_mails as m')
      .innerJoin('supporters as s', 's.id', 'm.supporter_id')
      .innerJoin('campaigns as c', 'c.id', 's.campaign_id')
      .select(['m.id', 'm.kind', 'm.supporter_id', 's.email_sealed', 's.name', 's.lang', 's.status', 's.campaign_id', 'c.slug'])
      .where('m.last_error', '=', token)
      .execute()) as ClaimedRow[];
    const missing = [...new Set(rows.map((r) => r.campaign_id))].filter((id) => !titles.has(id));
    if (missing.length) {
      const tr = await o.db.selectFrom('campaign_translations').select(['campaign_id', 'lang', 'title', 'is_original']).where('campaign_id', 'in', missing).execute();
      for (const id of missing) titles.set(id, tr.filter((t) => t.campaign_id === id));
    }
    let failedNow = false;
    const sendOne = async (row: ClaimedRow) => {
      try {
        if (row.kind === 'confirm' && row.status !== 'pending') {
          summary.skipped += 1;
        } else if (!o.mailer.configured && !o.logUnsentMails) {
          o.log?.info({ supporterMail: { id: row.id, kind: row.kind } }, 'supporter mail not sent: no SMTP_URL configured (address and links are not logged)');
          summary.logged += 1;
        } else {
          const t = pickTranslation(titles.get(row.campaign_id) ?? [], row.lang);
          const mail = supporterMail({
            to: open(o.keyring, row.email_sealed, supporterAad(row.supporter_id)),
            kind: row.kind,
            lang: row.lang,
            name: row.name,
            title: t?.title ?? row.slug,
            titleLang: t?.lang ?? 'und',
            confirmUrl: row.kind === 'confirm' ? supporterLink(o.baseUrl, o.keyring, 'confirm', row.slug, row.supporter_id) : null,
            withdrawUrl: supporterLink(o.baseUrl, o.keyring, 'withdraw', row.slug, row.supporter_id),
          });
          if (o.mailer.configured) {
            await o.mailer.send(mail);
            summary.sent += 1;
          } else {
            // Development and demos (`logUnsentMails`): at `warn`, so the link shows at the demo's log level.
            o.log?.warn({ mail: { to: mail.to, subject: mail.subject, text: mail.text } }, 'supporter mail not sent: no SMTP_URL configured');
            summary.logged += 1;
          }
        }
        await o.db.updateTable('supporter_mails').set({ last_error: null, sent_at: clock().toISOString() }).where('id', '=', row.id).where('last_error', '=', token).execute();
      } catch (err) {
        failedNow = true;
        failedHere.push(row.id);
        summary.failed += 1;
        o.log?.warn({ err: { code: errorCode(err) }, supporterMail: { id: row.id, kind: row.kind } }, 'supporter mail not sent; released for a later attempt');
        await o.db.updateTable('supporter_mails').set({ sent_at: null, last_error: errorCode(err) }).where('id', '=', row.id).where('last_error', '=', token).execute();
      }
    };
    for (let i = 0; i < rows.length; i += PARALLEL) await Promise.all(rows.slice(i, i + PARALLEL).map(sendOne));
    // Rows claimed but not read back (their supporter was withdrawn meanwhile) are gone with it.
    if (failedNow && o.stopOnFailure) break;
  }
  if (o.expire !== false) {
    const now = clock();
    summary.expired = await expirePendingSupporters(o.db, now.toISOString());
    await o.db
      .deleteFrom('supporter_mails')
      .where('sent_at', '<', new Date(now.getTime() - SENT_RETENTION_MS).toISOString())
      .where('last_error', 'is', null)
      .execute();
  }
  return summary;
}

/** The running worker of one process (`app.supporterMails`). */
export interface SupporterMailWorker {
  /** Starts the interval (`serve`); without it `kick` does nothing (tests drain explicitly). */
  start(intervalMs: number): void;
  /** Asks for a pass soon (after a committed batch queued mails); passes never overlap. */
  kick(): void;
  /** Stops the interval and waits for a pass in progress. */
  stop(): Promise<void>;
  readonly started: boolean;
}

/**
 * The worker around {@link drainSupporterMails}: a pass on every interval tick and shortly after a
 * kick (kicks within {@link KICK_DELAY_MS} are folded into one pass); never two passes at once;
 * after a failed send it waits before the next pass (30 s, doubling up to 10 min). Expiry runs at
 * most once a minute. Errors are logged, never thrown. The timers are unref'd.
 */
export function createSupporterMailWorker(o: Omit<DrainOptions, 'expire' | 'stopOnFailure'>): SupporterMailWorker {
  let started = false;
  let stopped = false;
  let interval: NodeJS.Timeout | null = null;
  let soon: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let again = false;
  let backoffMs = 0;
  let notBefore = 0;
  let lastExpiry = 0;
  const pass = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    if (Date.now() < notBefore) return;
    running = (async () => {
      try {
        const expire = Date.now() - lastExpiry >= 60_000;
        if (expire) lastExpiry = Date.now();
        const s = await drainSupporterMails({ ...o, expire, stopOnFailure: true });
        if (s.failed) {
          backoffMs = Math.min(backoffMs ? backoffMs * 2 : 30_000, 10 * 60_000);
          notBefore = Date.now() + backoffMs;
        } else backoffMs = 0;
        if (s.sent || s.failed || s.expired) o.log?.info({ supporterMails: s }, 'supporter mail pass');
      } catch (err) {
        o.log?.error({ err }, 'supporter mail pass failed');
      }
    })();
    void running.finally(() => {
      running = null;
      if (again && !stopped) {
        again = false;
        kick();
      }
    });
  };
  const kick = () => {
    if (!started || stopped || soon) return;
    soon = setTimeout(() => {
      soon = null;
      pass();
    }, KICK_DELAY_MS);
    soon.unref();
  };
  return {
    get started() {
      return started;
    },
    start(intervalMs) {
      if (started) return;
      started = true;
      interval = setInterval(pass, intervalMs);
      interval.unref();
      kick();
    },
    kick,
    async stop() {
      stopped = true;
      if (interval) clearInterval(interval);
      if (soon) clearTimeout(soon);
      await running;
    },
  };
}

/** Delay between a kick and its pass (folds the kicks of consecutive batches into one pass). */
export const KICK_DELAY_MS = 200;
