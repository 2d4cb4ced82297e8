import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** UI locales with a complete catalog. The first is the fallback. */
export const LOCALES = ['en', 'de'] as const;
export type Locale = (typeof LOCALES)[number];

const LOCALES_DIR = fileURLToPath(new URL('./locales/', import.meta.url));

/** Flattens nested YAML maps into dotted ids: `{a: {b: x}}` → `{'a.b': x}`. */
function flatten(prefix: string, value: unknown, out: Map<string, string>, file: string): void {
  if (typeof value === 'string') {
    out.set(prefix, value);
    return;
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(prefix ? `${prefix}.${k}` : k, v, out, file);
    return;
  }
  throw new Error(`${file}: message ${prefix} must be a string`);
}

/**
 * Reads every `locales/<locale>/*.yml` file (one per module) into a flat map of message ids to
 * ICU MessageFormat strings.
 * @throws when a file is not valid YAML, a value is not a string, or an id is defined twice.
 */
export function loadCatalog(locale: string): Map<string, string> {
  const dir = `${LOCALES_DIR}${locale}/`;
  const out = new Map<string, string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yml')).sort()) {
    const part = new Map<string, string>();
    flatten('', parse(readFileSync(dir + file, 'utf8')), part, `${locale}/${file}`);
    for (const [id, msg] of part) {
      if (out.has(id)) throw new Error(`${locale}/${file}: message ${id} is defined twice`);
      out.set(id, msg);
    }
  }
  return out;
}
