import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ENGINES } from '../helpers/db.ts';
import { loginAs } from '../helpers/app.ts';
import { newId } from '../../src/lib/ids.ts';
import {
  browserCookie,
  browserSkipReason,
  collectPageErrors,
  formatViolations,
  launchBrowser,
  runAxe,
  seedPages,
  startApp,
  type PagesFixture,
  type RunningApp,
} from '../helpers/browser.ts';

/**
 * Browser-level checks of the server-rendered pages, in English and German, on both engines:
 * axe-core (WCAG 2.0/2.1 A+AA and best practices) reports nothing, the page logs no error (CSP
 * violations included), `<html lang>` is right, the language switch returns to the same page,
 * the layout reflows at 320 CSS px (WCAG 1.4.10), and the core forms work without JavaScript.
 * Full-page screenshots land in test-results/screenshots/ for a human to look at.
 */

const SKIP = browserSkipReason();
const SHOTS = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));
const LOCALES = [
  { code: 'en', switchTo: 'English' },
  { code: 'de', switchTo: 'Deutsch' },
] as const;

interface PageSpec {
  /** File-name part of the screenshot. */
  name: string;
  path: (f: PagesFixture) => string | null;
  /**
   * Visit with a session (`as: 'member'` a plain account, `'admin'` one that may edit everything,
   * `'follower'` a member of the organization that follows the struggle, Congo and the network).
   */
  as?: 'member' | 'admin' | 'follower';
  /** HTTP status of the document finally shown. */
  status?: number;
  /** Submit the page's main form empty and check the re-rendered form. */
  submitEmpty?: boolean;
  /** Field errors the empty form must come back with (default 5). */
  minErrors?: number;
}

