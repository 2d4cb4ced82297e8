import { describe, test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES, createTestDb, type TestDb } from '../../../test/helpers/db.ts';
import { makeNetwork, makeNetworkMembership, makeOrganization } from '../../../test/helpers/factories.ts';
import { createSession, createUser, loadViewer, setNetworkRole, setOrganizationRole } from '../accounts/accounts.service.ts';
import { Forbidden, NotFound, SignInRequired, ValidationFailed } from '../../http/errors.ts';
import type { Viewer } from '../../http/viewer.ts';
import { addNetworkMembership, createNetwork, endNetworkMembership, updateNetwork } from './networks.service.ts';
import { countNetworks, getNetworkDetail, listNetworks } from './networks.repo.ts';

let people = 0;

/** A signed-in viewer as a request would see it (roles and network peers loaded from storage). */
async function viewerFor(db: TestDb, o: { admin?: boolean; roles?: [string, 'admin' | 'coordinator' | 'member' | 'viewer'][] } = {}): Promise<Viewer> {
  people += 1;
  const userId = await createUser(db.db, { email: `net${people}@example.org`, displayName: `Net ${people}`, password: 'correct horse battery', isAdmin: o.admin });
  for (const [org, role] of o.roles ?? []) await setOrganizationRole(db.db, org, userId, role);
  return (await loadViewer(db.db, await createSession(db.db, userId)))!;
}

/** The field names of a ValidationFailed thrown by `fn`. */
async function fieldErrors(fn: () => Promise<unknown>): Promise<string[]> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof ValidationFailed) return err.errors.map((e) => `${e.field}:${e.messageId}`);
    throw err;
  }
  assert.fail('expected ValidationFailed');
}

const TODAY = new Date().toISOString().slice(0, 10);

