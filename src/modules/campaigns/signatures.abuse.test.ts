import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES } from '../../../test/helpers/db.ts';
import { form, formSession, useTestApp } from '../../../test/helpers/app.ts';
import { makeOrganization } from '../../../test/helpers/factories.ts';
import { insertCampaign } from '../../../test/helpers/campaigns.ts';
import { networkPrefix } from './signatures.routes.ts';

/**
 * Abuse limits of the signing path, with small limits: per client address and per network prefix
 * (IPv4 /24, IPv6 /48) per minute — 429 problem+json for the API, a 429 page in the reader's
 * language for the form — the honeypot (answered like a signature, nothing stored), and the cap on
 * unconfirmed signatures per e-mail domain and hour (a field error on `email`).
 */

describe('networkPrefix', () => {
  test('IPv4 /24, IPv6 /48, IPv4-mapped IPv6 as IPv4', () => {
    assert.equal(networkPrefix('203.0.113.77'), '203.0.113.0/24');
    assert.equal(networkPrefix('2001:db8:1:2::1'), '2001:db8:1::/48');
    assert.equal(networkPrefix('2001:0db8:0001:ffff:1:2:3:4'), '2001:db8:1::/48');
    assert.equal(networkPrefix('::ffff:198.51.100.9'), '198.51.100.0/24');
  });
});

