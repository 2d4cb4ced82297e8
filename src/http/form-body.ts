import { ValidationFailed } from './errors.ts';

/**
 * Parses an `application/x-www-form-urlencoded` body (WHATWG URL §5.1) into one string per field.
 * No form of ours has a field that repeats, and browsers send each field once, so a repeated
 * field is refused rather than joined or silently dropped (either would store something nobody
 * typed, e.g. a password `a,a`).
 * @returns field name → value (an object without prototype).
 * @throws {ValidationFailed} `validation.repeated_field` naming each repeated field (→ 422).
 */
export function parseForm(body: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  const repeated = new Set<string>();
  for (const [key, value] of new URLSearchParams(body)) {
    if (Object.hasOwn(out, key)) repeated.add(key);
    else out[key] = value;
  }
  if (repeated.size) throw new ValidationFailed([...repeated].map((field) => ({ field, messageId: 'validation.repeated_field', values: { field } })));
  return out;
}
