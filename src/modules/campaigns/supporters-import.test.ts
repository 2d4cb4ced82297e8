import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { ENGINES, createTestDb, type TestDb } from '../../../test/helpers/db.ts';
import { makeOrganization } from '../../../test/helpers/factories.ts';
import { insertCampaign } from '../../../test/helpers/campaigns.ts';
import { generateDataKeyLine, open, parseDataKeys } from '../../lib/sealed.ts';
import { readCsvTable } from '../../lib/csv-read.ts';
import {
  BATCH_SIZE,
  checkMapping,
  guessMapping,
  importSupporterRows,
  ImportInterrupted,
  mappingWithOverrides,
  parseConsentedAt,
  parseYesNo,
  readSupporterCsv,
  resolveCountry,
  SupporterFileError,
  validateSupporterRow,
  type ImportCounts,
} from './supporters-import.ts';
import { createRunningImport, runStoredImport } from './supporters-import-jobs.ts';
import { supporterAad } from './supporter-keys.ts';

/**
 * The supporter CSV import: header guessing (English, German, our export), cell rules, row
 * validation with line numbers and message ids, and on both engines the import itself — case B16
 * (UTF-8 with BOM, CRLF), duplicates within the file and against the campaign, batches with
 * progress, a re-run that imports nothing new, a dry run that writes nothing, resuming after the
 * last committed batch.
 */

const B16 = readFileSync(new URL('../../../test/fixtures/cases/B16.csv', import.meta.url));
const keyring = parseDataKeys(generateDataKeyLine('imp'), 'test');
const NOW = '2026-11-30T12:00:00.000Z';
const csv = (text: string) => Buffer.from(text, 'utf8');

