import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOCALES, loadCatalog } from '../../i18n/catalogs.ts';

const SRC = fileURLToPath(new URL('../../', import.meta.url));

/** Every `.ts` file under `dir`, test files left out. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

test('every audit action and subject the code records has a label in every UI language', () => {
  const actions = new Set<string>();
  const subjects = new Set<string>();
  for (const file of sources(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\baction: '([a-z_]+\.[a-z_]+)'/g)) actions.add(m[1]!);
    for (const m of text.matchAll(/\bsubjectType: '([a-z_]+)'/g)) subjects.add(m[1]!);
  }
  assert.ok(actions.size > 30, `only ${actions.size} actions found: the pattern no longer matches the code`);
  for (const locale of LOCALES) {
    const catalog = loadCatalog(locale);
    const missing = [...[...actions].map((a) => `audit.actions.${a}`), ...[...subjects].map((s) => `audit.subjects.${s}`)].filter((id) => !catalog.has(id));
    assert.deepEqual(missing, [], `${locale}: audit labels missing`);
  }
});
