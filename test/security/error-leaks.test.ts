import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { ENGINES, createTestDb, type TestDb } from '../helpers/db.ts';
import { buildTestApp, cookiesFrom, form, formSession, type TestApp } from '../helpers/app.ts';
import { createSession, createUser } from '../../src/modules/accounts/accounts.service.ts';
import { makeNetwork, makeOrganization, makeStruggle } from '../helpers/factories.ts';

/**
 * Errors and responses reveal nothing: no stack trace, file path, SQL or exception text in a 500;
 * a record the reader may not see answers exactly like one that does not exist; every HTML page
 * carries the security headers; session cookies are HttpOnly, SameSite=Lax and, behind TLS, Secure.
 */

const SECRET = 'hunter2 at /srv/solidaris/src/db/secret.ts:42 SELECT password_hash FROM users';
/** What an internal error must never show. */
const INTERNALS: [string, RegExp][] = [
  ['the exception text', /hunter2|password_hash/i],
  ['a file path', /\/srv\/|\/work\/|node_modules|[\w-]+\.(?:ts|js):\d+/],
  ['a stack frame', /\bat (?:async )?[\w.<>]+ \(|\n\s+at /],
  ['SQL or a database message', /\bSELECT\b|\bFROM\b|no such table|relation "|does not exist|SQLITE|syntax error/i],
  ['an error class name', /\b(?:TypeError|SqliteError|DatabaseError|Error:)/],
];

function assertNoInternals(res: LightMyRequestResponse, what: string) {
  for (const [name, re] of INTERNALS) assert.doesNotMatch(res.body, re, `${what} shows ${name}`);
}

const isHtml = (res: LightMyRequestResponse) => String(res.headers['content-type'] ?? '').startsWith('text/html');

/** The security headers every HTML answer needs. */
function assertSecurityHeaders(res: LightMyRequestResponse, what: string) {
  const csp = String(res.headers['content-security-policy'] ?? '');
  assert.ok(csp, `${what}: no Content-Security-Policy`);
  const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).filter((p) => p[0]).map(([k, ...v]) => [k!, v]));
  const scriptSrc = directives.get('script-src') ?? directives.get('default-src') ?? [];
  assert.ok(scriptSrc.length, `${what}: CSP without script-src/default-src`);
  assert.ok(!scriptSrc.includes("'unsafe-inline'") && !scriptSrc.includes("'unsafe-eval'") && !scriptSrc.includes('*'), `${what}: script-src ${scriptSrc.join(' ')}`);
  assert.deepEqual(directives.get('frame-ancestors'), ["'none'"], `${what}: frame-ancestors`);
  assert.deepEqual(directives.get('object-src'), ["'none'"], `${what}: object-src`);
  assert.equal(res.headers['x-content-type-options'], 'nosniff', `${what}: X-Content-Type-Options`);
  assert.ok(res.headers['referrer-policy'], `${what}: Referrer-Policy`);
  assert.doesNotMatch(String(res.headers['referrer-policy']), /unsafe-url|no-referrer-when-downgrade/, `${what}: Referrer-Policy leaks full URLs`);
}

/** Neutralizes the per-response CSRF token so two renderings of the same page compare equal. */
const withoutCsrf = (body: string) => body.replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value=""');

