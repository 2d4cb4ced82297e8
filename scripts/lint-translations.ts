/**
 * Translation lint (run in CI): fails when
 * - a catalog file is not valid YAML, has a non-string value or defines an id twice;
 * - a message is not valid ICU MessageFormat;
 * - an id exists in one locale but not in the other;
 * - the two locales' versions of a message use different argument names;
 * - source code names a message id (a string literal passed to t(), tRich(), label:, hint:,
 *   messageId:, empty:) that no catalog defines.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { LOCALES, loadCatalog } from '../src/i18n/catalogs.ts';
import { SECTOR_CODES } from '../src/lib/sectors.ts';
import { STRUGGLE_KINDS, STRUGGLE_ROLES, STRUGGLE_STATUSES } from '../src/modules/struggles/struggles.service.ts';
import { ORGANIZATION_KINDS, VISIBILITIES } from '../src/modules/organizations/organizations.service.ts';

const problems: string[] = [];
const catalogs = new Map<string, Map<string, string>>();
for (const locale of LOCALES) {
  try {
    catalogs.set(locale, loadCatalog(locale));
  } catch (err) {
    problems.push(`${locale}: ${(err as Error).message}`);
  }
}

function argumentNames(elements: MessageFormatElement[], out = new Set<string>()): Set<string> {
  for (const el of elements) {
    if (el.type === TYPE.literal || el.type === TYPE.pound) continue;
    out.add(el.value);
    if (el.type === TYPE.plural || el.type === TYPE.select) {
      for (const opt of Object.values(el.options)) argumentNames(opt.value, out);
    }
    if (el.type === TYPE.tag) argumentNames(el.children, out);
  }
  return out;
}

const args = new Map<string, Map<string, string>>();
for (const [locale, catalog] of catalogs) {
  for (const [id, message] of catalog) {
    try {
      const names = [...argumentNames(parse(message, { ignoreTag: true }))].sort().join(',');
      if (!args.has(id)) args.set(id, new Map());
      args.get(id)!.set(locale, names);
    } catch (err) {
      problems.push(`${locale}: ${id}: malformed message (${(err as Error).message})`);
    }
  }
}
const ids = new Set([...catalogs.values()].flatMap((c) => [...c.keys()]));
for (const id of ids) {
  for (const [locale, catalog] of catalogs) if (!catalog.has(id)) problems.push(`${locale}: missing ${id}`);
  const perLocale = args.get(id);
  if (perLocale && new Set(perLocale.values()).size > 1) {
    problems.push(`${id}: arguments differ between locales (${[...perLocale].map(([l, a]) => `${l}: ${a || '-'}`).join('; ')})`);
  }
}

// Message ids named literally in source code.
const ID_USE = /(?:\bt|tRich|messageId|label|hint|empty)\s*[(:]\s*'([a-z_]+(?:\.[a-z0-9_]+)+)'/g;
function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'node_modules' ? [] : walk(p);
    return /\.tsx?$/.test(name) && !name.endsWith('.test.ts') ? [p] : [];
  });
}
for (const file of walk('src')) {
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(ID_USE)) {
    if (!ids.has(m[1]!)) problems.push(`${file}: uses undefined message ${m[1]}`);
  }
}

// Every value of a controlled vocabulary has a label (views build these ids from data).
const vocabularies: [string, readonly string[]][] = [
  ['sectors', SECTOR_CODES],
  ['struggles.kinds', STRUGGLE_KINDS],
  ['struggles.statuses', STRUGGLE_STATUSES],
  ['struggles.roles', STRUGGLE_ROLES],
  ['organizations.kinds', ORGANIZATION_KINDS],
  ['visibility', VISIBILITIES],
  ['networks.roles', ['member', 'observer', 'coordinator']],
  ['locale', LOCALES],
];
for (const [prefix, values] of vocabularies) {
  for (const v of values) if (!ids.has(`${prefix}.${v}`)) problems.push(`vocabulary: missing ${prefix}.${v}`);
}

if (problems.length) {
  console.error(problems.join('\n'));
  console.error(`\n${problems.length} translation problem(s).`);
  process.exit(1);
}
console.log(`Translations OK: ${ids.size} messages in ${LOCALES.join(', ')}.`);