const PAGES: PageSpec[] = [
  { name: 'home', path: () => '/' },
  { name: 'struggles', path: () => '/struggles' },
  { name: 'struggles-cd', path: () => '/struggles?country=CD' },
  { name: 'struggle', path: (f) => `/struggles/${f.struggle}` },
  { name: 'struggle-editor', path: (f) => `/struggles/${f.struggle}`, as: 'admin' },
  { name: 'calls', path: () => '/calls' },
  { name: 'call', path: (f) => `/calls/${f.call}` },
  { name: 'call-responder', path: (f) => `/calls/${f.call}`, as: 'admin' },
  { name: 'action-days', path: () => '/action-days' },
  { name: 'action-day', path: (f) => `/action-days/${f.actionDay}` },
  { name: 'action-day-participant', path: (f) => `/action-days/${f.actionDay}`, as: 'admin' },
  { name: 'organizations', path: () => '/organizations' },
  { name: 'organization', path: (f) => `/organizations/${f.organization}` },
  { name: 'networks', path: () => '/networks' },
  { name: 'network', path: (f) => (f.network ? `/networks/${f.network}` : null) },
  { name: 'network-manager', path: (f) => (f.network ? `/networks/${f.network}` : null), as: 'admin' },
  { name: 'sign-in', path: () => '/sign-in' },
  { name: 'struggle-new', path: () => '/struggles/new', as: 'member' },
  { name: 'organization-new', path: () => '/organizations/new', as: 'member' },
  { name: 'struggle-new-errors', path: () => '/struggles/new', as: 'member', submitEmpty: true, status: 422 },
  { name: '404', path: () => '/no-such-page', status: 404 },
  { name: 'struggle-follower', path: (f) => `/struggles/${f.struggle}`, as: 'follower' },
  { name: 'struggles-cd-follower', path: () => '/struggles?country=CD', as: 'follower' },
  { name: 'struggles-pe-follower', path: () => '/struggles?country=PE', as: 'follower' },
  { name: 'network-follower', path: (f) => (f.network ? `/networks/${f.network}` : null), as: 'follower' },
  { name: 'following', path: (f) => `/organizations/${f.follower.slug}/following`, as: 'follower' },
  { name: 'notifications', path: () => '/notifications', as: 'follower' },
  { name: 'notifications-empty', path: () => '/notifications', as: 'member' },
  { name: 'account-feeds', path: () => '/account/feeds', as: 'follower' },
  { name: 'local-action-edit', path: (f) => `/action-days/${f.actionDay}/local-actions/${f.localAction}/edit`, as: 'admin' },
  { name: 'local-action-remove', path: (f) => `/action-days/${f.actionDay}/local-actions/${f.localAction}/remove`, as: 'admin' },
  { name: 'pacts', path: () => '/pacts' },
  { name: 'pact', path: (f) => `/pacts/${f.pact}` },
  { name: 'pact-ledger', path: (f) => `/pacts/${f.pact}/ledger` },
  { name: 'pact-ledger-coordinator', path: (f) => `/pacts/${f.pact}/ledger`, as: 'admin' },
  { name: 'pact-edit', path: (f) => `/pacts/${f.pact}/edit`, as: 'admin' },
  { name: 'pact-new-errors', path: () => '/pacts/new', as: 'admin', submitEmpty: true, status: 422 },
  { name: 'pact-coordinator', path: (f) => `/pacts/${f.pact}`, as: 'admin' },
  { name: 'pact-pledges', path: (f) => `/pacts/${f.pact}/pledges` },
  { name: 'pact-pledges-member', path: (f) => `/pacts/${f.pact}/pledges`, as: 'member' },
  { name: 'pact-pledges-coordinator', path: (f) => `/pacts/${f.pact}/pledges`, as: 'admin' },
  { name: 'pact-disbursements', path: (f) => `/pacts/${f.pact}/disbursements`, as: 'admin' },
  { name: 'pact-beneficiaries', path: (f) => `/pacts/${f.pact}/beneficiaries`, as: 'admin' },
  { name: 'pact-beneficiaries-edit', path: (f) => `/pacts/${f.pact}/beneficiaries?edit=H-0001`, as: 'admin' },
  { name: 'pact-report', path: (f) => `/pacts/${f.pact}/report` },
  { name: 'pact-report-usd', path: (f) => `/pacts/${f.pact}/report?currency=USD` },
  { name: 'campaigns', path: () => '/campaigns' },
  { name: 'campaign', path: (f) => f.campaign && `/campaigns/${f.campaign}` },
  { name: 'campaign-lang-de', path: (f) => f.campaign && `/campaigns/${f.campaign}?lang=de` },
  { name: 'campaign-coordinator', path: (f) => f.campaign && `/campaigns/${f.campaign}`, as: 'admin' },
  { name: 'campaign-new', path: () => '/campaigns/new', as: 'admin' },
  { name: 'campaign-new-errors', path: () => '/campaigns/new', as: 'admin', submitEmpty: true, status: 422, minErrors: 3 },
  { name: 'campaign-edit', path: (f) => f.campaign && `/campaigns/${f.campaign}/edit`, as: 'admin' },
  { name: 'campaign-translations', path: (f) => f.campaign && `/campaigns/${f.campaign}/translations?lang=de`, as: 'admin' },
  { name: 'campaign-endorse', path: (f) => f.campaign && `/campaigns/${f.campaign}/endorse`, as: 'admin' },
  { name: 'campaign-endorsements', path: (f) => f.campaign && `/campaigns/${f.campaign}/endorsements`, as: 'admin' },
  { name: 'campaign-tallies', path: (f) => f.campaign && `/campaigns/${f.campaign}/tallies`, as: 'admin' },
  { name: 'campaign-sign', path: (f) => f.campaign && `/campaigns/${f.campaign}/sign` },
  { name: 'campaign-sign-errors', path: (f) => f.campaign && `/campaigns/${f.campaign}/sign`, submitEmpty: true, status: 422, minErrors: 3 },
  { name: 'campaign-sign-thanks', path: (f) => f.campaign && `/campaigns/${f.campaign}/sign/thanks` },
  { name: 'campaign-signature-confirm', path: (f) => f.signing && f.signing.confirm },
  { name: 'campaign-signature-withdraw', path: (f) => f.signing && f.signing.withdraw },
  { name: 'campaign-sign-confirmed', path: (f) => f.campaign && `/campaigns/${f.campaign}/sign/confirmed` },
  { name: 'campaign-sign-withdrawn', path: (f) => f.campaign && `/campaigns/${f.campaign}/sign/withdrawn` },
  { name: 'supporters-io', path: (f) => f.supporterImports && `/campaigns/${f.supporterImports.campaign}/supporters/import`, as: 'admin' },
  { name: 'supporters-import-preview', path: (f) => f.supporterImports && `/campaigns/${f.supporterImports.campaign}/supporters/import/${f.supporterImports.preview}`, as: 'admin' },
  // Refreshing stopped (`?refresh=off`, the reader's switch): a page that reloads itself every 2 s
  // would reload under axe, and axe's meta-refresh rule cannot see that the reader may turn it off.
  { name: 'supporters-import-progress', path: (f) => f.supporterImports && `/campaigns/${f.supporterImports.campaign}/supporters/import/${f.supporterImports.running}?refresh=off`, as: 'admin' },
  { name: 'supporters-import-report', path: (f) => f.supporterImports && `/campaigns/${f.supporterImports.campaign}/supporters/import/${f.supporterImports.done}`, as: 'admin' },
];

