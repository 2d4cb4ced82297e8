import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { generate } from 'otplib';
import { ENGINES } from '../../../test/helpers/db.ts';
import { form, formSession, loginAs, useTestApp, type TestApp, postForm } from '../../../test/helpers/app.ts';
import { makeOrganization } from '../../../test/helpers/factories.ts';
import { buildApp } from '../../app.ts';
import { createUser, loadViewer, tokenHash } from './accounts.service.ts';

const PASSWORD = 'correct horse battery';
const UA = 'Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0';

/** The RFC 6238 code of `secret` for time step `step` (30 s), as an authenticator app shows it. */
const codeAt = (secret: string, step: number) => generate({ secret, epoch: step * 30 });
const currentStep = () => Math.floor(Date.now() / 30_000);
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

function sessionToken(res: LightMyRequestResponse): string | undefined {
  return res.cookies.find((c) => c.name === 'sid')?.value;
}

for (const engine of ENGINES) {
  describe(`second factor (${engine})`, () => {
    const t = useTestApp(engine);

    /** A signed-in account (plain session, no second factor proven) with its e-mail. */
    async function account(o: { roles?: [string, 'admin' | 'member'][] } = {}) {
      const who = await loginAs(t, { roles: o.roles, name: 'Ana Lima' });
      const user = await t.db.db.selectFrom('users').select('email').where('id', '=', who.userId).executeTakeFirstOrThrow();
      return { ...who, email: user.email };
    }

    /** POSTs a form of `page` (fetched first for its CSRF token) with `cookie`. */
    const post = (page: string, url: string, values: Record<string, string>, cookie = '', headers: Record<string, string> = {}) => postForm(t, page, url, values, cookie, headers);

    /** Opens the security page and confirms TOTP with a code computed here; returns the secret, step and codes. */
    async function enableTotp(cookie: string) {
      const page = await t.app.inject({ method: 'GET', url: '/account/security', headers: { cookie } });
      const secret = /<code class="secret" translate="no">([A-Z2-7 ]+)<\/code>/.exec(page.body)![1]!.replace(/ /g, '');
      const step = currentStep();
      const res = await post('/account/security', '/account/security/totp', { code: await codeAt(secret, step) }, cookie);
      assert.equal(res.statusCode, 200, res.body.slice(0, 300));
      const codes = [...res.body.matchAll(/<li><code>([0-9a-z-]+)<\/code><\/li>/g)].map((m) => m[1]!);
      return { secret, step, codes, res };
    }

    /** Password step of the sign-in; returns the response and its session cookie. */
    async function signIn(email: string, next = '/') {
      const res = await post('/sign-in', '/sign-in', { email, password: PASSWORD, next }, '', { 'user-agent': UA });
      const token = sessionToken(res);
      return { res, token, cookie: token ? `sid=${token}` : '' };
    }

    test('the security page shows a QR code, the grouped key and the otpauth URI of a secret kept on the session', async () => {
      const anon = await t.app.inject({ method: 'GET', url: '/account/security' });
      assert.equal(anon.statusCode, 401);

      const a = await account();
      const res = await t.app.inject({ method: 'GET', url: '/account/security', headers: { cookie: a.cookie } });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['cache-control'], 'no-store');
      const grouped = /<code class="secret" translate="no">([A-Z2-7 ]+)<\/code>/.exec(res.body)![1]!;
      assert.match(grouped, /^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/);
      const secret = grouped.replace(/ /g, '');
      assert.equal(secret.length, 32); // 160 bits in base32
      const session = await t.db.db.selectFrom('sessions').select('totp_pending_secret').where('user_id', '=', a.userId).executeTakeFirstOrThrow();
      assert.equal(session.totp_pending_secret, secret);
      const uri = `otpauth://totp/Solidaris:${encodeURIComponent(a.email)}?secret=${secret}`;
      assert.ok(res.body.includes(uri.replace(/&/g, '&amp;')), 'otpauth URI on the page');
      assert.match(res.body, /issuer=Solidaris/);
      const img = /<img class="qr" src="data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)"[^>]* alt="([^"]+)"/.exec(res.body)!;
      assert.match(Buffer.from(img[1]!, 'base64').toString('utf8'), /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      assert.match(img[2]!, /QR code/);
      assert.match(res.body, /<script type="module" src="\/static\/passkeys.js"><\/script>/);
      // The header links the account and its security page.
      assert.match(res.body, /<a class="who" href="\/account"><bdi>Ana Lima<\/bdi><\/a>/);
      assert.match(res.body, /<a href="\/account\/security" aria-current="page">Security<\/a>/);
      // Reloading keeps the key being scanned.
      const again = await t.app.inject({ method: 'GET', url: '/account/security', headers: { cookie: a.cookie } });
      assert.ok(again.body.includes(grouped));
      const de = await t.app.inject({ method: 'GET', url: '/account/security', headers: { cookie: `${a.cookie}; locale=de` } });
      assert.match(de.body, /<h1>Sicherheit<\/h1>/);
    });

    test('a wrong or malformed code is 422 with a translated error; TOTP stays off', async () => {
      const a = await account();
      const page = await t.app.inject({ method: 'GET', url: '/account/security', headers: { cookie: a.cookie } });
      const secret = /<code class="secret" translate="no">([A-Z2-7 ]+)<\/code>/.exec(page.body)![1]!.replace(/ /g, '');
      const near = new Set(await Promise.all([-1, 0, 1, 2].map((d) => codeAt(secret, currentStep() + d))));
      let wrong = 123456;
      while (near.has(String(wrong).padStart(6, '0'))) wrong += 1;
      const res = await post('/account/security', '/account/security/totp', { code: String(wrong) }, a.cookie);
      assert.equal(res.statusCode, 422);
      assert.match(res.body, /This code is not right or was used already/);
      assert.match(res.body, /aria-invalid="true"/);
      const bad = await post('/account/security', '/account/security/totp', { code: '12ab' }, `${a.cookie}; locale=de`);
      assert.equal(bad.statusCode, 422);
      assert.match(bad.body, /Geben Sie die sechs Ziffern ein/);
      const user = await t.db.db.selectFrom('users').select(['totp_secret', 'totp_enabled_at']).where('id', '=', a.userId).executeTakeFirstOrThrow();
      assert.deepEqual({ ...user }, { totp_secret: null, totp_enabled_at: null });
    });

    test('confirming turns TOTP on, marks the session, and shows 10 recovery codes stored only as SHA-256', async () => {
      const a = await account();
      const { secret, step, codes, res } = await enableTotp(a.cookie);
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.equal(codes.length, 10);
      assert.equal(new Set(codes).size, 10);
      for (const c of codes) assert.match(c, /^[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$/);
      const user = await t.db.db.selectFrom('users').select(['totp_secret', 'totp_enabled_at', 'totp_last_step']).where('id', '=', a.userId).executeTakeFirstOrThrow();
      assert.equal(user.totp_secret, secret);
      assert.ok(user.totp_enabled_at);
      assert.ok(Math.abs(Number(user.totp_last_step) - step) <= 1);
      const session = await t.db.db.selectFrom('sessions').select(['totp_pending_secret', 'second_factor_at']).where('user_id', '=', a.userId).executeTakeFirstOrThrow();
      assert.equal(session.totp_pending_secret, null);
      assert.ok(session.second_factor_at);
      const stored = await t.db.db.selectFrom('recovery_codes').select(['code_hash', 'used_at']).where('user_id', '=', a.userId).execute();
      assert.deepEqual(stored.map((r) => r.code_hash).sort(), codes.map((c) => sha256(c.replace(/-/g, ''))).sort());
      assert.ok(stored.every((r) => r.used_at === null));
      const audit = await t.db.db.selectFrom('audit_events').select(['action', 'organization_id', 'actor_user_id', 'subject_id']).execute();
      assert.deepEqual(audit.map((e) => ({ ...e })), [{ action: 'second_factor.totp_enabled', organization_id: null, actor_user_id: a.userId, subject_id: a.userId }]);
      // The page now shows the state instead of the set-up.
      const page = await t.app.inject({ method: 'GET', url: '/account/security', headers: { cookie: a.cookie } });
      assert.match(page.body, /On since/);
      assert.match(page.body, /10 unused recovery codes left\./);
      assert.doesNotMatch(page.body, /class="qr"/);
    });

    test('sign-in with TOTP: the pending session is anonymous until a fresh code is given; a replayed code is refused', async () => {
      const a = await account();
      const { secret, step } = await enableTotp(a.cookie);
      const { res, token, cookie } = await signIn(a.email, '/struggles/new');
      assert.equal(res.statusCode, 303);
      assert.equal(res.headers.location, '/sign-in/second-factor?next=%2Fstruggles%2Fnew');
      const row = await t.db.db.selectFrom('sessions').selectAll().where('id', '=', tokenHash(token!)).executeTakeFirstOrThrow();
      assert.equal(Number(row.pending_second_factor), 1);
      assert.equal(row.user_agent, UA);
      assert.equal(row.second_factor_at, null);
      const minutes = (Date.parse(String(row.expires_at)) - Date.now()) / 60_000;
      assert.ok(minutes > 8 && minutes <= 10, `pending session lives ${minutes} minutes`);

      // Members-only page: denied; the header shows no account.
      const denied = await t.app.inject({ method: 'GET', url: '/struggles/new', headers: { cookie } });
      assert.equal(denied.statusCode, 401);
      assert.doesNotMatch(denied.body, /action="\/sign-out"><input[^>]*><a class="who"/);
      assert.equal(await loadViewer(t.db.db, token!), null);

      const page = await t.app.inject({ method: 'GET', url: '/sign-in/second-factor?next=%2Fstruggles%2Fnew', headers: { cookie } });
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /<form method="post" action="\/sign-in\/second-factor"/);
      assert.match(page.body, /name="next" value="\/struggles\/new"/);
      assert.match(page.body, /autocomplete="one-time-code"/);
      assert.match(page.body, /action="\/sign-in\/second-factor\/recovery"/);
      assert.doesNotMatch(page.body, /data-passkey-sign-in/);

      const send = (code: string) => post(`/sign-in/second-factor?next=%2Fstruggles%2Fnew`, '/sign-in/second-factor', { code, next: '/struggles/new' }, cookie);
      // The code used to confirm the set-up is spent (RFC 6238 §5.2).
      const replay = await send(await codeAt(secret, step));
      assert.equal(replay.statusCode, 422);
      assert.match(replay.body, /This code is not right or was used already/);
      assert.equal((await t.app.inject({ method: 'GET', url: '/struggles/new', headers: { cookie } })).statusCode, 401);

      // The next step's code is inside the ±1 step window.
      const ok = await send(await codeAt(secret, step + 1));
      assert.equal(ok.statusCode, 303);
      assert.equal(ok.headers.location, '/struggles/new');
      const done = await t.db.db.selectFrom('sessions').selectAll().where('id', '=', tokenHash(token!)).executeTakeFirstOrThrow();
      assert.equal(Number(done.pending_second_factor), 0);
      assert.ok(done.second_factor_at);
      assert.ok(Date.parse(String(done.expires_at)) - Date.now() > 29 * 86_400_000);
      const viewer = await loadViewer(t.db.db, token!);
      assert.equal(viewer?.secondFactorVerified, true);
      assert.equal((await t.app.inject({ method: 'GET', url: '/struggles/new', headers: { cookie } })).statusCode, 200);
      // The same code again (say, on another sign-in) is refused too.
      const second = await signIn(a.email);
      const again = await post('/sign-in/second-factor', '/sign-in/second-factor', { code: await codeAt(secret, step + 1) }, second.cookie);
      assert.equal(again.statusCode, 422);
    });

    test('accounts without a second factor sign in as before, with the User-Agent recorded', async () => {
      await createUser(t.db.db, { email: 'jo@example.org', displayName: 'Jo', password: PASSWORD });
      const { res, token } = await signIn('jo@example.org', '/struggles');
      assert.equal(res.statusCode, 303);
      assert.equal(res.headers.location, '/struggles');
      const row = await t.db.db.selectFrom('sessions').select(['pending_second_factor', 'user_agent']).where('id', '=', tokenHash(token!)).executeTakeFirstOrThrow();
      assert.deepEqual({ ...row, pending_second_factor: Number(row.pending_second_factor) }, { pending_second_factor: 0, user_agent: UA });
      // Without a pending sign-in the second step sends people on.
      const signedIn = await t.app.inject({ method: 'GET', url: '/sign-in/second-factor?next=%2Fstruggles', headers: { cookie: `sid=${token}` } });
      assert.equal(signedIn.statusCode, 303);
      assert.equal(signedIn.headers.location, '/struggles');
      const anon = await t.app.inject({ method: 'GET', url: '/sign-in/second-factor?next=%2Fstruggles' });
      assert.equal(anon.statusCode, 303);
      assert.equal(anon.headers.location, '/sign-in?next=%2Fstruggles');
    });

    test('a recovery code completes the sign-in once, is marked used and audited', async () => {
      const a = await account();
      const { codes } = await enableTotp(a.cookie);
      const first = await signIn(a.email);
      const ok = await post('/sign-in/second-factor', '/sign-in/second-factor/recovery', { recoveryCode: codes[3]!.toUpperCase().replace(/-/g, ' '), next: '/organizations' }, first.cookie);
      assert.equal(ok.statusCode, 303);
      assert.equal(ok.headers.location, '/organizations');
      const used = await t.db.db.selectFrom('recovery_codes').select('code_hash').where('user_id', '=', a.userId).where('used_at', 'is not', null).execute();
      assert.deepEqual(used.map((r) => r.code_hash), [sha256(codes[3]!.replace(/-/g, ''))]);
      const audit = await t.db.db.selectFrom('audit_events').select(['action', 'organization_id', 'details']).where('action', '=', 'second_factor.recovery_code_used').execute();
      assert.equal(audit.length, 1);
      assert.equal(audit[0]!.organization_id, null);
      assert.deepEqual(JSON.parse(audit[0]!.details), { remaining: 9 });

      const second = await signIn(a.email);
      const reused = await post('/sign-in/second-factor', '/sign-in/second-factor/recovery', { recoveryCode: codes[3]! }, second.cookie);
      assert.equal(reused.statusCode, 422);
      assert.match(reused.body, /This recovery code is not right or was used already/);
      assert.equal(await loadViewer(t.db.db, second.token!), null);
      const other = await post('/sign-in/second-factor', '/sign-in/second-factor/recovery', { recoveryCode: codes[4]! }, second.cookie);
      assert.equal(other.statusCode, 303);
      assert.ok(await loadViewer(t.db.db, second.token!));
    });

    test('turning TOTP off needs the current password and a current code', async () => {
      const a = await account();
      const { secret, step } = await enableTotp(a.cookie);
      const disable = (values: Record<string, string>) => post('/account/security', '/account/security/totp/disable', values, a.cookie);

      const wrongPassword = await disable({ password: 'not my password', code: await codeAt(secret, step + 1) });
      assert.equal(wrongPassword.statusCode, 422);
      assert.match(wrongPassword.body, /The password is not right/);
      const noCode = await disable({ password: PASSWORD, code: '000000' === (await codeAt(secret, step + 1)) ? '111111' : '000000' });
      assert.equal(noCode.statusCode, 422);
      assert.match(noCode.body, /id="f-disable-code-error"/);
      let user = await t.db.db.selectFrom('users').select('totp_secret').where('id', '=', a.userId).executeTakeFirstOrThrow();
      assert.equal(user.totp_secret, secret);

      const ok = await disable({ password: PASSWORD, code: await codeAt(secret, step + 1) });
      assert.equal(ok.statusCode, 303);
      assert.equal(ok.headers.location, '/account/security');
      user = await t.db.db.selectFrom('users').select('totp_secret').where('id', '=', a.userId).executeTakeFirstOrThrow();
      assert.equal(user.totp_secret, null);
      assert.equal((await t.db.db.selectFrom('recovery_codes').select('code_hash').where('user_id', '=', a.userId).execute()).length, 0);
      const actions = (await t.db.db.selectFrom('audit_events').select('action').orderBy('at').orderBy('id').execute()).map((e) => e.action);
      assert.deepEqual(actions, ['second_factor.totp_enabled', 'second_factor.totp_disabled']);
      // Signing in no longer asks for a code.
      const { res } = await signIn(a.email, '/struggles');
      assert.equal(res.headers.location, '/struggles');
    });

    test('new recovery codes need the password and a code; the old codes stop working', async () => {
      const a = await account();
      const { secret, step, codes: old } = await enableTotp(a.cookie);
      const res = await post('/account/security', '/account/security/recovery-codes', { password: PASSWORD, code: await codeAt(secret, step + 1) }, a.cookie);
      assert.equal(res.statusCode, 200);
      const fresh = [...res.body.matchAll(/<li><code>([0-9a-z-]+)<\/code><\/li>/g)].map((m) => m[1]!);
      assert.equal(fresh.length, 10);
      const stored = (await t.db.db.selectFrom('recovery_codes').select('code_hash').where('user_id', '=', a.userId).execute()).map((r) => r.code_hash).sort();
      assert.deepEqual(stored, fresh.map((c) => sha256(c.replace(/-/g, ''))).sort());
      assert.ok(old.every((c) => !stored.includes(sha256(c.replace(/-/g, '')))));
      const refused = await post('/account/security', '/account/security/recovery-codes', { password: PASSWORD, code: old[0]! }, a.cookie);
      assert.equal(refused.statusCode, 422);
      const audit = await t.db.db.selectFrom('audit_events').select('action').where('action', '=', 'second_factor.recovery_codes_regenerated').execute();
      assert.equal(audit.length, 1);
    });

    test('an admin role held back by require_second_factor is explained, and given after a sign-in with TOTP', async () => {
      const org = await makeOrganization(t.db.db, { name: 'Miners’ Union' });
      await t.db.db.updateTable('organizations').set({ require_second_factor: 1 }).where('id', '=', org.id).execute();
      const a = await account({ roles: [[org.id, 'admin']] });

      // No second factor at all: told to set one up.
      const home = await t.app.inject({ method: 'GET', url: '/', headers: { cookie: a.cookie } });
      assert.match(home.body, /<p class="held-back" role="status">Your admin rights in one organization are on hold: it requires a second factor\. <a href="\/account\/security">Set up a second factor<\/a><\/p>/);
      assert.equal((await t.app.inject({ method: 'GET', url: `/organizations/${org.slug}/edit`, headers: { cookie: a.cookie } })).statusCode, 403);
      const security = await t.app.inject({ method: 'GET', url: '/account/security', headers: { cookie: a.cookie } });
      assert.match(security.body, /<li><bdi>Miners’ Union<\/bdi><\/li>/);

      // Set up on this session: the session proved the factor, so the role is back at once.
      const { secret, step } = await enableTotp(a.cookie);
      const after = await t.app.inject({ method: 'GET', url: '/', headers: { cookie: a.cookie } });
      assert.doesNotMatch(after.body, /held-back/);

      // An older session of the same account (started before TOTP): told to sign in again.
      const older = await t.db.db.insertInto('sessions').values({
        id: tokenHash('older-session-token'), user_id: a.userId, created_at: new Date().toISOString(), last_seen_at: new Date().toISOString(),
        expires_at: new Date(Date.now() + 86_400_000).toISOString(),
      }).execute();
      assert.ok(older);
      const stale = await t.app.inject({ method: 'GET', url: '/organizations', headers: { cookie: 'sid=older-session-token' } });
      assert.match(stale.body, /this session was started without your second factor\. <a href="\/sign-in\?next=%2Forganizations">Sign in again<\/a>/);
      assert.equal((await loadViewer(t.db.db, 'older-session-token'))!.roles.get(org.id), 'member');

      // Signing in with password and TOTP gives the admin role.
      const s = await signIn(a.email, `/organizations/${org.slug}/edit`);
      const ok = await post('/sign-in/second-factor', '/sign-in/second-factor', { code: await codeAt(secret, step + 1), next: `/organizations/${org.slug}/edit` }, s.cookie);
      assert.equal(ok.statusCode, 303);
      const viewer = await loadViewer(t.db.db, s.token!);
      assert.equal(viewer!.roles.get(org.id), 'admin');
      assert.equal(viewer!.heldBackRoles.size, 0);
      const edit = await t.app.inject({ method: 'GET', url: `/organizations/${org.slug}/edit`, headers: { cookie: s.cookie } });
      assert.equal(edit.statusCode, 200);
      assert.doesNotMatch(edit.body, /held-back/);
    });

    test('every code-checking POST is rate-limited (429 with Retry-After)', async () => {
      const limited = t.app.routeTable.filter((r) => r.method === 'POST' && /^\/(account\/security|sign-in\/second-factor)/.test(r.url) && !r.url.endsWith('/remove'));
      assert.deepEqual(limited.map((r) => r.url).sort(), [
        '/account/security/passkeys',
        '/account/security/passkeys/options',
        '/account/security/recovery-codes',
        '/account/security/totp',
        '/account/security/totp/disable',
        '/sign-in/second-factor',
        '/sign-in/second-factor/passkey',
        '/sign-in/second-factor/passkey/options',
        '/sign-in/second-factor/recovery',
      ]);
      for (const r of limited) assert.deepEqual((r.config as { rateLimit?: unknown }).rateLimit, {}, r.url);

      const app = await buildApp({ db: t.db.db, engine: t.db.engine, logLevel: 'silent', rateLimitPerMinute: 2 });
      try {
        await app.ready();
        const a = await account();
        const r: TestApp = { app, db: t.db, close: async () => {} };
        const s = await formSession(r, '/account/security', a.cookie);
        const send = () =>
          app.inject({
            method: 'POST',
            url: '/account/security/totp',
            headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
            payload: form({ _csrf: s.csrf, code: 'abcdef' }),
          });
        assert.deepEqual([(await send()).statusCode, (await send()).statusCode], [422, 422]);
        const third = await send();
        assert.equal(third.statusCode, 429);
        assert.ok(Number(third.headers['retry-after']) > 0);
      } finally {
        await app.close();
      }
    });
  });
}
