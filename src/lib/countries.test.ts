import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countryCodes, isCountryCode, isLanguageTag } from './countries.ts';

test('country codes are ISO 3166-1 alpha-2 countries; user-assigned codes (XK, ZZ, QO, AA) are not', () => {
  for (const code of ['DE', 'CD', 'GB', 'PS', 'TW']) assert.equal(isCountryCode(code), true, code);
  for (const code of ['XK', 'ZZ', 'QO', 'AA', 'de', 'UK', 'DEU', '']) assert.equal(isCountryCode(code), false, code);
  assert.ok(!countryCodes().includes('XK'));
  assert.equal(countryCodes().length, 249);
});

test('language tags: well-formed BCP 47 with a two- or three-letter language subtag (RFC 5646 §2.2.1)', () => {
  for (const tag of ['en', 'de-CH', 'fa', 'ckb', 'zh-Hant-TW', 'sr-Latn', 'es-419']) assert.equal(isLanguageTag(tag), true, tag);
  for (const tag of ['english', 'deutsch', 'abcd', 'e', '', 'en--US', 'de_DE', '12']) assert.equal(isLanguageTag(tag), false, tag);
});
