import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDb, type DbTarget } from '../db/client.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { generateDataKeyLine } from '../lib/sealed.ts';
import { makeOrganization } from '../../test/helpers/factories.ts';
import { insertCampaign } from '../../test/helpers/campaigns.ts';
import { CLI_TIMEOUT_MS, cliSchema, showRun, solidaris } from '../../test/helpers/cli.ts';

/**
 * `solidaris import supporters` and `solidaris import tallies --format uk-petition` as real
 * processes, on SQLite and (with TEST_DATABASE_URL) PostgreSQL: the report, progress lines when
 * the output is not a terminal, exit codes (1 with rejected rows, 2 for arguments), a re-run
 * that adds nothing, the petition sums (584632: 142,929 placed, XK 2), a malformed file that
 * writes nothing. The imports themselves are tested in src/modules/campaigns/.
 */

const B16 = fileURLToPath(new URL('../../test/fixtures/cases/B16.csv', import.meta.url));
const PETITION = (id: string) => fileURLToPath(new URL(`../../test/fixtures/campaigns/${id}.json`, import.meta.url));
const DATA_KEYS = generateDataKeyLine('cli');

async function scenario(target: DbTarget, env: Record<string, string | undefined>, dir: string): Promise<void> {
  const h = await openDb(target);
  const count = async (table: 'supporters' | 'campaign_tallies') => Number((await h.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  try {
    await migrateToLatest(h.db);
    const org = await makeOrganization(h.db);
    await insertCampaign(h.db, org.id, { slug: 'dock-strike' });
    await insertCampaign(h.db, org.id, { slug: 'football' });

    // ---- supporters
    const args = ['import', 'supporters', B16, '--campaign', 'dock-strike', '--consent-basis', 'Paper list, rally of 1 May'];
    const first = await solidaris(args, env);
    assert.equal(first.code, 0, showRun(first));
    assert.equal(first.stdout, ['B16.csv: UTF-8 with byte order mark, separated by comma (,), 2 rows', 'Columns: email ← “email”, name ← “name”, country ← “country”', 'Not imported: city, affiliation, lang, listPublicly, contactOk, consentedAt', '2 rows: 2 imported, 0 skipped as duplicates, 0 rejected', ''].join('\n'));
    assert.match(first.stderr, /^2 of 2 rows, 2 imported$/m, 'a progress line per batch when stdout is not a terminal');
    assert.equal(await count('supporters'), 2);

    const again = await solidaris(args, env);
    assert.equal(again.code, 0, showRun(again));
    assert.match(again.stdout, /^2 rows: 0 imported, 2 skipped as duplicates, 0 rejected\nSkipped duplicates:\n {2}Line 2, E-mail: Already a supporter of this campaign; skipped\.\n {2}Line 3, E-mail: Already a supporter of this campaign; skipped\.\n$/m, showRun(again));
    assert.equal(await count('supporters'), 2);

    const messy = join(dir, 'liste.csv');
    writeFileSync(messy, Buffer.from(['Adresse;Wer;Land;Öffentlich', 'anna@example.org;Anna;Österreich;ja', 'kaputt;Bert;DE;ja', 'carla@example.org;Carla;DE;vielleicht', ''].join('\r\n'), 'latin1'));
    const dry = await solidaris(['import', 'supporters', messy, '--campaign', 'dock-strike', '--map', 'email=Adresse', '--map', 'name=2', '--map', 'listPublicly=Öffentlich', '--dry-run'], { ...env, LANG: 'de_DE.UTF-8' });
    assert.equal(dry.code, 1, showRun(dry));
    assert.equal(
      dry.stdout,
      [
        'liste.csv: Windows-1252 (westeuropäisch), getrennt durch Semikolon (;), 3 Zeilen',
        'Spalten: email ← „Adresse“, name ← „Wer“, country ← „Land“, listPublicly ← „Öffentlich“',
        'Nicht importiert: city, affiliation, lang, contactOk, consentedAt',
        'Probelauf: Es wird nichts geschrieben.',
        '3 Zeilen: 1 würde importiert, 0 als Doppelte übersprungen, 2 abgelehnt',
        'Abgelehnte Zeilen (nicht importiert):',
        '  Zeile 3, E-Mail: Keine E-Mail-Adresse.',
        '  Zeile 4, Öffentlich genannt: „vielleicht“ ist weder ja noch nein.',
        '',
      ].join('\n'),
    );
    assert.equal(await count('supporters'), 2, 'a dry run writes nothing');

    const rejected = await solidaris(['import', 'supporters', messy, '--campaign', 'dock-strike', '--consent-basis', 'Petition at the gate', '--map', 'email=1', '--map', 'name=Wer'], env);
    assert.equal(rejected.code, 1, showRun(rejected));
    assert.match(rejected.stdout, /^3 rows: 1 imported, 0 skipped as duplicates, 2 rejected\nRejected rows \(not imported\):\n {2}Line 3, E-mail: Not an e-mail address\.\n {2}Line 4, Listed publicly: “vielleicht” is not yes or no\.$/m, showRun(rejected));
    assert.equal(await count('supporters'), 3);

    for (const [extra, message] of [
      [['--consent-basis', 'x'], /^Name the campaign to import into with --campaign SLUG\.$/m],
      [['--campaign', 'nowhere', '--consent-basis', 'x'], /^No campaign with the address name nowhere\.$/m],
      [['--campaign', 'dock-strike'], /^State how these supporters consented with --consent-basis TEXT/m],
      [['--campaign', 'dock-strike', '--consent-basis', 'x', '--map', 'phone=1'], /^Unknown field “phone” \(the fields are: email, name, country,/m],
      [['--campaign', 'dock-strike', '--consent-basis', 'x', '--map', 'country='], /^country: Choose the column that holds this field\. Use --map country=COLUMN\.$/m],
    ] as const) {
      const r = await solidaris(['import', 'supporters', B16, ...extra], env);
      assert.equal(r.code, 2, showRun(r));
      assert.match(r.stderr, message, showRun(r));
    }

    // ---- UK petition tallies
    const tallies = await solidaris(['import', 'tallies', '--format', 'uk-petition', PETITION('584632'), '--campaign', 'football'], env);
    assert.equal(tallies.code, 0, showRun(tallies));
    assert.equal(
      tallies.stdout,
      [
        'UK Parliament petition 584632: Introduce an Independent Regulator for Football in England by December 2021',
        'Closed on 13 Nov 2021',
        'Signatures in the file (signature_count): 142,931',
        'Placed by country: 142,929 in 123 countries',
        'Not placeable (no ISO 3166-1 country):',
        '  XK (Kosovo): 2',
        'Difference not in the country table: 2',
        '123 country tallies added to the campaign football (0 already there).',
        '',
      ].join('\n'),
    );
    const sum = async () => Number((await h.db.selectFrom('campaign_tallies').select((eb) => eb.fn.sum<string | number>('count').as('n')).executeTakeFirstOrThrow()).n);
    assert.equal(await sum(), 142_929);
    const repeat = await solidaris(['import', 'tallies', '--format', 'uk-petition', PETITION('584632'), '--campaign', 'football'], env);
    assert.equal(repeat.code, 0, showRun(repeat));
    assert.match(repeat.stdout, /^Nothing new: the 123 country tallies of this petition are on the campaign football already\.$/m);
    assert.equal(await sum(), 142_929);
    const other = await solidaris(['import', 'tallies', '--format', 'uk-petition', PETITION('300412'), '--campaign', 'football'], { ...env, LANG: 'de_DE.UTF-8' });
    assert.equal(other.code, 0, showRun(other));
    assert.match(other.stdout, /^Nach Ländern zugeordnet: 107\.438 in 107 Ländern\nNicht zuzuordnen: keine\nDifferenz, die in der Ländertabelle fehlt: 0$/m, showRun(other));
    assert.equal(await sum(), 142_929 + 107_438);

    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"data": {"id": 7, "attributes": {"action": "x", "signature_count": 3, "closed_at": null, "signatures_by_country": [{"name": "Peru", "code": "PE"}]}}}');
    const bad = await solidaris(['import', 'tallies', '--format', 'uk-petition', broken, '--campaign', 'football'], env);
    assert.equal(bad.code, 1, showRun(bad));
    assert.equal(bad.stderr, 'broken.json is not a UK Parliament petition file: unexpected content at /data/attributes/signatures_by_country/0\n');
    writeFileSync(broken, '{"data": ');
    const notJson = await solidaris(['import', 'tallies', '--format', 'uk-petition', broken, '--campaign', 'football'], env);
    assert.equal(notJson.code, 1, showRun(notJson));
    assert.match(notJson.stderr, /^broken\.json is not valid JSON \(/);
    assert.equal(await count('campaign_tallies'), 230);
    const noFormat = await solidaris(['import', 'tallies', PETITION('584632'), '--campaign', 'football'], env);
    assert.notEqual(noFormat.code, 0, showRun(noFormat));
    assert.match(noFormat.stderr, /tallies needs --format uk-petition/);
  } finally {
    await h.close();
  }
}

describe('solidaris import supporters / tallies', { timeout: 40 * CLI_TIMEOUT_MS }, () => {
  test('on SQLite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'solidaris-campaign-cli-'));
    try {
      const path = join(dir, 'c.sqlite');
      await scenario({ engine: 'sqlite', path }, { SQLITE_PATH: path, DATABASE_URL: '', DATA_KEYS }, dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('on PostgreSQL', { skip: !process.env.TEST_DATABASE_URL && 'TEST_DATABASE_URL is not set (the CLI needs a server)' }, async () => {
    const s = await cliSchema(process.env.TEST_DATABASE_URL!);
    after(() => s.drop());
    const dir = mkdtempSync(join(tmpdir(), 'solidaris-campaign-cli-'));
    try {
      await scenario({ engine: 'postgres', url: process.env.TEST_DATABASE_URL!, schema: s.schema }, { DATABASE_URL: s.databaseUrl, SQLITE_PATH: undefined, DATA_KEYS }, dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
