import { IntlMessageFormat } from 'intl-messageformat';
import { match } from '@formatjs/intl-localematcher';
import Negotiator from 'negotiator';
import { LOCALES, loadCatalog, type Locale } from './catalogs.ts';

export { LOCALES, type Locale } from './catalogs.ts';

type Values = Record<string, unknown>;

const catalogs = new Map<Locale, Map<string, string>>(LOCALES.map((l) => [l, loadCatalog(l)]));
const compiled = new Map<string, IntlMessageFormat>();

/** Thrown for a message id that no catalog defines (the translation lint catches these first). */
export class MissingMessage extends Error {}

function format(locale: Locale, id: string): IntlMessageFormat {
  const key = `${locale}\u0000${id}`;
  let f = compiled.get(key);
  if (!f) {
    const source = catalogs.get(locale)!.get(id) ?? catalogs.get('en')!.get(id);
    if (source === undefined) throw new MissingMessage(`No message ${id}`);
    f = new IntlMessageFormat(source, locale, undefined, { ignoreTag: true });
    compiled.set(key, f);
  }
  return f;
}

/** True when the English catalog (the fallback of every locale) defines `id`: for ids built from stored values. */
export function hasMessage(id: string): boolean {
  return catalogs.get('en')!.has(id);
}

/** True when `value` is one of the UI locales. */
export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/**
 * The UI locale for a request: an explicit choice (cookie) when valid, else the best match of the
 * `Accept-Language` header (RFC 9110 §12.5.4) against the catalogs, else English.
 */
export function negotiateLocale(choice: string | undefined, acceptLanguage: string | undefined): Locale {
  if (isLocale(choice)) return choice;
  if (!acceptLanguage) return 'en';
  const requested = new Negotiator({ headers: { 'accept-language': acceptLanguage } }).languages();
  try {
    return match(requested.filter((l) => l !== '*'), [...LOCALES], 'en') as Locale;
  } catch {
    return 'en';
  }
}

/** First strong character decides: right-to-left UI locales get `dir="rtl"`. */
const RTL = new Set(['ar', 'fa', 'he', 'ur', 'ps', 'ku']);

/**
 * Everything a view needs to speak the reader's language: messages and locale-aware formats.
 * Date-only values (`YYYY-MM-DD`) are formatted as calendar dates, never shifted by a time zone.
 */
export interface Translator {
  locale: Locale;
  dir: 'ltr' | 'rtl';
  /** The message `id` formatted with ICU `values`. @throws {MissingMessage} */
  t(id: string, values?: Values): string;
  /**
   * The message `id` for plain text (e-mails, notifications, logs): every string value is
   * user-supplied and wrapped in U+2068 … U+2069 (see `formatPlain`). @throws {MissingMessage}
   */
  tPlain(id: string, values?: Values): string;
  /**
   * The message `id` with rich values (e.g. `<bdi>` elements around user-supplied text), as an
   * array of strings and the values themselves, for views.
   */
  tRich<T>(id: string, values: Record<string, T | string | number>): (string | T)[];
  /** `2026-12-29` → `29 Dec 2026` / `29.12.2026` (a date-only value; no time zone shift). */
  date(dateOnly: string): string;
  /** An instant (ISO 8601 UTC) in `timeZone` (default UTC), date and time. */
  instant(iso: string, timeZone?: string): string;
  /** A number with the locale's grouping. */
  number(value: number): string;
  /** The country's name in the UI language (`DE` → `Germany` / `Deutschland`). */
  country(code: string): string;
  /** A language's name in the UI language (`de` → `German` / `Deutsch`). */
  language(tag: string): string;
}

const translators = new Map<Locale, Translator>();

/** The (cached) translator for a UI locale. */
export function translator(locale: Locale): Translator {
  let tr = translators.get(locale);
  if (tr) return tr;
  // English pages use the day-month-year order readers outside the US expect (29 Dec 2026).
  const formatLocale = locale === 'en' ? 'en-GB' : locale;
  const dateFmt = new Intl.DateTimeFormat(formatLocale, { dateStyle: 'medium', timeZone: 'UTC' });
  const numberFmt = new Intl.NumberFormat(locale);
  const regions = new Intl.DisplayNames([locale], { type: 'region' });
  const languages = new Intl.DisplayNames([locale], { type: 'language' });
  const instantFormats = new Map<string, Intl.DateTimeFormat>();
  tr = {
    locale,
    dir: RTL.has(locale.split('-')[0]!) ? 'rtl' : 'ltr',
    t: (id, values) => String(format(locale, id).format(values as Record<string, string>)),
    tPlain: (id, values) => String(format(locale, id).format(isolateValues(values) as Record<string, string>)),
    tRich: (id, values) => {
      const out = format(locale, id).format(values as Record<string, string>);
      return (Array.isArray(out) ? out : [out]) as never;
    },
    date: (d) => dateFmt.format(new Date(`${d}T00:00:00Z`)),
    instant: (iso, timeZone = 'UTC') => {
      // Building an Intl.DateTimeFormat costs far more than formatting with one: keep one per zone.
      let f = instantFormats.get(timeZone);
      if (!f) {
        f = new Intl.DateTimeFormat(formatLocale, { dateStyle: 'medium', timeStyle: 'short', timeZone });
        instantFormats.set(timeZone, f);
      }
      return f.format(new Date(iso));
    },
    number: (n) => numberFmt.format(n),
    country: (code) => {
      try {
        return regions.of(code) ?? code;
      } catch {
        return code;
      }
    },
    language: (tag) => {
      try {
        return languages.of(tag) ?? tag;
      } catch {
        return tag;
      }
    },
  };
  translators.set(locale, tr);
  return tr;
}

function isolateValues(values: Values | undefined): Values | undefined {
  if (!values) return values;
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === 'string' ? isolate(v) : v]));
}

/**
 * Formats an ICU message `template` for plain text in `locale`, isolating every string value
 * with U+2068 FIRST STRONG ISOLATE … U+2069 POP DIRECTIONAL ISOLATE (Unicode UAX #9 §2.7), so a
 * right-to-left name or a stray U+202E inside a value cannot reorder the sentence around it: the
 * isolate's closing PDI ends every embedding and override opened inside it. Numbers and dates
 * are left as they are (ICU formats them). Used for surfaces without markup (plain-text e-mail,
 * push notifications); HTML uses `<bdi>` instead.
 */
export function formatPlain(locale: string, template: string, values: Values = {}): string {
  return String(new IntlMessageFormat(template, locale, undefined, { ignoreTag: true }).format(isolateValues(values) as Record<string, string>));
}

/**
 * Wraps a user-supplied value in First Strong Isolate … Pop Directional Isolate (U+2068 … U+2069)
 * for plain text (Unicode UAX #9 §2.7). Isolate marks inside the value are dropped first: a stray
 * U+2069 would otherwise close the isolate early and let what follows escape it. (Names refuse
 * these characters at input; this keeps older or imported values safe too.)
 */
export function isolate(value: string): string {
  return `\u2068${value.replace(/[\u2066-\u2069]/g, '')}\u2069`;
}
