import { test } from 'node:test';
import { buildTestApp, loginAs } from '/work/main/test/helpers/app.ts';
import { makeNetwork, makeNetworkMembership, makeOrganization } from '/work/main/test/helpers/factories.ts';
test('peek', async () => {
  const t = await buildTestApp('sqlite');
  const net = await makeNetwork(t.db.db, { name: 'Auto' });
  const de = await makeOrganization(t.db.db, { name: 'DE org', country: 'DE' });
  await makeNetworkMembership(t.db.db, net.slug, de.slug, { role: 'coordinator', until: '2020-01-01', since: '2019-01-01' });
  await makeNetworkMembership(t.db.db, net.slug, de.slug, { role: 'member', since: '2021-01-01' });
  const me = await loginAs(t, { roles: [[de.id, 'admin']] });
  const r = await t.app.inject({ url: `/networks/${net.slug}`, headers: { cookie: me.cookie } });
  const m = r.body.indexOf('<main');
  console.log(r.body.slice(m, m + 4000));
  await t.close();
});