/** `lang` of the document element. */
const htmlLang = (page: Page) => page.evaluate('document.documentElement.lang') as Promise<string>;
/** HTTP status of the current document (Navigation Timing Level 2 `responseStatus`). */
const documentStatus = (page: Page) => page.evaluate('performance.getEntriesByType("navigation")[0].responseStatus') as Promise<number>;

/** Clicks `locator` and waits for the document it leads to (a form POST answered by a redirect or a page). */
async function clickAndLoad(page: Page, click: () => Promise<void>): Promise<void> {
  const loaded = page.waitForEvent('load');
  await click();
  await loaded;
}

/**
 * Elements sticking out on the right at the current viewport width (outermost ones only), as
 * `ancestor > ancestor > element "text…"`: what to fix when the page scrolls horizontally.
 */
async function overflowingElements(page: Page): Promise<string[]> {
  return page.evaluate(`(() => {
    const width = document.documentElement.clientWidth;
    const sticks = (el) => el && el.getBoundingClientRect().right > width + 0.5;
    const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (el.getAttribute('class') ? '.' + el.getAttribute('class').trim().split(/\\s+/).join('.') : '');
    const out = new Set();
    for (const el of document.querySelectorAll('body *')) {
      if (!sticks(el) || sticks(el.parentElement) || el.closest('.skip')) continue;
      const path = [];
      for (let a = el.parentElement; a && a !== document.body && path.length < 3; a = a.parentElement) path.unshift(name(a));
      const text = (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
      out.add(path.concat(name(el)).join(' > ') + (text ? ' "' + text + '"' : '') + ' (right edge ' + Math.round(el.getBoundingClientRect().right) + 'px)');
    }
    return [...out].slice(0, 6);
  })()`) as Promise<string[]>;
}

/**
 * Header links and buttons whose label takes more than one line (`"label" (n lines)`): a control
 * label broken over lines, worse inside a word, is hard to read and to recognize.
 */
async function wrappedControls(page: Page): Promise<string[]> {
  return page.evaluate(`(() => {
    const out = [];
    for (const el of document.querySelectorAll('header.site a, header.site button, main button, main a.button')) {
      if (el.getClientRects().length === 0 || el.closest('.skip')) continue;
      const cs = getComputedStyle(el);
      const line = parseFloat(cs.lineHeight) || parseFloat(cs.fontSize) * 1.5;
      const inner = el.getBoundingClientRect().height - parseFloat(cs.paddingTop) - parseFloat(cs.paddingBottom) -
        parseFloat(cs.borderTopWidth) - parseFloat(cs.borderBottomWidth);
      const lines = cs.display === 'inline' ? el.getClientRects().length : Math.round(inner / line);
      if (lines > 1) out.push('"' + el.textContent.trim().replace(/\\s+/g, ' ') + '" (' + lines + ' lines)');
    }
    return out;
  })()`) as Promise<string[]>;
}

