import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES } from '../../../test/helpers/db.ts';
import { useTestApp, loginAs, cookiesFrom, postForm, type TestApp } from '../../../test/helpers/app.ts';
import { uniqueAddress, useTestSmtp } from '../../../test/helpers/smtp.ts';
import { makeOrganization } from '../../../test/helpers/factories.ts';
import { createSession, createUser, tokenHash } from './accounts.service.ts';
import { createPasswordResetLink } from './password-reset.service.ts';
import { buildApp } from '../../app.ts';

const OLD = 'correct horse battery';
const NEW = 'a brand new passphrase';
const LINK = /http:\/\/localhost:3000\/password-reset\/([A-Za-z0-9_-]{43})/;

const smtp = useTestSmtp();



/** The body without what differs per response anyway (CSRF tokens). */
const stable = (body: string) => body.replace(/name="_csrf" value="[^"]+"/g, '');

for (const engine of ENGINES) {
  describe(engine, () => {
    const t = useTestApp(engine, () => ({ smtpUrl: smtp.url }));

    async function signIn(email: string, password: string) {
      return postForm(t, '/sign-in', '/sign-in', { email, password });
    }

    test('known and unknown addresses get identical answers; only the known one gets mail, in its language', async () => {
      const known = uniqueAddress('Selin');
      const unknown = uniqueAddress('nobody');
      const userId = await createUser(t.db.db, { email: known, displayName: 'Selin Kaya', password: OLD, locale: 'de' });
      const a = await postForm(t, '/password-reset', '/password-reset', { email: unknown });
      const b = await postForm(t, '/password-reset', '/password-reset', { email: known.toUpperCase() });
      assert.equal(a.statusCode, 200);
      assert.equal(b.statusCode, 200);
      assert.equal(stable(a.body), stable(b.body));
      assert.equal(a.headers['content-type'], b.headers['content-type']);
      assert.match(a.body, /<h1>Check your e-mail<\/h1>/);
      assert.doesNotMatch(b.body, /password-reset\/[A-Za-z0-9_-]{43}/, 'the link is never shown to the requester');

      const mail = await smtp.waitFor((m) => JSON.stringify(m.to).includes(known));
      assert.equal(mail.subject, 'Neues Passwort für Solidaris wählen');
      assert.ok(mail.text!.startsWith('Guten Tag \u2068Selin Kaya\u2069,'), mail.text);
      assert.match(mail.text!, /innerhalb von 60 Minuten/);
      assert.match(mail.html as string, /Guten Tag <bdi>Selin Kaya<\/bdi>,/);
      const token = LINK.exec(mail.text!)![1]!;
      const row = await t.db.db.selectFrom('password_resets').selectAll().executeTakeFirstOrThrow();
      assert.equal(row.token_hash, tokenHash(token));
      assert.equal(row.user_id, userId);
      assert.equal(Date.parse(row.expires_at) - Date.parse(row.created_at), 3_600_000);
      assert.equal(smtp.messages.filter((m) => JSON.stringify(m.to).includes(unknown)).length, 0);
      assert.equal((await t.db.db.selectFrom('password_resets').select('token_hash').execute()).length, 1);

      // A second request within the minute sends nothing new and still answers the same.
      const c = await postForm(t, '/password-reset', '/password-reset', { email: known });
      assert.equal(stable(c.body), stable(a.body));
      assert.equal((await t.db.db.selectFrom('password_resets').select('token_hash').execute()).length, 1);
    });

    test('a malformed address is a field error (the same for everyone)', async () => {
      const res = await postForm(t, '/password-reset', '/password-reset', { email: 'not-an-address' });
      assert.equal(res.statusCode, 422);
      assert.match(res.body, /id="f-email-error"[^>]*>Use an e-mail address such as name@example.org/);
      assert.match(res.body, /value="not-an-address"/);
    });

    test('the link sets a new password once and signs the account out everywhere', async () => {
      const email = uniqueAddress('Thabo');
      const userId = await createUser(t.db.db, { email, displayName: 'Thabo', password: OLD });
      const laptop = `sid=${await createSession(t.db.db, userId)}`;
      const phone = `sid=${await createSession(t.db.db, userId)}`;
      assert.match((await t.app.inject({ url: '/', headers: { cookie: laptop } })).body, /<bdi>Thabo<\/bdi>/);

      await postForm(t, '/password-reset', '/password-reset', { email });
      const token = LINK.exec((await smtp.waitFor((m) => JSON.stringify(m.to).includes(email))).text!)![1]!;
      const page = `/password-reset/${token}`;
      const form = await t.app.inject({ url: page });
      assert.equal(form.statusCode, 200);
      assert.equal(form.headers['cache-control'], 'no-store');
      assert.match(form.body, /<h1>Choose a new password<\/h1>/);

      const short = await postForm(t, page, page, { password: 'short' });
      assert.equal(short.statusCode, 422);
      assert.match(short.body, /id="f-password-error"[^>]*>Use at least 10 characters/);
      assert.equal((await t.app.inject({ url: page })).statusCode, 200, 'a rejected password does not use the link up');

      const done = await postForm(t, page, page, { password: NEW }, laptop);
      assert.equal(done.statusCode, 303);
      assert.equal(done.headers.location, '/sign-in');
      assert.ok(done.cookies.some((c) => c.name === 'sid' && c.value === ''), 'this browser’s session cookie is cleared');
      assert.equal((await t.db.db.selectFrom('sessions').select('id').where('user_id', '=', userId).execute()).length, 0);
      for (const cookie of [laptop, phone]) {
        assert.doesNotMatch((await t.app.inject({ url: '/', headers: { cookie } })).body, /<bdi>Thabo<\/bdi>/);
      }
      const user = await t.db.db.selectFrom('users').select('password_hash').where('id', '=', userId).executeTakeFirstOrThrow();
      assert.match(user.password_hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      assert.equal((await signIn(email, OLD)).statusCode, 422);
      const fresh = await signIn(email, NEW);
      assert.equal(fresh.statusCode, 303);
      assert.match((await t.app.inject({ url: '/', headers: { cookie: cookiesFrom(fresh) } })).body, /<bdi>Thabo<\/bdi>/);

      const reused = await t.app.inject({ url: page });
      assert.equal(reused.statusCode, 404);
      assert.match(reused.body, /<h1>This link is no longer valid<\/h1>/);
      assert.equal((await postForm(t, '/password-reset', page, { password: 'yet another passphrase' })).statusCode, 404);

      const events = await t.db.db.selectFrom('audit_events').selectAll().where('subject_id', '=', userId).orderBy('id').execute();
      assert.deepEqual(events.map((e) => [e.action, e.actor_user_id, e.organization_id]), [
        ['account.password_reset_link_created', null, null],
        ['account.password_reset', userId, null],
      ]);
    });

    test('expired and unknown links get the same 404 page', async () => {
      const userId = await createUser(t.db.db, { email: uniqueAddress('old'), displayName: 'Old Link', password: OLD });
      const link = await createPasswordResetLink(t.db.db, 'https://solidaris.example', userId);
      assert.match(link.url, /^https:\/\/solidaris\.example\/password-reset\/[A-Za-z0-9_-]{43}$/);
      assert.equal(Date.parse(link.expiresAt) - Date.now() <= 3_600_000, true);
      const token = link.url.split('/').at(-1)!;
      assert.equal((await t.app.inject({ url: `/password-reset/${token}` })).statusCode, 200);
      await t.db.db.updateTable('password_resets').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).execute();
      const expired = await t.app.inject({ url: `/password-reset/${token}` });
      const unknown = await t.app.inject({ url: `/password-reset/${'B'.repeat(43)}` });
      const strip = (b: string) => stable(b).replace(/(\/|%2F)password-reset(\/|%2F)[A-Za-z0-9_-]+/g, '');
      assert.equal(expired.statusCode, 404);
      assert.equal(unknown.statusCode, 404);
      assert.equal(strip(expired.body), strip(unknown.body));
      const late = await postForm(t, '/password-reset', `/password-reset/${token}`, { password: NEW });
      assert.equal(late.statusCode, 404);
      assert.equal((await t.db.db.selectFrom('audit_events').select('id').where('action', '=', 'account.password_reset').execute()).length, 0);
    });

    test('an instance admin’s reset link is shown and, with SMTP, mailed to the member', async () => {
      const org = await makeOrganization(t.db.db, { name: 'Miners’ Wives' });
      const email = uniqueAddress('mbali');
      const memberId = await createUser(t.db.db, { email, displayName: 'Mbali', password: OLD });
      await t.db.db.insertInto('organization_members').values({ organization_id: org.id, user_id: memberId, role: 'member', created_at: new Date().toISOString() }).execute();
      const instanceAdmin = await loginAs(t, { admin: true });
      const page = `/organizations/${org.slug}/members`;
      const res = await postForm(t, page, `${page}/${memberId}/password-reset`, {}, instanceAdmin.cookie);
      assert.equal(res.statusCode, 200);
      assert.match(res.body, /The link has also been sent to the account's e-mail address\./);
      const shown = LINK.exec(res.body)![1]!;
      const mail = await smtp.waitFor((m) => JSON.stringify(m.to).includes(email));
      assert.equal(LINK.exec(mail.text!)![1], shown);
      assert.equal(mail.subject, 'Choose a new password for Solidaris');
    });

    test('the public writes are rate-limited per address: 429 with Retry-After', async () => {
      const app = await buildApp({ db: t.db.db, engine: t.db.engine, logLevel: 'silent', rateLimitPerMinute: 2 });
      await app.ready();
      try {
        const limited: TestApp = { app, db: t.db, close: () => app.close() };
        for (const action of ['/password-reset', `/password-reset/${'C'.repeat(43)}`, `/invitations/${'D'.repeat(43)}`]) {
          const statuses: number[] = [];
          let last;
          for (let i = 0; i < 3; i += 1) {
            last = await postForm(limited, '/password-reset', action, { email: 'someone@example.org', password: NEW });
            statuses.push(last.statusCode);
          }
          assert.deepEqual(statuses.slice(0, 2).map((s) => s < 429), [true, true], action);
          assert.equal(statuses[2], 429, action);
          assert.ok(Number(last!.headers['retry-after']) > 0, action);
        }
      } finally {
        await app.close();
      }
    });
  });
}
