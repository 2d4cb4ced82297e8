/**
 * Importer for the US Federal Mediation and Conciliation Service (FMCS) work-stoppage notices
 * (CSV as published by labordata/fmcs-work-stoppage). Mapping, keys and rejections are described
 * in docs/IMPORT.md; every row goes through `createStruggle`, the same service the forms use.
 */
import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import { inTransaction, type Db } from '../../db/client.ts';
import { ValidationFailed, type FieldError } from '../../http/errors.ts';
import { isLocale, translator, type Locale, type Translator } from '../../i18n/i18n.ts';
import { sectorFromNaics, type Sector } from '../../lib/sectors.ts';
import { isDateOnly } from '../../lib/time.ts';
import { findOrCreateOrganization, validateOrganization } from '../organizations/organizations.service.ts';
import { createStruggle, validateStruggle, type StruggleInput } from './struggles.service.ts';

/** One rejected row: physical line in the file (header = 1), translated reason and its catalog id. */
export interface RejectedRow {
  line: number;
  reason: string;
  messageId: string;
}

/** Outcome of an import. `total` counts data records (blank lines excluded) = created + updated + rejected. */
export interface ImportReport {
  total: number;
  created: number;
  updated: number;
  rejected: RejectedRow[];
  /** Organizations (unions) created because no organization of that name existed in the US. */
  organizationsCreated: number;
}

/** The file as a whole cannot be imported (unreadable, empty, not an FMCS file). `message` is translated. */
export class ImportFileError extends Error {
  readonly messageId: string;
  readonly values: Record<string, string | number>;
  constructor(messageId: string, values: Record<string, string | number>, message: string) {
    super(message);
    this.messageId = messageId;
    this.values = values;
  }
}

/** The columns this importer reads (header names, compared trimmed and case-insensitively). */
const COLUMNS = {
  employer: 'Employer',
  union: 'Union',
  unionLocal: 'Union Local',
  caseNumber: 'Case Number',
  naics: 'NAICS',
  industry: 'Industry',
  place: 'City, State',
  idled: '# Idled',
  start: 'Start Date',
  end: 'End Date',
} as const;
type Column = keyof typeof COLUMNS;

/**
 * Every `Industry` value of the 2010–2020 file → sector (used when `NAICS` is empty or unknown).
 * Keys are lower-cased with white space collapsed. Anything else, "Not Provided" included → `other`.
 */
export const FMCS_INDUSTRY_SECTORS: Readonly<Record<string, Sector>> = {
  'accommodation and food services': 'hospitality',
  'arts, entertainment and recreation': 'arts',
  construction: 'construction',
  'county government': 'public_administration',
  'educational services': 'education',
  'federal government': 'public_administration',
  'finance and insurance': 'finance',
  'health care and social assistance': 'health',
  information: 'information',
  'local government': 'public_administration',
  manufacturing: 'manufacturing',
  'mining and oil & gas extraction': 'mining',
  'not provided': 'other',
  'personal serv & private organizations': 'services',
  'professional, scientific &tech serv': 'services',
  'real estate and rental & leasing': 'finance',
  'retail trade': 'trade',
  'state government': 'public_administration',
  'support serv. & waste management': 'services',
  'transportation and warehousing': 'logistics',
  utilities: 'energy',
  'wholesale trade': 'trade',
};

/** Rows per transaction when writing. */
const BATCH = 100;

/** White space runs → one space, trimmed, NFC. */
function squash(value: string | undefined): string {
  return (value ?? '').normalize('NFC').replace(/\s+/g, ' ').trim();
}

/**
 * Sector of a row: the NAICS code when it is a 2–6 digit code that `sectorFromNaics` knows
 * (the file writes `31.0`), else the `Industry` table above, else `other`.
 */
export function fmcsSector(naics: string | undefined, industry: string | undefined): Sector {
  const code = /^(\d{2,6})(?:\.0+)?$/.exec(squash(naics))?.[1];
  const fromCode = code ? sectorFromNaics(code) : null;
  return fromCode ?? FMCS_INDUSTRY_SECTORS[squash(industry).toLowerCase()] ?? 'other';
}

