import { describe, it, test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDb, ENGINES, type TestDb } from '../../../test/helpers/db.ts';
import { makeOrganization } from '../../../test/helpers/factories.ts';
import { insertCampaign } from '../../../test/helpers/campaigns.ts';
import { generateDataKeyLine, open, parseDataKeys } from '../../lib/sealed.ts';
import { createHmac, createSecretKey, hkdfSync } from 'node:crypto';
import { supporterAad, supporterHashes, supporterLinkToken, verifySupporterLinkToken } from './supporter-keys.ts';
import { SignBatcher } from './sign-batcher.ts';
import { prepareSignature } from './signatures.service.ts';
import { CONSENT_VERSIONS, confirmSupporter, expirePendingSupporters, insertConfirmedSupporters, withdrawSupporter, type NewSupporter } from './supporters.store.ts';

const keyring = parseDataKeys(generateDataKeyLine('k1'), 'test');
const at = '2026-11-30T10:00:00.000Z';

function person(email: string, country = 'DE', o: Partial<NewSupporter> = {}): NewSupporter {
  return { name: `Name ${email}`, email, country, lang: 'de', listPublicly: true, contactOk: false, consentedAt: at, ...o };
}

describe('supporter keys', () => {
  test('the keyed hashes and link tokens are HMAC-SHA256 (RFC 2104) under the HKDF-derived keys, byte for byte', () => {
    const line = generateDataKeyLine('k9');
    const ring = parseDataKeys(line, 'test');
    const raw = createSecretKey(Buffer.from(line.split(':')[1]!, 'base64')).export();
    const expected = (purpose: string, message: string) =>
      `k9.${createHmac('sha256', Buffer.from(hkdfSync('sha256', raw, Buffer.alloc(0), `solidaris supporters ${purpose}`, 32))).update(message, 'utf8').digest('base64url')}`;
    for (const email of ['Soli.Kreis+x@GMAIL.com', 'müller@bücher.example', 'a@b.example']) {
      const h = supporterHashes(ring, email)!;
      const key = email === 'Soli.Kreis+x@GMAIL.com' ? 'solikreis@gmail.com' : email === 'müller@bücher.example' ? 'müller@xn--bcher-kva.example' : 'a@b.example';
      assert.equal(h.emailHash, expected('email', key));
      assert.equal(h.domainHash, expected('domain', key.split('@')[1]!));
      // Repeated calls give the same value (the copied hash states are not consumed).
      assert.deepEqual(supporterHashes(ring, email), h);
    }
    const token = supporterLinkToken(ring, 'confirm', 'abc');
    assert.equal(token, expected('confirm', 'confirm:abc'));
    assert.equal(verifySupporterLinkToken(ring, 'confirm', 'abc', token), true);
    assert.equal(verifySupporterLinkToken(ring, 'withdraw', 'abc', token), false);
  });
});

