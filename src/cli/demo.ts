import { existsSync, rmSync } from 'node:fs';
import { resolve, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDb } from '../db/client.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { translator } from '../i18n/i18n.ts';
import { buildDemoScenario, DEMO_ACCOUNTS, type DemoAccount } from './demo-scenario.ts';
import { runImport } from './import.ts';
import { createSession, deleteSession, loadViewer } from '../modules/accounts/accounts.service.ts';
import { createInvitation } from '../modules/accounts/invitations.service.ts';
import { buildDemoCoordination } from './demo-coordination.ts';
import { buildDemoPacts, demoKeyring } from './demo-pacts.ts';
import { buildDemoCampaigns } from './demo-campaigns.ts';

/** Where the demo keeps its data: `./data/demo.sqlite` (git-ignored). */
export const DEMO_PATH = resolve('data/demo.sqlite');
/** The public FMCS work-stoppage file the demo imports (see demo/SOURCES.md). */
const FMCS_FILE = fileURLToPath(new URL('../../demo/fmcs_work_stoppages_2010-2020.csv', import.meta.url));

/**
 * `npm run demo [-- --reset]`: creates `./data/demo.sqlite` on first run (or after `--reset`)
 * with the FMCS import plus the fictional scenario, its coordination layer, its solidarity pact and its campaign
 * (with the ECB rates of `demo/`), then serves it on `PORT` (3000) and prints
 * the URL and the demo accounts. Later runs reuse the file.
 */
export async function runDemo(o: { reset: boolean }): Promise<void> {
  const tr = translator('en');
  const path = process.env.SQLITE_PATH ? resolve(process.env.SQLITE_PATH) : DEMO_PATH;
  if (o.reset) for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  const fresh = !existsSync(path);
  let accounts: DemoAccount[] | null = null;
  let invitationToken: string | null = null;
  if (fresh) {
    console.log(tr.t('cli.demo.building', { path: relative(process.cwd(), path) }));
    const h = await openDb({ engine: 'sqlite', path });
    try {
      await migrateToLatest(h.db);
      accounts = await buildDemoScenario(h.db);
      invitationToken = await inviteNewcomer(h.db);
      if (existsSync(FMCS_FILE)) {
        await runImport({ kind: 'struggles', format: 'fmcs', file: FMCS_FILE, db: h.db, locale: 'en', out: process.stdout, progress: true });
      } else {
        console.log(tr.t('cli.demo.no_fmcs', { file: FMCS_FILE }));
      }
      await buildDemoCoordination(h.db);
      // Sealed with the keys the served demo reads (the development key file beside the database unless DATA_KEYS/DATA_KEY_FILE is set).
      const keyring = demoKeyring(path);
      await buildDemoPacts(h.db, keyring);
      await buildDemoCampaigns(h.db, keyring);
    } catch (err) {
      await h.close();
      for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
      throw err;
    }
    await h.close();
  }
  const { serve } = await import('../main.ts');
  process.env.SQLITE_PATH = path;
  process.env.LOG_LEVEL ??= 'warn';
  delete process.env.DATABASE_URL;
  await serve({
    sqlitePath: path,
    onListening: (url) => {
      console.log(tr.t('cli.demo.ready', { url }));
      console.log(tr.t('cli.demo.accounts'));
      for (const a of accounts ?? DEMO_ACCOUNTS) console.log(`  ${a.email}  ${a.password}  (${a.description})`);
      if (invitationToken) console.log(tr.t('cli.demo.invitation', { url: `${url}/invitations/${invitationToken}` }));
    },
  });
}

/**
 * A pending invitation, so a first visitor can try joining as a new member would: the admin of
 * Solidarität Grenzenlos invites `neu@demo.solidaris.invalid` as `member` (through the same
 * service and rules as the members page). Its token exists only in this process (the database
 * keeps its hash), so the link is printed on the first run; later, admins invite from the page.
 * @returns the invitation token.
 */
async function inviteNewcomer(db: Parameters<typeof buildDemoScenario>[0]): Promise<string> {
  const admin = await db.selectFrom('users').select('id').where('email', '=', 'grenzenlos@demo.solidaris.invalid').executeTakeFirstOrThrow();
  const org = await db.selectFrom('organizations').select('id').where('slug', '=', 'solidaritaet-grenzenlos').executeTakeFirstOrThrow();
  const session = await createSession(db, admin.id);
  try {
    const viewer = (await loadViewer(db, session))!;
    return (await createInvitation(db, viewer, org.id, { email: 'neu@demo.solidaris.invalid', role: 'member' })).token;
  } finally {
    await deleteSession(db, session);
  }
}