describe('mapping and cell rules', () => {
  test('B16: the header `email,name,country` behind a BOM maps column 1 to email; no header cell holds U+FEFF', () => {
    const table = readSupporterCsv(B16);
    assert.equal(table.encoding, 'utf-8-bom');
    assert.deepEqual(table.header, ['email', 'name', 'country']);
    assert.deepEqual(guessMapping(table.header), { email: 0, name: 1, country: 2 });
  });

  test('English and German header names, and the export titles in both languages, are recognized', () => {
    assert.deepEqual(guessMapping(['E-Mail-Adresse', 'Vollständiger Name', 'Land', 'Stadt', 'Organisation', 'Sprache', 'Öffentlich nennen', 'Kontakt erlaubt', 'Datum']), {
      email: 0,
      name: 1,
      country: 2,
      city: 3,
      affiliation: 4,
      lang: 5,
      listPublicly: 6,
      contactOk: 7,
      consentedAt: 8,
    });
    assert.deepEqual(guessMapping(['Email Address', 'Full name', 'Country code', 'Town', 'org_name', 'Language', 'List publicly', 'Contact OK', 'Signed at']), {
      email: 0,
      name: 1,
      country: 2,
      city: 3,
      affiliation: 4,
      lang: 5,
      listPublicly: 6,
      contactOk: 7,
      consentedAt: 8,
    });
    // Our export (German titles): the information-only columns map to nothing.
    const de = ['E-Mail', 'Name', 'Land', 'Ort', 'Organisation', 'Sprache', 'Öffentlich genannt', 'Kontakt erlaubt', 'Einwilligung am', 'Version Einwilligung Nennung', 'Herkunft'];
    assert.deepEqual(guessMapping(de), { email: 0, name: 1, country: 2, city: 3, affiliation: 4, lang: 5, listPublicly: 6, contactOk: 7, consentedAt: 8 });
    // The first matching column wins; unknown names stay unmapped.
    assert.deepEqual(guessMapping(['Notes', 'mail', 'E-Mail']), { email: 1 });
  });

  test('--map overrides: by header name (loosely) or 1-based number; `field=` unmaps; mistakes are named', () => {
    const header = ['Adresse', 'Wer', 'Land', 'city'];
    assert.deepEqual(mappingWithOverrides(header, ['email=adresse', 'name=2', 'city=']), { email: 0, name: 1, country: 2 });
    assert.throws(() => mappingWithOverrides(header, ['email']), (e: unknown) => e instanceof SupporterFileError && e.messageId === 'supporters_io.map.syntax');
    assert.throws(() => mappingWithOverrides(header, ['phone=1']), (e: unknown) => e instanceof SupporterFileError && e.messageId === 'supporters_io.map.unknown_field');
    assert.throws(() => mappingWithOverrides(header, ['email=Mail']), (e: unknown) => e instanceof SupporterFileError && e.messageId === 'supporters_io.map.unknown_column');
    assert.deepEqual(checkMapping({ email: 0, name: 0 }, header), [
      { field: 'map_name', messageId: 'supporters_io.map.twice', values: { column: 'Adresse' } },
      { field: 'map_country', messageId: 'supporters_io.map.required' },
    ]);
  });

  test('countries: ISO alpha-2 or alpha-3 codes in any case, English and German names and aliases', () => {
    assert.equal(resolveCountry('de'), 'DE');
    assert.equal(resolveCountry('DEU'), 'DE');
    assert.equal(resolveCountry('Deutschland'), 'DE');
    assert.equal(resolveCountry('germany'), 'DE');
    assert.equal(resolveCountry('Türkei'), 'TR');
    assert.equal(resolveCountry('Turkiye'), resolveCountry('Türkiye'));
    assert.equal(resolveCountry('Großbritannien'), 'GB');
    assert.equal(resolveCountry('UK'), 'GB');
    assert.equal(resolveCountry('Vereinigte Staaten'), 'US');
    assert.equal(resolveCountry('Elbonia'), null);
    assert.equal(resolveCountry('QQ'), null);
  });

  test('yes/no and consent times', () => {
    for (const v of ['yes', 'Ja', 'J', 'x', '1', 'TRUE', '✓']) assert.equal(parseYesNo(v), true, v);
    for (const v of ['no', 'Nein', '0', '', ' ', 'false', '-']) assert.equal(parseYesNo(v), false, v);
    assert.equal(parseYesNo('maybe'), null);
    assert.equal(parseConsentedAt('2026-05-01'), '2026-05-01T00:00:00.000Z');
    assert.equal(parseConsentedAt('1.5.2026'), '2026-05-01T00:00:00.000Z');
    assert.equal(parseConsentedAt('2026-05-01T10:00:00+02:00'), '2026-05-01T08:00:00.000Z');
    assert.equal(parseConsentedAt('2026-05-01T10:00:00'), '2026-05-01T10:00:00.000Z');
    assert.equal(parseConsentedAt('2026-02-30'), null);
    assert.equal(parseConsentedAt('May 1st'), null);
  });

  test('row validation: every problem with its field and message id, no address or name in the values', () => {
    const mapping = { email: 0, name: 1, country: 2, lang: 3, listPublicly: 4, consentedAt: 5 };
    const ok = validateSupporterRow({ line: 2, cells: [' Ana@Example.org ', ' Ana Souza ', 'Brasilien', 'pt-br', 'ja', '2026-05-01'] }, mapping, { defaultLang: 'en', now: NOW });
    assert.ok('supporter' in ok);
    assert.deepEqual(ok.supporter, { email: 'Ana@Example.org', name: 'Ana Souza', country: 'BR', city: null, affiliation: null, lang: 'pt-BR', listPublicly: true, contactOk: false, consentedAt: '2026-05-01T00:00:00.000Z' });
    assert.equal(ok.key, 'ana@example.org');

    const bad = validateSupporterRow({ line: 7, cells: ['not-an-address', '', 'Atlantis', 'xx_yy', 'vielleicht', '2030-01-01'] }, mapping, { defaultLang: 'en', now: NOW });
    assert.ok('issues' in bad);
    assert.deepEqual(
      bad.issues.map((i) => [i.line, i.field, i.messageId, i.values ?? null]),
      [
        [7, 'email', 'supporters_io.row.email', null],
        [7, 'name', 'supporters_io.row.required', null],
        [7, 'country', 'supporters_io.row.country', { value: 'Atlantis' }],
        [7, 'lang', 'supporters_io.row.language', { value: 'xx_yy' }],
        [7, 'listPublicly', 'supporters_io.row.yes_no', { value: 'vielleicht' }],
        [7, 'consentedAt', 'supporters_io.row.date_future', { value: '2030-01-01' }],
      ],
    );
    const controls = validateSupporterRow({ line: 3, cells: ['a@example.org', 'Eve \u202eevil', 'DE'] }, { email: 0, name: 1, country: 2 }, { defaultLang: 'de', now: NOW });
    assert.ok('issues' in controls);
    assert.deepEqual(controls.issues.map((i) => i.messageId), ['supporters_io.row.characters']);
  });

  test('a cell our export neutralized is read back literally (case B19)', () => {
    const r = validateSupporterRow({ line: 2, cells: ['a@example.org', "'=1+1", 'DE', "'\t=1+1", "'+442079460123"] }, { email: 0, name: 1, country: 2, affiliation: 3, city: 4 }, { defaultLang: 'en', now: NOW });
    assert.ok('supporter' in r);
    assert.equal(r.supporter.name, '=1+1');
    assert.equal(r.supporter.affiliation, '\t=1+1');
    assert.equal(r.supporter.city, '+442079460123');
  });

  test('files that cannot be imported: not CSV, empty, header only', () => {
    const code = (bytes: Buffer) => {
      try {
        readSupporterCsv(bytes);
        return null;
      } catch (e) {
        return e instanceof SupporterFileError ? [e.messageId, e.values] : e;
      }
    };
    assert.deepEqual(code(csv('email,name\n"a@example.org,Ana\n')), ['supporters_io.file.not_csv', { line: 2 }]);
    assert.deepEqual(code(csv('')), ['supporters_io.file.empty', {}]);
    assert.deepEqual(code(csv('email,name,country\r\n')), ['supporters_io.file.no_rows', {}]);
  });
});

