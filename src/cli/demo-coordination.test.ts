import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDb, ENGINES, type TestDb } from '../../test/helpers/db.ts';
import { makeStruggle } from '../../test/helpers/factories.ts';
import { buildDemoScenario, DEMO_CONGO_STRUGGLE } from './demo-scenario.ts';
import { buildDemoCoordination, DEMO_ACTION_DAY } from './demo-coordination.ts';
import { viewerForAccount } from '../modules/accounts/accounts.service.ts';
import { listNotifications } from '../modules/follows/notifications.repo.ts';

for (const engine of ENGINES) {
  describe(`demo coordination (${engine})`, () => {
    let t: TestDb;
    let built: Awaited<ReturnType<typeof buildDemoCoordination>>;
    before(async () => {
      t = await createTestDb(engine);
      await buildDemoScenario(t.db);
      // Two imported automotive stoppages, as the FMCS import would leave them.
      for (const [i, date] of ['2019-09-16', '2018-03-02'].entries()) {
        const s = await makeStruggle(t.db, { title: `Work stoppage at Plant ${i + 1}`, sector: 'automotive', country: 'US', startDate: date });
        await t.db.updateTable('struggles').set({ external_ref: `fmcs:${i + 1}:${date}` }).where('id', '=', s.id).execute();
      }
      built = await buildDemoCoordination(t.db);
    });
    after(() => t.drop());

    test('calls on the Congo strike and on two imported stoppages, answered from organizations in at least 6 countries', async () => {
      assert.deepEqual(built, { calls: 3, responses: 9, localActions: 9, follows: 5 });
      const congo = await t.db
        .selectFrom('solidarity_calls')
        .innerJoin('struggles', 'struggles.id', 'solidarity_calls.struggle_id')
        .select(['solidarity_calls.id', 'struggles.slug'])
        .where('struggles.slug', '=', DEMO_CONGO_STRUGGLE)
        .executeTakeFirstOrThrow();
      const countries = await t.db
        .selectFrom('solidarity_responses')
        .innerJoin('organizations', 'organizations.id', 'solidarity_responses.organization_id')
        .select('organizations.country')
        .distinct()
        .where('solidarity_responses.call_id', '=', congo.id)
        .execute();
      assert.ok(countries.length >= 6, `${countries.length} countries`);
      const onImported = await t.db
        .selectFrom('solidarity_calls')
        .innerJoin('struggles', 'struggles.id', 'solidarity_calls.struggle_id')
        .select('struggles.external_ref')
        .where('struggles.external_ref', 'like', 'fmcs:%')
        .execute();
      assert.equal(onImported.length, 2);
    });

    test("the miners' action day has local actions in 8 countries and 7 time zones, one of them a half-hour zone", async () => {
      const day = await t.db.selectFrom('action_days').select(['id', 'start_date', 'network_id']).where('slug', '=', DEMO_ACTION_DAY).executeTakeFirstOrThrow();
      assert.equal(String(day.start_date).slice(0, 10), '2027-05-01');
      assert.ok(day.network_id);
      const actions = await t.db.selectFrom('local_actions').select(['country', 'time_zone', 'starts_at', 'all_day']).where('action_day_id', '=', day.id).execute();
      assert.equal(new Set(actions.map((a) => a.country)).size, 8);
      const zones = new Set(actions.map((a) => a.time_zone).filter(Boolean));
      assert.equal(zones.size, 7);
      assert.ok(zones.has('Asia/Kolkata'));
      // Dhanbad 17:30 IST (+05:30) is 12:00 UTC.
      const kolkata = actions.find((a) => a.time_zone === 'Asia/Kolkata')!;
      assert.equal(new Date(String(kolkata.starts_at)).toISOString(), '2027-05-01T12:00:00.000Z');
      assert.equal(actions.filter((a) => Number(a.all_day) === 1).length, 1);
    });

    test('the demo accounts find what their organizations follow in their notifications', async () => {
      const kinds = async (email: string) => {
        const user = await t.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow();
        const items = await listNotifications(t.db, await viewerForAccount(t.db, user.id));
        const byKind: Record<string, number> = {};
        for (const i of items) byKind[i.kind] = (byKind[i.kind] ?? 0) + 1;
        return byKind;
      };
      // Solidarität Grenzenlos follows the strike, Congo and the miners' network. Of the seven
      // answers, the one of the Coal Belt Women's Assembly (visible to its networks only) is not for it.
      // Through the strike and the network it also sees the day's local actions (again all but the Assembly's).
      assert.deepEqual(await kinds('grenzenlos@demo.solidaris.invalid'), { call_issued: 1, response_recorded: 6, action_day_called: 1, local_action_registered: 8 });
      // The Kolwezi union follows its own call: the answers of others it may see.
      assert.deepEqual(await kinds('kolwezi@demo.solidaris.invalid'), { response_recorded: 6 });
      // The circle follows Germany: the information stand in Esslingen.
      assert.deepEqual(await kinds('freundeskreis@demo.solidaris.invalid'), { local_action_registered: 1 });
    });
  });
}
