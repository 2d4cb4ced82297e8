import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENGINES, createTestDb, type TestDb } from '../../../test/helpers/db.ts';
import { makeOrganization } from '../../../test/helpers/factories.ts';
import { Forbidden } from '../../http/errors.ts';
import type { Viewer } from '../../http/viewer.ts';
import { openDb } from '../../db/client.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { generateDataKeyLine, parseDataKeys } from '../../lib/sealed.ts';
import { createUser, setOrganizationRole, viewerForAccount } from '../accounts/accounts.service.ts';
import { createPact, setPactStatus } from './pacts.service.ts';
import { recordContribution } from './entries.service.ts';
import { approveDisbursement, proposeDisbursement } from './disbursements.service.ts';
import { addBeneficiary, listBeneficiaries, updateBeneficiary } from './beneficiaries.service.ts';
import { transparencyReport } from './report.service.ts';

const keyring = parseDataKeys(generateDataKeyLine('test'), 'test');
const NAME = 'Mireille Kabongo-Tshisekedi';
const ADDRESS = 'Rue des Mineurs 17, Kolwezi';

async function scene(db: TestDb['db'], tag: string): Promise<{ coordinator: Viewer; second: Viewer; member: Viewer; slug: string }> {
  const org = await makeOrganization(db, { name: `Union ${tag}`, slug: `union-${tag}` });
  const person = async (role: 'coordinator' | 'member', n: string) => {
    const id = await createUser(db, { email: `${n}-${tag}@example.org`, displayName: n, password: 'correct horse battery' });
    await setOrganizationRole(db, org.id, id, role);
    return (await viewerForAccount(db, id))!;
  };
  const coordinator = await person('coordinator', 'coordinator');
  const second = await person('coordinator', 'second');
  const member = await person('member', 'member');
  const { slug } = await createPact(db, coordinator, { organization: `union-${tag}`, title: `Pact ${tag}`, description: 'd', beneficiaryGroup: 'families', periodStart: '2026-01-01' });
  return { coordinator, second, member, slug };
}

for (const engine of ENGINES) {
  describe(`beneficiary register (${engine})`, () => {
    let t: TestDb;
    before(async () => {
      t = await createTestDb(engine);
    });
    after(() => t.drop());

    test('coordinators keep the register; allocations come from approved disbursements; the public report shows only a count', async () => {
      const s = await scene(t.db, 'a');
      await assert.rejects(addBeneficiary(t.db, keyring, s.member, s.slug, { name: 'X' }), Forbidden);
      const h1 = await addBeneficiary(t.db, keyring, s.coordinator, s.slug, { kind: 'household', householdSize: '5', name: NAME, contact: '+243 970 000 000', address: ADDRESS });
      const h2 = await addBeneficiary(t.db, keyring, s.coordinator, s.slug, { kind: 'household', name: 'Second household' });
      assert.deepEqual([h1.code, h2.code], ['H-0001', 'H-0002']);
      await recordContribution(t.db, s.coordinator, s.slug, { amount: '500', currency: 'EUR', valueDate: '2026-02-01' });
      const d = await proposeDisbursement(t.db, s.coordinator, s.slug, { beneficiary: 'H-0001', amount: '120', currency: 'EUR', purpose: 'Food', valueDate: '2026-02-10' });
      await approveDisbursement(t.db, s.second, s.slug, d.id);
      const register = await listBeneficiaries(t.db, keyring, s.coordinator, s.slug);
      assert.deepEqual(register[0]!.personal, { name: NAME, contact: '+243 970 000 000', address: ADDRESS, notes: null });
      assert.deepEqual(register[0]!.allocations, [{ currency: 'EUR', totalMinor: 12000 }]);
      assert.deepEqual(register[1]!.allocations, []);
      await assert.rejects(listBeneficiaries(t.db, keyring, s.member, s.slug), Forbidden);
      const audit = await t.db.selectFrom('audit_events').select('action').where('action', '=', 'pact.beneficiaries_read').execute();
      assert.equal(audit.length, 1);
      const pact = await t.db.selectFrom('pacts').select(['id', 'goal_currency']).where('slug', '=', s.slug).executeTakeFirstOrThrow();
      const report = await transparencyReport(t.db, pact, { today: '2026-03-01' });
      assert.equal(report.householdsSupported, 1);
      assert.ok(!JSON.stringify(report).includes(NAME));
      await updateBeneficiary(t.db, keyring, s.coordinator, s.slug, 'H-0002', { kind: 'household', name: 'Second household', archived: 'on' });
      await assert.rejects(proposeDisbursement(t.db, s.coordinator, s.slug, { beneficiary: 'H-0002', amount: '1', currency: 'EUR', purpose: 'x' }), /validation_failed/);
      // A closed pact keeps its register readable, and changes nothing in it.
      await setPactStatus(t.db, s.coordinator, s.slug, 'closed');
      await assert.rejects(addBeneficiary(t.db, keyring, s.coordinator, s.slug, { name: 'Late' }), /pact_closed/);
      await assert.rejects(updateBeneficiary(t.db, keyring, s.coordinator, s.slug, 'H-0001', { name: NAME }), /pact_closed/);
      assert.equal((await listBeneficiaries(t.db, keyring, s.coordinator, s.slug)).length, 2);
    });

    test('a sealed field moved to another row does not open', async () => {
      const s = await scene(t.db, 'b');
      const a = await addBeneficiary(t.db, keyring, s.coordinator, s.slug, { name: 'A' });
      const b = await addBeneficiary(t.db, keyring, s.coordinator, s.slug, { name: 'B' });
      const sealedA = (await t.db.selectFrom('beneficiaries').select('sealed_personal').where('id', '=', a.id).executeTakeFirstOrThrow()).sealed_personal;
      await t.db.updateTable('beneficiaries').set({ sealed_personal: sealedA }).where('id', '=', b.id).execute();
      await assert.rejects(listBeneficiaries(t.db, keyring, s.coordinator, s.slug));
    });
  });
}

describe('beneficiary personal fields on disk (SQLite file)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'solidaris-sealed-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('neither the database file nor its write-ahead log contains a name or address in any encoding', async () => {
    const path = join(dir, 'raw.sqlite');
    const h = await openDb({ engine: 'sqlite', path });
    await migrateToLatest(h.db);
    const s = await scene(h.db, 'raw');
    await addBeneficiary(h.db, keyring, s.coordinator, s.slug, { name: NAME, address: ADDRESS, notes: 'Husband injured in the Kamoto collapse' });
    // Read the bytes while the connection is open (WAL not yet checkpointed) and after closing.
    const files = () => [path, `${path}-wal`].filter(existsSync).map((f) => readFileSync(f));
    const needles = [NAME, 'Kabongo', ADDRESS, 'Kamoto collapse'].flatMap((s) => [Buffer.from(s, 'utf8'), Buffer.from(s, 'utf16le')]);
    for (const bytes of files()) for (const n of needles) assert.equal(bytes.indexOf(n), -1, `found ${n.toString()} in the raw database`);
    assert.equal((await listBeneficiaries(h.db, keyring, s.coordinator, s.slug))[0]!.personal.name, NAME, 'the test data is really there');
    await h.close();
    const after = files();
    assert.ok(after.length >= 1 && after[0]!.length > 0);
    for (const bytes of after) for (const n of needles) assert.equal(bytes.indexOf(n), -1, `found ${n.toString()} in the raw database after closing`);
  });
});
