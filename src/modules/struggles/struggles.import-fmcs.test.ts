import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import { createTestDb, ENGINES, type TestDb } from '../../../test/helpers/db.ts';
import { makeOrganization } from '../../../test/helpers/factories.ts';
import { runImport } from '../../cli/import.ts';
import {
  FMCS_INDUSTRY_SECTORS,
  fmcsLocality,
  fmcsParticipants,
  fmcsSector,
  fmcsUnionName,
  ImportFileError,
  importFmcs,
} from './struggles.import-fmcs.ts';

const FIXTURE = new URL('../../../test/fixtures/fmcs-sample.csv', import.meta.url);
const REAL_FILE = new URL('../../../demo/fmcs_work_stoppages_2010-2020.csv', import.meta.url);
const HEADER = 'Employer,Union,Union Local,Case Number,BU,NAICS,Industry,"City, State",# Idled,Start Date,End Date,Duration';

/** Rejections expected from test/fixtures/fmcs-sample.csv: physical line → catalog id. */
const FIXTURE_REJECTED: [number, string][] = [
  [14, 'import.reject.end_before_start'],
  [15, 'import.reject.start_missing'],
  [16, 'import.reject.start_invalid'],
  [17, 'import.reject.end_invalid'],
  [18, 'import.reject.participants_invalid'],
  [19, 'import.reject.participants_invalid'],
  [20, 'import.reject.employer_missing'],
  [21, 'import.reject.case_missing'],
  [22, 'import.reject.columns'],
  [23, 'import.reject.invalid_field'],
  [24, 'import.reject.csv_syntax'],
];

describe('FMCS mapping helpers', () => {
  it('normalizes "City, State" into a locality', () => {
    assert.equal(fmcsLocality('SANTA BARBARA, CA'), 'Santa Barbara, CA');
    assert.equal(fmcsLocality('Lansing , MI'), 'Lansing, MI');
    assert.equal(fmcsLocality('milwaukee, WI'), 'Milwaukee, WI');
    assert.equal(fmcsLocality('ST. LOUIS, MO'), 'St. Louis, MO');
    assert.equal(fmcsLocality('McKeesport, PA'), 'McKeesport, PA');
    assert.equal(fmcsLocality('C.C.A.F.S, FL'), 'C.C.A.F.S, FL');
    assert.equal(fmcsLocality('Various - ME, NH, VT, NH'), 'Various - ME, NH, VT');
    assert.equal(fmcsLocality('{Metro Detroit Area}, MI'), 'Metro Detroit Area, MI');
    assert.equal(fmcsLocality('Detroit, '), 'Detroit');
    assert.equal(fmcsLocality('Various (Hamtramck/Warren/Flint/Grand Blanc/Parma),   '), 'Various (Hamtramck/Warren/Flint/Grand Blanc/Parma)');
    assert.equal(fmcsLocality(', '), null);
    assert.equal(fmcsLocality(',   '), null);
    assert.equal(fmcsLocality(''), null);
    assert.equal(fmcsLocality('Attached List, '), null);
  });

  it('prefers NAICS and maps every Industry value of the real file', () => {
    assert.equal(fmcsSector('62.0', 'Manufacturing'), 'health');
    assert.equal(fmcsSector('', 'Arts, Entertainment and Recreation'), 'arts');
    assert.equal(fmcsSector('', ' Not Provided '), 'other');
    assert.equal(fmcsSector('', ''), 'other');
    assert.equal(fmcsSector('99.0', 'Utilities'), 'energy');
    assert.equal(fmcsSector('n/a', 'Retail Trade'), 'trade');
    const rows = parse(readFileSync(REAL_FILE), { columns: true, bom: true }) as Record<string, string>[];
    const industries = new Set(rows.map((r) => r['Industry']!.trim().toLowerCase()));
    assert.equal(industries.size, 22);
    for (const industry of industries) assert.ok(industry in FMCS_INDUSTRY_SECTORS, `unmapped industry ${industry}`);
    // Where a row has both, NAICS and the Industry table agree.
    for (const r of rows.filter((r) => r['NAICS'])) assert.equal(fmcsSector(r['NAICS'], ''), fmcsSector('', r['Industry']), r['Industry']);
  });

  it('builds the union name from Union and Union Local', () => {
    assert.equal(fmcsUnionName('IATSE Local 442', ''), 'IATSE Local 442');
    assert.equal(fmcsUnionName('IUOE 150', '150'), 'IUOE 150');
    assert.equal(fmcsUnionName('IBEW 3', '3 '), 'IBEW 3');
    assert.equal(fmcsUnionName('CNA Local ', ''), 'CNA');
    assert.equal(fmcsUnionName('NUHW Local N/A', ''), 'NUHW');
    assert.equal(fmcsUnionName('IBT  Local 792', ''), 'IBT Local 792');
    assert.equal(fmcsUnionName('IBT', '25'), 'IBT Local 25');
    assert.equal(fmcsUnionName('IUPAT', 'Council 1M'), 'IUPAT Council 1M');
    assert.equal(fmcsUnionName(' ', ''), null);
  });

  it('reads # Idled as a whole number', () => {
    assert.equal(fmcsParticipants('50.0'), 50);
    assert.equal(fmcsParticipants('0.0'), 0);
    assert.equal(fmcsParticipants(' 17337 '), 17337);
    assert.equal(fmcsParticipants('1,200.0'), 1200);
    assert.equal(fmcsParticipants(''), null);
    assert.equal(fmcsParticipants('-5.0'), undefined);
    assert.equal(fmcsParticipants('12.5'), undefined);
    assert.equal(fmcsParticipants('about 50'), undefined);
  });
});

