import Fastify, { type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import csrf from '@fastify/csrf-protection';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import compress from '@fastify/compress';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from './db/schema.ts';
import type { Engine } from './db/client.ts';
import { databasePlugin } from './http/database.ts';
import { requestContextPlugin } from './http/request-context.ts';
import { errorHandlerPlugin, frameworkErrorHandler } from './http/error-handler.ts';
import { parseForm } from './http/form-body.ts';
import { jsonBodyParser } from './http/json-body.ts';
import { systemRoutes } from './http/system.routes.ts';
import { accountsRoutes } from './modules/accounts/accounts.routes.ts';
import { organizationsRoutes } from './modules/organizations/organizations.routes.ts';
import { networksRoutes } from './modules/networks/networks.routes.ts';
import { strugglesRoutes } from './modules/struggles/struggles.routes.ts';
import { homeRoutes } from './modules/home/home.routes.ts';
import { invitationsRoutes } from './modules/accounts/invitations.routes.ts';
import { passwordResetRoutes } from './modules/accounts/password-reset.routes.ts';
import { secondFactorRoutes } from './modules/accounts/second-factor.routes.ts';
import { accountRoutes } from './modules/accounts/account.routes.ts';
import { membersRoutes } from './modules/organizations/members.routes.ts';
import { auditRoutes } from './modules/audit/audit.routes.ts';
import { createMailer, type Mailer } from './mail/mailer.ts';
import { loadKeyring, type DataKeySource, type Keyring } from './lib/sealed.ts';
import { createDocumentStore, type DocumentStore } from './lib/document-store.ts';
import { multipartLimits } from './http/upload.ts';
import { callsRoutes } from './modules/calls/calls.routes.ts';
import { actionDaysRoutes } from './modules/action-days/action-days.routes.ts';
import { feedsRoutes } from './modules/feeds/feeds.routes.ts';
import { followsRoutes } from './modules/follows/follows.routes.ts';
import { feedTokensRoutes, redactFeedTokens } from './modules/feed-tokens/feed-tokens.routes.ts';
import { pactsRoutes } from './modules/pacts/pacts.routes.ts';
import { pledgesRoutes } from './modules/pacts/pledges.routes.ts';
import { disbursementsRoutes } from './modules/pacts/disbursements.routes.ts';
import { beneficiariesRoutes } from './modules/pacts/beneficiaries.routes.ts';
import { reportRoutes } from './modules/pacts/report.routes.ts';
import { campaignsRoutes } from './modules/campaigns/campaigns.routes.ts';
import { endorsementsRoutes } from './modules/campaigns/endorsements.routes.ts';
import { talliesRoutes } from './modules/campaigns/tallies.routes.ts';
import { signaturesRoutes } from './modules/campaigns/signatures.routes.ts';
import type { SigningLimits } from './modules/campaigns/signatures.service.ts';
import { supportersIoRoutes } from './modules/campaigns/supporters-io.routes.ts';

export interface AppOptions {
  db: Kysely<Database>;
  engine: Engine;
  logLevel?: string;
  secureCookies?: boolean;
  /** Per-IP limit per minute on sign-in and other public writes. */
  rateLimitPerMinute?: number;
  /** Public base URL for links in e-mails (no trailing slash); default `http://localhost:3000`. */
  baseUrl?: string;
  /** SMTP server URL; absent: mail is written to the log and links are shown on the page instead. */
  smtpUrl?: string | null;
  /** Sender of outgoing mail. */
  mailFrom?: string;
  /** Where the data keys for sealed fields come from (config `dataKeys`); absent: none, sealing fails. */
  dataKeys?: DataKeySource;
  /** Directory of stored documents, absolute; default `./data/documents` (created on first upload). */
  documentsDir?: string;
  /** Largest accepted document in bytes; default 10 MiB. */
  documentMaxBytes?: number;
  /**
   * Abuse limits of the signing path (per address and per network prefix per minute, unconfirmed
   * signatures per e-mail domain per hour); defaults 10 / 60 / 300 (signatures.service.ts).
   */
  signingLimits?: Partial<SigningLimits>;
  /**
   * Without `smtpUrl`, write supporters' mails (address and confirmation links) to the log, so a
   * demo can confirm a signature; `serve` sets it outside `NODE_ENV=production`. Default false:
   * only the outbox row id is logged.
   */
  logUnsentSupporterMails?: boolean;
}

/** One registered route, as collected from Fastify's `onRoute` hook. */
export interface RouteEntry {
  method: string;
  url: string;
  /** The route's `config` (e.g. `rateLimit`). */
  config: unknown;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered on the app (the authorization matrix test walks this table). */
    routeTable: RouteEntry[];
    mailer: Mailer;
    /** Public base URL for links that leave the site (e-mails); no trailing slash. */
    baseUrl: string;
    /**
     * The data keys for sealed fields (lib/sealed.ts), loaded on first use: a development key file
     * is only created when something is sealed or opened. Pass it to `seal`/`open`.
     */
    readonly keyring: Keyring;
    /** Stored files (receipts): `put`, `open`, `remove` (lib/document-store.ts). */
    documents: DocumentStore;
  }
}

