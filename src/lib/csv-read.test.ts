import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decodeCsvBytes, detectDelimiter, readCsvTable } from './csv-read.ts';

describe('readCsvTable', () => {
  test('B16: UTF-8 with a byte order mark and CRLF — the first column is `email`, two rows, no U+FEFF anywhere', () => {
    const t = readCsvTable(readFileSync(new URL('../../test/fixtures/cases/B16.csv', import.meta.url)));
    assert.equal(t.encoding, 'utf-8-bom');
    assert.equal(t.delimiter, ',');
    assert.deepEqual(t.header, ['email', 'name', 'country']);
    assert.equal(t.records.length, 2);
    assert.equal(t.records[0]!.cells[0], 'ortsgruppe.nord@example.org');
    assert.deepEqual(t.records.map((r) => r.line), [2, 3]);
    assert.ok(!JSON.stringify(t).includes('\uFEFF'));
  });

  test('Windows-1252 with `;` (Excel in a German locale): umlauts and € decoded, separator found', () => {
    // "E-Mail;Name;Land\r\nkaese@example.org;Käse-Gruppe München €;DE\r\n" in Windows-1252.
    const bytes = Buffer.concat([
      Buffer.from('E-Mail;Name;Land\r\nkaese@example.org;K', 'latin1'),
      Buffer.from([0xe4]),
      Buffer.from('se-Gruppe M', 'latin1'),
      Buffer.from([0xfc]),
      Buffer.from('nchen ', 'latin1'),
      Buffer.from([0x80]),
      Buffer.from(';DE\r\n', 'latin1'),
    ]);
    const t = readCsvTable(bytes);
    assert.equal(t.encoding, 'windows-1252');
    assert.equal(t.delimiter, ';');
    assert.deepEqual(t.header, ['E-Mail', 'Name', 'Land']);
    assert.deepEqual(t.records[0]!.cells, ['kaese@example.org', 'Käse-Gruppe München €', 'DE']);
  });

  test('line numbers count quoted line breaks and skipped empty lines; separators inside quotes are not counted', () => {
    const t = readCsvTable(Buffer.from('a;b\n"x\ny";2\n\n"p,q";3\n', 'utf8'));
    assert.equal(t.encoding, 'utf-8');
    assert.equal(t.delimiter, ';');
    assert.deepEqual(t.records.map((r) => [r.line, r.cells]), [[2, ['x\ny', '2']], [5, ['p,q', '3']]]);
  });

  test('detectDelimiter: TAB, the majority outside quotes, and a single column', () => {
    assert.equal(detectDelimiter('a\tb\tc\n1\t2\t3'), '\t');
    assert.equal(detectDelimiter('"a;b;c",d,e\n'), ',');
    assert.equal(detectDelimiter('email\nx@example.org\n'), ',');
  });

  test('decodeCsvBytes: valid UTF-8 without a mark stays UTF-8, and a mark is never kept', () => {
    assert.deepEqual(decodeCsvBytes(Buffer.from('Grüße,ok', 'utf8')), { text: 'Grüße,ok', encoding: 'utf-8' });
    assert.equal(decodeCsvBytes(Buffer.from('\uFEFFa,b', 'utf8')).text, 'a,b');
  });
});
