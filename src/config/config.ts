import { dirname, join, resolve } from 'node:path';
import type { DbTarget } from '../db/client.ts';
import type { DataKeySource } from '../lib/sealed.ts';
import type { SigningLimits } from '../modules/campaigns/signatures.service.ts';

/** Validated process configuration. */
export interface Config {
  port: number;
  host: string;
  db: DbTarget;
  /** Public base URL used in links that leave the page (e-mails, feeds); no trailing slash. */
  baseUrl: string;
  /** Log level for Fastify's logger; `silent` in tests. */
  logLevel: string;
  /** Mark cookies `Secure` (behind TLS). */
  secureCookies: boolean;
  /** Per-IP requests per minute for sign-in and other public writes. */
  rateLimitPerMinute: number;
  /** SMTP server for outgoing mail (`smtp://user:pass@host:587`, `smtps://…`); null: mail goes to the log. */
  smtpUrl: string | null;
  /** Sender address of outgoing mail. */
  mailFrom: string;
  /** Run the e-mail digest scheduler inside `serve` (every 5 minutes); false when cron runs `solidaris send-digests` instead. */
  digests: boolean;
  /** Where the data keys for sealed fields come from (lib/sealed.ts); never the database. */
  dataKeys: DataKeySource;
  /** Directory of stored documents (receipts), absolute. */
  documentsDir: string;
  /** Largest accepted document, in bytes. */
  documentMaxBytes: number;
  /** Abuse limits of the signing path (`SIGN_LIMIT_PER_ADDRESS`, `SIGN_LIMIT_PER_PREFIX`, `SIGN_UNCONFIRMED_PER_DOMAIN`). */
  signingLimits: SigningLimits;
  /** Run the supporter mail worker inside `serve` (confirmation mails, expiry); false: no worker in this process (another `serve` process sends them). */
  supporterMails: boolean;
  /** Interval of the supporter mail worker, in milliseconds (it is also kicked after each signing batch). */
  supporterMailIntervalMs: number;
}

/** Thrown when an environment variable has a value the process cannot run with. */
export class ConfigError extends Error {}

