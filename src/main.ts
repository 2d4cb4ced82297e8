import { loadConfig } from './config/config.ts';
import { openDb } from './db/client.ts';
import { migrateToLatest } from './db/migrate.ts';
import { buildApp } from './app.ts';
import { countUsers } from './modules/accounts/accounts.service.ts';
import { translator } from './i18n/i18n.ts';
import { startDigestScheduler } from './modules/digests/digests.service.ts';

/**
 * Starts a Solidaris instance: reads the configuration, opens the database, applies pending
 * migrations, listens, runs the e-mail digest scheduler (unless `DIGESTS=off`) and the supporter
 * mail worker (unless `SUPPORTER_MAILS=off`), and closes
 * gracefully on SIGINT/SIGTERM.
 * @param o.sqlitePath default SQLite file when `DATABASE_URL` is not set.
 * @param o.onListening called with the URL once the server accepts connections.
 */
export async function serve(o: { sqlitePath?: string; onListening?: (url: string) => void | Promise<void> } = {}): Promise<void> {
  const config = loadConfig(process.env, { sqlitePath: o.sqlitePath });
  const { db, engine, close } = await openDb(config.db);
  await migrateToLatest(db);
  const app = await buildApp({
    db,
    engine,
    logLevel: config.logLevel,
    secureCookies: config.secureCookies,
    rateLimitPerMinute: config.rateLimitPerMinute,
    baseUrl: config.baseUrl,
    smtpUrl: config.smtpUrl,
    mailFrom: config.mailFrom,
    dataKeys: config.dataKeys,
    documentsDir: config.documentsDir,
    documentMaxBytes: config.documentMaxBytes,
    signingLimits: config.signingLimits,
    logUnsentSupporterMails: process.env.NODE_ENV !== 'production',
  });
  // Confirmation mails of signatures and their expiry; also kicked after each committed signing batch.
  if (config.supporterMails) app.supporterMails.start(config.supporterMailIntervalMs);
  const digests = config.digests ? startDigestScheduler({ db, mailer: app.mailer, baseUrl: config.baseUrl, log: app.log }) : null;
  const shutdown = async () => {
    await digests?.stop();
    await app.close();
    await close();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  await app.listen({ port: config.port, host: config.host });
  const url = `http://localhost:${config.port}`;
  if (o.onListening) await o.onListening(url);
  else {
    const tr = translator('en');
    console.log(tr.t('cli.serve.listening', { url, engine }));
    if ((await countUsers(db)) === 0) console.log(tr.t('cli.serve.needs_setup', { url: `${url}/setup` }));
  }
}

if (import.meta.main) {
  await serve();
}
