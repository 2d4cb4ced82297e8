import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ENGINES } from '../helpers/db.ts';
import { browserSkipReason, collectPageErrors, formatViolations, launchBrowser, runAxe, startApp, type RunningApp } from '../helpers/browser.ts';
import { generate } from 'otplib';
import { createUser, setOrganizationRole, tokenHash } from '../../src/modules/accounts/accounts.service.ts';
import { makeOrganization } from '../helpers/factories.ts';

/**
 * Passkeys end to end in Chromium with a virtual authenticator (DevTools protocol `WebAuthn`
 * domain: CTAP2, internal transport, resident keys, user verification that always succeeds):
 * register a passkey on /account/security, sign out, sign in with the password and complete the
 * second step with the passkey. axe-core finds nothing on either page and no page logs an error
 * (CSP violations included). Screenshots go to /tmp/shots/ for a human to look at.
 */

const SKIP = browserSkipReason();
const SHOTS = '/tmp/shots/';
const PASSWORD = 'correct horse battery';

for (const engine of ENGINES) {
  describe(`passkeys in a browser (${engine})`, { skip: SKIP }, () => {
    let app: RunningApp;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let pageErrors: string[];
    /** WebAuthn needs a domain as RP ID (not an IP address): localhost is one, and a secure context. */
    let base: string;
    const email = `passkey-${engine}@example.org`;

    before(async () => {
      mkdirSync(SHOTS, { recursive: true });
      app = await startApp(engine);
      base = app.baseUrl.replace('127.0.0.1', 'localhost');
      await createUser(app.db.db, { email, displayName: 'Ayşe Demir', password: PASSWORD });
      browser = (await launchBrowser())!;
      context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1000, height: 900 } });
      page = await context.newPage();
      pageErrors = collectPageErrors(page).errors;
      const cdp = await context.newCDPSession(page);
      await cdp.send('WebAuthn.enable');
      await cdp.send('WebAuthn.addVirtualAuthenticator', {
        options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
      });
    });

    after(async () => {
      await browser?.close();
      await app?.close();
    });

    async function signInWithPassword(next: string, as = email) {
      await page.goto(`${base}/sign-in?next=${encodeURIComponent(next)}`);
      await page.fill('#f-email', as);
      await page.fill('#f-password', PASSWORD);
      await Promise.all([page.waitForEvent('load'), page.click('main button[type=submit]')]);
    }

    async function expectNoViolations(name: string) {
      const violations = await runAxe(page);
      assert.equal(violations.length, 0, `${name}:\n${formatViolations(violations)}`);
      await page.screenshot({ path: `${SHOTS}${name}-${engine}.png`, fullPage: true });
    }

    test('register a passkey, sign out, sign in with password + passkey', async () => {
      await signInWithPassword('/account/security');
      assert.equal(new URL(page.url()).pathname, '/account/security');
      await expectNoViolations('account-security');

      // Register.
      const button = page.getByRole('button', { name: 'Add a passkey' });
      await button.waitFor();
      assert.equal(await button.isEnabled(), true, 'passkeys.js enabled the button');
      await page.fill('#f-name', 'Virtual laptop');
      await Promise.all([page.waitForEvent('load'), button.click()]);
      await page.getByRole('cell', { name: 'Virtual laptop', exact: true }).waitFor();
      const userId = (await app.db.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow()).id;
      const keys = await app.db.db.selectFrom('passkeys').select(['name', 'transports', 'last_used_at']).where('user_id', '=', userId).execute();
      assert.deepEqual(keys.map((k) => ({ ...k })), [{ name: 'Virtual laptop', transports: 'internal', last_used_at: null }]);
      const added = await app.db.db.selectFrom('audit_events').select('action').where('action', '=', 'second_factor.passkey_added').execute();
      assert.equal(added.length, 1);
      await expectNoViolations('account-security-with-passkey');

      // Sign out, then in: the password leads to the second step.
      await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Sign out' }).click()]);
      await signInWithPassword('/struggles');
      assert.equal(new URL(page.url()).pathname, '/sign-in/second-factor');
      await page.getByRole('button', { name: 'Use a passkey' }).waitFor();
      await expectNoViolations('sign-in-second-factor');
      const sid = (await context.cookies(base)).find((c) => c.name === 'sid')!.value;
      const pending = await app.db.db.selectFrom('sessions').select('pending_second_factor').where('id', '=', tokenHash(sid)).executeTakeFirstOrThrow();
      assert.equal(Number(pending.pending_second_factor), 1);

      // The passkey completes it.
      await Promise.all([page.waitForURL(`${base}/struggles`), page.getByRole('button', { name: 'Use a passkey' }).click()]);
      const done = await app.db.db.selectFrom('sessions').select(['pending_second_factor', 'second_factor_at', 'user_agent']).where('id', '=', tokenHash(sid)).executeTakeFirstOrThrow();
      assert.equal(Number(done.pending_second_factor), 0);
      assert.ok(done.second_factor_at);
      assert.match(String(done.user_agent), /Chrome/);
      assert.ok((await app.db.db.selectFrom('passkeys').select('last_used_at').where('user_id', '=', userId).executeTakeFirstOrThrow()).last_used_at);
      await page.getByRole('link', { name: 'Ayşe Demir' }).waitFor();
      assert.deepEqual(pageErrors, []);
    });

    test('held-back admin notice, then a second step offering app, recovery code and passkey (en, de)', async () => {
      const other = `admin-${engine}@example.org`;
      const userId = await createUser(app.db.db, { email: other, displayName: 'Kofi Mensah', password: PASSWORD });
      const org = await makeOrganization(app.db.db, { name: 'Syndicat des mineurs' });
      await app.db.db.updateTable('organizations').set({ require_second_factor: 1 }).where('id', '=', org.id).execute();
      await setOrganizationRole(app.db.db, org.id, userId, 'admin');

      await signInWithPassword('/', other);
      await page.getByRole('link', { name: 'Set up a second factor' }).waitFor();
      await expectNoViolations('held-back-notice');

      // TOTP, recovery codes and a passkey on the account (set directly: the flows are tested above).
      const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
      const now = new Date().toISOString();
      await app.db.db.updateTable('users').set({ totp_secret: secret, totp_enabled_at: now }).where('id', '=', userId).execute();
      await app.db.db.insertInto('recovery_codes').values({ user_id: userId, code_hash: 'a'.repeat(64), created_at: now, used_at: null }).execute();
      await app.db.db.insertInto('passkeys').values({ id: `k-${engine}`, user_id: userId, public_key: 'AAAA', counter: 0, transports: 'usb', name: 'Key', created_at: now, last_used_at: null }).execute();
      // This session predates the second factor: told to sign in again.
      await page.reload();
      await page.getByRole('link', { name: 'Sign in again' }).waitFor();

      await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Sign out' }).click()]);
      await signInWithPassword(`/organizations/${org.slug}/edit`, other);
      assert.equal(new URL(page.url()).pathname, '/sign-in/second-factor');
      for (const name of ['Use a passkey', 'Confirm', 'Use the recovery code']) await page.getByRole('button', { name }).waitFor();
      await expectNoViolations('sign-in-second-factor-all');
      await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Deutsch' }).click()]);
      await page.getByRole('heading', { name: 'Zweiter Schritt' }).waitFor();
      await expectNoViolations('sign-in-second-factor-all-de');

      // A wrong code: the form comes back with the error, in German.
      await page.fill('#f-code', '000000' === (await generate({ secret })) ? '111111' : '000000');
      await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Bestätigen' }).click()]);
      await page.getByText('Dieser Code stimmt nicht').first().waitFor();
      await page.fill('#f-code', await generate({ secret }));
      await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Bestätigen' }).click()]);
      assert.equal(new URL(page.url()).pathname, `/organizations/${org.slug}/edit`);
      assert.equal(await page.locator('.held-back').count(), 0);
      await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'English' }).click()]);
    });
  });
}