for (const engine of ENGINES) {
  describe(`FMCS import (${engine})`, () => {
    let db: TestDb;
    before(async () => {
      db = await createTestDb(engine);
    });
    after(async () => {
      await db.drop();
    });
    beforeEach(async () => {
      await db.reset();
    });

    const count = async (table: 'struggles' | 'organizations' | 'struggle_organizations') =>
      Number((await db.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

    it('imports the fixture: valid rows created, every bad row reported with its line', async () => {
      const report = await importFmcs(db.db, readFileSync(FIXTURE));
      assert.equal(report.total, 21);
      assert.equal(report.created, 9);
      assert.equal(report.updated, 1); // line 6: same case and start date as line 5
      assert.equal(report.organizationsCreated, 8);
      assert.deepEqual(report.rejected.map((r) => [r.line, r.messageId]), FIXTURE_REJECTED);
      assert.equal(report.rejected[0]!.reason, 'The end date 2014-03-31 is before the start date 2014-04-01');
      assert.equal(report.rejected[8]!.reason, 'Expected 12 columns, found 8');
      assert.match(report.rejected[9]!.reason, /^Column “Union”: Names may not contain/);
      assert.equal(await count('struggles'), 9);
      assert.equal(await count('organizations'), 8);
      assert.equal(await count('struggle_organizations'), 9);
      const refs = (await db.db.selectFrom('struggles').select('external_ref').orderBy('external_ref').execute()).map((r) => r.external_ref);
      assert.ok(!refs.some((r) => /FIX000000000[2-9]|FIX00000000(10|11)/.test(r!)), 'no rejected row was written');
    });

    it('maps a real row (Metropolitan Theatres, IATSE Local 442)', async () => {
      await importFmcs(db.db, readFileSync(FIXTURE));
      const s = await db.db.selectFrom('struggles').selectAll().where('external_ref', '=', 'fmcs:2005007Z005S:2010-01-14').executeTakeFirstOrThrow();
      assert.deepEqual(
        {
          title: s.title,
          kind: s.kind,
          sector: s.sector,
          country: s.country,
          locality: s.locality,
          employer: s.employer,
          participants: s.participants,
          start: s.start_date,
          end: s.end_date,
          status: s.status,
          visibility: s.visibility,
          lang: s.lang,
          organization: s.organization_id,
        },
        {
          title: 'Work stoppage at Metropolitan Theatres',
          kind: 'strike',
          sector: 'arts',
          country: 'US',
          locality: 'Santa Barbara, CA',
          employer: 'Metropolitan Theatres',
          participants: 50,
          start: '2010-01-14',
          end: '2010-01-20',
          status: 'ended',
          visibility: 'public',
          lang: 'en',
          organization: null,
        },
      );
      const links = await db.db
        .selectFrom('struggle_organizations as so')
        .innerJoin('organizations as o', 'o.id', 'so.organization_id')
        .select(['o.name', 'o.kind', 'o.country', 'o.visibility', 'so.role'])
        .where('so.struggle_id', '=', s.id)
        .execute();
      assert.deepEqual(links.map((l) => ({ ...l })), [{ name: 'IATSE Local 442', kind: 'union', country: 'US', visibility: 'public', role: 'initiator' }]);
    });

    it('maps the messy rows: repeated cases, empty city, no end date, NAICS, embedded line break', async () => {
      await importFmcs(db.db, readFileSync(FIXTURE));
      const byRef = async (ref: string) => db.db.selectFrom('struggles').selectAll().where('external_ref', '=', ref).executeTakeFirstOrThrow();
      // Same case, other start date: two stoppages.
      assert.equal((await byRef('fmcs:2008009C04FD:2010-06-01')).participants, 50);
      assert.equal((await byRef('fmcs:2008009C04FD:2010-06-02')).participants, 48);
      // Same case and start date: the later row (line 6) wins.
      const kaiser = await byRef('fmcs:2011N0505302:2011-09-22');
      assert.deepEqual([kaiser.participants, kaiser.end_date, kaiser.locality, kaiser.employer], [1200, '2011-09-24', 'Oakland, CA', 'Kaiser Permanente']);
      const fairpoint = await byRef('fmcs:2014N0502678:2014-10-17');
      assert.deepEqual([fairpoint.locality, fairpoint.sector], ['Various - ME, NH, VT', 'energy']);
      const republic = await byRef('fmcs:202009740005:2019-12-26');
      assert.deepEqual([republic.locality, republic.participants, republic.end_date, republic.status, republic.sector], [null, null, null, 'ended', 'services']);
      const acme = await byRef('fmcs:FIX0000000001:2012-03-01');
      assert.deepEqual([acme.employer, acme.locality, acme.sector], ['Acme Plant No. 2', 'Milwaukee, WI', 'other']);
      const unions = (await db.db.selectFrom('organizations').select('name').orderBy('name').execute()).map((o) => o.name);
      assert.deepEqual(unions, ['51033NUHW', 'BCTGM Local 125', 'IATSE Local 442', 'IBEW Local SCT-9', 'IBT #25 #25', 'IBT Local 25', 'IBT Local 542', 'IUOE 150']);
    });

    it('is idempotent: a second run updates the same rows and creates nothing', async () => {
      const first = await importFmcs(db.db, readFileSync(FIXTURE));
      const before = await db.db.selectFrom('struggles').select(['id', 'slug', 'external_ref']).orderBy('external_ref').execute();
      const second = await importFmcs(db.db, readFileSync(FIXTURE));
      assert.deepEqual([second.total, second.created, second.updated, second.organizationsCreated], [21, 0, 10, 0]);
      assert.deepEqual(second.rejected, first.rejected);
      const afterRows = await db.db.selectFrom('struggles').select(['id', 'slug', 'external_ref']).orderBy('external_ref').execute();
      assert.deepEqual(afterRows.map((r) => ({ ...r })), before.map((r) => ({ ...r })));
      assert.equal(await count('organizations'), 8);
      assert.equal(await count('struggle_organizations'), 9);
    });

    it('reuses an existing organization of the same name in the US', async () => {
      const existing = await makeOrganization(db.db, { name: 'iatse local 442', country: 'US' });
      await makeOrganization(db.db, { name: 'BCTGM Local 125', country: 'CA' });
      const report = await importFmcs(db.db, readFileSync(FIXTURE));
      assert.equal(report.organizationsCreated, 7);
      const link = await db.db
        .selectFrom('struggle_organizations as so')
        .innerJoin('struggles as s', 's.id', 'so.struggle_id')
        .select('so.organization_id')
        .where('s.external_ref', '=', 'fmcs:2005007Z005S:2010-01-14')
        .executeTakeFirstOrThrow();
      assert.equal(link.organization_id, existing.id);
    });

    it('rejects a row whose end is before its start and writes nothing for it', async () => {
      const csv = [
        HEADER,
        'Good Co.,IBT Local 1,,CASE1,,,Construction,"Dayton, OH",5.0,2014-03-01,2014-03-05,',
        'Backwards Co.,IBT Local 2,,CASE2,,,Construction,"Dayton, OH",5.0,2014-03-05,2014-03-01,',
      ].join('\n');
      const report = await importFmcs(db.db, csv, { locale: 'de' });
      assert.deepEqual(report.rejected, [
        { line: 3, messageId: 'import.reject.end_before_start', reason: 'Das Enddatum 2014-03-01 liegt vor dem Anfangsdatum 2014-03-05' },
      ]);
      assert.equal(report.created, 1);
      assert.equal(await count('struggles'), 1);
      assert.equal(await count('organizations'), 1, 'the rejected row created no organization');
    });

    it('rolls back a row the database refuses, reports it and goes on', async () => {
      const csv = [
        HEADER,
        'Good Co.,IBT Local 1,,CASE1,,,Construction,"Dayton, OH",5.0,2014-03-01,2014-03-05,',
        'Other Co.,IBT Local 2,,CASE2,,,Construction,"Dayton, OH",5.0,2014-03-05,2014-03-06,',
      ].join('\n');
      // Without struggle_sources every struggle write fails after the organization and the struggle row were inserted.
      await sql`ALTER TABLE struggle_sources RENAME TO struggle_sources_off`.execute(db.db);
      try {
        const report = await importFmcs(db.db, csv);
        assert.deepEqual(report.rejected.map((r) => [r.line, r.messageId]), [[2, 'import.reject.write_failed'], [3, 'import.reject.write_failed']]);
        assert.deepEqual([report.created, report.updated, report.organizationsCreated], [0, 0, 0]);
      } finally {
        await sql`ALTER TABLE struggle_sources_off RENAME TO struggle_sources`.execute(db.db);
      }
      assert.equal(await count('struggles'), 0);
      assert.equal(await count('organizations'), 0);
      const again = await importFmcs(db.db, csv);
      assert.deepEqual([again.created, again.rejected.length, again.organizationsCreated], [2, 0, 2]);
    });

    it('runs inside a caller’s transaction', async () => {
      const report = await db.db.transaction().execute((tx) => importFmcs(tx, readFileSync(FIXTURE)));
      assert.deepEqual([report.created, report.updated, report.rejected.length], [9, 1, 11]);
      assert.equal(await count('struggles'), 9);
    });

    it('counts the same physical lines with LF line endings', async () => {
      const lf = readFileSync(FIXTURE, 'utf8').replace(/\r\n/g, '\n');
      const report = await importFmcs(db.db, lf);
      assert.deepEqual(report.rejected.map((r) => [r.line, r.messageId]), FIXTURE_REJECTED);
    });

    it('refuses a file that is empty or lacks the FMCS columns', async () => {
      await assert.rejects(importFmcs(db.db, '', { fileName: 'x.csv' }), (err: unknown) => err instanceof ImportFileError && err.messageId === 'import.file.empty');
      await assert.rejects(importFmcs(db.db, 'Employer,Union\nAcme,IBT\n', { fileName: 'x.csv' }), (err: unknown) => {
        assert.ok(err instanceof ImportFileError);
        assert.equal(err.messageId, 'import.file.missing_columns');
        assert.match(err.message, /^x\.csv is not an FMCS work-stoppage file: the columns “Union Local”, “Case Number”/);
        return true;
      });
      assert.equal(await count('struggles'), 0);
    });

    it('runImport prints a translated summary with every rejected line', async () => {
      const out = new PassThrough();
      let text = '';
      out.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      const report = await runImport({ kind: 'struggles', format: 'fmcs', file: FIXTURE.pathname, db: db.db, locale: 'de', out, progress: false });
      assert.equal(report.created, 9);
      const lines = text.trim().split('\n');
      assert.equal(lines[0], '21 Zeilen: 9 angelegt, 1 aktualisiert, 11 abgelehnt');
      assert.equal(lines[1], '8 Organisationen angelegt.');
      assert.equal(lines[2], 'Abgelehnte Zeilen:');
      assert.deepEqual(lines.slice(3).map((l) => Number(/^ {2}Zeile (\d+): /.exec(l)?.[1])), FIXTURE_REJECTED.map(([line]) => line));
      await assert.rejects(
        runImport({ kind: 'struggles', format: 'fmcs', file: '/nonexistent/fmcs.csv', db: db.db, out, progress: false }),
        (err: unknown) => err instanceof ImportFileError && err.message === 'Cannot read the file /nonexistent/fmcs.csv',
      );
    });

    // The whole real file: 2–10 s on SQLite (import and re-import), 10–35 s for the import on a
    // PostgreSQL server and 35 s and more on the in-process PGlite (measured on a loaded machine),
    // so on PostgreSQL it runs only with TEST_DATABASE_URL, and re-imports only on SQLite.
    const slow = engine === 'postgres' && !process.env.TEST_DATABASE_URL;
    it('imports the real 2010–2020 file with the documented totals', { skip: slow && 'real file on PGlite: set TEST_DATABASE_URL' }, async () => {
      const data = readFileSync(REAL_FILE);
      const first = await importFmcs(db.db, data);
      assert.deepEqual(
        { total: first.total, created: first.created, updated: first.updated, rejected: first.rejected.length, organizations: first.organizationsCreated },
        { total: 1261, created: 1261, updated: 0, rejected: 0, organizations: 835 },
      );
      if (engine === 'sqlite') {
        // The re-import of the whole file (idempotency is also checked on both engines with the fixture).
        const second = await importFmcs(db.db, data);
        assert.deepEqual([second.created, second.updated, second.rejected.length, second.organizationsCreated], [0, 1261, 0, 0]);
      }
      assert.equal(await count('struggles'), 1261);
      assert.equal(await count('organizations'), 835);
      const open = await db.db.selectFrom('struggles').select(['status']).where('end_date', 'is', null).execute();
      assert.equal(open.length, 30);
      assert.ok(open.every((s) => s.status === 'ended'));
    });
  });
}