for (const engine of ENGINES) {
  describe(`supporter import on ${engine}`, () => {
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
      campaign = await insertCampaign(db.db, org.id, { slug: 'miners' });
    });

    const run = async (bytes: Buffer, o: { batchSize?: number; dryRun?: boolean; onProgress?: (c: ImportCounts) => void } = {}) => {
      const table = readSupporterCsv(bytes);
      const id = o.dryRun ? '' : await createRunningImport(db.db, keyring, { campaignId: campaign.id, filename: 'x.csv', bytes, rows: table.records.length, mapping: guessMapping(table.header), consentBasis: 'Paper list, rally of 1 May' });
      return importSupporterRows(db.db, keyring, {
        campaignId: campaign.id,
        table,
        mapping: guessMapping(table.header),
        consentBasis: 'Paper list, rally of 1 May',
        importId: id,
        defaultLang: 'en',
        now: NOW,
        ...o,
      });
    };
    const stored = () => db.db.selectFrom('supporters').selectAll().where('campaign_id', '=', campaign.id).orderBy('name').execute();
    const counts = async () => {
      const rows = await db.db.selectFrom('campaign_counts').select(['country', 'supporters']).where('campaign_id', '=', campaign.id).orderBy('country').execute();
      return Object.fromEntries(rows.map((r) => [r.country, Number(r.supporters)]));
    };

    test('B16: two rows imported, source import with the consent basis and import id; no stored value holds U+FEFF', async () => {
      const outcome = await run(B16);
      assert.deepEqual({ ...outcome, issues: outcome.issues.length }, { total: 2, processed: 2, imported: 2, duplicates: 0, rejected: 0, issues: 0 });
      const rows = await stored();
      assert.deepEqual(
        rows.map((r) => [r.name, r.country, open(keyring, r.email_sealed, supporterAad(r.id)), r.source, r.consent_basis, r.status, r.lang, r.list_publicly, r.contact_ok]),
        [
          ['Ortsgruppe Nord', 'DE', 'ortsgruppe.nord@example.org', 'import', 'Paper list, rally of 1 May', 'confirmed', 'en', 0, 0],
          ['Soli-Kreis West', 'NL', 'soli.west@example.org', 'import', 'Paper list, rally of 1 May', 'confirmed', 'en', 0, 0],
        ],
      );
      assert.ok(rows.every((r) => r.import_id && r.import_id.length > 10));
      for (const r of rows) for (const [k, v] of Object.entries(r)) assert.ok(typeof v !== 'string' || !v.includes('\uFEFF'), `${k} holds U+FEFF`);
      const opened = rows.map((r) => open(keyring, r.email_sealed, supporterAad(r.id)));
      assert.ok(opened.every((e) => !e.includes('\uFEFF')));
      assert.deepEqual(await counts(), { DE: 1, NL: 1 });
    });

    test('duplicates within the file and against the campaign are skipped and reported, errors by line; a re-run imports nothing new', async () => {
      const file = csv(
        [
          'E-Mail;Name;Land;Öffentlich genannt',
          'rosa@example.org;Rosa;Deutschland;ja',
          'Soli.Kreis+mai@gmail.com;Soli Kreis;AT;nein',
          'broken;Nobody;DE;ja',
          'solikreis@googlemail.com;Soli Again;AT;ja',
          'mia@example.org;Mia;Narnia;ja',
          'ROSA@example.org;Rosa Again;DE;nein',
          '',
        ].join('\r\n'),
      );
      const first = await run(file);
      assert.deepEqual({ ...first, issues: undefined }, { total: 6, processed: 6, imported: 2, duplicates: 2, rejected: 2, issues: undefined });
      assert.deepEqual(
        first.issues.map((i) => [i.line, i.field, i.messageId, i.kind, i.values ?? null]),
        [
          [4, 'email', 'supporters_io.row.email', 'error', null],
          [5, 'email', 'supporters_io.row.duplicate_in_file', 'duplicate', { line: 3 }],
          [6, 'country', 'supporters_io.row.country', 'error', { value: 'Narnia' }],
          [7, 'email', 'supporters_io.row.duplicate_in_file', 'duplicate', { line: 2 }],
        ],
      );
      assert.deepEqual((await stored()).map((r) => [r.name, r.list_publicly, r.list_consent_version !== null, r.list_consented_at]), [
        ['Rosa', 1, true, NOW],
        ['Soli Kreis', 0, false, null],
      ]);

      const again = await run(file);
      assert.deepEqual({ ...again, issues: undefined }, { total: 6, processed: 6, imported: 0, duplicates: 4, rejected: 2, issues: undefined });
      assert.deepEqual(
        again.issues.filter((i) => i.messageId === 'supporters_io.row.duplicate_existing').map((i) => i.line),
        [2, 3],
      );
      assert.equal((await stored()).length, 2);
      assert.deepEqual(await counts(), { AT: 1, DE: 1 });
    });

    test('Windows-1252 with `;`: names with umlauts stored as text; batches commit one by one with progress', async () => {
      const lines = ['Name;E-Mail;Land;Ort'];
      for (let i = 1; i <= 12; i += 1) lines.push(`Jürgen Müller ${i};person${i}@example.org;DE;Köln`);
      const file = latin1(lines.join('\r\n'));
      const seen: ImportCounts[] = [];
      const outcome = await run(file, { batchSize: 5, onProgress: (c) => seen.push(c) });
      assert.equal(outcome.imported, 12, JSON.stringify(outcome).slice(0, 600));
      assert.deepEqual(seen.map((c) => [c.processed, c.imported]), [
        [5, 5],
        [10, 10],
        [12, 12],
      ]);
      const rows = await stored();
      assert.ok(rows.some((r) => r.name === 'Jürgen Müller 7' && r.city === 'Köln'));
    });

    test('a dry run reports the same, existing supporters included, and writes nothing', async () => {
      await run(B16);
      const before = await db.db.selectFrom('supporters').select('id').execute();
      const file = csv('email,name,country\nsoli.west@example.org,West,NL\nnew@example.org,New,FR\nbad,Bad,FR\n');
      const outcome = await run(file, { dryRun: true });
      assert.deepEqual({ ...outcome, issues: outcome.issues.map((i) => [i.line, i.messageId]) }, {
        total: 3,
        processed: 3,
        imported: 1,
        duplicates: 1,
        rejected: 1,
        issues: [
          [2, 'supporters_io.row.duplicate_existing'],
          [4, 'supporters_io.row.email'],
        ],
      });
      assert.equal((await db.db.selectFrom('supporters').select('id').execute()).length, before.length);
      assert.deepEqual(await counts(), { DE: 1, NL: 1 });
    });

    test('a stored import continues after its last committed batch (a stopped process), counting each row once', async () => {
      const lines = ['email,name,country'];
      for (let i = 1; i <= 9; i += 1) lines.push(`p${i}@example.org,P ${i},${i === 5 ? 'XX' : 'PE'}`);
      lines.push('p1@example.org,P again,PE');
      const bytes = csv(lines.join('\n'));
      const table = readCsvTable(bytes);
      const id = await createRunningImport(db.db, keyring, { campaignId: campaign.id, filename: 'list.csv', bytes, rows: table.records.length, mapping: guessMapping(table.header), consentBasis: 'Rally' });
      let batches = 0;
      // The first run stops after one batch of 4 (the server stopping).
      assert.equal(await runStoredImport(db.db, keyring, id, { batchSize: 4, shouldStop: () => batches++ >= 1 }), null);
      const mid = await db.db.selectFrom('supporter_imports').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      assert.deepEqual([mid.status, Number(mid.processed_rows), Number(mid.imported)], ['running', 4, 4]);
      assert.ok(mid.file_sealed);
      const done = await runStoredImport(db.db, keyring, id, { batchSize: 4 });
      assert.ok(done && !done.error);
      assert.deepEqual(done.view.counts, { total: 10, processed: 10, imported: 8, duplicates: 1, rejected: 1 });
      assert.deepEqual(done.view.issues.map((i) => [i.line, i.messageId]), [
        [6, 'supporters_io.row.country'],
        [11, 'supporters_io.row.duplicate_in_file'],
      ]);
      const end = await db.db.selectFrom('supporter_imports').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal(end.status, 'done');
      assert.equal(end.file_sealed, null);
      assert.ok(end.finished_at);
      assert.equal((await stored()).length, 8);
      assert.deepEqual(await counts(), { PE: 8 });
      assert.equal(await runStoredImport(db.db, keyring, id), null, 'a finished import does not run again');
      const audit = await db.db.selectFrom('audit_events').select(['action', 'details']).where('subject_id', '=', id).orderBy('at').execute();
      assert.deepEqual(audit.map((a) => a.action), ['campaign.supporters_import_started', 'campaign.supporters_imported']);
      assert.deepEqual(JSON.parse(audit[1]!.details), { rows: 10, imported: 8, duplicates: 1, rejected: 1 });
    });

    test('a failing batch is rolled back, the import marked failed with its reason and the batches before it counted', async () => {
      const lines = ['email,name,country'];
      for (let i = 1; i <= 6; i += 1) lines.push(`q${i}@example.org,Q ${i},PE`);
      const bytes = csv(lines.join('\n'));
      const id = await createRunningImport(db.db, keyring, { campaignId: campaign.id, filename: 'q.csv', bytes, rows: 6, mapping: { email: 0, name: 1, country: 2 }, consentBasis: 'Rally' });
      // The database refuses the row "Q 5", in the second batch of three.
      await refuseName(db, 'Q 5');
      try {
        const r = await runStoredImport(db.db, keyring, id, { batchSize: 3 });
        assert.ok(r?.error);
        assert.equal(r.view.status, 'failed');
        assert.equal(r.view.failure, 'supporters_io.failed.database');
        assert.deepEqual(r.view.counts, { total: 6, processed: 3, imported: 3, duplicates: 0, rejected: 0 });
      } finally {
        await allowNames(db);
      }
      const row = await db.db.selectFrom('supporter_imports').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      assert.deepEqual([row.status, row.file_sealed, Number(row.imported)], ['failed', null, 3]);
      assert.deepEqual((await stored()).map((s) => s.name), ['Q 1', 'Q 2', 'Q 3']);
      assert.deepEqual(await counts(), { PE: 3 }, 'the counts match the rows');
      const audit = await db.db.selectFrom('audit_events').select(['action', 'details']).where('subject_id', '=', id).orderBy('at').execute();
      assert.deepEqual(audit.map((a) => [a.action, JSON.parse(a.details)]).at(-1), ['campaign.supporters_import_failed', { processed: 3 }]);

      // A sealed file that no longer opens (sealed with another key): failed, nothing imported.
      const other = parseDataKeys(generateDataKeyLine('other'), 'test');
      const id2 = await createRunningImport(db.db, other, { campaignId: campaign.id, filename: 'q2.csv', bytes, rows: 6, mapping: { email: 0, name: 1, country: 2 }, consentBasis: 'Rally' });
      const failed = await runStoredImport(db.db, keyring, id2);
      assert.equal(failed?.view.failure, 'supporters_io.failed.file');
      assert.equal(failed?.view.counts.imported, 0);
    });

    test('the batch size is 500 rows by default', () => {
      assert.equal(BATCH_SIZE, 500);
      assert.ok(new ImportInterrupted() instanceof Error);
    });
  });
}

/** Makes the database refuse a supporter named `name` (a trigger), to fail a batch mid-import. */
async function refuseName(db: TestDb, name: string): Promise<void> {
  if (db.engine === 'sqlite') {
    await sql`CREATE TRIGGER refuse_name BEFORE INSERT ON supporters WHEN NEW.name = ${sql.lit(name)} BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`.execute(db.db);
    return;
  }
  await sql`CREATE FUNCTION refuse_name() RETURNS trigger AS $$ BEGIN IF NEW.name = ${sql.lit(name)} THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`.execute(db.db);
  await sql`CREATE TRIGGER refuse_name BEFORE INSERT ON supporters FOR EACH ROW EXECUTE FUNCTION refuse_name()`.execute(db.db);
}

async function allowNames(db: TestDb): Promise<void> {
  await sql`DROP TRIGGER refuse_name${db.engine === 'sqlite' ? sql`` : sql` ON supporters`}`.execute(db.db);
  if (db.engine !== 'sqlite') await sql`DROP FUNCTION refuse_name()`.execute(db.db);
}

/** `text` as Windows-1252 bytes (its characters are all in Latin-1 here). */
function latin1(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}
