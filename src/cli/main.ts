import { Command, Option } from 'commander';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { read } from 'read';
import { loadConfig } from '../config/config.ts';
import { openDb } from '../db/client.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { translator, negotiateLocale } from '../i18n/i18n.ts';
import { createUser } from '../modules/accounts/accounts.service.ts';
import { ValidationFailed, Conflict } from '../http/errors.ts';

/** The CLI speaks the shell's language when we have it (LANG=de_DE.UTF-8 → German). */
const tr = translator(negotiateLocale(undefined, (process.env.LC_ALL || process.env.LANG || 'en').split('.')[0]!.replace('_', '-')));

/** Exit code of a command that cannot find the database it must work on (a usage error, as for a bad argument). */
const EXIT_NO_DATABASE = 2;

/**
 * True when the configured database can be used by a command that works on the server's data.
 * PostgreSQL is always taken as given (a wrong server fails on connecting). A SQLite file that does
 * not exist would be created empty by `openDb`, and the command would quietly report nothing, so
 * this prints a translated error naming `command` and the path and sets exit code 2 instead.
 * `serve`, `migrate`, `create-admin` and `demo` create the file on purpose and do not call this.
 */
function databaseExists(command: string): boolean {
  const target = loadConfig().db;
  if (target.engine !== 'sqlite' || existsSync(target.path)) return true;
  console.error(tr.t('cli.no_database', { command, path: target.path }));
  process.exitCode = EXIT_NO_DATABASE;
  return false;
}

async function withDb<T>(fn: (h: Awaited<ReturnType<typeof openDb>>) => Promise<T>): Promise<T> {
  const h = await openDb(loadConfig().db);
  try {
    return await fn(h);
  } finally {
    await h.close();
  }
}

/**
 * Asks one question on the terminal (stderr). With `silent` the answer is not echoed (passwords).
 * @throws when standard input ends without an answer (no terminal): the caller should pass flags.
 */
async function ask(question: string, o: { silent?: boolean } = {}): Promise<string> {
  if (!process.stdin.isTTY) {
    // Read one line from a pipe; a closed stdin would otherwise leave the question unanswered.
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: false });
    try {
      const answer = await new Promise<string>((resolve, reject) => {
        rl.once('close', () => reject(new Error(tr.t('cli.create_admin.no_input'))));
        rl.question(`${question} `).then(resolve, reject);
      });
      return answer.trim();
    } finally {
      rl.close();
    }
  }
  return (await read({ prompt: question, silent: o.silent, replace: o.silent ? '*' : undefined, output: process.stderr })).trim();
}

const program = new Command('solidaris')
  .description(tr.t('cli.help.description'))
  .helpOption('-h, --help', tr.t('cli.help.help'))
  .showHelpAfterError();

program
  .command('serve', { isDefault: true })
  .description(tr.t('cli.help.serve'))
  .action(async () => {
    const { serve } = await import('../main.ts');
    await serve();
  });

program
  .command('migrate')
  .description(tr.t('cli.help.migrate'))
  .action(async () => {
    const applied = await withDb((h) => migrateToLatest(h.db));
    console.log(tr.t('cli.migrate.done', { count: applied.length, names: applied.join(', ') }));
  });

program
  .command('create-admin')
  .description(tr.t('cli.help.create_admin'))
  .option('--email <email>', tr.t('cli.help.email'))
  .option('--name <name>', tr.t('cli.help.name'))
  .option('--password <password>', tr.t('cli.help.password'))
  .action(async (o: { email?: string; name?: string; password?: string }) => {
    const email = o.email ?? (await ask(tr.t('cli.create_admin.ask_email')));
    const displayName = o.name ?? (await ask(tr.t('cli.create_admin.ask_name')));
    const password = o.password ?? process.env.SOLIDARIS_ADMIN_PASSWORD ?? (await ask(tr.t('cli.create_admin.ask_password'), { silent: true }));
    await withDb(async (h) => {
      await migrateToLatest(h.db);
      try {
        await createUser(h.db, { email, displayName, password, isAdmin: true, locale: tr.locale });
        console.log(tr.t('cli.create_admin.done', { email }));
      } catch (err) {
        if (err instanceof ValidationFailed) {
          for (const e of err.errors) console.error(`${e.field}: ${tr.t(e.messageId, e.values)}`);
          process.exitCode = 1;
        } else if (err instanceof Conflict) {
          console.error(tr.t(err.messageId));
          process.exitCode = 1;
        } else throw err;
      }
    });
  });

