import type { FieldError } from '../http/errors.ts';
import { cleanText, hasBidiControls, hasControlCharacters } from './text.ts';
import { isCountryCode, isLanguageTag, canonicalLanguageTag } from './countries.ts';
import { isDateOnly } from './time.ts';

/**
 * Field-by-field checks shared by forms, the API and importers. Each collects a `FieldError`
 * (catalog id + values) into `errors` and returns the normalized value (NFC, trimmed) or null.
 */
export class FieldChecker {
  readonly errors: FieldError[] = [];

  fail(field: string, messageId: string, values?: Record<string, string | number>): null {
    this.errors.push({ field, messageId, ...(values ? { values } : {}) });
    return null;
  }

  /** Optional single-line text up to `max` characters; no line breaks or control characters. */
  line(field: string, raw: unknown, o: { required?: boolean; max?: number; noAngles?: boolean } = {}): string | null {
    const v = cleanText(typeof raw === 'string' ? raw : raw == null ? null : String(raw));
    if (v === null) return o.required ? this.fail(field, 'validation.required') : null;
    if (hasControlCharacters(v)) return this.fail(field, 'validation.single_line');
    if (o.noAngles && (/[<>]/.test(v) || hasBidiControls(v))) return this.fail(field, 'validation.name_characters');
    if (v.length > (o.max ?? 200)) return this.fail(field, 'validation.too_long', { max: o.max ?? 200 });
    return v;
  }

  /** Optional multi-line text up to `max` characters (line breaks allowed, other controls not). */
  text(field: string, raw: unknown, o: { required?: boolean; max?: number } = {}): string | null {
    const v = cleanText(typeof raw === 'string' ? raw.replace(/\r\n?/g, '\n') : null);
    if (v === null) return o.required ? this.fail(field, 'validation.required') : null;
    if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(v)) return this.fail(field, 'validation.invalid');
    if (v.length > (o.max ?? 10000)) return this.fail(field, 'validation.too_long', { max: o.max ?? 10000 });
    return v;
  }

  /** One value out of `allowed`. */
  oneOf<T extends string>(field: string, raw: unknown, allowed: readonly T[], o: { required?: boolean } = { required: true }): T | null {
    const v = typeof raw === 'string' ? raw.trim() : '';
    if (!v) return o.required ? this.fail(field, 'validation.required') : null;
    return (allowed as readonly string[]).includes(v) ? (v as T) : this.fail(field, 'validation.choice');
  }

  /** ISO 3166-1 alpha-2 code (case-insensitive input, stored upper case). */
  country(field: string, raw: unknown, o: { required?: boolean } = { required: true }): string | null {
    const v = typeof raw === 'string' ? raw.trim().toUpperCase() : '';
    if (!v) return o.required ? this.fail(field, 'validation.required') : null;
    return isCountryCode(v) ? v : this.fail(field, 'validation.country');
  }

  /** A BCP 47 language tag, canonicalized. */
  language(field: string, raw: unknown, o: { required?: boolean } = { required: true }): string | null {
    const v = typeof raw === 'string' ? raw.trim() : '';
    if (!v) return o.required ? this.fail(field, 'validation.required') : null;
    return isLanguageTag(v) ? canonicalLanguageTag(v) : this.fail(field, 'validation.language');
  }

  /** A date-only value `YYYY-MM-DD`. */
  date(field: string, raw: unknown, o: { required?: boolean } = {}): string | null {
    const v = typeof raw === 'string' ? raw.trim() : '';
    if (!v) return o.required ? this.fail(field, 'validation.required') : null;
    if (isDateOnly(v)) return v;
    // The right shape but no such day (2026-02-30, 2026-13-01): say so rather than ask for the shape.
    return this.fail(field, /^\d{4}-\d{2}-\d{2}$/.test(v) ? 'validation.date_impossible' : 'validation.date');
  }

  /** An absolute http(s) URL. */
  url(field: string, raw: unknown, o: { required?: boolean } = {}): string | null {
    const v = typeof raw === 'string' ? raw.trim() : '';
    if (!v) return o.required ? this.fail(field, 'validation.required') : null;
    try {
      const u = new URL(v);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') return this.fail(field, 'validation.url');
      if (v.length > 2000) return this.fail(field, 'validation.too_long', { max: 2000 });
      return u.href;
    } catch {
      return this.fail(field, 'validation.url');
    }
  }

  /**
   * A whole number between `min` (default 0) and `max` (default `Number.MAX_SAFE_INTEGER`); strings
   * of digits are accepted from forms. Fails with `validation.integer` for anything that is not a
   * whole number, and with `validation.range` (naming `min` and `max`) for a whole number outside
   * the range — also one too large to be held exactly (such as 99999999999999999999).
   */
  integer(field: string, raw: unknown, o: { required?: boolean; min?: number; max?: number } = {}): number | null {
    if (raw === undefined || raw === null || raw === '') return o.required ? this.fail(field, 'validation.required') : null;
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isInteger(n)) return this.fail(field, 'validation.integer');
    if (!Number.isSafeInteger(n) || n < (o.min ?? 0) || n > (o.max ?? Number.MAX_SAFE_INTEGER))
      return this.fail(field, 'validation.range', { min: o.min ?? 0, max: o.max ?? Number.MAX_SAFE_INTEGER });
    return n;
  }
}

/** Splits a form's comma/newline separated list (or passes an array through), dropping empties. */
export function listValue(raw: unknown): string[] {
  const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(/[,\n]/) : [];
  return items.map((s) => String(s).trim()).filter(Boolean);
}
