import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { ENGINES } from '../../../test/helpers/db.ts';
import { formSession, loginAs, useTestApp, postForm } from '../../../test/helpers/app.ts';
import { loadViewer, tokenHash } from './accounts.service.ts';

const PASSWORD = 'correct horse battery';
const UA = 'Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0';

function sessionToken(res: LightMyRequestResponse): string | undefined {
  return res.cookies.find((c) => c.name === 'sid')?.value;
}

for (const engine of ENGINES) {
  describe(`passkeys (${engine})`, () => {
    const t = useTestApp(engine);

    /** A signed-in account (plain session, no second factor proven) with its e-mail. */
    async function account(o: { roles?: [string, 'admin' | 'member'][] } = {}) {
      const who = await loginAs(t, { roles: o.roles, name: 'Ana Lima' });
      const user = await t.db.db.selectFrom('users').select('email').where('id', '=', who.userId).executeTakeFirstOrThrow();
      return { ...who, email: user.email };
    }

    /** POSTs a form of `page` (fetched first for its CSRF token) with `cookie`. */
    const post = (page: string, url: string, values: Record<string, string>, cookie = '', headers: Record<string, string> = {}) => postForm(t, page, url, values, cookie, headers);

    /** Password step of the sign-in; returns the response and its session cookie. */
    async function signIn(email: string, next = '/') {
      const res = await post('/sign-in', '/sign-in', { email, password: PASSWORD, next }, '', { 'user-agent': UA });
      const token = sessionToken(res);
      return { res, token, cookie: token ? `sid=${token}` : '' };
    }

    /** Headers of a JSON call from our page: CSRF token of the page in x-csrf-token. */
    async function jsonHeaders(page: string, cookie: string) {
      const s = await formSession(t, page, cookie);
      return { cookie: s.cookie, 'content-type': 'application/json', 'x-csrf-token': s.csrf };
    }

    async function fakePasskey(userId: string, id = 'cred-1') {
      await t.db.db
        .insertInto('passkeys')
        .values({ id, user_id: userId, public_key: Buffer.from('not a key').toString('base64url'), counter: 0, transports: 'internal', name: 'Laptop', created_at: new Date().toISOString(), last_used_at: null })
        .execute();
    }

    test('registration: options store a challenge; garbage responses are 400 problems and use the challenge up', async () => {
      const a = await account();
      const headers = await jsonHeaders('/account/security', a.cookie);
      const opts = await t.app.inject({ method: 'POST', url: '/account/security/passkeys/options', headers, payload: '{}' });
      assert.equal(opts.statusCode, 200);
      const o = opts.json();
      assert.equal(o.rp.name, 'Solidaris');
      assert.equal(o.rp.id, 'localhost');
      assert.equal(o.user.name, a.email);
      assert.equal(o.attestation, 'none');
      const stored = await t.db.db.selectFrom('sessions').select('webauthn_challenge').where('user_id', '=', a.userId).executeTakeFirstOrThrow();
      assert.equal(stored.webauthn_challenge, o.challenge);

      const garbage = await t.app.inject({
        method: 'POST',
        url: '/account/security/passkeys',
        headers,
        payload: JSON.stringify({ name: 'Laptop', response: { id: 'x', rawId: 'y', type: 'public-key', response: { clientDataJSON: 'zz', attestationObject: '!!' } } }),
      });
      assert.equal(garbage.statusCode, 400);
      assert.match(String(garbage.headers['content-type']), /^application\/problem\+json/);
      assert.equal(garbage.json().code, 'validation_failed');
      assert.equal(garbage.json().title, 'The passkey could not be checked. Please try again.');
      const cleared = await t.db.db.selectFrom('sessions').select('webauthn_challenge').where('user_id', '=', a.userId).executeTakeFirstOrThrow();
      assert.equal(cleared.webauthn_challenge, null);

      for (const payload of ['"garbage"', '[1,2,3]', 'null', '{"name":"Laptop"}', '{"name":"Laptop","response":42}', '{"name": ']) {
        await t.app.inject({ method: 'POST', url: '/account/security/passkeys/options', headers, payload: '{}' });
        const res = await t.app.inject({ method: 'POST', url: '/account/security/passkeys', headers, payload });
        assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${payload}: ${res.statusCode}`);
      }
      const noName = await t.app.inject({ method: 'POST', url: '/account/security/passkeys', headers, payload: '{"name":"","response":{}}' });
      assert.equal(noName.statusCode, 400);
      assert.equal(noName.json().errors[0].field, 'name');
      assert.equal((await t.db.db.selectFrom('passkeys').select('id').execute()).length, 0);

      // Without the CSRF header, as text/plain, or signed out: refused.
      const { 'x-csrf-token': _, ...noToken } = headers;
      assert.equal((await t.app.inject({ method: 'POST', url: '/account/security/passkeys/options', headers: noToken, payload: '{}' })).statusCode, 403);
      assert.equal((await t.app.inject({ method: 'POST', url: '/account/security/passkeys/options', headers: { ...headers, 'content-type': 'text/plain' }, payload: '{}' })).statusCode, 415);
      const anonHeaders = await jsonHeaders('/sign-in', '');
      assert.equal((await t.app.inject({ method: 'POST', url: '/account/security/passkeys/options', headers: anonHeaders, payload: '{}' })).statusCode, 401);
    });

    test('sign-in with a passkey account: options bound to the pending session; garbage assertions are 400', async () => {
      const a = await account();
      await fakePasskey(a.userId);
      const s = await signIn(a.email, '/struggles');
      assert.equal(s.res.headers.location, '/sign-in/second-factor?next=%2Fstruggles');
      const page = await t.app.inject({ method: 'GET', url: '/sign-in/second-factor?next=%2Fstruggles', headers: { cookie: s.cookie } });
      assert.match(page.body, /data-passkey-sign-in="\/sign-in\/second-factor\/passkey"/);
      assert.match(page.body, /data-next="\/struggles"/);
      assert.doesNotMatch(page.body, /action="\/sign-in\/second-factor"/); // no TOTP on this account

      const headers = await jsonHeaders('/sign-in/second-factor', s.cookie);
      const opts = await t.app.inject({ method: 'POST', url: '/sign-in/second-factor/passkey/options', headers, payload: '{}' });
      assert.equal(opts.statusCode, 200);
      assert.deepEqual(opts.json().allowCredentials.map((c: { id: string }) => c.id), ['cred-1']);
      const stored = await t.db.db.selectFrom('sessions').select('webauthn_challenge').where('id', '=', tokenHash(s.token!)).executeTakeFirstOrThrow();
      assert.equal(stored.webauthn_challenge, opts.json().challenge);

      const verify = (payload: string) => t.app.inject({ method: 'POST', url: '/sign-in/second-factor/passkey', headers, payload });
      const bad = await verify(JSON.stringify({ next: '/struggles', response: { id: 'cred-1', rawId: 'cred-1', type: 'public-key', response: { clientDataJSON: 'e30', authenticatorData: 'AAAA', signature: 'AAAA' } } }));
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().code, 'validation_failed');
      for (const payload of ['{}', '"x"', '{"response":{"id":"unknown"}}', '{"response":']) {
        await t.app.inject({ method: 'POST', url: '/sign-in/second-factor/passkey/options', headers, payload: '{}' });
        const res = await verify(payload);
        assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${payload}: ${res.statusCode}`);
      }
      assert.equal(await loadViewer(t.db.db, s.token!), null);

      // Another account's credential does not complete this sign-in.
      const b = await account();
      await fakePasskey(b.userId, 'cred-b');
      await t.app.inject({ method: 'POST', url: '/sign-in/second-factor/passkey/options', headers, payload: '{}' });
      assert.equal((await verify('{"response":{"id":"cred-b"}}')).statusCode, 400);

      // No pending session: 401 problem.
      const anon = await jsonHeaders('/sign-in', '');
      const none = await t.app.inject({ method: 'POST', url: '/sign-in/second-factor/passkey/options', headers: anon, payload: '{}' });
      assert.equal(none.statusCode, 401);
      assert.equal(none.json().code, 'sign_in_required');
    });

    test('removing a passkey is audited; another account’s passkey is not found', async () => {
      const a = await account();
      const b = await account();
      await fakePasskey(a.userId, 'mine');
      await fakePasskey(b.userId, 'theirs');
      const page = await t.app.inject({ method: 'GET', url: '/account/security', headers: { cookie: a.cookie } });
      assert.match(page.body, /<td><bdi>Laptop<\/bdi><\/td>/);
      assert.match(page.body, /action="\/account\/security\/passkeys\/mine\/remove"/);
      const theirs = await post('/account/security', '/account/security/passkeys/theirs/remove', {}, a.cookie);
      assert.equal(theirs.statusCode, 404);
      const mine = await post('/account/security', '/account/security/passkeys/mine/remove', {}, a.cookie);
      assert.equal(mine.statusCode, 303);
      assert.deepEqual((await t.db.db.selectFrom('passkeys').select('id').execute()).map((r) => r.id), ['theirs']);
      const audit = await t.db.db.selectFrom('audit_events').select(['action', 'subject_id', 'organization_id', 'actor_user_id']).execute();
      assert.deepEqual(audit.map((e) => ({ ...e })), [{ action: 'second_factor.passkey_removed', subject_id: 'mine', organization_id: null, actor_user_id: a.userId }]);
    });

    test('the vendor script is served from the npm package with a long cache', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/static/vendor/simplewebauthn-browser.js?v=14.0.0' });
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /^text\/javascript/);
      assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable');
      assert.match(res.body, /^\/\* \[@simplewebauthn\/browser@14\.0\.0\] \*\//);
    });
  });
}
