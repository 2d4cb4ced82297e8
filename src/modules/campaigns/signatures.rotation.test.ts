import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { ENGINES } from '../../../test/helpers/db.ts';
import { useTestApp } from '../../../test/helpers/app.ts';
import { makeOrganization } from '../../../test/helpers/factories.ts';
import { insertCampaign } from '../../../test/helpers/campaigns.ts';
import { buildApp } from '../../app.ts';
import { rotateSealedColumns } from '../../db/sealed-columns.ts';
import { generateDataKeyLine, open, parseDataKeys, seal, sealedKeyId } from '../../lib/sealed.ts';
import { newId } from '../../lib/ids.ts';
import { supporterAad, supporterHashes } from './supporter-keys.ts';
import { insertConfirmedSupporters } from './supporters.store.ts';

/**
 * Data-key rotation and supporters: between adding a new key and `rotate-data-key`, signatures
 * hashed with the old key are still found (a repeat signer stays one signature, an import skips
 * them, the per-domain cap counts them); rotation re-seals every address and rewrites its keyed
 * hashes with the new key, and re-seals uploaded supporter files (aad `supporter_imports:<id>`).
 */

const OLD = generateDataKeyLine('old');
const NEW = generateDataKeyLine('new');

for (const engine of ENGINES) {
  describe(`supporters and key rotation (${engine})`, () => {
    const t = useTestApp(engine, { dataKeys: { kind: 'env', value: OLD }, signingLimits: { perAddressPerMinute: 1000, perPrefixPerMinute: 1000, unconfirmedPerDomainPerHour: 3 } });
    const db = () => t.db.db;

    test('before rotation old-key rows still match; rotation rewrites seals and hashes; afterwards only the new key is needed', async () => {
      const org = await makeOrganization(db(), { name: 'Rotation Union' });
      const c = await insertCampaign(db(), org.id);
      const sign = (app: FastifyInstance, email: string, name = 'Signer') =>
        app.inject({ method: 'POST', url: `/api/v1/campaigns/${c.slug}/signatures`, payload: JSON.stringify({ name, email, country: 'DE' }), headers: { 'content-type': 'application/json' } });
      assert.equal((await sign(t.app, 'Soli.Kreis@gmail.com')).statusCode, 202);
      assert.equal((await sign(t.app, 'two@cap.example')).statusCode, 202);
      assert.equal((await sign(t.app, 'three@cap.example')).statusCode, 202);
      const before = await db().selectFrom('supporters').select(['id', 'email_hash', 'domain_hash', 'email_sealed']).orderBy('id').execute();
      assert.ok(before.every((r) => r.email_hash.startsWith('old.') && r.domain_hash.startsWith('old.') && sealedKeyId(r.email_sealed) === 'old'));

      // The servers restart with the new key first and the old one after it.
      const rotatedApp = await buildApp({ db: db(), engine: t.db.engine, logLevel: 'silent', dataKeys: { kind: 'env', value: `${NEW}\n${OLD}` }, signingLimits: { unconfirmedPerDomainPerHour: 3 } });
      await rotatedApp.ready();
      try {
        assert.equal((await sign(rotatedApp, 'solikreis+again@googlemail.com', 'Again')).statusCode, 202);
        assert.equal((await db().selectFrom('supporters').select('id').execute()).length, 3, 'the old-key row is the same signer');
        const rotated = parseDataKeys(`${NEW}\n${OLD}`, 'test');
        const imported = await insertConfirmedSupporters(db(), rotated, c.id, [{ name: 'Imp', email: 'TWO@cap.example', country: 'DE', lang: 'en', listPublicly: false, contactOk: false, consentedAt: new Date().toISOString() }], { source: 'import', consentBasis: 'paper', importId: null });
        assert.deepEqual(imported, { inserted: 0, duplicateIndexes: [0] }, 'the import skips it too');
        // The cap counts pending rows hashed with either key: two of cap.example pending, cap 3.
        assert.equal((await sign(rotatedApp, 'four@cap.example')).statusCode, 202);
        const fifth = await sign(rotatedApp, 'five@cap.example');
        assert.equal(fifth.statusCode, 429, 'the cap counts old-key rows');

        // An uploaded supporter file sealed with the old key.
        const importId = newId();
        const oldRing = parseDataKeys(OLD, 'test');
        await db()
          .insertInto('supporter_imports')
          .values({ id: importId, campaign_id: c.id, filename: 'list.csv', file_sealed: seal(oldRing, 'email,name\na@example.org,A\n', `supporter_imports:${importId}`), mapping: null, consent_basis: null, status: 'preview', errors: null, created_by: null, created_at: new Date().toISOString(), finished_at: null })
          .execute();

        const counts = await rotateSealedColumns(db(), rotated);
        const byTable = Object.fromEntries(counts.map((x) => [`${x.table}.${x.column}`, [x.scanned, x.resealed, x.current, x.failed.length]]));
        assert.deepEqual(byTable['supporters.email_sealed'], [4, 3, 1, 0]);
        assert.deepEqual(byTable['supporter_imports.file_sealed'], [1, 1, 0, 0]);

        const newOnly = parseDataKeys(NEW, 'test');
        const rows = await db().selectFrom('supporters').select(['id', 'email_hash', 'domain_hash', 'email_sealed']).execute();
        for (const r of rows) {
          const email = open(newOnly, r.email_sealed, supporterAad(r.id));
          const h = supporterHashes(newOnly, email)!;
          assert.equal(r.email_hash, h.emailHash, `${email}: hash rewritten with the new key`);
          assert.equal(r.domain_hash, h.domainHash);
        }
        const file = await db().selectFrom('supporter_imports').select('file_sealed').executeTakeFirstOrThrow();
        assert.equal(open(newOnly, file.file_sealed!, `supporter_imports:${importId}`), 'email,name\na@example.org,A\n');
        const again = await rotateSealedColumns(db(), rotated);
        assert.deepEqual(again.find((x) => x.table === 'supporters')!.resealed, 0, 'idempotent');
      } finally {
        await rotatedApp.close();
      }

      // With the old key removed, the rewritten hashes still find the signer.
      const newApp = await buildApp({ db: db(), engine: t.db.engine, logLevel: 'silent', dataKeys: { kind: 'env', value: NEW } });
      await newApp.ready();
      try {
        assert.equal((await sign(newApp, 'SOLIKREIS@gmail.com')).statusCode, 202);
        assert.equal((await db().selectFrom('supporters').select('id').execute()).length, 4);
      } finally {
        await newApp.close();
      }
    });
  });
}