for (const engine of ENGINES) {
  describe(`signing limits (${engine})`, () => {
    const t = useTestApp(engine, { signingLimits: { perAddressPerMinute: 3, perPrefixPerMinute: 5, unconfirmedPerDomainPerHour: 2 } });
    const db = () => t.db.db;
    let n = 0;
    const sign = (slug: string, body: Record<string, unknown>, remoteAddress: string, headers: Record<string, string> = {}) =>
      t.app.inject({ method: 'POST', url: `/api/v1/campaigns/${slug}/signatures`, remoteAddress, payload: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
    const someone = (domain = 'example.org') => ({ name: `Person ${++n}`, email: `person${n}@${domain}`, country: 'DE' });
    const campaign = async () => insertCampaign(db(), (await makeOrganization(db(), { name: `Union ${++n}` })).id);
    const rows = async () => (await db().selectFrom('supporters').select('id').execute()).length;
    /** An address in a network of its own (the limits are kept in memory for the app's life). */
    let net = 0;
    const fresh = () => `10.77.${++net}.1`;

    test('per address: the fourth request within a minute is a 429 problem with Retry-After; another address is not affected', async () => {
      const c = await campaign();
      for (let i = 0; i < 3; i++) assert.equal((await sign(c.slug, someone(`d${i}.example`), '198.51.100.7')).statusCode, 202);
      const fourth = await sign(c.slug, someone('d9.example'), '198.51.100.7', { 'accept-language': 'de' });
      assert.equal(fourth.statusCode, 429);
      assert.equal(fourth.headers['content-type'], 'application/problem+json; charset=utf-8');
      assert.deepEqual([fourth.json().code, fourth.json().title], ['rate_limited', 'Zu viele Anfragen; bitte warten Sie einen Moment']);
      assert.ok(Number(fourth.headers['retry-after']) > 0);
      assert.equal(await rows(), 3);
      assert.equal((await sign(c.slug, someone('d8.example'), '192.0.2.1')).statusCode, 202, 'another network');
    });

    test('per prefix: six addresses of one /24 share five requests, the form and the API together; IPv6 counts per /48', async () => {
      const c = await campaign();
      for (let i = 1; i <= 4; i++) assert.equal((await sign(c.slug, someone(`p${i}.example`), `203.0.113.${i}`)).statusCode, 202);
      // The fifth through the form, from yet another address of the /24.
      const s = await formSession(t, `/campaigns/${c.slug}/sign`);
      const viaForm = await t.app.inject({
        method: 'POST',
        url: `/campaigns/${c.slug}/sign`,
        remoteAddress: '203.0.113.5',
        headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'de' },
        payload: form({ _csrf: s.csrf, ...someone('p5.example') }),
      });
      assert.equal(viaForm.statusCode, 303);
      const sixth = await t.app.inject({
        method: 'POST',
        url: `/campaigns/${c.slug}/sign`,
        remoteAddress: '203.0.113.6',
        headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'de' },
        payload: form({ _csrf: s.csrf, ...someone('p6.example') }),
      });
      assert.equal(sixth.statusCode, 429);
      assert.match(sixth.headers['content-type'] as string, /^text\/html/);
      assert.match(sixth.body, /<html lang="de"/);
      assert.match(sixth.body, /Zu viele Anfragen; bitte warten Sie einen Moment/);
      assert.equal((await sign(c.slug, someone('p7.example'), '203.0.113.7')).statusCode, 429, 'the API shares the counter');
      assert.equal((await sign(c.slug, someone('p8.example'), '203.0.114.1')).statusCode, 202, 'the next /24');
      assert.equal(await rows(), 6);

      for (let i = 1; i <= 5; i++) assert.equal((await sign(c.slug, someone(`v${i}.example`), `2001:db8:7:${i}::1`)).statusCode, 202);
      assert.equal((await sign(c.slug, someone('v6.example'), '2001:db8:7:ff::2')).statusCode, 429, 'same /48');
      assert.equal((await sign(c.slug, someone('v7.example'), '2001:db8:8::1')).statusCode, 202, 'another /48');
    });

    test('honeypot: a filled field is answered exactly like a signature (API 202, form 303) and stores nothing', async () => {
      const c = await campaign();
      const real = await sign(c.slug, someone(), fresh());
      const bot = await sign(c.slug, { ...someone(), website: 'http://cheap-pills.example' }, fresh());
      assert.equal(bot.statusCode, 202);
      assert.equal(bot.body, real.body);
      const s = await formSession(t, `/campaigns/${c.slug}/sign`);
      const viaForm = await t.app.inject({
        method: 'POST',
        url: `/campaigns/${c.slug}/sign`,
        remoteAddress: fresh(),
        headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: form({ _csrf: s.csrf, ...someone(), website: 'spam' }),
      });
      assert.deepEqual([viaForm.statusCode, viaForm.headers.location], [303, `/campaigns/${c.slug}/sign/thanks`]);
      assert.equal(await rows(), 1);
      assert.equal((await db().selectFrom('supporter_mails').select('id').execute()).length, 1);
      // Even invalid input is "accepted" when the honeypot is filled: nothing tells the bot what failed.
      assert.equal((await sign(c.slug, { name: '', email: 'x', country: 'ZZ', website: 'x' }, fresh())).statusCode, 202);
    });

    test('per domain: the third unconfirmed signature of a domain within an hour is refused (API 429 on email, form field error), across campaigns; confirmed and older ones do not count', async () => {
      const c1 = await campaign();
      const c2 = await campaign();
      assert.equal((await sign(c1.slug, { name: 'A', email: 'a@cap.example', country: 'DE' }, fresh())).statusCode, 202);
      assert.equal((await sign(c2.slug, { name: 'B', email: 'b@CAP.example', country: 'DE' }, fresh())).statusCode, 202);
      const third = await sign(c1.slug, { name: 'C', email: 'c@cap.example', country: 'DE' }, fresh());
      assert.equal(third.statusCode, 429);
      assert.equal(third.json().code, 'domain_cap');
      assert.deepEqual(third.json().errors.map((e: { field: string; code: string }) => [e.field, e.code]), [['email', 'domain_cap']]);
      assert.match(third.json().title, /Too many unconfirmed signatures from this e-mail provider/);
      assert.equal((await sign(c1.slug, { name: 'D', email: 'd@other.example', country: 'DE' }, fresh())).statusCode, 202, 'another domain');

      const s = await formSession(t, `/campaigns/${c1.slug}/sign`);
      const viaForm = await t.app.inject({
        method: 'POST',
        url: `/campaigns/${c1.slug}/sign`,
        remoteAddress: fresh(),
        headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'de' },
        payload: form({ _csrf: s.csrf, name: 'E', email: 'e@cap.example', country: 'DE' }),
      });
      assert.equal(viaForm.statusCode, 429);
      assert.match(viaForm.body, /id="sign-email-error">Gerade gibt es zu viele unbestätigte Unterschriften von diesem E-Mail-Anbieter/);
      assert.match(viaForm.body, /value="e@cap.example"/);
      assert.equal((await db().selectFrom('supporters').select('id').execute()).length, 3);

      // A confirmed one no longer counts.
      const a = await db().selectFrom('supporters').select('id').where('name', '=', 'A').executeTakeFirstOrThrow();
      await db().updateTable('supporters').set({ status: 'confirmed', confirmed_at: new Date().toISOString(), expires_at: null }).where('id', '=', a.id).execute();
      assert.equal((await sign(c1.slug, { name: 'F', email: 'f@cap.example', country: 'DE' }, fresh())).statusCode, 202);
      assert.equal((await sign(c1.slug, { name: 'G', email: 'g@cap.example', country: 'DE' }, fresh())).statusCode, 429);
      // Older than an hour: outside the window.
      await db().updateTable('supporters').set({ created_at: new Date(Date.now() - 2 * 3600_000).toISOString() }).execute();
      assert.equal((await sign(c1.slug, { name: 'H', email: 'h@cap.example', country: 'DE' }, fresh())).statusCode, 202);
      // A repeat signer never needs a slot of its own when the cap is not reached.
      assert.equal((await sign(c1.slug, { name: 'H', email: 'h@cap.example', country: 'DE' }, fresh())).statusCode, 202);
    });
  });
}
