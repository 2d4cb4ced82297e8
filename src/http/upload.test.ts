import { describe, test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../app.ts';
import { ENGINES, createTestDb, type TestDb } from '../../test/helpers/db.ts';
import { cookiesFrom } from '../../test/helpers/app.ts';
import { PDF, multipart, type Part } from '../../test/helpers/multipart.ts';
import { requireUpload, uploadForm } from './upload.ts';
import { generateDataKeyLine } from '../lib/sealed.ts';


/** Every file below `dir`, the incoming directory included. */
function filesUnder(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((n) => (statSync(join(dir, n)).isDirectory() ? filesUnder(join(dir, n)) : [join(dir, n)]));
}

for (const engine of ENGINES) {
  describe(`multipart upload with CSRF (${engine})`, () => {
    let db: TestDb;
    let app: FastifyInstance;
    let documentsDir: string;
    before(async () => {
      db = await createTestDb(engine);
      documentsDir = mkdtempSync(join(tmpdir(), 'solidaris-upload-'));
      app = await buildApp({
        db: db.db,
        engine: db.engine,
        logLevel: 'silent',
        rateLimitPerMinute: 1000,
        dataKeys: { kind: 'env', value: generateDataKeyLine('t') },
        documentsDir,
        documentMaxBytes: 4000,
      });
      // A test-only form and upload route, built the way a module's receipt upload is.
      app.get('/test/upload', async (_request, reply) => ({ csrf: reply.generateCsrf() }));
      app.post('/test/upload', { preValidation: uploadForm(app) }, async (request) => {
        const upload = requireUpload(request, 'receipt');
        const stored = await app.documents.put(upload.stream, { filename: upload.filename, declaredType: upload.declaredType, field: 'receipt' });
        return { stored, fields: request.body };
      });
      await app.ready();
    });
    after(async () => {
      await app.close();
      await db.drop();
      rmSync(documentsDir, { recursive: true, force: true });
    });
    beforeEach(() => {
      rmSync(documentsDir, { recursive: true, force: true });
    });

    async function session(): Promise<{ csrf: string; cookie: string }> {
      const res = await app.inject({ method: 'GET', url: '/test/upload' });
      return { csrf: res.json().csrf, cookie: cookiesFrom(res) };
    }

    async function post(parts: Part[], cookie: string) {
      const { payload, contentType } = multipart(parts);
      return app.inject({ method: 'POST', url: '/test/upload', payload, headers: { 'content-type': contentType, cookie } });
    }

    test('with the token before the file: the PDF is stored, the text fields reach the handler', async () => {
      const s = await session();
      const res = await post(
        [
          { name: '_csrf', value: s.csrf },
          { name: 'purpose', value: 'Fuel for the solidarity convoy – März' },
          { name: 'receipt', filename: 'quittung.pdf', type: 'application/pdf', data: PDF },
        ],
        s.cookie,
      );
      assert.equal(res.statusCode, 200, res.body);
      const { stored, fields } = res.json();
      assert.equal(fields.purpose, 'Fuel for the solidarity convoy – März');
      assert.equal(stored.contentType, 'application/pdf');
      assert.equal(stored.size, PDF.length);
      assert.equal(stored.sha256, createHash('sha256').update(PDF).digest('hex'));
      assert.equal(stored.filename, 'quittung.pdf');
      assert.deepEqual(filesUnder(documentsDir), [join(documentsDir, stored.storageKey)]);
      assert.deepEqual(readFileSync(join(documentsDir, stored.storageKey)), PDF);
    });

    test('without a token, with a wrong one, or without the CSRF cookie: 403 and nothing is written', async () => {
      const s = await session();
      const file: Part = { name: 'receipt', filename: 'quittung.pdf', type: 'application/pdf', data: PDF };
      const attempts: [string, Part[], string][] = [
        ['no token', [{ name: 'purpose', value: 'x' }, file], s.cookie],
        ['wrong token', [{ name: '_csrf', value: `${s.csrf.slice(0, -2)}xx` }, file], s.cookie],
        ['no cookie', [{ name: '_csrf', value: s.csrf }, file], ''],
        // The token is only looked for before the file: one sent after it is not read.
        ['token after the file', [file, { name: '_csrf', value: s.csrf }], s.cookie],
      ];
      for (const [label, parts, cookie] of attempts) {
        const res = await post(parts, cookie);
        assert.equal(res.statusCode, 403, label);
      }
      assert.deepEqual(filesUnder(documentsDir), [], 'no stored or temporary file');
    });

    test('a URL-encoded post of the form still parses and passes CSRF; it only lacks the file (422)', async () => {
      const s = await session();
      const res = await app.inject({
        method: 'POST',
        url: '/test/upload',
        payload: new URLSearchParams({ _csrf: s.csrf, purpose: 'x' }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: s.cookie },
      });
      assert.equal(res.statusCode, 422);
      assert.match(res.body, /Choose a file/);
      const none = await app.inject({
        method: 'POST',
        url: '/test/upload',
        payload: new URLSearchParams({ purpose: 'x' }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: s.cookie },
      });
      assert.equal(none.statusCode, 403);
    });

    test('an empty file input counts as no file; a repeated field is refused', async () => {
      const s = await session();
      const empty = await post([{ name: '_csrf', value: s.csrf }, { name: 'receipt', filename: '', type: 'application/octet-stream', data: Buffer.alloc(0) }], s.cookie);
      assert.equal(empty.statusCode, 422);
      assert.match(empty.body, /Choose a file/);
      const repeated = await post([{ name: '_csrf', value: s.csrf }, { name: 'purpose', value: 'a' }, { name: 'purpose', value: 'b' }], s.cookie);
      assert.equal(repeated.statusCode, 422);
      assert.match(repeated.body, /sent more than once/);
    });

    test('too large or of a refused type: 422 with the reason, and no file left behind', async () => {
      const s = await session();
      const big = Buffer.concat([PDF, Buffer.alloc(5000, 0x20)]);
      const tooLarge = await post([{ name: '_csrf', value: s.csrf }, { name: 'receipt', filename: 'big.pdf', type: 'application/pdf', data: big }], s.cookie);
      assert.equal(tooLarge.statusCode, 422);
      assert.match(tooLarge.body, /larger than 0\.004 MB/);
      const html = await post([{ name: '_csrf', value: s.csrf }, { name: 'receipt', filename: 'r.pdf', type: 'application/pdf', data: Buffer.from('<html><script>alert(1)</script></html>') }], s.cookie);
      assert.equal(html.statusCode, 422);
      assert.match(html.body, /cannot be stored/);
      assert.deepEqual(filesUnder(documentsDir), []);
    });
  });
}