program
  .command('reset-link')
  .description(tr.t('cli.help.reset_link'))
  .argument('<email>', tr.t('cli.help.email'))
  .action(async (email: string) => {
    const { emailKey } = await import('../lib/email.ts');
    const { createPasswordResetLink, RESET_MINUTES } = await import('../modules/accounts/password-reset.service.ts');
    const config = loadConfig();
    if (!databaseExists('reset-link')) return;
    await withDb(async (h) => {
      await migrateToLatest(h.db);
      const key = emailKey(email);
      const user = key
        ? await h.db.selectFrom('users').select('id').where('email_key', '=', key).where('erased_at', 'is', null).executeTakeFirst()
        : undefined;
      if (!user) {
        console.error(tr.t('cli.reset_link.unknown', { email }));
        process.exitCode = 1;
        return;
      }
      const link = await createPasswordResetLink(h.db, config.baseUrl, user.id, { source: 'cli' });
      console.log(tr.t('cli.reset_link.done', { email: link.email, minutes: RESET_MINUTES }));
      console.log(link.url);
    });
  });

program
  .command('send-digests')
  .description(tr.t('cli.help.send_digests'))
  .action(async () => {
    const { fastify } = await import('fastify');
    const { createMailer } = await import('../mail/mailer.ts');
    const { sendDueDigests } = await import('../modules/digests/digests.service.ts');
    const config = loadConfig();
    if (!databaseExists('send-digests')) return;
    // Fastify's logger (pino) only for the mailer and failures; no server is started.
    const log = fastify({ logger: { level: config.logLevel } }).log;
    const mailer = createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, log });
    try {
      await withDb(async (h) => {
        await migrateToLatest(h.db);
        const summary = await sendDueDigests(h.db, mailer, { baseUrl: config.baseUrl, log });
        console.log(tr.t('digests.cli.done', { ...summary }));
        // Not counted as sent: without SMTP_URL the mailer only writes the digest to the log.
        if (summary.logged) console.log(tr.t('digests.cli.logged', { logged: summary.logged }));
        if (summary.failed) process.exitCode = 1;
      });
    } finally {
      mailer.close();
    }
  });

program
  .command('check-integrity')
  .description(tr.t('cli.help.check_integrity'))
  .action(async () => {
    const { checkIntegrity, INTEGRITY_CHECKS } = await import('../modules/pacts/integrity.service.ts');
    if (!databaseExists('check-integrity')) return;
    await withDb(async (h) => {
      await migrateToLatest(h.db);
      const violations = await checkIntegrity(h.db);
      for (const v of violations) console.log(`${v.check}\t${v.pact ?? '-'}\t${v.detail}`);
      console.log(tr.t('cli.check_integrity.done', { checks: INTEGRITY_CHECKS.length, violations: violations.length }));
      if (violations.length) process.exitCode = 1;
    });
  });

