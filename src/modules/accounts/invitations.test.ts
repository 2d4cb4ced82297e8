import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ParsedMail } from 'mailparser';
import { ENGINES } from '../../../test/helpers/db.ts';
import { useTestApp, form, formSession, loginAs, cookiesFrom, postForm, type TestApp } from '../../../test/helpers/app.ts';
import { uniqueAddress, useTestSmtp } from '../../../test/helpers/smtp.ts';
import { makeOrganization } from '../../../test/helpers/factories.ts';
import { createUser, tokenHash } from './accounts.service.ts';
import { maskEmail } from './invitations.service.ts';

const PASSWORD = 'correct horse battery';
const FORM = 'application/x-www-form-urlencoded';
const TOKEN = /\/invitations\/([A-Za-z0-9_-]{43})/;

const smtp = useTestSmtp();



/** The invitation link in a mail's plain text, and its token. */
function linkOf(mail: ParsedMail): { url: string; token: string } {
  const m = new RegExp(`http://localhost:3000${TOKEN.source}`).exec(mail.text ?? '');
  assert.ok(m, `no invitation link in: ${mail.text}`);
  return { url: m[0], token: m[1]! };
}

for (const engine of ENGINES) {
  describe(engine, () => {
    const t = useTestApp(engine, () => ({ smtpUrl: smtp.url }));

    /** An organization with an admin called `adminName`; the admin invites `email` as `role`. */
    async function invite(o: { email: string; role?: string; adminName?: string; orgName?: string; locale?: string }) {
      const org = await makeOrganization(t.db.db, { name: o.orgName ?? 'Miners’ Solidarity Fund', visibility: 'public' });
      const admin = await loginAs(t, { roles: [[org.id, 'admin']], name: o.adminName ?? 'Ana Admin' });
      // The inviter's UI language is their account's language.
      if (o.locale) await t.db.db.updateTable('users').set({ locale: o.locale }).where('id', '=', admin.userId).execute();
      const res = await postForm(t, `/organizations/${org.slug}/members`, `/organizations/${org.slug}/members/invite`, { email: o.email, role: o.role ?? 'member' }, admin.cookie);
      return { org, admin, res };
    }

    test('invite → mail → sign up: the new account is a member with the invited role and signed in', async () => {
      const email = uniqueAddress('Nadia');
      const { org, admin, res } = await invite({ email, role: 'coordinator', adminName: 'عائشة Admin', orgName: 'نقابة Miners & Co' });
      assert.equal(res.statusCode, 303);
      assert.equal(res.headers.location, `/organizations/${org.slug}/members?done=invited`);

      const mail = await smtp.waitFor((m) => m.to !== undefined && JSON.stringify(m.to).includes(email));
      assert.equal(mail.subject, '\u2068عائشة Admin\u2069 invites you to \u2068نقابة Miners & Co\u2069 on Solidaris');
      assert.match(mail.text!, /^Hello,/);
      assert.ok(mail.text!.includes('\u2068عائشة Admin\u2069 invites you to join \u2068نقابة Miners & Co\u2069 on Solidaris. Your role: Coordinator.'), mail.text);
      assert.match(mail.text!, /valid for 7 days/);
      const { url, token } = linkOf(mail);
      assert.equal(url, `http://localhost:3000/invitations/${token}`);
      assert.ok(mail.html, 'an HTML part');
      assert.match(mail.html as string, /<bdi>عائشة Admin<\/bdi> invites you to join <bdi>نقابة Miners &amp; Co<\/bdi>/);
      assert.ok((mail.html as string).includes(`<a href="${url}">`));

      // Only the SHA-256 of the token is stored; it expires after 7 days.
      const row = await t.db.db.selectFrom('invitations').selectAll().executeTakeFirstOrThrow();
      assert.equal(row.token_hash, tokenHash(token));
      assert.equal(row.role, 'coordinator');
      assert.equal(row.invited_by, admin.userId);
      assert.equal(Date.parse(row.expires_at) - Date.parse(row.created_at), 7 * 86_400_000);

      // The admin sees the pending invitation.
      const members = await t.app.inject({ url: res.headers.location as string, headers: { cookie: admin.cookie } });
      assert.match(members.body, /The invitation has been sent\./);
      assert.ok(members.body.includes(`<bdi>${email}</bdi>`));

      const page = await t.app.inject({ url: `/invitations/${token}` });
      assert.equal(page.statusCode, 200);
      assert.equal(page.headers['cache-control'], 'no-store');
      assert.match(page.body, /<bdi>عائشة Admin<\/bdi> invites you to join <bdi>نقابة Miners &amp; Co<\/bdi> as Coordinator\./);
      assert.ok(page.body.includes(`<dd><bdi>${email}</bdi></dd>`), 'the address is fixed');
      assert.match(page.body, /<option value="UTC" selected>UTC<\/option>/);
      assert.match(page.body, /<option value="America\/Sao_Paulo">/);

      const signUp = await postForm(t, `/invitations/${token}`, `/invitations/${token}`, { displayName: 'Nadia Haddad', password: PASSWORD, timeZone: 'Africa/Lubumbashi' }, '', { 'accept-language': 'de' });
      assert.equal(signUp.statusCode, 303);
      assert.equal(signUp.headers.location, `/organizations/${org.slug}`);
      const raw = ([] as string[]).concat(signUp.headers['set-cookie'] ?? []).find((h) => h.startsWith('sid='));
      assert.ok(raw, 'a session cookie');
      assert.match(raw, /HttpOnly/i);
      assert.match(raw, /SameSite=Lax/i);

      const user = await t.db.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirstOrThrow();
      assert.equal(user.display_name, 'Nadia Haddad');
      assert.equal(user.time_zone, 'Africa/Lubumbashi');
      assert.equal(user.locale, 'de');
      assert.match(user.password_hash, /^\$argon2id\$/);
      const membership = await t.db.db.selectFrom('organization_members').selectAll().where('user_id', '=', user.id).executeTakeFirstOrThrow();
      assert.equal(membership.organization_id, org.id);
      assert.equal(membership.role, 'coordinator');
      const accepted = await t.db.db.selectFrom('invitations').selectAll().executeTakeFirstOrThrow();
      assert.equal(accepted.accepted_by, user.id);
      assert.ok(accepted.accepted_at);

      // Signed in: the new session opens the members page, which lists the new member.
      const cookie = cookiesFrom(signUp);
      const own = await t.app.inject({ url: `/organizations/${org.slug}/members`, headers: { cookie } });
      assert.equal(own.statusCode, 200);
      assert.match(own.body, /<td><bdi>Nadia Haddad<\/bdi><\/td>\s*<td>Koordination<\/td>/);

      const audit = await t.db.db.selectFrom('audit_events').selectAll().where('organization_id', '=', org.id).orderBy('at').orderBy('id').execute();
      const created = audit.find((a) => a.action === 'invitation.created')!;
      assert.equal(created.actor_user_id, admin.userId);
      assert.deepEqual(JSON.parse(created.details), { role: 'coordinator' });
      assert.ok(!created.details.includes(email), 'the audit log keeps no address');
      const acc = audit.find((a) => a.action === 'invitation.accepted')!;
      assert.equal(acc.actor_user_id, user.id);
      assert.equal(acc.subject_id, row.id);
      assert.deepEqual(JSON.parse(acc.details), { role: 'coordinator', newAccount: true });

      // Used once: the link is dead now.
      const again = await t.app.inject({ url: `/invitations/${token}` });
      assert.equal(again.statusCode, 404);
      assert.match(again.body, /This invitation is no longer valid/);
    });

    test('an inviter who uses German sends the invitation in German', async () => {
      const email = uniqueAddress('jonas');
      const { res } = await invite({ email, role: 'viewer', adminName: 'Jonas Weber', orgName: 'IG Bergbau', locale: 'de' });
      assert.equal(res.statusCode, 303);
      const mail = await smtp.waitFor((m) => JSON.stringify(m.to).includes(email));
      assert.equal(mail.subject, '\u2068Jonas Weber\u2069 lädt Sie zu \u2068IG Bergbau\u2069 auf Solidaris ein');
      assert.ok(mail.text!.includes('\u2068Jonas Weber\u2069 lädt Sie ein, \u2068IG Bergbau\u2069 auf Solidaris beizutreten. Ihre Rolle: Nur lesen.'), mail.text);
      assert.match(mail.text!, /7 Tage gültig/);
      assert.match(mail.html as string, /<html lang="de"/);
      assert.match(mail.html as string, /<bdi>Jonas Weber<\/bdi> lädt Sie ein, <bdi>IG Bergbau<\/bdi>/);
    });

    test('expired, revoked and replaced tokens all get the same 404 page; re-inviting replaces the pending invitation', async () => {
      const email = uniqueAddress('lena');
      const { org, admin } = await invite({ email });
      const first = linkOf(await smtp.waitFor((m) => JSON.stringify(m.to).includes(email)));
      // Re-invite the same address (other case): the first link dies, the second works.
      const again = await postForm(t, `/organizations/${org.slug}/members`, `/organizations/${org.slug}/members/invite`, { email: email.toUpperCase(), role: 'admin' }, admin.cookie);
      assert.equal(again.statusCode, 303);
      const second = linkOf(await smtp.waitFor((m) => JSON.stringify(m.to).toLowerCase().includes(email.toLowerCase()) && !m.text!.includes(first.token)));
      const rows = await t.db.db.selectFrom('invitations').select(['id', 'revoked_at', 'role']).orderBy('created_at').execute();
      assert.equal(rows.length, 2);
      assert.ok(rows[0]!.revoked_at, 'the first invitation is revoked');
      assert.equal(rows[1]!.revoked_at, null);
      assert.equal(rows[1]!.role, 'admin');

      const replaced = await t.app.inject({ url: `/invitations/${first.token}` });
      assert.equal((await t.app.inject({ url: `/invitations/${second.token}` })).statusCode, 200);

      // Expired: one second in the past.
      await t.db.db.updateTable('invitations').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('id', '=', rows[1]!.id).execute();
      const expired = await t.app.inject({ url: `/invitations/${second.token}` });

      // Revoked by an admin from the members page.
      const third = await postForm(t, `/organizations/${org.slug}/members`, `/organizations/${org.slug}/members/invite`, { email: uniqueAddress('omar'), role: 'member' }, admin.cookie);
      assert.equal(third.statusCode, 303);
      const thirdRow = await t.db.db.selectFrom('invitations').select(['id', 'email']).where('revoked_at', 'is', null).where('expires_at', '>', new Date().toISOString()).executeTakeFirstOrThrow();
      const thirdLink = linkOf(await smtp.waitFor((m) => JSON.stringify(m.to).includes(thirdRow.email)));
      const revoke = await postForm(t, `/organizations/${org.slug}/members`, `/organizations/${org.slug}/invitations/${thirdRow.id}/revoke`, {}, admin.cookie);
      assert.equal(revoke.statusCode, 303);
      const revoked = await t.app.inject({ url: `/invitations/${thirdLink.token}` });
      const unknown = await t.app.inject({ url: `/invitations/${'A'.repeat(43)}` });
      const garbage = await t.app.inject({ url: '/invitations/nonsense' });

      // The layout repeats the page's own address (language switch, sign-in link): the token differs, nothing else.
      const strip = (b: string) => b.replace(/name="_csrf" value="[^"]+"/g, '').replace(/(\/|%2F)invitations(\/|%2F)[A-Za-z0-9_-]+/g, '');
      for (const r of [replaced, expired, revoked, unknown, garbage]) {
        assert.equal(r.statusCode, 404);
        assert.match(r.body, /<h1>This invitation is no longer valid<\/h1>/);
        assert.equal(strip(r.body), strip(replaced.body), 'the same page for every reason');
      }
      // POSTing to a dead link does nothing either.
      const late = await postForm(t, '/', `/invitations/${thirdLink.token}`, { displayName: 'Late', password: PASSWORD, timeZone: 'UTC' });
      assert.equal(late.statusCode, 404);
      assert.equal((await t.db.db.selectFrom('users').select('id').where('display_name', '=', 'Late').execute()).length, 0);

      const actions = (await t.db.db.selectFrom('audit_events').select('action').where('organization_id', '=', org.id).execute()).map((a) => a.action).sort();
      assert.deepEqual(actions, ['invitation.created', 'invitation.created', 'invitation.created', 'invitation.revoked', 'invitation.revoked', 'organization.created']);
    });

    test('a bad name or password is a field error with 422 and leaves nothing half-written', async () => {
      const email = uniqueAddress('kemal');
      await invite({ email });
      const { token } = linkOf(await smtp.waitFor((m) => JSON.stringify(m.to).includes(email)));
      for (const [displayName, password, timeZone, fieldName, message] of [
        ['Kemal\nAdmin', PASSWORD, 'UTC', 'displayName', /Names may not contain line breaks, angle brackets/],
        ['Kemal <b>', PASSWORD, 'UTC', 'displayName', /Names may not contain line breaks, angle brackets/],
        ['Kemal', 'short', 'UTC', 'password', /Use at least 10 characters/],
        ['Kemal', PASSWORD, 'Mars/Olympus', 'timeZone', /Choose one of the offered values/],
      ] as const) {
        const res = await postForm(t, `/invitations/${token}`, `/invitations/${token}`, { displayName, password, timeZone });
        assert.equal(res.statusCode, 422, fieldName);
        assert.match(res.body, new RegExp(`id="f-${fieldName}-error"`), fieldName);
        assert.match(res.body, message);
        assert.doesNotMatch(res.body, /<b>/);
        assert.equal(res.cookies.find((c) => c.name === 'sid'), undefined);
      }
      assert.equal((await t.db.db.selectFrom('users').select('id').where('email', '=', email).execute()).length, 0);
      const inv = await t.db.db.selectFrom('invitations').selectAll().executeTakeFirstOrThrow();
      assert.equal(inv.accepted_at, null);
      assert.equal((await t.app.inject({ url: `/invitations/${token}` })).statusCode, 200, 'still open');
    });

    test('an existing account: signed out it is sent to sign in, signed in it joins; another account cannot accept', async () => {
      const email = uniqueAddress('Rosa');
      const rosaId = await createUser(t.db.db, { email, displayName: 'Rosa', password: PASSWORD });
      const { org } = await invite({ email, role: 'member' });
      const { token } = linkOf(await smtp.waitFor((m) => JSON.stringify(m.to).includes(email)));

      const anon = await t.app.inject({ url: `/invitations/${token}` });
      assert.equal(anon.statusCode, 200);
      assert.ok(anon.body.includes(`href="/sign-in?next=${encodeURIComponent(`/invitations/${token}`)}"`));
      assert.doesNotMatch(anon.body, /name="password"/, 'no sign-up form for an address with an account');

      // Another account is signed in: refused, the address only hinted at.
      const other = await loginAs(t, { name: 'Mallory' });
      const wrong = await t.app.inject({ url: `/invitations/${token}`, headers: { cookie: other.cookie } });
      assert.equal(wrong.statusCode, 403);
      assert.match(wrong.body, /This invitation is for another account/);
      assert.ok(wrong.body.includes(`<bdi>${maskEmail(email)}</bdi>`));
      assert.ok(!wrong.body.includes(email), 'the full address is not shown');
      const stolen = await postForm(t, '/', `/invitations/${token}`, { action: 'join' }, other.cookie);
      assert.equal(stolen.statusCode, 403);
      assert.equal((await t.db.db.selectFrom('organization_members').select('user_id').where('user_id', '=', other.userId).execute()).length, 0);

      // Signing in sends Rosa back to the invitation, where she joins.
      const s = await formSession(t, `/sign-in?next=${encodeURIComponent(`/invitations/${token}`)}`);
      const signIn = await t.app.inject({ method: 'POST', url: '/sign-in', headers: { cookie: s.cookie, 'content-type': FORM }, payload: form({ _csrf: s.csrf, email, password: PASSWORD, next: `/invitations/${token}` }) });
      assert.equal(signIn.statusCode, 303);
      assert.equal(signIn.headers.location, `/invitations/${token}`);
      const cookie = cookiesFrom(signIn);
      const joinPage = await t.app.inject({ url: `/invitations/${token}`, headers: { cookie } });
      assert.match(joinPage.body, /<button type="submit">Join <bdi>Miners’ Solidarity Fund<\/bdi><\/button>/);
      const join = await postForm(t, `/invitations/${token}`, `/invitations/${token}`, { action: 'join' }, cookie);
      assert.equal(join.statusCode, 303);
      assert.equal(join.headers.location, `/organizations/${org.slug}`);
      const m = await t.db.db.selectFrom('organization_members').selectAll().where('user_id', '=', rosaId).executeTakeFirstOrThrow();
      assert.equal(m.role, 'member');
      const acc = await t.db.db.selectFrom('audit_events').selectAll().where('action', '=', 'invitation.accepted').executeTakeFirstOrThrow();
      assert.equal(acc.actor_user_id, rosaId);
      assert.deepEqual(JSON.parse(acc.details), { role: 'member', newAccount: false });
      assert.equal((await t.app.inject({ url: `/invitations/${token}`, headers: { cookie } })).statusCode, 404, 'used');
    });

    test('inviting a member or a bad address is a field error; non-admins cannot invite', async () => {
      const org = await makeOrganization(t.db.db, { name: 'Refugee Circle' });
      const admin = await loginAs(t, { roles: [[org.id, 'admin']] });
      const memberEmail = uniqueAddress('member');
      const memberId = await createUser(t.db.db, { email: memberEmail, displayName: 'Existing Member', password: PASSWORD });
      await t.db.db.insertInto('organization_members').values({ organization_id: org.id, user_id: memberId, role: 'member', created_at: new Date().toISOString() }).execute();
      const page = `/organizations/${org.slug}/members`;
      const action = `${page}/invite`;

      const dup = await postForm(t, page, action, { email: memberEmail.toUpperCase(), role: 'viewer' }, admin.cookie);
      assert.equal(dup.statusCode, 422);
      assert.match(dup.body, /id="f-email-error"[^>]*>Someone with this e-mail address is a member already/);
      const bad = await postForm(t, page, action, { email: 'not an address', role: 'owner' }, admin.cookie);
      assert.equal(bad.statusCode, 422);
      assert.match(bad.body, /id="f-email-error"/);
      assert.match(bad.body, /id="f-role-error"/);
      assert.match(bad.body, /value="not an address"/);
      assert.equal((await t.db.db.selectFrom('invitations').select('id').execute()).length, 0);

      const coordinator = await loginAs(t, { roles: [[org.id, 'coordinator']] });
      const forbidden = await postForm(t, page, action, { email: uniqueAddress('x'), role: 'member' }, coordinator.cookie);
      assert.equal(forbidden.statusCode, 403);
      const outsider = await loginAs(t);
      const hidden = await postForm(t, '/', action, { email: uniqueAddress('y'), role: 'member' }, outsider.cookie);
      assert.equal(hidden.statusCode, 404);
      assert.equal((await t.db.db.selectFrom('invitations').select('id').execute()).length, 0);
    });
  });
}
