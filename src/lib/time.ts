/** The current instant as an ISO 8601 UTC string (`2026-11-29T19:00:00.000Z`). */
export function nowInstant(): string {
  return new Date().toISOString();
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * True when `value` is a real calendar date written `YYYY-MM-DD` (ISO 8601 calendar date,
 * proleptic Gregorian; 2021-02-29 is false). Date-only values never pass through a time zone.
 */
export function isDateOnly(value: string): boolean {
  const m = DATE_ONLY.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const probe = new Date(Date.UTC(y, mo - 1, d));
  return probe.getUTCFullYear() === y && probe.getUTCMonth() === mo - 1 && probe.getUTCDate() === d;
}

/** Today's date-only value (`YYYY-MM-DD`) in the IANA time zone `timeZone`. */
export function todayIn(timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}
