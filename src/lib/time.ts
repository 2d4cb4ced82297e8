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

/**
 * IANA time zones offered to people: `UTC` and every zone the runtime's ICU knows
 * (`Intl.supportedValuesOf('timeZone')`, ECMA-402), which omits `UTC` itself.
 */
export const TIME_ZONES: readonly string[] = ['UTC', ...Intl.supportedValuesOf('timeZone').filter((z) => z !== 'UTC')];
const TIME_ZONE_SET = new Set(TIME_ZONES);

/**
 * The canonical IANA name of a time zone as ICU spells it (`europe/berlin` → `Europe/Berlin`,
 * `Europe/Kyiv` stays a name ICU accepts), so what is stored is always a name the zone list
 * shows. Offsets such as `+01:00` and `GMT+1` are not zones.
 * @returns the canonical name, or null when the value names no zone.
 */
export function canonicalTimeZone(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const v = value.trim();
  if (TIME_ZONE_SET.has(v)) return v;
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)+$/.test(v)) return null;
  try {
    const resolved = new Intl.DateTimeFormat('en', { timeZone: v }).resolvedOptions().timeZone;
    // ICU resolves case-insensitively; keep the spelling of the zone list when it has the zone.
    const listed = TIME_ZONES.find((z) => z.toLowerCase() === v.toLowerCase());
    if (listed) return listed;
    // A current IANA name that ICU's list still spells the old way (`Asia/Kolkata`, `Europe/Kyiv`)
    // is kept as typed when it is spelled like a zone name; otherwise ICU's own spelling.
    return /^[A-Z][A-Za-z_+-]*(\/[A-Z0-9][A-Za-z0-9_+-]*)+$/.test(v) ? v : resolved;
  } catch {
    return null;
  }
}
