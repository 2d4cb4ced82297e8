import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { generate } from 'otplib';
import { ENGINES } from '../helpers/db.ts';
import { browserSkipReason, collectPageErrors, formatViolations, launchBrowser, runAxe, startApp, type RunningApp } from '../helpers/browser.ts';
import { createUser, setOrganizationRole } from '../../src/modules/accounts/accounts.service.ts';
import { makeOrganization, makeStruggle } from '../helpers/factories.ts';

/**
 * The way a new person arrives, end to end in Chromium: an organization admin invites them by
 * e-mail (no SMTP configured, so the page shows the link to the admin), the newcomer opens the
 * link, signs up, turns on an authenticator app (TOTP, codes computed here with otplib), signs out
 * and signs in again with password and code — and then sees the organization's members-only
 * struggle, which was hidden before. axe-core finds nothing on the pages of the way; no page logs
 * an error (CSP violations included). Screenshots go to /tmp/shots/.
 */

const SKIP = browserSkipReason();
const SHOTS = '/tmp/shots/';
const ADMIN_PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'solidarity across borders';

for (const engine of ENGINES) {
  describe(`invitation, sign-up and TOTP in a browser (${engine})`, { skip: SKIP }, () => {
    let app: RunningApp;
    let browser: Browser;
    let admin: BrowserContext;
    let newcomer: BrowserContext;
    const errors: string[] = [];
    let orgSlug = '';
    let struggleSlug = '';
    const inviteeEmail = `newcomer-${engine}@example.org`;

    before(async () => {
      mkdirSync(SHOTS, { recursive: true });
      app = await startApp(engine);
      const org = await makeOrganization(app.db.db, { name: 'Ortsgruppe Nord', country: 'DE', visibility: 'public' });
      orgSlug = org.slug;
      struggleSlug = (await makeStruggle(app.db.db, { title: 'Streikversammlung intern', organization: org.slug, visibility: 'members' })).slug;
      const adminId = await createUser(app.db.db, { email: `admin-${engine}@example.org`, displayName: 'Amina Yusuf', password: ADMIN_PASSWORD });
      await setOrganizationRole(app.db.db, org.id, adminId, 'admin');
      browser = (await launchBrowser())!;
      admin = await browser.newContext({ locale: 'en-GB', viewport: { width: 1000, height: 900 } });
      newcomer = await browser.newContext({ locale: 'en-GB', viewport: { width: 1000, height: 900 } });
    });

    after(async () => {
      await browser?.close();
      await app?.close();
    });

    async function open(context: BrowserContext): Promise<Page> {
      const page = await context.newPage();
      errors.push(...collectPageErrors(page).errors);
      return page;
    }

    async function submit(page: Page, button: ReturnType<Page['locator']>) {
      await Promise.all([page.waitForEvent('load'), button.click()]);
    }

    async function check(page: Page, name: string) {
      const violations = await runAxe(page);
      assert.equal(violations.length, 0, `${name}:\n${formatViolations(violations)}`);
      await page.screenshot({ path: `${SHOTS}${name}-${engine}.png`, fullPage: true });
    }

    async function signIn(page: Page, email: string, password: string, next: string) {
      await page.goto(`${app.baseUrl}/sign-in?next=${encodeURIComponent(next)}`);
      await page.fill('#f-email', email);
      await page.fill('#f-password', password);
      await submit(page, page.locator('main form[action="/sign-in"] button[type=submit]'));
    }

    test('an admin invites, the newcomer signs up, turns on TOTP and signs in with it', async () => {
      // 1. The admin invites by e-mail; without SMTP the link is shown once on the page.
      const a = await open(admin);
      await signIn(a, `admin-${engine}@example.org`, ADMIN_PASSWORD, `/organizations/${orgSlug}/members`);
      assert.equal(new URL(a.url()).pathname, `/organizations/${orgSlug}/members`);
      await check(a, 'members');
      const invite = a.locator('form[action$="/members/invite"]');
      await invite.locator('input[name=email]').fill(inviteeEmail);
      await invite.locator('select[name=role]').selectOption('member');
      await submit(a, invite.locator('button[type=submit]'));
      const shown = await a.locator('main code').filter({ hasText: '/invitations/' }).first().textContent();
      assert.ok(shown, 'the invitation link is shown to the admin');
      const link = new URL(shown.trim());
      assert.match(link.pathname, /^\/invitations\/[A-Za-z0-9_-]{43}$/);
      await check(a, 'invitation-link-shown');

      // 2. Before joining, the newcomer cannot see the members-only struggle.
      const n = await open(newcomer);
      const hidden = await n.goto(`${app.baseUrl}/struggles/${struggleSlug}`);
      assert.equal(hidden?.status(), 404);

      // 3. The newcomer opens the link and signs up.
      await n.goto(`${app.baseUrl}${link.pathname}`);
      await check(n, 'invitation-sign-up');
      assert.ok((await n.locator('main').textContent())?.includes('Ortsgruppe Nord'));
      await n.fill('input[name=displayName]', 'Dilan Kaya');
      await n.fill('input[name=password]', NEW_PASSWORD);
      await n.selectOption('select[name=timeZone]', 'Europe/Istanbul');
      await submit(n, n.locator('main form button[type=submit]'));
      assert.equal(new URL(n.url()).pathname, `/organizations/${orgSlug}`);
      const user = await app.db.db.selectFrom('users').select(['id', 'display_name', 'time_zone']).where('email', '=', inviteeEmail).executeTakeFirstOrThrow();
      assert.deepEqual({ name: user.display_name, zone: user.time_zone }, { name: 'Dilan Kaya', zone: 'Europe/Istanbul' });
      const role = await app.db.db.selectFrom('organization_members').select('role').where('user_id', '=', user.id).executeTakeFirstOrThrow();
      assert.equal(role.role, 'member');

      // 4. Turn on the authenticator app: read the key from the page, confirm a code.
      await n.goto(`${app.baseUrl}/account/security`);
      const secret = (await n.locator('code.secret').textContent())!.replace(/\s+/g, '');
      assert.match(secret, /^[A-Z2-7]{16,}$/);
      await check(n, 'security-totp-setup');
      const confirm = n.locator('form[action="/account/security/totp"]');
      const firstCode = await generate({ secret });
      await confirm.locator('input[name=code]').fill(firstCode);
      await submit(n, confirm.locator('button[type=submit]'));
      const codes = await n.locator('main').textContent();
      assert.ok(codes?.includes('Each of these 10 codes lets you sign in once'), 'recovery codes are shown once');
      await check(n, 'security-recovery-codes');

      // 5. Sign out, sign in again: the password alone is not enough.
      await submit(n, n.locator('form[action="/sign-out"] button'));
      await signIn(n, inviteeEmail, NEW_PASSWORD, `/struggles/${struggleSlug}`);
      assert.equal(new URL(n.url()).pathname, '/sign-in/second-factor');
      await check(n, 'second-factor');
      const stillHidden = await admin.request.fetch(`${app.baseUrl}/struggles/${struggleSlug}`, { headers: { cookie: (await newcomer.cookies()).map((c) => `${c.name}=${c.value}`).join('; ') } });
      assert.equal(stillHidden.status(), 404, 'a session waiting for its second factor sees no members-only record');

      // The code already used to turn the app on is refused (no replay within its window) …
      await n.fill('input[name=code]', firstCode);
      await submit(n, n.locator('form[action="/sign-in/second-factor"] button[type=submit]'));
      assert.equal(new URL(n.url()).pathname, '/sign-in/second-factor');
      assert.ok((await n.locator('main').textContent())?.includes('This code is not right or was used already'));
      // … the app's next code (within the ±1 step window, RFC 6238 §5.2) lets the person in.
      await n.fill('input[name=code]', await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 }));
      await submit(n, n.locator('form[action="/sign-in/second-factor"] button[type=submit]'));
      assert.equal(new URL(n.url()).pathname, `/struggles/${struggleSlug}`);
      assert.ok((await n.locator('h1').textContent())?.includes('Streikversammlung intern'));

      assert.deepEqual(errors, []);
    });
  });
}
