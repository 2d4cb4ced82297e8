import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES } from '../helpers/db.ts';
import { useTestApp, formSession, form, loginAs, postForm } from '../helpers/app.ts';
import { createSession, createUser } from '../../src/modules/accounts/accounts.service.ts';
import { safeLocalPath } from '../../src/web/reply.ts';
import { emailKey } from '../../src/lib/email.ts';
import { isolate } from '../../src/i18n/i18n.ts';
import { FieldChecker } from '../../src/lib/validate.ts';
import { canonicalTimeZone } from '../../src/lib/time.ts';

/**
 * Hostile input against the account flows, from a session of trying to break them: redirects
 * after sign-in stay on the site, repeated form fields and malformed URLs get a 4xx page (never a
 * 500 or Fastify's raw JSON), addresses and names with control or direction characters are
 * refused, and plain-text isolation holds even for values stored before those checks.
 */

describe('safeLocalPath: only paths on this site', () => {
  test('tabs, line breaks and other controls anywhere, backslashes and schemes give /', () => {
    for (const bad of ['/\t/evil.example', '/\n/evil.example', '/%0d%0aX:1'.replace('%0d%0a', '\r\n'), '//evil.example', '/\\evil.example', 'https://evil.example', ' /x', '/a b', '/\u2028x', 'javascript:alert(1)', '', 42, null]) {
      assert.equal(safeLocalPath(bad), '/', JSON.stringify(bad));
    }
    for (const good of ['/', '/organizations/kollektiv-nord?tab=members', '/struggles?q=Anh%C3%B6rung', '/invitations/abc_DEF-123']) assert.equal(safeLocalPath(good), good);
  });
});

describe('e-mail addresses and names refuse control and direction characters', () => {
  test('emailKey refuses NUL, controls, bidi marks, angle brackets and addresses over 254 characters', () => {
    for (const bad of ['x7\u0000@example.org', '<script>@example.org', '\u202ex10@example.org', 'a\u2069@example.org', 'a"b@example.org', `${'a'.repeat(250)}@example.org`]) {
      assert.equal(emailKey(bad), null, JSON.stringify(bad));
    }
    assert.equal(emailKey('Ayşe.Demir+union@Example.ORG'), 'ayşe.demir+union@example.org');
  });

  test('names (noAngles) refuse embedding, override and isolate characters; isolate() drops stray isolate marks', () => {
    const c = new FieldChecker();
    assert.equal(c.line('name', 'Carol\u2069\u202e', { noAngles: true }), null);
    assert.equal(c.line('name', 'لجنة التضامن', { noAngles: true }), 'لجنة التضامن');
    assert.deepEqual(c.errors.map((e) => e.messageId), ['validation.name_characters']);
    assert.equal(isolate('Carol\u2069\u202e'), '\u2068Carol\u202e\u2069');
  });
});

describe('time zones are stored by their canonical IANA name', () => {
  test('case is corrected, aliases ICU knows are accepted, offsets and unknown names refused', () => {
    assert.equal(canonicalTimeZone('europe/berlin'), 'Europe/Berlin');
    assert.equal(canonicalTimeZone(' Asia/Tehran '), 'Asia/Tehran');
    assert.equal(canonicalTimeZone('UTC'), 'UTC');
    assert.equal(canonicalTimeZone('Europe/Kyiv'), 'Europe/Kyiv');
    assert.equal(canonicalTimeZone('Asia/Kolkata'), 'Asia/Kolkata');
    assert.equal(canonicalTimeZone('asia/kolkata'), 'Asia/Calcutta', 'ICU spelling when the input is not spelled like a zone');
    for (const bad of ['+01:00', 'GMT+1', 'Mars/Olympus', '', 'Europe/../etc', 42, null]) assert.equal(canonicalTimeZone(bad), null, String(bad));
  });
});

