import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES } from '../../../test/helpers/db.ts';
import { useTestApp, postForm } from '../../../test/helpers/app.ts';
import { mainOf, pactWorld } from '../../../test/helpers/pacts.ts';
import { recordEntries } from './ledger.service.ts';

/**
 * The private beneficiary register through the pages and the API on every engine: coordinators
 * add, change and archive entries; every read is audited; no page or API answer for anyone else —
 * members, outsiders, anonymous readers — ever contains a personal field; the public pages show
 * the number of households supported only.
 */

const NAME = 'Famille Kabongo Zéphyrine';
const CONTACT = '+243 81 555 0101';
const ADDRESS = 'Quartier Mutoshi\nAvenue 12';

for (const engine of ENGINES) {
  describe(`beneficiary register (${engine})`, () => {
    const t = useTestApp(engine);
    const db = () => t.db.db;
    const get = (url: string, cookie?: string) => t.app.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} });
    const send = (method: 'POST' | 'PUT', url: string, body: unknown, cookie: string) => t.app.inject({ method, url, payload: JSON.stringify(body), headers: { 'content-type': 'application/json', cookie } });
    const add = (slug: string, cookie: string, body: Record<string, string>) => postForm(t, `/pacts/${slug}/beneficiaries`, `/pacts/${slug}/beneficiaries`, body, cookie);
    const leaks = (body: string) => [NAME, 'Kabongo', '555 0101', 'Mutoshi', 'Widow with four children'].filter((s) => body.includes(s));

    test('a coordinator adds and changes a household; the page says the fields are encrypted; reads are audited; nobody else sees a name', async () => {
      const w = await pactWorld(t);
      const slug = w.pact.slug;
      const empty = mainOf(await get(`/pacts/${slug}/beneficiaries`, w.coordinator.cookie));
      assert.match(empty, /stored encrypted, and only the pact's coordinators see them/);
      assert.match(empty, /Nobody is in the register yet\./);

      const res = await add(slug, w.coordinator.cookie, { kind: 'household', householdSize: '6', name: NAME, contact: CONTACT, address: ADDRESS, notes: 'Widow with four children' });
      assert.equal(res.statusCode, 303, res.body);
      assert.equal(res.headers.location, `/pacts/${slug}/beneficiaries?done=added#b-H-0001`);
      const row = await db().selectFrom('beneficiaries').selectAll().executeTakeFirstOrThrow();
      assert.equal(row.code, 'H-0001');
      assert.deepEqual(leaks(JSON.stringify(row)), [], 'the row holds no personal field in clear');

      // 42.00 EUR disbursed to the household, so its allocation shows.
      await recordEntries(db(), { pactId: w.pact.id, recordedBy: null, entries: [{ kind: 'contribution', amountMinor: 10_000, currency: 'EUR', valueDate: '2026-03-01', counterparty: { kind: 'external', name: 'Gate collection' } }] });
      await recordEntries(db(), { pactId: w.pact.id, recordedBy: null, entries: [{ kind: 'disbursement', amountMinor: -4_200, currency: 'EUR', valueDate: '2026-03-05', counterparty: { kind: 'beneficiary', beneficiaryId: row.id } }] });

      const page = mainOf(await get(`/pacts/${slug}/beneficiaries?done=added`, w.coordinator.cookie));
      assert.match(page, /The beneficiary has been added to the register\./);
      assert.match(page, /<tr id="b-H-0001"><th scope="row"><code>H-0001<\/code>/);
      assert.match(page, /<td>Household<\/td><td class="num">6<\/td><td><bdi>Famille Kabongo Zéphyrine<\/bdi><\/td><td><bdi>\+243 81 555 0101<\/bdi><\/td><td class="multiline"><bdi>Quartier Mutoshi\nAvenue 12<\/bdi><\/td>/);
      assert.match(page, /<td class="num">€42\.00<\/td>/);

      // Change it: the form comes filled in; a bad size is a field error; archiving keeps the history.
      const form = mainOf(await get(`/pacts/${slug}/beneficiaries?edit=H-0001`, w.coordinator.cookie));
      assert.match(form, /<h2 id="register-form-title">Change H-0001<\/h2>/);
      assert.match(form, /<input id="f-name" name="name" required autocomplete="off" type="text" value="Famille Kabongo Zéphyrine"\/>/);
      const bad = await postForm(t, `/pacts/${slug}/beneficiaries?edit=H-0001`, `/pacts/${slug}/beneficiaries/H-0001`, { kind: 'household', householdSize: '0', name: NAME }, w.coordinator.cookie);
      assert.equal(bad.statusCode, 422);
      assert.match(mainOf(bad), /Number of people: /);
      assert.match(mainOf(bad), /Change H-0001/);
      const changed = await postForm(t, `/pacts/${slug}/beneficiaries?edit=H-0001`, `/pacts/${slug}/beneficiaries/H-0001`, { kind: 'household', householdSize: '7', name: NAME, contact: CONTACT, address: ADDRESS, notes: 'Moved in with relatives', archived: 'true' }, w.coordinator.cookie);
      assert.equal(changed.statusCode, 303, changed.body);
      assert.equal(changed.headers.location, `/pacts/${slug}/beneficiaries?done=updated#b-H-0001`);
      const after = mainOf(await get(`/pacts/${slug}/beneficiaries`, w.second.cookie));
      assert.match(after, /<tr id="b-H-0001" class="archived">/);
      assert.match(after, /<td class="num">7<\/td>/);
      assert.match(after, /Moved in with relatives/);
      assert.equal((await postForm(t, `/pacts/${slug}/beneficiaries`, `/pacts/${slug}/beneficiaries/H-0099`, { name: 'x' }, w.coordinator.cookie)).statusCode, 404);

      const reads = await db().selectFrom('audit_events').select(['action', 'actor_user_id']).where('action', 'like', 'pact.benef%').orderBy('at').execute();
      assert.deepEqual(reads.map((r) => r.action).filter((a) => a !== 'pact.beneficiaries_read'), ['pact.beneficiary_added', 'pact.beneficiary_updated']);
      // One audited read per page that showed the register: 9 here (forms loaded for their token, re-rendered forms included).
      assert.equal(reads.filter((r) => r.action === 'pact.beneficiaries_read').length, 9);
      assert.ok(reads.some((r) => r.action === 'pact.beneficiaries_read' && r.actor_user_id === w.second.userId), 'the second coordinator’s read is on record');

      // Everyone else: 403 (who sees the pact) or 401, and never a personal field on any page.
      assert.equal((await get(`/pacts/${slug}/beneficiaries`, w.member.cookie)).statusCode, 403);
      assert.equal((await get(`/pacts/${slug}/beneficiaries`, w.outsider.cookie)).statusCode, 403);
      assert.equal((await get(`/pacts/${slug}/beneficiaries`)).statusCode, 401);
      assert.equal((await add(slug, w.member.cookie, { name: 'Intruder' })).statusCode, 403);
      for (const cookie of [undefined, w.member.cookie, w.viewer.cookie, w.outsider.cookie]) {
        for (const path of [`/pacts/${slug}`, `/pacts/${slug}/ledger`, `/pacts/${slug}/report`, `/pacts/${slug}/report.csv`, `/pacts/${slug}/beneficiaries`, `/pacts/${slug}/pledges`, `/api/v1/pacts/${slug}/entries`, `/api/v1/pacts/${slug}/beneficiaries`, `/api/v1/pacts/${slug}/report`]) {
          const body = (await get(path, cookie)).body;
          assert.deepEqual(leaks(body), [], `${path} as ${cookie ? 'a signed-in non-coordinator' : 'anonymous'}`);
          assert.doesNotMatch(body, /H-0001/, `${path}: not even the code`);
        }
      }
      const pactPage = mainOf(await get(`/pacts/${slug}`));
      assert.match(pactPage, /1 household or person has received disbursements\./);
      assert.doesNotMatch(pactPage, /Beneficiary register/);
      assert.match(mainOf(await get(`/pacts/${slug}`, w.coordinator.cookie)), /href="\/pacts\/kamoto-families\/beneficiaries">Beneficiary register<\/a>/);
    });

    test('the API: add, change, list (coordinators), 404 on a private pact for others; the page in German', async () => {
      const w = await pactWorld(t, { visibility: 'private' });
      const slug = w.pact.slug;
      const created = await send('POST', `/api/v1/pacts/${slug}/beneficiaries`, { kind: 'person', name: 'Jean Mukendi', contact: null }, w.coordinator.cookie);
      assert.equal(created.statusCode, 201, created.body);
      assert.deepEqual(created.json(), { code: 'P-0001', kind: 'person', householdSize: null, name: 'Jean Mukendi', contact: null, address: null, notes: null, allocations: [], archived: false, archivedAt: null });
      const second = await send('POST', `/api/v1/pacts/${slug}/beneficiaries`, { kind: 'household', householdSize: 3, name: 'Famille Tshala' }, w.second.cookie);
      assert.equal(second.json().code, 'H-0001');
      const updated = await send('PUT', `/api/v1/pacts/${slug}/beneficiaries/P-0001`, { kind: 'person', name: 'Jean Mukendi', address: 'Kolwezi', archived: true }, w.second.cookie);
      assert.equal(updated.statusCode, 200, updated.body);
      assert.equal(updated.json().address, 'Kolwezi');
      assert.equal(updated.json().archived, true);
      const invalid = await send('POST', `/api/v1/pacts/${slug}/beneficiaries`, { kind: 'household', name: '' }, w.coordinator.cookie);
      assert.equal(invalid.statusCode, 400);
      assert.equal(invalid.json().errors[0].field, 'name');
      const list = await get(`/api/v1/pacts/${slug}/beneficiaries`, w.coordinator.cookie);
      assert.deepEqual(list.json().items.map((b: { code: string; name: string }) => [b.code, b.name]), [['H-0001', 'Famille Tshala'], ['P-0001', 'Jean Mukendi']]);
      for (const cookie of [undefined, w.member.cookie, w.outsider.cookie]) {
        assert.equal((await get(`/api/v1/pacts/${slug}/beneficiaries`, cookie)).statusCode, 404);
        assert.equal((await get(`/pacts/${slug}/beneficiaries`, cookie)).statusCode, 404);
      }
      assert.equal((await send('PUT', `/api/v1/pacts/${slug}/beneficiaries/P-0001`, { name: 'x' }, w.member.cookie)).statusCode, 404);
      const de = mainOf(await get(`/pacts/${slug}/beneficiaries`, `${w.coordinator.cookie}; locale=de`));
      assert.match(de, /<h1 class="pact-heading">Register der Begünstigten: /);
      assert.match(de, /werden verschlüsselt gespeichert, und nur die Koordination des Pakts sieht sie/);
      assert.match(de, /<td>Familie<\/td><td class="num">3<\/td>/);
      assert.match(de, /<span class="badge">archiviert<\/span>/);
    });
  });
}
