import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { createDocumentStore, DocumentNotFound, DocumentRejected, safeFilename, type DocumentStore } from './document-store.ts';
import { ValidationFailed } from '../http/errors.ts';

/** Small but real files of each accepted kind (magic numbers as the formats define them). */
export const SAMPLES = {
  pdf: Buffer.from('%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n'),
  png: Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64'),
  jpeg: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0xff, 0xd9]),
  webp: Buffer.concat([Buffer.from('RIFF'), Buffer.from([26, 0, 0, 0]), Buffer.from('WEBPVP8 '), Buffer.alloc(18)]),
  heic: Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypheic'), Buffer.from([0, 0, 0, 0]), Buffer.from('mif1heic'), Buffer.alloc(16)]),
};

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Every file under `dir` (relative paths), including the incoming directory. */
function listFiles(dir: string, prefix = ''): string[] {
  let names: string[];
  try {
    names = readdirSync(join(dir, prefix));
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    const rel = prefix ? `${prefix}/${n}` : n;
    return statSync(join(dir, rel)).isDirectory() ? listFiles(dir, rel) : [rel];
  });
}

function rejected(reason: string, field = 'file') {
  return (err: unknown) =>
    err instanceof DocumentRejected && err instanceof ValidationFailed && err.status === 422 && err.reason === reason && err.errors[0]!.field === field && err.errors[0]!.messageId === `documents.${reason}`;
}

