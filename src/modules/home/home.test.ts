import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES } from '../../../test/helpers/db.ts';
import { useTestApp, loginAs } from '../../../test/helpers/app.ts';
import { makeOrganization, makeStruggle } from '../../../test/helpers/factories.ts';
import { newId } from '../../lib/ids.ts';
import { todayIn } from '../../lib/time.ts';
import type { Visibility } from '../../db/schema.ts';

/** A day `days` after today (UTC), date-only. */
function dayFromToday(days: number): string {
  const [y, m, d] = todayIn('UTC').split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

for (const engine of ENGINES) {
  describe(`home page coordination overview (${engine})`, () => {
    const t = useTestApp(engine);
    const now = new Date().toISOString();

    async function call(struggleId: string, organizationId: string, title: string, visibility: Visibility, deadline: string | null) {
      await t.db.db
        .insertInto('solidarity_calls')
        .values({ id: newId(), slug: title.toLowerCase().replace(/\W+/g, '-'), struggle_id: struggleId, organization_id: organizationId, title, body: 'Body', lang: 'en', deadline, action_date: null, visibility, search_text: title.toLowerCase(), created_by: null, created_at: now, updated_at: now })
        .execute();
    }
    async function day(organizationId: string, title: string, visibility: Visibility, start: string, end: string) {
      await t.db.db
        .insertInto('action_days')
        .values({ id: newId(), slug: title.toLowerCase().replace(/\W+/g, '-'), title, call_text: 'Join', lang: 'en', start_date: start, end_date: end, organization_id: organizationId, network_id: null, struggle_id: null, visibility, search_text: title.toLowerCase(), created_by: null, created_at: now, updated_at: now })
        .execute();
    }

    test('lists open calls and upcoming action days the reader may see; closed, past and private ones stay out', async () => {
      const org = await makeOrganization(t.db.db, { name: 'Syndicat des Mineurs' });
      const strike = await makeStruggle(t.db.db, { title: 'Cobalt strike', organization: org.slug });
      await call(strike.id, org.id, 'Send messages Alpha', 'public', dayFromToday(10));
      await call(strike.id, org.id, 'Open ended Beta', 'public', null);
      await call(strike.id, org.id, 'Closed call Gamma', 'public', dayFromToday(-1));
      await call(strike.id, org.id, 'Private call Delta', 'private', dayFromToday(5));
      await day(org.id, 'Miners day Epsilon', 'public', dayFromToday(3), dayFromToday(3));
      await day(org.id, 'Past day Zeta', 'public', dayFromToday(-10), dayFromToday(-9));
      await day(org.id, 'Members day Eta', 'members', dayFromToday(4), dayFromToday(5));

      const anonymous = (await t.app.inject({ method: 'GET', url: '/', headers: { 'accept-language': 'en' } })).body;
      assert.ok(anonymous.includes('Open calls for solidarity'));
      const order = ['Send messages Alpha', 'Open ended Beta'].map((s) => anonymous.indexOf(s));
      assert.ok(order.every((i) => i > 0) && order[0]! < order[1]!, 'deadline first, then open-ended');
      for (const hidden of ['Closed call Gamma', 'Private call Delta', 'Past day Zeta', 'Members day Eta']) assert.ok(!anonymous.includes(hidden), hidden);
      assert.ok(anonymous.includes('Miners day Epsilon'));
      assert.ok(anonymous.includes('href="/calls/send-messages-alpha"'));

      const coordinator = await loginAs(t, { roles: [[org.id, 'coordinator']] });
      const inside = (await t.app.inject({ method: 'GET', url: '/', headers: { cookie: coordinator.cookie, 'accept-language': 'en' } })).body;
      assert.ok(inside.includes('Private call Delta'));
      assert.ok(inside.includes('Members day Eta'));
      assert.ok(!inside.includes('Closed call Gamma'));
    });

    test('without calls or action days the section is left out', async () => {
      const body = (await t.app.inject({ method: 'GET', url: '/', headers: { 'accept-language': 'en' } })).body;
      assert.ok(!body.includes('Open calls for solidarity'));
    });
  });
}
