import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES } from '../../../test/helpers/db.ts';
import { useTestApp, loginAs, postForm, type TestApp } from '../../../test/helpers/app.ts';
import { makeOrganization } from '../../../test/helpers/factories.ts';
import { createSession, loadViewer } from '../accounts/accounts.service.ts';
import { ValidationFailed } from '../../http/errors.ts';
import { changeMemberRole } from './members.service.ts';



async function audit(t: TestApp, organizationId: string) {
  return t.db.db.selectFrom('audit_events').selectAll().where('organization_id', '=', organizationId).where('action', '!=', 'organization.created').orderBy('id').execute();
}

for (const engine of ENGINES) {
  describe(engine, () => {
    // No mail server here: links are shown to the admin instead (password-reset.test.ts covers the mailed case).
    describe('members page', () => {
      const t = useTestApp(engine, { smtpUrl: null });

      /** A members-only organization with an admin, a viewer and an erased former member. */
      async function scenario() {
        const org = await makeOrganization(t.db.db, { name: 'Comité de solidarité', visibility: 'members' });
        const admin = await loginAs(t, { roles: [[org.id, 'admin']], name: 'Ayşe Yılmaz' });
        const viewer = await loginAs(t, { roles: [[org.id, 'viewer']], name: 'זאב כהן' });
        const gone = await loginAs(t, { roles: [[org.id, 'member']], name: 'Erased Person' });
        await t.db.db.updateTable('users').set({ erased_at: new Date().toISOString() }).where('id', '=', gone.userId).execute();
        return { org, admin, viewer, gone, page: `/organizations/${org.slug}/members` };
      }

      test('any member sees members with roles; an erased account is a former member; outsiders get 404', async () => {
        const { org, viewer, page } = await scenario();
        const res = await t.app.inject({ url: page, headers: { cookie: viewer.cookie } });
        assert.equal(res.statusCode, 200);
        assert.match(res.body, /<h1>Members of <bdi>Comité de solidarité<\/bdi><\/h1>/);
        assert.match(res.body, /<caption>3 members<\/caption>/);
        assert.match(res.body, /<td><bdi>Ayşe Yılmaz<\/bdi><\/td>\s*<td>Admin<\/td>/);
        assert.match(res.body, /<td><em>former member<\/em><\/td>\s*<td>Member<\/td>/);
        assert.match(res.body, /<td><bdi>זאב כהן<\/bdi><\/td>\s*<td>Viewer<\/td>/);
        assert.doesNotMatch(res.body, /Erased Person/);
        // A viewer gets no admin tools and no invitations, and nobody's e-mail address.
        assert.doesNotMatch(res.body, /members\/invite|Pending invitations|\/role"|second-factor/);
        assert.doesNotMatch(res.body, /@example\.org/);
        const detail = await t.app.inject({ url: `/organizations/${org.slug}`, headers: { cookie: viewer.cookie } });
        assert.ok(detail.body.includes(`<a href="/organizations/${org.slug}/members">Members</a>`));

        const de = await t.app.inject({ url: page, headers: { cookie: `${viewer.cookie}; locale=de` } });
        assert.match(de.body, /<td><em>ehemaliges Mitglied<\/em><\/td>\s*<td>Mitglied<\/td>/);
        assert.match(de.body, /<td>Nur lesen<\/td>/);

        const outsider = await loginAs(t);
        const hidden = await t.app.inject({ url: page, headers: { cookie: outsider.cookie } });
        const missing = await t.app.inject({ url: '/organizations/no-such-organization/members', headers: { cookie: outsider.cookie } });
        assert.equal(hidden.statusCode, 404);
        assert.equal(missing.statusCode, 404);
        assert.doesNotMatch(hidden.body, /Comité/);
        assert.equal((await t.app.inject({ url: page })).statusCode, 401);
        const instanceAdmin = await loginAs(t, { admin: true });
        const asInstanceAdmin = await t.app.inject({ url: page, headers: { cookie: instanceAdmin.cookie } });
        assert.equal(asInstanceAdmin.statusCode, 200);
        assert.match(asInstanceAdmin.body, /Make a password reset link/);
      });

      test('members without the admin role get 403 for every action, non-members 404', async () => {
        const { org, admin, viewer, page } = await scenario();
        const coordinator = await loginAs(t, { roles: [[org.id, 'coordinator']] });
        const outsider = await loginAs(t);
        await t.db.db
          .insertInto('invitations')
          .values({ id: 'inv-1', organization_id: org.id, email: 'x@example.org', email_key: 'x@example.org', role: 'member', token_hash: 'h', invited_by: admin.userId, created_at: new Date().toISOString(), expires_at: new Date(Date.now() + 86_400_000).toISOString(), accepted_at: null, accepted_by: null, revoked_at: null })
          .execute();
        const actions: [string, Record<string, string>][] = [
          [`${page}/invite`, { email: 'new@example.org', role: 'member' }],
          [`${page}/${admin.userId}/role`, { role: 'viewer' }],
          [`${page}/${admin.userId}/remove`, {}],
          [`/organizations/${org.slug}/invitations/inv-1/revoke`, {}],
          [`/organizations/${org.slug}/second-factor`, { required: '1' }],
          [`${page}/${admin.userId}/password-reset`, {}],
        ];
        for (const [action, values] of actions) {
          for (const who of [viewer, coordinator]) {
            assert.equal((await postForm(t, page, action, values, who.cookie)).statusCode, 403, `${action} as a member`);
          }
          assert.equal((await postForm(t, '/', action, values, outsider.cookie)).statusCode, 404, `${action} as an outsider`);
        }
        // An org admin who is no instance admin cannot make reset links either.
        assert.equal((await postForm(t, page, `${page}/${viewer.userId}/password-reset`, {}, admin.cookie)).statusCode, 403);
        const m = await t.db.db.selectFrom('organization_members').select('role').where('user_id', '=', admin.userId).executeTakeFirstOrThrow();
        assert.equal(m.role, 'admin');
        assert.equal((await t.db.db.selectFrom('invitations').select('revoked_at').executeTakeFirstOrThrow()).revoked_at, null);
        assert.deepEqual(await audit(t, org.id), []);
      });

      test('the last admin can be neither demoted nor removed; with two admins both work and are audited', async () => {
        const { org, admin, viewer, gone, page } = await scenario();
        const demote = await postForm(t, page, `${page}/${admin.userId}/role`, { role: 'member' }, admin.cookie);
        assert.equal(demote.statusCode, 422);
        assert.ok(demote.body.includes(`<p class="error" id="role-${admin.userId}-error" role="alert">The organization needs at least one admin. Make someone else an admin first.</p>`));
        assert.ok(demote.body.includes(`<select id="role-${admin.userId}" name="role" aria-invalid="true"`));
        const remove = await postForm(t, page, `${page}/${admin.userId}/remove`, {}, admin.cookie);
        assert.equal(remove.statusCode, 422);
        assert.match(remove.body, /The organization needs at least one admin/);
        assert.equal((await t.db.db.selectFrom('organization_members').select('role').where('user_id', '=', admin.userId).executeTakeFirstOrThrow()).role, 'admin');
        const bogus = await postForm(t, page, `${page}/${viewer.userId}/role`, { role: 'owner' }, admin.cookie);
        assert.equal(bogus.statusCode, 422);
        assert.match(bogus.body, /Choose one of the offered values/);
        assert.deepEqual(await audit(t, org.id), []);

        const promote = await postForm(t, page, `${page}/${viewer.userId}/role`, { role: 'admin' }, admin.cookie);
        assert.equal(promote.statusCode, 303);
        assert.equal(promote.headers.location, `${page}?done=role_changed`);
        const stepDown = await postForm(t, page, `${page}/${admin.userId}/role`, { role: 'coordinator' }, admin.cookie);
        assert.equal(stepDown.statusCode, 303);
        // Now the former viewer is the last admin.
        const newAdmin = viewer;
        assert.equal((await postForm(t, page, `${page}/${newAdmin.userId}/remove`, {}, newAdmin.cookie)).statusCode, 422);
        const out = await postForm(t, page, `${page}/${admin.userId}/remove`, {}, newAdmin.cookie);
        assert.equal(out.statusCode, 303);
        assert.equal(out.headers.location, `${page}?done=removed`);
        const roles = await t.db.db.selectFrom('organization_members').select(['user_id', 'role']).where('organization_id', '=', org.id).execute();
        assert.deepEqual(roles.map((r) => [r.user_id, r.role]).sort(), [[newAdmin.userId, 'admin'], [gone.userId, 'member']].sort());
        const events = await audit(t, org.id);
        assert.deepEqual(
          events.map((e) => [e.action, e.actor_user_id, e.subject_id, JSON.parse(e.details)]),
          [
            ['member.role_changed', admin.userId, viewer.userId, { from: 'viewer', to: 'admin' }],
            ['member.role_changed', admin.userId, admin.userId, { from: 'admin', to: 'coordinator' }],
            ['member.removed', newAdmin.userId, admin.userId, { role: 'coordinator' }],
          ],
        );
        // The removed account no longer sees the page.
        assert.equal((await t.app.inject({ url: page, headers: { cookie: admin.cookie } })).statusCode, 404);
      });

      test('two admins demoting each other at the same moment leave exactly one admin', async () => {
        const org = await makeOrganization(t.db.db, { name: 'Race Union' });
        const a = await loginAs(t, { roles: [[org.id, 'admin']] });
        const b = await loginAs(t, { roles: [[org.id, 'admin']] });
        const va = (await loadViewer(t.db.db, a.cookie.slice(4)))!;
        const vb = (await loadViewer(t.db.db, b.cookie.slice(4)))!;
        // A demotes B in a transaction that stays open while B's demotion of A starts.
        let second: Promise<void> | undefined;
        await t.db.db.transaction().execute(async (tx) => {
          await changeMemberRole(tx, va, org.id, b.userId, 'member');
          second = changeMemberRole(t.db.db, vb, org.id, a.userId, 'member');
          second.catch(() => {});
          await new Promise((resolve) => setTimeout(resolve, 150));
        });
        await assert.rejects(second!, (err: unknown) => err instanceof ValidationFailed && err.errors[0]!.messageId === 'members.validation.last_admin');
        const admins = await t.db.db.selectFrom('organization_members').select('user_id').where('organization_id', '=', org.id).where('role', '=', 'admin').execute();
        assert.equal(admins.length, 1);
      });

      test('requiring a second factor: needs one in the admin’s own session; held-back admins lose the tools', async () => {
        const { org, admin, page } = await scenario();
        const refused = await postForm(t, page, `/organizations/${org.slug}/second-factor`, { required: '1' }, admin.cookie);
        assert.equal(refused.statusCode, 422);
        assert.match(refused.body, /Sign in with a second factor yourself before you require one for all admins/);
        assert.equal((await t.db.db.selectFrom('organizations').select('require_second_factor').where('id', '=', org.id).executeTakeFirstOrThrow()).require_second_factor, 0);

        const strong = `sid=${await createSession(t.db.db, admin.userId, { secondFactorVerified: true })}`;
        const on = await postForm(t, page, `/organizations/${org.slug}/second-factor`, { required: '1' }, strong);
        assert.equal(on.statusCode, 303);
        assert.equal((await t.db.db.selectFrom('organizations').select('require_second_factor').where('id', '=', org.id).executeTakeFirstOrThrow()).require_second_factor, 1);
        const shown = await t.app.inject({ url: `${page}?done=second_factor`, headers: { cookie: strong } });
        assert.match(shown.body, /The second-factor setting has been saved\./);
        assert.match(shown.body, /must sign in with a second factor/);

        // The password-only session now counts as a plain member here.
        const weak = await t.app.inject({ url: page, headers: { cookie: admin.cookie } });
        assert.equal(weak.statusCode, 200);
        assert.match(weak.body, /Your admin role is on hold here/);
        assert.doesNotMatch(weak.body, /members\/invite/);
        assert.equal((await postForm(t, page, `${page}/invite`, { email: 'a@example.org', role: 'member' }, admin.cookie)).statusCode, 403);

        const off = await postForm(t, page, `/organizations/${org.slug}/second-factor`, { required: '0' }, strong);
        assert.equal(off.statusCode, 303);
        const events = await audit(t, org.id);
        assert.deepEqual(events.map((e) => [e.action, e.subject_id, JSON.parse(e.details)]), [
          ['organization.second_factor_required', org.id, { required: true }],
          ['organization.second_factor_required', org.id, { required: false }],
        ]);
      });

      test('the inviting admin is shown the link, and it works', async () => {
        const org = await makeOrganization(t.db.db, { name: 'Tandem Circle' });
        const admin = await loginAs(t, { roles: [[org.id, 'admin']] });
        const page = `/organizations/${org.slug}/members`;
        const res = await postForm(t, page, `${page}/invite`, { email: 'Newcomer@Example.org', role: 'member' }, admin.cookie);
        assert.equal(res.statusCode, 200);
        assert.equal(res.headers['cache-control'], 'no-store');
        assert.match(res.body, /This instance sends no e-mail\. Pass this invitation link on to <bdi>Newcomer@Example\.org<\/bdi> yourself/);
        const m = /<code>(http:\/\/localhost:3000\/invitations\/([A-Za-z0-9_-]{43}))<\/code>/.exec(res.body);
        assert.ok(m, 'the link is on the page');
        const open = await t.app.inject({ url: `/invitations/${m[2]}` });
        assert.equal(open.statusCode, 200);
        assert.match(open.body, /Create your account/);
        // Reloading the members page does not show it again.
        assert.doesNotMatch((await t.app.inject({ url: page, headers: { cookie: admin.cookie } })).body, new RegExp(m[2]!));
      });

      test('an instance admin makes a password reset link for a member and sees it', async () => {
        const org = await makeOrganization(t.db.db, { name: 'Refugee Council' });
        const member = await loginAs(t, { roles: [[org.id, 'member']], name: 'Mehmet' });
        const instanceAdmin = await loginAs(t, { admin: true });
        const page = `/organizations/${org.slug}/members`;
        const res = await postForm(t, page, `${page}/${member.userId}/password-reset`, {}, instanceAdmin.cookie);
        assert.equal(res.statusCode, 200);
        assert.equal(res.headers['cache-control'], 'no-store');
        assert.match(res.body, /Password reset link for <bdi>Mehmet<\/bdi>: it works once, for 60 minutes/);
        assert.doesNotMatch(res.body, /has also been sent/);
        const m = /<code>http:\/\/localhost:3000\/password-reset\/([A-Za-z0-9_-]{43})<\/code>/.exec(res.body);
        assert.ok(m, 'the link is on the page');
        assert.equal((await t.app.inject({ url: `/password-reset/${m[1]}` })).statusCode, 200);
        const ev = await t.db.db.selectFrom('audit_events').selectAll().where('action', '=', 'account.password_reset_link_created').executeTakeFirstOrThrow();
        assert.equal(ev.actor_user_id, instanceAdmin.userId);
        assert.equal(ev.organization_id, org.id);
        assert.equal(ev.subject_id, member.userId);
        assert.deepEqual(JSON.parse(ev.details), { source: 'admin' });
        // Someone who is not a member of this organization: 404.
        const stranger = await loginAs(t);
        assert.equal((await postForm(t, page, `${page}/${stranger.userId}/password-reset`, {}, instanceAdmin.cookie)).statusCode, 404);
      });
    });
  });
}