/**
 * Reads the configuration from environment variables:
 * `PORT` (default 3000), `HOST` (127.0.0.1), `DATABASE_URL` (PostgreSQL; otherwise SQLite at
 * `SQLITE_PATH`, default `./data/solidaris.sqlite`), `BASE_URL`, `LOG_LEVEL` (info),
 * `SECURE_COOKIES` (1 when `BASE_URL` is https), `SMTP_URL` (smtp:// or smtps://; unset: mail is
 * written to the log), `MAIL_FROM` (default `Solidaris <no-reply@` + the `BASE_URL` host + `>`),
 * `DIGESTS` (`on`, the default, or `off`: no digest scheduler in `serve`),
 * `DATA_KEYS` (data key entries `id:base64key`, current first) or `DATA_KEY_FILE` (a file of them);
 * with neither, outside `NODE_ENV=production`, a development key file `data-keys` beside the SQLite
 * file (`./data/data-keys` with PostgreSQL), and in production no key (sealing fails) — see
 * lib/sealed.ts; `DOCUMENTS_DIR` (default: `documents` beside the SQLite file, `./data/documents`
 * with PostgreSQL; resolved absolute) and
 * `DOCUMENT_MAX_BYTES` (default 10485760 = 10 MiB);
 * signing limits `SIGN_LIMIT_PER_ADDRESS` (sign requests per client address and minute, default 10),
 * `SIGN_LIMIT_PER_PREFIX` (per IPv4 /24 or IPv6 /48 and minute, default 60) and
 * `SIGN_UNCONFIRMED_PER_DOMAIN` (unconfirmed signatures per e-mail domain and hour, default 300);
 * `SUPPORTER_MAILS` (`on`, the default, or `off`: no supporter mail worker in `serve`) and
 * `SUPPORTER_MAIL_INTERVAL_SECONDS` (default 15).
 * @throws {ConfigError} for a port outside 1–65535, a `DATABASE_URL` that is not postgres://, an
 *   `SMTP_URL` that is not smtp:// or smtps://, a `DIGESTS` or `SUPPORTER_MAILS` other than on/off,
 *   both `DATA_KEYS` and `DATA_KEY_FILE` set, or a `DOCUMENT_MAX_BYTES`, signing limit or interval
 *   that is not a whole number ≥ 1.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, defaults: { sqlitePath?: string } = {}): Config {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ConfigError(`PORT must be 1–65535, got ${env.PORT}`);
  const host = env.HOST ?? '127.0.0.1';
  let db: DbTarget;
  if (env.DATABASE_URL) {
    if (!/^postgres(ql)?:\/\//.test(env.DATABASE_URL)) throw new ConfigError('DATABASE_URL must start with postgres://');
    db = { engine: 'postgres', url: env.DATABASE_URL };
  } else {
    db = { engine: 'sqlite', path: resolve(env.SQLITE_PATH ?? defaults.sqlitePath ?? './data/solidaris.sqlite') };
  }
  const rateLimitPerMinute = Number(env.RATE_LIMIT_PER_MINUTE ?? 30);
  if (!Number.isInteger(rateLimitPerMinute) || rateLimitPerMinute < 1)
    throw new ConfigError(`RATE_LIMIT_PER_MINUTE must be a whole number of at least 1, got ${env.RATE_LIMIT_PER_MINUTE}`);
  const baseUrl = (env.BASE_URL ?? `http://localhost:${port}`).replace(/\/+$/, '');
  const smtpUrl = env.SMTP_URL || null;
  if (smtpUrl && !/^smtps?:\/\//.test(smtpUrl)) throw new ConfigError('SMTP_URL must start with smtp:// or smtps://');
  const mailFrom = env.MAIL_FROM || `Solidaris <no-reply@${new URL(baseUrl).hostname}>`;
  const digests = (env.DIGESTS || 'on').trim().toLowerCase();
  if (digests !== 'on' && digests !== 'off') throw new ConfigError(`DIGESTS must be on or off, got ${env.DIGESTS}`);
  if (env.DATA_KEYS && env.DATA_KEY_FILE) throw new ConfigError('set DATA_KEYS or DATA_KEY_FILE, not both');
  const dataKeys: DataKeySource = env.DATA_KEYS
    ? { kind: 'env', value: env.DATA_KEYS }
    : env.DATA_KEY_FILE
      ? { kind: 'file', path: resolve(env.DATA_KEY_FILE) }
      : env.NODE_ENV === 'production'
        ? { kind: 'none' }
        : { kind: 'dev-file', path: db.engine === 'sqlite' ? join(dirname(db.path), 'data-keys') : resolve('./data/data-keys') };
  const documentMaxBytes = Number(env.DOCUMENT_MAX_BYTES ?? 10 * 1024 * 1024);
  if (!Number.isSafeInteger(documentMaxBytes) || documentMaxBytes < 1)
    throw new ConfigError(`DOCUMENT_MAX_BYTES must be a whole number of bytes, at least 1, got ${env.DOCUMENT_MAX_BYTES}`);
  const whole = (name: string, dflt: number) => {
    const n = Number(env[name] ?? dflt);
    if (!Number.isSafeInteger(n) || n < 1) throw new ConfigError(`${name} must be a whole number of at least 1, got ${env[name]}`);
    return n;
  };
  const signingLimits: SigningLimits = {
    perAddressPerMinute: whole('SIGN_LIMIT_PER_ADDRESS', 10),
    perPrefixPerMinute: whole('SIGN_LIMIT_PER_PREFIX', 60),
    unconfirmedPerDomainPerHour: whole('SIGN_UNCONFIRMED_PER_DOMAIN', 300),
  };
  const supporterMails = (env.SUPPORTER_MAILS || 'on').trim().toLowerCase();
  if (supporterMails !== 'on' && supporterMails !== 'off') throw new ConfigError(`SUPPORTER_MAILS must be on or off, got ${env.SUPPORTER_MAILS}`);
  return {
    port,
    host,
    db,
    baseUrl,
    logLevel: env.LOG_LEVEL ?? 'info',
    secureCookies: env.SECURE_COOKIES ? env.SECURE_COOKIES === '1' : baseUrl.startsWith('https:'),
    rateLimitPerMinute,
    smtpUrl,
    mailFrom,
    digests: digests === 'on',
    dataKeys,
    // Beside the SQLite file, like the development key file, so each instance keeps its own receipts.
    documentsDir: resolve(env.DOCUMENTS_DIR || (db.engine === 'sqlite' ? join(dirname(db.path), 'documents') : './data/documents')),
    documentMaxBytes,
    signingLimits,
    supporterMails: supporterMails === 'on',
    supporterMailIntervalMs: whole('SUPPORTER_MAIL_INTERVAL_SECONDS', 15) * 1000,
  };
}
