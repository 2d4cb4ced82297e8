import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createTestDb, ENGINES, type TestDb } from '../../test/helpers/db.ts';
import { Keyring } from '../lib/sealed.ts';
import { campaignTexts } from '../modules/campaigns/campaigns.repo.ts';
import { getCampaign } from '../modules/campaigns/campaigns.access.ts';
import { confirmedEndorsements, groupByCountry, listEndorsements } from '../modules/campaigns/endorsements.service.ts';
import { campaignCounts, listTallies } from '../modules/campaigns/tallies.service.ts';
import { supporterHashes } from '../modules/campaigns/supporter-keys.ts';
import { buildDemoScenario } from './demo-scenario.ts';
import { buildDemoCampaigns, DEMO_CAMPAIGN, type DemoCampaignsSummary } from './demo-campaigns.ts';

for (const engine of ENGINES) {
  describe(`demo campaign (${engine})`, () => {
    let t: TestDb;
    let built: DemoCampaignsSummary;
    let campaignId: string;
    const keyring = new Keyring([['demo-test', randomBytes(32)]]);
    before(async () => {
      t = await createTestDb(engine);
      await buildDemoScenario(t.db);
      built = await buildDemoCampaigns(t.db, keyring);
      campaignId = (await t.db.selectFrom('campaigns').select('id').where('slug', '=', DEMO_CAMPAIGN).executeTakeFirstOrThrow()).id;
    });
    after(() => t.drop());

    test('what was built', () => {
      assert.deepEqual(built, { campaign: DEMO_CAMPAIGN, languages: ['en', 'de'], endorsements: { confirmed: 6, pending: 1 }, tallies: 2, supporters: 40 });
    });

    test('launched in English by Solidarität Grenzenlos with the Kolwezi union, open, goal 5,000; German translated by the Grenzenlos admin', async () => {
      const c = await getCampaign(t.db, null, DEMO_CAMPAIGN);
      assert.deepEqual([c.status, c.visibility, c.goal, c.starts_on, c.original_lang], ['open', 'public', 5000, '2025-02-17', 'en']);
      const orgs = await t.db.selectFrom('organizations').select(['id', 'slug']).where('id', 'in', c.issuerIds).execute();
      assert.equal(orgs.find((o) => o.id === c.organization_id)!.slug, 'solidaritaet-grenzenlos');
      assert.deepEqual(orgs.map((o) => o.slug).sort(), ['smk-kolwezi', 'solidaritaet-grenzenlos']);
      const texts = await campaignTexts(t.db, campaignId);
      assert.deepEqual(texts.map((x) => [x.lang, x.original, x.title, x.translator]), [
        ['en', true, 'Pay the Kolwezi miners their wages', 'Demo Administrator'],
        ['de', false, 'Lohn für die Bergleute von Kolwezi', 'Demo-Admin Solidarität Grenzenlos'],
      ]);
    });

    test('endorsements: six confirmed in six countries, the Philippine collective’s waiting; confirmed by the Kolwezi coordinator', async () => {
      const shown = groupByCountry(await confirmedEndorsements(t.db, null, campaignId), (c) => c, 'en');
      assert.deepEqual(shown.map((g) => [g.country, g.endorsements.map((e) => e.organization.slug)]), [
        ['BR', ['sindicato-livre-automotivos-abc']],
        ['CD', ['mamans-du-cuivre']],
        ['DE', ['basisgruppe-autoarbeiter-neckartal']],
        ['PE', ['mineros-cerro-esperanza']],
        ['TR', ['ozgur-metal-emekcileri-sendikasi']],
        ['ZA', ['rustenburg-young-workers-forum']],
      ]);
      const waiting = await listEndorsements(t.db, campaignId, { status: 'pending' });
      assert.deepEqual(waiting.map((e) => e.organization.slug), ['liwanag-women-workers']);
      const kolwezi = await t.db.selectFrom('users').select('id').where('email', '=', 'kolwezi@demo.solidaris.invalid').executeTakeFirstOrThrow();
      const deciders = await t.db.selectFrom('campaign_endorsements').select('decided_by').where('campaign_id', '=', campaignId).where('status', '=', 'confirmed').execute();
      assert.ok(deciders.every((d) => d.decided_by === kolwezi.id));
    });

    test('counts: 40 online in 16 countries plus 1,840 and 312 from the two rallies, 2,192 of 5,000', async () => {
      const counts = await campaignCounts(t.db, campaignId);
      assert.deepEqual([counts.online, counts.tallies, counts.total, counts.byCountry.length], [40, 2152, 2192, 16]);
      assert.deepEqual(counts.byCountry.slice(0, 2), [
        { country: 'CD', online: 6, tallies: 1840, total: 1846 },
        { country: 'DE', online: 7, tallies: 312, total: 319 },
      ]);
      assert.deepEqual((await listTallies(t.db, campaignId)).map((x) => [x.country, x.count, x.collectedOn]).sort(), [['CD', 1840, '2025-05-01'], ['DE', 312, '2025-03-08']]);
      const listed = await t.db.selectFrom('supporters').select((eb) => eb.fn.countAll().as('n')).where('campaign_id', '=', campaignId).where('list_publicly', '=', 1).executeTakeFirstOrThrow();
      assert.equal(Number(listed.n), 30);
    });

    test('supporters’ addresses are sealed and keyed with the demo keyring; the audit log has the steps', async () => {
      const row = await t.db.selectFrom('supporters').select(['email_hash', 'email_sealed']).where('name', '=', 'Lena Hoffmann').executeTakeFirstOrThrow();
      assert.equal(row.email_hash, supporterHashes(keyring, 'lena.hoffmann@demo.solidaris.invalid')!.emailHash);
      assert.match(row.email_sealed, /^v1\.demo-test\./);
      assert.doesNotMatch(row.email_sealed, /lena/i);
      const actions = await t.db.selectFrom('audit_events').select('action').where('action', 'like', 'campaign.%').execute();
      const count = (a: string) => actions.filter((x) => x.action === a).length;
      assert.deepEqual(
        ['campaign.created', 'campaign.translation_saved', 'campaign.endorsed', 'campaign.endorsement_confirmed', 'campaign.tally_added'].map(count),
        [2, 2, 7, 18, 4],
      );
    });
  });
}