for (const engine of ENGINES) {
  describe(`hostile requests (${engine})`, () => {
    const t = useTestApp(engine);

    test('sign-in with a next that hides //host behind a tab, or a line break, lands on /', async () => {
      await createUser(t.db.db, { email: 'bob@example.org', displayName: 'Bob', password: 'correct horse battery' });
      for (const next of ['/\t/evil.example', '/\r\nX:1']) {
        const res = await postForm(t, '/sign-in', '/sign-in', { email: 'bob@example.org', password: 'correct horse battery', next });
        assert.equal(res.statusCode, 303, JSON.stringify(next));
        assert.equal(res.headers.location, '/');
      }
    });

    test('a repeated form field is refused with 422 naming it, and nothing is stored', async () => {
      const s = await formSession(t, '/password-reset');
      const res = await t.app.inject({
        method: 'POST',
        url: '/password-reset',
        headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: `${form({ _csrf: s.csrf, email: 'bob@example.org' })}&email=carol%40example.org`,
      });
      assert.equal(res.statusCode, 422);
      assert.match(res.body, /The field “email” was sent more than once/);
      const setup = await formSession(t, '/setup');
      const twice = await t.app.inject({
        method: 'POST',
        url: '/setup',
        headers: { cookie: setup.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: `${form({ _csrf: setup.csrf, email: 'admin@example.org', displayName: 'Admin', password: 'correct horse battery' })}&password=correct+horse+battery`,
      });
      assert.equal(twice.statusCode, 422);
      assert.equal((await t.db.db.selectFrom('users').select('id').execute()).length, 0);
    });

    test('/setup refuses an address of a million characters with a labelled field error', async () => {
      const res = await postForm(t, '/setup', '/setup', { email: `${'a'.repeat(1_000_000)}@example.org`, displayName: 'Admin', password: 'correct horse battery' });
      assert.equal(res.statusCode, 422);
      assert.match(res.body, /E-mail address: /);
      assert.equal((await t.db.db.selectFrom('users').select('id').execute()).length, 0);
    });

    test('an invitation to an address with a NUL or a direction mark is refused', async () => {
      const admin = await loginAs(t, { admin: true });
      const org = await t.app.inject({ method: 'GET', url: '/organizations/new', headers: { cookie: admin.cookie } });
      assert.equal(org.statusCode, 200);
      const made = await postForm(t, '/organizations/new', '/organizations/new', { name: 'Test Union', kind: 'union', country: 'DE', visibility: 'public', descriptionLang: 'en' }, admin.cookie);
      const slug = made.headers.location!.split('/').pop()!;
      for (const email of ['x7\u0000@example.org', '\u202ex10@example.org']) {
        const res = await postForm(t, `/organizations/${slug}/members`, `/organizations/${slug}/members/invite`, { email, role: 'member' }, admin.cookie);
        assert.equal(res.statusCode, 422, JSON.stringify(email));
      }
      assert.equal((await t.db.db.selectFrom('invitations').select('id').execute()).length, 0);
    });

    test('a JSON body over the limit is 413 with code too_large', async () => {
      const user = await createUser(t.db.db, { email: 'big@example.org', displayName: 'Big', password: 'correct horse battery' });
      const cookie = `sid=${await createSession(t.db.db, user)}`;
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/organizations', headers: { cookie, 'content-type': 'application/json' }, payload: JSON.stringify({ name: 'x'.repeat(2_000_000) }) });
      assert.equal(res.statusCode, 413);
      assert.equal(res.json().code, 'too_large');
    });

    test('malformed percent-encoding and over-long path parameters get a translated 4xx page or problem+json with security headers', async () => {
      const page = await t.app.inject({ method: 'GET', url: '/invitations/%FF%FE', headers: { 'accept-language': 'de' } });
      assert.equal(page.statusCode, 400);
      assert.match(String(page.headers['content-type']), /text\/html/);
      assert.match(page.body, /<html lang="de"/);
      assert.ok(!page.body.includes('FST_ERR'), page.body);
      assert.match(String(page.headers['content-security-policy']), /frame-ancestors 'none'/);
      assert.equal(page.headers['x-content-type-options'], 'nosniff');
      const api = await t.app.inject({ method: 'GET', url: '/api/v1/organizations/%FF' });
      assert.equal(api.statusCode, 400);
      assert.match(String(api.headers['content-type']), /application\/problem\+json/);
      assert.equal(api.json().code, 'bad_request');
      const user = await createUser(t.db.db, { email: 'long@example.org', displayName: 'Long', password: 'correct horse battery' });
      const cookie = `sid=${await createSession(t.db.db, user)}`;
      const long = await t.app.inject({ method: 'GET', url: `/organizations/${'a'.repeat(5000)}`, headers: { cookie } });
      assert.ok(long.statusCode >= 400 && long.statusCode < 500, String(long.statusCode));
      assert.ok(!long.body.includes('FST_ERR'), long.body.slice(0, 200));
    });
  });
}