/**
 * Builds the Fastify application. The one place that orders plugin registration:
 * infrastructure, then cross-cutting HTTP, then modules (STYLE rule 10). Tests build the app
 * with the same function and production options.
 */
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: {
      level: opts.logLevel ?? 'info',
      // Fastify's own request serializer, with secret link tokens (feed links, invitations, password
      // resets, `?token=`) redacted from the logged URL: a log must not hand out access to an account.
      serializers: {
        req: (raw) => {
          const req = raw as unknown as { method: string; url: string; headers?: Record<string, unknown>; host?: string; ip?: string; socket?: { remotePort?: number } };
          return {
            method: req.method,
            url: redactFeedTokens(req.url),
            version: req.headers?.['accept-version'] as string | undefined,
            host: req.host,
            remoteAddress: req.ip,
            remotePort: req.socket?.remotePort,
          };
        },
      },
    },
    trustProxy: false,
    bodyLimit: 1_048_576,
    frameworkErrors: frameworkErrorHandler,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const routeTable: RouteEntry[] = [];
  app.decorate('routeTable', routeTable);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routeTable.push({ method, url: route.url, config: route.config });
  });

  // Infrastructure
  await app.register(databasePlugin, { db: opts.db, engine: opts.engine });
  const mailer = createMailer({ smtpUrl: opts.smtpUrl ?? null, from: opts.mailFrom ?? 'Solidaris <no-reply@localhost>', log: app.log });
  app.decorate('mailer', mailer);
  app.decorate('baseUrl', opts.baseUrl ?? 'http://localhost:3000');
  app.addHook('onClose', async () => mailer.close());
  const dataKeys: DataKeySource = opts.dataKeys ?? { kind: 'none' };
  const keyringOptions = {
    onDevKeyFile: ({ path, created }: { path: string; created: boolean }) =>
      app.log.warn({ dataKeyFile: path, created }, 'using the development data key file (neither DATA_KEYS nor DATA_KEY_FILE is set); not for real data, see docs/SECURITY.md'),
    warn: (message: string) => app.log.warn(message),
  };
  // Configured keys are read now, so a malformed DATA_KEYS or an unreadable key file stops the start.
  if (dataKeys.kind === 'env' || dataKeys.kind === 'file') loadKeyring(dataKeys, keyringOptions);
  app.decorate('keyring', { getter: () => loadKeyring(dataKeys, keyringOptions) });
  const documentMaxBytes = opts.documentMaxBytes ?? 10 * 1024 * 1024;
  app.decorate('documents', createDocumentStore({ dir: opts.documentsDir ?? resolve('data/documents'), maxBytes: documentMaxBytes }));
  await app.register(cookie);
  await app.register(formbody, { parser: parseForm });
  // Stream mode: nothing is parsed until an upload route reads the parts (http/upload.ts), so the
  // CSRF check runs before a file is stored; URL-encoded forms are not affected.
  await app.register(multipart, { limits: multipartLimits(documentMaxBytes) });
  app.decorateRequest('upload', null);
  // Fastify's JSON parser with its default poisoning guards; an empty body on a DELETE is accepted.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, jsonBodyParser(app.getDefaultJsonParser('error', 'error')));
  await app.register(compress, { global: true, threshold: 1024 });
  await app.register(fastifyStatic, {
    root: fileURLToPath(new URL('./web/static/', import.meta.url)),
    prefix: '/static/',
    maxAge: '1d',
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Solidaris API', version: '1.0.0', description: 'Organizations, sector networks and struggles.' },
    },
  });

  // Cross-cutting HTTP
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        upgradeInsecureRequests: opts.secureCookies ? [] : null,
      },
    },
    strictTransportSecurity: opts.secureCookies ? undefined : false,
  });
  await app.register(csrf, {
    cookieOpts: { path: '/', sameSite: 'lax', httpOnly: true, secure: opts.secureCookies ?? false, signed: false },
  });
  await app.register(rateLimit, {
    global: false,
    max: opts.rateLimitPerMinute ?? 30,
    timeWindow: '1 minute',
  });
  await app.register(requestContextPlugin);
  await app.register(errorHandlerPlugin);

  // Modules
  await app.register(systemRoutes, { secureCookies: opts.secureCookies ?? false });
  await app.register(accountsRoutes, { secureCookies: opts.secureCookies ?? false });
  await app.register(secondFactorRoutes, { secureCookies: opts.secureCookies ?? false });
  await app.register(invitationsRoutes, { secureCookies: opts.secureCookies ?? false });
  await app.register(passwordResetRoutes);
  await app.register(accountRoutes);
  await app.register(homeRoutes);
  await app.register(organizationsRoutes);
  await app.register(membersRoutes);
  await app.register(auditRoutes);
  await app.register(networksRoutes);
  await app.register(strugglesRoutes);
  await app.register(callsRoutes);
  await app.register(actionDaysRoutes);
  await app.register(feedsRoutes);
  await app.register(followsRoutes);
  await app.register(feedTokensRoutes);
  await app.register(pactsRoutes);
  await app.register(pledgesRoutes);
  await app.register(disbursementsRoutes);
  await app.register(beneficiariesRoutes);
  await app.register(reportRoutes);
  await app.register(campaignsRoutes);
  await app.register(endorsementsRoutes);
  await app.register(talliesRoutes);
  await app.register(signaturesRoutes, { signingLimits: opts.signingLimits, logUnsentMails: opts.logUnsentSupporterMails ?? false });
  await app.register(supportersIoRoutes);

  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