for (const engine of ENGINES) {
  describe(`error pages and problem documents leak nothing (${engine})`, () => {
    let db: TestDb;
    let app: FastifyInstance;
    let outsider = '';
    // Same length as the hidden slugs below, so even Content-Length cannot tell them apart.
    const hidden = { struggle: 'zz-hidden-case-0001', organization: 'zz-hidden-group-001' };
    const missing = { struggle: 'zz-absent-case-0001', organization: 'zz-absent-group-001' };

    before(async () => {
      db = await createTestDb(engine);
      // The production app plus test-only routes that throw (registered before ready()).
      app = await buildApp({ db: db.db, engine: db.engine, logLevel: 'silent', rateLimitPerMinute: 1000 });
      for (const prefix of ['/__test', '/api/__test']) {
        app.get(`${prefix}/boom`, { schema: { hide: true } }, async () => {
          throw new Error(SECRET);
        });
        app.get(`${prefix}/type-error`, { schema: { hide: true } }, async () => {
          const o = null as unknown as { x: { y: number } };
          return o.x.y;
        });
        app.get(`${prefix}/db-error`, { schema: { hide: true } }, async () => {
          await sql`SELECT password_hash FROM no_such_table_secret`.execute(db.db);
          return 'unreachable';
        });
        app.get(`${prefix}/status-error`, { schema: { hide: true } }, async () => {
          throw Object.assign(new Error(SECRET), { statusCode: 400 });
        });
      }
      await app.ready();
      const org = await makeOrganization(db.db, { name: 'Hidden group', slug: hidden.organization, visibility: 'private' });
      await makeStruggle(db.db, { title: 'Hidden case', slug: hidden.struggle, visibility: 'private', organization: hidden.organization });
      await makeOrganization(db.db, { name: 'Open group', slug: 'open-group', visibility: 'public' });
      await makeStruggle(db.db, { title: 'Open strike', slug: 'open-strike', visibility: 'public' });
      await makeNetwork(db.db, { name: 'Open network', slug: 'open-network' });
      void org;
      const userId = await createUser(db.db, { email: 'outsider@example.org', displayName: 'Outsider', password: 'correct horse battery' });
      outsider = `sid=${await createSession(db.db, userId)}`;
    });
    after(async () => {
      await app?.close();
      await db?.drop();
    });

    test('a 500 page and a 500 problem document say only "something went wrong"', async () => {
      for (const path of ['boom', 'type-error', 'db-error']) {
        const page = await app.inject({ method: 'GET', url: `/__test/${path}` });
        assert.equal(page.statusCode, 500, path);
        assert.ok(isHtml(page), path);
        assertNoInternals(page, `HTML ${path}`);
        assertSecurityHeaders(page, `HTML ${path}`);
        const api = await app.inject({ method: 'GET', url: `/api/__test/${path}` });
        assert.equal(api.statusCode, 500, path);
        assert.equal(api.headers['content-type'], 'application/problem+json; charset=utf-8');
        assertNoInternals(api, `API ${path}`);
        assert.deepEqual(api.json(), { type: 'urn:solidaris:problem:internal_error', title: 'Something went wrong on our side', status: 500, code: 'internal_error' });
      }
      const bad = await app.inject({ method: 'GET', url: '/api/__test/status-error' });
      assert.equal(bad.statusCode, 400);
      assertNoInternals(bad, 'a 4xx error carrying an exception message');
    });

    test('a real database failure on a real page is a 500 that shows no SQL', async () => {
      // Take a table away under the running app, then put it back.
      await sql`ALTER TABLE struggle_sources RENAME TO struggle_sources_gone`.execute(db.db);
      try {
        for (const url of ['/struggles/open-strike', '/api/v1/struggles/open-strike']) {
          const res = await app.inject({ method: 'GET', url });
          assert.equal(res.statusCode, 500, url);
          assertNoInternals(res, url);
          assert.doesNotMatch(res.body, /struggle_sources/, url);
        }
      } finally {
        await sql`ALTER TABLE struggle_sources_gone RENAME TO struggle_sources`.execute(db.db);
      }
      assert.equal((await app.inject({ method: 'GET', url: '/struggles/open-strike' })).statusCode, 200);
    });

    test('a record the reader may not see and one that never existed give byte-identical 404s', async () => {
      const pairs: [string, string][] = [
        [`/struggles/${hidden.struggle}`, `/struggles/${missing.struggle}`],
        [`/struggles/${hidden.struggle}/edit`, `/struggles/${missing.struggle}/edit`],
        [`/organizations/${hidden.organization}`, `/organizations/${missing.organization}`],
        [`/organizations/${hidden.organization}/edit`, `/organizations/${missing.organization}/edit`],
        [`/api/v1/struggles/${hidden.struggle}`, `/api/v1/struggles/${missing.struggle}`],
        [`/api/v1/organizations/${hidden.organization}`, `/api/v1/organizations/${missing.organization}`],
      ];
      for (const cookie of ['', outsider]) {
        const who = cookie ? 'signed-in outsider' : 'anonymous';
        for (const [h, m] of pairs) {
          const a = await app.inject({ method: 'GET', url: h, headers: cookie ? { cookie } : {} });
          const b = await app.inject({ method: 'GET', url: m, headers: cookie ? { cookie } : {} });
          if (h.endsWith('/edit') && !cookie) {
            // Sign-in comes first for an edit page, whatever the record.
            assert.equal(a.statusCode, 401, `${who} ${h}`);
          } else {
            assert.equal(a.statusCode, 404, `${who} ${h}`);
          }
          assert.equal(a.statusCode, b.statusCode, `${who} ${h}`);
          assert.equal(a.headers['content-type'], b.headers['content-type'], `${who} ${h}`);
          // The page echoes its own URL (language form, sign-in link); the token differs per response.
          const hiddenSlug = h.includes('organizations') ? hidden.organization : hidden.struggle;
          const missingSlug = h.includes('organizations') ? missing.organization : missing.struggle;
          assert.equal(withoutCsrf(a.body).replaceAll(hiddenSlug, '{slug}'), withoutCsrf(b.body).replaceAll(missingSlug, '{slug}'), `${who} ${h}`);
          if (h.startsWith('/api/')) assert.equal(a.body, b.body, `${who} ${h}: the problem document is byte-identical`);
          assert.equal(a.headers['content-length'], b.headers['content-length'], `${who} ${h}: Content-Length`);
          assert.doesNotMatch(a.body, /Hidden (group|case)/, `${who} ${h}`);
        }
      }
      // Writes to a hidden record answer like writes to a missing one, too.
      for (const [method, h, m, body] of [
        ['PUT', `/api/v1/struggles/${hidden.struggle}`, `/api/v1/struggles/${missing.struggle}`, { title: 'x', kind: 'strike', sector: 'mining', country: 'DE', startDate: '2026-01-01' }],
        ['POST', `/api/v1/struggles/${hidden.struggle}/updates`, `/api/v1/struggles/${missing.struggle}/updates`, { date: '2026-01-01', body: 'x' }],
        ['PUT', `/api/v1/organizations/${hidden.organization}`, `/api/v1/organizations/${missing.organization}`, { name: 'x', kind: 'union', country: 'DE' }],
      ] as const) {
        const send = (url: string) => app.inject({ method, url, headers: { cookie: outsider, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
        const [a, b] = [await send(h), await send(m)];
        assert.equal(a.statusCode, 404, `${method} ${h}`);
        assert.equal(a.body, b.body, `${method} ${h}`);
      }
    });

    test('every HTML answer carries the CSP, nosniff, frame-ancestors and Referrer-Policy', async () => {
      let checked = 0;
      const urls = new Set<string>(['/no/such/page', '/__test/boom', `/struggles/${hidden.struggle}`, '/organizations/new', `/struggles/open-strike/edit`]);
      const fill: Record<string, string> = { organizations: 'open-group', struggles: 'open-strike', networks: 'open-network' };
      for (const r of app.routeTable) {
        if (r.method !== 'GET' || r.url.includes('*')) continue;
        const url = r.url.replace(/:slug/g, fill[/^\/(?:api\/v1\/)?(\w+)\//.exec(r.url)?.[1] ?? ''] ?? 'x').replace(/:\w+/g, 'x');
        urls.add(url);
      }
      for (const url of urls) {
        for (const cookie of ['', outsider]) {
          const res = await app.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} });
          assert.equal(res.headers['x-content-type-options'], 'nosniff', url);
          if (!isHtml(res)) continue;
          assertSecurityHeaders(res, `GET ${url} (${res.statusCode})`);
          checked += 1;
        }
      }
      // Form answers: a refused CSRF token (403), a form re-rendered with errors (422), a redirect.
      const s = await formSession({ app, db } as unknown as TestApp, '/sign-in');
      const posts = [
        await app.inject({ method: 'POST', url: '/sign-in', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form({ email: 'a@example.org', password: 'x' }) }),
        await app.inject({ method: 'POST', url: '/sign-in', headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: form({ _csrf: s.csrf, email: 'nobody@example.org', password: 'wrong password here' }) }),
      ];
      assert.deepEqual(posts.map((p) => p.statusCode), [403, 422]);
      for (const p of posts) {
        assert.ok(isHtml(p));
        assertSecurityHeaders(p, `POST /sign-in (${p.statusCode})`);
        checked += 1;
      }
      assert.ok(checked > 20, `only ${checked} HTML answers checked`);
    });
  });

  describe(`session cookies (${engine})`, () => {
    for (const secureCookies of [false, true]) {
      describe(secureCookies ? 'behind TLS (secureCookies: true)' : 'plain HTTP', () => {
        let t: TestApp;
        before(async () => {
          t = await buildTestApp(engine, { secureCookies });
          await createUser(t.db.db, { email: 'cookie@example.org', displayName: 'Cookie', password: 'correct horse battery' });
        });
        after(async () => {
          await t?.close();
        });

        test(`the session cookie is HttpOnly, SameSite=Lax${secureCookies ? ', Secure' : ''}; so is the CSRF secret`, async () => {
          const page = await t.app.inject({ method: 'GET', url: '/sign-in' });
          const m = /name="_csrf" value="([^"]+)"/.exec(page.body)!;
          const res = await t.app.inject({
            method: 'POST',
            url: '/sign-in',
            headers: { cookie: cookiesFrom(page), 'content-type': 'application/x-www-form-urlencoded' },
            payload: form({ _csrf: m[1]!, email: 'cookie@example.org', password: 'correct horse battery' }),
          });
          assert.equal(res.statusCode, 303);
          const raw = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
          const sid = raw.find((c) => c.startsWith('sid='));
          assert.ok(sid, 'a session cookie is set');
          assert.match(sid, /;\s*HttpOnly/i);
          assert.match(sid, /;\s*SameSite=Lax/i);
          assert.match(sid, /;\s*Path=\//i);
          if (secureCookies) assert.match(sid, /;\s*Secure/i);
          else assert.doesNotMatch(sid, /;\s*Secure/i);
          const csrfCookie = ([] as string[]).concat(page.headers['set-cookie'] ?? []).find((c) => c.startsWith('_csrf='));
          assert.ok(csrfCookie);
          assert.match(csrfCookie, /;\s*HttpOnly/i);
          assert.match(csrfCookie, /;\s*SameSite=Lax/i);
          if (secureCookies) assert.match(csrfCookie, /;\s*Secure/i);
          // The cookie carries a random token, not the account: its value is not the stored session id.
          const token = decodeURIComponent(sid.split(';')[0]!.slice(4));
          const stored = await t.db.db.selectFrom('sessions').select('id').execute();
          assert.ok(stored.length >= 1 && stored.every((r) => r.id !== token), 'only a hash of the token is stored');
          if (secureCookies) {
            assert.match(String(page.headers['strict-transport-security'] ?? ''), /max-age=\d+/, 'HSTS behind TLS');
          }
        });
      });
    }
  });
}
