import { describe, test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ENGINES } from '../../../test/helpers/db.ts';
import { useTestApp, form, formSession, type TestApp } from '../../../test/helpers/app.ts';
import { buildApp } from '../../app.ts';
import { createUser } from './accounts.service.ts';

const PASSWORD = 'correct horse battery';

/** Session cookie (`sid`) of a response, if it set one. */
function sessionCookie(res: { cookies: { name: string; value: string }[] }) {
  return res.cookies.find((c) => c.name === 'sid');
}

for (const engine of ENGINES) {
  describe(engine, () => {
    const t = useTestApp(engine);

    async function signIn(email: string, password: string, extra: Record<string, string> = {}) {
      const s = await formSession(t, '/sign-in');
      return t.app.inject({
        method: 'POST',
        url: '/sign-in',
        headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: form({ _csrf: s.csrf, email, password, ...extra }),
      });
    }

    describe('first-run setup', () => {
      // Each test here builds its own app on the (emptied) shared database: `needsSetup()`
      // remembers once an account exists.
      let s: TestApp;
      beforeEach(async () => {
        const app = await buildApp({ db: t.db.db, engine: t.db.engine, logLevel: 'silent', rateLimitPerMinute: 1000 });
        await app.ready();
        s = { app, db: t.db, close: () => app.close() };
      });
      afterEach(async () => {
        await s.close();
      });

      async function postSetup(values: Record<string, string>, headers: Record<string, string> = {}) {
        const f = await formSession(s, '/setup');
        return s.app.inject({
          method: 'POST',
          url: '/setup',
          headers: { cookie: f.cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers },
          payload: form({ _csrf: f.csrf, ...values }),
        });
      }

      test('is offered while there are no accounts: GET /setup 200 and the home page links to it', async () => {
        const page = await s.app.inject({ method: 'GET', url: '/setup' });
        assert.equal(page.statusCode, 200);
        assert.match(page.body, /<form method="post" action="\/setup"/);
        assert.match(page.body, /name="_csrf"/);
        const home = await s.app.inject({ method: 'GET', url: '/' });
        assert.equal(home.statusCode, 200);
        assert.match(home.body, /href="\/setup"/);
      });

      test('POST /setup creates a signed-in instance admin; afterwards /setup is gone', async () => {
        const res = await postSetup({ displayName: 'Ana López', email: 'Ana@Example.org', password: PASSWORD });
        assert.equal(res.statusCode, 303);
        assert.equal(res.headers.location, '/');
        const sid = sessionCookie(res);
        assert.ok(sid?.value, 'a session cookie is set');

        const rows = await s.db.db.selectFrom('users').selectAll().execute();
        assert.equal(rows.length, 1);
        assert.equal(rows[0]!.is_admin, 1);
        assert.equal(rows[0]!.email, 'Ana@Example.org');
        assert.equal(rows[0]!.email_key, 'ana@example.org');
        assert.equal(rows[0]!.display_name, 'Ana López');
        assert.match(rows[0]!.password_hash, /^\$argon2id\$/);

        // The new session works: the page header shows the account.
        const home = await s.app.inject({ method: 'GET', url: '/', headers: { cookie: `sid=${sid!.value}` } });
        assert.match(home.body, /Ana López/);
        assert.match(home.body, /action="\/sign-out"/);
        assert.doesNotMatch(home.body, /href="\/setup"/);

        assert.equal((await s.app.inject({ method: 'GET', url: '/setup' })).statusCode, 404);
      });

      test('a second POST /setup after the first admin exists is 404 and creates nobody', async () => {
        const f = await formSession(s, '/setup');
        const first = await s.app.inject({
          method: 'POST',
          url: '/setup',
          headers: { cookie: f.cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: form({ _csrf: f.csrf, displayName: 'First', email: 'first@example.org', password: PASSWORD }),
        });
        assert.equal(first.statusCode, 303);
        // A form loaded before the first admin was created, submitted afterwards.
        const late = await s.app.inject({
          method: 'POST',
          url: '/setup',
          headers: { cookie: f.cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: form({ _csrf: f.csrf, displayName: 'Intruder', email: 'intruder@example.org', password: PASSWORD }),
        });
        assert.equal(late.statusCode, 404);
        assert.equal(sessionCookie(late), undefined);
        const rows = await s.db.db.selectFrom('users').select('email').execute();
        assert.deepEqual(rows.map((r) => r.email), ['first@example.org']);
      });

      test('concurrent first-run submissions create exactly one administrator', async () => {
        const [a, b] = await Promise.all([formSession(s, '/setup'), formSession(s, '/setup')]);
        const post = (f: { csrf: string; cookie: string }, email: string) =>
          s.app.inject({
            method: 'POST',
            url: '/setup',
            headers: { cookie: f.cookie, 'content-type': 'application/x-www-form-urlencoded' },
            payload: form({ _csrf: f.csrf, displayName: email, email, password: PASSWORD }),
          });
        const results = await Promise.all([post(a, 'one@example.org'), post(b, 'two@example.org')]);
        const statuses = results.map((r) => r.statusCode).sort();
        assert.deepEqual(statuses, [303, 404]);
        const rows = await s.db.db.selectFrom('users').select('email').execute();
        assert.equal(rows.length, 1, `admins created: ${rows.map((r) => r.email).join(', ')}`);
      });

      test('bad input re-renders the form with 422 and field errors, and creates nobody', async () => {
        const res = await postSetup({ displayName: 'Ana <script>', email: 'not-an-email', password: 'short' });
        assert.equal(res.statusCode, 422);
        assert.match(res.headers['content-type'] as string, /text\/html/);
        assert.match(res.body, /class="error-summary"/);
        assert.match(res.body, /id="f-displayName"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="f-displayName"/);
        assert.match(res.body, /id="f-email-error"/);
        assert.match(res.body, /id="f-password-error"/);
        assert.match(res.body, /Names may not contain line breaks, angle brackets/);
        assert.match(res.body, /Use an e-mail address such as name@example.org/);
        assert.match(res.body, /Use at least 10 characters/);
        // The entered values come back escaped; the password never does.
        assert.doesNotMatch(res.body, /<script>/);
        assert.match(res.body, /value="not-an-email"/);
        assert.doesNotMatch(res.body, /value="short"/);
        assert.equal(sessionCookie(res), undefined);
        assert.equal((await s.db.db.selectFrom('users').select('id').execute()).length, 0);
        // Still offered.
        assert.equal((await s.app.inject({ method: 'GET', url: '/setup' })).statusCode, 200);
      });

      test('each bad field alone is named: short password, name with <, bad e-mail', async () => {
        const cases: [Record<string, string>, string][] = [
          [{ displayName: 'Ana', email: 'ana@example.org', password: '123456789' }, 'password'],
          [{ displayName: 'Ana > Bob', email: 'ana@example.org', password: PASSWORD }, 'displayName'],
          [{ displayName: 'Ana', email: 'ana@example', password: PASSWORD }, 'email'],
        ];
        for (const [values, fieldName] of cases) {
          const res = await postSetup(values);
          assert.equal(res.statusCode, 422, fieldName);
          assert.match(res.body, new RegExp(`id="f-${fieldName}-error"`), fieldName);
          const others = ['password', 'displayName', 'email'].filter((f) => f !== fieldName);
          for (const o of others) assert.doesNotMatch(res.body, new RegExp(`id="f-${o}-error"`), `${fieldName}: ${o}`);
        }
        assert.equal((await s.db.db.selectFrom('users').select('id').execute()).length, 0);
      });

      test('POST /setup without a CSRF token is 403 and creates nobody', async () => {
        const res = await s.app.inject({
          method: 'POST',
          url: '/setup',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: form({ displayName: 'Ana', email: 'ana@example.org', password: PASSWORD }),
        });
        assert.equal(res.statusCode, 403);
        assert.equal((await s.db.db.selectFrom('users').select('id').execute()).length, 0);
      });

      test('the first admin gets the locale of the setup request', async () => {
        const res = await postSetup(
          { displayName: 'Jonas', email: 'jonas@example.org', password: PASSWORD },
          { 'accept-language': 'de-DE,de;q=0.9' },
        );
        assert.equal(res.statusCode, 303);
        const row = await s.db.db.selectFrom('users').select('locale').executeTakeFirstOrThrow();
        assert.equal(row.locale, 'de');
      });
    });

    describe('sign-in and sign-out', () => {
      beforeEach(async () => {
        await createUser(t.db.db, { email: 'ana@example.org', displayName: 'Ana', password: PASSWORD });
      });

      test('the right password signs in: 303 to the local `next`, an HttpOnly SameSite=Lax session cookie', async () => {
        const res = await signIn('ANA@example.org', PASSWORD, { next: '/struggles' });
        assert.equal(res.statusCode, 303);
        assert.equal(res.headers.location, '/struggles');
        const sid = sessionCookie(res);
        assert.ok(sid?.value);
        const raw = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((h) => h.startsWith('sid='))!;
        assert.match(raw, /;\s*HttpOnly/i);
        assert.match(raw, /;\s*SameSite=Lax/i);
        assert.match(raw, /;\s*Path=\//i);
        assert.doesNotMatch(raw, /;\s*Secure/i, 'not Secure without TLS');
        const home = await t.app.inject({ method: 'GET', url: '/', headers: { cookie: `sid=${sid!.value}` } });
        assert.match(home.body, /action="\/sign-out"/);
        assert.match(home.body, />Ana</);
      });

      test('an off-site `next` is replaced by /', async () => {
        for (const next of ['//evil.example/', 'https://evil.example/', '/\\evil.example']) {
          const res = await signIn('ana@example.org', PASSWORD, { next });
          assert.equal(res.statusCode, 303);
          assert.equal(res.headers.location, '/', next);
        }
      });

      test('a wrong password and an unknown e-mail get the same generic 422 and no session', async () => {
        const wrong = await signIn('ana@example.org', 'wrong password!!');
        const unknown = await signIn('nobody@example.org', PASSWORD);
        const malformed = await signIn('no-at', PASSWORD);
        for (const res of [wrong, unknown, malformed]) {
          assert.equal(res.statusCode, 422);
          assert.match(res.body, /The e-mail address or the password is not right\./);
          assert.equal(sessionCookie(res), undefined);
        }
        const message = (body: string) => /<p class="error-summary" role="alert">([^<]*)<\/p>/.exec(body)?.[1];
        assert.equal(message(wrong.body), message(unknown.body));
        // The e-mail is kept in the form; the password is not.
        assert.match(wrong.body, /value="ana@example.org"/);
        assert.doesNotMatch(wrong.body, /wrong password!!/);
        assert.equal((await t.db.db.selectFrom('sessions').select('id').execute()).length, 0);
      });

      test('session tokens are stored only as their SHA-256', async () => {
        const res = await signIn('ana@example.org', PASSWORD);
        const token = sessionCookie(res)!.value;
        const rows = await t.db.db.selectFrom('sessions').selectAll().execute();
        assert.equal(rows.length, 1);
        const stored = JSON.stringify(rows);
        assert.ok(!stored.includes(token), 'the cookie value is not in the sessions table');
        assert.equal(rows[0]!.id, createHash('sha256').update(token).digest('hex'));
        assert.ok(token.length >= 43, 'at least 256 bits of token');
      });

      test('sign-out deletes the session row, clears the cookie, and the old cookie no longer works', async () => {
        const signedIn = await signIn('ana@example.org', PASSWORD);
        const sid = `sid=${sessionCookie(signedIn)!.value}`;
        // The sign-out form is on every page for a signed-in viewer.
        const f = await formSession(t, '/', sid);
        const out = await t.app.inject({
          method: 'POST',
          url: '/sign-out',
          headers: { cookie: f.cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: form({ _csrf: f.csrf }),
        });
        assert.equal(out.statusCode, 303);
        assert.equal(out.headers.location, '/');
        const cleared = sessionCookie(out);
        assert.ok(cleared, 'the session cookie is cleared');
        assert.equal(cleared!.value, '');
        assert.equal((await t.db.db.selectFrom('sessions').select('id').execute()).length, 0);

        const home = await t.app.inject({ method: 'GET', url: '/', headers: { cookie: sid } });
        assert.equal(home.statusCode, 200);
        assert.doesNotMatch(home.body, /action="\/sign-out"/);
        assert.match(home.body, /href="\/sign-in\?next=%2F"/);
      });

      test('POST /sign-out without a CSRF token is 403 and keeps the session', async () => {
        const signedIn = await signIn('ana@example.org', PASSWORD);
        const res = await t.app.inject({ method: 'POST', url: '/sign-out', headers: { cookie: `sid=${sessionCookie(signedIn)!.value}` } });
        assert.equal(res.statusCode, 403);
        assert.equal((await t.db.db.selectFrom('sessions').select('id').execute()).length, 1);
      });

      test('POST /sign-in without a CSRF token is 403 and starts no session', async () => {
        const res = await t.app.inject({
          method: 'POST',
          url: '/sign-in',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: form({ email: 'ana@example.org', password: PASSWORD }),
        });
        assert.equal(res.statusCode, 403);
        assert.equal(sessionCookie(res), undefined);
        assert.equal((await t.db.db.selectFrom('sessions').select('id').execute()).length, 0);
      });

      test('a CSRF token from another browser is refused', async () => {
        const mine = await formSession(t, '/sign-in');
        const theirs = await formSession(t, '/sign-in');
        const res = await t.app.inject({
          method: 'POST',
          url: '/sign-in',
          headers: { cookie: mine.cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: form({ _csrf: theirs.csrf, email: 'ana@example.org', password: PASSWORD }),
        });
        assert.equal(res.statusCode, 403);
      });

      test('an unknown or expired session cookie is treated as signed out', async () => {
        const signedIn = await signIn('ana@example.org', PASSWORD);
        const token = sessionCookie(signedIn)!.value;
        await t.db.db.updateTable('sessions').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).execute();
        for (const cookie of [`sid=${token}`, 'sid=not-a-session']) {
          const home = await t.app.inject({ method: 'GET', url: '/', headers: { cookie } });
          assert.equal(home.statusCode, 200);
          assert.doesNotMatch(home.body, /action="\/sign-out"/, cookie);
        }
      });
    });

    describe('locale', () => {
      test("an account's locale is used when there is no locale cookie; the cookie wins over it", async () => {
        await createUser(t.db.db, { email: 'jonas@example.org', displayName: 'Jonas', password: PASSWORD, locale: 'de' });
        const signedIn = await signIn('jonas@example.org', PASSWORD);
        const sid = `sid=${sessionCookie(signedIn)!.value}`;

        const own = await t.app.inject({ method: 'GET', url: '/', headers: { cookie: sid, 'accept-language': 'en-US,en;q=0.9' } });
        assert.match(own.body, /<html lang="de"/);
        assert.match(own.body, /Abmelden/);

        const chosen = await t.app.inject({ method: 'GET', url: '/', headers: { cookie: `${sid}; locale=en`, 'accept-language': 'de' } });
        assert.match(chosen.body, /<html lang="en"/);
        assert.match(chosen.body, /Sign out/);

        // Signed out, the browser's language decides.
        const anon = await t.app.inject({ method: 'GET', url: '/', headers: { 'accept-language': 'de' } });
        assert.match(anon.body, /<html lang="de"/);
        const anonEn = await t.app.inject({ method: 'GET', url: '/' });
        assert.match(anonEn.body, /<html lang="en"/);
      });

      test('the failed sign-in message follows the request locale', async () => {
        const s = await formSession(t, '/sign-in');
        const res = await t.app.inject({
          method: 'POST',
          url: '/sign-in',
          headers: { cookie: `${s.cookie}; locale=de`, 'content-type': 'application/x-www-form-urlencoded' },
          payload: form({ _csrf: s.csrf, email: 'nobody@example.org', password: PASSWORD }),
        });
        assert.equal(res.statusCode, 422);
        assert.match(res.body, /Die E-Mail-Adresse oder das Passwort stimmt nicht\./);
      });
    });

    describe('rate limit', () => {
      test('the 4th sign-in POST within a minute answers 429 with retry-after (limit 3)', async () => {
        // The shared test database (from createTestDb), under an app built with a limit of 3.
        const db = t.db;
        const app = await buildApp({ db: db.db, engine: db.engine, logLevel: 'silent', rateLimitPerMinute: 3 });
        try {
          await app.ready();
          const r: TestApp = { app, db, close: async () => {} };
          await createUser(db.db, { email: 'ana@example.org', displayName: 'Ana', password: PASSWORD });
          const s = await formSession(r, '/sign-in');
          const post = () =>
            app.inject({
              method: 'POST',
              url: '/sign-in',
              headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
              payload: form({ _csrf: s.csrf, email: 'ana@example.org', password: 'wrong password!!' }),
            });
          const statuses: number[] = [];
          for (let i = 0; i < 3; i++) statuses.push((await post()).statusCode);
          assert.deepEqual(statuses, [422, 422, 422]);
          const fourth = await post();
          assert.equal(fourth.statusCode, 429);
          assert.ok(fourth.headers['retry-after'], 'retry-after header');
          assert.ok(Number(fourth.headers['retry-after']) > 0);
          assert.match(fourth.headers['content-type'] as string, /text\/html/);
          // Even the right password is refused while limited.
          const right = await app.inject({
            method: 'POST',
            url: '/sign-in',
            headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
            payload: form({ _csrf: s.csrf, email: 'ana@example.org', password: PASSWORD }),
          });
          assert.equal(right.statusCode, 429);
          assert.equal(sessionCookie(right), undefined);
          // Reading pages is not limited.
          assert.equal((await app.inject({ method: 'GET', url: '/sign-in' })).statusCode, 200);
        } finally {
          await app.close();
        }
      });
    });

    test('GET /sign-in renders the form with a CSRF field and keeps a local `next`', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/sign-in?next=%2Fstruggles' });
      assert.equal(res.statusCode, 200);
      assert.match(res.body, /<form method="post" action="\/sign-in"/);
      assert.match(res.body, /name="_csrf" value="[^"]+"/);
      assert.match(res.body, /name="next" value="\/struggles"/);
      const offsite = await t.app.inject({ method: 'GET', url: '/sign-in?next=%2F%2Fevil.example' });
      assert.match(offsite.body, /name="next" value="\/"/);
    });
  });
}

