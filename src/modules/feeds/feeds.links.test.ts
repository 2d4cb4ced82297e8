import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES } from '../../../test/helpers/db.ts';
import { useTestApp, loginAs } from '../../../test/helpers/app.ts';
import { makeNetwork, makeOrganization } from '../../../test/helpers/factories.ts';

for (const engine of ENGINES) {
  describe(`feed links on pages (${engine})`, () => {
    const t = useTestApp(engine);

    test('public organizations and networks link their calendar and Atom feeds, and the links answer; members-only ones link none', async () => {
      const pub = await makeOrganization(t.db.db, { name: 'Open Union' });
      const hidden = await makeOrganization(t.db.db, { name: 'Closed Circle', visibility: 'members' });
      const net = await makeNetwork(t.db.db, { name: 'Miners Network' });
      const page = async (url: string, cookie?: string) => (await t.app.inject({ method: 'GET', url, headers: { 'accept-language': 'en', ...(cookie ? { cookie } : {}) } })).body;

      const open = await page(`/organizations/${pub.slug}`);
      for (const href of [`/organizations/${pub.slug}/calendar.ics`, `/organizations/${pub.slug}/feed.atom`]) {
        assert.ok(open.includes(`href="${href}"`), href);
        assert.equal((await t.app.inject({ method: 'GET', url: href })).statusCode, 200, href);
      }
      const member = await loginAs(t, { roles: [[hidden.id, 'member']] });
      const closed = await page(`/organizations/${hidden.slug}`, member.cookie);
      assert.ok(closed.includes('Closed Circle'));
      assert.ok(!closed.includes('calendar.ics') && !closed.includes('feed.atom'), 'no feed links for a record whose feeds are 404');
      const network = await page(`/networks/${net.slug}`);
      assert.ok(network.includes(`href="/networks/${net.slug}/calendar.ics"`));
      assert.ok(network.includes(`href="/networks/${net.slug}/feed.atom"`));
    });
  });
}
