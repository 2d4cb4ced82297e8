import { DateTime, IANAZone } from 'luxon';
import { canonicalTimeZone } from './time.ts';

/**
 * Wall-clock times in IANA time zones ↔ instants, for things people schedule in their own zone
 * (a rally at 10:00 in São Paulo). Rules come from the IANA tz database as shipped in the
 * runtime's ICU (luxon reads offsets through `Intl.DateTimeFormat`); the instant of a local time
 * is computed with the offset in force on *that* date, never today's. Nothing here depends on
 * the process time zone (`TZ`).
 *
 * Units: a *local date-time* is `YYYY-MM-DDTHH:MM` (ISO 8601 without offset, minute precision);
 * an *instant* is an ISO 8601 UTC string as `Date#toISOString` writes it
 * (`2026-05-01T08:00:00.000Z`); a *date-only* value is `YYYY-MM-DD`; offsets are minutes east
 * of UTC.
 */

const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/;

/** Why a local date-time could not become an instant; `code` is stable (used for field errors). */
export class ZonedTimeError extends Error {
  readonly code: 'invalid_local_time' | 'unknown_time_zone' | 'nonexistent_local_time';
  constructor(code: ZonedTimeError['code'], message: string) {
    super(message);
    this.name = 'ZonedTimeError';
    this.code = code;
  }
}

/** True when `value` is a real local date-time `YYYY-MM-DDTHH:MM` (proleptic Gregorian, 00:00–23:59). */
export function isLocalDateTime(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = LOCAL_DATE_TIME.exec(value);
  if (!m) return false;
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number];
  if (h > 23 || mi > 59) return false;
  const probe = new Date(Date.UTC(y, mo - 1, d));
  return y >= 1 && probe.getUTCFullYear() === y && probe.getUTCMonth() === mo - 1 && probe.getUTCDate() === d;
}

/** The zone named `zone` (an IANA name; offsets such as `+02:00` are not zones). */
function zoneOf(zone: string): IANAZone {
  const name = canonicalTimeZone(zone);
  const z = name ? IANAZone.create(name) : null;
  if (!z || !z.isValid) throw new ZonedTimeError('unknown_time_zone', `unknown time zone ${String(zone)}`);
  return z;
}

/** The wall-clock reading `local` taken as if it were UTC, in epoch milliseconds. */
function wallAsUtc(local: string): number {
  const [y, mo, d, h, mi] = LOCAL_DATE_TIME.exec(local)!.slice(1).map(Number) as [number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi);
}

const HOUR = 3_600_000;

/**
 * Every instant (epoch ms) at which the clocks in `zone` read `local`, earliest first: none in a
 * spring-forward gap, two in a fall-back overlap, one otherwise. The candidates are the offsets
 * in force up to two days either side (no zone in the tz database changes offset twice within
 * that span); a candidate counts when the zone really has that offset at the resulting instant.
 */
function instantsOf(local: string, zone: IANAZone): number[] {
  const wall = wallAsUtc(local);
  const offsets = new Set<number>();
  for (const delta of [-48, -24, -12, 0, 12, 24, 48]) offsets.add(zone.offset(wall + delta * HOUR));
  const out = new Set<number>();
  for (const offset of offsets) {
    const t = wall - offset * 60_000;
    if (zone.offset(t) === offset) out.add(t);
  }
  return [...out].sort((a, b) => a - b);
}

/**
 * The instant at which the clocks in IANA zone `zone` read `localDateTime` (`YYYY-MM-DDTHH:MM`),
 * with the UTC offset of that date (IANA tz database), as ISO 8601 UTC
 * (`localToInstant('2026-05-01T17:00', 'Asia/Tehran')` → `2026-05-01T13:30:00.000Z`).
 *
 * - A wall time that does not exist — inside a spring-forward gap such as 02:30 in Europe/Berlin
 *   on 2026-03-29 — is refused (`nonexistent_local_time`). RFC 5545 §3.3.5 would silently move
 *   it by the gap; we ask the person instead, because a rally announced for a time that never
 *   happens is a typo.
 * - An ambiguous wall time — inside a fall-back overlap such as 02:30 in Europe/Berlin on
 *   2026-10-25 — takes the *earlier* of the two instants, i.e. the offset in force before the
 *   switch (summer time: 00:30Z). This is RFC 5545 §3.3.5's rule ("the first occurrence").
 * @throws {ZonedTimeError} `invalid_local_time` (not `YYYY-MM-DDTHH:MM` or no such date),
 *   `unknown_time_zone`, `nonexistent_local_time`.
 */
