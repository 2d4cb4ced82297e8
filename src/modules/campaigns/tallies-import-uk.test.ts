import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ENGINES, createTestDb, type TestDb } from '../../../test/helpers/db.ts';
import { makeOrganization } from '../../../test/helpers/factories.ts';
import { insertCampaign } from '../../../test/helpers/campaigns.ts';
import { campaignCounts } from './tallies.service.ts';
import { importUkPetitionTallies, readUkPetition, UkPetitionFileError } from './tallies-import-uk.ts';
import { isCountryCode } from '../../lib/countries.ts';

/**
 * UK Parliament petition files (test/fixtures/campaigns/, Open Parliament Licence v3.0) as
 * campaign tallies: after the import the campaign's tallies sum to the file's signature_count
 * minus what cannot be placed (584632: 142,929 placed, XK 2 unplaceable; 300412: 107,438, none),
 * a re-import adds nothing, and a malformed file writes nothing.
 */

const fixture = (id: string) => readFileSync(new URL(`../../../test/fixtures/campaigns/${id}.json`, import.meta.url), 'utf8');

describe('reading a petition file', () => {
  test('584632: 142,931 signatures, 124 countries, Kosovo (XK) not placeable; closed on 13 Nov 2021 (UK time)', () => {
    const p = readUkPetition(fixture('584632'));
    assert.equal(p.id, '584632');
    assert.equal(p.action, 'Introduce an Independent Regulator for Football in England by December 2021');
    assert.equal(p.signatureCount, 142_931);
    assert.equal(p.placed.length, 123);
    assert.equal(p.placedSum, 142_929);
    assert.deepEqual(p.unplaceable, [{ code: 'XK', name: 'Kosovo', count: 2 }]);
    assert.equal(p.difference, 2);
    assert.equal(p.closedOn, '2021-11-13');
    assert.equal(p.placed.find((e) => e.code === 'GB')?.count, 139_040);
  });

  test('300412: 107,438 signatures, all placeable; closed 2020-09-10T22:59:59Z is 10 Sep 2020 in London (BST)', () => {
    const p = readUkPetition(fixture('300412'));
    assert.equal(p.signatureCount, 107_438);
    assert.equal(p.placedSum, 107_438);
    assert.equal(p.placed.length, 107);
    assert.deepEqual(p.unplaceable, []);
    assert.equal(p.difference, 0);
    assert.equal(p.closedOn, '2020-09-10');
  });

  test('user-assigned codes are not countries, whatever i18n-iso-countries lists', () => {
    assert.equal(isCountryCode('DE'), true);
    assert.equal(isCountryCode('XK'), false);
    assert.equal(isCountryCode('ZZ'), false);
    assert.equal(isCountryCode('QO'), false);
  });

  test('malformed JSON and the wrong shape are refused with the place named', () => {
    const refused = (text: string) => {
      try {
        readUkPetition(text);
        return null;
      } catch (e) {
        assert.ok(e instanceof UkPetitionFileError);
        return [e.messageId, e.values];
      }
    };
    assert.equal(refused('{"data": ')?.[0], 'supporters_io.uk.not_json');
    assert.deepEqual(refused('{"data": {"id": 1}}'), ['supporters_io.uk.shape', { path: '/data' }]);
    const p = JSON.parse(fixture('300412'));
    p.data.attributes.signatures_by_country[3].signature_count = '12';
    assert.deepEqual(refused(JSON.stringify(p)), ['supporters_io.uk.shape', { path: '/data/attributes/signatures_by_country/3/signature_count' }]);
    const q = JSON.parse(fixture('300412'));
    q.data.attributes.signatures_by_country.push({ ...q.data.attributes.signatures_by_country[0] });
    assert.deepEqual(refused(JSON.stringify(q)), ['supporters_io.uk.repeated_code', { code: 'AR' }]);
  });
});

for (const engine of ENGINES) {
  describe(`UK petition tallies on ${engine}`, () => {
    let db: TestDb;
    let campaign: { id: string; slug: string };
    before(async () => {
      db = await createTestDb(engine);
    });
    after(async () => {
      await db.drop();
    });
    beforeEach(async () => {
      await db.reset();
      const org = await makeOrganization(db.db);
      campaign = await insertCampaign(db.db, org.id, { slug: 'football' });
    });

    for (const [id, placed, countries] of [
      ['584632', 142_929, 123],
      ['300412', 107_438, 107],
    ] as const) {
      test(`${id}: the campaign's tallies sum to signature_count minus the unplaceable; a re-import adds nothing`, async () => {
        const petition = readUkPetition(fixture(id));
        const first = await importUkPetitionTallies(db.db, campaign.id, petition, { source: `UK Parliament petition ${id}`, enteredBy: null });
        assert.deepEqual(first, { inserted: countries, alreadyPresent: 0, changed: [] });
        const counts = await campaignCounts(db.db, campaign.id);
        assert.equal(counts.tallies, placed);
        assert.equal(counts.total, petition.signatureCount - petition.difference);
        assert.equal(counts.byCountry.length, countries);
        const rows = await db.db.selectFrom('campaign_tallies').selectAll().where('campaign_id', '=', campaign.id).orderBy('country').execute();
        const gb = rows.find((r) => r.country === 'GB')!;
        assert.equal(gb.external_ref, `uk-petition:${id}:GB`);
        assert.equal(gb.source, `UK Parliament petition ${id}`);
        assert.equal(gb.collected_on, petition.closedOn);
        assert.equal(gb.entered_by, null);
        assert.ok(rows.every((r) => r.country !== 'XK'));

        const again = await importUkPetitionTallies(db.db, campaign.id, petition, { source: `UK Parliament petition ${id}`, enteredBy: null });
        assert.deepEqual(again, { inserted: 0, alreadyPresent: countries, changed: [] });
        assert.equal((await campaignCounts(db.db, campaign.id)).tallies, placed);
        const audit = await db.db.selectFrom('audit_events').select(['action', 'details']).where('subject_id', '=', campaign.id).execute();
        assert.equal(audit.length, 1, 'only the import that wrote something is in the audit log');
        assert.deepEqual(JSON.parse(audit[0]!.details), { petition: id, inserted: countries, placed, unplaceable: petition.difference });
      });
    }

    test('a newer file of the same petition leaves the stored counts and names the differences', async () => {
      const petition = readUkPetition(fixture('300412'));
      await importUkPetitionTallies(db.db, campaign.id, petition, { source: 'P', enteredBy: null });
      const newer = { ...petition, placed: petition.placed.map((e) => (e.code === 'AU' ? { ...e, count: e.count + 5 } : e)) };
      const r = await importUkPetitionTallies(db.db, campaign.id, newer, { source: 'P', enteredBy: null });
      assert.deepEqual(r, { inserted: 0, alreadyPresent: 107, changed: [{ code: 'AU', stored: 106, file: 111 }] });
    });
  });
}
