import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { ENGINES } from '../helpers/db.ts';
import { form, formSession, loginAs, type TestApp } from '../helpers/app.ts';
import { buildTestApp } from '../helpers/app.ts';
import { seedPages, type PagesFixture } from '../helpers/browser.ts';

/**
 * Page weight budget: every server-rendered page, gzip-compressed as @fastify/compress sends it,
 * plus the stylesheets it links, stays within 30 kB (30,720 bytes) — a page must load on a slow
 * mobile connection in the places where struggles happen. Measured with realistic data: 60
 * struggles across 30 countries (the home map shaded everywhere it can be), 60 organizations,
 * and a network with 15 memberships. No browser needed.
 */

const BUDGET = 30 * 1024;

interface PageSpec {
  name: string;
  path: (f: PagesFixture) => string | null;
  as?: 'member' | 'admin' | 'follower';
  /** POST the page's form empty (re-rendered with errors, HTTP 422). */
  submitEmpty?: boolean;
  status?: number;
}

const PAGES: PageSpec[] = [
  { name: 'home', path: () => '/' },
  { name: 'struggles', path: () => '/struggles' },
  { name: 'struggles?country=CD', path: () => '/struggles?country=CD' },
  { name: 'struggle', path: (f) => `/struggles/${f.struggle}` },
  { name: 'struggle (editor)', path: (f) => `/struggles/${f.struggle}`, as: 'admin' },
  { name: 'organizations', path: () => '/organizations' },
  { name: 'organization', path: (f) => `/organizations/${f.organization}` },
  { name: 'networks', path: () => '/networks' },
  { name: 'network', path: (f) => (f.network ? `/networks/${f.network}` : null) },
  { name: 'network (manager)', path: (f) => (f.network ? `/networks/${f.network}` : null), as: 'admin' },
  { name: 'sign-in', path: () => '/sign-in' },
  { name: 'struggles/new', path: () => '/struggles/new', as: 'member' },
  { name: 'organizations/new', path: () => '/organizations/new', as: 'member' },
  { name: 'struggles/new (422)', path: () => '/struggles/new', as: 'member', submitEmpty: true, status: 422 },
  { name: '404', path: () => '/no-such-page', status: 404 },
  { name: 'calls', path: () => '/calls' },
  { name: 'call', path: (f) => `/calls/${f.call}` },
  { name: 'action-days', path: () => '/action-days' },
  { name: 'action-day', path: (f) => `/action-days/${f.actionDay}` },
  { name: 'action-day (participant)', path: (f) => `/action-days/${f.actionDay}`, as: 'admin' },
  { name: 'struggle (follower)', path: (f) => `/struggles/${f.struggle}`, as: 'follower' },
  { name: 'following', path: (f) => `/organizations/${f.follower.slug}/following`, as: 'follower' },
  { name: 'notifications', path: () => '/notifications', as: 'follower' },
  { name: 'account/feeds', path: () => '/account/feeds', as: 'follower' },
  { name: 'pacts', path: () => '/pacts' },
  { name: 'pact', path: (f) => `/pacts/${f.pact}` },
  { name: 'pact ledger', path: (f) => `/pacts/${f.pact}/ledger` },
  { name: 'pact ledger (coordinator)', path: (f) => `/pacts/${f.pact}/ledger`, as: 'admin' },
  { name: 'pact edit', path: (f) => `/pacts/${f.pact}/edit`, as: 'admin' },
  { name: 'pacts/new', path: () => '/pacts/new', as: 'admin' },
  { name: 'pact (coordinator)', path: (f) => `/pacts/${f.pact}`, as: 'admin' },
  { name: 'pact pledges', path: (f) => `/pacts/${f.pact}/pledges` },
  { name: 'pact pledges (coordinator)', path: (f) => `/pacts/${f.pact}/pledges`, as: 'admin' },
  { name: 'pact disbursements', path: (f) => `/pacts/${f.pact}/disbursements`, as: 'admin' },
  { name: 'pact beneficiaries', path: (f) => `/pacts/${f.pact}/beneficiaries`, as: 'admin' },
  { name: 'pact report', path: (f) => `/pacts/${f.pact}/report` },
  { name: 'campaigns', path: () => '/campaigns' },
  { name: 'campaign', path: (f) => `/campaigns/${f.campaign}` },
  { name: 'campaign (coordinator)', path: (f) => `/campaigns/${f.campaign}`, as: 'admin' },
  { name: 'campaigns/new (422)', path: () => '/campaigns/new', as: 'admin', submitEmpty: true, status: 422 },
  { name: 'campaign edit', path: (f) => `/campaigns/${f.campaign}/edit`, as: 'admin' },
  { name: 'campaign translations', path: (f) => `/campaigns/${f.campaign}/translations`, as: 'admin' },
  { name: 'campaign endorse', path: (f) => `/campaigns/${f.campaign}/endorse`, as: 'admin' },
  { name: 'campaign endorsements', path: (f) => `/campaigns/${f.campaign}/endorsements`, as: 'admin' },
  { name: 'campaign tallies', path: (f) => `/campaigns/${f.campaign}/tallies`, as: 'admin' },
  { name: 'campaign sign', path: (f) => f.campaign && `/campaigns/${f.campaign}/sign` },
  { name: 'campaign sign (422)', path: (f) => f.campaign && `/campaigns/${f.campaign}/sign`, submitEmpty: true, status: 422 },
  { name: 'sign thanks', path: (f) => f.campaign && `/campaigns/${f.campaign}/sign/thanks` },
  { name: 'signature confirm', path: (f) => f.signing && f.signing.confirm },
  { name: 'signature withdraw', path: (f) => f.signing && f.signing.withdraw },
  { name: 'supporters io', path: (f) => f.supporterImports && `/campaigns/${f.supporterImports.campaign}/supporters/import`, as: 'admin' },
  { name: 'import preview', path: (f) => f.supporterImports && `/campaigns/${f.supporterImports.campaign}/supporters/import/${f.supporterImports.preview}`, as: 'admin' },
  { name: 'import progress', path: (f) => f.supporterImports && `/campaigns/${f.supporterImports.campaign}/supporters/import/${f.supporterImports.running}`, as: 'admin' },
  { name: 'import report', path: (f) => f.supporterImports && `/campaigns/${f.supporterImports.campaign}/supporters/import/${f.supporterImports.done}`, as: 'admin' },
];

