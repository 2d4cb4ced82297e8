import ical, { escape } from 'ical-generator';
import { isolate, type Translator } from '../../i18n/i18n.ts';
import type { CalendarActionDay, CalendarLocalAction } from './feeds.repo.ts';

/**
 * iCalendar (RFC 5545) output of the calendar feeds, written by ical-generator, which escapes
 * TEXT values (`\`, `;`, `,` and newlines, §3.3.11) and folds content lines at 75 octets without
 * splitting a UTF-8 character (§3.1). Output depends only on the records, never on the clock or
 * the process time zone:
 * - DTSTAMP is the record's `updated_at` (§3.8.7.2 asks for the time the object was created or
 *   last revised when the calendar has no METHOD), so a feed is reproducible;
 * - timed events are UTC date-times (`DTSTART:20260501T080000Z`, FORM #2 of §3.3.5), taken from
 *   the stored instants — never floating local times; the calendar has no time zone of its own;
 * - all-day events are DATE values (`DTSTART;VALUE=DATE:20261229`) with the exclusive DTEND of
 *   §3.6.1 (the day after the inclusive end date), computed from the `YYYY-MM-DD` strings alone.
 */

/** How often a subscribing client should refresh (RFC 7986 §5.7 REFRESH-INTERVAL), in seconds. */
const REFRESH_SECONDS = 3600;

/** One event of a calendar, in the shape of the feed rather than of a table. */
export interface CalendarEvent {
  /** Globally unique and stable (RFC 5545 §3.8.4.7): `<record id>@<host>`. */
  uid: string;
  /** ISO 8601 UTC instant of the record's last change. */
  stamp: string;
  summary: string;
  location: string | null;
  description: string | null;
  /** Absolute URL of the record's page. */
  url: string;
  /** Either all-day dates (date-only, `end` inclusive) or UTC instants. */
  when: { allDay: true; start: string; end: string } | { allDay: false; startsAt: string; endsAt: string };
}

/**
 * The day after a `YYYY-MM-DD` date, as `YYYY-MM-DD`: proleptic Gregorian calendar arithmetic
 * on the digits (leap years per ISO 8601), no `Date` and no time zone involved.
 * @throws {RangeError} when `date` is not `YYYY-MM-DD`.
 */
export function nextDate(date: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) throw new RangeError(`not a date: ${date}`);
  let [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const daysInMonth = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1]!;
  if (d < daysInMonth) d += 1;
  else if (mo < 12) [mo, d] = [mo + 1, 1];
  else [y, mo, d] = [y + 1, 1, 1];
  return `${String(y).padStart(4, '0')}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/**
 * A date-only value in the shape of a `Temporal.PlainDate`, which ical-generator writes as
 * `YYYYMMDD` from its fields (no `Date` conversion, so no process time zone can shift it).
 */
function plainDate(date: string) {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const value = { year, month, day, toJSON: () => date, toString: () => date, toPlainDateTime: () => value };
  return value;
}

/**
 * Writes a VCALENDAR with one VEVENT per event (in the given order).
 * @param name the calendar's display name (RFC 7986 NAME / X-WR-CALNAME), plain text.
 * @returns the iCalendar text, every content line ending in CRLF (RFC 5545 §3.1).
 */
export function writeCalendar(name: string, events: CalendarEvent[]): string {
  // ical-generator writes NAME and X-WR-CALNAME without TEXT escaping: escape them here with its
  // own escaper, so a comma, semicolon or line break in a name cannot break the line.
  const calendar = ical({ prodId: '//Solidaris//Calendar feeds//EN', name: escape(name, false), ttl: REFRESH_SECONDS });
  for (const e of events) {
    calendar.createEvent({
      id: e.uid,
      stamp: e.stamp,
      summary: e.summary,
      ...(e.location ? { location: e.location } : {}),
      ...(e.description ? { description: e.description } : {}),
      url: e.url,
      ...(e.when.allDay
        ? { allDay: true, start: plainDate(e.when.start), end: plainDate(nextDate(e.when.end)) }
        : { start: e.when.startsAt, end: e.when.endsAt }),
    });
  }
  // ical-generator ends the last line without CRLF; RFC 5545 §3.1 ends every content line with it.
  return `${calendar.toString()}\r\n`;
}

/** Links and identifiers of the instance. */
export interface FeedSite {
  /** Public base URL, no trailing slash. */
  baseUrl: string;
  /** Host name of the base URL, the right-hand side of UIDs. */
  host: string;
}

/** `Venue, City, Country` in the reader's language (the venue only when there is one). */
function location(tr: Translator, a: { venue: string | null; city: string; country: string }): string {
  return tr.t('feeds.ical.location', { hasVenue: a.venue ? 'yes' : 'no', venue: a.venue ?? '', city: a.city, country: tr.country(a.country) });
}

/** The action day itself as an all-day event over its date range. */
export function actionDayEvent(site: FeedSite, day: CalendarActionDay): CalendarEvent {
  return {
    uid: `${day.id}@${site.host}`,
    stamp: day.updated_at,
    summary: day.title,
    location: null,
    description: day.call_text,
    url: `${site.baseUrl}/action-days/${encodeURIComponent(day.slug)}`,
    when: { allDay: true, start: day.start_date, end: day.end_date },
  };
}

/** A local action: all-day over its local dates, or timed at its UTC instants. */
export function localActionEvent(site: FeedSite, tr: Translator, a: CalendarLocalAction): CalendarEvent {
  const timed = a.all_day !== 1 && a.starts_at !== null && a.ends_at !== null;
  return {
    uid: `${a.id}@${site.host}`,
    stamp: a.updated_at,
    summary: a.title,
    location: location(tr, a),
    // User-written names are isolated (U+2068 … U+2069) so right-to-left text cannot reorder the sentence.
    description: tr.t('feeds.ical.local_action_description', {
      kind: tr.t(`feeds.local_action_kinds.${a.kind}`),
      organization: isolate(a.organization_name),
      actionDay: isolate(a.action_day_title),
    }),
    url: `${site.baseUrl}/action-days/${encodeURIComponent(a.action_day_slug)}#local-action-${a.id}`,
    when: timed ? { allDay: false, startsAt: a.starts_at!, endsAt: a.ends_at! } : { allDay: true, start: a.start_date, end: a.end_date },
  };
}

/**
 * Puts action days and local actions in one stable order, independent of the database engine:
 * by first day, all-day events before timed ones on the same day, then start instant, then id.
 */
export function sortEvents(days: CalendarActionDay[], actions: CalendarLocalAction[], site: FeedSite, tr: Translator): CalendarEvent[] {
  const keyed = [
    ...days.map((d) => ({ key: [d.start_date, '0', '', d.id], event: actionDayEvent(site, d) })),
    ...actions.map((a) => ({ key: [a.start_date, a.all_day === 1 ? '0' : '1', a.starts_at ?? '', a.id], event: localActionEvent(site, tr, a) })),
  ];
  keyed.sort((x, y) => {
    for (let i = 0; i < x.key.length; i++) {
      if (x.key[i]! < y.key[i]!) return -1;
      if (x.key[i]! > y.key[i]!) return 1;
    }
    return 0;
  });
  return keyed.map((k) => k.event);
}