for (const engine of ENGINES) {
  describe(engine, () => {
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

    describe('createNetwork / updateNetwork', () => {
      test('a signed-in account creates a network and is recorded as its creator', async () => {
        const v = await viewerFor(db);
        const { id, slug } = await createNetwork(db.db, v, { name: '  Automobilarbeiter International ', sector: 'automotive', description: 'Gemeinsam', descriptionLang: 'de' });
        assert.equal(slug, 'automobilarbeiter-international');
        const row = await db.db.selectFrom('networks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
        assert.deepEqual(
          { name: row.name, sector: row.sector, description: row.description, lang: row.description_lang, by: row.created_by },
          { name: 'Automobilarbeiter International', sector: 'automotive', description: 'Gemeinsam', lang: 'de', by: v.userId },
        );
        const again = await createNetwork(db.db, v, { name: 'Automobilarbeiter International', sector: 'automotive' });
        assert.equal(again.slug, 'automobilarbeiter-international-2');
        const audit = await db.db.selectFrom('audit_events').select(['action', 'actor_user_id', 'organization_id', 'subject_id']).orderBy('at').orderBy('id').execute();
        assert.deepEqual(audit.map((a) => ({ ...a })), [
          { action: 'network.created', actor_user_id: v.userId, organization_id: null, subject_id: id },
          { action: 'network.created', actor_user_id: v.userId, organization_id: null, subject_id: again.id },
        ]);
      });

      test('anonymous creation needs a sign-in; trusted callers may create without a viewer', async () => {
        await assert.rejects(createNetwork(db.db, null, { name: 'Miners', sector: 'mining' }), SignInRequired);
        const { slug } = await createNetwork(db.db, null, { name: 'Miners', sector: 'mining' }, { trusted: true });
        assert.equal(slug, 'miners');
        assert.equal(await countNetworks(db.db, {}), 1);
      });

      test('bad input names every field and writes nothing', async () => {
        const v = await viewerFor(db);
        const errors = await fieldErrors(() => createNetwork(db.db, v, { name: 'A <b>', slug: 'Not A Slug', sector: 'steelworks', descriptionLang: 'not a tag!', description: 'x'.repeat(10001) }));
        assert.deepEqual(errors.sort(), [
          'description:validation.too_long',
          'descriptionLang:validation.language',
          'name:validation.name_characters',
          'sector:validation.choice',
          'slug:validation.slug',
        ]);
        assert.deepEqual(await fieldErrors(() => createNetwork(db.db, v, {})), ['name:validation.required', 'sector:validation.required']);
        assert.equal(await countNetworks(db.db, {}), 0);
      });

      test('the creator, instance admins and leaders of a current coordinator organization may update', async () => {
        const creator = await viewerFor(db);
        const net = await createNetwork(db.db, creator, { name: 'Miners', sector: 'mining' });
        const coordOrg = await makeOrganization(db.db, { country: 'CD' });
        const pastCoordOrg = await makeOrganization(db.db, { country: 'ZA' });
        await makeNetworkMembership(db.db, net.slug, coordOrg.slug, { role: 'coordinator', since: '2024-01-01' });
        await makeNetworkMembership(db.db, net.slug, pastCoordOrg.slug, { role: 'coordinator', since: '2020-01-01', until: '2023-12-31' });

        await updateNetwork(db.db, creator, net.slug, { name: 'Miners International', sector: 'mining' });
        const coordinator = await viewerFor(db, { roles: [[coordOrg.id, 'coordinator']] });
        const r = await updateNetwork(db.db, coordinator, net.slug, { name: 'Miners International', slug: 'miners-intl', sector: 'mining', description: 'Kolwezi and beyond' });
        assert.equal(r.slug, 'miners-intl');
        const admin = await viewerFor(db, { admin: true });
        await updateNetwork(db.db, admin, 'miners-intl', { name: 'International Miners', sector: 'mining' });
        const row = await db.db.selectFrom('networks').selectAll().where('id', '=', net.id).executeTakeFirstOrThrow();
        assert.equal(row.name, 'International Miners');
        assert.equal(row.description, null);

        const plainMember = await viewerFor(db, { roles: [[coordOrg.id, 'member']] });
        const formerLeader = await viewerFor(db, { roles: [[pastCoordOrg.id, 'admin']] });
        const stranger = await viewerFor(db);
        for (const v of [plainMember, formerLeader, stranger]) {
          await assert.rejects(updateNetwork(db.db, v, 'miners-intl', { name: 'Hijacked', sector: 'mining' }), Forbidden);
        }
        await assert.rejects(updateNetwork(db.db, null, 'miners-intl', { name: 'x', sector: 'mining' }), SignInRequired);
        await assert.rejects(updateNetwork(db.db, admin, 'nope', { name: 'x', sector: 'mining' }), NotFound);
        assert.deepEqual(await fieldErrors(() => updateNetwork(db.db, admin, 'miners-intl', { name: '', sector: 'mining' })), ['name:validation.required']);
      });
    });

    describe('addNetworkMembership / endNetworkMembership', () => {
      test('validates dates: required, real dates, until not before since', async () => {
        const net = await makeNetwork(db.db);
        const org = await makeOrganization(db.db);
        const admin = await viewerFor(db, { admin: true });
        assert.deepEqual(await fieldErrors(() => addNetworkMembership(db.db, admin, net.slug, { organization: org.slug })), ['since:validation.required']);
        assert.deepEqual(
          await fieldErrors(() => addNetworkMembership(db.db, admin, net.slug, { organization: org.slug, since: '2025-02-30', until: 'soon', role: 'boss' })),
          ['role:validation.choice', 'since:validation.date_impossible', 'until:validation.date'],
        );
        assert.deepEqual(
          await fieldErrors(() => addNetworkMembership(db.db, admin, net.slug, { organization: org.slug, since: '2025-06-01', until: '2025-05-31' })),
          ['until:networks.validation.until_before_since'],
        );
        assert.deepEqual(await fieldErrors(() => addNetworkMembership(db.db, admin, net.slug, { since: '2025-06-01' })), ['organization:validation.required']);
        assert.deepEqual(await fieldErrors(() => addNetworkMembership(db.db, admin, net.slug, { organization: 'ghost', since: '2025-06-01' })), ['organization:validation.organization_unknown']);
        await assert.rejects(addNetworkMembership(db.db, admin, 'no-such-network', { organization: org.slug, since: '2025-06-01' }), NotFound);
        const n = await db.db.selectFrom('network_memberships').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
        assert.equal(Number(n.n), 0);
      });

      test('a duplicate start and an overlapping period are field errors, a later period is fine', async () => {
        const net = await makeNetwork(db.db);
        const org = await makeOrganization(db.db);
        const admin = await viewerFor(db, { admin: true });
        const first = await addNetworkMembership(db.db, admin, net.slug, { organization: org.slug, role: 'member', since: '2020-01-01', until: '2021-12-31' });
        assert.deepEqual(
          await fieldErrors(() => addNetworkMembership(db.db, admin, net.slug, { organization: org.slug, since: '2020-01-01', until: '2020-03-01' })),
          ['since:networks.validation.duplicate'],
        );
        // 2021-12-31 is the first membership's last day (inclusive): starting then overlaps.
        assert.deepEqual(await fieldErrors(() => addNetworkMembership(db.db, admin, net.slug, { organization: org.slug, since: '2021-12-31' })), ['until:networks.validation.overlap']);
        assert.deepEqual(
          await fieldErrors(() => addNetworkMembership(db.db, admin, net.slug, { organization: org.slug, since: '2019-01-01' })),
          ['until:networks.validation.overlap'],
          'an open-ended earlier start runs into the existing period',
        );
        const second = await addNetworkMembership(db.db, admin, net.slug, { organization: org.slug, role: 'coordinator', since: '2022-01-01' });
        assert.deepEqual(await fieldErrors(() => addNetworkMembership(db.db, admin, net.slug, { organization: org.slug, since: '2030-01-01' })), ['until:networks.validation.overlap']);
        const rows = await db.db.selectFrom('network_memberships').select(['id', 'role', 'since', 'until']).orderBy('since').execute();
        assert.deepEqual(rows.map((r) => ({ ...r })), [
          { id: first.id, role: 'member', since: '2020-01-01', until: '2021-12-31' },
          { id: second.id, role: 'coordinator', since: '2022-01-01', until: null },
        ]);
        // The same organization may be in another network at the same time.
        const other = await makeNetwork(db.db);
        await addNetworkMembership(db.db, admin, other.slug, { organization: org.slug, since: '2022-01-01' });
      });

      test('an organization joins itself as member or observer, not as coordinator; others may not sign it up', async () => {
        const net = await makeNetwork(db.db);
        const org = await makeOrganization(db.db);
        const otherOrg = await makeOrganization(db.db);
        const leader = await viewerFor(db, { roles: [[org.id, 'coordinator']] });
        const member = await viewerFor(db, { roles: [[otherOrg.id, 'member']] });

        await assert.rejects(addNetworkMembership(db.db, leader, net.slug, { organization: org.slug, role: 'coordinator', since: '2025-01-01' }), Forbidden);
        await assert.rejects(addNetworkMembership(db.db, leader, net.slug, { organization: otherOrg.slug, since: '2025-01-01' }), Forbidden);
        await assert.rejects(addNetworkMembership(db.db, member, net.slug, { organization: otherOrg.slug, since: '2025-01-01' }), Forbidden, 'plain members cannot sign up their organization');
        await assert.rejects(addNetworkMembership(db.db, null, net.slug, { organization: org.slug, since: '2025-01-01' }), SignInRequired);
        const { id } = await addNetworkMembership(db.db, leader, net.slug, { organization: org.slug, role: 'observer', since: '2025-01-01' });
        const row = await db.db.selectFrom('network_memberships').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
        assert.equal(row.role, 'observer');
        assert.equal(row.organization_id, org.id);
      });

      test('network managers add only organizations they lead: joining needs the joining organization’s consent', async () => {
        const creator = await viewerFor(db);
        const net = await createNetwork(db.db, creator, { name: 'Textile workers', sector: 'textile' });
        const bd = await makeOrganization(db.db, { country: 'BD' });
        const tr = await makeOrganization(db.db, { country: 'TR' });
        // The creator manages the network but leads neither organization.
        await assert.rejects(addNetworkMembership(db.db, creator, net.slug, { organization: bd.slug, since: '2024-05-01' }), Forbidden);
        const bdAdmin = await viewerFor(db, { roles: [[bd.id, 'admin']] });
        await assert.rejects(addNetworkMembership(db.db, bdAdmin, net.slug, { organization: bd.slug, role: 'coordinator', since: '2024-05-01' }), Forbidden, 'the coordinator role needs the network');
        const both = await viewerFor(db, { roles: [[bd.id, 'admin']] });
        await db.db.updateTable('networks').set({ created_by: both.userId }).where('id', '=', net.id).execute();
        await addNetworkMembership(db.db, both, net.slug, { organization: bd.slug, role: 'coordinator', since: '2024-05-01' });
        // bd's admin now manages the network through bd's coordinator membership, yet still cannot enrol tr.
        await assert.rejects(addNetworkMembership(db.db, bdAdmin, net.slug, { organization: tr.slug, since: '2024-06-01' }), Forbidden);
        const trAdmin = await viewerFor(db, { roles: [[tr.id, 'admin']] });
        const m = await addNetworkMembership(db.db, trAdmin, net.slug, { organization: tr.slug, since: '2024-06-01' });
        // Network managers end any membership.
        const ended = await endNetworkMembership(db.db, bdAdmin, m.id, '2024-12-31');
        assert.deepEqual(ended, { id: m.id, until: '2024-12-31' });
      });

      test('an account with the network role coordinator manages the network', async () => {
        const net = await makeNetwork(db.db);
        const person = await viewerFor(db);
        const org = await makeOrganization(db.db);
        const m = await makeNetworkMembership(db.db, net.slug, org.slug, { since: '2024-01-01' });
        await assert.rejects(endNetworkMembership(db.db, person, m.id, '2024-12-31'), Forbidden);
        await setNetworkRole(db.db, net.id, person.userId, 'coordinator');
        const again = (await loadViewer(db.db, await createSession(db.db, person.userId)))!;
        assert.deepEqual(await endNetworkMembership(db.db, again, m.id, '2024-12-31'), { id: m.id, until: '2024-12-31' });
      });

      test('a members-only organization cannot be named by someone who cannot see it', async () => {
        const net = await makeNetwork(db.db);
        const hidden = await makeOrganization(db.db, { visibility: 'members' });
        const creator = await viewerFor(db);
        const own = await createNetwork(db.db, creator, { name: 'Mine', sector: 'mining' });
        assert.deepEqual(await fieldErrors(() => addNetworkMembership(db.db, creator, own.slug, { organization: hidden.slug, since: '2025-01-01' })), ['organization:validation.organization_unknown']);
        const insider = await viewerFor(db, { roles: [[hidden.id, 'admin']] });
        await addNetworkMembership(db.db, insider, net.slug, { organization: hidden.slug, since: '2025-01-01' });
      });

      test('ending a membership sets its last day, checked against its start and later periods', async () => {
        const net = await makeNetwork(db.db);
        const org = await makeOrganization(db.db);
        const leader = await viewerFor(db, { roles: [[org.id, 'admin']] });
        const stranger = await viewerFor(db);
        const early = await makeNetworkMembership(db.db, net.slug, org.slug, { since: '2020-01-01', until: '2020-12-31' });
        const late = await makeNetworkMembership(db.db, net.slug, org.slug, { since: '2022-01-01' });

        await assert.rejects(endNetworkMembership(db.db, stranger, late.id, '2025-01-01'), Forbidden);
        await assert.rejects(endNetworkMembership(db.db, null, late.id, '2025-01-01'), SignInRequired);
        await assert.rejects(endNetworkMembership(db.db, leader, 'missing', '2025-01-01'), NotFound);
        assert.deepEqual(await fieldErrors(() => endNetworkMembership(db.db, leader, late.id, '2021-12-31')), ['until:networks.validation.until_before_since']);
        assert.deepEqual(await fieldErrors(() => endNetworkMembership(db.db, leader, late.id, '')), ['until:validation.required']);
        assert.deepEqual(await fieldErrors(() => endNetworkMembership(db.db, leader, early.id, '2023-01-01')), ['until:networks.validation.overlap']);
        await endNetworkMembership(db.db, leader, late.id, '2025-06-30');
        const row = await db.db.selectFrom('network_memberships').select(['until']).where('id', '=', late.id).executeTakeFirstOrThrow();
        assert.equal(row.until, '2025-06-30');
      });
    });

    describe('listNetworks / getNetworkDetail', () => {
      test('counts and lists only memberships of organizations the viewer may see', async () => {
        const auto = await makeNetwork(db.db, { name: 'Automotive workers', sector: 'automotive' });
        const mine = await makeNetwork(db.db, { name: 'Miners', sector: 'mining' });
        const de = await makeOrganization(db.db, { name: 'IG Metall Basis', country: 'DE' });
        const de2 = await makeOrganization(db.db, { name: 'Autowerker Betriebsgruppe', country: 'DE' });
        const br = await makeOrganization(db.db, { name: 'Metalúrgicos ABC', country: 'BR' });
        const hidden = await makeOrganization(db.db, { name: 'Secret cell', country: 'TR', visibility: 'members' });
        const past = await makeOrganization(db.db, { name: 'Former friends', country: 'FR' });
        await makeNetworkMembership(db.db, auto.slug, de.slug, { role: 'coordinator', since: '2023-01-01' });
        await makeNetworkMembership(db.db, auto.slug, de2.slug, { since: '2024-01-01' });
        await makeNetworkMembership(db.db, auto.slug, br.slug, { role: 'observer', since: '2024-03-01' });
        await makeNetworkMembership(db.db, auto.slug, hidden.slug, { since: '2024-01-01' });
        await makeNetworkMembership(db.db, auto.slug, past.slug, { since: '2019-01-01', until: '2020-01-01' });
        await makeNetworkMembership(db.db, mine.slug, br.slug, { since: '2099-01-01' });

        const anon = await listNetworks(db.db, null, { limit: 10, today: TODAY });
        assert.deepEqual(anon.map((n) => [n.slug, n.sector, n.member_count]), [
          [auto.slug, 'automotive', 3],
          [mine.slug, 'mining', 0],
        ]);
        const insider = await viewerFor(db, { roles: [[hidden.id, 'member']] });
        const seen = await listNetworks(db.db, insider, { limit: 10, today: TODAY, sector: 'automotive' });
        assert.deepEqual(seen.map((n) => [n.slug, n.member_count]), [[auto.slug, 4]]);
        assert.equal(await countNetworks(db.db, { sector: 'mining' }), 1);

        const page1 = await listNetworks(db.db, null, { limit: 1, today: TODAY });
        const page2 = await listNetworks(db.db, null, { limit: 1, today: TODAY, after: { name: page1[0]!.name, id: page1[0]!.id } });
        assert.deepEqual([...page1, ...page2].map((n) => n.slug), [auto.slug, mine.slug]);

        const detail = (await getNetworkDetail(db.db, null, auto.slug, TODAY))!;
        assert.equal(detail.memberCount, 3);
        assert.deepEqual(Object.keys(detail.members), ['BR', 'DE', 'FR']);
        assert.deepEqual(
          detail.members.DE!.map((m) => [m.slug, m.name, m.kind, m.role, m.since, m.until, m.past]),
          [
            [de2.slug, 'Autowerker Betriebsgruppe', 'union', 'member', '2024-01-01', null, false],
            [de.slug, 'IG Metall Basis', 'union', 'coordinator', '2023-01-01', null, false],
          ],
        );
        assert.deepEqual(detail.members.FR!.map((m) => [m.slug, m.until, m.past]), [[past.slug, '2020-01-01', true]]);
        const inside = (await getNetworkDetail(db.db, insider, auto.slug, TODAY))!;
        assert.deepEqual(inside.members.TR!.map((m) => m.name), ['Secret cell']);
        const upcoming = (await getNetworkDetail(db.db, null, mine.slug, TODAY))!;
        assert.deepEqual(upcoming.members.BR!.map((m) => [m.upcoming, m.past]), [[true, false]]);
        assert.equal(await getNetworkDetail(db.db, null, 'nope'), undefined);
      });
    });
  });
}