interface Row {
  page: string;
  locale: string;
  html: number;
  htmlRaw: number;
  css: number;
}

/** Bytes on the wire of a response body, and its uncompressed size. */
function sizes(res: { rawPayload: Buffer; headers: Record<string, unknown> }): { wire: number; raw: number } {
  const gz = res.headers['content-encoding'] === 'gzip';
  return { wire: res.rawPayload.length, raw: gz ? gunzipSync(res.rawPayload).length : res.rawPayload.length };
}

/** The `href`s of the stylesheets a page links. */
function stylesheets(page: string): string[] {
  return [...page.matchAll(/<link\b[^>]*\brel="stylesheet"[^>]*>/g)].map((m) => /\bhref="([^"]+)"/.exec(m[0])?.[1] ?? '').filter(Boolean);
}

for (const engine of ENGINES) {
  describe(`page weight (${engine})`, () => {
    let t: TestApp;
    let fixture: PagesFixture;
    const sessions: Record<'member' | 'admin' | 'follower', string> = { member: '', admin: '', follower: '' };
    const rows: Row[] = [];

    before(async () => {
      t = await buildTestApp(engine);
      fixture = await seedPages(t.db.db, t.app);
      sessions.member = (await loginAs(t, { name: 'Member Person' })).cookie;
      sessions.admin = (await loginAs(t, { admin: true, name: 'Admin Person' })).cookie;
      sessions.follower = (await loginAs(t, { name: 'Follower Person', roles: [[fixture.follower.id, 'member']] })).cookie;
    });

    after(async () => {
      await t?.close();
      if (!rows.length) return;
      const kb = (n: number) => (n / 1024).toFixed(1).padStart(6);
      const lines = rows.map(
        (r) => `${r.page.padEnd(22)} ${r.locale}  ${kb(r.html)} ${kb(r.css)} ${kb(r.html + r.css)}  ${kb(r.htmlRaw)}${r.html + r.css > BUDGET ? '  OVER BUDGET' : ''}`,
      );
      console.log(
        `\nPage weight on ${engine} (kB = 1024 bytes; gzip as sent; budget ${BUDGET / 1024} kB for HTML + CSS)\n` +
          `${'page'.padEnd(22)} lang  html.gz css.gz  total  html raw\n${lines.join('\n')}\n`,
      );
    });

    test('the data is realistic: 60 struggles in 30 countries', () => {
      assert.equal(fixture.strugglesByCountry.size, 30);
      assert.equal([...fixture.strugglesByCountry.values()].reduce((a, b) => a + b, 0), 60);
    });

    for (const locale of ['en', 'de'] as const) {
      for (const spec of PAGES) {
        test(`${spec.name} (${locale}) ≤ ${BUDGET / 1024} kB gzip with its CSS`, async (tc) => {
          const path = spec.path(fixture);
          assert.ok(path !== null, 'the fixture has a network for this page');
          const cookie = [`locale=${locale}`, spec.as ? sessions[spec.as] : ''].filter(Boolean).join('; ');
          const headers = { 'accept-encoding': 'gzip', 'accept-language': locale };
          let res;
          if (spec.submitEmpty) {
            const s = await formSession(t, path, cookie);
            res = await t.app.inject({
              method: 'POST',
              url: path,
              headers: { ...headers, cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
              payload: form({ _csrf: s.csrf }),
            });
          } else {
            res = await t.app.inject({ method: 'GET', url: path, headers: { ...headers, cookie } });
          }
          assert.equal(res.statusCode, spec.status ?? 200);
          const htmlSize = sizes(res);
          const gzipped = res.headers['content-encoding'] === 'gzip';
          const body = (gzipped ? gunzipSync(res.rawPayload) : res.rawPayload).toString('utf8');
          assert.match(body, new RegExp(`<html lang="${locale}"`));

          const sheets = stylesheets(body);
          assert.ok(sheets.includes('/static/style.css'), 'the page links /static/style.css');
          let css = 0;
          for (const href of sheets) {
            const r = await t.app.inject({ method: 'GET', url: href, headers });
            assert.equal(r.statusCode, 200, `${href} is served`);
            css += sizes(r).wire;
          }

          rows.push({ page: spec.name, locale, html: htmlSize.wire, htmlRaw: htmlSize.raw, css });
          assert.ok(
            htmlSize.wire + css <= BUDGET,
            `${path} (${locale}): ${htmlSize.wire} B HTML + ${css} B CSS = ${htmlSize.wire + css} B gzip > ${BUDGET} B`,
          );
          await tc.test('the HTML is sent gzip-compressed (it is above the 1 kB threshold of @fastify/compress)', () => {
            assert.ok(htmlSize.raw > 1024, 'the page is big enough to be compressed');
            assert.equal(
              res.headers['content-encoding'],
              'gzip',
              spec.status === 404
                ? 'the 404 page must go through a route (a catch-all GET in src/http/error-handler.ts): ' +
                    '@fastify/compress attaches its onSend hook per route, and a not-found handler is none'
                : 'HTML is sent compressed',
            );
          });
        });
      }
    }
  });
}
