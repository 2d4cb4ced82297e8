import slugifyLib from '@sindresorhus/slugify';

/** Unicode NFC with surrounding white space removed; null for an empty result. */
export function cleanText(value: string | null | undefined): string | null {
  if (value == null) return null;
  const v = value.normalize('NFC').trim();
  return v === '' ? null : v;
}

/** A lower-cased, NFKC-folded form used for case-insensitive substring search. */
export function searchKey(...parts: (string | null | undefined)[]): string {
  return parts
    .filter((p): p is string => !!p)
    .join(' \u0001 ')
    .normalize('NFKC')
    .toLocaleLowerCase('und');
}

/** A URL slug from a name (transliterated to ASCII, lower-case, hyphens), at most 60 characters. */
export function slugify(value: string): string {
  const s = slugifyLib(value, { decamelize: false }).slice(0, 60).replace(/-+$/, '');
  return s || 'item';
}

/**
 * True when the text contains a bidirectional formatting character that opens or closes an
 * embedding, override or isolate (U+202A–U+202E, U+2066–U+2069; Unicode UAX #9 §2). In a name
 * such a character could end the isolation around it early and reorder the sentence it is
 * shown in (case B23), so names refuse them.
 */
export function hasBidiControls(value: string): boolean {
  return /[\u202a-\u202e\u2066-\u2069]/.test(value);
}

/** True when the single-line text contains a line break or a control character. */
export function hasControlCharacters(value: string): boolean {
  return /[\u0000-\u001f\u007f]/.test(value);
}