program
  .command('import')
  .description(tr.t('cli.help.import'))
  .argument('<kind>', tr.t('cli.help.import_kind'))
  .argument('<file>', tr.t('cli.help.import_file'))
  .addOption(new Option('--format <format>', tr.t('cli.help.import_format')).choices(['fmcs', 'ecb', 'opencollective', 'uk-petition', 'csv']))
  .option('--replace', tr.t('cli.help.import_replace'))
  .option('--pact <slug>', tr.t('cli.help.import_pact'))
  .option('--skip-invalid', tr.t('cli.help.import_skip_invalid'))
  .option('--campaign <slug>', tr.t('supporters_io.help.campaign'))
  .option('--consent-basis <text>', tr.t('supporters_io.help.consent_basis'))
  .option('--map <field=column>', tr.t('supporters_io.help.map'), (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
  .option('--dry-run', tr.t('supporters_io.help.dry_run'))
  .action(async (kind: string, file: string, o: { format?: string; replace?: boolean; pact?: string; skipInvalid?: boolean; campaign?: string; consentBasis?: string; map?: string[]; dryRun?: boolean }) => {
    const formats: Record<string, string> = { struggles: 'fmcs', rates: 'ecb', ledger: 'opencollective', tallies: 'uk-petition', supporters: 'csv' };
    if (!formats[kind]) program.error(tr.t('cli.import.unknown_kind', { kind }));
    // Supporters come in one format (CSV), so --format may be left out for them.
    const format = o.format ?? (kind === 'supporters' ? 'csv' : undefined);
    if (!format) program.error(tr.t('supporters_io.cli.format_required', { kind, formats: formats[kind]! }));
    if (format !== formats[kind]) program.error(tr.t('cli.import.wrong_format', { kind, format: format!, formats: formats[kind]! }));
    if (kind === 'supporters' || kind === 'tallies') {
      // Into an existing campaign: a database that is not there has none (and is not created).
      if (!databaseExists('import')) return;
      const { runSupportersImport, runUkTalliesImport } = await import('./import-campaigns.ts');
      await withDb(async (h) => {
        await migrateToLatest(h.db);
        if (kind === 'tallies') {
          process.exitCode = (await runUkTalliesImport({ file, campaign: o.campaign, db: h.db, locale: tr.locale })).exitCode;
          return;
        }
        const { loadKeyring } = await import('../lib/sealed.ts');
        const keyring = loadKeyring(loadConfig().dataKeys, { onDevKeyFile: ({ path }) => console.error(tr.t('data_keys.dev_file', { path })) });
        const { exitCode } = await runSupportersImport({ file, campaign: o.campaign, consentBasis: o.consentBasis, map: o.map, dryRun: o.dryRun, db: h.db, keyring, locale: tr.locale });
        process.exitCode = exitCode;
      });
      return;
    }
    if (kind === 'ledger') {
      // Into an existing pact: a database that is not there has none (and is not created).
      if (!databaseExists('import')) return;
      const { runLedgerImport } = await import('./import.ts');
      await withDb(async (h) => {
        await migrateToLatest(h.db);
        const { exitCode } = await runLedgerImport({ format: 'opencollective', file, pact: o.pact, db: h.db, skipInvalid: o.skipInvalid, locale: tr.locale });
        process.exitCode = exitCode;
      });
      return;
    }
    if (kind === 'rates') {
      const { runRatesImport } = await import('./import.ts');
      await withDb(async (h) => {
        await migrateToLatest(h.db);
        const report = await runRatesImport({ format: 'ecb', file, db: h.db, replace: o.replace, locale: tr.locale, out: process.stdout });
        // Rejected cells or kept conflicting rates need a look: a cron job should notice.
        if (report.rejected.length || report.conflicts.length) process.exitCode = 1;
      });
      return;
    }
    const { runImport } = await import('./import.ts');
    await withDb(async (h) => {
      await migrateToLatest(h.db);
      const report = await runImport({ kind: 'struggles', format: 'fmcs', file, db: h.db, locale: tr.locale, out: process.stdout, progress: true });
      if (report.rejected.length && report.created + report.updated === 0) process.exitCode = 1;
    });
  });

program
  .command('generate-data-key')
  .description(tr.t('data_keys.help.generate'))
  .option('--id <id>', tr.t('data_keys.help.generate_id'))
  .action(async (o: { id?: string }) => {
    const { generateDataKeyLine } = await import('../lib/sealed.ts');
    // The line alone on stdout (to append to a file); the advice on stderr.
    console.log(generateDataKeyLine(o.id));
    console.error(tr.t('data_keys.generate.hint'));
  });

program
  .command('rotate-data-key')
  .description(tr.t('data_keys.help.rotate'))
  .option('--batch-size <rows>', tr.t('data_keys.help.batch_size'), '500')
  .action(async (o: { batchSize: string }) => {
    const { loadKeyring } = await import('../lib/sealed.ts');
    const { rotateSealedColumns } = await import('../db/sealed-columns.ts');
    const batchSize = Number(o.batchSize);
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) program.error(tr.t('data_keys.bad_batch_size', { value: o.batchSize }));
    if (!databaseExists('rotate-data-key')) return;
    const keyring = loadKeyring(loadConfig().dataKeys, { onDevKeyFile: ({ path }) => console.error(tr.t('data_keys.dev_file', { path })) });
    console.log(tr.t('data_keys.rotate.current', { id: keyring.currentKey().id }));
    await withDb(async (h) => {
      await migrateToLatest(h.db);
      const counts = await rotateSealedColumns(h.db, keyring, { batchSize });
      for (const c of counts) {
        console.log(tr.t('data_keys.rotate.column', { table: c.table, column: c.column, resealed: c.resealed, current: c.current, failed: c.failed.length }));
        for (const f of c.failed) console.log(tr.t('data_keys.rotate.failed_row', { table: c.table, id: f.id, code: f.code }));
      }
      if (counts.some((c) => c.failed.length)) {
        console.error(tr.t('data_keys.rotate.incomplete'));
        process.exitCode = 1;
      } else console.log(tr.t('data_keys.rotate.done'));
    });
  });

program
  .command('demo')
  .description(tr.t('cli.help.demo'))
  .option('--reset', tr.t('cli.help.demo_reset'))
  .action(async (o: { reset?: boolean }) => {
    const { runDemo } = await import('./demo.ts');
    await runDemo({ reset: !!o.reset });
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  console.error(tr.t('cli.failed', { message: err instanceof Error ? err.message : String(err) }));
  process.exitCode = 1;
}
