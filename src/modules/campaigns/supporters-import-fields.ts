import countries from 'i18n-iso-countries';
import { DateTime } from 'luxon';
import { LOCALES } from '../../i18n/catalogs.ts';
import { translator } from '../../i18n/i18n.ts';
import { isCountryCode } from '../../lib/countries.ts';
import { EXPORT_COLUMNS, EXPORT_COLUMN_FIELDS } from './supporters-export.ts';

/**
 * The fields of a supporter CSV import and how cells are read into them: the mapping of columns to
 * fields (guessed from English and German header names and our export's titles, overridable,
 * checked), and the readers of the cells people write in lists — countries as codes or names,
 * yes/no, dates of consent. Used by supporters-import.ts (rows and runs) and the preview.
 */

/** The supporter fields a column can be mapped to, in the order the preview shows them. */
export const SUPPORTER_FIELDS = ['email', 'name', 'country', 'city', 'affiliation', 'lang', 'listPublicly', 'contactOk', 'consentedAt'] as const;
export type SupporterField = (typeof SUPPORTER_FIELDS)[number];
/** Fields every import must map. */
export const REQUIRED_FIELDS: readonly SupporterField[] = ['email', 'name', 'country'];

/** Field → index of the column (0-based) it is read from; unmapped fields are left out. */
export type ColumnMapping = Partial<Record<SupporterField, number>>;

/** A file that cannot be imported at all (not CSV, empty, unknown column in `--map`). */
export class SupporterFileError extends Error {
  readonly messageId: string;
  readonly values: Record<string, string | number>;
  constructor(messageId: string, values: Record<string, string | number> = {}) {
    super(messageId);
    this.name = 'SupporterFileError';
    this.messageId = messageId;
    this.values = values;
  }
}

/** A header or country name compared loosely: compatibility-decomposed, marks removed, lower case, letters and digits only. */
function loose(value: string, sep = ''): string {
  return value.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, sep).trim();
}

/** Header names (English and German) of each field, besides our export's headers in every UI language. */
const HEADER_NAMES: Record<SupporterField, string[]> = {
  email: ['email', 'e-mail', 'mail', 'email address', 'e-mail address', 'e-mail-adresse', 'mailadresse', 'email_address'],
  name: ['name', 'full name', 'full_name', 'vollständiger name', 'vor- und nachname', 'unterzeichner', 'unterzeichnerin', 'supporter', 'unterstützer'],
  country: ['country', 'country code', 'country_code', 'land', 'ländercode', 'staat', 'nation'],
  city: ['city', 'town', 'place', 'ort', 'stadt', 'wohnort'],
  affiliation: ['affiliation', 'organization', 'organisation', 'org', 'org_name', 'organization name', 'organisationsname', 'zugehörigkeit', 'verein', 'gruppe', 'group'],
  lang: ['language', 'lang', 'locale', 'sprache'],
  listPublicly: ['list publicly', 'list_publicly', 'listed', 'public', 'show name', 'publish name', 'öffentlich', 'öffentlich nennen', 'öffentlich genannt', 'name veröffentlichen'],
  contactOk: ['contact ok', 'contact_ok', 'contact', 'may contact', 'newsletter', 'kontakt', 'kontakt ok', 'kontakt erlaubt', 'darf kontaktiert werden'],
  consentedAt: ['consented at', 'consented_at', 'consent date', 'signed at', 'signed_at', 'date', 'datum', 'unterschrieben am', 'einwilligung am', 'zustimmung am'],
};

let headerIndex: Map<string, SupporterField> | null = null;

/** Loose header name → field, built once: {@link HEADER_NAMES} plus our export's column titles in every UI language. */
function headerFields(): Map<string, SupporterField> {
  if (headerIndex) return headerIndex;
  const index = new Map<string, SupporterField>();
  for (const locale of LOCALES) {
    const tr = translator(locale);
    for (const column of EXPORT_COLUMNS) {
      const field = EXPORT_COLUMN_FIELDS[column];
      if (field) index.set(loose(tr.t(`supporters_io.export.columns.${column}`)), field);
    }
  }
  for (const field of SUPPORTER_FIELDS) for (const name of HEADER_NAMES[field]) if (!index.has(loose(name))) index.set(loose(name), field);
  headerIndex = index;
  return index;
}

/**
 * The mapping guessed from a header row: each column whose name (compared loosely: case, accents,
 * spaces and punctuation ignored) is a known English or German name of a field, or one of our
 * export's column titles, maps to that field; the first such column wins.
 */
export function guessMapping(header: readonly string[]): ColumnMapping {
  const index = headerFields();
  const mapping: ColumnMapping = {};
  header.forEach((h, i) => {
    const field = index.get(loose(h));
    if (field && mapping[field] === undefined) mapping[field] = i;
  });
  return mapping;
}

/**
 * The guessed mapping with overrides from the command line (`field=COLUMN`: a header name, compared
 * loosely, or a 1-based column number; `field=` unmaps the field).
 * @throws {SupporterFileError} `supporters_io.map.syntax`, `supporters_io.map.unknown_field` or
 *   `supporters_io.map.unknown_column`.
 */
