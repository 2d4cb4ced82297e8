import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { emailKey, supporterEmailKey } from './email.ts';

describe('emailKey', () => {
  test('case-folds local part and domain', () => {
    assert.equal(emailKey('Ana.Lopez@Example.ORG'), 'ana.lopez@example.org');
    assert.equal(emailKey('ana.lopez@example.org'), emailKey('ANA.LOPEZ@EXAMPLE.ORG'));
  });

  test('converts an internationalized domain to punycode', () => {
    assert.equal(emailKey('Ana@Bücher.example'), 'ana@xn--bcher-kva.example');
    // NFD input (u + combining diaeresis) gives the same key.
    assert.equal(emailKey('Ana@Bücher.example'.normalize('NFD')), 'ana@xn--bcher-kva.example');
  });

  test('ignores surrounding white space', () => {
    assert.equal(emailKey('  ana@example.org \n'), 'ana@example.org');
  });

  test('rejects values that are not local@domain.tld', () => {
    for (const bad of ['no-at', 'a@b', '@example.org', 'ana@', 'ana lopez@example.org', 'ana@exam ple.org', '', '   ']) {
      assert.equal(emailKey(bad), null, JSON.stringify(bad));
    }
  });
});

describe('emailKey on malformed domains and local parts', () => {
  // RFC 5321 §4.1.2 (Domain = sub-domain *("." sub-domain)) and RFC 1035 labels: no empty label,
  // no second "@", nothing the WHATWG host parser would rewrite into another address
  // (percent-decoding, IPv4 shorthand) — otherwise two different inputs share one key.
  test('rejects empty labels, a second @, percent escapes and numeric hosts', () => {
    for (const bad of ['a@@example.org', 'a@.org', 'a@example.', 'a@example..org', 'a@ex%61mple.org', 'a@1.2']) {
      assert.equal(emailKey(bad), null, JSON.stringify(bad));
    }
  });

  test('keeps ordinary addresses with hyphens, digits, sub-domains and plus tags', () => {
    assert.equal(emailKey('ana+union@mail.sub-domain.example'), 'ana+union@mail.sub-domain.example');
    assert.equal(emailKey('x@ver.di'), 'x@ver.di');
    assert.equal(emailKey('ana@xn--bcher-kva.example'), 'ana@xn--bcher-kva.example');
  });
});

describe('supporterEmailKey (case B10)', () => {
  const b10 = JSON.parse(readFileSync(new URL('../../test/fixtures/cases/B10.json', import.meta.url), 'utf8')) as {
    same_signer_pairs: [string, string][];
    different_signer_pairs: [string, string][];
  };

  test('Gmail and Googlemail: dots and +tags ignored, case-folded — each same-signer pair is one key, solikreis@gmail.com', () => {
    for (const [a, b] of b10.same_signer_pairs) {
      assert.equal(supporterEmailKey(a), 'solikreis@gmail.com', a);
      assert.equal(supporterEmailKey(b), 'solikreis@gmail.com', b);
    }
  });

  test('other domains keep dots and +tags: each different-signer pair stays two keys', () => {
    for (const [a, b] of b10.different_signer_pairs) {
      assert.ok(supporterEmailKey(a) && supporterEmailKey(b), `${a} ${b}`);
      assert.notEqual(supporterEmailKey(a), supporterEmailKey(b), `${a} ${b}`);
    }
    assert.equal(supporterEmailKey('Soli.Kreis@Posteo.Example'), 'soli.kreis@posteo.example');
  });

  test('the rest of emailKey still applies: NFC, IDN domains, refusals', () => {
    assert.equal(supporterEmailKey('Jose\u0301@Bücher.example'), 'jos\u00e9@xn--bcher-kva.example');
    assert.equal(supporterEmailKey('not an address'), null);
    assert.equal(supporterEmailKey('+tag@gmail.com'), null, 'nothing left of the mailbox');
    assert.equal(supporterEmailKey('...@googlemail.com'), null);
  });
});