/** Causes of horizontal scrolling at 320 px seen before, and their fixes (matched against the overflow report). */
const REFLOW_FIXES: [RegExp, string][] = [
  [/select|div\.field/, 'Seen before: a <select> is as wide as its longest option (country names). Fix in src/web/static/style.css: `input,select,textarea{max-width:100%}` and `.filters .field{min-width:0;max-width:100%}`'],
  [/form\.inline|div\.tools/, 'Seen before: `form.inline` and `.tools` are flex rows that never wrap (header account + language forms; the per-membership "End membership" form on network pages). Fix in src/web/static/style.css: `.tools,form.inline{flex-wrap:wrap}`'],
  [/ > dd|dl > /, 'Seen before: `dl{grid-template-columns:max-content 1fr}` gives the labels their full width and squeezes the values below their min-content. Fix in src/web/static/style.css: `dl{grid-template-columns:fit-content(40%) minmax(0,1fr)}` (or one column under 30rem) and `dd{overflow-wrap:anywhere}`'],
  [/ > a "https?:/, 'Seen before: long source URLs (struggle page, "Sources") do not break. Fix in src/web/static/style.css: `main a{overflow-wrap:anywhere}` (or on the sources list only)'],
];

for (const engine of ENGINES) {
  describe(`pages in a browser (${engine})`, { skip: SKIP }, () => {
    let app: RunningApp;
    let browser: Browser;
    let fixture: PagesFixture;
    const sessions: Record<'member' | 'admin' | 'follower', string> = { member: '', admin: '', follower: '' };

    before(async () => {
      mkdirSync(SHOTS, { recursive: true });
      app = await startApp(engine);
      fixture = await seedPages(app.db.db, app.app);
      sessions.member = (await loginAs(app, { name: 'Member Person' })).cookie;
      sessions.admin = (await loginAs(app, { admin: true, name: 'Admin Person' })).cookie;
      const follower = await loginAs(app, { name: 'Follower Person', roles: [[fixture.follower.id, 'member']] });
      sessions.follower = follower.cookie;
      // Two personal feed links (one used, one revoked), so /account/feeds shows its list of links
      // — long labels and times included — and the 320 px reflow check covers it.
      await app.db.db
        .insertInto('feed_tokens')
        .values([
          { id: newId(), user_id: follower.userId, token_hash: randomBytes(32).toString('hex'), label: 'Kalender auf dem Diensthandy (Android, Gewerkschaftsbüro)', created_at: '2026-03-01T08:15:00.000Z', last_used_at: '2026-03-04T06:00:00.000Z', revoked_at: null },
          { id: newId(), user_id: follower.userId, token_hash: randomBytes(32).toString('hex'), label: 'Feed reader at home', created_at: '2026-02-01T18:30:00.000Z', last_used_at: null, revoked_at: '2026-02-20T12:00:00.000Z' },
        ])
        .execute();
      browser = (await launchBrowser())!;
    });

    after(async () => {
      await browser?.close();
      await app?.close();
    });

    /** A fresh English-speaking browser context, signed in as `as` when given. */
    async function newContext(o: { as?: 'member' | 'admin' | 'follower'; javaScript?: boolean } = {}): Promise<BrowserContext> {
      // Switching the language while signed in saves it to the account; every page starts in English.
      await app.db.db.updateTable('users').set({ locale: 'en' }).execute();
      const context = await browser.newContext({
        locale: 'en-US',
        viewport: { width: 1280, height: 800 },
        javaScriptEnabled: o.javaScript ?? true,
      });
      if (o.as) await context.addCookies([browserCookie(sessions[o.as], app.baseUrl)]);
      return context;
    }

    for (const locale of LOCALES) {
      describe(locale.code, () => {
        for (const spec of PAGES) {
          test(spec.name, async (t: TestContext) => {
            const path = spec.path(fixture);
            assert.ok(path !== null, 'the fixture has a network for this page');
            const context = await newContext({ as: spec.as });
            t.after(() => context.close());
            const page = await context.newPage();
            const { errors, allowStatus } = collectPageErrors(page);
            const url = `${app.baseUrl}${path}`;
            if (spec.status) allowStatus.add(url);

            await page.goto(url);
            assert.equal(await htmlLang(page), 'en', 'a new English-speaking visitor gets <html lang="en">');

            if (locale.code !== 'en') {
              await clickAndLoad(page, () => page.getByRole('button', { name: locale.switchTo }).click());
              const landed = page.url();
              await t.test(`the "${locale.switchTo}" button returns to the same page`, () => {
                assert.equal(
                  landed,
                  url,
                  'the language switch must return to the same page, query string included (src/web/layout.ts ' +
                    'languageSwitch() posts the full request URL as "next")',
                );
              });
              // Go on with the checks on the page meant (the locale cookie is set now).
              if (landed !== url) await page.goto(url);
            }

            if (spec.submitEmpty) {
              const form = page.locator('main form[method="post"]');
              await clickAndLoad(page, () => form.locator('button[type=submit]').click());
            }

            assert.equal(await documentStatus(page), spec.status ?? 200, 'HTTP status of the document');
            assert.equal(await htmlLang(page), locale.code, `<html lang="${locale.code}">`);
            assert.equal(await page.evaluate('document.documentElement.dir'), 'ltr');

            await page.screenshot({ path: `${SHOTS}${engine}-${locale.code}-${spec.name}.png`, fullPage: true });

            await t.test('axe-core reports no violations', async () => {
              const violations = await runAxe(page);
              assert.equal(violations.length, 0, `axe violations on ${path} (${locale.code}):\n${formatViolations(violations)}`);
            });

            if (spec.name === 'home') {
              await t.test('the world map is styled and shaded, one link per country with struggles', async () => {
                const fills = (await page.evaluate(`(() => {
                  const fill = (sel) => { const el = document.querySelector(sel); return el ? getComputedStyle(el).fill : null; };
                  return { none: fill('.world-map path.m0'), most: fill('.world-map path.m5'), links: document.querySelectorAll('.world-map svg a').length };
                })()`)) as { none: string | null; most: string | null; links: number };
                assert.equal(fills.links, fixture.strugglesByCountry.size, 'one link per country with struggles');
                assert.notEqual(fills.none, 'rgb(0, 0, 0)', 'the map has its colours (the .world-map rules in src/web/static/style.css), not the default black fill');
                assert.notEqual(fills.none, fills.most, 'countries without struggles look different from the most affected ones');
              });
            }

            if (spec.name === 'account-feeds') {
              await t.test('the links are listed (so the reflow check below covers the list)', async () => {
                assert.equal(await page.locator('main ul.feed-links > li').count(), 2, 'the two feed links of the setup');
                assert.equal(await page.locator('main ul.feed-links button[type=submit]').count(), 1, 'a revoke button for the active link only');
              });
            }

            if (spec.submitEmpty) {
              await t.test('the form comes back with field errors, and the summary links focus the fields', async () => {
                const summaryLinks = page.locator('.error-summary a');
                const targets = await summaryLinks.evaluateAll((links) => links.map((a) => a.getAttribute('href') ?? ''));
                assert.ok(targets.length >= (spec.minErrors ?? 5), `an error per required field (title, kind, sector, country, start date); got ${targets.join(' ')}`);
                for (const [i, href] of targets.entries()) {
                  const id = href.replace(/^#/, '');
                  const control = page.locator(`[id="${id}"]`);
                  assert.equal(await control.getAttribute('aria-invalid'), 'true', `${href} is marked aria-invalid`);
                  const describedBy = (await control.getAttribute('aria-describedby')) ?? '';
                  assert.ok(describedBy.split(' ').some((d) => d.endsWith('-error')), `${href} is described by its error message`);
                  await summaryLinks.nth(i).click();
                  assert.equal(await page.evaluate('document.activeElement && document.activeElement.id'), id, `the summary link ${href} moves focus to the field`);
                }
              });
            }

            if (spec.submitEmpty) {
              await t.test('each error summary link names its field (WCAG 3.3.1, 2.4.4)', async () => {
                const links = (await page.locator('.error-summary a').evaluateAll((as) =>
                  as.map((a) => {
                    const id = (a.getAttribute('href') ?? '').slice(1);
                    const label = a.ownerDocument.querySelector(`label[for="${id}"]`);
                    return { text: a.textContent?.trim() ?? '', label: label?.firstChild?.textContent?.trim() ?? id };
                  }),
                )) as { text: string; label: string }[];
                const unnamed = links.filter((l) => !l.text.includes(l.label)).map((l) => `"${l.text}" (field "${l.label}")`);
                assert.deepEqual(
                  unnamed,
                  [],
                  'an entry that only says "This field is required" does not tell which field it is about; ' +
                    'errorSummary() in src/web/forms.ts prints the label first when the view passes its field → label map',
                );
              });
            }

            await t.test('no console errors (CSP violations, failed loads, exceptions)', () => {
              assert.deepEqual(errors, []);
            });

            await t.test('reflows at 320 CSS px without horizontal scrolling (WCAG 1.4.10)', async () => {
              await page.setViewportSize({ width: 320, height: 800 });
              await page.screenshot({ path: `${SHOTS}${engine}-${locale.code}-${spec.name}-320.png`, fullPage: true });
              const overflow = (await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
              if (overflow <= 0) return;
              const culprits = await overflowingElements(page);
              const fixes = REFLOW_FIXES.filter(([re]) => culprits.some((c) => re.test(c))).map(([, fix]) => fix);
              assert.fail(`the page is ${overflow}px wider than the 320px viewport; sticking out:\n  ${culprits.join('\n  ')}\n${fixes.join('\n')}`);
            });

            await t.test('at 320 CSS px, links in the header and buttons keep their label on one line', async () => {
              const broken = await wrappedControls(page);
              assert.deepEqual(
                broken,
                [],
                'KNOWN ISSUE until fixed: `main,header.site{overflow-wrap:anywhere}` in src/web/static/style.css lets flex items ' +
                  'shrink below their longest word, so labels break inside words ("Englis|h", "Deuts|ch", "End members|hip"). ' +
                  'Fix: `main,header.site{overflow-wrap:break-word}` (breaks only words that cannot fit a line), ' +
                  '`main a{overflow-wrap:anywhere}` (long source URLs), `.tools,form.inline{flex-wrap:wrap}` and ' +
                  '`.end-membership button{white-space:nowrap}` — tried in this browser: no page scrolls sideways at 320 px with it',
              );
            });
          });
        }
      });
    }

    describe('without JavaScript', () => {
      test('signing in through the form', async (t) => {
        const context = await newContext({ javaScript: false });
        t.after(() => context.close());
        const page = await context.newPage();
        const { errors, allowStatus } = collectPageErrors(page);
        // From a filtered list, through the header's "Sign in" link.
        const start = `${app.baseUrl}/struggles?country=CD`;
        await page.goto(start);
        await clickAndLoad(page, () => page.locator('header.site').getByRole('link', { name: 'Sign in' }).click());
        assert.equal(new URL(page.url()).pathname, '/sign-in');

        // A wrong password: 422 and the generic message, the e-mail kept.
        allowStatus.add(`${app.baseUrl}/sign-in`);
        await page.getByLabel(/e-mail/i).fill(fixture.account.email);
        await page.getByLabel(/password/i).fill('not the password');
        await clickAndLoad(page, () => page.locator('main form button[type=submit]').click());
        assert.equal(await documentStatus(page), 422);
        assert.equal(await page.locator('[role=alert]').count(), 1, 'the failure is announced');
        assert.equal(await page.getByLabel(/e-mail/i).inputValue(), fixture.account.email);

        await page.getByLabel(/password/i).fill(fixture.account.password);
        await clickAndLoad(page, () => page.locator('main form button[type=submit]').click());
        assert.equal(await documentStatus(page), 200);
        assert.match(await page.locator('header.site').innerText(), new RegExp(fixture.account.displayName), 'the header names the signed-in person');
        assert.equal(await page.getByRole('button', { name: 'Sign out' }).count(), 1);
        assert.deepEqual(errors, []);
        await t.test('back on the page where "Sign in" was clicked, query string included', () => {
          assert.equal(
            page.url(),
            start,
            'KNOWN ISSUE until fixed: the header link is /sign-in?next=<path without query>, so signing in from ' +
              '/struggles?country=CD lands on the unfiltered list. Fix in src/web/layout.ts account(): ' +
              'href=${`/sign-in?next=${encodeURIComponent(ctx.url)}`} (ctx.url, as the language switch already uses, instead of ctx.path)',
          );
        });
      });

      test('a refused local action comes back scrolled to its form, the error summary in view', async (t) => {
        const context = await newContext({ javaScript: false, as: 'follower' });
        t.after(() => context.close());
        const page = await context.newPage();
        const { errors, allowStatus } = collectPageErrors(page);
        const url = `${app.baseUrl}/action-days/${fixture.actionDay}`;
        allowStatus.add(`${url}/local-actions#register`);
        allowStatus.add(`${url}/local-actions`);
        await page.goto(url);
        const register = page.locator('section#register form');
        assert.equal(await register.count(), 1, 'the registration form, in its section');
        await clickAndLoad(page, () => register.locator('button[type=submit]').click());
        assert.equal(await documentStatus(page), 422);
        assert.equal(new URL(page.url()).hash, '#register', 'the answer keeps the form action’s fragment');
        const summary = page.locator('section#register .error-summary');
        assert.equal(await summary.count(), 1, 'the error summary is in the section');
        const box = (await summary.boundingBox())!;
        const scrolled = (await page.evaluate('window.scrollY')) as number;
        assert.ok(scrolled > 0, 'the page is scrolled down to the form');
        assert.ok(box.y >= 0 && box.y < 800, `the error summary is in the viewport (top at ${box.y}px)`);
        assert.deepEqual(errors, []);
      });

      test('filtering the struggles list', async (t) => {
        const context = await newContext({ javaScript: false });
        t.after(() => context.close());
        const page = await context.newPage();
        const { errors } = collectPageErrors(page);
        await page.goto(`${app.baseUrl}/struggles`);
        await page.locator('form.filters select[name=country]').selectOption('CD');
        await clickAndLoad(page, () => page.locator('form.filters button[type=submit]').click());
        const url = new URL(page.url());
        assert.equal(url.pathname, '/struggles');
        assert.equal(url.searchParams.get('country'), 'CD');
        const expected = fixture.strugglesByCountry.get('CD')!;
        assert.equal(await page.locator('main ul.cards > li').count(), expected, `the ${expected} struggles in CD`);
        for (const meta of await page.locator('main ul.cards > li .meta').allInnerTexts()) assert.match(meta, /Congo - Kinshasa/);
        assert.equal(await page.locator('form.filters select[name=country]').inputValue(), 'CD', 'the filter keeps its value');
        assert.deepEqual(errors, []);
      });

      test('switching the language', async (t) => {
        const context = await newContext({ javaScript: false });
        t.after(() => context.close());
        const page = await context.newPage();
        await page.goto(`${app.baseUrl}/organizations`);
        await clickAndLoad(page, () => page.getByRole('button', { name: 'Deutsch' }).click());
        assert.equal(page.url(), `${app.baseUrl}/organizations`);
        assert.equal(await htmlLang(page), 'de');
        assert.equal(await page.getByRole('button', { name: 'Deutsch' }).getAttribute('aria-pressed'), 'true');
      });
    });

    test('axe-core finds a planted violation (self-check)', async (t) => {
      const context = await newContext();
      t.after(() => context.close());
      const page = await context.newPage();
      await page.goto(`${app.baseUrl}/sign-in`);
      await page.evaluate(`document.querySelector('main').append(Object.assign(document.createElement('img'), { src: '/static/icon.svg' }))`);
      const ids = (await runAxe(page)).map((v) => v.id);
      assert.ok(ids.includes('image-alt'), `an <img> without alt is reported; got ${ids.join(', ') || 'nothing'}`);
    });

    test('the console-error collector sees a CSP violation (self-check)', async (t) => {
      const context = await newContext();
      t.after(() => context.close());
      const page = await context.newPage();
      const { errors } = collectPageErrors(page);
      await page.goto(`${app.baseUrl}/sign-in`);
      // An inline script added to the DOM: the page's script-src 'self' refuses it.
      await page.evaluate(`document.body.append(Object.assign(document.createElement('script'), { textContent: 'window.inlineRan = true' }))`);
      await page.waitForTimeout(100);
      assert.equal(await page.evaluate('window.inlineRan === true'), false, 'the inline script did not run');
      assert.ok(errors.some((e) => /Content Security Policy/.test(e)), `a CSP console error was collected: ${errors.join(' | ')}`);
    });
  });
}
