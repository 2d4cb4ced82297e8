import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  test('defaults: port 3000 on 127.0.0.1, SQLite at ./data/solidaris.sqlite resolved absolute, plain-HTTP cookies', () => {
    const c = loadConfig({});
    assert.equal(c.port, 3000);
    assert.equal(c.host, '127.0.0.1');
    assert.deepEqual(c.db, { engine: 'sqlite', path: resolve(process.cwd(), 'data/solidaris.sqlite') });
    assert.ok(c.db.engine === 'sqlite' && isAbsolute(c.db.path));
    assert.equal(c.baseUrl, 'http://localhost:3000');
    assert.equal(c.logLevel, 'info');
    assert.equal(c.secureCookies, false);
    assert.equal(c.rateLimitPerMinute, 30);
  });

  test('SQLITE_PATH wins over the caller default, which wins over the built-in one; both resolved absolute', () => {
    assert.deepEqual(loadConfig({}, { sqlitePath: 'data/demo.sqlite' }).db, { engine: 'sqlite', path: resolve('data/demo.sqlite') });
    assert.deepEqual(loadConfig({ SQLITE_PATH: '/tmp/x.sqlite' }, { sqlitePath: 'data/demo.sqlite' }).db, { engine: 'sqlite', path: '/tmp/x.sqlite' });
  });

  test('DATABASE_URL selects PostgreSQL (postgres:// and postgresql://); an empty one means SQLite', () => {
    assert.deepEqual(loadConfig({ DATABASE_URL: 'postgres://u@db:5432/solidaris' }).db, { engine: 'postgres', url: 'postgres://u@db:5432/solidaris' });
    assert.deepEqual(loadConfig({ DATABASE_URL: 'postgresql://u@db/s' }).db, { engine: 'postgres', url: 'postgresql://u@db/s' });
    assert.equal(loadConfig({ DATABASE_URL: '', SQLITE_PATH: '/tmp/y.sqlite' }).db.engine, 'sqlite');
  });

  test('a DATABASE_URL that is not postgres:// is a ConfigError', () => {
    for (const url of ['mysql://u@db/s', 'sqlite:///tmp/x', 'db.example:5432']) {
      assert.throws(() => loadConfig({ DATABASE_URL: url }), ConfigError, url);
    }
  });

  test('PORT is read; a bad PORT is a ConfigError naming the value', () => {
    assert.equal(loadConfig({ PORT: '8080' }).port, 8080);
    assert.equal(loadConfig({ PORT: '8080' }).baseUrl, 'http://localhost:8080');
    for (const port of ['abc', '0', '-1', '65536', '3000.5', '1e9']) {
      assert.throws(() => loadConfig({ PORT: port }), (err: unknown) => err instanceof ConfigError && err.message.includes(port), port);
    }
  });

  test('an https BASE_URL turns on secure cookies; SECURE_COOKIES overrides either way', () => {
    const c = loadConfig({ BASE_URL: 'https://solidaris.example/' });
    assert.equal(c.secureCookies, true);
    assert.equal(c.baseUrl, 'https://solidaris.example', 'trailing slash removed');
    assert.equal(loadConfig({ BASE_URL: 'http://solidaris.example' }).secureCookies, false);
    assert.equal(loadConfig({ BASE_URL: 'https://solidaris.example', SECURE_COOKIES: '0' }).secureCookies, false);
    assert.equal(loadConfig({ SECURE_COOKIES: '1' }).secureCookies, true);
  });

  test('HOST, LOG_LEVEL and RATE_LIMIT_PER_MINUTE are read', () => {
    const c = loadConfig({ HOST: '0.0.0.0', LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '5' });
    assert.equal(c.host, '0.0.0.0');
    assert.equal(c.logLevel, 'warn');
    assert.equal(c.rateLimitPerMinute, 5);
  });

  test('a RATE_LIMIT_PER_MINUTE that is not a positive whole number is a ConfigError (not NaN or 0)', () => {
    for (const v of ['abc', '0', '-3', '2.5', '']) {
      assert.throws(() => loadConfig({ RATE_LIMIT_PER_MINUTE: v }), ConfigError, JSON.stringify(v));
    }
  });

  test('SMTP_URL and MAIL_FROM: unset means mail goes to the log; a non-SMTP URL is a ConfigError', () => {
    const c = loadConfig({});
    assert.equal(c.smtpUrl, null);
    assert.equal(c.mailFrom, 'Solidaris <no-reply@localhost>');
    const d = loadConfig({ SMTP_URL: 'smtp://u:p@mail.example:587', MAIL_FROM: 'Kollektiv <k@example.org>', BASE_URL: 'https://s.example' });
    assert.equal(d.smtpUrl, 'smtp://u:p@mail.example:587');
    assert.equal(d.mailFrom, 'Kollektiv <k@example.org>');
    assert.equal(loadConfig({ BASE_URL: 'https://s.example' }).mailFrom, 'Solidaris <no-reply@s.example>');
    assert.throws(() => loadConfig({ SMTP_URL: 'http://mail.example' }), ConfigError);
  });

  test('data keys: DATA_KEYS, or DATA_KEY_FILE resolved absolute; both at once is a ConfigError', () => {
    assert.deepEqual(loadConfig({ DATA_KEYS: 'k1:abc' }).dataKeys, { kind: 'env', value: 'k1:abc' });
    assert.deepEqual(loadConfig({ DATA_KEY_FILE: 'secrets/keys' }).dataKeys, { kind: 'file', path: resolve('secrets/keys') });
    assert.deepEqual(loadConfig({ DATA_KEY_FILE: '/etc/solidaris/keys', NODE_ENV: 'production' }).dataKeys, { kind: 'file', path: '/etc/solidaris/keys' });
    assert.throws(() => loadConfig({ DATA_KEYS: 'k1:abc', DATA_KEY_FILE: '/etc/keys' }), ConfigError);
  });

  test('without data keys: a development key file beside the SQLite file, none in production', () => {
    assert.deepEqual(loadConfig({}).dataKeys, { kind: 'dev-file', path: resolve('data/data-keys') });
    assert.deepEqual(loadConfig({ SQLITE_PATH: '/tmp/s/x.sqlite' }).dataKeys, { kind: 'dev-file', path: '/tmp/s/data-keys' });
    assert.deepEqual(loadConfig({ DATABASE_URL: 'postgres://u@db/s' }).dataKeys, { kind: 'dev-file', path: resolve('data/data-keys') });
    assert.deepEqual(loadConfig({ NODE_ENV: 'production' }).dataKeys, { kind: 'none' });
    assert.deepEqual(loadConfig({ NODE_ENV: 'production', DATA_KEYS: '' }).dataKeys, { kind: 'none' }, 'an empty DATA_KEYS is unset');
  });

  test('DOCUMENTS_DIR (default: beside the SQLite file, ./data/documents with PostgreSQL; resolved absolute) and DOCUMENT_MAX_BYTES (default 10 MiB)', () => {
    const c = loadConfig({});
    assert.equal(c.documentsDir, resolve('data/documents'));
    assert.equal(loadConfig({ SQLITE_PATH: '/tmp/one/x.sqlite' }).documentsDir, '/tmp/one/documents');
    assert.equal(loadConfig({ DATABASE_URL: 'postgres://u@db/s' }).documentsDir, resolve('data/documents'));
    assert.equal(c.documentMaxBytes, 10_485_760);
    const d = loadConfig({ DOCUMENTS_DIR: 'receipts', DOCUMENT_MAX_BYTES: '2048' });
    assert.equal(d.documentsDir, resolve('receipts'));
    assert.ok(isAbsolute(d.documentsDir));
    assert.equal(d.documentMaxBytes, 2048);
    for (const v of ['0', '-1', '1.5', 'ten', '']) {
      assert.throws(() => loadConfig({ DOCUMENT_MAX_BYTES: v }), ConfigError, JSON.stringify(v));
    }
  });
});