describe('document store', () => {
  let dir: string;
  let store: DocumentStore;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'solidaris-docs-'));
    store = createDocumentStore({ dir, maxBytes: 64 * 1024 });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('stores PDF, JPEG, PNG, WebP and HEIC under yyyy/mm/<uuid> with size, SHA-256 and the sniffed type', async () => {
    const month = new Date().toISOString().slice(0, 7).replace('-', '/');
    const expected: Record<keyof typeof SAMPLES, string> = { pdf: 'application/pdf', png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp', heic: 'image/heic' };
    for (const [kind, bytes] of Object.entries(SAMPLES) as [keyof typeof SAMPLES, Buffer][]) {
      const stored = await store.put(bytes, { filename: `receipt.${kind}`, declaredType: expected[kind] });
      assert.match(stored.storageKey, new RegExp(`^${month}/[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$`), kind);
      assert.equal(stored.size, bytes.length);
      assert.equal(stored.sha256, sha256(bytes));
      assert.equal(stored.contentType, expected[kind]);
      assert.equal(stored.filename, `receipt.${kind}`);
      const path = join(dir, stored.storageKey);
      assert.deepEqual(readFileSync(path), bytes);
      assert.equal(statSync(path).mode & 0o777, 0o600);
    }
    assert.deepEqual(listFiles(dir, '.incoming'), [], 'nothing left in the incoming directory');
  });

  test('a stream larger than the sniffing sample is stored whole; HEIF is stored as image/heic', async () => {
    const bytes = Buffer.concat([SAMPLES.pdf, Buffer.alloc(20_000, 0x20)]);
    const chunks = Array.from({ length: Math.ceil(bytes.length / 1000) }, (_, i) => bytes.subarray(i * 1000, (i + 1) * 1000));
    const stored = await store.put(Readable.from(chunks), { filename: 'scan.pdf', declaredType: 'application/pdf' });
    assert.equal(stored.size, bytes.length);
    assert.equal(stored.sha256, sha256(bytes));
    assert.deepEqual(readFileSync(join(dir, stored.storageKey)), bytes);
    const heif = Buffer.from(SAMPLES.heic);
    heif.write('mif1', 8, 'latin1');
    assert.equal((await store.put(heif, { filename: 'IMG_0001.HEIC', declaredType: 'image/heif' })).contentType, 'image/heic');
  });

  test('declared aliases and unspecific declared types are accepted; the type comes from the bytes', async () => {
    assert.equal((await store.put(SAMPLES.jpeg, { filename: 'a.jpg', declaredType: 'image/jpg' })).contentType, 'image/jpeg');
    assert.equal((await store.put(SAMPLES.pdf, { filename: 'a.pdf', declaredType: 'Application/PDF; name=a.pdf' })).contentType, 'application/pdf');
    for (const declaredType of ['application/octet-stream', '', undefined]) {
      assert.equal((await store.put(SAMPLES.png, { filename: 'a', declaredType })).contentType, 'image/png', String(declaredType));
    }
  });

  test('a declared type the bytes contradict is refused (type_mismatch), leaving no file', async () => {
    const before = listFiles(dir).length;
    await assert.rejects(store.put(SAMPLES.pdf, { filename: 'photo.png', declaredType: 'image/png', field: 'receipt' }), rejected('type_mismatch', 'receipt'));
    await assert.rejects(store.put(SAMPLES.png, { filename: 'x.html', declaredType: 'text/html' }), rejected('type_mismatch'));
    assert.equal(listFiles(dir).length, before);
  });

  test('unknown and unlisted types are refused (type_not_allowed): HTML, SVG, GIF, ZIP, plain text', async () => {
    const before = listFiles(dir).length;
    const bad = {
      html: '<!doctype html><script>alert(1)</script>',
      svg: '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
      gif: Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'),
      zip: Buffer.from(`PK\x03\x04${'\0'.repeat(30)}`, 'latin1'),
      text: 'Quittung 12,34 EUR',
    };
    for (const [kind, content] of Object.entries(bad)) {
      await assert.rejects(store.put(Buffer.from(content), { filename: `receipt.pdf`, declaredType: 'application/octet-stream' }), rejected('type_not_allowed'), kind);
    }
    assert.equal(listFiles(dir).length, before);
  });

  test('a wrong type is refused once the sample is in, without reading the rest of the upload', async () => {
    let pulled = 0;
    const total = 50;
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < total; i++) {
          pulled += 1;
          yield Buffer.from(i === 0 ? `PK\x03\x04${'\0'.repeat(996)}` : '\0'.repeat(1000), 'latin1');
        }
      })(),
      { highWaterMark: 1 },
    );
    await assert.rejects(store.put(source, { filename: 'a.zip' }), rejected('type_not_allowed'));
    assert.ok(pulled < total / 2, `read ${pulled} of ${total} chunks`);
  });

  test('more than maxBytes is refused while streaming (too_large); exactly maxBytes is stored', async () => {
    const small = createDocumentStore({ dir, maxBytes: 5000 });
    const before = listFiles(dir).length;
    const over = Buffer.concat([SAMPLES.pdf, Buffer.alloc(5001 - SAMPLES.pdf.length, 0x20)]);
    await assert.rejects(small.put(Readable.from([over.subarray(0, 3000), over.subarray(3000)]), { filename: 'big.pdf' }), (err: unknown) => {
      return rejected('too_large')(err) && (err as DocumentRejected).errors[0]!.values!.max === 0.00477;
    });
    assert.equal(listFiles(dir).length, before, 'the partial file is removed');
    const exact = over.subarray(0, 5000);
    assert.equal((await small.put(exact, { filename: 'exact.pdf' })).size, 5000);
    // busboy ends a part early at its own limit and marks it truncated: never stored as if complete.
    const truncated = Readable.from([SAMPLES.pdf]) as Readable & { truncated?: boolean };
    truncated.truncated = true;
    await assert.rejects(small.put(truncated, { filename: 'cut.pdf' }), rejected('too_large'));
    assert.equal(listFiles(dir).length, before + 1);
  });

  test('an empty file is refused; a failing source stream rejects with its error and leaves nothing', async () => {
    const before = listFiles(dir).length;
    await assert.rejects(store.put(Buffer.alloc(0), { filename: 'empty.pdf' }), rejected('empty'));
    const failing = new Readable({
      read() {
        this.push(Buffer.concat([SAMPLES.pdf, Buffer.alloc(6000, 0x20)]));
        this.destroy(new Error('client went away'));
      },
    });
    await assert.rejects(store.put(failing, { filename: 'a.pdf' }), /client went away/);
    assert.equal(listFiles(dir).length, before);
  });

  test('the file name is metadata only: the key never follows it; the returned name is cleaned', async () => {
    const stored = await store.put(SAMPLES.pdf, { filename: '../../2026/01/evil', declaredType: 'application/pdf' });
    assert.ok(!stored.storageKey.includes('evil'));
    assert.equal(stored.filename, 'evil');
    assert.equal(safeFilename('C:\\Users\\amani\\Quittung März.pdf', 'pdf'), 'Quittung März.pdf');
    assert.equal(safeFilename('\u202Efdp.exe', 'pdf'), 'fdp.exe');
    assert.equal(safeFilename('a\u0000b\nc.pdf', 'pdf'), 'abc.pdf');
    assert.equal(safeFilename('', 'pdf'), 'document.pdf');
    assert.equal(safeFilename('..', 'png'), 'document.png');
    assert.equal(safeFilename('x'.repeat(300), 'pdf').length, 200);
    assert.equal(safeFilename('Que\u0301bec.pdf', 'pdf'), 'Qu\u00e9bec.pdf', 'NFC');
  });

  test('open streams the bytes back with the size; remove deletes once; bad keys are DocumentNotFound', async () => {
    const stored = await store.put(SAMPLES.pdf, { filename: 'a.pdf' });
    const opened = await store.open(stored.storageKey);
    assert.equal(opened.size, SAMPLES.pdf.length);
    assert.equal(await text(opened.stream), SAMPLES.pdf.toString());
    assert.equal(await store.remove(stored.storageKey), true);
    assert.equal(await store.remove(stored.storageKey), false);
    await assert.rejects(store.open(stored.storageKey), DocumentNotFound);
    for (const key of ['../../etc/passwd', '/etc/passwd', '2026/13/0193a1b2-0000-7000-8000-000000000001', '2026/01/../../x', `${stored.storageKey}/..`, '.incoming/x', '']) {
      await assert.rejects(store.open(key), DocumentNotFound, key);
      await assert.rejects(store.remove(key), DocumentNotFound, key);
    }
  });
});
