import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { ENGINES, createTestDb, type TestDb } from '../helpers/db.ts';
import { makeOrganization } from '../helpers/factories.ts';
import { createSession, createUser, setOrganizationRole } from '../../src/modules/accounts/accounts.service.ts';
import { POLICIES } from './route-policies.ts';

/**
 * Rate limits (`@fastify/rate-limit`, per client address, `RATE_LIMIT_PER_MINUTE`): every write
 * that can be sent without a full session — sign-in, the second-factor step, password reset,
 * invitation sign-up, language and sign-out — and the writes that send mail or check a password
 * (invitations, password change, erasure) carry a limit, read from Fastify's route table so a new
 * route of that kind cannot forget it. Over the limit the answer is 429 with `Retry-After`.
 */

/** Policy rules under which a route answers someone without a (complete) session. */
const ANONYMOUS_RULES = new Set(['public-write', 'anonymous-only', 'token', 'pending-step', 'pending-session']);
/** Signed-in writes that send mail or check a password or code. */
const ALSO_LIMITED = [
  'POST /organizations/:slug/members/invite',
  'POST /account/password',
  'POST /account/erase',
  'POST /account/security/totp',
  'POST /account/security/totp/disable',
  'POST /account/security/recovery-codes',
];

for (const engine of ENGINES) {
  describe(`rate limits (${engine})`, () => {
    let db: TestDb;
    let app: FastifyInstance;
    before(async () => {
      db = await createTestDb(engine);
      app = await buildApp({ db: db.db, engine: db.engine, logLevel: 'silent', rateLimitPerMinute: 2 });
      await app.ready();
    });
    after(async () => {
      await app.close();
      await db.drop();
    });

    test('every write reachable without a complete session, and every mail- or password-checking write, is rate-limited', () => {
      const writes = app.routeTable.filter((r) => r.method !== 'GET' && r.method !== 'HEAD');
      const needed = writes.filter((r) => {
        const key = `${r.method} ${r.url}`;
        return ANONYMOUS_RULES.has(POLICIES[key]?.rule ?? '') || ALSO_LIMITED.includes(key);
      });
      assert.ok(needed.length >= 15, `found ${needed.length}`);
      const missing = needed.filter((r) => (r.config as { rateLimit?: unknown } | undefined)?.rateLimit === undefined).map((r) => `${r.method} ${r.url}`);
      assert.deepEqual(missing, []);
      for (const key of ALSO_LIMITED) assert.ok(writes.some((r) => `${r.method} ${r.url}` === key), `${key} exists`);
    });

    test('password reset: the third request within a minute answers 429 with Retry-After; another address is not affected', async () => {
      const page = await app.inject({ method: 'GET', url: '/password-reset', remoteAddress: '198.51.100.7' });
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
      const cookie = page.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
      const post = () =>
        app.inject({
          method: 'POST',
          url: '/password-reset',
          remoteAddress: '198.51.100.7',
          headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams({ _csrf: csrf, email: 'someone@example.org' }).toString(),
        });
      assert.equal((await post()).statusCode, 200);
      assert.equal((await post()).statusCode, 200);
      const third = await post();
      assert.equal(third.statusCode, 429);
      assert.ok(Number(third.headers['retry-after']) > 0, `retry-after ${third.headers['retry-after']}`);
      // Another address is not affected.
      const other = await app.inject({ method: 'GET', url: '/password-reset', remoteAddress: '198.51.100.8' });
      assert.equal(other.statusCode, 200);
    });

    test('invitations: an admin sending many invitations is slowed down with 429 and Retry-After', async () => {
      const org = await makeOrganization(db.db, { name: 'Rate limited union' });
      const adminId = await createUser(db.db, { email: `rl-${engine}@example.org`, displayName: 'Rate Admin', password: 'correct horse battery' });
      await setOrganizationRole(db.db, org.id, adminId, 'admin');
      const sid = `sid=${await createSession(db.db, adminId)}`;
      const page = await app.inject({ method: 'GET', url: `/organizations/${org.slug}/members`, headers: { cookie: sid }, remoteAddress: '198.51.100.9' });
      assert.equal(page.statusCode, 200);
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
      const cookie = [sid, ...page.cookies.map((c) => `${c.name}=${c.value}`)].join('; ');
      const invite = (n: number) =>
        app.inject({
          method: 'POST',
          url: `/organizations/${org.slug}/members/invite`,
          remoteAddress: '198.51.100.9',
          headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams({ _csrf: csrf, email: `invitee${n}@example.org`, role: 'member' }).toString(),
        });
      assert.ok([200, 303].includes((await invite(1)).statusCode));
      assert.ok([200, 303].includes((await invite(2)).statusCode));
      const third = await invite(3);
      assert.equal(third.statusCode, 429);
      assert.ok(Number(third.headers['retry-after']) > 0);
      const stored = await db.db.selectFrom('invitations').select('email').where('organization_id', '=', org.id).execute();
      assert.deepEqual(stored.map((r) => r.email).sort(), ['invitee1@example.org', 'invitee2@example.org']);
    });
  });
}
