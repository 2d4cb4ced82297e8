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
  .command('import')
  .description(tr.t('cli.help.import'))
  .argument('<kind>', tr.t('cli.help.import_kind'))
  .argument('<file>', tr.t('cli.help.import_file'))
  .addOption(new Option('--format <format>', tr.t('cli.help.import_format')).choices(['fmcs']).makeOptionMandatory())
  .action(async (kind: string, file: string, o: { format: 'fmcs' }) => {
    if (kind !== 'struggles') program.error(tr.t('cli.import.unknown_kind', { kind }));
    const { runImport } = await import('./import.ts');
    await withDb(async (h) => {
      await migrateToLatest(h.db);
      const report = await runImport({ kind: 'struggles', format: o.format, file, db: h.db, locale: tr.locale, out: process.stdout, progress: true });
      if (report.rejected.length && report.created + report.updated === 0) process.exitCode = 1;
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