export function localToInstant(localDateTime: string, zone: string): string {
  if (!isLocalDateTime(localDateTime)) throw new ZonedTimeError('invalid_local_time', `not a local date-time: ${String(localDateTime)}`);
  const z = zoneOf(zone);
  const found = instantsOf(localDateTime, z);
  if (found.length === 0) throw new ZonedTimeError('nonexistent_local_time', `${localDateTime} does not exist in ${zone}`);
  return new Date(found[0]!).toISOString();
}

/** True when the wall time `localDateTime` happens twice in `zone` (a fall-back overlap). */
export function isAmbiguousLocalTime(localDateTime: string, zone: string): boolean {
  if (!isLocalDateTime(localDateTime)) return false;
  return instantsOf(localDateTime, zoneOf(zone)).length > 1;
}

/** An instant as the clocks of one IANA zone show it. */
export interface LocalParts {
  /** Date-only `YYYY-MM-DD` in the zone. */
  date: string;
  /** `HH:MM`, 24-hour clock. */
  time: string;
  /** `YYYY-MM-DDTHH:MM` (what a person in the zone would type). */
  local: string;
  /** Offset from UTC at that instant, minutes east (Asia/Kathmandu: 345). */
  offsetMinutes: number;
  /** The same offset as `+05:45` / `-03:00` (`+00:00` for UTC). */
  offset: string;
  /** The IANA zone name as given. */
  zone: string;
}

/**
 * The wall-clock reading of instant `iso` (ISO 8601 with `Z` or an offset) in IANA zone `zone`,
 * with the offset in force at that instant (IANA tz database), for display and round trips.
 * @throws {ZonedTimeError} `invalid_local_time` for an unreadable instant, `unknown_time_zone`.
 */
export function instantIn(iso: string, zone: string): LocalParts {
  const z = zoneOf(zone);
  const dt = DateTime.fromISO(iso, { setZone: false }).setZone(z);
  if (!dt.isValid) throw new ZonedTimeError('invalid_local_time', `not an instant: ${String(iso)}`);
  const date = dt.toFormat('yyyy-MM-dd');
  const time = dt.toFormat('HH:mm');
  return { date, time, local: `${date}T${time}`, offsetMinutes: dt.offset, offset: formatOffset(dt.offset), zone };
}

/** Minutes east of UTC as `±HH:MM` (RFC 3339 §5.6 `time-numoffset`). */
export function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/**
 * The calendar days (date-only, inclusive) a timed event covers locally, from its local start and
 * end date-times: an end at exactly 00:00 on a later day belongs to the day before (a rally until
 * midnight does not cover the next day).
 */
export function localDateSpan(startLocal: string, endLocal: string): { startDate: string; endDate: string } {
  const startDate = startLocal.slice(0, 10);
  let endDate = endLocal.slice(0, 10);
  if (endLocal.slice(11) === '00:00' && endDate > startDate) endDate = addDays(endDate, -1);
  return { startDate, endDate };
}

/** `YYYY-MM-DD` plus `days` calendar days (date-only arithmetic in UTC, no zone involved). */
export function addDays(dateOnly: string, days: number): string {
  return DateTime.fromISO(dateOnly, { zone: 'utc' }).plus({ days }).toISODate()!;
}

/** Whole calendar days from `from` to `to` (date-only; negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round(DateTime.fromISO(to, { zone: 'utc' }).diff(DateTime.fromISO(from, { zone: 'utc' }), 'days').days);
}