for (const engine of ENGINES) {
  describe(`supporters store (${engine})`, () => {
    let db: TestDb;
    let campaignId: string;
    before(async () => {
      db = await createTestDb(engine);
    });
    after(async () => db.drop());
    beforeEach(async () => {
      await db.reset();
      const org = await makeOrganization(db.db);
      campaignId = (await insertCampaign(db.db, org.id)).id;
    });

    const counts = async () =>
      Object.fromEntries((await db.db.selectFrom('campaign_counts').select(['country', 'supporters']).where('campaign_id', '=', campaignId).orderBy('country').execute()).map((r) => [r.country, r.supporters]));

    it('inserts confirmed supporters, skips repeats within the rows and existing ones, counts per country', async () => {
      const r1 = await insertConfirmedSupporters(
        db.db,
        keyring,
        campaignId,
        [person('Soli.Kreis+x@gmail.com'), person('a@example.org', 'FR'), person('solikreis@googlemail.com'), person('b@example.org')],
        { source: 'import', consentBasis: 'paper list', importId: null, now: at },
      );
      assert.deepEqual(r1, { inserted: 3, duplicateIndexes: [2] });
      assert.deepEqual(await counts(), { DE: 2, FR: 1 });
      const r2 = await insertConfirmedSupporters(db.db, keyring, campaignId, [person('A@EXAMPLE.org', 'FR'), person('c@example.org', 'FR')], { source: 'import', consentBasis: null, importId: null });
      assert.deepEqual(r2, { inserted: 1, duplicateIndexes: [0] });
      assert.deepEqual(await counts(), { DE: 2, FR: 2 });
      const row = await db.db.selectFrom('supporters').selectAll().where('name', '=', 'Name Soli.Kreis+x@gmail.com').executeTakeFirstOrThrow();
      assert.equal(open(keyring, row.email_sealed, supporterAad(row.id)), 'Soli.Kreis+x@gmail.com');
      assert.equal(row.status, 'confirmed');
      assert.equal(row.source, 'import');
      assert.equal(row.consent_basis, 'paper list');
      assert.equal(row.list_consent_version, CONSENT_VERSIONS.list);
      assert.equal(row.list_consented_at, at);
      assert.equal(row.contact_consent_version, null);
      assert.equal(row.confirmed_at, at);
      assert.match(row.email_hash, /^k1\./);
    });

    it('refuses an unusable address without inserting anything', async () => {
      await assert.rejects(
        insertConfirmedSupporters(db.db, keyring, campaignId, [person('ok@example.org'), person('not-an-address')], { source: 'import', consentBasis: null, importId: null }),
        (err: { errors: { field: string }[] }) => err.errors[0]!.field === 'rows.1.email',
      );
      assert.equal((await db.db.selectFrom('supporters').select('id').execute()).length, 0);
    });

    it('a batch with a bad request is retried one by one: the others are stored, the bad one fails alone, without row values in its error', async () => {
      const batcher = new SignBatcher({ db: db.db, engine: db.engine, unconfirmedPerDomainPerHour: 100 });
      const ok = (i: number) => prepareSignature(keyring, campaignId, { name: `Good ${i}`, email: `good${i}@example.org`, country: 'DE' }, 'en');
      const bad = { ...ok(99), name: null as unknown as string };
      const results = await Promise.allSettled([batcher.submit(ok(1)), batcher.submit(bad), batcher.submit(ok(2))]);
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
      const err = (results[1] as PromiseRejectedResult).reason as Record<string, unknown>;
      assert.equal(err.detail, undefined, 'no failing row in the error');
      assert.equal(batcher.stats.retried, 1);
      assert.deepEqual((await db.db.selectFrom('supporters').select('name').orderBy('name').execute()).map((r) => r.name), ['Good 1', 'Good 2']);
      assert.equal((await db.db.selectFrom('supporter_mails').select('id').execute()).length, 2);
      await batcher.close();
    });

    it('confirmations in one batch: repeats count once, another campaign\'s id is gone, signatures and confirmations share the transaction', async () => {
      const batcher = new SignBatcher({ db: db.db, engine: db.engine, unconfirmedPerDomainPerHour: 100 });
      const a = await batcher.submit(prepareSignature(keyring, campaignId, { name: 'A', email: 'a@example.org', country: 'DE' }, 'en'));
      const b = await batcher.submit(prepareSignature(keyring, campaignId, { name: 'B', email: 'b@example.org', country: 'FR' }, 'en'));
      assert.ok(a.kind === 'signed' && b.kind === 'signed');
      const before = batcher.stats.batches;
      const results = await Promise.all([
        batcher.confirm({ campaignId, supporterId: a.supporterId }),
        batcher.confirm({ campaignId, supporterId: a.supporterId }),
        batcher.confirm({ campaignId: 'another-campaign', supporterId: b.supporterId }),
        batcher.confirm({ campaignId, supporterId: 'no-such-id' }),
        batcher.submit(prepareSignature(keyring, campaignId, { name: 'C', email: 'c@example.org', country: 'DE' }, 'en')),
      ]);
      assert.deepEqual(results.slice(0, 4), ['confirmed', 'already_confirmed', 'gone', 'gone']);
      assert.equal((results[4] as { kind: string }).kind, 'signed');
      assert.equal(batcher.stats.batches, before + 1, 'one batch');
      assert.deepEqual(await counts(), { DE: 1 });
      assert.deepEqual(await Promise.all([batcher.confirm({ campaignId, supporterId: b.supporterId }), batcher.confirm({ campaignId, supporterId: a.supporterId })]), ['confirmed', 'already_confirmed']);
      assert.deepEqual(await counts(), { DE: 1, FR: 1 });
      await batcher.close();
    });

    it('confirms once, withdraws with the count, expires pending ones', async () => {
      const now = new Date().toISOString();
      const later = new Date(Date.now() + 86_400_000).toISOString();
      const base = { campaign_id: campaignId, email_sealed: 'x', domain_hash: 'd', name: 'N', city: null, affiliation: null, lang: 'en', list_publicly: 0, list_consent_version: null, list_consented_at: null, contact_ok: 0, contact_consent_version: null, contact_consented_at: null, status: 'pending' as const, source: 'online' as const, consent_basis: null, import_id: null, created_at: now, confirmed_at: null };
      await db.db.insertInto('supporters').values([
        { ...base, id: 's1', email_hash: 'h1', country: 'DE', expires_at: later },
        { ...base, id: 's2', email_hash: 'h2', country: 'DE', expires_at: '2026-01-01T00:00:00.000Z' },
      ]).execute();
      assert.equal(await confirmSupporter(db.db, campaignId, 's1'), 'confirmed');
      assert.equal(await confirmSupporter(db.db, campaignId, 's1'), 'already_confirmed');
      assert.equal(await confirmSupporter(db.db, campaignId, 's2'), 'gone');
      assert.deepEqual(await counts(), { DE: 1 });
      assert.equal(await expirePendingSupporters(db.db), 1);
      assert.equal(await withdrawSupporter(db.db, campaignId, 's1'), true);
      assert.equal(await withdrawSupporter(db.db, campaignId, 's1'), false);
      assert.deepEqual(await counts(), {});
    });
  });
}