/** Title case for a part written all in capitals or all in small letters (`SANTA BARBARA`, `milwaukee`). */
function titleCase(part: string): string {
  if (part !== part.toUpperCase() && part !== part.toLowerCase()) return part;
  return part.toLowerCase().replace(/(^|[\s\-/.'(&])(\p{L})/gu, (_, before: string, letter: string) => before + letter.toUpperCase());
}

/**
 * The `City, State` column → a locality such as `Santa Barbara, CA`: white space collapsed, no
 * space before commas, braces dropped, all-capital or all-small place names title-cased,
 * two-letter parts (states) upper-cased, a part repeated at the end dropped
 * (`Various - ME, NH, VT, NH` → `Various - ME, NH, VT`). Null when nothing is left (`", "`) or for
 * the placeholder `Attached List` (the list is not part of the data).
 */
export function fmcsLocality(raw: string | undefined): string | null {
  const parts: string[] = [];
  for (const p of squash(raw).replace(/[{}]/g, '').split(',')) {
    const part = p.trim();
    if (!part) continue;
    const normalized = /^\p{L}{2}$/u.test(part) ? part.toUpperCase() : titleCase(part);
    if (!parts.some((q) => q.toLowerCase() === normalized.toLowerCase())) parts.push(normalized);
  }
  const locality = parts.join(', ');
  return locality && locality.toLowerCase() !== 'attached list' ? locality : null;
}

/**
 * The union's organization name from `Union` and `Union Local`. The file's `Union` mostly contains
 * the local already (`IUOE 150` + `150`); a left-over `Local` or `N/A` without a number is dropped
 * (`CNA Local ` → `CNA`); a local missing from the name is appended (`IBT` + `25` → `IBT Local 25`).
 * Null when no name is left.
 */
export function fmcsUnionName(union: string | undefined, local: string | undefined): string | null {
  let name = squash(union);
  for (let prev = ''; prev !== name; ) {
    prev = name;
    name = name.replace(/\s*\bN\/A$/i, '').replace(/\s+Local$/i, '').replace(/^Local$/i, '').trim();
  }
  const loc = squash(local).replace(/^N\/A$/i, '');
  if (loc && !name.toLowerCase().endsWith(loc.toLowerCase())) name = name ? `${name} ${/^[\d#]/.test(loc) ? `Local ${loc}` : loc}` : loc;
  return name || null;
}

/**
 * `# Idled` → participants: `50.0` → 50, `1,200` → 1200, blank → null; `undefined` when the value
 * is not a whole number of 0 or more (the row is rejected).
 */
export function fmcsParticipants(raw: string | undefined): number | null | undefined {
  const v = squash(raw);
  if (!v) return null;
  if (!/^(\d+|\d{1,3}(,\d{3})+)(\.0*)?$/.test(v)) return undefined;
  const n = Number(v.replace(/,/g, ''));
  return Number.isSafeInteger(n) ? n : undefined;
}

/** One data record of the file with its first physical line, or a record csv-parse could not read. */
type CsvRecord = { line: number; fields: string[] } | { line: number; syntaxError: string };

/**
 * Reads the CSV (UTF-8, optional BOM, any line ending) with csv-parse. Each record carries the
 * physical line it starts on (header = 1), computed from byte offsets because a quoted field may
 * span several lines. Blank lines are dropped.
 */
function readRecords(data: Buffer): CsvRecord[] {
  const lineStarts = [0];
  for (let i = 0; i < data.length; i++) {
    const c = data[i];
    if (c === 0x0a || (c === 0x0d && data[i + 1] !== 0x0a)) lineStarts.push(i + 1);
  }
  const lineAt = (offset: number): number => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const records: CsvRecord[] = [];
  let lastEnd = 0;
  parse(data, {
    bom: true,
    raw: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_records_with_error: true,
    // With `raw: true` csv-parse hands over `{ record, raw }`; its typings only know `string[]`.
    on_record: (value, ctx) => {
      const rec = value as unknown as { record: string[] };
      // ctx.bytes: offset after the record; its raw text (without at most the last byte of CRLF) precedes it.
      const start = Math.max(lastEnd, ctx.bytes - Buffer.byteLength(ctx.raw ?? ''));
      lastEnd = ctx.bytes;
      if (rec.record.some((f) => f.trim() !== '')) records.push({ line: lineAt(start), fields: rec.record });
      return null;
    },
    on_skip: (err) => {
      records.push({ line: lineAt(lastEnd), syntaxError: String(err?.code ?? 'CSV') });
    },
  });
  return records;
}

/** A row that passed every check, ready to write. */
interface Stoppage {
  line: number;
  externalRef: string;
  union: string | null;
  input: StruggleInput;
}

type Problem = { messageId: string; values?: Record<string, string | number> };

/** Struggle field → the CSV column it comes from (for messages about invalid fields). */
const FIELD_COLUMNS: Record<string, string> = {
  title: COLUMNS.employer,
  employer: COLUMNS.employer,
  locality: COLUMNS.place,
  participants: COLUMNS.idled,
  startDate: COLUMNS.start,
  endDate: COLUMNS.end,
};

/** Maps one record to a struggle, or to the first problem that rejects it. */
function mapRecord(fields: string[], col: Record<Column, number>, line: number, en: Translator, tr: Translator): Stoppage | Problem {
  const get = (c: Column) => fields[col[c]] ?? '';
  const caseNumber = squash(get('caseNumber')).toUpperCase();
  if (!caseNumber) return { messageId: 'import.reject.case_missing' };
  const employer = squash(get('employer'));
  if (!employer) return { messageId: 'import.reject.employer_missing' };
  const startRaw = squash(get('start'));
  if (!startRaw) return { messageId: 'import.reject.start_missing' };
  if (!isDateOnly(startRaw)) return { messageId: 'import.reject.start_invalid', values: { value: startRaw } };
  const endRaw = squash(get('end'));
  if (endRaw && !isDateOnly(endRaw)) return { messageId: 'import.reject.end_invalid', values: { value: endRaw } };
  if (endRaw && endRaw < startRaw) return { messageId: 'import.reject.end_before_start', values: { start: startRaw, end: endRaw } };
  const participants = fmcsParticipants(get('idled'));
  if (participants === undefined) return { messageId: 'import.reject.participants_invalid', values: { value: squash(get('idled')) } };
  const union = fmcsUnionName(get('union'), get('unionLocal'));
  const invalid = (column: string, e: FieldError): Problem => ({
    messageId: 'import.reject.invalid_field',
    values: { column, problem: tr.t(e.messageId, e.values) },
  });
  if (union) {
    try {
      validateOrganization({ name: union, kind: 'union', country: 'US' });
    } catch (err) {
      if (err instanceof ValidationFailed) return invalid(COLUMNS.union, err.errors[0]!);
      throw err;
    }
  }
  // Titles are data (lang en), not UI text: always the English message. Long names are shortened to fit 300 characters.
  let title = en.t('import.fmcs.title', { employer });
  if (title.length > 300) title = en.t('import.fmcs.title', { employer: `${employer.slice(0, 300 - (title.length - employer.length) - 1)}…` });
  const input: StruggleInput = {
    title,
    kind: 'strike',
    sector: fmcsSector(get('naics'), get('industry')),
    country: 'US',
    locality: fmcsLocality(get('place')),
    employer,
    participants,
    startDate: startRaw,
    endDate: endRaw || null,
    // Historical stoppages: `ended` even when the file reports no end date (see docs/IMPORT.md).
    status: 'ended',
    visibility: 'public',
    lang: 'en',
  };
  try {
    validateStruggle(input);
  } catch (err) {
    if (err instanceof ValidationFailed) return invalid(FIELD_COLUMNS[err.errors[0]!.field] ?? err.errors[0]!.field, err.errors[0]!);
    throw err;
  }
  return { line, externalRef: `fmcs:${caseNumber}:${startRaw}`, union, input };
}

/** Finds the ids of existing US organizations named like `names` (lower-cased), in chunks. */
async function preloadOrganizations(db: Db, names: string[], cache: Map<string, string>): Promise<void> {
  for (let i = 0; i < names.length; i += 500) {
    const chunk = names.slice(i, i + 500);
    const rows = await db
      .selectFrom('organizations')
      .select(['id', 'name'])
      .where('country', '=', 'US')
      .where((eb) => eb(eb.fn('lower', ['name']), 'in', chunk))
      .orderBy('created_at')
      .execute();
    for (const r of rows) if (!cache.has(r.name.toLowerCase())) cache.set(r.name.toLowerCase(), r.id);
  }
}

/**
 * Imports an FMCS work-stoppage CSV (bytes of the file) into struggles.
 * - Each data row becomes a public struggle (kind `strike`, country `US`, lang `en`, status
 *   `ended`), keyed `fmcs:<case number>:<start date>` so a re-import updates instead of
 *   duplicating; a later row with the same key in the same file updates the earlier one.
 * - The union becomes an organization (kind `union`, country `US`) found by name or created, and
 *   is linked as initiator. Look-ups are batched and cached.
 * - Bad rows are rejected with their physical line number and a reason in `locale` (default en);
 *   every row is written inside its own savepoint (transactions of 100 rows), so a row is saved
 *   completely or not at all. Given a transaction, all rows run in it. A failure of the database
 *   itself (connection lost, commit refused) is thrown; batches committed before it stay.
 * @param onProgress called after each row with (rows done, total rows).
 * @throws {ImportFileError} empty file or missing columns (nothing imported).
 */
export async function importFmcs(
  db: Db,
  data: Buffer | string,
  o: { locale?: string; fileName?: string; onProgress?: (done: number, total: number) => void } = {},
): Promise<ImportReport> {
  const locale: Locale = isLocale(o.locale) ? o.locale : 'en';
  const tr = translator(locale);
  const en = translator('en');
  const file = o.fileName ?? '-';
  const records = readRecords(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  const header = records.shift();
  if (!header) throw new ImportFileError('import.file.empty', { file }, tr.t('import.file.empty', { file }));
  const names = 'fields' in header ? header.fields.map((h) => squash(h).toLowerCase()) : [];
  const col = {} as Record<Column, number>;
  const missing: string[] = [];
  for (const [key, name] of Object.entries(COLUMNS) as [Column, string][]) {
    col[key] = names.indexOf(name.toLowerCase());
    if (col[key] < 0) missing.push(`“${name}”`);
  }
  if (missing.length) {
    const values = { file, columns: missing.join(', ') };
    throw new ImportFileError('import.file.missing_columns', values, tr.t('import.file.missing_columns', values));
  }

  const report: ImportReport = { total: records.length, created: 0, updated: 0, rejected: [], organizationsCreated: 0 };
  const reject = (line: number, p: Problem) => report.rejected.push({ line, messageId: p.messageId, reason: tr.t(p.messageId, p.values) });
  // Check every row first; the writes below then only meet rows that satisfy the domain rules.
  const rows: (Stoppage | { line: number; problem: Problem })[] = records.map((r) => {
    if ('syntaxError' in r) return { line: r.line, problem: { messageId: 'import.reject.csv_syntax' } };
    if (r.fields.length !== names.length) {
      return { line: r.line, problem: { messageId: 'import.reject.columns', values: { expected: names.length, found: r.fields.length } } };
    }
    const mapped = mapRecord(r.fields, col, r.line, en, tr);
    return 'messageId' in mapped ? { line: r.line, problem: mapped } : mapped;
  });

  const organizations = new Map<string, string>();
  const unions = new Set(rows.flatMap((r) => ('union' in r && r.union ? [r.union.toLowerCase()] : [])));
  await preloadOrganizations(db, [...unions], organizations);

  // Rows are written in batches of BATCH per transaction (one commit per row costs a disk flush
  // each on PostgreSQL), each row inside a savepoint: a row the database refuses is rolled back
  // alone and reported. Given a transaction, everything runs in it.
  let done = 0;
  const batches = db.isTransaction ? [rows] : Array.from({ length: Math.ceil(rows.length / BATCH) }, (_, i) => rows.slice(i * BATCH, (i + 1) * BATCH));
  for (const batch of batches) {
    const counts = { created: 0, updated: 0, organizationsCreated: 0 };
    const newOrganizations = new Map<string, string>();
    await inTransaction(db, async (tx) => {
      for (const row of batch) {
        if ('problem' in row) {
          reject(row.line, row.problem);
        } else {
          const key = row.union?.toLowerCase();
          await sql`savepoint fmcs_row`.execute(tx);
          try {
            let orgId = key ? (organizations.get(key) ?? newOrganizations.get(key)) : undefined;
            let orgCreated = false;
            if (row.union && !orgId) {
              const org = await findOrCreateOrganization(tx, { name: row.union, kind: 'union', country: 'US', descriptionLang: 'en' });
              orgId = org.id;
              orgCreated = org.created;
            }
            const s = await createStruggle(tx, null, row.input, { trusted: true, externalRef: row.externalRef, initiatorIds: orgId ? [orgId] : [] });
            await sql`release savepoint fmcs_row`.execute(tx);
            if (key && orgId) newOrganizations.set(key, orgId);
            if (orgCreated) counts.organizationsCreated += 1;
            if (s.created) counts.created += 1;
            else counts.updated += 1;
          } catch {
            await sql`rollback to savepoint fmcs_row`.execute(tx);
            reject(row.line, { messageId: 'import.reject.write_failed' });
          }
        }
        done += 1;
        o.onProgress?.(done, report.total);
      }
    });
    // Counted and cached only after the commit, so a rolled-back organization is never reused.
    for (const [k, id] of newOrganizations) organizations.set(k, id);
    report.created += counts.created;
    report.updated += counts.updated;
    report.organizationsCreated += counts.organizationsCreated;
  }
  report.rejected.sort((a, b) => a.line - b.line);
  return report;
}
