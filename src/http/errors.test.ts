import { describe, test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { ENGINES, createTestDb, type TestDb } from '../../test/helpers/db.ts';
import { makeStruggle } from '../../test/helpers/factories.ts';
import { buildApp } from '../app.ts';
import { Forbidden, ValidationFailed } from './errors.ts';

const SECRET = 'db password is hunter2 at /srv/solidaris/secret.ts';

for (const engine of ENGINES) {
  describe(engine, () => {
    let db: TestDb;
    let app: FastifyInstance;

    before(async () => {
      db = await createTestDb(engine);
      // The production app plus a few test-only routes (registered before ready(), no source change).
      app = await buildApp({ db: db.db, engine: db.engine, logLevel: 'silent', rateLimitPerMinute: 1000 });
      for (const prefix of ['/__test', '/api/__test']) {
        app.get(`${prefix}/boom`, { schema: { hide: true } }, async () => {
          throw new Error(SECRET);
        });
        app.get(`${prefix}/forbidden`, { schema: { hide: true } }, async () => {
          throw new Forbidden();
        });
        app.get(`${prefix}/invalid`, { schema: { hide: true } }, async () => {
          throw new ValidationFailed([{ field: 'startDate', messageId: 'validation.date' }]);
        });
      }
      await app.ready();
    });
    after(async () => {
      await app.close();
      await db.drop();
    });
    beforeEach(async () => {
      await db.reset();
    });

    const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });
    const isHtml = (res: LightMyRequestResponse) => assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    const isProblem = (res: LightMyRequestResponse) => assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');

    test('an unknown page is an HTML 404 page in the reader’s language', async () => {
      const res = await get('/no/such/page');
      assert.equal(res.statusCode, 404);
      isHtml(res);
      assert.match(res.body, /^<!doctype html><html lang="en" dir="ltr">/);
      assert.match(res.body, /<h1>Page not found<\/h1>/);
      assert.match(res.body, /<a href="\/">Back to the home page<\/a>/);
      const de = await get('/no/such/page', { 'accept-language': 'de' });
      assert.equal(de.statusCode, 404);
      assert.match(de.body, /<h1>Seite nicht gefunden<\/h1>/);
    });

    test('an unknown or invisible record page is the same 404 page', async () => {
      const { slug } = await makeStruggle(db.db, { title: 'Hidden', visibility: 'private' });
      for (const url of ['/struggles/does-not-exist', `/struggles/${slug}`, '/organizations/nobody']) {
        const res = await get(url);
        assert.equal(res.statusCode, 404, url);
        isHtml(res);
        assert.match(res.body, /<h1>Page not found<\/h1>/, url);
      }
    });

    test("an unknown API path or record is application/problem+json with code 'not_found'", async () => {
      const expected = { type: 'urn:solidaris:problem:not_found', title: 'Page not found', status: 404, code: 'not_found' };
      for (const [method, url] of [
        ['GET', '/api/v1/nothing-here'],
        ['POST', '/api/v1/nothing-here'],
        ['GET', '/api/v1/struggles/does-not-exist'],
        ['GET', '/api/v1/organizations/nobody'],
      ] as const) {
        const res = await app.inject({ method, url });
        assert.equal(res.statusCode, 404, url);
        isProblem(res);
        assert.deepEqual(res.json(), expected, url);
      }
    });

    test('an unexpected error is a 500 page that reveals nothing', async () => {
      const res = await get('/__test/boom');
      assert.equal(res.statusCode, 500);
      isHtml(res);
      assert.match(res.body, /<h1>Something went wrong on our side<\/h1>/);
      assert.doesNotMatch(res.body, /hunter2|secret\.ts|at async|Error:/);
    });

    test('an unexpected API error is a 500 problem that reveals nothing', async () => {
      const res = await get('/api/__test/boom');
      assert.equal(res.statusCode, 500);
      isProblem(res);
      assert.deepEqual(res.json(), { type: 'urn:solidaris:problem:internal_error', title: 'Something went wrong on our side', status: 500, code: 'internal_error' });
    });

    test('typed errors keep their status and code; ValidationFailed is 422 on pages and 400 on the API', async () => {
      const page403 = await get('/__test/forbidden');
      assert.equal(page403.statusCode, 403);
      isHtml(page403);
      assert.match(page403.body, /You are not allowed to do this/);
      const api403 = await get('/api/__test/forbidden');
      assert.equal(api403.statusCode, 403);
      assert.equal(api403.json().code, 'forbidden');

      const page = await get('/__test/invalid');
      assert.equal(page.statusCode, 422);
      isHtml(page);
      assert.match(page.body, /<li>Use a date in the form YYYY-MM-DD<\/li>/);
      const api = await get('/api/__test/invalid');
      assert.equal(api.statusCode, 400);
      isProblem(api);
      assert.deepEqual(api.json(), {
        type: 'urn:solidaris:problem:validation_failed',
        title: 'Some fields need attention',
        status: 400,
        code: 'validation_failed',
        errors: [{ field: 'startDate', code: 'date', detail: 'Use a date in the form YYYY-MM-DD' }],
      });
      const de = await get('/api/__test/invalid', { 'accept-language': 'de' });
      assert.equal(de.json().errors[0].detail, 'Bitte ein Datum im Format JJJJ-MM-TT');
    });

    test('a malformed JSON body is a 400 problem', async () => {
      const res = await app.inject({ method: 'POST', url: '/api/v1/struggles', payload: '{"title": ', headers: { 'content-type': 'application/json' } });
      assert.equal(res.statusCode, 400);
      isProblem(res);
      assert.equal(res.json().code, 'bad_request');
    });

    test("a content type the server cannot parse is 415 with code 'unsupported_media_type'", async () => {
      const res = await app.inject({ method: 'POST', url: '/api/v1/struggles', payload: '<struggle/>', headers: { 'content-type': 'application/xml' } });
      assert.equal(res.statusCode, 415);
      isProblem(res);
      assert.equal(res.json().code, 'unsupported_media_type');
    });

    test(`/healthz answers {status: 'ok', database: '${engine}'}`, async () => {
      const res = await get('/healthz');
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      assert.deepEqual(res.json(), { status: 'ok', database: engine });
    });

    test('/api/openapi.json documents the API paths and hides pages', async () => {
      const res = await get('/api/openapi.json');
      assert.equal(res.statusCode, 200);
      const doc = res.json() as { openapi: string; info: { title: string }; paths: Record<string, Record<string, unknown>> };
      assert.equal(doc.openapi, '3.1.0');
      assert.equal(doc.info.title, 'Solidaris API');
      for (const path of ['/api/v1/struggles', '/api/v1/organizations', '/api/v1/struggles/{slug}', '/api/v1/organizations/{slug}', '/healthz']) {
        assert.ok(path in doc.paths, `missing ${path}`);
      }
      assert.deepEqual(Object.keys(doc.paths['/api/v1/struggles']!).sort(), ['get', 'post']);
      assert.deepEqual(Object.keys(doc.paths['/api/v1/organizations']!).sort(), ['get', 'post']);
      for (const hidden of ['/struggles', '/organizations', '/locale', '/api/openapi.json', '/__test/boom', '/api/__test/boom']) {
        assert.equal(hidden in doc.paths, false, hidden);
      }
    });
  });
}
