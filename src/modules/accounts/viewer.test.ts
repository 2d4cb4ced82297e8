import { describe, test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES, createTestDb, type TestDb } from '../../../test/helpers/db.ts';
import { makeNetwork, makeNetworkMembership, makeOrganization } from '../../../test/helpers/factories.ts';
import { canSee } from '../../db/visibility.ts';
import { createSession, createUser, loadViewer, setNetworkRole, setOrganizationRole, tokenHash } from './accounts.service.ts';

let people = 0;
async function person(db: TestDb): Promise<string> {
  people += 1;
  return createUser(db.db, { email: `viewer${people}@example.org`, displayName: `Viewer ${people}`, password: 'correct horse battery' });
}

for (const engine of ENGINES) {
  describe(`${engine}: loadViewer`, () => {
    let db: TestDb;
    before(async () => {
      db = await createTestDb(engine);
    });
    after(async () => {
      await db.drop();
    });
    beforeEach(async () => {
      await db.reset();
    });

    test('a session still waiting for its second factor is no viewer; once proven it is', async () => {
      const userId = await person(db);
      const token = await createSession(db.db, userId, { pendingSecondFactor: true, userAgent: 'Firefox' });
      assert.equal(await loadViewer(db.db, token), null);
      await db.db.updateTable('sessions').set({ pending_second_factor: 0, second_factor_at: new Date().toISOString() }).where('id', '=', tokenHash(token)).execute();
      const v = await loadViewer(db.db, token);
      assert.equal(v?.userId, userId);
      assert.equal(v?.secondFactorVerified, true);
      const row = await db.db.selectFrom('sessions').select('user_agent').where('id', '=', tokenHash(token)).executeTakeFirstOrThrow();
      assert.equal(row.user_agent, 'Firefox');
    });

    test('an erased account has no viewer even with a live session', async () => {
      const userId = await person(db);
      const token = await createSession(db.db, userId);
      await db.db.updateTable('users').set({ erased_at: new Date().toISOString() }).where('id', '=', userId).execute();
      assert.equal(await loadViewer(db.db, token), null);
    });

    test('an admin of an organization that requires a second factor acts as member until the session proves one', async () => {
      const strict = await makeOrganization(db.db);
      const relaxed = await makeOrganization(db.db);
      await db.db.updateTable('organizations').set({ require_second_factor: 1 }).where('id', '=', strict.id).execute();
      const userId = await person(db);
      await setOrganizationRole(db.db, strict.id, userId, 'admin');
      await setOrganizationRole(db.db, relaxed.id, userId, 'admin');
      const plain = (await loadViewer(db.db, await createSession(db.db, userId)))!;
      assert.equal(plain.roles.get(strict.id), 'member');
      assert.equal(plain.roles.get(relaxed.id), 'admin');
      assert.deepEqual([...plain.heldBackRoles], [strict.id]);
      assert.equal(canSee(plain, { visibility: 'private', organization_id: strict.id }), false, 'private records need admin/coordinator');
      const proven = (await loadViewer(db.db, await createSession(db.db, userId, { secondFactorVerified: true })))!;
      assert.equal(proven.roles.get(strict.id), 'admin');
      assert.equal(proven.heldBackRoles.size, 0);
      assert.equal(canSee(proven, { visibility: 'private', organization_id: strict.id }), true);
    });

    test('a person with a role in a network reads the network records of its current member organizations only', async () => {
      const network = await makeNetwork(db.db);
      const current = await makeOrganization(db.db);
      const former = await makeOrganization(db.db);
      const outside = await makeOrganization(db.db);
      const future = await makeOrganization(db.db);
      await makeNetworkMembership(db.db, network.slug, current.slug);
      await makeNetworkMembership(db.db, network.slug, future.slug, { since: '2999-01-01' });
      await makeNetworkMembership(db.db, network.slug, former.slug, { since: '2020-01-01', until: '2021-01-01' });
      const userId = await person(db);
      await setNetworkRole(db.db, network.id, userId, 'member');
      const v = (await loadViewer(db.db, await createSession(db.db, userId)))!;
      assert.equal(v.networkRoles.get(network.id), 'member');
      assert.equal(canSee(v, { visibility: 'network', organization_id: current.id }), true);
      assert.equal(canSee(v, { visibility: 'network', organization_id: former.id }), false);
      assert.equal(canSee(v, { visibility: 'network', organization_id: outside.id }), false);
      assert.equal(canSee(v, { visibility: 'network', organization_id: future.id }), false, 'a membership that has not started grants nothing');
      assert.equal(canSee(v, { visibility: 'members', organization_id: current.id }), false, 'a network role is no organization membership');
      await setNetworkRole(db.db, network.id, userId, 'coordinator');
      const again = (await loadViewer(db.db, await createSession(db.db, userId)))!;
      assert.equal(again.networkRoles.get(network.id), 'coordinator');
    });

    test('organizations share network records only while both memberships are current (started and not ended)', async () => {
      const network = await makeNetwork(db.db);
      const mine = await makeOrganization(db.db);
      const current = await makeOrganization(db.db);
      const future = await makeOrganization(db.db);
      await makeNetworkMembership(db.db, network.slug, mine.slug);
      await makeNetworkMembership(db.db, network.slug, current.slug);
      await makeNetworkMembership(db.db, network.slug, future.slug, { since: '2999-01-01' });
      const userId = await person(db);
      await setOrganizationRole(db.db, mine.id, userId, 'member');
      const v = (await loadViewer(db.db, await createSession(db.db, userId)))!;
      assert.equal(v.networkPeers.has(current.id), true);
      assert.equal(v.networkPeers.has(future.id), false);
    });

    test('hasSecondFactor reflects TOTP or a passkey on the account', async () => {
      const userId = await person(db);
      const token = await createSession(db.db, userId);
      assert.equal((await loadViewer(db.db, token))!.hasSecondFactor, false);
      await db.db
        .insertInto('passkeys')
        .values({ id: 'cred-1', user_id: userId, public_key: 'pk', name: 'Laptop', created_at: new Date().toISOString() })
        .execute();
      assert.equal((await loadViewer(db.db, token))!.hasSecondFactor, true);
    });

    test('last_seen_at is refreshed when older than five minutes, not on every request', async () => {
      const userId = await person(db);
      const token = await createSession(db.db, userId);
      const old = '2026-01-01T00:00:00.000Z';
      await db.db.updateTable('sessions').set({ last_seen_at: old }).where('id', '=', tokenHash(token)).execute();
      await loadViewer(db.db, token);
      const seen = await db.db.selectFrom('sessions').select('last_seen_at').where('id', '=', tokenHash(token)).executeTakeFirstOrThrow();
      const first = new Date(String(seen.last_seen_at)).toISOString();
      assert.notEqual(first, old);
      await loadViewer(db.db, token);
      const again = await db.db.selectFrom('sessions').select('last_seen_at').where('id', '=', tokenHash(token)).executeTakeFirstOrThrow();
      assert.equal(new Date(String(again.last_seen_at)).toISOString(), first);
    });
  });
}
