import countries from 'i18n-iso-countries';

/** ISO 3166-1 §8.1.3: alpha-2 codes left to users (AA, QM–QZ, XA–XZ, ZZ), not countries — e.g. `XK`, which some use for Kosovo. */
function isUserAssigned(code: string): boolean {
  return code === 'AA' || code === 'ZZ' || /^Q[M-Z]$/.test(code) || /^X[A-Z]$/.test(code);
}

// i18n-iso-countries also lists the user-assigned `XK`; the data rule is ISO 3166-1, so it is left out.
const CODES = new Set(Object.keys(countries.getAlpha2Codes()).filter((code) => !isUserAssigned(code)));

/**
 * True when `code` is an ISO 3166-1 alpha-2 code (upper case) of a current country. User-assigned
 * codes (`XK`, `ZZ`, …) are not country codes: records cannot be placed in them.
 */
export function isCountryCode(code: string): boolean {
  return CODES.has(code);
}

/** All ISO 3166-1 alpha-2 codes, sorted. */
export function countryCodes(): string[] {
  return [...CODES].sort();
}

/** ISO 3166-1 numeric code (`"276"`) → alpha-2 (`"DE"`), or null. */
export function alpha2FromNumeric(numeric: string): string | null {
  return countries.numericToAlpha2(numeric) ?? null;
}

/**
 * True when `tag` is a well-formed BCP 47 language tag (checked by `Intl.getCanonicalLocales`)
 * whose language subtag has two or three letters (ISO 639). RFC 5646 §2.2.1 reserves four-letter
 * language subtags and allows five to eight letters only for registered languages, of which the
 * IANA registry has none — so `english` or `deutsch` are refused rather than stored as languages.
 */
export function isLanguageTag(tag: string): boolean {
  try {
    return Intl.getCanonicalLocales(tag).length === 1 && /^[a-z]{2,3}(?:-|$)/i.test(tag);
  } catch {
    return false;
  }
}

/** The canonical form of a BCP 47 tag (`de-de` → `de-DE`). @throws {RangeError} for a malformed tag. */
export function canonicalLanguageTag(tag: string): string {
  return Intl.getCanonicalLocales(tag)[0]!;
}
