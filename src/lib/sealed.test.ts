import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../config/config.ts';
import {
  DataKeyError,
  generateDataKeyLine,
  loadKeyring,
  needsReseal,
  open,
  openJson,
  parseDataKeys,
  seal,
  SealError,
  sealedKeyId,
  type DevKeyFileNotice,
} from './sealed.ts';

const K1 = `k1:${Buffer.alloc(32, 1).toString('base64')}`;
const K2 = `k2:${Buffer.alloc(32, 2).toString('base64url')}`;
const one = parseDataKeys(K1, 'test');
const AAD = 'beneficiaries:0193a1b2-0000-7000-8000-000000000001';

/** Flips one bit of the base64url part `index` (2 = IV, 3 = tag, 4 = ciphertext) of an envelope. */
function tamper(envelope: string, index: number): string {
  const parts = envelope.split('.');
  const bytes = Buffer.from(parts[index]!, 'base64url');
  bytes[0]! ^= 0x01;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

function isSealError(code: string) {
  return (err: unknown) => err instanceof SealError && err.code === code;
}

describe('seal / open (AES-256-GCM)', () => {
  test('round trip of Unicode text: the envelope is v1.<keyId>.<iv>.<tag>.<ciphertext> and holds no plaintext', () => {
    const name = 'Amani Kabila-Mwamba — مريم 李雷 👩‍👧 Solidaritätskreis';
    const envelope = seal(one, name, AAD);
    const parts = envelope.split('.');
    assert.equal(parts.length, 5);
    assert.equal(parts[0], 'v1');
    assert.equal(parts[1], 'k1');
    assert.equal(Buffer.from(parts[2]!, 'base64url').length, 12, '96-bit IV');
    assert.equal(Buffer.from(parts[3]!, 'base64url').length, 16, '128-bit tag');
    assert.equal(Buffer.from(parts[4]!, 'base64url').length, Buffer.byteLength(name, 'utf8'));
    assert.match(envelope, /^[A-Za-z0-9._-]+$/);
    assert.ok(!envelope.includes('Amani'));
    assert.equal(open(one, envelope, AAD), name);
  });

  test('every seal uses a fresh IV: the same text sealed twice gives different envelopes', () => {
    const a = seal(one, 'same', AAD);
    const b = seal(one, 'same', AAD);
    assert.notEqual(a, b);
    assert.notEqual(a.split('.')[2], b.split('.')[2]);
    assert.equal(open(one, a, AAD), 'same');
    assert.equal(open(one, b, AAD), 'same');
  });

  test('an object is sealed as JSON and read back with openJson; the empty string round-trips', () => {
    const personal = { name: 'Mireille Tshisekedi', phone: '+243810000000', address: 'Kolwezi, Quartier 3', notes: 'Drei Kinder' };
    const envelope = seal(one, personal, AAD);
    assert.deepEqual(openJson(one, envelope, AAD), personal);
    assert.equal(open(one, envelope, AAD), JSON.stringify(personal));
    assert.equal(open(one, seal(one, '', AAD), AAD), '');
    assert.throws(() => openJson(one, seal(one, 'not json', AAD), AAD), isSealError('malformed'));
  });

  test('a value moved to another row (other aad) fails to open', () => {
    const envelope = seal(one, 'Mireille', 'beneficiaries:a');
    assert.throws(() => open(one, envelope, 'beneficiaries:b'), isSealError('auth_failed'));
    assert.throws(() => open(one, envelope, 'supporters:a'), isSealError('auth_failed'));
  });

  test('a tampered tag, IV or ciphertext fails to open', () => {
    const envelope = seal(one, 'Mireille', AAD);
    for (const index of [2, 3, 4]) assert.throws(() => open(one, tamper(envelope, index), AAD), isSealError('auth_failed'), `part ${index}`);
  });

  test('a truncated tag is refused (no short-tag forgery), as are other malformed envelopes', () => {
    const envelope = seal(one, 'Mireille', AAD);
    const parts = envelope.split('.');
    const shortTag = [...parts.slice(0, 3), Buffer.from(parts[3]!, 'base64url').subarray(0, 4).toString('base64url'), parts[4]].join('.');
    assert.throws(() => open(one, shortTag, AAD), isSealError('malformed'));
    for (const bad of ['', 'Mireille', 'v2.k1.a.b.c', envelope.replace(/^v1/, 'v0'), `${envelope}.x`, envelope.replace(/\.[^.]*$/, '.a+b'), `v1.k:1.${parts.slice(2).join('.')}`]) {
      assert.throws(() => open(one, bad, AAD), isSealError('malformed'), bad);
    }
  });

  test('the key id is authenticated: relabelling an envelope with another known key id fails', () => {
    const both = parseDataKeys(`${K1}\n${K2}`, 'test');
    const envelope = seal(both, 'Mireille', AAD);
    assert.throws(() => open(both, envelope.replace('.k1.', '.k2.'), AAD), isSealError('auth_failed'));
  });

  test('the wrong key fails; an unknown key id is named as such', () => {
    const other = parseDataKeys(`k1:${Buffer.alloc(32, 9).toString('base64')}`, 'test');
    const envelope = seal(one, 'Mireille', AAD);
    assert.throws(() => open(other, envelope, AAD), isSealError('auth_failed'));
    assert.throws(() => open(parseDataKeys(K2, 'test'), envelope, AAD), isSealError('unknown_key'));
  });

  test('an empty aad is a programming error', () => {
    assert.throws(() => seal(one, 'x', ''), TypeError);
  });
});

describe('keyring and rotation', () => {
  test('the first key seals, the others only open; needsReseal tells values of an older key', () => {
    const old = seal(one, 'Mireille', AAD);
    const rotated = parseDataKeys(`# new key first\n${K2}\n\n${K1}\n`, 'test');
    assert.equal(rotated.currentId, 'k2');
    assert.deepEqual(rotated.ids, ['k2', 'k1']);
    assert.equal(open(rotated, old, AAD), 'Mireille');
    assert.equal(needsReseal(rotated, old), true);
    const fresh = seal(rotated, 'Mireille', AAD);
    assert.equal(sealedKeyId(fresh), 'k2');
    assert.equal(needsReseal(rotated, fresh), false);
    assert.equal(needsReseal(one, old), false);
    assert.throws(() => open(one, fresh, AAD), isSealError('unknown_key'), 'the old keyring cannot read the new key');
  });

  test('DATA_KEYS may separate entries with commas or spaces', () => {
    assert.deepEqual(parseDataKeys(`${K2}, ${K1}`, 'DATA_KEYS').ids, ['k2', 'k1']);
    assert.deepEqual(parseDataKeys(`${K2} ${K1}`, 'DATA_KEYS').ids, ['k2', 'k1']);
  });

  test('malformed key entries are DataKeyErrors (a ConfigError) that never echo the key', () => {
    const secret = Buffer.alloc(16, 7).toString('base64');
    const cases = ['', '# only a comment', 'k1', `:${Buffer.alloc(32).toString('base64')}`, `bad.id:${Buffer.alloc(32).toString('base64')}`, `k1:${secret}`, 'k1:not*base64', `${K1}\n${K1}`];
    for (const text of cases) {
      assert.throws(
        () => parseDataKeys(text, 'DATA_KEYS'),
        (err: unknown) => err instanceof DataKeyError && err instanceof ConfigError && err.message.startsWith('DATA_KEYS') && !err.message.includes(secret),
        JSON.stringify(text),
      );
    }
  });

  test('generateDataKeyLine makes a 32-byte key with a dated id, parseable and unique', () => {
    const line = generateDataKeyLine(undefined, new Date('2026-11-30T12:00:00Z'));
    assert.match(line, /^20261130-[0-9a-f]{4}:[A-Za-z0-9+/]{43}=$/);
    assert.equal(parseDataKeys(line, 'x').currentId, line.split(':')[0]);
    assert.notEqual(generateDataKeyLine('a'), generateDataKeyLine('a'));
    assert.match(generateDataKeyLine('k7'), /^k7:/);
    assert.throws(() => generateDataKeyLine('no spaces'), DataKeyError);
  });

  test('no key configured (production without keys): seal, open and needsReseal throw a DataKeyError naming DATA_KEY_FILE', () => {
    const none = loadKeyring({ kind: 'none' });
    assert.equal(none.currentId, null);
    const envelope = seal(one, 'x', AAD);
    for (const fn of [() => seal(none, 'x', AAD), () => open(none, envelope, AAD), () => needsReseal(none, envelope)]) {
      assert.throws(fn, (err: unknown) => err instanceof DataKeyError && /DATA_KEY_FILE/.test(err.message));
    }
  });

  test('DATA_KEYS and DATA_KEY_FILE sources are read and cached', () => {
    const dir = mkdtempSync(join(tmpdir(), 'solidaris-keys-'));
    try {
      const path = join(dir, 'keys');
      writeFileSync(path, `${K2}\n${K1}\n`, { mode: 0o600 });
      const fromFile = loadKeyring({ kind: 'file', path });
      assert.deepEqual(fromFile.ids, ['k2', 'k1']);
      assert.equal(loadKeyring({ kind: 'file', path }), fromFile, 'cached for the process');
      assert.deepEqual(loadKeyring({ kind: 'env', value: K1 }).ids, ['k1']);
      assert.throws(() => loadKeyring({ kind: 'file', path: join(dir, 'missing') }), (err: unknown) => err instanceof DataKeyError && err.message.includes('missing'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a key file others can read is used, with a warning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'solidaris-keys-'));
    try {
      const path = join(dir, 'keys');
      writeFileSync(path, `${K1}\n`, { mode: 0o644 });
      const warnings: string[] = [];
      assert.deepEqual(loadKeyring({ kind: 'file', path }, { warn: (m) => warnings.push(m) }).ids, ['k1']);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /chmod 600/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('development key file: created on first use with mode 0600 and one key, noticed once, reused afterwards', () => {
    const dir = mkdtempSync(join(tmpdir(), 'solidaris-keys-'));
    try {
      const path = join(dir, 'data', 'data-keys');
      const notices: DevKeyFileNotice[] = [];
      const keyring = loadKeyring({ kind: 'dev-file', path }, { onDevKeyFile: (n) => notices.push(n) });
      assert.equal(statSync(path).mode & 0o777, 0o600);
      const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
      assert.equal(lines.length, 1);
      assert.equal(keyring.currentId, lines[0]!.split(':')[0]);
      loadKeyring({ kind: 'dev-file', path }, { onDevKeyFile: (n) => notices.push(n) });
      assert.deepEqual(notices, [{ path, created: true }], 'one notice per process');
      const envelope = seal(keyring, 'Mireille', AAD);
      // A later process (no cache) reads the same file and opens what this one sealed.
      const reread = parseDataKeys(readFileSync(path, 'utf8'), path);
      assert.equal(open(reread, envelope, AAD), 'Mireille');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