export function mappingWithOverrides(header: readonly string[], overrides: readonly string[]): ColumnMapping {
  const mapping = guessMapping(header);
  for (const spec of overrides) {
    const eq = spec.indexOf('=');
    if (eq < 1) throw new SupporterFileError('supporters_io.map.syntax', { spec });
    const name = spec.slice(0, eq).trim();
    const column = spec.slice(eq + 1).trim();
    const field = SUPPORTER_FIELDS.find((f) => f.toLowerCase() === name.toLowerCase());
    if (!field) throw new SupporterFileError('supporters_io.map.unknown_field', { field: name, fields: SUPPORTER_FIELDS.join(', ') });
    if (column === '') {
      delete mapping[field];
      continue;
    }
    let index = header.findIndex((h) => h === column);
    if (index < 0) index = header.findIndex((h) => loose(h) === loose(column));
    if (index < 0 && /^[1-9][0-9]*$/.test(column) && Number(column) <= header.length) index = Number(column) - 1;
    if (index < 0) throw new SupporterFileError('supporters_io.map.unknown_column', { column, columns: header.join(', ') });
    mapping[field] = index;
  }
  return mapping;
}

/**
 * Problems of a mapping, as field errors on `map_<field>` (the preview form's select): a required field not mapped
 * (`supporters_io.map.required`), a column index outside the header (`supporters_io.map.unknown_column`),
 * one column mapped to two fields (`supporters_io.map.twice`, on the second field).
 */
export function checkMapping(mapping: ColumnMapping, header: readonly string[]): { field: string; messageId: string; values?: Record<string, string | number> }[] {
  const errors: { field: string; messageId: string; values?: Record<string, string | number> }[] = [];
  const used = new Map<number, SupporterField>();
  for (const field of SUPPORTER_FIELDS) {
    const i = mapping[field];
    if (i === undefined) {
      if (REQUIRED_FIELDS.includes(field)) errors.push({ field: `map_${field}`, messageId: 'supporters_io.map.required' });
      continue;
    }
    if (!Number.isInteger(i) || i < 0 || i >= header.length) {
      errors.push({ field: `map_${field}`, messageId: 'supporters_io.map.unknown_column', values: { column: String(i), columns: header.join(', ') } });
      continue;
    }
    const other = used.get(i);
    if (other) errors.push({ field: `map_${field}`, messageId: 'supporters_io.map.twice', values: { column: header[i] || String(i + 1) } });
    else used.set(i, field);
  }
  return errors;
}

let countryNames: Map<string, string> | null = null;

/** Loose English and German country name (official names and aliases) → alpha-2 code. */
function countryIndex(): Map<string, string> {
  if (countryNames) return countryNames;
  const index = new Map<string, string>();
  for (const lang of ['en', 'de']) {
    for (const [code, names] of Object.entries(countries.getNames(lang, { select: 'all' }))) {
      if (!isCountryCode(code)) continue;
      for (const name of names) if (!index.has(loose(name, ' '))) index.set(loose(name, ' '), code);
    }
  }
  countryNames = index;
  return index;
}

/**
 * The ISO 3166-1 alpha-2 code for a country as people write it in a list: an alpha-2 or alpha-3
 * code in any case (`de`, `DEU`), or an English or German name or common alias (`Germany`,
 * `Deutschland`, `UK`, `Großbritannien`; case, accents and punctuation ignored), from
 * i18n-iso-countries. Null when nothing matches (e.g. a user-assigned code such as `QQ`).
 */
export function resolveCountry(value: string): string | null {
  const v = value.trim();
  if (!v) return null;
  const upper = v.toUpperCase();
  if (/^[A-Z]{2}$/.test(upper) && isCountryCode(upper)) return upper;
  if (/^[A-Z]{3}$/.test(upper)) {
    const code = countries.toAlpha2(upper);
    if (code && isCountryCode(code)) return code;
  }
  return countryIndex().get(loose(v, ' ')) ?? null;
}

const YES = new Set(['yes', 'y', 'ja', 'j', 'true', 'wahr', '1', 'x', '✓', '✔']);
const NO = new Set(['no', 'n', 'nein', 'false', 'falsch', '0', '-', '']);

/** Yes/no as lists write it (English, German, 1/0, `x`, a tick; empty is no); null when it is neither. */
export function parseYesNo(value: string): boolean | null {
  const v = value.trim().toLowerCase();
  for (const locale of LOCALES) {
    const tr = translator(locale);
    if (v === tr.t('supporters_io.export.yes').toLowerCase()) return true;
    if (v === tr.t('supporters_io.export.no').toLowerCase()) return false;
  }
  if (YES.has(v)) return true;
  if (NO.has(v)) return false;
  return null;
}

/**
 * The instant of a consent as lists write it: ISO 8601 with a time (without an offset read as
 * UTC), a date `YYYY-MM-DD` or `DD.MM.YYYY` (read as 00:00 UTC that day). Null for anything else.
 */
export function parseConsentedAt(value: string): string | null {
  const v = value.trim();
  const de = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(v);
  const date = de ? `${de[3]}-${de[2]!.padStart(2, '0')}-${de[1]!.padStart(2, '0')}` : /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : null;
  const parsed = date ? DateTime.fromISO(date, { zone: 'utc' }) : /^\d{4}-\d{2}-\d{2}T/.test(v) ? DateTime.fromISO(v, { zone: 'utc' }) : null;
  return parsed?.isValid ? parsed.toUTC().toISO()! : null;
}
