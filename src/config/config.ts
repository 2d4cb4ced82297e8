import { resolve } from 'node:path';
import type { DbTarget } from '../db/client.ts';

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
}

/** Thrown when an environment variable has a value the process cannot run with. */
export class ConfigError extends Error {}

/**
 * Reads the configuration from environment variables:
 * `PORT` (default 3000), `HOST` (127.0.0.1), `DATABASE_URL` (PostgreSQL; otherwise SQLite at
 * `SQLITE_PATH`, default `./data/solidaris.sqlite`), `BASE_URL`, `LOG_LEVEL` (info),
 * `SECURE_COOKIES` (1 when `BASE_URL` is https), `SMTP_URL` (smtp:// or smtps://; unset: mail is
 * written to the log), `MAIL_FROM` (default `Solidaris <no-reply@` + the `BASE_URL` host + `>`),
 * `DIGESTS` (`on`, the default, or `off`: no digest scheduler in `serve`).
 * @throws {ConfigError} for a port outside 1–65535, a `DATABASE_URL` that is not postgres://, an
 *   `SMTP_URL` that is not smtp:// or smtps://, or a `DIGESTS` other than on/off.
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
  };
}
