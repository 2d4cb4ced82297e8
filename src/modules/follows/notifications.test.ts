import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES, createTestDb, type TestDb } from '../../../test/helpers/db.ts';
import { makeActionDay, makeCall, makeLocalAction, makeNetwork, makeNetworkMembership, makeOrganization, makeResponse, makeStruggle } from '../../../test/helpers/factories.ts';
import { createUser, setOrganizationRole, viewerForAccount } from '../accounts/accounts.service.ts';
import { addStruggleUpdate } from '../struggles/struggles.service.ts';
import { Forbidden, NotFound, SignInRequired, ValidationFailed } from '../../http/errors.ts';
import type { Viewer } from '../../http/viewer.ts';
import { follow, followOptions, listFollows, unfollow } from './follows.service.ts';
import { countUnread, listNotifications, markNotificationsRead } from './notifications.repo.ts';

const PAST = '2020-01-01T00:00:00.000Z';

for (const engine of ENGINES) {
  describe(`follows and notifications (${engine})`, () => {
    let t: TestDb;
    before(async () => {
      t = await createTestDb(engine);
    });
    after(async () => t.drop());
    beforeEach(async () => t.reset());

    let n = 0;
    async function person(roles: [string, 'admin' | 'coordinator' | 'member' | 'viewer'][], admin = false): Promise<Viewer> {
      n += 1;
      const id = await createUser(t.db, { email: `p${n}-${engine}@example.org`, displayName: `P${n}`, password: 'correct horse battery', isAdmin: admin });
      for (const [org, role] of roles) await setOrganizationRole(t.db, org, id, role);
      return (await viewerForAccount(t.db, id))!;
    }

    /** Moves every follow back in time, so records made in the test all count as "after the follow". */
    const backdateFollows = () => t.db.updateTable('follows').set({ created_at: PAST }).execute();

    /** A Berlin union (the follower), a Congolese miners' union in a network (the actor), a struggle in Congo. */
    async function scene() {
      const follower = await makeOrganization(t.db, { name: 'Berlin Union', slug: 'berlin', country: 'DE' });
      const actor = await makeOrganization(t.db, { name: 'Kolwezi Miners', slug: 'kolwezi-miners', country: 'CD' });
      const hidden = await makeOrganization(t.db, { name: 'Hidden Group', slug: 'hidden', country: 'CD', visibility: 'members' });
      const network = await makeNetwork(t.db, { name: 'Miners network', slug: 'miners-net' });
      await makeNetworkMembership(t.db, 'miners-net', 'kolwezi-miners');
      const struggle = await makeStruggle(t.db, { title: 'Kolwezi strike', slug: 'kolwezi', country: 'CD', organization: 'kolwezi-miners' });
      // Older than any follow, so it is no news itself.
      await t.db.updateTable('struggles').set({ created_at: '2019-01-01T00:00:00.000Z' }).where('id', '=', struggle.id).execute();
      const member = await person([[follower.id, 'member']]);
      const actorAdmin = await person([[actor.id, 'admin']]);
      const admin = await person([], true);
      return { follower, actor, hidden, network, struggle, member, actorAdmin, admin };
    }

    test('an organization member follows a struggle, a call, a network and a country; repeating a follow changes nothing', async () => {
      const s = await scene();
      const call = await makeCall(t.db, 'kolwezi', 'kolwezi-miners');
      const a = await follow(t.db, s.member, { organization: 'berlin', kind: 'struggle', target: 'kolwezi' });
      assert.equal(a.created, true);
      assert.equal(a.targetId, s.struggle.id);
      const again = await follow(t.db, s.member, { organization: 'berlin', kind: 'struggle', target: 'kolwezi' });
      assert.deepEqual([again.id, again.created], [a.id, false]);
      await follow(t.db, s.member, { organization: 'berlin', kind: 'call', target: call.slug });
      await follow(t.db, s.member, { organization: 'berlin', kind: 'network', target: 'miners-net' });
      await follow(t.db, s.member, { organization: 'berlin', kind: 'country', target: 'cd' });
      const list = await listFollows(t.db, s.member, s.follower.id);
      assert.deepEqual(
        list.map((f) => [f.kind, f.slug, f.label]).sort(),
        [
          ['call', call.slug, list.find((f) => f.kind === 'call')!.label],
          ['country', 'CD', null],
          ['network', 'miners-net', 'Miners network'],
          ['struggle', 'kolwezi', 'Kolwezi strike'],
        ],
      );
      const options = await followOptions(t.db, s.member, 'struggle', s.struggle.id);
      assert.deepEqual(options.map((o) => [o.slug, o.followId]), [['berlin', a.id]]);
      const audit = await t.db.selectFrom('audit_events').select('action').where('organization_id', '=', s.follower.id).execute();
      assert.equal(audit.filter((e) => e.action === 'follow.created').length, 4);
    });

    test('follows refuse bad input, invisible targets, read-only roles and strangers', async () => {
      const s = await scene();
      const viewerRole = await person([[s.follower.id, 'viewer']]);
      const stranger = await person([]);
      await makeStruggle(t.db, { title: 'Secret', slug: 'secret', country: 'CD', organization: 'hidden', visibility: 'members' });
      await assert.rejects(follow(t.db, null, { organization: 'berlin', kind: 'country', target: 'CD' }), SignInRequired);
      await assert.rejects(follow(t.db, viewerRole, { organization: 'berlin', kind: 'country', target: 'CD' }), Forbidden);
      await assert.rejects(follow(t.db, stranger, { organization: 'berlin', kind: 'country', target: 'CD' }), Forbidden);
      const errs = async (input: Record<string, unknown>) => {
        try {
          await follow(t.db, s.member, input);
        } catch (err) {
          assert.ok(err instanceof ValidationFailed);
          return err.errors.map((e) => [e.field, e.messageId]);
        }
        assert.fail('accepted');
      };
      assert.deepEqual(await errs({ organization: 'berlin', kind: 'planet', target: 'x' }), [['kind', 'validation.choice']]);
      assert.deepEqual(await errs({ organization: 'berlin', kind: 'country', target: 'XX' }), [['target', 'validation.country']]);
      assert.deepEqual(await errs({ organization: 'berlin', kind: 'struggle', target: 'secret' }), [['target', 'follows.errors.target_unknown']]);
      assert.deepEqual(await errs({ organization: 'nowhere', kind: 'struggle', target: 'kolwezi' }), [['organization', 'validation.organization_unknown']]);
      assert.equal(await t.db.selectFrom('follows').select('id').executeTakeFirst(), undefined);
      // Listing and ending follows is for the organization's own members.
      const f = await follow(t.db, s.member, { organization: 'berlin', kind: 'country', target: 'CD' });
      await assert.rejects(listFollows(t.db, stranger, s.follower.id), NotFound);
      await assert.rejects(unfollow(t.db, stranger, 'berlin', f.id), NotFound);
      await assert.rejects(unfollow(t.db, viewerRole, 'berlin', f.id), Forbidden);
      await unfollow(t.db, s.member, 'berlin', f.id);
      assert.deepEqual(await listFollows(t.db, s.member, s.follower.id), []);
    });

    test('a plain member of a private organization follows in its name and reads what it brings', async () => {
      const s = await scene();
      const closed = await makeOrganization(t.db, { name: 'Closed Circle', slug: 'closed', visibility: 'private' });
      const member = await person([[closed.id, 'member']]);
      const f = await follow(t.db, member, { organization: 'closed', kind: 'struggle', target: 'kolwezi' });
      assert.equal(f.created, true);
      await backdateFollows();
      await addStruggleUpdate(t.db, null, 'kolwezi', { date: '2026-03-05', body: 'Day five.' }, { trusted: true });
      assert.deepEqual((await listNotifications(t.db, member)).map((i) => i.detail), ['Day five.']);
      assert.deepEqual((await listFollows(t.db, member, closed.id)).map((x) => x.slug), ['kolwezi']);
      await unfollow(t.db, member, 'closed', f.id);
      // A stranger cannot tell the private organization from a missing one.
      const stranger = await person([]);
      await assert.rejects(follow(t.db, stranger, { organization: 'closed', kind: 'struggle', target: 'kolwezi' }), ValidationFailed);
      void s;
    });

    test('notifications list what happened under the follows, once each, newest first, visible to the reader only', async () => {
      const s = await scene();
      await follow(t.db, s.member, { organization: 'berlin', kind: 'struggle', target: 'kolwezi' });
      await follow(t.db, s.member, { organization: 'berlin', kind: 'country', target: 'CD' });
      await follow(t.db, s.member, { organization: 'berlin', kind: 'network', target: 'miners-net' });
      await backdateFollows();
      await addStruggleUpdate(t.db, null, 'kolwezi', { date: '2026-03-02', body: 'Day two of the strike.' }, { trusted: true });
      const call = await makeCall(t.db, 'kolwezi', 'kolwezi-miners', { title: 'Messages to Kolwezi' });
      await makeCall(t.db, 'kolwezi', 'kolwezi-miners', { title: 'Private planning', visibility: 'private' });
      await makeResponse(t.db, call.slug, 'kolwezi-miners', { kind: 'rally_held', country: 'CD' });
      await makeResponse(t.db, call.slug, 'berlin', { kind: 'statement_sent' });
      await makeResponse(t.db, call.slug, 'hidden', { kind: 'message' });
      const day = await makeActionDay(t.db, s.admin, 'kolwezi-miners', { title: 'Miners day', network: 'miners-net', startDate: '2027-04-28' });
      await makeLocalAction(t.db, s.admin, day.slug, 'kolwezi-miners', {
        city: 'Lubumbashi', country: 'CD', startLocal: '2027-04-28T09:00', endLocal: '2027-04-28T11:00', timeZone: 'Africa/Lubumbashi',
      });
      await makeStruggle(t.db, { title: 'Likasi sit-in', slug: 'likasi', country: 'CD' });
      await makeStruggle(t.db, { title: 'Elsewhere', slug: 'elsewhere', country: 'PE' });

      const items = await listNotifications(t.db, s.member);
      const seen = items.map((i) => `${i.kind}:${i.subject.slug}:${i.detail ?? ''}`).sort();
      assert.deepEqual(seen, [
        `action_day_called:${day.slug}:2027-04-28`,
        `call_issued:${call.slug}:Kolwezi strike`,
        `local_action_registered:${day.slug}:Lubumbashi`,
        `response_recorded:${call.slug}:rally_held`,
        'struggle_created:likasi:',
        'struggle_update:kolwezi:Day two of the strike.',
      ]);
      // Newest first.
      const ats = items.map((i) => i.at);
      assert.deepEqual(ats, [...ats].sort().reverse());
      const response = items.find((i) => i.kind === 'response_recorded')!;
      assert.deepEqual(response.actor, { slug: 'kolwezi-miners', name: 'Kolwezi Miners' });
      assert.equal(response.reason.organizationId, s.follower.id);
      // Members of the hidden group do see its response, and the private call stays with its issuers.
      const hiddenMember = await person([[s.hidden.id, 'member'], [s.follower.id, 'member']]);
      const theirs = await listNotifications(t.db, hiddenMember);
      assert.ok(theirs.some((i) => i.kind === 'response_recorded' && i.detail === 'message'));
      assert.ok(!theirs.some((i) => i.subject.title === 'Private planning'));
      const leader = await person([[s.actor.id, 'admin'], [s.follower.id, 'member']]);
      assert.ok((await listNotifications(t.db, leader)).some((i) => i.subject.title === 'Private planning'));
      // No organization, no notifications; anonymous readers have none.
      assert.deepEqual(await listNotifications(t.db, await person([])), []);
      assert.deepEqual(await listNotifications(t.db, null), []);
    });

    test('only what happened after the follow counts; windows and pages cut the list exactly', async () => {
      const s = await scene();
      await addStruggleUpdate(t.db, null, 'kolwezi', { date: '2026-03-01', body: 'Before the follow.' }, { trusted: true });
      await t.db.updateTable('struggle_updates').set({ created_at: '2019-06-01T00:00:00.000Z' }).execute();
      await follow(t.db, s.member, { organization: 'berlin', kind: 'struggle', target: 'kolwezi' });
      await backdateFollows();
      const bodies = ['one', 'two', 'three', 'four', 'five'];
      for (const body of bodies) await addStruggleUpdate(t.db, null, 'kolwezi', { date: '2026-03-02', body }, { trusted: true });
      const stamps = ['2026-11-01T10:00:00.000Z', '2026-11-02T10:00:00.000Z', '2026-11-03T10:00:00.000Z', '2026-11-04T10:00:00.000Z', '2026-11-05T10:00:00.000Z'];
      for (const [i, body] of bodies.entries()) await t.db.updateTable('struggle_updates').set({ created_at: stamps[i]! }).where('body', '=', body).execute();

      const all = await listNotifications(t.db, s.member);
      assert.deepEqual(all.map((i) => i.detail), ['five', 'four', 'three', 'two', 'one']);
      const win = await listNotifications(t.db, s.member, { after: stamps[1], until: stamps[3] });
      assert.deepEqual(win.map((i) => i.detail), ['four', 'three']);
      const page1 = await listNotifications(t.db, s.member, { limit: 2 });
      const last = page1.at(-1)!;
      const page2 = await listNotifications(t.db, s.member, { limit: 2, before: { at: last.at, eventId: last.eventId } });
      assert.deepEqual([...page1, ...page2].map((i) => i.detail), ['five', 'four', 'three', 'two']);

      assert.equal(await countUnread(t.db, s.member), 5);
      assert.equal(await countUnread(t.db, s.member, 3), 3);
      await markNotificationsRead(t.db, s.member.userId, stamps[2]!);
      assert.equal(await countUnread(t.db, s.member), 2);
      // The mark never moves backwards.
      await markNotificationsRead(t.db, s.member.userId, stamps[0]!);
      assert.equal(await countUnread(t.db, s.member), 2);
    });

    test('following a network or a struggle brings the local actions of their action days', async () => {
      const s = await scene();
      await follow(t.db, s.member, { organization: 'berlin', kind: 'network', target: 'miners-net' });
      await backdateFollows();
      const day = await makeActionDay(t.db, s.admin, 'kolwezi-miners', { title: 'Miners day', network: 'miners-net', startDate: '2027-04-28' });
      await makeLocalAction(t.db, s.admin, day.slug, 'kolwezi-miners', {
        city: 'Lima', country: 'PE', startLocal: '2027-04-28T09:00', endLocal: '2027-04-28T11:00', timeZone: 'America/Lima',
      });
      const items = await listNotifications(t.db, s.member);
      assert.deepEqual(items.map((i) => [i.kind, i.detail]).sort(), [['action_day_called', '2027-04-28'], ['local_action_registered', 'Lima']]);
    });

    test('what the following organization did itself does not come back to it', async () => {
      const s = await scene();
      const own = await person([[s.actor.id, 'member']]);
      await follow(t.db, own, { organization: 'kolwezi-miners', kind: 'struggle', target: 'kolwezi' });
      await backdateFollows();
      const call = await makeCall(t.db, 'kolwezi', 'kolwezi-miners');
      await makeResponse(t.db, call.slug, 'berlin', { kind: 'delegation' });
      const items = await listNotifications(t.db, own);
      assert.deepEqual(items.map((i) => [i.kind, i.detail]), [['response_recorded', 'delegation']]);
    });
  });
}
