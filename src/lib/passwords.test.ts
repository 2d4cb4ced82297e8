import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword, verifyPassword } from './passwords.ts';

const PHC = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/;

describe('hashPassword / verifyPassword', () => {
  test('gives an Argon2id PHC string with the OWASP parameters, a 16-byte salt and a 32-byte tag', async () => {
    const phc = await hashPassword('correct horse battery');
    assert.match(phc, PHC);
  });

  test('verifies the right password and rejects a wrong one', async () => {
    const phc = await hashPassword('correct horse battery');
    assert.equal(await verifyPassword('correct horse battery', phc), true);
    assert.equal(await verifyPassword('correct horse batterY', phc), false);
    assert.equal(await verifyPassword('', phc), false);
  });

  test('NFC and NFD forms of one password verify the same', async () => {
    const nfc = 'Müller-Passwort'.normalize('NFC');
    const nfd = 'Müller-Passwort'.normalize('NFD');
    assert.notEqual(nfc, nfd, 'the two forms differ as strings');
    const fromNfc = await hashPassword(nfc);
    const fromNfd = await hashPassword(nfd);
    assert.equal(await verifyPassword(nfd, fromNfc), true);
    assert.equal(await verifyPassword(nfc, fromNfd), true);
  });

  test('two hashes of one password differ (random salt) and both verify', async () => {
    const [a, b] = await Promise.all([hashPassword('same password here'), hashPassword('same password here')]);
    assert.notEqual(a, b);
    assert.notEqual(a.split('$')[4], b.split('$')[4], 'salts differ');
    assert.equal(await verifyPassword('same password here', a), true);
    assert.equal(await verifyPassword('same password here', b), true);
  });

  test('rejects malformed or tampered hashes without throwing', async () => {
    const phc = await hashPassword('correct horse battery');
    const parts = phc.split('$');
    const tag = Buffer.from(parts[5]!, 'base64');
    tag[0] = tag[0]! ^ 1;
    const tampered = [...parts.slice(0, 5), tag.toString('base64').replace(/=+$/, '')].join('$');
    assert.equal(await verifyPassword('correct horse battery', tampered), false);
    assert.equal(await verifyPassword('correct horse battery', ''), false);
    assert.equal(await verifyPassword('correct horse battery', 'plain text'), false);
    assert.equal(await verifyPassword('correct horse battery', phc.replace('$argon2id$', '$argon2i$')), false);
  });
});
